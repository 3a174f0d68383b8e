"""Closed forms of queueing theory for capacity planning, and to check the simulator against.

The models are the textbook ones (Kleinrock, *Queueing Systems*, vol. 1; Gross and Harris,
*Fundamentals of Queueing Theory*):

- **M/M/c**: Poisson arrivals at rate ``λ``, ``c`` servers, exponential service at rate ``μ``
  each, unbounded FIFO queue. The offered load is ``a = λ / μ`` erlangs, the utilization
  ``ρ = a / c``; the queue is stable when ``ρ < 1``. The probability that an arrival waits is
  Erlang's C formula; the mean wait is ``C / (cμ − λ)`` and the waiting time beyond zero is
  exponential with rate ``cμ − λ``, so ``P(W > t) = C e^(−(cμ−λ)t)``.
- **Erlang C through Erlang B**: ``B(0) = 1``, ``B(k) = a B(k−1) / (k + a B(k−1))`` (every
  term between 0 and 1, no factorials or powers that overflow), then
  ``C = c B / (c − a (1 − B))``.
- **M/M/1**: the response time is exponential with rate ``μ − λ``.
- **Jackson networks**: in an open network of M/M/1 stations each station behaves as an
  independent M/M/1 queue at its own arrival rate, so the mean end-to-end time of a tandem
  (every request visits every station once) is the sum of the stations' mean response times.
- **Tail at scale** (Dean and Barroso, *The Tail at Scale*, 2013): a request that waits for all
  of ``n`` parallel calls, each slow with probability ``p`` independently, is slow with
  probability ``1 − (1 − p)^n``.

Rates are per unit of time (requests per second when times are in seconds). Every function
raises :class:`ValueError` for arguments outside its domain, an unstable queue included.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "MMCResult",
    "erlang_b",
    "erlang_c",
    "fan_out_slow_share",
    "mm1_response_quantile",
    "mmc",
    "servers_for",
    "tandem_response",
]


def _check_rate(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number above 0, got {value!r}")


def _check_servers(servers: int) -> None:
    if isinstance(servers, bool) or not isinstance(servers, int) or servers < 1:
        raise ValueError(f"servers must be a whole number, 1 or more, got {servers!r}")


def _check_probability(name: str, value: float, *, open_top: bool = False) -> None:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
    if open_top and value >= 1.0:
        raise ValueError(f"{name} must be below 1, got {value!r}")


def _check_load(offered_load: float) -> None:
    if not (
        isinstance(offered_load, int | float) and math.isfinite(offered_load) and offered_load >= 0
    ):
        raise ValueError(f"offered load must be a finite number, 0 or more, got {offered_load!r}")


def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang's B formula: the share of arrivals blocked in an M/M/c/c loss system.

    Args:
        servers: The number of servers ``c`` (1 or more).
        offered_load: ``a = λ / μ`` in erlangs (0 or more).

    Returns:
        ``B(c, a)``, computed by the stable recursion ``B(k) = a B(k−1) / (k + a B(k−1))``.

    """
    _check_servers(servers)
    _check_load(offered_load)
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    return blocking


def _erlang_c_from_b(servers: int, offered_load: float, blocking: float) -> float:
    return servers * blocking / (servers - offered_load * (1.0 - blocking))


def erlang_c(c: int, offered_load: float) -> float:
    """Erlang's C formula: the probability that an arrival to an M/M/c queue has to wait.

    Args:
        c: The number of servers (1 or more).
        offered_load: ``a = λ / μ`` in erlangs, below ``c`` (a stable queue).

    Returns:
        ``C(c, a) = c B / (c − a (1 − B))`` with ``B`` Erlang's B formula.

    Raises:
        ValueError: ``c`` is not a whole number of at least 1, or ``offered_load`` is negative
            or reaches ``c`` (every arrival would wait and the queue would grow without end).

    """
    _check_servers(c)
    _check_load(offered_load)
    if offered_load >= c:
        raise ValueError(
            f"unstable: an offered load of {offered_load} erlangs needs more than {c} servers "
            "(the utilization a / c must be below 1)"
        )
    return _erlang_c_from_b(c, offered_load, erlang_b(c, offered_load))


