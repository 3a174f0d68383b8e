"""Running an architecture into a run folder: the job behind ``monkeyhouse run``.

Besides the graph (spigo's graph JSON, GraphML), a run writes what its instruments saw:
spans in Zipkin v2, OTLP/JSON, Jaeger and spigo's flow format (head-sampled by trace), metrics
tables (Parquet), ``summary.json``, Prometheus text, spigo's metrics file and ``report.html``.
Each output can be switched off; instruments that are off cost nothing.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, Protocol

from monkeyhouse.behaviours.context import MessageObserver, SpanObserver
from monkeyhouse.exporters.graphjson import GraphJsonExporter
from monkeyhouse.exporters.graphml import GraphMLExporter
from monkeyhouse.exporters.jaeger import JAEGER_FILE, write_jaeger
from monkeyhouse.exporters.otlp import OTLP_FILE, otlp_payload, push_otlp, write_otlp
from monkeyhouse.exporters.prometheus import write_prometheus
from monkeyhouse.exporters.report import write_report
from monkeyhouse.exporters.spigo_metrics import write_spigo_metrics
from monkeyhouse.exporters.spigoflow import flow_file_name, write_spigo_flow
from monkeyhouse.exporters.summary import summary as metrics_summary
from monkeyhouse.exporters.summary import write_summary
from monkeyhouse.exporters.tables import write_tables
from monkeyhouse.exporters.zipkin import ZIPKIN_FILE, write_zipkin
from monkeyhouse.model.architecture import Architecture
from monkeyhouse.scenarios import runfolder
from monkeyhouse.scenarios.simulation import Progress, RunOptions, RunSummary, Simulation
from monkeyhouse.telemetry.commands import CommandRecorder
from monkeyhouse.telemetry.messagelog import MessageLog
from monkeyhouse.telemetry.metrics import MetricsCollector
from monkeyhouse.telemetry.spans import SpanCollector
from monkeyhouse.telemetry.timestamps import EPOCH, TimestampFormatter

SPAN_FORMATS = ("zipkin", "otlp", "jaeger", "spigo")


class _Closable(Protocol):
    def close(self) -> Path: ...

    def abandon(self) -> None: ...


@dataclass(frozen=True, slots=True)
class TelemetryOptions:
    """Which instruments run and what they write."""

    spans: bool = True
    sample: float = 1.0
    span_formats: tuple[str, ...] = SPAN_FORMATS
    span_limit: int | None = 2_000_000
    otlp_url: str | None = None
    metrics: bool = True
    interval: float = 1.0
    report: bool = True


@dataclass(frozen=True, slots=True)
class RunResult:
    """A finished run: its folder, the files written and the summary."""

    out: Path
    files: tuple[Path, ...]
    summary: RunSummary
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def graph_json(self) -> Path:
        """The spigo graph JSON file."""
        return self.out / runfolder.GRAPH_JSON

    def graph(self) -> dict[str, Any]:
        """The graph as read back: ``{"nodes": {name: package}, "edges": {(source, target)}}``."""
        data = json.loads(self.graph_json.read_text(encoding="utf-8"))
        nodes = {e["node"]: e["package"] for e in data["graph"] if "node" in e}
        edges = {(e["source"], e["target"]) for e in data["graph"] if "edge" in e}
        return {"nodes": nodes, "edges": edges}


def options_json(options: RunOptions) -> dict[str, Any]:
    """Run options as JSON data for the manifest."""
    return asdict(options)


def network_json(arch: Architecture) -> dict[str, Any]:
    """The architecture's network figures as JSON data for the manifest."""
    network = arch.network
    return {
        "same_zone": network.same_zone,
        "cross_zone": network.cross_zone,
        "cross_region": network.cross_region,
        "bandwidth": network.bandwidth,
        "region_pairs": {
            "/".join(sorted(pair)): seconds
            for pair, seconds in sorted(network.region_pairs.items(), key=lambda p: sorted(p[0]))
        },
    }


def chaos_records(simulation: Simulation) -> list[dict[str, Any]]:
    """What chaos did in the run, as plain records (time, action, target, detail) for the report.

    A simulation that keeps a chaos log gives its records; otherwise they are the Chaos
    Monkey's kills, which strike at half the run.
    """
    log = getattr(simulation, "chaos_log", None)
    if log is not None:
        return [dict(record.to_json()) for record in log]
    monkey = simulation.chaos
    if monkey is None:
        return []
    return [
        {
            "time": simulation.options.duration / 2,
            "action": "kill",
            "target": instance.name,
            "detail": "Chaos Monkey",
        }
        for instance in monkey.killed
    ]


