"""Closed forms of queueing theory against published values and against brute force.

Independent truth: textbook values that can be checked by hand (M/M/1 at ρ = 0.5; Erlang C for
two servers and one erlang), classic table values (Erlang B for 10 servers at 5 erlangs, 1.84 %;
Erlang C for 10 servers at 9 erlangs, 0.6687), and the M/M/c stationary distribution summed
directly from its birth-death balance equations, ``p(n+1) = p(n) λ / (min(n+1, c) μ)``, with no
Erlang formula involved.
"""

from __future__ import annotations

import math

import pytest

from monkeyhouse.analysis import queueing
from monkeyhouse.analysis.queueing import (
    MMCResult,
    erlang_b,
    erlang_c,
    fan_out_slow_share,
    mm1_response_quantile,
    mmc,
    servers_for,
    tandem_response,
)


def stationary(arrival_rate: float, service_rate: float, servers: int) -> list[float]:
    """The M/M/c stationary distribution, from the balance equations, truncated at 1e-18."""
    weights = [1.0]
    n = 0
    while True:
        weights.append(weights[-1] * arrival_rate / (min(n + 1, servers) * service_rate))
        n += 1
        if n > servers and weights[-1] < 1e-18 * sum(weights):
            break
    total = sum(weights)
    return [w / total for w in weights]


def poisson_cdf(k: int, mean: float) -> float:
    """P(Poisson(mean) <= k) by direct summation."""
    term = math.exp(-mean)
    total = term
    for i in range(1, k + 1):
        term *= mean / i
        total += term
    return total


class BruteForce:
    """Figures of an M/M/c queue from its stationary distribution alone."""

    def __init__(self, arrival_rate: float, service_rate: float, servers: int) -> None:
        self.lam = arrival_rate
        self.mu = service_rate
        self.c = servers
        self.p = stationary(arrival_rate, service_rate, servers)

    @property
    def probability_wait(self) -> float:  # PASTA: an arrival sees the time average
        return sum(self.p[self.c :])

    @property
    def mean_in_system(self) -> float:
        return sum(n * pn for n, pn in enumerate(self.p))

    @property
    def mean_in_queue(self) -> float:
        return sum((n - self.c) * pn for n, pn in enumerate(self.p) if n > self.c)

    def wait_tail(self, t: float) -> float:
        """P(W_q > t): an arrival finding n >= c waits for n - c + 1 departures at rate cμ."""
        rate = self.c * self.mu * t
        return sum(pn * poisson_cdf(n - self.c, rate) for n, pn in enumerate(self.p) if n >= self.c)

    def response_tail_mm1(self, t: float) -> float:
        """P(T > t) in M/M/1: an arrival finding n leaves after n + 1 services at rate μ."""
        assert self.c == 1
        return sum(pn * poisson_cdf(n, self.mu * t) for n, pn in enumerate(self.p))


# -- published values ----------------------------------------------------------------------


def test_mm1_at_half_load_is_the_textbook_case() -> None:
    # λ = 0.5, μ = 1: W = 1 / (μ - λ) = 2 = 2/μ, W_q = ρ / (μ - λ) = 1, L = ρ / (1 - ρ) = 1
    result = mmc(0.5, 1.0, 1)
    assert result == MMCResult(
        arrival_rate=0.5,
        service_rate=1.0,
        servers=1,
        offered_load=0.5,
        utilization=0.5,
        probability_wait=pytest.approx(0.5),  # type: ignore[arg-type]
        mean_wait=pytest.approx(1.0),  # type: ignore[arg-type]
        mean_response=pytest.approx(2.0),  # type: ignore[arg-type]
        mean_in_system=pytest.approx(1.0),  # type: ignore[arg-type]
        mean_in_queue=pytest.approx(0.5),  # type: ignore[arg-type]
    )
    # in other units: μ = 100 per second, mean response 2 / μ = 20 ms
    assert mmc(50.0, 100.0, 1).mean_response == pytest.approx(0.02)


def test_erlang_c_for_two_servers_and_one_erlang_is_a_third() -> None:
    # p0 = 1 / (1 + a + a²/2 · c/(c - a)) = 1/3, C = a²/2 · c/(c - a) · p0 = 1/3
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-12)
    result = mmc(1.0, 1.0, 2)
    assert result.mean_wait == pytest.approx(1 / 3)  # C / (cμ - λ)
    assert result.mean_response == pytest.approx(4 / 3)
    assert result.utilization == 0.5


