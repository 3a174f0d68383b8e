"""Tests for the event loop: ordering, ties, cancellation, tickers, stop, statistics."""

from __future__ import annotations

import dataclasses
import math
import random
from typing import Any

import pytest

from monkeyhouse.engine import EngineStatistics, Environment, Handle


def recorder(env: Environment, log: list[tuple[float, Any]]) -> Any:
    """A callback that appends ``(now, arg)`` to ``log``."""

    def record(arg: Any) -> None:
        log.append((env.now, arg))

    return record


# --- ordering -------------------------------------------------------------------------------


def test_events_run_in_time_order() -> None:
    env = Environment()
    log: list[tuple[float, Any]] = []
    record = recorder(env, log)
    for delay in (5.0, 1.0, 3.0, 2.0, 4.0):
        env.schedule(delay, record, delay)
    env.run()
    assert log == [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0), (4.0, 4.0), (5.0, 5.0)]
    assert env.now == 5.0
    assert env.events_processed == 5


def test_ties_break_in_scheduling_order() -> None:
    env = Environment()
    log: list[tuple[float, Any]] = []
    record = recorder(env, log)
    for index in range(50):
        env.schedule(1.0, record, index)
    env.schedule(0.5, record, "early")
    env.run()
    assert log[0] == (0.5, "early")
    assert [arg for _, arg in log[1:]] == list(range(50))


def test_schedule_at_and_schedule_tie_in_scheduling_order() -> None:
    env = Environment()
    log: list[tuple[float, Any]] = []
    record = recorder(env, log)
    env.schedule_at(2.0, record, "a")
    env.schedule(2.0, record, "b")
    env.schedule_at(2.0, record, "c")
    env.run()
    assert log == [(2.0, "a"), (2.0, "b"), (2.0, "c")]


def test_zero_delay_runs_after_everything_already_due_now() -> None:
    env = Environment()
    log: list[tuple[float, Any]] = []
    record = recorder(env, log)

    def first(_: object) -> None:
        log.append((env.now, "first"))
        env.schedule(0.0, record, "zero-delay")

    env.schedule(1.0, first)
    env.schedule(1.0, record, "second")
    env.schedule(1.0, record, "third")
    env.run()
    assert log == [(1.0, "first"), (1.0, "second"), (1.0, "third"), (1.0, "zero-delay")]


def test_callbacks_scheduling_more_events_keep_time_order() -> None:
    env = Environment()
    log: list[tuple[float, Any]] = []

    def chain(depth: int) -> None:
        log.append((env.now, depth))
        if depth < 3:
            env.schedule(1.5, chain, depth + 1)

    env.schedule(1.0, chain, 0)
    env.schedule(3.0, recorder(env, log), "fixed")
    env.run()
    assert log == [(1.0, 0), (2.5, 1), (3.0, "fixed"), (4.0, 2), (5.5, 3)]


def test_schedule_at_in_the_past_means_now() -> None:
    env = Environment()
    log: list[tuple[float, Any]] = []
    env.run(until=10.0)
    env.schedule_at(3.0, recorder(env, log), "late")
    env.run()
    assert log == [(10.0, "late")]


def test_schedule_at_keeps_the_exact_time() -> None:
    env = Environment()
    env.run(until=0.1)
    times: list[float] = []
    env.schedule_at(0.3, lambda _: times.append(env.now))
    env.run()
    assert times == [0.3]


@pytest.mark.parametrize("delay", [-1.0, -1e-12, math.nan])
def test_schedule_refuses_negative_or_nan_delay(delay: float) -> None:
    env = Environment()
    with pytest.raises(ValueError, match="delay must be >= 0"):
        env.schedule(delay, lambda _: None)
    assert env.statistics().pending == 0


def test_schedule_at_refuses_nan() -> None:
    with pytest.raises(ValueError):
        Environment().schedule_at(math.nan, lambda _: None)


# --- cancellation ---------------------------------------------------------------------------


def test_cancelled_entries_are_skipped() -> None:
    env = Environment()
    log: list[tuple[float, Any]] = []
    record = recorder(env, log)
    handles = [env.schedule(float(i), record, i) for i in range(1, 7)]
    env.cancel(handles[1])
    env.cancel(handles[4])
    env.cancel(handles[4])  # twice: harmless
    assert env.statistics().pending == 4
    env.run()
    assert [arg for _, arg in log] == [1, 3, 4, 6]
    assert env.events_processed == 4
    env.cancel(handles[0])  # after it ran: harmless
    assert env.statistics().pending == 0


