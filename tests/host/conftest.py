"""Shared fixtures for host tests: simulated benches registered as sim:// URLs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tinyjoule.host.sim import protocol_sim
from tinyjoule.host.sim.config import SimBenchConfig
from tinyjoule.host.sim.simulated_bench import SimulatedBench


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Synthetic datasets go to one cache per test session, not the user's home."""
    cache = tmp_path_factory.getbasetemp() / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))


@pytest.fixture
def sim_url() -> Iterator:
    """``make(config) -> (bench, url)``; benches are unregistered afterwards."""
    names: list[str] = []

    def make(config: SimBenchConfig) -> tuple[SimulatedBench, str]:
        bench = SimulatedBench(config)
        name = protocol_sim.register_bench(bench)
        names.append(name)
        port = "dut" if config.io_manager is None else "io"
        return bench, protocol_sim.bench_url(name, port)

    yield make
    for name in names:
        protocol_sim.unregister_bench(name)


@pytest.fixture
def sessions(tmp_path: Path) -> Path:
    return tmp_path / "sessions"
