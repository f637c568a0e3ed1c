"""``tinyjoule dataset``: datasets in the MLPerf Tiny layout (synthetic ones to try the
tools with)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tinyjoule.errors import ConfigurationError, TinyJouleError
from tinyjoule.host.cli.output import HELP_OPTIONS, fail

dataset_app = typer.Typer(help="Datasets in the MLPerf Tiny layout.", context_settings=HELP_OPTIONS)


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
        fail(f"writing a synthetic {workload} dataset into {out}: {exc}")
    print(f"{files} synthetic {wl.id} files and y_labels.csv in {folder} (not MLPerf Tiny data)")
