"""The web UI as a person uses it: ``monkeyhouse serve`` and the page, in headless Chromium.

Truths come from outside the UI: spigo's recorded graphs (``../shared/fixtures/spigo/json``)
for node counts, the chaos a scenario schedules for what exists at a time, and Hystrix's
rules for when a breaker opens.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from browser.pages import ROOT, Served, shot

SPIGO = ROOT.parent / "shared" / "fixtures" / "spigo" / "json"
#: every wait on the page ends by then (milliseconds)
WAIT = 20_000

pytestmark = pytest.mark.browser


def spigo_nodes(name: str) -> list[str]:
    """The node names of spigo's recorded graph ``json/<name>.json``."""
    graph = json.loads((SPIGO / f"{name}.json").read_text())["graph"]
    return [entry["node"] for entry in graph if "node" in entry]


def load_benchmark_module(name: str) -> Any:
    """``benchmarks/<name>.py`` (the large estate's generator), loaded from its file."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ready(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("window.monkeyhouse && window.monkeyhouse.nodeCount() > 0")


def node_count(page: Page) -> int:
    return int(page.evaluate("window.monkeyhouse.nodeCount()"))


def click_node(page: Page, name: str) -> None:
    """Click where the graph draws ``name`` (a service or an instance), as a person would."""
    page.wait_for_function("(n) => window.monkeyhouse.positionOf(n) !== null", arg=name)
    where = page.evaluate("(n) => window.monkeyhouse.positionOf(n)", name)
    page.mouse.click(where["x"], where["y"])


def run_folder(tmp_path: Path, scenario: str) -> Path:
    """Run a scenario file (its text) into a run folder."""
    path = tmp_path / "scenario.yaml"
    path.write_text(scenario)
    out = tmp_path / "run"
    command = [sys.executable, "-m", "monkeyhouse", "run", str(path), "--out", str(out), "-q"]
    subprocess.run(command, check=True, cwd=ROOT, timeout=120)
    return out


def test_live_netflixoss_shows_spigos_node_count(page: Page, serve: Callable[..., Served]) -> None:
    served = serve("-d", "600")
    ready(page, served.url)
    expect(page.get_by_test_id("mode")).to_contain_text(re.compile("live", re.I))
    # services view: netflixoss's services (eureka is discovery, not drawn, as in spigo)
    expect(page.get_by_test_id("node-count")).to_have_text("8")
    page.get_by_test_id("view-instances").click()
    nodes = spigo_nodes("netflixoss")
    expect(page.get_by_test_id("node-count")).to_have_text(str(len(nodes)))
    expect(page.get_by_test_id("live-count")).to_have_text(str(len(nodes)))
    # simulated time moves on screen
    first = page.get_by_test_id("sim-time").inner_text()
    page.wait_for_timeout(1200)
    assert page.get_by_test_id("sim-time").inner_text() != first
    shot(page, "live-netflixoss-instances")


def test_clicking_an_instance_and_killing_it_drops_the_live_count(
    page: Page, serve: Callable[..., Served]
) -> None:
    served = serve("-d", "600")
    ready(page, served.url)
    page.get_by_test_id("view-instances").click()
    nodes = spigo_nodes("netflixoss")
    live = page.get_by_test_id("live-count")
    expect(live).to_have_text(str(len(nodes)))
    victim = next(n for n in nodes if ".homepage" in n)
    click_node(page, victim)
    expect(page.locator("body")).to_contain_text(victim.split(".")[-1])
    page.get_by_test_id("kill-instance").click()
    expect(live).to_have_text(str(len(nodes) - 1), timeout=WAIT)
    expect(page.get_by_test_id("node-count")).to_have_text(str(len(nodes) - 1), timeout=WAIT)
    # the victim is gone from the picture: nothing is drawn under its name any more
    page.wait_for_function("(n) => window.monkeyhouse.positionOf(n) === null", arg=victim)
    shot(page, "killed-instance")


def test_a_slowed_service_opens_a_breaker_in_the_dashboard(
    page: Page, serve: Callable[..., Served]
) -> None:
    """subscriber made 2 s slower: its callers (login, homepage) time out after Hystrix's 1 s,
    and so does the proxy calling them (the same 1 s default), so the calls on the path into
    subscriber fail and a breaker on that path opens at a health snapshot with 20 requests in
    the window and over 50 % errors. All are closed before.
    """
    path = {"wwwproxy->login", "wwwproxy->homepage", "login->subscriber", "homepage->subscriber"}
    served = serve("-d", "600", "--speed", "4")
    ready(page, served.url)
    page.get_by_test_id("tab-circuits").click()
    states = page.locator('[data-testid="command"]').get_by_test_id("circuit-state")
    expect(states.first).to_be_visible(timeout=WAIT)
    assert set(states.all_inner_texts()) == {"Closed"}
    click_node(page, "subscriber")
    page.get_by_test_id("latency-ms").fill("2000")
    page.get_by_test_id("slow-service").click()
    opened = page.locator('[data-testid="command"]', has=page.get_by_text("Open", exact=True))
    expect(opened.first).to_be_visible(timeout=WAIT)
    names = {card.get_attribute("data-command") for card in opened.all()}
    assert names and names <= path, f"breakers opened off the path into subscriber: {names}"
    shot(page, "breaker-open")


#: 3 login instances die at 4 s and come back (new names) at 9 s; Chaos Monkey's own victim off
SCENARIO = """\
scenario: replay-at-t
architecture: netflixoss
duration: 14s
seed: 3
options: {victim: false}
chaos:
  - {at: 4s, action: chaos-monkey, target: login, count: 3, replace_after: 5s}
