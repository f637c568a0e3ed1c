"""Provenance: what exactly a run was, recorded in every session so a result can be trusted
and found again: which tinyjoule made it and how it was called, on which host; the model
(path, size, SHA-256, MACs); the dataset and the very input files used (with their
SHA-256); the bench; whether it was simulated and the data synthetic. The DUT's and the
monitor's own reports (name, profile, firmware, serial number, settings) are recorded beside
it by the runner as they arrive.
"""

from __future__ import annotations

import hashlib
import platform
import shlex
import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tinyjoule

if TYPE_CHECKING:
    from tinyjoule.tinyml_workloads.datasets import Dataset, DatasetFile

CHUNK = 1 << 20


@lru_cache(maxsize=256)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    """The file's SHA-256 (cached while the file is unchanged)."""
    stat = path.stat()
    return _sha256(path.resolve(), stat.st_size, stat.st_mtime_ns)


def software() -> dict[str, Any]:
    """The tinyjoule that ran, how it was called, and where."""
    import numpy as np  # already loaded by a run; kept out of the CLI's start-up

    return {
        "tinyjoule": tinyjoule.__version__,
        "command_line": shlex.join(sys.argv),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "host": platform.node(),
    }


def model_facts(path: Path, macs: int | None = None) -> dict[str, Any]:
    """A model file by path, size and SHA-256; its MACs per inference where known."""
    facts: dict[str, Any] = {
        "path": str(path.resolve()),
        "size_bytes": path.stat().st_size,
        "sha256": sha256_of(path),
    }
    if macs is not None:
        facts["macs"] = macs
    return facts


def dataset_facts(dataset: Dataset, used: Iterable[DatasetFile], synthetic: bool) -> dict[str, Any]:
    """The dataset folder and every input file the run sent the DUT, hashed."""
    files = [{"name": f.path.name, "label": f.label, "sha256": sha256_of(f.path)} for f in used]
    return {
        "path": str(dataset.folder.resolve()),
        "synthetic": synthetic,
        "files_in_dataset": len(dataset.files),
        "files_used": files,
    }
