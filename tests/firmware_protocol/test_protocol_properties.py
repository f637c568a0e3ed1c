"""Property tests: split-point invariance, garbage tolerance, and db round trips end to end."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.firmware_protocol.dut_codec import (
    DIRECT_CHUNK_BYTES,
    IO_MANAGER_CHUNK_BYTES,
    LineSplitter,
    Response,
    ResponseAssembler,
    db_load_commands,
    encode_command,
    lap_delta_us,
    parse_line,
)
from tinyjoule.firmware_protocol.dut_device import DutFirmware, FirmwareConfig
from tinyjoule.firmware_protocol.dut_messages import (
    BufferDump,
    Expecting,
    LoadDone,
    Message,
    Ready,
)
from tinyjoule.firmware_protocol.io_manager_codec import (
    check_passthrough_ack,
    encode_passthrough,
    strip_dut_prefix,
)
from tinyjoule.firmware_protocol.io_manager_device import IoManagerFirmware

FAST = settings(max_examples=200, deadline=None)

_VALID_LINES = st.one_of(
    st.sampled_from(
        [
            "m-ready",
            "m-init-done",
            "m-warmup-done",
            "m-infer-done",
            "m-load-done",
            "m-timestamp-mode-energy",
            "Initialized",
            "Supplied buffer size 30000 exceeds maximum of 27648",
        ]
    ),
    st.integers(0, 2**32 - 1).map(lambda n: f"m-lap-us-{n}"),
    st.integers(1, 30000).map(lambda n: f"m-[Expecting {n} bytes]"),
    st.lists(st.floats(0, 1), min_size=1, max_size=12).map(
        lambda v: "m-results-[" + ",".join(f"{x:.3f}" for x in v) + "]"
    ),
    st.binary(min_size=1, max_size=8).map(lambda b: "m-buffer-" + "-".join(f"{x:02x}" for x in b)),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20).map(
        lambda t: f"e-[{t}]"
    ),
)


def _line_ending(line: str) -> bytes:
    return b"\n" if line.startswith("Supplied") else b"\r\n"  # the warning is LF only


_STREAM_PIECES = st.lists(
    st.one_of(
        _VALID_LINES.map(lambda line: line.encode() + _line_ending(line)),
        st.binary(max_size=30),  # garbage: any bytes, including \r, \n, \0 and non-ASCII
    ),
    max_size=25,
)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@FAST
@given(_STREAM_PIECES, st.lists(st.integers(0, 2000), max_size=40))
def test_any_split_gives_the_same_lines_and_messages(pieces: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(pieces)
    whole = LineSplitter()
    expected_lines = whole.feed(stream)
    split = LineSplitter()
    lines = [line for chunk in _split(stream, cuts) for line in split.feed(chunk)]
    assert lines == expected_lines
    assert split.pending == whole.pending
    assert [parse_line(x) for x in lines] == [parse_line(x) for x in expected_lines]
    assert len(lines) == stream.count(b"\n")


@FAST
@given(st.binary(max_size=300))
def test_garbage_bytes_never_raise(data: bytes) -> None:
    splitter = LineSplitter()
    for line in splitter.feed(data):
        assert not set(line) & {"\r", "\n", "\0"}
        assert isinstance(parse_line(line), Message)


@FAST
@given(st.text(max_size=200))
def test_parse_line_never_raises(text: str) -> None:
    assert isinstance(parse_line(text), Message)


@FAST
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_lap_delta_inverts_modular_addition(start: int, end: int) -> None:
    assert (start + lap_delta_us(start, end)) % 2**32 == end


class _Hooks:
    def __init__(self, sink) -> None:  # type: ignore[no-untyped-def]
        self.sink = sink

    def emit(self, data: bytes) -> None:
        self.sink(data)

    def read_timer_us(self) -> int:
        return 0

    def pulse_timestamp(self) -> None:
        pass

    def run_inferences(self, tensor: bytes, count: int, warmup: bool) -> tuple[float, ...]:
        return (float(len(tensor)),)


def _exchange(commands: list[str], transport) -> list[Response]:  # type: ignore[no-untyped-def]
    splitter, assembler, responses = LineSplitter(), ResponseAssembler(), []
    for command in commands:
        assembler.start(command)
        for line in splitter.feed(transport(command)):
            response = assembler.feed_line(line)
            if response is not None:
                responses.append(response)
    assert assembler.outstanding is None and not assembler.unsolicited
    return responses


def _check_load(payload: bytes, responses: list[Response]) -> None:
    assert all(r.messages[-1] == Ready() and not r.errors for r in responses)
    assert responses[0].first(Expecting) == Expecting(len(payload))
    assert [r.first(LoadDone) is not None for r in responses[1:-1]] == (
        [False] * (len(responses) - 3) + [True]
    )
    dump = b"".join(m.data for m in responses[-1].of_type(BufferDump))
    assert dump == payload


@FAST
@given(st.binary(min_size=1, max_size=300), st.integers(1, DIRECT_CHUNK_BYTES))
def test_db_round_trip_direct(payload: bytes, chunk: int) -> None:
    out = bytearray()
    dut = DutFirmware(FirmwareConfig(), _Hooks(out.extend))
    dut.boot()
    out.clear()

    def transport(command: str) -> bytes:
        dut.receive(encode_command(command))
        data = bytes(out)
        out.clear()
        return data

    responses = _exchange([*db_load_commands(payload, chunk), "db print"], transport)
    _check_load(payload, responses)
    assert dut.tensor == payload


@FAST
@given(
    st.binary(min_size=1, max_size=200),
    st.integers(1, IO_MANAGER_CHUNK_BYTES),
    st.sampled_from(["h573", "arduino"]),
)
def test_db_round_trip_through_io_manager(payload: bytes, chunk: int, kind: str) -> None:
    host = bytearray()
    board = IoManagerFirmware(kind, host.extend, lambda data: dut.receive(data))
    hooks = _Hooks(lambda data: None)
    dut = DutFirmware(FirmwareConfig(), hooks)
    dut.boot()  # the banner is not relayed: it would answer the first passthrough (stale)
    hooks.sink = board.receive_from_dut
    board_lines = LineSplitter()

    def transport(command: str) -> bytes:
        board.receive_from_host(encode_passthrough(command))
        lines = board_lines.feed(bytes(host))
        host.clear()
        check_passthrough_ack(lines[:2], command)
        dut_lines = [strip_dut_prefix(line) for line in lines[2:]]
        assert None not in dut_lines
        return "".join(f"{line}\n" for line in dut_lines).encode()  # type: ignore[str-bytes-safe]

    responses = _exchange([*db_load_commands(payload, chunk), "db print"], transport)
    _check_load(payload, responses)
    assert dut.tensor == payload


@FAST
@given(
    st.lists(
        st.sampled_from(
            [
                "name",
                "profile",
                "timestamp",
                "db load 3",
                "db 0a0b",
                "db 0c",
                "db print",
                "infer 2 1",
                "results",
                "db 0z",
                "bogus",
                "db",
            ]
        ),
        min_size=1,
        max_size=12,
    ),
    st.lists(st.integers(0, 400), max_size=20),
)
def test_dut_output_does_not_depend_on_how_input_is_split(
    commands: list[str], cuts: list[int]
) -> None:
    stream = b"".join(encode_command(c) for c in commands)
    outputs = []
    for pieces in ([stream], _split(stream, cuts)):
        out = bytearray()
        dut = DutFirmware(FirmwareConfig(), _Hooks(out.extend))
        dut.boot()
        for piece in pieces:
            dut.receive(piece)
        outputs.append(bytes(out))
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b"m-ready\r\n") == len(commands) + 1
