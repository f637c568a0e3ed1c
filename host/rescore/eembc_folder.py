"""An EEMBC-runner energy folder (v0.5-v1.2) read into :class:`RawTrace` objects.

Window ``k`` (k = 2, 4, ...) spans timestamps ``ts[k-1]`` to ``ts[k]``; the runner sums the
samples ``[floor(ts[k-1]*fs) + 1, floor(ts[k]*fs) + 1)``. With an even number of edges (one lost,
or one extra) the same rule simply gives fewer or shifted windows, as it did for the runner.
Inferences per window come from results.txt, else the log's ``infer`` commands, else its config.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from tinyjoule.host.rescore.eembc_files import edge_index, read_energy_bin, read_timestamps
from tinyjoule.host.rescore.eembc_log import EembcLog, parse_eembc_log
from tinyjoule.host.rescore.published_txt import PublishedResults
from tinyjoule.host.rescore.records import (
    EEMBC,
    Capture,
    FolderError,
    RawTrace,
    WindowSpec,
    workload_from_path,
)

TRACE_FILE = re.compile(r"^(trace\w*?)-(energy\.bin|timestamps\.json)$")
EDGE_SAMPLES = 1  # ms-rounded times: either boundary may be one sample off


def trace_names(folder: Path) -> list[str]:
    """``trace1``, ``trace2``, ...: every trace whose energy or timestamps file is present."""
    names = {m[1] for p in folder.iterdir() if (m := TRACE_FILE.match(p.name))}
    return sorted(names, key=lambda n: (len(n), n))


def _inferences(
    k: int, published: PublishedResults | None, log: EembcLog | None, folder: Path
) -> int:
    if published is not None and (w := published.window(k)) and w.inferences:
        return w.inferences
    if log is not None and len(log.runs) >= k // 2:
        return log.runs[k // 2 - 1].iterations
    if log is not None and log.iterations:
        return log.iterations
    counts = {w.inferences for w in published.windows} - {None} if published else set()
    if len(counts) == 1:
        return int(next(iter(counts)))  # type: ignore[arg-type]
    raise FolderError(
        folder,
        f"no inference count for window {k}: results.txt has no '# Inferences' line and "
        "log.txt no 'infer N' command or iterInfer setting; add the folder's log.txt",
    )


def _read_trace(
    folder: Path, name: str, log: EembcLog | None, published: PublishedResults | None
) -> RawTrace:
    bin_path, ts_path = folder / f"{name}-energy.bin", folder / f"{name}-timestamps.json"
    for path, other in ((bin_path, ts_path), (ts_path, bin_path)):
        if not path.exists():
            raise FolderError(path, f"missing, but {other.name} is there: a trace needs both files")
    rate, samples_uj = read_energy_bin(bin_path)
    times = read_timestamps(ts_path)
    edges = [edge_index(t, rate) for t in times]
    n = len(samples_uj)
    if edges and edges[-1] > n:
        i = next(i for i, e in enumerate(edges) if e > n)
        raise FolderError(
            ts_path,
            f"edge {i} at {times[i]} s lies past the end of {bin_path.name} ({n:,} samples, "
            f"{n / rate:.3f} s): the timestamps do not fit this trace (truncated trace, or "
            "files from different runs)",
        )
    if len(edges) < 3:
        raise FolderError(
            ts_path,
            f"only {len(edges)} edge(s): not one window (the first edge is the "
            "'io dut timestamp' pulse, then two per window)",
        )
    same = [i for i in range(1, len(edges)) if edges[i] == edges[i - 1]]
    if same:
        raise FolderError(
            ts_path,
            f"edges {same[0] - 1} and {same[0]} fall in the same sample ({times[same[0]]} s): "
            "a window would hold no samples; the timestamp file is damaged",
        )
    runs = log.runs if log else ()
    warmups = (log.warmups or 0) if log else 0
    windows = tuple(
        WindowSpec(
            k,
            edges[k - 1],
            edges[k],
            k - 1,
            _inferences(k, published, log, folder),
            runs[k // 2 - 1].input_name if len(runs) >= k // 2 else "",
            warmups,
        )
        for k in range(2, len(edges), 2)
    )
    flags = ("edge_count",) if len(edges) % 2 == 0 else ()
    return RawTrace(
        folder=folder,
        name=name,
        format=EEMBC,
        samples_j=samples_uj.astype(np.float64) * 1e-6,
        sample_rate_hz=rate,
        captures=(Capture(0, n, name),),
        edges=tuple(edges),
        edge_captures=(0,) * len(edges),
        windows=windows,
        edge_samples=EDGE_SAMPLES,
        voltage_v=log.voltage_v if log else None,
        workload=(log.workload if log else None) or workload_from_path(folder),
        runs=log.runs if log else (),
        flags=flags,
        edge_times_s=tuple(times),
    )


def _mismatch(trace: RawTrace, published: PublishedResults) -> float:
    """How far the trace's windows are from the published energies (relative, summed)."""
    total = 0.0
    for w in published.windows:
        spec = next((s for s in trace.windows if s.number == w.number), None)
        if spec is None or w.energy_uj <= 0:
            total += 1.0
            continue
        energy = float(np.sum(trace.samples_j[spec.start : spec.end])) * 1e6
        total += abs(energy - w.energy_uj) / w.energy_uj
    return total


def load_eembc(
    folder: Path, published: PublishedResults | None
) -> list[tuple[RawTrace, PublishedResults | None]]:
    """Every trace of ``folder``, each with the published results that belong to it."""
    names = trace_names(folder)
    log_path = folder / "log.txt"
    log = parse_eembc_log(log_path) if log_path.exists() else None
    traces = [_read_trace(folder, n, log, published) for n in names]
    if len(traces) == 1:
        return [(traces[0], published)]
    owner = next((n for n in reversed(log.traces) if n in names), None) if log else None
    why = "log.txt registers it"
    if owner is None and published is not None:
        owner = min(traces, key=lambda t: _mismatch(t, published)).name
        why = "its windows match the published energies best"
    note = f"folder holds {len(names)} traces ({', '.join(names)})"
    if owner is not None:
        note += f"; results.txt and log.txt are {owner}'s ({why})"
    return [
        (
            replace(
                t,
                runs=t.runs if t.name == owner else (),
                flags=(*t.flags, "several_traces"),
                notes=(*t.notes, note),
            ),
            published if t.name == owner else None,
        )
        for t in traces
    ]
