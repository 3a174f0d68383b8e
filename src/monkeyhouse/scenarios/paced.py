"""Paced runs: simulated time follows the wall clock, for live outputs and the live UI.

A :class:`PacedDriver` runs a :class:`~monkeyhouse.scenarios.simulation.Simulation` in small
steps of simulated time (50 ms by default), waiting before each step until the wall clock,
times the speed factor, has caught up: at speed 1 a simulated second takes a wall second, at
speed 10 a tenth of one. Each wall ``push_interval`` (500 ms by default) it hands the
simulation to ``on_push`` (a live stream publishes its snapshots from there). After each step
it hands it to ``on_step`` (the live UI applies its clients' commands from there), and
:meth:`PacedDriver.wake` has ``on_step`` called at once, even while paused or waiting for the
wall clock (with ``push_while_paused``, a paused run keeps pushing every ``push_interval``).
Pause, resume, speed changes, wake and stop are methods, safe to call from another thread. A
step is run whole: the simulation itself runs as fast as ever between waits, so a paced run
gives exactly the outputs of an unpaced one. When the simulation cannot keep up, it simply
runs flat out.

Ctrl-C (``KeyboardInterrupt``) or :meth:`PacedDriver.stop` end the run early, with status
``interrupted``, as an interrupted unpaced run ends; the caller still writes its outputs.

Live outputs (the ``hystrix.stream`` server first) are plug-ins of the ``monkeyhouse.live``
entry point group: a factory taking ``port``, ``interval`` and ``wall`` that returns a
:class:`LiveOutput`.
"""

from __future__ import annotations

import gc
import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

from monkeyhouse.engine.clock import PacedClock
from monkeyhouse.errors import UsageError
from monkeyhouse.scenarios.simulation import Progress, RunSummary, Simulation

DEFAULT_STEP = 0.05
DEFAULT_PUSH_INTERVAL = 0.5

Push = Callable[[Simulation], object]


class LiveOutput(Protocol):
    """A live view of a paced run (what a ``monkeyhouse.live`` plug-in's factory returns)."""

    @property
    def url(self) -> str:
        """Where clients connect."""

    def start(self) -> object:
        """Begin serving."""

    def push(self, simulation: Simulation) -> None:
        """Publish the simulation's state now (called from the run's thread)."""

    def close(self) -> None:
        """Stop serving and free what was held."""


def _positive(name: str, value: float) -> float:
    if not (math.isfinite(value) and value > 0):
        raise UsageError(f"{name}: {value:g} must be a positive number")
    return value


class PacedDriver:
    """Drives a simulation so that simulated time tracks wall time times ``speed``.

    Args:
        speed: Simulated seconds per wall second (1 is real time).
        step: Simulated seconds run between two looks at the wall clock.
        push_interval: Wall seconds between two calls of ``on_push``.
        on_push: Called with the simulation at each push, once at the start and once at the
            end (from the run's thread).
        progress: Called with (simulated now, duration) at each push.
        on_step: Called with the simulation after each step, and whenever :meth:`wake` is
            called (from the run's thread; also while paused).
        push_while_paused: Keep calling ``on_push`` every ``push_interval`` while paused.

    """

    def __init__(
        self,
        speed: float = 1.0,
        *,
        step: float = DEFAULT_STEP,
        push_interval: float = DEFAULT_PUSH_INTERVAL,
        on_push: Push | None = None,
        progress: Progress | None = None,
        on_step: Push | None = None,
        push_while_paused: bool = False,
    ) -> None:
        self._clock = PacedClock(_positive("--pace", speed))
        self.step = _positive("step", step)
        self.push_interval = _positive("--push-interval", push_interval)
        self.on_push = on_push
        self.progress = progress
        self.on_step = on_step
        self.push_while_paused = push_while_paused
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._paused = False
        self._sim_now = 0.0
        self.pushes = 0

    # -- control (any thread) ----------------------------------------------------------------
    @property
    def speed(self) -> float:
        """Simulated seconds per wall second."""
        return self._clock.speed

    def set_speed(self, speed: float) -> None:
        """Change the speed factor, without a jump in simulated time."""
        self._clock.set_speed(_positive("speed", speed))

    @property
    def paused(self) -> bool:
        """True between :meth:`pause` and :meth:`resume`."""
        return self._paused

    def pause(self) -> None:
        """Hold simulated time (the step under way finishes first)."""
        self._paused = True
        self._clock.pause()

    def resume(self) -> None:
        """Let simulated time run on from where it was held."""
        self._paused = False
        self._clock.resume()

    def wake(self) -> None:
        """Have ``on_step`` called soon from the run's thread, even while paused."""
        self._wake.set()

    def stop(self) -> None:
        """End the run early (status ``interrupted``); returns at once, the run ends soon."""
        self._stopping.set()
        self._wake.set()
        self._clock.resume()

    @property
    def sim_time(self) -> float:
        """Simulated seconds run so far."""
        return self._sim_now

    # -- running (the run's thread) ------------------------------------------------------------
    def drive(
        self,
        simulation: Simulation,
        on_built: Callable[[Simulation], object] | None = None,
    ) -> RunSummary:
        """Start ``simulation``, run it paced to its duration (or a stop), finish and summarize."""
        started = time.perf_counter()
        try:
            simulation.start(on_built)
            duration = simulation.options.duration
            env = simulation.env
            self._sim_now = env.now
            self._clock.start(env.now)
            self._push(simulation)
            last_push = time.monotonic()
            origin = env.now
            k = 0
            while self._sim_now < duration and not self._stopping.is_set():
                k += 1
                target = min(origin + k * self.step, duration)
                last_push = self._wait(simulation, target, last_push)
                if self._stopping.is_set():
                    break
                simulation.advance(target)
                self._sim_now = target
                if self.on_step is not None:
                    self.on_step(simulation)
                if time.monotonic() - last_push >= self.push_interval:
                    self._push(simulation)
                    last_push = time.monotonic()
            if self._stopping.is_set():
                return self._interrupted(simulation, started)
            self._push(simulation)
        except KeyboardInterrupt:
            return self._interrupted(simulation, started)
        return simulation.finish()

    def _wait(self, simulation: Simulation, target: float, last_push: float) -> float:
        """Wait until ``target`` may run; serve wakes (and pushes while paused) meanwhile."""
        if self.on_step is None and not self.push_while_paused:
            self._clock.wait_until(target)
            return last_push
        while not self._stopping.is_set():
            if self._clock.wait_or_wake(target, self._wake, self.push_interval):
                break
            if self._wake.is_set():
                self._wake.clear()
                if self.on_step is not None:
                    self.on_step(simulation)
            if (
                self.push_while_paused
                and self._paused
                and time.monotonic() - last_push >= self.push_interval
            ):
                self._push(simulation)
                last_push = time.monotonic()
        return last_push

    def _push(self, simulation: Simulation) -> None:
        self.pushes += 1
        if self.on_push is not None:
            self.on_push(simulation)
        if self.progress is not None:
            self.progress(self._sim_now, simulation.options.duration)

    @staticmethod
    def _interrupted(simulation: Simulation, started: float) -> RunSummary:
        """As an interrupted unpaced run ends: no shutdown, status ``interrupted``."""
        gc.unfreeze()
        simulation.status = "interrupted"
        return simulation.summary(time.perf_counter() - started)
