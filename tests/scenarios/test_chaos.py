"""Chaos Monkey as spigo does it: the victim service loses one instance at half the run.

Independent truth: the kill time is d/2; clients forget the victim at their next registry poll
(a multiple of -u); the forgotten edges are exactly the edges into the victim that were written
before; only the victim's own zone's zuul instances (same-zone routing) had edges to it.
"""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import monkeyhouse
from monkeyhouse.behaviours.messages import GET, Message
from monkeyhouse.behaviours.spans import CLIENT, SERVER, Span
from monkeyhouse.cli.main import main
from monkeyhouse.errors import UsageError
from monkeyhouse.model import load_architecture
from monkeyhouse.model.architecture import Architecture
from monkeyhouse.model.chaosaction import ChaosAction
from monkeyhouse.scenarios.simulation import RunOptions, Simulation
from monkeyhouse.telemetry.timestamps import EPOCH
from monkeyhouse.topology.faults import INJECTED_ERROR, Partition, Side
from monkeyhouse.topology.instances import Instance


def seconds(stamp: str) -> float:
    text = stamp.rstrip("Z")
    whole, _, fraction = text.partition(".")
    moment = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return (moment - EPOCH).total_seconds() + (float("0." + fraction) if fraction else 0.0)


def test_victim_dies_at_half_time_and_is_forgotten_at_the_next_poll(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["run", "-a", "netflixoss", "-d", "10", "-u", "3s", "--out", str(out), "-q"]) == 0
    graph = json.loads((out / "graph.json").read_text())["graph"]
    manifest = json.loads((out / "run.json").read_text())
    victims = manifest["summary"]["chaos_victims"]
    assert len(victims) == 1
    victim = victims[0]
    assert victim.split(".")[3].rstrip("0123456789") == "homepage"
    dones = [e for e in graph if e.get("done") == victim]
    assert [seconds(e["timestamp"]) for e in dones] == [5.0]
    edges_in = {e["edge"]: e for e in graph if "edge" in e and e["target"] == victim}
    forgets = [e for e in graph if "forget" in e]
    assert forgets, "clients must forget the dead instance"
    assert {f["forget"] for f in forgets} == set(edges_in)
    for forget in forgets:
        edge = edges_in[forget["forget"]]
        assert (forget["source"], forget["target"]) == (edge["source"], edge["target"])
        assert seconds(forget["timestamp"]) == 6.0  # polls at 3, 6, 9 s
        # zuul routes within its zone only
        assert forget["source"].split(".")[2] == victim.split(".")[2]


def test_zero_duration_has_no_chaos(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["run", "-a", "netflixoss", "-d", "0", "--out", str(out), "-q"]) == 0
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["summary"]["chaos_victims"] == []


# -- the chaos API on Simulation ------------------------------------------------------------
#
# Independent truth: counts and roundings worked out by hand from the catalog's instance counts
# (netflixoss: 24 homepage instances in one region, 8 in each zone), end-to-end times of a
# chain with fixed service times and latencies (see tests/behaviours/test_request_flow.py),
# the binomial distribution for injected errors, and message timings worked out per hop.


class NodeSink:
    """A graph sink that keeps the node and done entries."""

    def __init__(self) -> None:
        self.nodes: list[tuple[str, float]] = []
        self.dones: list[tuple[str, float]] = []

    def node(self, name: str, package: str, timestamp: str, address: str) -> None:
        self.nodes.append((name, seconds(timestamp)))

    def edge(self, ident: int, source: str, target: str, timestamp: str) -> None:
        pass

    def forget(self, ident: int, source: str, target: str, timestamp: str) -> None:
        pass

    def done(self, name: str, timestamp: str) -> None:
        self.dones.append((name, seconds(timestamp)))


def started(
    arch: Architecture | str = "netflixoss",
    *,
    duration: float = 10.0,
    spans: list[Span] | None = None,
    sinks: list[Any] | None = None,
    **options: Any,
) -> Simulation:
    model = monkeyhouse.load(arch) if isinstance(arch, str) else arch
    sim = Simulation(
        model,
        RunOptions(duration=duration, chaos=False, **options),
        sinks,
        span_observers=[spans.append] if spans is not None else None,
    )
    sim.start()
    return sim


