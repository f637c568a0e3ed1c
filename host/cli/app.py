"""The ``tinyjoule`` command line: one sub-command per user task, no measurement logic here."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import tinyjoule
from tinyjoule.device_text import MAX_MESSAGE_CHARS, clip
from tinyjoule.errors import ConfigurationError, TinyJouleError
from tinyjoule.host.bench.board_file import load_board_file
from tinyjoule.host.bench.spec import BenchSpec, simulated_bench
from tinyjoule.host.cli import early_stop
from tinyjoule.host.cli.calibration import calibrate_command, calibration_app
from tinyjoule.host.cli.compare import compare_command
from tinyjoule.host.cli.history import history_command
from tinyjoule.host.cli.sww_table import is_stream, stream_table
from tinyjoule.host.cli.tables import (
    budget_table,
    calibration_notes,
    label_of,
    result_table,
    window_table,
)
from tinyjoule.host.console import make_console
from tinyjoule.host.instruments.discovery import list_devices
from tinyjoule.host.instruments.registry import monitor_facts, parse_monitor
from tinyjoule.host.results import json_text
from tinyjoule.host.results.session import Session
from tinyjoule.host.runner.request import DEFAULT_SUPPLY_V, RunRequest
from tinyjoule.tinyml_workloads.workloads import (
    ALL_WORKLOADS,
    WORKLOADS,
    default_workload_ids,
    get_workload,
)

if TYPE_CHECKING:
    from tinyjoule.host.instruments.base import MonitorConfig

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(
    help="Measure what one ML inference costs a microcontroller, the MLPerf Tiny way.",
    context_settings=HELP_OPTIONS,
    add_completion=True,
)
sim_app = typer.Typer(help="The simulated bench.", context_settings=HELP_OPTIONS)
app.add_typer(sim_app, name="sim")
dataset_app = typer.Typer(help="Datasets in the MLPerf Tiny layout.", context_settings=HELP_OPTIONS)
app.add_typer(dataset_app, name="dataset")
console = make_console()
err_console = make_console(stderr=True)


def _version(value: bool) -> None:
    if value:
        print(f"tinyjoule {tinyjoule.__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """Measure what one ML inference costs a microcontroller, the MLPerf Tiny way.

    Start with `tinyjoule run` (the simulated bench, energy mode, four workloads)."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)


MODES = ("energy", "performance", "accuracy")


def _fail(
    message: str,
    session: Session | None = None,
    workloads: tuple[str, ...] = (),
    as_json: bool = False,
    report: Path | None = None,
) -> None:
    """The error, what the session keeps (and its summary JSON with ``--json``) and its
    report; exit 1."""
    message = clip(message, MAX_MESSAGE_CHARS)  # device text in it is bounded already
    early_stop.report(
        f"[bold red]error:[/] {escape(message)}", session, workloads, as_json, err_console
    )
    if report is not None:
        err_console.print(f"report: {escape(str(report))}", highlight=False)
    raise typer.Exit(code=1)


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


@app.command("run")
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
        _fail(str(exc))
    from tinyjoule.host.runner.golden_check import verdict_text
    from tinyjoule.host.runner.run import failure_text, run  # numpy, drivers: only to run

    try:
        session = Session(sessions, mode)
    except OSError as exc:
        _fail(f"{sessions}: cannot make a session folder in it ({exc})")
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
        _fail(str(exc), session, request.workloads, as_json, _session_report(session))
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


@app.command("report")
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
        _fail(str(exc))
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


