"""ic02, the large image classifier: the ic01 data and input, its own model and target, every
mode on the simulated bench, timing that follows from its MACs, re-scoring of its folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tinyjoule.host.rescore.records import workload_from_path
from tinyjoule.host.rescore.rescore import rescore_folder
from tinyjoule.host.rescore.synthetic import SyntheticRun
from tinyjoule.host.rescore.synthetic_mlcommons import write_mlcommons_folder
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run
from tinyjoule.host.sim.board_profile import REFERENCE_BOARD
from tinyjoule.host.sim.dut import inference_latency_s
from tinyjoule.tinyml_workloads.model_info import read_model_info
from tinyjoule.tinyml_workloads.synthetic import generate_dataset
from tinyjoule.tinyml_workloads.workloads import WORKLOADS

IC02 = WORKLOADS["ic02"]


def _latency_s() -> float:
    """Independently of the simulator's code path: MACs by op type x cycles per MAC."""
    info = read_model_info(IC02.standin_model_path)
    cycles = sum(REFERENCE_BOARD.cycles_per_mac.get(op.op_type, 1.0) * op.macs for op in info.ops)
    return cycles / REFERENCE_BOARD.clock_hz


def test_simulated_latency_follows_from_76_5_m_macs() -> None:
    latency = inference_latency_s(read_model_info(IC02.standin_model_path), REFERENCE_BOARD)
    assert latency == pytest.approx(_latency_s(), rel=1e-12)
    assert 0.95 < latency < 1.05  # 76.5 M MACs at ~1.58 cycles each on 120 MHz
    ic01 = inference_latency_s(
        read_model_info(WORKLOADS["ic01"].standin_model_path), REFERENCE_BOARD
    )
    assert latency / ic01 == pytest.approx(76.47 / 12.50, rel=0.02)


def test_performance_and_energy_use_the_first_5_ic01_inputs(tmp_path: Path) -> None:
    """A real-layout datasets folder holds only ic01/: ic02 reads it, first 5 files only."""
    root = tmp_path / "datasets"
    generate_dataset(IC02, tmp_path / "gen", 12, seed=4)
    shutil.copytree(tmp_path / "gen" / "ic02", root / "ic01")
    names = [line.split(",")[0] for line in (root / "ic01" / "y_labels.csv").read_text().split()]
    for mode in ("performance", "energy"):
        summary = run(
            RunRequest(
                mode=mode, workloads=("ic02",), dataset_root=root, sessions_root=tmp_path / mode
            )
        )
        (w,) = summary["workloads"]
        assert w["complete"] and not w["synthetic_dataset"]
        assert [x["input"] for x in w["windows"]] == names[:5]
        assert w["median_latency_ms"] == pytest.approx(_latency_s() * 1e3, rel=0.01)
        assert all(x["inferences"] >= 10 and x["duration_s"] >= 10.0 for x in w["windows"])
    assert w["sim_truth_uj_per_inference"] == pytest.approx(w["median_uj_per_inference"], rel=0.01)


def test_accuracy_mode_scores_every_file_against_the_91_percent_target(tmp_path: Path) -> None:
    root = tmp_path / "datasets"
    generate_dataset(IC02, root, 8, seed=5)
    shutil.move(root / "ic02", root / "ic01")
    summary = run(
        RunRequest(mode="accuracy", workloads=("ic02",), dataset_root=root, sessions_root=tmp_path)
    )
    (w,) = summary["workloads"]
    assert (w["files"], w["top1"], w["quality_target"], w["meets_target"]) == (8, 100.0, 91.0, True)
    assert w["golden"]["top1_agreement_percent"] == 100.0


def test_ic02_folders_are_re_scored_as_ic02(tmp_path: Path) -> None:
    assert workload_from_path(tmp_path / "sys" / "ic02" / "energy") == "ic02"
    assert workload_from_path(tmp_path / "sys" / "ic" / "energy") == "ic01"
    folder = tmp_path / "sys" / "ic02" / "energy"
    run_ = SyntheticRun(iterations=12, latency_s=1.008, voltage_v=1.8, workload="ic02")
    write_mlcommons_folder(folder, run_)
    ((_, score),) = rescore_folder(folder)
    assert score.workload == "ic02" and len(score.windows) == 5
    assert score.median_uj_per_inference == pytest.approx(
        score.published_median_uj_per_inference, rel=1e-4
    )
    assert json.loads((folder / "results.json").read_text())[0]["infer"]["iterations"] == 12
