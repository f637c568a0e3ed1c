"""A refused ``pwr on`` gets a hint about ``pwr on``, not the old-firmware ``pwr off`` one,
on the simulated LPM01A through the real driver (``monitor_fault=refuse:pwr on``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tinyjoule.errors import ProtocolError
from tinyjoule.firmware_protocol import lpm01a_commands as commands
from tinyjoule.host.bench.spec import simulated_bench
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run


def test_a_refused_pwr_on_says_what_to_check(sessions: Path) -> None:
    request = RunRequest(
        mode="energy",
        workloads=("kws01",),
        bench=simulated_bench(monitor_fault="refuse:pwr on"),
        sessions_root=sessions,
    )
    with pytest.raises(ProtocolError) as caught:
        run(request)
    text = str(caught.value)
    assert text.startswith("LPM01A (sim://")
    assert "command 'pwr on nostatus' was refused: 'error pwr on nostatus', Error detail: " in text
    assert "would not switch the target's supply on" in text and "power-cycle" in text
    assert "1.0.6" not in text and "refuses 'pwr off'" not in text
    (folder,) = [p for p in sessions.iterdir() if p.is_dir()]
    assert "pwr on" in json.loads((folder / "kws01" / "results.json").read_text())["error"]


@pytest.mark.parametrize(
    ("command", "hint"),
    [
        ("pwr off", "1.0.6"),
        ("pwr on nostatus", "would not switch the target's supply on"),
        ("pwr get", "UM2269"),  # the default
        ("eventsrc d7 fal", "'eventsrc d7' needs LPM01A firmware 1.0.6"),
    ],
)
def test_each_refusal_gets_its_own_hint(command: str, hint: str) -> None:
    assert hint in commands.fix_hint(command)


def test_refuse_is_for_instruments_with_text_commands(sessions: Path) -> None:
    from tinyjoule.errors import ConfigurationError
    from tinyjoule.host.instruments.registry import parse_monitor
    from tinyjoule.host.sim.config import MonitorFault, parse_sim_url

    fault = parse_sim_url("sim://?monitor_fault=refuse:pwr+on").monitor_fault
    assert fault == MonitorFault("refuse", command="pwr on")
    request = RunRequest(
        mode="energy",
        workloads=("kws01",),
        bench=simulated_bench(monitor_fault="refuse:pwr on"),
        monitor=parse_monitor("sim:ppk2"),
        sessions_root=sessions,
    )
    with pytest.raises(ConfigurationError, match="cannot simulate a 'refuse' fault"):
        run(request)
