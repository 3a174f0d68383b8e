"""hystrix.stream events against JSON written by hand from Hystrix's field list.

The field names and their order come from Netflix Hystrix's metrics event stream (the
``HystrixCommand`` and ``HystrixThreadPool`` objects its poller writes); the values below were
computed by hand from the snapshot, not by the code under test.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from monkeyhouse.exporters.hystrixstream import (
    command_event,
    event_time_ms,
    milliseconds,
    stream_events,
    thread_pool_event,
    thread_pool_name,
    to_json,
)
from monkeyhouse.patterns.command import CommandStatistics

#: the HystrixCommand fields, in the order Hystrix's serializer writes them
COMMAND_FIELDS = [
    "type",
    "name",
    "group",
    "currentTime",
    "isCircuitBreakerOpen",
    "errorPercentage",
    "errorCount",
    "requestCount",
    "rollingCountBadRequests",
    "rollingCountCollapsedRequests",
    "rollingCountEmit",
    "rollingCountExceptionsThrown",
    "rollingCountFailure",
    "rollingCountFallbackEmit",
    "rollingCountFallbackFailure",
    "rollingCountFallbackMissing",
    "rollingCountFallbackRejection",
    "rollingCountFallbackSuccess",
    "rollingCountResponsesFromCache",
    "rollingCountSemaphoreRejected",
    "rollingCountShortCircuited",
    "rollingCountSuccess",
    "rollingCountThreadPoolRejected",
    "rollingCountTimeout",
    "currentConcurrentExecutionCount",
    "rollingMaxConcurrentExecutionCount",
    "latencyExecute_mean",
    "latencyExecute",
    "latencyTotal_mean",
    "latencyTotal",
    "propertyValue_circuitBreakerRequestVolumeThreshold",
    "propertyValue_circuitBreakerSleepWindowInMilliseconds",
    "propertyValue_circuitBreakerErrorThresholdPercentage",
    "propertyValue_circuitBreakerForceOpen",
    "propertyValue_circuitBreakerForceClosed",
    "propertyValue_circuitBreakerEnabled",
    "propertyValue_executionIsolationStrategy",
    "propertyValue_executionIsolationThreadTimeoutInMilliseconds",
    "propertyValue_executionTimeoutInMilliseconds",
    "propertyValue_executionIsolationThreadInterruptOnTimeout",
    "propertyValue_executionIsolationThreadPoolKeyOverride",
    "propertyValue_executionIsolationSemaphoreMaxConcurrentRequests",
    "propertyValue_fallbackIsolationSemaphoreMaxConcurrentRequests",
    "propertyValue_metricsRollingStatisticalWindowInMilliseconds",
    "propertyValue_requestCacheEnabled",
    "propertyValue_requestLogEnabled",
    "reportingHosts",
    "threadPool",
]

THREAD_POOL_FIELDS = [
    "type",
    "name",
    "currentTime",
    "currentActiveCount",
    "currentCompletedTaskCount",
    "currentCorePoolSize",
    "currentLargestPoolSize",
    "currentMaximumPoolSize",
    "currentPoolSize",
    "currentQueueSize",
    "currentTaskCount",
    "rollingCountThreadsExecuted",
    "rollingMaxActiveThreads",
    "rollingCountCommandRejections",
    "propertyValue_queueSizeRejectionThreshold",
    "propertyValue_metricsRollingStatisticalWindowInMilliseconds",
    "reportingHosts",
]

PERCENTILE_KEYS = ["0", "25", "50", "75", "90", "95", "99", "99.5", "100"]

#: 2016-12-19T00:00:00Z in Unix milliseconds (`date -u -d 2016-12-19 +%s` is 1482105600)
EPOCH_MS = 1_482_105_600_000


def snapshot() -> CommandStatistics:
    """zuul -> karyon over 3 zuul instances, one breaker open, a thread pool of 10 each."""
    return CommandStatistics(
        caller="zuul",
        dependency="karyon",
        time=12.3456,
        hosts=3,
        rolling={
            "SUCCESS": 90,
            "FAILURE": 4,
            "TIMEOUT": 3,
            "SHORT_CIRCUITED": 5,
            "THREAD_POOL_REJECTED": 2,
            "SEMAPHORE_REJECTED": 0,
            "FALLBACK_SUCCESS": 10,
            "FALLBACK_FAILURE": 1,
        },
        cumulative={
            "SUCCESS": 900,
            "FAILURE": 40,
            "TIMEOUT": 30,
            "SHORT_CIRCUITED": 50,
            "THREAD_POOL_REJECTED": 20,
            "SEMAPHORE_REJECTED": 0,
            "FALLBACK_SUCCESS": 100,
            "FALLBACK_FAILURE": 10,
        },
        request_count=99,
        error_count=9,
        error_percentage=9,
        open=1,
        half_open=0,
        breakers=3,
        concurrent=4,
        rolling_max_concurrent=3,
        latency_execute={
            0.0: 1.2,
            25.0: 4.49,
            50.0: 4.5,
            75.0: 7.0,
            90.0: 12.7,
            95.0: 20.0,
            99.0: 48.2,
            99.5: 60.5,
            100.0: 101.0,
        },
        latency_execute_mean=9.64,
        latency_total={
            0.0: 0.4,
            25.0: 4.0,
            50.0: 5.2,
            75.0: 8.0,
            90.0: 14.0,
            95.0: 25.5,
            99.0: 1000.0,
            99.5: 1000.4,
            100.0: 1002.0,
        },
        latency_total_mean=30.26,
        timeout_ms=1000.0,
        isolation="THREAD",
        pool_size=10,
        pool_queue=5,
        pool_active=4,
        pool_queued=1,
        breaker_settings={
            "requestVolumeThreshold": 20,
            "errorThresholdPercentage": 50,
            "sleepWindowInMilliseconds": 5000,
            "forceOpen": False,
            "forceClosed": False,
            "enabled": True,
        },
    )


# Written by hand. Fields the dashboard divides by reportingHosts (errorPercentage, latency
# means and percentiles, the window, the queue threshold) are the snapshot's figure x 3 hosts;
# latencies are whole milliseconds rounded half up (4.5 -> 5, 60.5 -> 61, 9.64 -> 10).
EXPECTED_COMMAND = """
{"type": "HystrixCommand", "name": "zuul->karyon", "group": "zuul",
 "currentTime": 1482105612346, "isCircuitBreakerOpen": true,
 "errorPercentage": 27, "errorCount": 9, "requestCount": 99,
 "rollingCountBadRequests": 0, "rollingCountCollapsedRequests": 0, "rollingCountEmit": 0,
 "rollingCountExceptionsThrown": 0, "rollingCountFailure": 4, "rollingCountFallbackEmit": 0,
 "rollingCountFallbackFailure": 1, "rollingCountFallbackMissing": 0,
 "rollingCountFallbackRejection": 0, "rollingCountFallbackSuccess": 10,
 "rollingCountResponsesFromCache": 0, "rollingCountSemaphoreRejected": 0,
 "rollingCountShortCircuited": 5, "rollingCountSuccess": 90,
 "rollingCountThreadPoolRejected": 2, "rollingCountTimeout": 3,
 "currentConcurrentExecutionCount": 4, "rollingMaxConcurrentExecutionCount": 3,
 "latencyExecute_mean": 30,
 "latencyExecute": {"0": 3, "25": 12, "50": 15, "75": 21, "90": 39, "95": 60, "99": 144,
                    "99.5": 183, "100": 303},
 "latencyTotal_mean": 90,
 "latencyTotal": {"0": 0, "25": 12, "50": 15, "75": 24, "90": 42, "95": 78, "99": 3000,
                  "99.5": 3000, "100": 3006},
 "propertyValue_circuitBreakerRequestVolumeThreshold": 20,
 "propertyValue_circuitBreakerSleepWindowInMilliseconds": 5000,
 "propertyValue_circuitBreakerErrorThresholdPercentage": 50,
 "propertyValue_circuitBreakerForceOpen": false,
 "propertyValue_circuitBreakerForceClosed": false,
 "propertyValue_circuitBreakerEnabled": true,
 "propertyValue_executionIsolationStrategy": "THREAD",
 "propertyValue_executionIsolationThreadTimeoutInMilliseconds": 1000,
 "propertyValue_executionTimeoutInMilliseconds": 1000,
 "propertyValue_executionIsolationThreadInterruptOnTimeout": true,
 "propertyValue_executionIsolationThreadPoolKeyOverride": null,
 "propertyValue_executionIsolationSemaphoreMaxConcurrentRequests": 10,
 "propertyValue_fallbackIsolationSemaphoreMaxConcurrentRequests": 10,
 "propertyValue_metricsRollingStatisticalWindowInMilliseconds": 30000,
 "propertyValue_requestCacheEnabled": false,
 "propertyValue_requestLogEnabled": false,
 "reportingHosts": 3, "threadPool": "zuul.karyon"}
