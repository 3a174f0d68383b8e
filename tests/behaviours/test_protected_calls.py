"""Protected calls in running simulations: timeouts, breakers, retries, bulkheads, fallbacks.

Each case builds a small chain with fixed service times and one-way hops of exactly 1 ms, so
the expected figures are computed by hand from the patterns' documented semantics (Hystrix for
the breaker and its health snapshots every 500 ms; Envoy for retries, budgets and ejection).
A dead instance stays in its callers' views (polling is turned off), so calls to it are refused
(502), a connect failure that retries and outlier detection see as a 5xx.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from monkeyhouse.behaviours.spans import CLIENT, TIMED_OUT, Span
from monkeyhouse.model import load_architecture
from monkeyhouse.patterns.command import CommandStatistics
from monkeyhouse.scenarios.simulation import RunOptions, RunSummary, Simulation

GUARD = """
arch: guard
network: {same_zone: 0.001, cross_zone: 0.001}
traffic: {pattern: constant, rate: RATE, mix: {get: 1}}
services:
  - {name: leaf, package: karyon, count: LEAVES, regions: 1, service_time: LEAF}
  - {name: backup, package: karyon, count: 1, regions: 1, service_time: 0}
  - name: app
    package: karyon
    count: 1
    regions: 1
    service_time: 0
    resilience: none
    dependencies:
      - {service: leaf, KEYS}
      - {service: backup, probability: 0}
  - {name: www, package: denominator, count: 0, regions: 0, dependencies: [app]}
"""


def run(
    tmp_path: Path,
    keys: str,
    *,
    leaf: float = 0.0,
    rate: int = 100,
    leaves: int = 1,
    duration: float = 2.0,
    dead: int = 0,
    text: str = GUARD,
    poll: float = 10_000.0,
) -> tuple[RunSummary, list[Span], dict[str, CommandStatistics]]:
    """Run the chain; ``dead`` leaf instances are killed before time starts."""
    path = tmp_path / "guard.yaml"
    path.write_text(
        text.replace("KEYS", keys)
        .replace("LEAF", repr(leaf))
        .replace("RATE", str(rate))
        .replace("LEAVES", str(leaves))
    )
    spans: list[Span] = []
    simulation = Simulation(
        load_architecture(path),
        RunOptions(duration=duration, seed=5, chaos=False, poll=poll),
        span_observers=[spans.append],
    )

    def kill(sim: Simulation) -> None:
        victims = [i for i in sim.instances if i.service.name == "leaf"][:dead]
        for instance in victims:
            sim.kill(instance)

    summary = simulation.run(on_built=kill)
    commands = {c.name: c for c in simulation.commands()}
    return summary, spans, commands


def roots(spans: list[Span], done_by: float) -> list[Span]:
    """The traffic source's spans of requests sent early enough to be answered."""
    return [s for s in spans if s.kind == CLIENT and s.parent == 0 and s.start <= done_by]


def calls_to(spans: list[Span], service: str) -> list[Span]:
    return [s for s in spans if s.kind == CLIENT and s.peer.service.name == service]


def test_a_timeout_ends_the_attempt_at_exactly_the_timeout(tmp_path: Path) -> None:
    # the leaf takes 0.5 s; app gives it 0.1 s: the root sees 1 ms + 100 ms + 1 ms, an error
    _summary, spans, commands = run(tmp_path, "timeout: 0.1", leaf=0.5)
    answered = roots(spans, 1.8)
    assert len(answered) == 180
    for root in answered:
        assert root.duration == pytest.approx(0.102, abs=1e-9)
        assert root.error
    for call in calls_to(spans, "leaf"):
        if call.end <= 2.0:
            assert call.duration == pytest.approx(0.1, abs=1e-9)
            assert call.error == TIMED_OUT
    command = commands["app->leaf"]
    assert command.cumulative["TIMEOUT"] == len(calls_to(spans, "leaf"))
    assert command.cumulative["SUCCESS"] == 0  # late answers are dropped, never counted
    assert command.timeout_ms == 100.0


