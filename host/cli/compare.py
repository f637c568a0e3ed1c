"""``tinyjoule compare A B ...``: runs, sessions, history filters and published results side
by side, with each difference from the first and whether it exceeds the uncertainty."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.cli.csv_output import write_csv
from tinyjoule.host.console import make_console
from tinyjoule.host.results import json_text

CSV_COLUMNS = (
    "label", "workload", "mode", "kind", "uj_per_inference", "uncertainty_uj", "mean_power_mw",
    "latency_ms", "macs", "macs_from", "uj_per_mmac", "accuracy_metric", "accuracy_value",
    "baseline", "difference_percent", "significant",
)  # fmt: skip


def _f(value: Any, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _verdict(row: dict[str, Any]) -> str:
    if row["difference_percent"] is None:
        return "baseline" if row["label"] == row["baseline"] else "-"
    text = f"{row['difference_percent']:+.2f} %"
    if row["significant"] is None:
        return text
    return text + (" significant" if row["significant"] else " not significant")


def compare_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="tinyjoule compare (differences from the first run of each workload)")
    for col in ("run", "workload", "kind", "µJ/inf ± ", "mean mW", "ms/inf", "µJ/MMAC",
                "accuracy", "vs first"):  # fmt: skip
        table.add_column(
            col, overflow="fold", justify="left" if col in ("run", "kind") else "right"
        )
    for row in rows:
        energy = "-"
        if row["uj_per_inference"] is not None:
            energy = f"{row['uj_per_inference']:.3f} ± {_f(row['uncertainty_uj'])}"
        accuracy = "-"
        if row["accuracy_metric"]:
            accuracy = f"{row['accuracy_metric']} {row['accuracy_value']:.3f}"
        table.add_row(
            escape(row["label"]), row["workload"], row["kind"], energy,
            _f(row["mean_power_mw"]), _f(row["latency_ms"]), _f(row["uj_per_mmac"]),
            accuracy, _verdict(row),
        )  # fmt: skip
    return table


def compare_command(
    runs: Annotated[
        list[str] | None,
        typer.Argument(
            help="session or workload folders, history runs (#12), or history "
            "filters (workload=kws01,board=nucleo: the newest match)"
        ),
    ] = None,
    with_published: Annotated[
        list[Path] | None,
        typer.Option("--published", help="published MLPerf Tiny folders or results trees"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
    csv_target: Annotated[str | None, typer.Option("--csv", help="CSV to a file, or -")] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="an HTML page with the chart and the table")
    ] = None,
    sessions: Annotated[Path, typer.Option(help="the sessions folder")] = Path("sessions"),
    db: Annotated[str | None, typer.Option(help="history database URL")] = None,
) -> None:
    """Compare runs side by side, with whether each difference exceeds the uncertainty.

    µJ/inference ± uncertainty, mean mW, ms/inference, µJ per million MACs, accuracy; each
    run against the first of its workload."""
    from tinyjoule.host.history.compare import differences, from_argument, published
    from tinyjoule.host.history.store import HistoryError, database_url, open_history

    out, err = make_console(), make_console(stderr=True)
    try:
        items = []
        needs_history = any(not Path(r).exists() for r in runs or [])
        history = open_history(database_url(db, sessions)) if needs_history else None
        try:
            for argument in runs or []:
                items += from_argument(argument, history)
        finally:
            if history is not None:
                history.close()
        items += published(list(with_published or []))
        if not items:
            raise HistoryError("nothing to compare: give runs, sessions or --published folders")
        rows = differences(items)
        if csv_target:
            write_csv(rows, CSV_COLUMNS, csv_target)
        if report is not None:
            _write_report(rows, report)
    except ConfigurationError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None
    if as_json:
        print(json_text.dumps(rows))
    elif csv_target != "-":
        out.print(compare_table(rows))
    if report is not None:
        err.print(f"report: {escape(str(report))}", highlight=False)


def _write_report(rows: list[dict[str, Any]], target: Path) -> None:
    import datetime as dt

    from tinyjoule.host.report.compare_chart import compare_page

    if target.is_dir() or not target.parent.is_dir():
        raise ConfigurationError(
            f"--report {target}: give a file in a folder that exists, e.g. compare.html"
        )
    try:
        target.write_text(compare_page(rows, dt.datetime.now().isoformat(timespec="seconds")))
    except OSError as exc:
        raise ConfigurationError(f"--report {target}: cannot write it ({exc.strerror})") from exc
