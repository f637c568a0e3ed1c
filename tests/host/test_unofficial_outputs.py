"""A simulated or synthetic figure never passes for a measured one: every output of such a
run says so, and none holds a line the MLPerf Tiny submission checker would accept."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import pytest
from typer.testing import CliRunner

from tinyjoule.host.cli.app import app
from tinyjoule.host.results.result_lines import (
    agreement_line,
    auc_line,
    checker_accepts,
    energy_line,
    throughput_line,
    top1_line,
)


def _lines(folder: Path) -> list[str]:
    """Every line of every text file of a session, and every string in its JSON files."""
    out: list[str] = []
    for path in folder.rglob("*"):
        if path.suffix in (".txt", ".log"):
            out += path.read_text().splitlines()
        elif path.suffix == ".json":
            out += _strings(json.loads(path.read_text()))
    return out


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)] + list(map(str, value))
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize(
    ("mode", "workload"),
    [
        ("energy", "kws01"),
        ("performance", "ad01"),
        ("accuracy", "ic01"),
        ("accuracy", "ad01"),
        ("accuracy", "ic02"),
        ("energy", "sww01"),
    ],
)
def test_no_output_of_a_simulated_run_passes_the_checker(tmp_path, mode, workload) -> None:
    sessions = tmp_path / "s"
    args = ["run", "--mode", mode, "-w", workload, "--sessions", str(sessions)]
    result = CliRunner().invoke(app, [*args, "--accuracy-files", "6"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "SIMULATED" in result.output and "simulated" in result.output
    (session,) = [p for p in sessions.iterdir() if p.is_dir()]
    lines = _lines(session) + result.output.splitlines()
    accepted = [line for line in lines if checker_accepts(line)]
    assert accepted == []
    summary = json.loads((session / "summary.json").read_text())
    assert (
        summary["simulated"]
        and summary["synthetic_dataset"]
        and "not a measurement" in (summary["note"])
    )
    text = (session / workload / "results.txt").read_text()
    assert text.startswith(f"tinyjoule {mode} results: SIMULATED BENCH")
    assert " tinyjoule-unofficial: " in text and "ulp-mlperf" not in text
    if mode == "energy":
        with h5py.File(session / workload / "trace.h5") as f:
            assert f.attrs["simulated"] and f.attrs["synthetic_dataset"]


def test_the_checker_patterns_see_official_lines_and_not_the_others() -> None:
    """The guard itself: official lines pass the checker's patterns, the others never do."""
    prefix = "1201.120102 ulp-mlperf: "
    for line in (energy_line(1.0, True), throughput_line(2.0, True), top1_line(91.2)):
        assert checker_accepts(prefix + line)
    assert checker_accepts(prefix + auc_line(0.9, True))
    why = "simulated bench: not a measurement of a real board"
    for line in (
        energy_line(1.0, False, why),
        throughput_line(2.0, False, why),
        auc_line(0.9, False, why),
        agreement_line(100.0, why),
    ):
        assert not checker_accepts("1201.120102 tinyjoule-unofficial: " + line)
