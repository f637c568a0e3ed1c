"""IO-manager boards: host codec (passthrough, acks, baud replies) and device model, exact pairs."""

from __future__ import annotations

import pytest

from tinyjoule.errors import ProtocolError
from tinyjoule.firmware_protocol.dut_device import DutFirmware, FirmwareConfig
from tinyjoule.firmware_protocol.io_manager_codec import (
    ARDUINO_NAME,
    DUT_LINE_PREFIX,
    H573_NAME,
    check_passthrough_ack,
    encode_passthrough,
    parse_checkbaud,
    parse_setbaud,
    strip_dut_prefix,
)
from tinyjoule.firmware_protocol.io_manager_device import IoManagerFirmware, effective_baud

READY = b"m-ready\r\n"

# -- host codec --------------------------------------------------------------------------------


def test_encode_passthrough() -> None:
    assert encode_passthrough("name") == b"dut name%"
    long_command = "db " + "ab" * 38  # 79 characters for the DUT; the board strips "dut "
    assert encode_passthrough(long_command) == f"dut {long_command}%".encode()
    for bad in ("", "a%b", "name\r\n", "x" * 81):
        with pytest.raises(ValueError, match="DUT command"):
            encode_passthrough(bad)


def test_check_passthrough_ack() -> None:
    check_passthrough_ack(["m-dut-passthrough(infer 1 0)", "m-ready"], "infer 1 0")
    for lines in (
        ["m-dut-passthrough(name)", "m-ready"],
        ["m-dut-passthrough(infer 1 0)"],
        ["m-ready"],
        [],
        ["[dut]: m-ready", "m-dut-passthrough(infer 1 0)", "m-ready"],
    ):
        with pytest.raises(ProtocolError, match=r"IO manager .*'infer 1 0'.*reset the board"):
            check_passthrough_ack(lines, "infer 1 0")
    with pytest.raises(ProtocolError, match=r"^H573 board did not"):
        check_passthrough_ack([], "name", device="H573 board")


def test_strip_dut_prefix() -> None:
    assert DUT_LINE_PREFIX == "[dut]: "
    assert strip_dut_prefix("[dut]: m-ready") == "m-ready"
    assert strip_dut_prefix("[dut]: ") == ""
    assert strip_dut_prefix("m-ready") is None
    assert strip_dut_prefix("[dut]:m-ready") is None


def test_parse_baud_replies() -> None:
    assert parse_checkbaud(["baud is: 9600", "m-ready"]) == 9600
    assert parse_setbaud(["set baud to: 115200", "m-ready"]) == 115200
    with pytest.raises(ProtocolError, match="checkbaud"):
        parse_checkbaud(["m-ready"])
    with pytest.raises(ProtocolError, match=H573_NAME):
        parse_setbaud(["m-ready"])


# -- device model ------------------------------------------------------------------------------


class Wire:
    """An IO manager whose DUT side is recorded, or connected to a DUT firmware model."""

    def __init__(self, kind: str = "h573", dut_baud: int = 9600) -> None:
        self.host = bytearray()
        self.to_dut = bytearray()
        self.bauds: list[int] = []
        self.dut: DutFirmware | None = None
        self.dut_tx_connected = True
        self.board = IoManagerFirmware(
            kind, self.host.extend, self._send, dut_baud, self.bauds.append
        )

    def _send(self, data: bytes) -> None:
        self.to_dut += data
        if self.dut is not None:
            self.dut.receive(data)

    def attach_dut(self) -> DutFirmware:
        class Hooks:
            def emit(_, data: bytes) -> None:
                if self.dut_tx_connected:
                    self.board.receive_from_dut(data)

            def read_timer_us(_) -> int:
                return 42

            def pulse_timestamp(_) -> None:
                pass

            def run_inferences(_, tensor: bytes, count: int, warmup: bool) -> tuple[float, ...]:
                return (1.0,)

        self.dut = DutFirmware(FirmwareConfig(), Hooks())
        return self.dut

    def send(self, data: bytes) -> bytes:
        self.host.clear()
        self.board.receive_from_host(data)
        return bytes(self.host)


