"""Commands: one caller service's calls to one dependency, as Hystrix counts and reports them.

A :class:`CommandStatistics` is the frozen snapshot of one command (a caller service and one of
its dependencies), aggregated over the caller's instances the way Turbine aggregates a
cluster: event counts over the rolling window and since the start, the breakers' health and
states, concurrency, latency percentiles and the bulkhead's pool. Exporters (the run's tables,
``hystrix.stream``) and the report read these snapshots and nothing else.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from monkeyhouse.model.resilience import HystrixSettings, Resilience
from monkeyhouse.patterns.breaker import CountBreaker, HystrixBreaker, HystrixEvent, RollingCounts
from monkeyhouse.patterns.outlier import OutlierDetector
from monkeyhouse.patterns.retry import RetryBudget

#: Hystrix's event types counted per command, in the order tables and streams show them
EVENTS: tuple[str, ...] = (
    "SUCCESS",
    "FAILURE",
    "TIMEOUT",
    "SHORT_CIRCUITED",
    "THREAD_POOL_REJECTED",
    "SEMAPHORE_REJECTED",
    "FALLBACK_SUCCESS",
    "FALLBACK_FAILURE",
)

#: the latency percentiles a snapshot carries (the Hystrix dashboard's)
PERCENTILES: tuple[float, ...] = (0.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 100.0)


@dataclass(frozen=True, slots=True)
class CommandStatistics:
    """One command at one simulated instant, summed over the caller service's instances.

    Attributes:
        caller: The calling service's name.
        dependency: The called service's name.
        time: Simulated seconds since the run's start.
        hosts: Caller instances alive (Hystrix's ``reportingHosts``).
        rolling: Events per type over the rolling window (default the last 10 s).
        cumulative: Events per type since the run's start.
        request_count: Health: executions in the rolling window (SUCCESS, FAILURE, TIMEOUT
            and both rejections).
        error_count: Health: the executions of ``request_count`` that were not SUCCESS.
        error_percentage: ``int(error_count / request_count * 100)``, 0 when there were none.
        open: Caller instances whose breaker is open (or forced open) now.
        half_open: Caller instances whose breaker is letting its single trial through now.
        breakers: Caller instances that have a breaker for this dependency (0: no breaker).
        concurrent: Executions in flight now (over every instance).
        rolling_max_concurrent: The most executions in flight at once on one instance, in the
            rolling window.
        latency_execute: Percentile (from :data:`PERCENTILES`) to milliseconds, for the
            executions that reached the dependency, over the last 60 s.
        latency_execute_mean: Their mean, milliseconds.
        latency_total: As ``latency_execute``, for every command including rejections and
            fallbacks (the caller's view).
        latency_total_mean: Their mean, milliseconds.
        timeout_ms: The per-attempt timeout in milliseconds (0: none).
        isolation: ``THREAD`` (a pool), ``SEMAPHORE`` or ``NONE``.
        pool_size: Threads (or semaphore permits) per instance; 0 without a bulkhead.
        pool_queue: Queue places per instance in front of the pool (0: none).
        pool_active: Pool threads (or permits) in use now, over every instance.
        pool_queued: Executions waiting in the pools' queues now, over every instance.
        breaker_settings: The breaker's settings as Hystrix names them
            (``requestVolumeThreshold``, ``errorThresholdPercentage``,
            ``sleepWindowInMilliseconds``, ``forceOpen``, ``forceClosed``, ``enabled``).
        retries: Retries started since the run's start (over every instance).
        protection: The edge's protection in words (``Resilience.describe``).

    """

    caller: str
    dependency: str
    time: float
    hosts: int
    rolling: Mapping[str, int]
    cumulative: Mapping[str, int]
    request_count: int
    error_count: int
    error_percentage: int
    open: int
    half_open: int
    breakers: int
    concurrent: int
    rolling_max_concurrent: int
    latency_execute: Mapping[float, float]
    latency_execute_mean: float
    latency_total: Mapping[float, float]
    latency_total_mean: float
    timeout_ms: float
    isolation: str
    pool_size: int
    pool_queue: int
    pool_active: int
    pool_queued: int
    breaker_settings: Mapping[str, int | bool]
    retries: int = 0
    protection: str = ""

    @property
    def name(self) -> str:
        """The command's name: ``caller->dependency``."""
        return f"{self.caller}->{self.dependency}"


# -- the running commands ------------------------------------------------------------------

SUCCESS, FAILURE, TIMEOUT, SHORT_CIRCUITED, POOL_REJECTED, SEMAPHORE_REJECTED = range(6)
FALLBACK_SUCCESS, FALLBACK_FAILURE = 6, 7
if tuple(event.name for event in HystrixEvent) != EVENTS:  # pragma: no cover
    raise ImportError("patterns.command's EVENTS must follow HystrixEvent's order")
#: the events Hystrix's health counts (every one but these is an error, SUCCESS excepted)
_HEALTH = (SUCCESS, FAILURE, TIMEOUT, POOL_REJECTED, SEMAPHORE_REJECTED)
#: latency samples kept per percentile bucket (Hystrix's ``rollingPercentile.bucketSize``)
_SAMPLES = 100
#: the percentile window: 6 buckets of 10 s (Hystrix's ``rollingPercentile`` defaults)
_PERCENTILE_BUCKETS = 6
_PERCENTILE_WIDTH = 10.0


class Command:
    """One caller instance's command for one dependency: its breaker, bulkhead and balancer."""

    __slots__ = ("active", "breaker", "budget", "cache", "outlier", "peak", "waiting")

    def __init__(self, settings: Resilience) -> None:
        breaker = settings.breaker
        self.breaker: HystrixBreaker | CountBreaker | None = None
        if isinstance(breaker, HystrixSettings):
            self.breaker = HystrixBreaker(breaker)
        elif breaker is not None:
            self.breaker = CountBreaker(breaker)
        budget = settings.budget
        self.budget = None if budget is None else RetryBudget(budget.percent, budget.minimum)
        outlier = settings.outlier
        self.outlier = None if outlier is None else OutlierDetector(outlier)
        #: executions holding a pool thread or a semaphore permit now
        self.active = 0
        #: the most held at once in the current rolling bucket
        self.peak = 0
        #: executions waiting for a pool thread: (execution, target) pairs
        self.waiting: deque[tuple[Any, Any]] = deque()
        #: the last good answer per key (for a cache fallback)
        self.cache: dict[str, Any] = {}

    def state(self, now: float) -> str:
        """``closed``, ``open`` or ``half_open`` (``none`` without a breaker)."""
        breaker = self.breaker
        if breaker is None:
            return "none"
        state = breaker.state(now)
        if state in ("open", "forced_open"):
            return "open"
        return "half_open" if state == "half_open" else "closed"


class _Percentiles:
    """Hystrix's rolling percentile: the last 100 values in each of six 10-second buckets."""

    __slots__ = ("buckets", "head")

    def __init__(self) -> None:
        self.buckets: list[deque[float]] = [
            deque(maxlen=_SAMPLES) for _ in range(_PERCENTILE_BUCKETS)
        ]
        self.head = 0

    def add(self, now: float, value: float) -> None:
        index = int(now // _PERCENTILE_WIDTH)
        if index != self.head:
            for bucket in range(max(self.head + 1, index - _PERCENTILE_BUCKETS + 1), index + 1):
                self.buckets[bucket % _PERCENTILE_BUCKETS].clear()
            self.head = index
        self.buckets[index % _PERCENTILE_BUCKETS].append(value)

    def summary(self, now: float) -> tuple[dict[float, float], float]:
        """Percentile to milliseconds over the window ending at ``now``, and the mean."""
        index = int(now // _PERCENTILE_WIDTH)
        values = sorted(
            value
            for bucket in range(index - _PERCENTILE_BUCKETS + 1, index + 1)
            if self.head - _PERCENTILE_BUCKETS < bucket <= self.head
            for value in self.buckets[bucket % _PERCENTILE_BUCKETS]
        )
        if not values:
            return dict.fromkeys(PERCENTILES, 0.0), 0.0
        last = len(values) - 1
        shown = {p: 1000.0 * values[min(last, int(p / 100.0 * len(values)))] for p in PERCENTILES}
        shown[0.0] = 1000.0 * values[0]
        shown[100.0] = 1000.0 * values[-1]
        return shown, 1000.0 * sum(values) / len(values)


class CommandGroup:
    """A caller service's command for one dependency.

    It holds the settings, the command of each caller instance, and the event counts over all
    of them (as Turbine sums a cluster).
    """

    __slots__ = (
        "_execute",
        "_peaks",
        "_rolling",
        "_total",
        "_width",
        "armed",
        "caller",
        "commands",
        "concurrent",
        "cumulative",
        "deadlines",
        "dependency",
        "fallback_index",
        "retries",
        "settings",
    )

    def __init__(
        self,
        caller: str,
        dependency: str,
        settings: Resilience,
        *,
        window: float = 10.0,
        buckets: int = 10,
    ) -> None:
        self.caller = caller
        self.dependency = dependency
        self.settings = settings
        #: the caller's dependency index a ``call`` fallback goes to (set by the caller)
        self.fallback_index = -1
        self.commands: dict[int, Command] = {}
        self.cumulative = [0] * len(EVENTS)
        self._width = window / buckets
        self._rolling = RollingCounts(buckets, len(EVENTS))
        self._peaks = RollingCounts(buckets, 1)
        self._execute = _Percentiles()
        self._total = _Percentiles()
        #: executions in flight at the dependency now (over every instance)
        self.concurrent = 0
        #: retries started so far
        self.retries = 0
        #: calls waiting for their deadline, in deadline order: (deadline, request message)
        self.deadlines: deque[tuple[float, Any]] = deque()
        #: whether an engine entry will wake the deadlines up
        self.armed = False

    def command(self, instance: int) -> Command:
        """The command of the caller instance numbered ``instance`` (made on first use)."""
        command = self.commands.get(instance)
        if command is None:
            command = self.commands[instance] = Command(self.settings)
        return command

    def count(self, event: int, now: float, command: Command) -> None:
        """One ``event`` (an index into :data:`EVENTS`) on ``command`` at ``now``."""
        self.cumulative[event] += 1
        self._rolling.add(int(now // self._width), event)
        breaker = command.breaker
        if breaker is None:
            return
        if type(breaker) is HystrixBreaker:
            breaker.record_index(now, event)

    def started(self, command: Command, now: float) -> None:
        """An execution took a pool thread or permit of ``command``."""
        command.active += 1
        self.concurrent += 1
        # the peaks ring keeps each bucket's highest concurrency (its totals are not read)
        ring = self._peaks
        index = int(now // self._width)
        ring.advance(index)
        slot = (index % ring.size) * ring.kinds
        if command.active > ring.counts[slot]:
            ring.counts[slot] = command.active

    def ended(self, command: Command) -> None:
        """An execution gave its pool thread or permit back."""
        command.active -= 1
        self.concurrent -= 1

    def executed(self, now: float, seconds: float) -> None:
        """An attempt that reached the dependency took ``seconds``."""
        self._execute.add(now, seconds)

    def finished(self, now: float, seconds: float) -> None:
        """A command (every attempt and the fallback) took ``seconds`` in all."""
        self._total.add(now, seconds)

    def statistics(self, now: float, hosts: int) -> CommandStatistics:
        """A snapshot at ``now``; ``hosts`` is the number of caller instances alive."""
        rolling = self._rolling
        rolling.advance(int(now // self._width))
        counts = dict(zip(EVENTS, rolling.totals, strict=True))
        requests = sum(rolling.totals[event] for event in _HEALTH)
        errors = requests - rolling.totals[SUCCESS]
        opened = half = breakers = 0
        active = queued = 0
        for command in self.commands.values():
            active += command.active
            queued += len(command.waiting)
            state = command.state(now)
            if state == "none":
                continue
            breakers += 1
            if state == "open":
                opened += 1
            elif state == "half_open":
                half += 1
        peaks = self._peaks
        peaks.advance(int(now // self._width))
        peak = max(peaks.counts) if peaks.counts else 0
        execute, execute_mean = self._execute.summary(now)
        total, total_mean = self._total.summary(now)
        settings = self.settings
        bulkhead = settings.bulkhead
        breaker = settings.breaker
        shown: dict[str, int | bool] = {}
        if isinstance(breaker, HystrixSettings):
            shown = {
                "requestVolumeThreshold": breaker.request_volume_threshold,
                "errorThresholdPercentage": breaker.error_threshold_percentage,
                "sleepWindowInMilliseconds": breaker.sleep_window_ms,
                "forceOpen": breaker.force_open,
                "forceClosed": breaker.force_closed,
                "enabled": breaker.enabled,
            }
        elif breaker is not None:
            shown = {
                "requestVolumeThreshold": breaker.minimum_number_of_calls,
                "errorThresholdPercentage": int(breaker.failure_rate_threshold),
                "sleepWindowInMilliseconds": int(breaker.wait_duration_in_open_state * 1000),
                "forceOpen": False,
                "forceClosed": False,
                "enabled": True,
            }
        return CommandStatistics(
            caller=self.caller,
            dependency=self.dependency,
            time=now,
            hosts=hosts,
            rolling=MappingProxyType(counts),
            cumulative=MappingProxyType(dict(zip(EVENTS, self.cumulative, strict=True))),
            request_count=requests,
            error_count=errors,
            error_percentage=int(errors / requests * 100) if requests else 0,
            open=opened,
            half_open=half,
            breakers=breakers,
            concurrent=self.concurrent,
            rolling_max_concurrent=peak,
            latency_execute=MappingProxyType(execute),
            latency_execute_mean=execute_mean,
            latency_total=MappingProxyType(total),
            latency_total_mean=total_mean,
            timeout_ms=0.0 if settings.timeout is None else settings.timeout * 1000.0,
            isolation="NONE"
            if bulkhead is None
            else ("THREAD" if bulkhead.kind == "threadpool" else "SEMAPHORE"),
            pool_size=0 if bulkhead is None else bulkhead.size,
            pool_queue=0 if bulkhead is None else bulkhead.queue,
            pool_active=active,
            pool_queued=queued,
            breaker_settings=MappingProxyType(shown),
            retries=self.retries,
            protection=settings.describe(),
        )
