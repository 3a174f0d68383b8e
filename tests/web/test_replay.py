"""The replay document against the run folder's own files, counted independently."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]
import pytest

from monkeyhouse.cli.main import main
from monkeyhouse.errors import UsageError
from monkeyhouse.model.catalog import load_catalog
from monkeyhouse.web.replay import replay_document

EPOCH = datetime(2016, 12, 19, tzinfo=UTC)


def seconds(stamp: str) -> float:
    """Independent of the code under test: whole seconds by datetime, the fraction by hand."""
    whole, _, rest = stamp.rstrip("Z").partition(".")
    base = (datetime.fromisoformat(whole + "+00:00") - EPOCH).total_seconds()
    return base + (float("0." + rest) if rest else 0.0)


def graph(run: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads((run / "graph.json").read_text())["graph"]
    return entries


def alive_in_graph(entries: list[dict[str, Any]], t: float, end: float) -> int:
    """Alive at ``t`` by graph.json; a ``done`` at the run's ``end`` is its shutdown."""
    born = {e["node"]: seconds(e["timestamp"]) for e in entries if "node" in e}
    died = {
        e["done"]: seconds(e["timestamp"])
        for e in entries
        if "done" in e and seconds(e["timestamp"]) < end
    }
    return sum(1 for n, b in born.items() if b <= t and (n not in died or t < died[n]))


def alive_in_document(document: dict[str, Any], t: float) -> int:
    return sum(
        1
        for i in document["topology"]["instances"]
        if i["born"] <= t and (i["died"] is None or t < i["died"])
    )


def service(name: str) -> str:
    return name.split(".")[3].rstrip("0123456789")


def test_instances_at_every_time_match_graph_json(chaos_run: Path) -> None:
    document, _ = replay_document(chaos_run)
    entries = graph(chaos_run)
    nodes = [e["node"] for e in entries if "node" in e]
    assert [i["name"] for i in document["topology"]["instances"]] == nodes
    assert len(nodes) > 65  # replacements and the zone's new instances
    times = sorted(
        {seconds(e["timestamp"]) for e in entries if "node" in e or "done" in e}
        | {0.0, 2.99, 5.5, 9.99, 14.0, 29.99, 30.0}
    )
    for t in times:
        assert alive_in_document(document, t) == alive_in_graph(entries, t, 30.0), t
    assert alive_in_document(document, 5.0) == 63  # two login instances died at 3 s
    # the end of the run leaves the last picture standing: 65 again after the replacements
    assert alive_in_document(document, 30.0) == 65
    assert document["duration"] == 30.0 and document["arch"] == "netflixoss"


def test_service_edges_match_graph_json(chaos_run: Path) -> None:
    document, _ = replay_document(chaos_run)
    names = [s["name"] for s in document["topology"]["services"]]
    pairs = {(names[e["source"]], names[e["target"]]) for e in document["topology"]["edges"]}
    expected = {
        (service(e["source"]), service(e["target"])) for e in graph(chaos_run) if "edge" in e
    }
    assert pairs == expected
    assert len(document["edge_born"]) == len(pairs)
    assert all(t is not None and 0.0 <= t <= 30.0 for t in document["edge_born"])


def test_chaos_series_breakers_and_commands_come_from_their_files(chaos_run: Path) -> None:
    document, traces = replay_document(chaos_run)
    chaos = json.loads((chaos_run / "chaos.json").read_text())
    assert document["chaos"] == chaos["log"]
    assert {r["action"] for r in document["chaos"]} >= {"chaos-monkey", "chaos-gorilla"}
    rows = pq.read_table(chaos_run / "metrics_service.parquet").to_pylist()
    assert document["series"]["t"] == sorted({r["time"] for r in rows})
    services = document["topology"]["services"]
    assert len(document["series"]["services"]["rate"]) == len(services)
    homepage = next(s["id"] for s in services if s["name"] == "homepage")
    k = document["series"]["t"].index(5.0)
    row = next(r for r in rows if r["time"] == 5.0 and r["service"] == "homepage")
    assert document["series"]["services"]["rate"][homepage][k] == row["throughput"]
    breakers = pq.read_table(chaos_run / "breaker_timeline.parquet").num_rows
    assert len(document["breakers"]) == breakers
    summary = json.loads((chaos_run / "summary.json").read_text())
    assert {c["name"] for c in document["commands"]} == {
        k.replace(" -> ", "->") for k in summary["commands"]
    }
    assert document["traces"] == [] and traces == {}  # the scenario wrote no spans
    json.dumps(document, allow_nan=False)


def test_traces_come_from_the_zipkin_file(netflixoss_run: Path) -> None:
    document, traces = replay_document(netflixoss_run)
    spans = json.loads((netflixoss_run / "spans.zipkin.json").read_text())
    ids = {s["traceId"] for s in spans}
    assert {t["trace"] for t in document["traces"]} == set(traces) == ids
    line = document["traces"][0]
    trace = traces[line["trace"]]
    assert line["spans"] == len(trace["spans"]) == sum(s["traceId"] == line["trace"] for s in spans)
    assert line["root"] == "www"
    root = trace["spans"][0]
    assert root["parent"] is None and root["start_ms"] == 0.0
    assert {s["service"] for s in trace["spans"]} >= {"www", "wwwproxy"}


def test_a_folder_with_only_graph_json_still_replays(netflixoss_run: Path, tmp_path: Path) -> None:
    shutil.copy(netflixoss_run / "graph.json", tmp_path / "graph.json")
    document, traces = replay_document(tmp_path)
    assert len(document["topology"]["instances"]) == 65
    assert document["chaos"] == [] and document["traces"] == [] and traces == {}
    assert document["series"]["t"] == [] and document["commands"] == []
    assert "steps" not in document


def test_a_migration_run_has_its_steps(tmp_path: Path) -> None:
    out = tmp_path / "migration"
    args = ["run", "-a", "migration", "-s", "3", "-d", "1", "--spans", "none"]
    assert main([*args, "--no-metrics", "--no-report", "--out", str(out), "-q"]) == 0
    document, _ = replay_document(out)
    assert [s["step"] for s in document["steps"]] == list(range(10))
    for step in document["steps"]:
        services = load_catalog(step["arch"]).services
        assert [s["name"] for s in step["topology"]["services"]] == [s.name for s in services]
    step3 = {i["name"] for i in document["steps"][3]["topology"]["instances"]}
    assert step3 == {i["name"] for i in document["topology"]["instances"]}


def test_not_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a run folder"):
        replay_document(tmp_path)
    (tmp_path / "graph.json").write_text("{not json")
    with pytest.raises(UsageError, match="not valid JSON"):
        replay_document(tmp_path)
