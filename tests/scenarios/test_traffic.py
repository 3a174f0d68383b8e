"""Tests of monkeyhouse.scenarios.traffic: arrivals match the rate's integral, exactly or within
statistical bounds computed by hand."""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import replace
from pathlib import Path

import pytest

from monkeyhouse.engine.core import Environment
from monkeyhouse.model.loader import load_architecture
from monkeyhouse.model.timing import TrafficSpec
from monkeyhouse.scenarios.traffic import TrafficSource, expected_arrivals


def run(
    spec: TrafficSpec, start: float = 0.0, until: float = 100.0, seed: int = 1
) -> tuple[list[tuple[float, str]], TrafficSource]:
    env = Environment()
    arrivals: list[tuple[float, str]] = []
    pending: list[int] = []

    def emit(kind: str) -> None:
        arrivals.append((env.now, kind))
        pending.append(env.statistics().pending)

    source = TrafficSource(env, spec, random.Random(seed), start, until, emit)
    env.run()
    assert set(pending) <= {0, 1}  # one pending engine event at a time, never more
    return arrivals, source


def count(arrivals: list[tuple[float, str]], t0: float, t1: float) -> int:
    return sum(1 for t, _ in arrivals if t0 < t <= t1)


def test_constant_uniform_arrivals_are_exact() -> None:
    arrivals, source = run(TrafficSpec(rate=10.0), start=2.0, until=12.0)
    assert [t for t, _ in arrivals] == [2.0 + k / 10.0 for k in range(1, 101)]
    assert arrivals[-1][0] == 12.0  # until is included, and no drift
    assert source.count == 100
    assert source.next_arrival is None


def test_constant_rate_three_has_no_accumulated_rounding() -> None:
    arrivals, _ = run(TrafficSpec(rate=3.0), until=1000.0)
    assert len(arrivals) == 3000
    assert arrivals[2999][0] == 1000.0
    assert all(t == k / 3.0 for k, (t, _) in enumerate(arrivals, start=1))


def test_one_event_pending_while_running() -> None:
    env = Environment()
    TrafficSource(env, TrafficSpec(rate=1000.0), random.Random(1), 0.0, 50.0, lambda kind: None)
    assert env.statistics().pending == 1
    env.run(until=25.0)
    assert env.statistics().pending == 1
    env.run()
    assert env.statistics().pending == 0


def test_poisson_counts_in_windows_are_within_four_sigma() -> None:
    arrivals, _ = run(TrafficSpec(pattern="poisson", rate=1000.0), until=50.0)
    for t0 in range(0, 50, 5):
        expected = 1000.0 * 5
        assert abs(count(arrivals, t0, t0 + 5) - expected) < 4 * math.sqrt(expected)


def test_poisson_counts_have_poisson_dispersion() -> None:
    arrivals, _ = run(TrafficSpec(pattern="poisson", rate=200.0), until=400.0)
    counts = [0] * 400
    for t, _ in arrivals:
        counts[min(int(t), 399)] += 1
    mean = sum(counts) / 400
    variance = sum((c - mean) ** 2 for c in counts) / 399
    # For a Poisson process the variance of counts equals the mean; the sample variance of 400
    # windows has a relative standard error of about sqrt(2/399) = 7 %.
    assert abs(variance / mean - 1) < 4 * math.sqrt(2 / 399)
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(arrivals)]
    assert abs(sum(gaps) / len(gaps) - 1 / 200) < 4 * (1 / 200) / math.sqrt(len(gaps))


SHAPES = {
    # name: (spec, {(t0, t1): expected count by hand})
    "ramp": (
        TrafficSpec(pattern="ramp", rate=100.0, to_rate=900.0, over=40.0, start=20.0),
        {(0, 20): 2000.0, (20, 60): 40 * 500.0, (60, 100): 40 * 900.0, (20, 40): 20 * 300.0},
    ),
    "step": (
        TrafficSpec(pattern="step", rate=50.0, steps=((30.0, 600.0), (70.0, 200.0))),
        {(0, 30): 1500.0, (30, 70): 24000.0, (70, 100): 6000.0},
    ),
    "diurnal": (
        TrafficSpec(pattern="diurnal", rate=400.0, amplitude=0.5, period=100.0),
        # integral of 400 (1 - 0.5 cos(2 pi t / 100)): 400 (t - 0.5 * 100 sin(2 pi t/100) / 2 pi)
        {
            (0, 50): 20000.0,
            (50, 100): 20000.0,
            (0, 25): 400 * (25 - 50 / (2 * math.pi)),
            (25, 50): 400 * (25 + 50 / (2 * math.pi)),
        },
    ),
    "spike": (
        TrafficSpec(pattern="spike", rate=100.0, peak=3000.0, at=40.0, duration=4.0),
        {(0, 40): 4000.0, (40, 44): 12000.0, (44, 100): 5600.0},
    ),
}


