"""Chaos actions as a scenario lists them: what to break, where, when and for how long.

Actions (the Simian Army's names):

- ``chaos-monkey``: kill instances of the service ``target``: ``count`` of them (default 1) or a
  ``share`` of the live ones (rounded up, at least one), at ``at`` or, with ``every``, every
  ``every`` seconds from ``at`` until ``until`` (default: the end of the run). With
  ``replace_after`` each killed instance is replaced that many seconds later, as an
  autoscaling group does.
- ``latency-monkey``: add ``latency`` seconds to every request to the service ``target`` (only
  those from ``caller`` when given) and fail a share ``error_rate`` of them with a 503, from
  ``at`` for ``duration`` seconds (default: to the end of the run).
- ``chaos-gorilla``: the zone ``target`` (``region/zone``, e.g. ``us-east-1/zoneA``) goes dark
  from ``at`` for ``duration`` seconds; its capacity comes back as new instances.
- ``chaos-kong``: the region ``target`` goes dark from ``at`` for ``duration`` seconds; DNS sends
  its traffic to the other regions ``dns_failover`` seconds (default 60) after it went dark.
- ``partition``: messages between the two places of ``target`` (a list of two ``region`` or
  ``region/zone`` names) are lost both ways from ``at`` for ``duration`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

ChaosKind = Literal["chaos-monkey", "latency-monkey", "chaos-gorilla", "chaos-kong", "partition"]

#: every chaos action, in the order the documentation lists them
CHAOS_ACTIONS: Final[tuple[ChaosKind, ...]] = (
    "chaos-monkey",
    "latency-monkey",
    "chaos-gorilla",
    "chaos-kong",
    "partition",
)

#: seconds DNS takes to move a dark region's traffic: three failed health checks 10 s apart
#: (Route 53's default interval and failure threshold) plus a 30 s TTL on the old answers
DNS_FAILOVER: Final = 60.0


@dataclass(frozen=True, slots=True)
class ChaosAction:
    """One entry of a scenario's ``chaos`` list (see the module's documentation)."""

    action: ChaosKind
    #: a service name, ``region``, ``region/zone``, or two places for a partition
    target: tuple[str, ...]
    at: float = 0.0
    duration: float | None = None
    every: float | None = None
    until: float | None = None
    count: int | None = None
    share: float | None = None
    replace_after: float | None = None
    latency: float = 0.0
    error_rate: float = 0.0
    caller: str | None = None
    dns_failover: float = DNS_FAILOVER
    #: where the action was written (``file:line:column``), for messages about it
    origin: str = ""
