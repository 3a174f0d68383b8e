"""The cascade: whether errors spread up the call graph to the front door or stayed local.

Services are ordered by their depth in the call graph (:func:`call_depths`): the traffic
sources (services that call but are never called) are depth 0, the services they call depth 1,
and so on, each service at its shortest distance. The *front door* is the set of depth-1
services: what the traffic source's requests reach first, whose errors the users see.

:func:`cascade_verdict` reads each service's errors and requests per interval and decides, with
one precise rule (``threshold`` is a fraction, default 1 %):

- a service *failed* when, in at least one interval with requests, more than ``threshold`` of
  its requests were errors; its *peak* is its largest error share in one interval;
- the front door's error share in an interval is the errors of all front-door services over
  their requests in that interval;
- ``reached``: the front door's peak is above ``threshold``: errors reached the front door;
- ``contained``: some service failed but the front door's peak stayed at or below
  ``threshold``: errors stayed below the front door;
- ``quiet``: no service failed;
- ``unknown``: the call graph gives no front door (no edges, or no service of depth 1 has
  rows), so nothing can be said about spreading.

The verdict's sentence names the failed services deepest first, so the reader sees where the
errors began.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CascadeVerdict",
    "ServiceErrors",
    "call_depths",
    "cascade_order",
    "cascade_verdict",
    "front_door_errors",
]

#: the verdicts :func:`cascade_verdict` gives
Outcome = Literal["reached", "contained", "quiet", "unknown"]


def call_depths(edges: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Each service's depth from the traffic sources along ``(caller, callee)`` edges.

    Sources (callers never called) are depth 0; a service is one deeper than its shallowest
    caller. When every caller is also called (a cycle with no source), the callers that come
    first in name order are taken as the source. Services no source reaches are left out.
    """
    callees: dict[str, set[str]] = {}
    called: set[str] = set()
    for caller, callee in edges:
        callees.setdefault(caller, set()).add(callee)
        called.add(callee)
    sources = sorted(set(callees) - called) or sorted(callees)[:1]
    depths = dict.fromkeys(sources, 0)
    frontier = sources
    while frontier:
        following: list[str] = []
        for service in frontier:
            for callee in sorted(callees.get(service, ())):
                if callee not in depths:
                    depths[callee] = depths[service] + 1
                    following.append(callee)
        frontier = following
    return depths


def cascade_order(services: Iterable[str], depths: Mapping[str, int]) -> list[str]:
    """``services`` from the front door down: by depth, then name; unknown depths last."""
    return sorted(set(services), key=lambda s: (depths.get(s, math.inf), s))


@dataclass(frozen=True, slots=True)
class ServiceErrors:
    """One service's requests and errors per interval (intervals ending at ``times``)."""

    times: Sequence[float]
    counts: Sequence[float]
    errors: Sequence[float]

    def shares(self) -> list[float]:
        """The error share of each interval (NaN where there were no requests)."""
        return [
            e / c if c > 0 and not math.isnan(e) else math.nan
            for c, e in zip(self.counts, self.errors, strict=True)
        ]

    def peak(self) -> tuple[float, float]:
        """The largest error share of one interval and the end of that interval (first one).

        ``(nan, nan)`` when no interval had requests.
        """
        best, when = math.nan, math.nan
        for time, share in zip(self.times, self.shares(), strict=True):
            if not math.isnan(share) and (math.isnan(best) or share > best):
                best, when = share, time
        return best, when


@dataclass(frozen=True, slots=True)
class CascadeVerdict:
    """The verdict of :func:`cascade_verdict`.

    Attributes:
        outcome: ``reached``, ``contained``, ``quiet`` or ``unknown`` (see the module notes).
        front_door: The depth-1 services, by name.
        front_peak: The front door's largest error share in one interval (NaN: no requests).
        front_peak_time: The end of that interval.
        failed: The services that failed, deepest first: ``(service, depth, peak)``; depth -1
            for a service the call graph does not reach.
        threshold: The error share (a fraction) above which an interval counts as failing.
        text: The verdict in one sentence.

    """

    outcome: Outcome
    front_door: tuple[str, ...]
    front_peak: float
    front_peak_time: float
    failed: tuple[tuple[str, int, float], ...]
    threshold: float
    text: str


def _percent(fraction: float) -> str:
    value = fraction * 100.0
    if value == 0:
        return "0 %"
    if value >= 9.95:
        return f"{value:.0f} %"
    if value >= 0.995:
        return f"{value:.1f} %"
    return f"{value:.2f} %"


def _names(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def front_door_errors(
    services: Mapping[str, ServiceErrors], depths: Mapping[str, int]
) -> tuple[tuple[str, ...], ServiceErrors]:
    """The front door (depth-1 services with rows) and its requests and errors per interval."""
    door = tuple(sorted(s for s in services if depths.get(s) == 1))
    counts: dict[float, float] = {}
    errors: dict[float, float] = {}
    for service in door:
        rows = services[service]
        for time, count, error in zip(rows.times, rows.counts, rows.errors, strict=True):
            counts[time] = counts.get(time, 0.0) + (0.0 if math.isnan(count) else count)
            errors[time] = errors.get(time, 0.0) + (0.0 if math.isnan(error) else error)
    times = sorted(counts)
    return door, ServiceErrors(times, [counts[t] for t in times], [errors[t] for t in times])


def cascade_verdict(
    services: Mapping[str, ServiceErrors],
    depths: Mapping[str, int],
    threshold: float = 0.01,
) -> CascadeVerdict:
    """Whether errors reached the front door, by the rule of the module notes."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold is a fraction between 0 and 1, got {threshold!r}")
    failed: list[tuple[str, int, float]] = []
    for service, rows in services.items():
        peak, _ = rows.peak()
        if not math.isnan(peak) and peak > threshold:
            failed.append((service, depths.get(service, -1), peak))
    failed.sort(key=lambda item: (-item[1], item[0]))
    door, door_rows = front_door_errors(services, depths)
    front_peak, front_time = door_rows.peak()
    limit = f"{threshold * 100:g} %"
    deepest = [name for name, depth, _ in failed if depth == failed[0][1]] if failed else []
    listed = _names([f"{name} ({_percent(peak)})" for name, _, peak in failed])
    outcome: Outcome
    if not door or math.isnan(front_peak):
        outcome = "unknown"
        text = (
            "The front door is unknown (no call graph, or no requests at the services the "
            "traffic source calls), so whether errors spread cannot be told"
            + (f"; services above {limit} at their peak: {listed}." if failed else ".")
        )
    elif front_peak > threshold:
        outcome = "reached"
        text = (
            f"Errors reached the front door: {_names(list(door))}'s error share peaked at "
            f"{_percent(front_peak)} in the interval ending at {_seconds(front_time)}"
        )
        below = [name for name, depth, _ in failed if depth > 1]
        if below:
            text += f"; the deepest failing service was {_names(deepest)}."
        else:
            text += "."
    elif failed:
        outcome = "contained"
        text = (
            f"Errors stayed below the front door: {listed} went above {limit} in some "
            f"interval, but {_names(list(door))}'s error share stayed at or below {limit} "
            f"(peak {_percent(front_peak)})."
        )
    else:
        outcome = "quiet"
        text = (
            f"No service's error share went above {limit} in any interval; the front door "
            f"({_names(list(door))}) peaked at {_percent(front_peak)}."
        )
    return CascadeVerdict(
        outcome, door, front_peak, front_time, tuple(failed), threshold, text.strip()
    )


def _seconds(time: float) -> str:
    return f"{time:g} s"
