"""`tinyjoule rescore` through the real command line (Typer), JSON keys and exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tinyjoule.host.cli.app import app
from tinyjoule.host.rescore.synthetic import SyntheticRun, write_eembc_folder


def test_rescore_json_through_the_cli(tmp_path) -> None:
    folder = tmp_path / "kws" / "energy"
    write_eembc_folder(folder, SyntheticRun(windows=3, iterations=250))
    result = CliRunner().invoke(app, ["rescore", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (entry,) = data["folders"]
    for key in (
        "path",
        "format",
        "windows",
        "median_uj_per_inference",
        "published_median_uj_per_inference",
    ):
        assert key in entry
    assert {"energy_uj", "published_energy_uj", "duration_s", "inferences"} <= set(
        entry["windows"][0]
    )


def test_rescore_failure_exit_code(tmp_path) -> None:
    (tmp_path / "empty" / "energy").mkdir(parents=True)
    (tmp_path / "empty" / "energy" / "results.txt").write_text("nothing here\n")
    result = CliRunner().invoke(app, ["rescore", str(tmp_path / "empty" / "energy")])
    assert result.exit_code == 1
