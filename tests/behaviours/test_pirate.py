"""fsm's pirates: the node set is spigo's and the edges per pirate are statistically like spigo's.

spigo's recorded run (``-a fsm -d 10``, 100 pirates) is the reference: a two-sample
Kolmogorov-Smirnov test must not tell our out-degree distribution from spigo's.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest
from scipy import stats

import monkeyhouse
from monkeyhouse.behaviours.pirate import DUNBAR
from spigo_data import SPIGO


def out_degrees(graph: Path) -> tuple[list[str], list[int], list[tuple[str, str]]]:
    data = json.loads(graph.read_text())
    nodes = [e["node"] for e in data["graph"] if "node" in e]
    edges = [(e["source"], e["target"]) for e in data["graph"] if "edge" in e]
    counts = collections.Counter(source for source, _ in edges)
    return nodes, [counts[n] for n in nodes], edges


REFERENCE_NODES, REFERENCE, _ = out_degrees(SPIGO / "json" / "fsm.json")


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_fsm_edges_per_pirate_are_like_spigos(seed: int, tmp_path: Path) -> None:
    result = monkeyhouse.run("fsm", duration=10, seed=seed, out=tmp_path / "run")
    nodes, degrees, edges = out_degrees(result.graph_json)
    assert sorted(nodes) == sorted(REFERENCE_NODES)
    assert stats.ks_2samp(degrees, REFERENCE).pvalue > 0.01
    mean, reference_mean = sum(degrees) / len(degrees), sum(REFERENCE) / len(REFERENCE)
    assert abs(mean - reference_mean) < 0.25
    assert all(source != target for source, target in edges)
    assert len(set(edges)) == len(edges)
    assert max(degrees) <= DUNBAR


def test_population_flag_sets_the_pirate_count_and_dunbar_caps_buddies(tmp_path: Path) -> None:
    result = monkeyhouse.run("fsm", duration=60, percent=40, seed=3, out=tmp_path / "run")
    nodes, degrees, _ = out_degrees(result.graph_json)
    assert len(nodes) == 40
    assert nodes[0] == "fsm.atlantic.bermuda.blackbeard01"
    assert nodes[-1] == "fsm.atlantic.bermuda.blackbeard40"
    assert max(degrees) <= DUNBAR
    # a minute of gossip among 40 pirates makes the network denser than the initial two names
    assert sum(degrees) / len(degrees) > 3
