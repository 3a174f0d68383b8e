"""``summary.json``: the run's metrics in one small file a person or a script reads.

Per service: ``count`` (requests served, errors included), ``errors``, ``error_rate``,
``throughput`` (requests per simulated second), ``utilization`` (busy thread time over thread
time; null without a station), ``queue_mean``, ``rejected``, ``instances`` and ``latency_ms``:
``mean``, ``p50``, ``p90``, ``p99``, ``p99.9``, ``p99.99`` and ``max`` in milliseconds (null
without requests). ``run`` holds run-wide totals: simulated ``start``, ``end`` and ``duration``
(seconds), the sampling ``interval`` and number of ``intervals``, ``count``/``errors``/
``error_rate``/``throughput`` over every service (every hop counts: a request that crosses five
services counts five times), ``client_calls``, and the numbers of services, instances and edges.
``edges`` maps ``"source -> target"`` to the calls' count, errors and latency.

Keys are sorted and floats rounded to 6 decimals, so the same run gives a byte-identical file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from monkeyhouse.exporters.atomicfile import write_text_atomic
from monkeyhouse.telemetry.histogram import STANDARD_PERCENTILES, HistogramSnapshot
from monkeyhouse.telemetry.metrics import MetricsStatistics

_PERCENTILE_KEYS = ("p50", "p90", "p99", "p99.9", "p99.99")


def _number(value: float | None) -> float | None:
    """Rounded to 6 decimals; None for undefined (None, NaN or infinite)."""
    if value is None or not math.isfinite(value):
        return None
    rounded = round(float(value), 6)
    return rounded + 0.0  # no "-0.0"


def latency_ms(latency: HistogramSnapshot) -> dict[str, float | None]:
    """mean, percentiles and max of ``latency`` in milliseconds (None when empty)."""
    if latency.count == 0:
        return {key: None for key in ("mean", *_PERCENTILE_KEYS, "max")}
    values = latency.percentiles(STANDARD_PERCENTILES)
    out: dict[str, float | None] = {"mean": _number(latency.mean * 1000.0)}
    for key, value in zip(_PERCENTILE_KEYS, values, strict=True):
        out[key] = _number(value * 1000.0)
    out["max"] = _number(latency.max * 1000.0)
    return out


def summary(stats: MetricsStatistics, commands: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The content of ``summary.json`` for a metrics snapshot.

    ``commands`` are the protected commands' totals (Hystrix's event counts per caller and
    dependency); with none, the key is left out, so unprotected runs keep their shape.
    """
    duration = stats.duration
    services: dict[str, Any] = {}
    for svc in stats.services:
        services[svc.service] = {
            "count": svc.count,
            "errors": svc.errors,
            "error_rate": _number(svc.error_rate),
            "throughput": _number(svc.throughput),
            "utilization": _number(svc.utilization),
            "queue_mean": _number(svc.queue_mean),
            "rejected": svc.rejected,
            "instances": svc.instances,
            "latency_ms": latency_ms(svc.latency),
        }
    edges: dict[str, Any] = {}
    for edge in stats.edges:
        edges[f"{edge.source} -> {edge.target}"] = {
            "source": edge.source,
            "target": edge.target,
            "count": edge.count,
            "errors": edge.errors,
            "error_rate": _number(edge.error_rate),
            "throughput": _number(edge.throughput),
            "latency_ms": latency_ms(edge.latency),
        }
    count = sum(svc.count for svc in stats.services)
    errors = sum(svc.errors for svc in stats.services)
    run = {
        "start": _number(stats.start),
        "end": _number(stats.end),
        "duration": _number(duration),
        "interval": _number(stats.interval),
        "intervals": stats.intervals,
        "count": count,
        "errors": errors,
        "error_rate": _number(errors / count) if count else None,
        "throughput": _number(count / duration) if duration > 0 else None,
        "client_calls": sum(edge.count for edge in stats.edges),
        "services": len(stats.services),
        "instances": len(stats.instances),
        "edges": len(stats.edges),
    }
    result: dict[str, Any] = {"run": run, "services": services, "edges": edges}
    if commands:
        result["commands"] = {f"{c['caller']} -> {c['dependency']}": dict(c) for c in commands}
    return result


def render_summary(stats: MetricsStatistics, commands: Sequence[Mapping[str, Any]] = ()) -> str:
    """``summary.json``'s text: indented, keys sorted, one final newline."""
    data = summary(stats, commands)
    return json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"


def write_summary(
    path: Path, stats: MetricsStatistics, commands: Sequence[Mapping[str, Any]] = ()
) -> Path:
    """Write ``summary.json`` (atomically) to ``path``."""
    return write_text_atomic(path, render_summary(stats, commands))
