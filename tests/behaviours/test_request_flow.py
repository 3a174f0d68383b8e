"""Requests through architectures: the path, the trace context and the time they take.

Independent truth: spigo's wiring for netflixoss (www -> www-elb -> wwwproxy -> login|homepage
-> subscriber -> cassSubscriber, since staash reads the Cassandra tier before the store tier),
Dapper's context rules, and hand-computed end-to-end times for small chains with fixed service
times, fixed latencies and payload transfer times.
"""

from __future__ import annotations

import collections
import io
from pathlib import Path

import pytest

import monkeyhouse
from monkeyhouse.behaviours.spans import CLIENT, REJECTED, SERVER, Span
from monkeyhouse.model import load_architecture
from monkeyhouse.model.resilience import unprotected
from monkeyhouse.scenarios.simulation import RunOptions, RunSummary, Simulation
from monkeyhouse.telemetry.spans import check_trace_tree


def simulate(arch: object, duration: float, seed: int = 7) -> tuple[RunSummary, list[Span]]:
    spans: list[Span] = []
    simulation = Simulation(
        arch,  # type: ignore[arg-type]
        RunOptions(duration=duration, seed=seed, chaos=False),
        span_observers=[spans.append],
    )
    return simulation.run(), spans


@pytest.fixture(scope="module")
def netflixoss() -> tuple[RunSummary, list[Span]]:
    return simulate(monkeyhouse.load("netflixoss"), 2.0)


def test_reads_follow_the_netflixoss_path(netflixoss: tuple[RunSummary, list[Span]]) -> None:
    _, spans = netflixoss
    paths: dict[int, list[Span]] = collections.defaultdict(list)
    for span in spans:
        if span.kind == SERVER and span.name == "get":
            paths[span.trace].append(span)
    assert len(paths) > 50
    for trace in paths.values():
        services = [s.instance.service.name for s in sorted(trace, key=lambda s: s.start)]
        assert services[:5] in (
            ["www-elb", "wwwproxy", "login", "subscriber", "cassSubscriber"],
            ["www-elb", "wwwproxy", "homepage", "subscriber", "cassSubscriber"],
        )
        # the Cassandra node that got the read asks the key's owner when it is not the owner;
        # an empty answer (a key not written in that zone's ring) makes staash try the store
        rest = services[5:]
        if rest[:1] == ["cassSubscriber"]:
            rest = rest[1:]
        assert rest in ([], ["evcacheSubscriber"])


def test_trace_trees_are_well_formed(netflixoss: tuple[RunSummary, list[Span]]) -> None:
    _, spans = netflixoss
    assert check_trace_tree(spans) == []
    by_id = {s.span: s for s in spans}
    for span in spans:
        if span.kind == SERVER:
            client = by_id[span.parent]  # a server span's parent is its caller's client span
            assert client.kind == CLIENT and client.trace == span.trace
            assert client.peer is span.instance and span.peer is client.instance
        elif span.parent:
            assert by_id[span.parent].kind == SERVER  # a call made while serving a request
        else:
            assert span.instance.service.name == "www"  # the traffic source starts traces


def test_zuul_and_karyon_stay_in_their_zone(netflixoss: tuple[RunSummary, list[Span]]) -> None:
    _, spans = netflixoss
    for span in spans:
        if span.kind == CLIENT and span.instance.service.package in ("zuul", "karyon"):
            assert span.instance.zone == span.peer.zone


def test_one_request_every_chat_interval(netflixoss: tuple[RunSummary, list[Span]]) -> None:
    summary, _ = netflixoss
    assert summary.reads + summary.writes == 200  # ticks at 0.01, 0.02 ... 2.00 s
    assert 40 < summary.writes < 100  # one in three are writes
    assert summary.errors == 0


CHAIN = """
arch: chain
network: {same_zone: 0.001, cross_zone: 0.002, bandwidth: 1.25e+9}
traffic: {pattern: constant, rate: 10, mix: {get: 1}}
services:
  - {name: db, package: store, count: 1, regions: 1, service_time: 0.004}
  - {name: db2, package: store, count: 1, regions: 1, service_time: 0.006}
  - name: app
    package: karyon
    count: 1
    regions: 1
    service_time: 0.003
    dependencies: [DEPS]
  - {name: web, package: zuul, count: 1, regions: 1, service_time: 0.002, dependencies: [app]}
  - {name: lb, package: elb, count: 0, regions: 1, service_time: 0, dependencies: [web]}
  - {name: www, package: denominator, count: 0, regions: 0, dependencies: [lb]}
"""


def chain(tmp_path: Path, deps: str) -> object:
    path = tmp_path / "chain.yaml"
    path.write_text(CHAIN.replace("DEPS", deps))
    return load_architecture(path)


