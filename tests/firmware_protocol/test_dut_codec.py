"""Host-side DUT codec: command framing, line splitting, parsing, responses, db chunks, laps."""

from __future__ import annotations

import pytest

from tinyjoule.errors import ProtocolError
from tinyjoule.firmware_protocol.dut_codec import (
    DIRECT_CHUNK_BYTES,
    IO_MANAGER_CHUNK_BYTES,
    MAX_COMMAND_CHARS,
    LineSplitter,
    Response,
    ResponseAssembler,
    db_load_commands,
    encode_command,
    lap_delta_us,
    max_chunk_bytes,
    parse_line,
)
from tinyjoule.firmware_protocol.dut_messages import (
    BufferDump,
    DeviceError,
    Expecting,
    FirmwareWarning,
    InferDone,
    InferStart,
    InitDone,
    LapUs,
    LoadDone,
    ModelId,
    Name,
    PlainText,
    Profile,
    Ready,
    Results,
    TimestampMode,
    WarmupDone,
    WarmupStart,
)

# -- encode_command ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "wire"),
    [
        ("name", b"name%"),
        ("infer 20 5", b"infer 20 5%"),
        ("db load 490", b"db load 490%"),
        ("x" * MAX_COMMAND_CHARS, b"x" * MAX_COMMAND_CHARS + b"%"),
    ],
)
def test_encode_command(command: str, wire: bytes) -> None:
    assert encode_command(command) == wire


@pytest.mark.parametrize(
    ("command", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("na%me", "terminator"),
        ("name\r", "printable ASCII"),
        ("name\n", "printable ASCII"),
        ("name\0", "printable ASCII"),
        ("nämé", "printable ASCII"),
        ("x" * (MAX_COMMAND_CHARS + 1), "first 80"),
    ],
)
def test_encode_command_rejects(command: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as info:
        encode_command(command)
    assert repr(command) in str(info.value)


# -- LineSplitter ------------------------------------------------------------------------------


def test_line_splitter_splits_on_lf_and_drops_cr_and_nul() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"m-name-dut-[x]\r\nm-re") == ["m-name-dut-[x]"]
    assert splitter.pending == b"m-re"
    assert splitter.feed(b"ady\r") == []
    assert splitter.pending == b"m-ready\r"
    assert splitter.feed(b"\nSupplied\0 size\nabc") == ["m-ready", "Supplied size"]
    assert splitter.clear() == b"abc"
    assert splitter.pending == b""


def test_line_splitter_keeps_empty_lines_and_replaces_non_ascii() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"\r\n\n\xffok\x80\n") == ["", "", "\ufffdok\ufffd"]


# -- parse_line --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("m-ready", Ready()),
        ("m-init-done", InitDone()),
        ("m-timestamp-mode-performance", TimestampMode("performance")),
        ("m-timestamp-mode-energy", TimestampMode("energy")),
        ("m-name-dut-[unspecified]", Name("unspecified")),
        (
            "m-profile-[ULPMark for tinyML Firmware V0.0.1]",
            Profile("ULPMark for tinyML Firmware V0.0.1"),
        ),
        ("m-model-[kws01]", ModelId("kws01")),
        ("m-lap-us-4294967295", LapUs(4294967295)),
        ("m-results-[0.000,0.996,0.004]", Results((0.0, 0.996, 0.004))),
        ("m-results-[0.125,0.875,]", Results((0.125, 0.875))),
        ("m-results-[ 1.5 , ,-2e-3]", Results((1.5, -0.002))),
        ("m-results-[0.5]", Results((0.5,))),
        ("m-warmup-start-10", WarmupStart(10)),
        ("m-warmup-done", WarmupDone()),
        ("m-infer-start-70", InferStart(70)),
        ("m-infer-done", InferDone()),
        ("m-[Expecting 490 bytes]", Expecting(490)),
        ("m-load-done", LoadDone()),
        ("e-[Unknown command: foo]", DeviceError("Unknown command: foo")),
        ("e-[Invalid hex digit 'zz']", DeviceError("Invalid hex digit 'zz'")),
        ("e-oops", DeviceError("oops")),
        ("m-buffer-00-7f-ff-0a", BufferDump(b"\x00\x7f\xff\x0a")),
        ("m-buffer-AB", BufferDump(b"\xab")),
        (
            "Supplied buffer size 30000 exceeds maximum of 27648",
            FirmwareWarning("Supplied buffer size 30000 exceeds maximum of 27648"),
        ),
        (
            "Input db has 245 elemented, expected 490",
            FirmwareWarning("Input db has 245 elemented, expected 490"),
        ),
        ("Input db has 2 bytes, expected 4", FirmwareWarning("Input db has 2 bytes, expected 4")),
        ("Initialized", PlainText("Initialized")),
        ("", PlainText("")),
        ("m-ready ", PlainText("m-ready ")),
        ("m-lap-us-12x", PlainText("m-lap-us-12x")),
        ("m-lap-us-٣", PlainText("m-lap-us-٣")),
        ("m-results-[a,b]", PlainText("m-results-[a,b]")),
        ("m-results-[1_0]", PlainText("m-results-[1_0]")),
        ("m-buffer-0-1", PlainText("m-buffer-0-1")),
        ("m-timestamp-mode-turbo", PlainText("m-timestamp-mode-turbo")),
        ("m-lap-us-" + "9" * 5000, PlainText("m-lap-us-" + "9" * 5000)),
    ],
)
def test_parse_line(line: str, message: object) -> None:
    assert parse_line(line) == message


def test_parse_results_nan_and_inf() -> None:
    values = parse_line("m-results-[nan,-inf,-nan]").values  # type: ignore[union-attr]
    assert values[1] == float("-inf")
    assert values[0] != values[0] and values[2] != values[2]