def test_stale_boot_banner_is_relayed_by_the_next_passthrough() -> None:
    wire = Wire()
    dut = wire.attach_dut()
    dut.boot()  # the banner lands in the board's DUT queue...
    wire.send(b"dut name%")  # ...and is relayed first, ending at the stale m-ready
    assert wire.send(b"dut name%") == (
        b"m-dut-passthrough(name)\r\nm-ready\r\n"
        b"[dut]: m-name-dut-[unspecified]\r\n"  # the first name reply, queued
        b"[dut]: m-ready\r\n"
    )
    assert wire.to_dut == b"name%name%"
    assert wire.send(b"dut infer 1 0%") == (
        b"m-dut-passthrough(infer 1 0)\r\nm-ready\r\n"
        b"[dut]: m-name-dut-[unspecified]\r\n[dut]: m-ready\r\n"
    )
    assert wire.send(b"dut profile%").startswith(
        b"m-dut-passthrough(profile)\r\nm-ready\r\n[dut]: m-warmup-start-0\r\n"
    )


@pytest.mark.parametrize("kind", ["h573", "arduino"])
def test_passthrough_exact(kind: str) -> None:
    wire = Wire(kind)
    dut = wire.attach_dut()
    wire.dut_tx_connected = False
    dut.boot()  # banner not seen by the board (e.g. the board was reset afterwards)
    wire.dut_tx_connected = True
    assert wire.send(b"dut name%") == (
        b"m-dut-passthrough(name)\r\nm-ready\r\n"
        b"[dut]: m-name-dut-[unspecified]\r\n[dut]: m-ready\r\n"
    )
    assert wire.send(b"dut db 0g%") == (
        b"m-dut-passthrough(db 0g)\r\nm-ready\r\n"
        b"[dut]: e-[Invalid hex digit '0g']\r\n[dut]: m-ready\r\n"
    )


def test_relay_splits_dut_output_on_crlf_only() -> None:
    wire = Wire()
    assert wire.send(b"dut db load 30000%") == b"m-dut-passthrough(db load 30000)\r\nm-ready\r\n"
    assert wire.to_dut == b"db load 30000%"
    assert wire.board.relaying
    wire.host.clear()
    wire.board.receive_from_dut(b"Supplied buffer size 30000 exceeds maximum of 27648\nm-re")
    wire.board.receive_from_dut(b"ady\r")
    assert wire.host == b""
    wire.board.receive_from_dut(b"\n")
    # The LF-only warning and the m-ready become one line: the board keeps waiting.
    assert wire.host == (b"[dut]: Supplied buffer size 30000 exceeds maximum of 27648\nm-ready\r\n")
    assert wire.board.relaying
    wire.host.clear()
    wire.board.receive_from_dut(b"m-ready\r\n")
    assert wire.host == b"[dut]: m-ready\r\n"
    assert not wire.board.relaying


def test_host_bytes_wait_while_relaying_and_overflow_is_lost() -> None:
    wire = Wire()
    wire.send(b"dut infer 1 0%")
    assert wire.send(b"name%") == b""  # the board is busy relaying
    wire.host.clear()
    wire.board.receive_from_dut(b"m-infer-done\r\nm-ready\r\n")
    assert wire.host == (
        b"[dut]: m-infer-done\r\n[dut]: m-ready\r\n" + H573_NAME.encode() + b"\r\n" + READY
    )
    wire.send(b"dut infer 1 0%")
    wire.send(b"x" * 99 + b"%name%")  # only 100 bytes fit the queue
    wire.host.clear()
    wire.board.receive_from_dut(b"m-ready\r\n")
    assert wire.host == b"[dut]: m-ready\r\n" + READY  # the 'x...' command; 'name%' was lost


def test_dut_output_between_passthroughs_is_queued_up_to_100_bytes() -> None:
    wire = Wire()
    wire.board.receive_from_dut(b"a" * 95 + b"\r\n" + b"b" * 50)
    assert wire.send(b"dut name%") == (
        b"m-dut-passthrough(name)\r\nm-ready\r\n[dut]: " + b"a" * 95 + b"\r\n"
    )
    wire.host.clear()
    wire.board.receive_from_dut(b"\r\nm-ready\r\n")
    assert wire.host == b"[dut]: bbb\r\n[dut]: m-ready\r\n"