"""

# completed = SUCCESS + FAILURE + TIMEOUT since the start = 900 + 40 + 30 = 970; tasks = 970 +
# 4 active + 1 queued; 3 hosts x 10 threads = 30; executed in the window = 90 + 4 + 3 = 97.
EXPECTED_POOL = """
{"type": "HystrixThreadPool", "name": "zuul.karyon", "currentTime": 1482105612346,
 "currentActiveCount": 4, "currentCompletedTaskCount": 970, "currentCorePoolSize": 30,
 "currentLargestPoolSize": 30, "currentMaximumPoolSize": 30, "currentPoolSize": 30,
 "currentQueueSize": 1, "currentTaskCount": 975, "rollingCountThreadsExecuted": 97,
 "rollingMaxActiveThreads": 3, "rollingCountCommandRejections": 2,
 "propertyValue_queueSizeRejectionThreshold": 15,
 "propertyValue_metricsRollingStatisticalWindowInMilliseconds": 30000,
 "reportingHosts": 3}
"""


def test_command_object_matches_the_hand_written_json() -> None:
    stats = snapshot()
    event = command_event(stats, time_ms=event_time_ms(stats.time))
    assert event == json.loads(EXPECTED_COMMAND)
    assert list(event) == COMMAND_FIELDS
    assert list(event["latencyExecute"]) == PERCENTILE_KEYS
    assert list(event["latencyTotal"]) == PERCENTILE_KEYS


def test_thread_pool_object_matches_the_hand_written_json() -> None:
    stats = snapshot()
    event = thread_pool_event(stats, time_ms=event_time_ms(stats.time))
    assert event == json.loads(EXPECTED_POOL)
    assert event is not None
    assert list(event) == THREAD_POOL_FIELDS


def test_types_are_what_the_dashboard_expects() -> None:
    event = json.loads(to_json(command_event(snapshot(), time_ms=0)))
    for field in COMMAND_FIELDS:
        value = event[field]
        if field in ("type", "name", "group", "threadPool"):
            assert isinstance(value, str), field
        elif field == "propertyValue_executionIsolationStrategy":
            assert value in ("THREAD", "SEMAPHORE", "NONE")
        elif field == "propertyValue_executionIsolationThreadPoolKeyOverride":
            assert value is None
        elif field in ("latencyExecute", "latencyTotal"):
            assert all(type(v) is int for v in value.values()), field
        elif field.startswith("is") or field.endswith(
            ("ForceOpen", "ForceClosed", "Enabled", "InterruptOnTimeout")
        ):
            assert type(value) is bool, field
        else:
            assert type(value) is int, field


def dashboard_view(event: dict[str, Any]) -> dict[str, Any]:
    """What the Hystrix dashboard shows: it divides some fields by reportingHosts (floor)."""
    hosts = event["reportingHosts"] or 1
    window = event["propertyValue_metricsRollingStatisticalWindowInMilliseconds"]
    window_ms = math.floor(window / hosts)
    return {
        "error %": round(event["errorPercentage"] / hosts, 1),
        "mean": math.floor(event["latencyExecute_mean"] / hosts),
        "median": math.floor(event["latencyExecute"]["50"] / hosts),
        "99.5th": math.floor(event["latencyExecute"]["99.5"] / hosts),
        "cluster rate": round(event["requestCount"] / (window_ms / 1000), 1),
    }


def test_the_dashboard_shows_the_snapshots_own_figures() -> None:
    view = dashboard_view(command_event(snapshot(), time_ms=0))
    assert view == {"error %": 9.0, "mean": 10, "median": 5, "99.5th": 61, "cluster rate": 9.9}


def test_semaphore_command_without_breaker_and_no_hosts() -> None:
    stats = replace(
        snapshot(),
        hosts=0,
        open=0,
        breakers=0,
        isolation="SEMAPHORE",
        pool_size=25,
        breaker_settings={},
        timeout_ms=0.0,
    )
    event = command_event(stats, time_ms=5)
    assert event["isCircuitBreakerOpen"] is False
    assert event["propertyValue_circuitBreakerEnabled"] is False
    assert event["propertyValue_circuitBreakerRequestVolumeThreshold"] == 20  # Hystrix default
    assert event["propertyValue_executionIsolationStrategy"] == "SEMAPHORE"
    assert event["propertyValue_executionIsolationSemaphoreMaxConcurrentRequests"] == 25
    assert event["propertyValue_executionTimeoutInMilliseconds"] == 0
    assert event["reportingHosts"] == 0
    assert event["errorPercentage"] == 9  # no hosts: not multiplied (the dashboard reads 0 as 1)
    assert event["latencyExecute"]["50"] == 5
    assert thread_pool_event(stats, time_ms=5) is None


def test_forced_open_breaker_and_names() -> None:
    stats = replace(
        snapshot(),
        caller="www elb",
        dependency="api>v2",
        breaker_settings={"forceOpen": True},
    )
    event = command_event(stats, time_ms=0)
    assert event["name"] == "www elb->api>v2"
    assert event["group"] == "www elb"
    assert event["propertyValue_circuitBreakerForceOpen"] is True
    assert event["propertyValue_circuitBreakerErrorThresholdPercentage"] == 50
    assert thread_pool_name(stats) == "www_elb.api_v2"
    assert event["threadPool"] == "www_elb.api_v2"


def test_stream_events_orders_commands_then_pools() -> None:
    first = snapshot()
    second = replace(snapshot(), caller="api", dependency="cassandra", isolation="NONE", time=2.0)
    events = stream_events([first, second])
    assert [(e["type"], e["name"]) for e in events] == [
        ("HystrixCommand", "zuul->karyon"),
        ("HystrixCommand", "api->cassandra"),
        ("HystrixThreadPool", "zuul.karyon"),
    ]
    assert events[1]["currentTime"] == EPOCH_MS + 2000


def test_wall_clock_time() -> None:
    import time

    before = int(time.time() * 1000)
    got = event_time_ms(0.0, wall=True)
    assert before <= got <= int(time.time() * 1000)
    assert event_time_ms(0.25) == EPOCH_MS + 250


def test_milliseconds() -> None:
    assert [milliseconds(v) for v in (0.49, 0.5, 2.5, -1.0, math.nan, math.inf)] == [
        0,
        1,
        3,
        0,
        0,
        0,
    ]


def test_to_json_is_one_compact_line() -> None:
    text = to_json(command_event(snapshot(), time_ms=0))
    assert "\n" not in text
    assert '"name":"zuul->karyon"' in text


def documented_fields(section: str) -> set[str]:
    """The field names in the first column of a table of docs/hystrix-stream.md's section."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "hystrix-stream.md"
    text = docs.read_text(encoding="utf-8").split(f"### `{section}`", 1)[1].split("\n#", 1)[0]
    rows = [line.split("|")[1] for line in text.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Za-z_.]+)`", row)}


def test_the_docs_describe_every_field_sent() -> None:
    stats = snapshot()
    assert documented_fields("HystrixCommand") == set(COMMAND_FIELDS)
    assert documented_fields("HystrixThreadPool") == set(THREAD_POOL_FIELDS)
    assert set(command_event(stats, time_ms=0)) == set(COMMAND_FIELDS)
