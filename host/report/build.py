"""``build_report``: from paths to one HTML file (and PNGs on request). Reads every path, the
traces' small tables first (so the plot budget is known), then each trace block by block into
its envelope, runs the checks, and writes the page atomically."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.report.checks import item_checks
from tinyjoule.host.report.envelope import edge_samples, window_bins
from tinyjoule.host.report.html_page import render
from tinyjoule.host.report.loading import is_workload_folder, load_paths
from tinyjoule.host.report.model import Report
from tinyjoule.host.report.trace_plots import published_envelope, read_trace_facts, session_envelope

REPORT_NAME = "report.html"


@dataclass(frozen=True, slots=True)
class ReportResult:
    path: Path
    report: Report
    pngs: tuple[Path, ...] = ()

    @property
    def problems(self) -> list[str]:
        return self.report.all_problems


def read_report(paths: list[Path]) -> Report:
    """Everything the paths hold, ready to be written; raises ``ConfigurationError`` when no
    path holds anything to report (the message lists each path's reason and fix)."""
    groups, problems = load_paths(paths)
    if not groups:
        raise ConfigurationError("; ".join(problems) or "no path given")
    report = Report(groups, problems)
    for item in report.items:
        read_trace_facts(item)
    n_windows = sum(len(i.windows) for i in report.items)
    n_edges = sum(len(i.trace_tables.get("events", ())) for i in report.items) + 2 * n_windows
    per_window, per_edge = window_bins(n_windows), edge_samples(n_edges)
    for item in report.items:
        if item.raw is not None:
            published_envelope(item, per_window, per_edge)
        else:
            session_envelope(item, per_window, per_edge)
        item.checks = item_checks(item)
    return report


def default_output(paths: list[Path]) -> Path:
    """``report.html`` in the one session (or workload) folder named, else in the current
    folder (a published folder may be read-only, and is not ours to write in)."""
    if len(paths) == 1:
        folder = paths[0] if paths[0].is_dir() else paths[0].parent
        if (folder / "summary.json").is_file() or is_workload_folder(folder):
            return folder / REPORT_NAME
    return Path(REPORT_NAME)


def write_html(report: Report, out: Path) -> Path:
    text = render(report, dt.datetime.now().isoformat(timespec="seconds"))
    tmp = out.with_name(out.name + ".tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:
        raise ConfigurationError(
            f"{out}: cannot write the report ({exc.strerror or exc}); give another file with -o"
        ) from exc
    return out


def build_report(
    paths: list[Path], out: Path | None = None, png_dir: Path | None = None
) -> ReportResult:
    """Read ``paths``, write the HTML report to ``out`` (``default_output`` if None) and, with
    ``png_dir``, a PNG of every plot."""
    report = read_report(paths)
    path = write_html(report, out or default_output(paths))
    pngs: tuple[Path, ...] = ()
    if png_dir is not None:
        from tinyjoule.host.report.png_plots import write_pngs

        pngs = tuple(write_pngs(report, png_dir))
    return ReportResult(path, report, pngs)
