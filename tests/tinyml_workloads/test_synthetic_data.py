"""Synthetic datasets: official layout and names, deterministic, labels that score sensibly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tinyjoule.tinyml_workloads import metrics
from tinyjoule.tinyml_workloads.datasets import open_dataset
from tinyjoule.tinyml_workloads.reference import ReferenceModel
from tinyjoule.tinyml_workloads.synthetic import generate_dataset
from tinyjoule.tinyml_workloads.workloads import WORKLOADS

NAME_PATTERNS = {
    "kws01": r"tst_\d{6}_([A-Z][a-z]+)_(\d+)\.bin",
    "vww01": r"\d{12}\.bin",
    "ic01": r"([a-z]+)_s_\d{6}\.bin",
    "ad01": r"(normal|anomaly)_id_0[1-4]_\d{8}_hist_librosa\.bin",
}


@pytest.mark.parametrize("wid", list(NAME_PATTERNS))
def test_file_names_follow_the_official_ones(synthetic_root: Path, wid: str) -> None:
    w = WORKLOADS[wid]
    for file in open_dataset(synthetic_root, w).files:
        match = re.fullmatch(NAME_PATTERNS[wid], file.name)
        assert match, file.name
        if wid == "kws01":
            assert match.group(1).lower() == w.class_names[file.label]
            assert int(match.group(2)) == file.label
        elif wid in ("ic01", "ad01"):
            assert match.group(1) == w.class_names[file.label]


@pytest.mark.parametrize("wid", ["kws01", "vww01", "ic01"])
def test_labels_are_the_reference_prediction(
    wid: str, synthetic_root: Path, standin_models: dict[str, ReferenceModel]
) -> None:
    dataset = open_dataset(synthetic_root, WORKLOADS[wid])
    model = standin_models[wid]
    predictions = {
        f.name: [model.results_vector(d) for d in dataset.read_inputs(f)] for f in dataset.files
    }
    labels = {f.name: f.label for f in dataset.files}
    assert metrics.top1_percent(predictions, labels) == 100.0


def test_ad01_layout_and_auc_well_above_target(
    synthetic_root: Path, standin_models: dict[str, ReferenceModel]
) -> None:
    w = WORKLOADS["ad01"]
    folder = synthetic_root / "ad01"
    rows = (folder / "y_labels.csv").read_text().splitlines()
    assert all(row.endswith(",2560,512") for row in rows)
    dataset = open_dataset(synthetic_root, w)
    assert [f.label for f in dataset.files] == [0] * 12 + [1] * 12
    model = standin_models["ad01"]
    predictions = {
        f.name: [model.results_vector(d) for d in dataset.read_inputs(f)] for f in dataset.files
    }
    labels = {f.name: f.label for f in dataset.files}
    auc = metrics.auc_from_vectors(predictions, labels)
    assert auc >= 0.93 > w.quality_target


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    w = WORKLOADS["kws01"]
    first = generate_dataset(w, tmp_path / "a", 3, seed=5)
    again = generate_dataset(w, tmp_path / "b", 3, seed=5, model_path=w.standin_model_path)
    other = generate_dataset(w, tmp_path / "c", 3, seed=6)
    assert first == tmp_path / "a" / "kws01"
    files = sorted(p.name for p in first.iterdir())
    assert files == sorted(p.name for p in again.iterdir())
    for name in files:
        assert (first / name).read_bytes() == (again / name).read_bytes()
    assert (first / "y_labels.csv").read_text() != (other / "y_labels.csv").read_text()


def test_labels_follow_the_given_model(tmp_path: Path) -> None:
    """A model given by path labels the data (here the stand-in, copied elsewhere)."""
    w = WORKLOADS["ic01"]
    copy = tmp_path / "my_model.tflite"
    copy.write_bytes(w.standin_model_path.read_bytes())
    folder = generate_dataset(w, tmp_path / "data", 2, seed=1, model_path=copy)
    assert len(open_dataset(folder, w)) == 2


def test_rejects_zero_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        generate_dataset(WORKLOADS["ad01"], tmp_path, 0)
