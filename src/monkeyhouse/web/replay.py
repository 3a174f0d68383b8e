"""The replay document of a run folder (``docs/web-protocol.md``, replay mode).

Read from the files a run writes: ``run.json`` (the architecture's name, the epoch, the
duration), ``graph.json`` (instances born and died, service edges), ``chaos.json``,
``metrics_service.parquet`` (the series), ``metrics_edge.parquet`` (each edge's calls per
interval, and when it was first called), ``metrics_commands.parquet`` (each Hystrix command per
interval), ``breaker_timeline.parquet``, ``summary.json`` (the commands at the end) and
``spans.zipkin.json`` (the traces). Only ``graph.json`` is required; a missing optional file
leaves its part empty (a run without spans has no traces). Timestamps become simulated seconds
from the run's epoch.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from monkeyhouse.errors import UsageError
from monkeyhouse.exporters.zipkin import ZIPKIN_FILE
from monkeyhouse.model.catalog import MIGRATION, MIGRATION_STEPS, load_catalog
from monkeyhouse.scenarios import runfolder
from monkeyhouse.telemetry.commands import EVENT_COLUMNS
from monkeyhouse.telemetry.timestamps import EPOCH
from monkeyhouse.web.protocol import PROTOCOL, json_safe
from monkeyhouse.web.topology import architecture_topology, graph_topology

#: full traces a replay holds at most (summaries for all of them; the rest are dropped)
MAX_TRACES = 2000


def is_run_folder(path: Path) -> bool:
    """Whether ``path`` is a folder with a ``graph.json``."""
    return path.is_dir() and (path / runfolder.GRAPH_JSON).is_file()


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise UsageError(f"{path}: cannot read it: {problem.strerror or problem}") from None
    except (UnicodeDecodeError, ValueError) as problem:
        raise UsageError(f"{path}: not valid JSON ({problem}); re-run the run") from None


def _optional_json(path: Path) -> Any:
    return _read_json(path) if path.is_file() else None


def _epoch(manifest: Mapping[str, Any] | None) -> datetime:
    text = (manifest or {}).get("epoch")
    if not isinstance(text, str):
        return EPOCH
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return EPOCH


def _rows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

    try:
        rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
    except Exception as problem:
        raise UsageError(f"{path}: not a readable Parquet table ({problem})") from None
    return rows


def _finite(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _widths(times: Sequence[float]) -> list[float]:
    """Each interval's length: from the previous interval's end (the first from 0)."""
    widths = []
    previous = 0.0
    for t in times:
        widths.append(t - previous if t > previous else 1.0)
        previous = t
    return widths


def _series(rows: Sequence[Mapping[str, Any]], services: Sequence[str]) -> dict[str, Any]:
    times = sorted({float(r["time"]) for r in rows})
    at = {t: i for i, t in enumerate(times)}
    index = {name: i for i, name in enumerate(services)}
    n = len(times)
    rate: list[list[float | None]] = [[0.0] * n for _ in services]
    errors: list[list[float | None]] = [[0.0] * n for _ in services]
    p50: list[list[float | None]] = [[None] * n for _ in services]
    p99: list[list[float | None]] = [[None] * n for _ in services]
    widths = _widths(times)
    for row in rows:
        s = index.get(str(row["service"]))
        if s is None:
            continue
        k = at[float(row["time"])]
        rate[s][k] = _finite(row.get("throughput"))
        count = _finite(row.get("count")) or 0.0
        errors[s][k] = (_finite(row.get("errors")) or 0.0) / widths[k] if count else 0.0
        for target, key in ((p50, "p50"), (p99, "p99")):
            value = _finite(row.get(key))
            target[s][k] = None if value is None else value * 1000.0
    return {"t": times, "services": {"rate": rate, "errors": errors, "p50_ms": p50, "p99_ms": p99}}


def _edge_series(
    rows: Sequence[Mapping[str, Any]], topology: Mapping[str, Any], times: Sequence[float]
) -> dict[str, list[list[float | None]]]:
    """Calls and errors per second on each service edge in each interval of ``times``.

    ``None`` where the table has no row for the edge in that interval (no call on it yet).
    """
    index = {s["name"]: s["id"] for s in topology["services"]}
    pairs = {(e["source"], e["target"]): e["id"] for e in topology["edges"]}
    at = {t: k for k, t in enumerate(times)}
    widths = _widths(times)
    n = len(times)
    rate: list[list[float | None]] = [[None] * n for _ in topology["edges"]]
    errors: list[list[float | None]] = [[None] * n for _ in topology["edges"]]
    for row in rows:
        edge = pairs.get((index.get(str(row.get("source"))), index.get(str(row.get("target")))))
        k = at.get(float(row["time"]))
        if edge is None or k is None:
            continue
        rate[edge][k] = _finite(row.get("throughput")) or 0.0
        errors[edge][k] = (_finite(row.get("errors")) or 0.0) / widths[k]
    return {"rate": rate, "errors": errors}


def _command_series(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each Hystrix command of ``metrics_commands.parquet``, one value per sample.

    The event counts are the interval's (the table keeps differences of the cumulative
    counts); ``rate`` is the interval's requests per second, the interval running from the
    table's previous sample; ``error_share`` is the health's error percentage (over Hystrix's
    rolling window) as a share; the breakers, ``concurrent`` and the latencies are as sampled.
    """
    times = sorted({float(r["time"]) for r in rows})
    widths = dict(zip(times, _widths(times), strict=True))
    commands: dict[tuple[str, str], dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: float(r["time"])):
        caller, dependency = str(row["caller"]), str(row["dependency"])
        command = commands.get((caller, dependency))
        if command is None:
            command = commands[(caller, dependency)] = {
                "name": f"{caller}->{dependency}",
                "caller": caller,
                "dependency": dependency,
                "t": [],
                "counts": {kind: [] for kind in EVENT_COLUMNS},
                "rate": [],
                "error_share": [],
                **{key: [] for key in ("open", "half_open", "breakers", "concurrent")},
                "p50_ms": [],
                "p99_ms": [],
            }
        t = float(row["time"])
        counts = {kind: int(row.get(kind) or 0) for kind in EVENT_COLUMNS}
        command["t"].append(t)
        for kind, count in counts.items():
            command["counts"][kind].append(count)
        requests = sum(counts[kind] for kind in EVENT_COLUMNS[:6])
        command["rate"].append(requests / widths[t])
        command["error_share"].append((_finite(row.get("error_percentage")) or 0.0) / 100.0)
        for key in ("open", "half_open", "breakers", "concurrent"):
            command[key].append(int(row.get(key) or 0))
        command["p50_ms"].append(_finite(row.get("latency_p50_ms")))
        command["p99_ms"].append(_finite(row.get("latency_p99_ms")))
    return sorted(commands.values(), key=lambda c: str(c["name"]))


