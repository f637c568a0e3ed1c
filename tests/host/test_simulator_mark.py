"""The simulator's mark: a simulated board names itself, so that what it took part in is
marked simulated even behind ports that look real (here: a calibration record)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tinyjoule.firmware_protocol.dut_messages import is_simulator, simulator_vendor
from tinyjoule.host.calibrate.session import _serial
from tinyjoule.host.instruments.base import MonitorInfo


def test_the_mark_is_what_the_simulated_board_adds() -> None:
    assert is_simulator(simulator_vendor("Any Vendor"))
    assert not is_simulator("STMicroelectronics") and not is_simulator("")


@pytest.mark.parametrize(
    "vendor, serial, simulated",
    [
        ("STMicroelectronics (tinyjoule simulator)", "C4D2E1F0A9B8", True),
        ("STMicroelectronics", "C4D2E1F0A9B8", False),
        ("STMicroelectronics", "SIM3932216-1412969234-2031668", True),
    ],
)
def test_a_record_is_the_simulator_s_if_its_time_base_dut_says_so(vendor, serial, simulated):
    """A PPK2 simulated behind a pty reports a serial number like a real one; the DUT its
    time base was taken against still names itself, and the record is marked simulated."""
    request = SimpleNamespace(target=SimpleNamespace(choice=SimpleNamespace(simulated=False)))
    info = MonitorInfo("ppk2", "/dev/pts/7", "1.0", serial_number=serial)
    sections = {"timebase": {"dut": {"vendor": vendor, "model": "kws01"}}}
    assert _serial(request, info, sections) == (serial, simulated)
