"""The serial port under the LPM01A and PPK2 drivers: opened by URL, with writes and reads
that name the device, and waits that always end.

Every read takes a deadline on the port's clock. ``SerialLink.chunks`` checks it after every
chunk as well as while the port is silent, so a device that keeps sending bytes that never
complete the expected reply (a stream left running that ignores ``stop``, a wrong baud rate)
still ends the wait on time; ``bytes_read`` lets the caller say so in its timeout message.
Buffers that collect a reply keep at most ``MAX_REPLY_BYTES`` (the newest); ``ReplyBuffer``
counts what it dropped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from serial import SerialBase, SerialException

from tinyjoule.errors import DeviceConnectionError
from tinyjoule.host.clock import clock_of
from tinyjoule.host.transcript import Transcript

READ_CHUNK = 1 << 20
"""The most bytes taken in one read (bounds memory when a backlog is read)."""
MAX_REPLY_BYTES = 8192
"""The most bytes kept of one reply or text line: far above any real reply (an LPM01A ack
is under 100 bytes, PPK2 metadata under 1 kB), so anything longer is a stream or garbage."""


class ReplyBuffer:
    """The bytes of one reply, keeping at most ``limit`` (the newest); ``discarded`` counts
    the bytes dropped to stay within it."""

    def __init__(self, limit: int = MAX_REPLY_BYTES) -> None:
        self.limit = limit
        self.data = bytearray()
        self.discarded = 0

    def add(self, data: bytes) -> None:
        self.data += data
        excess = len(self.data) - self.limit
        if excess > 0:
            del self.data[:excess]
            self.discarded += excess


class SerialLink:
    """One open port of a monitor called ``device``.

    ``lost`` completes the message when the port fails mid-run (what probably happened and
    what to check); ``transcript``, if given, records every write and read (stream reads
    as a byte count). Deadlines are on the port's clock (``host.clock.clock_of``)."""

    def __init__(
        self,
        port: SerialBase,
        device: str,
        *,
        lost: str,
        transcript: Transcript | None = None,
    ) -> None:
        self.port = port
        self.device = device
        self.lost = lost
        self.transcript = transcript
        self.bytes_read = 0
        self.clock = clock_of(port)

    def write(self, data: bytes, what: str) -> None:
        """Send ``data`` (``what`` names it in the error) and flush."""
        if self.transcript is not None:
            self.transcript.record(self.device, ">", data)
        try:
            self.port.write(data)
            self.port.flush()
        except (SerialException, OSError) as exc:
            raise DeviceConnectionError(
                f"{self.device}: writing {what} failed ({exc}); {self.lost}, then open it again"
            ) from exc

    def read_some(self, deadline: float, *, stream: bool = False) -> bytes:
        """What the port has, waiting until ``deadline`` for the first byte (b"" if none
        came). Stream reads ask for ``READ_CHUNK`` bytes (a real port then returns what came
        within ``POLL_S``); others take only what is waiting, so a reply is seen as soon as
        it is complete."""
        port = self.port
        while True:
            try:
                size = READ_CHUNK if stream else min(max(1, port.in_waiting), READ_CHUNK)
                data = port.read(size)
            except (SerialException, OSError) as exc:
                raise DeviceConnectionError(
                    f"{self.device}: reading failed ({exc}); {self.lost}, then open it again"
                ) from exc
            if data:
                self.bytes_read += len(data)
                if self.transcript is not None:
                    if stream:
                        self.transcript.note(f"{self.device} < {len(data)} stream bytes")
                    else:
                        self.transcript.record(self.device, "<", data)
                return data
            if self.clock.now() >= deadline:
                return b""

    def chunks(self, deadline: float, *, stream: bool = False) -> Iterator[bytes]:
        """Chunks as they come until ``deadline``: ends when the port is silent until the
        deadline, and also once the deadline has passed after a chunk, so a port that
        never stops sending cannot hold the caller."""
        while True:
            data = self.read_some(deadline, stream=stream)
            if not data:
                return
            yield data
            if self.clock.now() >= deadline:
                return

    def drain(self, limit_s: float, quiet_s: float, *, stream: bool = False) -> int:
        """Read and drop everything until the port is quiet for ``quiet_s`` (at most
        ``limit_s``); the number of bytes dropped."""
        end = self.clock.now() + limit_s
        dropped = 0
        while self.clock.now() < end:
            data = self.read_some(min(end, self.clock.now() + quiet_s), stream=stream)
            if not data:
                break
            dropped += len(data)
        return dropped

    def reset_input(self) -> None:
        self.port.reset_input_buffer()

    def close(self) -> None:
        """Close the port; never raises."""
        with contextlib.suppress(Exception):
            self.port.close()


def require_open(link: SerialLink | None, device: str, what: str) -> SerialLink:
    """``link``, or DeviceConnectionError when the monitor is not open."""
    if link is None:
        raise DeviceConnectionError(f"{device}: {what}() on a closed monitor; open() it first")
    return link
