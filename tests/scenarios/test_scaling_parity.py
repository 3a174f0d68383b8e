"""Parity with spigo holds for other ``-p`` and ``-w`` values too, with and without ``-f``.

spigo recorded each bundled architecture at one setting only (test_parity.py replays those).
Here every catalog entry but fsm runs through the real command line at a spread of scale
percentages and region counts, and its node set (name, package) and instance edge set must
equal what spigo's rules derive from the catalog YAML. The rules come from spigo_rules.py, an
independent re-implementation (PyYAML only, no monkeyhouse code) that test_catalog_data.py
validates against every recorded spigo graph.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any, cast

import pytest

from monkeyhouse.cli.main import main
from spigo_rules import CATALOG_ORDER, expand, expected_graph, load_entry, services_of

#: Every entry that is not a population (fsm's -p is a pirate count; its buddies are random).
ENTRIES: tuple[str, ...] = tuple(name for name in CATALOG_ORDER if name != "fsm")

#: (-p, -w, -f) settings, none of them spigo's default 100/1. -p 1 rounds every scaled count
#: to 0; -p 10 rounds most; -p 333 gives odd counts that do not split evenly over zones.
SETTINGS: tuple[tuple[int, int, bool], ...] = (
    (50, 1, False),
    (200, 2, False),
    (333, 3, False),
    (10, 6, False),
    (1, 2, False),
    (150, 4, True),
    (75, 5, True),
    (200, 2, True),
)

#: Regions migration steps 7 to 9 always use, whatever -w says (spigo.md §6.11).
FIXED_REGIONS = {"migration7": 2, "migration8": 2, "migration9": 3}

SPIGO_REGIONS = (
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-southeast-2",
)


def arch_args(entry: str) -> list[str]:
    """The -a (and -s) words that choose a catalog entry, as spigo spells them."""
    if entry.startswith("migration"):
        return ["-a", "migration", "-s", entry.removeprefix("migration")]
    return ["-a", entry]


def run(
    entry: str, out: Path, percent: int, regions: int, reduced: bool = False
) -> tuple[list[dict[str, Any]], str]:
    """Run ``entry`` for one simulated second; return graph.json's entries and stderr."""
    args = ["run", *arch_args(entry), "-d", "1", "-p", str(percent), "-w", str(regions)]
    if reduced:
        args.append("-f")
    stdout, stderr = io.StringIO(), io.StringIO()
    status = main([*args, "--out", str(out), "-q"], out=stdout, err=stderr)
    assert status == 0, stderr.getvalue()
    data = json.loads((out / "graph.json").read_text(encoding="utf-8"))
    return cast(list[dict[str, Any]], data["graph"]), stderr.getvalue()


def node_and_edge_sets(
    graph: list[dict[str, Any]],
) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    node_entries = [(str(e["node"]), str(e["package"])) for e in graph if "node" in e]
    edge_entries = [(str(e["source"]), str(e["target"])) for e in graph if "edge" in e]
    # spigo writes each node and each link once, with -f too (every recording does)
    assert len(node_entries) == len(set(node_entries)), "a node is listed twice"
    assert len(edge_entries) == len(set(edge_entries)), "an edge is listed twice"
    return set(node_entries), set(edge_entries)


@pytest.mark.parametrize(
    ("percent", "regions", "reduced"),
    SETTINGS,
    ids=[f"p{p}-w{w}{'-f' if f else ''}" for p, w, f in SETTINGS],
)
@pytest.mark.parametrize("entry", ENTRIES)
def test_run_matches_spigo_rules(
    entry: str, percent: int, regions: int, reduced: bool, tmp_path: Path
) -> None:
    graph, _ = run(entry, tmp_path / "run", percent, regions, reduced)
    got_nodes, got_edges = node_and_edge_sets(graph)
    want_nodes, want_edges = expected_graph(load_entry(entry), percent, regions, reduced)
    assert len(got_nodes) == len(want_nodes)
    assert got_nodes == want_nodes
    assert got_edges - want_edges == set(), "links spigo would not make"
    assert want_edges - got_edges == set(), "links spigo would make but the run lacks"
    node_ids = {name for name, _ in got_nodes}
    assert all(a in node_ids and b in node_ids for a, b in got_edges)


@pytest.mark.parametrize("entry", sorted(FIXED_REGIONS))
def test_fixed_region_steps_ignore_w(entry: str, tmp_path: Path) -> None:
    """Steps 7 to 9 have the same graph at -w 1 and -w 5, in exactly their own regions."""
    one, _ = run(entry, tmp_path / "w1", 100, 1)
    five, _ = run(entry, tmp_path / "w5", 100, 5)
    assert node_and_edge_sets(one) == node_and_edge_sets(five)
    regions = {str(e["node"]).split(".")[1] for e in one if "node" in e} - {"*"}
    assert regions == set(SPIGO_REGIONS[: FIXED_REGIONS[entry]])


def test_fsm_ignores_w(tmp_path: Path) -> None:
    """fsm's node set is its pirate population, whatever -w says (spigo.md §6.12)."""
    graph, _ = run("fsm", tmp_path / "run", 30, 4)
    got_nodes, got_edges = node_and_edge_sets(graph)
    want = {(n.graph_id, n.package) for n in expand(load_entry("fsm"), 30, 4)}
    assert got_nodes == want
    assert len(want) == 30
    assert {name for name, _ in got_nodes} >= {
        "fsm.atlantic.bermuda.blackbeard01",
        "fsm.atlantic.bermuda.blackbeard30",
    }
    node_ids = {name for name, _ in got_nodes}
    assert all(a in node_ids and b in node_ids and a != b for a, b in got_edges)


def rounds_to_zero(entry: str, percent: int) -> set[str]:
    """Services whose nonzero per-region count rounds down to 0 at -p percent (from the YAML)."""
    names = set()
    for svc in services_of(load_entry(entry)):
        count = int(svc["count"])
        scaled = count * percent // 100 if svc.get("scales", True) else count
        if count > 0 and int(svc["regions"]) > 0 and scaled == 0:
            names.add(str(svc["name"]))
    return names


def mentions(line: str, name: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", line) is not None


def test_count_rounding_to_zero_warns_naming_the_service(tmp_path: Path) -> None:
    # lamp at -p 10: memcache (count 1) and rds-mysql (count 2) round to 0; webserver (18) is 1
    assert rounds_to_zero("lamp", 10) == {"memcache", "rds-mysql"}
    graph, stderr = run("lamp", tmp_path / "run", 10, 1)
    warnings = [line for line in stderr.splitlines() if "warning" in line.lower()]
    assert len(warnings) == 2, stderr
    for name in ("memcache", "rds-mysql"):
        assert any(mentions(line, name) and "0" in line for line in warnings), (name, stderr)
    for name in ("webserver", "webserver-elb", "www"):
        assert not any(mentions(line, name) for line in warnings), (name, stderr)
    assert "Traceback" not in stderr
    # the run still happens: memcache became one region-wide node, as spigo does
    nodes = {str(e["node"]) for e in graph if "node" in e}
    assert "lamp.us-east-1.*.memcache00" in nodes


def test_no_warning_when_nothing_rounds_to_zero(tmp_path: Path) -> None:
    assert rounds_to_zero("lamp", 100) == set()
    _, stderr = run("lamp", tmp_path / "run", 100, 1)
    assert stderr == ""
