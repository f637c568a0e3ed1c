"""``tinyjoule history``: list and filter the indexed runs, or rebuild the index."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.cli.csv_output import write_csv
from tinyjoule.host.console import make_console

TABLE_LIMIT = 50


def _yes_no(value: str | None, option: str) -> bool | None:
    if value is None:
        return None
    if value.lower() not in ("yes", "no"):
        raise ConfigurationError(f"{option} {value!r}: use yes or no")
    return value.lower() == "yes"


def _cell(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return escape(str(value))


def _energy(run: dict[str, Any]) -> str:
    value, unc = run["median_uj_per_inference"], run["uncertainty_uj_per_inference"]
    if value is None:
        return "-"
    return f"{value:.3f} ± {unc:.3f}" if unc is not None else f"{value:.3f}"


def history_table(found: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title)
    for col in ("#", "started", "workload", "mode", "board", "monitor", "µJ/inf ± ", "mW",
                "ms/inf", "accuracy", "source"):  # fmt: skip
        table.add_column(col, overflow="fold", justify="right" if col in ("#", "mW") else "left")
    for run in found:
        kind = "simulated" if run["simulated"] else run["source"]
        if run["synthetic_dataset"]:
            kind += ", synthetic data"
        if not run["complete"]:
            kind += ", INCOMPLETE"
        accuracy = (
            f"{run['accuracy_metric']} {run['accuracy_value']:.3f}"
            if run["accuracy_metric"]
            else "-"
        )
        table.add_row(
            str(run["id"]), str(run["started_at"]), run["workload"], run["mode"],
            _cell(run["board"]), _cell(run["monitor_kind"]), _energy(run),
            _cell(run["mean_power_mw"]), _cell(run["median_latency_ms"]), accuracy, kind,
        )  # fmt: skip
    return table


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def runs_as_json(found: list[dict[str, Any]]) -> str:
    """A JSON array with one run per line (the C encoder: 10k runs in a tenth of a second).

    Indexing stores no NaN (unknown numbers are NULL), so ``allow_nan=False`` only guards.
    """
    lines = [json.dumps(run, default=_iso, allow_nan=False) for run in found]
    return "[\n" + ",\n".join(lines) + "\n]\n" if lines else "[]\n"


def history_command(
    workload: Annotated[str | None, typer.Option("--workload", "-w")] = None,
    board: Annotated[str | None, typer.Option(help="board name contains this")] = None,
    model: Annotated[str | None, typer.Option(help="model SHA-256 starts with this")] = None,
    monitor: Annotated[str | None, typer.Option(help="monitor kind, e.g. lpm01a")] = None,
    mode: Annotated[str | None, typer.Option(help="energy, performance or accuracy")] = None,
    since: Annotated[str | None, typer.Option(help="from this date (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="up to this date")] = None,
    simulated: Annotated[
        str | None, typer.Option(help="yes: simulated runs only; no: real benches only")
    ] = None,
    limit: Annotated[
        int | None, typer.Option(help=f"show the newest N (table default {TABLE_LIMIT})")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
    csv_target: Annotated[
        str | None, typer.Option("--csv", help="write CSV to a file, or - for stdout")
    ] = None,
    rebuild_index: Annotated[
        bool, typer.Option("--rebuild", help="index the sessions folder again from its files")
    ] = False,
    sessions: Annotated[Path, typer.Option(help="the sessions folder")] = Path("sessions"),
    db: Annotated[
        str | None, typer.Option(help="history database URL (default: TINYJOULE_DB, else SQLite)")
    ] = None,
) -> None:
    """List and filter the indexed runs (every session is indexed as it finishes)."""
    from tinyjoule.host.history.indexing import rebuild
    from tinyjoule.host.history.query import Filters, count_runs, find_runs, parse_date
    from tinyjoule.host.history.store import database_url, open_history, shown

    out, err = make_console(), make_console(stderr=True)
    try:
        history = open_history(database_url(db, sessions))
        try:
            if rebuild_index:
                count, problems = rebuild(history, sessions)
                for problem in problems:
                    err.print(f"[yellow]not indexed:[/] {escape(problem)}")
                out.print(f"indexed {count} run(s) from {escape(str(sessions))} into "
                          f"{escape(shown(history.url))}")  # fmt: skip
                raise typer.Exit(1 if problems else 0)
            filters = Filters(
                workload=workload, board=board, model=model, monitor=monitor, mode=mode,
                since=parse_date(since) if since else None,
                until=parse_date(until) if until else None,
                simulated=_yes_no(simulated, "--simulated"),
            )  # fmt: skip
            table_output = not (as_json or csv_target)
            shown_limit = limit if limit is not None else (TABLE_LIMIT if table_output else None)
            found = find_runs(history, filters, shown_limit)
            total = count_runs(history, filters) if table_output else len(found)
        finally:
            history.close()
    except ConfigurationError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None
    if as_json:
        sys.stdout.write(runs_as_json(found))
    if csv_target:
        try:
            from tinyjoule.host.history.query import LISTED

            write_csv(found, LISTED, csv_target)
        except ConfigurationError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(1) from None
    if table_output:
        title = f"{len(found)} of {total} run(s) in {escape(shown(database_url(db, sessions)))}"
        out.print(history_table(found, title))
        if len(found) < total:
            out.print(f"newest {len(found)} shown; --limit N for more, --json or --csv for all")
