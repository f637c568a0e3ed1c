"""The LPM01A's command line: commands, their ``ack``/``error`` replies, and the stream in
between.

Bytes read from the port go to the stream decoder while there is one (its text lines come
back through ``on_text``) and are split into text lines otherwise, so acknowledgements are
found even among stream data. Every wait has a deadline on the port's clock, checked after
every chunk too, so a board that keeps streaming cannot hold a wait (``serial_link``); a
timeout says whether the board was silent or kept sending.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from typing import Protocol

from tinyjoule.device_text import LineBuffer
from tinyjoule.errors import ResponseTimeout
from tinyjoule.firmware_protocol import lpm01a_commands as commands
from tinyjoule.host.instruments.serial_link import MAX_REPLY_BYTES, SerialLink
from tinyjoule.host.measurement.stream import StreamItem

DRAIN_LIMIT_S = 2.0
KEPT_SENDING_BYTES = 1024
"""Bytes without the awaited reply after which a timeout blames a stream, not silence."""
CHECK = "check the USB cable and power, and close other programs using the port"
END_OF_ACQUISITION = "the end of acquisition"
_STREAM_LINE = re.compile(r"\d{4}[+-]\d{2}|TimeStamp|event ")


class StreamDecoder(Protocol):
    garbage_bytes: int
    ended: bool

    def feed(self, data: bytes) -> list[StreamItem]: ...


class PowerShieldConsole:
    """Commands and replies over ``link``; ``decoder`` (when set) takes the stream bytes."""

    def __init__(self, link: SerialLink, reply_timeout_s: float, quiet_s: float) -> None:
        self.link = link
        self.device = link.device
        self.reply_timeout_s = reply_timeout_s
        self.quiet_s = quiet_s
        self.decoder: StreamDecoder | None = None
        self._idle = LineBuffer(MAX_REPLY_BYTES)
        self.lines: deque[str] = deque(maxlen=256)
        self.items: list[StreamItem] = []
        """Stream items decoded so far (also while waiting for a reply); ``take_items``."""

    @property
    def discarded_reply_bytes(self) -> int:
        """Bytes cut from over-long text lines (not replies: a stream or garbage)."""
        return self._idle.cut_bytes

    # -- commands -----------------------------------------------------------------------
    def write(self, command: str) -> None:
        self.link.write(commands.encode(command), repr(command))

    def command(self, command: str, timeout_s: float | None = None) -> str:
        """Send ``command``; the value after its ``ack`` echo, or ProtocolError/ResponseTimeout."""
        self.lines.clear()
        self.write(command)
        word = command.partition(" ")[0]
        wait_s = self.reply_timeout_s if timeout_s is None else timeout_s
        deadline = self.link.clock.now() + wait_s
        received = self.link.bytes_read
        reads = self.chunks(deadline)
        while True:
            while self.lines:
                reply = commands.parse_reply(self.lines.popleft())
                if reply is None or reply.command != word:
                    continue
                if reply.kind == "ack":
                    return reply.value(command)
                raise commands.refusal(self.device, command, reply, self._error_detail(deadline))
            data = next(reads, None)
            if data is None:
                raise ResponseTimeout(
                    f"{self.device}: no reply to {command!r} within {wait_s} s"
                    f"{self.still_sending(received)}"
                )
            self.ingest(data)

    def query(self, command: str) -> str:
        """A query's value: on its ack line, or else on the next text line [unverified which]."""
        value = self.command(command)
        if value:
            return value
        reads = self.chunks(self.link.clock.now() + min(self.reply_timeout_s, 0.5))
        while True:
            while self.lines:
                line = self.lines.popleft()
                if commands.parse_reply(line) is None and not _STREAM_LINE.match(line):
                    return line
            data = next(reads, None)
            if data is None:
                return ""
            self.ingest(data)

    def still_sending(self, received: int, awaited: str = "the reply") -> str:
        """The end of a timeout message: the usual checks after silence or a few stray
        bytes, or what a board that kept sending (``bytes_read`` was ``received`` when the
        wait began) needs."""
        more = self.link.bytes_read - received
        if not more:
            return f"; {CHECK}"
        if more < KEPT_SENDING_BYTES:
            return f"; it sent {more} bytes without {awaited}: {CHECK}"
        if awaited == END_OF_ACQUISITION:  # the stream was being decoded: it is the stream
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

    def _error_detail(self, deadline: float) -> str | None:
        """The ``Error detail:`` line that follows an ``error`` reply, if it comes in time."""
        reads = self.chunks(min(deadline, self.link.clock.now() + 0.5))
        while True:
            while self.lines:
                reply = commands.parse_reply(self.lines.popleft())
                if reply is not None and reply.kind == "detail":
                    return reply.text
            data = next(reads, None)
            if data is None:
                return None
            self.ingest(data)

    # -- bytes --------------------------------------------------------------------------
    def chunks(self, deadline: float, *, stream: bool = False) -> Iterator[bytes]:
        """Chunks until ``deadline``, which is checked after every chunk too; ``stream``
        reads take what comes within the port's poll time (see ``serial_link``)."""
        return self.link.chunks(deadline, stream=stream)

    def ingest(self, data: bytes) -> None:
        """Route bytes: to the decoder while there is one (its items are kept in
        ``items``), else split into text lines. A decoder's MeasurementError propagates."""
        if self.decoder is None:
            self._idle_lines(data)
            return
        self.items.extend(self.decoder.feed(data))

    def take_items(self) -> list[StreamItem]:
        items, self.items = self.items, []
        return items

    def _idle_lines(self, data: bytes) -> None:
        """Text segments for the reply matcher; stream lines (a board still streaming) are
        dropped here, so they cannot push a reply out of ``lines``. A line keeps at most
        ``MAX_REPLY_BYTES``, its head and tail (``tinyjoule.device_text.LineBuffer``)."""
        for line in self._idle.feed(data):
            segments = commands.text_segments(line)
            self.lines.extend(s for s in segments if not _STREAM_LINE.match(s))

    def drain(self) -> int:
        """Read and drop everything until the port is quiet for ``quiet_s`` (or
        ``DRAIN_LIMIT_S`` passed: a board that keeps streaming is handled by the reply
        matcher)."""
        dropped = self.link.drain(DRAIN_LIMIT_S, self.quiet_s)
        self.lines.clear()
        self._idle.clear()
        return dropped
