"""Window integration: the energy between two timestamp events, with its uncertainty.

An event at sample index ``k`` means the pin edge happened during sample ``k - 1`` (the
monitor reports it before the next sample). The edge's position inside that sample is
unknown, so each boundary sample counts half: the part of it inside the window lies between
nothing and all of it, so half a boundary sample bounds each edge's error, and the edge part
of the uncertainty is the two halves added (a hard bound: where the board draws more inside
the window than outside, both edges err the same way, so they must not be added in
quadrature). Current samples give E = V x sum(I) / fs; energy samples give E = sum.

``StreamIntegrator`` does this block by block with bounded memory: it keeps the running
sum at every block start and the last ``KEEP_SAMPLES`` samples (whatever the size of the
blocks), so it can answer for any window whose boundary samples are still held.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from tinyjoule.errors import MeasurementError
from tinyjoule.host.measurement.stream import SampleBlock

EDGE_SAMPLE_OFFSET = 1  # an event at index k: the edge lies in sample k - 1
KEEP_SAMPLES = 1 << 20
"""Recent samples the stream integrator holds for events reported after their sample."""


@dataclass(frozen=True, slots=True)
class UncertaintyModel:
    """The instrument's stated relative accuracies (bounds) used for every figure."""

    reading_relative: float  # gain/offset accuracy of a current or energy reading
    sample_rate_relative: float = 1e-4  # time base


@dataclass(frozen=True, slots=True)
class WindowEnergy:
    """The energy of one window and its uncertainty: ``edge_uncertainty_j`` bounds the
    error from where the edges fell in their samples; ``uncertainty_j`` adds it in
    quadrature to the reading and time-base bounds."""

    start_index: int
    end_index: int
    sample_rate_hz: float
    energy_j: float
    uncertainty_j: float
    edge_uncertainty_j: float

    @property
    def duration_s(self) -> float:
        return (self.end_index - self.start_index) / self.sample_rate_hz

    @property
    def energy_uj(self) -> float:
        return self.energy_j * 1e6

    @property
    def mean_power_w(self) -> float:
        return self.energy_j / self.duration_s


def window_energy(
    boundary_start: float,
    inner_sum: float,
    boundary_end: float,
    start_index: int,
    end_index: int,
    unit: str,
    sample_rate_hz: float,
    voltage_v: float,
    model: UncertaintyModel,
) -> WindowEnergy:
    """Energy from the sum of the whole samples inside a window and its two edge samples."""
    scale = voltage_v / sample_rate_hz if unit == "A" else 1.0
    energy = scale * (inner_sum + 0.5 * (boundary_start + boundary_end))
    edge = scale * 0.5 * (abs(boundary_start) + abs(boundary_end))
    total = math.sqrt(
        (model.reading_relative * energy) ** 2
        + (model.sample_rate_relative * energy) ** 2
        + edge**2
    )
    return WindowEnergy(start_index, end_index, sample_rate_hz, energy, total, edge)


def integrate_array(
    samples: np.ndarray,
    first_index: int,
    start_event: int,
    end_event: int,
    unit: str,
    sample_rate_hz: float,
    voltage_v: float,
    model: UncertaintyModel,
) -> WindowEnergy:
    """``window_energy`` over samples held in one array (``samples[0]`` is ``first_index``)."""
    a = start_event - EDGE_SAMPLE_OFFSET - first_index
    b = end_event - EDGE_SAMPLE_OFFSET - first_index
    if end_event <= start_event:
        raise MeasurementError(f"window end event {end_event} is not after start {start_event}")
    if a < 0 or b >= len(samples):
        raise MeasurementError(
            f"window [{start_event}, {end_event}) needs samples {a + first_index}.."
            f"{b + first_index} but the trace holds {first_index}..{first_index + len(samples) - 1}"
        )
    inner = float(np.sum(samples[a + 1 : b], dtype=np.float64))
    return window_energy(
        float(samples[a]),
        inner,
        float(samples[b]),
        start_event,
        end_event,
        unit,
        sample_rate_hz,
        voltage_v,
        model,
    )


