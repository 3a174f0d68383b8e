"""Traffic sources: turn a :class:`~monkeyhouse.model.timing.TrafficSpec` into arrivals.

A :class:`TrafficSource` calls ``emit(kind)`` at each arrival between ``start`` (excluded) and
``until`` (included), ``kind`` being a request kind (``get`` or ``put``) drawn from the spec's
mix. It keeps ONE pending engine event at a time: the next arrival is computed when the
previous one fires, never all of them up front.

Arrivals:

- uniform, constant rate: exactly at ``start + k / rate`` for k = 1, 2, ... (computed from k,
  not by adding intervals, so no rounding drift);
- uniform, varying rate: the k-th arrival is when the expected count since ``start`` (the
  integral of the rate, in closed form) reaches k;
- Poisson, constant rate: exponential gaps of mean 1 / rate;
- Poisson, varying rate: thinning (Lewis and Shedler): candidates at the highest rate of a
  one-second window, each kept with probability rate(t) / highest rate.

Everything random comes from the ``rng`` given, so a seeded stream gives the same arrivals.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from random import Random
from types import MappingProxyType

from monkeyhouse.engine.core import Environment, Handle
from monkeyhouse.model.timing import TrafficSpec

#: Length of the windows over which thinning bounds the rate, in simulated seconds.
THINNING_WINDOW = 1.0


@dataclass(frozen=True, slots=True)
class TrafficStatistics:
    """A snapshot of a traffic source.

    Attributes:
        emitted: Requests sent so far.
        by_kind: Requests sent so far per kind.
        next_arrival: When the next request is due, or None when the source is done.

    """

    emitted: int
    by_kind: Mapping[str, int]
    next_arrival: float | None


class TrafficSource:
    """Sends the requests of one traffic spec into a running :class:`Environment`.

    Args:
        env: The engine; the first arrival is scheduled when the source is made.
        spec: What to send.
        rng: The random stream for Poisson gaps, thinning and the mix.
        start: Arrivals come after this simulated time.
        until: No arrival after this simulated time.
        emit: Called with the request kind at each arrival, at the arrival's time.

    """

    __slots__ = (
        "_counts",
        "_cumulative",
        "_emit",
        "_env",
        "_handle",
        "_kinds",
        "_next",
        "_rng",
        "_spec",
        "_total_weight",
        "_window_bound",
        "_window_end",
        "count",
        "start",
        "until",
    )

    def __init__(
        self,
        env: Environment,
        spec: TrafficSpec,
        rng: Random,
        start: float,
        until: float,
        emit: Callable[[str], None],
    ) -> None:
        self._env = env
        self._spec = spec
        self._rng = rng
        self._emit = emit
        self.start = start
        self.until = until
        #: Arrivals emitted so far.
        self.count = 0
        kinds = [(kind, weight) for kind, weight in spec.mix.items() if weight > 0]
        self._kinds = tuple(kind for kind, _ in kinds)
        cumulative: list[float] = []
        total = 0.0
        for _, weight in kinds:
            total += weight
            cumulative.append(total)
        self._cumulative = tuple(cumulative)
        self._total_weight = total
        self._counts = dict.fromkeys(self._kinds, 0)
        self._handle: Handle | None = None
        self._window_end = start
        self._window_bound = 0.0
        self._next: float | None = None
        if self._kinds:
            self._schedule(self._first_arrival())

    # -- arrival times ------------------------------------------------------------------------

    def _first_arrival(self) -> float | None:
        if self._spec.arrival_process == "poisson":
            return self._poisson_after(self.start)
        return self._uniform(1)

    def _uniform(self, k: int) -> float | None:
        """The time of the k-th uniform arrival after ``start``, or None past ``until``."""
        spec = self._spec
        if spec.constant:
            rate = spec.rate
            if not rate > 0:
                return None
            time = self.start + k / rate
            return time if time <= self.until else None
        target = spec.cumulative(self.start) + k
        low = self._next if self._next is not None else self.start
        return spec.arrival_time(target, low, self.until)

    def _poisson_after(self, time: float) -> float | None:
        """The first Poisson arrival after ``time``, or None past ``until``."""
        spec = self._spec
        rng = self._rng
        until = self.until
        if spec.constant:
            rate = spec.rate
            if not rate > 0:
                return None
            time += rng.expovariate(rate)
            return time if time <= until else None
        while time < until:
            if time >= self._window_end:
                self._window_end = min(time + THINNING_WINDOW, until)
                self._window_bound = spec.max_rate(self._window_end, time)
            bound = self._window_bound
            if bound <= 0:
                time = self._window_end
                continue
            candidate = time + rng.expovariate(bound)
            if candidate > self._window_end:
                time = self._window_end  # memoryless: restart at the window's end
                continue
            time = candidate
            if rng.random() * bound < spec.rate_at(time):
                return time
        return None

    # -- the engine side ------------------------------------------------------------------------

    def _schedule(self, time: float | None) -> None:
        self._next = time
        if time is None:
            self._handle = None
            return
        self._handle = self._env.schedule_at(time, self._arrive)

    def _arrive(self, _: object) -> None:
        kinds = self._kinds
        if len(kinds) == 1:
            kind = kinds[0]
        else:
            index = bisect_right(self._cumulative, self._rng.random() * self._total_weight)
            kind = kinds[index if index < len(kinds) else -1]
        self.count += 1
        self._counts[kind] += 1
        now = self._next if self._next is not None else self._env.now
        if self._spec.arrival_process == "poisson":
            following = self._poisson_after(now)
        else:
            following = self._uniform(self.count + 1)
        self._schedule(following)
        self._emit(kind)

    def stop(self) -> None:
        """Send nothing more (the pending arrival is cancelled)."""
        if self._handle is not None:
            self._env.cancel(self._handle)
            self._handle = None
        self._next = None

    @property
    def next_arrival(self) -> float | None:
        """When the next request is due, or None when the source is done."""
        return self._next

    def statistics(self) -> TrafficStatistics:
        """A frozen snapshot: requests sent, per kind, and the next arrival."""
        return TrafficStatistics(self.count, MappingProxyType(dict(self._counts)), self._next)


def expected_arrivals(spec: TrafficSpec, start: float, until: float) -> float:
    """The expected number of arrivals of ``spec`` in ``(start, until]``."""
    return max(spec.expected_count(start, until), 0.0) if until > start else 0.0


__all__ = [
    "THINNING_WINDOW",
    "TrafficSource",
    "TrafficStatistics",
    "expected_arrivals",
]
