"""Session folders: unique when many processes create them in the same second, and none
left behind by a configuration error that stopped a run before anything was measured."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from typer.testing import CliRunner

from tinyjoule.host.cli.app import app
from tinyjoule.host.results.session import Session

PROCESSES, EACH = 8, 25  # 200 sessions, as in the fault matrix


def _create(root: str, barrier, out) -> None:
    barrier.wait(timeout=30)
    out.put([str(Session(Path(root), "energy").folder) for _ in range(EACH)])


def test_two_hundred_sessions_from_eight_processes_at_once(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(PROCESSES), ctx.Queue()
    workers = [ctx.Process(target=_create, args=(str(tmp_path), barrier, out))
               for _ in range(PROCESSES)]  # fmt: skip
    for w in workers:
        w.start()
    made = [folder for _ in workers for folder in out.get(timeout=60)]
    for w in workers:
        w.join(timeout=30)
        assert w.exitcode == 0
    assert len(made) == len(set(made)) == PROCESSES * EACH
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == PROCESSES * EACH


def test_a_configuration_error_before_any_window_leaves_no_session(tmp_path: Path) -> None:
    sessions = tmp_path / "s"
    result = CliRunner().invoke(
        app, ["run", "--dut", "loop://", "-w", "kws01", "--mode", "performance",
              "--sessions", str(sessions)], env={"COLUMNS": "300"},
    )  # fmt: skip
    assert result.exit_code == 1 and "needs the MLPerf Tiny dataset" in result.output
    assert "what was measured is kept" not in result.output
    assert not [p for p in sessions.iterdir() if p.is_dir()]


def test_a_device_error_before_any_window_keeps_the_log_and_says_so(tmp_path: Path) -> None:
    sessions = tmp_path / "s"
    args = ["run", "-w", "ad01", "--mode", "performance", "--sessions", str(sessions),
            "--bench", "sim://?fault=silent@1"]  # fmt: skip
    result = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 1
    assert "nothing was measured; the log and transcript are in" in " ".join(result.output.split())
    (folder,) = [p for p in sessions.iterdir() if p.is_dir()]
    assert (folder / "ad01" / "transcript.log").stat().st_size > 0
