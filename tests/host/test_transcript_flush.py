"""The transcript reaches the disk within a quarter second of a write, and at every note,
without a system call per line (a killed process loses at most that quarter second)."""

from __future__ import annotations

from pathlib import Path

from tinyjoule.host import transcript as transcript_module
from tinyjoule.host.transcript import Transcript


def test_written_lines_reach_the_file_within_the_flush_interval(tmp_path: Path, monkeypatch):
    now = [100.0]
    monkeypatch.setattr(transcript_module.time, "monotonic", lambda: now[0])
    path = tmp_path / "transcript.log"
    t = Transcript(path)
    t.record("DUT", "<", b"m-ready\r\n")
    assert path.read_text() == ""  # buffered: no flush per line
    now[0] += transcript_module.FLUSH_EVERY_S
    t.record("DUT", "<", b"m-name-dut-[x]\r\n")
    assert path.read_text().count("\n") == 2  # the interval passed: both on disk
    t.record("DUT", ">", b"name%")
    t.note("opened the port")
    assert "opened the port" in path.read_text() and "name%" in path.read_text()
    t.close()