@pytest.mark.parametrize(
    ("servers", "load", "expected", "tolerance"),
    [
        (10, 9.0, 0.6687, 5e-5),  # classic Erlang C table value
        (1, 0.7, 0.7, 1e-12),  # one server: C = ρ
        (5, 4.0, 0.5541, 5e-5),  # table value
        (3, 2.0, 4 / 9, 1e-12),  # by hand: 1 + 2 + 2 = 5 below c, 8/6 · 3/1 = 4 at c and above
    ],
)
def test_erlang_c_table_values(
    servers: int, load: float, expected: float, tolerance: float
) -> None:
    assert erlang_c(servers, load) == pytest.approx(expected, abs=tolerance)


def test_erlang_b_table_values() -> None:
    assert erlang_b(10, 5.0) == pytest.approx(0.01838, abs=5e-6)  # 10 trunks, 5 erlangs: 1.84 %
    assert erlang_b(1, 3.0) == pytest.approx(3.0 / 4.0)  # a / (1 + a)
    assert erlang_b(3, 0.0) == 0.0


# -- brute force ---------------------------------------------------------------------------


@pytest.mark.parametrize("servers", [1, 2, 3, 5, 10, 20, 50, 100])
@pytest.mark.parametrize("utilization", [0.1, 0.5, 0.8, 0.9, 0.95, 0.99])
def test_mmc_matches_the_stationary_distribution(servers: int, utilization: float) -> None:
    service_rate = 2.5
    arrival_rate = utilization * servers * service_rate
    brute = BruteForce(arrival_rate, service_rate, servers)
    result = mmc(arrival_rate, service_rate, servers)
    assert result.utilization == pytest.approx(utilization)
    assert result.probability_wait == pytest.approx(brute.probability_wait, rel=1e-9)
    assert result.mean_in_system == pytest.approx(brute.mean_in_system, rel=1e-9)
    assert result.mean_in_queue == pytest.approx(brute.mean_in_queue, rel=1e-9, abs=1e-15)
    # Little's law ties the counts to the times
    assert result.mean_response == pytest.approx(brute.mean_in_system / arrival_rate, rel=1e-9)
    assert result.mean_wait == pytest.approx(
        brute.mean_in_queue / arrival_rate, rel=1e-9, abs=1e-15
    )
    assert result.mean_response == pytest.approx(result.mean_wait + 1 / service_rate)


@pytest.mark.parametrize(("servers", "utilization"), [(1, 0.5), (2, 0.8), (10, 0.9), (50, 0.95)])
@pytest.mark.parametrize("q", [0.5, 0.9, 0.99, 0.999])
def test_wait_quantile_matches_the_stationary_distribution(
    servers: int, utilization: float, q: float
) -> None:
    result = mmc(utilization * servers, 1.0, servers)
    brute = BruteForce(utilization * servers, 1.0, servers)
    t = result.wait_quantile(q)
    if t == 0.0:
        assert brute.probability_wait <= 1 - q + 1e-12
    else:
        assert brute.wait_tail(t) == pytest.approx(1 - q, rel=1e-8)


@pytest.mark.parametrize("utilization", [0.3, 0.5, 0.8, 0.95])
@pytest.mark.parametrize("q", [0.5, 0.9, 0.99])
def test_mm1_response_quantile_matches_the_stationary_distribution(
    utilization: float, q: float
) -> None:
    service_rate = 4.0
    t = mm1_response_quantile(utilization * service_rate, service_rate, q)
    brute = BruteForce(utilization * service_rate, service_rate, 1)
    assert brute.response_tail_mm1(t) == pytest.approx(1 - q, rel=1e-8)


def test_mm1_response_quantiles_by_hand() -> None:
    # exponential with rate μ - λ = 0.5: median ln 2 / 0.5, p99 ln 100 / 0.5
    assert mm1_response_quantile(0.5, 1.0, 0.5) == pytest.approx(2 * math.log(2))
    assert mm1_response_quantile(0.5, 1.0, 0.99) == pytest.approx(2 * math.log(100))
    assert mm1_response_quantile(0.5, 1.0, 0.0) == 0.0


def test_erlang_is_stable_for_thousands_of_servers() -> None:
    # a^c / c! overflows a float long before c = 5000; the recursion does not
    for servers in (1000, 5000):
        value = erlang_c(servers, 0.99 * servers)
        assert 0.0 < value < 1.0
    # against the log-space sum of the stationary distribution for c = 1000, a = 950
    servers, load = 1000, 950.0
    logs = [n * math.log(load) - math.lgamma(n + 1) for n in range(servers)]
    top = servers * math.log(load) - math.lgamma(servers + 1) - math.log(1 - load / servers)
    peak = max([*logs, top])
    below = sum(math.exp(x - peak) for x in logs)
    waiting = math.exp(top - peak)
    assert erlang_c(servers, load) == pytest.approx(waiting / (below + waiting), rel=1e-9)


# -- tandems and fan-out -------------------------------------------------------------------


