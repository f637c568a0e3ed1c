"""Device text within bounds: a line, quote or message that is too long keeps its head and
its tail around ``[... N bytes cut ...]``, so one runaway line from a device cannot fill the
memory, a session file or the console.

``LineBuffer`` splits received bytes into lines of at most ``MAX_LINE_BYTES`` (an over-long
line comes out as head + marker + tail, its end included, so a terminator glued to it is
still seen); ``clip`` shortens text for an error, a log line or a results file, counting
what an earlier cut already removed; ``quote`` and ``quote_lines`` are ``repr`` of clipped
text. This module sits in the lowest layer, beside ``errors``, so every layer shares it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_MESSAGE_CHARS",
    "MAX_QUOTE_CHARS",
    "LineBuffer",
    "clip",
    "cut_marker",
    "quote",
    "quote_lines",
]

MAX_LINE_BYTES = 8192
"""The most bytes kept of one received line: far above any protocol line (the longest a
reference DUT prints, ``help`` or an ``m-results-[...]`` line, is under 100 bytes; a
640-value vector would be under 6 kB), so a longer one is garbage or a runaway print."""
MAX_QUOTE_CHARS = 200
"""The most characters of device text quoted in one place of a message."""
MAX_MESSAGE_CHARS = 2000
"""The most characters of one error or log message written to a file or the console."""
QUOTE_LINES = 6
"""The most lines quoted from one reply (the first and the last ones)."""

_MARKER = re.compile(r"\[\.\.\. (\d+) bytes cut \.\.\.\]")


def cut_marker(count: int) -> str:
    """What stands for ``count`` bytes left out."""
    return f"[... {count} bytes cut ...]"


def _cut_count(middle: str) -> int:
    """The bytes ``middle`` stood for: its own characters, markers counted as what they cut."""
    return len(middle) + sum(int(m[1]) - len(m[0]) for m in _MARKER.finditer(middle))


def clip(text: str, limit: int = MAX_QUOTE_CHARS) -> str:
    """``text`` if it has at most ``limit`` characters, else its head and tail (together
    about ``limit``) around ``[... N bytes cut ...]``. N counts device bytes: one per
    character, plus what any marker inside the cut stood for; markers are never split."""
    if len(text) <= limit:
        return text
    keep = max(limit - len(cut_marker(len(text))), 2)
    start, end = keep - keep // 3, len(text) - keep // 3
    for m in _MARKER.finditer(text):
        if m.start() < start < m.end():
            start = m.start()
        if m.start() < end < m.end():
            end = m.end()
    return text[:start] + cut_marker(_cut_count(text[start:end])) + text[end:]


def quote(text: str, limit: int = MAX_QUOTE_CHARS) -> str:
    """``repr`` of ``text`` clipped to ``limit`` characters."""
    return repr(clip(text, limit))


def quote_lines(lines: Iterable[str], limit: int = MAX_QUOTE_CHARS) -> str:
    """A list of lines as ``repr`` shows it, each line clipped and at most ``QUOTE_LINES``
    of them (the first and the last ones, with how many were left out between)."""
    items = list(lines)
    if len(items) <= QUOTE_LINES:
        return repr([clip(line, limit) for line in items])
    half = QUOTE_LINES // 2
    head = ", ".join(quote(line, limit) for line in items[:half])
    tail = ", ".join(quote(line, limit) for line in items[-half:])
    return f"[{head}, ... {len(items) - 2 * half} more line(s) ..., {tail}]"


class LineBuffer:
    """Bytes in, complete lines (``bytes``, without the ``\\n``) out, for any split.

    A line longer than ``max_line_bytes`` keeps its first and last ``max_line_bytes // 2``
    bytes with ``[... N bytes cut ...]`` between them; ``cut_bytes`` counts all bytes cut
    so far. Memory is bounded by ``max_line_bytes`` whatever arrives, newline or not.
    """

    def __init__(self, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        if max_line_bytes < 2:
            raise ValueError(f"max_line_bytes must be at least 2, not {max_line_bytes}")
        self.max_line_bytes = max_line_bytes
        self._head_limit = max_line_bytes // 2
        self._tail_limit = max_line_bytes - self._head_limit
        self._head = bytearray()  # the line so far, or its head once it is too long
        self._tail = bytearray()  # the newest bytes of a line that is too long
        self._cut = 0  # bytes of the current line between head and tail
        self._over = False
        self.cut_bytes = 0

    @property
    def pending(self) -> bytes:
        """The incomplete last line (its head, marker and tail once it is too long)."""
        return self._joined()

    @property
    def pending_cut(self) -> int:
        """Bytes cut from the incomplete last line so far."""
        return self._cut

    def clear(self) -> bytes:
        """Drop the incomplete last line; returns it (as ``pending``)."""
        line = self._joined()
        self._reset()
        return line

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; returns the lines they complete, in order."""
        lines: list[bytes] = []
        view = memoryview(data)
        start = 0
        while True:
            newline = data.find(b"\n", start)
            self._add(view[start:] if newline < 0 else view[start:newline])
            if newline < 0:
                return lines
            lines.append(self._joined())
            self._reset()
            start = newline + 1

    def _add(self, piece: memoryview) -> None:
        if not piece:
            return
        if not self._over:
            if len(self._head) + len(piece) <= self.max_line_bytes:
                self._head += piece
                return
            self._over = True
            room = self._head_limit - len(self._head)
            if room >= 0:
                self._head += piece[:room]
                self._add_tail(piece[room:])
                return
            spill = bytes(self._head[self._head_limit :])
            del self._head[self._head_limit :]
            self._add_tail(memoryview(spill))
        self._add_tail(piece)

    def _add_tail(self, piece: memoryview) -> None:
        if len(piece) >= self._tail_limit:
            dropped = len(self._tail) + len(piece) - self._tail_limit
            self._tail = bytearray(piece[len(piece) - self._tail_limit :])
        else:
            self._tail += piece
            dropped = max(0, len(self._tail) - self._tail_limit)
            del self._tail[:dropped]
        self._cut += dropped
        self.cut_bytes += dropped

    def _joined(self) -> bytes:
        if not self._over:
            return bytes(self._head)
        return bytes(self._head) + cut_marker(self._cut).encode("ascii") + bytes(self._tail)

    def _reset(self) -> None:
        self._head = bytearray()
        self._tail = bytearray()
        self._cut = 0
        self._over = False
