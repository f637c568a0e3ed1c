"""How ``tinyjoule run`` ends when it stops early: SIGTERM takes Ctrl-C's path, and the user
is told what was kept.

While the run runs, SIGINT (Ctrl-C) and SIGTERM (CI timeouts, closed terminals, service
managers) raise ``RunInterrupted`` in the main thread, so the run's own cleanup stops the
monitor, powers the target off and writes results.json and summary.json saying
"interrupted by SIGTERM". A second signal during that cleanup is only noted; a third acts as
before the run (the previous handlers are back by then, and always once the run ends).

Exit codes: 1 for an error, 130 for SIGINT and 143 for SIGTERM (128 + the signal number, as
a shell reports a process killed by it). With ``--json`` the summary of what was measured
(``"complete": false``, its ``error``) is printed whatever stopped the run.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from rich.console import Console
from rich.markup import escape

from tinyjoule.errors import RunInterrupted
from tinyjoule.host.results import json_text
from tinyjoule.host.results.session import Session

WINDOW_COUNT = 5  # as runner.windows (not imported: the CLI loads the runner only to run)
SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}


def exit_code(exc: BaseException) -> int:
    name = exc.signal_name if isinstance(exc, RunInterrupted) else "SIGINT"
    return 128 + int(SIGNALS.get(name, signal.SIGINT))


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """SIGINT and SIGTERM raise ``RunInterrupted`` inside this block (see the docstring).
    Signals someone set to be ignored, or handled otherwise, are left as they are."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[signal.Signals, Any] = {}
    received: list[str] = []

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        previous.clear()

    def handler(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        received.append(name)
        if len(received) == 1:
            raise RunInterrupted(name)
        restore()
        os.write(
            2,
            f"\n{name}: still stopping the monitor and writing what was measured; "
            "send it again to quit at once\n".encode(),
        )

    for signum in SIGNALS.values():
        if signal.getsignal(signum) in (signal.default_int_handler, signal.SIG_DFL):
            previous[signum] = signal.getsignal(signum)
            signal.signal(signum, handler)
    try:
        yield
    finally:
        restore()


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
