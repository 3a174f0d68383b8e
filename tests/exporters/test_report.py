"""Tests for the run report (monkeyhouse.exporters.report).

Tables and spans are built here by hand. The critical-path shares are worked out on paper from
the span times below (each case says how), never by the module under test.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from monkeyhouse.behaviours.spans import CLIENT, REJECTED, SERVER, Span
from monkeyhouse.exporters.report import (
    MAX_PANELS,
    critical_path,
    critical_path_shares,
    write_report,
)


class FakeService:
    def __init__(self, name: str, package: str) -> None:
        self.name = name
        self.package = package


class FakeInstance:
    def __init__(self, service: str, package: str, number: int, zone: str = "zoneA") -> None:
        self.service = FakeService(service, package)
        self.region = "us-east-1"
        self.zone = zone
        self.name = f"demo.us-east-1.{zone}.{service}{number}"


WWW = FakeInstance("www", "denominator", 0)
FRONT = FakeInstance("frontend", "zuul", 1)
AUTH = FakeInstance("auth", "karyon", 2)
CATALOG = FakeInstance("catalog", "karyon", 3, "zoneB")
DB = FakeInstance("db", "priamCassandra", 4)


def span(
    trace: int,
    ident: int,
    parent: int,
    kind: int,
    instance: FakeInstance,
    start_ms: float,
    end_ms: float,
    *,
    peer: FakeInstance | None = None,
    error: str = "",
    queued_ms: float = 0.0,
) -> Span:
    made = Span(trace, ident, parent, kind, "get", instance, peer, start_ms / 1000)
    made.end = end_ms / 1000
    made.error = error
    made.queued = queued_ms / 1000
    made.service = made.end - made.start - made.queued
    return made


def overlapping_trace(trace: int = 1, offset: int = 0) -> list[Span]:
    """Root 0-10 ms; children A 1-4 and B 2-9 overlap; B's child C 3-8.

    By hand: from 10 the last child to finish is B (9), so 9-10 is the root's; inside B, C
    finishes last (8), so 8-9 is B's, 3-8 is C's and 2-3 is B's; back in the root the cursor is
    at B's start (2) and A ends at 4 > 2, so A is off the path and 0-2 is the root's. Root
    (frontend) 3 ms, B (catalog) 2 ms, C (db) 5 ms of 10.
    """
    return [
        span(trace, offset + 1, 0, SERVER, FRONT, 0, 10),
        span(trace, offset + 2, offset + 1, SERVER, AUTH, 1, 4),
        span(trace, offset + 3, offset + 1, SERVER, CATALOG, 2, 9),
        span(trace, offset + 4, offset + 3, SERVER, DB, 3, 8),
    ]


def slow_trace() -> list[Span]:
    """Root frontend 100-140 ms, its call to catalog 105-135, catalog's server side 106-134.

    By hand: frontend 100-105 and 135-140 (10 ms), the client span (frontend's) 105-106 and
    134-135 (2 ms), catalog 106-134 (28 ms, of which 10 ms queued). The catalog side fails.
    """
    return [
        span(2, 11, 0, SERVER, FRONT, 100, 140, peer=WWW),
        span(2, 12, 11, CLIENT, FRONT, 105, 135, peer=CATALOG, error="502 dependency failed"),
        span(2, 13, 12, SERVER, CATALOG, 106, 134, peer=FRONT, error=REJECTED, queued_ms=10),
    ]


# ------------------------------------------------------------------ critical path, by hand


def test_overlapping_children_follow_the_last_to_finish() -> None:
    shares = critical_path_shares(overlapping_trace())
    assert shares == pytest.approx({"db": 0.5, "frontend": 0.3, "catalog": 0.2})
    assert list(shares) == ["db", "frontend", "catalog"]  # largest first


def test_critical_path_pieces_cover_the_root_in_time_order() -> None:
    pieces = critical_path(overlapping_trace())
    got = [
        (p[0].instance.service.name, round(p[1] * 1000, 9), round(p[2] * 1000, 9)) for p in pieces
    ]
    assert got == [
        ("frontend", 0, 2),
        ("catalog", 2, 3),
        ("db", 3, 8),
        ("catalog", 8, 9),
        ("frontend", 9, 10),
    ]


def test_sequential_children_are_all_on_the_path() -> None:
    # root 0-10, A 1-4 then B 5-9 in sequence: root 0-1, 4-5, 9-10 (3 ms), A 3 ms, B 4 ms
    spans = [
        span(1, 1, 0, SERVER, FRONT, 0, 10),
        span(1, 2, 1, SERVER, AUTH, 1, 4),
        span(1, 3, 1, SERVER, CATALOG, 5, 9),
    ]
    assert critical_path_shares(spans) == pytest.approx(
        {"catalog": 0.4, "auth": 0.3, "frontend": 0.3}
    )


def test_a_child_that_outlives_its_parent_is_not_waited_for() -> None:
    # root 0-10, child 2-12 (fire and forget): nobody waited, so the root owns all 10 ms
    spans = [span(1, 1, 0, SERVER, FRONT, 0, 10), span(1, 2, 1, SERVER, DB, 2, 12)]
    assert critical_path_shares(spans) == pytest.approx({"frontend": 1.0})


def test_shares_weigh_traces_by_their_end_to_end_time() -> None:
    # trace 1: frontend 3, catalog 2, db 5 (10 ms); trace 2: frontend 12, catalog 28 (40 ms)
    shares = critical_path_shares(overlapping_trace() + slow_trace())
    assert shares == pytest.approx({"catalog": 0.6, "frontend": 0.3, "db": 0.1})
    assert sum(shares.values()) == pytest.approx(1.0)


def test_incomplete_traces_are_left_out() -> None:
    orphan = [span(7, 70, 0, SERVER, AUTH, 0, 5), span(7, 71, 69, SERVER, DB, 1, 2)]
    two_roots = [span(8, 80, 0, SERVER, AUTH, 0, 5), span(8, 81, 0, SERVER, DB, 1, 2)]
    assert critical_path(orphan) == []
    assert critical_path(two_roots) == []
    shares = critical_path_shares(overlapping_trace() + orphan + two_roots)
    assert shares == pytest.approx({"db": 0.5, "frontend": 0.3, "catalog": 0.2})
    assert critical_path_shares([]) == {}
    assert critical_path_shares(orphan) == {}


# ------------------------------------------------------------------ the page


class Page(HTMLParser):
    """Collects what the tests look at: sections, SVGs per section, text and span rows."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.section = ""
        self.svgs: dict[str, int] = {}
        self.texts: dict[str, list[str]] = {}
        self.rows: list[list[str]] = []
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.table_rows: dict[str, list[list[str]]] = {}
        self.svg_depth = 0
        self.svg_text: dict[str, list[str]] = {}
        self.in_svg_text = False
        self.titles: list[str] = []
        self.in_title = False
        self.row_class = ""
        self.row_depth = ""
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "section":
            self.section = attributes.get("id") or ""
            self.svgs.setdefault(self.section, 0)
        if tag == "svg":
            if self.svg_depth == 0:
                self.svgs[self.section] = self.svgs.get(self.section, 0) + 1
            self.svg_depth += 1
        if tag == "text" and self.svg_depth:
            self.in_svg_text = True
        if tag == "title" and not self.svg_depth:
            self.in_title = True
        if tag == "tr":
            self.row = []
            self.row_class = attributes.get("class") or ""
            self.row_depth = attributes.get("data-depth") or ""
        if tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.svg_depth -= 1
        if tag == "text":
            self.in_svg_text = False
        if tag == "title":
            self.in_title = False
        if tag == "section":
            self.section = ""
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        if tag == "tr" and self.row is not None:
            if self.row_class == "span-row":
                self.rows.append([self.row_depth, *self.row])
            self.table_rows.setdefault(self.section, []).append(self.row)
            self.row = None

    def handle_data(self, data: str) -> None:
        self.texts.setdefault(self.section, []).append(data)
        if self.cell is not None:
            self.cell.append(data)
        if self.in_svg_text:
            self.svg_text.setdefault(self.section, []).append(data)
        if self.in_title:
            self.titles.append(data)

    def text(self, section: str) -> str:
        return " ".join(" ".join(self.texts.get(section, [])).split())


SUMMARY: dict[str, Any] = {
    "arch": "demo",
    "services": 4,
    "instances": 5,
    "messages": 123456,
    "reads": 9000,
    "writes": 3000,
    "reads_answered": 8950,
    "writes_answered": 2950,
    "errors": 100,
    "mean_response_ms": 9.7,
    "max_response_ms": 71.2,
    "simulated_seconds": 60.0,
    "chaos_victims": ["demo.us-east-1.zoneA.auth2"],
    "status": "complete",
}

SERVICES = (
    # service, count per interval, utilization, p50 s, p99 s
    ("frontend", 1000, 0.30, 0.004, 0.020),
    ("auth", 500, 0.10, 0.001, 0.003),
    ("catalog", 800, 0.87, 0.010, 0.090),
    ("db", 900, 0.45, 0.002, 0.008),
)


SERVICE_COLUMNS = [
    "time",
    "service",
    "count",
    "errors",
    "throughput",
    "latency_mean",
    "p50",
    "p90",
    "p99",
    "p999",
    "p9999",
    "max",
    "utilization",
    "queue_mean",
    "in_flight",
    "rejected",
]
EDGE_COLUMNS = [
    "time",
    "source",
    "target",
    "count",
    "errors",
    "latency_mean",
    "p50",
    "p90",
    "p99",
    "p999",
    "p9999",
    "max",
]
TOTALS_COLUMNS = [
    "service",
    "count",
    "errors",
    "throughput",
    "utilization",
    "latency_mean",
    "p50",
    "p90",
    "p99",
    "p999",
    "p9999",
    "max",
]


def tables() -> dict[str, dict[str, list[Any]]]:
    service_metrics: dict[str, list[Any]] = {name: [] for name in SERVICE_COLUMNS}
    for t in (1.0, 2.0, 3.0):
        for service, count, utilization, p50, p99 in SERVICES:
            errors = 8 if service == "catalog" and t == 3.0 else 0
            row = {
                "time": t,
                "service": service,
                "count": count,
                "errors": errors,
                "throughput": float(count),
                "latency_mean": p50 * 1.3,
                "p50": p50 * t,
                "p90": p50 * 2,
                "p99": p99,
                "p999": p99 * 1.5,
                "p9999": p99 * 2,
                "max": p99 * 3,
                "utilization": utilization,
                "queue_mean": 0.5,
                "in_flight": 2,
                "rejected": errors,
            }
            for name, values in service_metrics.items():
                values.append(row[name])
    edge_metrics: dict[str, list[Any]] = {name: [] for name in EDGE_COLUMNS}
    for t in (1.0, 2.0, 3.0):
        for source, target in (("www", "frontend"), ("frontend", "catalog"), ("catalog", "db")):
            row = {
                "time": t,
                "source": source,
                "target": target,
                "count": 1000,
                "errors": 0,
                "latency_mean": 0.012,
                "p50": 0.010,
                "p90": 0.015,
                "p99": 0.030,
                "p999": 0.050,
                "p9999": 0.060,
                "max": 0.071,
            }
            for name, values in edge_metrics.items():
                values.append(row[name])
    totals: dict[str, list[Any]] = {name: [] for name in TOTALS_COLUMNS}
    for service, count, utilization, p50, p99 in SERVICES:
        row = {
            "service": service,
            "count": count * 3,
            "errors": 8 if service == "catalog" else 0,
            "throughput": float(count),
            "utilization": utilization,
            "latency_mean": p50 * 1.3,
            "p50": p50,
            "p90": p50 * 2,
            "p99": p99,
            "p999": p99 * 1.5,
            "p9999": p99 * 2,
            "max": p99 * 3,
        }
        for name, values in totals.items():
            values.append(row[name])
    return {"service_metrics": service_metrics, "edge_metrics": edge_metrics, "totals": totals}


def report(tmp_path: Path, name: str = "report.html", **options: Any) -> tuple[Path, Page]:
    arguments: dict[str, Any] = {
        "arch": "demo",
        "summary": SUMMARY,
        "tables": tables(),
        "spans": overlapping_trace() + slow_trace(),
    }
    arguments.update(options)
    path = write_report(tmp_path / name, **arguments)
    return path, Page(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Page]:
    return report(tmp_path_factory.mktemp("report"))


def test_header_shows_the_run_figures(full: tuple[Path, Page]) -> None:
    path, page = full
    assert path.name == "report.html"
    header = page.text("")
    assert page.titles == ["demo: run report"]
    for expected in (
        "complete",
        "60 s",
        "4 services",
        "5 instances",
        "123,456 messages",
        "12,000",  # requests: 9,000 reads + 3,000 writes
        "9,000 reads",
        "3,000 writes",
        "11,900 answered",
        "0.83 %",  # 100 errors of 12,000 requests
        "9.70 ms",  # mean response
        "71.2 ms",  # max response
        "auth2",  # the chaos victim
        "catalog",  # busiest
    ):
        assert expected in header, expected


def test_every_picture_section_has_its_svg(full: tuple[Path, Page]) -> None:
    _, page = full
    assert page.svgs == {
        "latency": 2,  # small multiples and the entry point
        "throughput": 1,
        "utilization": 1,
        "totals": 0,
        "critical-path": 1,
        "slowest": 2,  # two traces kept
    }
    latency_labels = page.svg_text["latency"]
    for service, *_ in SERVICES:
        assert service in latency_labels
    assert "www → frontend" in latency_labels  # the entry edge, not the inner ones
    assert "frontend → catalog" not in latency_labels


def test_the_busiest_service_is_named(full: tuple[Path, Page]) -> None:
    _, page = full
    assert "Busiest: catalog at 87 % utilization" in page.text("utilization")
    bars = page.svg_text["utilization"]
    assert bars.index("catalog") < bars.index("db") < bars.index("frontend") < bars.index("auth")


def test_totals_table_is_sorted_by_p99(full: tuple[Path, Page]) -> None:
    _, page = full
    rows = page.table_rows["totals"]
    assert rows[0] == [
        "service",
        "requests",
        "errors",
        "req/s",
        "utilization",
        "mean",
        "p50",
        "p99",
        "p99.9",
    ]
    assert [row[0] for row in rows[1:]] == ["catalog", "frontend", "db", "auth"]
    assert rows[1] == [
        "catalog",
        "2,400",
        "8 (0.33 %)",
        "800",
        "87 %",
        "13.0 ms",
        "10.0 ms",
        "90.0 ms",
        "135 ms",
    ]


def test_critical_path_section_shows_the_hand_computed_shares(full: tuple[Path, Page]) -> None:
    _, page = full
    text = page.text("critical-path")
    assert "catalog 60 %" in text
    assert "frontend 30 %" in text
    assert "db 10 %" in text
    assert "2 complete traces" in text
    assert "critical path is the chain of calls" in text


def test_waterfall_rows_of_the_slowest_trace_come_first_in_order(full: tuple[Path, Page]) -> None:
    _, page = full
    text = page.text("slowest")
    assert "#1 trace 0000000000000002 · 40.0 ms · 3 spans" in text
    first = page.rows[:3]
    assert [tuple(row[:4]) for row in first] == [
        ("0", "frontend", "frontend1", "server"),
        ("1", "frontend", "frontend1", "client"),
        ("2", "catalog", "catalog3", "server"),
    ]
    assert [row[5:] for row in first] == [
        ["0.000 ms", "40.0 ms", "0.000 ms", ""],
        ["5.00 ms", "30.0 ms", "", "502 dependency failed"],
        ["6.00 ms", "28.0 ms", "10.0 ms", "503 queue full"],
    ]
    # the second waterfall is the 10 ms trace, root then children by start time
    assert [(row[0], row[2]) for row in page.rows[3:]] == [
        ("0", "frontend1"),
        ("1", "auth2"),
        ("1", "catalog3"),
        ("2", "db4"),
    ]
    labels = page.svg_text["slowest"]
    order = [labels.index(label) for label in ("frontend · frontend1", "catalog · catalog3")]
    assert order == sorted(order)
    assert "frontend · frontend1 → catalog" in labels
    assert any("503 queue full" in label for label in labels)


def test_slowest_limits_the_waterfalls(tmp_path: Path) -> None:
    _, page = report(tmp_path, slowest=1)
    assert page.svgs["slowest"] == 1
    _, page = report(tmp_path, "none.html", slowest=0)
    assert page.svgs["slowest"] == 0
    assert "slowest=0" in page.text("slowest")


def test_same_inputs_give_byte_identical_files(tmp_path: Path) -> None:
    first, _ = report(tmp_path, "a.html")
    second, _ = report(tmp_path, "b.html")
    assert first.read_bytes() == second.read_bytes()


def test_empty_inputs_give_a_valid_page_that_says_so(tmp_path: Path) -> None:
    path, page = report(tmp_path, tables={}, spans=[], summary={})
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sum(page.svgs.values()) == 0
    assert "the service_metrics table is missing" in page.text("latency")
    assert "the edge_metrics table is missing" in page.text("latency")
    assert "the totals table is missing" in page.text("utilization")
    assert "the totals table is missing" in page.text("totals")
    assert "No spans were kept" in page.text("critical-path")
    assert "No spans were kept" in page.text("slowest")
    assert "—" in page.text("")  # unknown header figures are dashes, not crashes


def test_zero_length_tables_are_empty_not_missing(tmp_path: Path) -> None:
    empty: dict[str, dict[str, list[Any]]] = {
        name: {column: [] for column in table} for name, table in tables().items()
    }
    _, page = report(tmp_path, tables=empty, spans=[])
    assert "the service_metrics table is empty" in page.text("throughput")
    assert "the totals table is empty" in page.text("totals")


def test_metrics_without_spans_or_totals_still_draw(tmp_path: Path) -> None:
    only = {"service_metrics": tables()["service_metrics"]}
    _, page = report(tmp_path, tables=only, spans=[])
    assert page.svgs["latency"] == 1  # no edges and no root spans: no entry-point picture
    assert page.svgs["throughput"] == 1
    assert page.svgs["utilization"] == 1
    assert "Busiest: catalog at 87 % utilization" in page.text("utilization")
    assert "No spans were kept" in page.text("critical-path")


def test_spans_without_metrics_still_draw_traces(tmp_path: Path) -> None:
    _, page = report(tmp_path, tables={})
    assert page.svgs["critical-path"] == 1
    assert page.svgs["slowest"] == 2
    assert page.svgs["latency"] == 1  # end to end from the root spans
    assert "root spans" in page.text("latency")


def test_only_incomplete_traces_say_so(tmp_path: Path) -> None:
    orphan = [span(7, 70, 69, SERVER, AUTH, 0, 5)]
    _, page = report(tmp_path, spans=orphan)
    assert "is complete" in page.text("critical-path")
    assert page.svgs["slowest"] == 1


def test_many_services_show_the_busiest_panels(tmp_path: Path) -> None:
    many: dict[str, list[Any]] = {
        name: [] for name in ("time", "service", "count", "throughput", "p50", "p99")
    }
    for index in range(MAX_PANELS + 3):
        for t in (1.0, 2.0):
            for name, value in zip(
                many, (t, f"svc{index:02d}", 100 + index, 100.0 + index, 0.001, 0.01), strict=True
            ):
                many[name].append(value)
    _, page = report(tmp_path, tables={"service_metrics": many}, spans=[])
    text = page.text("latency")
    assert f"The {MAX_PANELS} busiest of {MAX_PANELS + 3} services are shown" in text
    labels = page.svg_text["latency"]
    assert "svc14" in labels
    assert "svc02" not in labels
    assert "no utilization column" in page.text("utilization")
