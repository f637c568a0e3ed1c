"""An MLCommons-runner energy folder (v1.3+): ``results.json`` read into one :class:`RawTrace`.

``results.json`` is a list of trials, each with ``power.samples`` (J per 1 ms sample),
``power.timestamps`` (``[counter, sample_index]`` pairs) and ``infer.iterations``. The runner
sums ``samples[ts[-2][1]:ts[-1][1]]`` of each trial (extra early pulses are ignored) and divides
by ``iterations``. The trials, captured separately, are placed one after the other.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from tinyjoule.host.rescore.records import (
    MLCOMMONS,
    Capture,
    FolderError,
    RawTrace,
    WindowSpec,
    workload_from_path,
)

SAMPLE_RATE_HZ = 1000.0  # the runner's energy_sampling_freq
CAPTURED = re.compile(r"Captured samples:\s*(\d+)\s+timestamps:\s*(\d+)")
MODEL = re.compile(r"Device model retrieved:\s*([\w-]+)")


def _load(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" at character {exc.pos:,}" if isinstance(exc, json.JSONDecodeError) else ""
        raise FolderError(
            path, f"not valid JSON{where} ({exc}): the file is truncated or corrupt"
        ) from None
    if isinstance(data, dict) and "mode" in data:
        raise FolderError(path, "a tinyjoule session's results.json, not a published run")
    if not isinstance(data, list) or not data or not all(isinstance(t, dict) for t in data):
        raise FolderError(path, "expected a JSON list of trials (the MLCommons runner's form)")
    return data


@dataclass(frozen=True, slots=True, eq=False)
class Trial:
    samples: np.ndarray
    events: list[tuple[int, int]]  # (counter, sample index)
    iterations: int
    warmups: int
    label: str
    voltage_v: float | None


def _trial(path: Path, n: int, trial: dict[str, Any]) -> Trial:
    power, infer = trial.get("power"), trial.get("infer")
    if not isinstance(power, dict) or not isinstance(infer, dict):
        raise FolderError(
            path,
            f"trial {n} has no 'power' or 'infer' data (mode {trial.get('mode')!r}): not an "
            "energy-mode run",
        )
    try:
        samples = np.asarray(power["samples"], dtype=np.float64)
        events = [(int(c), int(i)) for c, i in power["timestamps"]]
        iterations = int(infer["iterations"])
        warmups = int(infer.get("warmups") or 0)
        voltage = power.get("voltage")
        voltage = float(voltage) if isinstance(voltage, (int, float)) else None
    except (KeyError, TypeError, ValueError) as exc:
        raise FolderError(
            path,
            f"trial {n}: power.samples, power.timestamps or infer.iterations is missing or "
            f"malformed ({exc!s})",
        ) from None
    if samples.ndim != 1 or not np.all(np.isfinite(samples)):
        raise FolderError(path, f"trial {n}: power.samples holds non-numbers or NaN")
    bad = [i for _, i in events if not 0 <= i <= len(samples)]
    if bad:
        raise FolderError(
            path,
            f"trial {n}: event at sample {bad[0]} but only {len(samples):,} samples were "
            "captured: the timestamps do not fit the trace",
        )
    indices = [i for _, i in events]
    if any(b <= a for a, b in pairwise(indices)):
        raise FolderError(path, f"trial {n}: event sample indices {indices} do not increase")
    if iterations <= 0:
        raise FolderError(path, f"trial {n}: infer.iterations is {iterations}")
    return Trial(
        samples, events, iterations, warmups, str(trial.get("file") or f"trial {n}"), voltage
    )


def _log_checks(log: Path, trials: list[Trial]) -> tuple[str | None, list[str]]:
    text = log.read_text(encoding="utf-8", errors="replace")
    model = m[1] if (m := MODEL.search(text)) else None
    notes = []
    captured = [(int(a), int(b)) for a, b in CAPTURED.findall(text)]
    held = [(len(t.samples), len(t.events)) for t in trials]
    if captured and captured != held:
        notes.append(
            f"log.txt reports captures {captured} (samples, timestamps) but results.json holds "
            f"{held}: the files may be from different runs"
        )
    return model, notes


def load_mlcommons(folder: Path) -> RawTrace:
    path = folder / "results.json"
    trials = [_trial(path, n, t) for n, t in enumerate(_load(path))]
    captures, edges, edge_caps, counters, windows = [], [], [], [], []
    flags: set[str] = set()
    notes: list[str] = []
    offset = 0
    for n, trial in enumerate(trials):
        captures.append(Capture(offset, offset + len(trial.samples), trial.label, trial.iterations))
        for counter, index in trial.events:
            edges.append(offset + index)
            edge_caps.append(n)
            counters.append(counter)
        if len(trial.events) >= 2:
            windows.append(
                WindowSpec(
                    n,
                    edges[-2],
                    edges[-1],
                    len(edges) - 2,
                    trial.iterations,
                    trial.label,
                    trial.warmups,
                )
            )
        else:
            flags.add("lost_timestamp")
            notes.append(f"trial {n} has {len(trial.events)} event(s): no window")
        if len(trial.events) > 2:
            flags.add("spurious_pulse")
            notes.append(
                f"trial {n} has {len(trial.events)} events: the last two bound the window, the "
                "others are extra pulses (as the runner takes them)"
            )
        offset += len(trial.samples)
    gaps = [i for i in range(1, len(counters)) if counters[i] != counters[i - 1] + 1]
    if gaps:
        flags.add("lost_timestamp")
        notes.append(
            "event counters jump "
            + ", ".join(f"{counters[i - 1]:02d}->{counters[i]:02d}" for i in gaps)
            + ": an event was lost (the runner refuses non-consecutive counters in a trial)"
        )
    model, log_notes = None, []
    if (folder / "log.txt").exists():
        model, log_notes = _log_checks(folder / "log.txt", trials)
    if log_notes:
        flags.add("log_mismatch")
    voltages = {t.voltage_v for t in trials} - {None}
    return RawTrace(
        folder=folder,
        name="results.json",
        format=MLCOMMONS,
        samples_j=np.concatenate([t.samples for t in trials]),
        sample_rate_hz=SAMPLE_RATE_HZ,
        captures=tuple(captures),
        edges=tuple(edges),
        edge_captures=tuple(edge_caps),
        windows=tuple(windows),
        edge_samples=0,
        voltage_v=next(iter(voltages)) if len(voltages) == 1 else None,
        workload=model or workload_from_path(folder),
        counters=tuple(counters),
        flags=tuple(sorted(flags)),
        notes=(*notes, *log_notes),
    )
