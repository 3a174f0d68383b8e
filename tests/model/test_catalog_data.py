"""Data checks for the bundled catalog (src/monkeyhouse/model/catalog/*.yaml).

These tests read the YAML with PyYAML only (no monkeyhouse loader) and check it against
spigo's reference data:

* entries converted from spigo's ``json_arch/NAME_arch.json`` say exactly what that file says;
* for every recorded spigo graph (``json/*.json``), the node set (name and package) and the
  edges implied by the catalog entry under spigo's naming and routing rules equal the
  recording, at service level and at instance level.

The spigo reference data lives outside the repository; set ``MONKEYHOUSE_SPIGO_FIXTURES`` to
its directory (default ``/work/shared/fixtures/spigo``). Tests that need it are skipped when
it is absent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

CATALOG_DIR = Path(__file__).resolve().parents[2] / "src" / "monkeyhouse" / "model" / "catalog"
FIXTURES = Path(os.environ.get("MONKEYHOUSE_SPIGO_FIXTURES", "/work/shared/fixtures/spigo"))

needs_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"spigo reference data not found at {FIXTURES}"
)

#: Catalog entries in their list order (x-order 1, 2, ...).
CATALOG_ORDER: tuple[str, ...] = (
    "netflixoss",
    "lamp",
    "netflix",
    "cassandra",
    "riak",
    "yogi",
    "storage",
    "container",
    "edge",
    "aws_ac_ra_web",
    "composeV2",
    "simpleV2",
    *(f"migration{step}" for step in range(10)),
    "fsm",
)

#: Entries that are straight conversions of a spigo json_arch file.
FROM_ARCH_FILE: tuple[str, ...] = CATALOG_ORDER[:12]

PACKAGES = frozenset(
    {
        "eureka",
        "pirate",
        "elb",
        "denominator",
        "zuul",
        "karyon",
        "monolith",
        "staash",
        "priamCassandra",
        "store",
        "riak",
        "volume",
        "cache",
    }
)

#: Packages whose instances only call dependency instances in their own zone.
SAME_ZONE_PACKAGES = frozenset({"karyon", "zuul"})

#: The dependency name meaning "see every region's registry".
EUREKA = "eureka"

DEFAULT_REGIONS: tuple[str, ...] = (
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-southeast-2",
)
DEFAULT_ZONES: tuple[str, ...] = ("zoneA", "zoneB", "zoneC")

SERVICE_KEYS = frozenset(
    {
        "name",
        "package",
        "count",
        "regions",
        "scales",
        "dependencies",
        "machine",
        "instance",
        "container",
        "process",
        "useCustomGuesstimate",
        "guesstimateType",
        "guesstimateValue",
    }
)
TOP_KEYS = frozenset(
    {"format", "x-order", "arch", "description", "version", "victim", "topology", "services"}
)
TOPOLOGY_KEYS = frozenset({"regions", "zones", "fixed_regions", "population", "first_index"})
OPTIONAL_STRING_KEYS: tuple[str, ...] = (
    "machine",
    "instance",
    "container",
    "process",
    "guesstimateType",
    "guesstimateValue",
)

# ---------------------------------------------------------------------------------------------
# Loading


def load_entry(name: str) -> dict[str, Any]:
    """Parse one catalog file with PyYAML."""
    with (CATALOG_DIR / f"{name}.yaml").open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict), f"{name}.yaml is not a mapping"
    return cast(dict[str, Any], data)


def services_of(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    services = doc["services"]
    assert isinstance(services, list)
    return [cast(dict[str, Any], s) for s in services]


def deps_of(service: Mapping[str, Any]) -> list[str]:
    deps = service.get("dependencies") or []
    assert isinstance(deps, list)
    return [str(d) for d in deps]


def load_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return cast(dict[str, Any], json.load(fh))


# ---------------------------------------------------------------------------------------------
# spigo's rules, re-implemented small: node naming/counts (spigo.md 2.3) and routing (2.4)


@dataclass(frozen=True, slots=True)
class Node:
    """One simulated instance as spigo would create it."""

    arch: str
    region: str
    zone: str
    instance: str
    service: str
    package: str

    @property
    def graph_id(self) -> str:
        """The node id in spigo's graph JSON without -f: arch.region.zone.instance."""
        return f"{self.arch}.{self.region}.{self.zone}.{self.instance}"

    @property
    def reduced_id(self) -> str:
        """The node id with -f: arch.region.zone.service.package."""
        return f"{self.arch}.{self.region}.{self.zone}.{self.service}.{self.package}"

    def node_id(self, reduced: bool) -> str:
        return self.reduced_id if reduced else self.graph_id


