"""The bin_hexa decoder: every word, metadata frames, realignment, garbage, any byte split.

Every test runs twice: through the compiled kernel and through the numpy path."""

from __future__ import annotations

import numpy as np
import pytest
from bin_hexa_paths import decode_path  # noqa: F401  (module-scoped, autouse)
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.errors import MeasurementError
from tinyjoule.host.instruments.lpm01a_binary import (
    JOIN_BYTES,
    MAX_TEXT_FRAME,
    WORD_VALUES,
    BinHexaDecoder,
)
from tinyjoule.host.measurement.stream import Event, MonitorStatus, SampleBlock, SampleDrop
from tinyjoule.host.sim.monitors.lpm01a_formats import bin_words

DEVICE = "LPM01A (COM7)"


def words(*values: int) -> bytes:
    return b"".join(v.to_bytes(2, "big") for v in values)


def frame(kind: int, payload: bytes = b"") -> bytes:
    return bytes((0xF0, kind)) + payload + b"\xff\xff"


def stamp(ms: int, percent: int = 0) -> bytes:
    return frame(0xF3, ms.to_bytes(4, "big") + bytes((percent,)))


def run(decoder: BinHexaDecoder, pieces: list[bytes]) -> tuple[np.ndarray, list]:
    values: list[np.ndarray] = []
    others: list = []
    for piece in pieces:
        for item in decoder.feed(piece):
            if isinstance(item, SampleBlock):
                assert item.first_index == sum(len(v) for v in values)
                values.append(item.samples)
            else:
                others.append(item)
    return (np.concatenate(values) if values else np.zeros(0)), others


def decode(data: bytes, rate_hz: float = 1000, **kwargs) -> tuple[np.ndarray, list, BinHexaDecoder]:
    decoder = BinHexaDecoder(rate_hz, "A", device=DEVICE, **kwargs)
    values, others = run(decoder, [data])
    return values, others, decoder


def test_reference_example_and_every_word_decodes_exactly() -> None:
    values, _, _ = decode(words(0x52A0))
    assert values.tolist() == [0x2A0 * 16.0**-5]  # 640.9 uA (spec 1.5)
    all_words = np.arange(0xF000)
    values, others, decoder = decode(all_words.astype(">u2").tobytes())
    expected = (all_words & 0xFFF) / 16.0 ** (all_words >> 12)
    assert np.array_equal(values, expected) and others == [] and decoder.garbage_bytes == 0


def test_encode_decode_round_trip_for_every_non_reserved_word() -> None:
    values = WORD_VALUES[:0xF000]
    again = WORD_VALUES[bin_words(values)]
    assert np.array_equal(again, values)
    canonical = bin_words(values)
    assert np.array_equal(bin_words(WORD_VALUES[canonical]), canonical)


def test_frames_become_items_and_realign_the_words() -> None:
    texts: list[str] = []
    data = words(0x1001) + frame(0xF7, (1800).to_bytes(2, "big")) + words(0x1002)
    data += stamp(1000, 7) + words(0x1003)  # a 9-byte frame: the next word starts odd
    data += frame(0xF2, b"event 05 ris") + frame(0xF2, b"calibration done") + frame(0xF6)
    data += words(0x1004)
    values, others, decoder = decode(data, on_text=texts.append)
    assert values.tolist() == [1 / 16, 2 / 16, 3 / 16, 4 / 16]
    assert others == [MonitorStatus(2, 7), Event(3, None, 5)]
    assert decoder.voltage_mv == 1800 and decoder.power_downs == 1
    assert texts == ["calibration done", "target power down"]


def test_error_frame_and_overcurrent_raise_naming_device_text_and_fix() -> None:
    with pytest.raises(MeasurementError) as info:
        decode(words(1, 2) + frame(0xF1, b"buffer overrun"))
    message = str(info.value)
    assert DEVICE in message and "buffer overrun" in message and "use bin_hexa" in message
    with pytest.raises(MeasurementError, match="overcurrent"):
        decode(words(1) + frame(0xF5))


