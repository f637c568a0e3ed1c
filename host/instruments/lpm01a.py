"""Driver for the ST X-NUCLEO-LPM01A (PowerShield) energy monitor over a pyserial port.

Opens the port by URL (real ports, ``socket://``, a simulated bench's ``sim://``), flushes
and stops whatever the board was streaming, takes host control and configures it the
MLCommons way (spec 1.4, 6.1): endless dynamic acquisition, software trigger, D7 edges
logged as events. Commands and replies go through ``lpm01a_console``; the stream is decoded
by ``lpm01a_ascii`` / ``lpm01a_binary``.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from serial import SerialException

from tinyjoule.errors import (
    ConfigurationError,
    DeviceConnectionError,
    MeasurementError,
    ProtocolError,
    ResponseTimeout,
)
from tinyjoule.firmware_protocol import lpm01a_commands as commands
from tinyjoule.host.instruments.base import MonitorConfig, MonitorInfo
from tinyjoule.host.instruments.facts import MonitorFacts
from tinyjoule.host.instruments.lpm01a_ascii import AsciiDecoder
from tinyjoule.host.instruments.lpm01a_binary import BinHexaDecoder
from tinyjoule.host.instruments.lpm01a_console import (
    CHECK,
    END_OF_ACQUISITION,
    PowerShieldConsole,
)
from tinyjoule.host.instruments.serial_link import SerialLink
from tinyjoule.host.instruments.streaming import StreamingMonitor
from tinyjoule.host.ports import PortOpener, open_serial_url
from tinyjoule.host.transcript import Transcript

EVENTS_MIN_FIRMWARE = (1, 0, 6)
LCD_TEXT = "tinyjoule"
_LOST = f"the monitor was unplugged or powered down: {CHECK}"


def firmware_tuple(version: str) -> tuple[int, ...] | None:
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", version)
    return tuple(int(g) for g in match.groups()) if match else None


class Lpm01a(StreamingMonitor):
    """One LPM01A; ``open`` → ``configure`` → ``power(True)`` → ``start`` → ``read``… → ``stop``."""

    facts = MonitorFacts(
        kind="lpm01a",
        title="ST X-NUCLEO-LPM01A (PowerShield)",
        sample_rate_hz=1000.0,  # as the MLCommons runner sets it
        output="energy",
        stream_format="ascii_dec",
        event_edge="falling",
        powers_target=True,
        accuracy_relative=0.02,
        accuracy_source="UM2243, dynamic mode: about 2 % (spec 1.7)",
        usb_ids={(0x0483, 0x5740): "ST X-NUCLEO-LPM01A PowerShield (energy monitor)"},
        stream_formats=commands.STREAM_FORMATS,
        simulator="tinyjoule.host.sim.monitors.lpm01a:SimulatedLpm01a",
        # D7 is an edge-triggered input; the EEMBC runner asks DUTs for pulses of >= 1 µs
        shortest_event_pulse_s=1e-6,
        resolution={"ascii_dec": "digits:4", "bin_hexa": "hex:12"},  # spec 1.5
        current_range_a=(100e-9, 50e-3),  # dynamic mode, UM2243 (spec 1.7)
        calibration_settings={
            "sample_rate_hz": 100_000.0,
            "output": "current",
            "stream_format": "bin_hexa",
        },
    )

    def __init__(
        self,
        url: str,
        baud: int = commands.DEFAULT_BAUD,
        *,
        reply_timeout_s: float = 2.0,
        stop_timeout_s: float = 3.0,
        quiet_s: float = 0.1,
        open_port: PortOpener = open_serial_url,
        transcript: Transcript | None = None,
    ) -> None:
        super().__init__(f"LPM01A ({url})")
        self.url = url
        self.baud = baud
        self.reply_timeout_s = reply_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.quiet_s = quiet_s
        self._open_port = open_port
        self._transcript = transcript
        self._console: PowerShieldConsole | None = None
        self._discarded_before = 0  # reply bytes dropped by consoles already closed

    @property
    def garbage_bytes(self) -> int:
        """Bytes of the current stream that were neither data nor text."""
        decoder = self._console.decoder if self._console is not None else None
        return decoder.garbage_bytes if decoder is not None else 0

    @property
    def discarded_reply_bytes(self) -> int:
        """Bytes dropped from over-long text lines (not replies: a stream or garbage)."""
        live = self._console.discarded_reply_bytes if self._console is not None else 0
        return self._discarded_before + live

    # -- StreamingMonitor ---------------------------------------------------------------
    def _is_open(self) -> bool:
        return self._console is not None

    def _connect(self) -> MonitorInfo:
        try:
            port = self._open_port(self.url, self.baud)
        except (SerialException, OSError, ValueError) as exc:
            raise DeviceConnectionError(
                f"{self.device}: cannot open the port ({exc}); check the port name, {CHECK}"
            ) from exc
        link = SerialLink(port, self.device, lost=_LOST, transcript=self._transcript)
        self.clock = link.clock
        console = self._console = PowerShieldConsole(link, self.reply_timeout_s, self.quiet_s)
        link.reset_input()
        console.write("stop")  # the classic failure: a stream left running by an earlier run
        stale = console.drain()
        console.command("htc")
        board_id = console.query("powershield").replace("PowerShield present", "").strip()
        version = console.query("version")
        status = console.query("status")
        return MonitorInfo(
            kind=self.facts.kind,
            port=self.url,
            firmware_version=version or "unknown",
            serial_number=board_id or None,
            powers_target=True,
            extra={
                "status": status,
                "stale_bytes_flushed": stale,
                "reply_bytes_discarded": console.discarded_reply_bytes,
            },
        )

    def _apply(self, config: MonitorConfig) -> None:
        volt = commands.format_volt(config.voltage_v, self.device)
        commands.check_rate(config.stream_format, config.output, config.sample_rate_hz, self.device)
        freq = commands.format_freq(config.sample_rate_hz, self.device)
        if config.event_edge not in ("falling", "rising"):
            raise ConfigurationError(
                f"{self.device}: event_edge {config.event_edge!r} is unknown; "
                "use 'falling' (MLPerf Tiny) or 'rising'"
            )
        self._check_firmware()
        edge = "fal" if config.event_edge == "falling" else "ris"
        for command in (
            f'lcd 1 "{LCD_TEXT}"',
            "pwr off",
            "acqtime inf",
            "acqmode dyn",
            "trigdelay 0",
            "trigsrc sw",
            f"eventsrc d7 {edge}",
            f"output {config.output}",
            f"format {config.stream_format}",
            f"freq {freq}",
            f"volt {volt}",
        ):
            self._console_open().command(command)

    def _switch_power(self, on: bool) -> None:
        self._console_open().command("pwr on nostatus" if on else "pwr off")

    def self_calibrate(self) -> dict[str, Any]:
        """The PowerShield recalibrates when ``volt`` is set (``configure`` did) and on
        ``calib`` (spec 1.3: after more than 5 °C of drift); run ``calib`` and note the
        board's temperature, so a later record can tell the drift."""
        console = self._console_open()
        volt = commands.format_volt(self.config.voltage_v, self.device)
        reply = console.command("calib", timeout_s=max(self.reply_timeout_s, 10.0))
        temperature: float | None = None
        with contextlib.suppress(ProtocolError, ValueError):
            temperature = float(console.query("temp degc").split()[0])
        return {
            "command": "calib",
            "note": f"'volt {volt}' (set by configure) and 'calib' both recalibrate the LPM01A",
            "reply": reply or "ack",
            "temperature_c": temperature,
        }

    def _begin_stream(self) -> None:
        console = self._console_open()
        decoder_class = AsciiDecoder if self.config.stream_format == "ascii_dec" else BinHexaDecoder
        console.decoder = decoder_class(
            self.config.sample_rate_hz,
            "A" if self.config.output == "current" else "J",
            device=self.device,
            on_text=console.lines.append,
            await_start_ack=True,
        )
        console.take_items()
        try:
            console.command("start")
        except BaseException:
            console.decoder = None
            raise

    def _read_stream(self, deadline: float) -> None:
        console = self._console_open()
        self._emit(console.take_items())
        reads = console.chunks(deadline, stream=True)
        while not self._pending and console.decoder is not None:
            data = next(reads, None)
            if data is None:
                break
            self._ingest(console, data)

    def _end_stream(self, failed: bool) -> None:
        console = self._console_open()
        console.write("stop")
        decoder = console.decoder
        if failed or decoder is None:  # the stream failed: its end cannot be recognised
            console.decoder = None
            console.take_items()
            console.drain()
            return
        self._emit(console.take_items())
        received = console.link.bytes_read
        reads = console.chunks(self.clock.now() + self.stop_timeout_s)
        while not decoder.ended:
            data = next(reads, None)
            if data is None:
                console.decoder = None
                raise ResponseTimeout(
                    f"{self.device}: no end of acquisition ('Acquisition completed' or the "
                    f"0xF4 end frame) within {self.stop_timeout_s} s after 'stop'"
                    f"{console.still_sending(received, END_OF_ACQUISITION)}"
                )
            self._ingest(console, data)
        console.decoder = None

    def _release(self) -> None:
        """Stop, power the target off and release host control (``hrc``). The target is
        switched off explicitly because ``pwrend on`` (the default) would leave it powered."""
        console = self._console_open()
        if self.streaming or console.decoder is not None:
            console.decoder = None
            console.write("stop")
            console.drain()
        console.command("pwr off", timeout_s=min(self.reply_timeout_s, 1.0))
        console.command("hrc", timeout_s=min(self.reply_timeout_s, 1.0))

    def _disconnect(self) -> None:
        console, self._console = self._console, None
        if console is not None:
            self._discarded_before += console.discarded_reply_bytes
            console.decoder = None
            console.link.close()

    # -- helpers --------------------------------------------------------------------------
    def _console_open(self) -> PowerShieldConsole:
        self._require_open("use")
        assert self._console is not None
        return self._console

    def _ingest(self, console: PowerShieldConsole, data: bytes) -> None:
        try:
            console.ingest(data)
        except MeasurementError as exc:
            console.decoder = None
            raise self._stream_failed(exc) from None
        finally:
            self._emit(console.take_items())

    def _check_firmware(self) -> None:
        version = firmware_tuple(self.info.firmware_version) if self.info else None
        if version is not None and version < EVENTS_MIN_FIRMWARE:
            raise ConfigurationError(
                f"{self.device}: firmware {self.info.firmware_version} is older than 1.0.6, "
                "which 'eventsrc d7' (timestamp events) and 'pwr off' need; update the LPM01A "
                "firmware (STM32-LPM01-XN) with STM32CubeProgrammer"
            )
