"""Fixed texts and C-library behaviour (atoi, 32-bit integers, printf) of the DUT firmware model."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "FW_VERSION",
    "HELP_LINES",
    "INT32_MAX",
    "INT32_MIN",
    "SIZE_T_MASK",
    "c_atoi",
    "format_results",
    "is_hex_pair",
    "to_int32",
]

FW_VERSION = "ULPMark for tinyML Firmware V0.0.1"

# The help text of the reference firmware, typos included (it is free text, not parsed).
HELP_LINES = (
    FW_VERSION,
    "",
    "help         : Print this information",
    "name         : Print the name of the device",
    "timestsamp   : Generate a timetsamp",
    "db SUBCMD    : Manipulate a generic byte buffer",
    "  load N     : Allocate N bytes and set load counter",
    "  db HH[HH]* : Load 8-bit hex byte(s) until N bytes",
    "  print [N=16] [offset=0]",
    "             : Print N bytes at offset as hex",
    "infer N [W=0]: Load input, execute N inferences after W warmup loops",
    "results      : Return the result fp32 vector",
)

INT32_MAX = (1 << 31) - 1
INT32_MIN = -(1 << 31)
SIZE_T_MASK = (1 << 32) - 1  # size_t on the 32-bit MCUs the firmware targets

_ATOI = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-9]*)")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def c_atoi(text: str) -> int:
    """C ``atoi`` as newlib implements it on a 32-bit MCU: ``(int)strtol(text, NULL, 10)``.

    Leading whitespace and a sign are accepted, parsing stops at the first non-digit, no
    digits gives 0, and out-of-range values clamp to the int32 limits.
    """
    match = _ATOI.match(text)
    assert match is not None  # the pattern matches every string
    if not match[2]:
        return 0
    value = int(match[2][:12])  # 12 digits already exceed int32; keeps int() cheap
    if len(match[2]) > 12:
        value = INT32_MAX + 1
    if match[1] == "-":
        value = -value
    return max(INT32_MIN, min(INT32_MAX, value))


def to_int32(value: int) -> int:
    """The value a ``%d`` conversion prints for a 32-bit ``size_t``."""
    value &= SIZE_T_MASK
    return value - (1 << 32) if value > INT32_MAX else value


def is_hex_pair(pair: str) -> bool:
    """True when both characters are hex digits, as ``ee_hexdec`` accepts them (either case)."""
    return len(pair) == 2 and pair[0] in _HEX_DIGITS and pair[1] in _HEX_DIGITS


def format_results(values: Iterable[float], decimals: int, trailing_comma: bool) -> str:
    """The ``m-results-[...]`` line (``%0.<decimals>f`` per value; VWW adds a trailing comma)."""
    body = ",".join(f"{v:.{decimals}f}" for v in values)
    return f"m-results-[{body}{',' if trailing_comma else ''}]"
