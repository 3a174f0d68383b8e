"""Draw the figures of docs/resilience/*.md from real runs of each page's own architecture.

Run from the repository root: ``.venv/bin/python docs/images/make_resilience_figures.py``.
Each page's ``yaml`` block is run with the options of its ``console`` line (``-d``, ``-u`` and
``--seed``), with every span kept, and drawn into ``docs/images/resilience-<page>.png``.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure

from monkeyhouse.behaviours.spans import CLIENT, Span
from monkeyhouse.cli.durations import parse_duration
from monkeyhouse.model import load_architecture
from monkeyhouse.scenarios.simulation import RunOptions, Simulation

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "docs" / "resilience"
IMAGES = ROOT / "docs" / "images"
RED, BLUE, GREY, ORANGE = "#d62728", "#3366aa", "#9aa5b1", "#f28e2b"


def run(page: str) -> tuple[list[Span], dict[str, dict[str, int]], float]:
    """Run a page's architecture; return its spans, its commands' totals and its duration."""
    text = (PAGES / f"{page}.md").read_text(encoding="utf-8")
    (yaml,) = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    (console,) = re.findall(r"```console\n(.*?)```", text, flags=re.S)
    words = console.split()
    options = {"duration": 10.0, "seed": 1, "poll": 1.0}
    for flag, key in (("-d", "duration"), ("--seed", "seed"), ("-u", "poll")):
        if flag in words:
            value = words[words.index(flag) + 1]
            options[key] = parse_duration(value, flag) if key == "poll" else float(value)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{page}.yaml"
        path.write_text(yaml, encoding="utf-8")
        arch = load_architecture(path)
    spans: list[Span] = []
    simulation = Simulation(
        arch,
        RunOptions(duration=options["duration"], seed=int(options["seed"]), poll=options["poll"]),
        span_observers=[spans.append],
    )
    simulation.run()
    commands = {c.name: dict(c.cumulative) for c in simulation.commands()}
    return spans, commands, options["duration"]


def figure(height: float = 2.6) -> tuple[Figure, Any]:
    """One plain axes in a small figure."""
    fig = Figure(figsize=(7.5, height), dpi=90, facecolor="white")
    ax = fig.add_subplot()
    ax.grid(True, color="#e3e7ec", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def roots(spans: list[Span]) -> list[Span]:
    """The traffic source's answered requests."""
    return [s for s in spans if s.kind == CLIENT and s.parent == 0 and s.end > s.start]


