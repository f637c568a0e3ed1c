"""``tinyjoule report``: one self-contained HTML file of sessions or published folders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tinyjoule.errors import TinyJouleError
from tinyjoule.host.cli.output import console, err_console, fail


def report_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="session folders, workload folders, folders of sessions, or "
            "published MLPerf Tiny energy folders / results trees"
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="the HTML file (default: report.html in the one "
            "session named, else in the current folder)",
        ),
    ] = None,
    png: Annotated[
        Path | None, typer.Option("--png", help="also write a PNG of every plot into DIR")
    ] = None,
) -> None:
    """One self-contained HTML report (opens offline) of sessions or published folders."""
    from tinyjoule.host.report import build_report

    try:
        result = build_report(paths, out, png)
    except TinyJouleError as exc:
        fail(str(exc))
    for problem in result.problems:
        err_console.print(f"[bold red]error:[/] {escape(problem)}", highlight=False, soft_wrap=True)
    n = len(result.report.items)
    if result.problems:
        err_console.print("the report shows what could still be read, marked PARTIAL")
    if result.pngs:
        err_console.print(f"{len(result.pngs)} PNG(s) in {escape(str(png))}", highlight=False)
    console.print(f"report: {escape(str(result.path))} ({n} item(s))", highlight=False)
    if result.problems:
        raise typer.Exit(code=1)
