"""Serial ports on this machine, with the boards tinyjoule knows recognised by USB id."""

from __future__ import annotations

from dataclasses import dataclass

from serial.tools import list_ports

# (vid, pid) -> what it is. Sources: ../shared/spec (runner device YAMLs, vendor docs).
KNOWN_USB_IDS: dict[tuple[int, int], str] = {
    (0x0483, 0x5740): "ST X-NUCLEO-LPM01A PowerShield (energy monitor)",
    (0x0483, 0x374B): "ST-LINK/V2-1 (a NUCLEO board: DUT or STM32H573I-DK IO manager)",
    (0x0483, 0x374E): "ST-LINK/V3 (a NUCLEO or Discovery board)",
    (0x0483, 0x3754): "ST-LINK/V3 (STM32H573I-DK: the enhanced IO manager)",
    (0x1915, 0xC00A): "Nordic Power Profiler Kit II (energy monitor)",
    (0x16D0, 0x10BA): "Joulescope JS220 (energy monitor; USB, not a serial port)",
    (0x16D0, 0x0E88): "Joulescope JS110 (energy monitor; USB, not a serial port)",
    (0x2341, 0x0043): "Arduino Uno (EEMBC IO manager)",
    (0x2341, 0x0042): "Arduino Mega 2560 (EEMBC IO manager)",
    (0x2341, 0x0058): "Arduino Nano Every (EEMBC IO manager)",
}


@dataclass(frozen=True, slots=True)
class SerialDevice:
    port: str
    description: str
    vid: int | None
    pid: int | None
    serial_number: str | None
    known_as: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            "port": self.port,
            "description": self.description,
            "usb_id": f"{self.vid:04x}:{self.pid:04x}" if self.vid is not None else None,
            "serial_number": self.serial_number,
            "known_as": self.known_as,
        }


def recognise(vid: int | None, pid: int | None) -> str | None:
    if vid is None or pid is None:
        return None
    return KNOWN_USB_IDS.get((vid, pid))


def list_usb_instruments() -> list[SerialDevice]:
    """Joulescopes (USB, not serial ports), when the optional vendor package is installed."""
    import importlib.util

    if importlib.util.find_spec("pyjoulescope_driver") is None:
        return []
    from tinyjoule.errors import TinyJouleError
    from tinyjoule.host.instruments.joulescope import list_joulescopes

    try:
        paths = list_joulescopes()
    except (TinyJouleError, RuntimeError, OSError):
        return []
    return [
        SerialDevice(
            path,
            "Joulescope (USB)",
            None,
            None,
            path.rsplit("/", 1)[-1],
            f"Joulescope {path.split('/')[1].upper()} (energy monitor: --monitor "
            f"{path.split('/')[1]}:{path.rsplit('/', 1)[-1]})",
        )
        for path in paths
    ]


def list_devices() -> list[SerialDevice]:
    devices = []
    for info in sorted(list_ports.comports(), key=lambda p: p.device):
        devices.append(
            SerialDevice(
                port=info.device,
                description=info.description or "",
                vid=info.vid,
                pid=info.pid,
                serial_number=info.serial_number,
                known_as=recognise(info.vid, info.pid),
            )
        )
    return devices + list_usb_instruments()
