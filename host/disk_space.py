"""Free space where a session writes, and the message a full disk gets.

Every writer of a session file (trace, transcript, log, results) names the file and the
space left on its file system when the disk fills, in the same words.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

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
