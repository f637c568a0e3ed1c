"""Finding runs in the history: filters by workload, board, model hash, monitor, date,
simulated or not, mode; newest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from tinyjoule.host.history.schema import runs
from tinyjoule.host.history.store import History, HistoryError

LISTED = (
    "id", "session_id", "workload", "mode", "started_at", "complete", "simulated",
    "synthetic_dataset", "source", "board", "dut_model_id", "model_sha256", "model_macs",
    "monitor_kind", "sample_rate_hz", "median_uj_per_inference",
    "uncertainty_uj_per_inference", "mean_power_mw", "median_latency_ms",
    "median_throughput_ips", "accuracy_metric", "accuracy_value", "tinyjoule_version", "host",
    "session_path", "error",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Filters:
    workload: str | None = None
    board: str | None = None  # substring, any case
    model: str | None = None  # SHA-256 prefix
    monitor: str | None = None
    mode: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    simulated: bool | None = None  # None: both
    complete: bool | None = None
    run_id: int | None = None

    @classmethod
    def parse(cls, text: str) -> Filters:
        """``KEY=VALUE[,KEY=VALUE...]``, as ``tinyjoule compare`` takes them."""
        values: dict[str, Any] = {}
        for item in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = item.partition("=")
            if not sep or key not in cls.__dataclass_fields__:
                raise HistoryError(
                    f"history filter {item!r}: use KEY=VALUE with KEY one of "
                    f"{', '.join(cls.__dataclass_fields__)}"
                )
            values[key] = _convert(key, value)
        return cls(**values)


def _convert(key: str, value: str) -> Any:
    if key in ("since", "until"):
        return parse_date(value)
    if key in ("simulated", "complete"):
        if value.lower() not in ("yes", "no", "true", "false", "1", "0"):
            raise HistoryError(f"history filter {key}={value!r}: use yes or no")
        return value.lower() in ("yes", "true", "1")
    if key == "run_id":
        try:
            return int(value.lstrip("#"))
        except ValueError:
            raise HistoryError(f"history filter run_id={value!r}: give a run number") from None
    return value


def parse_date(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise HistoryError(f"date {text!r}: give YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS") from None


def _where(statement: Any, f: Filters) -> Any:
    c = runs.c
    if f.run_id is not None:
        statement = statement.where(c.id == f.run_id)
    if f.workload:
        statement = statement.where(c.workload == f.workload)
    if f.board:
        statement = statement.where(func.lower(c.board).contains(f.board.lower()))
    if f.model:
        statement = statement.where(c.model_sha256.startswith(f.model.lower()))
    if f.monitor:
        statement = statement.where(c.monitor_kind == f.monitor)
    if f.mode:
        statement = statement.where(c.mode == f.mode)
    if f.since:
        statement = statement.where(c.started_at >= f.since)
    if f.until:
        statement = statement.where(c.started_at <= f.until)
    if f.simulated is not None:
        statement = statement.where(c.simulated == f.simulated)
    if f.complete is not None:
        statement = statement.where(c.complete == f.complete)
    return statement


def find_runs(history: History, filters: Filters, limit: int | None = None) -> list[dict]:
    """Matching runs, newest first (``limit``: at most that many)."""
    columns = [runs.c[name] for name in LISTED]
    statement = _where(select(*columns), filters).order_by(
        runs.c.started_at.desc(), runs.c.id.desc()
    )
    if limit is not None:
        statement = statement.limit(limit)
    with history.begin() as connection:
        return [dict(row._mapping) for row in connection.execute(statement)]


def count_runs(history: History, filters: Filters) -> int:
    statement = _where(select(func.count()).select_from(runs), filters)
    with history.begin() as connection:
        return int(connection.execute(statement).scalar_one())


def run_record(history: History, run_id: int) -> dict[str, Any]:
    """One run's full results.json as indexed."""
    import json

    with history.begin() as connection:
        row = connection.execute(
            select(runs.c.record, runs.c.session_path).where(runs.c.id == run_id)
        ).first()
    if row is None:
        raise HistoryError(f"run #{run_id} is not in the history; list runs with tinyjoule history")
    record = json.loads(row[0])
    record.setdefault("session_path", row[1])
    return record
