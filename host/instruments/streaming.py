"""The life cycle every streaming energy monitor shares, written once (python-can's ``BusABC``
is the model): ``open`` → ``configure`` → ``power`` → ``start`` → ``read``… → ``stop`` →
``close``.

The base class owns the rules: what may be called when, the items decoded but not yet
returned, a stream failure that voids the capture (raised again by every later ``read``),
releasing the instrument on a failed ``open``, a ``close`` that never raises, and the clock
every wait is measured on. A driver implements only the instrument's own steps:

- ``_connect() -> MonitorInfo``: open the port or vendor driver, stop a stream left
  running, identify the instrument (the base releases it if this raises);
- ``_apply(config)``: send a configuration already checked against the kind's facts;
- ``_switch_power(on)``, ``_begin_stream()``;
- ``_read_stream(deadline)``: read until something is pending (``_emit``) or the clock
  passes ``deadline``;
- ``_end_stream()``: stop the acquisition and ``_emit`` what came until it stopped;
- ``_release()``: best effort to leave the instrument safe (stop, target off) on ``close``;
  exceptions in it are swallowed; then ``_disconnect()`` closes the port (also after a
  failed ``open``).
"""

from __future__ import annotations

import contextlib
from abc import abstractmethod

from tinyjoule.errors import ConfigurationError, DeviceConnectionError, MeasurementError
from tinyjoule.host.clock import SYSTEM_CLOCK, Clock
from tinyjoule.host.instruments.base import EnergyMonitor, MonitorConfig, MonitorInfo
from tinyjoule.host.measurement.stream import StreamItem


class StreamingMonitor(EnergyMonitor):
    """A monitor whose samples arrive as a stream; see the module docstring."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.config = MonitorConfig(**self.facts.defaults)
        self.info: MonitorInfo | None = None
        self.clock: Clock = SYSTEM_CLOCK
        self._pending: list[StreamItem] = []
        self._streaming = False
        self._failure: MeasurementError | None = None

    # -- the life cycle -------------------------------------------------------------------
    def open(self) -> MonitorInfo:
        if self._is_open() and self.info is not None:
            return self.info
        try:
            self.info = self._connect()
        except BaseException:
            self._disconnect_quietly()
            raise
        return self.info

    def configure(self, config: MonitorConfig) -> None:
        self._require_open("configure")
        if self._streaming:
            raise ConfigurationError(
                f"{self.device}: configure() during an acquisition; call stop() first"
            )
        self._apply(config)
        self.config = config

    def power(self, on: bool) -> None:
        self._require_open("power")
        self._switch_power(on)

    def start(self) -> None:
        self._require_open("start")
        if self._streaming:
            raise MeasurementError(
                f"{self.device}: start() while an acquisition is running; call stop() first"
            )
        self._pending = []
        self._failure = None
        self._begin_stream()
        self._streaming = True

    def read(self, timeout_s: float) -> list[StreamItem]:
        self._require_open("read")
        if self._failure is not None:
            raise self._failure
        if self._streaming and not self._pending:
            self._read_stream(self.clock.now() + timeout_s)
        return self._take()

    def stop(self) -> list[StreamItem]:
        self._require_open("stop")
        if not self._streaming:
            return self._take()
        self._streaming = False
        failed, self._failure = self._failure is not None, None
        self._end_stream(failed)
        return self._take()

    def close(self) -> None:
        """Leave the instrument safe and release it; never raises."""
        if not self._is_open():
            return
        self._close_quietly()

    # -- for subclasses -------------------------------------------------------------------
    @property
    def streaming(self) -> bool:
        return self._streaming

    def _emit(self, items: list[StreamItem]) -> None:
        self._pending.extend(items)

    def _stream_failed(self, exc: MeasurementError) -> MeasurementError:
        """Record ``exc`` as what voided this capture; returns it for ``raise``."""
        self._failure = exc
        return exc

    def _require_open(self, what: str) -> None:
        if not self._is_open():
            raise DeviceConnectionError(
                f"{self.device}: {what}() on a closed monitor; open() it first"
            )

    def _take(self) -> list[StreamItem]:
        items, self._pending = self._pending, []
        return items

    def _close_quietly(self) -> None:
        try:
            with contextlib.suppress(Exception):
                self._release()
        finally:
            self._disconnect_quietly()

    def _disconnect_quietly(self) -> None:
        self._streaming = False
        self.info = None
        with contextlib.suppress(Exception):
            self._disconnect()

    @abstractmethod
    def _is_open(self) -> bool: ...

    @abstractmethod
    def _connect(self) -> MonitorInfo: ...

    @abstractmethod
    def _apply(self, config: MonitorConfig) -> None: ...

    @abstractmethod
    def _switch_power(self, on: bool) -> None: ...

    @abstractmethod
    def _begin_stream(self) -> None: ...

    @abstractmethod
    def _read_stream(self, deadline: float) -> None: ...

    @abstractmethod
    def _end_stream(self, failed: bool) -> None:
        """Stop the acquisition; ``failed``: the stream had failed, so its end cannot be
        recognised (drain it instead)."""

    @abstractmethod
    def _release(self) -> None: ...

    @abstractmethod
    def _disconnect(self) -> None: ...
