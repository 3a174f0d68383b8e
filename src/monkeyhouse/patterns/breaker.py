"""Circuit breakers driven by simulated time: Hystrix's and resilience4j's count-based one.

Both breakers take the simulated time ``now`` (seconds, non-decreasing) on every call and never
read a clock, so a run is deterministic. Every call costs O(1) (amortized over the buckets of a
rolling window, a constant).

:class:`HystrixBreaker` follows Hystrix 1.5.x (``HystrixCircuitBreaker``,
``HystrixCommandMetrics.HealthCounts``, ``HealthCountsStream``):

- *Health.* Over the rolling window, ``total = SUCCESS + FAILURE + TIMEOUT +
  THREAD_POOL_REJECTED + SEMAPHORE_REJECTED`` and ``errors = total - SUCCESS``;
  ``error% = int(errors / total * 100)`` (0 when ``total`` is 0). SHORT_CIRCUITED and the
  fallback events count in the rolling and cumulative counters only, never in the health.
- *Health snapshots are modelled.* Hystrix 1.5 computes the health in buckets of
  ``metrics.healthSnapshot.intervalInMilliseconds`` (500 ms, so 20 buckets over 10 s) and the
  breaker looks at the health only when a bucket completes. Here a snapshot is taken at every
  simulated instant ``k * interval`` (aligned on time 0); it sums the events recorded strictly
  before that instant in the last ``window / interval`` completed buckets. The circuit trips at
  the first snapshot where ``total >= requestVolumeThreshold`` and ``error% >=
  errorThresholdPercentage``; ``opened_at`` is that snapshot's instant. So a breaker opens up to
  one interval after the failing request, as a real one does. ``health_snapshot_interval_ms=0``
  (which Hystrix rejects) is our idealised variant: the health is checked after every recorded
  event, over the rolling counter's buckets (the current bucket and the ``numBuckets - 1``
  before it).
- *Open.* Requests are rejected until ``now > opened_at + sleepWindow`` (strictly after, as
  ``isAfterSleepWindow``); the first request after that is the single trial (HALF_OPEN) and every
  other request is rejected while it is outstanding. The breaker does not record SHORT_CIRCUITED
  itself: the caller records it for a rejected request.
- *Trial outcome.* As in Hystrix, the breaker does not know which request is the trial: while
  half open, a recorded SUCCESS closes it (``markSuccess``: the health counts restart empty,
  the rolling counters shown to dashboards do not), and a FAILURE, TIMEOUT, THREAD_POOL_REJECTED
  or SEMAPHORE_REJECTED reopens it with ``opened_at = now`` (``markNonSuccess``), so a new sleep
  window starts at the trial's end. Other events leave it half open.
- *Forcing.* ``forceOpen`` wins over ``forceClosed``. Forced open rejects every request; forced
  closed allows every request. Counting and health snapshots go on underneath, as in Hystrix
  (whose health subscription runs regardless of forcing), and :meth:`HystrixBreaker.state`
  reports the forced state. ``circuitBreaker.enabled = false`` allows everything, ignores
  forcing and never trips (Hystrix then uses a no-op breaker); events are still counted.
- *Rolling counters* (the dashboard's ``rollingCount*``) are HystrixRollingNumber's: the
  current bucket of ``timeInMilliseconds / numBuckets`` plus the ``numBuckets - 1`` before it,
  aligned on time 0.

:class:`CountBreaker` follows resilience4j's ``CircuitBreakerStateMachine`` with a COUNT_BASED
window (``CircuitBreakerConfig`` defaults):

- A call is slow when ``duration > slowCallDurationThreshold`` (strictly). Rates are
  percentages of the buffered calls (``failed * 100 / total``); below
  ``min(minimumNumberOfCalls, slidingWindowSize)`` buffered calls they are -1 and nothing trips.
  The breaker opens when the failure rate ``>=`` its threshold **or** the slow-call rate ``>=``
  its threshold.
- OPEN rejects until ``now > opened_at + waitDurationInOpenState`` (``Instant.isAfter``); the
  next :meth:`CountBreaker.allow` moves it to HALF_OPEN. With
  ``automaticTransitionFromOpenToHalfOpenEnabled`` the move happens on its own at exactly
  ``opened_at + wait`` (r4j schedules it). HALF_OPEN permits
  ``permittedNumberOfCallsInHalfOpenState`` calls in a fresh window of that size, whose minimum
  is ``min(minimumNumberOfCalls, permitted)``; once that many calls are recorded it closes (a
  fresh window) or reopens by the same thresholds. ``maxWaitDurationInHalfOpenState > 0``
  reopens a half-open breaker that long after it entered HALF_OPEN.
- Calls finishing while OPEN or FORCED_OPEN are recorded in the window without a transition;
  DISABLED records nothing in a window; METRICS_ONLY records and never transitions. Rejected
  calls are counted as ``not_permitted``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Literal

from monkeyhouse.model.resilience import CountBreakerSettings, HystrixSettings

__all__ = [
    "BreakerState",
    "CountBreaker",
    "CountBreakerSettings",
    "CountBreakerState",
    "CountBreakerStatistics",
    "HystrixBreaker",
    "HystrixEvent",
    "HystrixSettings",
    "HystrixStatistics",
]

#: the states a Hystrix breaker reports
BreakerState = Literal["closed", "open", "half_open"]

#: the states of resilience4j's state machine
CountBreakerState = Literal[
    "closed", "open", "half_open", "disabled", "forced_open", "metrics_only"
]


class HystrixEvent(Enum):
    """Hystrix's event types for one command execution (``HystrixEventType``)."""

    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    TIMEOUT = "TIMEOUT"
    SHORT_CIRCUITED = "SHORT_CIRCUITED"
    THREAD_POOL_REJECTED = "THREAD_POOL_REJECTED"
    SEMAPHORE_REJECTED = "SEMAPHORE_REJECTED"
    FALLBACK_SUCCESS = "FALLBACK_SUCCESS"
    FALLBACK_FAILURE = "FALLBACK_FAILURE"


