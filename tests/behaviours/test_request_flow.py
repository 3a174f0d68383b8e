"""Requests through netflixoss: the path, the trace context and the time they take.

Independent truth: spigo's wiring (www -> www-elb -> wwwproxy -> login|homepage -> subscriber
-> cassSubscriber, since staash reads from the Cassandra tier before the store tier), Dapper's
context rules (a forwarded request is a new span whose parent is the incoming span; a response
keeps its request's context) and the documented one-way latencies (0.1 ms within a zone or to a
region-wide node, 0.5 ms across zones).
"""

from __future__ import annotations

import collections
import io

import pytest

import monkeyhouse
from monkeyhouse.behaviours.messages import GET, PUT, RESPONSE, Message
from monkeyhouse.scenarios.simulation import RunOptions, Simulation


def latency(a: object, b: object) -> float:
    za, zb = getattr(a, "zone"), getattr(b, "zone")  # noqa: B009
    return 0.0001 if za == zb or "*" in (za, zb) else 0.0005


@pytest.fixture(scope="module")
def traffic() -> tuple[Simulation, list[tuple[float, Message]]]:
    seen: list[tuple[float, Message]] = []
    arch = monkeyhouse.load("netflixoss")
    simulation = Simulation(
        arch,
        RunOptions(duration=2, seed=7, chaos=False),
        observers=[lambda m, t: seen.append((t, m))],
    )
    simulation.run()
    return simulation, seen


def test_reads_follow_the_netflixoss_path(
    traffic: tuple[Simulation, list[tuple[float, Message]]],
) -> None:
    _, seen = traffic
    paths: dict[int, list[str]] = collections.defaultdict(list)
    for _, message in seen:
        if message.kind == GET:
            paths[message.trace].append(message.target.service.name)
    assert len(paths) > 50
    for path in paths.values():
        assert path[:5] in (
            ["www-elb", "wwwproxy", "login", "subscriber", "cassSubscriber"],
            ["www-elb", "wwwproxy", "homepage", "subscriber", "cassSubscriber"],
        )
        # a Cassandra node that does not own the key hands the read to the owner once
        assert path[5:] in ([], ["cassSubscriber"])


def test_context_rules(traffic: tuple[Simulation, list[tuple[float, Message]]]) -> None:
    _, seen = traffic
    spans = set()
    for _, message in seen:
        if message.kind in (GET, PUT):
            assert message.span not in spans, "every request hop is a new span"
            spans.add(message.span)
            upstream = message.link
            if upstream is None:
                assert message.parent == 0 and message.trace == message.span  # a new trace
            elif (
                message.sender.service is upstream.target.service
                and message.sender.service.package == "priamCassandra"
            ):
                # a Cassandra node hands a read or write to the key's owner: same parent
                assert message.parent == upstream.parent
                assert message.trace == upstream.trace
            else:
                assert message.parent == upstream.span
                assert message.trace == upstream.trace
        elif message.kind == RESPONSE:
            request = message.link
            assert request is not None
            assert (message.trace, message.parent, message.span) == (
                request.trace,
                request.parent,
                request.span,
            )


def test_zuul_and_karyon_stay_in_their_zone(
    traffic: tuple[Simulation, list[tuple[float, Message]]],
) -> None:
    _, seen = traffic
    for _, message in seen:
        if message.kind == GET and message.sender.service.package in ("zuul", "karyon"):
            assert message.sender.zone == message.target.zone


def test_response_time_is_the_sum_of_hop_latencies(
    traffic: tuple[Simulation, list[tuple[float, Message]]],
) -> None:
    _, seen = traffic
    expected: dict[int, float] = collections.defaultdict(float)
    arrival: dict[int, float] = {}
    for now, message in seen:
        if message.kind in (GET, RESPONSE):
            expected[message.trace] += latency(message.sender, message.target)
            assert now == pytest.approx(message.sent + latency(message.sender, message.target))
            if message.kind == RESPONSE and message.target.service.name == "www":
                arrival[message.trace] = now
    assert len(arrival) > 50
    starts = {m.trace: t - latency(m.sender, m.target) for t, m in seen if m.link is None}
    for trace, end in arrival.items():
        assert end - starts[trace] == pytest.approx(expected[trace])


def test_one_request_every_chat_interval(
    traffic: tuple[Simulation, list[tuple[float, Message]]],
) -> None:
    simulation, seen = traffic
    summary = simulation.summary(0.0)
    assert summary.reads + summary.writes == 200  # ticks at 0.01, 0.02 ... 2.00 s
    assert 40 < summary.writes < 95  # one in three are writes
    # every request but the one sent at the last instant, 2.00 s, arrived
    arrived = [m for _, m in seen if m.link is None and m.kind in (GET, PUT)]
    assert len(arrived) == 199
    last_sent = max(m.sent for m in arrived)
    assert last_sent == pytest.approx(1.99)
    reads_arrived = sum(1 for m in arrived if m.kind == GET)
    assert summary.reads_answered == reads_arrived


def test_message_log_prints_one_line_per_message(tmp_path: object) -> None:
    from monkeyhouse.cli.main import main

    out = io.StringIO()
    status = main(["run", "-a", "lamp", "-d", "0.05", "-m", "--out", f"{tmp_path}/r"], out=out)
    assert status == 0
    lines = [line for line in out.getvalue().splitlines() if " gotocol: " in line]
    assert (lines and lines[0].split()[3] == "t1p0s1" and lines[0].split()[4] == "GetRequest") or (
        lines[0].split()[4] == "Put"
    )
    assert all(
        line.split()[4] in {"GetRequest", "GetResponse", "Put", "Replicate"} for line in lines
    )
