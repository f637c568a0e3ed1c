"""A real PostgreSQL server for the history tests (``pg_server``), stopped at the end;
where PostgreSQL cannot be had the tests that need it are skipped, saying why (or fail,
where ``TINYJOULE_REQUIRE_POSTGRES`` is set, as ``.ci/run`` does)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pg_server import NoPostgres, create_database, free_port, postgres_server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    try:
        with postgres_server() as url:
            yield url
    except NoPostgres as exc:
        if os.environ.get("TINYJOULE_REQUIRE_POSTGRES"):  # set by .ci/run: CI must test it
            pytest.fail(f"PostgreSQL is required here (TINYJOULE_REQUIRE_POSTGRES): {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc}")


@pytest.fixture
def fresh_postgres(postgres_url: str) -> str:
    """An empty database of its own on the test server."""
    return create_database(postgres_url, f"t{os.getpid()}_{free_port()}")