def _edge_first_calls(
    rows: Sequence[Mapping[str, Any]],
    topology: Mapping[str, Any],
    edge_born: list[float],
    interval: float,
) -> list[float]:
    names = [s["name"] for s in topology["services"]]
    index = {name: i for i, name in enumerate(names)}
    pairs = {(e["source"], e["target"]): e["id"] for e in topology["edges"]}
    first: dict[int, float] = {}
    for row in rows:
        if not row.get("count"):
            continue
        source = index.get(str(row.get("source")))
        target = index.get(str(row.get("target")))
        edge = pairs.get((source, target)) if source is not None and target is not None else None
        if edge is None:
            continue
        start = max(float(row["time"]) - interval, 0.0)
        if edge not in first or start < first[edge]:
            first[edge] = start
    return [round(first.get(e, born), 9) for e, born in enumerate(edge_born)]


def _commands(summary: Mapping[str, Any] | None, duration: float) -> list[dict[str, Any]]:
    data = (summary or {}).get("commands") or {}
    out = []
    kinds = EVENT_COLUMNS
    for entry in data.values() if isinstance(data, dict) else []:
        counts = {kind: int(entry.get(kind, 0)) for kind in kinds}
        requests = sum(counts[k] for k in kinds[:6])
        failed = requests - counts["success"]
        breakers = int(entry.get("breakers", 0))
        opened = int(entry.get("open_at_end", 0))
        out.append(
            {
                "name": f"{entry.get('caller')}->{entry.get('dependency')}",
                "caller": entry.get("caller"),
                "dependency": entry.get("dependency"),
                "hosts": breakers,
                "rate": requests / duration if duration > 0 else 0.0,
                "error_share": failed / requests if requests else 0.0,
                "requests": requests,
                "counts": counts,
                "open": opened,
                "half_open": 0,
                "closed": max(breakers - opened, 0),
                "latency_ms": {},
                "concurrency": 0,
                "pool": {"active": 0, "queued": 0, "size": 0},
            }
        )
    return out


