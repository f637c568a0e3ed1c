"""DUT faults get the right diagnosis, on the simulated bench through the real serial path:
a reply after the timeout is reported (not taken for the retry's), and a board that resets
when its port opens is waited for, as a person would."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tinyjoule.errors import LateReply, ProtocolError
from tinyjoule.host.bench.spec import BenchSpec
from tinyjoule.host.cli.app import app
from tinyjoule.host.runner.request import RunRequest
from tinyjoule.host.runner.run import run


def _run(sessions: Path, bench: str, **options) -> dict:
    request = RunRequest(
        mode="performance",
        workloads=("ad01",),
        bench=BenchSpec(bench_url=bench, **options),
        sessions_root=sessions,
    )
    return run(request)


def _folder(sessions: Path) -> Path:
    (folder,) = [p for p in sessions.iterdir() if p.is_dir()]
    return folder / "ad01"


@pytest.mark.parametrize("io", ["none", "h573"])
def test_a_reply_after_the_timeout_is_reported_not_taken_for_the_retry(sessions, io) -> None:
    # 'name' is answered 5.5 s after it was sent; the reply timeout is 5 s
    with pytest.raises(LateReply) as caught:
        _run(sessions, f"sim://?io={io}&fault=late@0:5.5")
    text = str(caught.value)
    assert "the DUT answered 'name' after 5.5 s, later than its 5 s timeout" in text
    assert "m-name-dut-[" in text
    suggested = re.search(
        r"raise the timeout: --reply-timeout (\d+), or reply_timeout_s = (\d+) ", text
    )
    assert suggested and suggested[1] == suggested[2] and 11 <= int(suggested[1]) <= 12
    folder = _folder(sessions)
    assert (
        "answered 'name' after 5.5 s" in json.loads((folder / "results.json").read_text())["error"]
    )
    transcript = (folder / "transcript.log").read_text()
    assert transcript.count("name%") == 1  # no retry whose answer the late reply would be


def test_a_raised_reply_timeout_waits_for_the_slow_dut(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--mode",
            "performance",
            "-w",
            "ad01",
            "--bench",
            "sim://?io=none&fault=late@0:5.5",
            "--reply-timeout",
            "11",
            "--sessions",
            str(tmp_path / "s"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["workloads"][0]["complete"]


def test_the_board_file_raises_the_reply_timeout(sessions, tmp_path: Path) -> None:
    from tinyjoule.host.bench.board_file import load_board_file

    board = tmp_path / "board.toml"
    board.write_text(
        '[dut]\nreply_timeout_s = 11\n[bench]\nurl = "sim://?io=none&fault=late@0:5.5"\n'
    )
    spec = load_board_file(board)
    assert spec.dut_reply_timeout_s == 11.0
    request = RunRequest(
        mode="performance", workloads=("ad01",), bench=spec, sessions_root=sessions
    )
    assert run(request)["workloads"][0]["complete"]


def test_an_infer_answered_after_its_window_timeout_is_reported(sessions) -> None:
    # ad01 on its own UART: name, profile, db load, 68 db chunks, then the first infer,
    # whose timeout is 120 s; the DUT starts it 125 s late
    with pytest.raises(LateReply, match=r"answered 'infer 1500 10' after 13\d\.\d s.*--iterations"):
        _run(sessions, "sim://?io=none&fault=late@71:125")


def test_a_reply_timeout_must_be_positive(tmp_path: Path) -> None:
    from tinyjoule.errors import ConfigurationError
    from tinyjoule.host.bench.board_file import load_board_file

    board = tmp_path / "board.toml"
    board.write_text('[dut]\nport = "/dev/ttyACM0"\nreply_timeout_s = 0\n')
    with pytest.raises(ConfigurationError, match="reply_timeout_s = 0 must be a positive number"):
        load_board_file(board)
    with pytest.raises(ConfigurationError, match="--reply-timeout"):
        BenchSpec(dut_url="/dev/ttyACM0", dut_reply_timeout_s=-1)


@pytest.mark.parametrize("delay_s", [0.1, 3.0, 7.0])
def test_a_board_that_resets_when_its_port_opens_is_waited_for(sessions, delay_s) -> None:
    # its boot banner comes delay_s after the port opens; 'name' sent before is lost
    summary = _run(sessions, f"sim://?io=none&fault=banner_on_open:{delay_s}")
    assert summary["workloads"][0]["complete"]
    folder = _folder(sessions)
    log = (folder / "log.txt").read_text()
    assert f"the DUT booted while 'name' was outstanding, {delay_s:.1f} s after its port" in log
    transcript = (folder / "transcript.log").read_text()
    assert transcript.count("> name%") == 2 and "m-init-done" in transcript


def test_a_reboot_during_the_handshake_is_a_boot_but_later_a_fault(sessions) -> None:
    # rebooting at the first 'name' is what a board that has just booted looks like ...
    summary = _run(sessions, "sim://?io=none&fault=reset@0")
    assert summary["workloads"][0]["complete"]
    # ... at the first infer (after name, profile, db load, 68 db chunks) it loses the run
    with pytest.raises(ProtocolError, match="rebooted while running 'infer 1500 10'"):
        _run(sessions, "sim://?io=none&fault=reset@71")


def test_the_dut_faults_in_a_sim_url(sessions) -> None:
    from tinyjoule.errors import ConfigurationError
    from tinyjoule.host.sim.config import SimFault, parse_sim_url

    assert parse_sim_url("sim://?fault=late@3:5.5").fault == SimFault("late", 3, 5.5)
    assert parse_sim_url("sim://?fault=longline@0:4096").fault == SimFault("longline", 0, 4096)
    assert parse_sim_url("sim://?fault=banner_on_open:2").fault == SimFault("banner_on_open", 0, 2)
    for bad in ("late@3", "longline@0:3", "banner_on_open", "late@1:x", "reset@2:1"):
        with pytest.raises(ConfigurationError, match="fault="):
            parse_sim_url(f"sim://?fault={bad}")
    with pytest.raises(ConfigurationError, match="needs io=none"):
        _run(sessions, "sim://?io=h573&fault=banner_on_open:1")
