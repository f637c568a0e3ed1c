"""The Python API's edges: what is not a session, a trace that is not there, no pandas."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from history_helpers import simulated_session

import tinyjoule
from tinyjoule.errors import ConfigurationError


def test_the_api_is_exposed_lazily_from_the_package() -> None:
    assert set(tinyjoule.API) <= set(dir(tinyjoule)) | set(tinyjoule.__all__)
    assert tinyjoule.load_session.__module__ == "tinyjoule.api"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = tinyjoule.nope


def test_records_windows_and_a_missing_trace(tmp_path: Path) -> None:
    folder = simulated_session(tmp_path / "s", ("ad01", "kws01"))
    session = tinyjoule.load_session(folder)
    assert session.workloads == ["ad01", "kws01"]
    assert [r["workload"] for r in session.records()] == ["ad01", "kws01"]
    assert "windows" not in session.records()[0]
    windows = session.window_records("kws01")
    assert [w["window"] for w in windows] == [1, 2, 3, 4, 5]
    with pytest.raises(ConfigurationError, match=r"no trace \(only energy runs"):
        session.samples("kws01")


def test_not_a_session_and_no_pandas_are_clear(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(ConfigurationError, match="not a tinyjoule session"):
        tinyjoule.load_session(tmp_path)
    folder = simulated_session(tmp_path / "s")
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now fails
    session = tinyjoule.load_session(folder)
    assert session.window_records()  # plain dictionaries still work
    with pytest.raises(ConfigurationError, match=r"pip install tinyjoule\[pandas\]"):
        session.windows()


def test_history_filters_and_measure_into_another_database(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    db = f"sqlite:///{tmp_path / 'lab.sqlite'}"
    session = tinyjoule.measure("performance", ["ad01"], sessions=tmp_path / "s", db=db)
    found = tinyjoule.history(db=db, workload="ad01", simulated=True)
    assert list(found["session_id"]) == [session.summary["session_id"]]
    none = tinyjoule.history(db=db, workload="kws01")
    assert none.empty and "median_uj_per_inference" in none.columns
    assert not (tmp_path / "s" / "history.sqlite").exists()  # indexed where it was told
