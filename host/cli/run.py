"""``tinyjoule run``: the options of a run, the bench they describe, progress and the
result tables; the measuring is ``host.runner``'s."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from tinyjoule.errors import TinyJouleError
from tinyjoule.host.bench.board_file import load_board_file
from tinyjoule.host.bench.spec import BenchSpec, simulated_bench
from tinyjoule.host.cli import early_stop
from tinyjoule.host.cli.output import console, err_console, fail
from tinyjoule.host.cli.sww_table import is_stream, stream_table
from tinyjoule.host.cli.tables import (
    budget_table,
    calibration_notes,
    label_of,
    result_table,
    window_table,
)
from tinyjoule.host.instruments.registry import monitor_facts, parse_monitor
from tinyjoule.host.results import json_text
from tinyjoule.host.results.session import Session
from tinyjoule.host.runner.request import DEFAULT_SUPPLY_V, RunRequest
from tinyjoule.tinyml_workloads.workloads import ALL_WORKLOADS, WORKLOADS, default_workload_ids

if TYPE_CHECKING:
    from tinyjoule.host.instruments.base import MonitorConfig

MODES = ("energy", "performance", "accuracy")


def _bench_spec(
    dut: str | None,
    io: str | None,
    io_kind: str,
    board: Path | None,
    bench_url: str | None,
    sim_io: str,
    sim_profile: Path | None,
) -> BenchSpec:
    given = [name for name, v in (("--board", board), ("--bench", bench_url)) if v is not None]
    if dut or io:
        given.append("--dut/--io")
    if len(given) > 1:
        raise typer.BadParameter(f"give one of {', '.join(given)}, not several")
    if board is not None:
        return load_board_file(board)
    if bench_url is not None:
        return BenchSpec(bench_url=bench_url)
    if dut is None and io is None:
        return simulated_bench(
            io=None if sim_io == "auto" else sim_io,
            profile=str(sim_profile) if sim_profile else None,
        )
    return BenchSpec(dut_url=dut, io_url=io, io_kind=io_kind)


def _monitor_config(kind: str, voltage: float | None, **overrides: Any) -> MonitorConfig:
    return monitor_facts(kind).config(DEFAULT_SUPPLY_V if voltage is None else voltage, **overrides)


def run_command(
    mode: Annotated[str, typer.Option(help="energy, performance or accuracy")] = "energy",
    workload: Annotated[
        list[str] | None,
        typer.Option(
            "--workload",
            "-w",
            help=f"{', '.join(WORKLOADS)}, or {ALL_WORKLOADS} for every one (repeat; default: "
            f"{', '.join(default_workload_ids())})",
        ),
    ] = None,
    dut: Annotated[str | None, typer.Option(help="DUT serial port or pyserial URL")] = None,
    io: Annotated[str | None, typer.Option(help="IO manager serial port or URL")] = None,
    io_kind: Annotated[str, typer.Option(help="IO manager board: h573 or arduino")] = "arduino",
    board: Annotated[
        Path | None, typer.Option(help="board file (TOML) describing the bench")
    ] = None,
    dataset: Annotated[
        Path | None, typer.Option(help="MLPerf Tiny datasets folder (holds kws01/, ...)")
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            help="the .tflite the DUT runs: accuracy mode checks the DUT's outputs against it; "
            "the simulated DUT runs it"
        ),
    ] = None,
    bench_url: Annotated[
        str | None,
        typer.Option("--bench", help="a whole bench by URL, e.g. sim://?io=h573 (see the README)"),
    ] = None,
    sim_io: Annotated[
        str,
        typer.Option(
            help="simulated bench only: IO manager in front of the DUT: h573, arduino, none, or "
            "auto (h573 in energy mode, none otherwise)"
        ),
    ] = "auto",
    monitor: Annotated[
        str | None,
        typer.Option(
            help="energy monitor KIND[:PORT], e.g. lpm01a:/dev/ttyACM0, or sim:lpm01a "
            "(default: the board file's monitor table, else sim:lpm01a)"
        ),
    ] = None,
    voltage: Annotated[
        float | None,
        typer.Option(
            help=f"supply voltage the monitor gives the DUT (V; default {DEFAULT_SUPPLY_V})"
        ),
    ] = None,
    sample_rate: Annotated[
        float | None, typer.Option(help="monitor sample rate in Hz (default: the monitor's)")
    ] = None,
    monitor_output: Annotated[
        str | None,
        typer.Option(help="samples as energy (J per sample) or current (A); default: monitor's"),
    ] = None,
    monitor_format: Annotated[
        str | None,
        typer.Option(
            help="LPM01A stream format ascii_dec|bin_hexa; PPK2 mode source|ampere "
            "(it powers the DUT, or only measures)"
        ),
    ] = None,
    event_channel: Annotated[
        int | None, typer.Option(help="digital input with the timestamp pin (PPK2 D0-D7)")
    ] = None,
    event_edge: Annotated[
        str | None, typer.Option(help="timestamp edge that counts: falling or rising")
    ] = None,
    sim_profile: Annotated[
        Path | None, typer.Option(help="simulated bench only: board profile TOML")
    ] = None,
    iterations: Annotated[int | None, typer.Option(help="first-window iteration count")] = None,
    reply_timeout: Annotated[
        float | None,
        typer.Option(
            help="seconds the DUT may take to answer a command (default 5; infer's timeout "
            "follows the window); raise it for a DUT that answers late (board file: "
            "reply_timeout_s under \\[dut])"
        ),
    ] = None,
    accuracy_files: Annotated[
        int | None, typer.Option(help="synthetic accuracy dataset size per workload")
    ] = None,
    sessions: Annotated[Path, typer.Option(help="where session folders go")] = Path("sessions"),
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    show_windows: Annotated[
        bool, typer.Option("--windows", help="also print a table of every window")
    ] = False,
    db: Annotated[
        str | None,
        typer.Option(help="history database URL (default: TINYJOULE_DB, else SQLite)"),
    ] = None,
    no_calibration: Annotated[
        bool,
        typer.Option("--no-calibration", help="do not apply the monitor's calibration record"),
    ] = False,
    calibration: Annotated[
        str | None,
        typer.Option(help="apply this calibration record (file or KIND:SERIAL), and no other"),
    ] = None,
    show_budget: Annotated[
        bool,
        typer.Option("--budget", help="also print each energy figure's uncertainty budget"),
    ] = False,
) -> None:
    """Run a mode for one or more workloads (the simulated bench unless ports are given)."""
    if mode not in MODES:
        raise typer.BadParameter(f"--mode must be one of {', '.join(MODES)}")
    try:
        bench = _bench_spec(dut, io, io_kind, board, bench_url, sim_io, sim_profile)
        if reply_timeout is not None:
            bench = replace(bench, dut_reply_timeout_s=reply_timeout)
        monitor = monitor or bench.monitor or "sim:lpm01a"
        choice = parse_monitor(monitor)
        request = RunRequest(
            mode=mode,
            workloads=tuple(workload or default_workload_ids()),
            bench=bench,
            monitor=choice,
            monitor_config=_monitor_config(
                choice.kind,
                voltage,
                sample_rate_hz=sample_rate,
                output=monitor_output,
                stream_format=monitor_format,
                event_channel=event_channel,
                event_edge=event_edge,
            ),
            model_path=model,
            dataset_root=dataset,
            accuracy_files=accuracy_files,
            iterations=iterations,
            sessions_root=sessions,
            db_url=db,
            use_calibration=not no_calibration,
            calibration_record=calibration,
        )
    except TinyJouleError as exc:
        fail(str(exc))
    from tinyjoule.host.runner.golden_check import verdict_text
    from tinyjoule.host.runner.run import failure_text, run  # numpy, drivers: only to run

    try:
        session = Session(sessions, mode)
    except OSError as exc:
        fail(f"{sessions}: cannot make a session folder in it ({exc})")
    started = time.monotonic()
    try:
        with early_stop.signals_interrupt():  # SIGTERM as Ctrl-C: the run cleans up
            if as_json:
                summary = run(request, session=session)
            else:
                with Progress(
                    TextColumn("{task.description:>8}"),
                    BarColumn(),
                    TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(),
                    console=err_console,
                    transient=False,
                ) as bar:
                    tasks: dict[str, Any] = {}

                    def progress(label: str, done: int, total: int) -> None:
                        if label not in tasks:
                            tasks[label] = bar.add_task(label, total=total)
                        bar.update(tasks[label], completed=done, total=total)

                    summary = run(request, progress, session=session)
    except TinyJouleError as exc:
        fail(str(exc), session, request.workloads, as_json, _session_report(session))
    except KeyboardInterrupt as exc:  # no report then: stopping must stay quick
        text = f"[bold yellow]{escape(failure_text(exc))}[/]"
        early_stop.report(text, session, request.workloads, as_json, err_console)
        raise typer.Exit(code=early_stop.exit_code(exc)) from None
    report = _session_report(session)
    if as_json:
        print(json_text.dumps(summary))
    else:
        if any(not is_stream(w) for w in summary["workloads"]):
            console.print(result_table(summary))
        streams = stream_table(summary, label_of)
        if streams is not None:
            console.print(streams)
        if show_windows:
            for w in summary["workloads"]:
                table = window_table(w, summary["mode"]) if not is_stream(w) else None
                if table is not None:
                    console.print(table)
        for w in summary["workloads"]:
            if "golden" in w:
                console.print(f"{w['workload']}: {escape(verdict_text(w['golden']))}")
            for line in calibration_notes(w):
                err_console.print(line, highlight=False)
            if show_budget and (table := budget_table(w)) is not None:
                console.print(table)
        console.print(
            f"done in {time.monotonic() - started:.1f} s; results in {escape(summary['session'])}"
        )
        if summary.get("indexed") is False and summary.get("index_error"):
            err_console.print(f"[yellow]not indexed:[/] {escape(summary['index_error'])}")
    if report is not None:
        err_console.print(f"report: {escape(str(report))}", highlight=False)


def _session_report(session: Session) -> Path | None:
    """``report.html`` in the session folder; a report that fails never fails the run."""
    if session.discarded:  # nothing was measured: no folder, no report
        return None
    from tinyjoule.host.report import REPORT_NAME, build_report

    try:
        return build_report([session.folder], session.folder / REPORT_NAME).path
    except Exception as exc:  # the run's results are safe in the folder: say so and go on
        err_console.print(f"[yellow]warning:[/] no report written: {escape(str(exc))}")
        return None
