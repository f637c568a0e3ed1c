"""Driver for the Nordic Power Profiler Kit II (PPK2) over its USB CDC data port.

Opens the port by URL (real ports, ``socket://``, ``sim://``; ``auto`` finds the one PPK2
and picks its data port), stops any stream left running, reads the metadata and checks
its calibration (``ppk2_protocol``), then configures the PPK2 the minimal way (spec 3.2):
mode, source voltage, DUT power, start. The PPK2 acknowledges nothing, so the exchange is
fixed byte strings; samples are decoded by ``ppk2_decoder``.

Configuration (``MonitorConfig``): ``output`` must be ``"current"`` (the PPK2 streams
amperes only), ``sample_rate_hz`` 100000 (the only rate: lower rates in the nRF app are
host-side averages), ``stream_format`` is the measurement mode, ``"source"`` (the PPK2
powers the DUT at ``voltage_v``, 0.8-5.0 V) or ``"ampere"`` (an external supply at
``voltage_v`` feeds the DUT through the PPK2; the PPK2 is still told the voltage, as
IRNAS does, and its calibration's S term uses it), ``event_channel`` the logic input D0-D7
carrying the timestamp pin (None: D0; its level shifter needs the DUT's VCC on the logic
port's VCC pin), ``event_edge`` ``"falling"`` or ``"rising"``. The source voltage is
always set before the DUT is switched on; ``MonitorInfo.powers_target`` follows the mode
after ``configure`` (read ``monitor.info`` again). Every wait has a timeout, checked after
every chunk too, so a PPK2 that keeps streaming cannot hold a wait (``serial_port``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Iterable, Mapping
from typing import Any

from serial import SerialException

from tinyjoule.errors import (
    ConfigurationError,
    DeviceConnectionError,
    MeasurementError,
    ResponseTimeout,
)
from tinyjoule.firmware_protocol import ppk2_protocol as protocol
from tinyjoule.host.instruments.base import EnergyMonitor, MonitorConfig, MonitorInfo
from tinyjoule.host.instruments.ppk2_decoder import Ppk2Decoder
from tinyjoule.host.instruments.serial_link import POLL_S as POLL_S
from tinyjoule.host.instruments.serial_link import (
    READ_CHUNK,
    PortOpener,
    ReplyBuffer,
    SerialLink,
    open_serial_url,
    require_open,
)
from tinyjoule.host.measurement.stream import StreamItem
from tinyjoule.host.transcript import Transcript

USB_VID = 0x1915
USB_PID = 0xC00A
WINDOWS_DESCRIPTION = "nRF Connect USB CDC ACM"
PRODUCT = "PPK2"
DEFAULT_BAUD = 115200
"""Nominal on USB CDC (the Nordic app uses 115200, IRNAS 9600)."""
STREAM_READ = READ_CHUNK
"""Bytes asked for per streaming read: a real port returns after ``POLL_S`` with what came
(about 8 kB at 400 kB/s), so decoding runs ~50 times a second, not per USB packet; a
backlog is decoded 1 MB (262144 samples) at a time, bounding memory."""
DRAIN_LIMIT_S = 2.0
ACCURACY_RELATIVE = 0.05
"""No accuracy figure was found in the sources (spec 3.5 and 5: n/r) [unverified]; 5 % is
tinyjoule's conservative assumption, wider than the LPM01A's 2 %."""
_CHECK = "check the USB cable, and close other programs using the port (nRF Connect Power Profiler)"
_LOST = f"the PPK2 was unplugged or switched off: {_CHECK}"


def default_config(voltage_v: float, mode: str = "source") -> MonitorConfig:
    """The configuration a PPK2 run uses unless told otherwise."""
    return MonitorConfig(
        voltage_v=voltage_v,
        sample_rate_hz=protocol.SAMPLE_RATE_HZ,
        output="current",
        stream_format=mode,
        event_edge="falling",
        event_channel=0,
    )


# -- finding the data port --------------------------------------------------------------------
def is_ppk2_port(port: Any) -> bool:
    """True for a ``serial.tools.list_ports`` entry that belongs to a PPK2."""
    if getattr(port, "vid", None) == USB_VID and getattr(port, "pid", None) == USB_PID:
        return True
    description = getattr(port, "description", None) or ""
    return getattr(port, "product", None) == PRODUCT or description.startswith(WINDOWS_DESCRIPTION)


def pick_data_port(candidates: Iterable[Any]) -> str:
    """The data port of the one PPK2 among ``candidates`` (``list_ports`` entries).

    Since the firmware of nRF Connect Power Profiler 4.2.0 a PPK2 has two CDC ports, data
    and a debug shell; the data port's USB location ends in "1" (IRNAS PR #47). Errors:
    no PPK2, several PPK2s, or two ports that the rule cannot tell apart (macOS gives both
    the same location).
    """
    ports = sorted((p for p in candidates if is_ppk2_port(p)), key=lambda p: p.device)
    if not ports:
        raise DeviceConnectionError(
            f"PPK2: no PPK2 found (USB {USB_VID:04x}:{USB_PID:04x}); plug it in with the USB "
            "DATA/POWER connector, switch it on, and check 'tinyjoule devices' (on Linux the "
            "user also needs access to /dev/ttyACM*: the dialout group or a udev rule)"
        )
    serials = sorted({p.serial_number or "?" for p in ports})
    if len(serials) > 1:
        listing = ", ".join(f"{p.device} (serial {p.serial_number})" for p in ports)
        raise DeviceConnectionError(
            f"PPK2: {len(serials)} PPK2s are connected ({listing}); say which with "
            "--monitor ppk2:PORT"
        )
    if len(ports) == 1:
        return ports[0].device
    data = [p for p in ports if (p.location or "").endswith("1")]
    if len(data) == 1:
        return data[0].device
    listing = ", ".join(f"{p.device} (location {p.location!r})" for p in ports)
    raise DeviceConnectionError(
        f"PPK2: cannot tell its data port from its debug-shell port ({listing}); the data "
        "port's USB location ends in 1, which these do not settle. Give it with --monitor "
        "ppk2:PORT (on macOS usually the first of the two)"
    )


def find_data_port() -> str:
    """The data port of the one PPK2 plugged into this machine."""
    from serial.tools import list_ports

    return pick_data_port(list_ports.comports())


# -- the driver ---------------------------------------------------------------------------
class Ppk2(EnergyMonitor):
    """One PPK2; ``open`` → ``configure`` → ``power(True)`` → ``start`` → ``read``… → ``stop``."""

    def __init__(
        self,
        url: str,
        baud: int = DEFAULT_BAUD,
        *,
        reply_timeout_s: float = 2.0,
        stop_timeout_s: float = 3.0,
        quiet_s: float = 0.1,
        open_port: PortOpener = open_serial_url,
        transcript: Transcript | None = None,
        calibration_overrides: Mapping[str, float] | None = None,
        spike_filter: bool = True,
    ) -> None:
        self.url = url
        self.baud = baud
        self.device = f"PPK2 ({url})"
        self.reply_timeout_s = reply_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.quiet_s = quiet_s
        self.calibration_overrides = dict(calibration_overrides or {})
        self.spike_filter = spike_filter
        self.config = default_config(1.8)
        self.configured = False
        self.info: MonitorInfo | None = None
        self.calibration: protocol.Calibration | None = None
        self.decoder: Ppk2Decoder | None = None
        self._open_port = open_port
        self._transcript = transcript
        self._link: SerialLink | None = None
        self.discarded_reply_bytes = 0
        """Bytes dropped from an over-long metadata reply (a stream or garbage before it)."""
        self._pending: list[StreamItem] = []
        self._streaming = False
        self._failure: MeasurementError | None = None

    @property
    def accuracy_relative(self) -> float:
        return ACCURACY_RELATIVE

    # -- EnergyMonitor ----------------------------------------------------------------------
    def open(self) -> MonitorInfo:
        if self._link is not None and self.info is not None:
            return self.info
        if self.url == "auto":
            self.url = find_data_port()
            self.device = f"PPK2 ({self.url})"
        try:
            port = self._open_port(self.url, self.baud)
        except (SerialException, OSError, ValueError) as exc:
            raise DeviceConnectionError(
                f"{self.device}: cannot open the port ({exc}); check the port name ('tinyjoule "
                "devices' lists a PPK2 as 1915:c00a; of its two ports use the data port, whose "
                f"location ends in 1, or --monitor ppk2:auto), {_CHECK}"
            ) from exc
        self._link = SerialLink(port, self.device, lost=_LOST, transcript=self._transcript)
        self.discarded_reply_bytes = 0
        try:
            self._link.reset_input()
            self._write(protocol.STOP, "stop")  # a stream left running by an earlier run
            stale = self._drain()
            meta = self._metadata()
            self.calibration = protocol.calibration_from_metadata(
                meta, self.device, self.calibration_overrides
            )
        except BaseException:
            self._close_port()
            raise
        self.info = MonitorInfo(
            kind="ppk2",
            port=self.url,
            firmware_version="unknown",  # the PPK2 does not report it
            serial_number=self._serial_number(),
            powers_target=meta.get("MODE") == str(protocol.SOURCE_MODE),
            extra={
                "metadata": meta,
                "calibration_defaults": list(self.calibration.defaulted),
                "stale_bytes_flushed": stale,
                "reply_bytes_discarded": self.discarded_reply_bytes,
            },
        )
        return self.info

    def configure(self, config: MonitorConfig) -> None:
        self._require_open("configure")
        if self._streaming:
            raise ConfigurationError(
                f"{self.device}: configure() during an acquisition; call stop() first"
            )
        millivolts = self._check(config)
        self._write(protocol.dut_power_command(False), "DUT power off")
        self._write(protocol.mode_command(config.stream_format), f"{config.stream_format} mode")
        self._write(protocol.source_voltage_command(millivolts), f"voltage {millivolts} mV")
        self.config = config
        self.configured = True
        if self.info is not None:
            self.info = dataclasses.replace(
                self.info, powers_target=config.stream_format == "source"
            )

    def power(self, on: bool) -> None:
        self._require_open("power")
        if on and not self.configured:
            raise ConfigurationError(
                f"{self.device}: power(True) before configure(); configure first so the "
                "source voltage is set before the DUT is switched on"
            )
        self._write(protocol.dut_power_command(on), f"DUT power {'on' if on else 'off'}")

    def start(self) -> None:
        self._require_open("start")
        if self._streaming:
            raise MeasurementError(
                f"{self.device}: start() while an acquisition is running; call stop() first"
            )
        if not self.configured or self.calibration is None:
            raise ConfigurationError(f"{self.device}: start() before configure(); configure first")
        config = self.config
        table = protocol.current_table(self.calibration, round(config.voltage_v * 1000))
        self.decoder = Ppk2Decoder(
            table,
            event_channel=0 if config.event_channel is None else config.event_channel,
            event_edge=config.event_edge,
            spike_filter=self.spike_filter,
            device=self.device,
        )
        self._pending = []
        self._failure = None
        self._drain(limit_s=self.quiet_s)
        self._write(protocol.START, "start")
        self._streaming = True

    def read(self, timeout_s: float) -> list[StreamItem]:
        link = self._require_open("read")
        if self._failure is not None:
            raise self._failure
        reads = link.chunks(time.monotonic() + timeout_s, stream=True)
        while not self._pending and self._streaming:
            data = next(reads, None)
            if data is None:
                break
            self._ingest(data)
        items, self._pending = self._pending, []
        return items

    def stop(self) -> list[StreamItem]:
        self._require_open("stop")
        if not self._streaming:
            items, self._pending = self._pending, []
            return items
        self._write(protocol.STOP, "stop")
        self._streaming = False
        if self.decoder is None:  # the stream failed: drop the rest
            self._failure = None
            self._drain()
            return []
        link = self._require_open("stop")
        deadline = time.monotonic() + self.stop_timeout_s
        while True:  # until quiet for quiet_s; the deadline is checked after every chunk
            data = link.read_some(min(deadline, time.monotonic() + self.quiet_s), stream=True)
            if not data:
                break
            self._ingest(data)
            if time.monotonic() >= deadline:
                raise ResponseTimeout(
                    f"{self.device}: still streaming {self.stop_timeout_s} s after 'stop' "
                    f"(0x07); {_CHECK}, then unplug and replug the PPK2"
                )
        self._ingest(b"", final=True)
        items, self._pending = self._pending, []
        return items

    def close(self) -> None:
        """Stop, switch the DUT off and close the port (never raises)."""
        if self._link is None:
            return
        try:
            self._write(protocol.STOP, "stop")
            self._streaming = False
            self._write(protocol.dut_power_command(False), "DUT power off")
        except Exception:  # close() never raises: the port is released whatever happened
            pass
        finally:
            self._close_port()

    # -- helpers ----------------------------------------------------------------------------
    def _check(self, config: MonitorConfig) -> int:
        """The source voltage in mV, or ConfigurationError naming what cannot work."""
        if config.output != "current":
            raise ConfigurationError(
                f"{self.device}: output {config.output!r} is not available; the PPK2 streams "
                "current only (tinyjoule integrates it to energy): set output='current'"
            )
        if config.sample_rate_hz != protocol.SAMPLE_RATE_HZ:
            raise ConfigurationError(
                f"{self.device}: sample rate {config.sample_rate_hz:g} Hz is not available; the "
                "PPK2 samples at a fixed 100 kS/s (lower rates in the nRF app are averages "
                "taken on the host): set sample_rate_hz=100000"
            )
        if config.stream_format not in protocol.MODES:
            raise ConfigurationError(
                f"{self.device}: mode {config.stream_format!r} is unknown; set stream_format to "
                "'source' (the PPK2 powers the DUT) or 'ampere' (an external supply does)"
            )
        millivolts = round(config.voltage_v * 1000)
        if not protocol.MIN_VOLTAGE_MV <= millivolts <= protocol.MAX_VOLTAGE_MV:
            raise ConfigurationError(
                f"{self.device}: voltage {config.voltage_v} V is outside the PPK2's "
                f"{protocol.MIN_VOLTAGE_MV / 1000}-{protocol.MAX_VOLTAGE_MV / 1000} V; set "
                "voltage_v within that range"
            )
        if config.event_channel is not None and not 0 <= config.event_channel <= 7:
            raise ConfigurationError(
                f"{self.device}: event_channel {config.event_channel} does not exist; the "
                "timestamp pin goes to a logic input D0-D7: set event_channel to 0-7"
            )
        if config.event_edge not in ("falling", "rising"):
            raise ConfigurationError(
                f"{self.device}: event_edge {config.event_edge!r} is unknown; use 'falling' "
                "(MLPerf Tiny) or 'rising'"
            )
        return millivolts

    def _metadata(self) -> dict[str, str]:
        """Send ``get metadata`` and parse the reply up to ``END`` (of at most
        ``MAX_REPLY_BYTES``, the newest: stream bytes before it are dropped)."""
        self._write(protocol.GET_METADATA, "get metadata")
        link = self._require_open("read")
        reply = ReplyBuffer()
        try:
            for data in link.chunks(time.monotonic() + self.reply_timeout_s):
                reply.add(data)
                if protocol.metadata_complete(bytes(reply.data)):
                    return protocol.parse_metadata(bytes(reply.data))
        finally:
            self.discarded_reply_bytes += reply.discarded
        raise ResponseTimeout(self._no_metadata(bytes(reply.data), reply.discarded))

    def _no_metadata(self, reply: bytes, discarded: int = 0) -> str:
        if b"uart:~$" in reply:
            return (
                f"{self.device}: this is the PPK2's debug-shell port (it answered with a "
                "'uart:~$' prompt), not its data port; use the other port, whose USB location "
                "ends in 1, or --monitor ppk2:auto"
            )
        if discarded:
            return (
                f"{self.device}: no metadata ('... END') within {self.reply_timeout_s} s after "
                f"'get metadata' (0x19), although it kept sending ({discarded + len(reply)} "
                "bytes without a metadata block): it is probably still streaming and ignoring "
                "'stop' (0x07); unplug and replug the PPK2 (or switch it off and on), then open "
                "it again"
            )
        said = f"it sent {reply[:60]!r}" if reply else "it sent nothing"
        return (
            f"{self.device}: no metadata ('... END') within {self.reply_timeout_s} s after "
            f"'get metadata' (0x19); {said}. Check that this is the PPK2's data port (of its "
            "two ports, the one whose USB location ends in 1, or use --monitor ppk2:auto), that "
            f"the PPK2 is switched on, and {_CHECK}"
        )

    def _serial_number(self) -> str | None:
        if "://" in self.url:
            return None
        with contextlib.suppress(Exception):
            from serial.tools import list_ports

            for port in list_ports.comports():
                if port.device == self.url:
                    return port.serial_number
        return None

    def _require_open(self, what: str) -> SerialLink:
        return require_open(self._link, self.device, what)

    def _write(self, data: bytes, what: str) -> None:
        self._require_open("write").write(data, f"{what!r} ({data.hex(' ')})")

    def _ingest(self, data: bytes, final: bool = False) -> None:
        assert self.decoder is not None
        try:
            items = self.decoder.flush() if final else self.decoder.feed(data)
        except MeasurementError as exc:
            self._failure = exc
            self.decoder = None
            raise
        self._pending.extend(items)

    def _drain(self, limit_s: float | None = None) -> int:
        """Read and drop everything until the port is quiet for ``quiet_s`` (at most
        ``limit_s``, default ``DRAIN_LIMIT_S``); the number of bytes dropped."""
        limit = DRAIN_LIMIT_S if limit_s is None else limit_s
        return self._require_open("read").drain(limit, self.quiet_s, stream=True)

    def _close_port(self) -> None:
        link, self._link = self._link, None
        self.decoder = None
        self._streaming = False
        self.info = None
        self.configured = False
        if link is not None:
            link.close()
