"""Who connects the references: the simulator by itself, or a person at a real bench.

A fixture connects a reference (a resistor, a current source, the open output) to the
monitor's output in place of the board, and the board back afterwards. The simulated
bench's (``host.sim.references.SimulatedReferences``) does it at once; on a real bench
``PromptFixture`` asks the person to do it and waits for Enter (``--yes``: they already
did, e.g. a relay board driven by a script).
"""

from __future__ import annotations

from typing import Protocol

from tinyjoule.calibration.references import Reference


class Ui(Protocol):
    """How a workflow talks to the person running it."""

    def say(self, text: str) -> None: ...

    def confirm(self, text: str) -> None:
        """Show ``text`` and wait until the person is ready (Enter)."""


class ReferenceFixture(Protocol):
    simulated: bool

    def builtin(self) -> list[Reference]:
        """References it has by itself (none on a real bench)."""

    def connect(self, reference: Reference | None, voltage_v: float) -> None:
        """``reference`` on the monitor's output (None: the board again)."""


class PromptFixture:
    """A person connects the references on a real bench."""

    simulated = False

    def __init__(self, ui: Ui, monitor: str, ask: bool = True) -> None:
        self.ui = ui
        self.monitor = monitor
        self.ask = ask

    def builtin(self) -> list[Reference]:
        return []

    def connect(self, reference: Reference | None, voltage_v: float) -> None:
        if reference is None:
            text = f"reconnect the board to the {self.monitor}'s output"
        elif reference.kind == "open":
            text = (
                f"disconnect everything from the {self.monitor}'s output (leave it open: the "
                "zero / offset point)"
            )
        elif reference.kind == "resistor":
            text = (
                f"connect the {reference.label} resistor across the {self.monitor}'s output "
                f"(about {reference.current_a(voltage_v) * 1e3:.4g} mA at {voltage_v:g} V)"
            )
        else:
            text = (
                f"connect the load that draws {reference.label} (measured by your other "
                f"instrument) to the {self.monitor}'s output"
            )
        if self.ask:
            self.ui.confirm(f"{text}, then press Enter")
        else:
            self.ui.say(f"assuming done (--yes): {text}")
