"""The H573 interface board's audio commands, both ends: ls, play (blocking), the detection
and duty-cycle captures, and what the host reads of them (spec 3.2)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.errors import ProtocolError
from tinyjoule.firmware_protocol.dut_codec import LineSplitter
from tinyjoule.firmware_protocol.interface_audio_codec import (
    format_duty_values,
    parse_detections,
    parse_dutycycle,
    play_outcome,
)
from tinyjoule.firmware_protocol.interface_audio_device import (
    MAX_DETECTIONS,
    MAX_FRAMES,
    InterfaceAudio,
)
from tinyjoule.firmware_protocol.io_manager_device import IoManagerFirmware

FAST = settings(max_examples=150, deadline=None)


class Player:
    def __init__(self) -> None:
        self.pending: list[Callable[[], None]] = []

    def files(self) -> tuple[str, ...]:
        return ("a.wav", "long.wav")

    def play(self, wav: str, on_end: Callable[[], None]) -> bool:
        if wav not in self.files():
            return False
        self.pending.append(on_end)
        return True


class Board:
    def __init__(self) -> None:
        self.now = 0.0
        self.player = Player()
        self.audio = InterfaceAudio(self.player, lambda: self.now)
        self.out = bytearray()
        self.to_dut = bytearray()
        self.firmware = IoManagerFirmware(
            "h573", self.out.extend, self.to_dut.extend, audio=self.audio
        )

    def command(self, text: str) -> list[str]:
        self.out.clear()
        self.firmware.receive_from_host(text.encode() + b"%")
        return LineSplitter().feed(bytes(self.out))


def test_play_blocks_the_board_until_playback_ends() -> None:
    board = Board()
    assert board.command("play a.wav") == ["Attempting to play a.wav"]
    board.out.clear()
    board.firmware.receive_from_host(b"name%")  # queued while playing
    assert board.out == b""
    board.player.pending.pop()()
    lines = LineSplitter().feed(bytes(board.out))
    assert lines == ["Play a.wav succeeded.", "m-ready", "tinyML Enhanced Interface Board",
                     "m-ready"]  # fmt: skip
    assert play_outcome(lines[:1], "a.wav").succeeded


def test_a_wav_the_board_cannot_open() -> None:
    board = Board()
    lines = board.command("play missing.wav")
    assert lines[-1] == "m-ready" and "missing.wav" in lines[1]
    outcome = play_outcome(lines[:-1], "missing.wav")
    assert not outcome.succeeded and "could not open missing.wav" in outcome.problem
    assert board.command("ls")[:-1] == ["a.wav", "long.wav"]


def test_detections_are_debounced_capped_and_counted_from_record_detections() -> None:
    board = Board()
    board.audio.detection_edge(0.5)  # before record_detections: not recorded
    board.now = 10.0
    assert board.command("record_detections") == ["Now recording detections", "m-ready"]
    for t in (10.0453, 10.050, 10.0561, 12.0):  # 10.050 is within 10 ms of 10.0453
        board.audio.detection_edge(t)
    lines = board.command("print_detections")
    assert lines == ["Detection Timestamps (ms)", "45,", "56,", "2000,", "m-ready"]
    assert parse_detections(lines[:-1]) == (45, 56, 2000)
    for k in range(MAX_DETECTIONS + 5):
        board.audio.detection_edge(13.0 + 0.02 * k)
    assert len(board.audio.detections_ms) == MAX_DETECTIONS


def test_the_duty_cycle_capture_keeps_the_first_100_frames_in_10_us_ticks() -> None:
    board = Board()
    board.now = 1.0
    board.command("record_detections")
    board.audio.processing_edge(1.001, False)  # a stop before any start: not paired
    for k in range(150):
        board.audio.processing_edge(1.032 * (k + 1), True)
        board.audio.processing_edge(1.032 * (k + 1) + 0.00677, False)
    lines = board.command("print_dutycycle")
    capture = parse_dutycycle(lines[:-1])
    assert len(capture.starts_ticks) == len(capture.stops_ticks) == MAX_FRAMES
    assert capture.starts_ticks[0] == round((1.032 - 1.0) / 1e-5)
    assert lines[0] == "Duty cycle start times (s)"
    assert lines[1].count(",") == 8


@FAST
@given(
    values=st.lists(st.integers(0, 2**32 - 1), max_size=60),
    stops=st.lists(st.integers(0, 2**32 - 1), max_size=60),
    cuts=st.lists(st.integers(0, 2000), max_size=8),
)
def test_dutycycle_round_trip_for_any_split(values, stops, cuts) -> None:
    parts = ["Duty cycle start times (s)", *format_duty_values(values)]
    parts += ["Duty cycle stop times (s)", *format_duty_values(stops), "m-ready", ""]
    text = "\r\n".join(parts).encode()
    splitter, lines, start = LineSplitter(), [], 0
    for cut in sorted(set(cuts)):
        lines += splitter.feed(text[start:cut])
        start = max(start, cut)
    lines += splitter.feed(text[start:])
    capture = parse_dutycycle(lines[:-1])
    assert (capture.starts_ticks, capture.stops_ticks) == (tuple(values), tuple(stops))


@FAST
@given(lines=st.lists(st.text(max_size=12), max_size=6))
def test_garbage_replies_raise_protocol_errors_naming_the_board(lines: list[str]) -> None:
    for parse in (parse_detections, parse_dutycycle):
        try:
            parse(lines)
        except ProtocolError as exc:
            assert "interface board" in str(exc)


def test_truncated_replies() -> None:
    with pytest.raises(ProtocolError, match="print_detections"):
        parse_detections([])
    with pytest.raises(ProtocolError, match="print_dutycycle"):
        parse_dutycycle(["Duty cycle start times (s)", "1, 2, "])
    with pytest.raises(ProtocolError, match="not a whole number"):
        parse_detections(["Detection Timestamps (ms)", "12"[:1] + "x,"])