outputs: {spans: [zipkin], report: false}
"""


def test_the_replay_at_t_shows_the_instances_that_existed_at_t(
    page: Page, serve: Callable[..., Served], tmp_path: Path
) -> None:
    total = len(spigo_nodes("netflixoss"))
    run = run_folder(tmp_path, SCENARIO)
    served = serve(str(run))
    ready(page, served.url)
    expect(page.get_by_test_id("mode")).to_contain_text(re.compile("replay", re.I))
    page.get_by_test_id("view-instances").click()
    for t, alive in ((2.0, total), (6.0, total - 3), (11.0, total)):
        page.evaluate("(t) => window.monkeyhouse.replayAt(t)", t)
        expect(page.get_by_test_id("node-count")).to_have_text(str(alive))
        shot(page, f"replay-at-{t:g}s")
    # the scrubber is the person's way to the same place
    scrubber = page.get_by_test_id("scrubber")
    scrubber.fill("6")
    scrubber.dispatch_event("input")
    expect(page.get_by_test_id("node-count")).to_have_text(str(total - 3))
    assert page.get_by_test_id("chaos-marker").count() >= 1


#: subscriber 2 s slower from 5 s on: the breakers on the path into it open some seconds later
SLOWED = """\
scenario: replay-breakers-at-t
architecture: netflixoss
duration: 20s
seed: 4
options: {victim: false}
chaos:
  - {at: 5s, action: latency-monkey, target: subscriber, latency: 2s}
outputs: {spans: [], report: false}
"""


def open_at(run: Path, t: float) -> dict[str, int]:
    """Breakers open per command at ``t``: each command's last change in breaker_timeline."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

    latest: dict[str, tuple[float, int]] = {}
    for row in pq.read_table(run / "breaker_timeline.parquet").to_pylist():
        name = f"{row['caller']}->{row['dependency']}"
        if row["time"] <= t and row["time"] >= latest.get(name, (-1.0, 0))[0]:
            latest[name] = (row["time"], row["open"])
    return {name: opened for name, (_, opened) in latest.items()}


