"""Reports of tinyjoule sessions: the tables hold the right rows, the checks are real (a shifted
truth fails), simulated and synthetic figures are marked, everything from a file is escaped,
the page needs no network, PNGs on request, and the CLI (run and report) says where it is."""

from __future__ import annotations

import json

import numpy as np
import pytest
from matplotlib.image import imread
from report_page import read_page
from typer.testing import CliRunner

from tinyjoule.host.cli.app import app
from tinyjoule.host.report import build_report
from tinyjoule.host.report.model import FAILED, NOT_APPLICABLE, PASSED

runner = CliRunner()


def _checks(result, workload: str) -> dict[str, str]:
    (item,) = [i for i in result.report.items if i.name == workload]
    return {c.name: c.status for c in item.checks}


def test_energy_session_tables_checks_and_marks(runs, tmp_path) -> None:
    result = build_report([runs["energy"]], tmp_path / "r.html")
    page = read_page(result.path)
    (summary,) = page.tables_with("summary", "energy")
    assert [r[1] for r in summary.rows] == ["kws01", "ad01"]
    assert all("SIMULATED + SYNTHETIC DATA" in r[2] for r in summary.rows)
    windows = page.tables_with("windows", "energy")
    assert [len(t.rows) for t in windows] == [5, 5]
    assert len(page.tables_with("checks")) == 2
    # the GUM budget of each median, its terms as results.json has them, and each window's
    budgets = page.tables_with("budget")
    assert len(budgets) == 2 and len(page.tables_with("budget-windows")) == 2
    stated = json.loads((runs["energy"] / "kws01" / "results.json").read_text())
    terms = stated["uncertainty_budget"]["terms"]
    assert [r[0] for r in budgets[0].rows] == [t["name"] for t in terms]
    shown = [float(r[5]) for r in budgets[0].rows]
    assert shown == pytest.approx([t["contribution_uj"] for t in terms], abs=1e-4)
    u_c = stated["uncertainty_budget"]["combined_standard_uncertainty_uj"]
    assert np.sqrt(sum(c * c for c in shown)) == pytest.approx(u_c, rel=1e-3)
    assert "k = 2" in page.text and "the ± printed everywhere is U" in page.text
    results = json.loads((runs["energy"] / "kws01" / "results.json").read_text())
    first = windows[0].rows[0]
    assert first[1] == results["windows"][0]["input"]
    assert float(first[4]) == pytest.approx(results["windows"][0]["energy_uj"], abs=1e-3)
    assert 'id="sim-banner"' in page.html and "not measurements of a real board" in page.text
    for name in ("kws01", "ad01"):
        checks = _checks(result, name)
        assert set(checks.values()) == {PASSED}, checks
        assert "sim truth within the edge bound (+ 5σ noise)" in checks
    # the embedded envelope: every window of both traces, edges included
    series = page.data["series"]
    assert [len(s["windows"]) for s in series] == [5, 5] and series[0]["unit"] == "mW"
    assert not page.urls, page.urls  # nothing fetched: no src/href leaves the file
    assert "Content-Security-Policy" in page.html and "default-src &#x27;none&#x27;" in page.html


def test_envelope_holds_each_windows_samples(runs, tmp_path) -> None:
    """The plotted min/max come from the trace itself (J per sample shown as mW)."""
    import h5py

    result = build_report([runs["energy"] / "kws01"], tmp_path / "r.html")
    (item,) = result.report.items
    env = item.envelope
    with h5py.File(runs["energy"] / "kws01" / "trace.h5") as f:
        samples = f["samples"][()] * f.attrs["sample_rate_hz"] * 1e3
    for i in range(0, len(env.lo), 97):
        seg = samples[env.boundaries[i] : env.boundaries[i + 1]]
        assert env.lo[i] == pytest.approx(seg.min(), rel=1e-6)
        assert env.hi[i] == pytest.approx(seg.max(), rel=1e-6)
    first = item.windows[0]
    mark = env.windows[0]
    assert mark.start_s == pytest.approx((first["start_sample"] - 0.5) / 1000.0)
    assert mark.span_s[0] < mark.start_s < mark.end_s < mark.span_s[1]


def test_a_truth_off_by_one_percent_fails_its_check(energy_copy, tmp_path) -> None:
    path = energy_copy / "kws01" / "results.json"
    data = json.loads(path.read_text())
    data["windows"][2]["sim_truth_energy_uj"] *= 1.01  # as a 1 % gain error would show
    path.write_text(json.dumps(data))
    result = build_report([energy_copy], tmp_path / "r.html")
    assert _checks(result, "kws01")["sim truth within the edge bound (+ 5σ noise)"] == FAILED
    assert _checks(result, "ad01")["sim truth within the edge bound (+ 5σ noise)"] == PASSED
    page = read_page(result.path)
    windows = page.tables_with("windows", "energy")[0]
    assert [("bad" in c) for c in windows.row_classes] == [False, False, True, False, False]