@dataclass(frozen=True, slots=True)
class MMCResult:
    """The steady state of an M/M/c queue.

    Attributes:
        arrival_rate: ``λ``, arrivals per unit of time.
        service_rate: ``μ``, services per unit of time of one server.
        servers: ``c``.
        offered_load: ``a = λ / μ`` in erlangs (the mean number of busy servers).
        utilization: ``ρ = a / c``, the share of time a server is busy.
        probability_wait: Erlang C, the share of arrivals that find every server busy.
        mean_wait: Mean time in the queue, before service starts.
        mean_response: Mean time from arrival to departure (wait plus service).
        mean_in_system: Mean number of requests present (waiting or in service), ``λ × W``.
        mean_in_queue: Mean number waiting, ``λ × W_q``.

    """

    arrival_rate: float
    service_rate: float
    servers: int
    offered_load: float
    utilization: float
    probability_wait: float
    mean_wait: float
    mean_response: float
    mean_in_system: float
    mean_in_queue: float

    def wait_quantile(self, q: float) -> float:
        """The ``q`` quantile of the time in the queue (0 when fewer than ``1 − q`` wait).

        ``P(W_q > t) = C e^(−(cμ − λ) t)``, so the quantile is ``ln(C / (1 − q)) / (cμ − λ)``
        when ``C > 1 − q`` and 0 otherwise.
        """
        _check_probability("q", q, open_top=True)
        tail = 1.0 - q
        if self.probability_wait <= tail:
            return 0.0
        drain = self.servers * self.service_rate - self.arrival_rate
        return math.log(self.probability_wait / tail) / drain


def mmc(arrival_rate: float, service_rate: float, servers: int) -> MMCResult:
    """The steady state of an M/M/c queue (M/M/1 with ``servers=1``).

    Args:
        arrival_rate: ``λ`` (above 0).
        service_rate: ``μ`` of one server (above 0).
        servers: ``c`` (1 or more).

    Raises:
        ValueError: A rate is not above 0, ``servers`` is not a whole number of at least 1, or
            the queue is unstable (``λ ≥ cμ``).

    """
    _check_rate("arrival_rate", arrival_rate)
    _check_rate("service_rate", service_rate)
    _check_servers(servers)
    load = arrival_rate / service_rate
    if load >= servers:
        raise ValueError(
            f"unstable: {arrival_rate} arrivals per unit of time need more than {servers} "
            f"servers of rate {service_rate} (utilization {load / servers:.4g} must be below 1)"
        )
    waiting = erlang_c(servers, load)
    mean_wait = waiting / (servers * service_rate - arrival_rate)
    mean_response = mean_wait + 1.0 / service_rate
    return MMCResult(
        arrival_rate=arrival_rate,
        service_rate=service_rate,
        servers=servers,
        offered_load=load,
        utilization=load / servers,
        probability_wait=waiting,
        mean_wait=mean_wait,
        mean_response=mean_response,
        mean_in_system=arrival_rate * mean_response,
        mean_in_queue=arrival_rate * mean_wait,
    )


def mm1_response_quantile(arrival_rate: float, service_rate: float, q: float) -> float:
    """The ``q`` quantile of the response time of an M/M/1 queue.

    The response time (wait plus service) of M/M/1 is exponential with rate ``μ − λ``, so
    the quantile is ``−ln(1 − q) / (μ − λ)`` (the median is ``ln 2 / (μ − λ)``).

    Raises:
        ValueError: A rate is not above 0, ``q`` is outside ``[0, 1)``, or ``λ ≥ μ``.

    """
    _check_rate("arrival_rate", arrival_rate)
    _check_rate("service_rate", service_rate)
    _check_probability("q", q, open_top=True)
    if arrival_rate >= service_rate:
        raise ValueError(
            f"unstable: arrival rate {arrival_rate} must be below the service rate {service_rate}"
        )
    return -math.log1p(-q) / (service_rate - arrival_rate)


