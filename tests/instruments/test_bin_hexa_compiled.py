"""The compiled bin_hexa kernel against the numpy path (a separate implementation): the same
float32 bits, items and garbage counts for any byte stream split anywhere; its argument
checks; and CI's demand that it is built."""

from __future__ import annotations

import os

import numpy as np
import pytest
from bin_hexa_paths import kernel_or_skip
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.errors import MeasurementError
from tinyjoule.host.instruments import bin_hexa_compiled
from tinyjoule.host.instruments.lpm01a_binary import WORD_VALUES, BinHexaDecoder
from tinyjoule.host.measurement.stream import SampleBlock


@pytest.fixture(autouse=True, scope="module")
def _kernel() -> None:
    kernel_or_skip()


def outcome(pieces: list[bytes], compiled: bool) -> tuple:
    """Everything a decoder makes of ``pieces``: sample bits, other items, counters, error."""
    decoder = BinHexaDecoder(1000, "A", compiled=compiled, on_text=lambda _t: None)
    samples: list[np.ndarray] = []
    items: list = []
    error = None
    try:
        for piece in pieces:
            for item in decoder.feed(piece):
                if isinstance(item, SampleBlock):
                    samples.append(item.samples.astype(np.float32))
                    items.append(("block", item.first_index, len(item.samples)))
                else:
                    items.append(item)
    except MeasurementError as exc:
        error = str(exc)
    bits = np.concatenate(samples).view(np.uint32).tolist() if samples else []
    counters = (decoder.garbage_bytes, decoder.next_index, decoder.ended, decoder.voltage_mv)
    return bits, items, counters, error, len(decoder._tail)


def frame(kind: int, payload: bytes = b"") -> bytes:
    return bytes((0xF0, kind)) + payload + b"\xff\xff"


_chunk = st.one_of(
    # long runs of sample words reach the kernel's 32-word blocks
    st.tuples(st.integers(1, 120), st.integers(0, 2**32 - 1)).map(  # cheap to draw
        lambda a: np.random.default_rng(a[1]).integers(0, 0xF000, a[0]).astype(">u2").tobytes()
    ),
    st.binary(max_size=12),  # raw garbage, reserved words, stray 0xF0 bytes
    st.integers(0, 2**32 - 1).map(lambda ms: frame(0xF3, ms.to_bytes(4, "big") + b"\x05")),
    st.integers(0, 99).map(lambda n: frame(0xF2, f"event {n:02d} ris".encode())),
    st.sampled_from([frame(0xF6), frame(0xF7, b"\x07\x08"), frame(0xF4), b"\xf0\xf3\x00"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_chunk, max_size=30), st.lists(st.integers(0, 3000), max_size=8))
def test_kernel_and_numpy_paths_agree_on_any_stream_split_anywhere(chunks, cuts) -> None:
    data = b"".join(chunks)
    points = sorted({min(cut, len(data)) for cut in cuts})
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert outcome(pieces, compiled=True) == outcome(pieces, compiled=False)


def test_every_word_in_every_block_position() -> None:
    """All 65,536 words, shifted by 0..33 words so each reserved word lands at every place
    in a 32-word block: values equal the independent float64 table, garbage is counted."""
    all_words = np.arange(1 << 16).astype(">u2").tobytes()
    good = ~np.isnan(WORD_VALUES)
    reserved = int((~good).sum()) - 7  # the seven 0xF0F1..0xF0F7 words start frames
    for shift in range(34):
        stream = bytes(2 * shift) + all_words
        out = np.full(len(stream) // 2, np.nan, np.float32)
        pos, n, garbage = bin_hexa_compiled.decode(stream, 0, len(stream), out, 0)
        assert stream[pos : pos + 2] == b"\xf0\xf1" and garbage == 0xF1  # 0xF000..0xF0F0
        assert np.array_equal(out[: shift + 0xF000], [0.0] * shift + WORD_VALUES[:0xF000].tolist())
        total = [n]
        pos += 2
        while pos < len(stream):  # decode on past each frame start, as the decoder does
            pos, n, more = bin_hexa_compiled.decode(stream, pos, len(stream), out, n)
            garbage += more
            pos += 2
        total.append(n)
        assert total == [shift + 0xF000] * 2 and garbage == reserved


def test_odd_stop_leaves_the_half_word_and_writes_nothing_past_room() -> None:
    out = np.full(4, -1.0, np.float32)
    assert bin_hexa_compiled.decode(b"\x10\x01\x10\x02\x10", 0, 5, out, 1) == (4, 3, 0)
    assert out.tolist() == [-1.0, 1 / 16, 2 / 16, -1.0]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ((b"\x00\x01", 0, 3, np.empty(4, np.float32), 0), "pos <= stop <= len"),
        ((b"\x00\x01", -1, 2, np.empty(4, np.float32), 0), "pos <= stop"),
        ((b"\x00\x01" * 8, 0, 16, np.empty(4, np.float32), 0), "no room"),
        ((b"\x00\x01" * 2, 0, 4, np.empty(2, np.float32), 1), "no room"),
        ((b"\x00\x01", 0, 2, np.empty(8, np.uint8)[1:5].view(np.float32), 0), "aligned"),
        ((b"\x00\x01", 0, 2, np.empty(4, np.float64), 0), "float32 array"),
        ((b"\x00\x01", 0, 2, np.empty(4, np.dtype(np.float32).newbyteorder()), 0), "float32 array"),
        ((b"\x00\x01", 0, 2, bytearray(16), 0), "float32 array"),
        ((b"\x00\x01", 0, 2, np.empty(4, np.float32), 2**62), "no room"),
    ],
)
def test_bad_arguments_are_refused_not_written_past(args: tuple, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        bin_hexa_compiled.decode(*args)
    with pytest.raises(BufferError):  # read-only
        bin_hexa_compiled.decode(b"\x00\x01", 0, 2, b"read-only", 0)
    with pytest.raises(ValueError, match="not C-contiguous"):
        bin_hexa_compiled.decode(b"\x00\x01", 0, 2, np.empty(8, np.float32)[::2], 0)


def test_decoder_can_demand_or_refuse_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    assert BinHexaDecoder(1000, "A")._kernel is bin_hexa_compiled.decode
    assert BinHexaDecoder(1000, "A", compiled=False)._kernel is None
    monkeypatch.setattr(bin_hexa_compiled, "decode", None)
    monkeypatch.setattr(bin_hexa_compiled, "status", "not built (no C compiler)")
    with pytest.raises(RuntimeError, match="bin_hexa kernel: not built"):
        BinHexaDecoder(1000, "A", compiled=True)


def test_environment_turns_the_kernel_off_and_a_stale_build_is_not_used(monkeypatch) -> None:
    monkeypatch.setenv("TINYJOULE_DECODE_KERNEL", "0")
    assert bin_hexa_compiled._load() == (None, "turned off by TINYJOULE_DECODE_KERNEL=0")
    monkeypatch.delenv("TINYJOULE_DECODE_KERNEL")
    monkeypatch.setattr(bin_hexa_compiled, "KERNEL_VERSION", -1)
    decode, status = bin_hexa_compiled._load()
    assert decode is None and "older bin_hexa_kernel.c" in status


@pytest.mark.skipif(
    os.environ.get("TINYJOULE_REQUIRE_DECODE_KERNEL") != "1", reason="only CI demands it"
)
def test_ci_builds_the_kernel() -> None:
    assert bin_hexa_compiled.decode is not None, bin_hexa_compiled.status
