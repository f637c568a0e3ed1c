"""Finding monitor drivers by kind: a built-in table plus the ``tinyjoule.monitors`` entry
points, so a third-party package adds an instrument without touching tinyjoule.

An entry point names the driver class (``toy = "toy_monitor.driver:ToyMonitor"``); the class
carries its facts (``instruments.facts``). ``--monitor KIND[:PORT]`` is parsed here:
``lpm01a:/dev/ttyACM0`` for a real LPM01A, ``ppk2`` (found by USB id) for a PPK2, ``js220`` or
``js220:SERIAL`` for a Joulescope, and ``sim:KIND`` for any kind with a simulator. A simulated
monitor takes its instrument errors as query options (``SIMULATED_MONITOR_OPTIONS``):
``sim:lpm01a?gain=1.03&offset_ua=5&timebase_ppm=200&noise_ua=2&seed=1``.
"""

from __future__ import annotations

import importlib
import math
import urllib.parse
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from tinyjoule.errors import ConfigurationError

if TYPE_CHECKING:
    from tinyjoule.host.instruments.base import EnergyMonitor
    from tinyjoule.host.instruments.facts import MonitorFacts

ENTRY_POINT_GROUP = "tinyjoule.monitors"
BUILTIN_DRIVERS: dict[str, str] = {
    "lpm01a": "tinyjoule.host.instruments.lpm01a:Lpm01a",
    "ppk2": "tinyjoule.host.instruments.ppk2:Ppk2",
    "js220": "tinyjoule.host.instruments.joulescope:Js220",
    "js110": "tinyjoule.host.instruments.joulescope:Js110",
}


SIMULATED_MONITOR_OPTIONS: dict[str, str] = {
    "gain": "the reading is gain x the true current (1.03: reads 3 % high)",
    "offset_ua": "an offset current added to every reading, in µA",
    "timebase_ppm": "the sample clock runs this many ppm fast (negative: slow)",
    "noise_ua": "Gaussian reading noise, µA rms (default: the board profile's)",
    "seed": "the seed of the noise and of the simulated references' true values",
}
"""Instrument errors a simulated monitor takes in its URL, with what each means."""


@dataclass(frozen=True, slots=True)
class MonitorChoice:
    kind: str
    port: str | None
    simulated: bool
    options: tuple[tuple[str, float], ...] = ()
    """A simulated monitor's instrument errors (``SIMULATED_MONITOR_OPTIONS``), as given."""

    @property
    def label(self) -> str:
        if not self.simulated:
            return f"{self.kind}:{self.port}"
        query = urllib.parse.urlencode([(k, f"{v:g}") for k, v in self.options])
        return f"sim:{self.kind}" + (f"?{query}" if query else "")


def monitor_kinds() -> dict[str, str]:
    """Every known kind -> ``"module:Class"`` (built-ins win over entry points)."""
    kinds = dict(BUILTIN_DRIVERS)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        kinds.setdefault(ep.name, ep.value)
    return kinds


def load_object(target: str, what: str) -> object:
    """The object at ``"module:attr"``; a missing package is named."""
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(
            f"{what} needs a package that is not installed ({exc.name}); install it"
        ) from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ConfigurationError(f"{what}: {module_name} has no {attr!r}") from None


def monitor_class(kind: str) -> type[EnergyMonitor]:
    """The driver class of ``kind``."""
    target = monitor_kinds().get(kind)
    if target is None:
        raise ConfigurationError(
            f"no driver for monitor {kind!r}; known: {', '.join(sorted(monitor_kinds()))}"
        )
    cls = load_object(target, f"monitor {kind!r}")
    if getattr(cls, "facts", None) is None:
        raise ConfigurationError(
            f"monitor {kind!r} ({target}) declares no facts; a driver class needs "
            "facts = MonitorFacts(...)"
        )
    return cls  # type: ignore[return-value]


def monitor_facts(kind: str) -> MonitorFacts:
    return monitor_class(kind).facts


def loadable_monitor_classes() -> list[type[EnergyMonitor]]:
    """Every kind's driver class that can be imported here (for listings)."""
    classes = []
    for kind in monitor_kinds():
        try:
            classes.append(monitor_class(kind))
        except ConfigurationError:
            continue
    return classes


def _simulated_options(text: str, query: str) -> tuple[tuple[str, float], ...]:
    """The instrument errors in a ``sim:KIND?...`` query, checked."""
    known = ", ".join(f"{k} ({v})" for k, v in SIMULATED_MONITOR_OPTIONS.items())
    options: dict[str, float] = {}
    for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if key not in SIMULATED_MONITOR_OPTIONS:
            raise ConfigurationError(
                f"--monitor {text}: a simulated monitor has no option {key!r}; it takes {known}"
            )
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or (key == "gain" and number <= 0):
            raise ConfigurationError(
                f"--monitor {text}: {key}={value!r} must be a finite number"
                + (" above 0" if key == "gain" else "")
                + f" ({SIMULATED_MONITOR_OPTIONS[key]})"
            )
        if key in ("noise_ua", "seed") and number < 0:
            raise ConfigurationError(f"--monitor {text}: {key} must not be negative")
        if key == "seed" and number != int(number):
            raise ConfigurationError(f"--monitor {text}: seed must be a whole number")
        options[key] = number
    return tuple(options.items())


def parse_monitor(text: str) -> MonitorChoice:
    kind, _, rest = text.partition(":")
    kind = kind.strip().lower()
    if kind == "sim":
        rest, _, query = rest.partition("?")
        sim_kind = rest.strip().lower() or "lpm01a"
        simulated = [c.facts.kind for c in loadable_monitor_classes() if c.facts.simulator]
        if sim_kind not in simulated:
            raise ConfigurationError(
                f"--monitor {text}: there is no simulated {sim_kind!r}; "
                f"use one of {', '.join('sim:' + k for k in simulated)}"
            )
        return MonitorChoice(sim_kind, None, True, _simulated_options(text, query))
    if kind not in monitor_kinds():
        raise ConfigurationError(
            f"--monitor {text}: unknown monitor {kind!r}; use one of "
            f"{', '.join(sorted(monitor_kinds()))} (as KIND:PORT) or sim:lpm01a"
        )
    omitted = monitor_facts(kind).port_when_omitted
    if not rest and omitted is not None:
        return MonitorChoice(kind, omitted, simulated=False)
    if not rest:
        raise ConfigurationError(
            f"--monitor {text}: say which port, e.g. {kind}:/dev/ttyACM0 "
            "('tinyjoule devices' lists them)"
        )
    return MonitorChoice(kind, rest, simulated=False)
