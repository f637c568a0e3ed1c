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
from collections.abc import Mapping
from typing import Any

from serial import SerialException

from tinyjoule.errors import (
    ConfigurationError,
    DeviceConnectionError,
    MeasurementError,
    ResponseTimeout,
)
from tinyjoule.firmware_protocol import ppk2_protocol as protocol
from tinyjoule.host.instruments.base import MonitorConfig, MonitorInfo
from tinyjoule.host.instruments.facts import MonitorFacts
from tinyjoule.host.instruments.ppk2_decoder import Ppk2Decoder
from tinyjoule.host.instruments.ppk2_ports import USB_PID, USB_VID, find_data_port
from tinyjoule.host.instruments.serial_link import READ_CHUNK, ReplyBuffer, SerialLink
from tinyjoule.host.instruments.streaming import StreamingMonitor
from tinyjoule.host.ports import PortOpener, open_serial_url
from tinyjoule.host.transcript import Transcript

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


class Ppk2(StreamingMonitor):
    """One PPK2; ``open`` → ``configure`` → ``power(True)`` → ``start`` → ``read``… → ``stop``."""

    facts = MonitorFacts(
        kind="ppk2",
        title="Nordic Power Profiler Kit II",
        sample_rate_hz=protocol.SAMPLE_RATE_HZ,  # its only rate; the nRF app averages on the host
        output="current",
        stream_format="source",  # it powers the DUT; "ampere": an external supply does
        event_edge="falling",
        event_channel=0,
        powers_target=True,
        accuracy_relative=ACCURACY_RELATIVE,
        accuracy_source="no published figure; tinyjoule assumes 5 % [unverified]",
        usb_ids={(USB_VID, USB_PID): "Nordic Power Profiler Kit II (energy monitor)"},
        port_when_omitted="auto",
        stream_formats=tuple(protocol.MODES),
        outputs=("current",),
        simulator="tinyjoule.host.sim.monitors.ppk2:SimulatedPpk2",
        shortest_event_pulse_s=1 / protocol.SAMPLE_RATE_HZ,  # logic inputs sampled at 100 kHz
        # 14-bit codes in auto-ranged shunts: a step is at most about 1/2000 of a reading
        # [tinyjoule estimate from the range switch points]
        resolution={"source": "relative:0.0005", "ampere": "relative:0.0005"},
        current_range_a=(200e-9, 1.0),  # spec 3.5 [unverified]
        calibration_settings={"output": "current"},
    )

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
        super().__init__(f"PPK2 ({url})")
        self.url = url
        self.baud = baud
        self.reply_timeout_s = reply_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.quiet_s = quiet_s
        self.calibration_overrides = dict(calibration_overrides or {})
        self.spike_filter = spike_filter
        self.configured = False
        self.calibration: protocol.Calibration | None = None
        self.decoder: Ppk2Decoder | None = None
        self._open_port = open_port
        self._transcript = transcript
        self._link: SerialLink | None = None
        self.discarded_reply_bytes = 0
        """Bytes dropped from an over-long metadata reply (a stream or garbage before it)."""

    # -- StreamingMonitor ---------------------------------------------------------------
    def _is_open(self) -> bool:
        return self._link is not None

    def _connect(self) -> MonitorInfo:
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
        self.clock = self._link.clock
        self.discarded_reply_bytes = 0
        self._link.reset_input()
        self._write(protocol.STOP, "stop")  # a stream left running by an earlier run
        stale = self._drain()
        meta = self._metadata()
        self.calibration = protocol.calibration_from_metadata(
            meta, self.device, self.calibration_overrides
        )
        return MonitorInfo(
            kind=self.facts.kind,
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

    def _apply(self, config: MonitorConfig) -> None:
        millivolts = self._check(config)
        self._write(protocol.dut_power_command(False), "DUT power off")
        self._write(protocol.mode_command(config.stream_format), f"{config.stream_format} mode")
        self._write(protocol.source_voltage_command(millivolts), f"voltage {millivolts} mV")
        self.configured = True
        if self.info is not None:
            self.info = dataclasses.replace(
                self.info, powers_target=config.stream_format == "source"
            )

    def self_calibrate(self) -> dict[str, Any]:
        """The PPK2 has no calibration command: it carries its factory calibration in its
        metadata, which ``open`` read; say which values it used (and which took defaults)."""
        cal = self.calibration
        return {
            "command": None,
            "note": "no self-calibration command; the metadata's factory calibration is used",
            "metadata_calibration": None if cal is None else cal.as_metadata(),
            "defaulted": [] if cal is None else list(cal.defaulted),
        }

    def _switch_power(self, on: bool) -> None:
        if on and not self.configured:
            raise ConfigurationError(
                f"{self.device}: power(True) before configure(); configure first so the "
                "source voltage is set before the DUT is switched on"
            )
        self._write(protocol.dut_power_command(on), f"DUT power {'on' if on else 'off'}")

    def _begin_stream(self) -> None:
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
        self._drain(limit_s=self.quiet_s)
        self._write(protocol.START, "start")

    def _read_stream(self, deadline: float) -> None:
        reads = self._link_open().chunks(deadline, stream=True)
        while not self._pending and self.decoder is not None:
            data = next(reads, None)
            if data is None:
                break
            self._ingest(data)

    def _end_stream(self, failed: bool) -> None:
        self._write(protocol.STOP, "stop")
        if failed or self.decoder is None:  # the stream failed: drop the rest
            self.decoder = None
            self._drain()
            return
        link = self._link_open()
        deadline = self.clock.now() + self.stop_timeout_s
        while True:  # until quiet for quiet_s; the deadline is checked after every chunk
            data = link.read_some(min(deadline, self.clock.now() + self.quiet_s), stream=True)
            if not data:
                break
            self._ingest(data)
            if self.clock.now() >= deadline:
                raise ResponseTimeout(
                    f"{self.device}: still streaming {self.stop_timeout_s} s after 'stop' "
                    f"(0x07); {_CHECK}, then unplug and replug the PPK2"
                )
        self._ingest(b"", final=True)

    def _release(self) -> None:
        """Stop and switch the DUT off."""
        self._write(protocol.STOP, "stop")
        self._write(protocol.dut_power_command(False), "DUT power off")

    def _disconnect(self) -> None:
        link, self._link = self._link, None
        self.decoder = None
        self.configured = False
        if link is not None:
            link.close()

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
        link = self._link_open()
        reply = ReplyBuffer()
        try:
            for data in link.chunks(self.clock.now() + self.reply_timeout_s):
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

    def _link_open(self) -> SerialLink:
        self._require_open("use")
        assert self._link is not None
        return self._link

    def _write(self, data: bytes, what: str) -> None:
        self._link_open().write(data, f"{what!r} ({data.hex(' ')})")

    def _ingest(self, data: bytes, final: bool = False) -> None:
        assert self.decoder is not None
        try:
            items = self.decoder.flush() if final else self.decoder.feed(data)
        except MeasurementError as exc:
            self.decoder = None
            raise self._stream_failed(exc) from None
        self._emit(items)

    def _drain(self, limit_s: float | None = None) -> int:
        """Read and drop everything until the port is quiet for ``quiet_s`` (at most
        ``limit_s``, default ``DRAIN_LIMIT_S``); the number of bytes dropped."""
        limit = DRAIN_LIMIT_S if limit_s is None else limit_s
        return self._link_open().drain(limit, self.quiet_s, stream=True)
