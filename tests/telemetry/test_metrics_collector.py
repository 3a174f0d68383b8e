"""The metrics collector on hand-built spans and stations with known figures.

Expected values are computed here by hand or with numpy (percentiles), never by the collector.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from metrics_fakes import FakeInstance, FakeService, FakeStation, client, server
from monkeyhouse.behaviours.spans import REJECTED
from monkeyhouse.engine import Environment
from monkeyhouse.patterns.queueing import Station
from monkeyhouse.telemetry.metrics import NO_TARGET, TABLE_SCHEMAS, MetricsCollector

LATENCY = ("p50", "p90", "p99", "p999", "p9999")
QS = (50, 90, 99, 99.9, 99.99)


def close(a: float | None, b: float, rel: float = 1e-3) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def rows(table: dict[str, list[Any]], **where: Any) -> list[dict[str, Any]]:
    names = list(table)
    out = []
    for values in zip(*table.values(), strict=True):
        row = dict(zip(names, values, strict=True))
        if all(row[k] == v for k, v in where.items()):
            out.append(row)
    return out


def one(table: dict[str, list[Any]], **where: Any) -> dict[str, Any]:
    found = rows(table, **where)
    assert len(found) == 1, (where, found)
    return found[0]


def check_latency(row: dict[str, Any], durations: list[float]) -> None:
    assert close(row["latency_mean"], float(np.mean(durations)), 1e-9)
    assert row["max"] == pytest.approx(max(durations), rel=1e-12)
    for name, ref in zip(LATENCY, np.percentile(durations, QS), strict=True):
        assert close(row[name], float(ref)), (name, row[name], ref)


class World:
    """api (2 instances, 4 threads each), db (1 instance, 2 threads), cache (no station)."""

    def __init__(self, limit: int = 2000) -> None:
        self.env = Environment()
        api, db, cache = FakeService("api"), FakeService("db"), FakeService("cache")
        self.api0 = FakeInstance("api0", api, zone="zoneA", station=FakeStation(4))
        self.api1 = FakeInstance("api1", api, zone="zoneB", station=FakeStation(4))
        self.db0 = FakeInstance("db0", db, zone="zoneA", station=FakeStation(2))
        self.cache0 = FakeInstance("cache0", cache, zone="zoneC")
        self.metrics = MetricsCollector(self.env, interval=1.0, instance_limit=limit)
        self.metrics.attach([self.api0, self.api1, self.db0, self.cache0])

    def station(self, instance: FakeInstance) -> FakeStation:
        assert instance.station is not None
        return instance.station

    def play(self) -> None:
        """Two intervals of known spans and station integrals."""
        m = self.metrics
        # interval (0, 1]
        for d in (0.010, 0.020, 0.030, 0.040):
            m.on_span(server(self.api0, 0.1, d, queued=d / 10))
        m.on_span(server(self.api0, 0.2, 0.400, error=REJECTED))
        m.on_span(server(self.api1, 0.3, 0.050))
        m.on_span(server(self.db0, 0.1, 0.005))
        m.on_span(server(self.db0, 0.2, 0.007, error="500 boom"))
        m.on_span(client(self.api0, self.db0, 0.1, 0.006))
        m.on_span(client(self.api1, self.db0, 0.2, 0.009, error="502 dependency failed"))
        m.on_span(client(self.api0, None, 0.2, 0.001, error="502 no route to a dependency"))
        s = self.station
        s(self.api0).busy_time, s(self.api0).queue_time, s(self.api0).rejected = 2.0, 0.5, 3
        s(self.api1).busy_time = 1.0
        s(self.db0).busy_time, s(self.db0).queue_time = 0.2, 0.1
        s(self.api0).busy, s(self.api0).queued = 3, 2
        m.sample(1.0)
        # interval (1, 2]: only api1 and an edge
        for d in (0.1, 0.2):
            m.on_span(server(self.api1, 1.1, d))
        m.on_span(client(self.api1, self.db0, 1.2, 0.011))
        s(self.api0).busy_time = 2.0 + 4.0  # fully busy
        s(self.api0).busy, s(self.api0).queued = 0, 0
        s(self.api1).busy_time = 1.0 + 0.4
        m.sample(2.0)


def test_interval_rows_per_service() -> None:
    world = World()
    world.play()
    table = world.metrics.tables()["service_metrics"]
    assert table["time"] == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
    assert table["service"] == ["api", "cache", "db"] * 2  # sorted, zeros when idle
    api1 = one(table, time=1.0, service="api")
    assert (api1["count"], api1["errors"], api1["throughput"]) == (6, 1, 6.0)
    check_latency(api1, [0.010, 0.020, 0.030, 0.040, 0.400, 0.050])
    assert api1["utilization"] == pytest.approx((2.0 + 1.0) / (4 * 1.0 + 4 * 1.0))
    assert api1["queue_mean"] == pytest.approx(0.5)
    assert (api1["in_flight"], api1["rejected"]) == (5, 3)
    assert api1["queue_wait_mean"] == pytest.approx((0.001 + 0.002 + 0.003 + 0.004) / 6)
    api2 = one(table, time=2.0, service="api")
    assert (api2["count"], api2["errors"], api2["throughput"]) == (2, 0, 2.0)
    check_latency(api2, [0.1, 0.2])
    assert api2["utilization"] == pytest.approx((4.0 + 0.4) / 8.0)
    assert (api2["queue_mean"], api2["in_flight"], api2["rejected"]) == (0.0, 0, 0)
    db1 = one(table, time=1.0, service="db")
    assert (db1["count"], db1["errors"]) == (2, 1)
    check_latency(db1, [0.005, 0.007])
    assert db1["utilization"] == pytest.approx(0.2 / 2.0)
    assert db1["queue_mean"] == pytest.approx(0.1)
    db2 = one(table, time=2.0, service="db")
    assert db2["count"] == 0 and db2["utilization"] == 0.0
    assert all(db2[name] is None for name in ("latency_mean", *LATENCY, "max"))
    cache = one(table, time=1.0, service="cache")
    assert cache["count"] == 0 and cache["utilization"] is None and cache["queue_mean"] is None


def test_interval_rows_per_instance() -> None:
    world = World()
    world.play()
    table = world.metrics.tables()["instance_metrics"]
    assert len(table["time"]) == 8
    assert table["instance"][:4] == ["api0", "api1", "cache0", "db0"]
    a0 = one(table, time=1.0, instance="api0")
    assert (a0["service"], a0["region"], a0["zone"]) == ("api", "us-east-1", "zoneA")
    assert (a0["count"], a0["errors"], a0["rejected"], a0["in_flight"]) == (5, 1, 3, 5)
    check_latency(a0, [0.010, 0.020, 0.030, 0.040, 0.400])
    assert a0["utilization"] == pytest.approx(0.5)
    assert one(table, time=2.0, instance="api0")["utilization"] == pytest.approx(1.0)
    a1 = one(table, time=2.0, instance="api1")
    assert a1["utilization"] == pytest.approx(0.1)
    check_latency(a1, [0.1, 0.2])


def test_edges() -> None:
    world = World()
    world.play()
    tables = world.metrics.tables()
    table = tables["edge_metrics"]
    assert list(zip(table["source"], table["target"], strict=True))[:2] == [
        ("api", NO_TARGET),
        ("api", "db"),
    ]
    e1 = one(table, time=1.0, source="api", target="db")
    assert (e1["count"], e1["errors"], e1["throughput"]) == (2, 1, 2.0)
    check_latency(e1, [0.006, 0.009])
    e2 = one(table, time=2.0, source="api", target="db")
    assert (e2["count"], e2["errors"]) == (1, 0) and e2["max"] == pytest.approx(0.011)
    none = one(table, time=1.0, source="api", target=NO_TARGET)
    assert (none["count"], none["errors"]) == (1, 1)
    total = one(tables["edge_totals"], source="api", target="db")
    assert (total["count"], total["errors"], total["throughput"]) == (3, 1, 1.5)
    check_latency(total, [0.006, 0.009, 0.011])


def test_totals() -> None:
    world = World()
    world.play()
    tables = world.metrics.tables()
    api = one(tables["totals"], service="api")
    assert (api["instances"], api["count"], api["errors"], api["rejected"]) == (2, 8, 1, 3)
    assert api["error_rate"] == pytest.approx(1 / 8)
    assert api["throughput"] == pytest.approx(8 / 2.0)
    assert api["utilization"] == pytest.approx((6.0 + 1.4) / (4 * 2 + 4 * 2))
    assert api["queue_mean"] == pytest.approx(0.5 / 2)
    check_latency(api, [0.010, 0.020, 0.030, 0.040, 0.400, 0.050, 0.1, 0.2])
    db = one(tables["totals"], service="db")
    assert db["utilization"] == pytest.approx(0.2 / 4.0)
    inst = one(tables["instance_totals"], instance="api1")
    assert (inst["count"], inst["errors"]) == (3, 0)
    assert inst["utilization"] == pytest.approx(1.4 / 8.0)
    check_latency(inst, [0.050, 0.1, 0.2])
    stats = world.metrics.statistics()
    assert (stats.intervals, stats.server_spans, stats.client_spans) == (2, 10, 4)
    assert stats.duration == 2.0 and stats.failures == 0 and stats.instance_series
    assert [s.service for s in stats.services] == ["api", "cache", "db"]
    assert stats.services[0].last_utilization == pytest.approx(4.4 / 8)


def test_columns_match_the_schemas() -> None:
    world = World()
    world.play()
    tables = world.metrics.tables()
    assert list(tables) == list(TABLE_SCHEMAS)
    for name, schema in TABLE_SCHEMAS.items():
        assert list(tables[name]) == [column for column, _ in schema]
        lengths = {len(values) for values in tables[name].values()}
        assert len(lengths) == 1
        for column, kind in schema:
            for value in tables[name][column]:
                expected = {"float64": float, "int64": int, "string": str}[kind]
                assert value is None or type(value) is expected, (name, column, value)


def test_above_the_instance_limit_only_totals_per_instance() -> None:
    full, limited = World(), World(limit=3)
    full.play()
    limited.play()
    a, b = full.metrics.tables(), limited.metrics.tables()
    assert not limited.metrics.instance_series
    assert b["instance_metrics"]["time"] == []
    for name in ("service_metrics", "edge_metrics", "totals", "edge_totals"):
        assert a[name] == b[name], name
    inst = one(b["instance_totals"], instance="api0")
    assert (inst["count"], inst["errors"], inst["rejected"]) == (5, 1, 3)
    assert inst["latency_mean"] == pytest.approx(0.5 / 5)
    assert inst["p50"] is None and inst["max"] is None
    assert inst["utilization"] == pytest.approx(6.0 / 8.0)


def test_crossing_the_limit_mid_run_drops_instance_series() -> None:
    env = Environment()
    svc = FakeService("api")
    first, second = FakeInstance("api0", svc), FakeInstance("api1", svc)
    metrics = MetricsCollector(env, instance_limit=1)
    metrics.attach([first])
    metrics.on_span(server(first, 0.0, 0.1))
    metrics.sample(1.0)
    assert len(metrics.tables()["instance_metrics"]["time"]) == 1
    metrics.on_span(server(first, 1.0, 0.3))
    metrics.on_span(server(second, 1.0, 0.2))  # a new instance: two, above the limit
    metrics.sample(2.0)
    tables = metrics.tables()
    assert tables["instance_metrics"]["time"] == []
    row = one(tables["service_metrics"], time=2.0)
    assert row["count"] == 2
    check_latency(row, [0.3, 0.2])
    check_latency(one(tables["totals"]), [0.1, 0.3, 0.2])


def test_ticker_and_partial_last_interval() -> None:
    env = Environment()
    svc = FakeService("api")
    inst = FakeInstance("api0", svc, station=FakeStation(1))
    metrics = MetricsCollector(env, interval=1.0)
    metrics.attach([inst])
    metrics.start()
    for t in (0.5, 1.5, 2.5, 3.2, 3.4):
        env.schedule_at(t, lambda _: metrics.on_span(server(inst, env.now - 0.1, 0.1)))
    env.run(until=3.5)
    metrics.finish()
    table = metrics.tables()["service_metrics"]
    assert table["time"] == [1.0, 2.0, 3.0, 3.5]
    assert table["count"] == [1, 1, 1, 2]
    assert table["throughput"] == [1.0, 1.0, 1.0, pytest.approx(4.0)]
    metrics.finish()  # again: nothing new
    assert metrics.statistics().intervals == 4


def test_instance_attached_mid_interval_uses_its_own_time() -> None:
    env = Environment()
    station = FakeStation(2)
    inst = FakeInstance("api0", FakeService("api"), station=station)
    metrics = MetricsCollector(env)
    env.run(until=0.5)
    metrics.attach([inst])
    station.busy_time = 1.0  # both threads busy for the half second it existed
    metrics.sample(1.0)
    assert metrics.tables()["instance_metrics"]["utilization"] == [1.0]


def test_utilization_from_a_real_station() -> None:
    """Station integrals against a hand-computed schedule (one core)."""
    env = Environment()
    station = Station(env, threads=1, limit=None, reject=False, cores=1)
    inst = FakeInstance("db0", FakeService("db"))
    inst.station = station  # type: ignore[assignment]
    metrics = MetricsCollector(env, interval=1.0)
    metrics.attach([inst])
    metrics.start()
    # the core is busy from 0.2 to 0.8 (two jobs back to back, one waiting 0.3 s)
    env.schedule_at(0.2, lambda _: station.want_core("a"))
    env.schedule_at(0.2, lambda _: station.want_core("b"))
    env.schedule_at(0.5, lambda _: station.free_core())
    env.schedule_at(0.8, lambda _: station.free_core())
    # and from 1.5 on, still busy at the sample
    env.schedule_at(1.5, lambda _: station.want_core("c"))
    env.run(until=2.0)
    table = metrics.tables()["instance_metrics"]
    assert table["utilization"] == [pytest.approx(0.6), pytest.approx(0.5)]
    assert table["queue_mean"] == [pytest.approx(0.3), 0.0]


def test_failures_never_escape() -> None:
    world = World()
    m = world.metrics
    bad_client = client(world.api0, world.db0, 0.0, 0.1)
    bad_client.instance = None  # no .service
    m.on_span(bad_client)
    m.on_span(server(world.api0, 0.0, math.nan))  # refused before anything is counted
    world.station(world.db0).fail = True
    m.sample(1.0)
    m.sample(1.0)  # the same time again: ignored
    m.sample(math.nan)  # refused quietly
    stats = m.statistics()
    assert stats.failures == 3 and stats.intervals == 1
    assert one(m.tables()["service_metrics"], service="api")["count"] == 0
    assert one(m.tables()["service_metrics"], service="db")["utilization"] is None
    world.station(world.db0).fail = False
    m.on_span(server(world.db0, 1.0, 0.2))
    m.sample(2.0)
    assert one(m.tables()["service_metrics"], time=2.0, service="db")["count"] == 1
    with pytest.raises(ValueError):
        MetricsCollector(world.env, interval=0)


def test_same_spans_same_tables() -> None:
    a, b = World(), World()
    a.play()
    b.play()
    assert a.metrics.tables() == b.metrics.tables()
