"""Finding a monitor driver by kind: a built-in table plus the ``tinyjoule.monitors`` entry
points, so a third-party package can add an instrument without touching tinyjoule.

``--monitor KIND[:PORT]`` is parsed here: ``lpm01a:/dev/ttyACM0`` for a real LPM01A,
``ppk2:PORT`` or ``ppk2`` (found by USB id) for a PPK2, ``js220`` or ``js220:SERIAL`` for a
Joulescope, and ``sim:lpm01a`` / ``sim:ppk2`` / ``sim:js220`` for the simulated ones.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points

from tinyjoule.errors import ConfigurationError

BUILTIN_DRIVERS: dict[str, str] = {
    "lpm01a": "tinyjoule.host.instruments.lpm01a:Lpm01a",
    "js220": "tinyjoule.host.instruments.joulescope:Js220",
    "js110": "tinyjoule.host.instruments.joulescope:Js110",
    "ppk2": "tinyjoule.host.instruments.ppk2:Ppk2",
}
SIMULATED_KINDS = ("lpm01a", "ppk2", "js220")
# Instruments found without a port: Joulescopes by serial number (or the only one), a PPK2
# by its USB id ("auto" picks its data port).
PORT_OPTIONAL = {"js220": "", "js110": "", "ppk2": "auto"}


@dataclass(frozen=True, slots=True)
class MonitorChoice:
    kind: str
    port: str | None
    simulated: bool

    @property
    def label(self) -> str:
        return f"sim:{self.kind}" if self.simulated else f"{self.kind}:{self.port}"


def parse_monitor(text: str) -> MonitorChoice:
    kind, _, rest = text.partition(":")
    kind = kind.strip().lower()
    if kind == "sim":
        sim_kind = rest.strip().lower() or "lpm01a"
        if sim_kind not in SIMULATED_KINDS:
            raise ConfigurationError(
                f"--monitor {text}: there is no simulated {sim_kind!r}; "
                f"use one of {', '.join('sim:' + k for k in SIMULATED_KINDS)}"
            )
        return MonitorChoice(sim_kind, None, simulated=True)
    if kind not in known_kinds():
        raise ConfigurationError(
            f"--monitor {text}: unknown monitor {kind!r}; use one of "
            f"{', '.join(sorted(known_kinds()))} (as KIND:PORT) or sim:lpm01a"
        )
    if not rest and kind in PORT_OPTIONAL:
        return MonitorChoice(kind, PORT_OPTIONAL[kind], simulated=False)
    if not rest:
        raise ConfigurationError(
            f"--monitor {text}: say which port, e.g. {kind}:/dev/ttyACM0 "
            "('tinyjoule devices' lists them)"
        )
    return MonitorChoice(kind, rest, simulated=False)


def known_kinds() -> dict[str, str]:
    kinds = dict(BUILTIN_DRIVERS)
    for ep in entry_points(group="tinyjoule.monitors"):
        kinds.setdefault(ep.name, ep.value)
    return kinds


def driver_class(kind: str) -> type:
    target = known_kinds().get(kind)
    if target is None:
        raise ConfigurationError(f"no driver for monitor {kind!r}")
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(
            f"monitor {kind!r} needs a package that is not installed ({exc.name}); "
            f"install it with: pip install tinyjoule[{kind}]"
        ) from exc
    return getattr(module, attr)