def alive(sim: Simulation, service: str) -> list[Instance]:
    return [i for i in sim.instances if i.service.name == service and i.alive]


@pytest.mark.parametrize(
    ("count", "share", "killed"),
    [
        (None, None, 1),  # the default: one
        (5, None, 5),
        (0, None, 0),
        (100, None, 24),  # no more than are alive
        (None, 0.1, 3),  # 2.4 rounds up
        (None, 0.25, 6),  # exactly 6: no rounding up of 6.000...
        (None, 0.01, 1),  # 0.24 rounds up to 1
        (None, 1.0, 24),
        (None, 0.0, 0),
    ],
)
def test_chaos_monkey_kills_a_count_or_a_share_rounded_up(
    count: int | None, share: float | None, killed: int
) -> None:
    sim = started()
    sim.advance(1.0)
    names = sim.kill_instances("homepage", count=count, share=share)
    assert len(names) == len(set(names)) == killed
    assert len(alive(sim, "homepage")) == 24 - killed
    assert all(n.split(".")[3].startswith("homepage") for n in names)
    assert [r.detail for r in sim.chaos_log] == [f"killed {n}" for n in names] or not names
    assert all(r.time == 1.0 and r.action == "chaos-monkey" for r in sim.chaos_log)


def test_a_replacement_starts_after_the_delay_with_a_new_name_and_a_graph_node() -> None:
    sink = NodeSink()
    sim = started(sinks=[sink])
    sim.advance(1.0)
    [victim] = sim.kill_instances("homepage", replace_after=2.5)
    dead = next(i for i in sim.instances if i.name == victim)
    sim.advance(3.49)
    assert len(alive(sim, "homepage")) == 23
    sim.advance(3.5)
    assert len(alive(sim, "homepage")) == 24
    new = sim.instances[-1]
    # numbers 00..23 are taken: the replacement is number 24, in the victim's place
    assert new.label == "homepage24"
    assert (new.region, new.zone) == (dead.region, dead.zone)
    assert new.name == f"netflixoss.{dead.region}.{dead.zone}.homepage24"
    assert new.address not in {i.address for i in sim.instances[:-1]}
    assert sink.nodes[-1] == (new.name, 3.5)
    assert (victim, 1.0) in sink.dones
    assert sim.chaos_log[-1].time == 3.5
    assert sim.chaos_log[-1].action == "replace"
    sim.finish()


def test_a_replacement_gets_traffic_after_the_next_poll() -> None:
    spans: list[Span] = []
    # unprotected: zuul's breakers (package defaults) would hold traffic back; see below
    sim = started(spans=spans, rate=400, duration=6.0, resilience=False)
    sim.advance(1.0)
    sim.kill_instances("homepage", count=24, replace_after=0.5)
    sim.advance(6.0)
    sim.finish()
    served = [s for s in spans if s.kind == SERVER and s.instance.service.name == "homepage"]
    new = [s for s in served if s.instance.label >= "homepage24"]
    assert new, "the replacements serve requests"
    # zuul clients see them at their first poll after 1.5 s: at 2 s
    assert min(s.start for s in new) >= 2.0
    assert {s.instance.label for s in new} == {f"homepage{n}" for n in range(24, 48)}


def test_open_breakers_hold_traffic_back_from_replacements_until_a_trial() -> None:
    # with the package defaults, every homepage gone at 1 s opens zuul's Hystrix breakers at
    # a health snapshot by 2 s; they let a trial through only 5 s later (after 6.5 s at the
    # earliest), whatever the replacements that came back at 2 s
    spans: list[Span] = []
    sim = started(spans=spans, rate=400, duration=10.0)
    sim.advance(1.0)
    sim.kill_instances("homepage", count=24, replace_after=0.5)
    sim.advance(10.0)
    sim.finish()
    served = [s for s in spans if s.kind == SERVER and s.instance.service.name == "homepage"]
    new = [s for s in served if s.instance.label >= "homepage24"]
    assert new
    assert min(s.start for s in new) > 6.5


