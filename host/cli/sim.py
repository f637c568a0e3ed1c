"""``tinyjoule sim``: the simulated bench served on pseudo-terminals, for programs (and
people) that talk to serial ports. The simulator is imported only when it serves."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from tinyjoule.errors import ConfigurationError, TinyJouleError
from tinyjoule.host.cli.output import HELP_OPTIONS, err_console, fail
from tinyjoule.host.instruments.registry import parse_monitor
from tinyjoule.tinyml_workloads.workloads import get_workload

sim_app = typer.Typer(help="The simulated bench.", context_settings=HELP_OPTIONS)


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
        fail(str(exc))
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
