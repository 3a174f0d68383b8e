"""``hystrix.stream`` events: command snapshots as the Hystrix dashboard reads them.

Netflix's ``hystrix-metrics-event-stream`` pushes, at each interval, one JSON object per command
(``"type": "HystrixCommand"``) and one per thread pool (``"type": "HystrixThreadPool"``). This
module turns a :class:`~monkeyhouse.patterns.command.CommandStatistics` into those two objects,
field for field; the web layer frames them as server-sent events.

Naming: a command is named ``caller->dependency`` and grouped under the caller
(``group = caller``). The dashboard keys its circuit cards by ``name`` alone, so naming a
command after its dependency would put every caller of, say, ``cassandra`` on one card that
flickers between their figures; the arrow reads as the call it is, and the dashboard escapes
it. The thread pool (one bulkhead per caller and dependency) is named ``caller.dependency``:
service names hold no dots, and the dashboard uses pool names unescaped in its CSS selectors,
so a pool name keeps to letters, digits, ``_``, ``.``, ``:`` and ``-`` (anything else becomes
``_``).

A snapshot is already summed over the caller's instances, as Turbine sums a cluster, and
``reportingHosts`` says how many instances reported. The dashboard divides some fields by
``reportingHosts`` to show a per-host figure (``errorPercentage``, the latency means and
percentiles, the rolling window, the queue threshold); those fields are sent multiplied by the
number of hosts (at least 1), exactly as a Turbine stream carries them, so that the dashboard
shows the snapshot's own figure. Counts, concurrency and pool figures are cluster sums already.
Latencies are integer milliseconds (rounded half up), as Hystrix sends them.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from monkeyhouse.patterns.command import CommandStatistics
from monkeyhouse.telemetry.timestamps import EPOCH

COMMAND_TYPE = "HystrixCommand"
THREAD_POOL_TYPE = "HystrixThreadPool"

#: Hystrix's rolling statistical window (metrics.rollingStats.timeInMilliseconds default)
ROLLING_WINDOW_MS = 10_000

#: The rolling counters of a ``HystrixCommand`` object and the Hystrix event each one counts,
#: in the order Hystrix writes them. Events the snapshot does not count are sent as 0.
ROLLING_COUNTERS: tuple[tuple[str, str], ...] = (
    ("rollingCountBadRequests", "BAD_REQUEST"),
    ("rollingCountCollapsedRequests", "COLLAPSED"),
    ("rollingCountEmit", "EMIT"),
    ("rollingCountExceptionsThrown", "EXCEPTION_THROWN"),
    ("rollingCountFailure", "FAILURE"),
    ("rollingCountFallbackEmit", "FALLBACK_EMIT"),
    ("rollingCountFallbackFailure", "FALLBACK_FAILURE"),
    ("rollingCountFallbackMissing", "FALLBACK_MISSING"),
    ("rollingCountFallbackRejection", "FALLBACK_REJECTION"),
    ("rollingCountFallbackSuccess", "FALLBACK_SUCCESS"),
    ("rollingCountResponsesFromCache", "RESPONSE_FROM_CACHE"),
    ("rollingCountSemaphoreRejected", "SEMAPHORE_REJECTED"),
    ("rollingCountShortCircuited", "SHORT_CIRCUITED"),
    ("rollingCountSuccess", "SUCCESS"),
    ("rollingCountThreadPoolRejected", "THREAD_POOL_REJECTED"),
    ("rollingCountTimeout", "TIMEOUT"),
)

#: The events of executions that held a pool thread (what a thread pool counts as executed).
EXECUTED_EVENTS: tuple[str, ...] = ("SUCCESS", "FAILURE", "TIMEOUT", "BAD_REQUEST")

#: The latency percentiles a command object carries, as Hystrix spells their keys.
PERCENTILE_KEYS: tuple[tuple[float, str], ...] = (
    (0.0, "0"),
    (25.0, "25"),
    (50.0, "50"),
    (75.0, "75"),
    (90.0, "90"),
    (95.0, "95"),
    (99.0, "99"),
    (99.5, "99.5"),
    (100.0, "100"),
)

#: Hystrix's defaults, sent for settings monkeyhouse does not model or that are not in effect.
BREAKER_DEFAULTS: Mapping[str, int | bool] = {
    "requestVolumeThreshold": 20,
    "sleepWindowInMilliseconds": 5000,
    "errorThresholdPercentage": 50,
    "forceOpen": False,
    "forceClosed": False,
    "enabled": True,
}
SEMAPHORE_DEFAULT = 10

_POOL_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")


def event_time_ms(sim_time: float, *, wall: bool = False, epoch: datetime = EPOCH) -> int:
    """``currentTime``: epoch milliseconds of simulated ``sim_time``, or of now when ``wall``."""
    if wall:
        return int(time.time() * 1000)
    return int(epoch.timestamp()) * 1000 + round(sim_time * 1000)


def thread_pool_name(stats: CommandStatistics) -> str:
    """The command's thread pool: ``caller.dependency``, safe for the dashboard's selectors."""
    return _POOL_UNSAFE.sub("_", f"{stats.caller}.{stats.dependency}")


def milliseconds(value: float) -> int:
    """Whole milliseconds, rounded half up, as Hystrix reports latencies (0 when undefined)."""
    if not math.isfinite(value) or value <= 0:
        return 0
    return math.floor(value + 0.5)


def _hosts_factor(stats: CommandStatistics) -> int:
    return max(stats.hosts, 1)


def _percentiles(values: Mapping[float, float], factor: int) -> dict[str, int]:
    return {key: milliseconds(values.get(p, 0.0)) * factor for p, key in PERCENTILE_KEYS}


def command_event(
    stats: CommandStatistics, *, time_ms: int, window_ms: int = ROLLING_WINDOW_MS
) -> dict[str, Any]:
    """The ``HystrixCommand`` object for ``stats`` (keys in Hystrix's order)."""
    factor = _hosts_factor(stats)
    rolling = stats.rolling
    settings = {**BREAKER_DEFAULTS, **stats.breaker_settings}
    enabled = bool(settings["enabled"]) and stats.breakers > 0
    timeout = milliseconds(stats.timeout_ms)
    semaphore = stats.pool_size if stats.isolation == "SEMAPHORE" else SEMAPHORE_DEFAULT
    event: dict[str, Any] = {
        "type": COMMAND_TYPE,
        "name": stats.name,
        "group": stats.caller,
        "currentTime": time_ms,
        "isCircuitBreakerOpen": stats.open > 0,
        "errorPercentage": stats.error_percentage * factor,
        "errorCount": stats.error_count,
        "requestCount": stats.request_count,
    }
    for field, name in ROLLING_COUNTERS:
        event[field] = int(rolling.get(name, 0))
    event.update(
        {
            "currentConcurrentExecutionCount": stats.concurrent,
            "rollingMaxConcurrentExecutionCount": stats.rolling_max_concurrent,
            "latencyExecute_mean": milliseconds(stats.latency_execute_mean) * factor,
            "latencyExecute": _percentiles(stats.latency_execute, factor),
            "latencyTotal_mean": milliseconds(stats.latency_total_mean) * factor,
            "latencyTotal": _percentiles(stats.latency_total, factor),
            "propertyValue_circuitBreakerRequestVolumeThreshold": int(
                settings["requestVolumeThreshold"]
            ),
            "propertyValue_circuitBreakerSleepWindowInMilliseconds": int(
                settings["sleepWindowInMilliseconds"]
            ),
            "propertyValue_circuitBreakerErrorThresholdPercentage": int(
                settings["errorThresholdPercentage"]
            ),
            "propertyValue_circuitBreakerForceOpen": bool(settings["forceOpen"]),
            "propertyValue_circuitBreakerForceClosed": bool(settings["forceClosed"]),
            "propertyValue_circuitBreakerEnabled": enabled,
            "propertyValue_executionIsolationStrategy": stats.isolation,
            "propertyValue_executionIsolationThreadTimeoutInMilliseconds": timeout,
            "propertyValue_executionTimeoutInMilliseconds": timeout,
            "propertyValue_executionIsolationThreadInterruptOnTimeout": True,
            "propertyValue_executionIsolationThreadPoolKeyOverride": None,
            "propertyValue_executionIsolationSemaphoreMaxConcurrentRequests": semaphore,
            "propertyValue_fallbackIsolationSemaphoreMaxConcurrentRequests": SEMAPHORE_DEFAULT,
            "propertyValue_metricsRollingStatisticalWindowInMilliseconds": window_ms * factor,
            "propertyValue_requestCacheEnabled": False,
            "propertyValue_requestLogEnabled": False,
            "reportingHosts": stats.hosts,
            "threadPool": thread_pool_name(stats),
        }
    )
    return event


def thread_pool_event(
    stats: CommandStatistics, *, time_ms: int, window_ms: int = ROLLING_WINDOW_MS
) -> dict[str, Any] | None:
    """The ``HystrixThreadPool`` object of a thread-isolated command; None for any other."""
    if stats.isolation != "THREAD":
        return None
    factor = _hosts_factor(stats)
    completed = sum(int(stats.cumulative.get(name, 0)) for name in EXECUTED_EVENTS)
    threads = stats.pool_size * stats.hosts
    return {
        "type": THREAD_POOL_TYPE,
        "name": thread_pool_name(stats),
        "currentTime": time_ms,
        "currentActiveCount": stats.pool_active,
        "currentCompletedTaskCount": completed,
        "currentCorePoolSize": threads,
        "currentLargestPoolSize": threads,
        "currentMaximumPoolSize": threads,
        "currentPoolSize": threads,
        "currentQueueSize": stats.pool_queued,
        "currentTaskCount": completed + stats.pool_active + stats.pool_queued,
        "rollingCountThreadsExecuted": sum(
            int(stats.rolling.get(name, 0)) for name in EXECUTED_EVENTS
        ),
        "rollingMaxActiveThreads": stats.rolling_max_concurrent,
        "rollingCountCommandRejections": int(stats.rolling.get("THREAD_POOL_REJECTED", 0)),
        "propertyValue_queueSizeRejectionThreshold": stats.pool_queue * factor,
        "propertyValue_metricsRollingStatisticalWindowInMilliseconds": window_ms * factor,
        "reportingHosts": stats.hosts,
    }


def stream_events(
    commands: Iterable[CommandStatistics],
    *,
    wall: bool = False,
    window_ms: int = ROLLING_WINDOW_MS,
) -> list[dict[str, Any]]:
    """One push: every command's object, then every thread pool's, as Hystrix's poller orders them.

    ``currentTime`` is the run's epoch plus each snapshot's simulated time, or the wall clock
    when ``wall`` is true.
    """
    snapshots = list(commands)
    out: list[dict[str, Any]] = []
    pools: list[dict[str, Any]] = []
    for stats in snapshots:
        time_ms = event_time_ms(stats.time, wall=wall)
        out.append(command_event(stats, time_ms=time_ms, window_ms=window_ms))
        pool = thread_pool_event(stats, time_ms=time_ms, window_ms=window_ms)
        if pool is not None:
            pools.append(pool)
    return out + pools


def to_json(event: Mapping[str, Any]) -> str:
    """One event as compact JSON text on one line (what follows ``data:``)."""
    return json.dumps(event, separators=(",", ":"), allow_nan=False)
