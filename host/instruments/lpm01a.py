"""Driver for the ST X-NUCLEO-LPM01A (PowerShield) energy monitor over a pyserial port.

Opens the port by URL (real ports, ``socket://``, ``sim://``), flushes and stops whatever
the board was streaming, takes host control and configures it the MLCommons way (spec 1.4,
6.1): endless dynamic acquisition, software trigger, D7 edges logged as events. The stream
is decoded by ``lpm01a_ascii`` / ``lpm01a_binary``; their text lines feed the reply matcher,
so acknowledgements are found even among stream data. Every wait has a timeout, checked
after every chunk too, so a board that keeps streaming cannot hold a wait (``serial_port``).
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Iterator

from serial import SerialException

from tinyjoule.errors import (
    ConfigurationError,
    DeviceConnectionError,
    MeasurementError,
    ResponseTimeout,
)
from tinyjoule.firmware_protocol import lpm01a_commands as commands
from tinyjoule.host.instruments.base import EnergyMonitor, MonitorConfig, MonitorInfo
from tinyjoule.host.instruments.lpm01a_ascii import AsciiDecoder
from tinyjoule.host.instruments.lpm01a_binary import BinHexaDecoder
from tinyjoule.host.instruments.serial_link import (
    MAX_REPLY_BYTES,
    PortOpener,
    SerialLink,
    open_serial_url,
    require_open,
)
from tinyjoule.host.measurement.stream import StreamItem
from tinyjoule.host.transcript import Transcript

DRAIN_LIMIT_S = 2.0
ACCURACY_RELATIVE = 0.02
"""Dynamic mode, ~2 % (UM2243, spec 1.7)."""
KEPT_SENDING_BYTES = 1024
"""Bytes without the awaited reply after which a timeout blames a stream, not silence."""
EVENTS_MIN_FIRMWARE = (1, 0, 6)
LCD_TEXT = "tinyjoule"
_CHECK = "check the USB cable and power, and close other programs using the port"
_LOST = f"the monitor was unplugged or powered down: {_CHECK}"
_END = "the end of acquisition"
_STREAM_LINE = re.compile(r"\d{4}[+-]\d{2}|TimeStamp|event ")


def firmware_tuple(version: str) -> tuple[int, ...] | None:
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", version)
    return tuple(int(g) for g in match.groups()) if match else None


class Lpm01a(EnergyMonitor):
    """One LPM01A; ``open`` → ``configure`` → ``power(True)`` → ``start`` → ``read``… → ``stop``."""

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
        self.url = url
        self.baud = baud
        self.device = f"LPM01A ({url})"
        self.reply_timeout_s = reply_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.quiet_s = quiet_s
        self.config = MonitorConfig()
        self.info: MonitorInfo | None = None
        self._open_port = open_port
        self._transcript = transcript
        self._link: SerialLink | None = None
        self.discarded_reply_bytes = 0
        """Bytes dropped from over-long text lines (not replies: a stream or garbage)."""
        self._lines: deque[str] = deque(maxlen=256)
        self._idle_tail = b""
        self._decoder: AsciiDecoder | BinHexaDecoder | None = None
        self._pending: list[StreamItem] = []
        self._streaming = False  # started and not yet seen to end
        self._failure: MeasurementError | None = None

    @property
    def accuracy_relative(self) -> float:
        return ACCURACY_RELATIVE

    @property
    def garbage_bytes(self) -> int:
        """Bytes of the current stream that were neither data nor text."""
        return self._decoder.garbage_bytes if self._decoder is not None else 0

    # -- EnergyMonitor ----------------------------------------------------------------------
    def open(self) -> MonitorInfo:
        if self._link is not None and self.info is not None:
            return self.info
        try:
            port = self._open_port(self.url, self.baud)
        except (SerialException, OSError, ValueError) as exc:
            raise DeviceConnectionError(
                f"{self.device}: cannot open the port ({exc}); check the port name, {_CHECK}"
            ) from exc
        self._link = SerialLink(port, self.device, lost=_LOST, transcript=self._transcript)
        self.discarded_reply_bytes = 0
        try:
            self._link.reset_input()
            self._write("stop")  # the classic failure: a stream left running by an earlier run
            stale = self._drain()
            self._command("htc")
            board_id = self._query("powershield").replace("PowerShield present", "").strip()
            version = self._query("version")
            status = self._query("status")
        except BaseException:
            self._close_port()
            raise
        self.info = MonitorInfo(
            kind="lpm01a",
            port=self.url,
            firmware_version=version or "unknown",
            serial_number=board_id or None,
            powers_target=True,
            extra={
                "status": status,
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
            self._command(command)
        self.config = config

    def power(self, on: bool) -> None:
        self._require_open("power")
        self._command("pwr on nostatus" if on else "pwr off")

    def start(self) -> None:
        self._require_open("start")
        if self._streaming:
            raise MeasurementError(
                f"{self.device}: start() while an acquisition is running; call stop() first"
            )
        decoder_class = AsciiDecoder if self.config.stream_format == "ascii_dec" else BinHexaDecoder
        unit = "A" if self.config.output == "current" else "J"
        self._pending = []
        self._failure = None
        self._decoder = decoder_class(
            self.config.sample_rate_hz,
            unit,
            device=self.device,
            on_text=self._lines.append,
            await_start_ack=True,
        )
        try:
            self._command("start")
        except BaseException:
            self._decoder = None
            raise
        self._streaming = True

    def read(self, timeout_s: float) -> list[StreamItem]:
        self._require_open("read")
        if self._failure is not None:
            raise self._failure
        reads = self._link_chunks(time.monotonic() + timeout_s)
        while not self._pending and self._streaming and self._decoder is not None:
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
        self._write("stop")
        if self._decoder is None:  # the stream failed: its end cannot be recognised, drain it
            self._streaming = False
            self._failure = None
            self._drain()
            return []
        received = self._require_open("stop").bytes_read
        reads = self._link_chunks(time.monotonic() + self.stop_timeout_s)
        while not self._decoder.ended:
            data = next(reads, None)
            if data is None:
                self._streaming = False
                self._decoder = None
                raise ResponseTimeout(
                    f"{self.device}: no end of acquisition ('Acquisition completed' or the "
                    f"0xF4 end frame) within {self.stop_timeout_s} s after 'stop'"
                    f"{self._still_sending(received, _END)}"
                )
            self._ingest(data)
        self._streaming = False
        items, self._pending = self._pending, []
        return items

    def close(self) -> None:
        """Stop, power the target off and release host control (``hrc``). The target is
        switched off explicitly because ``pwrend on`` (the default) would leave it powered."""
        if self._link is None:
            return
        try:
            if self._streaming:
                self._streaming = False
                self._decoder = None
                self._write("stop")
                self._drain()
            self._command("pwr off", timeout_s=min(self.reply_timeout_s, 1.0))
            self._command("hrc", timeout_s=min(self.reply_timeout_s, 1.0))
        except Exception:  # close() never raises: the port is released whatever happened
            pass
        finally:
            self._close_port()

    # -- commands -----------------------------------------------------------------------------
    def _command(self, command: str, timeout_s: float | None = None) -> str:
        """Send ``command``; the value after its ``ack`` echo, or ProtocolError/ResponseTimeout."""
        self._lines.clear()
        self._write(command)
        word = command.partition(" ")[0]
        wait_s = self.reply_timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + wait_s
        received = self._require_open("read").bytes_read
        reads = self._link_chunks(deadline)
        while True:
            while self._lines:
                reply = commands.parse_reply(self._lines.popleft())
                if reply is None or reply.command != word:
                    continue
                if reply.kind == "ack":
                    return reply.value(command)
                raise commands.refusal(self.device, command, reply, self._error_detail(deadline))
            data = next(reads, None)
            if data is None:
                raise ResponseTimeout(
                    f"{self.device}: no reply to {command!r} within {wait_s} s"
                    f"{self._still_sending(received)}"
                )
            self._ingest(data)

    def _still_sending(self, received: int, awaited: str = "the reply") -> str:
        """The end of a timeout message: the usual checks after silence or a few stray
        bytes, or what a board that kept sending (``bytes_read`` was ``received`` when the
        wait began) needs."""
        link = self._link
        more = 0 if link is None else link.bytes_read - received
        if not more:
            return f"; {_CHECK}"
        if more < KEPT_SENDING_BYTES:
            return f"; it sent {more} bytes without {awaited}: {_CHECK}"
        if awaited == _END:  # the stream was being decoded: it is the stream
            cause = "it is still streaming and ignored 'stop'"
        else:
            cause = (
                "it is probably still streaming and ignoring 'stop', or the baud rate is "
                f"wrong (the LPM01A uses {commands.DEFAULT_BAUD})"
            )
        return (
            f" although it kept sending ({more} bytes without {awaited}): {cause}; "
            "unplug and replug the LPM01A, then open it again"
        )

    def _query(self, command: str) -> str:
        """A query's value: on its ack line, or else on the next text line [unverified which]."""
        value = self._command(command)
        if value:
            return value
        reads = self._link_chunks(time.monotonic() + min(self.reply_timeout_s, 0.5))
        while True:
            while self._lines:
                line = self._lines.popleft()
                if commands.parse_reply(line) is None and not _STREAM_LINE.match(line):
                    return line
            data = next(reads, None)
            if data is None:
                return ""
            self._ingest(data)

    def _error_detail(self, deadline: float) -> str | None:
        """The ``Error detail:`` line that follows an ``error`` reply, if it comes in time."""
        reads = self._link_chunks(min(deadline, time.monotonic() + 0.5))
        while True:
            while self._lines:
                reply = commands.parse_reply(self._lines.popleft())
                if reply is not None and reply.kind == "detail":
                    return reply.text
            data = next(reads, None)
            if data is None:
                return None
            self._ingest(data)

    def _check_firmware(self) -> None:
        version = firmware_tuple(self.info.firmware_version) if self.info else None
        if version is not None and version < EVENTS_MIN_FIRMWARE:
            raise ConfigurationError(
                f"{self.device}: firmware {self.info.firmware_version} is older than 1.0.6, "
                "which 'eventsrc d7' (timestamp events) and 'pwr off' need; update the LPM01A "
                "firmware (STM32-LPM01-XN) with STM32CubeProgrammer"
            )

    # -- bytes ------------------------------------------------------------------------------
    def _require_open(self, what: str) -> SerialLink:
        return require_open(self._link, self.device, what)

    def _write(self, command: str) -> None:
        self._require_open("write").write(commands.encode(command), repr(command))

    def _link_chunks(self, deadline: float) -> Iterator[bytes]:
        """Chunks until ``deadline``, which is checked after every chunk too."""
        return self._require_open("read").chunks(deadline)

    def _ingest(self, data: bytes) -> None:
        """Route bytes: to the stream decoder while there is one, else split into text lines."""
        if self._decoder is None:
            self._idle_lines(data)
            return
        try:
            self._pending.extend(self._decoder.feed(data))
        except MeasurementError as exc:
            self._decoder = None
            self._failure = exc
            raise

    def _idle_lines(self, data: bytes) -> None:
        """Text segments for the reply matcher; stream lines (a board still streaming) are
        dropped here, so they cannot push a reply out of ``_lines``. Lines and the partial
        last line keep at most ``MAX_REPLY_BYTES`` (the newest)."""
        buf = self._idle_tail + data
        *lines, tail = buf.split(b"\n")
        self._idle_tail = self._capped(tail)
        for line in lines:
            segments = commands.text_segments(self._capped(line))
            self._lines.extend(s for s in segments if not _STREAM_LINE.match(s))

    def _capped(self, text: bytes) -> bytes:
        excess = len(text) - MAX_REPLY_BYTES
        if excess <= 0:
            return text
        self.discarded_reply_bytes += excess
        return text[excess:]

    def _drain(self) -> int:
        """Read and drop everything until the port is quiet for ``quiet_s`` (or ``DRAIN_LIMIT_S``
        passed: a board that keeps streaming is handled by the reply matcher)."""
        dropped = self._require_open("read").drain(DRAIN_LIMIT_S, self.quiet_s)
        self._lines.clear()
        self._idle_tail = b""
        return dropped

    def _close_port(self) -> None:
        link, self._link = self._link, None
        self._decoder = None
        self._streaming = False
        self.info = None
        if link is not None:
            link.close()
