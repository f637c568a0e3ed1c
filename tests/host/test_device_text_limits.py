"""Device text stays small wherever it goes: a 10 MB DUT line ending in m-ready, on the
simulated bench through the real serial path, leaves small session files and a prompt CLI;
the transcript keeps each line's head and tail."""

from __future__ import annotations

import json
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tinyjoule.device_text import cut_marker
from tinyjoule.host.cli.app import app
from tinyjoule.host.transcript import LineCappedRecorder

TEN_MB = 10 * 1024 * 1024
# ad01 on its own UART: name, profile, db load, 68 db chunks, then the first infer
BEFORE_FIRST_INFER = 71


def test_a_10_mb_line_ending_in_m_ready_leaves_small_files(tmp_path: Path) -> None:
    sessions = tmp_path / "sessions"
    bench = f"sim://?io=none&fault=longline@{BEFORE_FIRST_INFER}:{TEN_MB}"
    start = time.monotonic()
    result = CliRunner().invoke(
        app,
        ["run", "--mode", "performance", "-w", "ad01", "--bench", bench, "--sessions", sessions],
    )
    assert time.monotonic() - start < 60  # the old code printed 10 MB for minutes
    assert result.exit_code == 1
    said = " ".join(result.output.split())  # as one line, however the console wrapped it
    assert "no 'm-ready' for command 'infer" in said and "bytes cut ...]" in said
    assert "no MLPerf Tiny firmware prints" in said
    assert "m-ready');" in result.output.replace("\n", "")  # the end of the line is kept
    assert len(result.output) < 4000
    (folder,) = [p for p in sessions.iterdir() if p.is_dir()]
    results = json.loads((folder / "ad01" / "results.json").read_text())
    assert results["complete"] is False and "bytes cut ...]" in results["error"]
    for name in ("summary.json", "ad01/results.json", "ad01/log.txt"):
        assert (folder / name).stat().st_size < 8_000, name
    transcript = (folder / "ad01" / "transcript.log").read_text()
    assert "bytes of an over-long line not recorded" in transcript
    assert len(transcript) < 200_000  # every command and reply, the long line's 8 kB only


class _Transcript:
    def __init__(self) -> None:
        self.received = bytearray()
        self.notes: list[str] = []

    def record(self, device: str, direction: str, data: bytes) -> None:
        self.received += data

    def note(self, text: str) -> None:
        self.notes.append(text)
        self.received += b"<note>"


LIMIT = 64


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(0, 6 * LIMIT), max_size=10),
    st.integers(0, 6 * LIMIT),
    st.lists(st.integers(0, 5000), max_size=30),
)
def test_the_transcript_keeps_each_line_or_its_head_and_tail(
    lengths: list[int], unterminated: int, cuts: list[int]
) -> None:
    lines = [bytes(65 + (i + n) % 26 for i in range(n)) for n in lengths]
    tail = b"z" * unterminated
    stream = b"".join(line + b"\n" for line in lines) + tail
    transcript = _Transcript()
    recorder = LineCappedRecorder(transcript, "DUT", LIMIT)  # type: ignore[arg-type]
    points = sorted({min(c, len(stream)) for c in cuts})
    for a, b in zip([0, *points], [*points, len(stream)], strict=True):
        recorder.record(stream[a:b])
    recorder.flush()

    def kept(line: bytes, end: bytes) -> bytes:
        whole = line + end
        if len(whole) <= LIMIT:
            return whole
        return whole[: LIMIT // 2] + b"<note>" + whole[-(LIMIT - LIMIT // 2) :]

    assert bytes(transcript.received) == b"".join(kept(x, b"\n") for x in lines) + kept(tail, b"")
    assert all(cut_marker(0)[:4] not in n and "not recorded" in n for n in transcript.notes)