def test_chaos_monkey_on_a_schedule() -> None:
    arch = monkeyhouse.load("netflixoss")
    action = ChaosAction("chaos-monkey", ("login",), at=2.0, every=1.5, until=6.0, count=2)
    sim = Simulation(arch, RunOptions(duration=10, chaos=False), chaos=[action])
    sim.run()
    kills = [r for r in sim.chaos_log if r.action == "chaos-monkey"]
    # at 2, 3.5 and 5 s (6.5 is after until), two each
    assert [r.time for r in kills] == [2.0, 2.0, 3.5, 3.5, 5.0, 5.0]
    assert len(sim.summary(0).chaos_victims) == 6


CHAIN = """
arch: chain
network: {same_zone: 0.001, cross_zone: 0.002, bandwidth: 1.25e+9}
traffic: {pattern: constant, rate: RATE, mix: {get: 1}}
services:
  - {name: db, package: store, count: 1, regions: 1, service_time: 0.004}
  - {name: db2, package: store, count: 1, regions: 1, service_time: 0.006}
  - {name: app, package: karyon, count: 1, regions: 1, service_time: 0.003, dependencies: [DEPS]}
  - {name: web, package: zuul, count: 1, regions: 1, service_time: 0.002, dependencies: [app]}
  - {name: lb, package: elb, count: 0, regions: 1, service_time: 0, dependencies: [web]}
  - {name: www, package: denominator, count: 0, regions: 0, dependencies: [lb]}
"""


def chain(tmp_path: Path, deps: str, rate: float = 10) -> Architecture:
    path = tmp_path / "chain.yaml"
    path.write_text(CHAIN.replace("DEPS", deps).replace("RATE", str(rate)))
    return load_architecture(path)


@pytest.mark.parametrize(
    ("deps", "service", "caller", "hops"),
    [
        ("db", "db", None, 1),
        ("db", "app", None, 1),
        ("db", "db", "app", 1),  # the edge app -> db
        ("db", "db", "web", 0),  # web never calls db
        ("db, db2", "db2", None, 1),
        ("{service: db, calls: 3}", "db", None, 3),  # three calls in a row
        ("{service: db, mode: parallel}, {service: db2, mode: parallel}", "db", None, 0),
    ],
)
def test_added_latency_adds_exactly_l_per_affected_hop(
    tmp_path: Path, deps: str, service: str, caller: str | None, hops: int
) -> None:
    spans: list[Span] = []
    sim = started(chain(tmp_path, deps), spans=spans, duration=2.0)
    base: dict[str, float] = {
        "db": 0.008 + 0.009,
        "db, db2": 0.008 + 0.009 + 0.002 + 0.006,
        "{service: db, calls: 3}": 0.008 + 0.009 + 2 * (0.002 + 0.004),
        # in parallel the slower call (db2, 6 ms) decides: db's extra 50 ms makes db the
        # slower one, 4 + 50 = 54 ms instead of 6 ms
        "{service: db, mode: parallel}, {service: db2, mode: parallel}": 0.008 + 0.005 + 0.006,
    }
    latency = 0.05
    sim.add_latency(service, latency, caller=caller)
    sim.advance(2.0)
    sim.finish()
    expected = base[deps] + hops * latency
    if "parallel" in deps:
        expected = 0.008 + 0.005 + 0.004 + latency
    roots = [s for s in spans if s.kind == CLIENT and s.parent == 0]
    assert len(roots) >= 15
    for root in roots:
        assert root.duration == pytest.approx(expected, abs=1e-9)


def test_latency_ends_with_its_duration(tmp_path: Path) -> None:
    spans: list[Span] = []
    sim = started(chain(tmp_path, "db"), spans=spans, duration=3.0)
    fault = sim.add_latency("db", 0.05, duration=1.0)
    sim.advance(3.0)
    sim.finish()
    assert not fault.active and fault.ended == 1.0
    assert sim.context.faults is None
    for root in (s for s in spans if s.kind == CLIENT and s.parent == 0):
        # db gets the request 6 ms after it was sent: slowed when that is before 1 s
        slowed = root.start + 0.006 < 1.0
        assert root.duration == pytest.approx(0.017 + (0.05 if slowed else 0.0), abs=1e-9)