# -- Response / ResponseAssembler --------------------------------------------------------------


def test_response_helpers() -> None:
    response = Response.from_lines(
        "infer 1 0",
        [
            "Input db has 2 elemented, expected 4",
            "m-warmup-start-0",
            "m-warmup-done",
            "m-infer-start-1",
            "m-lap-us-10",
            "m-lap-us-25",
            "m-infer-done",
            "m-results-[0.250,0.750]",
            "m-ready",
        ],
    )
    assert response.laps_us == (10, 25)
    assert response.results == Results((0.25, 0.75))
    assert response.warnings == ("Input db has 2 elemented, expected 4",)
    assert response.errors == ()
    assert response.first(InferStart) == InferStart(1)
    assert response.first(Expecting) is None
    assert response.of_type(LapUs) == (LapUs(10), LapUs(25))
    response.raise_for_errors()
    with pytest.raises(ProtocolError, match=r"'infer 1 0'.*Input db has"):
        response.raise_for_errors(warnings_as_errors=True)


def test_response_raise_for_errors_names_device_command_and_fix() -> None:
    response = Response.from_lines("db 0g", ["e-[Invalid hex digit '0g']", "m-ready"])
    assert response.errors == ("Invalid hex digit '0g'",)
    with pytest.raises(ProtocolError, match=r"L4R5ZI rejected command 'db 0g'.*0-9 and a-f"):
        response.raise_for_errors("L4R5ZI")


def test_assembler_collects_until_ready_and_keeps_unsolicited() -> None:
    assembler = ResponseAssembler()
    assert assembler.feed_line("m-timestamp-mode-energy") is None
    assert assembler.feed_line("m-ready") is None
    assert assembler.unsolicited == ["m-timestamp-mode-energy", "m-ready"]
    assembler.start("profile")
    assert assembler.outstanding == "profile"
    assert assembler.feed_line("m-profile-[ULPMark for tinyML Firmware V0.0.1]") is None
    assert assembler.feed_line("") is None  # dropped, like the reference runner does
    assert assembler.feed_line("m-model-[ic01]") is None
    assert assembler.partial_lines == (
        "m-profile-[ULPMark for tinyML Firmware V0.0.1]",
        "m-model-[ic01]",
    )
    response = assembler.feed_line("m-ready")
    assert response is not None
    assert response.command == "profile"
    assert response.lines[-1] == "m-ready"
    assert response.messages == (
        Profile("ULPMark for tinyML Firmware V0.0.1"),
        ModelId("ic01"),
        Ready(),
    )
    assert assembler.outstanding is None
    assert assembler.take_unsolicited() == ["m-timestamp-mode-energy", "m-ready"]
    assert assembler.unsolicited == []


def test_assembler_start_twice_and_cancel() -> None:
    assembler = ResponseAssembler()
    assembler.start("infer 1 0")
    assembler.feed_line("m-warmup-start-0")
    with pytest.raises(RuntimeError, match="'infer 1 0' is still waiting"):
        assembler.start("name")
    assert assembler.cancel() == ("m-warmup-start-0",)
    assembler.start("name")
    assert assembler.feed_line("m-name-dut-[v]") is None
    assert assembler.feed_line("m-ready") == Response.from_lines(
        "name", ["m-name-dut-[v]", "m-ready"]
    )


# -- db chunks, limits, laps -------------------------------------------------------------------


def test_db_load_commands_exact() -> None:
    data = bytes(range(0x0A, 0x0F))
    assert db_load_commands(data, 2) == ["db load 5", "db 0a0b", "db 0c0d", "db 0e"]
    assert db_load_commands(b"\xab\xcd", 38) == ["db load 2", "db abcd"]


def test_db_load_commands_limits() -> None:
    commands = db_load_commands(bytes(100), 38)
    assert max(len(c) for c in commands) == 79 <= MAX_COMMAND_CHARS
    with pytest.raises(ValueError, match="chunk_bytes=39"):
        db_load_commands(b"\x00", 39)
    with pytest.raises(ValueError, match="chunk_bytes=0"):
        db_load_commands(b"\x00", 0)
    with pytest.raises(ValueError, match="empty"):
        db_load_commands(b"", 10)


def test_chunk_sizes_match_the_spec() -> None:
    # Spec 1.6: "The 80-character limit allows at most 38 bytes".
    assert max_chunk_bytes() == DIRECT_CHUNK_BYTES == 38
    assert len("db " + "ff" * 38) == 79 and len("db " + "ff" * 39) == 81
    assert max_chunk_bytes("dut ") == 36
    # Through an IO manager: "dut db " + 52 hex + "%" fits the Arduino's 64-byte RX buffer.
    assert IO_MANAGER_CHUNK_BYTES == 26
    assert len("dut db " + "ff" * IO_MANAGER_CHUNK_BYTES + "%") == 60 <= 64
    with pytest.raises(ValueError, match="no room"):
        max_chunk_bytes("x" * 76)


@pytest.mark.parametrize(
    ("start", "end", "delta"),
    [(100, 250, 150), (0, 0, 0), (0xFFFFFFF0, 0x10, 0x20), (0xFFFFFFFF, 0, 1), (5, 4, 0xFFFFFFFF)],
)
def test_lap_delta_us_wraps_at_32_bits(start: int, end: int, delta: int) -> None:
    assert lap_delta_us(start, end) == delta


def test_lap_delta_us_rejects_non_counter_values() -> None:
    with pytest.raises(ValueError, match="end_us=4294967296"):
        lap_delta_us(0, 1 << 32)
    with pytest.raises(ValueError, match="start_us=-1"):
        lap_delta_us(-1, 0)