@dataclass(frozen=True, slots=True)
class RunArgs:
    """The spigo flags that shape the graph."""

    arch: str
    percent: int = 100
    regions: int = 1
    step: int = 0
    reduced: bool = False


def parse_args(args: str) -> RunArgs:
    """Read spigo's recorded command line, e.g. ``[./spigo -a lamp -d 2 -j -w 2]``."""
    words = args.strip("[]").split()[1:]
    values: dict[str, str] = {}
    i = 0
    while i < len(words):
        flag = words[i].lstrip("-")
        if "=" in flag:
            key, value = flag.split("=", 1)
            values[key] = value
        elif flag in {"a", "p", "w", "s", "d", "u", "kv", "k", "config", "cpus", "cpuprofile"}:
            values[flag] = words[i + 1]
            i += 1
        else:
            values[flag] = "true"
        i += 1
    return RunArgs(
        arch=values.get("a", "netflixoss"),
        percent=int(values.get("p", "100")),
        regions=int(values.get("w", "1")),
        step=int(values.get("s", "0")),
        reduced=values.get("f", "false") == "true",
    )


def expand(doc: Mapping[str, Any], percent: int, w: int) -> list[Node]:
    """All instances a catalog entry implies at ``-p percent -w w``, in creation order."""
    arch = str(doc["arch"])
    topology = cast(dict[str, Any], doc.get("topology") or {})
    region_names = [str(r) for r in topology.get("regions") or DEFAULT_REGIONS]
    zone_names = [str(z) for z in topology.get("zones") or DEFAULT_ZONES]
    region_count = int(topology.get("fixed_regions") or w)
    population = bool(topology.get("population", False))
    first = int(topology.get("first_index", 0))
    nodes: list[Node] = []
    for svc in services_of(doc):
        name, package = str(svc["name"]), str(svc["package"])
        count = int(svc["count"])
        if population:
            count = percent
        elif svc.get("scales", True):
            count = count * percent // 100
        regions = int(svc.get("regions", 0))
        if regions == 0:
            nodes.append(Node(arch, "*", "*", f"{name}00", name, package))
            continue
        for r in range(regions * region_count):
            region = region_names[r]
            if count == 0:
                nodes.append(Node(arch, region, "*", f"{name}00", name, package))
                continue
            for i in range(first + r * count, first + (r + 1) * count):
                zone = zone_names[i % len(zone_names)]
                nodes.append(Node(arch, region, zone, f"{name}{i:02d}", name, package))
    return nodes


def can_call(caller: Node, callee: Node, in_every_registry: frozenset[str]) -> bool:
    """Whether spigo would add ``callee`` to ``caller``'s routing table.

    A node given every region's registries (global nodes, and services that list ``eureka``)
    both looks up and registers itself in all of them: it sees every region, and every region
    sees it. Everything else only meets the instances of its own region.
    """
    if caller == callee:
        return False
    region_ok = (
        caller.region == callee.region
        or caller.region == "*"
        or callee.region == "*"
        or caller.service in in_every_registry
        or callee.service in in_every_registry
    )
    zone_ok = caller.package not in SAME_ZONE_PACKAGES or caller.zone == callee.zone
    return region_ok and zone_ok


def implied_edges(doc: Mapping[str, Any], nodes: Sequence[Node]) -> set[tuple[Node, Node]]:
    """Every caller -> callee instance link the entry implies."""
    by_service: dict[str, list[Node]] = {}
    for node in nodes:
        by_service.setdefault(node.service, []).append(node)
    in_every_registry = frozenset(str(s["name"]) for s in services_of(doc) if EUREKA in deps_of(s))
    edges: set[tuple[Node, Node]] = set()
    for svc in services_of(doc):
        deps = deps_of(svc)
        for caller in by_service.get(str(svc["name"]), []):
            for dep in deps:
                if dep == EUREKA:
                    continue
                for callee in by_service.get(dep, []):
                    if can_call(caller, callee, in_every_registry):
                        edges.add((caller, callee))
    return edges


# ---------------------------------------------------------------------------------------------
# Catalog-wide checks


