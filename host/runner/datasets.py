"""Where a run's inputs come from: the user's MLPerf Tiny dataset folder, or synthetic data.

Synthetic datasets are generated once into the user cache (``$XDG_CACHE_HOME/tinyjoule`` or
``~/.cache/tinyjoule``), keyed by size, seed and the model that labels them. sww01 reads a
clip list instead (``<datasets>/sww01/*.json``; synthetic: the simulated board's clips).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from tinyjoule.tinyml_workloads.datasets import Dataset, open_dataset
from tinyjoule.tinyml_workloads.sww_clips import (
    LONG_TEST,
    ClipList,
    find_clip_list,
    read_clip_list,
    write_synthetic_clip_lists,
)
from tinyjoule.tinyml_workloads.synthetic import generate_dataset
from tinyjoule.tinyml_workloads.workloads import Workload


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tinyjoule"


def synthetic_dataset(workload: Workload, n_files: int, model_path: Path, seed: int = 0) -> Dataset:
    digest = hashlib.sha256(model_path.read_bytes()).hexdigest()[:12]
    root = cache_root() / "synthetic" / f"{workload.id}-n{n_files}-s{seed}-{digest}"
    folder = root / workload.id
    if not (folder / "y_labels.csv").exists():
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root) as tmp:
            generate_dataset(workload, Path(tmp), n_files, seed=seed, model_path=model_path)
            try:
                os.replace(Path(tmp) / workload.id, folder)
            except OSError:
                if not (folder / "y_labels.csv").exists():  # not a concurrent twin: a real fault
                    raise
                shutil.rmtree(Path(tmp) / workload.id, ignore_errors=True)
    return open_dataset(folder, workload)


def user_dataset(root: Path, workload: Workload) -> Dataset:
    """``root`` is the MLPerf Tiny datasets folder (``root/<model>/y_labels.csv``; ic02 reads
    ``root/ic01/``) or the workload's own folder."""
    folder = root if (root / "y_labels.csv").exists() else root / workload.data_folder
    return open_dataset(folder, workload)


def clip_list(root: Path | None) -> ClipList:
    """sww01's clip list: the one ``--dataset`` names (``root``), or the synthetic long test
    (20 minutes, 50 wake words) the simulated board holds."""
    if root is not None:
        return read_clip_list(find_clip_list(root))
    folder = cache_root() / "synthetic" / "sww01-s0"
    path = folder / "sww01" / LONG_TEST
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            written = write_synthetic_clip_lists(Path(tmp))
            try:
                os.replace(written, folder / "sww01")
            except OSError:
                if not path.exists():
                    raise
    return read_clip_list(path)
