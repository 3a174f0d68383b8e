"""Run folders the web UI's tests replay (made once per test process, read only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monkeyhouse.cli.main import main


def _run(folder: Path, *args: str) -> Path:
    status = main(["run", *args, "--out", str(folder), "-q"])
    assert status == 0, f"the run into {folder} failed"
    return folder


@pytest.fixture(scope="session")
def netflixoss_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """netflixoss, 10 simulated seconds, Zipkin spans only (Chaos Monkey strikes at 5 s)."""
    folder = tmp_path_factory.mktemp("runs") / "netflixoss"
    return _run(folder, "-a", "netflixoss", "-d", "10", "--spans", "zipkin", "--no-report")


@pytest.fixture(scope="session")
def chaos_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scenario with chaos: a kill with a replacement, a zone outage restored."""
    folder = tmp_path_factory.mktemp("runs") / "scenario"
    scenario = folder.parent / "scenario.yaml"
    scenario.write_text(
        "\n".join(
            [
                "scenario: web-replay",
                "architecture: netflixoss",
                "duration: 30s",
                "seed: 2",
                "chaos:",
                "  - {at: 3s, action: chaos-monkey, target: login, count: 2, replace_after: 4s}",
                "  - {at: 10s, action: chaos-gorilla, target: us-east-1/zoneB, duration: 8s}",
                "outputs: {spans: [], report: false}",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return _run(folder, str(scenario))


@pytest.fixture(scope="session")
def slowed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """netflixoss, 20 s: subscriber 2 s slower from 5 s on, so breakers into it open."""
    folder = tmp_path_factory.mktemp("runs") / "slowed"
    scenario = folder.parent / "slowed.yaml"
    scenario.write_text(
        "\n".join(
            [
                "scenario: web-replay-breakers",
                "architecture: netflixoss",
                "duration: 20s",
                "seed: 4",
                "options: {victim: false}",
                "chaos:",
                "  - {at: 5s, action: latency-monkey, target: subscriber, latency: 2s}",
                "outputs: {spans: [], report: false}",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return _run(folder, str(scenario))
