"""Synthetic folders of both kinds, including the awkward cases real folders contain."""

from __future__ import annotations

import shutil
import statistics
from pathlib import Path

import pytest

from tinyjoule.host.rescore import TraceScore, rescore_paths
from tinyjoule.host.rescore.synthetic import SyntheticRun, Timeline, write_eembc_folder
from tinyjoule.host.rescore.synthetic_mlcommons import MLCOMMONS_RUN, write_mlcommons_folder
from tinyjoule.host.rescore.synthetic_performance import write_performance_folder

RUN = SyntheticRun()


def _one(folder: Path) -> TraceScore:
    result = rescore_paths([folder])
    assert result.ok, result.failures
    (score,) = result.scores
    return score


def _truth_uj(run: SyntheticRun) -> float:
    return run.iterations * run.latency_s * run.active_mw * 1e3


def test_eembc_clean(tmp_path: Path) -> None:
    line = write_eembc_folder(tmp_path / "e", RUN)
    score = _one(tmp_path / "e")
    assert len(line.edges_s) == 11 and [w.number for w in score.windows] == [2, 4, 6, 8, 10]
    for w in score.windows:
        assert w.reproduced and w.flags == ()
        assert abs(w.difference_percent) < 0.02
        assert w.energy_uj == pytest.approx(_truth_uj(RUN), rel=2e-4)  # µJ samples, ms edges
        assert w.check.on_logged_run and w.check.draws_more_than_gaps
    assert score.flags == () and score.voltage_v == 1.8 and score.workload == "kws01"
    assert score.alignment.method == "log"


def test_mlcommons_clean_samples_in_joules(tmp_path: Path) -> None:
    run = SyntheticRun(iterations=250, voltage_v=3.0)
    write_mlcommons_folder(tmp_path / "m", run, spurious_first=False)
    score = _one(tmp_path / "m")
    assert score.format == "mlcommons" and score.voltage_v == 3.0
    for w in score.windows:
        assert w.energy_uj == pytest.approx(w.published.energy_uj, abs=0.0005)
        assert w.edge_uncertainty_uj == 0
        assert w.energy_uj == pytest.approx(_truth_uj(run), rel=2e-4)  # J samples -> µJ
    assert score.median_uj_per_inference == pytest.approx(
        score.published_median_uj_per_inference, abs=5e-5
    )
    assert score.flags == ()


def test_same_board_gives_the_same_energy_in_both_units(tmp_path: Path) -> None:
    run = SyntheticRun(iterations=250)
    write_eembc_folder(tmp_path / "uj", run)
    write_mlcommons_folder(tmp_path / "j", run)
    a, b = _one(tmp_path / "uj"), _one(tmp_path / "j")
    assert a.median_uj_per_inference == pytest.approx(b.median_uj_per_inference, rel=2e-4)


def test_lost_end_timestamp_gives_fewer_windows_and_the_even_median(tmp_path: Path) -> None:
    write_eembc_folder(tmp_path / "e", RUN, drop_edges=(10,))  # the last edge never came
    score = _one(tmp_path / "e")
    assert [w.number for w in score.windows] == [2, 4, 6, 8]
    per_inf = sorted(w.uj_per_inference for w in score.windows)
    assert score.median_uj_per_inference == pytest.approx((per_inf[1] + per_inf[2]) / 2)
    pub = sorted(w.published.uj_per_inference for w in score.windows)
    assert score.published_median_uj_per_inference == pytest.approx((pub[1] + pub[2]) / 2, abs=1e-3)
    assert "lost_timestamp" in score.flags and "misaligned" not in score.flags
    assert score.alignment.lost_runs == (5,)
    assert any("mean of the middle two" in n for n in score.notes)


