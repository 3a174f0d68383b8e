"""The paced driver: simulated time follows the wall clock; pause, speed and stop work."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from monkeyhouse.errors import UsageError
from monkeyhouse.model import resolve_architecture
from monkeyhouse.scenarios.paced import PacedDriver
from monkeyhouse.scenarios.simulation import RunOptions, RunSummary, Simulation

TIMEOUT = 10.0


def simulation(duration: float) -> Simulation:
    arch = resolve_architecture("netflixoss", cwd=Path.cwd(), step=0)
    return Simulation(arch, RunOptions(duration=duration, seed=3))


def wait_for(condition: object, what: str) -> None:
    assert callable(condition)
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


class Background:
    """``driver.drive(sim)`` on a thread, joined (bounded) at the end."""

    def __init__(self, driver: PacedDriver, sim: Simulation) -> None:
        self.summary: RunSummary | None = None
        self._thread = threading.Thread(target=self._run, args=(driver, sim), daemon=True)
        self._thread.start()

    def _run(self, driver: PacedDriver, sim: Simulation) -> None:
        self.summary = driver.drive(sim)

    def join(self) -> RunSummary:
        self._thread.join(TIMEOUT)
        assert not self._thread.is_alive(), "the paced run did not end"
        assert self.summary is not None
        return self.summary


def test_speed_10_runs_two_simulated_seconds_in_a_fifth_of_a_second() -> None:
    pushes: list[float] = []
    driver = PacedDriver(10.0, push_interval=0.05, on_push=lambda s: pushes.append(s.env.now))
    sim = simulation(2.0)
    started = time.perf_counter()
    summary = driver.drive(sim)
    wall = time.perf_counter() - started
    assert 0.15 <= wall <= 2.0
    assert summary.status == "complete"
    assert summary.simulated_seconds == 2.0
    # a push at the start, every 50 ms of wall time (about 4 in 0.2 s), one at the end
    assert pushes[0] == 0.0
    assert pushes[-1] == 2.0
    assert len(pushes) >= 4
    assert pushes == sorted(pushes)
    assert driver.pushes == len(pushes)


def test_a_paced_run_gives_the_outputs_of_an_unpaced_one() -> None:
    paced = PacedDriver(50.0).drive(simulation(2.0)).to_json()
    unpaced = simulation(2.0).run().to_json()
    assert paced == unpaced


def test_pause_stops_simulated_time_and_resume_goes_on() -> None:
    driver = PacedDriver(10.0)
    sim = simulation(30.0)  # 3 s of wall time at speed 10: stopped long before
    run = Background(driver, sim)
    wait_for(lambda: driver.sim_time >= 0.3, "simulated time to run")
    driver.pause()
    assert driver.paused
    time.sleep(0.05)  # the step under way (5 ms of wall time) finishes
    held = driver.sim_time
    now = sim.env.now
    time.sleep(0.3)  # 3 simulated seconds if time were running
    assert driver.sim_time == held
    assert sim.env.now == now
    driver.resume()
    assert not driver.paused
    wait_for(lambda: driver.sim_time >= held + 0.5, "simulated time to run again")
    driver.stop()
    summary = run.join()
    assert summary.status == "interrupted"
    assert held < summary.simulated_seconds < 30.0


def test_stop_while_paused_ends_the_run() -> None:
    driver = PacedDriver(1.0)
    run = Background(driver, simulation(60.0))
    wait_for(lambda: driver.pushes >= 1, "the run to start")
    driver.pause()
    time.sleep(0.05)
    driver.stop()
    assert run.join().status == "interrupted"


def test_set_speed_mid_run() -> None:
    driver = PacedDriver(1.0)  # 2 s of wall time at speed 1
    started = time.perf_counter()
    run = Background(driver, simulation(2.0))
    wait_for(lambda: driver.sim_time >= 0.05, "simulated time to run")
    driver.set_speed(100.0)
    assert driver.speed == 100.0
    summary = run.join()
    assert summary.status == "complete"
    assert time.perf_counter() - started < 1.0


def test_ctrl_c_ends_the_run_as_interrupted() -> None:
    def push(sim: Simulation) -> None:
        if sim.env.now >= 0.5:
            raise KeyboardInterrupt

    summary = PacedDriver(20.0, push_interval=0.01, on_push=push).drive(simulation(5.0))
    assert summary.status == "interrupted"
    assert 0.5 <= summary.simulated_seconds < 5.0


def test_progress_is_reported_at_each_push() -> None:
    seen: list[tuple[float, float]] = []
    PacedDriver(40.0, push_interval=0.01, progress=lambda t, d: seen.append((t, d))).drive(
        simulation(1.0)
    )
    assert seen[0] == (0.0, 1.0)
    assert seen[-1] == (1.0, 1.0)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ((0.0, 0.05, 0.5), "--pace"),
        ((float("nan"), 0.05, 0.5), "--pace"),
        ((1.0, 0.05, -1.0), "--push-interval"),
        ((1.0, 0.0, 0.5), "step"),
    ],
)
def test_bad_settings_are_usage_errors(settings: tuple[float, float, float], message: str) -> None:
    speed, step, push = settings
    with pytest.raises(UsageError, match=message):
        PacedDriver(speed, step=step, push_interval=push)
    with pytest.raises(UsageError, match="speed"):
        PacedDriver().set_speed(-2.0)


def test_on_step_follows_each_step_and_wake_reaches_a_paused_run() -> None:
    sim = simulation(600.0)
    steps: list[float] = []
    pushes: list[float] = []
    driver = PacedDriver(
        1.0,
        push_interval=0.05,
        on_step=lambda s: steps.append(s.env.now),
        on_push=lambda s: pushes.append(s.env.now),
        push_while_paused=True,
    )
    run = Background(driver, sim)
    wait_for(lambda: len(steps) >= 2, "two steps")
    assert steps[:2] == pytest.approx([0.05, 0.1])
    driver.pause()
    time.sleep(0.1)
    held = len(steps)
    held_at = steps[-1]
    driver.wake()
    wait_for(lambda: len(steps) > held, "on_step after a wake while paused")
    assert steps[-1] == held_at  # woken, not advanced
    before = len(pushes)
    wait_for(lambda: len(pushes) >= before + 2, "pushes while paused")
    driver.stop()
    assert run.join().status == "interrupted"
