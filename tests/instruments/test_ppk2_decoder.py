"""The PPK2 sample decoder against a sample-by-sample reference written from spec 3.4:
random words, range switches, counter wrap, split reads at any byte, gaps, corrupt words,
lost alignment, events on any channel and edge."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinyjoule.errors import MeasurementError
from tinyjoule.firmware_protocol.ppk2_protocol import Calibration, current_table
from tinyjoule.host.instruments.ppk2_decoder import Ppk2Decoder
from tinyjoule.host.measurement.stream import Event, SampleBlock, SampleDrop
from tinyjoule.host.sim.monitors.ppk2 import SIM_CALIBRATION

TABLE = current_table(SIM_CALIBRATION, 1800)
PLAIN = current_table(Calibration(), 3300)
FAST = settings(
    max_examples=int(__import__("os").environ.get("PPK2_EXAMPLES", 60)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def word(adc: int, rng: int, counter: int, logic: int) -> int:
    return adc | rng << 14 | (counter % 64) << 18 | logic << 24


def pack(words: list[int]) -> bytes:
    return np.array(words, "<u4").tobytes()


def reference(words: list[int], table: np.ndarray, channel: int = 0, rising: bool = False):
    """Spec 3.4 one sample at a time: values (spike-filtered) and event indices."""
    values, events = [], []
    ema = ema4 = None
    previous = level = None
    after = consecutive = 0
    for k, w in enumerate(words):
        rng = min((w >> 14) & 7, 4)
        value = float(table[rng][w & 0x3FFF])
        saved = (ema, ema4)
        ema = value if ema is None else 0.18 * value + (1.0 - 0.18) * ema
        ema4 = value if ema4 is None else 0.06 * value + (1.0 - 0.06) * ema4
        previous = rng if previous is None else previous
        if previous != rng or after > 0:
            if previous != rng:
                consecutive, after = 0, 3
            else:
                consecutive += 1
            if rng == 4:
                if consecutive < 2:
                    ema, ema4 = saved
                value = ema4
            else:
                value = ema
            after -= 1
        previous = rng
        values.append(value)
        bit = (w >> (24 + channel)) & 1
        if level is not None and bit != level and bit == int(rising):
            events.append(k + 1)
        level = bit
    return np.array(values), events


def decode(data: bytes, cuts: list[int] = (), table=TABLE, **kwargs):
    """Feed ``data`` split at ``cuts``, then flush: (values, events, drops, decoder)."""
    decoder = Ppk2Decoder(table, **kwargs)
    items = []
    bounds = [0, *sorted(c % (len(data) + 1) for c in cuts), len(data)]
    for lo, hi in itertools.pairwise(bounds):
        items += decoder.feed(data[lo:hi])
    items += decoder.flush()
    blocks = [i for i in items if isinstance(i, SampleBlock)]
    for a, b in itertools.pairwise(blocks):
        assert b.first_index == a.end_index
    values = np.concatenate([b.samples for b in blocks]) if blocks else np.zeros(0)
    events = [i for i in items if isinstance(i, Event)]
    drops = [i for i in items if isinstance(i, SampleDrop)]
    assert len(values) == decoder.next_index
    return values, events, drops, decoder


def same_values(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15)


# -- strategies ----------------------------------------------------------------------------
runs = st.lists(
    st.tuples(st.integers(0, 7), st.integers(1, 40)), min_size=1, max_size=12
)  # (range, run length): range switches, including 5-7 (read as 4) and range 4's rules


@st.composite
def streams(draw, min_words: int = 1):
    ranges = [r for r, length in draw(runs) for _ in range(length)]
    while len(ranges) < min_words:
        ranges += ranges
    n = len(ranges)
    adcs = draw(st.lists(st.integers(0, 0x3FFF), min_size=n, max_size=n))
    logic = draw(st.lists(st.integers(0, 255), min_size=n, max_size=n))
    start = draw(st.integers(0, 63))
    return [
        word(a, r, start + k, g)
        for k, (a, r, g) in enumerate(zip(adcs, ranges, logic, strict=True))
    ]


# -- properties ------------------------------------------------------------------------------
@FAST
@given(streams(), st.lists(st.integers(0, 10_000), max_size=8), st.integers(0, 7), st.booleans())
def test_random_words_split_anywhere_match_the_reference(words, cuts, channel, rising) -> None:
    data = pack(words)
    values, events, drops, decoder = decode(
        data, cuts, event_channel=channel, event_edge="rising" if rising else "falling"
    )
    want, want_events = reference(words, TABLE, channel, rising)
    same_values(values, want)
    assert [e.sample_index for e in events] == want_events
    assert all(e.rising is rising and e.counter is None for e in events)
    assert drops == [] and decoder.garbage_bytes == 0 and decoder.dropped_samples == 0


@FAST
@given(streams(), st.lists(st.integers(0, 10_000), min_size=1, max_size=6))
def test_split_reads_give_the_same_items_as_one_read(words, cuts) -> None:
    whole, events, _, _ = decode(pack(words))
    parts, part_events, _, _ = decode(pack(words), cuts)
    same_values(parts, whole)
    assert part_events == events


@FAST
@given(st.integers(0, 63), st.integers(130, 400), st.integers(0, 0x3FFF))
def test_the_counter_wraps_without_a_drop(start, n, adc) -> None:
    words = [word(adc, 2, start + k, 1) for k in range(n)]
    values, _, drops, _ = decode(pack(words))
    assert drops == [] and (values == TABLE[2][adc]).all()


@st.composite
def gapped(draw):
    """A stream and the gaps cut from it: (words before the gap, 1-63 samples lost); at
    least 9 words follow every gap, so each can be judged."""
    gaps = draw(st.lists(st.tuples(st.integers(9, 30), st.integers(1, 63)), min_size=1, max_size=3))
    tail = draw(st.integers(9, 20))
    return draw(streams(min_words=sum(a + b for a, b in gaps) + tail)), gaps


@FAST
@given(gapped(), st.lists(st.integers(0, 10_000), max_size=4))
def test_counter_gaps_are_filled_and_reported(stream, cuts) -> None:
    """Each gap is one SampleDrop at its first missing sample; the fill repeats the last
    value, so indices (and events after the gap) stay on the instrument's time base."""
    words, gaps = stream
    received, missing_at = [], []
    k = 0
    for before, size in gaps:
        received += words[k : k + before]
        missing_at.append((k + before, size))
        k += before + size
    received += words[k:]
    values, events, drops, decoder = decode(pack(received), cuts)
    assert drops == [SampleDrop(first, size) for first, size in missing_at]
    assert decoder.dropped_samples == sum(size for _, size in gaps)
    assert len(values) == len(words)
    want, want_events = reference(received, TABLE)
    kept = np.ones(len(words), bool)
    for first, size in missing_at:
        kept[first : first + size] = False
        assert (values[first : first + size] == values[first - 1]).all()
    same_values(values[kept], want)
    positions = np.flatnonzero(kept)
    assert [e.sample_index for e in events] == [int(positions[i - 1]) + 1 for i in want_events]


