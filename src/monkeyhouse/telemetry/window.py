"""Recent requests per service, for questions about "the last N seconds" (experiment probes).

:class:`RecentRequests` is an instrument fed finished spans (``on_span``). It keeps, per
service, the end time, duration and outcome of every request that ended within the last
``horizon`` simulated seconds, and answers for any window up to that horizon, exactly (no
binning): the requests that ended in ``(now - window, now]``.

What counts as a request of a service:

- a SERVER span: a request the service's instance served (arrival to response, queue included);
- a CLIENT span without a parent: a request a traffic source (a denominator) sent into the
  system, counted for the source's service. So the entry point's figures are the users' view:
  what they asked, how long it took and whether it failed.

A request has failed when its span carries an error (``span.error != ""``). Percentiles follow
numpy's default definition (linear interpolation between order statistics), as the metrics
tables' do. Like every instrument it never breaks a run: a failure is counted and logged once.
"""

from __future__ import annotations

import logging
import math
from array import array
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from monkeyhouse.behaviours.spans import CLIENT, SERVER, Span
from monkeyhouse.engine import Environment

log = logging.getLogger("monkeyhouse")

#: Default longest window, in simulated seconds, that :class:`RecentRequests` can answer for.
HORIZON = 600.0


@dataclass(frozen=True, slots=True)
class WindowFigures:
    """The requests of one service that ended in a window of simulated time."""

    service: str
    window: float
    end: float
    count: int
    errors: int
    #: durations in seconds, in order of their end
    durations: tuple[float, ...]

    @property
    def error_rate(self) -> float | None:
        """The share of requests that failed (None without requests)."""
        return self.errors / self.count if self.count else None

    @property
    def throughput(self) -> float:
        """Requests per second over the window."""
        return self.count / self.window if self.window > 0 else 0.0

    def percentile(self, q: float) -> float | None:
        """The ``q``-th percentile of the durations, seconds (None without requests)."""
        if not self.durations:
            return None
        return float(np.percentile(np.asarray(self.durations, dtype=float), q))


class _Series:
    """End times, durations and outcomes of one service's recent requests, oldest first."""

    __slots__ = ("durations", "ends", "errors", "first")

    def __init__(self) -> None:
        self.ends = array("d")
        self.durations = array("d")
        self.errors = bytearray()
        self.first = 0  # entries before it are older than the horizon

    def add(self, end: float, duration: float, failed: bool) -> None:
        ends = self.ends
        if not ends or end >= ends[-1]:
            ends.append(end)
            self.durations.append(duration)
            self.errors.append(failed)
            return
        at = bisect_right(ends, end, self.first)  # rare: keep the series ordered by end
        ends.insert(at, end)
        self.durations.insert(at, duration)
        self.errors.insert(at, failed)

    def forget_before(self, oldest: float) -> None:
        ends = self.ends
        first = bisect_right(ends, oldest, self.first)
        self.first = first
        if first > 4096 and first * 2 > len(ends):
            del ends[:first]
            del self.durations[:first]
            del self.errors[:first]
            self.first = 0


class RecentRequests:
    """The requests of every service over the last ``horizon`` simulated seconds."""

    def __init__(self, env: Environment, horizon: float = HORIZON) -> None:
        if not (math.isfinite(horizon) and horizon > 0):
            raise ValueError(f"horizon must be a positive number of seconds, got {horizon}")
        self.env = env
        self.horizon = float(horizon)
        #: failures caught inside the instrument (the run went on)
        self.failures = 0
        self._series: dict[str, _Series] = {}
        self._pruned_at = 0.0

    def on_span(self, span: Span) -> None:
        """Count one finished span (see the module documentation for which spans count)."""
        try:
            kind = span.kind
            if kind == SERVER or (kind == CLIENT and not span.parent):
                name = span.instance.service.name
                series = self._series.get(name)
                if series is None:
                    series = self._series[name] = _Series()
                series.add(span.end, span.end - span.start, bool(span.error))
                now = self.env.now
                if now - self._pruned_at > self.horizon / 4:
                    self._prune(now)
        except Exception:
            self.failures += 1
            if self.failures == 1:
                log.exception("recent requests: a span could not be counted; the run goes on")

    def _prune(self, now: float) -> None:
        self._pruned_at = now
        oldest = now - self.horizon
        for series in self._series.values():
            series.forget_before(oldest)

    def services(self) -> list[str]:
        """Names of the services that have had requests, sorted."""
        return sorted(self._series)

    def window(self, service: str, seconds: float) -> WindowFigures:
        """The requests of ``service`` that ended in ``(now - seconds, now]``.

        ``seconds`` must be positive and at most the horizon. A service without requests
        gives empty figures.
        """
        if not (math.isfinite(seconds) and 0 < seconds <= self.horizon):
            raise ValueError(
                f"window must be more than 0 and at most {self.horizon:g} seconds, got {seconds}"
            )
        now = float(self.env.now)
        series = self._series.get(service)
        if series is None:
            return WindowFigures(service, seconds, now, 0, 0, ())
        ends = series.ends
        low = bisect_right(ends, now - seconds, series.first)
        high = bisect_right(ends, now, low)
        return WindowFigures(
            service,
            seconds,
            now,
            high - low,
            sum(series.errors[low:high]),
            tuple(series.durations[low:high]),
        )
