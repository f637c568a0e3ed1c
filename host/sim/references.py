"""The simulator's reference loads: precision resistors a calibration connects to the
simulated monitor's output instead of the board, as a person would on a real bench.

``tinyjoule calibrate --monitor sim:KIND`` with no references given uses the built-in set
(``BUILTIN``: the open output and four 0.01 % resistors spanning 0.18 to 26 mA at 1.8 V);
references given with ``--load`` are simulated as given. Each resistor's true value lies
within its stated tolerance, drawn once from the monitor's seed (uniformly for a tolerance,
normally for a certificate's uncertainty), so the calibration meets the same doubt as with
real parts; a current reference is a resistor drawing that current within its uncertainty.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np

from tinyjoule.calibration.references import Reference, parse_reference

BUILTIN = ("open", "10kohm±0.01%", "1kohm±0.01%", "180ohm±0.01%", "68ohm±0.01%")


class SimulatedReferences:
    """Reference loads on a simulated bench (``host.calibrate.fixtures.ReferenceFixture``)."""

    simulated = True

    def __init__(self, bench: Any, seed: int) -> None:
        self.bench = bench
        self.seed = seed
        self.connected: Reference | None = None
        self.true_values: dict[str, float] = {}

    def builtin(self) -> list[Reference]:
        return [parse_reference(text) for text in BUILTIN]

    def true_ohms(self, reference: Reference, voltage_v: float) -> float | None:
        """The simulated part's true resistance (None for the open output)."""
        if reference.kind == "open":
            return None
        nominal = reference.value if reference.kind == "resistor" else voltage_v / reference.value
        salt = zlib.crc32(reference.text.encode())
        rng = np.random.default_rng([self.seed, 7, salt])
        if reference.distribution == "normal":
            deviation = rng.normal(0.0, reference.relative_u)
        else:
            bound = reference.relative_u * math.sqrt(3.0)
            deviation = rng.uniform(-bound, bound)
        # a resistor's deviation is in ohms; a current's in amperes (so the ohms inversely)
        if reference.kind == "resistor":
            return nominal * (1.0 + deviation)
        return nominal / (1.0 + deviation)

    def connect(self, reference: Reference | None, voltage_v: float) -> None:
        """Connect ``reference`` (None: the board again)."""
        if reference is None:
            self.bench.connect_load(None, connected=False)
        else:
            ohms = self.true_ohms(reference, voltage_v)
            if ohms is not None:
                self.true_values[reference.text] = ohms
            self.bench.connect_load(ohms)
        self.connected = reference
