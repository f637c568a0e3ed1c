"""What a report holds, apart from how it is drawn: groups (a session, or a published folder)
of items (a workload's results, or one re-scored trace), each with its windows, its checks, its
provenance, the problems met reading it, and the min/max envelope of its trace."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

PASSED = "passed"
FAILED = "failed"
NOT_APPLICABLE = "not applicable"

SESSION = "session"  # a tinyjoule run
IMPORTED = "imported"  # a published run imported by ``rescore --import``
PUBLISHED = "published"  # a published folder, re-scored for this report


@dataclass(frozen=True, slots=True)
class Check:
    """One check of the run: its name, ``PASSED``/``FAILED``/``NOT_APPLICABLE``, and why."""

    name: str
    status: str
    detail: str


@dataclass(frozen=True, slots=True)
class WindowMark:
    """A scored window on the trace: its edges and the span plotted around it (seconds)."""

    number: int | str
    label: str
    start_s: float
    end_s: float
    span_s: tuple[float, float]
    kind: str = "scored"  # or "aligned": rebuilt by the alignment check (published folders)


@dataclass(slots=True)
class Envelope:
    """Min and max of the samples in each bin ``[boundaries[i], boundaries[i+1])`` in the
    plotted unit (NaN where no sample could be read), with the trace's events and windows."""

    sample_rate_hz: float
    quantity: str  # "power" or "current"
    unit: str  # "mW" or "mA"
    n_samples: int
    boundaries: np.ndarray  # int64 sample indices, strictly increasing, len(lo) + 1
    lo: np.ndarray
    hi: np.ndarray
    events_s: list[float]
    windows: list[WindowMark]
    captures_s: list[float] = field(default_factory=list)  # separately captured pieces start

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sample_rate_hz


@dataclass(slots=True)
class Item:
    """One workload of a session, or one re-scored published trace."""

    name: str
    path: Path
    kind: str  # SESSION, IMPORTED or PUBLISHED
    mode: str  # energy, performance or accuracy
    data: dict[str, Any]  # the results (results.json, or the re-score's JSON form)
    windows: list[dict[str, Any]]
    simulated: bool | None = None
    synthetic: bool | None = None
    complete: bool | None = None
    trace_path: Path | None = None
    trace_attrs: dict[str, Any] = field(default_factory=dict)
    trace_tables: dict[str, np.ndarray] = field(default_factory=dict)  # events, drops, windows
    envelope: Envelope | None = None
    checks: list[Check] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what could not be read, and the fix
    notes: list[str] = field(default_factory=list)
    windows_from: str = "results.json"
    noise_uj: list[float | None] = field(default_factory=list)  # per window: 1 sigma of its
    # sum of instrument noise, estimated from the trace (sample noise x sqrt(samples))
    raw: Any = None  # a published folder's RawTrace (its samples are in memory)
    score: Any = None  # and its TraceScore

    @property
    def partial(self) -> bool:
        return bool(self.problems)


@dataclass(slots=True)
class Group:
    """A session folder (its workloads) or a published folder (its traces)."""

    title: str
    path: Path
    kind: str
    info: dict[str, Any] = field(default_factory=dict)  # summary.json, or the folder's facts
    items: list[Item] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def simulated(self) -> bool:
        return any(i.simulated for i in self.items) or bool(self.info.get("simulated"))

    @property
    def synthetic(self) -> bool:
        return any(i.synthetic for i in self.items) or bool(self.info.get("synthetic_dataset"))

    @property
    def partial(self) -> bool:
        return bool(self.problems) or any(i.partial for i in self.items)


@dataclass(slots=True)
class Report:
    groups: list[Group]
    problems: list[str]  # paths that gave nothing at all

    @property
    def items(self) -> list[Item]:
        return [i for g in self.groups for i in g.items]

    @property
    def all_problems(self) -> list[str]:
        inner = [
            p for g in self.groups for p in (*g.problems, *(q for i in g.items for q in i.problems))
        ]
        return [*self.problems, *inner]