def test_lost_timestamp_mid_run_shifts_windows_onto_idle_gaps(tmp_path: Path) -> None:
    write_eembc_folder(tmp_path / "e", RUN, drop_edges=(2,))  # end of run 1 lost
    score = _one(tmp_path / "e")
    assert {"misaligned", "lost_timestamp"} <= set(score.flags)
    assert [w.number for w in score.windows] == [2, 4, 6, 8]
    bad = [w.number for w in score.windows if "off_log" in w.flags]
    assert bad == [2, 4, 6, 8][len(bad) * -1 :] and len(bad) >= 3
    for w in score.windows[1:]:  # they hold no run: they draw no more than their neighbours
        assert "below_gaps" in w.flags
    # the published median measured idle time; the aligned windows are scored beside it
    assert score.published_median_uj_per_inference < 0.7 * _truth_uj(RUN) / RUN.iterations
    assert [w.number for w in score.aligned] == [4, 6, 8, 10]
    assert score.aligned_median_uj_per_inference == pytest.approx(
        _truth_uj(RUN) / RUN.iterations, rel=2e-4
    )
    assert score.alignment.lost_runs == (1,)
    assert "published_measures_idle" in score.flags
    assert any("measures idle time" in n for n in score.notes)


def test_late_lost_edge_misaligns_one_window_but_not_the_median(tmp_path: Path) -> None:
    write_eembc_folder(tmp_path / "e", RUN, drop_edges=(8,))  # end of run 4 lost
    score = _one(tmp_path / "e")
    assert [w.number for w in score.windows if "off_log" in w.flags] == [8]
    assert "misaligned" in score.flags and "published_measures_idle" not in score.flags
    assert [w.number for w in score.aligned] == [2, 4, 6, 10]
    assert all(w.published is not None for w in score.aligned[:3])  # the same windows


def test_pulse_inside_a_run_is_kept_inside_its_window(tmp_path: Path) -> None:
    write_eembc_folder(tmp_path / "e", RUN, extra_edges_s=(8.0,))  # a glitch in run 1
    score = _one(tmp_path / "e")
    assert {"spurious_pulse", "misaligned"} <= set(score.flags)
    assert [w.number for w in score.aligned] == [2, 4, 6, 8, 10]
    assert score.alignment.unused_edges == (2,)
    assert score.aligned_median_uj_per_inference == pytest.approx(
        _truth_uj(RUN) / RUN.iterations, rel=2e-4
    )


def test_trace_alone_cannot_tell_a_misalignment(tmp_path: Path) -> None:
    """Without the log or a performance run there is no timing: power does not make a verdict."""
    write_eembc_folder(tmp_path / "e", RUN, drop_edges=(4,))
    (tmp_path / "e" / "log.txt").unlink()
    score = _one(tmp_path / "e")
    assert score.alignment.method == "none" and score.alignment.verdict == "cannot_tell"
    assert "misaligned" not in score.flags and "edge_count" in score.flags
    assert score.aligned is None and score.aligned_median_uj_per_inference is None
    assert all("alignment_unknown" in w.flags for w in score.windows)
    assert "below_gaps" in score.windows[1].flags  # power is shown as support
    (note,) = [n for n in score.notes if n.startswith("cannot tell")]
    assert "cannot be 1 + 2 per run" in note and "power alone cannot tell" in note


def test_misalignment_found_from_the_performance_run_without_a_log(tmp_path: Path) -> None:
    folder = tmp_path / "B" / "kws" / "energy"
    write_eembc_folder(folder, RUN, drop_edges=(4,))
    (folder / "log.txt").unlink()
    write_performance_folder(folder.parent / "performance", RUN, form="eembc")
    score = _one(folder)
    assert score.alignment.method == "performance" and "misaligned" in score.flags
    assert [w.number for w in score.windows if "off_run_time" in w.flags] == [4, 6, 8]
    assert len(score.aligned) == 4
    assert score.aligned_median_uj_per_inference == pytest.approx(
        _truth_uj(RUN) / RUN.iterations, rel=2e-4
    )
    assert "performance run's" in score.alignment.realigned_by


def test_short_windows_are_recomputed_and_flagged(tmp_path: Path) -> None:
    run = SyntheticRun(iterations=20)
    write_eembc_folder(tmp_path / "e", run)
    score = _one(tmp_path / "e")
    assert len(score.windows) == 5 and "short_windows" in score.flags
    for w in score.windows:
        assert {"short", "runner_flagged"} <= set(w.flags) and w.duration_s < 1
        assert abs(w.difference_percent) < 0.15  # one sample of a 0.86 s window
    assert any("the runner flagged them too" in n for n in score.notes)


def test_short_mlcommons_trial_flagged_as_the_runner_did(tmp_path: Path) -> None:
    write_mlcommons_folder(tmp_path / "m", SyntheticRun(iterations=100))
    score = _one(tmp_path / "m")
    assert all({"short", "runner_flagged"} <= set(w.flags) for w in score.windows)


