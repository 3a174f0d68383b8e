"""Fakes for the metrics tests: instances, services and stations with known figures.

The collector needs only ``.name``, ``.service.name``, ``.region``, ``.zone`` and ``.station``
of an instance, and a station's ``statistics()`` with ``threads``, ``in_flight``, ``busy_time``,
``queue_time`` and ``rejected``; these fakes let a test set each figure by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from monkeyhouse.behaviours.spans import CLIENT, SERVER, Span
from monkeyhouse.engine import Environment
from monkeyhouse.telemetry.metrics import MetricsCollector


class FakeService:
    def __init__(self, name: str, package: str = "karyon") -> None:
        self.name = name
        self.package = package


@dataclass(frozen=True)
class FakeStationStatistics:
    threads: int
    busy: int
    queued: int
    in_flight: int
    busy_time: float
    queue_time: float
    arrivals: int
    rejected: int
    completed: int


class FakeStation:
    """A station whose integrals the test sets directly."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.busy_time = 0.0
        self.queue_time = 0.0
        self.rejected = 0
        self.busy = 0
        self.queued = 0
        self.fail = False

    def statistics(self) -> FakeStationStatistics:
        if self.fail:
            raise RuntimeError("station broke")
        return FakeStationStatistics(
            self.threads, self.busy, self.queued, self.busy + self.queued,
            self.busy_time, self.queue_time, 0, self.rejected, 0,
        )  # fmt: skip


class FakeInstance:
    def __init__(
        self,
        name: str,
        service: FakeService,
        region: str = "us-east-1",
        zone: str = "zoneA",
        station: FakeStation | None = None,
    ) -> None:
        self.name = name
        self.service = service
        self.region = region
        self.zone = zone
        self.station = station
        self.full_name = f"arch.{region}.{zone}.{name}....{service.name}.{service.package}"


_ids = iter(range(1, 1 << 62))


def server(
    instance: FakeInstance, start: float, duration: float, *, error: str = "", queued: float = 0.0
) -> Span:
    """A finished SERVER span of ``instance``."""
    span = Span(1, next(_ids), 0, SERVER, "get", instance, None, start)
    span.end = start + duration
    span.error = error
    span.queued = queued
    return span


def client(
    caller: FakeInstance,
    callee: FakeInstance | None,
    start: float,
    duration: float,
    *,
    error: str = "",
) -> Span:
    """A finished CLIENT span from ``caller`` to ``callee`` (None: no instance found)."""
    span = Span(1, next(_ids), 0, CLIENT, "get", caller, callee, start)
    span.end = start + duration
    span.error = error
    return span


#: the latencies (seconds) each instance serves in the known run, per interval
KNOWN_SERVER = {
    "api0": ([0.012, 0.032], [0.21]),
    "api1": ([0.021], []),
    "db0": ([0.002, 0.004], [0.006]),
}
#: the calls from api to db in the known run, per interval
KNOWN_EDGE = ([0.003, 0.005], [0.0075])


def known_run(api_name: str = "api") -> tuple[Environment, MetricsCollector]:
    """Two one-second intervals of known spans and station integrals (see KNOWN_*).

    Errors: api0's 0.032 request. Threads: api instances 2 each, db0 1. Busy time: api0 1.0
    then 0.5 more, api1 0.5 then nothing, db0 0.1 then 0.1 more.
    """
    env = Environment()
    api, db = FakeService(api_name), FakeService("db", "staash")
    api0 = FakeInstance("api0", api, zone="zoneA", station=FakeStation(2))
    api1 = FakeInstance("api1", api, zone="zoneB", station=FakeStation(2))
    db0 = FakeInstance("db0", db, zone="zoneA", station=FakeStation(1))
    by_name = {"api0": api0, "api1": api1, "db0": db0}
    metrics = MetricsCollector(env, interval=1.0)
    metrics.attach([api0, api1, db0])
    busy = {"api0": (1.0, 1.5), "api1": (0.5, 0.5), "db0": (0.1, 0.2)}
    for interval in (0, 1):
        start = interval + 0.1
        for name, latencies in KNOWN_SERVER.items():
            for d in latencies[interval]:
                error = "500 boom" if d == 0.032 else ""
                metrics.on_span(server(by_name[name], start, d, error=error))
        for d in KNOWN_EDGE[interval]:
            metrics.on_span(client(api0, db0, start, d))
        for name, inst in by_name.items():
            assert inst.station is not None
            inst.station.busy_time = busy[name][interval]
        metrics.sample(interval + 1.0)
    return env, metrics