def response_times(page: str, title: str) -> Figure:
    """Each request's response time against its send time."""
    spans, _, _ = run(page)
    fig, ax = figure()
    requests = roots(spans)
    for failed, colour, label in ((False, BLUE, "answered"), (True, RED, "error")):
        chosen = [r for r in requests if bool(r.error) == failed]
        if chosen:
            ax.scatter(
                [r.start for r in chosen],
                [(r.end - r.start) * 1000 for r in chosen],
                s=6,
                color=colour,
                label=f"{label} ({len(chosen)})",
            )
    ax.set_yscale("log")
    ax.set_xlabel("request sent at (simulated s)")
    ax.set_ylabel("response time (ms)")
    ax.set_title(title, loc="left", fontsize=10)
    ax.legend(frameon=False, fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def retries() -> Figure:
    """Attempts per failed request at each layer."""
    _, commands, _ = run("retries")
    fig, ax = figure()
    layers = [("a -> b", "a->b"), ("b -> c", "b->c"), ("c -> leaf", "c->leaf")]
    # two requests failed after the kill; each layer's attempts per request
    values = [commands[key]["FAILURE"] / 2 for _, key in layers]
    bars = ax.bar([label for label, _ in layers], values, color=[BLUE, ORANGE, RED])
    for bar, value in zip(bars, values, strict=True):
        ax.text(bar.get_x() + bar.get_width() / 2, value, f"{value:g}", ha="center", va="bottom")
    ax.set_ylabel("failed attempts per request")
    ax.set_title("3 retries at each of 3 layers: 4, 16, 64 attempts", loc="left", fontsize=10)
    fig.tight_layout()
    return fig


def breakers() -> Figure:
    """Calls reaching the leaf and short-circuited, with the open periods."""
    spans, _, duration = run("circuit-breakers")
    fig, ax = figure()
    width = 0.1
    sent = Counter(int((r.start + 0.001) / width) for r in roots(spans))  # app calls 1 ms on
    reached = Counter(
        int(s.start / width)
        for s in spans
        if s.kind == CLIENT and s.peer is not None and s.peer.service.name == "leaf"
    )
    bins = range(int(duration / width))
    xs = [b * width for b in bins]
    ax.step(xs, [reached[b] for b in bins], where="post", color=RED, label="reached the leaf")
    ax.step(
        xs,
        [sent[b] - reached[b] for b in bins],
        where="post",
        color=BLUE,
        label="short-circuited",
    )
    for start, end in ((0.5, 5.501), (5.503, 10.511), (10.513, duration)):
        ax.axvspan(start, end, color="#fcbba1", alpha=0.5, linewidth=0)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("calls per 100 ms")
    ax.set_title("open (shaded) from 0.5 s; trials at 5.501 and 10.511 s", loc="left", fontsize=10)
    ax.legend(frameon=False, fontsize=8, loc="center right")
    fig.tight_layout()
    return fig


def bulkheads() -> Figure:
    """The first 200 ms: permits held and rejections."""
    spans, _, _ = run("bulkheads")
    fig, ax = figure(2.8)
    calls = sorted(
        (s for s in spans if s.kind == CLIENT and s.peer is not None and s.start < 0.2),
        key=lambda s: s.start,
    )
    admitted = [s for s in calls if s.peer.service.name == "leaf"]
    requests = [r for r in roots(spans) if r.start < 0.2]
    for row, request in enumerate(requests):
        call = next((c for c in admitted if c.trace == request.trace), None)
        if call is None:
            ax.plot([request.start + 0.001] * 2, [row - 0.3, row + 0.3], color=RED, linewidth=3)
        else:
            ax.barh(row, (call.end - call.start), left=call.start, color=BLUE, height=0.6)
    ax.invert_yaxis()
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("request")
    ax.set_title(
        "permits held (blue) and rejections (red): admitted, admitted, rejected",
        loc="left",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def outliers() -> Figure:
    """Calls per leaf instance over time."""
    spans, _, duration = run("outlier-ejection")
    fig, ax = figure()
    width = 0.5
    per: dict[str, Counter[int]] = defaultdict(Counter)
    for s in spans:
        if s.kind == CLIENT and s.peer is not None and s.peer.service.name == "leaf":
            per[s.peer.name.rsplit(".", 1)[-1]][int(s.start / width)] += 1
    bins = range(int(duration / width))
    for name in sorted(per):
        refused = any(
            s.error
            for s in spans
            if s.kind == CLIENT and s.peer is not None and s.peer.name.endswith(name)
        )
        ax.step(
            [b * width for b in bins],
            [per[name][b] for b in bins],
            where="post",
            color=RED if refused else None,
            linewidth=2 if refused else 1,
            label=f"{name} (killed at 5 s)" if refused else name,
        )
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("calls per 500 ms")
    ax.set_title("the dead leaf gets 5 calls, then none", loc="left", fontsize=10)
    ax.set_ylim(bottom=-9)
    ax.legend(frameon=False, fontsize=8, ncols=4, loc="lower left")
    fig.tight_layout()
    return fig


def zone_failover() -> Figure:
    """The front door's error share per second in both zone-outage examples."""
    from monkeyhouse.model.scenario import load_scenario
    from monkeyhouse.scenarios.scenario import run_scenario

    fig, ax = figure()
    for name, colour, label in (
        ("zone-outage-baseline", RED, "catalog netflixoss: errors until the leases expire"),
        ("zone-outage", BLUE, "netflixoss-zone-aware: retries and ejection fail over at once"),
    ):
        scenario = load_scenario(ROOT / "examples" / f"{name}.yaml")
        with tempfile.TemporaryDirectory() as folder:
            result = run_scenario(scenario, Path(folder) / name)
            import pandas as pd

            frame = pd.read_parquet(result.out / "metrics_service.parquet")
        front = frame[frame.service == "www-elb"]
        ax.step(
            front.time, 100 * front.errors / front["count"], where="pre", color=colour, label=label
        )
    ax.axvline(10, color=GREY, linestyle="--", linewidth=1)
    ax.text(11, 30, "zoneA goes dark at 10 s", color=GREY, fontsize=8)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("front door errors (%)")
    ax.set_title("a zone outage: recovered after 91 s, or after 1 s", loc="left", fontsize=10)
    ax.set_ylim(-3, 100)
    ax.legend(frameon=False, fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


FIGURES: dict[str, Callable[[], Figure]] = {
    "timeouts": lambda: response_times("timeouts", "every request: 1 + 100 + 1 ms, a timeout"),
    "retries": retries,
    "circuit-breakers": breakers,
    "bulkheads": bulkheads,
    "fallbacks": lambda: response_times(
        "fallbacks", "the fallback answers: 104 ms once, then 6 ms"
    ),
    "load-shedding": lambda: response_times(
        "load-shedding", "one request in three served (27 ms), two refused at once (2 ms)"
    ),
    "outlier-ejection": outliers,
    "zone-failover": zone_failover,
}


def main(names: list[str]) -> None:
    """Draw the named figures (all when none are named)."""
    for name in names or list(FIGURES):
        path = IMAGES / f"resilience-{name}.png"
        FIGURES[name]().savefig(path, metadata={"Software": None})
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