def test_spurious_early_pulse_eembc_realigned_from_the_log(tmp_path: Path) -> None:
    write_eembc_folder(tmp_path / "e", RUN, extra_edges_s=(0.5,))
    score = _one(tmp_path / "e")
    assert {"spurious_pulse", "misaligned"} <= set(score.flags)
    assert all("off_log" in w.flags for w in score.windows)
    assert [w.number for w in score.aligned] == [2, 4, 6, 8, 10]
    assert score.alignment.unused_edges == (1,)


def test_spurious_early_pulse_mlcommons_ignored_as_the_runner_does(tmp_path: Path) -> None:
    write_mlcommons_folder(tmp_path / "m", spurious_first=True)
    score = _one(tmp_path / "m")
    assert score.flags == ("spurious_pulse",) and not score.alignment.misaligned
    assert all(w.reproduced for w in score.windows)


def test_mlcommons_trial_without_its_end_event(tmp_path: Path) -> None:
    write_mlcommons_folder(tmp_path / "m", drop_events={2: (1,)})
    score = _one(tmp_path / "m")
    assert [w.number for w in score.windows] == [0, 1, 3, 4]
    assert "lost_timestamp" in score.flags
    assert score.published_median_uj_per_inference == pytest.approx(
        score.median_uj_per_inference, abs=5e-5
    )


def test_mlcommons_spurious_pulse_and_lost_end_event_misaligned(tmp_path: Path) -> None:
    folder = tmp_path / "B" / "kws" / "energy"
    write_mlcommons_folder(folder, drop_events={0: (2,)})  # trial 0: pulse, start
    score = _one(folder)  # no performance run beside it yet: no timing evidence
    assert score.alignment.verdict == "cannot_tell" and "misaligned" not in score.flags
    assert "below_gaps" in score.windows[0].flags
    write_performance_folder(folder.parent / "performance", MLCOMMONS_RUN)
    score = _one(folder)
    assert "misaligned" in score.flags and "below_gaps" in score.windows[0].flags
    assert [w.number for w in score.windows if w.alignment == "misaligned"] == [0]
    assert [w.number for w in score.aligned] == [1, 2, 3, 4]


def test_several_traces_in_one_folder(tmp_path: Path) -> None:
    folder = tmp_path / "e"
    write_eembc_folder(folder, SyntheticRun(seed=1, active_mw=40.0), trace_name="trace1")
    write_eembc_folder(folder, SyntheticRun(seed=2), trace_name="trace2")  # results/log: trace2
    result = rescore_paths([folder])
    assert result.ok
    first, second = result.scores
    assert (first.trace, second.trace) == ("trace1", "trace2")
    assert first.published is None and second.published is not None
    assert all(w.reproduced for w in second.windows)
    assert "several_traces" in first.flags and "no_results_txt" in first.flags
    assert first.median_uj_per_inference < second.median_uj_per_inference


def test_several_traces_without_a_log_pick_the_matching_trace(tmp_path: Path) -> None:
    folder = tmp_path / "e"
    write_eembc_folder(folder, SyntheticRun(seed=2), trace_name="trace2")
    shutil.copy(folder / "results.txt", tmp_path / "results.txt")
    write_eembc_folder(folder, SyntheticRun(seed=1, active_mw=40.0), trace_name="trace1")
    shutil.copy(tmp_path / "results.txt", folder / "results.txt")
    (folder / "log.txt").unlink()
    scores = {s.trace: s for s in rescore_paths([folder]).scores}
    assert scores["trace2"].published is not None and scores["trace1"].published is None


def test_no_results_txt_still_scored(tmp_path: Path) -> None:
    write_eembc_folder(tmp_path / "e", RUN, results=False)
    score = _one(tmp_path / "e")
    assert score.published is None and "no_results_txt" in score.flags
    assert score.median_uj_per_inference == pytest.approx(_truth_uj(RUN) / 300, rel=2e-4)


def test_timeline_truth_matches_the_runner_convention() -> None:
    line: Timeline = write_eembc_folder.__globals__["eembc_timeline"](RUN)
    durations = [b - a for a, b in line.runs_s]
    assert statistics.pstdev(durations) == pytest.approx(0, abs=1e-9)