def test_a_static_fallback_answers_in_place_of_the_timed_out_call(tmp_path: Path) -> None:
    keys = "timeout: 0.1, fallback: {kind: static, value: cached}"
    _summary, spans, commands = run(tmp_path, keys, leaf=0.5)
    answered = roots(spans, 1.8)
    assert answered and all(not r.error for r in answered)
    assert all(r.duration == pytest.approx(0.102, abs=1e-9) for r in answered)
    command = commands["app->leaf"]
    assert command.cumulative["FALLBACK_SUCCESS"] == command.cumulative["TIMEOUT"] > 0


def test_the_hystrix_breaker_trips_at_a_snapshot_and_tries_once_per_sleep_window(
    tmp_path: Path,
) -> None:
    # requests leave www every 10 ms; app calls the dead leaf 1 ms later; the refusal is back
    # 2 ms after that. The snapshot at 0.5 s sees the 49 failures before it (>= 20, 100 %): the
    # breaker opens at 0.5 s. The first call after 5.5 s (5.501) is the trial; it fails at
    # 5.503, which reopens the breaker; the next trial is the first call after 10.503 (10.511).
    keys = "breaker: hystrix"
    _summary, spans, commands = run(tmp_path, keys, duration=12.0, dead=1)
    starts = sorted(round(c.start, 6) for c in calls_to(spans, "leaf"))
    assert starts[:49] == [round(0.01 * k + 0.001, 6) for k in range(1, 50)]
    assert starts[49:] == [5.501, 10.511]
    command = commands["app->leaf"]
    assert command.cumulative["FAILURE"] == 51
    assert command.open == 1 and command.breakers == 1
    reached_app = [r for r in roots(spans, 11.998)]
    assert command.cumulative["SHORT_CIRCUITED"] == len(reached_app) - 51


def test_a_count_breaker_opens_after_its_window_of_failures(tmp_path: Path) -> None:
    keys = (
        "breaker: {kind: count, sliding_window_size: 10, minimum_number_of_calls: 10, "
        "wait_duration_in_open_state: 1.0, permitted_number_of_calls_in_half_open_state: 2}"
    )
    _summary, spans, commands = run(tmp_path, keys, duration=2.5, dead=1)
    starts = sorted(round(c.start, 6) for c in calls_to(spans, "leaf"))
    # ten calls fail (the tenth at 0.103 s) and open it; after 1 s (strictly after 1.103) the
    # next call moves it to half open, which lets two calls try (1.111 and 1.121); the second
    # failure, back at 1.123, reopens it; strictly after 2.123 two more try (2.131 and 2.141)
    first = [round(0.01 * k + 0.001, 6) for k in range(1, 11)]
    assert starts[:10] == first
    assert starts[10:12] == [1.111, 1.121]
    assert starts[12:] == [2.131, 2.141]
    assert commands["app->leaf"].cumulative["FAILURE"] == 14


CHAIN3 = """
arch: layers
network: {same_zone: 0.001, cross_zone: 0.001}
traffic: {pattern: constant, rate: RATE, mix: {get: 1}}
services:
  - {name: leaf, package: karyon, count: LEAVES, regions: 1, service_time: LEAF}
  - {name: c, package: karyon, count: 1, regions: 1, service_time: 0, resilience: none,
     dependencies: [{service: leaf, KEYS}]}
  - {name: b, package: karyon, count: 1, regions: 1, service_time: 0, resilience: none,
     dependencies: [{service: c, KEYS}]}
  - {name: a, package: karyon, count: 1, regions: 1, service_time: 0, resilience: none,
     dependencies: [{service: b, KEYS}]}
  - {name: www, package: denominator, count: 0, regions: 0, dependencies: [a]}
"""


def attempts_per_request(spans: list[Span]) -> collections.Counter[int]:
    return collections.Counter(s.trace for s in calls_to(spans, "leaf"))


