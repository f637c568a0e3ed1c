"""Joulescope messages to stream items: hand-written message sequences with exact items, and
properties (GPI bits split at any message boundary give the same edges as one message)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.errors import MeasurementError
from tinyjoule.host.instruments.joulescope_stream import StreamAssembler, bit_edges
from tinyjoule.host.measurement.stream import Event, SampleBlock, SampleDrop

BASE = 2_000_000
DEV = "JS220 (u/js220/001234)"


def msg(sample_id: int, decimate: int, data) -> dict:
    """A ``!data`` message as pyjoulescope_driver hands it to a subscriber."""
    if isinstance(data, (list, tuple)) and data and isinstance(data[0], float):
        data = np.array(data, dtype=np.float32)
    return {
        "sample_id": sample_id,
        "utc": 0,
        "field_id": 1,
        "index": 0,
        "sample_rate": BASE,
        "decimate_factor": decimate,
        "time_map": {"offset_time": 0, "offset_counter": 0, "counter_rate": float(BASE)},
        "data": np.asarray(data),
    }


def gpi(sample_id: int, bits: list[int], decimate: int = 1) -> dict:
    return msg(sample_id, decimate, np.packbits(np.array(bits, np.uint8), bitorder="little"))


def blocks(items) -> list[SampleBlock]:
    return [i for i in items if isinstance(i, SampleBlock)]


def joined(items) -> np.ndarray:
    return np.concatenate([b.samples for b in blocks(items)])


# -- hand-written sequences ------------------------------------------------------------------
def test_energy_samples_use_the_voltage_of_each_sample() -> None:
    s = StreamAssembler(1000.0, "energy", True, DEV)  # D = 2000
    s.add("i", msg(4000 * 2000, 2000, [0.010, 0.020, 0.030]))
    s.add("v", msg(4000 * 2000, 2000, [1.80, 1.90]))
    items = s.take()
    assert len(items) == 1 and items[0].first_index == 0 and items[0].unit == "J"
    assert items[0].sample_rate_hz == 1000.0
    np.testing.assert_allclose(items[0].samples, [0.010 * 1.8e-3, 0.020 * 1.9e-3], rtol=1e-6)
    s.add("v", msg(4002 * 2000, 2000, [2.0]))
    (block,) = s.take()
    assert block.first_index == 2
    np.testing.assert_allclose(block.samples, [0.030 * 2.0e-3], rtol=1e-6)
    assert s.mean_voltage_v == pytest.approx((1.8 + 1.9 + 2.0) / 3, rel=1e-6)


def test_index_zero_is_the_first_sample_both_signals_have() -> None:
    s = StreamAssembler(1000.0, "energy", True, DEV)
    s.add("i", msg(10 * 2000, 2000, [1.0, 2.0, 3.0, 4.0]))
    assert s.take() == []  # no voltage yet
    s.add("v", msg(12 * 2000, 2000, [1.0, 1.0, 1.0]))
    (block,) = s.take()
    assert block.first_index == 0
    np.testing.assert_allclose(block.samples, [3e-3, 4e-3])


def test_current_output_needs_no_voltage() -> None:
    s = StreamAssembler(1000.0, "current", True, DEV)
    s.add("i", msg(7 * 2000, 2000, [0.5, 0.25]))
    s.add("v", msg(7 * 2000, 2000, [9.0, 9.0]))  # ignored
    (block,) = s.take()
    assert block.unit == "A"
    np.testing.assert_allclose(block.samples, [0.5, 0.25])


def test_sample_id_gap_is_a_drop_at_exact_indices_and_later_indices_stay() -> None:
    s = StreamAssembler(1000.0, "current", True, DEV)
    s.add("i", msg(100 * 2000, 2000, [1.0] * 5))
    s.add("i", msg(108 * 2000, 2000, [2.0] * 2))  # samples 105, 106, 107 lost
    items = s.take()
    assert items[0] == SampleDrop(5, 3)
    (block,) = blocks(items)
    assert block.first_index == 0
    np.testing.assert_array_equal(block.samples, [1, 1, 1, 1, 1, 0, 0, 0, 2, 2])


def test_nan_samples_from_the_vendor_driver_are_drops() -> None:
    s = StreamAssembler(1000.0, "energy", True, DEV)
    s.add("i", msg(0, 2000, [1.0, float("nan"), float("nan"), 1.0, 1.0]))
    s.add("v", msg(0, 2000, [1.0, 1.0, 1.0, 1.0, float("nan")]))
    items = s.take()
    assert [i for i in items if isinstance(i, SampleDrop)] == [SampleDrop(1, 2), SampleDrop(4, 1)]
    np.testing.assert_allclose(joined(items), [1e-3, 0, 0, 1e-3, 0])


def test_repeated_samples_are_kept_once() -> None:
    s = StreamAssembler(1000.0, "current", True, DEV)
    s.add("i", msg(0, 2000, [1.0, 2.0, 3.0]))
    s.add("i", msg(1 * 2000, 2000, [2.0, 3.0, 4.0]))  # overlaps samples 1 and 2
    np.testing.assert_array_equal(joined(s.take()), [1, 2, 3, 4])


def test_gpi_rising_edge_at_full_rate_gives_the_next_output_sample() -> None:
    # output 1 kHz (D = 2000); GPI at 2 MHz. Index 0 = output sample 1000.
    s = StreamAssembler(1000.0, "current", True, DEV)
    s.add("i", msg(1000 * 2000, 2000, [1.0] * 10))
    first = 1000 * 2000 + 3 * 2000 + 5  # a base id inside output sample 1003
    bits = [0] * 8 + [1] * 8
    s.add("gpi", gpi(first - 8, bits))  # the first 1 is at base id ``first``
    events = [i for i in s.take() if isinstance(i, Event)]
    assert events == [Event(4, rising=True)]  # the edge lies in sample 3


def test_edge_on_a_sample_boundary_belongs_to_the_sample_before() -> None:
    s = StreamAssembler(1000.0, "current", False, DEV)
    s.add("i", msg(0, 2000, [1.0] * 10))
    # the first 0 at base 6000, the first bit of output sample 3: the edge came after 5999
    s.add("gpi", gpi(6000 - 8, [1] * 8 + [0] * 8))
    assert [i for i in s.take() if isinstance(i, Event)] == [Event(3, rising=False)]


def test_gpi_decimated_like_the_output_and_falling_edges() -> None:
    s = StreamAssembler(1000.0, "current", False, DEV)
    s.add("i", msg(50 * 2000, 2000, [1.0] * 20))
    bits = [1, 1, 1, 0, 0, 1, 1, 0]  # one bit per output sample, from sample 50
    s.add("gpi", gpi(50 * 2000, bits, decimate=2000))
    assert [i for i in s.take() if isinstance(i, Event)] == [
        Event(3, rising=False),
        Event(7, rising=False),
    ]


def test_samples_at_another_rate_are_refused() -> None:
    s = StreamAssembler(1000.0, "current", True, DEV)
    with pytest.raises(MeasurementError, match=r"1e\+06 Hz, not the configured 1000 Hz.*h/fs"):
        s.add("i", msg(0, 2, [1.0]))


def test_early_gpi_edges_are_placed_once_index_zero_is_known() -> None:
    s = StreamAssembler(1_000_000.0, "current", True, DEV)  # D = 2
    s.add("gpi", gpi(100, [0] * 3 + [1] * 5 + [0] * 8 + [1] * 8))  # rising at 103 and 116
    assert s.take() == []
    s.add("i", msg(104, 2, [1.0] * 20))  # index 0 = output sample 52 = base 104
    events = [i for i in s.take() if isinstance(i, Event)]
    assert events == [Event(58 - 52, rising=True)]  # 103 is before index 1; 116 -> ceil(58)


def test_gpi_gap_is_a_drop_and_a_level_change_across_it_an_edge_inside_it() -> None:
    s = StreamAssembler(1_000_000.0, "current", True, DEV)  # D = 2
    s.add("i", msg(0, 2, [1.0] * 100))
    s.add("gpi", gpi(0, [0] * 16))
    s.add("gpi", gpi(40, [1] * 16))  # bits 16..39 never arrived; the pin rose in there
    items = s.take()
    assert SampleDrop(8, 12) in items  # base 16..39 = output samples 8..19
    assert Event(20, rising=True) in items  # at the first bit after the gap


def test_a_loss_seen_on_every_signal_is_counted_once() -> None:
    s = StreamAssembler(1_000_000.0, "energy", True, DEV)
    for signal in ("i", "v"):
        s.add(signal, msg(0, 2, [1.0] * 10))
        s.add(signal, msg(30, 2, [1.0] * 10))  # output samples 10..14 lost
    s.add("gpi", gpi(0, [1] * 16))
    s.add("gpi", gpi(24, [1] * 32))  # base 16..23 lost: samples 8..11
    drops = [i for i in s.take() if isinstance(i, SampleDrop)]
    covered = [k for d in drops for k in range(d.first_index, d.first_index + d.count)]
    assert sorted(covered) == list(range(8, 15))  # 8..11 (pin) and 10..14 (samples), once


def test_a_restarted_instrument_is_not_padded() -> None:
    s = StreamAssembler(1000.0, "current", True, DEV)
    s.add("i", msg(0, 2000, [1.0]))
    with pytest.raises(MeasurementError, match=r"jumped by .* the instrument restarted"):
        s.add("i", msg(2000 * (1 << 23), 2000, [1.0]))


def test_a_message_without_sample_id_names_the_fix() -> None:
    s = StreamAssembler(1000.0, "current", True, DEV)
    with pytest.raises(MeasurementError, match=r"JS220 \(u/js220/001234\).*sample_id.*-U"):
        s.add("i", {"data": np.zeros(3, np.float32)})


# -- properties ------------------------------------------------------------------------------
def naive_edges(bits: np.ndarray, previous: int | None, first: int) -> list[tuple[int, bool]]:
    out = []
    before = previous
    for j in range(first, len(bits)):
        if before is not None and bits[j] != before:
            out.append((j, bool(bits[j])))
        before = bits[j]
    return out


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([0x00, 0xFF, 0x01, 0x80, 0x7F, 0xFE]) | st.integers(0, 255),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from([None, 0, 1]),
    st.integers(0, 400),
)
def test_bit_edges_match_a_bit_by_bit_reference(data, previous, first) -> None:
    packed = np.array(data, np.uint8)
    first = min(first, len(data) * 8 - 1)
    bits = np.unpackbits(packed, bitorder="little")
    positions, rising, last = bit_edges(packed, previous, first)
    assert list(zip(positions.tolist(), rising.tolist(), strict=True)) == naive_edges(
        bits, previous, first
    )
    assert last == bits[-1]


@st.composite
def gpi_streams(draw):
    """Runs of a level, as bits (a multiple of 8), cut into messages at byte boundaries;
    some messages are sent twice or overlap the one before (the vendor driver's resends)."""
    runs = draw(st.lists(st.integers(1, 40), min_size=1, max_size=30))
    level = draw(st.integers(0, 1))
    bits: list[int] = []
    for length in runs:
        bits += [level] * length
        level ^= 1
    bits += [level] * (-len(bits) % 8)
    n_bytes = len(bits) // 8
    cuts = sorted(set(draw(st.lists(st.integers(1, max(n_bytes - 1, 1)), max_size=10))))
    pieces = [(a, b) for a, b in zip([0, *cuts], [*cuts, n_bytes], strict=True) if b > a]
    messages = []
    for a, b in pieces:
        back = draw(st.integers(0, a))  # resend from ``back`` bytes earlier
        messages.append((a - back, b))
    return np.array(bits, np.uint8), messages


@settings(max_examples=200, deadline=None)
@given(
    gpi_streams(),
    st.sampled_from([(1_000_000.0, 1), (1_000_000.0, 2), (500_000.0, 1), (200_000.0, 10)]),
    st.booleans(),
    st.integers(0, 50),
)
def test_gpi_split_anywhere_gives_the_same_edges(stream, rates, rising, offset) -> None:
    bits, messages = stream
    fs, gpi_decimate = rates
    decimate = round(BASE / fs)
    start = 7_340_032_000 + offset * gpi_decimate  # device counts do not start at 0

    def events(pieces) -> list[Event]:
        s = StreamAssembler(fs, "current", rising, DEV)
        s.add("i", msg(start // decimate * decimate, decimate, [0.0] * 4))
        for a, b in pieces:
            chunk = np.packbits(bits[a * 8 : b * 8], bitorder="little")
            s.add("gpi", msg(start + a * 8 * gpi_decimate, gpi_decimate, chunk))
        return [i for i in s.take() if isinstance(i, Event)]

    whole = events([(0, len(bits) // 8)])
    assert events(messages) == whole
    origin = start // decimate
    expected = []
    for j in range(1, len(bits)):
        if bits[j] != bits[j - 1] and bool(bits[j]) == rising:
            index = -(-(start + j * gpi_decimate) // decimate) - origin
            if index >= 1:
                expected.append(Event(index, rising=rising))
    assert whole == expected


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(1, 30), min_size=1, max_size=12),
    st.lists(st.integers(1, 30), min_size=1, max_size=12),
)
def test_current_and_voltage_cut_differently_give_the_same_samples(i_cuts, v_cuts) -> None:
    rng = np.random.default_rng(len(i_cuts) * 100 + len(v_cuts))
    n = min(sum(i_cuts), sum(v_cuts))
    current = rng.uniform(0, 0.05, n).astype(np.float32)
    volts = rng.uniform(1.7, 1.9, n).astype(np.float32)
    s = StreamAssembler(1000.0, "energy", True, DEV)
    items = []
    pos_i = pos_v = 0
    for k in range(max(len(i_cuts), len(v_cuts))):
        if k < len(i_cuts) and pos_i < n:
            s.add("i", msg((3 + pos_i) * 2000, 2000, current[pos_i : pos_i + i_cuts[k]]))
            pos_i += i_cuts[k]
        if k < len(v_cuts) and pos_v < n:
            s.add("v", msg((3 + pos_v) * 2000, 2000, volts[pos_v : pos_v + v_cuts[k]]))
            pos_v += v_cuts[k]
        items += s.take()
    got = blocks(items)
    assert [b.first_index for b in got] == list(np.cumsum([0] + [len(b.samples) for b in got]))[:-1]
    expected = current.astype(np.float64) * volts.astype(np.float64) / 1000.0
    np.testing.assert_allclose(joined(items), expected[: len(joined(items))], rtol=1e-12)
    assert len(joined(items)) == min(pos_i, pos_v)
