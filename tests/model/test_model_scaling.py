"""Tests of monkeyhouse.model.scaling against the instance counts spigo.md states."""

from __future__ import annotations

import pytest

from monkeyhouse.model.architecture import Architecture, Service, Topology
from monkeyhouse.model.loader import load_architecture
from monkeyhouse.model.scaling import (
    effective_count,
    effective_regions,
    instance_count,
    zero_count_warnings,
)
from spigo_data import SPIGO

FIXTURES = SPIGO

needs_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"spigo reference data not found at {FIXTURES}"
)

# spigo.md section 7: instances at -p 100 -w 1, eureka registries excluded.
SPIGO_INSTANCES = {
    "netflixoss": 65,
    "lamp": 23,
    "cassandra": 32,
    "netflix": 98,
    "riak": 51,
    "yogi": 34,
    "yow": 34,
    "container": 22,
    "storage": 6,
    "edge": 83,
    "composeV2": 16,
    "simpleV2": 10,
    "testyaml": 9,
    "test": 19,
    "aws_ac_ra_web": 25,
}


def spigo(name: str) -> Architecture:
    return load_architecture(FIXTURES / "json_arch" / f"{name}_arch.json")


@needs_fixtures
@pytest.mark.parametrize(("name", "instances"), sorted(SPIGO_INSTANCES.items()))
def test_instance_counts_match_spigo(name: str, instances: int) -> None:
    assert instance_count(spigo(name)) == instances


@needs_fixtures
def test_netflixoss_in_two_regions() -> None:
    # 64 regional nodes per region, plus the one global www.
    assert instance_count(spigo("netflixoss"), 100, 2) == 64 * 2 + 1


@needs_fixtures
def test_netflixoss_at_ten_percent() -> None:
    # cass 6->0 (1), evcache 3->0 (1), subscriber 6->0 (1), login 18->1, homepage 24->2,
    # wwwproxy 6->0 (1), www-elb 1, www 1.
    assert instance_count(spigo("netflixoss"), 10, 1) == 9


def test_effective_count_integer_division() -> None:
    service = Service("s", "karyon", count=18, regions=1)
    assert effective_count(service, 100, False) == 18
    assert effective_count(service, 50, False) == 9
    assert effective_count(service, 10, False) == 1
    assert effective_count(service, 5, False) == 0
    assert effective_count(service, 250, False) == 45


def test_fixed_services_do_not_scale() -> None:
    service = Service("mysql", "store", count=2, regions=1, scales=False)
    assert effective_count(service, 10, False) == 2
    assert effective_count(service, 1000, True) == 2


def test_population_mode_makes_p_the_count() -> None:
    pirate = Service("blackbeard", "pirate", count=100, regions=1)
    assert effective_count(pirate, 7, True) == 7
    assert effective_count(Service("elb", "elb", count=0, regions=1), 7, True) == 0
    fsm = Architecture("fsm", (pirate,), topology=Topology(("atlantic",), ("bermuda",), 1, True, 1))
    assert instance_count(fsm, 250, 2) == 250


def test_effective_regions() -> None:
    regional = Service("s", "store", count=1, regions=1)
    glob = Service("g", "denominator", regions=0)
    assert effective_regions(glob, Topology(), 3) == 0
    assert effective_regions(regional, Topology(), 3) == 3
    assert effective_regions(Service("d", "store", regions=2), Topology(), 3) == 6
    assert effective_regions(regional, Topology(fixed_regions=2), 5) == 2


def test_instance_count_global_and_region_wide_nodes() -> None:
    arch = Architecture(
        "a",
        (
            Service("www", "denominator", count=5, regions=0),  # global: one node
            Service("elb", "elb", count=0, regions=1),  # one per region
            Service("app", "karyon", count=4, regions=1),
        ),
    )
    assert instance_count(arch) == 1 + 1 + 4
    assert instance_count(arch, 100, 3) == 1 + 3 + 12
    assert instance_count(arch, 10, 3) == 1 + 3 + 3  # app rounds to 0: one node per region


@needs_fixtures
def test_zero_count_warnings_for_lamp_at_half() -> None:
    warnings = zero_count_warnings(spigo("lamp"), 50)
    assert warnings == [
        "lamp: service 'memcache' has count 1, which rounds to 0 at -p 50; "
        "it becomes a single region-wide node"
    ]


@needs_fixtures
def test_no_warnings_at_full_scale() -> None:
    for name in SPIGO_INSTANCES:
        assert zero_count_warnings(spigo(name), 100) == []


def test_warnings_skip_fixed_and_global_services() -> None:
    arch = Architecture(
        "a",
        (
            Service("www", "denominator", count=1, regions=0),
            Service("mysql", "store", count=1, regions=1, scales=False),
            Service("app", "karyon", count=6, regions=1),
        ),
    )
    assert zero_count_warnings(arch, 10) == [
        "a: service 'app' has count 6, which rounds to 0 at -p 10; "
        "it becomes a single region-wide node"
    ]