def test_cancelled_last_entry_does_not_advance_time() -> None:
    env = Environment()
    env.schedule(1.0, lambda _: None)
    env.cancel(env.schedule(10.0, lambda _: None))
    env.run()
    assert env.now == 1.0
    assert env.events_processed == 1


def test_a_callback_may_cancel_a_later_entry_at_the_same_time() -> None:
    env = Environment()
    log: list[tuple[float, Any]] = []
    record = recorder(env, log)
    victim: list[Handle] = []
    env.schedule(1.0, lambda _: env.cancel(victim[0]))
    victim.append(env.schedule(1.0, record, "victim"))
    env.schedule(1.0, record, "survivor")
    env.run()
    assert log == [(1.0, "survivor")]


def test_peek_skips_cancelled_entries() -> None:
    env = Environment()
    assert env.peek() == math.inf
    first = env.schedule(1.0, lambda _: None)
    env.schedule(2.0, lambda _: None)
    assert env.peek() == 1.0
    env.cancel(first)
    assert env.peek() == 2.0
    assert env.statistics().pending == 1


# --- run(until) -----------------------------------------------------------------------------


def test_run_until_runs_events_at_exactly_until_and_leaves_later_ones() -> None:
    env = Environment()
    log: list[tuple[float, Any]] = []
    record = recorder(env, log)
    for time in (1.0, 2.0, 2.0, 2.000001, 3.0):
        env.schedule_at(time, record, time)
    env.run(until=2.0)
    assert log == [(1.0, 1.0), (2.0, 2.0), (2.0, 2.0)]
    assert env.now == 2.0
    assert env.statistics().pending == 2
    env.run(until=2.5)
    assert env.now == 2.5
    assert log[-1] == (2.000001, 2.000001)
    env.run()
    assert log[-1] == (3.0, 3.0)
    assert env.now == 3.0


def test_run_until_sets_now_even_with_nothing_to_do() -> None:
    env = Environment()
    env.run(until=7.5)
    assert env.now == 7.5
    env.run(until=3.0)  # never backwards
    assert env.now == 7.5
    assert env.events_processed == 0


def test_relative_delays_count_from_the_end_of_the_last_run() -> None:
    env = Environment()
    log: list[tuple[float, Any]] = []
    env.run(until=4.0)
    env.schedule(1.0, recorder(env, log), "x")
    env.run()
    assert log == [(5.0, "x")]


# --- stop -----------------------------------------------------------------------------------


def test_stop_returns_after_the_current_event() -> None:
    env = Environment()
    log: list[tuple[float, Any]] = []
    record = recorder(env, log)

    def stopper(_: object) -> None:
        log.append((env.now, "stop"))
        env.stop()

    env.schedule(1.0, record, "before")
    env.schedule(2.0, stopper)
    env.schedule(2.0, record, "same time, after")
    env.schedule(3.0, record, "later")
    env.run(until=10.0)
    assert log == [(1.0, "before"), (2.0, "stop")]
    assert env.now == 2.0  # stopped: time is not moved on to ``until``
    assert env.statistics().pending == 2
    env.run()
    assert log[2:] == [(2.0, "same time, after"), (3.0, "later")]


def test_stop_inside_a_tie_keeps_the_rest_first_in_line() -> None:
    env = Environment()
    log: list[tuple[float, Any]] = []
    record = recorder(env, log)

    def stopper(_: object) -> None:
        env.schedule(0.0, record, "scheduled by stopper")
        env.stop()

    env.schedule(1.0, record, 0)
    env.schedule(1.0, stopper)
    for index in (2, 3):
        env.schedule(1.0, record, index)
    env.run()
    env.schedule(0.0, record, "scheduled after stop")
    env.run()
    assert [arg for _, arg in log] == [0, 2, 3, "scheduled by stopper", "scheduled after stop"]


