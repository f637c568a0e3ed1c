"""The simulated JS220 (a fake ``pyjoulescope_driver.Driver``): the vendor's message format,
exact charge and pin edges on the virtual clock, gaps, errors, its thread; and the Joulescope
driver measuring it end to end."""

from __future__ import annotations

import itertools
import math
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyjoule.host.instruments.base import MonitorConfig
from tinyjoule.host.instruments.joulescope import Js220
from tinyjoule.host.measurement.stream import Event, SampleBlock, SampleDrop
from tinyjoule.host.sim.analog import BoardFrontEnd
from tinyjoule.host.sim.monitors.js220 import (
    SAMPLE_ID_AT_ZERO,
    SimulatedJs220Driver,
    pack_levels,
)
from tinyjoule.host.sim.power import PinEdge, PinRecorder, PowerRecorder

BASE = 2_000_000
PATH = "u/js220/004711"


def bit_of(t: float) -> int:
    """The first base sample that shows a pin edge at virtual time ``t``."""
    return SAMPLE_ID_AT_ZERO + math.ceil(t * BASE - 1e-6)


class Bench:
    """A board (current steps, timestamp pin) on a virtual clock, measured by the fake."""

    def __init__(self, **kwargs) -> None:
        self.power = PowerRecorder(0.010)
        self.pin = PinRecorder()
        self.front_end = BoardFrontEnd(self.power, self.pin, 1.8)
        self.now = 0.0
        self.fake = SimulatedJs220Driver(self.front_end, lambda: self.now, **kwargs)
        self.got: dict[str, list[dict]] = {"i": [], "v": [], "gpi": []}

    def collect(self, fs: int = 1000, signals=("s/i", "s/v", "s/gpi/0")) -> None:
        self.fake.open(PATH, "defaults")
        self.fake.publish(f"{PATH}/h/fs", fs)
        for signal in signals:
            key = "gpi" if "gpi" in signal else signal[-1]
            self.fake.subscribe(
                f"{PATH}/{signal}/!data", ["pub"], lambda t, v, k=key: self.got[k].append(v)
            )
            self.fake.publish(f"{PATH}/{signal}/ctrl", 1)

    def advance(self, to_s: float) -> None:
        self.now = to_s
        self.fake.catch_up()

    def floats(self, key: str) -> np.ndarray:
        return np.concatenate([m["data"] for m in self.got[key]]).astype(np.float64)

    def gpi_bits(self) -> np.ndarray:
        return np.concatenate(
            [np.unpackbits(m["data"], bitorder="little") for m in self.got["gpi"]]
        )


@pytest.fixture
def bench():
    b = Bench(poll_s=10.0, noise_v=0.0)  # no thread interference: catch_up() delivers
    yield b
    b.fake.finalize()


def test_messages_have_the_vendor_format_and_are_contiguous(bench) -> None:
    bench.collect()
    bench.advance(0.75)
    bench.advance(2.5)
    keys = {"sample_id", "utc", "field_id", "index", "sample_rate", "decimate_factor"}
    for key, field, dtype, decimate in (
        ("i", 1, np.float32, 2000),
        ("v", 2, np.float32, 2000),
        ("gpi", 5, np.uint8, 1),
    ):
        messages = bench.got[key]
        assert messages, key
        for m in messages:
            assert keys | {"time_map", "data"} == set(m)
            assert (m["field_id"], m["sample_rate"], m["decimate_factor"]) == (
                field,
                BASE,
                decimate,
            )
            assert m["data"].dtype == dtype
        width = 8 if key == "gpi" else 1
        for a, b in itertools.pairwise(messages):
            assert b["sample_id"] == a["sample_id"] + len(a["data"]) * width * decimate
    first = bench.got["i"][0]["sample_id"]
    assert first % 2000 == 0 and first >= SAMPLE_ID_AT_ZERO > first - 2000


def test_only_whole_samples_up_to_now_are_sent(bench) -> None:
    bench.collect()
    bench.advance(1.2345)
    now_id = SAMPLE_ID_AT_ZERO + math.floor(1.2345 * BASE)
    last = bench.got["i"][-1]
    assert last["sample_id"] + len(last["data"]) * 2000 <= now_id
    assert now_id - (last["sample_id"] + len(last["data"]) * 2000) < 2000
    bits_end = bench.got["gpi"][-1]["sample_id"] + 8 * len(bench.got["gpi"][-1]["data"])
    assert 0 <= now_id + 1 - bits_end < 8


def test_current_is_the_exact_mean_and_voltage_the_board_supply(bench) -> None:
    bench.collect()
    bench.power.set_current(0.4003, 0.0235)
    bench.power.set_current(0.9, 0.001)
    bench.advance(1.5)
    current = bench.floats("i")
    start = (bench.got["i"][0]["sample_id"] - SAMPLE_ID_AT_ZERO) / BASE
    end = start + len(current) / 1000
    assert current.sum() / 1000 == pytest.approx(bench.front_end.charge_c(start, end), rel=1e-6)
    assert current.min() == pytest.approx(0.001) and current.max() == pytest.approx(0.0235)
    np.testing.assert_allclose(bench.floats("v"), 1.8, rtol=1e-6)


