"""The MLPerf Tiny workloads as data: inputs, datasets, reference models and scoring.

The names below are imported from their modules on first use, so importing one module of
this package (say ``workloads``) does not load LiteRT or the metrics.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Dataset": "datasets", "DatasetFile": "datasets", "open_dataset": "datasets",
    "ad_file_score": "metrics", "auc_from_vectors": "metrics", "normalise": "metrics",
    "roc_auc": "metrics", "top1_percent": "metrics",
    "ModelInfo": "model_info", "OpInfo": "model_info", "format_table": "model_info",
    "read_model_info": "model_info",
    "ReferenceModel": "reference",
    "generate_dataset": "synthetic",
    "WORKLOADS": "workloads", "Workload": "workloads", "get_workload": "workloads",
}  # fmt: skip
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
