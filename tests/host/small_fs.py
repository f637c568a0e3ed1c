"""A small file system of its own for the disk-full tests: a 4 MB tmpfs, else a loop-mounted
ext4 image, else a skip saying why (a failure where ``TINYJOULE_REQUIRE_SMALL_FS`` is set,
as ``.ci/run`` does: CI runs as root and must not skip them)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SIZE_MB = 4


def _run(*args: str) -> str | None:
    """None if the command worked, else why not."""
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{args[0]}: {exc}"
    return None if done.returncode == 0 else f"{' '.join(args)}: {done.stderr.strip()}"


def _mount(folder: Path, scratch: Path) -> list[str]:
    """Mount a small file system on ``folder``; the reasons each way failed (none: done)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return ["mounting a file system needs root"]
    if shutil.which("mount") is None:
        return ["no mount command"]
    why = _run("mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs", str(folder))
    if why is None:
        return []
    reasons = [why]
    mkfs = shutil.which("mkfs.ext4")
    if mkfs is None:
        return [*reasons, "no mkfs.ext4 for a loop-mounted image"]
    image = scratch / "small_fs.img"
    with image.open("wb") as f:
        f.truncate(SIZE_MB << 20)
    why = _run(mkfs, "-q", "-F", "-m", "0", "-O", "^has_journal", str(image))
    if why is None:
        why = _run("mount", "-o", "loop", str(image), str(folder))
    return [] if why is None else [*reasons, why]


@contextmanager
def small_file_system(scratch: Path) -> Iterator[Path]:
    """A folder on a file system of about ``SIZE_MB`` MB, unmounted afterwards."""
    folder = scratch / "small_fs"
    folder.mkdir()
    reasons = _mount(folder, scratch)
    if reasons:
        why = "; ".join(reasons)
        if os.environ.get("TINYJOULE_REQUIRE_SMALL_FS"):
            pytest.fail(f"a small file system is required here (TINYJOULE_REQUIRE_SMALL_FS): {why}")
        print(f"no small file system to fill: {why}")
        pytest.skip(f"disk-full test skipped: no small file system to fill ({why})")
    try:
        yield folder
    finally:
        if _run("umount", str(folder)) is not None:
            _run("umount", "-l", str(folder))
