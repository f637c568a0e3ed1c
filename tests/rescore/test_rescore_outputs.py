"""Where rescore writes: a CSV into a missing folder, plots onto a file, paths with rich
markup characters; each a clear message before any scoring, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tinyjoule.host.cli.app import app
from tinyjoule.host.rescore.synthetic import SyntheticRun, write_eembc_folder

SHORT = SyntheticRun(windows=2, iterations=30)


def _rescore(*args: str):
    return CliRunner().invoke(app, ["rescore", *args], env={"COLUMNS": "400"})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_eembc_folder(tmp_path / "e", SHORT)
    return tmp_path / "e"


def test_csv_into_a_missing_folder(folder: Path, tmp_path: Path) -> None:
    result = _rescore(str(folder), "--csv", str(tmp_path / "nope" / "scores.csv"))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "the folder" in result.output and "does not exist; create it" in result.output


def test_csv_onto_a_folder_and_plot_onto_a_file(folder: Path, tmp_path: Path) -> None:
    result = _rescore(str(folder), "--csv", str(tmp_path))
    assert result.exit_code == 2 and "is a folder; give a file name" in result.output
    afile = tmp_path / "plots.png"
    afile.write_text("")
    result = _rescore(str(folder), "--plot", str(afile))
    assert result.exit_code == 2 and "is a file; give a folder" in result.output
    assert "Traceback" not in result.output


def test_rich_markup_in_paths_is_printed_as_written(tmp_path: Path) -> None:
    odd = tmp_path / "[/red]board [bold]x"
    write_eembc_folder(odd / "energy", SHORT)
    plots = tmp_path / "[/]plots"
    result = _rescore(str(odd / "energy"), "--plot", str(plots))
    assert result.exit_code == 0, result.output
    assert "[/red]board [bold]x" in result.output and f"plots in {plots}" in result.output
    broken = tmp_path / "[/red]missing"
    result = _rescore(str(broken))
    assert result.exit_code == 1 and "[/red]missing" in result.output


def test_a_session_path_with_markup_in_the_run_table(tmp_path: Path) -> None:
    sessions = tmp_path / "[/red]sessions"
    result = CliRunner().invoke(
        app, ["run", "-w", "ad01", "--mode", "performance", "--sessions", str(sessions)],
        env={"COLUMNS": "400"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "[/red]sessions" in result.output.replace("\n", "")  # folded where it is long
