"""The simulated streaming wake word DUT: the SWW firmware, frames on a fixed period, its pins.

Once ``start`` has been received, every 512-sample I2S chunk the interface board plays (32 ms
at 16 kHz, the reference firmware's window stride) is processed as it completes: feature
extraction plus one inference of the stand-in streaming model, whose time follows from its
MACs on the board profile (``sim.dut.inference_latency_s``) plus ``FEATURE_CYCLES``. While
processing, the board draws its active current and holds its PROCESSING pin high; the
interface board captures both edges. The DUT marks the start of audio on its wake-word pin
after its first frame (the sync mark the scoring subtracts), and then detects each wake word
of the clip (known from the simulated SD card) 0.1-0.5 s after the word ends, at a frame
boundary, except the ``misses`` it is told to miss; it also raises ``false_alarms`` false
alarms in the quiet between words (one per gap at most, each echoed 0.4 s later, which the
scoring's 1 s debounce counts once). Choices are seeded by the profile's seed and the wav.
Timestamp pulses last 1 µs. Audio is processed when it is played (the board blocks while it
plays, so nothing can interrupt it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tinyjoule.firmware_protocol.dut_messages import simulator_vendor
from tinyjoule.firmware_protocol.sww_device import SwwFirmware, SwwFirmwareConfig
from tinyjoule.host.sim.board_profile import BoardProfile
from tinyjoule.host.sim.board_supply import BoardSupply
from tinyjoule.host.sim.config import SwwOptions
from tinyjoule.host.sim.dut import inference_latency_s
from tinyjoule.host.sim.power import PinRecorder
from tinyjoule.tinyml_workloads.model_info import ModelInfo
from tinyjoule.tinyml_workloads.sww_clips import Clip

FRAME_SAMPLES = 512
FEATURE_CYCLES = 120_000
"""Cycles per frame for the log-mel features (a 1024-point FFT and 40 mel bins): tinyjoule's
estimate, 1 ms on the 120 MHz reference board."""
TIMESTAMP_PULSE_S = 1e-6
DETECTION_DELAY_S = (0.1, 0.5)
ECHO_S = 0.4
QUIET_AFTER_WORD_S = 2.6  # false alarms stay clear of the scoring's t1 + 2 s
QUIET_BEFORE_WORD_S = 0.6


class SimulatedSwwDut(BoardSupply):
    """A board running the SWW firmware; the bench wires ``board`` (the interface board's
    pin captures) and plays audio with ``play_audio``."""

    def __init__(
        self,
        *,
        model_info: ModelInfo,
        profile: BoardProfile,
        baud: int,
        transmit: Callable[[bytes, float], float],
        options: SwwOptions,
    ) -> None:
        super().__init__(profile, baud, transmit)
        self.options = options
        self.processing_s = inference_latency_s(model_info, profile) + (
            FEATURE_CYCLES / profile.clock_hz
        )
        self.intended_pin = PinRecorder()  # every pulse the firmware made, wired or not
        self.pin_faults: dict[int, str] = {}
        self.pulses = 0
        self.board = None  # the interface board's InterfaceAudio, wired by the bench
        self.listening = False
        self._frames = 0  # frames processed since start
        self._activations: list[int] = []
        self.detections_s: list[float] = []  # when the wake-word pin fell (truth)
        self.frames_total = 0
        self.firmware = SwwFirmware(
            SwwFirmwareConfig(vendor=simulator_vendor(profile.vendor)), self
        )

    # -- driving the board ------------------------------------------------------------------
    def boot(self, at_s: float) -> None:
        self.time_s = max(self.time_s, at_s)
        self.power.set_current(self.time_s, self.profile.idle_current_a)
        self.listening = False
        self.firmware.boot()

    def receive(self, data: bytes, arrival_s: float) -> None:
        self._draw(arrival_s - len(data) * self.byte_time_s(), arrival_s, "uart")
        self.time_s = max(self.time_s, arrival_s)
        self.firmware.receive(data)

    # -- SwwHooks -----------------------------------------------------------------------------
    def pulse_timestamp(self) -> None:
        self.pulses += 1
        fault = self.pin_faults.get(self.pulses)
        self.intended_pin.pulse(self.time_s, TIMESTAMP_PULSE_S)
        if fault != "skip":
            self.pin.pulse(self.time_s, TIMESTAMP_PULSE_S)
        self._draw(self.time_s, self.time_s + TIMESTAMP_PULSE_S, "active")
        self.time_s += TIMESTAMP_PULSE_S
        if fault == "double":  # a glitch: a second pulse right after
            self.pin.pulse(self.time_s + TIMESTAMP_PULSE_S, TIMESTAMP_PULSE_S)
            self._draw(self.time_s + TIMESTAMP_PULSE_S, self.time_s + 2 * TIMESTAMP_PULSE_S,
                       "active")  # fmt: skip
            self.time_s += 2 * TIMESTAMP_PULSE_S

    def start_listening(self) -> None:
        self.listening = True
        self._frames = 0
        self._activations = []

    def stop_listening(self) -> tuple[int, ...]:
        self.listening = False
        return tuple(self._activations)

    # -- audio ----------------------------------------------------------------------------------
    def play_audio(self, clip: Clip, start_s: float, end_s: float) -> None:
        """I2S audio of ``clip`` arrives from ``start_s`` until ``end_s``."""
        if not self.listening:
            return
        period = FRAME_SAMPLES / clip.sample_rate
        count = int((end_s - start_s) / period + 1e-9)
        if count <= 0:
            return
        ends = start_s + period * np.arange(1, count + 1)
        done = np.empty(count)
        board, busy_until = self.board, self.time_s
        for k in range(count):
            begin = max(float(ends[k]), busy_until)  # a frame waits for the one before
            busy_until = begin + self.processing_s
            done[k] = busy_until
            self._draw(begin, busy_until, "active")
            if board is not None:
                board.processing_edge(begin, True)
                board.processing_edge(busy_until, False)
        self.time_s = busy_until
        self.frames_total += count
        self._detect(clip, start_s, done)
        self._frames += count

    def _detect(self, clip: Clip, start_s: float, done: np.ndarray) -> None:
        """The sync mark, the wake words heard and the false alarms, in time order."""
        rng = np.random.default_rng([self.profile.seed, sum(clip.wav_file.encode())])
        n = len(clip.windows)
        missed = set(rng.choice(n, size=min(self.options.misses, n), replace=False).tolist())
        wanted: list[tuple[float, bool]] = []  # (clip time, counts as an activation)
        for i, (_, t1) in enumerate(clip.windows):
            delay = float(rng.uniform(*DETECTION_DELAY_S))
            if i not in missed:
                wanted.append((t1 + delay, True))
        for t in self._false_alarm_times(clip, rng):
            wanted += [(t, True), (t + ECHO_S, True)]
        frames = [0]  # the sync mark: after the first frame
        for t, _ in sorted(wanted):
            k = int(np.searchsorted(done, start_s + t))
            if k < len(done):
                frames.append(k)
        for number, k in enumerate(frames):
            when = float(done[k])
            self.detections_s.append(when)
            if number:
                self._activations.append(self._frames + k)
            if self.board is not None and not self.options.unwired:
                self.board.detection_edge(when)

    def _false_alarm_times(self, clip: Clip, rng: np.random.Generator) -> list[float]:
        edges = [0.5, *(t for w in clip.windows for t in w), clip.length_s]
        gaps = []
        for i in range(0, len(edges) - 1, 2):
            lo = edges[i] + (QUIET_AFTER_WORD_S if i else 0.0)
            hi = edges[i + 1] - (QUIET_BEFORE_WORD_S if i + 1 < len(edges) - 1 else 1.0)
            if hi - lo >= 1.0:
                gaps.append((lo, hi - ECHO_S))
        take = min(self.options.false_alarms, len(gaps))
        chosen = sorted(rng.choice(len(gaps), size=take, replace=False).tolist()) if take else []
        return [float(rng.uniform(*gaps[g])) for g in chosen]