def test_noise_is_seeded() -> None:
    def run(seed: int) -> np.ndarray:
        b = Bench(poll_s=10.0, noise_a=1e-4, noise_v=1e-3, seed=seed)
        b.collect()
        b.advance(2.0)
        b.fake.finalize()
        return np.concatenate([b.floats("i"), b.floats("v")])

    one, two = run(1), run(1)
    np.testing.assert_array_equal(one, two)
    assert not np.array_equal(one, run(2))
    volts = one[len(one) // 2 :]
    assert abs(volts.mean() - 1.8) < 2e-4 and 0.8e-3 < volts.std() < 1.2e-3


def test_the_pin_idles_high_and_edges_land_on_their_base_sample(bench) -> None:
    bench.collect()
    bench.advance(0.1)
    bench.pin.pulse(0.3, 0.0025)
    bench.pin.pulse(0.5000001, 0.0000006)  # 1.2 base samples wide: one low bit
    bench.advance(1.0)
    bits = bench.gpi_bits()
    first = bench.got["gpi"][0]["sample_id"]
    fall, rise = bit_of(0.3) - first, bit_of(0.3025) - first
    low = np.flatnonzero(bits == 0)
    assert low[0] == fall and bits[fall - 1] == 1
    assert np.all(bits[fall:rise] == 0) and bits[rise] == 1
    assert len(low) == rise - fall + 1
    assert low[-1] == bit_of(0.5000001) - first


def test_other_gpi_inputs_read_low(bench) -> None:
    bench.collect(signals=("s/gpi/3",))
    bench.pin.pulse(0.2, 0.01)
    bench.advance(0.5)
    assert not bench.gpi_bits().any()


def test_a_gap_withholds_every_signal_and_the_level_after_it_is_right(bench) -> None:
    bench.fake.inject_gap(100, 50)
    bench.collect()
    bench.pin.edges.append(PinEdge(0.120, rising=False))  # the pin falls during the gap
    bench.advance(0.5)
    first = bench.got["i"][0]["sample_id"] // 2000
    numbers = np.concatenate(
        [m["sample_id"] // 2000 + np.arange(len(m["data"])) for m in bench.got["i"]]
    )
    kept = np.arange(first, numbers[-1] + 1)
    np.testing.assert_array_equal(numbers, kept[(kept < first + 100) | (kept >= first + 150)])
    gpi = bench.got["gpi"]
    ends = [m["sample_id"] + 8 * len(m["data"]) for m in gpi]
    ((lost_from, resumed),) = [
        (end, m["sample_id"])
        for end, m in zip(ends, gpi[1:], strict=False)
        if m["sample_id"] != end
    ]
    base = first * 2000
    assert base + 100 * 2000 <= lost_from < base + 100 * 2000 + 8  # shrunk to whole bytes
    assert base + 150 * 2000 - 8 < resumed <= base + 150 * 2000
    after = next(m for m in gpi if m["sample_id"] == resumed)
    assert np.unpackbits(after["data"], bitorder="little")[0] == 0  # low since 0.120 s


def test_errors_are_the_vendor_bindings(bench) -> None:
    fake = bench.fake
    with pytest.raises(RuntimeError, match=r"jsdrv_publish failed 22 \| u/js220/004711/h/fs"):
        fake.publish(f"{PATH}/h/fs", 1000)
    with pytest.raises(RuntimeError, match="jsdrv_open failed 16"):
        fake.open("u/js220/000001", "defaults")
    fake.open(PATH, "defaults")
    with pytest.raises(RuntimeError, match="jsdrv_open failed 21"):
        fake.open(PATH, "defaults")
    for topic, value in (("h/fs", 3000), ("s/p/ctrl", 1), ("s/i/range/mode", "fast")):
        with pytest.raises(RuntimeError, match=f"jsdrv_publish failed 5 \\| {PATH}/{topic}"):
            fake.publish(f"{PATH}/{topic}", value)
    with pytest.raises(RuntimeError, match="jsdrv_query failed 16"):
        fake.query(f"{PATH}/s/nothing")
    assert fake.query(f"{PATH}/c/fw/version") == (1 << 24) | (3 << 16) | 2
    assert fake.device_paths() == [PATH] and fake.serial_number == "004711"


def test_its_thread_delivers_without_being_asked() -> None:
    b = Bench(poll_s=0.002)
    b.collect()
    b.now = 0.5
    deadline = time.monotonic() + 5.0
    while sum(len(m["data"]) for m in b.got["i"]) < 499 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert sum(len(m["data"]) for m in b.got["i"]) >= 499
    b.fake.finalize()
    assert b.fake.error is None and not b.fake.is_open


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 40).map(lambda n: n * 8),
    st.integers(0, 1),
    st.lists(st.tuples(st.integers(0, 319), st.integers(0, 1)), max_size=8),
)
def test_pack_levels_matches_packbits(n_bits, level, steps) -> None:
    steps = sorted((min(b, n_bits - 1), v) for b, v in steps)
    bits = np.full(n_bits, level, np.uint8)
    for b, v in steps:
        bits[b:] = v
    np.testing.assert_array_equal(
        pack_levels(n_bits, level, steps), np.packbits(bits, bitorder="little")
    )


