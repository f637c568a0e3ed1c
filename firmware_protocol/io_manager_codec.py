"""Host side of the IO-manager (interface board) protocol: ``dut`` passthrough and board replies.

The board answers ``dut <cmd>%`` with ``m-dut-passthrough(<cmd>)`` and ``m-ready``, then relays
each DUT line as ``[dut]: <line>`` up to the DUT's own ``m-ready`` (spec 3).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tinyjoule.device_text import quote_lines
from tinyjoule.errors import ProtocolError

from .dut_codec import COMMAND_TERMINATOR, check_command

__all__ = [
    "ARDUINO_NAME",
    "DUT_LINE_PREFIX",
    "H573_NAME",
    "IO_MANAGER_HOST_BAUD",
    "check_passthrough_ack",
    "encode_passthrough",
    "parse_checkbaud",
    "parse_setbaud",
    "passthrough_ack_lines",
    "strip_dut_prefix",
]

DUT_LINE_PREFIX = "[dut]: "
H573_NAME = "tinyML Enhanced Interface Board"
ARDUINO_NAME = "m-name-io-manager"
"""Name line of the simulated Arduino IO manager. The legacy EEMBC firmware is not public, so
this string is our choice, not a verified one (spec 3.3)."""
IO_MANAGER_HOST_BAUD = 115200

_CHECKBAUD = re.compile(r"baud is: ([0-9]+)", re.ASCII)
_SETBAUD = re.compile(r"set baud to: *([0-9]+) *", re.ASCII)


def encode_passthrough(dut_command: str) -> bytes:
    """``b"dut <dut_command>%"``; the DUT command is checked like ``encode_command`` (80 chars)."""
    check_command(dut_command)
    return f"dut {dut_command}{COMMAND_TERMINATOR}".encode("ascii")


def passthrough_ack_lines(dut_command: str) -> tuple[str, str]:
    """The two lines a board answers to ``dut <dut_command>%`` before relaying the DUT."""
    return (f"m-dut-passthrough({dut_command})", "m-ready")


def check_passthrough_ack(
    lines: Sequence[str], dut_command: str, device: str = "IO manager"
) -> None:
    """Raise ProtocolError unless ``lines`` are exactly the board's passthrough acknowledgement."""
    expected = passthrough_ack_lines(dut_command)
    if tuple(lines) == expected:
        return
    raise ProtocolError(
        f"{device} did not acknowledge passthrough of DUT command {dut_command!r}: expected "
        f"{list(expected)!r}, got {quote_lines(lines)}. Check that the board runs the tinyML "
        f"interface firmware at {IO_MANAGER_HOST_BAUD} baud and that the port is the board, "
        "not the DUT; stale output from an earlier run also causes this: reset the board "
        "(or flush its port) and retry."
    )


def strip_dut_prefix(line: str) -> str | None:
    """The DUT's line from a relayed ``[dut]: <line>``, or None for the board's own lines."""
    if line.startswith(DUT_LINE_PREFIX):
        return line[len(DUT_LINE_PREFIX) :]
    return None


def _find_baud(lines: Sequence[str], pattern: re.Pattern[str], command: str) -> int:
    for line in lines:
        match = pattern.fullmatch(line)
        if match is not None:
            return int(match[1])
    raise ProtocolError(
        f"IO manager answered {command!r} with {quote_lines(lines)}, without the baud-rate line. "
        f"Only the STM32H573I-DK interface board ({H573_NAME!r}) supports {command!r}; check "
        "the board type in the bench file."
    )


def parse_checkbaud(lines: Sequence[str]) -> int:
    """The DUT-side baud rate from the H573 board's ``checkbaud`` reply (``baud is: N``)."""
    return _find_baud(lines, _CHECKBAUD, "checkbaud")


def parse_setbaud(lines: Sequence[str]) -> int:
    """The baud rate echoed by the H573 board's ``setbaud N`` reply (``set baud to: N``).

    The board then writes flash and resets; values of 0 or above 2,000,000 take effect as
    9600, so confirm with ``checkbaud`` once it is back.
    """
    return _find_baud(lines, _SETBAUD, "setbaud")