def run_to_folder(
    arch: Architecture,
    options: RunOptions,
    out: Path,
    *,
    graph_json: bool = True,
    graphml: bool = False,
    telemetry: TelemetryOptions | None = None,
    command: str = "",
    progress: Progress | None = None,
    message_stream: Any = None,
) -> RunResult:
    """Simulate ``arch`` with ``options`` and write the run folder ``out``."""
    telemetry = telemetry or TelemetryOptions()
    runfolder.prepare(out)
    stamp = TimestampFormatter()
    exporters: list[Any] = []
    if graph_json:
        exporters.append(
            GraphJsonExporter(
                out / runfolder.GRAPH_JSON,
                arch=arch.arch,
                args=f"[{command}]",
                date=stamp.format(0.0),
            )
        )
    if graphml:
        exporters.append(GraphMLExporter(out / runfolder.GRAPHML, arch=arch.arch))
    observers: list[MessageObserver] = []
    if options.message_log and message_stream is not None:
        observers.append(MessageLog(message_stream))
    span_observers: list[SpanObserver] = []
    spans = None
    if telemetry.spans:
        spans = SpanCollector(telemetry.sample, seed=options.seed, limit=telemetry.span_limit)
        span_observers.append(spans.on_span)
    metrics = None
    commands: CommandRecorder | None = None
    try:
        simulation = Simulation(
            arch, options, exporters, observers=observers, span_observers=span_observers
        )
        if telemetry.metrics:
            metrics = MetricsCollector(simulation.env, telemetry.interval)
            simulation.context.span_observers.append(metrics.on_span)
            commands = CommandRecorder(
                simulation.env, (s.behaviour for s in simulation.services), telemetry.interval
            )

        def attach(sim: Simulation) -> None:
            if metrics is not None:
                metrics.attach(i for i in sim.instances if i.station is not None)
                metrics.start()
            if commands is not None:
                commands.start()

        summary = simulation.run(progress, on_built=attach)
        if metrics is not None:
            metrics.finish()
        if commands is not None:
            commands.finish()
    except BaseException:
        for exporter in exporters:
            with contextlib.suppress(OSError):
                exporter.abandon()
        raise
    files = [exporter.close() for exporter in exporters]
    epoch_ns = stamp.nanoseconds(0.0)
    kept = spans.spans() if spans is not None else []
    if spans is not None:
        formats = telemetry.span_formats
        if "zipkin" in formats:
            files.append(write_zipkin(out / ZIPKIN_FILE, kept, epoch_ns=epoch_ns))
        if "otlp" in formats:
            files.append(write_otlp(out / OTLP_FILE, kept, epoch_ns=epoch_ns))
        if "jaeger" in formats:
            files.append(write_jaeger(out / JAEGER_FILE, kept, epoch_ns=epoch_ns))
        if "spigo" in formats:
            files.append(write_spigo_flow(out / flow_file_name(arch.arch), kept, epoch_ns=epoch_ns))
        if telemetry.otlp_url:
            push_otlp(telemetry.otlp_url, otlp_payload(kept, epoch_ns=epoch_ns))
    tables: dict[str, Any] = {}
    stats: Any = None
    if metrics is not None:
        stats = metrics.statistics()
        tables = metrics.tables()
        if commands is not None:
            tables.update(commands.tables())
        files.extend(write_tables(out, tables))
        files.append(
            write_summary(
                out / "summary.json", stats, commands.totals() if commands is not None else []
            )
        )
        files.append(write_prometheus(out / "metrics.prom", stats))
        files.append(write_spigo_metrics(out, arch.arch, stats))
    if telemetry.report:
        files.append(
            write_report(
                out / "report.html",
                arch=arch.arch,
                summary=summary.to_json(),
                tables=tables,
                spans=kept,
                commands=commands.totals() if commands is not None else None,
                chaos=chaos_records(simulation),
            )
        )
    manifest = {
        "monkeyhouse": version("monkeyhouse"),
        "command": command,
        "arch": arch.arch,
        "source": arch.source,
        "description": arch.description,
        "seed": options.seed,
        "epoch": EPOCH.isoformat().replace("+00:00", "Z"),
        "options": options_json(options),
        "network": network_json(arch),
        "telemetry": asdict(telemetry),
        "status": summary.status,
        "summary": summary.to_json(),
        "spans": asdict(spans.statistics()) if spans is not None else None,
        "files": sorted(f.name for f in files),
    }
    files.append(runfolder.write_json_atomic(out / runfolder.MANIFEST, manifest))
    result_metrics = {}
    if metrics is not None:
        result_metrics = metrics_summary(stats, commands.totals() if commands is not None else [])
    return RunResult(out, tuple(files), summary, result_metrics)
