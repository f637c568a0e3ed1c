"""Calibration records in the history database: a log of every calibration made.

``tinyjoule calibrate`` writes the record file (what runs use) and then, when a history
database exists (``--db``, ``TINYJOULE_DB``, or the SQLite index already beside the
sessions), a row here too; a database it cannot reach costs nothing but the row, and
says why. ``calibration_rows`` reads them back, newest first.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from tinyjoule.errors import TinyJouleError
from tinyjoule.host.history.schema import calibrations
from tinyjoule.host.history.store import ENV_VAR, database_url, now, open_history, shown
from tinyjoule.host.results import json_text


def _exists(url: str, explicit: str | None) -> bool:
    if explicit or os.environ.get(ENV_VAR) or not url.startswith("sqlite"):
        return True
    path = make_url(url).database
    return bool(path) and Path(path).is_file()


def row_of(record: dict[str, Any], path: Path | None) -> dict[str, Any]:
    instrument = record["instrument"]
    correction = record.get("correction") or {}
    created = dt.datetime.fromisoformat(record["created"])
    return {
        "monitor_kind": instrument["kind"],
        "monitor_serial": instrument["serial_number"],
        "created_at": created.astimezone().replace(tzinfo=None),
        "simulated": bool(record["simulated"]),
        "voltage_v": float(record["voltage_v"]),
        "workflows": ",".join(k for k in ("offset", "gain", "timebase") if record.get(k)),
        "gain": correction.get("gain"),
        "offset_a": correction.get("offset_a"),
        "timebase_ppm": correction.get("timebase_ppm"),
        "tinyjoule_version": record.get("tinyjoule_version"),
        "host": record.get("host"),
        "file_path": str(path) if path else None,
        "indexed_at": now(),
        "record": json_text.dumps(record, indent=None),
    }


def index_calibration(
    record: dict[str, Any], path: Path | None, db_url: str | None, sessions_root: Path
) -> dict[str, Any]:
    """Add the record to the history, if there is one; what happened, to tell the user."""
    url = database_url(db_url, sessions_root)
    if not _exists(url, db_url):
        return {"indexed": False, "history": None, "reason": "no history database yet"}
    try:
        history = open_history(url)
        try:
            row = row_of(record, path)
            dialect = postgresql if history.engine.dialect.name == "postgresql" else sqlite
            keys = ("monitor_kind", "monitor_serial", "created_at")
            statement = dialect.insert(calibrations)
            statement = statement.on_conflict_do_update(
                index_elements=list(keys),
                set_={c: statement.excluded[c] for c in row if c not in keys},
            )
            with history.begin() as connection:
                connection.execute(statement, [row])
        finally:
            history.close()
    except TinyJouleError as exc:
        return {"indexed": False, "history": shown(url), "reason": str(exc)}
    return {"indexed": True, "history": shown(url)}


def calibration_rows(db_url: str | None, sessions_root: Path) -> list[dict[str, Any]]:
    """Every calibration in the history, newest first (none without a database)."""
    url = database_url(db_url, sessions_root)
    if not _exists(url, db_url):
        return []
    history = open_history(url)
    try:
        with history.begin() as connection:
            result = connection.execute(
                select(calibrations).order_by(calibrations.c.created_at.desc())
            )
            return [dict(r._mapping) for r in result]
    finally:
        history.close()
