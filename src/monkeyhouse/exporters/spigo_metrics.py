"""spigo's metrics file, ``<arch>_metrics.json``, for tools that read spigo's outputs.

spigo's 2015 ``json_metrics/<arch>_metrics.json`` holds two objects, ``counters`` (per instance
``<full name>:msgcount``: messages the instance received) and ``gauges`` (per instance
``<full name>.Min``, ``.Max``, ``.P50``, ``.P75``, ``.P90``, ``.P95``, ``.P99`` and ``.P999``:
response times in integer nanoseconds), keys sorted, one object per line. Its files lack the
comma between the two objects, so they are not valid JSON; this file has the same keys, shape
and layout with the comma, so it is.

Names are instances' nine-field names (``arch.region.zone.label....service.package``). The
counter is the number of requests the instance served (SERVER spans), instances that served
none are left out. Gauges need per-instance latency histograms, which the collector keeps only
up to its instance limit; above it only counters are written.
"""

from __future__ import annotations

import json
from pathlib import Path

from monkeyhouse.exporters.atomicfile import write_text_atomic
from monkeyhouse.telemetry.metrics import MetricsStatistics

#: spigo's gauge suffixes and the percentiles they stand for (None: Min and Max, exact).
GAUGES: tuple[tuple[str, float | None], ...] = (
    ("Max", None),
    ("Min", None),
    ("P50", 50.0),
    ("P75", 75.0),
    ("P90", 90.0),
    ("P95", 95.0),
    ("P99", 99.0),
    ("P999", 99.9),
)


def _ns(seconds: float) -> int:
    return round(seconds * 1e9)


def spigo_metrics(stats: MetricsStatistics) -> tuple[dict[str, int], dict[str, int]]:
    """``(counters, gauges)`` as spigo names them."""
    counters: dict[str, int] = {}
    gauges: dict[str, int] = {}
    for inst in stats.instances:
        if inst.count == 0:
            continue
        counters[f"{inst.full_name}:msgcount"] = inst.count
        latency = inst.latency
        if latency is None or latency.count == 0:
            continue
        qs = [q for _, q in GAUGES if q is not None]
        values = iter(latency.percentiles(qs))
        for suffix, _ in GAUGES:
            if suffix == "Max":
                value = latency.max
            elif suffix == "Min":
                value = latency.min
            else:
                value = next(values)
            gauges[f"{inst.full_name}.{suffix}"] = _ns(value)
    return counters, gauges


def render_spigo_metrics(stats: MetricsStatistics) -> str:
    """The file's text: ``{``, the counters line, the gauges line, ``}``."""
    counters, gauges = spigo_metrics(stats)

    def dump(data: dict[str, int]) -> str:
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    return f'{{\n"counters":{dump(counters)},\n"gauges":{dump(gauges)}\n}}\n'


def write_spigo_metrics(directory: Path, arch: str, stats: MetricsStatistics) -> Path:
    """Write ``<directory>/<arch>_metrics.json`` (atomically); returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(directory / f"{arch}_metrics.json", render_spigo_metrics(stats))