def test_a_raising_callback_propagates_and_leaves_the_rest_pending() -> None:
    env = Environment()
    log: list[tuple[float, Any]] = []
    record = recorder(env, log)

    def boom(_: object) -> None:
        raise RuntimeError("boom")

    env.schedule(1.0, record, "a")
    env.schedule(1.0, boom)
    env.schedule(1.0, record, "b")
    env.schedule(2.0, record, "c")
    with pytest.raises(RuntimeError, match="boom"):
        env.run()
    assert env.events_processed == 2
    assert env.statistics().pending == 2
    env.run()
    assert log == [(1.0, "a"), (1.0, "b"), (2.0, "c")]


# --- tickers --------------------------------------------------------------------------------


def test_every_fires_at_the_right_times() -> None:
    env = Environment()
    seen: list[float] = []
    env.every(0.25, seen.append)
    env.run(until=1.0)
    assert seen == [0.25, 0.5, 0.75, 1.0]


def test_every_with_start_and_until() -> None:
    env = Environment()
    seen: list[float] = []
    ticker = env.every(0.5, seen.append, start=1.0, until=2.5)
    env.run(until=100.0)
    assert seen == [1.0, 1.5, 2.0, 2.5]  # until is inclusive
    assert env.statistics().pending == 0
    env.stop_ticker(ticker)  # after the end: harmless


def test_every_does_not_drift() -> None:
    """Tick k is at start + k * interval, not a running sum that drifts past ``until``."""
    env = Environment()
    seen: list[float] = []
    env.every(0.01, seen.append, until=2.0)
    env.run(until=2.0)
    assert len(seen) == 200
    assert seen[-1] == 2.0
    assert seen[99] == 0.01 + 99 * 0.01


def test_every_starting_after_until_never_fires() -> None:
    env = Environment()
    seen: list[float] = []
    env.every(1.0, seen.append, start=5.0, until=4.0)
    env.run(until=10.0)
    assert seen == []


def test_stop_ticker_stops_it() -> None:
    env = Environment()
    seen: list[float] = []
    ticker = env.every(1.0, seen.append)
    env.run(until=3.5)
    env.stop_ticker(ticker)
    env.run(until=10.0)
    assert seen == [1.0, 2.0, 3.0]
    assert env.statistics().pending == 0


def test_cancel_also_stops_a_ticker() -> None:
    env = Environment()
    seen: list[float] = []
    ticker = env.every(1.0, seen.append)
    env.run(until=2.0)
    env.cancel(ticker)
    env.run(until=10.0)
    assert seen == [1.0, 2.0]


def test_a_ticker_may_stop_itself_from_its_callback() -> None:
    env = Environment()
    seen: list[float] = []
    ticker: list[Handle] = []

    def tick(now: float) -> None:
        seen.append(now)
        if len(seen) == 3:
            env.stop_ticker(ticker[0])

    ticker.append(env.every(2.0, tick))
    env.run(until=100.0)
    assert seen == [2.0, 4.0, 6.0]


def test_every_refuses_a_non_positive_interval() -> None:
    env = Environment()
    for interval in (0.0, -1.0, math.nan):
        with pytest.raises(ValueError, match="interval"):
            env.every(interval, lambda _: None)


def test_tickers_interleave_with_events_in_time_order() -> None:
    env = Environment()
    log: list[tuple[float, Any]] = []
    env.every(1.0, lambda now: log.append((now, "tick")), start=0.0)
    env.schedule(1.0, recorder(env, log), "event")
    env.run(until=2.0)
    # The ticker's entry for 1.0 is made when it ticks at 0.0, after the event's: FIFO.
    assert log == [(0.0, "tick"), (1.0, "event"), (1.0, "tick"), (2.0, "tick")]


def test_one_ticker_serving_many_items_keeps_one_pending_entry() -> None:
    """Pending events grow with work in flight, never with the number of things served."""
    for items in (10, 10_000):
        env = Environment()
        served = [0] * items

        def serve(_: float, served: list[int] = served) -> None:
            for index in range(len(served)):
                served[index] += 1

        env.every(1.0, serve)
        peak = [0]

        def sample(_: float, env: Environment = env, peak: list[int] = peak) -> None:
            peak[0] = max(peak[0], env.statistics().pending)

        env.every(0.5, sample)
        env.run(until=5.0)
        assert served == [5] * items
        assert env.statistics().pending == 2
        assert peak[0] == 1  # the sampling ticker's own entry is running, not pending
        assert env.events_processed == 5 + 10


# --- statistics -----------------------------------------------------------------------------


