"""Host side of the H573 interface board's audio commands for the streaming wake word (spec 3.2).

- ``ls``: one line per file on the SD card.
- ``play <file.wav>``: ``Attempting to play <f>``, then, once playback has ended, a line
  ending in ``succeeded.``, or an error line instead. It blocks until playback ends.
- ``record_detections``: ``Now recording detections``; zeroes TIM2 (10 µs ticks) and clears
  the stores.
- ``print_detections``: ``Detection Timestamps (ms)`` then one ``<ms>,`` line per detection.
- ``print_dutycycle``: ``Duty cycle start times (s)``, values ``N, `` eight per line,
  ``Duty cycle stop times (s)``, more values. Despite "(s)" the values are 10 µs ticks.

Every reply ends with ``m-ready``; the functions here take the lines before it (as
``IoManagerChannel.io_command`` returns them) and raise ProtocolError naming what is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tinyjoule.errors import ProtocolError

__all__ = [
    "DETECTIONS_HEADER",
    "DUTY_START_HEADER",
    "DUTY_STOP_HEADER",
    "DutyCycleCapture",
    "PlayOutcome",
    "parse_detections",
    "parse_dutycycle",
    "play_outcome",
]

PLAY_ATTEMPT = "Attempting to play "
PLAY_SUCCESS = "succeeded."
RECORDING_LINE = "Now recording detections"
DETECTIONS_HEADER = "Detection Timestamps (ms)"
DUTY_START_HEADER = "Duty cycle start times (s)"
DUTY_STOP_HEADER = "Duty cycle stop times (s)"
DUTY_VALUES_PER_LINE = 8


@dataclass(frozen=True, slots=True)
class PlayOutcome:
    succeeded: bool
    lines: tuple[str, ...]

    @property
    def problem(self) -> str:
        """The board's own words when it did not play the file."""
        others = [line for line in self.lines if not line.startswith(PLAY_ATTEMPT)]
        return "; ".join(others) or "no reply but m-ready"


def play_outcome(lines: Sequence[str], wav: str) -> PlayOutcome:
    """Whether ``play <wav>`` succeeded: a line ending in ``succeeded.`` after the attempt."""
    lines = tuple(lines)
    succeeded = any(line.rstrip().endswith(PLAY_SUCCESS) for line in lines)
    return PlayOutcome(succeeded, lines)


def _int(text: str, what: str, line: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ProtocolError(
            f"interface board: {what} line {line!r} holds {text!r}, not a whole number; the "
            "reply was damaged (check the board's USB link) or the firmware differs"
        ) from None
    if value < 0:
        raise ProtocolError(f"interface board: {what} line {line!r} holds a negative time")
    return value


def parse_detections(lines: Sequence[str]) -> tuple[int, ...]:
    """The detection times (ms since ``record_detections``) of a ``print_detections`` reply."""
    lines = [line for line in lines if line.strip()]
    if not lines or lines[0].strip() != DETECTIONS_HEADER:
        raise ProtocolError(
            f"interface board answered print_detections with {list(lines[:3])!r}, not "
            f"{DETECTIONS_HEADER!r}: is it the STM32H573I-DK interface board with the "
            "streaming wake word firmware?"
        )
    out = []
    for line in lines[1:]:
        text = line.strip()
        if text.endswith(","):
            text = text[:-1]
        out.append(_int(text.strip(), "detection", line))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class DutyCycleCapture:
    """Edges of the DUT's processing pin, in 10 µs ticks since ``record_detections``."""

    starts_ticks: tuple[int, ...]
    stops_ticks: tuple[int, ...]


def parse_dutycycle(lines: Sequence[str]) -> DutyCycleCapture:
    """Both value lists of a ``print_dutycycle`` reply."""
    lines = [line for line in lines if line.strip()]
    heads = [line.strip() for line in lines]
    if DUTY_START_HEADER not in heads or DUTY_STOP_HEADER not in heads:
        raise ProtocolError(
            f"interface board answered print_dutycycle with {lines[:3]!r}, without the "
            f"{DUTY_START_HEADER!r} and {DUTY_STOP_HEADER!r} sections: update the interface "
            "board firmware (print_dutycycle came with the streaming wake word)"
        )
    first, second = heads.index(DUTY_START_HEADER), heads.index(DUTY_STOP_HEADER)
    if second < first:
        raise ProtocolError("interface board: print_dutycycle lists stop times before starts")

    def values(block: Sequence[str], what: str) -> tuple[int, ...]:
        return tuple(
            _int(item.strip(), what, line)
            for line in block
            for item in line.split(",")
            if item.strip()
        )

    return DutyCycleCapture(
        values(lines[first + 1 : second], "duty-cycle start"),
        values(lines[second + 1 :], "duty-cycle stop"),
    )


def format_duty_values(values: Sequence[int]) -> list[str]:
    """``N, `` eight per line, as the board prints them."""
    return [
        "".join(f"{v}, " for v in values[i : i + DUTY_VALUES_PER_LINE])
        for i in range(0, len(values), DUTY_VALUES_PER_LINE)
    ]
