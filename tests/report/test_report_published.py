"""Reports of published MLPerf Tiny folders (re-scored on the fly), of a results tree, of runs
imported by ``rescore --import``, and of the two real folders in ../shared when present."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_page import read_page

from tinyjoule.host.report import build_report
from tinyjoule.host.report.model import FAILED, NOT_APPLICABLE, PASSED, PUBLISHED
from tinyjoule.host.rescore.import_session import SessionImporter
from tinyjoule.host.rescore.rescore import rescore_paths
from tinyjoule.host.rescore.synthetic import SyntheticRun, write_eembc_folder
from tinyjoule.host.rescore.synthetic_mlcommons import write_mlcommons_folder

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "published"
RUN = SyntheticRun()


def _checks(item) -> dict[str, str]:
    return {c.name: c for c in item.checks}


def test_eembc_and_mlcommons_folders(tmp_path) -> None:
    write_eembc_folder(tmp_path / "e", RUN)
    write_mlcommons_folder(tmp_path / "m")
    result = build_report([tmp_path / "e", tmp_path / "m"], tmp_path / "r.html")
    assert not result.problems
    eembc, mlcommons = result.report.items
    assert eembc.kind == PUBLISHED and not eembc.simulated and not eembc.synthetic
    page = read_page(result.path)
    (summary,) = page.tables_with("summary", "energy")
    assert [r[2] for r in summary.rows] == ["PUBLISHED, RE-SCORED"] * 2
    assert [len(t.rows) for t in page.tables_with("windows", "energy")] == [5, 5]
    eembc_rows = page.tables_with("windows", "energy")[0].rows
    assert [r[0] for r in eembc_rows] == ["2", "4", "6", "8", "10"]
    assert all(r[14] == "yes" for r in eembc_rows)  # reproduced
    checks = _checks(eembc)
    assert checks["windows hold their inference runs (alignment)"].status == PASSED
    assert checks["published value reproduced"].status == PASSED
    ml = _checks(mlcommons)
    assert ml["windows hold their inference runs (alignment)"].status == NOT_APPLICABLE
    assert ml["no lost or extra timestamp edge"].status == FAILED  # its spurious first pulse
    assert mlcommons.envelope.captures_s, "trials are captured apart: their starts are marked"
    assert "sim-banner" not in page.html  # nothing simulated here


def test_misaligned_folder_shows_the_rebuilt_windows(tmp_path) -> None:
    write_eembc_folder(tmp_path / "e", RUN, drop_edges=(2,))  # end of run 1 lost
    result = build_report([tmp_path / "e"], tmp_path / "r.html")
    (item,) = result.report.items
    checks = _checks(item)
    assert checks["windows hold their inference runs (alignment)"].status == FAILED
    assert checks["no lost or extra timestamp edge"].detail == "lost timestamp"
    assert checks["published median measures inference, not idle time"].status == FAILED
    page = read_page(result.path)
    (rebuilt,) = page.tables_with("rebuilt", "energy")
    assert [r[0] for r in rebuilt.rows] == ["4", "6", "8", "10"]
    kinds = [w.kind for w in item.envelope.windows]
    assert kinds.count("scored") == 4 and kinds.count("aligned") == 4
    bad = page.tables_with("windows", "energy")[0].row_classes
    assert sum("bad" in c for c in bad) >= 3


def test_results_tree_and_a_failing_folder(tmp_path) -> None:
    write_eembc_folder(tmp_path / "tree" / "sysA" / "kws" / "energy", RUN)
    broken = tmp_path / "tree" / "sysB" / "kws" / "energy"
    broken.mkdir(parents=True)
    (broken / "results.txt").write_text("nothing a runner wrote\n")
    result = build_report([tmp_path / "tree"], tmp_path / "r.html")
    assert len(result.report.items) == 1
    assert len(result.problems) == 1 and str(broken) in result.problems[0]
    page = read_page(result.path)
    assert 'id="partial-banner"' in page.html


def test_imported_session(tmp_path) -> None:
    write_eembc_folder(tmp_path / "e", RUN)
    importer = SessionImporter(tmp_path / "sessions")
    rescore_paths([tmp_path / "e"], importer.add)
    session = importer.finish()
    result = build_report([session], tmp_path / "r.html")
    assert not result.problems
    (item,) = result.report.items
    assert item.kind == "imported" and item.trace_attrs["window_convention"] == "half_open_range"
    mark, first = item.envelope.windows[0], item.windows[0]
    assert mark.start_s == pytest.approx(first["start_sample"] / 1000.0)  # half-open: no offset
    checks = _checks(item)
    assert checks["published value reproduced"].status == PASSED
    assert checks["windows hold their inference runs (alignment)"].status == PASSED
    assert checks["trace windows agree with the results"].status == PASSED
    page = read_page(result.path)
    assert "IMPORTED FROM A PUBLISHED RUN" in page.text


def test_the_real_published_folders(tmp_path) -> None:
    folders = [
        SHARED / "eembc_v1.2_st_nucleo_l4r5zi_kws",
        SHARED / "mlcommons_v1.3_st_nucleo_l4r5zi-p_kws",
    ]
    if not all(f.is_dir() for f in folders):
        pytest.skip(f"{SHARED} is not there (the shared data sits next to the checkout)")
    result = build_report(folders, tmp_path / "r.html")
    assert not result.problems
    eembc, mlcommons = result.report.items
    assert eembc.data["median_uj_per_inference"] == pytest.approx(1820.526, abs=1e-3)
    assert _checks(eembc)["windows hold their inference runs (alignment)"].status == PASSED
    assert _checks(mlcommons)["published value reproduced"].status == PASSED
    assert [len(i.envelope.windows) for i in result.report.items] == [5, 5]
