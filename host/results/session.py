"""Session folders: what a run measured, written as it goes so a failure loses nothing.

``sessions/<YYYYmmdd_HHMMSS>_<mode>/<workload>/`` holds ``transcript.log`` (every serial byte),
``log.txt`` (the steps), ``results.json`` (rewritten after every window, ``"complete": false``
until the workload has finished) and ``results.txt`` (the lines the MLPerf Tiny submission
checker reads, for a measured run; plainly different ones for a simulated bench or synthetic
data, ``result_lines``). ``summary.json`` at the top lists every workload of the run.

The JSON files are replaced whole (written beside, then renamed), so each is always the
last version that could be written; a full disk leaves that version and no ``*.tmp``, and
raises a ``StorageError`` naming the file and the space left. While a run measures, the
session holds ``RESERVE_BYTES`` of its disk (``.space-reserve``) and gives them back before
it writes its last files, so that a disk filled meanwhile still takes them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import uuid
from pathlib import Path
from typing import Any

from tinyjoule.device_text import MAX_MESSAGE_CHARS, clip
from tinyjoule.errors import StorageError
from tinyjoule.host.disk_space import LineFile, disk_full_text, is_disk_full
from tinyjoule.host.results import json_text, results_txt
from tinyjoule.host.results.provenance import software
from tinyjoule.host.results.result_lines import (
    CHECKER_PREFIX,
    UNOFFICIAL_PREFIX,
    checker_accepts,
    why_unofficial,
)
from tinyjoule.host.transcript import Transcript

RESERVE_BYTES = 512 * 1024
RESERVE_NAME = ".space-reserve"


def new_session_id(folder_name: str) -> str:
    """Unique across benches writing to one history database: folder, host and a nonce."""
    return f"{folder_name}@{platform.node() or 'host'}#{uuid.uuid4().hex[:8]}"


def _stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%d_%H%M%S")


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        kept = "; its last version stays" if path.exists() else ""
        problem = (
            disk_full_text(path, kept=kept)
            if is_disk_full(exc)
            else f"{path}: cannot write it ({exc}){kept}"
        )
        raise StorageError(problem) from exc


class WorkloadRecord:
    """The files of one workload in a session."""

    def __init__(self, folder: Path, workload_id: str, mode: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.transcript = Transcript(folder / "transcript.log")
        self._log = LineFile(folder / "log.txt")
        self.data: dict[str, Any] = {"workload": workload_id, "mode": mode, "complete": False}
        self.save()

    def log(self, text: str) -> None:
        """One line of ``log.txt`` (clipped to ``MAX_MESSAGE_CHARS``: device text in it is
        bounded, ``tinyjoule.device_text``)."""
        stamp = dt.datetime.now().isoformat(timespec="milliseconds")
        self._log.write(f"{stamp} {clip(text, MAX_MESSAGE_CHARS)}\n")

    def update(self, **fields: Any) -> None:
        self.data.update(fields)
        self.save()
        self.check_line_files()

    def check_line_files(self) -> None:
        """Raise the ``StorageError`` of a transcript or log that could not be written (the
        line files never raise themselves: a device command must not stop half-way)."""
        for error in (self.transcript.error, self._log.error):
            if error is not None:
                raise error

    def save(self) -> None:
        _write_atomic(self.folder / "results.json", json_text.dumps(self.data) + "\n")

    def mark_source(self, simulated: bool, synthetic_dataset: bool) -> None:
        """Say where the figures come from: a real board and real data, or not."""
        self.update(simulated=simulated, synthetic_dataset=synthetic_dataset)

    @property
    def official(self) -> bool:
        """Measured on a real bench with real data: its lines may be the checker's."""
        return not (self.data.get("simulated", True) or self.data.get("synthetic_dataset", True))

    @property
    def why_unofficial(self) -> str:
        return why_unofficial(
            bool(self.data.get("simulated", True)), bool(self.data.get("synthetic_dataset", True))
        )

    def write_results_txt(self, blocks: list[str], results: list[str]) -> None:
        """``results.txt``: the per-window ``blocks`` as they are, then the ``results``
        lines prefixed as the submission checker's regexes need for a measured run; for
        any other run prefixed so that no checker pattern reads a line as a result
        (refused if one would: that is a bug, not something to write)."""
        now = dt.datetime.now().strftime("%m%d.%H%M%S")
        prefix = CHECKER_PREFIX if self.official else UNOFFICIAL_PREFIX
        text = [*blocks, *(f"{now} {prefix} {line}" for line in results)]
        if not self.official and any(checker_accepts(line) for line in text):
            raise ValueError(f"an unofficial result line would pass the checker: {text}")
        _write_atomic(self.folder / "results.txt", "".join(f"{line}\n" for line in text))

    def write_mode_results(self, summary: dict[str, Any]) -> None:
        """``results.txt`` for this workload's mode from its summary and windows."""
        mode, official, why = self.data["mode"], self.official, self.why_unofficial
        self.write_results_txt(
            results_txt.blocks(mode, self.data.get("windows", []), official, why),
            results_txt.result_text(mode, summary, official, why),
        )

    def finish(self, error: str | None = None) -> None:
        """Mark the workload complete, or not with ``error``; close its files. May be called
        again with an error after a finish that raised."""
        self.data["complete"] = error is None
        if error is not None:
            error = clip(error, MAX_MESSAGE_CHARS)
            self.data["error"] = error
            self.log(f"ERROR {error}")
        try:
            self.save()
        finally:
            self.transcript.close()
            self._log.close()
        if error is None:
            self.check_line_files()


