"""What a published energy folder holds once read: raw samples, edges, windows, logged runs.

Both folder kinds are read into one :class:`RawTrace`: energy per sample in joules (all
separately captured pieces one after the other), timestamp edges as sample indices in the
tinyjoule convention (an event at ``k``: the edge fell in sample ``k - 1``), and the windows
the published runner scored, as half-open sample ranges ``[start, end)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinyjoule.errors import ConfigurationError
from tinyjoule.tinyml_workloads.workloads import WORKLOADS

EEMBC = "eembc"
MLCOMMONS = "mlcommons"


class FolderError(ConfigurationError):
    """A published energy folder (or one of its files) cannot be read or does not add up."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


@dataclass(frozen=True, slots=True)
class Capture:
    """One separately recorded piece of the trace: samples ``[start, end)``."""

    start: int
    end: int
    label: str
    inferences: int | None = None  # MLCommons: the trial's infer iterations


@dataclass(frozen=True, slots=True)
class LoggedRun:
    """One ``infer`` as the run log records it, in seconds of the log's clock."""

    start_s: float  # m-infer-start
    done_s: float  # m-infer-done
    iterations: int
    warmups: int
    input_name: str

    @property
    def duration_s(self) -> float:
        return self.done_s - self.start_s


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """A window to score: samples ``[start, end)``, from edge ``first_edge`` to the next."""

    number: int  # EEMBC window number k (2, 4, ...) or MLCommons trial index
    start: int
    end: int
    first_edge: int  # position in RawTrace.edges of the start edge
    inferences: int
    label: str = ""
    warmups: int = 0


@dataclass(frozen=True, slots=True, eq=False)
class RawTrace:
    """Everything scoring needs from one trace of a folder."""

    folder: Path
    name: str  # "trace1" for EEMBC, "results.json" for MLCommons
    format: str  # EEMBC or MLCOMMONS
    samples_j: np.ndarray  # float64, energy of each sample period in J
    sample_rate_hz: float
    captures: tuple[Capture, ...]
    edges: tuple[int, ...]  # event sample indices, ascending
    edge_captures: tuple[int, ...]  # for each edge, the index of the capture it belongs to
    windows: tuple[WindowSpec, ...]  # as the published runner took them
    edge_samples: int  # how far either boundary may be off (EEMBC: ms-rounded times)
    voltage_v: float | None
    workload: str | None
    runs: tuple[LoggedRun, ...] = ()  # from the log, when it records run times
    counters: tuple[int, ...] = ()  # the monitor's event numbers, where stored
    flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    edge_times_s: tuple[float, ...] = field(default=())  # EEMBC timestamps as stored


def workload_from_path(folder: Path) -> str | None:
    """``kws01`` for ``.../<system>/kws/energy``, the results repositories' layout (each
    workload names its folder there: ``Workload.results_folder``)."""
    benchmarks = {w.results_folder: w.id for w in WORKLOADS.values()}
    for part in reversed(folder.parts):
        if part.lower() in benchmarks:
            return benchmarks[part.lower()]
    return None
