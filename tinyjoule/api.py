"""tinyjoule from Python (a notebook, a script): run a measurement, load a session or the
history, get windows, samples and summaries as pandas DataFrames.

    import tinyjoule
    session = tinyjoule.measure(workloads=["kws01"])           # the simulated bench
    session.summaries()                                        # one row per workload
    session.windows()                                          # one row per window
    session.samples("kws01")                                   # the trace: time_s, value
    tinyjoule.history(workload="kws01")                        # every indexed run
    tinyjoule.compare(session.path, "workload=kws01")          # side by side

pandas is an optional extra (``pip install tinyjoule[pandas]``); without it ``records()``
and ``window_records()`` give plain dictionaries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tinyjoule.errors import ConfigurationError

DEFAULT_SESSIONS = Path("sessions")


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ConfigurationError(
            "DataFrames need pandas, which is not installed: pip install tinyjoule[pandas] "
            "(or use records() / window_records() for plain dictionaries)"
        ) from None
    return pandas


@dataclass(frozen=True)
class SessionData:
    """A session folder, read: its summary and every workload's results."""

    path: Path
    summary: dict[str, Any]
    results: dict[str, dict[str, Any]]  # workload -> its results.json

    @property
    def workloads(self) -> list[str]:
        return list(self.results)

    def records(self) -> list[dict[str, Any]]:
        """One dictionary per workload: its figures without the windows."""
        skip = {"windows", "results_by_file", "provenance"}
        return [{k: v for k, v in r.items() if k not in skip} for r in self.results.values()]

    def window_records(self, workload: str | None = None) -> list[dict[str, Any]]:
        out = []
        for name, result in self.results.items():
            if workload in (None, name):
                out += [{"workload": name, "window": n, **w}
                        for n, w in enumerate(result.get("windows") or [], 1)]  # fmt: skip
        return out

    def summaries(self) -> Any:
        """One row per workload (DataFrame)."""
        return _pandas().DataFrame(self.records())

    def windows(self, workload: str | None = None) -> Any:
        """One row per window of every workload, or of ``workload`` (DataFrame)."""
        return _pandas().DataFrame(self.window_records(workload))

    def samples(self, workload: str, start_s: float = 0.0, stop_s: float | None = None) -> Any:
        """The trace of ``workload`` between two times (DataFrame: time_s, value, unit:
        J per sample period or A)."""
        path = self.path / workload / "trace.h5"
        if not path.is_file():
            raise ConfigurationError(f"{path}: no trace (only energy runs record one)")
        times, values, unit = _read_samples(path, start_s, stop_s)
        return _pandas().DataFrame({"time_s": times, "value": values, "unit": unit})


def _read_samples(path: Path, start_s: float, stop_s: float | None) -> tuple[Any, Any, str]:
    import h5py
    import numpy as np

    try:
        with h5py.File(path, "r") as f:
            fs = float(f.attrs["sample_rate_hz"])
            unit = str(f.attrs["unit"])
            n = f["samples"].shape[0]
            a = max(0, int(start_s * fs))
            b = n if stop_s is None else min(n, int(stop_s * fs))
            values = f["samples"][a:b]
    except (OSError, KeyError) as exc:
        raise ConfigurationError(
            f"{path}: cannot read the trace ({exc}); a run cut short keeps what it flushed"
        ) from exc
    return (np.arange(a, a + len(values)) / fs), values, unit


def load_session(path: str | Path) -> SessionData:
    """The session at ``path`` (a folder ``tinyjoule run`` or ``rescore --import`` wrote)."""
    folder = Path(path)
    summary_path = folder / "summary.json"
    if not summary_path.is_file():
        raise ConfigurationError(
            f"{folder}: not a tinyjoule session (no summary.json); give a folder under sessions/"
        )
    try:
        summary = json.loads(summary_path.read_text())
        results = {
            p.parent.name: json.loads(p.read_text()) for p in sorted(folder.glob("*/results.json"))
        }
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigurationError(f"{folder}: a results file cannot be read ({exc})") from exc
    return SessionData(folder, summary, results)


def measure(
    mode: str = "energy",
    workloads: Sequence[str] | None = None,
    *,
    bench: str | None = None,
    monitor: str = "sim:lpm01a",
    dataset: str | Path | None = None,
    model: str | Path | None = None,
    sessions: str | Path = DEFAULT_SESSIONS,
    db: str | None = None,
) -> SessionData:
    """Run a measurement (the simulated bench unless ``bench`` names another, e.g. a board
    file path or ``sim://?io=h573``) and return its session."""
    from tinyjoule.host.bench.board_file import load_board_file
    from tinyjoule.host.bench.spec import SIMULATED_BENCH, BenchSpec
    from tinyjoule.host.instruments.registry import parse_monitor
    from tinyjoule.host.runner.request import RunRequest
    from tinyjoule.host.runner.run import run
    from tinyjoule.tinyml_workloads.workloads import default_workload_ids

    if bench is not None and Path(bench).suffix == ".toml":
        spec = load_board_file(Path(bench))
    else:
        spec = BenchSpec(bench_url=bench or SIMULATED_BENCH)
    request = RunRequest(
        mode=mode,
        workloads=tuple(workloads or default_workload_ids()),
        bench=spec,
        monitor=parse_monitor(spec.monitor or monitor),
        dataset_root=Path(dataset) if dataset else None,
        model_path=Path(model) if model else None,
        sessions_root=Path(sessions),
        db_url=db,
    )
    summary = run(request)
    return load_session(summary["session"])


def history(db: str | None = None, sessions: str | Path = DEFAULT_SESSIONS, **filters: Any) -> Any:
    """Every indexed run matching ``filters`` (workload, board, model, monitor, mode, since,
    until, simulated), newest first (DataFrame)."""
    from tinyjoule.host.history.query import LISTED, Filters, find_runs
    from tinyjoule.host.history.store import database_url, open_history

    store = open_history(database_url(db, Path(sessions)))
    try:
        found = find_runs(store, Filters(**filters))
    finally:
        store.close()
    return _pandas().DataFrame(found, columns=list(LISTED))  # the columns even when empty


def compare(
    *runs: str | Path,
    published: Iterable[str | Path] = (),
    db: str | None = None,
    sessions: str | Path = DEFAULT_SESSIONS,
) -> Any:
    """Runs side by side, each with its difference from the first of its workload (DataFrame;
    see ``tinyjoule compare``)."""
    from tinyjoule.host.history import compare as comparing
    from tinyjoule.host.history.store import database_url, open_history

    store = open_history(database_url(db, Path(sessions)))
    try:
        items = [item for r in runs for item in comparing.from_argument(str(r), store)]
    finally:
        store.close()
    items += comparing.published([Path(p) for p in published])
    return _pandas().DataFrame(comparing.differences(items))
