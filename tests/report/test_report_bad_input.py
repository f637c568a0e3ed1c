"""Bad input: a folder that is not a session, a damaged results.json or summary.json, a trace.h5
cut short or with a damaged chunk. One message naming the file and the fix each, and a report
of what can still be read, marked PARTIAL."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from report_page import read_page
from typer.testing import CliRunner

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.cli.app import app
from tinyjoule.host.report import build_report

runner = CliRunner()


def test_a_folder_that_is_not_a_session(tmp_path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hello")
    with pytest.raises(ConfigurationError) as err:
        build_report([tmp_path / "notes"], tmp_path / "r.html")
    message = str(err.value)
    assert (
        str(tmp_path / "notes") in message and "Give the folder 'tinyjoule run' printed" in message
    )
    assert not (tmp_path / "r.html").exists()
    result = runner.invoke(app, ["report", str(tmp_path / "notes"), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.count("error:") == 1 and "nothing to report" in result.output


def test_a_path_that_does_not_exist_beside_a_good_one(runs, tmp_path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path / "nope"), str(runs["performance"]),
                                 "-o", str(tmp_path / "r.html")])  # fmt: skip
    assert result.exit_code == 1 and "no such file or folder" in result.output
    page = read_page(tmp_path / "r.html")
    assert 'id="partial-banner"' in page.html
    assert [r[1] for r in page.tables_with("summary", "performance")[0].rows] == ["ad01"]


def test_damaged_results_json_falls_back_to_the_summary(energy_copy, tmp_path) -> None:
    path = energy_copy / "kws01" / "results.json"
    path.write_text(path.read_text()[:500])  # cut mid-way, as a full disk leaves it
    result = build_report([energy_copy], tmp_path / "r.html")
    (problem,) = result.problems
    assert str(path) in problem and "damaged" in problem and "To fix" in problem
    kws = result.report.items[0]
    assert kws.partial and kws.windows_from == "summary.json" and len(kws.windows) == 5
    assert kws.envelope is not None  # the trace is still there
    page = read_page(result.path)
    assert [len(t.rows) for t in page.tables_with("windows", "energy")] == [5, 5]
    assert "PARTIAL" in page.tables_with("summary", "energy")[0].rows[0][-1]
    assert "PARTIAL" not in page.tables_with("summary", "energy")[0].rows[1][-1]


def test_damaged_results_json_of_a_lone_workload_uses_the_trace(energy_copy, tmp_path) -> None:
    (energy_copy / "summary.json").unlink()
    (energy_copy / "ad01" / "results.json").write_text("{not json")
    result = build_report([energy_copy / "ad01"], tmp_path / "r.html")
    (item,) = result.report.items
    assert item.windows_from == "trace.h5" and len(item.windows) == 5
    assert item.windows[0]["inferences"] > 10 and item.envelope is not None
    checks = {c.name: c.status for c in item.checks}
    assert checks["every window ≥ 10 s"] == "passed" and checks["run finished"] == "not applicable"
    page = read_page(result.path)
    assert len(page.tables_with("windows", "energy")[0].rows) == 5


def test_damaged_summary_json(energy_copy, tmp_path) -> None:
    (energy_copy / "summary.json").write_text("")
    result = build_report([energy_copy], tmp_path / "r.html")
    (problem,) = result.problems
    assert "summary.json" in problem and "To fix" in problem
    assert [i.name for i in result.report.items] == ["ad01", "kws01"]


def test_trace_cut_short(energy_copy, tmp_path) -> None:
    trace = energy_copy / "ad01" / "trace.h5"
    data = trace.read_bytes()
    trace.write_bytes(data[: len(data) * 2 // 3])
    result = runner.invoke(app, ["report", str(energy_copy), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"error: {trace}: cut short" in result.output.replace("\n", " ")
    assert "copy the file again" in result.output.replace("\n", " ")
    page = read_page(tmp_path / "r.html")
    # the figures are still there, from results.json; only the plot of ad01 is missing
    assert [len(t.rows) for t in page.tables_with("windows", "energy")] == [5, 5]
    assert [s["id"] for s in page.data["series"]] == ["g0i0"]
    assert "No trace plot" in page.text and 'id="partial-banner"' in page.html


def test_trace_with_a_damaged_chunk_keeps_the_rest(energy_copy, tmp_path) -> None:
    trace = energy_copy / "kws01" / "trace.h5"
    with h5py.File(trace) as f:
        chunk = f["samples"].id.get_chunk_info(0)
        chunks = f["samples"].id.get_num_chunks()
    with trace.open("r+b") as f:
        f.seek(chunk.byte_offset + 50)
        f.write(b"\0" * 200)
    result = build_report([energy_copy], tmp_path / "r.html")
    (problem,) = result.problems
    assert f"{trace}: samples 0..65535 cannot be read" in problem
    item = result.report.items[0]
    env = item.envelope
    blank = np.isnan(env.lo)
    assert blank.any() and (~blank).any() and chunks > 1
    first = np.flatnonzero(~blank)[0]  # the first bin with a sample holds some past the chunk
    assert env.boundaries[first + 1] > 65536 and np.isnan(env.lo[:first]).all()


def test_trace_that_is_not_hdf5(energy_copy, tmp_path) -> None:
    (energy_copy / "kws01" / "trace.h5").write_text("not a trace")
    result = build_report([energy_copy], tmp_path / "r.html")
    (problem,) = result.problems
    assert "not a readable HDF5 trace" in problem
    checks = {c.name: c.status for c in result.report.items[0].checks}
    assert checks["trace complete"] == "not applicable"


def test_incomplete_run_is_marked(energy_copy, tmp_path) -> None:
    path = energy_copy / "kws01" / "results.json"
    data = json.loads(path.read_text())
    data.update(complete=False, error="DUT stopped answering")
    data["windows"] = data["windows"][:3]
    path.write_text(json.dumps(data))
    result = build_report([energy_copy], tmp_path / "r.html")
    checks = {c.name: c for c in result.report.items[0].checks}
    assert checks["run finished"].status == "failed"
    assert checks["run finished"].detail == "DUT stopped answering"
    assert checks["5 windows"].status == "failed"
    assert checks["trace windows agree with the results"].status == "failed"
    assert "INCOMPLETE" in read_page(result.path).tables_with("summary")[0].rows[0][-1]