def test_catalog_has_exactly_the_expected_entries() -> None:
    found = sorted(p.stem for p in CATALOG_DIR.glob("*.yaml"))
    assert found == sorted(CATALOG_ORDER)


def test_x_order_follows_the_list_order() -> None:
    orders = [load_entry(name)["x-order"] for name in CATALOG_ORDER]
    assert orders == list(range(1, len(CATALOG_ORDER) + 1))


@pytest.mark.parametrize("name", CATALOG_ORDER)
def test_entry_is_well_formed(name: str) -> None:
    doc = load_entry(name)
    assert set(doc) <= TOP_KEYS, set(doc) - TOP_KEYS
    assert doc["format"] == "monkeyhouse/1"
    assert isinstance(doc["arch"], str) and doc["arch"]
    for key in ("description", "version", "victim"):
        assert isinstance(doc.get(key, ""), str), key
    topology = doc.get("topology") or {}
    assert isinstance(topology, dict)
    assert set(topology) <= TOPOLOGY_KEYS
    services = services_of(doc)
    assert services, "no services"
    names = [str(s["name"]) for s in services]
    assert len(names) == len(set(names)), "duplicate service names"
    for svc in services:
        assert set(svc) <= SERVICE_KEYS, set(svc) - SERVICE_KEYS
        assert isinstance(svc["name"], str)
        assert svc["package"] in PACKAGES
        assert isinstance(svc["count"], int) and svc["count"] >= 0
        # regions is always written out, even where spigo's file left it out (meaning 0)
        assert isinstance(svc["regions"], int) and svc["regions"] >= 0
        assert isinstance(svc.get("scales", True), bool)
        assert isinstance(svc["dependencies"], list)
        for dep in deps_of(svc):
            assert dep == EUREKA or dep in names, f"{svc['name']}: unknown dependency {dep}"
        for key in OPTIONAL_STRING_KEYS:
            assert isinstance(svc.get(key, ""), str), key
    victim = doc.get("victim", "")
    assert victim == "" or victim in names


@pytest.mark.parametrize("step", range(10))
def test_migration_step_shape(step: int) -> None:
    doc = load_entry(f"migration{step}")
    assert doc["arch"] == "migration"
    assert doc.get("victim", "") == ""
    services = services_of(doc)
    root, elb = services[-1], services[-2]
    assert (root["name"], root["package"], root["regions"], root["count"]) == (
        "www",
        "denominator",
        0,
        0,
    )
    assert deps_of(root) == ["www-elb"]
    assert (elb["name"], elb["package"]) == ("www-elb", "elb")
    fixed = (doc.get("topology") or {}).get("fixed_regions")
    assert fixed == {7: 2, 8: 2, 9: 3}.get(step)
    fixed_size = {"rds-mysql", "memcache", "evcache"}
    for svc in services:
        assert svc.get("scales", True) == (svc["name"] not in fixed_size), svc["name"]


# ---------------------------------------------------------------------------------------------
# Entries converted from spigo's json_arch files


@needs_fixtures
@pytest.mark.parametrize("name", FROM_ARCH_FILE)
def test_entry_says_what_the_spigo_file_says(name: str) -> None:
    spigo = load_json(FIXTURES / "json_arch" / f"{name}_arch.json")
    doc = load_entry(name)
    assert doc["arch"] == name  # spigo names nodes after -a, not after the file's arch field
    for key in ("description", "version", "victim"):
        assert doc.get(key) == spigo.get(key), key
    services = services_of(doc)
    spigo_services = cast(list[dict[str, Any]], spigo["services"])
    assert [s["name"] for s in services] == [s["name"] for s in spigo_services]
    for ours, theirs in zip(services, spigo_services, strict=True):
        assert ours["package"] == theirs["package"], ours["name"]
        assert ours["count"] == theirs["count"], ours["name"]
        assert ours["regions"] == theirs.get("regions", 0), ours["name"]
        assert ours["dependencies"] == (theirs.get("dependencies") or []), ours["name"]
        assert "scales" not in ours
        for key in (*OPTIONAL_STRING_KEYS, "useCustomGuesstimate"):
            assert ours.get(key) == theirs.get(key), f"{ours['name']}.{key}"


# ---------------------------------------------------------------------------------------------
# Entries against spigo's recorded graphs


def recorded_graphs() -> Iterator[Path]:
    if not FIXTURES.is_dir():
        return
    for path in sorted((FIXTURES / "json").glob("*.json")):
        if path.stem not in {"fsm", "testyaml"}:  # fsm has its own test; testyaml is no entry
            yield path