_EVENTS: tuple[HystrixEvent, ...] = tuple(HystrixEvent)
_EVENT_INDEX: dict[HystrixEvent, int] = {event: i for i, event in enumerate(_EVENTS)}
#: health counter slot of each event counted in HealthCounts; slot 0 is SUCCESS
_HEALTH_SLOT: dict[HystrixEvent, int] = {
    HystrixEvent.SUCCESS: 0,
    HystrixEvent.FAILURE: 1,
    HystrixEvent.TIMEOUT: 1,
    HystrixEvent.THREAD_POOL_REJECTED: 1,
    HystrixEvent.SEMAPHORE_REJECTED: 1,
}
#: the health slot of each event by its index (None: not counted in the health)
_HEALTH_BY_INDEX: tuple[int | None, ...] = tuple(_HEALTH_SLOT.get(event) for event in _EVENTS)


class RollingCounts:
    """Counters in time buckets ``floor(t / width)``, keeping the last ``size`` buckets.

    ``totals`` always holds the sum over the buckets ``head - size + 1 .. head``.
    """

    __slots__ = ("counts", "head", "kinds", "size", "totals")

    def __init__(self, size: int, kinds: int) -> None:
        self.size = size
        self.kinds = kinds
        self.counts = [0] * (size * kinds)
        self.totals = [0] * kinds
        self.head: int | None = None

    def clear(self) -> None:
        """Forget every count (the head stays, so time never goes back)."""
        self.counts = [0] * (self.size * self.kinds)
        self.totals = [0] * self.kinds

    def advance(self, index: int) -> None:
        """Make ``index`` the newest bucket, dropping the buckets that fall out."""
        head = self.head
        if head is None:
            self.head = index
            return
        if index <= head:
            return
        kinds = self.kinds
        if index - head >= self.size:
            self.clear()
        else:
            counts, totals = self.counts, self.totals
            for bucket in range(head + 1, index + 1):
                base = (bucket % self.size) * kinds
                for kind in range(kinds):
                    value = counts[base + kind]
                    if value:
                        totals[kind] -= value
                        counts[base + kind] = 0
        self.head = index

    def add(self, index: int, kind: int) -> None:
        """Count one event of ``kind`` in bucket ``index`` (never older than the head)."""
        self.advance(index)
        self.counts[(index % self.size) * self.kinds + kind] += 1
        self.totals[kind] += 1


