"""Retries: back-off formulas, classification, amplification and Envoy's retry budget.

The expected figures are written out by hand (back-off tables, the 64 attempts of three layers
with 3 retries, a burst of 100 requests against a 20 % budget); the budget is also checked in a
discrete-event run of three retrying layers against counters and a formula of the test's own.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from random import Random

import pytest

from monkeyhouse.engine import Environment
from monkeyhouse.errors import UsageError
from monkeyhouse.patterns.retry import (
    NO_RETRIES,
    RetryBudget,
    RetryPolicy,
    attempts_per_request,
    error_classes,
)

# -- policy defaults and validation -------------------------------------------------------------


def test_defaults_are_envoys() -> None:
    policy = RetryPolicy()
    assert policy.retries == 1  # Envoy retries once when a policy gives no count
    assert policy.attempts == 2
    assert policy.backoff_base == 0.025
    assert policy.backoff_cap == pytest.approx(0.25)  # 10 x base
    assert policy.cap == pytest.approx(0.25)
    assert policy.jitter == "full"
    assert NO_RETRIES.retries == 0 and NO_RETRIES.attempts == 1
    budget = RetryBudget()
    assert (budget.budget_percent, budget.min_retry_concurrency) == (20.0, 3)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"retries": -1},
        {"retries": 1.5},
        {"retries": True},
        {"backoff_base": 0},
        {"backoff_base": -0.1},
        {"backoff_base": math.inf},
        {"backoff_base": 0.1, "backoff_cap": 0.05},
        {"jitter": "half"},
        {"retry_on": frozenset({"5XX"})},
        {"retry_on": frozenset({"600"})},
    ],
)
def test_invalid_policies_are_refused_by_name(kwargs: dict[str, object]) -> None:
    with pytest.raises(UsageError) as raised:
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
    assert "retry policy" in str(raised.value)
    assert next(iter(kwargs)).split("_")[0] in str(raised.value)


def test_invalid_budgets_are_refused() -> None:
    with pytest.raises(UsageError):
        RetryBudget(budget_percent=120)
    with pytest.raises(UsageError):
        RetryBudget(min_retry_concurrency=-1)


# -- back-off --------------------------------------------------------------------------------


def test_backoff_without_jitter_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(retries=10, jitter="none")
    rng = Random(1)
    expected = [0.025, 0.05, 0.1, 0.2, 0.25, 0.25, 0.25]  # 25 ms base, 250 ms cap
    assert [policy.delay(n, rng) for n in range(1, 8)] == pytest.approx(expected)
    assert policy.delay(10_000, rng) == pytest.approx(0.25)  # no overflow far out


def test_backoff_with_an_explicit_cap() -> None:
    policy = RetryPolicy(retries=5, backoff_base=0.1, backoff_cap=1.0, jitter="none")
    rng = Random(1)
    assert [policy.delay(n, rng) for n in range(1, 7)] == pytest.approx(
        [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    )
    with pytest.raises(ValueError):
        policy.delay(0, rng)


def test_no_jitter_draws_nothing() -> None:
    rng = Random(7)
    state = rng.getstate()
    RetryPolicy(jitter="none").delay(3, rng)
    assert rng.getstate() == state


DRAWS = 20_000


@pytest.mark.parametrize("attempt, ceiling", [(1, 0.025), (3, 0.1), (9, 0.25)])
def test_full_jitter_is_uniform_between_zero_and_the_backoff(attempt: int, ceiling: float) -> None:
    policy = RetryPolicy(retries=10, jitter="full")
    rng = Random(20240601 + attempt)
    draws = [policy.delay(attempt, rng) for _ in range(DRAWS)]
    # exact bounds
    assert all(0.0 <= d <= ceiling for d in draws)
    # uniform(0, d): mean d/2, variance d^2/12; the sample mean is within 5 standard errors
    mean = sum(draws) / DRAWS
    assert abs(mean - ceiling / 2) < 5 * ceiling / math.sqrt(12 * DRAWS)
    variance = sum((d - mean) ** 2 for d in draws) / (DRAWS - 1)
    assert variance == pytest.approx(ceiling**2 / 12, rel=0.05)
    # it fills the whole range, and a quarter of the draws fall in its first quarter
    assert min(draws) < 0.01 * ceiling and max(draws) > 0.99 * ceiling
    share = sum(d < ceiling / 4 for d in draws) / DRAWS
    assert abs(share - 0.25) < 5 * math.sqrt(0.25 * 0.75 / DRAWS)


@pytest.mark.parametrize("attempt, ceiling", [(1, 0.025), (3, 0.1), (9, 0.25)])
def test_equal_jitter_is_half_fixed_half_uniform(attempt: int, ceiling: float) -> None:
    policy = RetryPolicy(retries=10, jitter="equal")
    rng = Random(4242 + attempt)
    draws = [policy.delay(attempt, rng) for _ in range(DRAWS)]
    half = ceiling / 2
    assert all(half <= d <= ceiling for d in draws)
    # d/2 + uniform(0, d/2): mean 3d/4, variance (d/2)^2/12
    mean = sum(draws) / DRAWS
    assert abs(mean - 0.75 * ceiling) < 5 * half / math.sqrt(12 * DRAWS)
    variance = sum((d - mean) ** 2 for d in draws) / (DRAWS - 1)
    assert variance == pytest.approx(half**2 / 12, rel=0.05)
    assert min(draws) < half * 1.01 and max(draws) > ceiling * 0.99


def test_delays_are_deterministic_for_a_seed() -> None:
    policy = RetryPolicy(retries=5)
    first = [policy.delay(n, Random(99)) for n in range(1, 6)]
    second = [policy.delay(n, Random(99)) for n in range(1, 6)]
    assert first == second


# -- what is retried ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error, retryable",
    [
        ("503 queue full", True),
        ("502 dependency failed", True),
        ("502 connection refused: the instance is gone", True),
        ("504 key owner is down", True),
        ("500 internal error", True),
        ("connection reset by peer", True),
        ("request timed out", True),
        ("502 no route to a dependency", False),  # never reached an instance
        ("404 not found", False),
        ("429 too many requests", False),
        ("", False),  # success
    ],
)
def test_default_retry_on(error: str, retryable: bool) -> None:
    assert RetryPolicy().is_retryable(error) is retryable


def test_error_classes() -> None:
    assert error_classes("503 queue full") == {"503", "5xx", "gateway-error"}
    assert error_classes("502 connection refused: the instance is gone") == {
        "502",
        "5xx",
        "gateway-error",
        "connect-failure",
    }
    assert "timeout" in error_classes("504 key owner is down")
    assert error_classes("500 internal error") == {"500", "5xx"}
    assert error_classes("404 not found") == {"404"}
    assert error_classes("") == frozenset()


def test_narrow_retry_on() -> None:
    connect_only = RetryPolicy(retry_on=frozenset({"connect-failure"}))
    assert connect_only.is_retryable("502 connection refused: the instance is gone")
    assert not connect_only.is_retryable("503 queue full")
    assert not connect_only.is_retryable("502 dependency failed")
    only_503 = RetryPolicy(retry_on=frozenset({"503"}))
    assert only_503.is_retryable("503 queue full")
    assert not only_503.is_retryable("502 dependency failed")
    gateway = RetryPolicy(retry_on=frozenset({"gateway-error"}))
    assert gateway.is_retryable("504 key owner is down")
    assert not gateway.is_retryable("500 internal error")
    timeouts = RetryPolicy(retry_on=frozenset({"timeout"}))
    assert timeouts.is_retryable("504 key owner is down")
    assert not timeouts.is_retryable("503 queue full")


# -- amplification ---------------------------------------------------------------------------


def test_amplification_is_the_product_of_attempts() -> None:
    assert attempts_per_request([3, 3, 3]) == 64
    assert attempts_per_request([]) == 1
    assert attempts_per_request([0, 0]) == 1
    assert attempts_per_request([1, 2]) == 6
    assert attempts_per_request((2, 2, 2, 2)) == 81
    with pytest.raises(ValueError):
        attempts_per_request([3, -1])


# -- the budget, counter by counter -------------------------------------------------------------


@pytest.mark.parametrize(
    "active, limit",
    [(0, 3), (1, 3), (10, 3), (19, 3), (20, 4), (24, 4), (25, 5), (100, 20), (104, 20), (105, 21)],
)
def test_budget_limit_is_a_share_of_active_requests_with_a_floor(active: int, limit: int) -> None:
    budget = RetryBudget()
    for _ in range(active):
        budget.request_started()
    assert budget.limit() == limit
    for _ in range(limit - 1):
        budget.retry_started()
    assert budget.allow_retry()
    budget.retry_started()
    assert not budget.allow_retry()


def test_envoys_example_25_percent_of_100_allows_25() -> None:
    budget = RetryBudget(budget_percent=25, min_retry_concurrency=0)
    for _ in range(100):
        budget.request_started()
    admitted = sum(budget.try_retry() for _ in range(40))
    assert admitted == 25
    stats = budget.statistics()
    assert (stats.active_retries, stats.retries, stats.retries_overflow) == (25, 25, 15)
    assert (stats.active_requests, stats.requests, stats.limit, stats.peak_retries) == (
        100,
        100,
        25,
        25,
    )


def test_budget_counts_retries_until_they_finish() -> None:
    budget = RetryBudget()
    budget.request_started()
    assert [budget.try_retry() for _ in range(4)] == [True, True, True, False]
    budget.retry_finished()
    assert budget.try_retry()
    with pytest.raises(RuntimeError):
        RetryBudget().retry_finished()
    with pytest.raises(RuntimeError):
        RetryBudget().request_finished()


# -- a discrete-event run: three retrying layers over a leaf that always fails -------------------

LEAF_ERROR = "503 leaf down"
LAYER_ERROR = "502 dependency failed"


class Chain:
    """Layer 0 calls layer 1 calls layer 2 calls the leaf; each call is retried per policy.

    The test keeps its own count of requests and retries in flight per layer and checks every
    budget decision against Envoy's formula computed on those counts.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        budgets: list[RetryBudget | None],
        *,
        leaf_time: float = 0.05,
        hop_time: float = 0.001,
        seed: int = 5,
    ) -> None:
        self.env = Environment()
        self.rng = Random(seed)
        self.policy = policy
        self.budgets = budgets
        self.layers = len(budgets)
        self.leaf_time = leaf_time
        self.hop_time = hop_time
        self.leaf_attempts: Counter[int] = Counter()
        self.requests_in_flight = [0] * self.layers
        self.retries_in_flight = [0] * self.layers
        self.admitted = [0] * self.layers
        self.refused = [0] * self.layers
        self.bound_reached = [False] * self.layers
        self.answers: dict[int, str] = {}

    def serve(self, layer: int, trace: int, done: Callable[[str], None]) -> None:
        """``layer`` receives a call: the leaf fails; a layer calls the one below."""
        if layer == self.layers:
            self.leaf_attempts[trace] += 1
            self.env.schedule(self.leaf_time, lambda _: done(LEAF_ERROR))
        else:
            self.env.schedule(self.hop_time, lambda _: self.request(layer, trace, done))

    def request(self, layer: int, trace: int, done: Callable[[str], None]) -> None:
        """``layer`` calls ``layer + 1`` with retries."""
        budget = self.budgets[layer]
        self.requests_in_flight[layer] += 1
        if budget is not None:
            budget.request_started()
        retries = 0
        retrying = False

        def attempt(_: object = None) -> None:
            self.serve(layer + 1, trace, answered)

        def answered(error: str) -> None:
            nonlocal retries, retrying
            if retrying:
                retrying = False
                self.retries_in_flight[layer] -= 1
                if budget is not None:
                    budget.retry_finished()
            if error and self.policy.is_retryable(error) and retries < self.policy.retries:
                if budget is None:
                    admit = True
                else:
                    # Envoy: max(min_retry_concurrency, floor(20 % of active requests))
                    limit = max(3, self.requests_in_flight[layer] * 20 // 100)
                    expected = self.retries_in_flight[layer] < limit
                    admit = budget.try_retry()
                    assert admit is expected
                    if admit and self.retries_in_flight[layer] + 1 == limit:
                        self.bound_reached[layer] = True
                if admit:
                    retries += 1
                    retrying = True
                    self.retries_in_flight[layer] += 1
                    self.admitted[layer] += 1
                    self.env.schedule(self.policy.delay(retries, self.rng), attempt)
                    return
                self.refused[layer] += 1
            self.requests_in_flight[layer] -= 1
            if budget is not None:
                budget.request_finished()
            done(LAYER_ERROR if error else "")

        attempt()

    def send(self, trace: int) -> None:
        def finished(error: str) -> None:
            self.answers[trace] = error

        self.request(0, trace, finished)

    def stream(self, count: int, rate: float) -> None:
        """``count`` requests into layer 0, Poisson arrivals at ``rate`` per second."""
        time = 0.0
        for trace in range(count):
            time += self.rng.expovariate(rate)
            self.env.schedule_at(time, lambda t: self.send(t), trace)
        self.env.run()


def test_without_a_budget_every_request_sends_64_attempts_to_the_leaf() -> None:
    policy = RetryPolicy(retries=3)
    chain = Chain(policy, [None, None, None])
    chain.stream(300, rate=200.0)
    assert attempts_per_request([3, 3, 3]) == 64
    assert len(chain.answers) == 300
    assert set(chain.leaf_attempts.values()) == {64}
    assert sum(chain.leaf_attempts.values()) == 64 * 300
    assert all(error == LAYER_ERROR for error in chain.answers.values())
    assert chain.requests_in_flight == [0, 0, 0] and chain.retries_in_flight == [0, 0, 0]


def test_a_20_percent_budget_caps_retries_in_flight_at_every_layer() -> None:
    policy = RetryPolicy(retries=3)
    budgets: list[RetryBudget | None] = [RetryBudget(20, 3) for _ in range(3)]
    chain = Chain(policy, budgets)
    chain.stream(2000, rate=400.0)  # every budget decision was checked inside the run
    assert len(chain.answers) == 2000
    for layer, budget in enumerate(budgets):
        assert budget is not None
        stats = budget.statistics()
        assert stats.active_requests == 0 and stats.active_retries == 0
        assert stats.retries == chain.admitted[layer]
        assert stats.retries_overflow == chain.refused[layer] > 0
        # the cap was reached, not merely never approached
        assert chain.bound_reached[layer]
    total = sum(chain.leaf_attempts.values())
    # far below 64 per request; at most the budget's share on top of each layer's requests
    assert total / 2000 < 3.0
    assert max(chain.leaf_attempts.values()) <= 64


def test_a_burst_of_100_against_a_20_percent_budget() -> None:
    """Hand-worked: one retrying layer, 100 simultaneous requests, back-off without jitter.

    Round 1: all 100 fail together; the first 20 get a retry (20 % of 100), the other 80 give
    up. Round 2: the 20 retries fail; with r retries and a requests left the next one may retry
    when r < max(3, a // 5), true only for the last three. Rounds 3 and 4: those three retry
    once more (2 < 3 each time), then run out of retries. Leaf attempts: 100 + 20 + 3 + 3.
    """
    policy = RetryPolicy(retries=3, jitter="none")
    chain = Chain(policy, [RetryBudget(20, 3)], hop_time=0.0)
    for trace in range(100):
        chain.env.schedule(0.0, lambda t: chain.send(t), trace)
    chain.env.run()
    assert sum(chain.leaf_attempts.values()) == 126
    assert sorted(Counter(chain.leaf_attempts.values()).items()) == [(1, 80), (2, 17), (4, 3)]
    without = Chain(policy, [None], hop_time=0.0)
    for trace in range(100):
        without.env.schedule(0.0, lambda t: without.send(t), trace)
    without.env.run()
    assert sum(without.leaf_attempts.values()) == 400
