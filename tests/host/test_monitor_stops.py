"""A monitor that stops streaming mid-run is named as such, not taken for a timestamp-wire
fault, on the simulated bench through the real drivers (``monitor_fault=stop@N``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tinyjoule.errors import MeasurementTimeout
from tinyjoule.host.bench.spec import simulated_bench
from tinyjoule.host.instruments.registry import parse_monitor
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run


@pytest.mark.parametrize(
    ("kind", "name", "after"),
    [
        ("lpm01a", "LPM01A", 40_000),  # 1 kHz: 40 s in, inside or between windows
        ("ppk2", "PPK2", 4_000_000),  # 100 kHz: 40 s in
        ("js220", "JS220", 40_000),
    ],
)
def test_a_monitor_that_stops_streaming_is_named(sessions: Path, kind, name, after) -> None:
    request = RunRequest(
        mode="energy",
        workloads=("ad01",),
        bench=simulated_bench(monitor_fault=f"stop@{after}"),
        monitor=parse_monitor(f"sim:{kind}"),
        sessions_root=sessions,
    )
    with pytest.raises(MeasurementTimeout) as caught:
        run(request)
    text = str(caught.value)
    assert text.startswith(f"{name} (")
    assert f"stopped streaming at sample {after} (no samples for " in text
    assert "check its USB cable and power" in text and "timestamp wire" not in text
    (folder,) = [p for p in sessions.iterdir() if p.is_dir()]
    data = json.loads((folder / "ad01" / "results.json").read_text())
    assert data["complete"] is False and "stopped streaming" in data["error"]
    assert 1 <= len(data["windows"]) < 5  # what was measured before is kept
