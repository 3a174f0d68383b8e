"""The Topology of an architecture, a running simulation and a run's graph, against spigo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monkeyhouse.model import resolve_architecture
from monkeyhouse.model.catalog import load_catalog
from monkeyhouse.scenarios.simulation import RunOptions, Simulation
from monkeyhouse.telemetry.timestamps import EPOCH
from monkeyhouse.web.replay import migration_steps
from monkeyhouse.web.topology import (
    architecture_topology,
    graph_topology,
    simulation_topology,
    tiers,
)
from spigo_data import SPIGO


def spigo_nodes(name: str) -> set[str]:
    data = json.loads((SPIGO / "json" / f"{name}.json").read_text(encoding="utf-8"))
    return {entry["node"] for entry in data["graph"] if "node" in entry}


def test_netflixoss_has_spigo_s_instances_by_name() -> None:
    topology = architecture_topology(load_catalog("netflixoss"))
    names = {i["name"] for i in topology["instances"]}
    assert len(topology["instances"]) == len(spigo_nodes("netflixoss")) == 65
    assert names == spigo_nodes("netflixoss")
    assert [i["id"] for i in topology["instances"]] == list(range(65))


def test_netflixoss_tiers_edges_and_places() -> None:
    topology = architecture_topology(load_catalog("netflixoss"))
    tier = {s["name"]: s["tier"] for s in topology["services"]}
    assert tier == {
        "www": 0,
        "www-elb": 1,
        "wwwproxy": 2,
        "login": 3,
        "homepage": 3,
        "subscriber": 4,
        "cassSubscriber": 5,
        "evcacheSubscriber": 5,
    }
    names = [s["name"] for s in topology["services"]]
    edges = {(names[e["source"]], names[e["target"]]) for e in topology["edges"]}
    assert ("www", "www-elb") in edges and ("subscriber", "cassSubscriber") in edges
    assert not any("eureka" in pair for pair in edges)
    assert [e["id"] for e in topology["edges"]] == list(range(len(edges)))
    assert topology["regions"] == ["us-east-1"]
    assert topology["zones"] == ["us-east-1/zoneA", "us-east-1/zoneB", "us-east-1/zoneC"]
    places = {(i["name"].split(".")[3], i["region"], i["zone"]) for i in topology["instances"]}
    assert ("www00", "*", "*") in places
    assert ("www-elb00", "us-east-1", "*") in places
    assert ("login00", "us-east-1", "us-east-1/zoneA") in places


def test_tiers_of_services_the_entry_point_never_reaches() -> None:
    # 3 is the entry point; it calls 1, which calls 0; 2 is unreachable
    assert tiers(4, [(3, 1), (1, 0), (2, 0)]) == [2, 1, 3, 0]
    assert tiers(3, [(2, 0), (2, 1), (0, 1)]) == [1, 1, 0]  # the shortest path wins
    assert tiers(0, []) == []


@pytest.mark.parametrize("step", range(10))
def test_each_migration_step_has_spigo_s_instances(step: int) -> None:
    topology = migration_steps()[step]["topology"]
    names = {i["name"] for i in topology["instances"]}
    assert names == spigo_nodes(f"migration{step or ''}")


def test_a_running_simulation_starts_with_the_architecture_s_topology() -> None:
    arch = resolve_architecture("netflixoss", cwd=Path.cwd())
    sim = Simulation(arch, RunOptions(duration=5.0, chaos=False))
    sim.start()
    sim.advance(1.0)
    victim = sim.kill_instance("netflixoss.us-east-1.zoneC.login02")
    ident = next(i.id for i in sim.instances if i.name == victim)
    live = simulation_topology(sim, {}, {ident: 1.0})
    still = architecture_topology(arch)
    assert live["services"] == still["services"] and live["edges"] == still["edges"]
    assert [i["name"] for i in live["instances"]] == [i["name"] for i in still["instances"]]
    assert live["instances"][ident]["died"] == 1.0
    sim.finish()


def test_services_whose_names_end_in_digits_are_told_apart_by_the_run_s_service_names() -> None:
    # instance 07 of svc1x002 and instance 10 of svc1x0: the names alone look alike
    stamp = "2016-12-19T00:00:00Z"
    entries = [
        {"node": "a.us-east-1.zoneA.svc1x00207", "package": "karyon", "timestamp": stamp},
        {"node": "a.us-east-1.zoneB.svc1x010", "package": "karyon", "timestamp": stamp},
        {"node": "a.us-east-1.zoneC.login3", "package": "karyon", "timestamp": stamp},
    ]
    topology, _ = graph_topology(entries, EPOCH, ["svc1x002", "svc1x0", "login"])
    named = {
        i["name"].split(".")[-1]: topology["services"][i["service"]]["name"]
        for i in topology["instances"]
    }
    assert named == {"svc1x00207": "svc1x002", "svc1x010": "svc1x0", "login3": "login"}
    # without the run's names, spigo's rule: the service is the label without trailing digits
    alone, _ = graph_topology(entries, EPOCH)
    assert [s["name"] for s in alone["services"]] == ["svc1x", "login"]
