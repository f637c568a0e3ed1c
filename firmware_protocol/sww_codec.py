"""Host side of the streaming wake word (SWW) firmware's serial protocol (spec 1.9).

The SWW reference firmware (115200 baud in every mode) takes ``<cmd>%`` like the other
MLPerf Tiny firmware, with a 1028-character command buffer. Every reply starts with the echo
``Received command: <cmd>`` and, as every command must for the interface board to relay it,
ends with ``m-ready``. ``start`` begins I2S detection and pulses the timestamp pin; ``stop``
pulses it and prints ``Streaming stopped.`` then ``target activations: [a, b, ...]``;
anything unknown gets ``Unrecognized command ...``. Framing only: lines in, a ``SwwReply``
out (lines come from ``dut_codec.LineSplitter``, for any split of the bytes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tinyjoule.errors import ProtocolError

from .dut_codec import COMMAND_TERMINATOR
from .dut_response import READY_LINE

__all__ = [
    "ECHO_PREFIX",
    "SWW_BAUD",
    "SWW_COMMAND_CHARS",
    "SwwReply",
    "SwwReplyAssembler",
    "echoed_command",
    "encode_sww_command",
    "parse_activations",
]

SWW_BAUD = 115200
SWW_COMMAND_CHARS = 1028
ECHO_PREFIX = "Received command: "
STOPPED_LINE = "Streaming stopped."
ACTIVATIONS_PREFIX = "target activations:"
UNRECOGNIZED_PREFIX = "Unrecognized command"
BUSY_TEXT = "in progress"
_INT_LIST = re.compile(r"\[\s*(-?\d+(?:\s*,\s*-?\d+)*)?\s*,?\s*\]", re.ASCII)


def encode_sww_command(command: str) -> bytes:
    """``b"<command>%"``; ValueError if it would not reach the firmware intact."""
    if not command.strip():
        raise ValueError("SWW command is empty; send a command such as 'name'")
    if COMMAND_TERMINATOR in command or not all(" " <= c <= "~" for c in command):
        raise ValueError(f"SWW command {command!r} has '%' or non-printable characters")
    if len(command) > SWW_COMMAND_CHARS:
        raise ValueError(
            f"SWW command {command!r} is {len(command)} characters; the firmware keeps "
            f"{SWW_COMMAND_CHARS}"
        )
    return (command + COMMAND_TERMINATOR).encode("ascii")


def echoed_command(line: str) -> str | None:
    """The command a ``Received command: <cmd>`` line echoes, or None for any other line."""
    return line[len(ECHO_PREFIX) :] if line.startswith(ECHO_PREFIX) else None


def parse_activations(line: str) -> tuple[int, ...] | None:
    """The ints of ``target activations: [a, b, ...]``; None for another line; ProtocolError
    when the line starts right but its list is not a bracketed int list."""
    if not line.startswith(ACTIVATIONS_PREFIX):
        return None
    text = line[len(ACTIVATIONS_PREFIX) :].strip()
    match = _INT_LIST.fullmatch(text)
    if match is None:
        raise ProtocolError(
            f"SWW DUT: {line!r} is not 'target activations: [int, ...]'; the line was "
            "damaged on the wire (check the baud rate) or the firmware prints another format"
        )
    body = match[1]
    return tuple(int(v) for v in body.split(",")) if body else ()


@dataclass(frozen=True, slots=True)
class SwwReply:
    """The lines the DUT sent for ``command`` up to ``m-ready`` (empty lines dropped)."""

    command: str
    lines: tuple[str, ...]

    @property
    def echoed(self) -> bool:
        """The first line echoes exactly this command."""
        return bool(self.lines) and echoed_command(self.lines[0]) == self.command

    @property
    def unrecognized(self) -> bool:
        return any(line.startswith(UNRECOGNIZED_PREFIX) for line in self.lines)

    @property
    def stopped(self) -> bool:
        return STOPPED_LINE in self.lines

    @property
    def busy(self) -> bool:
        """The firmware refused ``start`` because it is already streaming."""
        return any(BUSY_TEXT in line for line in self.lines[1:])

    @property
    def activations(self) -> tuple[int, ...] | None:
        for line in self.lines:
            values = parse_activations(line)
            if values is not None:
                return values
        return None


class SwwReplyAssembler:
    """Lines in, one :class:`SwwReply` per command out (at its ``m-ready``)."""

    def __init__(self) -> None:
        self._command: str | None = None
        self._lines: list[str] = []

    def start(self, command: str) -> None:
        self._command, self._lines = command, []

    @property
    def partial(self) -> tuple[str, ...]:
        return tuple(self._lines)

    def feed_line(self, line: str) -> SwwReply | None:
        if self._command is None:
            return None  # nothing outstanding: stale output
        if line == READY_LINE:
            reply = SwwReply(self._command, tuple(self._lines))
            self._command, self._lines = None, []
            return reply
        if line:
            self._lines.append(line)
        return None