def entry_for(args: RunArgs) -> str:
    return f"migration{args.step}" if args.arch == "migration" else args.arch


@dataclass(frozen=True, slots=True)
class Recorded:
    """A recorded spigo graph, reduced to what the catalog determines."""

    args: RunArgs
    nodes: dict[str, str]  # node id -> package
    edges: set[tuple[str, str]]  # (source id, target id)


def read_recording(path: Path) -> Recorded:
    data = load_json(path)
    graph = cast(list[dict[str, Any]], data["graph"])
    nodes = {str(e["node"]): str(e["package"]) for e in graph if "node" in e}
    edges = {(str(e["source"]), str(e["target"])) for e in graph if "edge" in e}
    return Recorded(parse_args(str(data["args"])), nodes, edges)


def service_pairs(
    edges: set[tuple[str, str]], service_of: Mapping[str, str]
) -> set[tuple[str, str]]:
    return {(service_of[a], service_of[b]) for a, b in edges}


@needs_fixtures
@pytest.mark.parametrize("path", list(recorded_graphs()), ids=lambda p: p.stem)
def test_entry_reproduces_spigo_graph(path: Path) -> None:
    recorded = read_recording(path)
    args = recorded.args
    doc = load_entry(entry_for(args))
    nodes = expand(doc, args.percent, args.regions)
    ids = [n.node_id(args.reduced) for n in nodes]
    if not args.reduced:
        assert len(ids) == len(set(ids)), "two instances share a name"
    expected_nodes = {n.node_id(args.reduced): n.package for n in nodes}
    assert len(recorded.nodes) == len(expected_nodes)
    assert recorded.nodes == expected_nodes

    service_of = {n.node_id(args.reduced): n.service for n in nodes}
    expected_edges = {
        (a.node_id(args.reduced), b.node_id(args.reduced)) for a, b in implied_edges(doc, nodes)
    }
    if not args.reduced:  # with -f, links between instances of one service and zone collapse
        assert all(a != b for a, b in recorded.edges), "spigo never links a node to itself"
    assert service_pairs(recorded.edges, service_of) == service_pairs(expected_edges, service_of)
    assert recorded.edges == expected_edges


@needs_fixtures
def test_fsm_population_matches_spigo() -> None:
    recorded = read_recording(FIXTURES / "json" / "fsm.json")
    args = recorded.args
    assert args.arch == "fsm"
    doc = load_entry("fsm")
    nodes = expand(doc, args.percent, args.regions)  # recorded with -w 2, which fsm ignores
    expected = {n.graph_id: n.package for n in nodes}
    assert recorded.nodes == expected
    assert min(expected) == "fsm.atlantic.bermuda.blackbeard01"
    assert "fsm.atlantic.bermuda.blackbeard100" in expected
    # buddies are picked at random, so only the shape of the edges is fixed
    service_of = {n.graph_id: n.service for n in nodes}
    assert service_pairs(recorded.edges, service_of) == {("blackbeard", "blackbeard")}
    assert all(a != b for a, b in recorded.edges)


def test_helper_naming_rules() -> None:
    doc: dict[str, Any] = {
        "arch": "t",
        "services": [
            {"name": "db", "package": "store", "count": 3, "regions": 1, "scales": False},
            {"name": "app", "package": "karyon", "count": 4, "regions": 1},
            {"name": "lb", "package": "elb", "count": 0, "regions": 1},
            {"name": "dns", "package": "denominator", "count": 0, "regions": 0},
        ],
    }
    ids = [n.graph_id for n in expand(doc, 50, 2)]
    assert ids == [
        "t.us-east-1.zoneA.db00",
        "t.us-east-1.zoneB.db01",
        "t.us-east-1.zoneC.db02",
        "t.us-west-2.zoneA.db03",
        "t.us-west-2.zoneB.db04",
        "t.us-west-2.zoneC.db05",
        "t.us-east-1.zoneA.app00",
        "t.us-east-1.zoneB.app01",
        "t.us-west-2.zoneC.app02",
        "t.us-west-2.zoneA.app03",
        "t.us-east-1.*.lb00",
        "t.us-west-2.*.lb00",
        "t.*.*.dns00",
    ]
    assert parse_args("[./spigo -a migration -d 3 -j -s 9 -w 3 -f]") == RunArgs(
        "migration", 100, 3, 9, True
    )
