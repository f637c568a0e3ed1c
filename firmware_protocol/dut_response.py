"""Group DUT lines into one Response per command, ending at the DUT's ``m-ready``."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TypeVar

from tinyjoule.device_text import clip, quote
from tinyjoule.errors import ProtocolError

from .dut_messages import DeviceError, FirmwareWarning, LapUs, Message, Results
from .dut_parse import parse_line

__all__ = ["MAX_RESPONSE_LINES", "READY_LINE", "Response", "ResponseAssembler"]

READY_LINE = "m-ready"
MAX_RESPONSE_LINES = 10_000
"""The most lines kept of one reply: ``db print`` of the largest buffer (27,648 bytes) is
3,456 lines; more is a device that never stops printing."""

M = TypeVar("M")

# What to do about each error the reference firmware prints (spec 1.7), keyed by text prefix.
_ERROR_HINTS = (
    (
        "Unknown command",
        "the firmware does not implement it; check the spelling and that the "
        "board runs the MLPerf Tiny API firmware",
    ),
    ("Inference iterations", "send 'infer N W' with N >= 1"),
    ("Inference warmup", "send a warm-up count W >= 0"),
    ("Command 'db' requires", "send 'db load N', 'db <hex>' or 'db print'"),
    ("Command 'db load'", "send 'db load N' with N >= 1, the input size in bytes"),
    ("Insufficent number of hex digits", "send an even number of hex digits per 'db' command"),
    ("Invalid hex digit", "send only the hex digits 0-9 and a-f in 'db' commands"),
)


@dataclass(frozen=True, slots=True)
class Response:
    """Everything the DUT printed for one command, up to and including its ``m-ready``.

    ``lines`` are the non-empty lines as received; ``messages`` their parsed form, same order.
    """

    command: str
    lines: tuple[str, ...]
    messages: tuple[Message, ...]

    @classmethod
    def from_lines(cls, command: str, lines: tuple[str, ...] | list[str]) -> Response:
        """Build a Response by parsing ``lines``."""
        lines = tuple(lines)
        return cls(command, lines, tuple(parse_line(line) for line in lines))

    def of_type(self, kind: type[M]) -> tuple[M, ...]:
        """Every message of type ``kind``, in order."""
        return tuple(m for m in self.messages if isinstance(m, kind))

    def first(self, kind: type[M]) -> M | None:
        """The first message of type ``kind``, or None."""
        return next((m for m in self.messages if isinstance(m, kind)), None)

    @property
    def errors(self) -> tuple[str, ...]:
        """Texts of the ``e-[...]`` lines."""
        return tuple(m.text for m in self.of_type(DeviceError))

    @property
    def warnings(self) -> tuple[str, ...]:
        """Texts of the plain-text firmware warnings (buffer too large, tensor size mismatch)."""
        return tuple(m.text for m in self.of_type(FirmwareWarning))

    @property
    def laps_us(self) -> tuple[int, ...]:
        """Counter values of the ``m-lap-us-`` lines (two per ``infer`` in performance mode)."""
        return tuple(m.counter_us for m in self.of_type(LapUs))

    @property
    def results(self) -> Results | None:
        """The ``m-results-[...]`` line, if any."""
        return self.first(Results)

    def raise_for_errors(self, device: str = "DUT", *, warnings_as_errors: bool = False) -> None:
        """Raise ProtocolError for the first ``e-[...]`` line (and warning, if asked)."""
        for text in self.errors:
            hint = next((h for p, h in _ERROR_HINTS if text.startswith(p)), "check the command")
            raise ProtocolError(
                f"{device} rejected command {self.command!r}: e-[{clip(text)}]; {hint}."
            )
        if warnings_as_errors:
            for text in self.warnings:
                raise ProtocolError(
                    f"{device} warned for command {self.command!r}: {quote(text)}; load exactly "
                    "the input size the model expects, within the firmware's buffer size."
                )


class ResponseAssembler:
    """Collects lines for the command currently outstanding and returns its Response.

    Call ``start(command)`` when the command is sent, then ``feed_line`` with every received
    line. Empty lines are dropped (as the reference runner does). Lines that arrive while no
    command is outstanding (a boot banner, stale output) go to ``unsolicited`` (the newest
    ``max_lines``). A reply of more than ``max_lines`` lines keeps its first and last halves
    with a line ``[... N lines cut ...]`` between, so a device that never stops printing
    cannot fill the memory.
    """

    def __init__(self, max_lines: int = MAX_RESPONSE_LINES) -> None:
        self.max_lines = max(2, max_lines)
        self.unsolicited: list[str] = []
        self._command: str | None = None
        self._lines: list[str] = []
        self._tail: deque[str] = deque(maxlen=self.max_lines // 2)
        self._cut = 0

    @property
    def outstanding(self) -> str | None:
        """The command waiting for its ``m-ready``, or None."""
        return self._command

    @property
    def partial_lines(self) -> tuple[str, ...]:
        """Lines received so far for the outstanding command (bounded as the reply is)."""
        if not self._cut and not self._tail:
            return tuple(self._lines)
        cut = (f"[... {self._cut} lines cut ...]",) if self._cut else ()
        return (*self._lines, *cut, *self._tail)

    def start(self, command: str) -> None:
        """Mark ``command`` as sent; its reply lines are collected from now on."""
        if self._command is not None:
            raise RuntimeError(
                f"cannot start {command!r}: {self._command!r} is still waiting for m-ready; "
                "feed its lines until it completes, or cancel() it after a timeout"
            )
        self._command = command
        self._clear()

    def cancel(self) -> tuple[str, ...]:
        """Abandon the outstanding command (after a timeout); returns its partial lines."""
        lines = self.partial_lines
        self._command = None
        self._clear()
        return lines

    def take_unsolicited(self) -> list[str]:
        """Return and clear the unsolicited lines."""
        lines, self.unsolicited = self.unsolicited, []
        return lines

    def _clear(self) -> None:
        self._lines = []
        self._tail.clear()
        self._cut = 0

    def feed_line(self, line: str) -> Response | None:
        """Add one received line; returns the Response when it is the ``m-ready`` line."""
        if not line:
            return None
        if self._command is None:
            self.unsolicited.append(line)
            if len(self.unsolicited) > self.max_lines:
                del self.unsolicited[0]
            return None
        if len(self._lines) < self.max_lines - self.max_lines // 2:
            self._lines.append(line)
        else:
            if len(self._tail) == self._tail.maxlen:
                self._cut += 1
            self._tail.append(line)
        if line != READY_LINE:
            return None
        response = Response.from_lines(self._command, self.partial_lines)
        self._command = None
        self._clear()
        return response