def test_an_error_rate_fails_that_share_of_requests(tmp_path: Path) -> None:
    spans: list[Span] = []
    sim = started(chain(tmp_path, "db", rate=250), spans=spans, duration=10.0)
    p = 0.2
    fault = sim.add_latency("db", error_rate=p)
    sim.advance(10.0)
    sim.finish()
    calls = [s for s in spans if s.kind == CLIENT and s.peer.service.name == "db"]
    failed = [s for s in calls if s.error]
    n = len(calls)
    assert n >= 2490
    # a binomial(n, p) count lies within 3.29 standard deviations of n p 99.9 % of the time
    assert abs(len(failed) - n * p) <= 3.29 * math.sqrt(n * p * (1 - p))
    assert {s.error for s in failed} == {INJECTED_ERROR}
    assert INJECTED_ERROR.startswith("503")
    # an injected error takes the round trip with no work: 2 ms instead of 2 + 4 ms
    assert all(s.duration == pytest.approx(0.002, abs=1e-9) for s in failed)
    assert fault.statistics()["errors"] == len(failed)
    roots = [s for s in spans if s.kind == CLIENT and s.parent == 0]
    assert sum(1 for s in roots if s.error) == len(failed)


def test_a_dark_zone_has_every_instance_dead_and_nothing_else() -> None:
    sim = started()
    sim.advance(2.0)
    before = {i.name for i in sim.instances if i.alive}
    fault = sim.fail_zone("us-east-1", "zoneB", restore_after=3.0)
    in_zone = {i.name for i in sim.instances if i.zone == "zoneB"}
    # netflixoss: 6 + 3 + 6 + 18 + 24 + 6 instances, a third of each in zoneB
    assert len(in_zone) == (6 + 3 + 6 + 18 + 24 + 6) // 3 == 21
    assert {i.name for i in sim.instances if i.alive} == before - in_zone
    assert {i.name for i in fault.killed} == in_zone
    assert sim.chaos_log[-1].detail == "21 instances went dark"
    sim.advance(4.99)
    assert not any(i.alive for i in sim.instances if i.zone == "zoneB")
    sim.advance(5.0)
    back = [i for i in sim.instances if i.zone == "zoneB" and i.alive]
    assert len(back) == 21 and not fault.active
    assert {i.service.name for i in back} == {i.service.name for i in fault.killed}
    assert not {i.name for i in back} & in_zone  # new names
    sim.finish()


def test_killed_hosts_leave_the_registry_when_their_lease_expires() -> None:
    sim = started(duration=100.0, poll=1.0)
    sim.advance(1.0)
    sim.fail_zone("us-east-1", "zoneA")
    view = next(v for v in sim.discovery.views() if v.dependency.name == "subscriber")
    sim.advance(90.5)
    assert any(t.zone == "zoneA" for t in view.live)  # the lease runs until 91 s
    sim.advance(92.0)
    assert not any(t.zone == "zoneA" for t in view.live)


PARTITIONED = """
arch: split
network: {same_zone: 0.001, cross_zone: 0.002}
traffic: {pattern: constant, rate: 100, mix: {get: 1}}
services:
  - {name: db, package: store, count: 2, regions: 1, service_time: 0.002}
  - {name: app, package: store, dispatch: route, count: 1, regions: 1, service_time: 0.001,
     dependencies: [db]}
  - {name: lb, package: elb, count: 0, regions: 1, service_time: 0, dependencies: [app]}
  - {name: www, package: denominator, count: 0, regions: 0, dependencies: [lb]}
"""


