"""An agenda: many timed items served by few engine events.

Things that each act on their own schedule (thousands of pirates, each with its own period) would
put one entry per thing in the event heap. An agenda groups them into time slots of a fixed
resolution instead and keeps one engine entry per non-empty slot, so the heap grows with the
span of time covered, not with the number of things. Items in a slot run in the order added.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from monkeyhouse.engine.core import Environment


class Agenda:
    """Timed callbacks batched into slots of ``resolution`` seconds."""

    __slots__ = ("_callback", "_env", "_resolution", "_slots", "items")

    def __init__(
        self, env: Environment, callback: Callable[[Any], object], resolution: float = 0.001
    ) -> None:
        if resolution <= 0:
            raise ValueError(f"resolution must be > 0, got {resolution}")
        self._env = env
        self._callback = callback
        self._resolution = resolution
        self._slots: dict[int, list[Any]] = {}
        self.items = 0

    def add(self, time: float, item: Any) -> None:
        """Run ``callback(item)`` at ``time``, rounded up to the agenda's resolution."""
        slot = -int(-time // self._resolution)
        bucket = self._slots.get(slot)
        if bucket is None:
            bucket = self._slots[slot] = []
            self._env.schedule_at(slot * self._resolution, self._run, slot)
        bucket.append(item)
        self.items += 1

    def _run(self, slot: int) -> None:
        bucket = self._slots.pop(slot)
        callback = self._callback
        self.items -= len(bucket)
        for item in bucket:
            callback(item)
