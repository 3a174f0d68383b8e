"""The report's Resilience section (monkeyhouse.exporters.report_resilience).

Real runs of a small three-tier chain: the traffic source calls api, api calls mid, mid calls
leaf (a store, one instance per zone; karyon routes within its zone). Chaos Monkey kills one
leaf at half time, so the mid in that zone fails every request from then on (the store stays
in its registry until its lease expires, after the run). Protected with a static fallback on
api's calls to mid, the front door (api) answers everything; without the fallback, the
failures reach it. The figures the page states are recomputed here from the run's own
Parquet tables with the rules written out in the tests, not read from the module.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]
import pytest
from test_report import SUMMARY, Page, tables

from monkeyhouse.exporters.report import write_report
from monkeyhouse.model import load_architecture
from monkeyhouse.scenarios.run import RunResult, TelemetryOptions, run_to_folder
from monkeyhouse.scenarios.simulation import RunOptions

CHAIN = """
arch: layered
victim: leaf
network: {same_zone: 0.001, cross_zone: 0.001}
traffic: {pattern: constant, rate: 100, mix: {get: 1}}
services:
  - {name: leaf, package: store, count: 2, regions: 1, service_time: 0.001}
  - {name: mid, package: karyon, count: 2, regions: 1, service_time: 0.001, resilience: none,
     dependencies: [leaf]}
  - {name: api, package: karyon, count: 2, regions: 1, service_time: 0.001,
     dependencies: [{service: mid, PROTECTION}]}
  - {name: www, package: denominator, count: 0, regions: 0, dependencies: [api]}
"""

FALLBACK = "fallback: {kind: static, value: guest}"
NO_FALLBACK = "timeout: 0.5"


def run(tmp_path: Path, protection: str, *, resilience: bool = True) -> RunResult:
    path = tmp_path / "layered.yaml"
    path.write_text(CHAIN.replace("PROTECTION", protection))
    return run_to_folder(
        load_architecture(path),
        RunOptions(duration=20.0, seed=3, resilience=resilience),
        tmp_path / "out",
        telemetry=TelemetryOptions(span_formats=()),
    )


class Sections(HTMLParser):
    """The ids of the sections, the nav links and the verdict's outcome."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.links: list[str] = []
        self.outcome = ""
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "section":
            self.ids.append(attributes.get("id") or "")
        if tag == "a":
            self.links.append(attributes.get("href") or "")
        if tag == "p" and "verdict" in (attributes.get("class") or ""):
            self.outcome = attributes.get("data-outcome") or ""


def service_rows(out: Path, service: str) -> list[tuple[float, int, int]]:
    table = pq.read_table(out / "metrics_service.parquet").to_pydict()
    return [
        (t, c, e)
        for t, s, c, e in zip(
            table["time"], table["service"], table["count"], table["errors"], strict=True
        )
        if s == service
    ]


def peak_share(rows: list[tuple[float, int, int]]) -> float:
    return max(e / c for _, c, e in rows if c > 0)


def percent(fraction: float) -> str:
    # the page's way of writing a share: whole percent from 10 % up, one decimal below
    value = fraction * 100
    return f"{value:.0f} %" if value >= 9.95 else f"{value:.1f} %"


@pytest.fixture(scope="module")
def contained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    result = run(tmp_path_factory.mktemp("contained"), FALLBACK)
    return result.out, (result.out / "report.html").read_text(encoding="utf-8")


def test_a_protected_run_has_the_section_with_its_four_figures(
    contained: tuple[Path, str],
) -> None:
    out, text = contained
    page = Page(text)
    sections = Sections(text)
    assert "resilience" in sections.ids
    assert sections.ids.index("resilience") == sections.ids.index("totals") + 1
    assert "#resilience" in sections.links
    # breakers, Hystrix events, the cascade and (Chaos Monkey struck) the recovery
    assert page.svgs["resilience"] == 4
    for key in ("breakers", "command-events", "cascade", "recovery"):
        assert f'id="fig-{key}"' in text
    commands = json.loads((out / "summary.json").read_text())["commands"]
    (totals,) = commands.values()
    rows = [row for row in page.table_rows["resilience"] if row[0] == "api → mid"]
    assert len(rows) == 1
    row = rows[0]
    calls = sum(
        totals[name]
        for name in (
            "success",
            "failure",
            "timeout",
            "short_circuited",
            "thread_pool_rejected",
            "semaphore_rejected",
        )
    )
    # karyon's Hystrix defaults with the file's fallback
    assert row[1] == "timeout 1 s, hystrix breaker, threadpool 10, static fallback"
    assert row[2] == f"{calls:,}"
    assert row[8] == f"{totals['fallback_success']:,}"
    assert totals["fallback_success"] == calls - totals["success"] > 0