class StreamIntegrator:
    """Running sums over a stream of sample blocks, answering windows with bounded memory.

    A window needs, at each of its two boundary samples, the running sum up to that sample
    and the sample itself. ``mark(index)`` asks for them; they are taken as the sample
    streams past (or at once, from the last few blocks kept, for a sample already seen).
    Nothing else is kept, so memory does not grow with the length of the run.
    """

    def __init__(self, keep_samples: int = KEEP_SAMPLES) -> None:
        self.keep_samples = keep_samples
        self._blocks: deque[tuple[SampleBlock, float]] = deque()
        self._held = 0
        self._total = 0.0
        self._pending: set[int] = set()
        self._marks: dict[int, tuple[float, float]] = {}  # sample -> (sum before it, value)
        self.end_index = 0
        self.unit: str | None = None
        self.sample_rate_hz: float | None = None

    def add(self, block: SampleBlock) -> None:
        if self.unit is None:
            self.unit, self.sample_rate_hz = block.unit, block.sample_rate_hz
        if block.first_index != self.end_index:
            raise MeasurementError(
                f"sample block starts at {block.first_index}, expected {self.end_index}: the "
                "stream has a gap the monitor did not report"
            )
        before = self._total
        self._blocks.append((block, before))
        self._held += len(block.samples)
        while len(self._blocks) > 1 and self._held - len(self._blocks[0][0].samples) >= (
            self.keep_samples
        ):
            self._held -= len(self._blocks.popleft()[0].samples)
        self._total += float(np.sum(block.samples, dtype=np.float64))
        self.end_index = block.end_index
        if self._pending:
            for sample in [s for s in self._pending if s < self.end_index]:
                self._marks[sample] = self._read(block, before, sample)
                self._pending.discard(sample)

    @staticmethod
    def _read(block: SampleBlock, before: float, sample: int) -> tuple[float, float]:
        offset = sample - block.first_index
        prefix = before + float(np.sum(block.samples[:offset], dtype=np.float64))
        return prefix, float(block.samples[offset])

    def held_from(self) -> int:
        return self._blocks[0][0].first_index if self._blocks else self.end_index

    def mark(self, sample: int) -> None:
        """Keep the running sum before ``sample`` and its value, now or when it arrives."""
        if sample in self._marks or sample < 0:
            return
        if sample >= self.end_index:
            self._pending.add(sample)
            return
        for block, before in reversed(self._blocks):
            if block.first_index <= sample < block.end_index:
                self._marks[sample] = self._read(block, before, sample)
                return
        raise MeasurementError(
            f"sample {sample} is no longer held (holding {self.held_from()}.."
            f"{self.end_index - 1}); its event was reported too late"
        )

    def mark_event(self, event_index: int) -> None:
        self.mark(event_index - EDGE_SAMPLE_OFFSET)

    def ready(self, end_event: int) -> bool:
        return self.end_index >= end_event - EDGE_SAMPLE_OFFSET + 1

    def window(
        self, start_event: int, end_event: int, voltage_v: float, model: UncertaintyModel
    ) -> WindowEnergy:
        if end_event <= start_event:
            raise MeasurementError(f"window end event {end_event} is not after start {start_event}")
        a = start_event - EDGE_SAMPLE_OFFSET
        b = end_event - EDGE_SAMPLE_OFFSET
        if a < 0 or not self.ready(end_event):
            raise MeasurementError(f"samples {a}..{b} of the window are not all in yet")
        self.mark(a)
        self.mark(b)
        prefix_a, value_a = self._marks[a]
        prefix_b, value_b = self._marks[b]
        inner = prefix_b - (prefix_a + value_a)
        assert self.unit is not None and self.sample_rate_hz is not None
        return window_energy(
            value_a,
            inner,
            value_b,
            start_event,
            end_event,
            self.unit,
            self.sample_rate_hz,
            voltage_v,
            model,
        )

    def forget_before(self, sample: int) -> None:
        """Drop marks of samples before ``sample`` (windows already measured)."""
        for key in [k for k in self._marks if k < sample]:
            del self._marks[key]


def range_energy(
    samples: np.ndarray,
    first_index: int,
    start: int,
    end: int,
    unit: str,
    sample_rate_hz: float,
    voltage_v: float,
    model: UncertaintyModel,
    edge_samples: float = 1.0,
) -> WindowEnergy:
    """Energy of the half-open sample range ``[start, end)``: the published runners'
    convention (whole samples, no half edges). ``edge_samples`` is how many samples either
    way each boundary may be off (EEMBC times are rounded to 1 ms: one sample at 1 kHz)."""
    a, b = start - first_index, end - first_index
    if end <= start:
        raise MeasurementError(f"sample range [{start}, {end}) is empty")
    if a < 0 or b > len(samples):
        raise MeasurementError(
            f"sample range [{start}, {end}) is outside the trace, which holds "
            f"{first_index}..{first_index + len(samples) - 1}"
        )
    scale = voltage_v / sample_rate_hz if unit == "A" else 1.0
    energy = scale * float(np.sum(samples[a:b], dtype=np.float64))
    edge_start = float(samples[a]) if a < len(samples) else 0.0
    edge_end = float(samples[b - 1])
    edge = scale * edge_samples * (abs(edge_start) + abs(edge_end))
    total = math.sqrt(
        (model.reading_relative * energy) ** 2
        + (model.sample_rate_relative * energy) ** 2
        + edge**2
    )
    return WindowEnergy(start, end, sample_rate_hz, energy, total, edge)
