"""Bad folders: a clear error naming the file; in a tree the others are still scored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tinyjoule.host.rescore import rescore_paths
from tinyjoule.host.rescore.synthetic import SyntheticRun, write_eembc_folder
from tinyjoule.host.rescore.synthetic_mlcommons import write_mlcommons_folder

SHORT = SyntheticRun(windows=2, iterations=30)


def _failure(folder: Path) -> str:
    result = rescore_paths([folder])
    assert not result.scores
    (failure,) = result.failures
    return failure.message


def test_truncated_trace(tmp_path: Path) -> None:
    write_eembc_folder(tmp_path / "e", SHORT)
    path = tmp_path / "e" / "trace1-energy.bin"
    path.write_bytes(path.read_bytes()[:-3])
    message = _failure(tmp_path / "e")
    assert "trace1-energy.bin" in message and "truncated" in message


def test_trace_cut_at_a_whole_sample_no_longer_fits_its_timestamps(tmp_path: Path) -> None:
    write_eembc_folder(tmp_path / "e", SHORT)
    path = tmp_path / "e" / "trace1-energy.bin"
    path.write_bytes(path.read_bytes()[: 5 + 4 * 1000])
    message = _failure(tmp_path / "e")
    assert "trace1-timestamps.json" in message and "do not fit" in message


def test_corrupt_trace_header(tmp_path: Path) -> None:
    write_eembc_folder(tmp_path / "e", SHORT)
    path = tmp_path / "e" / "trace1-energy.bin"
    path.write_bytes(b"version https://git-lfs.github.com/spec/v1\n")
    assert "not an EEMBC energy trace" in _failure(tmp_path / "e")


def test_timestamps_from_another_run(tmp_path: Path) -> None:
    write_eembc_folder(tmp_path / "e", SHORT)
    (tmp_path / "e" / "trace1-timestamps.json").write_text(json.dumps([0.019, 2.0, 900.0]))
    message = _failure(tmp_path / "e")
    assert "edge 2 at 900.0 s lies past the end of trace1-energy.bin" in message


def test_two_edges_in_one_sample(tmp_path: Path) -> None:
    write_eembc_folder(tmp_path / "e", SHORT)
    (tmp_path / "e" / "trace1-timestamps.json").write_text(json.dumps([0.019, 2.0, 2.0, 3.0]))
    assert "fall in the same sample" in _failure(tmp_path / "e")


def test_mlcommons_events_out_of_order(tmp_path: Path) -> None:
    write_mlcommons_folder(tmp_path / "m", SHORT)
    path = tmp_path / "m" / "results.json"
    trials = json.loads(path.read_text())
    trials[1]["power"]["timestamps"].reverse()
    path.write_text(json.dumps(trials))
    assert "do not increase" in _failure(tmp_path / "m")


def test_missing_half_of_a_trace(tmp_path: Path) -> None:
    write_eembc_folder(tmp_path / "e", SHORT)
    (tmp_path / "e" / "trace1-timestamps.json").unlink()
    assert "trace1-timestamps.json: missing" in _failure(tmp_path / "e")


def test_unknown_results_txt(tmp_path: Path) -> None:
    write_eembc_folder(tmp_path / "e", SHORT)
    (tmp_path / "e" / "results.txt").write_text("Top 1% = 91.3\n")
    message = _failure(tmp_path / "e")
    assert "results.txt" in message and "no form tinyjoule knows" in message


def test_folder_without_raw_data(tmp_path: Path) -> None:
    folder = tmp_path / "energy"
    folder.mkdir()
    (folder / "energy_results.txt").write_text("Median energy cost is 611.493 uJ/inf.\n")
    (folder / "log.txt").write_text("")
    message = _failure(folder)
    assert "no raw data" in message and "energy_results.txt" in message


def test_corrupt_results_json(tmp_path: Path) -> None:
    write_mlcommons_folder(tmp_path / "m", SHORT)
    path = tmp_path / "m" / "results.json"
    path.write_text(path.read_text()[:5000])
    message = _failure(tmp_path / "m")
    assert "results.json" in message and "not valid JSON" in message


def test_mlcommons_events_past_the_samples(tmp_path: Path) -> None:
    write_mlcommons_folder(tmp_path / "m", SHORT)
    path = tmp_path / "m" / "results.json"
    trials = json.loads(path.read_text())
    trials[1]["power"]["timestamps"][-1][1] = 10**7
    path.write_text(json.dumps(trials))
    message = _failure(tmp_path / "m")
    assert "trial 1" in message and "do not fit" in message


def test_mlcommons_performance_mode_json(tmp_path: Path) -> None:
    write_mlcommons_folder(tmp_path / "m", SHORT)
    path = tmp_path / "m" / "results.json"
    trials = json.loads(path.read_text())
    del trials[0]["power"]
    path.write_text(json.dumps(trials))
    assert "not an energy-mode run" in _failure(tmp_path / "m")


def test_runner_forms_mixed_up(tmp_path: Path) -> None:
    write_mlcommons_folder(tmp_path / "m", SHORT)
    write_eembc_folder(tmp_path / "e", SHORT)
    (tmp_path / "m" / "results.txt").write_text((tmp_path / "e" / "results.txt").read_text())
    assert "different runs" in _failure(tmp_path / "m")


def test_nothing_there(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert "no energy folder in it" in _failure(tmp_path / "empty")
    assert "no such file or folder" in _failure(tmp_path / "missing")


def test_tree_with_good_and_bad_folders(tmp_path: Path) -> None:
    root = tmp_path / "tiny_results"
    good_e = root / "closed/a/results/B1/kws/energy"
    good_m = root / "closed/b/results/B2/ic/energy"
    bad = root / "closed/c/results/B3/vww/energy"
    nodata = root / "closed/d/results/B4/ad/energy"
    write_eembc_folder(good_e, SHORT)
    write_mlcommons_folder(good_m, SHORT)
    write_eembc_folder(bad, SHORT)
    (bad / "trace1-energy.bin").write_bytes(b"\xf1")
    nodata.mkdir(parents=True)
    (nodata / "results.txt").write_text("whatever\n")
    perf = root / "closed/a/results/B1/kws/performance"  # not an energy folder: skipped
    perf.mkdir(parents=True)
    (perf / "results.txt").write_text("Median throughput is 23.175 inf./sec.\n")
    session = root / "sessions/20260101_000000_energy/kws01"  # a tinyjoule session: skipped
    session.mkdir(parents=True)
    (session / "results.json").write_text('{"workload": "kws01", "mode": "energy"}')
    result = rescore_paths([root])
    assert sorted(s.path for s in result.scores) == sorted([good_e, good_m])
    assert sorted(f.path for f in result.failures) == sorted([bad, nodata])
    assert any("trace1-energy.bin" in f.message for f in result.failures)
    assert any("no raw data" in f.message for f in result.failures)


@pytest.mark.parametrize("name", ["results.txt", "trace1-energy.bin"])
def test_a_file_path_means_its_folder(tmp_path: Path, name: str) -> None:
    write_eembc_folder(tmp_path / "e", SHORT)
    result = rescore_paths([tmp_path / "e" / name])
    assert result.ok and len(result.scores) == 1
