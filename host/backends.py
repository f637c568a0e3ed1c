"""Bench backends found by URL scheme: a built-in table plus the ``tinyjoule.backends``
entry points, so the simulator (or a third party's emulator) plugs in exactly as a driver
does, and nothing on the real path imports it.

A backend is a class with ``scheme`` (``"sim"``), ``serial_handler_package`` (the package
pyserial searches for ``protocol_<scheme>`` when a port URL uses the scheme, or None) and
``open_bench(spec, request)``, a context manager giving an ``OpenedBench``
(``host.bench.opening``) for a whole-bench URL such as ``sim://?io=h573``.
"""

from __future__ import annotations

import threading
import urllib.parse
from importlib.metadata import entry_points
from typing import Any

import serial

from tinyjoule.errors import ConfigurationError
from tinyjoule.host.instruments.registry import load_object

ENTRY_POINT_GROUP = "tinyjoule.backends"
BUILTIN_BACKENDS: dict[str, str] = {"sim": "tinyjoule.host.sim.backend:SimBackend"}
_LOCK = threading.Lock()


def scheme_of(url: str) -> str:
    return urllib.parse.urlsplit(url).scheme.lower() if "://" in url else ""


def backend_schemes() -> dict[str, str]:
    schemes = dict(BUILTIN_BACKENDS)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        schemes.setdefault(ep.name, ep.value)
    return schemes


def backend_for(url: str) -> Any | None:
    """The backend class serving ``url``'s scheme, or None (a real port or pyserial URL)."""
    target = backend_schemes().get(scheme_of(url))
    if target is None:
        return None
    return load_object(target, f"the bench backend for {url!r}")


def install_url_handler(url: str) -> None:
    """Let ``serial.serial_for_url`` open ``url`` if a backend serves its scheme."""
    backend = backend_for(url)
    package = getattr(backend, "serial_handler_package", None)
    if package is None:
        return
    with _LOCK:
        if package not in serial.protocol_handler_packages:
            serial.protocol_handler_packages.append(package)


def require_backend(url: str) -> Any:
    backend = backend_for(url)
    if backend is None:
        known = ", ".join(f"{s}://" for s in backend_schemes())
        raise ConfigurationError(
            f"bench {url!r}: no backend opens {scheme_of(url) or 'plain'} URLs as a whole "
            f"bench; use one of {known}, or give the DUT and monitor ports"
        )
    return backend
