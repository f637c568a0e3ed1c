"""Shared fixtures: the stand-in reference models and small synthetic datasets, built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinyjoule.tinyml_workloads.reference import ReferenceModel
from tinyjoule.tinyml_workloads.synthetic import generate_dataset
from tinyjoule.tinyml_workloads.workloads import WORKLOADS

SYNTHETIC_FILES = {"kws01": 6, "vww01": 4, "ic01": 6, "ad01": 24}


@pytest.fixture(scope="session")
def standin_models() -> dict[str, ReferenceModel]:
    return {wid: ReferenceModel(w.standin_model_path, w) for wid, w in WORKLOADS.items()}


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A datasets folder holding <id>/y_labels.csv for all four workloads."""
    root = tmp_path_factory.mktemp("datasets")
    for wid, n_files in SYNTHETIC_FILES.items():
        generate_dataset(WORKLOADS[wid], root, n_files, seed=3)
    return root
