"""How ``tinyjoule run`` ends when it stops early: the user is told what was kept, and with
``--json`` the summary of what was measured (``"complete": false``, its ``error``) is printed
whatever stopped the run.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from tinyjoule.host.results import json_text
from tinyjoule.host.results.session import Session

WINDOW_COUNT = 5  # as runner.windows (not imported: the CLI loads the runner only to run)


def kept_text(session: Session, workloads: tuple[str, ...]) -> str | None:
    """What the session folder keeps, workload by workload, and what never started (None
    for a session removed because it measured nothing)."""
    if session.discarded:
        return None
    traces = any(r.data.get("trace") for r in session.records)
    if not session.measured_anything() and not traces:
        return f"nothing was measured; the log and transcript are in {session.folder}"
    parts = []
    for record in session.records:
        data = record.data
        if data.get("complete"):
            parts.append(f"{data['workload']} complete")
        elif "scored_files" in data or session.mode == "accuracy":
            parts.append(f"{data['workload']} {data.get('scored_files', 0)} files scored")
        else:
            windows = len(data.get("windows") or [])
            trace = f" and its {data['trace']}" if data.get("trace") else ""
            parts.append(f"{data['workload']} {windows} of {WINDOW_COUNT} windows{trace}")
    started = {r.data["workload"] for r in session.records}
    missing = [w for w in workloads if w not in started]
    if missing:
        parts.append(f"not started: {', '.join(missing)}")
    return f"kept in {session.folder}, marked incomplete: {'; '.join(parts)}"


def report(
    problem: str,
    session: Session | None,
    workloads: tuple[str, ...],
    as_json: bool,
    err_console: Console,
) -> None:
    """Say what stopped the run and what was kept (stderr); the summary JSON on stdout."""
    err_console.print(problem, highlight=False)
    kept = None if session is None else kept_text(session, workloads)
    if session is None or kept is None:
        return
    err_console.print(escape(kept), highlight=False)
    for unwritten in session.unwritten:
        err_console.print(f"[yellow]not written:[/] {escape(unwritten)}", highlight=False)
    if as_json and session.summary is not None and not session.discarded:
        print(json_text.dumps(session.summary))