def test_the_replay_circuits_show_each_breaker_as_it_was_at_t(
    page: Page, serve: Callable[..., Served], tmp_path: Path
) -> None:
    path = {"wwwproxy->login", "wwwproxy->homepage", "login->subscriber", "homepage->subscriber"}
    run = run_folder(tmp_path, SLOWED)
    served = serve(str(run))
    ready(page, served.url)
    page.get_by_test_id("tab-circuits").click()
    cards = page.locator('[data-testid="command"]')
    expect(cards.first).to_be_visible(timeout=WAIT)
    # before the slowdown: every circuit closed
    assert open_at(run, 3.0) == {}
    page.evaluate("(t) => window.monkeyhouse.replayAt(t)", 3.0)
    expect(page.locator("#circuit-note")).to_contain_text("as at t")
    states = cards.get_by_test_id("circuit-state")
    expect(states.filter(has_not_text="Closed")).to_have_count(0)
    assert states.count() >= len(path)
    shot(page, "replay-circuits-at-3s")
    # well after it: what breaker_timeline.parquet says was open at 15 s shows Open
    page.evaluate("(t) => window.monkeyhouse.replayAt(t)", 15.0)
    opened = {name for name, count in open_at(run, 15.0).items() if count > 0}
    assert opened and opened <= path, opened
    for name in opened:
        card = page.locator(f'[data-testid="command"][data-command="{name}"]')
        expect(card.get_by_test_id("circuit-state")).to_have_text("Open")
    shown = {str(card.get_attribute("data-command")) for card in cards.all()}
    for closed in shown - opened:
        card = page.locator(f'[data-testid="command"][data-command="{closed}"]')
        expect(card.get_by_test_id("circuit-state")).not_to_have_text("Open")
    shot(page, "replay-circuits-at-15s")
    # and back before the slowdown: closed again (state at t, not at the end)
    page.evaluate("(t) => window.monkeyhouse.replayAt(t)", 3.0)
    expect(states.filter(has_not_text="Closed")).to_have_count(0)


def test_migration_steps_grow_as_spigos_recorded_steps(
    page: Page, serve: Callable[..., Served], tmp_path: Path
) -> None:
    run = tmp_path / "migration"
    command = [sys.executable, "-m", "monkeyhouse", "run", "-a", "migration", "-d", "1"]
    subprocess.run([*command, "--out", str(run), "-q"], check=True, cwd=ROOT, timeout=60)
    served = serve(str(run))
    ready(page, served.url)
    page.get_by_test_id("view-instances").click()
    label = page.get_by_test_id("step-label")
    expect(label).to_contain_text("Run")
    for step in range(10):
        page.get_by_test_id("step-next").click()
        expect(label).to_contain_text(f"Step {step}:")
        # spigo names step 0's graph migration.json and the others migration<step>.json
        recorded = spigo_nodes(f"migration{step or ''}")
        expect(page.get_by_test_id("node-count")).to_have_text(str(len(recorded)))
    page.get_by_test_id("step-prev").click()
    expect(label).to_contain_text("Step 8:")
    shot(page, "migration-step-9")


def test_traces_open_as_a_waterfall_with_every_span(
    page: Page, serve: Callable[..., Served], tmp_path: Path
) -> None:
    run = run_folder(tmp_path, SCENARIO)
    served = serve(str(run))
    ready(page, served.url)
    page.get_by_test_id("tab-traces").click()
    first = page.get_by_test_id("trace").first
    expect(first).to_be_visible(timeout=WAIT)
    trace_id = first.get_attribute("data-trace")
    assert trace_id
    first.click()
    spans = [
        span
        for span in json.loads((run / "spans.zipkin.json").read_text())
        if span["traceId"] == trace_id
    ]
    waterfall = page.get_by_test_id("waterfall")
    expect(waterfall.get_by_test_id("span")).to_have_count(len(spans), timeout=WAIT)
    page.get_by_test_id("tab-charts").click()
    expect(page.get_by_test_id("chart").first).to_be_visible()
    shot(page, "charts")


