"""Hystrix's view of a run over time: per command, its events, breakers and latency.

:class:`CommandRecorder` is an instrument. Every ``interval`` simulated seconds it reads each
protected command's snapshot (:class:`~monkeyhouse.patterns.command.CommandStatistics`, a caller
service and one dependency, summed over the caller's instances) and keeps one row: the events of
each Hystrix type in the interval (differences of the cumulative counts), the breakers open and
half open at that instant, the health's error share over the rolling window, executions in
flight, and the execution latency's median and 99th percentile over the rolling minute.

It also keeps the breaker timeline: an entry each time the number of open breakers of a command
changes between samples (``opened`` when it rises, ``closed`` when it falls), which the report
draws. Unprotected runs have no commands, and the recorder costs one empty loop per interval.

Nothing here may break a run: a failing sample is counted in :attr:`CommandRecorder.failures`
and logged once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from monkeyhouse.engine import Environment, Handle
from monkeyhouse.patterns.command import EVENTS, CommandStatistics

log = logging.getLogger("monkeyhouse")

#: the column names of the events in the table (Hystrix's event types, lower case)
EVENT_COLUMNS: tuple[str, ...] = tuple(name.lower() for name in EVENTS)

#: the command table's columns and their types
COMMAND_SCHEMA: tuple[tuple[str, str], ...] = (
    ("time", "float64"),
    ("caller", "string"),
    ("dependency", "string"),
    *((name, "int64") for name in EVENT_COLUMNS),
    ("error_percentage", "int64"),
    ("open", "int64"),
    ("half_open", "int64"),
    ("breakers", "int64"),
    ("concurrent", "int64"),
    ("latency_p50_ms", "float64"),
    ("latency_p99_ms", "float64"),
)

#: the breaker timeline's columns and their types
TIMELINE_SCHEMA: tuple[tuple[str, str], ...] = (
    ("time", "float64"),
    ("caller", "string"),
    ("dependency", "string"),
    ("change", "string"),
    ("open", "int64"),
    ("breakers", "int64"),
)


class CommandRecorder:
    """Samples every command of ``behaviours`` each ``interval`` seconds."""

    def __init__(self, env: Environment, behaviours: Iterable[Any], interval: float = 1.0) -> None:
        self.env = env
        self.interval = interval
        self.behaviours = [b for b in behaviours if getattr(b, "groups", None)]
        self.rows: dict[str, list[Any]] = {name: [] for name, _ in COMMAND_SCHEMA}
        self.timeline: dict[str, list[Any]] = {name: [] for name, _ in TIMELINE_SCHEMA}
        self.last: dict[str, CommandStatistics] = {}
        self.failures = 0
        self._ticker: Handle | None = None
        self._sampled = -1.0

    def start(self) -> Handle | None:
        """Sample every ``interval`` from now on (nothing to do in an unprotected run)."""
        if self.behaviours and self._ticker is None:
            self._ticker = self.env.every(self.interval, self.sample)
        return self._ticker

    def finish(self, now: float | None = None) -> None:
        """Take the last, partial interval's sample (once)."""
        now = self.env.now if now is None else now
        if self.behaviours and now > self._sampled:
            self.sample(now)

    def sample(self, now: float) -> None:
        """One row per command for the interval ending at ``now``."""
        try:
            self._sample(now)
        except Exception:
            self.failures += 1
            if self.failures == 1:
                log.exception("the command recorder failed; its tables may be incomplete")

    def _sample(self, now: float) -> None:
        self._sampled = now
        rows = self.rows
        for behaviour in self.behaviours:
            for stats in behaviour.commands(now):
                before = self.last.get(stats.name)
                rows["time"].append(now)
                rows["caller"].append(stats.caller)
                rows["dependency"].append(stats.dependency)
                for event, column in zip(EVENTS, EVENT_COLUMNS, strict=True):
                    previous = before.cumulative[event] if before is not None else 0
                    rows[column].append(stats.cumulative[event] - previous)
                rows["error_percentage"].append(stats.error_percentage)
                rows["open"].append(stats.open)
                rows["half_open"].append(stats.half_open)
                rows["breakers"].append(stats.breakers)
                rows["concurrent"].append(stats.concurrent)
                rows["latency_p50_ms"].append(stats.latency_execute[50.0])
                rows["latency_p99_ms"].append(stats.latency_execute[99.0])
                was_open = before.open if before is not None else 0
                if stats.open != was_open:
                    self._change(now, stats, "opened" if stats.open > was_open else "closed")
                self.last[stats.name] = stats

    def _change(self, now: float, stats: CommandStatistics, change: str) -> None:
        timeline = self.timeline
        timeline["time"].append(now)
        timeline["caller"].append(stats.caller)
        timeline["dependency"].append(stats.dependency)
        timeline["change"].append(change)
        timeline["open"].append(stats.open)
        timeline["breakers"].append(stats.breakers)

    def tables(self) -> dict[str, dict[str, list[Any]]]:
        """``command_metrics`` and ``breaker_timeline`` (empty when nothing is protected)."""
        if not self.rows["time"]:
            return {}
        return {"command_metrics": self.rows, "breaker_timeline": self.timeline}

    def totals(self) -> list[dict[str, Any]]:
        """Each command's counts since the start, as JSON data (for ``summary.json``)."""
        return [
            {
                "caller": stats.caller,
                "dependency": stats.dependency,
                **{c: stats.cumulative[e] for e, c in zip(EVENTS, EVENT_COLUMNS, strict=True)},
                "retries": stats.retries,
                "open_at_end": stats.open,
                "breakers": stats.breakers,
                "protection": stats.protection,
            }
            for stats in sorted(self.last.values(), key=lambda s: s.name)
        ]
