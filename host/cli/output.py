"""What every command prints through: the consoles, and how a command fails.

``fail`` prints the error (rich markup escaped, device text bounded), what a session keeps
(and its summary JSON with ``--json``) and where its report is, then exits 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer
from rich.markup import escape

from tinyjoule.device_text import MAX_MESSAGE_CHARS, clip
from tinyjoule.host.cli import early_stop
from tinyjoule.host.console import make_console
from tinyjoule.host.results.session import Session

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}
console = make_console()
err_console = make_console(stderr=True)


def fail(
    message: str,
    session: Session | None = None,
    workloads: tuple[str, ...] = (),
    as_json: bool = False,
    report: Path | None = None,
) -> NoReturn:
    """The error, what the session keeps (and its summary JSON with ``--json``) and its
    report; exit 1."""
    message = clip(message, MAX_MESSAGE_CHARS)  # device text in it is bounded already
    early_stop.report(
        f"[bold red]error:[/] {escape(message)}", session, workloads, as_json, err_console
    )
    if report is not None:
        err_console.print(f"report: {escape(str(report))}", highlight=False)
    raise typer.Exit(code=1)