def tandem_response(arrival_rate: float, service_rates: Sequence[float]) -> float:
    """Mean end-to-end time through M/M/1 stations in series (a Jackson network).

    Every request visits each station once; each station is an independent M/M/1 queue at
    the same arrival rate, so the mean is ``Σ 1 / (μ_i − λ)``.

    Raises:
        ValueError: No stations, a rate not above 0, or a station with ``μ_i ≤ λ``.

    """
    _check_rate("arrival_rate", arrival_rate)
    if not service_rates:
        raise ValueError("a tandem needs at least one station")
    total = 0.0
    for index, rate in enumerate(service_rates):
        _check_rate(f"service_rates[{index}]", rate)
        if rate <= arrival_rate:
            raise ValueError(
                f"unstable: station {index} serves {rate} per unit of time, not more than the "
                f"arrival rate {arrival_rate}"
            )
        total += 1.0 / (rate - arrival_rate)
    return total


def fan_out_slow_share(fanout: int, p_slow: float) -> float:
    """The share of requests that are slow when each waits for ``fanout`` parallel calls.

    Each call is slow with probability ``p_slow``, independently; the request is slow when
    any call is: ``1 − (1 − p)^n`` (computed as ``−expm1(n log1p(−p))`` to keep small
    probabilities exact). With ``n = 100`` and ``p = 0.01`` it is 0.634.

    Raises:
        ValueError: ``fanout`` is not a whole number of 0 or more, or ``p_slow`` is outside
            ``[0, 1]``.

    """
    if isinstance(fanout, bool) or not isinstance(fanout, int) or fanout < 0:
        raise ValueError(f"fanout must be a whole number, 0 or more, got {fanout!r}")
    _check_probability("p_slow", p_slow)
    if fanout == 0:
        return 0.0
    if p_slow == 1.0:
        return 1.0
    return -math.expm1(fanout * math.log1p(-p_slow))


def servers_for(
    arrival_rate: float,
    service_rate: float,
    *,
    mean_response: float | None = None,
    wait_quantile: float | None = None,
    quantile: float = 0.99,
    max_servers: int = 10_000_000,
) -> int:
    """The fewest servers of an M/M/c queue that meet a target.

    Give exactly one target:

    - ``mean_response``: the mean time from arrival to departure must be at most this (it
      cannot be met when it is not above the mean service time ``1 / μ``);
    - ``wait_quantile``: the ``quantile`` (default 0.99) of the time spent waiting in the
      queue must be at most this (0 asks that at least ``quantile`` of arrivals find a free
      server).

    The Erlang B recursion is carried from one candidate ``c`` to the next, so the search
    costs one step per server counted, and the first stable ``c`` is ``⌊λ / μ⌋ + 1``.

    Raises:
        ValueError: Bad rates, no target or both, a target that cannot be met, or no answer
            up to ``max_servers``.

    """
    _check_rate("arrival_rate", arrival_rate)
    _check_rate("service_rate", service_rate)
    if (mean_response is None) == (wait_quantile is None):
        raise ValueError("give exactly one target: mean_response or wait_quantile")
    service = 1.0 / service_rate
    if mean_response is not None and not (math.isfinite(mean_response) and mean_response > service):
        raise ValueError(
            f"mean_response {mean_response!r} cannot be met: it must be above the mean service "
            f"time {service:g} (a request takes its service time even with no wait)"
        )
    if wait_quantile is not None and not (math.isfinite(wait_quantile) and wait_quantile >= 0):
        raise ValueError(f"wait_quantile must be a finite time, 0 or more, got {wait_quantile!r}")
    _check_probability("quantile", quantile, open_top=True)
    load = arrival_rate / service_rate
    tail = 1.0 - quantile
    limit = 0.0 if wait_quantile is None else wait_quantile
    blocking = 1.0
    for c in range(1, max_servers + 1):
        blocking = load * blocking / (c + load * blocking)
        if c <= load:
            continue  # unstable
        waiting = _erlang_c_from_b(c, load, blocking)
        drain = c * service_rate - arrival_rate
        if mean_response is not None:
            met = waiting / drain + service <= mean_response
        else:
            met = waiting <= tail or math.log(waiting / tail) / drain <= limit
        if met:
            return c
    raise ValueError(f"no number of servers up to {max_servers} meets the target")
