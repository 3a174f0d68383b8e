"""Tests of monkeyhouse.model.validate: spigo's checks, loops, victim and topology."""

from __future__ import annotations

from pathlib import Path

import pytest

from monkeyhouse.errors import ArchitectureError
from monkeyhouse.model.architecture import Architecture, Dependency, Service, Topology
from monkeyhouse.model.loader import load_architecture
from monkeyhouse.model.packages import BUILTIN_PACKAGES, PackageSpec
from monkeyhouse.model.validate import field_path, validate
from spigo_data import SPIGO

FIXTURES = SPIGO
INVALID = FIXTURES / "json_arch_invalid"

needs_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"spigo reference data not found at {FIXTURES}"
)


def position(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def svc(name: str, package: str, *deps: str, count: int = 1, regions: int = 1) -> Service:
    return Service(name, package, count, regions, dependencies=tuple(Dependency(d) for d in deps))


def arch_of(*services: Service, victim: str = "", topology: Topology | None = None) -> Architecture:
    return Architecture(
        "demo",
        services,
        victim=victim,
        topology=topology or Topology(),
        source="demo.yaml",
    )


def error_of(arch: Architecture, **kwargs: object) -> ArchitectureError:
    with pytest.raises(ArchitectureError) as caught:
        validate(arch, **kwargs)  # type: ignore[arg-type]
    return caught.value


def check(error: ArchitectureError, field: str, mentions: tuple[str, ...], fix: str) -> None:
    message = str(error)
    assert message.startswith(f"demo.yaml: {field}: "), message
    for text in mentions:
        assert text in message, (text, message)
    assert fix in error.fix, (fix, error.fix)
    assert error.fix in message


def test_field_path_format() -> None:
    assert field_path(("services", 3, "dependencies", 0)) == "services[3].dependencies[0]"
    assert field_path(("victim",)) == "victim"
    assert field_path(()) == ""


# -- spigo's three checks, on spigo's own invalid files -------------------------------------


@needs_fixtures
def test_spigo_duplicate_file() -> None:
    path = INVALID / "testDuplicate_arch.json"
    text = path.read_text(encoding="utf-8")
    with pytest.raises(ArchitectureError) as caught:
        load_architecture(path)
    error = caught.value
    line, column = position(text, '"signup-node"', 2)
    assert str(error).startswith(f"{path}:{line}:{column}: services[3].name: ")
    assert "duplicate service name 'signup-node'" in str(error)
    assert "services[2] and services[3]" in str(error)
    assert "rename one of them" in error.fix


@needs_fixtures
def test_spigo_bad_package_file() -> None:
    path = INVALID / "testBadPackage_arch.json"
    text = path.read_text(encoding="utf-8")
    with pytest.raises(ArchitectureError) as caught:
        load_architecture(path)
    error = caught.value
    line, column = position(text, '"unknown"')
    assert str(error).startswith(f"{path}:{line}:{column}: services[2].package: ")
    assert "unknown package 'unknown'" in str(error)
    for package in ("eureka", "priamCassandra", "karyon", "cache", "volume", "pirate"):
        assert package in str(error)
    assert "known packages" in error.fix


@needs_fixtures
def test_spigo_missing_dependency_file() -> None:
    path = INVALID / "testMissingDep_arch.json"
    with pytest.raises(ArchitectureError) as caught:
        load_architecture(path)
    message = str(caught.value)
    assert "services[3].dependencies[2]: unknown service 'missing'" in message
    assert "known: mysql, homepage-node, signup-node, www-proxy, www-elb, www, eureka" in message
    assert "add a service named 'missing' or remove the dependency" in message


@needs_fixtures
@pytest.mark.parametrize(
    "path", sorted((FIXTURES / "json_arch").glob("*_arch.json")), ids=lambda p: p.name
)
def test_every_bundled_spigo_file_validates(path: Path) -> None:
    validate(load_architecture(path))


# -- the same checks on hand-built architectures ---------------------------------------------


def test_duplicate_comes_before_bad_package() -> None:
    error = error_of(arch_of(svc("a", "store"), svc("a", "nosuch")))
    check(error, "services[1].name", ("duplicate service name 'a'",), "unique")


def test_unknown_package_suggests_the_close_one() -> None:
    error = error_of(arch_of(svc("db", "store"), svc("web", "karyn", "db")))
    check(error, "services[1].package", ("unknown package 'karyn'", "known: eureka"), "'karyon'")


def test_unknown_dependency_suggests_the_close_one() -> None:
    error = error_of(arch_of(svc("homepage", "store"), svc("web", "karyon", "homepag")))
    check(
        error,
        "services[1].dependencies[0]",
        ("unknown service 'homepag'", "known: homepage, web, eureka"),
        "did you mean 'homepage'? add a service named 'homepag'",
    )


def test_forward_references_and_eureka_are_allowed() -> None:
    validate(arch_of(svc("web", "karyon", "db", "eureka"), svc("db", "store")))


def test_packages_can_be_replaced() -> None:
    custom = {"thing": PackageSpec("thing", True, "a custom thing")}
    validate(arch_of(svc("t", "thing")), packages=custom)
    error = error_of(arch_of(svc("t", "store")), packages=custom)
    check(error, "services[0].package", ("unknown package 'store'", "known: thing"), "known")


def test_file_name_defaults_to_source_then_arch() -> None:
    bare = Architecture("bare", (svc("t", "nosuch"),))
    with pytest.raises(ArchitectureError, match=r"^bare: services\[0\]\.package"):
        validate(bare)
    with pytest.raises(ArchitectureError, match=r"^other\.json: "):
        validate(bare, file="other.json")


def test_positions_are_used_and_fall_back_to_the_parent() -> None:
    arch = arch_of(svc("web", "karyon", "nowhere"))
    error = error_of(arch, positions={("services", 0): (7, 5)})
    assert str(error).startswith("demo.yaml:7:5: services[0].dependencies[0]: ")


def test_empty_architecture() -> None:
    error = error_of(arch_of())
    check(error, "services", ("at least one service",), "add a service")


@pytest.mark.parametrize("name", ["", "a.b", "two words", " pad"])
def test_service_names_must_fit_node_names(name: str) -> None:
    error = error_of(arch_of(svc(name, "store")))
    check(error, "services[0].name", (repr(name),), "without dots or spaces")


def test_eureka_is_not_a_service_name() -> None:
    error = error_of(arch_of(svc("eureka", "store")))
    check(error, "services[0].name", ("reserved",), "rename")


@pytest.mark.parametrize(
    ("service", "field", "problem", "fix"),
    [
        (svc("s", "store", count=-1), "services[0].count", "got -1", "0 for one region-wide"),
        (svc("s", "store", count=100_001), "services[0].count", "100001", "-p"),
        (svc("s", "store", regions=-2), "services[0].regions", "got -2", "global"),
        (svc("s", "store", regions=7), "services[0].regions", "regions 7", "-w"),
    ],
)
def test_count_and_region_ranges(service: Service, field: str, problem: str, fix: str) -> None:
    check(error_of(arch_of(service)), field, (problem,), fix)


def test_limits_themselves_are_accepted() -> None:
    validate(arch_of(svc("s", "store", count=100_000, regions=6)))


# -- victim --------------------------------------------------------------------------------


def test_victim_must_be_a_service() -> None:
    error = error_of(arch_of(svc("homepage", "store"), victim="hompage"))
    check(
        error,
        "victim",
        ("victim 'hompage' is not a service", "known: homepage"),
        "did you mean 'homepage'?",
    )


def test_empty_victim_means_no_chaos() -> None:
    validate(arch_of(svc("homepage", "store"), victim=""))


# -- loops -----------------------------------------------------------------------------------


def test_forwarding_self_dependency_is_a_loop() -> None:
    error = error_of(arch_of(svc("db", "store"), svc("api", "karyon", "db", "api")))
    check(
        error,
        "services[1].dependencies[1]",
        ("dependency loop api -> api", "circle forever"),
        "remove one dependency",
    )


def test_loop_through_three_forwarding_services() -> None:
    error = error_of(
        arch_of(
            svc("proxy", "zuul", "app"),
            svc("app", "karyon", "lb"),
            svc("lb", "elb", "proxy"),
            svc("www", "denominator", "proxy"),
        )
    )
    check(
        error,
        "services[0].dependencies[0]",
        ("dependency loop proxy -> app -> lb -> proxy", "zuul 'proxy'", "elb 'lb'"),
        "remove one dependency",
    )


@pytest.mark.parametrize("package", ["priamCassandra", "riak", "store", "cache", "volume"])
def test_storage_self_dependency_is_replication(package: str) -> None:
    validate(arch_of(svc("data", package, "data", "eureka"), svc("app", "karyon", "data")))


def test_edges_out_of_non_forwarding_packages_do_not_make_loops() -> None:
    # staash -> store -> staash: the store answers requests itself, so nothing circles.
    validate(arch_of(svc("db", "staash", "disk"), svc("disk", "store", "db")))


def test_yogi_chain_is_not_a_loop() -> None:
    validate(
        arch_of(
            svc("yogi", "monolith"),
            svc("dmz", "monolith", "int-dmz-elb"),
            svc("int-dmz-elb", "elb", "yogi"),
        )
    )


def test_only_the_first_loop_is_reported_in_file_order() -> None:
    error = error_of(
        arch_of(svc("a", "karyon", "b"), svc("b", "karyon", "a"), svc("c", "karyon", "c"))
    )
    assert "a -> b -> a" in str(error)


# -- topology --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topology", "field", "problem", "fix"),
    [
        (Topology(first_index=-1), "topology.first_index", "got -1", "0"),
        (Topology(region_names=()), "topology.regions", "empty", "us-east-1"),
        (Topology(zone_names=()), "topology.zones", "empty", "zoneA"),
        (Topology(zone_names=("a", "b", "a")), "topology.zones[2]", "'a' is listed twice", "once"),
        (Topology(region_names=("eu.west",)), "topology.regions[0]", "'eu.west'", "dots"),
        (
            Topology(region_names=("r1", "r2"), fixed_regions=3),
            "topology.fixed_regions",
            "fixed_regions 3 is outside 1..2",
            "region names",
        ),
        (Topology(fixed_regions=0), "topology.fixed_regions", "outside 1..6", "between 1"),
    ],
)
def test_topology_checks(topology: Topology, field: str, problem: str, fix: str) -> None:
    check(error_of(arch_of(svc("s", "store"), topology=topology)), field, (problem,), fix)


def test_good_topology() -> None:
    validate(
        arch_of(
            svc("s", "store"),
            topology=Topology(("a", "b"), ("z",), fixed_regions=2, population=True, first_index=1),
        )
    )


def test_builtin_packages_default() -> None:
    assert set(BUILTIN_PACKAGES) >= {"karyon", "store"}
