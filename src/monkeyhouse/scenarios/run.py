"""Running an architecture into a run folder: the job behind ``monkeyhouse run``.

Besides the graph (spigo's graph JSON, GraphML), a run writes what its instruments saw:
spans in Zipkin v2, OTLP/JSON, Jaeger and spigo's flow format (head-sampled by trace), metrics
tables (Parquet), ``summary.json``, Prometheus text, spigo's metrics file and ``report.html``.
Each output can be switched off; instruments that are off cost nothing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
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
from monkeyhouse.model.chaosaction import ChaosAction
from monkeyhouse.model.scenario import action_json
from monkeyhouse.scenarios import runfolder
from monkeyhouse.scenarios.paced import PacedDriver
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


def chaos_json(simulation: Simulation, actions: Sequence[ChaosAction]) -> dict[str, Any]:
    """What chaos did in a run, as ``chaos.json`` holds it (deterministic: no wall time)."""
    return {
        "actions": [action_json(a) for a in actions],
        "log": [record.to_json() for record in simulation.chaos_log],
        "faults": [fault.statistics() for fault in simulation.faults],
        "victims": [i.name for i in simulation.chaos_control.killed],
        "lost_to_partitions": simulation.context.partitioned,
        "injected_errors": simulation.context.failed,
    }


class RunRecording:
    """A run folder being recorded: the simulation with its instruments; outputs at :meth:`close`.

    :func:`run_to_folder` runs one from start to end. A caller that steps the simulation itself
    (a Chaos Toolkit experiment) makes one, starts ``simulation`` with ``on_built=attach``,
    advances it, finishes it and calls :meth:`close` with the summary (or :meth:`abandon`).

    ``chaos`` lists actions applied at their times; a run with any chaos (the architecture's
    victim, or chaos applied while it runs, included) writes ``chaos.json`` (the actions, the
    chaos log, every fault's figures) and the log into ``run.json``. ``scenario`` is recorded
    in ``run.json`` as given.
    """

    def __init__(
        self,
        arch: Architecture,
        options: RunOptions,
        out: Path,
        *,
        graph_json: bool = True,
        graphml: bool = False,
        telemetry: TelemetryOptions | None = None,
        command: str = "",
        message_stream: Any = None,
        span_observers: Sequence[SpanObserver] = (),
        chaos: Sequence[ChaosAction] = (),
        scenario: dict[str, Any] | None = None,
    ) -> None:
        self.arch = arch
        self.chaos = tuple(chaos)
        self.scenario = scenario
        self.options = options
        self.out = out
        self.telemetry = telemetry = telemetry or TelemetryOptions()
        self.command = command
        runfolder.prepare(out)
        self.stamp = stamp = TimestampFormatter()
        self.exporters: list[Any] = []
        if graph_json:
            self.exporters.append(
                GraphJsonExporter(
                    out / runfolder.GRAPH_JSON,
                    arch=arch.arch,
                    args=f"[{command}]",
                    date=stamp.format(0.0),
                )
            )
        if graphml:
            self.exporters.append(GraphMLExporter(out / runfolder.GRAPHML, arch=arch.arch))
        observers: list[MessageObserver] = []
        if options.message_log and message_stream is not None:
            observers.append(MessageLog(message_stream))
        observing: list[SpanObserver] = list(span_observers)
        self.spans: SpanCollector | None = None
        if telemetry.spans:
            self.spans = SpanCollector(
                telemetry.sample, seed=options.seed, limit=telemetry.span_limit
            )
            observing.append(self.spans.on_span)
        self.metrics: MetricsCollector | None = None
        self.commands: CommandRecorder | None = None
        try:
            self.simulation = Simulation(
                arch,
                options,
                self.exporters,
                observers=observers,
                span_observers=observing,
                chaos=chaos,
            )
            if telemetry.metrics:
                collector = self.metrics = MetricsCollector(self.simulation.env, telemetry.interval)
                self.simulation.context.span_observers.append(collector.on_span)
                self.simulation.instance_started.append(lambda i: collector.attach([i]))
                self.commands = CommandRecorder(
                    self.simulation.env,
                    (s.behaviour for s in self.simulation.services),
                    telemetry.interval,
                )
        except BaseException:
            self.abandon()
            raise

    def attach(self, sim: Simulation) -> None:
        """The ``on_built`` hook: metrics follow every instance with a station and start."""
        if self.metrics is not None:
            self.metrics.attach(i for i in sim.instances if i.station is not None)
            self.metrics.start()
        if self.commands is not None:
            self.commands.start()

    def abandon(self) -> None:
        """Give up: partial graph files are removed, nothing else is written."""
        for exporter in self.exporters:
            with contextlib.suppress(OSError):
                exporter.abandon()

    def close(self, summary: RunSummary) -> RunResult:
        """Write every output and the manifest for a finished (or interrupted) run."""
        arch, options, telemetry, out = self.arch, self.options, self.telemetry, self.out
        metrics, spans, commands = self.metrics, self.spans, self.commands
        if metrics is not None:
            metrics.finish()
        totals: list[dict[str, Any]] = []
        if commands is not None:
            commands.finish()
            totals = commands.totals()
        files = [exporter.close() for exporter in self.exporters]
        epoch_ns = self.stamp.nanoseconds(0.0)
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
                files.append(
                    write_spigo_flow(out / flow_file_name(arch.arch), kept, epoch_ns=epoch_ns)
                )
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
            files.append(write_summary(out / "summary.json", stats, totals))
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
                    commands=totals or None,
                    chaos=chaos_records(self.simulation),
                )
            )
        simulation = self.simulation
        chaos_data = None
        if self.chaos or simulation.chaos_log:
            chaos_data = chaos_json(simulation, self.chaos)
            files.append(runfolder.write_json_atomic(out / runfolder.CHAOS_JSON, chaos_data))
        manifest = {
            "monkeyhouse": version("monkeyhouse"),
            "command": self.command,
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
        if chaos_data is not None:
            manifest["chaos"] = chaos_data["log"]
        if self.scenario is not None:
            manifest["scenario"] = self.scenario
        files.append(runfolder.write_json_atomic(out / runfolder.MANIFEST, manifest))
        result_metrics = metrics_summary(stats, totals) if metrics is not None else {}
        return RunResult(out, tuple(files), summary, result_metrics)


def chaos_records(simulation: Simulation) -> list[dict[str, Any]]:
    """What chaos did in the run, as plain records (time, action, target, detail) for the report."""
    return [dict(record.to_json()) for record in simulation.chaos_log]


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
    chaos: Sequence[ChaosAction] = (),
    scenario: dict[str, Any] | None = None,
    driver: PacedDriver | None = None,
) -> RunResult:
    """Simulate ``arch`` with ``options`` and write the run folder ``out``.

    ``chaos`` and ``scenario``: see :class:`RunRecording`. With a ``driver``, the run is paced
    (see :mod:`monkeyhouse.scenarios.paced`) and reports its progress and live outputs through
    the driver; the outputs are the same.
    """
    recording = RunRecording(
        arch,
        options,
        out,
        graph_json=graph_json,
        graphml=graphml,
        telemetry=telemetry,
        command=command,
        message_stream=message_stream,
        chaos=chaos,
        scenario=scenario,
    )
    try:
        if driver is None:
            summary = recording.simulation.run(progress, on_built=recording.attach)
        else:
            summary = driver.drive(recording.simulation, on_built=recording.attach)
    except BaseException:
        recording.abandon()
        raise
    return recording.close(summary)
