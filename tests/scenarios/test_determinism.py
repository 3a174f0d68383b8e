"""Determinism: the same architecture, options and seed give byte-identical outputs.

DESIGN.md promises it. Runs are made twice into different folders with the same arguments
(the same relative ``--out`` from two working directories, so even the recorded command line
is the same), in process and in separate interpreters with different hash seeds. Another seed
may change what is random (the chaos victim, request routing, fsm's buddies) but never the
structure (nodes and instance edges). graph.graphml is also checked as GraphML with xml.etree.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, cast

import pytest

from monkeyhouse.cli.main import main
from spigo_data import SPIGO

OUTPUTS = ("graph.json", "graph.graphml", "run.json")

#: Argument sets: chaos monkey strikes netflixoss's homepage at d/2 = 2 s; fsm's buddies and
#: gold are random; yogi with -f and two regions collapses instances per zone.
CASES: dict[str, list[str]] = {
    "netflixoss-chaos": ["-a", "netflixoss", "-d", "4", "-g"],
    "fsm": ["-a", "fsm", "-p", "40", "-d", "3", "-g"],
    "yogi-reduced": ["-a", "yogi", "-f", "-w", "2", "-p", "150", "-d", "2", "-g"],
}

GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
G = f"{{{GRAPHML_NS}}}"
GRAPHML_TYPES = frozenset({"boolean", "int", "long", "float", "double", "string"})


def run_in(folder: Path, args: list[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run ``monkeyhouse run ARGS --out run`` with ``folder`` as working directory."""
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(folder)
    err = io.StringIO()
    status = main(["run", *args, "--out", "run", "-q"], out=io.StringIO(), err=err)
    assert status == 0, err.getvalue()
    return folder / "run"


def read_json(path: Path) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))


def graph_of(run: Path) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], read_json(run / "graph.json")["graph"])


