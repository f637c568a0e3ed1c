"""Opening a byte stream by URL: device paths and every pyserial URL (``socket://``,
``loop://``, ``spy://``), plus the schemes bench backends register (``sim://``)."""

from __future__ import annotations

from collections.abc import Callable

import serial
from serial import SerialBase

from tinyjoule.host.backends import install_url_handler

POLL_S = 0.02
"""A port's read timeout: how often a silent port is polled."""

PortOpener = Callable[[str, int], SerialBase]


def open_serial_url(url: str, baud: int) -> SerialBase:
    """The default port opener: ``serial.serial_for_url`` with backend schemes available.
    Raises what pyserial raises (SerialException, OSError, ValueError)."""
    install_url_handler(url)
    return serial.serial_for_url(url, baudrate=baud, timeout=POLL_S)
