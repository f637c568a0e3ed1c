"""``tinyjoule rescore PATH...``: the command's body, kept out of ``host.cli`` (which has no logic).

``host.cli`` registers it as ``tinyjoule rescore PATH... [--json] [--csv FILE|-] [--plot DIR]
[--import SESSIONS_DIR]``.

Exit code 0 when every folder was scored, 1 when any failed (the failures are listed in red on
stderr, after the other folders' results), 2 for options that contradict each other
(``--json`` with ``--csv -``: both want stdout) or outputs that cannot be written (checked
before scoring).
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.markup import escape

from tinyjoule.host.console import make_console
from tinyjoule.host.rescore.import_session import SessionImporter
from tinyjoule.host.rescore.plot import plot_name, plot_trace
from tinyjoule.host.rescore.records import RawTrace
from tinyjoule.host.rescore.report import table, to_csv, to_json
from tinyjoule.host.rescore.rescore import rescore_paths
from tinyjoule.host.rescore.score import TraceScore
from tinyjoule.host.results import json_text

STDOUT = Path("-")


def output_problem(
    csv_path: Path | None, plot_dir: Path | None, import_to: Path | None
) -> str | None:
    """What is wrong with the places the outputs go, with the fix; None when all is well."""
    if csv_path is not None and csv_path != STDOUT:
        if csv_path.is_dir():
            example = csv_path / "scores.csv"
            return f"--csv {csv_path}: is a folder; give a file name, e.g. {example}"
        if not csv_path.parent.is_dir():
            return f"--csv {csv_path}: the folder {csv_path.parent} does not exist; create it first"
    for option, folder in (("--plot", plot_dir), ("--import", import_to)):
        if folder is None:
            continue
        if folder.exists() and not folder.is_dir():
            return f"{option} {folder}: is a file; give a folder (it is created if missing)"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return f"{option} {folder}: cannot create the folder ({exc.strerror or exc})"
    return None


def rescore_command(
    paths: list[Path],
    as_json: bool,
    csv_path: Path | None,
    plot_dir: Path | None,
    import_to: Path | None,
) -> int:
    """Score ``paths``; print a table (or JSON), write CSV, plots and sessions as asked."""
    out, err = make_console(), make_console(stderr=True)
    if as_json and csv_path == STDOUT:
        err.print("[bold red]error:[/] --json and --csv - both write to stdout; give --csv a file")
        return 2
    problem = output_problem(csv_path, plot_dir, import_to)
    if problem:  # before any scoring: a long tree is not scored only to fail at the end
        err.print(f"[bold red]error:[/] {escape(problem)}", highlight=False)
        return 2
    importer = SessionImporter(import_to) if import_to is not None else None

    def on_trace(raw: RawTrace, score: TraceScore) -> None:
        if plot_dir is not None:
            try:
                plot_trace(raw, score, plot_dir / plot_name(score))
            except OSError as exc:  # a full disk: the scores still come out
                err.print(f"[yellow]plot not written:[/] {escape(str(exc))}", highlight=False)
        if importer is not None:
            importer.add(raw, score)

    hook = on_trace if plot_dir is not None or importer is not None else None
    result = rescore_paths(paths, hook)
    session = importer.finish() if importer is not None else None
    if as_json:
        data = to_json(result)
        if session is not None:
            data["session"] = str(session)
        sys.stdout.write(json_text.dumps(data) + "\n")
    elif csv_path == STDOUT:
        sys.stdout.write(to_csv(result))
    else:
        for score in result.scores:
            out.print(table(score))
            for line in score.notes:
                out.print(f"  [yellow]note:[/] {escape(line)}", highlight=False)
            out.print()
    if csv_path is not None and csv_path != STDOUT:
        csv_path.write_text(to_csv(result))
    if session is not None and not as_json:
        err.print(f"imported into session {escape(str(session))}", highlight=False)
        if importer is not None and importer.index_status.get("indexed") is False:
            err.print(
                f"not indexed: {escape(str(importer.index_status['index_error']))}",
                highlight=False,
            )
    if plot_dir is not None and not as_json and result.scores:
        err.print(f"plots in {escape(str(plot_dir))}", highlight=False)
    if result.failures:
        err.print(f"[bold red]{len(result.failures)} folder(s) could not be scored:[/]")
        for failure in result.failures:
            err.print(f"[red]  {escape(failure.message)}[/]", highlight=False)
    return 0 if result.ok else 1
