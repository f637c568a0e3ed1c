"""The history: every session indexed as it finishes, listed and filtered, rebuilt from the
folders; on SQLite (the default) and on a real PostgreSQL server, by the same code."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from history_helpers import copies, simulated_session
from typer.testing import CliRunner

from tinyjoule.host.cli.app import app
from tinyjoule.host.history.indexing import index_session, rebuild
from tinyjoule.host.history.query import Filters, find_runs
from tinyjoule.host.history.store import HistoryError, database_url, open_history

runner = CliRunner()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'h.sqlite'}"
    return request.getfixturevalue("fresh_postgres")


def test_a_run_is_indexed_as_it_finishes(tmp_path: Path) -> None:
    folder = simulated_session(tmp_path / "s")
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["indexed"] is True and summary["history"].endswith("history.sqlite")
    history = open_history(database_url(None, tmp_path / "s"))
    (found,) = find_runs(history, Filters())
    assert found["session_id"] == summary["session_id"] and found["workload"] == "ad01"
    assert found["simulated"] and found["mode"] == "performance"
    assert found["median_latency_ms"] == pytest.approx(summary["workloads"][0]["median_latency_ms"])


def test_index_list_and_filter_on_both_databases(tmp_path: Path, db_url: str) -> None:
    sessions = tmp_path / "s"
    energy = simulated_session(sessions, ("kws01",), mode="energy", index=False)
    perf = simulated_session(sessions, ("ad01", "ic01"), index=False)
    history = open_history(database_url(db_url, tmp_path))
    try:
        for folder in (energy, perf):
            index_session(history, folder)
        index_session(history, perf)  # again: updated, not doubled
        assert history.count() == 3
        (kws,) = find_runs(history, Filters(workload="kws01"))
        assert kws["monitor_kind"] == "lpm01a" and kws["median_uj_per_inference"] > 0
        assert kws["model_sha256"] and kws["model_macs"] == 2656768
        assert len(find_runs(history, Filters(mode="performance"))) == 2
        assert find_runs(history, Filters(simulated=False)) == []
        assert len(find_runs(history, Filters(board="nucleo"))) == 3
        assert len(find_runs(history, Filters(model=kws["model_sha256"][:10]))) == 1
    finally:
        history.close()


def test_the_cli_lists_as_table_json_and_csv(tmp_path: Path) -> None:
    sessions = tmp_path / "s"
    simulated_session(sessions, ("ad01", "kws01"))
    args = ["history", "--sessions", str(sessions)]
    table = runner.invoke(app, args, env={"COLUMNS": "250"})
    assert table.exit_code == 0 and "2 of 2 run(s)" in table.stdout
    data = json.loads(runner.invoke(app, [*args, "--json", "-w", "kws01"]).stdout)
    assert [r["workload"] for r in data] == ["kws01"]
    out = runner.invoke(app, [*args, "--csv", "-"]).stdout.splitlines()
    assert out[0].startswith("id,session_id,workload") and len(out) == 3


def test_an_unknown_figure_is_null_and_the_json_strict(tmp_path: Path) -> None:
    sessions = tmp_path / "s"
    folder = simulated_session(sessions, ("ad01",), index=False)
    results = folder / "ad01" / "results.json"
    record = json.loads(results.read_text())
    record["median_latency_ms"] = float("nan")  # e.g. a run with no timed window
    results.write_text(json.dumps(record))
    assert runner.invoke(app, ["history", "--rebuild", "--sessions", str(sessions)]).exit_code == 0
    out = runner.invoke(app, ["history", "--json", "--sessions", str(sessions)]).stdout
    (run,) = json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in strict JSON"))
    assert run["median_latency_ms"] is None and run["started_at"].startswith("20")


def test_rebuild_reindexes_from_the_folders(tmp_path: Path) -> None:
    sessions = tmp_path / "s"
    source = simulated_session(sessions, index=False)
    copies(source, sessions, 3)
    result = runner.invoke(app, ["history", "--rebuild", "--sessions", str(sessions)])
    assert result.exit_code == 0 and "indexed 4 run(s)" in result.stdout
    history = open_history(database_url(None, sessions))
    assert history.count() == 4
    assert rebuild(history, sessions) == (4, []) and history.count() == 4


def test_a_damaged_session_is_named_and_the_others_indexed(tmp_path: Path) -> None:
    sessions = tmp_path / "s"
    good = simulated_session(sessions, index=False)
    (bad,) = copies(good, sessions, 1)
    (bad / "ad01" / "results.json").write_text('{"workload": "ad01", "mode"')
    args = ["history", "--rebuild", "--sessions", str(sessions)]
    result = runner.invoke(app, args, env={"COLUMNS": "1000"})
    assert result.exit_code == 1 and "indexed 1 run(s)" in result.stdout
    assert "not valid JSON" in " ".join(result.output.split()) and str(bad.name) in result.output


def test_two_folders_with_one_session_id_are_refused(tmp_path: Path) -> None:
    sessions = tmp_path / "s"
    first = simulated_session(sessions, index=False)
    twin = tmp_path / "elsewhere" / first.name
    twin.parent.mkdir()
    __import__("shutil").copytree(first, twin)
    history = open_history(database_url(None, sessions))
    index_session(history, first)
    with pytest.raises(HistoryError, match=r"already indexed .* from .*remove one"):
        index_session(history, twin)


def test_a_newer_schema_is_refused_and_an_older_migrated(tmp_path: Path, monkeypatch) -> None:
    from sqlalchemy import text

    from tinyjoule.host.history import schema, store

    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    open_history(url).close()
    engine = __import__("sqlalchemy").create_engine(url)
    with engine.begin() as c:
        c.execute(text("UPDATE tinyjoule_schema SET version = 7"))
    with pytest.raises(HistoryError, match=r"schema version 7, newer .* upgrade tinyjoule"):
        open_history(url)
    with engine.begin() as c:
        c.execute(text("UPDATE tinyjoule_schema SET version = 1"))
    steps = []
    monkeypatch.setattr(store, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(schema.MIGRATIONS, 2, lambda c: steps.append(2))
    open_history(url).close()
    with engine.begin() as c:
        assert c.execute(text("SELECT version FROM tinyjoule_schema")).scalar() == 2
    assert steps == [2]


def test_an_unreachable_database_names_the_url_and_the_fix(tmp_path: Path) -> None:
    url = "postgresql://tj:secret@127.0.0.1:1/nowhere"
    with pytest.raises(HistoryError) as err:
        open_history(database_url(url, tmp_path))
    message = str(err.value)
    assert "127.0.0.1:1/nowhere" in message and "secret" not in message
    assert "check that the server runs" in message


def test_a_run_that_cannot_be_indexed_keeps_its_session(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["run", "--mode", "performance", "-w", "ad01", "--sessions", str(tmp_path / "s"),
         "--db", "postgresql://tj@127.0.0.1:1/nowhere"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "not indexed" in result.output
    (folder,) = (tmp_path / "s").iterdir()
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["indexed"] is False and "cannot connect" in summary["index_error"]
    assert summary["complete"] and summary["workloads"][0]["median_latency_ms"] > 0


def _index_copies(url: str, folders: list[str]) -> None:
    history = open_history(url)
    try:
        for folder in folders:
            index_session(history, Path(folder))
    finally:
        history.close()


def test_concurrent_benches_lose_nothing_on_postgresql(tmp_path, fresh_postgres) -> None:
    """Four processes index 15 sessions each into one PostgreSQL at the same time."""
    source = simulated_session(tmp_path / "src", ("ad01", "kws01"), index=False)
    folders = [str(f) for f in copies(source, tmp_path / "s", 60)]
    url = database_url(fresh_postgres, tmp_path)
    open_history(url).close()  # the schema exists before the race (created once, as a lab does)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_index_copies, args=(url, folders[i::4])) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    history = open_history(url)
    assert (
        history.count() == 120
        and len({r["session_id"] for r in find_runs(history, Filters())}) == 60
    )
    history.close()


def test_a_sessions_folder_with_markup_in_its_name(tmp_path: Path) -> None:
    sessions = tmp_path / "[/red]lab [b]"
    simulated_session(sessions)
    result = runner.invoke(app, ["history", "--sessions", str(sessions)], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    assert "[/red]lab [b]" in result.output
