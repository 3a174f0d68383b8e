"""Chaos Monkey as spigo does it: the victim service loses one instance at half the run.

Independent truth: the kill time is d/2; clients forget the victim at their next registry poll
(a multiple of -u); the forgotten edges are exactly the edges into the victim that were written
before; only the victim's own zone's zuul instances (same-zone routing) had edges to it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from monkeyhouse.cli.main import main
from monkeyhouse.telemetry.timestamps import EPOCH


def seconds(stamp: str) -> float:
    text = stamp.rstrip("Z")
    whole, _, fraction = text.partition(".")
    moment = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return (moment - EPOCH).total_seconds() + (float("0." + fraction) if fraction else 0.0)


def test_victim_dies_at_half_time_and_is_forgotten_at_the_next_poll(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["run", "-a", "netflixoss", "-d", "10", "-u", "3s", "--out", str(out), "-q"]) == 0
    graph = json.loads((out / "graph.json").read_text())["graph"]
    manifest = json.loads((out / "run.json").read_text())
    victims = manifest["summary"]["chaos_victims"]
    assert len(victims) == 1
    victim = victims[0]
    assert victim.split(".")[3].rstrip("0123456789") == "homepage"
    dones = [e for e in graph if e.get("done") == victim]
    assert [seconds(e["timestamp"]) for e in dones] == [5.0]
    edges_in = {e["edge"]: e for e in graph if "edge" in e and e["target"] == victim}
    forgets = [e for e in graph if "forget" in e]
    assert forgets, "clients must forget the dead instance"
    assert {f["forget"] for f in forgets} == set(edges_in)
    for forget in forgets:
        edge = edges_in[forget["forget"]]
        assert (forget["source"], forget["target"]) == (edge["source"], edge["target"])
        assert seconds(forget["timestamp"]) == 6.0  # polls at 3, 6, 9 s
        # zuul routes within its zone only
        assert forget["source"].split(".")[2] == victim.split(".")[2]


def test_zero_duration_has_no_chaos(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["run", "-a", "netflixoss", "-d", "0", "--out", str(out), "-q"]) == 0
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["summary"]["chaos_victims"] == []
