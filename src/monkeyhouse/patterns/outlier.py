"""Outlier ejection in a load balancer, with Envoy's consecutive-5xx semantics.

One :class:`OutlierDetector` watches the host set of one load balancer (one client's view of
one dependency). The caller reports every answer with :meth:`OutlierDetector.record` and routes
only to :meth:`OutlierDetector.eligible` hosts. The semantics follow Envoy's outlier detector
(``outlier_detection.proto`` and ``outlier_detection_impl.cc``):

- Detection is inline: each failure (a 5xx answer, or a connection failure or timeout, which
  Envoy maps to 5xx by default) adds one to the host's consecutive count, each success resets
  it. The failure that makes the count reach ``consecutive_5xx`` (default 5) is an ejection
  attempt at that very instant; the count then restarts from 0 whether the host was ejected or
  not. Results reported for a host that is already ejected are ignored.
- The ejection is allowed when, counting this host, at most ``max_ejection_percent`` (default
  10 %) of the known hosts would be ejected; a refused ejection is an overflow. With
  ``always_eject_one_host`` (our default True) the first ejection is always allowed, so a
  small cluster can still eject one host: the "at least one host" rule of Envoy's older
  releases and of the reference notes. Envoy's newer releases make that rule the
  ``always_eject_one_host`` option, default false; set it False for that behaviour.
- An ejection lasts ``min(base_ejection_time · k, max_ejection_time)`` (30 s and 300 s by
  default), where ``k`` counts the host's recent ejections: it goes up by one at each ejection
  (while ``k · base < max + base``) and down by one at each interval sweep at least one
  interval after the host's last return to service, while it stays in. So a host ejected again
  soon after it returns is ejected for twice as long (60 s), and a host that stays healthy
  long enough starts again from 30 s.
- Hosts return to service only at interval sweeps (every ``interval``, 10 s by default, from
  ``start``): a sweep returns every host ejected for at least its ejection time. A host ejected
  at 12 s therefore returns at the sweep at 50 s, not at 42 s. A return resets the host's
  consecutive count.

Envoy's enforcement percentage (``enforcing_consecutive_5xx``, 100 %) and ejection jitter
(``max_ejection_time_jitter``, 0) are their defaults here and not settable: every detected
outlier is enforced, and no randomness is drawn.

Time only moves forward. The detector runs the sweeps due up to a given time lazily, whenever
it is called with that time (sweeps at a time run before anything recorded at that time), so
it needs no timer in the engine and costs nothing while idle.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from monkeyhouse.model.resilience import OutlierSettings

__all__ = ["OutlierDetector", "OutlierSettings", "OutlierStatistics"]

H = TypeVar("H", bound=Hashable)


@dataclass(frozen=True, slots=True)
class OutlierStatistics:
    """A snapshot of a detector, named after Envoy's ``outlier_detection.*`` statistics.

    ``ejections_active`` is the number of hosts out now; ``ejections_detected`` counts hosts
    that reached ``consecutive_5xx`` (ejected or not), ``ejections_enforced`` the ejections
    made, ``ejections_overflow`` those refused by ``max_ejection_percent``; ``unejections``
    counts returns to service and ``sweeps`` the interval sweeps run so far.
    """

    hosts: int
    ejections_active: int
    ejections_detected: int
    ejections_enforced: int
    ejections_overflow: int
    unejections: int
    sweeps: int
    ejected: tuple[Hashable, ...]


class _HostState:
    """What the detector keeps per host."""

    __slots__ = ("backoff", "consecutive", "ejected", "ejected_at", "ejections", "returned_at")

    def __init__(self) -> None:
        self.consecutive = 0
        self.ejected = False
        self.ejected_at = 0.0
        #: Envoy's ejection-time multiplier: up at each ejection, down while healthy
        self.backoff = 0
        #: how many times the host was ejected, ever
        self.ejections = 0
        self.returned_at: float | None = None


class OutlierDetector:
    """Consecutive-5xx outlier ejection for one load balancer's host set."""

    __slots__ = (
        "_hosts",
        "_now",
        "_sweep",
        "active",
        "detected",
        "enforced",
        "overflow",
        "settings",
        "start",
        "unejections",
    )

    def __init__(
        self,
        settings: OutlierSettings | None = None,
        hosts: Iterable[Hashable] = (),
        *,
        start: float = 0.0,
    ) -> None:
        self.settings = settings if settings is not None else OutlierSettings()
        self.start = start
        self._hosts: dict[Hashable, _HostState] = {}
        #: the number of sweeps run; the next one is at start + (_sweep + 1) * interval
        self._sweep = 0
        self._now = start
        self.active = 0
        self.detected = 0
        self.enforced = 0
        self.overflow = 0
        self.unejections = 0
        for host in hosts:
            self.add_host(host)

    # -- the host set ----------------------------------------------------------------------
    def add_host(self, host: Hashable) -> None:
        """Watch ``host`` (it joins healthy); adding a known host does nothing."""
        if host not in self._hosts:
            self._hosts[host] = _HostState()

    def remove_host(self, host: Hashable) -> None:
        """Stop watching ``host`` (it left the load balancer); an ejection it held is freed."""
        state = self._hosts.pop(host, None)
        if state is not None and state.ejected:
            self.active -= 1

    @property
    def hosts(self) -> int:
        """The number of hosts watched (the denominator of ``max_ejection_percent``)."""
        return len(self._hosts)

    # -- time ------------------------------------------------------------------------------
    def next_sweep(self) -> float:
        """The time of the next interval sweep."""
        return self.start + (self._sweep + 1) * self.settings.interval

    def advance(self, now: float) -> None:
        """Run every interval sweep due at or before ``now``, in order."""
        if now < self._now:
            raise ValueError(f"time went backwards: {now} after {self._now}")
        self._now = now
        interval = self.settings.interval
        while True:
            due = self.start + (self._sweep + 1) * interval
            if due > now:
                return
            self._sweep += 1
            self._run_sweep(due)

    def _run_sweep(self, now: float) -> None:
        settings = self.settings
        base = settings.base_ejection_time
        longest = settings.max_ejection_time
        for state in self._hosts.values():
            if state.ejected and min(base * state.backoff, longest) <= now - state.ejected_at:
                state.ejected = False
                state.consecutive = 0
                state.returned_at = now
                self.active -= 1
                self.unejections += 1
        for state in self._hosts.values():
            if (
                not state.ejected
                and state.backoff > 0
                and state.returned_at is not None
                and now - state.returned_at >= settings.interval
            ):
                state.backoff -= 1

    # -- results ---------------------------------------------------------------------------
    def record(self, host: Hashable, now: float, ok: bool) -> bool:
        """Report one answer of ``host`` at ``now``; True when this failure ejected it.

        ``ok`` is False for a 5xx answer, a refused connection or a timeout. An unknown host is
        added first.
        """
        self.advance(now)
        state = self._hosts.get(host)
        if state is None:
            self.add_host(host)
            state = self._hosts[host]
        if state.ejected:
            return False
        if ok:
            state.consecutive = 0
            return False
        state.consecutive += 1
        if state.consecutive < self.settings.consecutive_5xx:
            return False
        state.consecutive = 0
        self.detected += 1
        return self._eject(state, now)

    def _eject(self, state: _HostState, now: float) -> bool:
        settings = self.settings
        share = 100.0 * (self.active + 1) / len(self._hosts)
        allowed = share <= settings.max_ejection_percent or (
            settings.always_eject_one_host and self.active == 0
        )
        if not allowed:
            self.overflow += 1
            return False
        state.ejected = True
        state.ejected_at = now
        state.ejections += 1
        base = settings.base_ejection_time
        if state.backoff * base < settings.max_ejection_time + base:
            state.backoff += 1
        self.active += 1
        self.enforced += 1
        return True

    # -- queries ---------------------------------------------------------------------------
    def ejected(self, host: Hashable, now: float) -> bool:
        """Whether ``host`` is out of the load balancer at ``now``."""
        self.advance(now)
        state = self._hosts.get(host)
        return state is not None and state.ejected

    def eligible(self, hosts: Sequence[H], now: float) -> list[H]:
        """The hosts of ``hosts`` not ejected at ``now``, in their order.

        Panic routing (Envoy ignores health when too few hosts are healthy) is the load
        balancer's decision, not the detector's: it may fall back to ``hosts`` when this list
        is empty or too short.
        """
        self.advance(now)
        states = self._hosts
        result: list[H] = []
        for host in hosts:
            state = states.get(host)
            if state is None or not state.ejected:
                result.append(host)
        return result

    def ejection_count(self, host: Hashable) -> int:
        """How many times ``host`` was ejected so far."""
        state = self._hosts.get(host)
        return 0 if state is None else state.ejections

    def ejection_duration(self, host: Hashable) -> float:
        """Seconds ``host`` stays out: its current ejection's, or the next one's if it is in.

        An ejected host returns at the first sweep at least this long after its ejection.
        """
        settings = self.settings
        base = settings.base_ejection_time
        state = self._hosts.get(host)
        backoff = 0 if state is None else state.backoff
        growing = backoff * base < settings.max_ejection_time + base
        if (state is None or not state.ejected) and growing:
            backoff += 1
        return min(base * backoff, settings.max_ejection_time)

    def statistics(self) -> OutlierStatistics:
        """A frozen snapshot, as of the last time the detector was called with."""
        return OutlierStatistics(
            hosts=len(self._hosts),
            ejections_active=self.active,
            ejections_detected=self.detected,
            ejections_enforced=self.enforced,
            ejections_overflow=self.overflow,
            unejections=self.unejections,
            sweeps=self._sweep,
            ejected=tuple(host for host, state in self._hosts.items() if state.ejected),
        )