def test_dropped_samples_from_stamps_and_flag_bit() -> None:
    data = words(*[0x0100] * 10) + stamp(100) + words(*[0x0100] * 8) + stamp((1 << 31) | 200)
    _, others, decoder = decode(data, rate_hz=100)
    assert others == [MonitorStatus(10, 0), SampleDrop(10, 2), MonitorStatus(18, 0)]
    assert decoder.timestamp_flags == 1


def test_start_ack_then_binary_then_end_frame_then_text() -> None:
    texts: list[str] = []
    data = b"\x13\x37junk\r\n\r\nPowerShield > ack start\r\n\r\n" + words(0x1A0D, 0x0D0A)
    data += frame(0xF4) + b"\r\nPowerShield > Acquisition completed\r\n\r\n"
    values, _, decoder = decode(data, on_text=texts.append, await_start_ack=True)
    # CR/LF bytes are not skipped inside the stream; only right after the ack, where a word
    # starting 0x0D/0x0A (exponent 0: >= 1 A) cannot be a sample
    assert values.tolist() == [0xA0D / 16, 0xD0A / 1]
    assert decoder.ended and texts == ["ack start", "Acquisition completed"]
    assert decoder.garbage_bytes == 6


def test_reserved_words_that_start_no_frame_are_skipped_as_garbage() -> None:
    data = words(0x1001, 0xF912, 0x1002) + b"\xf0\x99" + words(0x1003) + frame(0xF4)[:2]
    data += b"\x00\x00" + words(0x1004)  # an end frame without its 0xFF 0xFF
    values, _, decoder = decode(data)
    assert values.tolist() == [1 / 16, 2 / 16, 3 / 16, 0.0, 4 / 16]
    assert decoder.garbage_bytes == 6 and not decoder.ended


def test_unterminated_text_frame_is_bounded() -> None:
    decoder = BinHexaDecoder(1000, "A")
    decoder.feed(b"\xf0\xf2" + b"a" * 100)
    assert decoder.feed(b"")[:0] == [] and len(decoder._tail) == 102
    decoder.feed(b"a" * 1000)
    assert len(decoder._tail) < 1200 and decoder.garbage_bytes == 2


# -- properties -----------------------------------------------------------------------------
_record = st.one_of(
    st.lists(st.integers(0, 0xEFFF), min_size=1, max_size=20).map(lambda w: ("w", w)),
    st.integers(0, 99).map(lambda n: ("f", frame(0xF2, f"event {n:02d} ris".encode()))),
    st.integers(0, 2**32 - 1).map(lambda ms: ("f", stamp(ms, ms % 101))),
    st.integers(1800, 3300).map(lambda mv: ("f", frame(0xF7, mv.to_bytes(2, "big")))),
    st.just(("f", frame(0xF6))),
    st.text("abc XYZ", min_size=1, max_size=30).map(lambda t: ("f", frame(0xF2, t.encode()))),
)


def render(records: list) -> tuple[bytes, list[float]]:
    out, values = [], []
    for kind, payload in records:
        if kind == "w":
            out.append(words(*payload))
            values.extend(WORD_VALUES[payload].tolist())
        else:
            out.append(payload)
    return b"".join(out), values


@settings(max_examples=200, deadline=None)
@given(st.lists(_record, max_size=40), st.lists(st.integers(0, 2000), max_size=8))
def test_any_split_gives_the_unsplit_result(records: list, cuts: list[int]) -> None:
    data, expected = render(records)
    whole_values, whole_others, whole = decode(data, on_text=lambda _t: None)
    assert whole_values.tolist() == expected and whole.garbage_bytes == 0
    points = sorted({min(cut, len(data)) for cut in cuts})
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    decoder = BinHexaDecoder(1000, "A", device=DEVICE, on_text=lambda _t: None)
    values, others = run(decoder, pieces)
    assert values.tolist() == whole_values.tolist() and others == whole_others


