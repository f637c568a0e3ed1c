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

Every live window carries its uncertainty budget after the GUM (``calibration.budget``):
reading (the datasheet bound, or a calibration's gain and offset), boundary samples, time
base and resolution; ``uncertainty_j`` is the expanded uncertainty (k = 2) and
``edge_uncertainty_j`` the hard bound from the edges.

With a calibration (``correction``: corrected = raw x scale + shift, at a corrected rate) the
integrator corrects every block as it adds it: its running sums and the samples it reads
are of corrected samples (the correction is linear, so a block's corrected sum is its raw
sum x scale + shift x its length: no pass over the samples beyond the sum it makes anyway).
``UncertaintyModel.raw`` maps corrected values back to the raw readings whose resolution
the budget needs.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from tinyjoule.calibration.budget import (
    Budget,
    CalibratedReading,
    DatasheetReading,
    TimebaseInputs,
    WindowFacts,
    reading_quantum,
    rectangular,
    window_budget,
)
from tinyjoule.calibration.correction import StreamCorrection
from tinyjoule.errors import MeasurementError
from tinyjoule.host.measurement.stream import SampleBlock

EDGE_SAMPLE_OFFSET = 1  # an event at index k: the edge lies in sample k - 1
KEEP_SAMPLES = 1 << 20
"""Recent samples the stream integrator holds for events reported after their sample."""


@dataclass(frozen=True, slots=True)
class UncertaintyModel:
    """What the budget of every window needs: the instrument's stated accuracies (bounds),
    or a calibration's fitted doubt where one is applied, and how readings are resolved."""

    reading_relative: float  # gain/offset accuracy of a current or energy reading (a bound)
    sample_rate_relative: float = 1e-4  # time base (a bound; tinyjoule's assumption)
    reading_source: str = ""  # where ``reading_relative`` comes from
    calibrated: CalibratedReading | None = None  # a calibration's gain and offset
    timebase: TimebaseInputs | None = None  # a calibration's time base
    resolution: str | None = None  # the raw readings' resolution rule (``reading_quantum``)
    raw: StreamCorrection | None = None  # the correction the samples went through

    def reading(self) -> DatasheetReading | CalibratedReading:
        if self.calibrated is not None:
            return self.calibrated
        return DatasheetReading(self.reading_relative, self.reading_source or "stated accuracy")

    def timebase_inputs(self) -> TimebaseInputs:
        if self.timebase is not None:
            return self.timebase
        ppm = self.sample_rate_relative * 1e6
        return TimebaseInputs(
            (
                (
                    "time base",
                    "B",
                    "rectangular",
                    rectangular(ppm),
                    f"sample clock within ±{ppm:g} ppm (tinyjoule's assumption for a "
                    "crystal-clocked instrument; calibrate the time base to replace it)",
                ),
            )
        )


@dataclass(frozen=True, slots=True)
class WindowEnergy:
    """The energy of one window and its uncertainty: ``edge_uncertainty_j`` bounds the
    error from where the edges fell in their samples; ``uncertainty_j`` is the expanded
    uncertainty (k = 2) of ``budget`` (rescored published windows: the bounds added in
    quadrature, and no budget)."""

    start_index: int
    end_index: int
    sample_rate_hz: float
    energy_j: float
    uncertainty_j: float
    edge_uncertainty_j: float
    budget: Budget | None = None

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
    """Energy from the sum of the whole samples inside a window and its two edge samples,
    with its budget."""
    scale = voltage_v / sample_rate_hz if unit == "A" else 1.0
    total_samples = inner_sum + 0.5 * (boundary_start + boundary_end)
    energy = scale * total_samples
    edge = scale * 0.5 * (abs(boundary_start) + abs(boundary_end))
    n = end_index - start_index
    mean = total_samples / n if n > 0 else 0.0
    raw_mean = model.raw.raw_value(mean) if model.raw is not None else mean
    facts = WindowFacts(
        energy_j=energy,
        edge_bound_j=edge,
        samples=n,
        duration_s=n / sample_rate_hz,
        voltage_v=voltage_v,
        raw_mean_sample=raw_mean,
        quantum=reading_quantum(model.resolution, raw_mean),
    )
    budget = window_budget(facts, model.reading(), model.timebase_inputs(), model.resolution or "")
    expanded = budget.expanded_uncertainty_uj * 1e-6
    return WindowEnergy(start_index, end_index, sample_rate_hz, energy, expanded, edge, budget)


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

    def __init__(
        self, keep_samples: int = KEEP_SAMPLES, correction: StreamCorrection | None = None
    ) -> None:
        self.keep_samples = keep_samples
        self.correction = correction
        self._scale, self._shift = (
            (correction.scale, correction.shift) if correction is not None else (1.0, 0.0)
        )
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
            if self.correction is not None:
                self.sample_rate_hz = self.correction.sample_rate_hz
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
        total = float(np.sum(block.samples, dtype=np.float64))
        if self.correction is None:
            self._total += total
        else:
            self._total += total * self._scale + self._shift * len(block.samples)
        self.end_index = block.end_index
        if self._pending:
            for sample in [s for s in self._pending if s < self.end_index]:
                self._marks[sample] = self._read(block, before, sample)
                self._pending.discard(sample)

    def _read(self, block: SampleBlock, before: float, sample: int) -> tuple[float, float]:
        """The (corrected) running sum before ``sample`` and its (corrected) value."""
        offset = sample - block.first_index
        head = float(np.sum(block.samples[:offset], dtype=np.float64))
        value = float(block.samples[offset])
        if self.correction is not None:
            head = head * self._scale + self._shift * offset
            value = value * self._scale + self._shift
        return before + head, value

    def held_from(self) -> int:
        return self._blocks[0][0].first_index if self._blocks else self.end_index

    def held(self, start: int, end: int) -> np.ndarray:
        """A copy of samples ``start`` ... ``end - 1`` from the blocks still held
        (corrected, with a correction)."""
        start = max(start, self.held_from())
        end = min(end, self.end_index)
        if end <= start:
            return np.empty(0)
        parts = [
            b.samples[max(start - b.first_index, 0) : end - b.first_index]
            for b, _ in self._blocks
            if b.first_index < end and b.end_index > start
        ]
        samples = np.concatenate(parts).astype(np.float64)
        return samples if self.correction is None else self.correction.apply(samples)

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