def test_short_window_and_disagreeing_trace_fail(energy_copy, tmp_path) -> None:
    path = energy_copy / "ad01" / "results.json"
    data = json.loads(path.read_text())
    data["windows"][1]["duration_s"] = 9.5
    data["windows"][3]["energy_uj"] += 1.0  # no longer the trace's /windows row
    path.write_text(json.dumps(data))
    checks = _checks(build_report([energy_copy], tmp_path / "r.html"), "ad01")
    assert checks["every window ≥ 10 s"] == FAILED
    assert checks["trace windows agree with the results"] == FAILED
    assert checks["every window ≥ 10 inferences"] == PASSED


def test_everything_from_a_file_is_escaped(energy_copy, tmp_path) -> None:
    path = energy_copy / "kws01" / "results.json"
    data = json.loads(path.read_text())
    evil = "</script><script>alert(1)</script><img src=x onerror=alert(2)>&amp;"
    data["windows"][0]["input"] = evil
    data["dut"]["vendor"] = evil
    data["provenance"]["software"]["command_line"] = evil
    path.write_text(json.dumps(data))
    html = build_report([energy_copy], tmp_path / "r.html").path.read_text()
    assert "alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in html and "&amp;amp;" in html
    data_block = html.split('id="tj-data">', 1)[1].split("</script>", 1)[0]
    assert "</" not in data_block and "<" not in data_block
    assert html.count("<script") == 2  # the data block and the page's own script


def test_performance_and_accuracy_sessions(runs, tmp_path) -> None:
    result = build_report([runs["performance"], runs["accuracy"]], tmp_path / "r.html")
    page = read_page(result.path)
    (perf,) = page.tables_with("summary", "performance")
    (acc,) = page.tables_with("summary", "accuracy")
    assert [r[1] for r in perf.rows] == ["ad01"] and [r[1] for r in acc.rows] == ["kws01"]
    (windows,) = page.tables_with("windows", "performance")
    assert len(windows.rows) == 5 and all(float(r[5]) > 0 for r in windows.rows)
    assert page.data["series"] == []  # no trace in these modes
    checks = _checks(result, "kws01")
    assert checks["golden-output check"] == PASSED
    assert checks["quality target met"] == NOT_APPLICABLE  # synthetic data: no verdict
    assert checks["every file scored"] == PASSED
    assert set(_checks(result, "ad01").values()) == {PASSED}


def test_a_folder_of_sessions_reports_every_session(runs, tmp_path) -> None:
    result = build_report([runs["energy"].parent], tmp_path / "r.html")
    assert [g.path for g in result.report.groups] == sorted(runs.values())
    page = read_page(result.path)
    rows = sum(len(t.rows) for t in page.tables_with("summary"))
    assert rows == 4 and not result.problems


def test_png_of_every_plot(runs, tmp_path) -> None:
    result = build_report([runs["energy"] / "ad01"], tmp_path / "r.html", tmp_path / "png")
    names = sorted(p.name for p in result.pngs)
    assert len(names) == 6 and names[0].endswith("ad01_trace.png")
    image = imread(result.pngs[0])
    assert image.shape[0] > 300 and float(np.std(image[..., :3])) > 0.05  # not blank


def test_cli_run_writes_the_report_and_says_where(tmp_path) -> None:
    sessions = tmp_path / "s"
    result = runner.invoke(app, ["run", "--mode", "performance", "-w", "ad01", "--sessions",
                                 str(sessions)])  # fmt: skip
    assert result.exit_code == 0, result.output
    (session,) = [p for p in sessions.iterdir() if p.is_dir()]
    assert (session / "report.html").is_file()
    assert f"report: {session / 'report.html'}" in result.output.replace("\n", "")


def test_cli_report_default_output_and_png(runs, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["report", str(runs["performance"]), str(runs["accuracy"])])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.html").is_file() and "report: report.html" in result.output
    out = tmp_path / "x" / "e.html"
    ad01 = runs["energy"] / "ad01"
    result = runner.invoke(app, ["report", str(ad01), "-o", str(out), "--png", "pngs"])
    assert result.exit_code == 0, result.output
    assert out.is_file() and len(list((tmp_path / "pngs").glob("*.png"))) == 6
    assert "6 PNG(s) in pngs" in result.output


def test_cli_failed_run_still_writes_its_report(tmp_path) -> None:
    sessions = tmp_path / "s"
    args = ["run", "--mode", "performance", "-w", "kws01", "--bench", "sim://?fault=silent@6",
            "--sessions", str(sessions)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    (session,) = [p for p in sessions.iterdir() if p.is_dir()]
    assert f"report: {session / 'report.html'}" in result.output.replace("\n", "")
    page = read_page(session / "report.html")
    (summary,) = page.tables_with("summary", "performance")
    assert "INCOMPLETE" in summary.rows[0][-1]


def test_default_output_of_a_workload_folder_is_inside_it(runs, tmp_path, monkeypatch) -> None:
    import shutil

    folder = tmp_path / "perf"
    shutil.copytree(runs["performance"], folder)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["report", str(folder / "ad01")])
    assert result.exit_code == 0, result.output
    assert (folder / "ad01" / "report.html").is_file() and not (folder / "report.html").exists()
