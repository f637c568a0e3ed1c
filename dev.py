#!/usr/bin/env python3
"""Set-up and the two everyday jobs, on Linux, macOS and Windows alike.

    python dev.py demo    # make .venv, install tinyjoule, run the main job (simulated bench)
    python dev.py test    # make .venv, install tinyjoule with its dev extra, run the test suite
    python dev.py lint    # ruff

Extra arguments after the job go to the command it runs (``python dev.py test -k sim``).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if sys.platform == "win32" else "bin")
PYTHON = BIN / ("python.exe" if sys.platform == "win32" else "python")
PACKAGES = ("tinyjoule", "host", "firmware_protocol", "tinyml_workloads", "calibration")
BUILD_INPUTS = ("pyproject.toml", "setup.py", "host/instruments/bin_hexa_kernel.c")
"""A change to any of these reinstalls (and so rebuilds the compiled decoding kernel)."""


def ensure_env() -> None:
    """Create .venv and (re)install the project when one of BUILD_INPUTS has changed."""
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
        subprocess.check_call([str(PYTHON), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    stamp = VENV / ".tinyjoule-installed"
    digest = hashlib.sha256(b"".join((ROOT / name).read_bytes() for name in BUILD_INPUTS))
    digest = digest.hexdigest()
    installed = stamp.read_text().split() if stamp.exists() else []
    # a kernel that was built and has since been cleaned away is built again
    lost_kernel = installed[1:] != ["no-kernel"] and not kernel_built()
    if installed[:1] != [digest] or lost_kernel:
        print("installing tinyjoule[dev] into .venv", flush=True)
        subprocess.check_call(
            [str(PYTHON), "-m", "pip", "install", "-q", "-e", f"{ROOT}[dev]"], cwd=ROOT
        )
        if not kernel_built():
            print("no C compiler worked: bin_hexa decodes through numpy (slower)", flush=True)
        stamp.write_text(digest if kernel_built() else f"{digest} no-kernel")
    compile_sources()


def kernel_built() -> bool:
    """The optional compiled bin_hexa kernel is in place (pip builds it where it can)."""
    return any((ROOT / "host" / "instruments").glob("_bin_hexa.*"))


def compile_sources() -> None:
    """Byte-compile the project's modules (up-to-date ones are skipped). Where
    PYTHONDONTWRITEBYTECODE is set (it is on the development machine), Python reads .pyc files
    but never writes them, and would compile every module again in each process it starts
    (about 0.25 s per start, measured)."""
    folders = [str(ROOT / name) for name in PACKAGES]  # a module that does not compile
    subprocess.call([str(PYTHON), "-m", "compileall", "-q", *folders], cwd=ROOT)  # fails later


def main(argv: list[str]) -> int:
    job, extra = (argv[0], argv[1:]) if argv else ("demo", [])
    ensure_env()
    if job == "demo":
        return subprocess.call([str(BIN / "tinyjoule"), "run", *extra], cwd=ROOT)
    if job == "test":
        return subprocess.call([str(PYTHON), "-m", "pytest", *extra], cwd=ROOT)
    if job == "lint":
        return subprocess.call([str(PYTHON), "-m", "ruff", "check", ".", *extra], cwd=ROOT)
    print(f"unknown job {job!r}; use demo, test or lint", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
