"""What a run that stopped early must leave, checked the same way by the disk-full, signal
and kill tests: strict JSON marked incomplete with the error, a trace that opens, no
``*.tmp``, and (from the transcript) the monitor stopped and the target powered off."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import h5py


def only_session(sessions: Path) -> Path:
    (folder,) = [p for p in sessions.iterdir() if p.is_dir()]
    return folder


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(), parse_constant=_refuse)


def _refuse(name: str) -> None:
    raise ValueError(f"not strict JSON: {name}")


def assert_incomplete(folder: Path, workload: str, error: str) -> tuple[dict, dict]:
    """summary.json and the workload's results.json: valid, incomplete, with ``error``."""
    summary = read_json(folder / "summary.json")
    results = read_json(folder / workload / "results.json")
    assert summary["complete"] is False and error in summary["error"]
    assert results["complete"] is False and error in results["error"]
    assert [w["workload"] for w in summary["workloads"]][-1] == workload
    assert not list(folder.parent.rglob("*.tmp")), list(folder.parent.rglob("*.tmp"))
    return summary, results


def trace_facts(path: Path) -> dict[str, Any]:
    """The trace opened by plain h5py as a user would: samples, windows and attributes."""
    with h5py.File(path, "r") as f:
        samples = f["samples"][()]
        return {
            "samples": len(samples),
            "finite": bool((samples == samples).all()),  # no NaN (never-written chunks)
            "windows": f["windows"][()],
            "attrs": dict(f.attrs),
        }


def assert_trace_holds_windows(path: Path, results: dict) -> dict[str, Any]:
    """The trace opens, says how to read it, and holds every window results.json kept."""
    trace = trace_facts(path)
    assert trace["attrs"]["sample_rate_hz"] > 0 and trace["attrs"]["unit"] in ("A", "J")
    assert not trace["attrs"]["complete"]
    windows = results.get("windows") or []
    assert len(trace["windows"]) >= len(windows)
    if windows:
        assert trace["samples"] >= windows[-1]["end_sample"]
    return trace


MONITOR_SENT = re.compile(r"^\s*[\d.]+ LPM01A \(.*?\) > (.*)\\n$")


def monitor_commands_after_last_infer(transcript: Path) -> list[str]:
    """The LPM01A commands the transcript records after the DUT's last ``infer``."""
    lines = transcript.read_text(encoding="ascii").splitlines()
    last = max(i for i, line in enumerate(lines) if "> dut infer" in line or "> infer" in line)
    sent = [MONITOR_SENT.match(line) for line in lines[last:]]
    return [m.group(1) for m in sent if m]


def assert_monitor_stopped_and_target_off(transcript: Path) -> None:
    commands = monitor_commands_after_last_infer(transcript)
    assert "stop" in commands and "pwr off" in commands, commands
    assert commands.index("pwr off") > commands.index("stop"), commands
