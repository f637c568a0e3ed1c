"""The two real published folders in ../shared/data/published: every window and the median."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tinyjoule.host.measurement.trace_file import read_trace
from tinyjoule.host.rescore import load_folder, rescore_paths
from tinyjoule.host.rescore.command import rescore_command

PUBLISHED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "published"
EEMBC = PUBLISHED / "eembc_v1.2_st_nucleo_l4r5zi_kws"
MLC = PUBLISHED / "mlcommons_v1.3_st_nucleo_l4r5zi-p_kws"
MLC_PERFORMANCE = PUBLISHED / "mlcommons_v1.3_st_nucleo_l4r5zi-p_kws_performance"
TOLERANCE = 0.02e-2  # relative, as the data README suggests for windows >= 10 s

# exact published sample ranges (data README): the ms-rounded JSON is off by one at most
EEMBC_EXACT = [(2771, 15722), (17563, 30507), (32353, 45289), (47134, 60085), (61913, 74839)]


def _need(folder: Path) -> None:
    if not folder.is_dir():
        pytest.skip(f"{folder} is not there (the shared data sits next to the checkout)")


def _score(folder: Path):
    _need(folder)
    result = rescore_paths([folder])
    assert result.ok, result.failures
    (score,) = result.scores
    return score


def test_eembc_every_window_and_median_within_0_02_percent() -> None:
    score = _score(EEMBC)
    assert score.format == "eembc" and score.workload == "kws01" and score.voltage_v == 1.8
    assert [w.number for w in score.windows] == [2, 4, 6, 8, 10]
    for w in score.windows:
        assert w.inferences == 300
        assert abs(w.energy_uj / w.published.energy_uj - 1) < TOLERANCE
        assert abs(w.uj_per_inference / w.published.uj_per_inference - 1) < TOLERANCE
        assert w.reproduced and w.within_uncertainty  # within one boundary sample
        assert w.flags == ()
    assert score.published_median_uj_per_inference == 1820.454
    assert score.median_uj_per_inference == pytest.approx(1820.526, abs=1e-3)
    assert abs(score.median_difference_percent) < TOLERANCE * 100
    assert score.median_within_uncertainty
    assert not score.alignment.misaligned and score.alignment.method == "log"
    assert score.alignment.verdict == "aligned"
    assert all(w.alignment == "aligned" and w.check.on_logged_run for w in score.windows)
    assert score.flags == ()


def test_eembc_windows_are_the_exact_ranges_give_or_take_one_sample() -> None:
    _need(EEMBC)
    ((raw, published),) = load_folder(EEMBC)
    samples = raw.samples_j * 1e6
    for spec, (a, b), pub in zip(raw.windows, EEMBC_EXACT, published.windows, strict=True):
        assert abs(spec.start - a) <= 1 and abs(spec.end - b) <= 1
        shifts = [(da, db) for da in (-1, 0, 1) for db in (-1, 0, 1)]
        exact = [
            abs(np.sum(samples[spec.start + da : spec.end + db]) - pub.energy_uj) < 0.01
            for da, db in shifts
        ]
        assert any(exact)


def test_eembc_exact_windows_are_exact_in_three_of_five() -> None:
    score = _score(EEMBC)
    exact = [abs(w.energy_uj - w.published.energy_uj) < 0.01 for w in score.windows]
    assert exact == [True, False, False, True, True]


def test_mlcommons_reproduces_exactly() -> None:
    score = _score(MLC)
    assert score.format == "mlcommons" and score.voltage_v == 3.0 and score.workload == "kws01"
    assert [w.number for w in score.windows] == [0, 1, 2, 3, 4]
    for w in score.windows:
        assert w.inferences == 250
        assert w.energy_uj == pytest.approx(w.published.energy_uj, abs=0.0005)
        assert w.duration_s == pytest.approx(w.published.duration_s, abs=1e-12)
        assert w.mean_power_mw == pytest.approx(w.published.power_mw, abs=5e-5)
        assert w.edge_uncertainty_uj == 0 and w.reproduced
    assert score.median_uj_per_inference == pytest.approx(1430.6681, abs=5e-5)
    assert "spurious_pulse" in score.flags  # trial 0 has 3 events; the last two are used
    assert score.windows[0].spec.start == 4042 and score.windows[0].spec.end == 14928
    assert not score.alignment.misaligned
    # outside its results tree there is no timing to check the windows against
    assert score.alignment.verdict == "cannot_tell" and score.alignment.method == "none"


def test_mlcommons_in_its_results_tree_is_aligned_by_the_performance_run(tmp_path: Path) -> None:
    """As in tiny_results_v1.3: NUCLEO_L4R5ZI-P/kws/energy beside NUCLEO_L4R5ZI-P/kws/performance.
    250 inferences at 23.032 inf/s take 10.855 s; the windows last 10.865-10.890 s."""
    _need(MLC)
    _need(MLC_PERFORMANCE)
    system = tmp_path / "closed" / "STMicroelectronics" / "results" / "NUCLEO_L4R5ZI-P" / "kws"
    shutil.copytree(MLC, system / "energy")
    shutil.copytree(MLC_PERFORMANCE, system / "performance")
    result = rescore_paths([tmp_path])
    assert result.ok, result.failures
    (score,) = result.scores
    al = score.alignment
    assert al.verdict == "aligned" and al.method == "performance" and not al.misaligned
    assert al.timing.throughput_ips == 23.032 and score.aligned is None
    for w in score.windows:
        assert w.alignment == "aligned" and w.check.run_time_fits and w.flags == ()
        assert w.check.expected_run_s == pytest.approx(250 / 23.032)
        assert 0.0005 < w.duration_s / w.check.expected_run_s - 1 < 0.0035  # +0.1 to +0.3 %
        assert w.check.draws_more_than_gaps  # on this board the load draws less: power agrees
    assert score.flags == ("spurious_pulse",)


def test_both_real_folders_as_a_tree() -> None:
    _need(PUBLISHED)
    result = rescore_paths([PUBLISHED])
    assert result.ok and sorted(s.format for s in result.scores) == ["eembc", "mlcommons"]


def test_real_folders_import_plot_and_json(tmp_path: Path, capsys) -> None:
    _need(EEMBC)
    _need(MLC)
    code = rescore_command([EEMBC, MLC], True, None, tmp_path / "plots", tmp_path / "s")
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert [f["format"] for f in data["folders"]] == ["eembc", "mlcommons"]
    assert data["folders"][0]["published_median_uj_per_inference"] == 1820.454
    assert len(list((tmp_path / "plots").glob("*.png"))) == 2
    session = Path(data["session"])
    results = json.loads((session / "kws01" / "results.json").read_text())
    assert results["mode"] == "energy" and results["complete"]
    assert results["median_uj_per_inference"] == pytest.approx(1820.526, abs=1e-3)
    assert results["source"]["published_median_uj_per_inference"] == 1820.454
    trace = read_trace(session / "kws01" / "trace.h5")
    assert len(trace["samples"]) == 76_800 and trace["attrs"]["unit"] == "J"
    assert trace["attrs"]["supply_voltage_v"] == 1.8 and len(trace["events"]) == 11
    assert len(trace["windows"]) == 5
