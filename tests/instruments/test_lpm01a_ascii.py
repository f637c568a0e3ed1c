"""The ascii_dec decoder: exact values, records, drops, errors, garbage, any byte split."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.errors import MeasurementError
from tinyjoule.host.instruments.lpm01a_ascii import AsciiDecoder
from tinyjoule.host.measurement.stream import Event, MonitorStatus, SampleBlock, SampleDrop

DEVICE = "LPM01A (/dev/ttyACM0)"


def decode(data: bytes, rate_hz: float = 1000, **kwargs) -> tuple[np.ndarray, list, AsciiDecoder]:
    decoder = AsciiDecoder(rate_hz, "J", device=DEVICE, **kwargs)
    return split_decode(decoder, [data])


def split_decode(
    decoder: AsciiDecoder, pieces: list[bytes]
) -> tuple[np.ndarray, list, AsciiDecoder]:
    """All samples (checking that blocks are contiguous) and the other items, in order."""
    values: list[np.ndarray] = []
    others: list = []
    for piece in pieces:
        for item in decoder.feed(piece):
            if isinstance(item, SampleBlock):
                assert item.first_index == sum(len(v) for v in values)
                assert item.unit == "J" and item.sample_rate_hz == decoder.tracker.sample_rate_hz
                values.append(item.samples)
            else:
                others.append(item)
    return (np.concatenate(values) if values else np.zeros(0)), others, decoder


def test_values_are_mantissa_times_power_of_ten_exactly() -> None:
    values, others, decoder = decode(b"6409-07\r\n1000+00\r\n0001-03\r\n9999-22\r\n0000+00\r\n")
    assert values.tolist() == [float("6409e-07"), 1000.0, 1e-3, float("9999e-22"), 0.0]
    assert values.dtype == np.float64 and others == [] and decoder.garbage_bytes == 0


def test_extreme_exponents_are_within_one_ulp() -> None:
    values, _, _ = decode(b"5000+29\r\n1234-45\r\n9999+99\r\n")
    np.testing.assert_allclose(values, [5e32, 1234e-45, 9999e99], rtol=3e-16)


def test_glued_values_nul_prefix_and_fragments() -> None:
    values, _, decoder = decode(b"6409-076410-07\r\n\x006411-07\r\n33930-08\r\n12\r\n")
    assert values.tolist() == [6409e-07, 6410e-07, 6411e-07, 3930e-08]
    assert decoder.garbage_bytes == 1 + 2  # the leading "3" of 33930-08 and the "12"
    assert np.isfinite(values).all()


@pytest.mark.parametrize("after_colon", [" ", ">", "<"])
@pytest.mark.parametrize("buff", ["0", "07", "55", "100"])
def test_timestamp_becomes_status_at_the_next_sample(after_colon: str, buff: str) -> None:
    data = b"1000-06\r\n" * 3 + f"TimeStamp:{after_colon}001s 000ms, buff {buff}%\r\n".encode()
    data += b"\x001000-06\r\n"
    values, others, _ = decode(data)
    assert len(values) == 4
    assert others == [MonitorStatus(sample_index=3, buffer_percent=int(buff))]


def test_event_index_is_the_next_sample_and_counter_is_parsed_not_the_edge_word() -> None:
    data = b"1000-06\r\nevent 00 ris\r\n1000-06\r\n1000-06\r\nevent 01 fal\r\nevent 123 ris\r\n"
    _, others, _ = decode(data)
    assert others == [
        Event(sample_index=1, rising=None, counter=0),
        Event(sample_index=3, rising=None, counter=1),
        Event(sample_index=3, rising=None, counter=123),
    ]


def stamped(counts: list[int], rate_ms: int = 1000) -> bytes:
    out = b""
    for second, count in enumerate(counts, start=1):
        out += b"2000-06\r\n" * count
        ms = second * rate_ms
        out += f"TimeStamp: {ms // 1000:03d}s {ms % 1000:03d}ms, buff 01%\r\n\x00".encode()
    return out


def test_fewer_samples_between_stamps_is_a_counted_drop() -> None:
    values, others, decoder = decode(stamped([20, 20, 17, 20]), rate_hz=20)
    assert len(values) == 77
    drops = [item for item in others if isinstance(item, SampleDrop)]
    assert drops == [SampleDrop(first_index=40, count=3)]
    assert decoder.tracker.dropped_samples == 3 and decoder.tracker.extra_samples == 0
    status = [item.sample_index for item in others if isinstance(item, MonitorStatus)]
    assert status == [20, 40, 57, 77]


def test_expected_count_scales_with_elapsed_ms_and_extra_samples_are_counted() -> None:
    data = b"1000-06\r\n" * 5 + b"TimeStamp: 000s 500ms, buff 00%\r\n"
    data += b"1000-06\r\n" * 11 + b"TimeStamp: 001s 500ms, buff 00%\r\n"  # 10 expected at 10 Hz
    data += b"1000-06\r\n" * 4 + b"TimeStamp: 002s 000ms, buff 00%\r\n"  # 5 expected
    _, others, decoder = decode(data, rate_hz=10)
    assert [o for o in others if isinstance(o, SampleDrop)] == [SampleDrop(16, 1)]
    assert decoder.tracker.extra_samples == 1


def test_overrun_in_the_stream_raises_naming_device_text_and_fix_and_stays_failed() -> None:
    decoder = AsciiDecoder(1000, "A", device=DEVICE)
    decoder.feed(b"1000-06\r\n")
    with pytest.raises(MeasurementError) as info:
        decoder.feed(b"\r\nPowerShield > error: buffer overrun, acquisition stopped\r\n")
    message = str(info.value)
    assert DEVICE in message and "buffer overrun" in message
    assert "lower the sample rate or use bin_hexa" in message and "sample 1" in message
    with pytest.raises(MeasurementError):
        decoder.feed(b"1000-06\r\n")


def test_command_replies_inside_the_stream_go_to_the_text_sink() -> None:
    texts: list[str] = []
    data = b"1000-06PowerShield > ack pwr on\r\n\r\nPowerShield > error pwr off\r\n"
    data += b"PowerShield > Error detail: not now\r\n1000-06\r\nsummary begin\r\npwr on\r\n"
    values, others, decoder = decode(data, on_text=texts.append)
    assert len(values) == 2 and others == [] and decoder.garbage_bytes == 0
    assert texts == [
        "ack pwr on",
        "error pwr off",
        "Error detail: not now",
        "summary begin",
        "pwr on",
    ]


def test_stale_data_before_the_start_ack_and_data_after_the_end_are_skipped() -> None:
    texts: list[str] = []
    data = b"33930-08\r\n3340-08\r\nPowerShield > ack\r\n\r\nPowerShield > ack start\r\n\r\n"
    data += b"1000-06\r\n1001-06\r\n\r\nPowerShield > Acquisition completed\r\n\r\n1002-06\r\n"
    data += b"PowerShield > ack stop\r\n"
    values, _, decoder = decode(data, on_text=texts.append, await_start_ack=True)
    assert values.tolist() == [1000e-06, 1001e-06]
    assert decoder.ended and texts == ["ack", "ack start", "Acquisition completed", "ack stop"]
    assert decoder.stale_bytes == 15 and decoder.garbage_bytes == 9


def test_end_marker_end_also_ends() -> None:
    _, _, decoder = decode(b"1000-06\r\nend\r\n")
    assert decoder.ended


def test_memory_stays_bounded_without_newlines() -> None:
    decoder = AsciiDecoder(1000, "A")
    for _ in range(20):
        decoder.feed(b"\xff" * 1000)
    assert len(decoder._tail) <= 4096 and decoder.garbage_bytes >= 16000


# -- properties -----------------------------------------------------------------------------
_record = st.one_of(
    st.tuples(st.just("v"), st.integers(0, 9999), st.integers(-22, 22)),
    st.tuples(st.just("glued"), st.integers(0, 9999), st.integers(-22, 22)),
    st.tuples(st.just("event"), st.integers(0, 999), st.sampled_from(["ris", "fal"])),
    st.tuples(st.just("stamp"), st.integers(0, 999_999), st.integers(0, 100)),
    st.tuples(
        st.just("text"), st.sampled_from(["ack htc", "summary begin", "pwr off"]), st.just(0)
    ),
)


def render(records: list[tuple]) -> tuple[bytes, list[float]]:
    out, values = [], []
    for kind, a, b in records:
        if kind in ("v", "glued"):
            token = f"{a:04d}{'-' if b < 0 else '+'}{abs(b):02d}"
            out.append(token + ("" if kind == "glued" else "\r\n"))
            values.append(float(f"{a}e{b}"))
        elif kind == "event":
            out.append(f"\r\nevent {a:02d} {b}\r\n")
        elif kind == "stamp":
            out.append(f"\r\nTimeStamp: {a // 1000:03d}s {a % 1000:03d}ms, buff {b:02d}%\r\n\x00")
        else:
            out.append(f"\r\nPowerShield > {a}\r\n")
    return "".join(out).encode() + b"\r\n", values


@settings(max_examples=150, deadline=None)
@given(st.lists(_record, max_size=60), st.lists(st.integers(0, 10_000), max_size=6))
def test_any_split_gives_the_unsplit_result(records: list[tuple], cuts: list[int]) -> None:
    data, expected = render(records)
    whole_values, whole_others, whole = decode(data, on_text=lambda _t: None)
    assert whole_values.tolist() == expected
    points = sorted({min(cut, len(data)) for cut in cuts})
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    decoder = AsciiDecoder(1000, "J", device=DEVICE, on_text=lambda _t: None)
    values, others, split = split_decode(decoder, pieces)
    assert values.tolist() == whole_values.tolist()
    assert others == whole_others
    assert split.garbage_bytes == whole.garbage_bytes == 0


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_record, max_size=30),
    st.lists(st.binary(min_size=1, max_size=20).map(lambda b: bytes(0xC0 | x for x in b))),
    st.randoms(use_true_random=False),
)
def test_garbage_is_counted_and_never_becomes_a_value(records, garbage, rnd) -> None:
    data, expected = render(records)
    lines = data.split(b"\r\n")
    for junk in garbage:
        lines.insert(rnd.randint(0, len(lines)), junk)
    values, _, decoder = decode(b"\r\n".join(lines) + b"\r\n", on_text=lambda _t: None)
    assert values.tolist() == expected
    assert decoder.garbage_bytes == sum(len(j) for j in garbage)


@settings(max_examples=100, deadline=None)
@given(st.lists(_record, min_size=1, max_size=40), st.data())
def test_truncation_then_continuation(records: list[tuple], data) -> None:
    stream, expected = render(records)
    cut = data.draw(st.integers(0, len(stream)))
    decoder = AsciiDecoder(1000, "J", on_text=lambda _t: None)
    first = [i for i in decoder.feed(stream[:cut]) if isinstance(i, SampleBlock)]
    got = [v for block in first for v in block.samples.tolist()]
    assert got == expected[: len(got)]
    rest = [i for i in decoder.feed(stream[cut:]) if isinstance(i, SampleBlock)]
    assert all(b.first_index == a.end_index for a, b in itertools.pairwise(first + rest))
    assert got + [v for block in rest for v in block.samples.tolist()] == expected
