"""Draw docs/images/chaos-day.png: the front door's error share through examples/chaos-day.yaml.

Run from the repository root: ``.venv/bin/python docs/images/make_chaos_figure.py``. It runs the
bundled scenario (deterministic: the same figure every time) and marks each chaos action.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import pandas as pd
from matplotlib.figure import Figure

from monkeyhouse.model.scenario import load_scenario
from monkeyhouse.scenarios.scenario import run_scenario

ROOT = Path(__file__).resolve().parents[2]
IMAGE = ROOT / "docs" / "images" / "chaos-day.png"
#: the actions drawn, and the words beside their line
SHOWN = {
    "chaos-monkey": "monkey",
    "latency-monkey": "latency",
    "partition": "partition",
    "chaos-gorilla": "gorilla",
    "chaos-kong": "kong",
    "dns-failover": "DNS",
}


def main() -> None:
    """Run the scenario and draw the front door's errors with the chaos log on top."""
    with tempfile.TemporaryDirectory() as folder:
        result = run_scenario(load_scenario(ROOT / "examples" / "chaos-day.yaml"), Path(folder))
        frame = pd.read_parquet(result.out / "metrics_service.parquet")
        log = json.loads((result.out / "chaos.json").read_text(encoding="utf-8"))["log"]
    front = frame[frame.service == "www-elb"]  # the load balancers the traffic source calls
    fig = Figure(figsize=(7.5, 2.8), dpi=90, facecolor="white")
    ax = fig.add_subplot()
    ax.grid(True, color="#e3e7ec", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    share = 100 * front.errors / front["count"].where(front["count"] > 0)
    ax.step(front.time, share, where="pre", color="#d62728")
    seen: set[tuple[float, str]] = set()
    for record in log:
        words = SHOWN.get(record["action"])
        key = (record["time"], record["action"])
        if words is None or key in seen:
            continue
        seen.add(key)
        ax.axvline(record["time"], color="#6a3d9a", linestyle="--", linewidth=0.8)
        ax.text(record["time"] + 0.6, 92 - 9 * (len(seen) % 3), words, color="#6a3d9a", fontsize=7)
    ax.set_xlim(0, 120)
    ax.set_ylim(-3, 100)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("errors (%)")
    ax.set_title("chaos day: the front door's error share per second", loc="left", fontsize=10)
    fig.tight_layout()
    fig.savefig(IMAGE, metadata={"Software": None})
    print(f"{IMAGE.relative_to(ROOT)}: {IMAGE.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
