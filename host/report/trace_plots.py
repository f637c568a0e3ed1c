"""The trace of each item as an :class:`Envelope`: a session's ``trace.h5`` read block by block,
or a published folder's samples (in memory), with its events and windows in seconds.

Time is the sample index over the sample rate (sample ``i`` spans ``[i/fs, (i+1)/fs)``). An
event at index ``k`` is an edge inside sample ``k - 1``, drawn at its middle; windows are drawn
from edge to edge (live runs, ``half_edge_samples``) or over their half-open sample range
(``half_open_range``: published runs). Samples in J per sample period are drawn as power
(mW = J x fs x 1e3), samples in A as current (mA).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinyjoule.host.measurement.trace_file import EVENT_COLUMNS, WINDOW_COLUMNS
from tinyjoule.host.report.envelope import Reader, min_max, plan_bins, sample_noise, span
from tinyjoule.host.report.model import Envelope, Item, WindowMark
from tinyjoule.host.report.trace_reader import TraceReadError, read_facts, sample_reader

HALF_OPEN = "half_open_range"


def _scale(unit: str, fs: float) -> tuple[str, str, float]:
    if unit == "A":
        return "current", "mA", 1e3
    return "power", "mW", fs * 1e3  # J per sample period


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def window_from_row(row: np.ndarray, fs: float) -> dict[str, Any]:
    """A window as results.json holds it, rebuilt from a row of the trace's /windows table."""
    get = dict(zip(WINDOW_COLUMNS, row.tolist(), strict=False))
    start, end = int(get["start_event_index"]), int(get["end_event_index"])
    n = int(get["inferences"]) or 1
    duration = (end - start) / fs
    energy_uj = get["energy_j"] * 1e6
    return {
        "inferences": n,
        "energy_uj": energy_uj,
        "uncertainty_uj": get["uncertainty_j"] * 1e6,
        "uj_per_inference": energy_uj / n,
        "uncertainty_uj_per_inference": get["uncertainty_j"] * 1e6 / n,
        "mean_power_mw": energy_uj / duration / 1e3 if duration > 0 else None,
        "duration_s": duration,
        "latency_ms": duration * 1e3 / n,
        "start_sample": start,
        "end_sample": end,
    }


def read_trace_facts(item: Item) -> None:
    """The trace's attributes and tables into ``item``; its windows too if results had none."""
    if item.trace_path is None:
        return
    if not item.trace_path.exists():
        item.problems.append(
            f"{item.trace_path}: missing, so the trace plot is left out; the figures come "
            "from results.json. To fix, copy the trace again from where the run wrote it"
        )
        item.trace_path = None
        return
    try:
        facts = read_facts(item.trace_path)
    except TraceReadError as exc:
        item.problems.append(str(exc))
        item.trace_path = None
        return
    item.trace_attrs, item.trace_tables = facts.attrs, facts.tables
    item.trace_attrs["n_samples"] = facts.n_samples
    item.problems.extend(facts.problems)
    rows = facts.tables.get("windows", np.zeros((0, 0)))
    if not item.windows and rows.ndim == 2 and rows.shape[0] and rows.shape[1] >= 5:
        item.windows = [window_from_row(r, facts.sample_rate_hz) for r in rows]
        item.windows_from = "trace.h5"


def _ranges(item: Item) -> list[tuple[int, int]]:
    """Each window's first and last edge positions as sample indices (both conventions)."""
    half_open = item.trace_attrs.get("window_convention") == HALF_OPEN
    out = []
    for w in item.windows:
        a, b = _num(w.get("start_sample")), _num(w.get("end_sample"))
        if a is not None and b is not None and b > a:
            out.append((int(a), int(b)) if half_open else (int(a) - 1, int(b) - 1))
    return out


def _events(item: Item) -> list[int]:
    events = item.trace_tables.get("events", np.zeros((0, 0)))
    if events.ndim != 2 or not events.shape[0]:
        return []
    return [int(k) - 1 for k in events[:, EVENT_COLUMNS.index("sample_index")]]