def test_three_layers_of_3_retries_send_64_attempts_to_a_failing_leaf(tmp_path: Path) -> None:
    keys = "retries: {retries: 3, jitter: none, backoff_base: 0.001, retry_on: [5xx]}"
    summary, spans, commands = run(tmp_path, keys, rate=1, duration=2.9, dead=1, text=CHAIN3)
    per_trace = attempts_per_request(spans)
    assert sorted(per_trace.values()) == [64, 64]  # the requests sent at 1 and 2 s
    assert summary.errors == 2
    # c tries the leaf 4 times for each of b's 4 tries, for each of a's 4 tries
    assert commands["c->leaf"].cumulative["FAILURE"] == 128
    assert commands["b->c"].cumulative["FAILURE"] == 32
    assert commands["a->b"].cumulative["FAILURE"] == 8


def test_a_20_percent_retry_budget_caps_the_amplification(tmp_path: Path) -> None:
    keys = (
        "retries: {retries: 3, jitter: none, backoff_base: 0.001, retry_on: [5xx], "
        "budget: {percent: 20, minimum: 3}}"
    )
    # 2,000 requests a second keep hundreds in flight: the minimum of 3 no longer matters
    _summary, spans, commands = run(
        tmp_path, keys, rate=2000, duration=1.0, dead=1, text=CHAIN3, leaf=0.0
    )
    per_trace = attempts_per_request(spans)
    mean = sum(per_trace.values()) / len(per_trace)
    assert len(per_trace) > 1500
    # without a budget each request makes 64 attempts; within it, about (1 + 0.2)^3 = 1.73
    assert mean < 2.0
    assert max(per_trace.values()) < 64
    # each layer's retries stay near 20 % of its calls (the minimum of 3 adds a little)
    calls = {name: sum(c.cumulative.values()) for name, c in commands.items()}
    assert calls["a->b"] / len(per_trace) < 1.3
    assert calls["b->c"] / calls["a->b"] < 1.3
    assert calls["c->leaf"] / calls["b->c"] < 1.3


def test_a_semaphore_of_2_admits_2_in_3_when_calls_overlap_3_deep(tmp_path: Path) -> None:
    # a call holds its permit 27 ms (1 + 25 + 1); one arrives every 10 ms: of three arrivals
    # in a row, the third finds both permits taken
    keys = "bulkhead: {kind: semaphore, size: 2}"
    _summary, _spans, commands = run(tmp_path, keys, leaf=0.025, duration=3.0)
    command = commands["app->leaf"]
    total = command.cumulative["SUCCESS"] + command.cumulative["SEMAPHORE_REJECTED"]
    assert command.cumulative["SEMAPHORE_REJECTED"] == pytest.approx(total / 3, abs=2)
    assert command.isolation == "SEMAPHORE" and command.pool_size == 2


def test_a_thread_pool_queue_holds_calls_until_a_thread_frees(tmp_path: Path) -> None:
    # one thread and one queue place; calls of 7 ms (1 + 5 + 1) every 10 ms never overlap
    keys = "bulkhead: {kind: threadpool, size: 1, queue: 1}"
    _, spans, commands = run(tmp_path, keys, leaf=0.005, duration=1.0)
    command = commands["app->leaf"]
    assert command.cumulative["THREAD_POOL_REJECTED"] == 0
    assert all(r.duration == pytest.approx(0.009) for r in roots(spans, 0.98))
    # calls of 17 ms every 10 ms: the backlog grows, one call runs, one waits in the queue
    # place, and the next is turned away
    _summary, spans, commands = run(tmp_path, keys, leaf=0.015, duration=1.0)
    command = commands["app->leaf"]
    assert command.cumulative["THREAD_POOL_REJECTED"] > 0
    assert command.cumulative["SUCCESS"] > 0


def test_a_call_fallback_goes_to_another_dependency(tmp_path: Path) -> None:
    keys = "fallback: {kind: call, service: backup}"
    _summary, spans, commands = run(tmp_path, keys, dead=1)
    answered = roots(spans, 1.9)
    assert answered and all(not r.error for r in answered)
    # 1 ms to app, 2 ms to be refused, 2 ms to backup and back, 1 ms home
    assert all(r.duration == pytest.approx(0.006) for r in answered)
    command = commands["app->leaf"]
    assert command.cumulative["FALLBACK_SUCCESS"] == command.cumulative["FAILURE"] > 0
    assert len(calls_to(spans, "backup")) == command.cumulative["FAILURE"]