def test_the_verdict_says_the_errors_stayed_below_the_front_door(
    contained: tuple[Path, str],
) -> None:
    out, text = contained
    assert Sections(text).outcome == "contained"
    mid = peak_share(service_rows(out, "mid"))
    api = service_rows(out, "api")
    assert mid > 0.4  # half of mid fails once its zone's leaf is gone
    assert all(e == 0 for _, _, e in api)  # the fallback answered for every failure
    verdict = re.search(r'data-outcome="contained">(.*?)</p>', text)
    assert verdict is not None
    assert verdict.group(1) == (
        f"Errors stayed below the front door: mid ({percent(mid)}) went above 1 % in some "
        "interval, but api&#x27;s error share stayed at or below 1 % (peak 0 %)."
    )


def test_the_front_door_recovers_one_interval_after_a_harmless_kill(
    contained: tuple[Path, str],
) -> None:
    _out, text = contained
    page = Page(text)
    rows = [row for row in page.table_rows["resilience"] if row and row[0] == "1"]
    # Chaos Monkey strikes at 10 s; api never fails, so the first interval after the kill
    # (ending at 11 s) starts three healthy ones: 11 - 10 = 1 s
    assert len(rows) == 1
    _number, time, action, target, detail, recovered = rows[0]
    assert (time, action, target, recovered) == ("10 s", "chaos-monkey", "leaf", "1 s")
    assert re.fullmatch(r"killed layered\.us-east-1\.zone[AB]\.leaf0[01]", detail)


def test_without_a_fallback_the_errors_reach_the_front_door(tmp_path: Path) -> None:
    result = run(tmp_path, NO_FALLBACK)
    text = (result.out / "report.html").read_text(encoding="utf-8")
    assert Sections(text).outcome == "reached"
    api = service_rows(result.out, "api")
    peak = peak_share(api)
    when = min(t for t, c, e in api if c > 0 and e / c == peak)
    assert (
        f"api&#x27;s error share peaked at {percent(peak)} in the interval ending at {when:g} s"
        in text
    )
    # after the kill at 10 s, every interval of api has errors above 1 % up to the end
    assert all(e > 0.01 * c for t, c, e in api if t > 10.0)
    assert "did not recover within the run" in text


def test_an_unprotected_run_has_no_resilience_section(tmp_path: Path) -> None:
    result = run(tmp_path, FALLBACK, resilience=False)
    text = (result.out / "report.html").read_text(encoding="utf-8")
    sections = Sections(text)
    assert "resilience" not in sections.ids
    assert "#resilience" not in sections.links
    assert not (result.out / "metrics_commands.parquet").exists()


# ------------------------------------------------------------------ hand-made tables