def _marks(item: Item, ranges: list[tuple[int, int]], n: int, fs: float) -> list[WindowMark]:
    half_open = item.trace_attrs.get("window_convention") == HALF_OPEN
    off = 0.0 if half_open else 0.5  # an edge inside a sample: drawn at its middle
    marks = []
    for i, ((a, b), w) in enumerate(zip(ranges, item.windows, strict=False)):
        lo, hi = span(a, b, n)
        label = str(w.get("input") or "")
        number = w.get("window", i + 1)
        marks.append(WindowMark(number, label, (a + off) / fs, (b + off) / fs, (lo / fs, hi / fs)))
    return marks


def _noise_uj(item: Item, read: Reader, a: int, b: int) -> float | None:
    """1 sigma of the instrument noise summed over the window's samples, in µJ."""
    sigma = sample_noise(read, a, b)
    attrs = item.trace_attrs
    if sigma is None:
        return None
    if attrs.get("unit") == "A":  # J per sample = V x A / fs
        volts = _num(attrs.get("supply_voltage_v"))
        if volts is None:
            return None
        sigma *= volts / float(attrs["sample_rate_hz"])
    return sigma * math.sqrt(b - a) * 1e6


def session_envelope(item: Item, per_window: int, per_edge: int) -> None:
    """``item.envelope`` from its trace.h5, block by block; damaged chunks listed as problems."""
    if item.trace_path is None or not item.trace_attrs:
        return
    fs = float(item.trace_attrs["sample_rate_hz"])
    n = int(item.trace_attrs["n_samples"])
    if n == 0:
        item.problems.append(f"{item.trace_path}: holds no samples; nothing to plot")
        return
    ranges = _ranges(item)
    events = _events(item)
    edges = sorted({*events, *(k for r in ranges for k in r)})
    bounds = plan_bins(n, ranges, edges, per_window, per_edge)
    try:
        with sample_reader(item.trace_path) as reader:
            lo, hi = min_max(reader.read, bounds)
            item.noise_uj = [_noise_uj(item, reader.read, a, b) for a, b in ranges]
            bad = list(reader.bad_ranges)
    except TraceReadError as exc:
        item.problems.append(str(exc))
        return
    for a, b, why in bad:
        item.problems.append(
            f"{item.trace_path}: samples {a}..{b - 1} cannot be read ({why}); they are left "
            "blank in the plot. To fix, copy the file again from where the run wrote it"
        )
    quantity, unit, scale = _scale(str(item.trace_attrs.get("unit", "J")), fs)
    item.envelope = Envelope(
        fs,
        quantity,
        unit,
        n,
        bounds,
        lo * scale,
        hi * scale,
        [(k + 0.5) / fs for k in events],
        _marks(item, ranges, n, fs),
    )


def published_envelope(item: Item, per_window: int, per_edge: int) -> None:
    """``item.envelope`` from a re-scored published trace (samples in J, held in memory)."""
    raw, score = item.raw, item.score
    samples, fs, n = raw.samples_j, raw.sample_rate_hz, len(raw.samples_j)
    if n == 0:
        return
    windows = [(w.spec.start, w.spec.end, w, "scored") for w in score.windows]
    windows += [(w.spec.start, w.spec.end, w, "aligned") for w in score.aligned or ()]
    edges = [k - 1 for k in raw.edges]
    bounds = plan_bins(n, [(a, b) for a, b, _, _ in windows], edges, per_window, per_edge)
    lo, hi = min_max(lambda a, b: samples[a:b], bounds)
    marks = [
        WindowMark(
            w.number, w.spec.label, a / fs, b / fs, tuple(x / fs for x in span(a, b, n)), kind
        )  # type: ignore[arg-type]
        for a, b, w, kind in windows
    ]
    scale = fs * 1e3
    item.envelope = Envelope(
        fs,
        "power",
        "mW",
        n,
        bounds,
        lo * scale,
        hi * scale,
        [(k + 0.5) / fs for k in edges],
        marks,
        [c.start / fs for c in raw.captures[1:]],
    )