def test_a_cache_fallback_serves_the_last_good_answer_for_the_key(tmp_path: Path) -> None:
    # every read is of the fixed key "why?": once one read succeeded, failures are served
    keys = "fallback: {kind: cache}"
    _, spans, commands = run(tmp_path, keys, dead=1)
    command = commands["app->leaf"]
    assert command.cumulative["FALLBACK_FAILURE"] == command.cumulative["FAILURE"] > 0
    # four leaves: app's zone (zoneA) has leaf00 (dead) and leaf03
    _summary, spans, commands = run(tmp_path, keys, leaves=4, dead=1)
    command = commands["app->leaf"]
    assert command.cumulative["SUCCESS"] > 0
    first_success = min(s.end for s in calls_to(spans, "leaf") if not s.error and s.kind == CLIENT)
    late_failures = [s for s in calls_to(spans, "leaf") if s.error and s.end > first_success]
    assert command.cumulative["FALLBACK_SUCCESS"] == len(late_failures)


def test_outlier_ejection_stops_picking_a_failing_host_after_5_errors(tmp_path: Path) -> None:
    keys = "outlier: envoy"
    _summary, spans, _commands = run(tmp_path, keys, leaves=4, dead=1, duration=5.0)
    refused = [s for s in calls_to(spans, "leaf") if s.error]
    # consecutive-5xx: the fifth failure ejects it for 30 s; no call reaches it again
    assert len(refused) == 5
    assert len(calls_to(spans, "leaf")) == len(roots(spans, 5.0))


def test_unprotected_edges_cost_no_command(tmp_path: Path) -> None:
    summary, _spans, commands = run(tmp_path, "mode: sequence")
    assert commands == {}
    assert summary.reads_answered > 0


def test_no_instance_to_call_is_a_failure_of_the_command_and_the_fallback_answers(
    tmp_path: Path,
) -> None:
    # the dead leaf (karyon deregisters) is forgotten at the poll at 0.5 s: before it, calls
    # are refused; after it, the balancer finds nobody and no call goes out at all
    keys = "fallback: {kind: static, value: spare}, breaker: none"
    _, spans, commands = run(tmp_path, keys, dead=1, poll=0.5)
    command = commands["app->leaf"]
    assert command.cumulative["FAILURE"] == command.cumulative["FALLBACK_SUCCESS"] == 199
    assert all(not r.error for r in roots(spans, 1.9))
    refused = calls_to(spans, "leaf")
    assert len(refused) == 49  # requests reaching app at 0.011 ... 0.491 s
    assert max(s.start for s in refused) < 0.5


def test_a_retry_that_is_short_circuited_leaves_the_retry_budget(tmp_path: Path) -> None:
    # the dead leaf's refusals are retried within a budget of at least 3; once the breaker
    # opens (0.5 s), retries end at once as short circuits, and each must free its place:
    # retries in flight always belong to requests in flight
    keys = (
        "breaker: hystrix, retries: {retries: 3, jitter: none, backoff_base: 0.001, "
        "retry_on: [5xx], budget: {percent: 20, minimum: 3}}"
    )
    path = tmp_path / "guard.yaml"
    path.write_text(
        GUARD.replace("KEYS", keys)
        .replace("LEAF", "0.0")
        .replace("RATE", "100")
        .replace("LEAVES", "1")
    )
    simulation = Simulation(
        load_architecture(path), RunOptions(duration=3.0, seed=5, chaos=False, poll=10_000.0)
    )
    simulation.start()
    leaf = next(i for i in simulation.instances if i.service.name == "leaf")
    simulation.kill(leaf)
    app = next(s for s in simulation.services if s.name == "app").behaviour
    group = app.groups[0]
    assert group is not None
    for step in range(1, 31):
        simulation.advance(step / 10)
        for command in group.commands.values():
            assert command.budget is not None
            assert command.budget.active_retries <= command.budget.active_requests
    simulation.finish()
    [command] = group.commands.values()
    assert command.budget is not None
    assert command.budget.retries > 3  # retries went on after the first short circuits
    stats = {c.name: c for c in simulation.commands()}["app->leaf"]
    assert stats.cumulative["SHORT_CIRCUITED"] > 0