def test_a_partition_loses_exactly_the_messages_between_its_sides(tmp_path: Path) -> None:
    """app (zoneA) routes each request to db00 (zoneA) or db01 (zoneB).

    A request sent at t reaches app at t + 2 ms, leaves it at t + 3 ms, reaches db01 at
    t + 5 ms and its answer is back at t + 9 ms: with requests every 10 ms, nothing crosses the
    zones at a whole second, so a partition from 1 s to 2 s loses exactly the requests to db01
    of the 100 sent from 1.00 to 1.99 s, and nothing else.
    """
    path = tmp_path / "split.yaml"
    path.write_text(PARTITIONED)
    delivered: list[tuple[float, str, str]] = []

    def observe(message: Message, now: float) -> None:
        if message.kind == GET:
            delivered.append((now, message.target.service.name, message.target.zone))

    sim = Simulation(
        load_architecture(path), RunOptions(duration=3.0, chaos=False), observers=[observe]
    )
    sim.start()
    sim.advance(1.0)
    fault = sim.partition("us-east-1/zoneA", "us-east-1/zoneB")
    sim.advance(2.0)
    sim.remove_fault(fault)
    sim.advance(3.0)
    sim.finish()
    # requests sent from 1.00 s to 1.99 s reach app 2 ms later and db 4 (zoneA) or 5 ms later
    at_app = [d for d in delivered if d[1] == "app" and 1.001 <= d[0] < 2.001]
    assert len(at_app) == 100
    at_db = [d for d in delivered if d[1] == "db" and 1.001 <= d[0] < 2.001]
    assert all(zone == "zoneA" for _, _, zone in at_db)  # nothing reached zoneB
    lost = len(at_app) - len(at_db)
    assert 25 <= lost <= 75  # about half go to each db
    assert fault.statistics()["lost"] == lost == sim.context.partitioned
    assert any(d[1] == "db" and d[2] == "zoneB" and d[0] >= 2.0 for d in delivered)


def test_a_partition_cuts_both_ways_and_only_across() -> None:
    sim = started(regions=2)
    east_a, east_b, west_a = (
        next(i for i in sim.instances if (i.region, i.zone) == place)
        for place in (("us-east-1", "zoneA"), ("us-east-1", "zoneB"), ("us-west-2", "zoneA"))
    )
    dns = next(i for i in sim.instances if i.region == "*")
    elb = next(i for i in sim.instances if i.region == "us-east-1" and i.zone == "*")
    zones = Partition(Side("us-east-1", "zoneA"), Side("us-east-1", "zoneB"))
    assert zones.splits(east_a, east_b) and zones.splits(east_b, east_a)
    assert not zones.splits(east_a, west_a) and not zones.splits(elb, east_b)
    assert not zones.splits(dns, east_a)
    regions = Partition(Side("us-east-1"), Side("us-west-2"))
    assert regions.splits(west_a, east_b) and regions.splits(elb, west_a)
    assert not regions.splits(dns, west_a) and not regions.splits(east_a, east_b)


def test_chaos_kong_moves_dns_traffic_after_exactly_the_failover_delay() -> None:
    spans: list[Span] = []
    sim = started(spans=spans, regions=2, rate=500, duration=8.0)
    sim.advance(3.0)
    fault = sim.fail_region("us-west-2", dns_failover=2.0)
    assert {i.region for i in fault.killed} == {"us-west-2"}
    assert not any(i.alive for i in sim.instances if i.region == "us-west-2")
    sim.advance(8.0)
    sim.finish()
    roots = [s for s in spans if s.kind == CLIENT and s.parent == 0]
    west = [s for s in roots if s.peer.region == "us-west-2"]
    # before the outage both regions take traffic; from 3 s to 5 s the dark front door
    # refuses its share; from 5 s DNS sends everything to us-east-1
    assert any(s.start < 3.0 for s in west)
    dark = [s for s in west if s.start >= 3.0]
    assert dark and all(s.error.startswith("502 connection refused") for s in dark)
    assert 4.99 <= max(s.start for s in west) < 5.0
    after = [s for s in roots if s.start >= 5.0]
    # 500 requests a second from 5 s; those sent in the last few ms are still on their way
    assert len(after) > 500 * 2.9 and all(s.peer.region == "us-east-1" for s in after)
    assert [r.action for r in sim.chaos_log] == ["chaos-kong", "dns-failover"]
    assert sim.chaos_log[1].time == 5.0


