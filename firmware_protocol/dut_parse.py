"""Turn one DUT output line into a typed message; never raises, unknown text becomes PlainText."""

from __future__ import annotations

import re
from collections.abc import Callable

from .dut_messages import (
    BufferDump,
    DeviceError,
    Expecting,
    FirmwareWarning,
    InferDone,
    InferStart,
    InitDone,
    LapUs,
    LoadDone,
    Message,
    ModelId,
    Name,
    PlainText,
    Profile,
    Ready,
    Results,
    TimestampMode,
    WarmupDone,
    WarmupStart,
)

__all__ = ["parse_line", "parse_results_values"]

_FIXED: dict[str, Message] = {
    "m-ready": Ready(),
    "m-init-done": InitDone(),
    "m-warmup-done": WarmupDone(),
    "m-infer-done": InferDone(),
    "m-load-done": LoadDone(),
}

# What printf("%f") can print: plain decimals, exponents, and nan/inf (newlib prints "-nan" too).
_NUMBER = re.compile(
    r"\s*[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|nan|inf(?:inity)?)\s*",
    re.IGNORECASE | re.ASCII,
)
_HEX_ROW = re.compile(r"[0-9a-fA-F]{2}(?:-[0-9a-fA-F]{2})*")


def _re(pattern: str) -> re.Pattern[str]:
    # ASCII: \d must not accept other scripts' digits, which int() would happily convert.
    return re.compile(pattern, re.ASCII)


def parse_results_values(body: str) -> tuple[float, ...] | None:
    """Values inside ``m-results-[...]`` (empty items skipped); None if one is not a number."""
    values = []
    for item in body.split(","):
        if not item.strip():
            continue
        if _NUMBER.fullmatch(item) is None:
            return None
        values.append(float(item))
    return tuple(values)


def _results(match: re.Match[str]) -> Message | None:
    values = parse_results_values(match[1])
    return None if values is None else Results(values)


def _buffer(match: re.Match[str]) -> Message | None:
    return BufferDump(bytes.fromhex(match[1].replace("-", "")))


_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Message | None]], ...] = (
    (_re(r"m-lap-us-(\d+)"), lambda m: LapUs(int(m[1]))),
    (_re(r"m-results-\[(.*)\]"), _results),
    (_re(r"m-\[Expecting (\d+) bytes\]"), lambda m: Expecting(int(m[1]))),
    (_re(r"m-buffer-(.*)"), lambda m: _buffer(m) if _HEX_ROW.fullmatch(m[1]) else None),
    (_re(r"m-warmup-start-(\d+)"), lambda m: WarmupStart(int(m[1]))),
    (_re(r"m-infer-start-(\d+)"), lambda m: InferStart(int(m[1]))),
    (_re(r"m-timestamp-mode-(performance|energy)"), lambda m: TimestampMode(m[1])),
    (_re(r"m-name-dut-\[(.*)\]"), lambda m: Name(m[1])),
    (_re(r"m-profile-\[(.*)\]"), lambda m: Profile(m[1])),
    (_re(r"m-model-\[(.*)\]"), lambda m: ModelId(m[1])),
    (_re(r"e-\[(.*)\]"), lambda m: DeviceError(m[1])),
    # An e- line without brackets is still an error report; never let one pass as text.
    (_re(r"e-(.*)"), lambda m: DeviceError(m[1])),
    (_re(r"Supplied buffer size .* exceeds maximum of .*"), lambda m: FirmwareWarning(m[0])),
    (_re(r"Input db has .*expected.*"), lambda m: FirmwareWarning(m[0])),
)


def parse_line(line: str) -> Message:
    """Classify one line (without its line ending) as printed by the DUT firmware.

    Matching is exact (whole line). Lines that look like a known message but are malformed
    (``m-lap-us-12x``, ``m-results-[a,b]``) and any other text give ``PlainText``.
    """
    fixed = _FIXED.get(line)
    if fixed is not None:
        return fixed
    for pattern, build in _PATTERNS:
        match = pattern.fullmatch(line)
        if match is None:
            continue
        try:
            message = build(match)
        except ValueError:  # e.g. an integer too long for int()
            message = None
        if message is not None:
            return message
        break
    return PlainText(line)