@pytest.mark.parametrize("name", SHAPES)
def test_poisson_shapes_follow_the_rate(name: str) -> None:
    spec, windows = SHAPES[name]
    arrivals, _ = run(spec, until=100.0, seed=5)
    for (t0, t1), expected in windows.items():
        assert expected_arrivals(spec, t0, t1) == pytest.approx(expected, rel=1e-9)
        observed = count(arrivals, t0, t1)
        assert abs(observed - expected) < 4 * math.sqrt(expected), (t0, t1, observed, expected)


@pytest.mark.parametrize("name", SHAPES)
def test_uniform_shapes_follow_the_integral_to_one_request(name: str) -> None:
    spec, windows = SHAPES[name]
    uniform = replace(spec, arrivals="uniform")
    arrivals, _ = run(uniform, until=100.0)
    for (t0, t1), expected in windows.items():
        assert abs(count(arrivals, t0, t1) - expected) <= 1.0 + 1e-6, (t0, t1)
    times = [t for t, _ in arrivals]
    assert times == sorted(times)
    for k, t in enumerate(times[:200], start=1):  # the k-th arrival is where the integral is k
        assert uniform.cumulative(t) == pytest.approx(k, rel=1e-9)


def test_mix_proportions() -> None:
    arrivals, source = run(TrafficSpec(pattern="poisson", rate=300.0), until=100.0)
    n = len(arrivals)
    gets = sum(1 for _, kind in arrivals if kind == "get")
    # spigo's mix: get 2, put 1; binomial standard deviation sqrt(n p (1 - p))
    assert abs(gets - n * 2 / 3) < 4 * math.sqrt(n * 2 / 9)
    stats = source.statistics()
    assert stats.emitted == n
    assert stats.by_kind == {"get": gets, "put": n - gets}


def test_single_kind_mix_and_zero_weights() -> None:
    arrivals, _ = run(TrafficSpec(rate=10.0, mix={"put": 1.0, "get": 0.0}), until=5.0)
    assert {kind for _, kind in arrivals} == {"put"}
    skewed, _ = run(TrafficSpec(rate=1000.0, mix={"get": 9.0, "put": 1.0}), until=20.0)
    puts = sum(1 for _, kind in skewed if kind == "put")
    assert abs(puts - 2000) < 4 * math.sqrt(20000 * 0.09)


def test_replay_from_a_csv(tmp_path: Path) -> None:
    (tmp_path / "rates.csv").write_text("time,rate\n10,100\n40,400\n60,0\n", "utf-8")
    (tmp_path / "a.yaml").write_text(
        "traffic:\n"
        "  - {pattern: replay, csv: rates.csv, arrivals: uniform}\n"
        "  - {pattern: replay, csv: rates.csv}\n"
        "services: [{name: www, package: denominator}]\n",
        "utf-8",
    )
    uniform, poisson = load_architecture(tmp_path / "a.yaml").traffic
    arrivals, _ = run(uniform, until=100.0)
    assert count(arrivals, 0, 10) == 0
    assert count(arrivals, 10, 40) == 3000
    assert count(arrivals, 40, 60) == 8000
    assert count(arrivals, 60, 100) == 0
    assert arrivals[0][0] == pytest.approx(10.01)
    random_arrivals, _ = run(poisson, until=100.0)
    assert count(random_arrivals, 60, 100) == 0
    assert abs(count(random_arrivals, 40, 60) - 8000) < 4 * math.sqrt(8000)


def test_determinism_with_a_seeded_rng() -> None:
    spec = TrafficSpec(pattern="diurnal", rate=300.0, period=20.0)
    first, _ = run(spec, until=30.0, seed=42)
    again, _ = run(spec, until=30.0, seed=42)
    other, _ = run(spec, until=30.0, seed=43)
    assert first == again
    assert first != other


def test_start_and_until_bound_the_arrivals() -> None:
    arrivals, _ = run(TrafficSpec(pattern="poisson", rate=500.0), start=3.0, until=4.0)
    assert all(3.0 < t <= 4.0 for t, _ in arrivals)
    assert abs(len(arrivals) - 500) < 4 * math.sqrt(500)
    assert run(TrafficSpec(rate=0.0))[0] == []
    assert run(TrafficSpec(pattern="poisson", rate=0.0))[0] == []
    assert run(TrafficSpec(rate=10.0), start=5.0, until=4.0)[0] == []


def test_stop_cancels_the_pending_arrival() -> None:
    env = Environment()
    seen: list[float] = []
    source = TrafficSource(
        env, TrafficSpec(rate=10.0), random.Random(1), 0.0, 10.0, lambda kind: seen.append(env.now)
    )
    env.run(until=1.0)
    source.stop()
    env.run()
    assert len(seen) == 10
    assert source.statistics().next_arrival is None
    assert env.statistics().pending == 0


def test_stop_from_inside_emit() -> None:
    env = Environment()
    holder: list[TrafficSource] = []

    def emit(kind: str) -> None:
        if holder[0].count == 3:
            holder[0].stop()

    holder.append(TrafficSource(env, TrafficSpec(rate=5.0), random.Random(1), 0.0, 9.0, emit))
    env.run()
    assert holder[0].count == 3