def test_render_html_works_offline_from_a_file(page: Page, tmp_path: Path) -> None:
    run = run_folder(tmp_path, SCENARIO)
    out = tmp_path / "offline.html"
    command = [sys.executable, "-m", "monkeyhouse", "render", str(run), "--html", "-o", str(out)]
    subprocess.run(command, check=True, cwd=ROOT, timeout=60)
    asked: list[str] = []

    def refuse(route: Route) -> None:
        asked.append(route.request.url)
        route.abort()

    page.route(re.compile(r"^(?!file:).*"), refuse)
    ready(page, out.as_uri())
    total = len(spigo_nodes("netflixoss"))
    page.get_by_test_id("view-instances").click()
    page.evaluate("window.monkeyhouse.replayAt(6)")
    expect(page.get_by_test_id("node-count")).to_have_text(str(total - 3))
    page.evaluate("window.monkeyhouse.replayAt(2)")
    expect(page.get_by_test_id("node-count")).to_have_text(str(total))
    assert asked == [], f"the offline page asked the network for {asked}"
    shot(page, "offline-page")


def open_estate(page: Page, serve: Callable[..., Served], tmp_path: Path) -> Any:
    """Serve the 500-service estate live at half speed; its generator module, once drawn."""
    large_arch = load_benchmark_module("large_arch")
    arch = large_arch.write(tmp_path / "estate500.yaml")
    served = serve(str(arch), "-d", "600", "--speed", "0.5")
    ready(page, served.url)
    expect(page.get_by_test_id("node-count")).to_have_text("500", timeout=WAIT)
    return large_arch


def test_a_500_service_estate_is_drawn_whole_and_apart(
    page: Page, serve: Callable[..., Served], tmp_path: Path
) -> None:
    large_arch = open_estate(page, serve, tmp_path)
    names = [spec["name"] for spec in large_arch.architecture()["services"]]
    where = page.evaluate("(names) => names.map((n) => window.monkeyhouse.positionOf(n))", names)
    width, height = 1400, 900
    points = [(p["x"], p["y"]) for p in where if p is not None]
    assert len(points) == 500, "every service is placed"
    assert all(0 <= x <= width and 0 <= y <= height for x, y in points), "all on screen"
    assert len(set(points)) == 500, "no two services drawn on the same spot"
    page.get_by_test_id("view-instances").click()
    expect(page.get_by_test_id("node-count")).to_have_text(str(large_arch.INSTANCES))
    shot(page, "estate500-instances")


def test_a_500_service_estate_is_readable_collapsed(
    page: Page, serve: Callable[..., Served], tmp_path: Path
) -> None:
    large_arch = open_estate(page, serve, tmp_path)
    services = {spec["name"] for spec in large_arch.architecture()["services"]}
    # at fit zoom: many services named, no two labels on top of each other
    page.wait_for_function("window.monkeyhouse.labels().length >= 30", timeout=WAIT)
    labels = [b for b in page.evaluate("window.monkeyhouse.labels()") if b["name"] in services]
    assert len(labels) >= 30, f"only {len(labels)} service labels at fit zoom"
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            apart = (
                a["x"] + a["w"] <= b["x"]
                or b["x"] + b["w"] <= a["x"]
                or a["y"] + a["h"] <= b["y"]
                or b["y"] + b["h"] <= a["y"]
            )
            assert apart, f"the labels of {a['name']} and {b['name']} overlap"
    shot(page, "estate500-services-readable")
    # find: type a name, Enter; the side panel shows it and the graph centres it
    search = page.get_by_test_id("search")
    search.fill("svc3x017")
    search.press("Enter")
    expect(page.locator("#details .title")).to_have_text("svc3x017")
    box = page.get_by_test_id("graph").bounding_box()
    assert box is not None
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function(
        """([name, cx, cy]) => {
            const p = window.monkeyhouse.positionOf(name);
            return p !== null && Math.abs(p.x - cx) < 30 && Math.abs(p.y - cy) < 30;
        }""",
        arg=["svc3x017", centre[0], centre[1]],
        timeout=WAIT,
    )
    assert any(b["name"] == "svc3x017" for b in page.evaluate("window.monkeyhouse.labels()"))
    assert page.evaluate("window.monkeyhouse.find('no-such-thing')") is False
    shot(page, "estate500-found")
