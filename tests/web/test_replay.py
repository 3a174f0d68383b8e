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


def table(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    return rows


def edge_ids(document: dict[str, Any]) -> dict[tuple[str, str], int]:
    names = [s["name"] for s in document["topology"]["services"]]
    return {
        (names[e["source"]], names[e["target"]]): e["id"] for e in document["topology"]["edges"]
    }


def test_edge_series_are_metrics_edge_per_interval(chaos_run: Path) -> None:
    document, _ = replay_document(chaos_run)
    times = document["series"]["t"]
    edges = document["series"]["edges"]
    ids = edge_ids(document)
    rows = table(chaos_run / "metrics_edge.parquet")
    assert len(edges["rate"]) == len(edges["errors"]) == len(ids)
    assert all(len(line) == len(times) for line in edges["rate"] + edges["errors"])
    filled = set()
    for row in rows:
        e, k = ids[(row["source"], row["target"])], times.index(row["time"])
        width = row["time"] - (times[k - 1] if k else 0.0)
        assert edges["rate"][e][k] == pytest.approx(row["count"] / width)
        assert edges["errors"][e][k] == pytest.approx(row["errors"] / width)
        filled.add((e, k))
    for e, line in enumerate(edges["rate"]):
        assert all(v is None for k, v in enumerate(line) if (e, k) not in filled)
    # calls over the run: the per-second figures times the interval lengths give the totals
    widths = [t - p for t, p in zip(times, [0.0, *times[:-1]], strict=True)]
    for total in table(chaos_run / "metrics_edge_totals.parquet"):
        e = ids[(total["source"], total["target"])]
        calls = sum((r or 0.0) * w for r, w in zip(edges["rate"][e], widths, strict=True))
        errors = sum((r or 0.0) * w for r, w in zip(edges["errors"][e], widths, strict=True))
        assert calls == pytest.approx(total["count"]) and errors == pytest.approx(total["errors"])
    # zoneB dark from 10 s: the entry edge answers errors in the interval ending at 12 s
    entry = ids[("www", "www-elb")]
    k = times.index(12.0)
    row = next(r for r in rows if r["time"] == 12.0 and r["source"] == "www")
    assert edges["errors"][entry][k] == row["errors"] > 0
    assert edges["errors"][entry][times.index(5.0)] == 0.0


def test_command_series_are_metrics_commands_per_interval(chaos_run: Path) -> None:
    document, _ = replay_document(chaos_run)
    rows = table(chaos_run / "metrics_commands.parquet")
    series = {c["name"]: c for c in document["command_series"]}
    assert set(series) == {f"{r['caller']}->{r['dependency']}" for r in rows}
    summary = json.loads((chaos_run / "summary.json").read_text())["commands"]
    events = [
        "success",
        "failure",
        "timeout",
        "short_circuited",
        "thread_pool_rejected",
        "semaphore_rejected",
        "fallback_success",
        "fallback_failure",
    ]
    samples = sorted({r["time"] for r in rows})
    for name, command in series.items():
        caller, dependency = name.split("->")
        mine = [r for r in rows if r["caller"] == caller and r["dependency"] == dependency]
        assert command["t"] == [r["time"] for r in mine]
        # counts are per interval: over the run they add up to summary.json's totals
        totals = summary[f"{caller} -> {dependency}"]
        for event in events:
            assert command["counts"][event] == [r[event] for r in mine]
            assert sum(command["counts"][event]) == totals[event], (name, event)
        for key in ("open", "half_open", "breakers", "concurrent"):
            assert command[key] == [r[key] for r in mine]
        assert command["error_share"] == [r["error_percentage"] / 100 for r in mine]
        assert command["p99_ms"] == [r["latency_p99_ms"] for r in mine]
    # one chosen interval by hand: login -> subscriber in the interval ending at 12 s
    command = series["login->subscriber"]
    k = command["t"].index(12.0)
    row = next(r for r in rows if r["time"] == 12.0 and r["caller"] == "login")
    width = 12.0 - samples[samples.index(12.0) - 1]
    assert command["rate"][k] == pytest.approx(sum(row[e] for e in events[:6]) / width)
    assert command["p50_ms"][k] == row["latency_p50_ms"]


def open_by_timeline(run: Path, command: str, t: float) -> int:
    """Breakers of ``command`` open at ``t`` by breaker_timeline.parquet (its last change)."""
    changes = [
        r
        for r in table(run / "breaker_timeline.parquet")
        if f"{r['caller']}->{r['dependency']}" == command and r["time"] <= t
    ]
    return max(changes, key=lambda r: r["time"])["open"] if changes else 0


def test_an_opened_breaker_shows_in_its_interval(slowed_run: Path) -> None:
    document, _ = replay_document(slowed_run)
    series = {c["name"]: c for c in document["command_series"]}
    path = {"wwwproxy->login", "wwwproxy->homepage", "login->subscriber", "homepage->subscriber"}
    timeline = table(slowed_run / "breaker_timeline.parquet")
    opened = {f"{r['caller']}->{r['dependency']}" for r in timeline if r["change"] == "opened"}
    assert opened and opened <= path
    for name, command in series.items():
        for t, now_open in zip(command["t"], command["open"], strict=True):
            assert now_open == open_by_timeline(slowed_run, name, t), (name, t)
        # closed until subscriber slows down at 5 s
        assert all(o == 0 for t, o in zip(command["t"], command["open"], strict=True) if t <= 5)
    first = min(timeline, key=lambda r: r["time"])
    command = series[f"{first['caller']}->{first['dependency']}"]
    k = command["t"].index(first["time"])
    assert command["open"][k] == first["open"] > 0 and command["open"][k - 1] == 0
    assert command["breakers"][k] == first["breakers"]
    # timeouts opened it; the share is the caller's whole cluster, each breaker judges its own
    # instance's health (over 50 %), so the cluster's share may still be under 50 % here
    assert command["error_share"][k] > 0 and sum(command["counts"]["timeout"][: k + 1]) > 0


def test_a_folder_without_the_per_interval_tables_still_replays(
    chaos_run: Path, tmp_path: Path
) -> None:
    for path in chaos_run.iterdir():
        if path.name not in ("metrics_edge.parquet", "metrics_commands.parquet"):
            shutil.copy(path, tmp_path / path.name)
    document, _ = replay_document(tmp_path)
    assert "edges" not in document["series"] and "command_series" not in document
    assert document["series"]["t"] and document["commands"]
