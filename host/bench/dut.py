"""Opening the DUT link of a bench: its own UART, or through an IO manager (whose DUT-side
baud an H573 board is set to first)."""

from __future__ import annotations

import serial

from tinyjoule.errors import DeviceConnectionError
from tinyjoule.firmware_protocol.io_manager_codec import parse_checkbaud
from tinyjoule.host.bench.spec import BenchSpec
from tinyjoule.host.link.dut_link import DirectChannel, DutLink, IoManagerChannel
from tinyjoule.host.link.line_port import LinePort
from tinyjoule.host.ports import open_serial_url
from tinyjoule.host.transcript import Transcript
from tinyjoule.tinyml_workloads.workloads import Workload


def open_port(url: str, baud: int, device: str) -> serial.SerialBase:
    try:
        return open_serial_url(url, baud)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise DeviceConnectionError(
            f"{device}: cannot open {url} ({exc}); list the ports with 'tinyjoule devices' "
            "and check the board is plugged in and not open in another program"
        ) from exc


def open_dut(spec: BenchSpec, mode: str, workload: Workload, transcript: Transcript) -> DutLink:
    """A DUT link for ``mode``; through an H573 board, its DUT baud is set first."""
    dut_baud = spec.baud_for(mode, workload)
    if spec.io_url is None:
        if spec.dut_url is None:
            raise ValueError("open_dut needs a DUT or IO manager port; open the bench first")
        port = open_port(spec.dut_url, dut_baud, f"DUT ({spec.dut_url})")
        channel = DirectChannel(LinePort(port, f"DUT ({spec.dut_url})", transcript))
        return DutLink(channel, spec.dut_reply_timeout_s)
    device = f"IO manager ({spec.io_url})"
    port = open_port(spec.io_url, spec.io_baud, device)
    channel = IoManagerChannel(LinePort(port, device, transcript))
    channel.drain()
    if spec.io_kind == "h573":
        _sync_h573_baud(channel, dut_baud, spec.io_setbaud_wait_s, transcript)
    return DutLink(channel, spec.dut_reply_timeout_s)


def _sync_h573_baud(
    channel: IoManagerChannel, dut_baud: int, wait_s: float, transcript: Transcript
) -> None:
    """Always ``setbaud``, as the reference runner does: besides setting the DUT-side baud,
    the reset it causes empties the board's queue of stale DUT output (such as the boot
    banner), which would otherwise end the first passthrough reply early."""
    current = parse_checkbaud(channel.io_command("checkbaud"))
    transcript.note(f"IO manager DUT baud is {current}; setting {dut_baud} (the board resets)")
    channel.io_command(f"setbaud {dut_baud}")
    channel.port.clock.sleep(wait_s)
    channel.drain()
    now = parse_checkbaud(channel.io_command("checkbaud"))
    if now != dut_baud:
        raise DeviceConnectionError(
            f"{channel.port.device}: setbaud {dut_baud} did not stick (checkbaud says {now}); "
            "update the interface board firmware or set its baud by hand"
        )
