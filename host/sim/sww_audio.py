"""The simulated interface board's SD card and audio player for the streaming wake word.

The card holds the synthetic clips of ``tinyml_workloads.sww_clips.synthetic_clip_lists``
(the same seeded lists the runner writes for a simulated run): their wake words are exactly
at the windows those lists give. A wav that is not on the card cannot be played, as on the
real board. Playing sends the clip to the DUT's I2S input from now until its end (or until
``play_limit_s``, a fault: a card whose file is shorter than its list says) and tells the
board when it has ended. Names compare without case, as on the card's FAT file system.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tinyjoule.host.sim.sww_dut import SimulatedSwwDut
from tinyjoule.host.sim.timeline import Scheduler
from tinyjoule.tinyml_workloads.sww_clips import Clip, synthetic_clip_lists


@dataclass(frozen=True, slots=True)
class Playback:
    """One ``play`` as the simulator ran it: the truth tests compare against."""

    wav: str
    start_s: float
    end_s: float


def card_clips() -> dict[str, Clip]:
    """The simulated SD card: file name -> clip."""
    return {c.wav_file: c for clips in synthetic_clip_lists().values() for c in clips}


class SimulatedAudioPlayer:
    """``interface_audio_device.AudioPlayer`` on the bench's scheduler."""

    def __init__(self, scheduler: Scheduler, play_limit_s: float | None = None) -> None:
        self.scheduler = scheduler
        self.clips = card_clips()
        self.play_limit_s = play_limit_s
        self.dut: SimulatedSwwDut | None = None
        self.playbacks: list[Playback] = []

    def files(self) -> tuple[str, ...]:
        return tuple(sorted(self.clips))

    def play(self, wav: str, on_end: Callable[[], None]) -> bool:
        found = {name.casefold(): clip for name, clip in self.clips.items()}.get(wav.casefold())
        if found is None:
            return False
        start = self.scheduler.now_s
        length = found.length_s
        if self.play_limit_s is not None:
            length = min(length, self.play_limit_s)
        end = start + length
        self.playbacks.append(Playback(found.wav_file, start, end))
        if self.dut is not None:
            self.dut.play_audio(found, start, end)
        self.scheduler.at(end, on_end)
        return True
