"""A throwaway PostgreSQL server (initdb + pg_ctl from the machine's PostgreSQL) in a
temporary folder on a free loopback port; as root it runs as the ``postgres`` user. Used by
the history tests and benchmarks/history_query.py."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class NoPostgres(RuntimeError):
    """PostgreSQL cannot be started here (the message says why)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextmanager
def postgres_server() -> Iterator[str]:
    """A running server; yields ``postgresql://postgres@127.0.0.1:PORT/postgres``."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise NoPostgres("PostgreSQL's initdb/pg_ctl are not on PATH")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        raise NoPostgres("running as root without runuser: cannot start it as postgres")
    folder = Path(tempfile.mkdtemp(prefix="tinyjoule-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = free_port()

    def run(command: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(_as_server_user(command), capture_output=True, text=True, timeout=120)

    try:
        made = run([initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"])
        if made.returncode != 0:
            raise NoPostgres(f"initdb failed: {made.stderr.strip()[:300]}")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        started = run([pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w",
                       "-t", "60", "start"])  # fmt: skip
        if started.returncode != 0:
            raise NoPostgres(f"PostgreSQL did not start: {started.stderr.strip()[:300]}")
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """A new empty database on the server; its URL."""
    from sqlalchemy import create_engine, text

    admin = create_engine(
        server_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"
