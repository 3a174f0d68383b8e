"""GraphML read back by a real GraphML reader (igraph's) with every attribute kept."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import igraph

import monkeyhouse


def test_igraph_reads_every_node_edge_and_attribute(tmp_path: Path) -> None:
    result = monkeyhouse.run("netflixoss", duration=1, out=tmp_path / "run", graphml=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an undeclared or unreadable key would warn
        graph = igraph.Graph.Read_GraphML(str(tmp_path / "run" / "graph.graphml"))
    entries = json.loads(result.graph_json.read_text())["graph"]
    nodes = {e["node"]: e for e in entries if "node" in e}
    edges = [(e["source"], e["target"]) for e in entries if "edge" in e]
    assert graph.vcount() == len(nodes) == 65
    assert graph.is_directed()
    for vertex in graph.vs:
        entry = nodes[vertex["id"]]
        assert vertex["package"] == entry["package"]
        assert f"IP/{vertex['ip']}" == entry["metadata"]
        assert vertex["timestamp"] == entry["timestamp"]
    names = graph.vs["id"]
    assert sorted((names[e.source], names[e.target]) for e in graph.es) == sorted(edges)
