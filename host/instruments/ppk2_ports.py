"""Finding a PPK2 among the serial ports, and its data port among its two."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tinyjoule.errors import DeviceConnectionError

USB_VID = 0x1915
USB_PID = 0xC00A
WINDOWS_DESCRIPTION = "nRF Connect USB CDC ACM"
PRODUCT = "PPK2"


def is_ppk2_port(port: Any) -> bool:
    """True for a ``serial.tools.list_ports`` entry that belongs to a PPK2."""
    if getattr(port, "vid", None) == USB_VID and getattr(port, "pid", None) == USB_PID:
        return True
    description = getattr(port, "description", None) or ""
    return getattr(port, "product", None) == PRODUCT or description.startswith(WINDOWS_DESCRIPTION)


def pick_data_port(candidates: Iterable[Any]) -> str:
    """The data port of the one PPK2 among ``candidates`` (``list_ports`` entries).

    Since the firmware of nRF Connect Power Profiler 4.2.0 a PPK2 has two CDC ports, data
    and a debug shell; the data port's USB location ends in "1" (IRNAS PR #47). Errors:
    no PPK2, several PPK2s, or two ports that the rule cannot tell apart (macOS gives both
    the same location).
    """
    ports = sorted((p for p in candidates if is_ppk2_port(p)), key=lambda p: p.device)
    if not ports:
        raise DeviceConnectionError(
            f"PPK2: no PPK2 found (USB {USB_VID:04x}:{USB_PID:04x}); plug it in with the USB "
            "DATA/POWER connector, switch it on, and check 'tinyjoule devices' (on Linux the "
            "user also needs access to /dev/ttyACM*: the dialout group or a udev rule)"
        )
    serials = sorted({p.serial_number or "?" for p in ports})
    if len(serials) > 1:
        listing = ", ".join(f"{p.device} (serial {p.serial_number})" for p in ports)
        raise DeviceConnectionError(
            f"PPK2: {len(serials)} PPK2s are connected ({listing}); say which with "
            "--monitor ppk2:PORT"
        )
    if len(ports) == 1:
        return ports[0].device
    data = [p for p in ports if (p.location or "").endswith("1")]
    if len(data) == 1:
        return data[0].device
    listing = ", ".join(f"{p.device} (location {p.location!r})" for p in ports)
    raise DeviceConnectionError(
        f"PPK2: cannot tell its data port from its debug-shell port ({listing}); the data "
        "port's USB location ends in 1, which these do not settle. Give it with --monitor "
        "ppk2:PORT (on macOS usually the first of the two)"
    )


def find_data_port() -> str:
    """The data port of the one PPK2 plugged into this machine."""
    from serial.tools import list_ports

    return pick_data_port(list_ports.comports())
