"""Network faults: partitions between places, added latency and injected errors on services.

A :class:`NetworkFaults` holds the faults active now; the run's delivery (``Context.send``)
asks it about each message only while at least one fault is active, so a run without faults
pays nothing here.

- A :class:`Partition` splits two places (:class:`Side`: a region, or a region's zone): every
  message between them is lost, both ways, whatever its kind. Nobody is told; only a caller's
  timeout would notice. Global nodes (region ``*``: DNS) are on neither side, and region-wide
  nodes (zone ``*``: load balancers) are on their region's side of a region partition but on
  neither side of a zone partition (they are in every zone of their region).
- A :class:`LatencyFault` slows requests (``get``, ``put`` and replication) to a service, or
  only those from one caller service: ``latency`` seconds are added to the request's delivery.
  With ``error_rate`` p each answered request (``get``, ``put``) fails instead with probability
  p: it still travels to the service (network latency plus the added latency) and is answered
  at once with :data:`INJECTED_ERROR` (a 503, as an overloaded or failing server answers),
  which travels back with the network latency. Answers themselves are never slowed.

Draws come from each fault's own seeded stream, so adding one fault changes no other draws.
"""

from __future__ import annotations

import random
from typing import Final

from monkeyhouse.topology.instances import Instance
from monkeyhouse.topology.names import ANY

#: The error a request turned into a failure by latency monkey answers with.
INJECTED_ERROR: Final = "503 service unavailable: injected by latency monkey"

#: What :meth:`NetworkFaults.judge` returns for a message the faults leave alone.
UNTOUCHED: Final = (0.0, "")

#: A message kind that gets an answer (a get or a put), one that does not (replication), other
REQUEST: Final = 1
ONE_WAY_REQUEST: Final = 2
OTHER: Final = 0


class Side:
    """One side of a partition: a whole region, or one zone of a region."""

    __slots__ = ("region", "zone")

    def __init__(self, region: str, zone: str | None = None) -> None:
        self.region = region
        self.zone = zone

    def holds(self, instance: Instance) -> bool:
        """Whether ``instance`` runs on this side."""
        if instance.region != self.region:
            return False
        zone = self.zone
        return zone is None or instance.zone == zone

    def overlaps(self, other: Side) -> bool:
        """Whether the two sides share a place (a region and one of its zones do)."""
        if self.region != other.region:
            return False
        return self.zone is None or other.zone is None or self.zone == other.zone

    def __str__(self) -> str:
        return self.region if self.zone is None else f"{self.region}/{self.zone}"


class Partition:
    """Messages between ``a`` and ``b`` are lost, both ways; ``lost`` counts them."""

    __slots__ = ("a", "b", "lost")

    def __init__(self, a: Side, b: Side) -> None:
        if a.overlaps(b):
            raise ValueError(f"the sides {a} and {b} overlap")
        self.a = a
        self.b = b
        self.lost = 0

    def splits(self, sender: Instance, target: Instance) -> bool:
        """Whether a message from ``sender`` to ``target`` crosses the partition."""
        a = self.a
        b = self.b
        return (a.holds(sender) and b.holds(target)) or (b.holds(sender) and a.holds(target))


class LatencyFault:
    """Added latency and an error probability on requests to ``service`` (from ``caller``)."""

    __slots__ = ("caller", "delayed", "error_rate", "errors", "latency", "rng", "service")

    def __init__(
        self,
        service: str,
        latency: float,
        error_rate: float,
        rng: random.Random,
        caller: str | None = None,
    ) -> None:
        self.service = service
        self.caller = caller
        self.latency = latency
        self.error_rate = error_rate
        self.rng = rng
        #: requests slowed down, and requests turned into errors
        self.delayed = 0
        self.errors = 0

    def applies(self, sender: Instance, target: Instance) -> bool:
        """Whether a request from ``sender`` to ``target`` is affected."""
        if target.service.name != self.service:
            return False
        caller = self.caller
        return caller is None or sender.service.name == caller


class NetworkFaults:
    """The network faults active now, asked about each message while any is active."""

    __slots__ = ("latencies", "partitions")

    def __init__(self) -> None:
        self.partitions: list[Partition] = []
        self.latencies: list[LatencyFault] = []

    def __bool__(self) -> bool:
        return bool(self.partitions or self.latencies)

    def judge(self, sender: Instance, target: Instance, kind: int) -> tuple[float, str] | None:
        """What the faults do to one message: None (lost), or (added seconds, error or "").

        ``kind`` is :data:`REQUEST`, :data:`ONE_WAY_REQUEST` or :data:`OTHER`. Latency faults
        add up when several apply; the first error drawn wins.
        """
        for partition in self.partitions:
            if partition.splits(sender, target):
                partition.lost += 1
                return None
        if kind == OTHER or not self.latencies:
            return UNTOUCHED
        extra = 0.0
        error = ""
        for fault in self.latencies:
            if not fault.applies(sender, target):
                continue
            extra += fault.latency
            fault.delayed += 1
            if (
                kind == REQUEST
                and fault.error_rate > 0.0
                and not error
                and fault.rng.random() < fault.error_rate
            ):
                fault.errors += 1
                error = INJECTED_ERROR
        if extra == 0.0 and not error:
            return UNTOUCHED
        return extra, error


def parse_place(text: str) -> Side:
    """Read ``region`` or ``region/zone`` (e.g. ``us-east-1/zoneA``) as a :class:`Side`."""
    region, _, zone = text.partition("/")
    if not region or (zone == "" and text.endswith("/")) or "/" in zone or ANY in (region, zone):
        raise ValueError(f"{text!r} is not 'region' or 'region/zone'")
    return Side(region, zone or None)
