"""Accuracy mode against the simulated bench: every input, top-1 or AUC; on synthetic data
the figure is agreement with the reference model, with no quality-target verdict."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run


@pytest.mark.parametrize("workload", ["kws01", "ic01"])
def test_top1_of_a_faithful_dut_is_100_percent(sessions, workload) -> None:
    """Synthetic labels are the reference model's predictions: a faithful DUT agrees on all."""
    summary = run(
        RunRequest(mode="accuracy", workloads=(workload,), sessions_root=sessions, accuracy_files=8)
    )
    result = summary["workloads"][0]
    assert result["files"] == 8 and result["synthetic_dataset"] and result["simulated"]
    assert result["reference_agreement_percent"] == pytest.approx(100.0)
    assert "top1" not in result and "meets_target" not in result
    text = (Path(summary["session"]) / workload / "results.txt").read_text()
    assert "agreement with the reference model 100.0 %" in text
    assert not re.match(r".* Top[- ]1%?\s?[:=] ([\d.]+)", text)


def test_ad01_auc_from_per_file_mean_window_mse(sessions) -> None:
    summary = run(
        RunRequest(mode="accuracy", workloads=("ad01",), sessions_root=sessions, accuracy_files=12)
    )
    result = summary["workloads"][0]
    assert result["synthetic_auc"] >= 0.85 and "meets_target" not in result
    assert "top1" not in result and "auc" not in result
    text = (Path(summary["session"]) / "ad01" / "results.txt").read_text()
    assert "area under the ROC curve" in text and not re.match(r".* AUC\s?[:=] ([\d.]+)", text)


def test_a_different_model_on_the_dut_lowers_agreement(sessions, tmp_path) -> None:
    """Labels from the stand-in, DUT running the same model through a dataset copy with one
    label changed: top-1 drops by exactly one file."""
    from tinyjoule.host.runner.datasets import synthetic_dataset
    from tinyjoule.tinyml_workloads.workloads import get_workload

    wl = get_workload("ic01")
    dataset = synthetic_dataset(wl, 10, wl.standin_model_path)
    copy = tmp_path / "ic01"
    copy.mkdir()
    lines = (dataset.folder / "y_labels.csv").read_text().splitlines()
    name, n_classes, label = [f.strip() for f in lines[0].split(",")][:3]
    lines[0] = f"{name},{n_classes},{(int(label) + 1) % 10}"
    (copy / "y_labels.csv").write_text("\n".join(lines) + "\n")
    for f in dataset.files:
        (copy / f.path.name).write_bytes(f.path.read_bytes())
    summary = run(
        RunRequest(mode="accuracy", workloads=("ic01",), sessions_root=sessions, dataset_root=copy)
    )
    result = summary["workloads"][0]  # real labels (a dataset folder), a simulated DUT
    assert result["top1"] == pytest.approx(90.0) and result["meets_target"] is True
    assert result["simulated"] and not result["synthetic_dataset"]
    text = (Path(summary["session"]) / "ic01" / "results.txt").read_text()
    assert "tinyjoule-unofficial" in text and "simulated bench" in text


def test_the_golden_check_passes_a_faithful_dut(sessions) -> None:
    result = run(
        RunRequest(mode="accuracy", workloads=("ic01",), sessions_root=sessions, accuracy_files=8)
    )["workloads"][0]
    golden = result["golden"]
    assert golden["inputs_compared"] == 8 and golden["top1_agreement_percent"] == 100.0
    assert golden["max_output_difference"] == 0.0 and not golden["flagged"]
    assert golden["model"].endswith("ic01_standin.tflite")


@pytest.mark.parametrize(
    ("workload", "fault"),
    [("ic01", "scale:1.5"), ("kws01", "roll:1"), ("ad01", "scale:1.2")],
    ids=["quantisation-mismatch", "label-mix-up", "ad01-scale"],
)
def test_the_golden_check_flags_a_dut_that_computes_something_else(
    sessions, workload, fault
) -> None:
    from tinyjoule.host.bench.spec import simulated_bench

    request = RunRequest(
        mode="accuracy",
        workloads=(workload,),
        bench=simulated_bench(model_fault=fault),
        sessions_root=sessions,
        accuracy_files=6,
    )
    result = run(request)["workloads"][0]
    golden = result["golden"]
    assert golden["flagged"] and golden["disagreeing_count"] > 0
    assert golden["disagreeing_inputs"]
    if fault.startswith("roll"):
        assert golden["top1_agreement_percent"] < 50
    (log,) = sessions.glob(f"*/{workload}/log.txt")
    assert "WARNING golden-output check" in log.read_text()


@pytest.mark.parametrize(("workload", "fault"), [("kws01", "nan:4"), ("ad01", "nan:40")])
def test_a_nan_result_vector_stops_with_a_message_and_valid_json(sessions, workload, fault):
    """A broken model prints ``nan``: the run stops naming the file, keeps what was scored,
    and every JSON file is strict JSON (no bare NaN)."""
    import json

    from typer.testing import CliRunner

    from tinyjoule.host.cli.app import app

    args = ["run", "--mode", "accuracy", "-w", workload, "--accuracy-files", "5", "--json",
            "--bench", f"sim://?model_fault={fault}", "--sessions", str(sessions)]  # fmt: skip
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 1 and "Traceback" not in result.output
    message = " ".join(result.output.split())
    assert "result vector with NaN or infinity for" in message and "kept" in message
    (folder,) = sessions.glob(f"*/{workload}")
    strict = {"parse_constant": lambda c: pytest.fail(f"bare {c} in JSON")}
    record = json.loads((folder / "results.json").read_text(), **strict)
    assert record["complete"] is False and "NaN or infinity" in record["error"]
    assert record["scored_files"] >= 1 and all(
        v is not None for f in record["results_by_file"].values() for r in f["results"] for v in r
    )
    json.loads((folder.parent / "summary.json").read_text(), **strict)
