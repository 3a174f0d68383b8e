"""Recovery after an event: how long the front door took to stop failing.

A run's metrics give, per interval, the requests a service answered and how many of them were
errors. After an event (an instance killed, a zone cut off, a deploy) the question is: when
was the service healthy again, for good? :func:`recovery` answers it with one precise rule:

- an interval is *healthy* when the service answered at least one request in it and at most
  ``threshold`` of them (a fraction, default 1 %) were errors. An interval with no requests
  at all is not healthy: a front door that answers nothing has not recovered;
- the service *recovered* at the end ``t`` of the first interval that ends strictly after the
  event and starts a run of ``hold`` (default 3) consecutive healthy intervals;
- the recovery time is ``t`` minus the event's time. When no such run of intervals starts
  after the event (including one cut short by the end of the run), the service did not
  recover within the run.

An event that did no harm still gets a recovery time: the first healthy interval after it
ends less than one interval later. The rows are consecutive intervals in time order, as the
metrics collector writes them (a row per interval, also for intervals without requests).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "DEFAULT_HOLD",
    "DEFAULT_THRESHOLD",
    "Recovery",
    "healthy_intervals",
    "recoveries",
    "recovery",
]

#: the largest error share (a fraction) of a healthy interval
DEFAULT_THRESHOLD = 0.01
#: healthy intervals in a row that make a recovery
DEFAULT_HOLD = 3


@dataclass(frozen=True, slots=True)
class Recovery:
    """When the service recovered after one event.

    Attributes:
        event_time: The event's time, simulated seconds.
        recovered_at: The end of the first interval of the healthy run, or ``None`` when the
            service did not recover within the run.

    """

    event_time: float
    recovered_at: float | None

    @property
    def seconds(self) -> float | None:
        """Seconds from the event to the recovery (``None``: not within the run)."""
        if self.recovered_at is None:
            return None
        return self.recovered_at - self.event_time

    def describe(self) -> str:
        """The recovery in words: ``recovered after 4 s`` or ``did not recover within the run``."""
        seconds = self.seconds
        if seconds is None:
            return "did not recover within the run"
        return f"recovered after {seconds:.3g} s"


def healthy_intervals(
    counts: Sequence[float], errors: Sequence[float], threshold: float = DEFAULT_THRESHOLD
) -> list[bool]:
    """Whether each interval is healthy: some requests, and errors at most ``threshold`` of them.

    Missing values (NaN) make an interval unhealthy.
    """
    if len(counts) != len(errors):
        raise ValueError(f"counts and errors differ in length ({len(counts)} != {len(errors)})")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold is a fraction between 0 and 1, got {threshold!r}")
    healthy = []
    for count, error in zip(counts, errors, strict=True):
        if math.isnan(count) or math.isnan(error) or count <= 0:
            healthy.append(False)
        else:
            healthy.append(error <= threshold * count)
    return healthy


def recovery(
    event_time: float,
    times: Sequence[float],
    counts: Sequence[float],
    errors: Sequence[float],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    hold: int = DEFAULT_HOLD,
) -> Recovery:
    """When the service whose intervals end at ``times`` recovered after ``event_time``.

    ``counts`` and ``errors`` are the requests answered and failed in each interval. See the
    module notes for the rule. Raises :class:`ValueError` when the columns differ in length,
    the times are not increasing, ``hold`` is below 1 or ``threshold`` is not in [0, 1].
    """
    if len(times) != len(counts):
        raise ValueError(f"times and counts differ in length ({len(times)} != {len(counts)})")
    if hold < 1:
        raise ValueError(f"hold is a number of intervals >= 1, got {hold!r}")
    if any(b <= a for a, b in itertools.pairwise(times)):
        raise ValueError("times must increase (one row per interval, in time order)")
    healthy = healthy_intervals(counts, errors, threshold)
    streak = 0
    # walk backwards: streak = healthy intervals in a row starting at index i
    starts: list[int] = [0] * len(times)
    for i in range(len(times) - 1, -1, -1):
        streak = streak + 1 if healthy[i] else 0
        starts[i] = streak
    for i, end in enumerate(times):
        if end > event_time and starts[i] >= hold:
            return Recovery(event_time, end)
    return Recovery(event_time, None)


def recoveries(
    event_times: Iterable[float],
    times: Sequence[float],
    counts: Sequence[float],
    errors: Sequence[float],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    hold: int = DEFAULT_HOLD,
) -> list[Recovery]:
    """:func:`recovery` for each of ``event_times``, in the order given."""
    return [recovery(t, times, counts, errors, threshold=threshold, hold=hold) for t in event_times]