@pytest.mark.parametrize(
    ("deps", "expected"),
    [
        # 4 hops there and back at 1 ms, plus 2 + 3 + 4 ms of work
        ("db", 0.008 + 0.009),
        # app calls db then db2: two more hops (2 ms) and 6 ms more work
        ("db, db2", 0.008 + 0.009 + 0.002 + 0.006),
        # in parallel: the slower of the two
        ("{service: db, mode: parallel}, {service: db2, mode: parallel}", 0.008 + 0.005 + 0.006),
        # 1.25 MB out and 2.5 MB back at 1.25 GB/s: 1 ms + 2 ms on the wire
        ("{service: db, request_bytes: 1250000, response_bytes: 2500000}", 0.017 + 0.003),
        # db is called three times in a row
        ("{service: db, calls: 3}", 0.008 + 0.009 + 2 * (0.002 + 0.004)),
    ],
)
def test_end_to_end_time_is_the_sum_of_its_parts(
    tmp_path: Path, deps: str, expected: float
) -> None:
    summary, spans = simulate(chain(tmp_path, deps), 2.0)
    roots = [s for s in spans if s.kind == CLIENT and s.parent == 0]
    assert len(roots) == 19  # the 20th, sent at 2.0 s, is still on its way when the run ends
    for root in roots:
        assert root.duration == pytest.approx(expected, abs=1e-9)
    assert summary.mean_response_ms == pytest.approx(expected * 1000, abs=1e-6)


def test_a_full_queue_rejects(tmp_path: Path) -> None:
    text = (
        CHAIN.replace("DEPS", "db")
        .replace(
            "service_time: 0.003",
            "service_time: 0.010\n    threads: 1\n    cores: 1\n    queue: 0\n    on_full: reject",
        )
        .replace("rate: 10", "rate: 1000")
    )
    path = tmp_path / "reject.yaml"
    path.write_text(text)
    # unprotected: with the defaults, web's breaker on app would open at this error rate
    summary, spans = simulate(unprotected(load_architecture(path)), 1.0)
    # one request every 1 ms, each holding app's only thread for 10 ms of work plus 2 ms
    # waiting on db (two 1 ms hops) and 4 ms of db's work: 1 in 16 gets in
    assert summary.reads == 1000
    rejected = [s for s in spans if s.kind == SERVER and s.error == REJECTED]
    answered = summary.reads_answered
    # requests sent in the last 5 ms (3 hops and web's 2 ms) have not reached app yet
    assert summary.reads - 7 <= answered + len(rejected) <= summary.reads - 4
    assert answered == pytest.approx(1000 / 16, abs=2)
    # a 503 takes 3 ms (3 hops) back to www: the last few are still on their way
    assert len(rejected) - 3 <= summary.errors <= len(rejected)


def test_message_log_prints_one_line_per_message(tmp_path: Path) -> None:
    from monkeyhouse.cli.main import main

    out = io.StringIO()
    status = main(["run", "-a", "lamp", "-d", "0.05", "-m", "--out", f"{tmp_path}/r"], out=out)
    assert status == 0
    lines = [line for line in out.getvalue().splitlines() if " gotocol: " in line]
    assert lines[0].split()[3] == "t1p0s1"
    kinds = {"GetRequest", "GetResponse", "Put", "Replicate"}
    assert {line.split()[4] for line in lines} <= kinds


@pytest.mark.parametrize("protected", [False, True])
def test_a_dead_instance_refuses_connections_and_callers_hear_it(
    tmp_path: Path, protected: bool
) -> None:
    """Requests routed to a killed instance before the next poll fail fast (502), never hang.

    Unprotected, every refusal fails its request. With the package defaults, zuul retries a
    refused connection once on another pick (Ribbon's MaxAutoRetriesNextServer=1), so only a
    retry that picks the dead instance again fails.
    """
    arch = monkeyhouse.load("netflixoss")
    spans: list[Span] = []
    options = RunOptions(duration=10, seed=3, rate=2000, poll=3.0, resilience=protected)
    simulation = Simulation(arch, options, span_observers=[spans.append])
    summary = simulation.run()
    refused = [s for s in spans if s.kind == CLIENT and s.error.startswith("502 connection")]
    assert summary.chaos_victims
    assert refused, "some requests reached the victim between its death and the next poll"
    for span in refused:
        assert span.peer.name == summary.chaos_victims[0]
        assert 5.0 <= span.start <= 6.0  # killed at 5 s, forgotten at the poll at 6 s
    # every request is answered or failed except those still in flight at the end
    done = summary.reads_answered + summary.writes_answered + summary.errors
    assert summary.reads + summary.writes - done < 100
    if not protected:
        assert summary.errors >= len(refused)
    else:
        # a request fails when its one retry is refused too (its trace holds two refusals), or
        # when a full pool of 10 threads turned it away (no fallback is set)
        twice = collections.Counter(span.trace for span in refused)
        turned_away = sum(
            c.cumulative["THREAD_POOL_REJECTED"] + c.cumulative["SHORT_CIRCUITED"]
            for c in simulation.commands()
        )
        assert summary.errors == sum(1 for count in twice.values() if count == 2) + turned_away
        assert max(twice.values()) == 2
        # each retry picks among zoneA's 8 homepage instances: about 1 in 8 is refused again
        assert summary.errors < len(refused) / 3


def test_cassandra_coordinators_do_not_deadlock_under_load() -> None:
    """Peers ask each other for keys without taking request threads, so overload degrades."""
    arch = monkeyhouse.load("netflixoss")
    # unprotected: Hystrix's pools of 10 threads would shed this load at the callers first
    options = RunOptions(duration=3, seed=1, rate=15000, chaos=False, resilience=False)
    summary = Simulation(arch, options).run()
    answered = summary.reads_answered + summary.writes_answered
    assert answered > 0.8 * (summary.reads + summary.writes)
