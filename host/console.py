"""Consoles for the command line: as wide as the terminal, and wide enough when output goes
to a file or a pipe that tables are not cut at 80 columns."""

from __future__ import annotations

import os
import shutil

from rich.console import Console

PIPED_WIDTH = 160
"""Columns when stdout is not a terminal (rich would assume 80 and cut tables)."""


def make_console(stderr: bool = False) -> Console:
    probe = Console(stderr=stderr)
    width = None
    if not probe.is_terminal:
        width = int(os.environ.get("COLUMNS", 0)) or PIPED_WIDTH
    elif "COLUMNS" not in os.environ:
        width = max(shutil.get_terminal_size((PIPED_WIDTH, 24)).columns, 80)
    return Console(stderr=stderr, width=width)
