"""Re-scoring over paths: single energy folders or whole results trees, failures collected.

A path is an energy folder when it holds raw data or a results file itself; otherwise it is a
tree, and every energy folder under it is scored (one with ``trace*-energy.bin``,
``trace*-timestamps.json`` or an MLCommons ``results.json``, or any folder named ``energy``).
A folder that cannot be scored becomes a :class:`RescoreFailure`; the others go on. An energy
folder in a results tree is checked against the performance run beside it (``run_timing``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from tinyjoule.errors import TinyJouleError
from tinyjoule.host.rescore.eembc_folder import TRACE_FILE, load_eembc
from tinyjoule.host.rescore.mlcommons_folder import load_mlcommons
from tinyjoule.host.rescore.published_txt import PublishedResults, parse_results_txt
from tinyjoule.host.rescore.records import MLCOMMONS, FolderError, RawTrace
from tinyjoule.host.rescore.run_timing import load_run_timing
from tinyjoule.host.rescore.score import TraceScore, score_trace

RESULT_FILES = ("results.txt", "results.json", "energy_results.txt")
ENERGY_DIRS = ("energy", "power")

OnTrace = Callable[[RawTrace, TraceScore], None]


@dataclass(frozen=True, slots=True)
class RescoreFailure:
    path: Path
    message: str


@dataclass(frozen=True, slots=True)
class RescoreResult:
    scores: tuple[TraceScore, ...]
    failures: tuple[RescoreFailure, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


def _names(folder: Path) -> set[str]:
    try:
        return {e.name for e in os.scandir(folder) if e.is_file()}
    except OSError:
        return set()


def _has_trace(names: set[str]) -> bool:
    return any(TRACE_FILE.match(n) for n in names)


def _is_published_json(path: Path) -> bool:
    """An MLCommons results.json is a list; a tinyjoule session's is an object."""
    try:
        with path.open("rb") as f:
            return f.read(64).lstrip()[:1] == b"["
    except OSError:
        return False


def _is_candidate(folder: Path, names: set[str]) -> bool:
    if _has_trace(names) or (folder.name.lower() in ENERGY_DIRS and names):
        return True
    return "results.json" in names and _is_published_json(folder / "results.json")


def _walk(root: Path) -> list[Path]:
    found = []
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        folder = Path(here)
        if _is_candidate(folder, set(files)):
            found.append(folder)
    return found


def find_folders(paths: Iterable[Path]) -> tuple[list[Path], list[RescoreFailure]]:
    """The energy folders named by ``paths`` (folders themselves, or found in trees)."""
    folders: list[Path] = []
    failures: list[RescoreFailure] = []
    for path in paths:
        if path.is_file():
            path = path.parent
        if not path.is_dir():
            failures.append(RescoreFailure(path, f"{path}: no such file or folder"))
            continue
        names = _names(path)
        if _has_trace(names) or names & set(RESULT_FILES):
            folders.append(path)
            continue
        found = _walk(path)
        if not found:
            failures.append(
                RescoreFailure(
                    path,
                    f"{path}: no energy folder in it (looked for trace*-energy.bin, "
                    "trace*-timestamps.json, an MLCommons results.json, or folders named energy)",
                )
            )
        folders.extend(found)
    return list(dict.fromkeys(folders)), failures


def load_folder(folder: Path) -> list[tuple[RawTrace, PublishedResults | None]]:
    """Each trace of ``folder`` with the published results that belong to it."""
    names = _names(folder)
    if not _has_trace(names) and "results.json" not in names:
        present = ", ".join(sorted(names)) or "nothing"
        raise FolderError(
            folder,
            f"no raw data to re-score (holds {present}): an EEMBC folder needs "
            "trace1-energy.bin and trace1-timestamps.json, an MLCommons folder results.json; "
            "some submissions published only the summary",
        )
    published = parse_results_txt(folder / "results.txt") if "results.txt" in names else None
    if _has_trace(names):
        return load_eembc(folder, published)
    raw = load_mlcommons(folder)
    if published is not None and published.form != MLCOMMONS:
        raise FolderError(
            folder / "results.txt",
            "written by the EEMBC runner, but the raw data is an MLCommons results.json: "
            "the files are from different runs",
        )
    return [(raw, published)]


def rescore_folder(folder: Path) -> list[tuple[RawTrace, TraceScore]]:
    """Every trace of ``folder``, read and scored (against the sibling performance run, if any)."""
    traces = load_folder(folder)
    timing, problem = load_run_timing(folder)
    scored = []
    for raw, published in traces:
        if problem is not None:
            raw = replace(raw, notes=(*raw.notes, problem))
        scored.append((raw, score_trace(raw, published, timing)))
    return scored


def _message(folder: Path, exc: Exception) -> str:
    if isinstance(exc, TinyJouleError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.filename or folder}: {exc.strerror or exc}"
    return f"{folder}: unexpected {type(exc).__name__}: {exc} (a tinyjoule bug; please report it)"


def rescore_paths(paths: Iterable[Path], on_trace: OnTrace | None = None) -> RescoreResult:
    """Score every folder; a failing folder is listed and the rest still scored.

    ``on_trace(raw, score)`` runs after each trace (plots, imports); if it fails, the score
    stays and the failure is listed."""
    folders, failures = find_folders(paths)
    scores: list[TraceScore] = []
    for folder in folders:
        try:
            scored = rescore_folder(folder)
        except Exception as exc:  # one bad folder must not stop a tree
            failures.append(RescoreFailure(folder, _message(folder, exc)))
            continue
        for raw, score in scored:
            scores.append(score)
            if on_trace is None:
                continue
            try:
                on_trace(raw, score)
            except Exception as exc:
                failures.append(RescoreFailure(folder, _message(folder, exc)))
    return RescoreResult(tuple(scores), tuple(failures))
