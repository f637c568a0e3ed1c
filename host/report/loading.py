"""What a report path names, and reading it into groups and items.

A path (a file stands for its folder) is, in this order:

- a **session folder** (holds ``summary.json``): every workload folder in it;
- a **workload folder** of a session (holds a tinyjoule ``results.json``, or at least the
  ``trace.h5`` or ``transcript.log`` a run writes first): that workload alone;
- a **published MLPerf Tiny folder or results tree** (EEMBC ``trace*-energy.bin`` or an MLCommons
  ``results.json`` list, or folders of them): re-scored on the fly (``host.rescore``);
- a **folder of sessions** (its sub-folders hold ``summary.json``): every session in it, oldest
  first.

Anything else is refused with what was looked for. A damaged file is reported, and what the
other files still hold is shown, marked partial.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.report.model import IMPORTED, PUBLISHED, SESSION, Group, Item
from tinyjoule.host.report.published import load_published
from tinyjoule.host.rescore.eembc_folder import TRACE_FILE
from tinyjoule.host.rescore.rescore import find_folders

SUMMARY = "summary.json"
RESULTS = "results.json"
RUN_FILES = ("trace.h5", "transcript.log")  # a run writes these first (log.txt: published too)


class NotReportable(ConfigurationError):
    """A path that holds nothing a report can show."""


def read_json(path: Path) -> tuple[Any, str | None]:
    """The file's JSON, or None and what is wrong with it (naming the file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, f"{path}: missing"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{path}: cannot be read ({exc})"
    try:
        return json.loads(text), None
    except ValueError as exc:
        return None, f"{path}: damaged (not valid JSON: {exc})"


def _names(folder: Path) -> set[str]:
    try:
        return {e.name for e in os.scandir(folder)}
    except OSError:
        return set()


def _starts_with(path: Path, char: bytes) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(256).lstrip()[:1] == char
    except OSError:
        return False


def is_workload_folder(folder: Path) -> bool:
    names = _names(folder)
    if any(TRACE_FILE.match(n) for n in names):
        return False  # an EEMBC runner's folder
    if RESULTS in names:
        return not _starts_with(folder / RESULTS, b"[")  # a list is an MLCommons folder
    return any(n in names for n in RUN_FILES)


def _sessions_in(folder: Path) -> list[Path]:
    subs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [p for p in subs if (p / SUMMARY).is_file()]


def _workload_item(folder: Path, from_summary: dict[str, Any] | None) -> Item:
    data, problem = read_json(folder / RESULTS)
    item = Item(folder.name, folder, SESSION, "", {}, [])
    if problem is None and not isinstance(data, dict):
        problem = f"{folder / RESULTS}: not a tinyjoule results.json (a JSON {type(data).__name__})"
    if problem is not None:
        kept = "summary.json's copy of it" if from_summary else "trace.h5"
        item.problems.append(
            f"{problem}; the report shows what {kept} still holds, marked partial. To fix, "
            "restore the file from a copy, or run the workload again"
        )
        data = from_summary or {}
        item.windows_from = "summary.json" if from_summary else "trace.h5"
    fill_item(item, data)
    return item


def fill_item(item: Item, data: dict[str, Any]) -> None:
    """Take a workload's results dict: its mode, source marks and windows."""
    item.data = data
    workload = data.get("workload")
    if workload and str(workload) != item.path.name:
        item.name = f"{item.path.name} ({workload})"
    item.mode = str(data.get("mode") or "energy")
    item.kind = IMPORTED if "source" in data else item.kind
    item.simulated = data.get("simulated")
    item.synthetic = data.get("synthetic_dataset")
    item.complete = data.get("complete")
    windows = data.get("windows")
    item.windows = [w for w in windows if isinstance(w, dict)] if isinstance(windows, list) else []
    if "trace" in data or (item.path / "trace.h5").exists():
        item.trace_path = item.path / str(data.get("trace") or "trace.h5")


def load_session(folder: Path, only: Path | None = None) -> Group:
    """A session folder's workloads (or just the workload folder ``only``)."""
    summary, problem = read_json(folder / SUMMARY)
    group = Group(folder.name, folder, SESSION)
    if problem is not None and only is None:
        group.problems.append(
            f"{problem}; the workloads are read from their own folders. To fix, restore "
            "summary.json from a copy (the workloads' results.json files hold the same figures)"
        )
    info = summary if isinstance(summary, dict) else {}
    group.info = {k: v for k, v in info.items() if k != "workloads"}
    listed = [w for w in info.get("workloads", []) if isinstance(w, dict)]
    by_name = {str(w.get("workload")): w for w in listed}
    if only is not None:
        folders = [only]
    else:
        found = [p for p in sorted(folder.iterdir()) if p.is_dir() and is_workload_folder(p)]
        order = {name: i for i, name in enumerate(by_name)}
        folders = sorted(found, key=lambda p: (order.get(p.name, len(order)), p.name))
    for sub in folders:
        group.items.append(_workload_item(sub, by_name.get(sub.name)))
    seen = {p.name for p in folders}
    for name, data in by_name.items():
        if only is None and name not in seen:
            item = Item(name, folder / name, SESSION, "", {}, [])
            fill_item(item, data)
            item.trace_path = None
            item.problems.append(
                f"{folder / name}: missing; the figures come from summary.json, marked partial. "
                "To fix, restore the workload's folder from a copy"
            )
            group.items.append(item)
    if group.items and all(i.kind == IMPORTED for i in group.items):
        group.kind = IMPORTED
    return group


def _not_reportable(path: Path) -> NotReportable:
    return NotReportable(
        f"{path}: nothing to report: not a session folder (no summary.json), a workload folder "
        "(no results.json or trace.h5), a folder of sessions, or a published MLPerf Tiny energy "
        "folder (no trace*-energy.bin or MLCommons results.json in it or below). Give the "
        "folder 'tinyjoule run' printed (sessions/<date>_<time>_<mode>) or a published "
        "energy folder"
    )


def load_path(path: Path) -> list[Group]:
    """The groups ``path`` names; raises :class:`NotReportable` with the fix when none."""
    if not path.exists():
        raise NotReportable(f"{path}: no such file or folder; check the path")
    folder = path.parent if path.is_file() else path
    if (folder / SUMMARY).is_file():
        return [load_session(folder)]
    if is_workload_folder(folder):
        return [load_session(folder.parent, only=folder)]
    published, _ = find_folders([folder])
    if published:
        return load_published(folder)
    sessions = _sessions_in(folder)
    if sessions:
        return [load_session(s) for s in sessions]
    raise _not_reportable(folder)


def load_paths(paths: list[Path]) -> tuple[list[Group], list[str]]:
    """Every group the paths name, and a message for each path that names none."""
    groups: list[Group] = []
    problems: list[str] = []
    for path in paths:
        try:
            groups.extend(load_path(path))
        except NotReportable as exc:
            problems.append(str(exc))
    for g in groups:
        if g.kind == PUBLISHED:
            continue
        g.title = g.path.name if g.kind == SESSION else f"{g.path.name} (imported)"
    return groups, problems
