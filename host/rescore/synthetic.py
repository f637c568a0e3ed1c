"""Synthetic published energy folders, EEMBC form, for tests, benchmarks and demos.

A board idles, loads an input (by default slightly higher draw while the UART is busy; give
``load_mw`` above ``active_mw`` and a ``load_swing_mw`` for boards whose noisy input load draws
more than the inference), runs the warm-up and then ``iterations`` inferences between two falling
timestamp edges, for each window. The
samples are the exact integral of that power over each sample period plus seeded noise. The
"runner" then scores the run the way the EEMBC runner did, from its own unrounded edge times,
and writes the ms-rounded timestamps, ``results.txt`` and ``log.txt``. Awkward cases: drop an
edge (a lost timestamp), add a pulse, make windows short, write several traces.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LOG_OFFSET_S = 169.232  # log clock at trace start, as in the published kws example
RUNNER_INVALID = "e-[The run must take at least 10 seconds and 10 iterations to be valid]"
LOAD_BURST_S = 0.01  # a swinging load alternates between its high and low draw this often


@dataclass(frozen=True, slots=True)
class SyntheticRun:
    windows: int = 5
    iterations: int = 300
    warmups: int = 1
    latency_s: float = 0.0431
    idle_mw: float = 33.0
    load_mw: float = 33.6
    load_swing_mw: float = 0.0  # the load draws load_mw ± this, alternating (UART bursts)
    active_mw: float = 42.2
    load_s: float = 1.6
    head_s: float = 1.0
    tail_s: float = 1.0
    sample_rate_hz: float = 1000.0
    voltage_v: float = 1.8
    noise_mw: float = 0.05
    seed: int = 0
    workload: str = "kws01"

    def inputs(self) -> list[str]:
        return [f"tst_{i:06d}_synthetic.bin" for i in range(self.windows)]


@dataclass(frozen=True, slots=True)
class Timeline:
    segments: list[tuple[float, float, float]]  # (start s, end s, mW), contiguous
    edges_s: list[float]  # falling edges: the initial pulse, then start/end of each run
    runs_s: list[tuple[float, float]]  # (start, end) of each measured run

    @property
    def duration_s(self) -> float:
        return self.segments[-1][1]


def load_segments(start: float, run: SyntheticRun) -> list[tuple[float, float, float]]:
    """The input load from ``start`` for ``run.load_s``: steady, or bursts around ``load_mw``."""
    end = start + run.load_s
    if not run.load_swing_mw:
        return [(start, end, run.load_mw)]
    pieces, t, high = [], start, True
    while t < end - 1e-9:
        b = min(t + LOAD_BURST_S, end)
        pieces.append((t, b, run.load_mw + (run.load_swing_mw if high else -run.load_swing_mw)))
        t, high = b, not high
    return pieces


def eembc_timeline(run: SyntheticRun) -> Timeline:
    segments: list[tuple[float, float, float]] = []
    t = 0.0

    def add(duration: float, mw: float) -> None:
        nonlocal t
        segments.append((t, t + duration, mw))
        t += duration

    add(0.0193, run.idle_mw)
    edges, runs = [t], []
    add(run.head_s, run.idle_mw)
    for _ in range(run.windows):
        for a, b, mw in load_segments(t, run):
            add(b - a, mw)
        add(0.0393, run.idle_mw)
        add(run.warmups * run.latency_s, run.active_mw)
        add(0.0117, run.idle_mw)
        start = t
        add(run.iterations * run.latency_s, run.active_mw)
        edges += [start, t]
        runs.append((start, t))
        add(0.0947, run.idle_mw)
    add(run.tail_s, run.idle_mw)
    return Timeline(segments, edges, runs)


def render(line: Timeline, run: SyntheticRun) -> np.ndarray:
    """Energy of each sample period in µJ (mW x ms): exact integral plus seeded noise."""
    fs = run.sample_rate_hz
    times = np.array([s[0] for s in line.segments] + [line.duration_s])
    energy = np.concatenate(([0.0], np.cumsum([(b - a) * mw * 1e3 for a, b, mw in line.segments])))
    n = math.floor(line.duration_s * fs)
    samples = np.diff(np.interp(np.arange(n + 1) / fs, times, energy))
    rng = np.random.default_rng(run.seed)
    return samples + rng.normal(0.0, run.noise_mw * 1e3 / fs, n)


def _index(t: float, fs: float) -> int:
    return math.floor(t * fs) + 1


def _results_txt(run: SyntheticRun, samples: np.ndarray, edges: list[float]) -> str:
    fs, clock = run.sample_rate_hz, LOG_OFFSET_S + edges[-1] + 1.2
    head = f"{clock:09.3f} ulp-ml:"
    lines, per_inf, perf = [], [], []
    for k in range(2, len(edges), 2):
        a, b = _index(edges[k - 1], fs), _index(edges[k], fs)
        energy = float(np.sum(samples[a:b], dtype=np.float64))
        seconds = (b - a) / fs
        per_inf.append(energy / run.iterations)
        lines += [
            f"{head} Energy data for window {k} at time {edges[k - 1]:.2f} for {seconds:.2f} sec.:",
            f"{head}   Energy       : {energy:12.3f} uJ",
            f"{head}   Power        : {energy / seconds:12.3f} uW",
            f"{head}   Energy/Inf.  : {per_inf[-1]:12.3f} uJ/inf.",
        ]
        runtime = round(edges[k], 3) - round(edges[k - 1], 3)
        ok = runtime >= 10.0 and run.iterations >= 10
        perf += [
            f"{head} Performance results for window {k}:",
            f"{head}   # Inferences : {run.iterations:12d}",
            f"{head}   Runtime      : {runtime:12.3f} sec.",
            f"{head}   Throughput   : {run.iterations / runtime:12.3f} inf./sec.",
            f"{head} " + ("Runtime requirements have been met." if ok else RUNNER_INVALID),
        ]
    rule = f"{head} ---------------------------------------------------------"
    lines += [rule, f"{head} Median energy cost is {statistics.median(per_inf):.3f} uJ/inf.", rule]
    return "\n".join([*lines, *perf, rule]) + "\n"


def _log_txt(run: SyntheticRun, line: Timeline, trace_name: str) -> str:
    def at(t: float, source: str, msg: str) -> str:
        return f"{t + LOG_OFFSET_S:09.3f} {source}: {msg}"

    cfg = "m-bm-cfg-name[ulp-ml]-key"
    out = [
        at(-0.8, "session", "m-session-start-id[20240322151619]"),
        at(-0.3, "parser", f"{cfg}[iterWarmup]-val[{run.warmups}]"),
        at(-0.3, "parser", f"{cfg}[iterInfer]-val[{run.iterations}]"),
        at(-0.3, "parser", f"{cfg}[model]-val[{run.workload}]"),
        at(0.0, "emon", "m-trace[on]"),
        at(0.015, "io", "m-dut-passthrough(timestamp)"),
    ]
    for name, (start, end) in zip(run.inputs(), line.runs_s, strict=True):
        load = start - run.load_s - 0.06
        cmd = f"infer {run.iterations} {run.warmups}"
        out += [
            at(load, "parser", f'Command "bloadp "C:\\datasets\\{run.workload}\\{name}""'),
            at(start - 0.08, "parser", f'Command "io dut {cmd}"'),
            at(start - 0.06, "io", f"m-dut-passthrough({cmd})"),
            at(start - 0.05, "io", f"[dut]: m-warmup-start-{run.warmups}"),
            at(start - 0.01, "io", "[dut]: m-warmup-done"),
            at(start - 0.002, "io", f"[dut]: m-infer-start-{run.iterations}"),
            at(end + 0.021, "io", "[dut]: m-infer-done"),
            at(end + 0.09, "io", "[dut]: m-results-[0.000,0.996]"),
        ]
    end = line.duration_s
    out += [
        at(end, "emon", f"m-regfile-fn[{trace_name}-energy.bin]-type[emon]-name[lpm01a]"),
        at(end, "emon", f"m-regfile-fn[{trace_name}-timestamps.json]-type[etime]-name[lpm01a]"),
        at(end + 0.01, "emon", f"m-voltage-mv[{round(run.voltage_v * 1000)}]"),
    ]
    return "\n".join(out) + "\n"


def write_eembc_folder(
    folder: Path,
    run: SyntheticRun | None = None,
    *,
    drop_edges: tuple[int, ...] = (),
    extra_edges_s: tuple[float, ...] = (),
    trace_name: str = "trace1",
    results: bool = True,
    log: bool = True,
) -> Timeline:
    """Write one EEMBC-runner energy folder; ``drop_edges`` are positions in the true edge
    list (0 = the initial pulse), ``extra_edges_s`` spurious pulses. Returns the truth."""
    run = run or SyntheticRun()
    folder.mkdir(parents=True, exist_ok=True)
    line = eembc_timeline(run)
    samples = render(line, run).astype(np.float32)
    edges = sorted(
        [t for i, t in enumerate(line.edges_s) if i not in drop_edges] + list(extra_edges_s)
    )
    header = bytes([0xF1]) + np.float32(run.sample_rate_hz).astype("<f4").tobytes()
    (folder / f"{trace_name}-energy.bin").write_bytes(header + samples.astype("<f4").tobytes())
    stamps = json.dumps([round(t, 3) for t in edges], indent="\t")
    (folder / f"{trace_name}-timestamps.json").write_text(stamps)
    if results:
        (folder / "results.txt").write_text(_results_txt(run, samples, edges))
    if log:
        (folder / "log.txt").write_text(_log_txt(run, line, trace_name))
    return line
