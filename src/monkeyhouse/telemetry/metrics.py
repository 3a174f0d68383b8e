"""Metrics per service, per instance and per edge, over time and in total.

:class:`MetricsCollector` is an instrument. The runtime calls :meth:`~MetricsCollector.on_span`
once per finished span and :meth:`~MetricsCollector.sample` every ``interval`` simulated seconds
(from one ticker: :meth:`~MetricsCollector.start` makes it, or the runtime calls ``sample``).

- SERVER spans feed the request metrics of their instance and its service: count, errors
  (``span.error != ""``), latency (``span.end - span.start``, arrival to response, queue wait
  included) and queue wait (``span.queued``).
- CLIENT spans feed the metrics of the edge (caller's service, callee's service): count, errors
  and latency as the caller saw it. A call that found no instance to call has the target
  :data:`NO_TARGET`.
- Each sample reads every attached instance's station (``instance.station``, None for instances
  without one) and turns the differences of its integrals into per-interval gauges:
  utilization = Δbusy_time / (threads × Δt), mean queue length = Δqueue_time / Δt, in-flight
  now and rejections in the interval. For a service, utilization is the sum of its instances'
  Δbusy_time over the sum of their threads × Δt; queue length, in-flight and rejections are
  sums over its instances (the whole service's backlog).

Each interval gives one row per service, per instance and per edge known so far (zeros when
idle): count, errors, throughput (count / interval), latency mean, p50, p90, p99, p99.9,
p99.99 and max from a per-interval :class:`~monkeyhouse.telemetry.histogram.Histogram`, and
the gauges. Rows are stamped with the interval's end (simulated seconds) and ordered by time,
then name, so the same run gives the same tables. Totals over the run accumulate as intervals
close; :meth:`~MetricsCollector.finish` closes the last, partial one. Undefined figures
(latency of an interval without requests, utilization of an instance without a station or
with unbounded cores, such as a load balancer) are
None in :meth:`~MetricsCollector.tables`.

Memory stays bounded: interval histograms are emptied at every sample, and per-instance time
series (rows per instance per interval, per-instance latency histograms) are kept only while
the number of instances is at most ``instance_limit`` (default 2,000). Above it the instance
table stays empty and per-instance totals keep counts, errors, mean latency and the gauges but
no percentiles; if the limit is crossed during a run, the per-instance rows collected so far
are dropped. Above :data:`INSTANCE_TOTALS_LIMIT` instances (100,000) there are no per-instance
totals either. Service and edge metrics are always complete.

Nothing here may break a run: every entry point catches its own failures, counts them in
:attr:`MetricsCollector.failures` and logs the first one.
"""

from __future__ import annotations

import logging
import math
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from monkeyhouse.behaviours.spans import CLIENT, SERVER, Span
from monkeyhouse.engine import Environment, Handle
from monkeyhouse.patterns.queueing import UNBOUNDED
from monkeyhouse.telemetry.histogram import STANDARD_PERCENTILES, Histogram, HistogramSnapshot

log = logging.getLogger("monkeyhouse")

#: Default maximum number of instances for which per-instance time series are kept.
INSTANCE_LIMIT = 2000
#: Above this many instances, no per-instance totals either (a million rows of totals would
#: outweigh the simulation itself): services and edges stay complete.
INSTANCE_TOTALS_LIMIT = 100_000
#: The target of an edge whose call found no instance to call.
NO_TARGET = "(none)"

_NAN = math.nan
_NO_EDGES: dict[Any, Any] = {}
_LATENCY = ("latency_mean", "p50", "p90", "p99", "p999", "p9999", "max")
_GAUGES = ("utilization", "queue_mean", "in_flight", "rejected")

