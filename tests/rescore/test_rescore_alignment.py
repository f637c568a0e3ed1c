"""Alignment verdicts on synthetic results trees: both formats, an input load drawing more or less
than inference, with and without a lost edge, with each kind of timing evidence. A correctly
aligned folder is never called misaligned; a misaligned one needs timing to be called so."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tinyjoule.host.rescore import TraceScore, rescore_paths
from tinyjoule.host.rescore.synthetic import SyntheticRun, write_eembc_folder
from tinyjoule.host.rescore.synthetic_mlcommons import MLCOMMONS_RUN, write_mlcommons_folder
from tinyjoule.host.rescore.synthetic_performance import write_performance_folder

# load above inference: a noisy 47-63 mW input load around a steady 42.2 mW run (the issue's board)
SHAPES = {"load_below": {}, "load_above": {"load_mw": 55.0, "load_swing_mw": 8.0}}
EEMBC_EVIDENCE = ["log", "performance", "log+performance", "none"]


def _one(folder: Path) -> TraceScore:
    result = rescore_paths([folder])
    assert result.ok, result.failures
    (score,) = result.scores
    return score


def _truth(run: SyntheticRun) -> float:
    return run.latency_s * run.active_mw * 1e3  # µJ per inference


def _eembc(tmp_path: Path, shape: str, evidence: str, lost: bool, **run_args) -> SyntheticRun:
    run = SyntheticRun(**SHAPES[shape], **run_args)
    folder = tmp_path / "SYS" / "kws" / "energy"
    write_eembc_folder(folder, run, drop_edges=(4,) if lost else ())  # run 2's end edge lost
    if "log" not in evidence:
        (folder / "log.txt").unlink()
    if "performance" in evidence:
        write_performance_folder(folder.parent / "performance", run, form="eembc")
    return run


def _mlcommons(tmp_path: Path, shape: str, evidence: str, lost: bool) -> SyntheticRun:
    run = replace(MLCOMMONS_RUN, **SHAPES[shape])
    folder = tmp_path / "SYS" / "kws" / "energy"
    write_mlcommons_folder(folder, run, drop_events={0: (2,)} if lost else None)  # trial 0's end
    if evidence == "performance":
        write_performance_folder(folder.parent / "performance", run)
    return run


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("evidence", EEMBC_EVIDENCE)
def test_eembc_aligned_is_never_called_misaligned(tmp_path: Path, shape, evidence) -> None:
    _eembc(tmp_path, shape, evidence, lost=False)
    score = _one(tmp_path / "SYS" / "kws" / "energy")
    al = score.alignment
    assert not al.misaligned and "misaligned" not in score.flags and score.aligned is None
    assert al.method == evidence
    expected = "cannot_tell" if evidence == "none" else "aligned"
    assert al.verdict == expected and {w.alignment for w in score.windows} == {expected}
    assert all(w.reproduced for w in score.windows)
    assert not any("hold no inference run" in n for n in score.notes)
    if expected == "aligned":
        assert all(w.flags == () for w in score.windows)  # no G even where the load draws more


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("evidence", EEMBC_EVIDENCE)
def test_eembc_lost_edge_needs_timing_to_be_misaligned(tmp_path: Path, shape, evidence) -> None:
    run = _eembc(tmp_path, shape, evidence, lost=True)
    score = _one(tmp_path / "SYS" / "kws" / "energy")
    al = score.alignment
    if evidence == "none":
        assert al.verdict == "cannot_tell" and score.aligned is None
        assert "edge_count" in score.flags and "misaligned" not in score.flags
        return
    assert al.verdict == "misaligned" and "misaligned" in score.flags
    assert [w.number for w in score.windows if w.alignment == "misaligned"] == [4, 6, 8]
    assert score.windows[0].alignment == "aligned"
    assert score.aligned_median_uj_per_inference == pytest.approx(_truth(run), rel=2e-4)
    unc = score.aligned_uncertainty_uj_per_inference
    assert 0 < unc < 0.05 * _truth(run)
    source = "logged run" if "log" in evidence else "performance run's"
    assert source in al.realigned_by
    (note,) = [n for n in score.notes if "hold no inference run" in n]
    assert f"{score.aligned_median_uj_per_inference:.3f} ± {unc:.3f} µJ/inf" in note


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("evidence", ["performance", "none"])
def test_mlcommons_aligned_is_never_called_misaligned(tmp_path: Path, shape, evidence) -> None:
    _mlcommons(tmp_path, shape, evidence, lost=False)
    score = _one(tmp_path / "SYS" / "kws" / "energy")
    al = score.alignment
    assert not al.misaligned and "misaligned" not in score.flags and score.aligned is None
    assert score.flags == ("spurious_pulse",)  # the early pulse of trial 0, as the runner takes it
    if evidence == "performance":
        assert al.verdict == "aligned" and all(w.flags == () for w in score.windows)
        assert all(w.check.run_time_fits for w in score.windows)
    else:
        assert al.verdict == "cannot_tell" and al.method == "none"
        assert all("alignment_unknown" in w.flags for w in score.windows)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("evidence", ["performance", "none"])
def test_mlcommons_lost_edge_needs_timing(tmp_path: Path, shape, evidence) -> None:
    run = _mlcommons(tmp_path, shape, evidence, lost=True)
    score = _one(tmp_path / "SYS" / "kws" / "energy")
    if evidence == "none":
        assert score.alignment.verdict == "cannot_tell" and score.aligned is None
        return
    assert score.alignment.verdict == "misaligned"
    assert [w.number for w in score.windows if w.alignment == "misaligned"] == [0]
    assert "off_run_time" in score.windows[0].flags
    assert [w.number for w in score.aligned] == [1, 2, 3, 4]
    assert score.aligned_median_uj_per_inference == pytest.approx(_truth(run), rel=2e-4)
    assert score.aligned_uncertainty_uj_per_inference > 0


def test_the_issue_board_load_above_inference_is_aligned(tmp_path: Path) -> None:
    """The issue's folder: every window draws less than the load before it; timing says they
    hold the runs, so no verdict against the published median and no lower median offered."""
    _mlcommons(tmp_path, "load_above", "performance", lost=False)
    score = _one(tmp_path / "SYS" / "kws" / "energy")
    assert all(w.check.draws_more_than_gaps is False for w in score.windows)
    assert score.alignment.verdict == "aligned" and score.aligned is None
    assert "published_measures_idle" not in score.flags
    assert any("the input load draws more than inference" in n for n in score.notes)
    for w in score.windows:
        assert "within ±3 %" in w.check.evidence and w.check.expected_run_s > 0


def test_a_different_build_is_not_a_lost_edge(tmp_path: Path) -> None:
    """Every window 15 % off the performance run time by the same ratio: the builds differ."""
    run = SyntheticRun(iterations=250)
    for fmt, write in (("eembc", write_eembc_folder), ("mlcommons", write_mlcommons_folder)):
        folder = tmp_path / fmt / "kws" / "energy"
        write(folder, run)
        write_performance_folder(folder.parent / "performance", run, form=fmt, ratio=0.85)
        score = _one(folder)
        expected = "aligned" if fmt == "eembc" else "cannot_tell"  # the EEMBC log still decides
        assert score.alignment.verdict == expected and not score.alignment.misaligned
        assert all("same ratio" in w.check.evidence for w in score.windows)


def test_duration_cannot_tell_when_a_neighbour_fits_too(tmp_path: Path) -> None:
    """Long windows, short loads: run + gap after a lost edge fits the run time within 3 %."""
    run = _eembc(tmp_path, "load_below", "performance", True, iterations=1400, load_s=0.3)
    score = _one(tmp_path / "SYS" / "kws" / "energy")
    assert score.windows[0].alignment == "aligned"
    run_and_gap = score.windows[1]  # run 2 + the gap after it, ended by run 3's start edge
    assert run_and_gap.alignment == "cannot_tell"
    assert "duration cannot tell" in run_and_gap.check.evidence
    assert score.alignment.verdict == "misaligned"  # the gap windows are shown misplaced
    assert score.aligned is None  # but the timing cannot rebuild the runs
    assert any("cannot rebuild" in n for n in score.notes)
    assert run.iterations * run.latency_s > 60
    _eembc(tmp_path / "ok", "load_below", "performance", False, iterations=1400, load_s=0.3)
    assert _one(tmp_path / "ok" / "SYS" / "kws" / "energy").alignment.verdict == "aligned"


def test_unreadable_performance_run_is_a_note_not_a_failure(tmp_path: Path) -> None:
    _mlcommons(tmp_path, "load_above", "performance", lost=False)
    perf = tmp_path / "SYS" / "kws" / "performance" / "results.txt"
    perf.write_text("Top 1% = 91.3\n")
    score = _one(tmp_path / "SYS" / "kws" / "energy")
    assert score.alignment.verdict == "cannot_tell"
    assert any(str(perf) in n and "not a performance-mode" in n for n in score.notes)
