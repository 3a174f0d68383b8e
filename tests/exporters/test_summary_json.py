"""summary.json against figures computed by hand (and numpy for percentiles)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from metrics_fakes import KNOWN_EDGE, KNOWN_SERVER, known_run
from monkeyhouse.engine import Environment
from monkeyhouse.exporters.summary import render_summary, write_summary
from monkeyhouse.telemetry.metrics import MetricsCollector

PERCENTILES = {"p50": 50, "p90": 90, "p99": 99, "p99.9": 99.9, "p99.99": 99.99}


def latencies(*names: str) -> list[float]:
    return [d for name in names for part in KNOWN_SERVER[name] for d in part]


def check_latency_ms(got: dict[str, float], seconds: list[float]) -> None:
    ms = [d * 1000 for d in seconds]
    assert got["mean"] == pytest.approx(sum(ms) / len(ms), abs=1e-6)
    assert got["max"] == pytest.approx(max(ms), abs=1e-6)
    for key, q in PERCENTILES.items():
        assert got[key] == pytest.approx(float(np.percentile(ms, q)), rel=1e-3), key


def test_values_equal_hand_computed_ones(tmp_path: Path) -> None:
    _, metrics = known_run()
    path = write_summary(tmp_path / "summary.json", metrics.statistics())
    data = json.loads(path.read_text())
    api = data["services"]["api"]
    assert (api["count"], api["errors"], api["instances"], api["rejected"]) == (4, 1, 2, 0)
    assert api["error_rate"] == 0.25
    assert api["throughput"] == 2.0  # 4 requests in 2 s
    assert api["utilization"] == 0.25  # (1.5 + 0.5) busy s / (2 + 2 threads x 2 s)
    check_latency_ms(api["latency_ms"], latencies("api0", "api1"))
    assert api["latency_ms"]["mean"] == 68.75  # (12 + 32 + 21 + 210) / 4, rounded exactly
    db = data["services"]["db"]
    assert (db["count"], db["errors"], db["error_rate"], db["throughput"]) == (3, 0, 0.0, 1.5)
    assert db["utilization"] == 0.1
    check_latency_ms(db["latency_ms"], latencies("db0"))
    edge = data["edges"]["api -> db"]
    assert (edge["source"], edge["target"], edge["count"], edge["errors"]) == ("api", "db", 3, 0)
    check_latency_ms(edge["latency_ms"], [d for part in KNOWN_EDGE for d in part])
    run = data["run"]
    assert run == {
        "start": 0.0,
        "end": 2.0,
        "duration": 2.0,
        "interval": 1.0,
        "intervals": 2,
        "count": 7,
        "errors": 1,
        "error_rate": 0.142857,
        "throughput": 3.5,
        "client_calls": 3,
        "services": 2,
        "instances": 3,
        "edges": 1,
    }


def test_deterministic_text() -> None:
    first = render_summary(known_run()[1].statistics())
    second = render_summary(known_run()[1].statistics())
    assert first == second
    assert first == json.dumps(json.loads(first), indent=2, sort_keys=True) + "\n"
    for number in re.findall(r"-?\d+\.\d+", first):
        assert len(number.split(".")[1]) <= 6


def test_empty_run_has_nulls_not_nans() -> None:
    env = Environment()
    metrics = MetricsCollector(env)
    text = render_summary(metrics.statistics())  # allow_nan=False would raise on NaN
    data = json.loads(text)
    assert data["services"] == {} and data["run"]["throughput"] is None
    assert data["run"]["error_rate"] is None
