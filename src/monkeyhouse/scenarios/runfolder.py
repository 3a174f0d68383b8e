"""Run folders: where a run's outputs go, written so a reader never sees a half-written file.

A run writes one folder (default ``runs/<arch>-<n>/``, the first unused ``n``): ``run.json`` (the
manifest: monkeyhouse version, command line, seed, architecture, options, status and summary),
``graph.json`` (spigo's graph JSON) and, on request, ``graph.graphml``. Each file is written to a
temporary name and renamed into place. An interrupted run still gets its manifest, marked
``interrupted``, next to the consistent files it managed to finish.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from monkeyhouse.errors import RunFolderError
from monkeyhouse.exporters.atomicfile import write_text_atomic

MANIFEST = "run.json"
GRAPH_JSON = "graph.json"
GRAPHML = "graph.graphml"
#: what chaos did (written when the run had any chaos)
CHAOS_JSON = "chaos.json"
#: files a run writes; a run into an existing folder removes stale ones first
OUTPUTS = (
    MANIFEST,
    GRAPH_JSON,
    GRAPHML,
    CHAOS_JSON,
    "summary.json",
    "metrics.prom",
    "report.html",
)
OUTPUT_PATTERNS = (
    "graph-services.*",
    "graph-instances.*",
    "*.part",
    "spans.*.json",
    "*_flow.json",
    "*_metrics.json",
    "metrics_*.parquet",
)


def next_run_dir(base: Path, arch: str) -> Path:
    """The first ``base/<arch>-<n>`` that does not exist yet (n from 1)."""
    n = 1
    while (base / f"{arch}-{n}").exists():
        n += 1
    return base / f"{arch}-{n}"


def prepare(path: Path) -> Path:
    """Create the run folder (and parents), removing outputs of an earlier run in it.

    Only files a run writes are removed (the manifest, graphs, pictures, partial files);
    anything else in the folder is left alone. A path that is a file is refused.
    """
    if path.exists() and not path.is_dir():
        raise RunFolderError(f"{path}: exists and is not a folder (choose another --out)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        stale = [path / name for name in OUTPUTS]
        for pattern in OUTPUT_PATTERNS:
            stale.extend(path.glob(pattern))
        for old in stale:
            old.unlink(missing_ok=True)
    except OSError as error:
        raise RunFolderError(
            f"{path}: cannot prepare the run folder: {error.strerror} (choose another --out)"
        ) from error
    return path


def write_json_atomic(path: Path, data: Any) -> Path:
    """Write ``data`` as indented JSON to ``path`` through a temporary file."""
    return write_text_atomic(path, json.dumps(data, indent=2) + "\n")


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of the run folder ``path``."""
    manifest = path / MANIFEST
    if not manifest.is_file():
        raise RunFolderError(
            f"{path}: no {MANIFEST} here, so this is not a monkeyhouse run folder "
            "(give the folder a run wrote, e.g. runs/netflixoss-1)"
        )
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RunFolderError(f"{manifest}: unreadable manifest: {error}") from error
    if not isinstance(data, dict):
        raise RunFolderError(f"{manifest}: the manifest is not a JSON object")
    return data
