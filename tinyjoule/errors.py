"""The one exception tree of tinyjoule, split by the phase in which things go wrong.

Every message names the device, the command, line or file, and what to do about it. Bad
arguments to a function stay ``ValueError``. This module sits in the lowest layer so that
``firmware_protocol``, ``tinyml_workloads``, ``calibration`` and ``host`` all share it.
"""

from __future__ import annotations


class TinyJouleError(Exception):
    """Root of every error tinyjoule raises on purpose."""


class ConfigurationError(TinyJouleError):
    """The bench, board file, dataset, model or option given cannot work as asked."""


class DeviceConnectionError(TinyJouleError):
    """A port or device cannot be opened, or went away."""


class ProtocolError(TinyJouleError):
    """A device answered something the protocol does not allow, or reported an error."""


class ResponseTimeout(ProtocolError, TimeoutError):
    """A device did not finish its reply within the timeout."""


class MeasurementError(TinyJouleError):
    """A measurement ran but its data breaks a rule (window too short, samples lost...)."""


class MeasurementTimeout(MeasurementError, TimeoutError):
    """Data the measurement needs (samples, events) did not arrive in time."""


class LateReply(ResponseTimeout):
    """A device answered, but only after the timeout: its reply was discarded."""


class StorageError(TinyJouleError):
    """A session file (trace, transcript, log, results) could not be written: the disk is
    full or the folder is not writable."""


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by SIGINT (Ctrl-C) or SIGTERM. A ``KeyboardInterrupt``, not a
    ``TinyJouleError``: no ``except Exception`` may stop it on its way to the cleanup."""

    def __init__(self, signal_name: str) -> None:
        ctrl_c = " (Ctrl-C)" if signal_name == "SIGINT" else ""
        super().__init__(f"interrupted by {signal_name}{ctrl_c}")
        self.signal_name = signal_name
