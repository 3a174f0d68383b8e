"""Recent requests: exact sliding windows over hand-made spans; expected figures by hand/numpy."""

from __future__ import annotations

import numpy as np
import pytest

from metrics_fakes import FakeInstance, FakeService, client, server
from monkeyhouse.behaviours.spans import Span
from monkeyhouse.engine import Environment
from monkeyhouse.telemetry.window import RecentRequests


def at(env: Environment, t: float) -> None:
    env.run(until=t)


def test_a_window_holds_the_requests_that_ended_in_it() -> None:
    env = Environment()
    api = FakeInstance("api0", FakeService("api"))
    recent = RecentRequests(env, horizon=60)
    # (start, duration, error) ending at 1.5, 2.5, ..., 10.5
    durations = [0.5 + 0.1 * k for k in range(10)]
    for k, d in enumerate(durations):
        end = 1.5 + k
        at(env, end)
        recent.on_span(server(api, end - d, d, error="500 boom" if k % 3 == 0 else ""))
    at(env, 10.5)
    last5 = recent.window("api", 5)  # ends in (5.5, 10.5]: k = 5..9
    assert last5.count == 5
    assert last5.errors == 2  # k = 6 and 9
    assert last5.error_rate == pytest.approx(0.4)
    assert last5.throughput == pytest.approx(1.0)
    assert last5.percentile(50) == pytest.approx(float(np.percentile(durations[5:], 50)))
    assert last5.percentile(99) == pytest.approx(float(np.percentile(durations[5:], 99)))
    everything = recent.window("api", 60)
    assert everything.count == 10
    assert everything.errors == 4  # k = 0, 3, 6, 9


def test_an_unknown_or_idle_service_has_empty_figures() -> None:
    env = Environment()
    recent = RecentRequests(env)
    empty = recent.window("nobody", 10)
    assert (empty.count, empty.errors, empty.error_rate, empty.percentile(99)) == (0, 0, None, None)
    assert empty.throughput == 0.0


def test_root_client_spans_count_for_the_traffic_source_and_other_client_spans_do_not() -> None:
    env = Environment()
    www = FakeInstance("www0", FakeService("www", "denominator"))
    api = FakeInstance("api0", FakeService("api"))
    db = FakeInstance("db0", FakeService("db"))
    recent = RecentRequests(env)
    at(env, 2)
    recent.on_span(client(www, api, 1.0, 1.0, error="502 dependency failed"))  # parent 0: a root
    inner = client(api, db, 1.2, 0.3)
    inner.parent = 7  # a call made while serving a request: not a request of api
    recent.on_span(inner)
    assert recent.window("www", 5).count == 1
    assert recent.window("www", 5).error_rate == 1.0
    assert recent.window("api", 5).count == 0
    assert recent.services() == ["www"]


def test_old_requests_are_forgotten_beyond_the_horizon_and_long_windows_are_refused() -> None:
    env = Environment()
    api = FakeInstance("api0", FakeService("api"))
    recent = RecentRequests(env, horizon=10)
    for t in range(1, 41):
        at(env, t)
        recent.on_span(server(api, t - 0.1, 0.1))
    assert recent.window("api", 10).count == 10
    with pytest.raises(ValueError, match="at most 10"):
        recent.window("api", 11)
    with pytest.raises(ValueError):
        recent.window("api", 0)


def test_a_late_span_is_kept_in_order() -> None:
    env = Environment()
    api = FakeInstance("api0", FakeService("api"))
    recent = RecentRequests(env)
    at(env, 5)
    recent.on_span(server(api, 4.0, 1.0))
    recent.on_span(server(api, 1.0, 1.0))  # ended at 2.0, reported late
    assert recent.window("api", 2).count == 1  # (3, 5]
    assert recent.window("api", 4).count == 2  # (1, 5]


def test_a_broken_span_is_counted_as_a_failure_not_raised() -> None:
    env = Environment()
    recent = RecentRequests(env)
    broken = Span(1, 1, 0, 2, "get", object(), None, 0.0)  # instance without a service
    recent.on_span(broken)
    assert recent.failures == 1
