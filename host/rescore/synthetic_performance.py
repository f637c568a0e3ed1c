"""Synthetic performance-mode ``results.txt`` in either runner's form, for tests and demos.

In a results tree it sits beside a synthetic energy folder: ``<system>/<benchmark>/performance/``
next to ``<system>/<benchmark>/energy/``. The performance build runs a little faster than the
energy build, as on the published NUCLEO-L4R5ZI-P kws run (10.855 s predicted for 250 inferences
against energy windows of 10.865-10.890 s), and its windows spread a little over the inputs.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from tinyjoule.host.rescore.synthetic import LOG_OFFSET_S, SyntheticRun

PERFORMANCE_BUILD_RATIO = 0.997  # performance run time / energy run time
SPREAD = (0.0012, 0.0005, -0.0002, 0.0012, -0.0012)  # per window, as the published run's ±0.12 %
CRLF = "\r\n"
RULE = "---------------------------------------------------------"


def performance_txt(
    run: SyntheticRun, form: str = "mlcommons", ratio: float = PERFORMANCE_BUILD_RATIO
) -> str:
    """The runner's performance summary for ``run.windows`` windows of ``run.iterations``."""
    n = run.iterations
    runtimes = [
        n * run.latency_s * ratio * (1 + SPREAD[i % len(SPREAD)]) for i in range(run.windows)
    ]
    median = statistics.median(n / r for r in runtimes)
    lines: list[str] = []
    if form == "mlcommons":
        for i, r in enumerate(runtimes, 1):
            lines += [
                f"Performance results for window {i}",
                f"    # Inferences : {n}",
                f"    Runtime: {r:.6f} sec.",
                f"    Throughput: {n / r!r} inf./sec.",
                "    Runtime requirements have been met.",
            ]
        head = "0726.010245 ulp-mlperf:"
        lines += [f"{head} {RULE}", f"{head} Median throughput is {median:10.3f} inf./sec."]
        return CRLF.join([*lines, f"{head} {RULE}"]) + CRLF
    head = f"{LOG_OFFSET_S + sum(runtimes) + 9.0:09.3f} ulp-mlperf:"
    for i, r in enumerate(runtimes, 1):
        lines += [
            f"{head} Performance results for window {i}:",
            f"{head}   # Inferences : {n:12d}",
            f"{head}   Runtime      : {r:12.3f} sec.",
            f"{head}   Throughput   : {n / r:12.3f} inf./sec.",
            f"{head} Runtime requirements have been met.",
        ]
    lines += [f"{head} {RULE}", f"{head} Median throughput is {median:.3f} inf./sec."]
    return "\n".join([*lines, f"{head} {RULE}"]) + "\n"


def write_performance_folder(
    folder: Path,
    run: SyntheticRun | None = None,
    *,
    form: str = "mlcommons",
    ratio: float = PERFORMANCE_BUILD_RATIO,
) -> Path:
    """Write ``folder/results.txt`` (pass ``<benchmark>/performance`` beside an energy folder)."""
    run = run or SyntheticRun()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.txt"
    path.write_bytes(performance_txt(run, form, ratio).encode())
    return path