def test_tandem_is_the_sum_of_mm1_responses() -> None:
    assert tandem_response(1.0, [2.0, 4.0]) == pytest.approx(1.0 + 1 / 3)
    rates = [150.0, 120.0, 200.0]
    expected = sum(mmc(100.0, rate, 1).mean_response for rate in rates)
    assert tandem_response(100.0, rates) == pytest.approx(expected)


def test_fan_out_slow_share() -> None:
    assert fan_out_slow_share(100, 0.01) == pytest.approx(0.633967658726771, rel=1e-12)
    assert fan_out_slow_share(1, 0.25) == pytest.approx(0.25)
    assert fan_out_slow_share(2, 0.5) == pytest.approx(0.75)
    assert fan_out_slow_share(0, 0.5) == 0.0
    assert fan_out_slow_share(10, 0.0) == 0.0
    assert fan_out_slow_share(10, 1.0) == 1.0
    # tiny probabilities keep their digits (1 - (1 - p)^n in floats would not)
    assert fan_out_slow_share(10, 1e-12) == pytest.approx(1e-11, rel=1e-9)


# -- sizing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrival_rate", "service_rate", "target"),
    [(9.0, 1.0, 1.1), (9.0, 1.0, 1.01), (0.5, 1.0, 2.01), (0.5, 1.0, 1.99), (800.0, 10.0, 0.1001)],
)
def test_servers_for_a_mean_response_is_the_fewest(
    arrival_rate: float, service_rate: float, target: float
) -> None:
    c = servers_for(arrival_rate, service_rate, mean_response=target)
    assert mmc(arrival_rate, service_rate, c).mean_response <= target
    if c - 1 > arrival_rate / service_rate:
        assert mmc(arrival_rate, service_rate, c - 1).mean_response > target


def test_servers_for_by_hand() -> None:
    assert servers_for(0.5, 1.0, mean_response=2.01) == 1  # one server: W = 2
    assert servers_for(0.5, 1.0, mean_response=1.99) == 2  # two: W = 1 + 1/15
    assert servers_for(1.0, 1.0, mean_response=1.34) == 2  # W = 4/3 (above)
    assert servers_for(1.0, 1.0, mean_response=1.33) == 3


@pytest.mark.parametrize("limit", [0.0, 0.05, 0.5, 2.0])
@pytest.mark.parametrize("quantile", [0.9, 0.99])
def test_servers_for_a_wait_quantile_is_the_fewest(limit: float, quantile: float) -> None:
    arrival_rate, service_rate = 45.0, 2.0
    c = servers_for(arrival_rate, service_rate, wait_quantile=limit, quantile=quantile)
    assert mmc(arrival_rate, service_rate, c).wait_quantile(quantile) <= limit
    if c - 1 > arrival_rate / service_rate:
        assert mmc(arrival_rate, service_rate, c - 1).wait_quantile(quantile) > limit
    if limit == 0.0:  # at least `quantile` of arrivals find a free server
        assert erlang_c(c, arrival_rate / service_rate) <= 1 - quantile


# -- mistakes ------------------------------------------------------------------------------


def test_unstable_queues_are_refused() -> None:
    with pytest.raises(ValueError, match="unstable"):
        mmc(2.0, 1.0, 2)
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(3, 3.5)
    with pytest.raises(ValueError, match="unstable"):
        mm1_response_quantile(1.0, 1.0, 0.5)
    with pytest.raises(ValueError, match="unstable"):
        tandem_response(5.0, [6.0, 5.0])


@pytest.mark.parametrize(
    "call",
    [
        lambda: mmc(0.0, 1.0, 1),
        lambda: mmc(1.0, -1.0, 1),
        lambda: mmc(1.0, 1.0, 0),
        lambda: mmc(1.0, math.inf, 1),
        lambda: erlang_c(2, -1.0),
        lambda: erlang_b(0, 1.0),
        lambda: mm1_response_quantile(0.5, 1.0, 1.0),
        lambda: mmc(0.5, 1.0, 1).wait_quantile(-0.1),
        lambda: tandem_response(1.0, []),
        lambda: fan_out_slow_share(-1, 0.1),
        lambda: fan_out_slow_share(3, 1.5),
        lambda: servers_for(1.0, 1.0),
        lambda: servers_for(1.0, 1.0, mean_response=2.0, wait_quantile=0.1),
        lambda: servers_for(1.0, 1.0, mean_response=1.0),  # never below the service time
        lambda: servers_for(1.0, 1.0, wait_quantile=-1.0),
        lambda: servers_for(1e6, 1.0, mean_response=1.5, max_servers=10),
    ],
)
def test_bad_arguments_are_refused(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


def test_the_package_exports_the_closed_forms() -> None:
    import monkeyhouse.analysis as analysis

    assert set(analysis.__all__) == set(queueing.__all__)