#: Column names and types ("float64", "int64" or "string") of every table, in order.
TABLE_SCHEMAS: dict[str, tuple[tuple[str, str], ...]] = {
    "service_metrics": (
        ("time", "float64"),
        ("service", "string"),
        ("count", "int64"),
        ("errors", "int64"),
        ("throughput", "float64"),
        *((name, "float64") for name in _LATENCY),
        ("utilization", "float64"),
        ("queue_mean", "float64"),
        ("in_flight", "int64"),
        ("rejected", "int64"),
        ("queue_wait_mean", "float64"),
    ),
    "instance_metrics": (
        ("time", "float64"),
        ("service", "string"),
        ("instance", "string"),
        ("region", "string"),
        ("zone", "string"),
        ("count", "int64"),
        ("errors", "int64"),
        ("throughput", "float64"),
        *((name, "float64") for name in _LATENCY),
        ("utilization", "float64"),
        ("queue_mean", "float64"),
        ("in_flight", "int64"),
        ("rejected", "int64"),
        ("queue_wait_mean", "float64"),
    ),
    "edge_metrics": (
        ("time", "float64"),
        ("source", "string"),
        ("target", "string"),
        ("count", "int64"),
        ("errors", "int64"),
        ("throughput", "float64"),
        *((name, "float64") for name in _LATENCY),
    ),
    "totals": (
        ("service", "string"),
        ("instances", "int64"),
        ("count", "int64"),
        ("errors", "int64"),
        ("error_rate", "float64"),
        ("throughput", "float64"),
        ("utilization", "float64"),
        ("queue_mean", "float64"),
        ("rejected", "int64"),
        *((name, "float64") for name in _LATENCY),
        ("queue_wait_mean", "float64"),
    ),
    "instance_totals": (
        ("service", "string"),
        ("instance", "string"),
        ("region", "string"),
        ("zone", "string"),
        ("count", "int64"),
        ("errors", "int64"),
        ("throughput", "float64"),
        ("utilization", "float64"),
        ("queue_mean", "float64"),
        ("rejected", "int64"),
        *((name, "float64") for name in _LATENCY),
        ("queue_wait_mean", "float64"),
    ),
    "edge_totals": (
        ("source", "string"),
        ("target", "string"),
        ("count", "int64"),
        ("errors", "int64"),
        ("error_rate", "float64"),
        ("throughput", "float64"),
        *((name, "float64") for name in _LATENCY),
    ),
}


class StationStatisticsLike(Protocol):
    """What metrics read from a station's ``statistics()`` snapshot."""

    @property
    def threads(self) -> int: ...  # noqa: D102
    @property
    def in_flight(self) -> int: ...  # noqa: D102
    @property
    def busy_time(self) -> float: ...  # noqa: D102
    @property
    def queue_time(self) -> float: ...  # noqa: D102
    @property
    def rejected(self) -> int: ...  # noqa: D102


class StationLike(Protocol):
    """A station (:class:`monkeyhouse.patterns.queueing.Station` or anything alike)."""

    def statistics(self) -> StationStatisticsLike:  # noqa: D102
        ...


# -- frozen results ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ServiceTotals:
    """One service over the whole run. Undefined figures are None (no station, no time)."""

    service: str
    instances: int
    count: int
    errors: int
    throughput: float | None
    utilization: float | None
    queue_mean: float | None
    rejected: int
    queue_wait_mean: float | None
    #: figures of the last interval, for gauges "now"
    last_utilization: float | None
    last_queue_mean: float | None
    in_flight: int
    latency: HistogramSnapshot

    @property
    def error_rate(self) -> float | None:
        """The share of requests that failed (None without requests)."""
        return self.errors / self.count if self.count else None


@dataclass(frozen=True, slots=True)
class InstanceTotals:
    """One instance over the whole run; ``latency`` is None above the instance limit."""

    instance: str
    full_name: str
    service: str
    region: str
    zone: str
    count: int
    errors: int
    throughput: float | None
    utilization: float | None
    queue_mean: float | None
    rejected: int
    queue_wait_mean: float | None
    latency_mean: float | None
    last_utilization: float | None
    last_queue_mean: float | None
    in_flight: int
    has_station: bool
    latency: HistogramSnapshot | None


@dataclass(frozen=True, slots=True)
class EdgeTotals:
    """Calls from one service to another over the whole run, as the callers saw them."""

    source: str
    target: str
    count: int
    errors: int
    throughput: float | None
    latency: HistogramSnapshot

    @property
    def error_rate(self) -> float | None:
        """The share of calls that failed (None without calls)."""
        return self.errors / self.count if self.count else None


