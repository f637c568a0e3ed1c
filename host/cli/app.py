"""The ``tinyjoule`` command line: one sub-command per user task, no measurement logic here.

Each command lives in a module of its own (``run``, ``report``, ``devices``, ``history``,
``compare``, ``calibration``, ``dataset``, ``sim``); this one makes the app and lists them
in the order ``--help`` shows them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

import tinyjoule
from tinyjoule.host.cli.calibration import calibrate_command, calibration_app
from tinyjoule.host.cli.compare import compare_command
from tinyjoule.host.cli.dataset import dataset_app
from tinyjoule.host.cli.devices import devices_command, model_info_command
from tinyjoule.host.cli.history import history_command
from tinyjoule.host.cli.output import HELP_OPTIONS, err_console
from tinyjoule.host.cli.report import report_command
from tinyjoule.host.cli.run import run_command
from tinyjoule.host.cli.sim import sim_app

app = typer.Typer(
    help="Measure what one ML inference costs a microcontroller, the MLPerf Tiny way.",
    context_settings=HELP_OPTIONS,
    add_completion=True,
)


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


app.add_typer(sim_app, name="sim")
app.add_typer(dataset_app, name="dataset")
app.command("run")(run_command)
app.command("report")(report_command)
app.command("devices")(devices_command)
app.command("model-info")(model_info_command)
app.command("rescore")(rescore)
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
