"""tinyjoule: energy, latency and accuracy of TinyML inference, measured the MLPerf Tiny way.

The distribution maps four folders into this package (``pyproject.toml``, ``package-dir``):
``host/`` → ``tinyjoule.host``, ``firmware_protocol/``, ``tinyml_workloads/`` and
``calibration/`` likewise. This folder holds what all of them share: the version and the
exception tree (``tinyjoule.errors``), and the Python API for notebooks and scripts
(``tinyjoule.api``: ``measure``, ``load_session``, ``history``, ``compare``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

try:
    __version__ = version("tinyjoule")
except PackageNotFoundError:  # a source checkout that was never installed
    __version__ = "0+unknown"

# In a source checkout the sub-packages sit beside this folder, not inside it; let them be
# found from here too, so a checkout works whatever is on sys.path first.
_checkout = Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and (_checkout / "host").is_dir():
    __path__.append(str(_checkout))

API = ("SessionData", "compare", "history", "load_session", "measure")
__all__ = ["__version__", *API]


def __getattr__(name: str):  # the API is imported on first use: `import tinyjoule` stays light
    if name in API:
        from tinyjoule import api

        return getattr(api, name)
    raise AttributeError(f"module 'tinyjoule' has no attribute {name!r}")