def command_tables() -> dict[str, dict[str, list[Any]]]:
    """Two commands over three 1 s intervals, and the services of test_report's tables."""
    columns = [
        "time",
        "caller",
        "dependency",
        "success",
        "failure",
        "timeout",
        "short_circuited",
        "thread_pool_rejected",
        "semaphore_rejected",
        "fallback_success",
        "fallback_failure",
        "error_percentage",
        "open",
        "half_open",
        "breakers",
        "concurrent",
        "latency_p50_ms",
        "latency_p99_ms",
    ]
    command_metrics: dict[str, list[Any]] = {name: [] for name in columns}
    rows = [
        # time, caller, dependency, success, failure, timeout, short, pool, fb ok, open, half
        (1.0, "frontend", "catalog", 90, 10, 0, 0, 0, 10, 0, 0),
        (2.0, "frontend", "catalog", 40, 30, 20, 10, 0, 60, 2, 0),
        (3.0, "frontend", "catalog", 50, 0, 0, 50, 0, 50, 1, 1),
        (1.0, "catalog", "db", 100, 0, 0, 0, 0, 0, 0, 0),
        (2.0, "catalog", "db", 99, 0, 0, 0, 1, 0, 0, 0),
        (3.0, "catalog", "db", 100, 0, 0, 0, 0, 0, 0, 0),
    ]
    for time, caller, dep, ok, failed, slow, short, pool, fallback, opened, half in rows:
        row = {
            "time": time,
            "caller": caller,
            "dependency": dep,
            "success": ok,
            "failure": failed,
            "timeout": slow,
            "short_circuited": short,
            "thread_pool_rejected": pool,
            "semaphore_rejected": 0,
            "fallback_success": fallback,
            "fallback_failure": 0,
            "error_percentage": 0,
            "open": opened,
            "half_open": half,
            "breakers": 2,
            "concurrent": 0,
            "latency_p50_ms": 1.0,
            "latency_p99_ms": 2.0,
        }
        for name, values in command_metrics.items():
            values.append(row[name])
    timeline: dict[str, list[Any]] = {
        "time": [2.0, 3.0],
        "caller": ["frontend", "frontend"],
        "dependency": ["catalog", "catalog"],
        "change": ["opened", "closed"],
        "open": [2, 1],
        "breakers": [2, 2],
    }
    return {**tables(), "command_metrics": command_metrics, "breaker_timeline": timeline}


def test_hand_made_tables_give_three_figures_and_summed_totals(tmp_path: Path) -> None:
    path = write_report(
        tmp_path / "r.html", arch="demo", summary=SUMMARY, tables=command_tables(), spans=[]
    )
    text = path.read_text(encoding="utf-8")
    page = Page(text)
    assert page.svgs["resilience"] == 3  # no chaos: no recovery figure
    assert "fig-recovery" not in text
    rows = {row[0]: row for row in page.table_rows["resilience"] if row[0] != "command"}
    # frontend → catalog: calls 100 + 100 + 100; success 180; failure 40; timeout 20;
    # short-circuited 60; fallbacks 120; the last sample has 1 of 2 breakers open
    assert rows["frontend → catalog"][2:] == [
        "300",
        "180",
        "40",
        "20",
        "60",
        "0",
        "120",
        "0",
        "—",
        "1 of 2",
    ]
    assert rows["catalog → db"][2:4] == ["300", "299"]
    assert rows["catalog → db"][7] == "1"  # one thread-pool rejection
    assert "Summed from the command table" in page.text("resilience")
    # test_report's services: catalog fails 8 of 800 (1 %) at 3 s: not above 1 %, so quiet
    assert Sections(text).outcome == "quiet"
    assert "the front door (frontend) peaked at 0 %" in page.text("resilience")


def test_chaos_records_are_marked_and_recovered_from(tmp_path: Path) -> None:
    chaos = [
        {"time": 1.5, "action": "kill", "target": "catalog3", "detail": "by hand"},
        {"time": "nonsense", "action": "ignored"},
    ]
    path = write_report(
        tmp_path / "r.html",
        arch="demo",
        summary=SUMMARY,
        tables=command_tables(),
        spans=[],
        chaos=chaos,
    )
    page = Page(path.read_text(encoding="utf-8"))
    assert page.svgs["resilience"] == 4
    rows = [row for row in page.table_rows["resilience"] if row and row[0] == "1"]
    # frontend never fails, but only one interval (3 s) follows the event at 1.5 s after 2 s:
    # the intervals ending at 2 and 3 s are two, not the three a recovery needs
    assert rows == [["1", "1.5 s", "kill", "catalog3", "by hand", "did not recover within the run"]]


def test_the_section_is_byte_identical_for_the_same_inputs(tmp_path: Path) -> None:
    one = write_report(tmp_path / "a.html", arch="d", summary={}, tables=command_tables(), spans=[])
    two = write_report(tmp_path / "b.html", arch="d", summary={}, tables=command_tables(), spans=[])
    assert one.read_bytes() == two.read_bytes()
