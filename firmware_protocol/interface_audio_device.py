"""Device side of the H573 interface board's audio commands, for the simulator (spec 3.2).

The board plays a wav from its SD card to the DUT over I2S (``play``, which blocks until
playback ends) and watches two DUT pins: WW_DET (D2, falling edges, recorded in ms with a
10 ms debounce, at most 10,000) and PROCESSING (D3, both edges in 10 µs ticks, the first 100
frames only). ``record_detections`` zeroes TIM2 and clears both stores; nothing is recorded
before it. ``InterfaceAudio`` answers ``ls``, ``play``, ``record_detections``,
``print_detections`` and ``print_dutycycle`` for ``io_manager_device.IoManagerFirmware``
through ``BoardReplies``; the pins and the player are the simulator's (``AudioPlayer``).
The wording of ``play``'s success and error lines is tinyjoule's (the host only looks for a
line ending in ``succeeded.``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .interface_audio_codec import (
    DETECTIONS_HEADER,
    DUTY_START_HEADER,
    DUTY_STOP_HEADER,
    PLAY_ATTEMPT,
    PLAY_SUCCESS,
    RECORDING_LINE,
    format_duty_values,
)

__all__ = ["AUDIO_COMMANDS", "AudioPlayer", "BoardReplies", "InterfaceAudio"]

AUDIO_COMMANDS = ("ls", "play", "record_detections", "print_detections", "print_dutycycle")
DEBOUNCE_S = 0.010
MAX_DETECTIONS = 10_000
MAX_FRAMES = 100
TICK_S = 1e-5


class AudioPlayer(Protocol):
    def files(self) -> tuple[str, ...]:
        """The SD card's files."""

    def play(self, wav: str, on_end: Callable[[], None]) -> bool:
        """Start playing ``wav`` now and call ``on_end`` when it has played; False (and no
        call) when the file cannot be opened."""


class BoardReplies(Protocol):
    def emit_lines(self, *lines: bytes) -> None:
        """Lines to the host."""

    def end_command(self) -> None:
        """``m-ready``; the board reads its next command."""


class InterfaceAudio:
    """The board's player, SD card and the two pin captures, on the time ``now_s`` gives."""

    def __init__(self, player: AudioPlayer, now_s: Callable[[], float]) -> None:
        self.player = player
        self.now_s = now_s
        self.recording = False
        self._t0 = 0.0
        self.detections_ms: list[int] = []
        self._last_detection_s: float | None = None
        self.starts_ticks: list[int] = []
        self.stops_ticks: list[int] = []

    # -- the pins (called by the simulator at the edge's time) -----------------------------
    def detection_edge(self, time_s: float) -> None:
        """A falling edge on WW_DET."""
        if not self.recording or len(self.detections_ms) >= MAX_DETECTIONS:
            return
        last = self._last_detection_s
        if last is not None and time_s - last < DEBOUNCE_S:
            return
        self._last_detection_s = time_s
        self.detections_ms.append(self._ticks(time_s) // 100)

    def processing_edge(self, time_s: float, rising: bool) -> None:
        """An edge on PROCESSING (high while the DUT works on a frame)."""
        if not self.recording:
            return
        if rising and len(self.starts_ticks) < MAX_FRAMES:
            self.starts_ticks.append(self._ticks(time_s))
        elif not rising and len(self.stops_ticks) < len(self.starts_ticks):
            self.stops_ticks.append(self._ticks(time_s))

    def _ticks(self, time_s: float) -> int:
        return int((time_s - self._t0) / TICK_S + 1e-6)

    # -- commands ----------------------------------------------------------------------------
    def command(self, name: str, args: str, board: BoardReplies) -> None:
        if name == "ls":
            board.emit_lines(*(f.encode() for f in self.player.files()))
        elif name == "play":
            self._play(args, board)
            return
        elif name == "record_detections":
            self._t0 = self.now_s()
            self.recording = True
            self.detections_ms.clear()
            self._last_detection_s = None
            self.starts_ticks.clear()
            self.stops_ticks.clear()
            board.emit_lines(RECORDING_LINE.encode())
        elif name == "print_detections":
            lines = [DETECTIONS_HEADER] + [f"{ms}," for ms in self.detections_ms]
            board.emit_lines(*(line.encode() for line in lines))
        elif name == "print_dutycycle":
            lines = [DUTY_START_HEADER, *format_duty_values(self.starts_ticks)]
            lines += [DUTY_STOP_HEADER, *format_duty_values(self.stops_ticks)]
            board.emit_lines(*(line.encode() for line in lines))
        else:
            raise ValueError(f"InterfaceAudio: {name!r} is not an audio command")
        board.end_command()

    def _play(self, wav: str, board: BoardReplies) -> None:
        wav = wav.strip()
        board.emit_lines(f"{PLAY_ATTEMPT}{wav}".encode())

        def finished() -> None:
            board.emit_lines(f"Play {wav} {PLAY_SUCCESS}".encode())
            board.end_command()

        if not wav or not self.player.play(wav, finished):
            board.emit_lines(f"Error: could not open {wav or '(no file name)'}".encode())
            board.end_command()
