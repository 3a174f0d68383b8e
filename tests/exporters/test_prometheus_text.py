"""metrics.prom checked line by line against the text exposition format 0.0.4.

prometheus_client is not a dependency, so the check is an independent regular expression per
line as the format describes it: comments (HELP, TYPE), samples ``name{labels} value``.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from pathlib import Path

from metrics_fakes import KNOWN_SERVER, known_run
from monkeyhouse.exporters.prometheus import BUCKETS, render_prometheus, write_prometheus

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
VALUE = r"(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)"
SAMPLE = re.compile(rf"^({NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)?\}})? ({VALUE})(?: -?\d+)?$")
HELP = re.compile(rf"^# HELP ({NAME}) (.*)$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")
LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), value)


def parse(text: str) -> tuple[dict[str, str], list[tuple[str, dict[str, str], float]]]:
    """Check every line; return the family types and the samples."""
    assert text.endswith("\n")
    types: dict[str, str] = {}
    helps: set[str] = set()
    samples: list[tuple[str, dict[str, str], float]] = []
    for line in text.splitlines():
        if line.startswith("#"):
            if match := HELP.match(line):
                assert match.group(1) not in helps, "one HELP per family"
                helps.add(match.group(1))
            elif match := TYPE.match(line):
                assert match.group(1) not in types, "one TYPE per family"
                types[match.group(1)] = match.group(2)
            else:
                raise AssertionError(f"bad comment line: {line!r}")
            continue
        match = SAMPLE.match(line)
        assert match, f"bad sample line: {line!r}"
        name, labels, value = match.groups()
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and types.get(name[: -len(suffix)]) == "histogram":
                family = name[: -len(suffix)]
        assert family in types, f"sample before its TYPE line: {line!r}"
        pairs = {k: unescape(v) for k, v in LABEL_PAIR.findall(labels or "")}
        samples.append((name, pairs, float(value.replace("Inf", "inf"))))
    assert types.keys() == helps
    return types, samples


def test_lines_follow_the_format_and_figures_are_right(tmp_path: Path) -> None:
    _, metrics = known_run()
    path = write_prometheus(tmp_path / "metrics.prom", metrics.statistics())
    types, samples = parse(path.read_text())
    assert types["monkeyhouse_requests_total"] == "counter"
    assert types["monkeyhouse_request_duration_seconds"] == "histogram"
    assert types["monkeyhouse_utilization"] == "gauge"
    by_name: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(dict)
    for name, labels, value in samples:
        by_name[name][tuple(sorted(labels.items()))] = value
    requests = by_name["monkeyhouse_requests_total"]
    assert requests[(("instance", "api0"), ("service", "api"))] == 3
    assert requests[(("instance", "db0"), ("service", "db"))] == 3
    errors = by_name["monkeyhouse_request_errors_total"]
    assert errors[(("instance", "api0"), ("service", "api"))] == 1
    assert by_name["monkeyhouse_edge_requests_total"] == {(("source", "api"), ("target", "db")): 3}
    utilization = by_name["monkeyhouse_utilization"]
    assert utilization[(("instance", "api0"), ("service", "api"))] == 0.25  # last interval
    assert by_name["monkeyhouse_in_flight"][(("instance", "db0"), ("service", "db"))] == 0
    # the histogram: cumulative, monotonic, +Inf last and equal to _count, exact sums
    for service, instances in (("api", ("api0", "api1")), ("db", ("db0",))):
        values = [d for name in instances for part in KNOWN_SERVER[name] for d in part]
        buckets = [
            (labels["le"], value)
            for name, labels, value in samples
            if name == "monkeyhouse_request_duration_seconds_bucket"
            and labels["service"] == service
        ]
        bounds = [float(le.replace("Inf", "inf")) for le, _ in buckets]
        counts = [value for _, value in buckets]
        assert bounds == [*BUCKETS, math.inf]
        assert counts == sorted(counts)
        assert counts == [sum(1 for v in values if v <= bound) for bound in bounds]
        count = by_name["monkeyhouse_request_duration_seconds_count"][(("service", service),)]
        total = by_name["monkeyhouse_request_duration_seconds_sum"][(("service", service),)]
        assert count == counts[-1] == len(values)
        assert math.isclose(total, sum(values), rel_tol=1e-12)


def test_label_values_are_escaped() -> None:
    odd = 'we"ird\\na\nme'
    _, metrics = known_run(api_name=odd)
    text = render_prometheus(metrics.statistics())
    _, samples = parse(text)
    assert any(labels.get("service") == odd for _, labels, _ in samples)
    assert any(labels.get("source") == odd for _, labels, _ in samples)


def test_same_run_same_text() -> None:
    first = render_prometheus(known_run()[1].statistics())
    assert first == render_prometheus(known_run()[1].statistics())
