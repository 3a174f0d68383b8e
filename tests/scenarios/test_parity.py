"""Parity with spigo: every recorded graph in ../shared/fixtures/spigo/json/ is reproduced.

For each recorded file, a run with the same arguments as its ``args`` field gives the same set of
nodes (name and package) and the same set of instance-to-instance edges. fsm's buddies are
random: its node set must match and its edges per pirate are compared statistically in
test_fsm.py. The runs go through the real command line.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pytest

from monkeyhouse.cli.main import main
from spigo_data import SPIGO

FIXTURES = SPIGO


def recorded_args(path: Path) -> list[str]:
    """The recorded command line without ``./spigo``."""
    data = json.loads(path.read_text())
    args = shlex.split(data["args"].strip("[]"))
    return args[1:]  # drop ./spigo


RECORDED = sorted(p for p in (FIXTURES / "json").glob("*.json") if p.stem != "fsm")


def arch_of(path: Path) -> str:
    args = recorded_args(path)
    return args[args.index("-a") + 1] if "-a" in args else "netflixoss"


#: recorded runs of catalog entries (testyaml is only a spigo json_arch file)
FROM_CATALOG = [p for p in RECORDED if arch_of(p) != "testyaml"]
#: recorded runs whose architecture spigo read from a json_arch file (not migration)
FROM_JSON_ARCH = [
    p for p in RECORDED if (FIXTURES / "json_arch" / f"{arch_of(p)}_arch.json").exists()
]


def graph_sets(path: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    data = json.loads(path.read_text())
    nodes = {(e["node"], e["package"]) for e in data["graph"] if "node" in e}
    edges = {(e["source"], e["target"]) for e in data["graph"] if "edge" in e}
    return nodes, edges


def run_cli(args: list[str], out: Path, cwd: Path) -> Path:
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        status = main([*args, "--out", str(out), "-q"])
    finally:
        os.chdir(previous)
    assert status == 0
    return out / "graph.json"


@pytest.mark.parametrize("recorded", FROM_CATALOG, ids=lambda p: p.stem)
def test_recorded_graph_is_reproduced_from_the_catalog(recorded: Path, tmp_path: Path) -> None:
    args = recorded_args(recorded)
    graph = run_cli(args, tmp_path / "run", tmp_path)
    want_nodes, want_edges = graph_sets(recorded)
    got_nodes, got_edges = graph_sets(graph)
    assert got_nodes == want_nodes
    assert got_edges == want_edges


@pytest.mark.parametrize("recorded", FROM_JSON_ARCH, ids=lambda p: p.stem)
def test_recorded_graph_is_reproduced_from_spigo_files_at_zero_duration(
    recorded: Path, tmp_path: Path
) -> None:
    """spigo's own json_arch files, read from the working directory as spigo does, and -d 0."""
    args = recorded_args(recorded)
    if "-d" in args:
        args[args.index("-d") + 1] = "0"
    graph = run_cli(args, tmp_path / "run", FIXTURES)
    want_nodes, want_edges = graph_sets(recorded)
    got_nodes, got_edges = graph_sets(graph)
    assert got_nodes == want_nodes
    assert got_edges == want_edges
