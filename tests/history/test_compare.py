"""``tinyjoule compare``: differences and their significance, and every kind of argument."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from history_helpers import simulated_session
from typer.testing import CliRunner

from tinyjoule.host.cli.app import app
from tinyjoule.host.history.compare import Compared, differences
from tinyjoule.host.rescore.synthetic import SyntheticRun
from tinyjoule.host.rescore.synthetic_mlcommons import write_mlcommons_folder

runner = CliRunner()


def _item(label: str, uj: float, unc: float, workload: str = "kws01") -> Compared:
    return Compared(label, workload, "energy", "measured", uj, unc, 40.0, 35.0, 2_000_000,
                    "model", None, None)  # fmt: skip


def test_a_difference_within_the_combined_uncertainty_is_not_significant() -> None:
    rows = differences([_item("a", 100.0, 3.0), _item("b", 104.0, 4.0), _item("c", 106.0, 4.0)])
    assert rows[0]["baseline"] == "a" and rows[0]["difference_percent"] is None
    assert rows[1]["difference_percent"] == pytest.approx(4.0)
    assert rows[1]["significant"] is False  # 4 < hypot(3, 4) = 5
    assert rows[2]["significant"] is True  # 6 > 5
    assert rows[0]["uj_per_mmac"] == pytest.approx(50.0)


def test_each_workload_has_its_own_baseline() -> None:
    rows = differences([_item("a", 100.0, 1.0), _item("x", 7.0, 0.1, "ad01"),
                        _item("b", 150.0, 1.0)])  # fmt: skip
    assert [r["baseline"] for r in rows] == ["a", "x", "a"]
    assert rows[1]["difference_percent"] is None and rows[2]["significant"] is True


def test_compare_sessions_history_and_published(tmp_path: Path) -> None:
    sessions = tmp_path / "s"
    first = simulated_session(sessions, ("kws01",), mode="energy")
    second = simulated_session(sessions, ("kws01",), mode="energy")
    published = tmp_path / "tree" / "ACME" / "kws" / "energy"
    write_mlcommons_folder(published, SyntheticRun())
    args = ["compare", str(first), "#2", "workload=kws01", "--published", str(published),
            "--sessions", str(sessions), "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["kind"] for r in rows][-1] == "published (re-scored)"
    assert rows[0]["label"].endswith("/kws01") and rows[1]["label"] == "#2"
    assert (
        rows[3]["label"] == "published: ACME" and rows[3]["macs_from"] == "reference architecture"
    )
    assert rows[1]["significant"] is False and abs(rows[1]["difference_percent"]) < 1
    assert second.name != first.name
    csv_out = runner.invoke(app, [*args[:-1], "--csv", "-"]).stdout.splitlines()
    assert csv_out[0].startswith("label,workload") and len(csv_out) == 5
    table = runner.invoke(app, args[:-1], env={"COLUMNS": "250"}).stdout
    assert "not significant" in table and "baseline" in table


def test_nothing_to_compare_and_unknown_filters_are_clear(tmp_path: Path) -> None:
    result = runner.invoke(app, ["compare", "--sessions", str(tmp_path)])
    assert result.exit_code == 1 and "nothing to compare" in result.output
    result = runner.invoke(app, ["compare", "colour=red", "--sessions", str(tmp_path)])
    assert result.exit_code == 1 and "use KEY=VALUE with KEY one of" in " ".join(
        result.output.split()
    )


def test_the_compare_chart_in_its_own_page_and_in_a_report(tmp_path: Path) -> None:
    """A bar per run with its whisker, labels escaped, no script; a report of two sessions of
    one workload shows the same comparison."""
    import re

    from tinyjoule.host.report import build_report

    sessions = tmp_path / "s"
    first = simulated_session(sessions, ("kws01", "ad01"), mode="energy")
    second = simulated_session(sessions, ("kws01",), mode="energy")
    odd = first.parent / f"{first.name}<b>&"
    first.rename(odd)
    page = tmp_path / "compare.html"
    args = ["compare", str(odd), str(second), "--report", str(page), "--sessions", str(sessions)]
    result = runner.invoke(app, args, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    html = page.read_text()
    svg = re.search(r"<svg class=\"cmp-chart\".*?</svg>", html, re.S).group(0)
    assert svg.count('<rect class="cmp-bar sim"') == 3  # kws01 twice, ad01 once
    assert svg.count('class="cmp-err"') == 9 and "<b>&" not in html and "&lt;b&gt;&amp;" in html
    assert "<script" not in html and "SIMULATED" in html and "not significant" in html
    widths = [float(w) for w in re.findall(r'cmp-bar sim" x="\d+" y="\d+" width="([\d.]+)"', svg)]
    as_json = runner.invoke(app, [*args[:3], "--sessions", str(sessions), "--json"]).stdout
    kws = [r for r in json.loads(as_json) if r["workload"] == "kws01"]
    assert widths[0] / widths[1] == pytest.approx(
        kws[0]["uj_per_inference"] / kws[1]["uj_per_inference"], rel=1e-3
    )
    report = build_report([odd, second], tmp_path / "r.html").path.read_text()
    assert '<section id="compare">' in report and report.count('<rect class="cmp-bar sim"') == 2
    alone = build_report([second], tmp_path / "one.html").path.read_text()
    assert '<section id="compare">' not in alone