@dataclass(frozen=True, slots=True)
class MetricsStatistics:
    """A frozen snapshot of a collector: what it saw, and the totals of the closed intervals."""

    start: float
    end: float
    interval: float
    intervals: int
    server_spans: int
    client_spans: int
    failures: int
    instance_limit: int
    instance_series: bool
    services: tuple[ServiceTotals, ...]
    instances: tuple[InstanceTotals, ...]
    edges: tuple[EdgeTotals, ...]

    @property
    def duration(self) -> float:
        """Simulated seconds covered by the closed intervals."""
        return self.end - self.start


# -- accumulators ------------------------------------------------------------------------------
class _ServiceAcc:
    __slots__ = (
        "busy",
        "capacity",
        "count",
        "errors",
        "hist",
        "in_flight",
        "instances",
        "last_queue_mean",
        "last_utilization",
        "name",
        "queue_area",
        "rejected",
        "stations",
        "total_busy",
        "total_capacity",
        "total_count",
        "total_errors",
        "total_hist",
        "total_queue_area",
        "total_rejected",
        "total_wait",
        "wait",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.instances = 0
        self.hist = Histogram()
        self.total_hist = Histogram()
        self.count = self.errors = self.total_count = self.total_errors = 0
        self.wait = self.total_wait = 0.0
        self.busy = self.capacity = self.queue_area = 0.0
        self.total_busy = self.total_capacity = self.total_queue_area = 0.0
        self.in_flight = self.rejected = self.total_rejected = self.stations = 0
        self.last_utilization: float | None = None
        self.last_queue_mean: float | None = None


class _InstanceAcc:
    __slots__ = (
        "count",
        "errors",
        "hist",
        "in_flight",
        "instance",
        "last_queue_mean",
        "last_time",
        "last_utilization",
        "latency",
        "name",
        "order",
        "prev_busy",
        "prev_queue",
        "prev_rejected",
        "region",
        "service",
        "station",
        "total_busy",
        "total_capacity",
        "total_count",
        "total_errors",
        "total_hist",
        "total_latency",
        "total_queue_area",
        "total_rejected",
        "total_time",
        "total_wait",
        "wait",
        "zone",
    )

    @property
    def full_name(self) -> str:
        """The instance's nine-field name (computed when asked: only files need it)."""
        try:
            return str(self.instance.full_name)
        except Exception:
            return self.name

    def __init__(
        self, instance: Any, service: _ServiceAcc, order: int, now: float, series: bool = True
    ) -> None:
        self.instance = instance
        self.order = order
        self.name = str(getattr(instance, "name", f"instance{order}"))
        self.region = str(getattr(instance, "region", ""))
        self.zone = str(getattr(instance, "zone", ""))
        self.service = service
        # without per-instance series an instance shares its service's interval histogram and
        # keeps no total one, so a run with a million instances does not hold a million
        self.hist = Histogram() if series else service.hist
        self.total_hist: Histogram | None = Histogram() if series else None
        self.count = self.errors = self.total_count = self.total_errors = 0
        self.wait = self.latency = self.total_wait = self.total_latency = 0.0
        self.station: StationLike | None = None
        self.prev_busy = self.prev_queue = 0.0
        self.prev_rejected = 0
        self.last_time = now
        self.total_busy = self.total_capacity = self.total_queue_area = self.total_time = 0.0
        self.total_rejected = self.in_flight = 0
        self.last_utilization: float | None = None
        self.last_queue_mean: float | None = None


class _EdgeAcc:
    __slots__ = (
        "count",
        "errors",
        "hist",
        "source",
        "target",
        "total_count",
        "total_errors",
        "total_hist",
    )

    def __init__(self, source: str, target: str) -> None:
        self.source = source
        self.target = target
        self.hist = Histogram()
        self.total_hist = Histogram()
        self.count = self.errors = self.total_count = self.total_errors = 0


class _Table:
    """Columns in compact arrays (8 bytes a cell); floats hold NaN for "undefined"."""

    __slots__ = ("columns", "schema")

    def __init__(self, schema: tuple[tuple[str, str], ...]) -> None:
        self.schema = schema
        self.columns: list[Any] = []
        self.clear()

    def clear(self) -> None:
        self.columns = [
            array("d") if kind == "float64" else array("q") if kind == "int64" else []
            for _, kind in self.schema
        ]

    def append(self, row: Iterable[Any]) -> None:
        for column, value in zip(self.columns, row, strict=True):
            column.append(_NAN if value is None else value)

    def to_dict(self) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for (name, kind), column in zip(self.schema, self.columns, strict=True):
            if kind == "float64":
                out[name] = [None if value != value else value for value in column]
            else:
                out[name] = list(column)
        return out


def _latency_figures(hist: Histogram | HistogramSnapshot | None) -> list[float | None]:
    """mean, p50, p90, p99, p99.9, p99.99, max (None when empty or unknown)."""
    if hist is None or hist.count == 0:
        return [None] * len(_LATENCY)
    return [hist.mean, *hist.percentiles(STANDARD_PERCENTILES), hist.max]


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


# -- the instrument ----------------------------------------------------------------------------
class MetricsCollector:
    """The metrics instrument; see the module documentation."""

    def __init__(
        self, env: Environment, interval: float = 1.0, *, instance_limit: int = INSTANCE_LIMIT
    ) -> None:
        if not interval > 0:
            raise ValueError(f"interval must be > 0 seconds, got {interval}")
        if instance_limit < 0:
            raise ValueError(f"instance_limit must be >= 0, got {instance_limit}")
        self.env = env
        self.interval = float(interval)
        self.instance_limit = instance_limit
        #: failures caught inside the collector (the run went on)
        self.failures = 0
        self.server_spans = 0
        self.client_spans = 0
        self.intervals = 0
        self.start_time = float(env.now)
        self.last_time = self.start_time
        self._instance_series = True
        self._services: dict[str, _ServiceAcc] = {}
        self._instances: dict[Any, _InstanceAcc] = {}
        self._edges: dict[tuple[str, str], _EdgeAcc] = {}
        #: caller service object -> callee service object (None: no target) -> edge
        self._edge_index: dict[Any, dict[Any, _EdgeAcc]] = {}
        self._sorted_instances: list[_InstanceAcc] = []
        self._sorted_services: list[_ServiceAcc] = []
        self._sorted_edges: list[_EdgeAcc] = []
        self._dirty = False
        self._ticker: Handle | None = None
        self._tables = {
            name: _Table(schema)
            for name, schema in TABLE_SCHEMAS.items()
            if name.endswith("_metrics")
        }

    # -- wiring ------------------------------------------------------------------------------
    def attach(self, instances: Iterable[Any]) -> None:
        """Follow ``instances`` (and their stations) from now on; may be called again."""
        try:
            for instance in instances:
                acc = self._instances.get(instance)
                if acc is None:
                    acc = self._add_instance(instance)
                if acc.station is None:
                    self._take_station(acc, self.env.now)
        except Exception:
            self._failed("attach")

    def start(self) -> Handle:
        """Sample every ``interval`` seconds from now on (one ticker); returns its handle."""
        if self._ticker is None:
            self._ticker = self.env.every(self.interval, self.sample)
        return self._ticker

    def finish(self, now: float | None = None) -> None:
        """Stop the ticker and close the last, partial interval (at ``now``, default env.now)."""
        if self._ticker is not None:
            self.env.stop_ticker(self._ticker)
            self._ticker = None
        self.sample(self.env.now if now is None else now)

    @property
    def instance_series(self) -> bool:
        """True while per-instance time series are kept (instances <= ``instance_limit``)."""
        return self._instance_series

    # -- the hot path ------------------------------------------------------------------------
    def on_span(self, span: Span) -> None:
        """Count one finished span (SERVER: request metrics; CLIENT: edge metrics)."""
        try:
            kind = span.kind
            if kind == SERVER:
                self.server_spans += 1
                acc = self._instances.get(span.instance)
                if acc is None:
                    acc = self._add_instance(span.instance)
                duration = span.end - span.start
                acc.hist.record(duration)  # first: it refuses NaN before anything is counted
                acc.count += 1
                if span.error:
                    acc.errors += 1
                acc.wait += span.queued
                acc.latency += duration
            elif kind == CLIENT:
                self.client_spans += 1
                source = span.instance.service
                peer = span.peer
                target = None if peer is None else peer.service
                edge = self._edge_index.get(source, _NO_EDGES).get(target)
                if edge is None:
                    edge = self._add_edge(source, target)
                edge.hist.record(span.end - span.start)
                edge.count += 1
                if span.error:
                    edge.errors += 1
        except Exception:
            self._failed("on_span")

    # -- growth ------------------------------------------------------------------------------
    def _service(self, name: str) -> _ServiceAcc:
        svc = self._services.get(name)
        if svc is None:
            svc = self._services[name] = _ServiceAcc(name)
            self._dirty = True
        return svc

    def _add_instance(self, instance: Any) -> _InstanceAcc:
        service = getattr(instance, "service", None)
        name = str(getattr(service, "name", service))
        svc = self._service(name)
        acc = _InstanceAcc(
            instance, svc, len(self._instances), self.env.now, series=self._instance_series
        )
        self._instances[instance] = acc
        svc.instances += 1
        self._dirty = True
        if self._instance_series and len(self._instances) > self.instance_limit:
            self._drop_instance_series()
        return acc

    def _drop_instance_series(self) -> None:
        """Too many instances: keep per-instance totals only (see the module documentation)."""
        self._instance_series = False
        self._tables["instance_metrics"].clear()
        for acc in self._instances.values():
            if acc.hist is not acc.service.hist:
                acc.service.hist.merge(acc.hist)
                acc.hist = acc.service.hist
            acc.total_hist = None

    def _take_station(self, acc: _InstanceAcc, now: float) -> None:
        station = getattr(acc.instance, "station", None)
        if station is None:
            return
        stats = station.statistics()
        acc.prev_busy = float(stats.busy_time)
        acc.prev_queue = float(stats.queue_time)
        acc.prev_rejected = int(stats.rejected)
        acc.last_time = now
        acc.station = station

    def _add_edge(self, source: Any, target: Any) -> _EdgeAcc:
        names = (
            str(getattr(source, "name", source)),
            NO_TARGET if target is None else str(getattr(target, "name", target)),
        )
        edge = self._edges.get(names)
        if edge is None:
            edge = self._edges[names] = _EdgeAcc(*names)
            self._dirty = True
        self._edge_index.setdefault(source, {})[target] = edge
        return edge

    def _failed(self, where: str) -> None:
        self.failures += 1
        if self.failures == 1:
            log.exception(
                "metrics: %s failed; the run goes on (further failures are counted)", where
            )

    def _sort(self) -> None:
        self._sorted_services = sorted(self._services.values(), key=lambda s: s.name)
        self._sorted_instances = sorted(
            self._instances.values(), key=lambda a: (a.service.name, a.name, a.order)
        )
        self._sorted_edges = sorted(self._edges.values(), key=lambda e: (e.source, e.target))
        self._dirty = False

    # -- sampling ----------------------------------------------------------------------------
    def sample(self, now: float) -> None:
        """Close the interval ending at ``now``: gauges from stations, one row per series."""
        try:
            self._sample(float(now))
        except Exception:
            self._failed("sample")

    def _sample(self, now: float) -> None:
        dt = now - self.last_time
        if not dt > 0:
            return
        if self._dirty:
            self._sort()
        series = self._instance_series
        instance_rows = self._tables["instance_metrics"]
        for svc in self._sorted_services:
            svc.busy = svc.capacity = svc.queue_area = 0.0
            svc.in_flight = svc.rejected = svc.stations = 0
        for acc in self._sorted_instances:
            svc = acc.service
            utilization, queue_mean, in_flight, rejected = self._read_station(acc, now)
            acc.last_time = now
            count, errors, wait = acc.count, acc.errors, acc.wait
            acc.total_count += count
            acc.total_errors += errors
            acc.total_wait += wait
            acc.total_latency += acc.latency
            acc.count = acc.errors = 0
            acc.wait = acc.latency = 0.0
            svc.count += count
            svc.errors += errors
            svc.wait += wait
            if series:
                hist = acc.hist
                instance_rows.append(
                    (
                        now,
                        svc.name,
                        acc.name,
                        acc.region,
                        acc.zone,
                        count,
                        errors,
                        count / dt,
                        *_latency_figures(hist),
                        utilization,
                        queue_mean,
                        in_flight,
                        rejected,
                        _ratio(wait, count),
                    )
                )
                if hist.count:
                    svc.hist.merge(hist)
                    if acc.total_hist is not None:
                        acc.total_hist.merge(hist)
                    hist.reset()
        service_rows = self._tables["service_metrics"]
        for svc in self._sorted_services:
            count, errors, wait = svc.count, svc.errors, svc.wait
            utilization = _ratio(svc.busy, svc.capacity) if svc.stations else None
            queue_mean = svc.queue_area / dt if svc.stations else None
            svc.last_utilization = utilization
            svc.last_queue_mean = queue_mean
            service_rows.append(
                (
                    now,
                    svc.name,
                    count,
                    errors,
                    count / dt,
                    *_latency_figures(svc.hist),
                    utilization,
                    queue_mean,
                    svc.in_flight,
                    svc.rejected,
                    _ratio(wait, count),
                )
            )
            svc.total_count += count
            svc.total_errors += errors
            svc.total_wait += wait
            svc.total_busy += svc.busy
            svc.total_capacity += svc.capacity
            svc.total_queue_area += svc.queue_area
            svc.total_rejected += svc.rejected
            svc.count = svc.errors = 0
            svc.wait = 0.0
            if svc.hist.count:
                svc.total_hist.merge(svc.hist)
                svc.hist.reset()
        edge_rows = self._tables["edge_metrics"]
        for edge in self._sorted_edges:
            count, errors = edge.count, edge.errors
            edge_rows.append(
                (
                    now,
                    edge.source,
                    edge.target,
                    count,
                    errors,
                    count / dt,
                    *_latency_figures(edge.hist),
                )
            )
            edge.total_count += count
            edge.total_errors += errors
            edge.count = edge.errors = 0
            if edge.hist.count:
                edge.total_hist.merge(edge.hist)
                edge.hist.reset()
        self.last_time = now
        self.intervals += 1

    def _read_station(
        self, acc: _InstanceAcc, now: float
    ) -> tuple[float | None, float | None, int, int]:
        """utilization, mean queue length, in-flight and rejections of ``acc`` since last time."""
        station = acc.station
        if station is None:
            try:
                self._take_station(acc, now)  # a station may appear after the instance
            except Exception:
                self._failed("station")
            return None, None, 0, 0
        try:
            stats = station.statistics()
            busy_time = float(stats.busy_time)
            queue_time = float(stats.queue_time)
            rejected_total = int(stats.rejected)
            threads = int(stats.threads)
            in_flight = int(stats.in_flight)
        except Exception:
            self._failed("station")
            return None, None, 0, 0
        elapsed = now - acc.last_time
        busy = busy_time - acc.prev_busy
        queue_area = queue_time - acc.prev_queue
        rejected = rejected_total - acc.prev_rejected
        if threads >= UNBOUNDED:
            # no limit on cores (a load balancer, the DNS): utilization has no meaning
            busy = capacity = 0.0
        else:
            capacity = threads * elapsed
        acc.prev_busy, acc.prev_queue, acc.prev_rejected = busy_time, queue_time, rejected_total
        utilization = _ratio(busy, capacity)
        queue_mean = _ratio(queue_area, elapsed)
        acc.total_busy += busy
        acc.total_capacity += capacity
        acc.total_queue_area += queue_area
        acc.total_time += elapsed
        acc.total_rejected += rejected
        acc.last_utilization = utilization
        acc.last_queue_mean = queue_mean
        acc.in_flight = in_flight
        svc = acc.service
        svc.busy += busy
        svc.capacity += capacity
        svc.queue_area += queue_area
        svc.in_flight += in_flight
        svc.rejected += rejected
        svc.stations += 1
        return utilization, queue_mean, in_flight, rejected

    # -- reading -----------------------------------------------------------------------------
    def statistics(self) -> MetricsStatistics:
        """A frozen snapshot: totals over the closed intervals (see :meth:`finish`)."""
        if self._dirty:
            self._sort()
        duration = self.last_time - self.start_time
        services = tuple(
            ServiceTotals(
                service=svc.name,
                instances=svc.instances,
                count=svc.total_count,
                errors=svc.total_errors,
                throughput=_ratio(svc.total_count, duration),
                utilization=_ratio(svc.total_busy, svc.total_capacity),
                queue_mean=_ratio(svc.total_queue_area, duration)
                if svc.total_capacity > 0
                else None,
                rejected=svc.total_rejected,
                queue_wait_mean=_ratio(svc.total_wait, svc.total_count),
                last_utilization=svc.last_utilization,
                last_queue_mean=svc.last_queue_mean,
                in_flight=svc.in_flight,
                latency=svc.total_hist.snapshot(),
            )
            for svc in self._sorted_services
        )
        too_many = len(self._instances) > INSTANCE_TOTALS_LIMIT
        instances = (
            ()
            if too_many
            else tuple(
                InstanceTotals(
                    instance=acc.name,
                    full_name=acc.full_name,
                    service=acc.service.name,
                    region=acc.region,
                    zone=acc.zone,
                    count=acc.total_count,
                    errors=acc.total_errors,
                    throughput=_ratio(acc.total_count, duration),
                    utilization=_ratio(acc.total_busy, acc.total_capacity),
                    queue_mean=_ratio(acc.total_queue_area, acc.total_time),
                    rejected=acc.total_rejected,
                    queue_wait_mean=_ratio(acc.total_wait, acc.total_count),
                    latency_mean=_ratio(acc.total_latency, acc.total_count),
                    last_utilization=acc.last_utilization,
                    last_queue_mean=acc.last_queue_mean,
                    in_flight=acc.in_flight,
                    has_station=acc.station is not None,
                    latency=None if acc.total_hist is None else acc.total_hist.snapshot(),
                )
                for acc in self._sorted_instances
            )
        )
        edges = tuple(
            EdgeTotals(
                source=edge.source,
                target=edge.target,
                count=edge.total_count,
                errors=edge.total_errors,
                throughput=_ratio(edge.total_count, duration),
                latency=edge.total_hist.snapshot(),
            )
            for edge in self._sorted_edges
        )
        return MetricsStatistics(
            start=self.start_time,
            end=self.last_time,
            interval=self.interval,
            intervals=self.intervals,
            server_spans=self.server_spans,
            client_spans=self.client_spans,
            failures=self.failures,
            instance_limit=self.instance_limit,
            instance_series=self._instance_series,
            services=services,
            instances=instances,
            edges=edges,
        )

    def tables(self) -> dict[str, dict[str, list[Any]]]:
        """Every table, column-oriented (column name -> list); see :data:`TABLE_SCHEMAS`.

        ``service_metrics``, ``instance_metrics`` and ``edge_metrics`` hold one row per interval
        and series; ``totals`` (per service), ``instance_totals`` and ``edge_totals`` one row per
        series over the run. Undefined figures are None.
        """
        out = {name: table.to_dict() for name, table in self._tables.items()}
        out.update(totals_tables(self.statistics()))
        return {name: out[name] for name in TABLE_SCHEMAS}


def totals_tables(stats: MetricsStatistics) -> dict[str, dict[str, list[Any]]]:
    """The ``totals``, ``instance_totals`` and ``edge_totals`` tables of a snapshot."""
    tables: dict[str, _Table] = {
        name: _Table(TABLE_SCHEMAS[name]) for name in ("totals", "instance_totals", "edge_totals")
    }
    for svc in stats.services:
        tables["totals"].append(
            (
                svc.service,
                svc.instances,
                svc.count,
                svc.errors,
                svc.error_rate,
                svc.throughput,
                svc.utilization,
                svc.queue_mean,
                svc.rejected,
                *_latency_figures(svc.latency),
                svc.queue_wait_mean,
            )
        )
    for inst in stats.instances:
        figures = _latency_figures(inst.latency)
        if inst.latency is None:
            figures[0] = inst.latency_mean
        tables["instance_totals"].append(
            (
                inst.service,
                inst.instance,
                inst.region,
                inst.zone,
                inst.count,
                inst.errors,
                inst.throughput,
                inst.utilization,
                inst.queue_mean,
                inst.rejected,
                *figures,
                inst.queue_wait_mean,
            )
        )
    for edge in stats.edges:
        tables["edge_totals"].append(
            (
                edge.source,
                edge.target,
                edge.count,
                edge.errors,
                edge.error_rate,
                edge.throughput,
                *_latency_figures(edge.latency),
            )
        )
    return {name: table.to_dict() for name, table in tables.items()}