def test_statistics_is_a_frozen_snapshot() -> None:
    env = Environment()
    for delay in (1.0, 2.0, 3.0):
        env.schedule(delay, lambda _: None)
    env.cancel(env.schedule(4.0, lambda _: None))
    before = env.statistics()
    assert before == EngineStatistics(now=0.0, events_processed=0, pending=3)
    env.run(until=2.0)
    after = env.statistics()
    assert after == EngineStatistics(now=2.0, events_processed=2, pending=1)
    assert before == EngineStatistics(now=0.0, events_processed=0, pending=3)  # unchanged
    with pytest.raises(dataclasses.FrozenInstanceError):
        after.pending = 0  # type: ignore[misc]


def test_statistics_read_from_a_callback_is_current() -> None:
    env = Environment()
    seen: list[EngineStatistics] = []
    for delay in (1.0, 2.0, 3.0):
        env.schedule(delay, lambda _: seen.append(env.statistics()))
    env.run()
    assert [(s.now, s.events_processed, s.pending) for s in seen] == [
        (1.0, 1, 2),
        (2.0, 2, 1),
        (3.0, 3, 0),
    ]


# --- property-style: the order equals an independent truth ----------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 2016])
def test_order_equals_sorting_by_time_then_insertion(seed: int) -> None:
    rng = random.Random(seed)
    env = Environment()
    fired: list[int] = []
    expected: list[tuple[float, int]] = []
    handles: list[Handle] = []
    for index in range(3_000):
        # A coarse grid half of the time, so that many entries tie.
        delay = rng.randrange(50) * 0.5 if rng.random() < 0.5 else rng.expovariate(0.1)
        handles.append(env.schedule(delay, fired.append, index))
        expected.append((delay, index))
    cancelled = set(rng.sample(range(len(handles)), 300))
    for index in cancelled:
        env.cancel(handles[index])
    env.run()
    truth = [index for _, index in sorted(expected) if index not in cancelled]
    assert fired == truth
    assert env.events_processed == len(truth)


class ReferenceLoop:
    """A deliberately naive model of the engine: a list scanned for the smallest (time, seq)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.entries: list[tuple[float, int, int]] = []
        self.seq = 0

    def schedule(self, delay: float, tag: int) -> None:
        self.seq += 1
        self.entries.append((self.now + delay, self.seq, tag))

    def pop(self) -> int | None:
        if not self.entries:
            return None
        best = min(self.entries)
        self.entries.remove(best)
        self.now = best[0]
        return best[2]


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_dynamic_scheduling_matches_a_naive_reference(seed: int) -> None:
    """Callbacks that schedule more work (zero delays and ties included) match the reference."""
    delays = random.Random(seed)
    choices = (0.0, 0.25, 0.5, 1.0, 1.75)
    plan = [[delays.choice(choices) for _ in range(1 + delays.randrange(2))] for _ in range(4_000)]

    env = Environment()
    fired: list[int] = []
    next_tag = [0]

    def act(tag: int) -> None:
        fired.append(tag)
        for delay in plan[tag % len(plan)]:
            next_tag[0] += 1
            if next_tag[0] < 2_000:
                env.schedule(delay, act, next_tag[0])

    reference = ReferenceLoop()
    expected: list[int] = []
    for tag in range(20):
        env.schedule(plan[tag][0], act, tag)
        reference.schedule(plan[tag][0], tag)
    next_tag[0] = ref_tag = 19
    env.run()
    while (popped := reference.pop()) is not None:
        expected.append(popped)
        for delay in plan[popped % len(plan)]:
            ref_tag += 1
            if ref_tag < 2_000:
                reference.schedule(delay, ref_tag)
    assert len(fired) > 1_000
    assert fired == expected
    assert env.now == reference.now


def test_identical_runs_are_identical() -> None:
    def trace(seed: int) -> list[tuple[float, int]]:
        env = Environment()
        rng = random.Random(seed)
        out: list[tuple[float, int]] = []

        def client(name: int) -> None:
            out.append((env.now, name))
            env.schedule(round(rng.expovariate(1.0), 2), client, name)

        for name in range(100):
            env.schedule(0.0, client, name)
        env.every(0.5, lambda now: out.append((now, -1)))
        env.run(until=50.0)
        return out

    assert trace(5) == trace(5)
    assert trace(5) != trace(6)
