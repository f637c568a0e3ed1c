"""Free space where a session writes, the message a full disk gets, and a text file that
survives one.

Every writer of a session file (trace, transcript, log, results) names the file and the
space left on its file system when the disk fills, in the same words. The line files
(transcript, log) never raise on a write: a failed write must not stop a command on its way
to a device (powering the target off, above all); the failure is kept for the caller.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from pathlib import Path
from typing import TextIO

from tinyjoule.errors import StorageError

DISK_FULL_ERRNOS = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def free_bytes(path: Path) -> int | None:
    """Bytes an unprivileged writer may still use on the file system of ``path`` (or of its
    nearest existing parent); None where that cannot be known."""
    for folder in (path, *path.parents):
        if folder.exists():
            try:
                return shutil.disk_usage(folder).free
            except OSError:
                return None
    return None


def mount_point(path: Path) -> Path:
    folder = path.resolve()
    while not os.path.ismount(folder) and folder != folder.parent:
        folder = folder.parent
    return folder


def size_text(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def is_disk_full(exc: BaseException) -> bool:
    """An OSError for a full disk or quota, also as HDF5 words it inside another error."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in DISK_FULL_ERRNOS:
            return True
        if "No space left on device" in str(seen) or "errno = 28" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def space_text(path: Path) -> str:
    """``"12.0 kB free on /mnt/data"``, or that the free space is unknown."""
    free = free_bytes(path)
    where = mount_point(path.parent)
    return f"{'unknown space' if free is None else size_text(free)} free on {where}"


def disk_full_text(path: Path, detail: str = "", kept: str = "") -> str:
    """Every disk-full message: the file, the space left (and ``detail``), what is ``kept``,
    and the fix."""
    return (
        f"{path}: the disk is full ({space_text(path)}{detail}){kept}; free some space or "
        "give --sessions a folder on a disk with room"
    )


class LineFile:
    """A text file appended to line by line (line-buffered, or with a larger ``buffering``
    and ``flush`` when the caller likes). The first write or flush that fails ends it (the
    lines not yet on disk are lost, later ones dropped) and is kept in ``error``, a
    :class:`StorageError`."""

    def __init__(self, path: Path, encoding: str = "utf-8", buffering: int = 1) -> None:
        self.path = path
        self.error: StorageError | None = None
        self._file: TextIO | None = path.open("a", encoding=encoding, buffering=buffering)

    @property
    def closed(self) -> bool:
        return self._file is None

    def write(self, text: str) -> None:
        if self._file is not None:
            try:
                self._file.write(text)
            except OSError as exc:
                self._failed(exc)

    def flush(self) -> None:
        if self._file is not None:
            try:
                self._file.flush()
            except OSError as exc:
                self._failed(exc)

    def close(self) -> None:
        if self._file is not None:
            self.flush()
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None

    def _failed(self, exc: OSError) -> None:
        kept = "; it stops at the last line that fitted"
        problem = (
            disk_full_text(self.path, kept=kept)
            if is_disk_full(exc)
            else f"{self.path}: cannot write it ({exc}){kept}"
        )
        self.error = StorageError(problem)
        self.error.__cause__ = exc
        file, self._file = self._file, None
        with contextlib.suppress(OSError):  # what did not fit is lost
            file.close()  # type: ignore[union-attr]