def test_arduino_relays_unsolicited_dut_lines_at_once() -> None:
    wire = Wire("arduino")
    dut = wire.attach_dut()
    dut.boot()
    assert wire.host == (
        b"[dut]: m-timestamp-mode-performance\r\n[dut]: m-lap-us-42\r\n"
        b"[dut]: m-init-done\r\n[dut]: m-ready\r\n"
    )
    assert wire.send(b"dut name%") == (
        b"m-dut-passthrough(name)\r\nm-ready\r\n"
        b"[dut]: m-name-dut-[unspecified]\r\n[dut]: m-ready\r\n"
    )
    wire.host.clear()
    wire.board.receive_from_dut(b"late\r")
    assert wire.host == b""
    wire.board.receive_from_dut(b"\n")
    assert wire.host == b"[dut]: late\r\n"


def test_arduino_host_queue_is_64_bytes() -> None:
    wire = Wire("arduino")
    wire.send(b"dut infer 1 0%")
    wire.send(b"x" * 63 + b"%name%")
    wire.host.clear()
    wire.board.receive_from_dut(b"m-ready\r\n")
    assert wire.host == b"[dut]: m-ready\r\n" + READY


@pytest.mark.parametrize(
    ("sent", "received", "to_dut"),
    [
        (b"name%", H573_NAME.encode() + b"\r\n" + READY, b""),
        (b"checkbaud%", b"baud is: 9600\n" + READY, b""),
        (b"foo%", READY, b""),
        (b"%", READY, b""),
        (b"dutx%", b"", b""),  # known prefix, no space: no reply
        (b"namex%", b"", b""),
        (b"dut %", b"", b""),
        (b"dut%", b"m-dut-passthrough()\r\n" + READY, b"%"),  # a bare '%' reaches the DUT
        (b"ls%", READY, b""),
        (b"record_detections%", b"Now recording detections\r\n" + READY, b""),
        (b"print_detections%", b"Detection Timestamps (ms)\r\n" + READY, b""),
        (b"setbaud abc%", READY, b""),
        (b"setbaud%", READY, b""),
    ],
)
def test_h573_commands(sent: bytes, received: bytes, to_dut: bytes) -> None:
    wire = Wire()
    assert wire.send(sent) == received
    assert wire.to_dut == to_dut
    assert wire.bauds == []


@pytest.mark.parametrize(
    ("value", "effective"),
    [(b"115200", 115200), (b"921600", 921600), (b"0", 9600), (b"3000000", 9600), (b"-5", 9600)],
)
def test_h573_setbaud_writes_flash_and_resets(value: bytes, effective: int) -> None:
    wire = Wire()
    wire.board.receive_from_dut(b"stale\r\n")
    assert wire.send(b"setbaud " + value + b"%") == b"set baud to: " + value + b"\n" + READY
    assert wire.bauds == [effective]
    assert wire.board.dut_baud == effective
    assert wire.send(b"checkbaud%") == b"baud is: %d\n" % effective + READY
    # The reset emptied the DUT queue: the stale line is gone.
    wire.send(b"dut name%")
    wire.host.clear()
    wire.board.receive_from_dut(b"m-ready\r\n")
    assert wire.host == b"[dut]: m-ready\r\n"


def test_initial_baud_follows_flash_fallback() -> None:
    assert Wire(dut_baud=0).board.dut_baud == 9600
    assert Wire(dut_baud=115200).board.dut_baud == 115200
    assert effective_baud(2_000_000) == 2_000_000
    assert effective_baud(2_000_001) == 9600


@pytest.mark.parametrize(
    ("sent", "received"),
    [
        (b"name%", ARDUINO_NAME.encode() + b"\r\n" + READY),
        (b"setbaud 115200%", READY),
        (b"checkbaud%", READY),
        (b"dutx%", READY),
        (b"dut name%", b"m-dut-passthrough(name)\r\n" + READY),
    ],
)
def test_arduino_commands(sent: bytes, received: bytes) -> None:
    wire = Wire("arduino")
    assert wire.send(sent) == received
    assert wire.bauds == []


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind='uno'"):
        IoManagerFirmware("uno", print, print)
