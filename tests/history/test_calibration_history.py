"""Calibrations in the history database: the schema migrates (version 1 -> 2 adds the
calibrations table), ``tinyjoule calibrate`` logs a row when a database exists, on SQLite
and on PostgreSQL, and none is created when there is none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from tinyjoule.calibration.record import CalibrationRecord
from tinyjoule.host.history.calibrations import calibration_rows, index_calibration
from tinyjoule.host.history.schema import SCHEMA_VERSION
from tinyjoule.host.history.store import open_history


def _record() -> dict:
    return CalibrationRecord(
        kind="lpm01a",
        serial_number="SIM1-2-3",
        simulated=True,
        created="2026-03-04T05:06:07+00:00",
        tinyjoule_version="0.1.0",
        voltage_v=1.8,
        offset={"offset_a": 5e-6, "standard_uncertainty_a": 1e-9},
    ).to_dict()


def test_a_version_1_database_gains_the_calibrations_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    open_history(url).close()
    engine = create_engine(url)
    with engine.begin() as c:  # as tinyjoule before calibration left it
        c.execute(text("DROP TABLE calibrations"))
        c.execute(text("UPDATE tinyjoule_schema SET version = 1"))
    open_history(url).close()
    assert SCHEMA_VERSION == 2
    with engine.begin() as c:
        assert c.execute(text("SELECT version FROM tinyjoule_schema")).scalar() == 2
        assert inspect(c).has_table("calibrations")


def test_a_calibration_is_logged_when_a_database_exists(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    status = index_calibration(_record(), tmp_path / "r.json", None, sessions)
    assert status == {"indexed": False, "history": None, "reason": "no history database yet"}
    assert not (sessions / "history.sqlite").exists()
    open_history(f"sqlite:///{sessions / 'history.sqlite'}").close()  # a run made one
    assert index_calibration(_record(), tmp_path / "r.json", None, sessions)["indexed"]
    assert index_calibration(_record(), tmp_path / "r.json", None, sessions)["indexed"]  # upsert
    (row,) = calibration_rows(None, sessions)
    assert (row["monitor_kind"], row["monitor_serial"], row["workflows"]) == (
        "lpm01a",
        "SIM1-2-3",
        "offset",
    )
    assert row["simulated"] and json.loads(row["record"])["voltage_v"] == 1.8


def test_an_unreachable_database_costs_only_the_row(tmp_path: Path) -> None:
    status = index_calibration(_record(), None, "postgresql://tj@127.0.0.1:1/nowhere", tmp_path)
    assert status["indexed"] is False and "cannot connect" in status["reason"]


@pytest.mark.usefixtures("fresh_postgres")
def test_calibrations_on_postgresql(fresh_postgres: str, tmp_path: Path) -> None:
    assert index_calibration(_record(), None, fresh_postgres, tmp_path)["indexed"]
    assert len(calibration_rows(fresh_postgres, tmp_path)) == 1
