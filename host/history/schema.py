"""The history database's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL, and
the migrations that bring an older database up to this schema.

``tinyjoule_schema`` holds one row: the schema version. A database from an older tinyjoule
is migrated step by step (``MIGRATIONS``); one from a newer tinyjoule is refused.

Version 2 adds ``calibrations``: every calibration record made (``tinyjoule calibrate``),
one row each, the record's JSON whole beside the figures a query wants; the record files
in the user's data folder stay what runs use, this table is their log.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

SCHEMA_VERSION = 2

metadata = MetaData()

schema_info = Table(
    "tinyjoule_schema",
    metadata,
    Column("version", Integer, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(300), nullable=False),
    Column("workload", String(40), nullable=False),
    Column("session_path", Text, nullable=False),
    Column("mode", String(20), nullable=False),
    Column("started_at", DateTime),
    Column("complete", Boolean, nullable=False),
    Column("error", Text),
    Column("simulated", Boolean, nullable=False),
    Column("synthetic_dataset", Boolean, nullable=False),
    Column("source", String(20), nullable=False),  # measured | imported
    Column("board", String(200)),
    Column("dut_model_id", String(40)),
    Column("model_sha256", String(64)),
    Column("model_path", Text),
    Column("model_macs", BigInteger),
    Column("monitor_kind", String(40)),
    Column("monitor_serial", String(200)),
    Column("sample_rate_hz", Float),
    Column("median_uj_per_inference", Float),
    Column("uncertainty_uj_per_inference", Float),
    Column("mean_power_mw", Float),
    Column("median_latency_ms", Float),
    Column("median_throughput_ips", Float),
    Column("accuracy_metric", String(40)),
    Column("accuracy_value", Float),
    Column("tinyjoule_version", String(40)),
    Column("host", String(200)),
    Column("indexed_at", DateTime, nullable=False),
    Column("record", Text, nullable=False),  # the workload's results.json as indexed
    UniqueConstraint("session_id", "workload", name="uq_runs_session_workload"),
)
Index("ix_runs_workload_started", runs.c.workload, runs.c.started_at)
Index("ix_runs_started", runs.c.started_at)
Index("ix_runs_model", runs.c.model_sha256)
Index("ix_runs_board", runs.c.board)

calibrations = Table(
    "calibrations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("monitor_kind", String(40), nullable=False),
    Column("monitor_serial", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("simulated", Boolean, nullable=False),
    Column("voltage_v", Float, nullable=False),
    Column("workflows", String(100), nullable=False),  # "offset,gain,timebase"
    Column("gain", Float),
    Column("offset_a", Float),
    Column("timebase_ppm", Float),
    Column("tinyjoule_version", String(40)),
    Column("host", String(200)),
    Column("file_path", Text),
    Column("indexed_at", DateTime, nullable=False),
    Column("record", Text, nullable=False),  # the record's JSON as written
    UniqueConstraint(
        "monitor_kind", "monitor_serial", "created_at", name="uq_calibrations_instrument_time"
    ),
)
Index("ix_calibrations_instrument", calibrations.c.monitor_kind, calibrations.c.monitor_serial)

Migration = Callable[[Connection], None]


def _add_calibrations(connection: Connection) -> None:
    calibrations.create(connection, checkfirst=True)
    for index in calibrations.indexes:
        index.create(connection, checkfirst=True)


MIGRATIONS: dict[int, Migration] = {2: _add_calibrations}
"""``MIGRATIONS[n]`` takes a database from version n - 1 to n (2: the calibrations table)."""