def test_unknown_targets_name_the_known_ones() -> None:
    sim = started()
    with pytest.raises(UsageError, match=r"unknown service 'cart' \(known: cassSubscriber, "):
        sim.kill_instances("cart")
    with pytest.raises(UsageError, match=r"unknown service 'cart'"):
        sim.add_latency("homepage", 0.1, caller="cart")
    with pytest.raises(UsageError, match=r"unknown region 'mars-1' .*known: us-east-1"):
        sim.fail_region("mars-1")
    with pytest.raises(UsageError, match=r"unknown zone 'zoneQ' .*zoneA, zoneB, zoneC"):
        sim.fail_zone("us-east-1", "zoneQ")
    with pytest.raises(UsageError, match="overlap"):
        sim.partition("us-east-1", "us-east-1/zoneA")
    with pytest.raises(UsageError, match="not both"):
        sim.kill_instances("homepage", count=1, share=0.5)
    with pytest.raises(UsageError, match="between 0 and 1"):
        sim.add_latency("homepage", error_rate=2)
    fresh = Simulation(monkeyhouse.load("netflixoss"), RunOptions())
    with pytest.raises(UsageError, match=r"call start\(\) first"):
        fresh.kill_instances("homepage")


def test_chaos_log_records_are_frozen_and_in_time_order() -> None:
    sim = started()
    sim.advance(1.0)
    latency = sim.add_latency("login", 0.01, duration=2.0)
    sim.advance(2.0)
    sim.kill_instances("homepage")
    sim.advance(4.0)
    sim.finish()
    log = sim.chaos_log
    assert [r.time for r in log] == sorted(r.time for r in log) == [1.0, 2.0, 3.0]
    assert [r.action for r in log] == ["latency-monkey", "chaos-monkey", "latency-monkey"]
    assert log[2].target == "login" and not latency.active
    with pytest.raises(dataclasses.FrozenInstanceError):
        log[0].time = 5.0  # type: ignore[misc]


def test_a_replacement_due_in_a_dark_zone_waits_for_the_zone() -> None:
    sim = started()
    sim.advance(1.0)
    victims = set(sim.kill_instances("homepage", count=24, replace_after=2.0))
    in_c = {n for n in victims if ".zoneC." in n}
    assert len(in_c) == 8
    zone = sim.fail_zone("us-east-1", "zoneC", restore_after=4.0)  # dark from 1 s to 5 s
    assert not zone.killed or all(i.service.name != "homepage" for i in zone.killed)
    sim.advance(3.0)
    assert len(alive(sim, "homepage")) == 16  # zones A and B only
    sim.advance(5.0)
    homepages = alive(sim, "homepage")
    assert len(homepages) == 24
    assert sum(1 for i in homepages if i.zone == "zoneC") == 8
    assert {i.name for i in zone.deferred} == in_c
    sim.finish()


def test_kill_instance_kills_that_one_and_logs_it_as_chaos_monkey() -> None:
    sim = started()
    sim.advance(1.0)
    target = "netflixoss.us-east-1.zoneB.homepage04"
    assert sim.kill_instance(target) == target
    assert target not in {i.name for i in alive(sim, "homepage")}
    assert len(alive(sim, "homepage")) == 23
    [record] = sim.chaos_log
    assert (record.time, record.action, record.target) == (1.0, "chaos-monkey", "homepage")
    assert record.detail == f"killed {target}"
    with pytest.raises(UsageError, match="no longer alive.*live instances: netflixoss"):
        sim.kill_instance(target)
    with pytest.raises(UsageError, match="unknown instance 'nobody'"):
        sim.kill_instance("nobody")
    sim.finish()


def test_kill_instance_with_a_replacement() -> None:
    sim = started()
    sim.advance(1.0)
    sim.kill_instance("netflixoss.us-east-1.zoneA.login00", replace_after=1.0)
    sim.advance(2.5)
    assert len(alive(sim, "login")) == 18
    assert sim.chaos_log[-1].action == "replace"
    sim.finish()
