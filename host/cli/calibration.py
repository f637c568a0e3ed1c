"""``tinyjoule calibrate`` (measure a monitor against references, write its record) and
``tinyjoule calibration list|show|remove`` (the records). The work is ``host.calibrate``'s."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tinyjoule.errors import ConfigurationError, TinyJouleError
from tinyjoule.host.cli.output import HELP_OPTIONS, console, err_console, fail

if TYPE_CHECKING:
    from tinyjoule.calibration.record import CalibrationRecord

calibration_app = typer.Typer(
    help="Calibration records: list, show, remove.", context_settings=HELP_OPTIONS
)


class ConsoleUi:
    """The person at the bench, on the terminal."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def say(self, text: str) -> None:
        if not self.quiet:
            err_console.print(escape(text), highlight=False)

    def confirm(self, text: str) -> None:
        err_console.print(f"[bold]>>>[/] {escape(text)}", highlight=False)
        try:
            input()
        except EOFError:
            raise ConfigurationError(
                "calibrate: no one to press Enter (stdin is closed); connect the references "
                "as asked and run again, or pass --yes when they are switched for you"
            ) from None


def _workflows(given: list[str] | None, simulated: bool, loads: bool, dut: bool) -> tuple[str, ...]:
    from tinyjoule.host.calibrate.session import WORKFLOWS

    if given and "all" not in given:
        return tuple(dict.fromkeys(given))
    if simulated or (given and "all" in given):
        return WORKFLOWS
    chosen = ["zero"] + (["gain"] if loads else []) + (["timebase"] if dut else [])
    return tuple(chosen)


