"""The vendor side of the Joulescope driver: the part of ``pyjoulescope_driver`` it uses,
importing that package only when a Joulescope is opened, and listing connected devices."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from typing import Any, Protocol

from tinyjoule.errors import ConfigurationError, DeviceConnectionError

PACKAGE = "pyjoulescope_driver"
INSTALL_HINT = "pip install tinyjoule[joulescope]"
MODELS = ("js220", "js110")
CHECK = (
    "check the USB cable, close the Joulescope UI and other programs using it, and on Linux "
    "install the Joulescope udev rules"
)

DataCallback = Callable[[str, Any], None]


class DriverLike(Protocol):
    """The part of ``pyjoulescope_driver.Driver`` this driver uses (timeouts in seconds)."""

    def device_paths(self, timeout: float | None = None) -> list[str]: ...

    def open(
        self, device_prefix: str, mode: str | None = None, timeout: float | None = None
    ) -> None: ...

    def close(self, device_prefix: str, timeout: float | None = None) -> None: ...

    def publish(self, topic: str, value: Any, timeout: float | None = None) -> None: ...

    def query(self, topic: str, timeout: float | None = None) -> Any: ...

    def subscribe(
        self, topic: str, flags: Any, fn: DataCallback, timeout: float | None = None
    ) -> None: ...

    def unsubscribe(self, topic: str, fn: DataCallback, timeout: float | None = None) -> None: ...

    def finalize(self, timeout: float | None = None) -> None: ...


def version_text(value: Any) -> str:
    """``c/fw/version`` (major8.minor8.patch16 in a u32) as text."""
    if isinstance(value, int):
        return f"{(value >> 24) & 0xFF}.{(value >> 16) & 0xFF}.{value & 0xFFFF}"
    return str(value) if value else "unknown"


def import_vendor_driver(device: str) -> DriverLike:
    """A new ``pyjoulescope_driver.Driver``; ConfigurationError naming the extra if missing."""
    try:
        module = importlib.import_module(PACKAGE)
    except ImportError as exc:
        if exc.name == PACKAGE:
            raise ConfigurationError(
                f"{device}: the Python package {PACKAGE} is not installed ({exc}); install "
                f"it with: {INSTALL_HINT}"
            ) from exc
        raise ConfigurationError(  # installed, but its compiled part or a dependency is broken
            f"{device}: {PACKAGE} is installed but does not load ({exc}); reinstall it with: "
            f"pip install --force-reinstall {PACKAGE}"
        ) from exc
    try:
        return module.Driver()
    except Exception as exc:  # the binding raises RuntimeError when libusb cannot start
        raise DeviceConnectionError(
            f"{device}: the Joulescope driver did not start ({exc}); {CHECK}"
        ) from exc


def list_joulescopes(driver_factory: Callable[[], DriverLike] | None = None) -> list[str]:
    """Device paths of the connected Joulescopes (for ``tinyjoule devices``)."""
    driver = (driver_factory or (lambda: import_vendor_driver("Joulescope")))()
    try:
        return [p for p in driver.device_paths(2.0) if model_of(p) in MODELS]
    finally:
        with contextlib.suppress(Exception):
            driver.finalize()


def model_of(path: str) -> str:
    parts = path.strip("/").split("/")
    return parts[1].lower() if len(parts) == 3 else ""
