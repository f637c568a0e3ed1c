"""Indexing a session as it finishes: a failure to index never costs the session folder;
the summary says "not indexed" and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinyjoule.errors import TinyJouleError
from tinyjoule.host.history.indexing import index_session
from tinyjoule.host.history.store import database_url, open_history, shown


def index_finished(folder: Path, sessions_root: Path, db_url: str | None) -> dict[str, Any]:
    """Index the session at ``folder``; what to add to its summary."""
    url = database_url(db_url, sessions_root)
    try:
        history = open_history(url)
        try:
            index_session(history, folder)
        finally:
            history.close()
    except TinyJouleError as exc:
        return {"indexed": False, "history": shown(url), "index_error": str(exc)}
    return {"indexed": True, "history": shown(url)}
