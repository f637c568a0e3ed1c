"""What both LPM01A stream formats share: the index, drop, event and status bookkeeping
(``StreamTracker``), and the decoder life cycle (``Lpm01aDecoder``: text until ``ack start``,
the stream, text again after its end; a stream error voids the capture).

Conventions (the simulator in ``tinyjoule.host.sim.monitors.lpm01a`` follows them):

- Sample indices count the samples received since ``start`` (index 0 is the first).
- ``Event.sample_index`` is the index of the next sample to arrive after the event record;
  the device emits the record right after the sample whose period contains the edge, so an
  event at index i means the edge happened during sample i-1 (period
  ``[(i-1)/fs, i/fs)`` after the start).
- A ``TimeStamp`` gives ``MonitorStatus(index of the next sample, buffer %)``. Between two
  stamps ``elapsed_ms × fs / 1000`` samples must arrive; fewer gives one
  ``SampleDrop(first_index=index at the earlier stamp, count=missing)``. Where in that
  interval they went missing cannot be known: the drop is *counted*, and indices are not
  shifted (they keep counting received samples, like the MLCommons runner), so a consumer
  must treat every window overlapping ``[first_index, index at the later stamp)`` as hit.
  The first stamp is the reference: the firmware's offset before it is not documented.
- An ``error`` record that is not a command reply, or overrun text, raises
  ``MeasurementError``; the capture is void and every later ``feed`` raises it again.
- Text that is not stream data (prompts, acks, ``Error detail``, info lines) is handed to
  ``on_text`` so a driver can match replies while streaming; anything else is garbage,
  counted in ``garbage_bytes`` and skipped, never turned into NaN.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np

from tinyjoule.device_text import quote
from tinyjoule.errors import MeasurementError
from tinyjoule.firmware_protocol import lpm01a_commands as commands
from tinyjoule.host.measurement.stream import (
    Event,
    MonitorStatus,
    SampleBlock,
    SampleDrop,
    StreamItem,
)

TextSink = Callable[[str], None]

MAX_LINE_BYTES = 4096
"""A line longer than this without a newline is garbage; bounds the decoder's memory."""

_EVENT = re.compile(r"event\s+(\d+)(?:\s+\w+)?")


def parse_event_counter(segment: str) -> int | None:
    """The counter of an ``event NN ris|fal`` record (the edge word is not trusted)."""
    match = _EVENT.fullmatch(segment)
    return int(match.group(1)) if match else None


class StreamTracker:
    """Sample index, drops, events and status of one acquisition, as ordered items."""

    def __init__(self, device: str, sample_rate_hz: float, unit: str, ms_modulus: int) -> None:
        self.device = device
        self.sample_rate_hz = float(sample_rate_hz)
        self.unit = unit
        self.next_index = 0
        self.dropped_samples = 0
        self.extra_samples = 0
        self._ms_modulus = ms_modulus
        self._last_stamp: tuple[int, int] | None = None
        self._items: list[StreamItem] = []
        self._values: list[np.ndarray] = []
        self._first = 0

    def samples(self, values: np.ndarray) -> None:
        if len(values):
            if not self._values:
                self._first = self.next_index
            self._values.append(values)
            self.next_index += len(values)

    def event(self, counter: int) -> None:
        self._flush()
        self._items.append(Event(sample_index=self.next_index, rising=None, counter=counter))

    def timestamp(self, ms: int, buffer_percent: int) -> None:
        self._flush()
        if self._last_stamp is not None:
            last_ms, last_index = self._last_stamp
            elapsed_ms = (ms - last_ms) % self._ms_modulus
            expected = round(elapsed_ms * self.sample_rate_hz / 1000.0)
            received = self.next_index - last_index
            if received < expected:
                self.dropped_samples += expected - received
                self._items.append(SampleDrop(first_index=last_index, count=expected - received))
            else:
                self.extra_samples += received - expected
        self._last_stamp = (ms, self.next_index)
        self._items.append(
            MonitorStatus(sample_index=self.next_index, buffer_percent=buffer_percent)
        )

    def failure(self, text: str) -> MeasurementError:
        return MeasurementError(
            f"{self.device}: the instrument reported {quote(text)} in the data stream at sample "
            f"{self.next_index}; this capture is void. Fix: {commands.stream_error_fix(text)}"
        )

    def take(self) -> list[StreamItem]:
        self._flush()
        items, self._items = self._items, []
        return items

    def _flush(self) -> None:
        if self._values:
            values = self._values[0] if len(self._values) == 1 else np.concatenate(self._values)
            self._values = []
            self._items.append(SampleBlock(values, self._first, self.sample_rate_hz, self.unit))


def looks_like_text(segment: str) -> bool:
    """Printable ASCII starting with a letter: what the firmware says, not line noise."""
    printable = sum(1 for ch in segment if " " <= ch <= "~")
    return segment[0].isalpha() and printable == len(segment)


class Lpm01aDecoder(ABC):
    """Incremental decoder of one acquisition; ``feed(bytes)`` returns the items completed
    so far, for any split of the stream.

    ``await_start_ack``: treat everything before the line ``ack start`` as text (stale data
    from an earlier run is skipped), so a driver can feed all bytes it reads after ``start``.
    A subclass decodes ``buf`` in ``_decode`` and says how much of it it consumed.
    """

    ms_modulus: int

    def __init__(
        self,
        sample_rate_hz: float,
        unit: str,
        *,
        device: str = "LPM01A",
        on_text: TextSink | None = None,
        await_start_ack: bool = False,
    ) -> None:
        self.tracker = StreamTracker(device, sample_rate_hz, unit, self.ms_modulus)
        self.on_text = on_text
        self.awaiting_start = await_start_ack
        self.ended = False
        self.garbage_bytes = 0
        self._tail = b""
        self._failure: MeasurementError | None = None

    @property
    def next_index(self) -> int:
        return self.tracker.next_index

    def feed(self, data: bytes) -> list[StreamItem]:
        if self._failure is not None:
            raise self._failure
        data = bytes(data)
        try:
            if self._tail:
                consumed, buf = self._decode_after_tail(data)
            else:
                consumed, buf = self._decode(data), data
        except MeasurementError as exc:
            self._failure = exc
            raise
        self._tail = buf[consumed:]
        return self.tracker.take()

    def _decode_after_tail(self, data: bytes) -> tuple[int, bytes]:
        """Decode the bytes left over from the last feed followed by ``data``: the bytes
        consumed, and the buffer they count in."""
        buf = self._tail + data
        return self._decode(buf), buf

    @abstractmethod
    def _decode(self, buf: bytes) -> int:
        """Decode what ``buf`` completes; the number of bytes consumed (the rest waits)."""

    def _text(self, segment: str) -> None:
        """A text segment: a start ack ends ``awaiting_start``; text goes to ``on_text``,
        anything else is garbage."""
        if self.awaiting_start:
            reply = commands.parse_reply(segment)
            if reply and reply.kind == "ack" and reply.command == "start":
                self.awaiting_start = False
        if not looks_like_text(segment):
            self.garbage_bytes += len(segment)
        elif self.on_text is not None:
            self.on_text(segment)
