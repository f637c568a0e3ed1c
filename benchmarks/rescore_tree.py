"""Benchmark: re-scoring a results tree of 100 synthetic energy folders.

Builds 50 EEMBC-runner folders (76,800-sample traces, as the published kws one) and 50
MLCommons-runner folders (five trials of about 13,000 samples in results.json, about 0.7 MB
each) laid out as ``closed/<org>/results/<system>/<bm>/energy/`` in a temp dir, then times
``rescore_paths`` over the tree. Target: a few seconds, not minutes.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from tinyjoule.host.rescore import rescore_paths
from tinyjoule.host.rescore.synthetic import SyntheticRun, write_eembc_folder
from tinyjoule.host.rescore.synthetic_mlcommons import write_mlcommons_folder

BENCHMARKS = ("kws", "vww", "ic", "ad")


def build(root: Path, count: int = 100) -> None:
    for n in range(count):
        bm = BENCHMARKS[n % 4]
        folder = root / "closed" / f"org{n % 7}" / "results" / f"system_{n:03d}" / bm / "energy"
        if n % 2:
            write_mlcommons_folder(folder, SyntheticRun(iterations=250, voltage_v=3.0, seed=n))
        else:
            write_eembc_folder(folder, SyntheticRun(seed=n, head_s=2.19))  # 76,800 samples


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        build(root)
        built = time.perf_counter() - start
        start = time.perf_counter()
        result = rescore_paths([root])
        elapsed = time.perf_counter() - start
    windows = sum(len(s.windows) for s in result.scores)
    print(f"built 100 folders in {built:.1f} s")
    print(
        f"re-scored {len(result.scores)} traces ({windows} windows, "
        f"{len(result.failures)} failures) in {elapsed:.2f} s "
        f"({elapsed / max(len(result.scores), 1) * 1e3:.1f} ms per folder)"
    )


if __name__ == "__main__":
    main()