@FAST
@given(streams(min_words=20), st.data())
def test_a_corrupt_counter_replaces_one_sample(words, data) -> None:
    at = data.draw(st.integers(1, len(words) - 10))
    true = (words[at] >> 18) & 63
    wrong = data.draw(st.integers(0, 63).filter(lambda c: c != true))
    bad = [*words[:at], words[at] & ~(63 << 18) | wrong << 18, *words[at + 1 :]]
    values, _, drops, decoder = decode(pack(bad))
    assert drops == [SampleDrop(at, 1)] and decoder.corrupt_words == 1
    assert len(values) == len(words) and values[at] == values[at - 1]
    want, _ = reference(words[:at] + words[at + 1 :], TABLE)
    same_values(np.delete(values, at), want)


@FAST
@given(st.integers(30, 200), st.integers(1, 3), st.integers(0, 64), st.data())
def test_lost_bytes_mid_word_are_resynchronised(n, lost, start, data) -> None:
    """Bytes lost inside a word break the alignment; the decoder finds it again, reports
    the samples it could not read and decodes the rest exactly. The word holding the loss
    (and, one time in 64, a misaligned one whose garbled counter happens to fit) is read
    before the loss shows: at most 3 samples there may be wrong."""
    adcs = data.draw(st.lists(st.integers(0, 0x3FFF), min_size=n + 40, max_size=n + 40))
    words = [word(a, 1, start + k, 0xFF) for k, a in enumerate(adcs)]
    raw = pack(words)
    cut = data.draw(st.integers(4, 4 * n))
    if cut % 4 == 0:
        cut += 1
    values, _, drops, decoder = decode(raw[:cut] + raw[cut + lost :], spike_filter=False)
    assert decoder.resyncs == 1 and len(drops) == 1 and len(values) == len(words)
    truth = TABLE[1][np.array(adcs)]
    after = drops[0].first_index + drops[0].count
    assert (values[after:] == truth[after:]).all()
    wrong = np.flatnonzero(values[: drops[0].first_index] != truth[: drops[0].first_index])
    assert len(wrong) <= 3 and all(k >= cut // 4 for k in wrong)


@FAST
@given(st.binary(max_size=600), st.lists(st.integers(0, 1000), max_size=5))
def test_any_bytes_give_consistent_items_or_a_measurement_error(data, cuts) -> None:
    try:
        values, events, drops, decoder = decode(data, cuts)
    except MeasurementError as exc:
        assert "no PPK2 sample words" in str(exc)
        return
    assert all(0 < e.sample_index <= len(values) for e in events)
    assert all(d.first_index >= 0 and d.first_index + d.count <= len(values) for d in drops)
    assert decoder.garbage_bytes <= len(data)


def test_bytes_that_are_not_ppk2_samples_void_the_capture() -> None:
    rng = np.random.default_rng(3)
    good = pack([word(100, 1, k, 0) for k in range(20)])
    decoder = Ppk2Decoder(TABLE, device="PPK2 (/dev/ttyACM3)")
    decoder.feed(good)
    with pytest.raises(MeasurementError) as info:
        decoder.feed(rng.integers(0, 256, 400, dtype=np.uint8).tobytes())
    message = str(info.value)
    assert "PPK2 (/dev/ttyACM3)" in message and "data port" in message and "hub" in message
    with pytest.raises(MeasurementError):
        decoder.feed(good)


# -- exact cases -----------------------------------------------------------------------------
def test_values_are_the_documented_formula() -> None:
    """x = (4 adc - O) 1.8/163840 / R; I = UG (x (GS x + GI) + S Vdd/1000 + I)."""
    c = SIM_CALIBRATION
    words = [word(adc, rng, k, 0) for k, (adc, rng) in enumerate([(5000, 2), (5001, 2)])]
    values, *_ = decode(pack(words))
    for value, adc in zip(values, (5000, 5001), strict=True):
        x = (4 * adc - c.o[2]) * (1.8 / 163840) / c.r[2]
        want = c.ug[2] * (x * (c.gs[2] * x + c.gi[2]) + c.s[2] * 1.8 + c.i[2])
        assert value == pytest.approx(want, rel=1e-15)
    plain, *_ = decode(pack([word(1000, 0, 0, 0)]), table=PLAIN)  # defaults: GS = GI = 1
    x = 4000 * 1.8 / 163840 / 1031.64
    assert plain[0] == pytest.approx(x * (x + 1), rel=1e-15)


def test_spike_filter_after_a_range_switch() -> None:
    """Range 1 -> 2: samples k, k+1, k+2 read the 0.18 running average; then raw again."""
    words = [word(8000, 1, k, 0) for k in range(10)]
    words += [word(12000, 2, 10 + k, 0) for k in range(6)]
    values, *_ = decode(pack(words))
    low, high = TABLE[1][8000], TABLE[2][12000]
    ema = low
    for k in range(10, 13):
        ema = 0.18 * high + (1 - 0.18) * ema
        assert values[k] == pytest.approx(ema, rel=1e-12)
    assert (values[13:] == high).all() and (values[:10] == low).all()
    raw, *_ = decode(pack(words), spike_filter=False)
    assert (raw[10:] == high).all()


def test_range_4_reuses_the_slow_average_for_its_first_two_samples() -> None:
    words = [word(3000, 3, k, 0) for k in range(50)] + [word(9000, 4, 50 + k, 0) for k in range(5)]
    values, *_ = decode(pack(words))
    want, _ = reference(words, TABLE)
    same_values(values, want)
    assert values[50] == values[51] == pytest.approx(TABLE[3][3000], rel=1e-12)
    assert values[52] == pytest.approx(0.06 * TABLE[4][9000] + 0.94 * TABLE[3][3000], rel=1e-12)


def test_events_follow_the_lpm01a_index_convention() -> None:
    """D2 falls at sample 5 (first low sample) and rises at 9: Event(6) for 'falling',
    Event(10) for 'rising'; other inputs toggling change nothing."""
    levels = [1] * 5 + [0] * 4 + [1] * 6
    words = [word(10, 0, k, (lv << 2) | (k % 2) | 0x80) for k, lv in enumerate(levels)]
    _, falling, _, _ = decode(pack(words), event_channel=2)
    _, rising, _, _ = decode(pack(words), event_channel=2, event_edge="rising")
    assert falling == [Event(6, rising=False)] and rising == [Event(10, rising=True)]
    _, split, _, _ = decode(pack(words), [21, 22, 23], event_channel=2)
    assert split == falling


def test_an_edge_right_after_a_gap_is_at_its_true_sample() -> None:
    words = [word(10, 0, k, 1 if k < 20 else 0) for k in range(40)]
    received = words[:15] + words[20:]  # samples 15-19 lost; the pin was low from 20
    _, events, drops, _ = decode(pack(received))
    assert drops == [SampleDrop(15, 5)] and events == [Event(21, rising=False)]


def test_a_partial_word_at_the_end_is_garbage_and_words_wait_for_look_ahead() -> None:
    words = [word(10, 0, k, 0) for k in range(8)]
    decoder = Ppk2Decoder(TABLE)
    assert sum(len(i.samples) for i in decoder.feed(pack(words)[:30])) == 7
    jump = pack([word(10, 0, 20, 0)])  # judged only once two more words arrive
    assert decoder.feed(pack(words)[30:] + jump) == [
        SampleBlock(np.array([TABLE[0][10]]), 7, 100_000.0, "A")
    ]
    assert decoder.flush() == [] and decoder.garbage_bytes == 4


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="D0-D7"):
        Ppk2Decoder(TABLE, event_channel=8)
    with pytest.raises(ValueError, match="falling"):
        Ppk2Decoder(TABLE, event_edge="both")
    with pytest.raises(ValueError, match="shape"):
        Ppk2Decoder(TABLE[:4])
