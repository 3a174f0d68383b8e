"""The talk's lesson in one run: a slow dependency cascades unless every call is isolated.

netflixoss at 500 requests a second, with subscriber (the staash data layer behind login and
homepage) made slow: 2 s for every request instead of milliseconds. Unprotected, login's and
homepage's threads all wait on subscriber, their queues fill and reject, and the front door
fails almost every request. With sensible protection on the calls to subscriber (a 200 ms
timeout, Hystrix's breaker and a static fallback) the damage stays local: breakers open on
login and homepage, the fallback answers, and the front door neither fails nor slows beyond
the timeout.
"""

from __future__ import annotations

import dataclasses

import pytest

import monkeyhouse
from monkeyhouse.behaviours.spans import CLIENT, Span
from monkeyhouse.model.architecture import Architecture
from monkeyhouse.model.distributions import Fixed
from monkeyhouse.model.resilience import FallbackSettings
from monkeyhouse.patterns.command import CommandStatistics
from monkeyhouse.scenarios.simulation import RunOptions, Simulation

SETTLED = 10.0  # seconds: the cascade (or its containment) has happened by then


def slow_subscriber(protect: bool) -> Architecture:
    arch = monkeyhouse.load("netflixoss")
    services = []
    for service in arch.services:
        if service.name == "subscriber":
            service = dataclasses.replace(service, service_time=Fixed(2.0))
        if protect and service.name in ("login", "homepage"):
            # as a file says: resilience: {timeout: 0.2, fallback: {kind: static, value: guest}}
            protection = {"timeout": 0.2, "fallback": FallbackSettings("static", "guest")}
            service = dataclasses.replace(service, resilience=protection)
        services.append(service)
    return dataclasses.replace(arch, services=tuple(services))


def run(protect: bool) -> tuple[list[Span], dict[str, CommandStatistics]]:
    roots: list[Span] = []

    def keep(span: Span) -> None:
        if span.kind == CLIENT and span.parent == 0:
            roots.append(span)

    options = RunOptions(duration=30, seed=1, rate=500, chaos=False, resilience=protect)
    simulation = Simulation(slow_subscriber(protect), options, span_observers=[keep])
    simulation.run()
    return roots, {c.name: c for c in simulation.commands()}


def front_door(roots: list[Span]) -> tuple[float, float, int]:
    """Error share, p99 of answered requests (s), requests: for requests after SETTLED."""
    late = [r for r in roots if r.start >= SETTLED]
    errors = sum(1 for r in late if r.error)
    answered = sorted(r.end - r.start for r in late if not r.error)
    p99 = answered[int(0.99 * len(answered))] if answered else float("inf")
    return errors / len(late), p99, len(late)


@pytest.fixture(scope="module")
def unprotected() -> tuple[list[Span], dict[str, CommandStatistics]]:
    return run(protect=False)


@pytest.fixture(scope="module")
def protected() -> tuple[list[Span], dict[str, CommandStatistics]]:
    return run(protect=True)


def test_without_protection_the_front_door_collapses(
    unprotected: tuple[list[Span], dict[str, CommandStatistics]],
) -> None:
    roots, commands = unprotected
    share, p99, requests = front_door(roots)
    assert requests > 9000
    assert share > 0.9  # the front door fails nearly everything
    assert p99 >= 2.0  # and what it answers took at least subscriber's 2 s
    assert commands == {}


def test_with_timeouts_breakers_and_fallbacks_the_damage_stays_local(
    protected: tuple[list[Span], dict[str, CommandStatistics]],
) -> None:
    roots, commands = protected
    share, p99, requests = front_door(roots)
    assert requests > 9000
    assert share < 0.01
    assert p99 < 0.25  # the 200 ms timeout plus a few hops, never subscriber's 2 s
    for caller in ("login", "homepage"):
        command = commands[f"{caller}->subscriber"]
        cumulative = command.cumulative
        # every call to subscriber timed out or was short-circuited, and the fallback answered
        assert cumulative["SUCCESS"] == 0
        assert cumulative["TIMEOUT"] > 0 and cumulative["SHORT_CIRCUITED"] > cumulative["TIMEOUT"]
        assert (
            cumulative["FALLBACK_SUCCESS"]
            == cumulative["TIMEOUT"]
            + cumulative["SHORT_CIRCUITED"]
            + cumulative["THREAD_POOL_REJECTED"]
        )
        assert command.open > command.breakers / 2  # most breakers are open at the end
    for dependency in ("login", "homepage"):
        command = commands[f"wwwproxy->{dependency}"]
        # one level up, calls succeed (served by the fallback) and no breaker ever opened
        assert command.cumulative["FAILURE"] == command.cumulative["TIMEOUT"] == 0
        assert command.open == 0