def zipkin_traces(path: Path, epoch: datetime) -> dict[str, dict[str, Any]]:
    """Every trace of a Zipkin v2 file as the protocol's ``Trace`` (plus ``_start``, seconds)."""
    spans = _read_json(path)
    if not isinstance(spans, list):
        raise UsageError(f"{path}: not a Zipkin v2 JSON array of spans")
    epoch_us = int(epoch.timestamp()) * 1_000_000
    grouped: dict[str, list[dict[str, Any]]] = {}
    for span in spans:
        if isinstance(span, dict) and "traceId" in span:
            grouped.setdefault(str(span["traceId"]), []).append(span)
    traces: dict[str, dict[str, Any]] = {}
    for trace, members in list(grouped.items())[:MAX_TRACES]:
        members.sort(key=lambda s: (s.get("timestamp", 0), "parentId" in s))
        first = int(members[0].get("timestamp", 0))
        tags_of = [s.get("tags") or {} for s in members]
        traces[trace] = {
            "trace": trace,
            "_start": round((first - epoch_us) / 1e6, 9),
            "spans": [
                {
                    "id": str(s.get("id")),
                    "parent": s.get("parentId"),
                    "service": _service_name(s, tags),
                    "instance": str(tags.get("monkeyhouse.instance", "")),
                    "name": str(s.get("name", "")),
                    "start_ms": (int(s.get("timestamp", 0)) - first) / 1000.0,
                    "duration_ms": int(s.get("duration", 0)) / 1000.0,
                    "error": "error" in tags,
                    "kind": str(s.get("kind", "SERVER")),
                }
                for s, tags in zip(members, tags_of, strict=True)
            ],
        }
    return traces


def _service_name(span: Mapping[str, Any], tags: Mapping[str, Any]) -> str:
    instance = str(tags.get("monkeyhouse.instance", ""))
    if instance:
        label = instance.split(".")[-1]
        return label.rstrip("0123456789") or label
    endpoint = span.get("localEndpoint") or {}
    return str(endpoint.get("serviceName", ""))


