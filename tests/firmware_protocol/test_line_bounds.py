"""Property tests of the bounded line buffer and of clipped device text: random streams of
random-length lines (far over the limit too, and data with no newline at all), split at
random byte boundaries."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.device_text import (
    LineBuffer,
    clip,
    cut_marker,
    quote_lines,
)
from tinyjoule.firmware_protocol.dut_codec import LineSplitter, ResponseAssembler

FAST = settings(max_examples=200, deadline=None)
LIMIT = 64
_NO_NEWLINE = st.binary(max_size=4 * LIMIT).map(lambda b: b.replace(b"\n", b"."))
_LINES = st.lists(
    st.one_of(
        _NO_NEWLINE,
        st.integers(LIMIT + 1, 40 * LIMIT).map(lambda n: bytes(i % 251 for i in range(n))),
    ).map(lambda b: b.replace(b"\n", b".")),
    max_size=12,
)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def _expected(line: bytes, limit: int = LIMIT) -> bytes:
    if len(line) <= limit:
        return line
    head, tail = limit // 2, limit - limit // 2
    return line[:head] + cut_marker(len(line) - limit).encode() + line[-tail:]


def _assert_bounded(buffer: LineBuffer) -> None:
    assert len(buffer._head) <= buffer.max_line_bytes
    assert len(buffer._tail) <= buffer.max_line_bytes - buffer.max_line_bytes // 2
    assert len(buffer.pending) <= buffer.max_line_bytes + len(cut_marker(10**12))


@FAST
@given(_LINES, _NO_NEWLINE, st.lists(st.integers(0, 20000), max_size=40))
def test_lines_that_fit_come_out_intact_and_long_ones_as_head_and_tail(
    lines: list[bytes], unterminated: bytes, cuts: list[int]
) -> None:
    stream = b"".join(line + b"\n" for line in lines) + unterminated
    buffer = LineBuffer(LIMIT)
    out: list[bytes] = []
    for chunk in _split(stream, cuts):
        out += buffer.feed(chunk)
        _assert_bounded(buffer)
    assert out == [_expected(line) for line in lines]
    assert buffer.pending == _expected(unterminated)
    assert buffer.cut_bytes == sum(max(0, len(x) - LIMIT) for x in [*lines, unterminated])


@FAST
@given(st.integers(0, 1 << 20), st.lists(st.integers(0, 1 << 20), max_size=30))
def test_no_newline_at_all_keeps_memory_bounded(size: int, cuts: list[int]) -> None:
    data = bytes(i % 256 for i in range(256)).replace(b"\n", b"?") * (size // 256 + 1)
    data = data[:size]
    buffer = LineBuffer(LIMIT)
    for chunk in _split(data, cuts):
        assert buffer.feed(chunk) == []
        _assert_bounded(buffer)
    assert buffer.pending == _expected(data)
    assert buffer.clear() == _expected(data) and buffer.pending == b""


@FAST
@given(_LINES, st.lists(st.integers(0, 20000), max_size=40))
def test_the_dut_splitter_decodes_the_same_bounded_lines(
    lines: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(line + b"\r\n" for line in lines)
    splitter = LineSplitter(LIMIT)
    out = [text for chunk in _split(stream, cuts) for text in splitter.feed(chunk)]
    expected = [
        _expected(line + b"\r").replace(b"\r", b"").replace(b"\0", b"").decode("ascii", "replace")
        for line in lines
    ]
    assert out == expected
    assert all(len(text) <= LIMIT + len(cut_marker(10**12)) for text in out)


def test_a_runaway_line_ending_in_m_ready_keeps_its_end() -> None:
    splitter = LineSplitter()
    line = b"m-results-[" + b"0.000," * 2_000_000 + b"m-ready\r\n"
    (text,) = splitter.feed(line)
    assert text.startswith("m-results-[0.000,") and text.endswith("0.000,m-ready")
    cut = len(line) - 1 - 8192  # the line's bytes (its \r too) less the head and tail kept
    assert f"[... {cut} bytes cut ...]" in text and len(text) < 8300


_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=3000)
_MARKER = re.compile(r"\[\.\.\. (\d+) bytes cut \.\.\.\]")


def _stands_for(text: str) -> int:
    """Bytes ``text`` stands for: its characters, markers counted as what they cut."""
    return len(text) + sum(int(m[1]) - len(m[0]) for m in _MARKER.finditer(text))


@FAST
@given(_TEXT, st.integers(1, 500), st.integers(1, 500))
def test_clip_keeps_head_and_tail_and_counts_what_it_cut(text: str, first: int, second: int):
    once = clip(text, first)
    if len(text) <= first:
        assert once == text
        return
    assert len(once) <= max(first, 2 + len(cut_marker(len(text))))
    marker = _MARKER.search(once)
    assert marker is not None
    assert text.startswith(once[: marker.start()]) and text.endswith(once[marker.end() :])
    assert _stands_for(once) == _stands_for(text)
    assert _stands_for(clip(once, second)) == _stands_for(text)  # a second cut adds up


def test_quote_lines_keeps_first_and_last_lines() -> None:
    lines = [f"line {i}" for i in range(100)] + ["x" * 10_000]
    text = quote_lines(lines)
    assert text.startswith("['line 0', 'line 1', 'line 2', ... 95 more line(s) ...")
    assert "[... 98" in text and len(text) < 600


def test_a_reply_that_never_ends_keeps_its_first_and_last_lines() -> None:
    assembler = ResponseAssembler(max_lines=10)
    assembler.start("infer 1 0")
    for i in range(1000):
        assert assembler.feed_line(f"line {i}") is None
        assert len(assembler.partial_lines) <= 11
    response = assembler.feed_line("m-ready")
    assert response is not None
    assert response.lines == (
        *(f"line {i}" for i in range(5)),
        "[... 991 lines cut ...]",
        *(f"line {i}" for i in range(996, 1000)),
        "m-ready",
    )