class Session:
    """A run's folder; one :class:`WorkloadRecord` per workload."""

    def __init__(self, root: Path, mode: str) -> None:
        root.mkdir(parents=True, exist_ok=True)
        base = root / f"{_stamp()}_{mode}"
        folder, n = base, 1
        while True:  # mkdir is atomic: of two processes racing for a name, one gets the next
            try:
                folder.mkdir()
                break
            except FileExistsError:
                n += 1
                folder = base.with_name(f"{base.name}_{n}")
        self.folder = folder
        self.mode = mode
        self.session_id = new_session_id(folder.name)
        self.records: list[WorkloadRecord] = []
        self.discarded = False
        self.summary: dict[str, Any] | None = None  # the last one made, written or not
        self.unwritten: list[str] = []  # files that could not be written after a failure
        self._reserve: Path | None = None

    def hold_reserve(self) -> None:
        """Take ``RESERVE_BYTES`` of the disk (none if they are not there)."""
        path = self.folder / RESERVE_NAME
        try:
            with path.open("wb") as f:
                f.write(os.urandom(RESERVE_BYTES))  # blocks of its own, compressed or not
            self._reserve = path
        except OSError:
            with contextlib.suppress(OSError):
                path.unlink()

    def release_reserve(self) -> None:
        """Give the reserve back: the run's last files follow."""
        if self._reserve is not None:
            with contextlib.suppress(OSError):
                self._reserve.unlink()
            self._reserve = None

    def measured_anything(self) -> bool:
        """Whether any workload got as far as a window, a scored file or its end."""
        return any(
            r.data.get("complete") or r.data.get("windows") or r.data.get("scored_files")
            for r in self.records
        )

    def talked_to_a_device(self) -> bool:
        """Whether any byte went to or came from a device (the transcript is worth keeping)."""
        return any(r.transcript.chunks for r in self.records)

    def discard(self) -> None:
        """Remove the folder of a session that measured nothing and talked to no device (a
        configuration error found before; its records already finished): no empty session
        claims to keep a measurement."""
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)
        self.discarded = True

    def workload(self, workload_id: str) -> WorkloadRecord:
        record = WorkloadRecord(self.folder / workload_id, workload_id, self.mode)
        self.records.append(record)
        return record

    def write_summary(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        simulated = any(r.data.get("simulated", False) for r in self.records)
        synthetic = any(r.data.get("synthetic_dataset", False) for r in self.records)
        summary = {
            "session": str(self.folder),
            "session_id": self.session_id,
            "mode": self.mode,
            "complete": all(r.data.get("complete") for r in self.records),
            "simulated": simulated,
            "synthetic_dataset": synthetic,
            "software": software(),
            "workloads": [r.data for r in self.records],
            **(extra or {}),
        }
        if simulated or synthetic:
            summary["note"] = why_unofficial(simulated, synthetic)
        self.summary = summary
        _write_atomic(self.folder / "summary.json", json_text.dumps(summary) + "\n")
        return summary
