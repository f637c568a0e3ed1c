"""``rescore_command``: table, --json, --csv, --plot, --import, exit codes; imported sessions."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tinyjoule.host.measurement.trace_file import read_trace
from tinyjoule.host.rescore import load_folder
from tinyjoule.host.rescore.command import rescore_command
from tinyjoule.host.rescore.synthetic import SyntheticRun, write_eembc_folder
from tinyjoule.host.rescore.synthetic_mlcommons import write_mlcommons_folder
from tinyjoule.host.rescore.synthetic_performance import write_performance_folder

RUN = SyntheticRun(windows=3, iterations=250)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    write_eembc_folder(root / "B1" / "kws" / "energy", RUN)
    write_mlcommons_folder(root / "B2" / "kws" / "energy", RUN)
    write_eembc_folder(root / "B3" / "ic" / "energy", RUN, drop_edges=(2,))  # misaligned
    write_performance_folder(root / "B2" / "kws" / "performance", RUN)
    return root


def test_table_and_notes(tree: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # a wide terminal: no cell folded
    assert rescore_command([tree], False, None, None, None) == 0
    out = capsys.readouterr().out
    assert "B1/kws/energy" in out and "median" in out and "aligned median" in out
    assert "measures idle time" in out


def test_json_has_the_documented_keys(tree: Path, capsys) -> None:
    assert rescore_command([tree], True, None, None, None) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["failures"] == []
    for folder in data["folders"]:
        for key in ("path", "format", "windows", "median_uj_per_inference",
                    "published_median_uj_per_inference"):  # fmt: skip
            assert key in folder
        for w in folder["windows"]:
            for key in ("energy_uj", "published_energy_uj", "duration_s", "inferences",
                        "uncertainty_uj", "difference_percent"):  # fmt: skip
                assert key in w
    misaligned = [f for f in data["folders"] if f["misaligned"]]
    assert len(misaligned) == 1 and misaligned[0]["aligned_median_uj_per_inference"] > 0
    verdicts = {f["path"].split("tree/")[1]: f["alignment_verdict"] for f in data["folders"]}
    assert verdicts == {"B1/kws/energy": "aligned", "B2/kws/energy": "aligned",
                        "B3/ic/energy": "misaligned"}  # fmt: skip
    bad = misaligned[0]
    assert (
        bad["aligned_uncertainty_uj_per_inference"] > 0 and "logged run" in bad["aligned_evidence"]
    )
    assert {w["alignment"] for w in bad["aligned_windows"]} == {"aligned"}
    assert "hold no run" in bad["alignment_evidence"]
    mlc = next(f for f in data["folders"] if f["format"] == "mlcommons")
    assert mlc["alignment_method"] == "performance" and mlc["performance_throughput_ips"] > 0
    assert mlc["performance_results"].endswith("B2/kws/performance/results.txt")
    for folder in data["folders"]:
        assert folder["reproduced_criterion"].startswith("reproduced: |Δ| ≤")
        for w in folder["windows"]:
            assert w["alignment"] in ("aligned", "misaligned") and w["alignment_evidence"]
            assert w["reproduced"] == (
                abs(w["energy_uj"] - w["published_energy_uj"]) <= w["reproduced_tolerance_uj"]
            )


def test_csv_to_stdout_and_to_a_file(tree: Path, tmp_path: Path, capsys) -> None:
    assert rescore_command([tree], False, Path("-"), None, None) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["row"] for r in rows} >= {"window", "median", "aligned_window", "aligned_median"}
    (a_med,) = [r for r in rows if r["row"] == "aligned_median"]
    assert float(a_med["uncertainty_uj"]) > 0 and "logged run" in a_med["alignment_evidence"]
    medians = {r["path"].split("tree/")[1]: r["alignment"] for r in rows if r["row"] == "median"}
    assert medians["B3/ic/energy"] == "misaligned" and medians["B1/kws/energy"] == "aligned"
    assert all(r["reproduced_tolerance_uj"] for r in rows if r["row"] == "window")
    target = tmp_path / "out.csv"
    assert rescore_command([tree], True, target, None, None) == 0
    assert list(csv.DictReader(target.open())) == rows


def test_json_and_csv_both_on_stdout_is_refused(tree: Path, capsys) -> None:
    assert rescore_command([tree], True, Path("-"), None, None) == 2
    assert "both write to stdout" in capsys.readouterr().err


def test_failures_listed_at_the_end_exit_1(tree: Path, capsys) -> None:
    bad = tree / "B4" / "vww" / "energy"
    write_eembc_folder(bad, RUN)
    (bad / "trace1-timestamps.json").write_text("[0.019, 2.7")
    assert rescore_command([tree], False, None, None, None) == 1
    captured = capsys.readouterr()
    assert "B1/kws/energy" in captured.out
    assert "1 folder(s) could not be scored" in captured.err
    assert "trace1-timestamps.json" in captured.err


def test_plot_and_import(tree: Path, tmp_path: Path, capsys) -> None:
    plots, sessions = tmp_path / "plots", tmp_path / "sessions"
    assert rescore_command([tree], True, None, plots, sessions) == 0
    data = json.loads(capsys.readouterr().out)
    pngs = sorted(p.name for p in plots.glob("*.png"))
    assert len(pngs) == 3 and all((plots / p).stat().st_size > 10_000 for p in pngs)
    session = Path(data["session"])
    assert session.parent == sessions and session.name.endswith("_rescore")
    summary = json.loads((session / "summary.json").read_text())
    assert len(summary["workloads"]) == 3 and summary["complete"]
    names = sorted(p.name for p in session.iterdir() if p.is_dir())
    assert names == ["B2_kws", "B3_ic", "kws01"]
    results = json.loads((session / "B3_ic" / "results.json").read_text())
    assert results["mode"] == "energy" and results["complete"]
    assert results["source"]["windows_used"].startswith("realigned")
    for key in ("median_uj_per_inference", "uncertainty_uj_per_inference", "mean_power_mw"):
        assert results[key] > 0
    for w in results["windows"]:
        for key in ("energy_uj", "uncertainty_uj", "uj_per_inference", "duration_s",
                    "inferences", "start_sample", "end_sample"):  # fmt: skip
            assert key in w
    trace = read_trace(session / "B3_ic" / "trace.h5")
    assert trace["attrs"]["unit"] == "J" and trace["attrs"]["supply_voltage_v"] == 1.8
    assert trace["attrs"]["source"].endswith("B3/ic/energy")
    assert [int(w[0]) for w in trace["windows"]] == [w["start_sample"] for w in results["windows"]]
    assert len(trace["events"]) == 6  # 7 edges, one lost
    mlc = read_trace(session / "B2_kws" / "trace.h5")
    assert mlc["events"][:, 2].tolist() == list(range(len(mlc["events"])))  # counters kept
    assert "Median energy cost is" in (session / "kws01" / "results.txt").read_text()


def _set_published_energy(folder: Path, window: int, energy_uj: float) -> None:
    path = folder / "results.txt"
    text = path.read_text()
    block = re.search(rf"window {window} at time .*?Energy\s*:\s*([\d.]+) uJ", text, re.S)
    path.write_text(text[: block.start(1)] + f"{energy_uj:.3f}" + text[block.end(1) :])


def test_reproduced_means_each_boundary_one_sample_either_way(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "e"
    write_eembc_folder(folder, RUN)
    ((raw, _),) = load_folder(folder)
    w = raw.windows[0]
    samples = raw.samples_j * 1e6
    both_moved = float(samples[w.start - 1 : w.end + 1].sum())  # the most either way allows
    _set_published_energy(folder, 2, both_moved)
    _set_published_energy(
        folder, 4, float(samples[raw.windows[1].start : raw.windows[1].end].sum()) + 200
    )
    assert rescore_command([folder], False, None, None, None) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "not-reproduced: published value not reproduced: |Δ| >" in out
    assert "the larger sample beside each boundary" in out and "0.0005 µJ print rounding" in out
    assert "not reproduced in window(s) 4: |Δ| 200.00" in out
    assert rescore_command([folder], True, None, None, None) == 0
    (trace,) = json.loads(capsys.readouterr().out)["folders"]
    assert [w["reproduced"] for w in trace["windows"]] == [True, False, True]
    a, b = w.start, w.end  # the larger sample beside each boundary, + rounding + summation
    allowance = max(samples[a - 1], samples[a]) + max(samples[b - 1], samples[b])
    allowance += 0.0005 + 1e-9 * trace["windows"][0]["energy_uj"]
    assert trace["windows"][0]["reproduced_tolerance_uj"] == pytest.approx(allowance, rel=1e-9)
