"""Running an architecture into a run folder: the job behind ``monkeyhouse run``."""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, Protocol

from monkeyhouse.behaviours.context import MessageObserver
from monkeyhouse.exporters.graphjson import GraphJsonExporter
from monkeyhouse.exporters.graphml import GraphMLExporter
from monkeyhouse.model.architecture import Architecture
from monkeyhouse.scenarios import runfolder
from monkeyhouse.scenarios.simulation import Progress, RunOptions, RunSummary, Simulation
from monkeyhouse.telemetry.messagelog import MessageLog
from monkeyhouse.telemetry.timestamps import EPOCH, TimestampFormatter


class _Closable(Protocol):
    def close(self) -> Path: ...

    def abandon(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RunResult:
    """A finished run: its folder, the files written and the summary."""

    out: Path
    files: tuple[Path, ...]
    summary: RunSummary

    @property
    def graph_json(self) -> Path:
        """The spigo graph JSON file."""
        return self.out / runfolder.GRAPH_JSON

    def graph(self) -> dict[str, Any]:
        """The graph as read back: ``{"nodes": {name: package}, "edges": {(source, target)}}``."""
        import json

        data = json.loads(self.graph_json.read_text(encoding="utf-8"))
        nodes = {e["node"]: e["package"] for e in data["graph"] if "node" in e}
        edges = {(e["source"], e["target"]) for e in data["graph"] if "edge" in e}
        return {"nodes": nodes, "edges": edges}


def options_json(options: RunOptions) -> dict[str, Any]:
    """Run options as JSON data for the manifest."""
    data = asdict(options)
    latency = options.latency
    data["latency"] = {
        "same_zone": latency.same_zone,
        "cross_zone": latency.cross_zone,
        "cross_region_default": latency.cross_region_default,
    }
    return data


def run_to_folder(
    arch: Architecture,
    options: RunOptions,
    out: Path,
    *,
    graph_json: bool = True,
    graphml: bool = False,
    command: str = "",
    progress: Progress | None = None,
    message_stream: Any = None,
) -> RunResult:
    """Simulate ``arch`` with ``options`` and write the run folder ``out``."""
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
    try:
        simulation = Simulation(arch, options, exporters, observers=observers)
        summary = simulation.run(progress)
    except BaseException:
        for exporter in exporters:
            with contextlib.suppress(OSError):
                exporter.abandon()
        raise
    files = [exporter.close() for exporter in exporters]
    manifest = {
        "monkeyhouse": version("monkeyhouse"),
        "command": command,
        "arch": arch.arch,
        "source": arch.source,
        "description": arch.description,
        "seed": options.seed,
        "epoch": EPOCH.isoformat().replace("+00:00", "Z"),
        "options": options_json(options),
        "status": summary.status,
        "summary": summary.to_json(),
        "files": [f.name for f in files],
    }
    files.append(runfolder.write_json_atomic(out / runfolder.MANIFEST, manifest))
    return RunResult(out, tuple(files), summary)
