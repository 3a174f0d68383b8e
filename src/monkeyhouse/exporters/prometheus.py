"""``metrics.prom``: the run's metrics in Prometheus text exposition format 0.0.4.

Families (every one with its ``# HELP`` and ``# TYPE`` lines, series sorted by label values):

- ``monkeyhouse_requests_total{service,instance}`` (counter): requests served by an instance.
- ``monkeyhouse_request_errors_total{service,instance}`` (counter): those that failed.
- ``monkeyhouse_edge_requests_total{source,target}`` (counter): calls from one service to
  another, and ``monkeyhouse_edge_request_errors_total{source,target}`` those that failed.
- ``monkeyhouse_request_duration_seconds{service}`` (histogram): request latency per service,
  cumulative ``_bucket{le=...}`` series at :data:`BUCKETS` and ``+Inf``, ``_sum`` and
  ``_count``. Bucket counts come from the HDR histogram, so a value less than 0.1 % above a
  bound may count in that bound's bucket.
- ``monkeyhouse_utilization{service,instance}``, ``monkeyhouse_queue_length{service,instance}``
  (gauges, over the last interval) and ``monkeyhouse_in_flight{service,instance}`` (gauge, at
  the last sample), for instances with a station.

Samples carry no timestamps. Label values are escaped as the format says (backslash, double
quote and line feed), as is HELP text (backslash and line feed).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path

from monkeyhouse.exporters.atomicfile import write_text_atomic
from monkeyhouse.telemetry.metrics import InstanceTotals, MetricsStatistics

#: Upper bounds (seconds) of the latency histogram's buckets, ``+Inf`` added after them.
BUCKETS: tuple[float, ...] = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)

PREFIX = "monkeyhouse_"
#: The content type of the format, for anyone serving the file over HTTP.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def escape_label(value: str) -> str:
    """A label value escaped for the text format."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    """HELP text escaped for the text format."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def format_value(value: float) -> str:
    """A sample value as the format writes it (``+Inf``, ``-Inf``, ``NaN``, Go-like floats)."""
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    return "{" + ",".join(f'{name}="{escape_label(value)}"' for name, value in pairs) + "}"


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self.lines.append(f"# HELP {PREFIX}{name} {escape_help(help_text)}")
        self.lines.append(f"# TYPE {PREFIX}{name} {kind}")

    def sample(self, name: str, labels: Iterable[tuple[str, str]], value: float) -> None:
        self.lines.append(f"{PREFIX}{name}{_labels(labels)} {format_value(value)}")


def render_prometheus(stats: MetricsStatistics) -> str:
    """The text of ``metrics.prom`` for a metrics snapshot."""
    out = _Writer()
    instances = sorted(stats.instances, key=lambda i: (i.service, i.instance))
    out.family("requests_total", "counter", "Requests served by an instance.")
    for inst in instances:
        out.sample(
            "requests_total", (("service", inst.service), ("instance", inst.instance)), inst.count
        )
    out.family("request_errors_total", "counter", "Requests an instance answered with an error.")
    for inst in instances:
        out.sample(
            "request_errors_total",
            (("service", inst.service), ("instance", inst.instance)),
            inst.errors,
        )
    edges = sorted(stats.edges, key=lambda e: (e.source, e.target))
    out.family("edge_requests_total", "counter", "Calls from a service to another.")
    for edge in edges:
        out.sample(
            "edge_requests_total", (("source", edge.source), ("target", edge.target)), edge.count
        )
    out.family(
        "edge_request_errors_total",
        "counter",
        "Calls from a service to another that failed, as the caller saw them.",
    )
    for edge in edges:
        out.sample(
            "edge_request_errors_total",
            (("source", edge.source), ("target", edge.target)),
            edge.errors,
        )
    name = "request_duration_seconds"
    out.family(
        name, "histogram", "Request latency per service, arrival to response, queue wait included."
    )
    for svc in sorted(stats.services, key=lambda s: s.service):
        latency = svc.latency
        for bound in BUCKETS:
            out.sample(
                f"{name}_bucket",
                (("service", svc.service), ("le", format_value(bound))),
                latency.count_at_or_below(bound),
            )
        out.sample(f"{name}_bucket", (("service", svc.service), ("le", "+Inf")), latency.count)
        out.sample(f"{name}_sum", (("service", svc.service),), latency.total)
        out.sample(f"{name}_count", (("service", svc.service),), latency.count)
    with_station = [inst for inst in instances if inst.has_station]
    gauges: tuple[tuple[str, str, Callable[[InstanceTotals], float | None]], ...] = (
        (
            "utilization",
            "Busy threads over threads, over the last interval.",
            lambda i: i.last_utilization,
        ),
        (
            "queue_length",
            "Mean number of queued requests over the last interval.",
            lambda i: i.last_queue_mean,
        ),
        ("in_flight", "Requests in service or queued at the last sample.", lambda i: i.in_flight),
    )
    for gauge, help_text, read in gauges:
        out.family(gauge, "gauge", help_text)
        for inst in with_station:
            value = read(inst)
            out.sample(
                gauge,
                (("service", inst.service), ("instance", inst.instance)),
                math.nan if value is None else value,
            )
    return "\n".join(out.lines) + "\n"


def write_prometheus(path: Path, stats: MetricsStatistics) -> Path:
    """Write ``metrics.prom`` (atomically) to ``path``."""
    return write_text_atomic(path, render_prometheus(stats))