def calibrate_command(
    workflows: Annotated[
        list[str] | None,
        typer.Argument(
            help="zero, gain, timebase or all. Default: all on a simulated monitor; on a real "
            "one zero, gain when --load is given, timebase when --dut is given"
        ),
    ] = None,
    monitor: Annotated[
        str | None,
        typer.Option(
            help="the monitor: KIND:PORT (lpm01a:/dev/ttyACM2, ppk2, js220) or sim:KIND with "
            "its errors, e.g. 'sim:lpm01a?gain=1.03&offset_ua=5' (default: the board file's)"
        ),
    ] = None,
    load: Annotated[
        list[str] | None,
        typer.Option(
            "--load",
            help="a reference load: 1kohm±0.01% (a resistor and its tolerance), 1.8mA±0.05% "
            "(a current measured by another instrument; add (k=2) for a certificate). Repeat "
            "for a fit; the open output is always measured too. Default on a simulated "
            "monitor: its built-in precision resistors",
        ),
    ] = None,
    voltage: Annotated[
        float | None, typer.Option(help="supply voltage to calibrate at (V; default 1.8)")
    ] = None,
    seconds: Annotated[float, typer.Option(help="seconds of readings per reference")] = 5.0,
    timebase_seconds: Annotated[
        float, typer.Option(help="seconds of inference batches for the time base")
    ] = 12.0,
    dut: Annotated[
        str | None,
        typer.Option(
            help="time base: the DUT's UART, running its performance-mode firmware and "
            "powered by the monitor (default: the board file's DUT port)"
        ),
    ] = None,
    io: Annotated[
        str | None,
        typer.Option(
            help="event latency (with the time base): the IO manager in front of the DUT "
            "once it runs its energy-mode firmware (default: the board file's)"
        ),
    ] = None,
    io_kind: Annotated[str, typer.Option(help="IO manager board: h573 or arduino")] = "h573",
    workload: Annotated[
        str, typer.Option("--workload", "-w", help="the DUT firmware's workload (its baud)")
    ] = "kws01",
    dut_clock_ppm: Annotated[
        float | None,
        typer.Option(
            help="accuracy of the DUT's µs timer, ±ppm (default: 50 on a real board, exact "
            "on the simulated one)"
        ),
    ] = None,
    board: Annotated[
        Path | None, typer.Option(help="board file: the monitor, its driver options, the DUT")
    ] = None,
    bench_url: Annotated[
        str, typer.Option("--bench", help="the simulated bench a sim:KIND monitor sits on")
    ] = "sim://",
    serial: Annotated[
        str | None, typer.Option(help="the instrument's serial number, if it reports none")
    ] = None,
    max_age_days: Annotated[
        float, typer.Option(help="warn when a run uses the record after this many days")
    ] = 90.0,
    yes: Annotated[
        bool,
        typer.Option("--yes", help="do not wait for Enter: the references are switched for you"),
    ] = False,
    sessions: Annotated[
        Path, typer.Option(help="the sessions folder (its history index, if any)")
    ] = Path("sessions"),
    db: Annotated[
        str | None, typer.Option(help="history database URL (default: TINYJOULE_DB, else SQLite)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the record as JSON")] = False,
) -> None:
    """Calibrate an energy monitor: zero (offset), gain (reference loads) and time base
    (against the DUT's µs timer), after its own self-calibration; the record is applied to
    every later energy run with this instrument."""
    from tinyjoule.calibration.references import parse_reference
    from tinyjoule.host.bench.board_file import load_board_file
    from tinyjoule.host.bench.spec import BenchSpec
    from tinyjoule.host.calibrate.session import CalibrateRequest, calibrate
    from tinyjoule.host.calibrate.workflows import Target
    from tinyjoule.host.instruments.registry import parse_monitor
    from tinyjoule.host.runner.request import DEFAULT_SUPPLY_V
    from tinyjoule.host.transcript import Transcript

    try:
        spec = load_board_file(board) if board is not None else None
        text = monitor or (spec.monitor if spec else None)
        if text is None:
            raise ConfigurationError(
                "calibrate: which monitor? give --monitor KIND:PORT (or sim:KIND), or a "
                "board file with a [monitor] table"
            )
        choice = parse_monitor(text)
        dut_spec = None
        if dut is not None:
            dut_spec = BenchSpec(dut_url=dut)
        elif spec is not None and spec.dut_url is not None:
            dut_spec = BenchSpec(dut_url=spec.dut_url, dut_baud=spec.dut_baud)
        if choice.simulated and (dut_spec is not None or io is not None):
            raise ConfigurationError(
                f"--monitor {choice.label} measures the simulated board, which has its own DUT; "
                "leave out --dut"
            )
        energy_dut = None
        if io is not None:
            energy_dut = BenchSpec(io_url=io, io_kind=io_kind)
        elif spec is not None and spec.io_url is not None:
            energy_dut = BenchSpec(io_url=spec.io_url, io_kind=spec.io_kind, io_baud=spec.io_baud)
        references = [parse_reference(t) for t in load] if load else None
        request = CalibrateRequest(
            target=Target(
                choice,
                DEFAULT_SUPPLY_V if voltage is None else voltage,
                bench_url=bench_url if spec is None or spec.bench_url is None else spec.bench_url,
                driver_options=dict(spec.monitor_driver_options) if spec else {},
                transcript=Transcript(None),
            ),
            workflows=_workflows(workflows, choice.simulated, bool(load), dut_spec is not None),
            references=references,
            seconds=seconds,
            timebase_seconds=timebase_seconds,
            workload=workload,
            dut=dut_spec,
            energy_dut=energy_dut,
            dut_clock_ppm=dut_clock_ppm,
            max_age_days=max_age_days,
            serial=serial,
            ask=not yes,
            db_url=db,
            sessions_root=sessions,
        )
        outcome = calibrate(request, ConsoleUi(quiet=as_json))
    except TinyJouleError as exc:
        fail(str(exc))
    record = outcome.record
    if as_json:
        print(
            json.dumps(
                {**record.to_dict(), "file": str(outcome.path), "history": outcome.history},
                indent=2,
            )
        )
        return
    console.print(record_table(record))
    if outcome.kept:
        console.print(f"kept from the previous record: {', '.join(outcome.kept)}")
    console.print(f"record written to {escape(str(outcome.path))}")
    history = outcome.history
    if history.get("indexed"):
        console.print(f"logged in the history ({escape(str(history['history']))})")
    elif history.get("history"):
        err_console.print(f"[yellow]not logged in the history:[/] {escape(history['reason'])}")
    if record.simulated:
        console.print(
            "made with the simulator: used only for this simulated instrument, never for a real one"
        )


def _pm(value: float, u: float, scale: float, unit: str, digits: int = 4) -> str:
    return f"{value * scale:.{digits}g} ± {u * scale:.2g} {unit}"


