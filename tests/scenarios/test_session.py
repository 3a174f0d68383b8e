"""The experiment session: probes against independent truth (catalog counts, the configured
rate, the Zipkin spans the run writes), time that moves only when asked, clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from monkeyhouse.errors import UsageError
from monkeyhouse.scenarios.experiment import SimulationSettings
from monkeyhouse.scenarios.session import (
    SimulationSession,
    close_shared,
    shared_session,
    using_session,
)
from monkeyhouse.telemetry.timestamps import EPOCH

CATALOG = Path(__file__).resolve().parents[2] / "src" / "monkeyhouse" / "model" / "catalog"


def lamp(**changes: object) -> SimulationSettings:
    values: dict[str, object] = {
        "architecture": "lamp",
        "duration": 30.0,
        "warmup": 2.0,
        "rate": 50.0,
    }
    values.update(changes)
    return SimulationSettings(**values)  # type: ignore[arg-type]


def test_live_instances_are_the_catalog_counts() -> None:
    counts = {
        s["name"]: s["count"]
        for s in yaml.safe_load((CATALOG / "lamp.yaml").read_text())["services"]
        if s["count"] > 0
    }
    session = SimulationSession(lamp())
    assert {name: session.live_instances(name) for name in counts} == counts
    session.close()


def test_time_moves_only_when_asked_and_never_past_the_duration() -> None:
    session = SimulationSession(lamp())
    session.start()
    assert session.now == 2.0  # the warm-up
    session.live_instances("webserver")
    session.error_rate("www", 1)
    assert session.now == 2.0
    assert session.advance(3) == 5.0
    assert session.advance("0.5") == 5.5
    with pytest.raises(UsageError, match=r"seconds: 30 s from t=5\.5 s goes past the run's 30 s"):
        session.advance(30)
    with pytest.raises(UsageError, match="must be a number of seconds, 0 or more"):
        session.advance(-1)
    summary = session.close()
    assert summary.simulated_seconds == 5.5
    assert summary.status == "complete"
    with pytest.raises(UsageError, match="has ended"):
        session.advance(1)


def test_throughput_of_the_entry_point_is_the_configured_rate() -> None:
    session = SimulationSession(lamp(rate=40.0))
    session.start()
    session.advance(10)
    assert session.throughput("www", 10) == pytest.approx(40.0, abs=0.11)  # 400 +- 1 request
    health = session.service_health("www", 10)
    assert health["requests"] == pytest.approx(400, abs=1)
    assert (health["errors"], health["error_rate"]) == (0, 0.0)
    session.close()


def test_latency_percentiles_match_the_zipkin_spans_the_run_writes(tmp_path: Path) -> None:
    session = SimulationSession(lamp(), out=tmp_path / "run")
    session.start()
    session.advance(8)  # now 10
    figures = {q: session.latency_percentile("webserver", q, 5) for q in (50, 90, 99)}
    count = session.service_health("webserver", 5)["requests"]
    session.close()
    spans = json.loads((tmp_path / "run" / "spans.zipkin.json").read_text())
    epoch_us = int(EPOCH.timestamp()) * 1_000_000
    durations = []
    for span in spans:
        if span["kind"] != "SERVER" or span["localEndpoint"]["serviceName"] != "webserver":
            continue
        end = (span["timestamp"] + span["duration"] - epoch_us) / 1e6
        if 5.0 < end <= 10.0:
            durations.append(span["duration"] / 1e6)
    assert len(durations) == pytest.approx(count, abs=2)  # microsecond rounding at the edges
    for q, value in figures.items():
        assert value == pytest.approx(float(np.percentile(durations, q)), rel=2e-3, abs=2e-6)


def test_mistakes_are_refused_with_the_known_names() -> None:
    session = SimulationSession(lamp(window_limit=20.0))
    with pytest.raises(UsageError, match=r"service: 'web' is not a service of lamp \(known: "):
        session.live_instances("web")
    with pytest.raises(UsageError, match="raise monkeyhouse_window_limit"):
        session.error_rate("www", 21)
    with pytest.raises(UsageError, match="window: 0 must be a number of seconds, more than 0"):
        session.error_rate("www", 0)
    with pytest.raises(UsageError, match="percentile: 101 must be a number from 0 to 100"):
        session.latency_percentile("www", 101, 5)
    assert session.check_arguments({"service": "www", "window": 5}) is None
    assert session.check_arguments({"service": "${x}"}) is None
    problem = session.check_arguments({"caller": "nope"})
    assert problem is not None and problem[0] == "caller" and "'nope'" in problem[1]
    session.close()


def test_an_unknown_architecture_names_the_configuration_key(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^configuration\.monkeyhouse_architecture: "):
        SimulationSession(lamp(architecture="no-such-arch"), cwd=tmp_path)


def test_the_shared_session_is_built_once_from_the_first_configuration() -> None:
    close_shared()
    try:
        first = shared_session({"monkeyhouse_architecture": "lamp", "monkeyhouse_warmup": 1})
        assert first.now == 1.0
        assert shared_session({"monkeyhouse_architecture": "netflixoss"}) is first
        assert close_shared() is not None
        assert close_shared() is None
        mine = SimulationSession(lamp())
        with using_session(mine):
            assert shared_session() is mine
        mine.close()
    finally:
        close_shared()


def test_the_same_settings_give_the_same_figures() -> None:
    figures = []
    for _ in range(2):
        session = SimulationSession(lamp(rate=None, traffic="poisson", seed=3))
        session.start()
        session.advance(5)
        figures.append(session.service_health("webserver", 5))
        session.close()
    assert figures[0] == figures[1]
