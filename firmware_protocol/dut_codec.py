"""Host side of the DUT serial protocol: command framing, line splitting, responses, db chunks.

Framing only, no transport: feed bytes in, get lines and typed messages out (spec 1.1-1.7).
"""

from __future__ import annotations

from tinyjoule.device_text import MAX_LINE_BYTES, LineBuffer

from .dut_parse import parse_line, parse_results_values
from .dut_response import MAX_RESPONSE_LINES, READY_LINE, Response, ResponseAssembler

__all__ = [
    "COMMAND_TERMINATOR",
    "DIRECT_CHUNK_BYTES",
    "IO_MANAGER_CHUNK_BYTES",
    "LAP_COUNTER_MODULUS",
    "MAX_COMMAND_CHARS",
    "MAX_RESPONSE_LINES",
    "READY_LINE",
    "LineSplitter",
    "Response",
    "ResponseAssembler",
    "check_command",
    "db_load_commands",
    "encode_command",
    "lap_delta_us",
    "max_chunk_bytes",
    "parse_line",
    "parse_results_values",
]

MAX_COMMAND_CHARS = 80
"""The firmware's command buffer (EE_CMD_SIZE); characters past the 80th are lost."""

COMMAND_TERMINATOR = "%"

_DB_PREFIX = "db "

DIRECT_CHUNK_BYTES = (MAX_COMMAND_CHARS - len(_DB_PREFIX)) // 2
"""Bytes per ``db`` chunk on a direct link: 38, the spec's "at most 38 bytes" (``db `` + 76 hex
= 79 characters; the ``%`` is not stored). The reference runner sends 31 without a power
manager, but nothing in the firmware needs that margin: the command buffer is the only limit."""

IO_MANAGER_CHUNK_BYTES = 26
"""Bytes per ``db`` chunk through an IO manager, as the reference runner sends: ``dut db `` +
52 hex + ``%`` = 60 bytes, inside the Arduino IO manager's 64-byte receive buffer (spec 1.6)."""

LAP_COUNTER_MODULUS = 1 << 32
"""The performance-mode timestamp is a free-running 32-bit µs counter (``m-lap-us-%lu``)."""


def check_command(command: str, what: str = "DUT command") -> None:
    """Raise ValueError unless ``command`` reaches the firmware intact through ``%`` framing."""
    if not command.strip():
        raise ValueError(
            f"{what} {command!r} is empty; the reference firmware crashes on an empty command "
            "(spec 1.7). Send a command such as 'name'."
        )
    if COMMAND_TERMINATOR in command:
        raise ValueError(
            f"{what} {command!r} contains '%', the command terminator; remove it (the firmware "
            "would run the text before it as a command of its own)."
        )
    bad = sorted({c for c in command if not (" " <= c <= "~")})
    if bad:
        raise ValueError(
            f"{what} {command!r} contains {''.join(bad)!r}; only printable ASCII is allowed "
            "(there is no CR/LF framing: '\\r' and '\\n' would become part of the command). "
            "Remove those characters."
        )
    if len(command) > MAX_COMMAND_CHARS:
        raise ValueError(
            f"{what} {command!r} is {len(command)} characters; the firmware keeps only the "
            f"first {MAX_COMMAND_CHARS}. Shorten it (for 'db' data, send smaller chunks)."
        )


def encode_command(command: str) -> bytes:
    """``b"<command>%"`` for a DUT on a direct link; ValueError if it would not arrive intact."""
    check_command(command)
    return (command + COMMAND_TERMINATOR).encode("ascii")


class LineSplitter:
    """Split a byte stream into lines the way the reference runner does, within bounds.

    Lines end at ``\\n``; ``\\r`` and ``\\0`` bytes are dropped; text is decoded as ASCII with
    undecodable bytes replaced by U+FFFD. Empty lines are returned too (as ``""``). A line
    longer than ``max_line_bytes`` comes out as its head and tail around ``[... N bytes
    cut ...]`` (``tinyjoule.device_text.LineBuffer``), so memory stays bounded whatever the
    device sends, and a terminator at the end of a runaway line is still seen.
    """

    def __init__(self, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self._buffer = LineBuffer(max_line_bytes)

    @property
    def pending(self) -> bytes:
        """Bytes received after the last ``\\n`` (an incomplete line), as received (its head
        and tail once it is too long)."""
        return self._buffer.pending

    @property
    def cut_bytes(self) -> int:
        """Bytes cut from over-long lines so far."""
        return self._buffer.cut_bytes

    def clear(self) -> bytes:
        """Drop the incomplete tail (e.g. when flushing stale input); returns it."""
        return self._buffer.clear()

    def feed(self, data: bytes) -> list[str]:
        """Add received bytes; returns the lines they complete (without line endings)."""
        return [
            raw.replace(b"\r", b"").replace(b"\0", b"").decode("ascii", errors="replace")
            for raw in self._buffer.feed(data)
        ]


def max_chunk_bytes(prefix: str = "") -> int:
    """Most bytes per ``db`` chunk such that ``prefix + "db " + hex`` is at most 80 characters."""
    n = (MAX_COMMAND_CHARS - len(prefix) - len(_DB_PREFIX)) // 2
    if n < 1:
        raise ValueError(
            f"prefix {prefix!r} leaves no room for hex data in an {MAX_COMMAND_CHARS}-character "
            "command; use a shorter prefix."
        )
    return n


def db_load_commands(data: bytes, chunk_bytes: int) -> list[str]:
    """Commands that load ``data`` into the DUT: ``db load N`` then ``db <hex>`` chunks.

    Hex is lowercase, ``chunk_bytes`` bytes per chunk (the last may be shorter). Send each as
    its own command and wait for its ``m-ready``; the last one answers ``m-load-done``.
    """
    if not data:
        raise ValueError("db_load_commands: data is empty; 'db load 0' is an error on the DUT.")
    limit = max_chunk_bytes()
    if not 1 <= chunk_bytes <= limit:
        raise ValueError(
            f"db_load_commands: chunk_bytes={chunk_bytes} must be 1..{limit}, so that each "
            f"'db <hex>' command fits the DUT's {MAX_COMMAND_CHARS}-character buffer."
        )
    payload = bytes(data)
    commands = [f"db load {len(payload)}"]
    for start in range(0, len(payload), chunk_bytes):
        commands.append(_DB_PREFIX + payload[start : start + chunk_bytes].hex())
    return commands


def lap_delta_us(start_us: int, end_us: int) -> int:
    """Microseconds from ``start_us`` to ``end_us`` on the 32-bit lap counter (handles one wrap)."""
    for name, value in (("start_us", start_us), ("end_us", end_us)):
        if not 0 <= value < LAP_COUNTER_MODULUS:
            raise ValueError(f"lap_delta_us: {name}={value} is not a 32-bit counter value.")
    return (end_us - start_us) % LAP_COUNTER_MODULUS
