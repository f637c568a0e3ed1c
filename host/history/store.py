"""Connecting to the history database, keeping its schema current, writing and reading runs.

``--db URL`` or ``TINYJOULE_DB`` chooses it (``sqlite:///path``, ``postgresql://user@host/db``;
``postgresql://`` is read as ``postgresql+psycopg://``); otherwise it is ``history.sqlite``
in the sessions folder. Every error names the database (password hidden) and the fix.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, func, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.history.schema import MIGRATIONS, SCHEMA_VERSION, metadata, runs, schema_info

ENV_VAR = "TINYJOULE_DB"
DEFAULT_FILE = "history.sqlite"


class HistoryError(ConfigurationError):
    """The history database cannot be used as asked."""


def database_url(explicit: str | None, sessions_root: Path) -> str:
    """The URL to use: ``explicit``, else ``TINYJOULE_DB``, else SQLite beside the sessions."""
    url = explicit or os.environ.get(ENV_VAR) or f"sqlite:///{sessions_root / DEFAULT_FILE}"
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def shown(url: str) -> str:
    """The URL to print: the password hidden; a SQLite path as written (not %-quoted)."""
    if url.startswith("sqlite"):
        return url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


@dataclass
class History:
    """An open history database."""

    url: str
    engine: Engine

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise HistoryError(
                f"history database {shown(self.url)}: {type(exc).__name__}: "
                f"{str(exc).splitlines()[0]}"
            ) from exc

    def upsert(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert ``rows`` or update the ones already there (same session and workload)."""
        rows = list(rows)
        if not rows:
            return 0
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(runs)
        keep = {c: statement.excluded[c] for c in rows[0] if c not in ("session_id", "workload")}
        statement = statement.on_conflict_do_update(
            index_elements=["session_id", "workload"], set_=keep
        )
        with self.begin() as connection:
            connection.execute(statement, rows)
        return len(rows)

    def existing_path(self, session_id: str) -> str | None:
        with self.begin() as connection:
            row = connection.execute(
                select(runs.c.session_path).where(runs.c.session_id == session_id).limit(1)
            ).first()
        return None if row is None else str(row[0])

    def forget_under(self, root: Path) -> int:
        """Remove every run whose session folder lies under ``root`` (before a rebuild)."""
        prefix = str(root.resolve())
        with self.begin() as connection:
            result = connection.execute(
                delete(runs).where(
                    (runs.c.session_path == prefix) | runs.c.session_path.startswith(prefix + "/")
                )
            )
        return int(result.rowcount or 0)

    def count(self) -> int:
        with self.begin() as connection:
            return int(connection.execute(select(func.count()).select_from(runs)).scalar_one())

    def close(self) -> None:
        self.engine.dispose()


def open_history(url: str) -> History:
    """Connect, create the tables on a new database, migrate an older one."""
    try:
        engine = create_engine(url, **_options(url))
    except (ArgumentError, ImportError, ValueError) as exc:
        raise HistoryError(
            f"history database {shown(url)}: not a usable URL ({exc}); give sqlite:///PATH or "
            "postgresql://USER@HOST:PORT/DATABASE"
        ) from exc
    history = History(url, engine)
    try:
        with engine.begin() as connection:
            _ensure_schema(connection, url)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise HistoryError(
            f"history database {shown(url)}: cannot connect ({str(exc).splitlines()[0]}); "
            "check that the server runs and the URL is right, or unset TINYJOULE_DB and leave "
            "out --db to use the SQLite index beside the sessions"
        ) from exc
    return history


def _options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True, "connect_args": {"connect_timeout": 10}}


def _ensure_schema(connection: Connection, url: str) -> None:
    if not inspect(connection).has_table(schema_info.name):
        metadata.create_all(connection)
        connection.execute(schema_info.insert().values(version=SCHEMA_VERSION))
        return
    version = connection.execute(select(schema_info.c.version)).scalar()
    if version is None:
        raise HistoryError(
            f"history database {shown(url)}: its schema table is empty; point --db at another "
            "database, or rebuild this one from the session folders (tinyjoule history "
            "--rebuild) after emptying it"
        )
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"history database {shown(url)} has schema version {version}, newer than this "
            f"tinyjoule knows ({SCHEMA_VERSION}): upgrade tinyjoule on this bench"
        )
    for step in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[step](connection)
        connection.execute(schema_info.update().values(version=step))


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)
