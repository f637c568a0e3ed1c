"""``tinyjoule devices`` and ``tinyjoule model-info``: what is plugged in, and what a model
costs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tinyjoule.errors import TinyJouleError
from tinyjoule.host.cli.output import console, fail
from tinyjoule.host.instruments.discovery import list_devices
from tinyjoule.host.results import json_text


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


def model_info_command(
    model: Annotated[Path, typer.Argument(help=".tflite model file")],
    as_json: Annotated[bool, typer.Option("--json", help="print as JSON")] = False,
) -> None:
    """Inputs, outputs, parameters and MACs per op and in total of a .tflite model."""
    from tinyjoule.tinyml_workloads.model_info import format_table, read_model_info

    try:
        info = read_model_info(model)
    except TinyJouleError as exc:
        fail(str(exc))
    if as_json:
        print(json_text.dumps(info.to_dict()))
    else:
        print(format_table(info))
