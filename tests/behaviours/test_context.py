"""Instruments observe the run and can never break it."""

from __future__ import annotations

import logging

import pytest

import monkeyhouse
from monkeyhouse.behaviours.messages import Message
from monkeyhouse.scenarios.simulation import RunOptions, Simulation


def test_an_instrument_that_raises_is_detached_and_the_run_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []

    def broken(message: Message, now: float) -> None:
        calls.append(1)
        raise RuntimeError("boom")

    seen: list[float] = []
    arch = monkeyhouse.load("lamp")
    with caplog.at_level(logging.WARNING, logger="monkeyhouse"):
        simulation = Simulation(
            arch, RunOptions(duration=1), observers=[broken, lambda m, t: seen.append(t)]
        )
        summary = simulation.run()
    assert summary.status == "complete"
    assert calls == [1]
    assert len(seen) == summary.messages
    assert "detached" in caplog.text and "RuntimeError: boom" in caplog.text
    # the same run without the broken instrument delivers the same messages
    assert Simulation(arch, RunOptions(duration=1)).run().messages == summary.messages
