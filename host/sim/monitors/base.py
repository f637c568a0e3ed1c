"""What a simulated monitor provides to the bench that hosts it (``sim.monitor_attachment``).

A simulator named in a monitor kind's facts (``facts.simulator = "module:Class"``) is built
with ``Class.for_bench(bench)`` and measures ``bench.front_end`` (the board's supply current
and timestamp pin). A serial instrument (``serial = True``) then takes host bytes with
``receive(data, now_s)`` and gives its own with ``output(until_s, max_bytes)``, says whether
it powers the target (``target_powered``) and how many samples it streamed
(``samples_streamed``), and what an earlier run left it doing (``stale_start``: the bytes
that started a stream). ``apply_fault`` injects stream faults (``sim.config.MonitorFault``).
``SerialMonitorDevice`` gives the shared parts; a third party's simulator may use it too.
A device that renders instrument errors (``sim.instrument_errors``: gain, offset, time base)
says so with ``simulates_errors = True``; the bench refuses errors for one that does not.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.sim.instrument_errors import NO_ERRORS, InstrumentErrors

NOISE_TABLE = 1 << 16
"""Unit-rms Gaussian values a device draws its noise from (zero mean, seeded)."""


class SerialMonitorDevice(ABC):
    """Shared parts of a simulated serial monitor: construction from a bench and faults."""

    serial = True
    stale_start = b""
    simulates_errors = False
    errors: InstrumentErrors = NO_ERRORS

    def __init__(self, front_end: Any, *, noise_a: float = 0.0, seed: int = 0) -> None:
        self.front_end = front_end
        self.set_noise(noise_a, seed)

    def set_noise(self, noise_a: float, seed: int) -> None:
        """Noise of ``noise_a`` A rms from a table drawn with ``seed``."""
        self.noise_a = noise_a
        self.seed = seed
        self._noise_rng = np.random.default_rng([seed, 1])
        table = self._noise_rng.standard_normal(NOISE_TABLE)
        table -= table.mean()
        self._noise_table = table / table.std()

    def add_noise(self, values: np.ndarray) -> None:
        """Add seeded Gaussian noise of ``noise_a`` A rms to ``values`` in place.

        Drawing normal values costs more than everything else the simulator does per sample,
        so they come from a table of ``NOISE_TABLE`` drawn once, read from a random offset
        for every run of samples: each value is normal, successive runs differ, and the
        table's zero mean adds no offset."""
        if not self.noise_a:
            return
        pos, n = 0, len(values)
        while pos < n:
            offset = int(self._noise_rng.integers(NOISE_TABLE))
            take = min(n - pos, NOISE_TABLE - offset)
            values[pos : pos + take] += self.noise_a * self._noise_table[offset : offset + take]
            pos += take

    @classmethod
    def for_bench(cls, bench: Any) -> Any:
        profile = bench.config.profile
        return cls(bench.front_end, noise_a=profile.current_noise_a, seed=profile.seed)

    @abstractmethod
    def inject_drop(self, after_samples: int, count: int) -> None:
        """Withhold ``count`` samples after ``after_samples``, as a lossy link does."""

    @abstractmethod
    def inject_overrun(self, after_samples: int) -> None:
        """Overrun the device buffer after ``after_samples`` samples."""

    def inject_refusal(self, command: str) -> None:
        """Answer every command that starts with ``command`` with an error. Optional for a
        simulator (instruments with text commands)."""
        raise ConfigurationError(
            f"simulated {type(self).__name__}: cannot simulate a 'refuse' fault (it has no text "
            "commands to refuse); use overrun, drop, stale, silent or unplug"
        )

    def inject_stop(self, after_samples: int) -> None:
        """Hang after ``after_samples`` samples: nothing more is sent, commands are ignored.
        Optional for a simulator (the built-in ones have it)."""
        raise ConfigurationError(
            f"simulated {type(self).__name__}: cannot simulate a 'stop' fault; use overrun, "
            "drop, stale, silent or unplug"
        )

    def apply_fault(self, fault: Any) -> None:
        if fault.kind == "overrun":
            self.inject_overrun(fault.after_samples)
        elif fault.kind == "drop":
            self.inject_drop(fault.after_samples, fault.count)
        elif fault.kind == "stop":
            self.inject_stop(fault.after_samples)
        elif fault.kind == "refuse":
            self.inject_refusal(fault.command)
        else:
            raise ConfigurationError(
                f"simulated {type(self).__name__}: cannot simulate a {fault.kind!r} fault; "
                "use overrun, drop, stop, stale, silent or unplug"
            )