def record_table(record: CalibrationRecord) -> Table:
    """What a record found, one row per quantity (standard uncertainties)."""
    title = f"calibration of {escape(record.label)}"
    table = Table(title=title)
    for col in ("quantity", "value ± u (k=1)", "from"):
        table.add_column(col, overflow="fold")
    if record.offset:
        o = record.offset
        readings = o["readings"]
        table.add_row(
            "offset (open output)",
            _pm(o["offset_a"], o["standard_uncertainty_a"], 1e6, "µA"),
            f"{readings['samples']} readings, noise {o['noise_rms_a'] * 1e6:.3g} µA rms",
        )
    if record.gain:
        g = record.gain
        refs = ", ".join(p["reference"]["text"] for p in g["points"])
        birge = g.get("birge_ratio")
        fit = f"fit over {refs}" + (f"; residuals {birge:.2f} x noise" if birge else "")
        table.add_row("gain", _pm(g["gain"], g["gain_standard_uncertainty"], 1.0, "", 7), fit)
        table.add_row(
            "offset (fit)",
            _pm(g["offset_a"], g["offset_standard_uncertainty_a"], 1e6, "µA"),
            "the fit's intercept (applied)",
        )
    if record.timebase:
        t = record.timebase
        table.add_row(
            "time base",
            f"{t['timebase_ppm']:+.3f} ± {t['standard_uncertainty_ppm']:.2g} ppm",
            f"{len(t['points'])} edges over {t['span_s']:.1f} s; {t['reference']['what']}",
        )
        latency = t.get("event_latency")
        if latency:
            verdict = (
                "as the window convention expects"
                if latency["consistent_with_convention"]
                else "[yellow]NOT as the window convention expects[/]"
            )
            table.add_row(
                "event latency",
                f"{latency['latency_samples']:.2f} samples ({latency['latency_us']:.3g} µs)",
                f"edge to reported event at {latency['sample_rate_hz']:g} Hz, within "
                f"{latency['spread_samples']:.2f} samples; {verdict} (recorded, not applied)",
            )
    if record.self_calibration:
        table.add_row(
            "self-calibration",
            str(record.self_calibration.get("command") or "-"),
            str(record.self_calibration.get("note", "")),
        )
    return table


@calibration_app.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """The calibration records in the records folder, one per instrument."""
    from tinyjoule.calibration import store
    from tinyjoule.calibration.record import now

    found = store.list_records()
    if as_json:
        rows: list[dict[str, Any]] = []
        for path, item in found:
            rows.append(
                {
                    "file": str(path),
                    **(
                        {"error": item}
                        if isinstance(item, str)
                        else {"record": item.to_dict(), "expired": item.expired()}
                    ),
                }
            )
        print(json.dumps(rows, indent=2))
        return
    folder = store.calibration_folder()
    if not found:
        console.print(f"no calibration records in {escape(str(folder))} (tinyjoule calibrate)")
        return
    table = Table(title=f"calibration records in {escape(str(folder))}")
    for col in (
        "record",
        "made",
        "age (days)",
        "V",
        "gain",
        "offset µA",
        "time base ppm",
        "simulated",
        "state",
    ):
        table.add_column(col, overflow="fold")
    at = now()
    for path, item in found:
        if isinstance(item, str):
            table.add_row(
                escape(path.stem),
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                "-",
                f"[red]unreadable[/]: {escape(item)}",
            )
            continue
        c = item.correction()
        state = "[yellow]expired[/]" if item.expired(at) else "ok"
        table.add_row(
            escape(path.stem),
            item.created[:19],
            f"{item.age_days(at):.1f}",
            f"{item.voltage_v:g}",
            f"{c.gain:.6f}" if item.gain else "-",
            f"{c.offset_a * 1e6:.4g}" if (item.gain or item.offset) else "-",
            f"{c.timebase_ppm:+.3f}" if item.timebase else "-",
            "yes" if item.simulated else "no",
            state,
        )
    console.print(table)


@calibration_app.command("show")
def show_command(
    record: Annotated[str, typer.Argument(help="a record: file, KIND:SERIAL or its name")],
    as_json: Annotated[bool, typer.Option("--json", help="the whole record as JSON")] = False,
) -> None:
    """One calibration record: what it found, or (--json) everything it holds."""
    from tinyjoule.calibration import store

    try:
        path = store.resolve(record)
        loaded = store.load(path)
    except TinyJouleError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(loaded.to_dict(), indent=2))
        return
    console.print(record_table(loaded))
    console.print(
        f"file: {escape(str(path))}; expires {loaded.expires_at.isoformat()}"
        + (" ([yellow]expired[/])" if loaded.expired() else "")
    )


@calibration_app.command("remove")
def remove_command(
    record: Annotated[str, typer.Argument(help="a record: file, KIND:SERIAL or its name")],
) -> None:
    """Remove a calibration record: later runs with that instrument are uncalibrated."""
    from tinyjoule.calibration import store

    try:
        path = store.resolve(record)
        path.unlink()
    except TinyJouleError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"calibration record {path}: cannot remove it ({exc})")
    console.print(f"removed {escape(str(path))}")
