"""The simulated bench on the wire: exact bytes, serial timing, IO manager, baud mismatch."""

from __future__ import annotations

import pytest
import serial

from tinyjoule.host.sim import protocol_sim
from tinyjoule.host.sim.config import SimBenchConfig
from tinyjoule.host.sim.timeline import byte_time_s

QUIET_S = 0.5


def _read_all(port: serial.SerialBase, bench=None) -> bytes:
    """Everything the device sends until the port is quiet for its read timeout; with
    ``bench``, its clock is left where the last byte arrived (``last_byte_s``)."""
    out = b""
    while data := port.read(65536):
        out += data
        if bench is not None:
            bench.last_byte_s = bench.host_time_s
    return out


def test_boot_banner_then_name_exact_bytes(sim_url) -> None:
    _bench, url = sim_url(SimBenchConfig(workload_id="kws01"))
    protocol_sim.install()
    port = serial.serial_for_url(url, baudrate=115200, timeout=QUIET_S)
    banner = _read_all(port)
    assert banner.startswith(b"m-timestamp-mode-performance\r\nm-lap-us-")
    assert banner.endswith(b"m-init-done\r\nm-ready\r\n")
    port.write(b"name%")
    assert (
        _read_all(port) == b"m-name-dut-[STMicroelectronics (tinyjoule simulator)]\r\nm-ready\r\n"
    )
    port.write(b"profile%")
    assert _read_all(port) == (
        b"m-profile-[ULPMark for tinyML Firmware V0.0.1]\r\nm-model-[kws01]\r\nm-ready\r\n"
    )


def test_serial_transfer_time_at_the_baud(sim_url) -> None:
    bench, url = sim_url(SimBenchConfig(workload_id="kws01", dut_baud=9600))
    port = serial.serial_for_url(url, baudrate=9600, timeout=QUIET_S)
    _read_all(port)
    start = bench.host_time_s
    port.write(b"name%")
    reply = _read_all(port, bench)
    # the command's 5 bytes out, the reply's bytes back, each 10 bits at 9600 baud
    assert bench.last_byte_s - start == pytest.approx((5 + len(reply)) * byte_time_s(9600))


def test_a_read_returns_only_bytes_that_arrive_within_its_timeout(sim_url) -> None:
    """Bytes still on the wire when a read's timeout ends are not returned early: the
    reply to ``name`` at 9600 baud takes 41 ms to arrive."""
    bench, url = sim_url(SimBenchConfig(workload_id="kws01", dut_baud=9600))
    port = serial.serial_for_url(url, baudrate=9600, timeout=QUIET_S)
    _read_all(port)
    port.timeout = 0.01
    start = bench.host_time_s
    port.write(b"name%")
    assert port.in_waiting == 0 and port.read(100) == b""
    assert bench.host_time_s == pytest.approx(start + 0.01)
    port.timeout = QUIET_S
    assert (
        _read_all(port) == b"m-name-dut-[STMicroelectronics (tinyjoule simulator)]\r\nm-ready\r\n"
    )


def test_energy_firmware_pulses_instead_of_printing_laps(sim_url) -> None:
    bench, url = sim_url(SimBenchConfig(workload_id="ic01", firmware_mode="energy"))
    port = serial.serial_for_url(url, baudrate=9600, timeout=QUIET_S)
    assert _read_all(port).startswith(b"m-timestamp-mode-energy\r\nm-init-done")
    port.write(b"timestamp%")
    assert _read_all(port) == b"m-ready\r\n"
    assert len(bench.dut.pin.falling_times_s()) == 2  # boot pulse + this one


def test_io_manager_passthrough_exact_bytes(sim_url) -> None:
    _bench, url = sim_url(SimBenchConfig(workload_id="vww01", io_manager="h573"))
    port = serial.serial_for_url(url, baudrate=115200, timeout=QUIET_S)
    _read_all(port)
    port.write(b"checkbaud%")
    assert _read_all(port) == b"baud is: 9600\nm-ready\r\n"
    port.write(b"setbaud 115200%")
    assert _read_all(port) == b"set baud to: 115200\nm-ready\r\n"
    port.write(b"dut name%")
    assert _read_all(port) == (
        b"m-dut-passthrough(name)\r\nm-ready\r\n"
        b"[dut]: m-name-dut-[STMicroelectronics (tinyjoule simulator)]\r\n[dut]: m-ready\r\n"
    )


def test_wrong_host_baud_reads_garbage(sim_url) -> None:
    _bench, url = sim_url(SimBenchConfig(workload_id="kws01"))
    port = serial.serial_for_url(url, baudrate=9600, timeout=QUIET_S)
    data = _read_all(port)
    assert data and b"m-ready" not in data


def test_unknown_bench_or_port_is_a_clear_error(sim_url) -> None:
    protocol_sim.install()
    with pytest.raises(serial.SerialException, match="no simulated bench named 'nope'"):
        serial.serial_for_url("sim://nope/dut")
    _, url = sim_url(SimBenchConfig(workload_id="kws01"))
    with pytest.raises(serial.SerialException, match="has no port 'io'"):
        serial.serial_for_url(url.replace("/dut", "/io"))