# -- the Joulescope driver measuring it ------------------------------------------------------
@pytest.mark.parametrize("rising", [True, False])
def test_the_driver_measures_the_exact_window_energy(rising) -> None:
    b = Bench(poll_s=10.0, noise_a=0.0, noise_v=0.0)
    js = Js220("", driver_factory=lambda: b.fake)
    js.open()
    js.configure(MonitorConfig(event_edge="rising" if rising else "falling"))
    js.start()
    b.power.set_current(0.2, 0.0183)
    b.pin.pulse(0.25, 0.0025)
    b.power.set_current(0.30071, 0.0234)
    b.power.set_current(1.70033, 0.0183)
    b.pin.pulse(1.75, 0.0025)
    b.advance(2.0)
    items = js.read(0.5) + js.stop()
    js.close()
    energy = np.concatenate([i.samples for i in items if isinstance(i, SampleBlock)])
    a, z = (e.sample_index for e in items if isinstance(e, Event))
    measured = energy[a : z - 1].sum() + 0.5 * (energy[a - 1] + energy[z - 1])
    t0, t1 = (0.2525, 1.7525) if rising else (0.25, 1.75)
    truth = 1.8 * b.front_end.charge_c(t0, t1)
    # the two half boundary samples: at most half a sample each of the 23.4 mA step
    assert measured == pytest.approx(truth, abs=1.8 * 0.0234 / 1000)
    assert js.mean_voltage_v == pytest.approx(1.8)


def test_the_driver_reports_the_injected_gap_exactly() -> None:
    b = Bench(poll_s=10.0)
    b.fake.inject_gap(300, 25)
    js = Js220("", driver_factory=lambda: b.fake)
    js.open()
    js.configure(MonitorConfig())
    js.start()
    b.advance(1.0)
    items = js.read(0.5) + js.stop()
    js.close()
    assert [i for i in items if isinstance(i, SampleDrop)] == [SampleDrop(300, 25)]
    energy = np.concatenate([i.samples for i in items if isinstance(i, SampleBlock)])
    assert np.all(energy[300:325] == 0) and np.all(energy[:300] > 0) and energy[325] > 0


def test_a_long_stretch_is_delivered_in_bounded_steps_each_taken_in_first() -> None:
    """A 60 s jump of virtual time (a stream): each step hands over at most MAX_STEP_BASE base
    samples of GPI bits (plus one message), and a thread that made a step with more to come
    waits for the host's readers before its next. The fake's own thread and this test's
    ``catch_up`` may both be stepping, so steps are counted one by one, not between waits."""
    from tinyjoule.host.sim.monitors.js220 import MAX_STEP_BASE, MESSAGE_BYTES
    from tinyjoule.host.sim.virtual_clock import VirtualClock

    events: dict[int, list[tuple[str, int, bool]]] = {}  # per thread: step or wait, in order
    accounting = threading.Lock()

    def gpi_bytes() -> int:
        return sum(len(m["data"]) for m in bench.got["gpi"])

    class Clock(VirtualClock):
        def wait_for_readers(self, besides=(), limit_s=30.0) -> bool:
            events.setdefault(threading.get_ident(), []).append(("wait", 0, False))
            return super().wait_for_readers(besides, limit_s)

    clock = Clock()
    bench = Bench(poll_s=10.0, noise_v=0.0)
    bench.fake.finalize()
    bench.fake = SimulatedJs220Driver(bench.front_end, clock.now, noise_v=0.0, clock=clock)
    step = bench.fake._catch_up_step

    def counted_step() -> bool:
        with accounting:
            before = gpi_bytes()
            more = step()
            delivered = gpi_bytes() - before
        events.setdefault(threading.get_ident(), []).append(("step", delivered, more))
        return more

    bench.fake._catch_up_step = counted_step  # type: ignore[method-assign]
    bench.collect()
    try:
        clock.advance(60.0)
        bench.fake.catch_up()
        steps = [e for thread in events.values() for e in thread if e[0] == "step" and e[1]]
        assert len(steps) >= 60 * BASE // MAX_STEP_BASE - 1
        assert max(size for _, size, _ in steps) <= MAX_STEP_BASE // 8 + MESSAGE_BYTES
        for thread in events.values():
            for (kind, _, more), (after, _, _) in itertools.pairwise(thread):
                assert not (kind == "step" and more and after != "wait")
        bits = bench.gpi_bits()
        assert len(bits) >= 60 * BASE - 8 and bits.all()  # all of it, the pin idling high
        assert len(bench.floats("i")) in (59_999, 60_000)  # every whole 1 ms period ended
    finally:
        bench.fake.finalize()
