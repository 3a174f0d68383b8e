"""Tests for the clocks: simulated time never waits; paced time follows the wall clock."""

from __future__ import annotations

import threading
import time

import pytest

from monkeyhouse.engine import Environment, PacedClock, SimulatedClock


def one_simulated_second(env: Environment) -> list[float]:
    """Ten events 0.1 s apart, the last at simulated 1.0; returns their run times."""
    seen: list[float] = []
    for step in range(1, 11):
        env.schedule_at(step / 10, lambda _: seen.append(env.now))
    return seen


def test_simulated_clock_never_waits() -> None:
    env = Environment(SimulatedClock())
    env.every(3600.0, lambda _: None)
    started = time.perf_counter()
    env.run(until=365 * 24 * 3600.0)
    assert time.perf_counter() - started < 1.0
    assert env.events_processed == 365 * 24


def test_paced_clock_at_speed_20_runs_one_second_in_a_twentieth() -> None:
    env = Environment(PacedClock(speed=20.0))
    seen = one_simulated_second(env)
    started = time.perf_counter()
    env.run()
    wall = time.perf_counter() - started
    assert seen == [step / 10 for step in range(1, 11)]
    assert 0.03 <= wall <= 0.5


def test_paced_run_until_waits_for_until() -> None:
    env = Environment(PacedClock(speed=20.0))
    env.schedule(0.1, lambda _: None)
    started = time.perf_counter()
    env.run(until=1.0)
    wall = time.perf_counter() - started
    assert env.now == 1.0
    assert 0.03 <= wall <= 0.5


def test_paced_run_orders_events_like_a_simulated_run() -> None:
    def trace(env: Environment) -> list[tuple[float, int]]:
        out: list[tuple[float, int]] = []
        for index, delay in enumerate((0.2, 0.1, 0.2, 0.0, 0.15, 0.1)):
            env.schedule(delay, lambda tag: out.append((env.now, tag)), index)
        cancelled = env.schedule(0.05, lambda tag: out.append((env.now, tag)), 99)
        env.cancel(cancelled)
        env.run()
        return out

    assert trace(Environment(PacedClock(speed=50.0))) == trace(Environment())


def test_set_speed_changes_the_pace() -> None:
    clock = PacedClock(speed=1.0)
    clock.set_speed(40.0)
    assert clock.speed == 40.0
    env = Environment(clock)
    one_simulated_second(env)
    started = time.perf_counter()
    env.run()
    wall = time.perf_counter() - started
    assert 0.015 <= wall <= 0.4  # 1/40 s; at speed 1 it would take a whole second


def test_set_speed_from_another_thread_mid_run() -> None:
    clock = PacedClock(speed=2.0)
    env = Environment(clock)
    seen = one_simulated_second(env)
    timer = threading.Timer(0.05, clock.set_speed, args=(50.0,))
    started = time.perf_counter()
    timer.start()
    env.run()
    wall = time.perf_counter() - started
    timer.join()
    assert len(seen) == 10
    assert 0.05 <= wall <= 0.4  # at speed 2 throughout it would take 0.5 s


@pytest.mark.parametrize("speed", [0.0, -1.0])
def test_speed_must_be_positive(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        PacedClock(speed=speed)
    with pytest.raises(ValueError, match="speed"):
        PacedClock().set_speed(speed)


def test_pause_holds_time_and_resume_continues() -> None:
    clock = PacedClock(speed=10.0)
    env = Environment(clock)
    seen = one_simulated_second(env)  # 0.1 s of wall time when never paused
    runner = threading.Thread(target=env.run)
    started = time.perf_counter()
    runner.start()
    time.sleep(0.03)
    clock.pause()
    time.sleep(0.06)  # let an event already past its wait finish
    held = len(seen)
    time.sleep(0.15)
    assert len(seen) == held  # nothing ran while paused
    assert held < 10
    clock.resume()
    runner.join(timeout=5.0)
    wall = time.perf_counter() - started
    assert not runner.is_alive()
    assert seen == [step / 10 for step in range(1, 11)]  # simulated times are unchanged
    assert wall >= 0.03 + 0.21  # the pause added to the run's wall time
    assert wall <= 1.0


def test_stop_from_another_thread_ends_a_paced_run() -> None:
    env = Environment(PacedClock(speed=1.0))
    env.every(0.01, lambda _: None)
    timer = threading.Timer(0.05, env.stop)
    started = time.perf_counter()
    timer.start()
    env.run(until=60.0)
    timer.join()
    assert time.perf_counter() - started < 1.0
    assert env.now < 1.0


def test_set_speed_while_paused_does_not_jump() -> None:
    clock = PacedClock(speed=10.0)
    clock.start(0.0)
    clock.pause()
    time.sleep(0.1)  # paused: simulated time must stay at 0, not move on by 10 x 0.1 s
    clock.set_speed(20.0)
    clock.resume()
    started = time.perf_counter()
    clock.wait_until(0.5)  # half a simulated second at speed 20: 25 ms of wall time
    assert 0.015 <= time.perf_counter() - started <= 0.5
