"""Data checks for the bundled catalog (src/monkeyhouse/model/catalog/*.yaml).

These tests read the YAML with PyYAML only (no monkeyhouse loader) and check it against
spigo's reference data:

* entries converted from spigo's ``json_arch/NAME_arch.json`` say exactly what that file says;
* for every recorded spigo graph (``json/*.json``), the node set (name and package) and the
  edges implied by the catalog entry under spigo's naming and routing rules equal the
  recording, at service level and at instance level.

The spigo reference data is ../shared/fixtures/spigo (see spigo_data.py: missing data is an
error, never a skip). The rules themselves (naming, counts, routing) live in spigo_rules.py so
that other tests can use them as an oracle; the recordings checked here are what validates it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest

from spigo_data import SPIGO
from spigo_rules import (
    CATALOG_DIR,
    CATALOG_ORDER,
    EUREKA,
    RunArgs,
    deps_of,
    expand,
    implied_edges,
    load_entry,
    parse_args,
    services_of,
)

FIXTURES = SPIGO

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


def load_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return cast(dict[str, Any], json.load(fh))


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
