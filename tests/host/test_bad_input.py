"""Bad input ends in one clear error, within its timeout, and the session keeps what it had."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from tinyjoule.errors import (
    ConfigurationError,
    DeviceConnectionError,
    ProtocolError,
    ResponseTimeout,
)
from tinyjoule.host.bench.dut import open_dut
from tinyjoule.host.bench.spec import BenchSpec
from tinyjoule.host.link import dut_link
from tinyjoule.host.runner.datasets import synthetic_dataset
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run
from tinyjoule.host.sim.config import SimBenchConfig, SimFault
from tinyjoule.host.transcript import Transcript
from tinyjoule.tinyml_workloads.workloads import get_workload


@pytest.fixture
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(dut_link, "COMMAND_TIMEOUT_S", 0.3)
    return 0.3


def _dataset(workload: str) -> Path:
    wl = get_workload(workload)
    return synthetic_dataset(wl, 5, wl.standin_model_path).folder


def _run(sessions: Path, spec: BenchSpec, workload: str = "ad01", mode: str = "performance"):
    request = RunRequest(
        mode=mode,
        workloads=(workload,),
        bench=spec,
        sessions_root=sessions,
        dataset_root=_dataset(workload),
    )
    return run(request)


def _session_results(sessions: Path, workload: str) -> dict:
    (folder,) = [p for p in sessions.iterdir() if p.is_dir()]
    return json.loads((folder / workload / "results.json").read_text())


def test_silent_dut_times_out_naming_device_and_command(sim_url, sessions, short_timeouts) -> None:
    _, url = sim_url(SimBenchConfig(workload_id="ad01", fault=SimFault("silent", 0)))
    start = time.monotonic()
    with pytest.raises(ResponseTimeout, match=r"DUT \(sim://.*\): no 'm-ready' for command 'name'"):
        _run(sessions, BenchSpec(dut_url=url))
    assert time.monotonic() - start < 3 * short_timeouts + 2.0  # three tries, then stop
    data = _session_results(sessions, "ad01")
    assert data["complete"] is False and "no 'm-ready'" in data["error"]


def test_garbage_from_a_wrong_baud_is_named(sim_url, sessions, short_timeouts) -> None:
    _, url = sim_url(SimBenchConfig(workload_id="ad01"))
    spec = BenchSpec(dut_url=url, dut_baud={"performance": 9600})  # firmware talks 921600
    with pytest.raises(ResponseTimeout, match="baud rate is probably wrong"):
        _run(sessions, spec)


def test_device_error_reply_is_reported(sim_url) -> None:
    _, url = sim_url(SimBenchConfig(workload_id="kws01"))
    link = open_dut(BenchSpec(dut_url=url), "performance", get_workload("kws01"), Transcript(None))
    link.handshake("kws01", "performance")
    with pytest.raises(ProtocolError, match=r"'infer 0 1' failed: e-\[Inference iterations must"):
        link.command("infer 0 1")


def test_wrong_timestamp_mode_is_refused(sim_url, sessions) -> None:
    _, url = sim_url(SimBenchConfig(workload_id="ad01", firmware_mode="energy"))
    with pytest.raises(ConfigurationError, match=r"built for energy mode.*EE_CFG_ENERGY_MODE 0"):
        _run(sessions, BenchSpec(dut_url=url, dut_baud={"performance": 9600}))


def test_wrong_model_on_the_dut_is_refused(sim_url, sessions) -> None:
    _, url = sim_url(SimBenchConfig(workload_id="ic01"))
    with pytest.raises(ConfigurationError, match="runs model 'ic01' but workload 'ad01'"):
        _run(sessions, BenchSpec(dut_url=url, dut_baud={"performance": 115200}))


def test_model_that_does_not_fit_the_workload(sessions) -> None:
    ic_model = get_workload("ic01").standin_model_path
    with pytest.raises(ConfigurationError, match=r"ic01_standin\.tflite"):
        run(
            RunRequest(
                mode="performance",
                workloads=("kws01",),
                sessions_root=sessions,
                model_path=ic_model,
            )
        )


def test_dataset_file_of_wrong_size(sessions, tmp_path) -> None:
    wl = get_workload("kws01")
    source = _dataset("kws01")
    folder = tmp_path / "kws01"
    folder.mkdir()
    for item in source.iterdir():
        (folder / item.name).write_bytes(item.read_bytes())
    victim = sorted(folder.glob("*.bin"))[2]
    victim.write_bytes(victim.read_bytes()[:100])
    with pytest.raises(ConfigurationError, match=victim.name):
        run(
            RunRequest(
                mode="performance",
                workloads=(wl.id,),
                sessions_root=sessions,
                dataset_root=folder,
            )
        )


def test_port_that_does_not_exist(sessions) -> None:
    with pytest.raises(DeviceConnectionError, match=r"cannot open /dev/tinyjoule-nope.*devices"):
        _run(sessions, BenchSpec(dut_url="/dev/tinyjoule-nope"))


def test_dut_reset_mid_run_keeps_measured_windows(sim_url, sessions) -> None:
    # handshake (name, profile: the banner told the mode), then per window `db load`, 68 `db`
    # chunks of 38 bytes and `infer`. The first window is run twice (too short at 1500
    # iterations). The reset hits the third window's infer.
    per_window = 1 + 68 + 1
    wl = get_workload("ad01")
    after = 2 + (per_window + 1) + per_window + 69
    _, url = sim_url(SimBenchConfig(workload_id="ad01", fault=SimFault("reset", after)))
    with pytest.raises(ProtocolError, match="rebooted while running 'infer"):
        _run(sessions, BenchSpec(dut_url=url))
    data = _session_results(sessions, wl.id)
    assert data["complete"] is False
    assert len(data["windows"]) == 2


def test_missing_m_ready_over_a_real_pty(sessions, short_timeouts) -> None:
    """A device that answers but never says m-ready, on a real pseudo-terminal."""
    import tty

    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    stop = threading.Event()

    def device() -> None:
        while not stop.is_set():
            try:
                data = os.read(master, 256)
            except OSError:
                return
            if b"%" in data:
                os.write(master, b"m-name-dut-[half]\r\n")

    thread = threading.Thread(target=device, daemon=True)
    thread.start()
    try:
        with pytest.raises(ResponseTimeout, match=r"received after 1 line\(s\), the last 'm-name"):
            _run(sessions, BenchSpec(dut_url=path, dut_baud={"performance": 115200}))
    finally:
        stop.set()
        os.close(slave)
        os.close(master)
