"""Sessions made once per test process for the report tests (simulated bench, synthetic data,
the dataset cache in a temporary folder), copied by tests that damage them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tinyjoule.host.bench.spec import simulated_bench
from tinyjoule.host.instruments.registry import parse_monitor
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """``{"energy": session, "performance": ..., "accuracy": ...}`` under one sessions root."""
    root = tmp_path_factory.mktemp("report") / "sessions"
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(root.parent / "cache"))
        for mode, workloads, extra in (
            ("energy", ("kws01", "ad01"), {}),
            ("performance", ("ad01",), {}),
            ("accuracy", ("kws01",), {"accuracy_files": 6}),
        ):
            request = RunRequest(
                mode=mode,
                workloads=workloads,
                bench=simulated_bench(),
                monitor=parse_monitor("sim:lpm01a"),
                sessions_root=root,
                **extra,
            )
            out[mode] = Path(run(request)["session"])
    yield out


@pytest.fixture
def energy_copy(runs: dict[str, Path], tmp_path: Path) -> Path:
    """A copy of the energy session that a test may damage."""
    dst = tmp_path / runs["energy"].name
    shutil.copytree(runs["energy"], dst)
    return dst