_long_record = st.one_of(
    _record,
    st.tuples(st.integers(1, 1500), st.integers(0, 2**32 - 1)).map(  # cheap to draw
        lambda a: ("w", np.random.default_rng(a[1]).integers(0, 0xF000, a[0]).tolist())
    ),
    st.text("abc", min_size=300, max_size=MAX_TEXT_FRAME).map(
        lambda t: ("f", frame(0xF2, t.encode()))
    ),
    st.just(("f", b"\xf0\xf2" + b"x" * (MAX_TEXT_FRAME + 40))),  # never terminated: garbage
)


@settings(max_examples=100, deadline=None)
@given(st.lists(_long_record, max_size=12), st.lists(st.integers(0, 12_000), max_size=6))
def test_reads_longer_than_the_join_after_a_split_give_the_unsplit_result(records, cuts) -> None:
    """Reads over JOIN_BYTES after a leftover tail are decoded in place (not copied behind
    the tail): the same values, items and garbage as one read."""
    data = render(records)[0]
    whole_values, whole_others, whole = decode(data, on_text=lambda _t: None)
    points = sorted({min(cut, len(data)) for cut in cuts})
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    decoder = BinHexaDecoder(1000, "A", device=DEVICE, on_text=lambda _t: None)
    values, others = run(decoder, pieces)
    assert values.tolist() == whole_values.tolist() and others == whole_others
    assert decoder.garbage_bytes == whole.garbage_bytes and decoder._tail == whole._tail


def test_a_read_after_a_split_frame_is_decoded_in_place() -> None:
    """The join path itself: a stamp split across two reads, the second over JOIN_BYTES."""
    data = words(0x1001) + stamp(5, 1) + words(*range(0x100, 0x100 + JOIN_BYTES))
    decoder = BinHexaDecoder(1000, "A", device=DEVICE)
    values, others = run(decoder, [data[:4], data[4:]])
    assert others == [MonitorStatus(1, 1)] and len(values) == 1 + JOIN_BYTES
    assert values[1:].tolist() == WORD_VALUES[0x100 : 0x100 + JOIN_BYTES].tolist()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_record, max_size=30),
    st.lists(st.tuples(st.integers(0xF8, 0xFF), st.integers(0, 255)), max_size=10),
    st.randoms(use_true_random=False),
)
def test_garbage_words_are_counted_and_never_become_values(records, junk, rnd) -> None:
    pieces = [render([record])[0] for record in records]
    for high, low in junk:
        pieces.insert(rnd.randint(0, len(pieces)), bytes((high, low)))
    values, _, decoder = decode(b"".join(pieces), on_text=lambda _t: None)
    assert values.tolist() == render(records)[1]
    assert decoder.garbage_bytes == 2 * len(junk) and np.isfinite(values).all()


@settings(max_examples=150, deadline=None)
@given(st.lists(_record, max_size=20), st.lists(st.integers(0, 400), max_size=8))
def test_text_binary_text_transitions_survive_any_split(records: list, cuts: list[int]) -> None:
    body, expected = render([("w", [0x1001]), *records])  # CR/LF right after the ack are skipped
    data = b"6409-07\r\n\r\nPowerShield > ack start\r\n\r\n" + body + frame(0xF4)
    data += b"\r\nPowerShield > Acquisition completed\r\n\r\nPowerShield > ack stop\r\n"
    points = sorted({min(cut, len(data)) for cut in cuts})
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    texts: list[str] = []
    decoder = BinHexaDecoder(1000, "A", on_text=texts.append, await_start_ack=True)
    values, _ = run(decoder, pieces)
    assert values.tolist() == expected and decoder.ended
    assert texts[0] == "ack start" and texts[-2:] == ["Acquisition completed", "ack stop"]
    assert decoder.garbage_bytes == 7  # the stale ascii sample before the ack
