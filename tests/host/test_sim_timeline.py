"""The simulator's clock: events in time order, bytes taking 10 bits each at the baud."""

import pytest

from tinyjoule.host.sim.power import PowerRecorder
from tinyjoule.host.sim.timeline import Scheduler, UartLine, byte_time_s


def test_byte_time_is_ten_bits() -> None:
    assert byte_time_s(9600) == pytest.approx(10 / 9600)
    assert byte_time_s(115200) == pytest.approx(86.80555e-6)


def test_uart_line_delivers_after_transfer_and_queues() -> None:
    scheduler = Scheduler()
    got: list[tuple[bytes, float]] = []
    line = UartLine(scheduler, 9600, lambda data, t: got.append((data, t)))
    end1 = line.send(b"name%", 0.0)
    end2 = line.send(b"ab", 0.0)  # queued behind the first chunk
    scheduler.run()
    assert end1 == pytest.approx(5 * 10 / 9600)
    assert end2 == pytest.approx(7 * 10 / 9600)
    assert got == [(b"name%", end1), (b"ab", end2)]


def test_scheduler_runs_in_time_order_including_new_events() -> None:
    scheduler = Scheduler()
    order: list[str] = []
    scheduler.at(2.0, lambda: order.append("b"))
    scheduler.at(1.0, lambda: (order.append("a"), scheduler.at(1.5, lambda: order.append("a2"))))
    scheduler.run()
    assert order == ["a", "a2", "b"]
    assert scheduler.now_s == 2.0


def test_power_recorder_integrates_exactly() -> None:
    power = PowerRecorder(initial_a=1.0)
    power.set_current(1.0, 3.0)
    power.set_current(2.5, 1.0)
    assert power.charge_c(0.0, 4.0) == pytest.approx(1.0 + 4.5 + 1.5)
    assert power.charge_c(0.5, 1.5) == pytest.approx(0.5 + 1.5)
    assert power.charge_c(3.0, 3.0) == 0.0
    with pytest.raises(ValueError):
        power.set_current(2.0, 5.0)


def test_a_reader_that_looked_before_time_moved_looks_again() -> None:
    """A reader finds its port empty, is descheduled while the host moves time on, then goes
    to sleep: it must not sleep (and count as idle, having read all there is) at the new
    time it never looked at. It returns at once and is idle only after looking again."""
    import threading

    from tinyjoule.host.sim.virtual_clock import VirtualClock

    clock = VirtualClock()
    looked, resume, slept = threading.Event(), threading.Event(), threading.Event()
    idle_before_sleep: list[bool] = []

    def reader() -> None:
        with clock.reader():
            seen = clock.now()
            looked.set()
            resume.wait(5)
            idle_before_sleep.append(bool(clock.readers_idle()))
            clock.sleep(0.02, since_s=seen)
            slept.set()

    thread = threading.Thread(target=reader)
    thread.start()
    assert looked.wait(5)
    clock.advance(1.0)
    resume.set()
    assert slept.wait(2), "the reader slept at a time it had not looked at"
    thread.join(5)
    assert idle_before_sleep == [False]