def trace_summaries(traces: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ``/api/traces`` lines of ``traces``."""
    lines = []
    for trace in traces.values():
        spans = trace["spans"]
        root = next((s for s in spans if s["parent"] is None), spans[0] if spans else None)
        lines.append(
            {
                "trace": trace["trace"],
                "root": root["service"] if root else "",
                "start": trace.get("_start", 0.0),
                "duration_ms": root["duration_ms"] if root else 0.0,
                "error": any(s["error"] for s in spans),
                "spans": len(spans),
            }
        )
    return lines


def public_trace(trace: Mapping[str, Any]) -> dict[str, Any]:
    """A trace without its private ``_start``."""
    return {"trace": trace["trace"], "spans": trace["spans"]}


def migration_steps() -> list[dict[str, Any]]:
    """Each step of the catalog's ``migration``: its number, architecture name and topology."""
    steps = []
    for step in MIGRATION_STEPS:
        # named as a run of ``-a migration -s N`` names its instances
        arch = replace(load_catalog(f"{MIGRATION}{step}"), arch=MIGRATION)
        steps.append(
            {"step": step, "arch": f"{MIGRATION}{step}", "topology": architecture_topology(arch)}
        )
    return steps


def replay_document(run_dir: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The replay document of ``run_dir`` and its full traces by id."""
    if not is_run_folder(run_dir):
        raise UsageError(
            f"{run_dir}: not a run folder (no {runfolder.GRAPH_JSON}; give a folder "
            "`monkeyhouse run` wrote)"
        )
    manifest = _optional_json(run_dir / runfolder.MANIFEST)
    manifest = manifest if isinstance(manifest, dict) else {}
    epoch = _epoch(manifest)
    graph = _read_json(run_dir / runfolder.GRAPH_JSON)
    entries = graph.get("graph") if isinstance(graph, dict) else None
    if not isinstance(entries, list):
        raise UsageError(f"{run_dir / runfolder.GRAPH_JSON}: no 'graph' list (not a graph JSON)")
    known = {
        str(row["service"])
        for table in ("metrics_instance_totals.parquet", "metrics_totals.parquet")
        for row in _rows(run_dir / table)
        if row.get("service")
    }
    topology, edge_born = graph_topology(entries, epoch, known)
    options = manifest.get("options") or {}
    duration = _finite(options.get("duration")) or 0.0
    if duration > 0:
        # the shutdown's deregistrations are the run ending, not deaths: the last picture stays
        for instance in topology["instances"]:
            if instance["died"] is not None and instance["died"] >= duration:
                instance["died"] = None
    arch = str(manifest.get("arch") or (graph.get("arch") if isinstance(graph, dict) else ""))
    telemetry = manifest.get("telemetry") or {}
    interval = _finite(telemetry.get("interval")) or 1.0
    chaos_data = _optional_json(run_dir / runfolder.CHAOS_JSON)
    chaos = list(chaos_data.get("log", [])) if isinstance(chaos_data, dict) else []
    names = [s["name"] for s in topology["services"]]
    series = _series(_rows(run_dir / "metrics_service.parquet"), names)
    edge_rows = _rows(run_dir / "metrics_edge.parquet")
    if (run_dir / "metrics_edge.parquet").is_file():
        series["edges"] = _edge_series(edge_rows, topology, series["t"])
    edge_born = _edge_first_calls(edge_rows, topology, edge_born, interval)
    breakers = [
        {
            "t": float(row["time"]),
            "command": f"{row['caller']}->{row['dependency']}",
            "open_share": (row["open"] / row["breakers"]) if row.get("breakers") else 0.0,
        }
        for row in _rows(run_dir / "breaker_timeline.parquet")
    ]
    summary = _optional_json(run_dir / "summary.json")
    commands = _commands(summary if isinstance(summary, dict) else None, duration)
    zipkin = run_dir / ZIPKIN_FILE
    traces = zipkin_traces(zipkin, epoch) if zipkin.is_file() else {}
    document: dict[str, Any] = {
        "type": "replay",
        "protocol": PROTOCOL,
        "arch": arch,
        "duration": duration,
        "source": str(manifest.get("source") or run_dir.name),
        "topology": topology,
        "edge_born": edge_born,
        "chaos": chaos,
        "series": series,
        "breakers": breakers,
        "commands": commands,
        "traces": trace_summaries(traces),
    }
    if (run_dir / "metrics_commands.parquet").is_file():
        document["command_series"] = _command_series(_rows(run_dir / "metrics_commands.parquet"))
    if arch == MIGRATION:
        document["steps"] = migration_steps()
    return json_safe(document), {k: public_trace(v) for k, v in traces.items()}
