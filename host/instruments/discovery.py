"""Serial ports on this machine, with the boards tinyjoule knows recognised by USB id.

Energy monitors are recognised by the USB ids their driver classes declare (``facts``);
the DUT boards and IO managers tinyjoule knows are listed here."""

from __future__ import annotations

from dataclasses import dataclass

from serial.tools import list_ports

from tinyjoule.host.instruments.registry import loadable_monitor_classes

# (vid, pid) -> what it is. Sources: ../shared/spec (runner device YAMLs, vendor docs).
BOARD_USB_IDS: dict[tuple[int, int], str] = {
    (0x0483, 0x374B): "ST-LINK/V2-1 (a NUCLEO board: DUT or STM32H573I-DK IO manager)",
    (0x0483, 0x374E): "ST-LINK/V3 (a NUCLEO or Discovery board)",
    (0x0483, 0x3754): "ST-LINK/V3 (STM32H573I-DK: the enhanced IO manager)",
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


def known_usb_ids() -> dict[tuple[int, int], str]:
    """Every USB id tinyjoule recognises: the boards above and each monitor kind's own."""
    ids = dict(BOARD_USB_IDS)
    for cls in loadable_monitor_classes():
        ids.update(cls.facts.usb_ids)
    return ids


def recognise(vid: int | None, pid: int | None) -> str | None:
    if vid is None or pid is None:
        return None
    return known_usb_ids().get((vid, pid))


def list_usb_instruments() -> list[SerialDevice]:
    """Joulescopes (USB, not serial ports), when the optional vendor package is installed."""
    import importlib.util

    if importlib.util.find_spec("pyjoulescope_driver") is None:
        return []
    from tinyjoule.errors import TinyJouleError
    from tinyjoule.host.instruments.joulescope_vendor import list_joulescopes

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
    known = known_usb_ids()
    for info in sorted(list_ports.comports(), key=lambda p: p.device):
        devices.append(
            SerialDevice(
                port=info.device,
                description=info.description or "",
                vid=info.vid,
                pid=info.pid,
                serial_number=info.serial_number,
                known_as=known.get((info.vid, info.pid)) if info.vid is not None else None,
            )
        )
    return devices + list_usb_instruments()