@dataclass(frozen=True, slots=True)
class HystrixStatistics:
    """A frozen snapshot of a :class:`HystrixBreaker`.

    ``rolling`` and ``cumulative`` count every event type (rolling: over the rolling window);
    ``request_volume``, ``error_count`` and ``error_percentage`` are the health the breaker
    decides on, live: over the health buckets ending with the current one (the breaker itself
    acts on them only at snapshot instants). ``state`` is the reported (forced) state.
    ``trials`` counts the half-open trial requests let through, ``times_opened`` the trips from
    closed to open (a failed trial's reopening is not a new trip).
    """

    time: float
    state: BreakerState
    rolling: MappingProxyType[HystrixEvent, int]
    cumulative: MappingProxyType[HystrixEvent, int]
    request_volume: int
    error_count: int
    error_percentage: int
    opened_at: float | None
    trials: int
    times_opened: int
    forced_open: bool
    forced_closed: bool


def _error_percentage(total: int, errors: int) -> int:
    # HealthCounts: (int) ((double) errorCount / totalCount * 100)
    return int(errors / total * 100) if total else 0


class HystrixBreaker:
    """Hystrix's circuit breaker over simulated time (see the module notes for semantics)."""

    __slots__ = (
        "_cumulative",
        "_half_open",
        "_health",
        "_health_width_ms",
        "_last_snapshot",
        "_open",
        "_opened_at",
        "_rolling",
        "_rolling_width_ms",
        "_sleep",
        "_times_opened",
        "_trials",
        "force_closed",
        "force_open",
        "settings",
    )

    def __init__(self, settings: HystrixSettings | None = None) -> None:
        self.settings = settings = settings if settings is not None else HystrixSettings()
        #: forcing, from the settings; may be changed during a run (Hystrix's are dynamic)
        self.force_open = settings.force_open
        self.force_closed = settings.force_closed
        self._rolling_width_ms = settings.rolling_window_ms // settings.rolling_buckets
        self._rolling = RollingCounts(settings.rolling_buckets, len(_EVENTS))
        interval = settings.health_snapshot_interval_ms
        self._health_width_ms = interval or self._rolling_width_ms
        self._health = RollingCounts(settings.rolling_window_ms // self._health_width_ms, 2)
        self._sleep = settings.sleep_window_ms / 1000.0
        self._cumulative = [0] * len(_EVENTS)
        self._open = False
        self._half_open = False
        self._opened_at: float | None = None
        self._last_snapshot = -1
        self._trials = 0
        self._times_opened = 0

    # -- time ---------------------------------------------------------------------------

    def _advance(self, now: float) -> None:
        """Take the health snapshots due at or before ``now`` (snapshot mode only)."""
        interval = self.settings.health_snapshot_interval_ms
        if not interval:
            return
        due = math.floor(now * 1000.0 / interval)
        if due <= self._last_snapshot:
            return
        if not self._open and self.settings.enabled:
            health = self._health
            for k in range(self._last_snapshot + 1, due + 1):
                # the snapshot at k * interval sums the completed buckets before it
                health.advance(k - 1)
                total = health.totals[0] + health.totals[1]
                if total == 0:
                    break
                if self._trips(total, health.totals[1]):
                    self._trip(k * interval / 1000.0)
                    break
        self._last_snapshot = due

    def _trips(self, total: int, errors: int) -> bool:
        settings = self.settings
        return (
            total >= settings.request_volume_threshold
            and _error_percentage(total, errors) >= settings.error_threshold_percentage
        )

    def _trip(self, at: float) -> None:
        self._open = True
        self._half_open = False
        self._opened_at = at
        self._times_opened += 1

    # -- the breaker --------------------------------------------------------------------

    def allow(self, now: float) -> bool:
        """Whether a request may run at ``now`` (``attemptExecution``); may start the trial."""
        self._advance(now)
        if not self.settings.enabled:
            return True
        if self.force_open:
            return False
        if self.force_closed or not self._open:
            return True
        if self._half_open:
            return False
        opened_at = self._opened_at
        if opened_at is not None and now > opened_at + self._sleep:
            self._half_open = True
            self._trials += 1
            return True
        return False

    def record(self, now: float, event: HystrixEvent) -> None:
        """Count ``event`` at ``now``; resolves an outstanding trial (see module notes)."""
        self.record_index(now, _EVENT_INDEX[event])

    def record_index(self, now: float, index: int) -> None:
        """:meth:`record` for the event at ``index`` of :class:`HystrixEvent`'s order.

        The form callers on the request path use: an enum member's hash is computed in Python,
        an index costs nothing.
        """
        self._advance(now)
        self._cumulative[index] += 1
        self._rolling.add(math.floor(now * 1000.0 / self._rolling_width_ms), index)
        slot = _HEALTH_BY_INDEX[index]
        if slot is None:
            return
        self._health.add(math.floor(now * 1000.0 / self._health_width_ms), slot)
        if self._half_open:
            if slot == 0:  # markSuccess
                self._open = False
                self._half_open = False
                self._opened_at = None
                self._health.clear()
            else:  # markNonSuccess
                self._half_open = False
                self._opened_at = now
            return
        if not self.settings.health_snapshot_interval_ms and not self._open:
            totals = self._health.totals
            if self.settings.enabled and self._trips(totals[0] + totals[1], totals[1]):
                self._trip(now)

    def state(self, now: float) -> BreakerState:
        """The state reported at ``now``: forced state first, then the circuit's."""
        self._advance(now)
        if not self.settings.enabled:
            return "closed"
        if self.force_open:
            return "open"
        if self.force_closed or not self._open:
            return "closed"
        return "half_open" if self._half_open else "open"

    def statistics(self, now: float) -> HystrixStatistics:
        """A frozen snapshot at ``now``."""
        state = self.state(now)
        rolling = self._rolling
        rolling.advance(math.floor(now * 1000.0 / self._rolling_width_ms))
        health = self._health
        health.advance(math.floor(now * 1000.0 / self._health_width_ms))
        total = health.totals[0] + health.totals[1]
        return HystrixStatistics(
            time=now,
            state=state,
            rolling=MappingProxyType(dict(zip(_EVENTS, rolling.totals, strict=True))),
            cumulative=MappingProxyType(dict(zip(_EVENTS, self._cumulative, strict=True))),
            request_volume=total,
            error_count=health.totals[1],
            error_percentage=_error_percentage(total, health.totals[1]),
            opened_at=self._opened_at,
            trials=self._trials,
            times_opened=self._times_opened,
            forced_open=self.force_open,
            forced_closed=self.force_closed,
        )


# -- resilience4j -----------------------------------------------------------------------


_FAILED = 1
_SLOW = 2


class _CountWindow:
    """The last ``size`` call outcomes, with running counts (r4j's FixedSizeSlidingWindow)."""

    __slots__ = (
        "calls",
        "failed",
        "minimum",
        "outcomes",
        "position",
        "size",
        "slow",
        "slow_failed",
    )

    def __init__(self, size: int, minimum: int) -> None:
        self.size = size
        self.minimum = min(minimum, size) if size else minimum
        self.outcomes = bytearray(size)
        self.position = 0
        self.calls = 0
        self.failed = 0
        self.slow = 0
        self.slow_failed = 0

    def record(self, failed: bool, slow: bool) -> None:
        """Buffer one outcome, evicting the oldest when full."""
        if not self.size:
            return
        if self.calls == self.size:
            self._count(self.outcomes[self.position], -1)
        else:
            self.calls += 1
        outcome = (_FAILED if failed else 0) | (_SLOW if slow else 0)
        self.outcomes[self.position] = outcome
        self._count(outcome, 1)
        self.position = (self.position + 1) % self.size

    def _count(self, outcome: int, step: int) -> None:
        if outcome & _FAILED:
            self.failed += step
        if outcome & _SLOW:
            self.slow += step
            if outcome & _FAILED:
                self.slow_failed += step

    def failure_rate(self) -> float:
        """Failed calls in percent, -1 below the minimum number of calls."""
        if not self.calls or self.calls < self.minimum:
            return -1.0
        return self.failed * 100.0 / self.calls

    def slow_call_rate(self) -> float:
        """Slow calls in percent, -1 below the minimum number of calls."""
        if not self.calls or self.calls < self.minimum:
            return -1.0
        return self.slow * 100.0 / self.calls


@dataclass(frozen=True, slots=True)
class CountBreakerStatistics:
    """A frozen snapshot of a :class:`CountBreaker` (the current state's window)."""

    time: float
    state: CountBreakerState
    buffered_calls: int
    failed_calls: int
    slow_calls: int
    slow_failed_calls: int
    failure_rate: float
    slow_call_rate: float
    not_permitted_calls: int
    opened_at: float | None
    times_opened: int
    half_open_permits_left: int
    total_calls: int
    total_failed_calls: int
    total_slow_calls: int


class CountBreaker:
    """resilience4j's circuit breaker with a count-based window, over simulated time."""

    __slots__ = (
        "_half_open_at",
        "_not_permitted",
        "_opened_at",
        "_permits",
        "_state",
        "_times_opened",
        "_total",
        "_total_failed",
        "_total_slow",
        "_window",
        "settings",
    )

    def __init__(self, settings: CountBreakerSettings | None = None) -> None:
        self.settings = settings if settings is not None else CountBreakerSettings()
        self._state: CountBreakerState = "closed"
        self._window = self._closed_window()
        self._opened_at: float | None = None
        self._half_open_at: float | None = None
        self._permits = 0
        self._not_permitted = 0
        self._times_opened = 0
        self._total = 0
        self._total_failed = 0
        self._total_slow = 0

    def _closed_window(self) -> _CountWindow:
        settings = self.settings
        return _CountWindow(settings.sliding_window_size, settings.minimum_number_of_calls)

    # -- transitions ----------------------------------------------------------------------

    def transition_to_closed(self, now: float) -> None:
        """Close with a fresh window."""
        self._state = "closed"
        self._window = self._closed_window()
        self._opened_at = None
        self._half_open_at = None

    def transition_to_open(self, now: float) -> None:
        """Open at ``now``, keeping the window that tripped it (as r4j's OpenState does)."""
        self._state = "open"
        self._opened_at = now
        self._half_open_at = None
        self._times_opened += 1

    def transition_to_half_open(self, now: float) -> None:
        """Half open at ``now``: a fresh window of the permitted size, all permits free."""
        permitted = self.settings.permitted_number_of_calls_in_half_open_state
        self._state = "half_open"
        self._window = _CountWindow(permitted, self.settings.minimum_number_of_calls)
        self._permits = permitted
        self._half_open_at = now

    def transition_to_disabled(self, now: float) -> None:
        """Always permit, record nothing in a window, never transition."""
        self._special("disabled")

    def transition_to_forced_open(self, now: float) -> None:
        """Always reject, never transition."""
        self._special("forced_open")

    def transition_to_metrics_only(self, now: float) -> None:
        """Always permit, record in a fresh window, never transition."""
        self._special("metrics_only")
        self._window = self._closed_window()

    def reset(self, now: float) -> None:
        """Back to a fresh closed breaker (r4j's ``reset``); cumulative totals are kept."""
        self.transition_to_closed(now)
        self._not_permitted = 0

    def _special(self, state: CountBreakerState) -> None:
        self._state = state
        self._window = _CountWindow(0, 1)
        self._opened_at = None
        self._half_open_at = None

    def _advance(self, now: float) -> None:
        """Apply the timed transitions due by ``now`` (automatic half-open, max half-open wait)."""
        settings = self.settings
        while True:
            if (
                self._state == "open"
                and settings.automatic_transition_from_open_to_half_open_enabled
                and self._opened_at is not None
                and now >= self._opened_at + settings.wait_duration_in_open_state
            ):
                self.transition_to_half_open(self._opened_at + settings.wait_duration_in_open_state)
            elif (
                self._state == "half_open"
                and settings.max_wait_duration_in_half_open_state > 0
                and self._half_open_at is not None
                and now >= self._half_open_at + settings.max_wait_duration_in_half_open_state
            ):
                self.transition_to_open(
                    self._half_open_at + settings.max_wait_duration_in_half_open_state
                )
            else:
                return

    # -- the breaker ----------------------------------------------------------------------

    def allow(self, now: float) -> bool:
        """Whether a call may run at ``now`` (``tryAcquirePermission``); may take a permit."""
        self._advance(now)
        state = self._state
        if state in ("closed", "disabled", "metrics_only"):
            return True
        opened_at = self._opened_at
        if (
            state == "open"
            and opened_at is not None
            and now > opened_at + self.settings.wait_duration_in_open_state
        ):
            self.transition_to_half_open(now)
            state = "half_open"
        if state == "half_open" and self._permits > 0:
            self._permits -= 1
            return True
        self._not_permitted += 1
        return False

    def release(self, now: float) -> None:
        """Give back a half-open permit taken by a call that never ran (``releasePermission``)."""
        self._advance(now)
        if self._state == "half_open":
            permitted = self.settings.permitted_number_of_calls_in_half_open_state
            self._permits = min(self._permits + 1, permitted)

    def record(self, now: float, success: bool, duration: float) -> None:
        """Record a call that ended at ``now`` after ``duration`` seconds."""
        self._advance(now)
        slow = duration > self.settings.slow_call_duration_threshold
        self._total += 1
        self._total_failed += not success
        self._total_slow += slow
        state = self._state
        if state == "disabled":
            return
        window = self._window
        window.record(not success, slow)
        if state not in ("closed", "half_open"):
            return
        failure_rate = window.failure_rate()
        slow_rate = window.slow_call_rate()
        if failure_rate < 0:
            return
        settings = self.settings
        exceeded = (
            failure_rate >= settings.failure_rate_threshold
            or slow_rate >= settings.slow_call_rate_threshold
        )
        if exceeded:
            self.transition_to_open(now)
        elif state == "half_open":
            self.transition_to_closed(now)

    def state(self, now: float) -> CountBreakerState:
        """The state at ``now`` (an OPEN breaker stays OPEN until a call asks, unless automatic)."""
        self._advance(now)
        return self._state

    def statistics(self, now: float) -> CountBreakerStatistics:
        """A frozen snapshot at ``now``."""
        state = self.state(now)
        window = self._window
        return CountBreakerStatistics(
            time=now,
            state=state,
            buffered_calls=window.calls,
            failed_calls=window.failed,
            slow_calls=window.slow,
            slow_failed_calls=window.slow_failed,
            failure_rate=window.failure_rate(),
            slow_call_rate=window.slow_call_rate(),
            not_permitted_calls=self._not_permitted,
            opened_at=self._opened_at,
            times_opened=self._times_opened,
            half_open_permits_left=self._permits if state == "half_open" else 0,
            total_calls=self._total,
            total_failed_calls=self._total_failed,
            total_slow_calls=self._total_slow,
        )
