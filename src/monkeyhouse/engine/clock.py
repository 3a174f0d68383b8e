"""Clocks: simulated time runs as fast as it can; paced time follows the wall clock.

The environment asks its clock to wait before each event. :class:`SimulatedClock` never waits.
:class:`PacedClock` maps simulated seconds to wall seconds through a speed factor (2.0 runs
twice as fast as real time) and can be paused and resumed from another thread, as the live UI
will do.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """What the engine needs from a clock."""

    def start(self, sim_now: float) -> None:
        """Anchor the clock: simulated ``sim_now`` is the wall time of this call."""

    def wait_until(self, sim_time: float) -> None:
        """Block until simulated ``sim_time`` may run."""


class SimulatedClock:
    """Pure simulated time: never waits."""

    def start(self, sim_now: float) -> None:
        """Nothing to anchor."""

    def wait_until(self, sim_time: float) -> None:
        """Never waits."""


class PacedClock:
    """Simulated time paced to the wall clock by a speed factor, with pause and resume."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self._speed = speed
        self._anchor_wall = 0.0
        self._anchor_sim = 0.0
        self._running = threading.Event()
        self._running.set()
        self._lock = threading.Lock()
        self._sim_now = 0.0

    def start(self, sim_now: float) -> None:
        """Anchor simulated ``sim_now`` to the wall clock now."""
        with self._lock:
            self._anchor_wall = time.monotonic()
            self._anchor_sim = sim_now
            self._sim_now = sim_now

    def _sim_time_now(self) -> float:
        return self._anchor_sim + (time.monotonic() - self._anchor_wall) * self._speed

    def wait_until(self, sim_time: float) -> None:
        """Sleep until the wall clock reaches ``sim_time``; hold while paused."""
        while True:
            self._running.wait()
            with self._lock:
                ahead = (sim_time - self._sim_time_now()) / self._speed
            if ahead <= 0:
                self._sim_now = sim_time
                return
            time.sleep(min(ahead, 0.05))

    def wait_or_wake(self, sim_time: float, wake: threading.Event, timeout: float) -> bool:
        """As :meth:`wait_until`, but give up early: True once ``sim_time`` may run.

        Returns False as soon as ``wake`` is set (it is left set: the caller clears it) or
        after ``timeout`` wall seconds, paused or not, so that the caller can do some work
        (apply commands, publish) and wait again.
        """
        deadline = time.monotonic() + timeout
        while True:
            if wake.is_set():
                return False
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if not self._running.is_set():
                wake.wait(min(left, 0.02))
                continue
            with self._lock:
                ahead = (sim_time - self._sim_time_now()) / self._speed
            if ahead <= 0:
                self._sim_now = sim_time
                return True
            wake.wait(min(ahead, left, 0.05))

    def set_speed(self, speed: float) -> None:
        """Change the speed factor without a jump in simulated time (also while paused)."""
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        with self._lock:
            if self._running.is_set():
                now = self._sim_time_now()
                self._anchor_wall = time.monotonic()
                self._anchor_sim = now
            # while paused, the anchor holds the paused time and resume re-anchors the wall
            self._speed = speed

    def pause(self) -> None:
        """Stop simulated time until :meth:`resume`."""
        with self._lock:
            self._anchor_sim = self._sim_time_now()
            self._anchor_wall = time.monotonic()
        self._running.clear()

    def resume(self) -> None:
        """Let simulated time run again from where it paused."""
        with self._lock:
            self._anchor_wall = time.monotonic()
        self._running.set()

    @property
    def speed(self) -> float:
        """The current speed factor."""
        return self._speed
