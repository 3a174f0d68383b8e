"""Commands: one caller service's calls to one dependency, as Hystrix counts and reports them.

A :class:`CommandStatistics` is the frozen snapshot of one command (a caller service and one of
its dependencies), aggregated over the caller's instances the way Turbine aggregates a
cluster: event counts over the rolling window and since the start, the breakers' health and
states, concurrency, latency percentiles and the bulkhead's pool. Exporters (the run's tables,
``hystrix.stream``) and the report read these snapshots and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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

    @property
    def name(self) -> str:
        """The command's name: ``caller->dependency``."""
        return f"{self.caller}->{self.dependency}"
