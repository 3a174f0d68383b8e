"""An independent, small re-implementation of spigo's graph rules, used as a test oracle.

It reads the bundled catalog YAML with PyYAML only (no monkeyhouse code) and derives, under
spigo's naming and routing rules (../shared/reference/spigo.md §2.3, §2.4, §5), every node and
every instance edge a run must produce. It was validated against every recorded spigo graph in
../shared/fixtures/spigo/json/ (see tests/model/test_catalog_data.py), so other tests can use it
as truth for settings spigo never recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

CATALOG_DIR = Path(__file__).resolve().parents[1] / "src" / "monkeyhouse" / "model" / "catalog"

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


def expected_graph(
    doc: Mapping[str, Any], percent: int, w: int, reduced: bool
) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The (node id, package) set and the (source id, target id) edge set of a run.

    With ``reduced`` (``-f``), instances of one service in one zone collapse into one node, so
    their links collapse too (and a link between two of them becomes a self-link).
    """
    nodes = expand(doc, percent, w)
    node_set = {(n.node_id(reduced), n.package) for n in nodes}
    edge_set = {(a.node_id(reduced), b.node_id(reduced)) for a, b in implied_edges(doc, nodes)}
    return node_set, edge_set