@app.command("devices")
def devices_command(
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """List serial ports; recognise energy monitors, IO managers and DUT boards by USB id."""
    found = list_devices()
    if as_json:
        print(json_text.dumps([d.to_dict() for d in found]))
        return
    if not found:
        console.print(
            "no serial ports found (is the board plugged in, and do you have access to it?)"
        )
        return
    table = Table(title="serial ports")
    for col in ("port", "USB id", "description", "recognised as"):
        table.add_column(col)
    for d in found:
        row = d.to_dict()
        table.add_row(
            escape(d.port), str(row["usb_id"] or "-"), escape(d.description), d.known_as or "-"
        )
    console.print(table)


@app.command("model-info")
def model_info_command(
    model: Annotated[Path, typer.Argument(help=".tflite model file")],
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Inputs, outputs, parameters and MACs per op and in total of a .tflite model."""
    from tinyjoule.tinyml_workloads.model_info import format_table, read_model_info

    try:
        info = read_model_info(model)
    except TinyJouleError as exc:
        _fail(str(exc))
    if as_json:
        print(json_text.dumps(info.to_dict()))
    else:
        print(format_table(info))


@app.command("rescore")
def rescore(
    paths: Annotated[list[Path], typer.Argument(help="energy folders or results trees")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout")] = False,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="one row per window; - for stdout")
    ] = None,
    plot_dir: Annotated[Path | None, typer.Option("--plot", help="a PNG per trace")] = None,
    import_to: Annotated[
        Path | None, typer.Option("--import", help="sessions folder to import into")
    ] = None,
) -> None:
    """Re-score published MLPerf Tiny energy results from their raw traces."""
    from tinyjoule.host.rescore.command import rescore_command

    raise typer.Exit(rescore_command(paths, as_json, csv_path, plot_dir, import_to))


@dataset_app.command("synthetic")
def dataset_synthetic_command(
    out: Annotated[Path, typer.Argument(help="datasets folder to write <workload>/ into")],
    workload: Annotated[str, typer.Option("--workload", "-w")] = "kws01",
    files: Annotated[int, typer.Option(help="how many input files")] = 50,
    seed: Annotated[int, typer.Option(help="the same seed gives the same bytes")] = 0,
    model: Annotated[
        Path | None,
        typer.Option(help="the model whose predictions label the files (default: stand-in)"),
    ] = None,
) -> None:
    """Write a synthetic dataset (labels: the model's own predictions; ad01: generated
    normal and anomalous spectra). For trying the tools: not MLPerf Tiny data."""
    from tinyjoule.tinyml_workloads.synthetic import generate_dataset
    from tinyjoule.tinyml_workloads.workloads import get_workload

    try:
        wl = get_workload(workload)
        if files < 1:
            raise ConfigurationError(f"--files {files}: write at least one file")
        folder = generate_dataset(wl, out, files, seed=seed, model_path=model)
    except (TinyJouleError, OSError) as exc:
        _fail(f"writing a synthetic {workload} dataset into {out}: {exc}")
    print(f"{files} synthetic {wl.id} files and y_labels.csv in {folder} (not MLPerf Tiny data)")


@sim_app.command("serve")
def sim_serve_command(
    workload: Annotated[str, typer.Option("--workload", "-w")] = "kws01",
    firmware: Annotated[
        str, typer.Option(help="firmware build: performance or energy")
    ] = "performance",
    io_manager: Annotated[
        str | None, typer.Option(help="h573 or arduino in front of the DUT")
    ] = None,
    model: Annotated[Path | None, typer.Option(help="the .tflite the simulated DUT runs")] = None,
    monitor: Annotated[
        str | None,
        typer.Option(
            help="a simulated serial monitor measuring the DUT, e.g. lpm01a or ppk2 (any kind "
            "with a simulator that talks over a serial port)"
        ),
    ] = None,
    duration: Annotated[
        float | None, typer.Option(help="stop after this many seconds (default: until Ctrl-C)")
    ] = None,
    pace: Annotated[
        float,
        typer.Option(
            help="simulated seconds per real second while the DUT is idle (0: time moves only "
            "with the DUT's replies), so a monitor streams to a program that only listens"
        ),
    ] = 1.0,
) -> None:
    """Serve a simulated board on pseudo-terminals and print their paths. A monitor may
    carry instrument errors: --monitor 'lpm01a?gain=1.03&offset_ua=5&timebase_ppm=200'."""
    from tinyjoule.host.sim.config import SimBenchConfig
    from tinyjoule.host.sim.pty_server import PtyServer
    from tinyjoule.host.sim.simulated_bench import SimulatedBench

    try:
        if get_workload(workload).flow == "stream":
            raise ConfigurationError(
                f"sim serve -w {workload}: its audio streams play on the simulated bench's "
                "virtual clock, which a program on pseudo-terminals (on real time) would see "
                f"end at once; run it in process instead: tinyjoule run -w {workload}"
            )
        errors: tuple[tuple[str, float], ...] = ()
        if monitor is not None:
            served = parse_monitor(f"sim:{monitor}")
            monitor, errors = served.kind, served.options
        bench = SimulatedBench(
            SimBenchConfig(
                workload_id=workload,
                firmware_mode=firmware,
                io_manager=io_manager,
                model_path=model,
                monitor=monitor,
                monitor_errors=errors,
            )
        )
        if monitor is not None and "monitor" not in bench.ports:
            raise ConfigurationError(
                f"--monitor {monitor}: the simulated {monitor} is not a serial device (its "
                "driver talks to a vendor library), so it cannot be served on a pseudo-terminal; "
                "use it in-process with 'tinyjoule run --monitor sim:" + monitor + "'"
            )
    except TinyJouleError as exc:
        _fail(str(exc))
    with PtyServer(bench, pace=pace or None) as server:
        for name, path in server.paths.items():
            baud = bench.ports[name].link_baud
            print(f"{name} {path} {baud}", flush=True)
        err_console.print("serving; Ctrl-C to stop")
        deadline = None if duration is None else time.monotonic() + duration
        try:
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.1)
        except KeyboardInterrupt:
            pass


app.command("history")(history_command)  # listed after the commands of a first session
app.command("compare")(compare_command)
app.command("calibrate")(calibrate_command)
app.add_typer(calibration_app, name="calibration")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