def structure(run: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    graph = graph_of(run)
    nodes = {(str(e["node"]), str(e["package"])) for e in graph if "node" in e}
    edges = {(str(e["source"]), str(e["target"])) for e in graph if "edge" in e}
    return nodes, edges


def chaos_victims(run: Path, half_time: float) -> list[str]:
    """Nodes graph.json reports as ended (``done``) at half the run, when chaos monkey strikes."""
    data = read_json(run / "graph.json")
    start = datetime.datetime.fromisoformat(str(data["date"]).replace("Z", "+00:00"))
    strike = start + datetime.timedelta(seconds=half_time)
    return [
        str(e["done"])
        for e in cast(list[dict[str, Any]], data["graph"])
        if "done" in e
        and datetime.datetime.fromisoformat(str(e["timestamp"]).replace("Z", "+00:00")) == strike
    ]


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested JSON as {"a.b.c": leaf}; lists stay leaves."""
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): value}


# ---------------------------------------------------------------------------------------------
# Same seed, same bytes


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_seed_gives_byte_identical_outputs(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = [*CASES[case], "--seed", "7"]
    first = run_in(tmp_path / "a", args, monkeypatch)
    second = run_in(tmp_path / "b", args, monkeypatch)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    assert set(OUTPUTS) <= set(names)
    # every file: graphs, spans in four formats, metrics tables, summary, Prometheus, report
    assert len(names) >= 15, names
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_chaos_run_is_reproduced_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The chaos case really has chaos in it, so byte-identity above covers the victim too."""
    args = [*CASES["netflixoss-chaos"], "--seed", "7"]
    first = run_in(tmp_path / "a", args, monkeypatch)
    second = run_in(tmp_path / "b", args, monkeypatch)
    victims = chaos_victims(first, 2.0)
    assert len(victims) == 1
    assert victims == chaos_victims(second, 2.0)
    forgets = [e for e in graph_of(first) if "forget" in e]
    assert forgets, "links to the victim are forgotten"
    assert all(e["target"] == victims[0] for e in forgets)


def test_outputs_do_not_depend_on_the_interpreter_hash_seed(tmp_path: Path) -> None:
    """Two separate interpreters with different PYTHONHASHSEED write the same bytes."""
    results = []
    for hash_seed in ("1", "2"):
        folder = tmp_path / f"hash{hash_seed}"
        folder.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        for case in ("netflixoss-chaos", "fsm"):
            command = [sys.executable, "-m", "monkeyhouse", "run", *CASES[case]]
            command += ["--seed", "3", "--out", case, "-q"]
            done = subprocess.run(
                command, cwd=folder, env=env, capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0, done.stderr
        results.append(folder)
    for case in ("netflixoss-chaos", "fsm"):
        for name in OUTPUTS:
            first = (results[0] / case / name).read_bytes()
            assert first == (results[1] / case / name).read_bytes(), (case, name)


# ---------------------------------------------------------------------------------------------
# Another seed: what is random changes, the structure does not


def test_seed_changes_victim_not_structure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = {
        seed: run_in(
            tmp_path / f"s{seed}", ["-a", "netflixoss", "-d", "4", "--seed", str(seed)], monkeypatch
        )
        for seed in range(1, 6)
    }
    structures = {seed: structure(run) for seed, run in runs.items()}
    nodes, edges = structures[1]
    # and it is spigo's: the recorded netflixoss graph has exactly these nodes and links
    recorded = read_json(SPIGO / "json" / "netflixoss.json")["graph"]
    assert nodes == {(e["node"], e["package"]) for e in recorded if "node" in e}
    assert edges == {(e["source"], e["target"]) for e in recorded if "edge" in e}
    for seed in range(2, 6):
        assert structures[seed] == (nodes, edges), seed

    victims = {seed: chaos_victims(run, 2.0) for seed, run in runs.items()}
    assert all(len(v) == 1 for v in victims.values()), victims
    homepages = {name for name, _ in nodes if name.split(".")[3].startswith("homepage")}
    assert all(v[0] in homepages for v in victims.values())  # netflixoss's victim: homepage
    assert len({v[0] for v in victims.values()}) > 1, "every seed picked the same victim"

    # run.json: structural fields identical; only the seed and what randomness drives differ
    manifests = {seed: flatten(read_json(run / "run.json")) for seed, run in runs.items()}
    random_fields = {
        "command",  # it contains the --seed value
        "seed",
        "options.seed",
        "summary.chaos_victims",
        "chaos",  # the chaos log names the victim
        # request routing and the victim are random, so traffic outcomes may differ
        "summary.messages",
        "summary.lost",
        "summary.reads",
        "summary.reads_answered",
        "summary.writes",
        "summary.writes_answered",
        "summary.errors",
        "summary.mean_response_ms",
        "summary.max_response_ms",
        "spans.seen",
        "spans.kept",
        "spans.traces_kept",
        "summary.events",
    }
    for seed in range(2, 6):
        assert manifests[seed].keys() == manifests[1].keys()
        differing = {k for k in manifests[1] if manifests[1][k] != manifests[seed][k]}
        assert differing <= random_fields, differing - random_fields
        assert {"seed", "options.seed"} <= differing
        assert manifests[seed]["summary.chaos_victims"] == victims[seed]
    assert manifests[1]["summary.nodes"] == 65
    assert manifests[1]["summary.edges"] == 259


def test_seed_changes_fsm_edges_not_nodes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = [
        run_in(
            tmp_path / f"s{seed}",
            ["-a", "fsm", "-p", "40", "-d", "3", "--seed", str(seed)],
            monkeypatch,
        )
        for seed in (1, 2, 3)
    ]
    structures = [structure(run) for run in runs]
    node_sets = [nodes for nodes, _ in structures]
    assert all(nodes == node_sets[0] for nodes in node_sets)
    assert len(node_sets[0]) == 40
    edge_sets = [frozenset(edges) for _, edges in structures]
    assert len(set(edge_sets)) > 1, "fsm's buddies did not depend on the seed"


# ---------------------------------------------------------------------------------------------
# graph.graphml is GraphML


@pytest.mark.parametrize("case", sorted(CASES))
def test_graphml_is_graphml_and_matches_graph_json(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_in(tmp_path, [*CASES[case], "--seed", "5"], monkeypatch)
    root = ET.parse(run / "graph.graphml").getroot()
    assert root.tag == f"{G}graphml"

    keys = {}
    for key in root.findall(f"{G}key"):
        key_id = key.get("id")
        assert key_id and key_id not in keys, f"key {key_id!r} missing or declared twice"
        assert key.get("for") in {"node", "edge", "graph", "all"}, key.attrib
        assert key.get("attr.type", "string") in GRAPHML_TYPES, key.attrib
        keys[key_id] = key.get("for")

    graphs = root.findall(f"{G}graph")
    assert len(graphs) == 1
    graph = graphs[0]
    assert graph.get("edgedefault") in {"directed", "undirected"}
    node_elements = graph.findall(f"{G}node")
    edge_elements = graph.findall(f"{G}edge")
    assert len(graph) == len(node_elements) + len(edge_elements) + len(graph.findall(f"{G}data"))

    # every data element uses a declared key meant for its kind of element
    for element, kind in (
        [(graph, "graph")]
        + [(n, "node") for n in node_elements]
        + [(e, "edge") for e in edge_elements]
    ):
        for data in element.findall(f"{G}data"):
            key_id = data.get("key")
            assert key_id in keys, f"undeclared key {key_id!r}"
            assert keys[key_id] in {kind, "all"}, (key_id, keys[key_id], kind)

    entries = graph_of(run)
    node_entries = [e for e in entries if "node" in e]
    edge_entries = [e for e in entries if "edge" in e]
    ids = [n.get("id") for n in node_elements]
    assert len(ids) == len(set(ids)), "two GraphML nodes share an id"
    assert len(node_elements) == len(node_entries)
    assert set(ids) == {e["node"] for e in node_entries}
    assert len(edge_elements) == len(edge_entries)
    assert sorted((e.get("source"), e.get("target")) for e in edge_elements) == sorted(
        (e["source"], e["target"]) for e in edge_entries
    )
    assert all(e.get("source") in ids and e.get("target") in ids for e in edge_elements)
    edge_ids = [e.get("id") for e in edge_elements if e.get("id") is not None]
    assert len(edge_ids) == len(set(edge_ids))

    # the package travels with its node, under a declared key named "package"
    package_keys = [k.get("id") for k in root.findall(f"{G}key") if k.get("attr.name") == "package"]
    assert len(package_keys) == 1
    packages = {e["node"]: e["package"] for e in node_entries}
    for node in node_elements:
        found = [d.text for d in node.findall(f"{G}data") if d.get("key") == package_keys[0]]
        assert found == [packages[node.get("id")]], node.get("id")
