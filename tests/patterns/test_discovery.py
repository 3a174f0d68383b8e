"""Discovery: who sees whom, and memory that grows with instances, never with instance pairs."""

from __future__ import annotations

import tracemalloc

import monkeyhouse
from monkeyhouse.scenarios.simulation import RunOptions, Simulation


def built_memory(percent: int) -> tuple[int, int]:
    arch = monkeyhouse.load("netflixoss")
    tracemalloc.start()
    simulation = Simulation(arch, RunOptions(duration=0, percent=percent))
    simulation.build()
    simulation.discovery.refresh_all()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return len(simulation.instances), peak


def test_memory_grows_with_instances_not_pairs() -> None:
    small_instances, small = built_memory(2000)
    large_instances, large = built_memory(4000)
    assert large_instances > 1.9 * small_instances
    # instance pairs grow about fourfold here (every zuul sees every karyon of its zone)
    assert large / small < 2.4


def test_views_are_shared_per_service_and_zone() -> None:
    arch = monkeyhouse.load("netflixoss")
    simulation = Simulation(arch, RunOptions(duration=0, percent=1000))
    simulation.build()
    views = simulation.discovery.views()
    # zuul and karyon keep to their zone: one view per zone and dependency; the others see the
    # whole region: one view per dependency
    per_service: dict[str, int] = {}
    for view in views:
        per_service[view.service.name] = per_service.get(view.service.name, 0) + 1
    assert per_service == {
        "cassSubscriber": 1,
        "subscriber": 2,
        "login": 3,
        "homepage": 3,
        "wwwproxy": 6,
        "www-elb": 1,
        "www": 1,
    }
