"""Device side of the streaming wake word firmware, for the simulator (spec 1.9).

A model of ``sww_ref_util.c``'s command handling: bytes up to ``%`` form a command (the
buffer holds 1028 characters, more are lost), split on spaces. Every command first echoes
``Received command: <cmd>``; every reply ends with ``m-ready`` (the interface board relays a
DUT reply up to it). ``name`` and ``profile`` answer as the MLPerf Tiny API does (model
``sww01``); ``start`` begins detection and pulses the timestamp pin; ``stop`` pulses it and
prints ``Streaming stopped.`` and ``target activations: [...]``; ``state`` tells idle or
streaming; the other debug commands (``log``, ``i2scap``, ``run_model``, ``extract``) say
they are not simulated; anything else gets ``Unrecognized command <cmd>``. What takes time
or touches pins goes through ``SwwHooks``. Assumptions where the spec is silent (marked in
the README): the exact wording of the ``start``/``state`` lines, that ``stop`` pulses the pin
whether or not it was streaming, and the boot banner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .sww_codec import ACTIVATIONS_PREFIX, ECHO_PREFIX, STOPPED_LINE, SWW_COMMAND_CHARS

__all__ = ["SwwFirmware", "SwwFirmwareConfig", "SwwHooks"]

FW_VERSION = "MLPerf Tiny Firmware V0.1.0"
DEBUG_COMMANDS = ("log", "i2scap", "run_model", "extract")
HELP_LINES = (
    "name        -- identify the board",
    "profile     -- firmware and model id",
    "start       -- start streaming detection (pulses the timestamp pin)",
    "stop        -- stop it (pulses the pin), print the target activations",
    "state       -- idle or streaming",
    "help        -- this text",
)


class SwwHooks(Protocol):
    def emit(self, data: bytes) -> None:
        """Bytes to the UART, at the current (virtual) time."""

    def pulse_timestamp(self) -> None:
        """The 1 µs timestamp pulse (``th_delay_us(1)``)."""

    def start_listening(self) -> None:
        """I2S audio from now on is processed frame by frame."""

    def stop_listening(self) -> tuple[int, ...]:
        """Stop processing; the frames (from ``start``) at which the wake word fired."""


@dataclass(frozen=True, slots=True)
class SwwFirmwareConfig:
    vendor: str = "unspecified"
    model_id: str = "sww01"


class SwwFirmware:
    """The SWW firmware's parser, fed with bytes, answering through the hooks."""

    def __init__(self, config: SwwFirmwareConfig, hooks: SwwHooks) -> None:
        self.config = config
        self._hooks = hooks
        self._cmd = bytearray()
        self.streaming = False

    def boot(self) -> None:
        self._cmd.clear()
        self.streaming = False
        self._lines("m-init-done", "m-ready")

    def receive(self, data: bytes) -> None:
        for byte in data:
            if byte == ord("%"):
                command = self._cmd.decode("ascii", errors="replace")
                self._cmd.clear()
                self._run(command)
            elif len(self._cmd) < SWW_COMMAND_CHARS:
                self._cmd.append(byte)

    def _lines(self, *lines: str) -> None:
        self._hooks.emit("".join(f"{line}\r\n" for line in lines).encode("ascii", "replace"))

    def _run(self, command: str) -> None:
        self._lines(f"{ECHO_PREFIX}{command}")
        tokens = command.split()
        name = tokens[0] if tokens else ""
        if not name:
            self._lines("Empty command (only a % read). Type 'help%' for help")
        elif name == "name":
            self._lines(f"m-name-dut-[{self.config.vendor}]")
        elif name == "profile":
            self._lines(f"m-profile-[{FW_VERSION}]", f"m-model-[{self.config.model_id}]")
        elif name == "start":
            self._start()
        elif name == "stop":
            self._stop()
        elif name == "state":
            self._lines(f"state: {'streaming' if self.streaming else 'idle'}")
        elif name == "help":
            self._lines(*HELP_LINES)
        elif name in DEBUG_COMMANDS:
            self._lines(f"{name}: debug command, not simulated")
        else:
            self._lines(f"Unrecognized command {command}")
        self._lines("m-ready")

    def _start(self) -> None:
        if self.streaming:
            self._lines("I2S Rx currently in progress. Ignoring request")
            return
        self.streaming = True
        self._hooks.start_listening()
        self._hooks.pulse_timestamp()
        self._lines("Listening for I2S data ...")

    def _stop(self) -> None:
        self._hooks.pulse_timestamp()
        activations: tuple[int, ...] = ()
        if self.streaming:
            activations = self._hooks.stop_listening()
            self.streaming = False
        body = ", ".join(str(a) for a in activations)
        self._lines(STOPPED_LINE, f"{ACTIVATIONS_PREFIX} [{body}]")
