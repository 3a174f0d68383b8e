"""Chaos: the Simian Army against a running simulation.

Chaos Monkey as spigo has it: the architecture's ``victim`` service loses one instance at half
the run (:class:`ChaosMonkey`). A random live instance of the victim service (chosen from the
run's seed) is killed. An instance of a package that deregisters (karyon, zuul, staash,
monolith) tells its registry at once; any other is evicted when its registry lease expires.
Either way the graph gets a ``done`` entry, and clients forget it at their next poll.

Beyond spigo, :class:`Chaos` applies the actions of :mod:`monkeyhouse.model.chaosaction`, now or
at a given time, and undoes those with a duration (the public methods live on
:class:`~monkeyhouse.scenarios.simulation.Simulation`):

- Chaos Monkey kills instances of a service (one, N, or a share, rounded up); a replacement,
  when asked for, starts ``replace_after`` seconds later: a new instance of the same service in
  the same region and zone, with the service's next free number (so a new name and address),
  started, registered with discovery and drawn as a new graph node.
- Latency Monkey adds latency and injected errors (503) to the requests to a service, or on one
  caller-to-service edge (:mod:`monkeyhouse.topology.faults`).
- Chaos Gorilla takes a zone's hosts away: every instance there dies at once without telling
  its registry (leases expire after 90 s; until clients forget them, connections to them are
  refused). When the outage ends the zone's capacity comes back as new instances.
- Chaos Kong does the same to a region, and ``dns_failover`` seconds later DNS (every
  denominator) stops sending to the region's dead front doors and spreads everything over the
  surviving regions. A Chaos Monkey replacement due while its place is dark waits for the
  place to come back and starts with the outage's own replacements.
- A partition loses every message between two regions or zones, both ways, and counts them.

Every random choice comes from the run's seeded streams (``chaos/kill`` for victims,
``chaos/<n>`` for the n-th latency fault's errors), so a run is reproduced exactly by its seed.
Everything chaos does is written to :attr:`Chaos.log` in time order.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from monkeyhouse.engine import Environment, Handle, RandomStreams
from monkeyhouse.errors import UsageError
from monkeyhouse.model.chaosaction import DNS_FAILOVER, ChaosAction
from monkeyhouse.topology.faults import LatencyFault, NetworkFaults, Partition, Side
from monkeyhouse.topology.instances import Instance, ServiceRuntime

#: where zone and region names come from in messages
_PLACE_HELP: Final = "a region such as us-east-1, or a zone as region/zone such as us-east-1/zoneA"


class ChaosMonkey:
    """Kills one random instance of a service when told to (spigo's victim)."""

    def __init__(
        self, victim: ServiceRuntime, rng: random.Random, kill: Callable[[Instance], None]
    ) -> None:
        self.victim = victim
        self.rng = rng
        self._kill = kill
        self.killed: list[Instance] = []

    def strike(self, _: object = None) -> Instance | None:
        """Kill one live instance of the victim service; return it (None when none is left)."""
        alive = [i for i in self.victim.instances if i.alive]
        if not alive:
            return None
        chosen = alive[int(self.rng.random() * len(alive))]
        self._kill(chosen)
        self.killed.append(chosen)
        return chosen


@dataclass(frozen=True, slots=True)
class ChaosRecord:
    """One thing chaos did: when (simulated seconds), which action, to what, and how."""

    time: float
    action: str
    target: str
    detail: str

    def to_json(self) -> dict[str, Any]:
        """The record as JSON data (time rounded to the nanosecond)."""
        return {
            "time": round(self.time, 9),
            "action": self.action,
            "target": self.target,
            "detail": self.detail,
        }


class Fault:
    """A chaos action with a duration, while it lasts and after: undo it with ``remove_fault``.

    ``killed`` lists the instances an outage took down (zone, region); ``network`` is the
    partition or latency fault in the network (with its counters); ``ended`` is the time it
    was undone (None while active).
    """

    __slots__ = (
        "_timers",
        "action",
        "deferred",
        "ended",
        "ident",
        "killed",
        "network",
        "replacements",
        "side",
        "started",
        "target",
    )

    def __init__(self, ident: int, action: str, target: str, started: float) -> None:
        self.ident = ident
        self.action = action
        self.target = target
        self.started = started
        self.ended: float | None = None
        self.killed: list[Instance] = []
        self.replacements: list[Instance] = []
        self.network: Partition | LatencyFault | None = None
        #: the dark place of a zone or region outage
        self.side: Side | None = None
        #: replacements due while the place was dark, started when it comes back
        self.deferred: list[Instance] = []
        self._timers: list[Handle] = []

    @property
    def active(self) -> bool:
        """True until the fault is removed."""
        return self.ended is None

    def statistics(self) -> dict[str, Any]:
        """A snapshot: the action, its target, its times and what it did."""
        data: dict[str, Any] = {
            "id": self.ident,
            "action": self.action,
            "target": self.target,
            "started": self.started,
            "ended": self.ended,
            "killed": [i.name for i in self.killed],
            "replacements": [i.name for i in self.replacements],
        }
        network = self.network
        if isinstance(network, Partition):
            data["lost"] = network.lost
        elif isinstance(network, LatencyFault):
            data["delayed"] = network.delayed
            data["errors"] = network.errors
        return data

    def __repr__(self) -> str:
        state = "active" if self.active else f"ended at {self.ended}"
        return f"<Fault {self.ident} {self.action} {self.target} {state}>"


class Chaos:
    """Applies and undoes chaos actions on a run; keeps the log.

    ``kill(instance, graceful)`` stops an instance (graceful: a package that deregisters tells
    its registry; otherwise its lease expires); ``replace(instance)`` starts its replacement
    and returns it. Both belong to the simulation, which knows how instances are made.
    """

    def __init__(
        self,
        env: Environment,
        streams: RandomStreams,
        context: Any,
        services: Sequence[ServiceRuntime],
        regions: Sequence[str],
        zones: Sequence[str],
        kill: Callable[[Instance, bool], None],
        replace: Callable[[Instance], Instance],
    ) -> None:
        self.env = env
        self.streams = streams
        self.context = context
        self.services = services
        self.regions = tuple(regions)
        self.zones = tuple(zones)
        self._kill = kill
        self._replace = replace
        self.network = NetworkFaults()
        self.log: list[ChaosRecord] = []
        self.faults: list[Fault] = []
        #: every instance chaos killed, in order
        self.killed: list[Instance] = []
        self._kill_rng: random.Random | None = None

    # -- lookups -----------------------------------------------------------------------------
    def service(self, name: str, what: str = "service") -> ServiceRuntime:
        """The running service called ``name``; UsageError listing the known ones if none."""
        for runtime in self.services:
            if runtime.name == name:
                return runtime
        known = ", ".join(s.name for s in self.services)
        raise UsageError(f"{what}: unknown service {name!r} (known: {known})")

    def place(self, text: str, what: str = "place") -> Side:
        """Read ``region`` or ``region/zone``, checked against the run's regions and zones."""
        if not isinstance(text, str):
            raise UsageError(f"{what}: {text!r} is not a place ({_PLACE_HELP})")
        region, _, zone = text.partition("/")
        if region not in self.regions:
            raise UsageError(
                f"{what}: unknown region {region!r} in {text!r} "
                f"(known: {', '.join(self.regions)}; {_PLACE_HELP})"
            )
        if "/" in text and zone not in self.zones:
            raise UsageError(
                f"{what}: unknown zone {zone!r} in {text!r} "
                f"(known zones: {', '.join(self.zones)}; {_PLACE_HELP})"
            )
        return Side(region, zone or None)

    def _record(self, action: str, target: str, detail: str) -> None:
        self.log.append(ChaosRecord(self.env.now, action, target, detail))

    def _new_fault(self, action: str, target: str) -> Fault:
        fault = Fault(len(self.faults) + 1, action, target, self.env.now)
        self.faults.append(fault)
        return fault

    def _end_later(self, fault: Fault, after: float | None, what: str) -> None:
        if after is None:
            return
        _check_seconds(after, what)
        fault._timers.append(self.env.schedule(after, self._expire, fault))

    def _expire(self, fault: Fault) -> None:
        self.remove(fault)

    # -- chaos monkey ------------------------------------------------------------------------
    def kill_instances(
        self,
        service: str,
        count: int | None = None,
        share: float | None = None,
        replace_after: float | None = None,
    ) -> list[str]:
        """Kill ``count`` (default 1) or a ``share`` of the live instances of ``service`` now.

        A share is rounded up and is at least one instance when above 0. Victims are drawn at
        random (stream ``chaos/kill``); fewer are killed when fewer are alive. With
        ``replace_after`` each is replaced that many seconds later. Returns their names.
        """
        runtime = self.service(service, "kill_instances: service")
        if count is not None and share is not None:
            raise UsageError(
                f"kill_instances: give count ({count}) or share ({share}), not both "
                "(count: how many instances; share: a fraction of the live ones)"
            )
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
            raise UsageError(f"kill_instances: count {count!r} must be a whole number, e.g. 2")
        if count is not None and count < 0:
            raise UsageError(f"kill_instances: count {count} must be 0 or more")
        if share is not None and not (isinstance(share, int | float) and 0.0 <= share <= 1.0):
            raise UsageError(f"kill_instances: share {share!r} must be between 0 and 1, e.g. 0.5")
        if replace_after is not None:
            _check_seconds(replace_after, "kill_instances: replace_after")
        alive = [i for i in runtime.instances if i.alive]
        if share is not None:
            wanted = math.ceil(share * len(alive) - 1e-9) if share > 0 else 0
            wanted = max(wanted, 1) if share > 0 else 0
        else:
            wanted = 1 if count is None else count
        wanted = min(wanted, len(alive))
        if not alive:
            self._record("chaos-monkey", service, "no live instance to kill")
            return []
        if self._kill_rng is None:
            self._kill_rng = self.streams.stream("chaos/kill")
        chosen = sorted(self._kill_rng.sample(alive, wanted), key=lambda i: i.id)
        for instance in chosen:
            self._kill(instance, True)
            self.killed.append(instance)
            self._record("chaos-monkey", service, f"killed {instance.name}")
            if replace_after is not None:
                self.env.schedule(replace_after, self._replace_one, instance)
        return [i.name for i in chosen]

    def kill_instance(self, name: str, replace_after: float | None = None) -> str:
        """Kill the live instance called ``name`` now (Chaos Monkey aimed by hand).

        Logged as ``chaos-monkey`` like :meth:`kill_instances`; replaced ``replace_after``
        seconds later when given. Returns the name. An unknown name, or one that is not
        alive any more, is a UsageError naming a few live instances to choose from.
        """
        if replace_after is not None:
            _check_seconds(replace_after, "kill_instance: replace_after")
        found: Instance | None = None
        for runtime in self.services:
            for instance in runtime.instances:
                if instance.name == name:
                    found = instance
        if found is None or not found.alive:
            alive = [i.name for s in self.services for i in s.instances if i.alive]
            shown = ", ".join(alive[:5]) + (
                f", ... ({len(alive)} in all)" if len(alive) > 5 else ""
            )
            state = "unknown instance" if found is None else "instance no longer alive:"
            raise UsageError(f"kill_instance: {state} {name!r} (live instances: {shown})")
        self._kill(found, True)
        self.killed.append(found)
        self._record("chaos-monkey", found.service.name, f"killed {found.name}")
        if replace_after is not None:
            self.env.schedule(replace_after, self._replace_one, found)
        return found.name

    def _replace_one(self, old: Instance) -> Instance | None:
        """Start ``old``'s replacement, or defer it while its zone or region is dark."""
        for fault in self.faults:
            side = fault.side
            if fault.active and side is not None and side.holds(old):
                fault.deferred.append(old)
                self._record(
                    "replace", old.service.name, f"{old.name}'s replacement waits for {side}"
                )
                return None
        new = self._replace(old)
        self._record("replace", old.service.name, f"started {new.name} in place of {old.name}")
        return new

    def schedule_kills(
        self,
        service: str,
        *,
        start: float,
        every: float,
        until: float,
        count: int | None = None,
        share: float | None = None,
        replace_after: float | None = None,
    ) -> Handle:
        """Kill as :meth:`kill_instances` does at ``start``, then every ``every`` seconds."""
        self.service(service, "chaos-monkey: target")
        _check_seconds(every, "chaos-monkey: every", positive=True)

        def strike(_now: float) -> None:
            self.kill_instances(service, count, share, replace_after)

        return self.env.every(every, strike, start=start, until=until)

    # -- latency monkey and partitions --------------------------------------------------------
    def add_latency(
        self,
        service: str,
        latency: float = 0.0,
        error_rate: float = 0.0,
        caller: str | None = None,
        duration: float | None = None,
    ) -> Fault:
        """Slow (and fail a share of) the requests to ``service``, from ``caller`` if given."""
        self.service(service, "add_latency: service")
        if caller is not None:
            self.service(caller, "add_latency: caller")
        _check_seconds(latency, "add_latency: latency")
        if not (isinstance(error_rate, int | float) and 0.0 <= error_rate <= 1.0):
            raise UsageError(
                f"add_latency: error_rate {error_rate!r} must be between 0 and 1, e.g. 0.1"
            )
        target = service if caller is None else f"{caller}->{service}"
        fault = self._new_fault("latency-monkey", target)
        rng = self.streams.stream(f"chaos/{fault.ident}")
        network = LatencyFault(service, float(latency), float(error_rate), rng, caller)
        fault.network = network
        self.network.latencies.append(network)
        self.context.faults = self.network
        self._record("latency-monkey", target, f"+{latency:g} s latency, {error_rate:g} error rate")
        self._end_later(fault, duration, "add_latency: duration")
        return fault

    def partition(self, a: str, b: str, duration: float | None = None) -> Fault:
        """Lose every message between places ``a`` and ``b`` (regions or region/zone)."""
        side_a = self.place(a, "partition: a")
        side_b = self.place(b, "partition: b")
        if side_a.overlaps(side_b):
            raise UsageError(
                f"partition: {a!r} and {b!r} overlap (give two different regions, or two "
                "different zones, e.g. us-east-1/zoneA and us-east-1/zoneB)"
            )
        target = f"{side_a}|{side_b}"
        fault = self._new_fault("partition", target)
        network = Partition(side_a, side_b)
        fault.network = network
        self.network.partitions.append(network)
        self.context.faults = self.network
        self._record("partition", target, f"messages between {side_a} and {side_b} are lost")
        self._end_later(fault, duration, "partition: duration")
        return fault

    # -- gorilla and kong ---------------------------------------------------------------------
    def _darken(self, fault: Fault, side: Side, action: str) -> None:
        for runtime in self.services:
            for instance in runtime.instances:
                if instance.alive and side.holds(instance):
                    self._kill(instance, False)
                    fault.killed.append(instance)
                    self.killed.append(instance)
        fault.killed.sort(key=lambda i: i.id)
        names = len(fault.killed)
        self._record(action, fault.target, f"{names} instances went dark")

    def fail_zone(self, region: str, zone: str, restore_after: float | None = None) -> Fault:
        """Every instance in ``region``/``zone`` dies now (Chaos Gorilla)."""
        side = self.place(f"{region}/{zone}", "fail_zone")
        if restore_after is not None:
            _check_seconds(restore_after, "fail_zone: restore_after")
        fault = self._new_fault("chaos-gorilla", str(side))
        fault.side = side
        self._darken(fault, side, "chaos-gorilla")
        self._end_later(fault, restore_after, "fail_zone: restore_after")
        return fault

    def fail_region(
        self, region: str, dns_failover: float = DNS_FAILOVER, restore_after: float | None = None
    ) -> Fault:
        """Every instance in ``region`` dies now; DNS moves its traffic after ``dns_failover``."""
        side = self.place(region, "fail_region")
        if side.zone is not None:
            raise UsageError(
                f"fail_region: {region!r} is a zone; give a region such as us-east-1 "
                "(use fail_zone for one zone)"
            )
        _check_seconds(dns_failover, "fail_region: dns_failover")
        if restore_after is not None:
            _check_seconds(restore_after, "fail_region: restore_after")
        fault = self._new_fault("chaos-kong", region)
        fault.side = side
        self._darken(fault, side, "chaos-kong")
        fault._timers.append(self.env.schedule(dns_failover, self._dns_failover, fault))
        self._end_later(fault, restore_after, "fail_region: restore_after")
        return fault

    def _dns_failover(self, fault: Fault) -> None:
        if not fault.active:
            return
        dead = fault.killed
        for runtime in self.services:
            fail_over = getattr(runtime.behaviour, "fail_over", None)
            if fail_over is not None:
                fail_over(dead)
        self._record("dns-failover", fault.target, "DNS sends nothing more to the region")

    # -- undo ---------------------------------------------------------------------------------
    def remove(self, fault: Fault) -> None:
        """Undo ``fault`` now: heal, remove latency, or bring a zone or region back.

        Removing a fault that has ended already does nothing.
        """
        if not isinstance(fault, Fault) or fault not in self.faults:
            raise UsageError(
                f"remove_fault: {fault!r} is not a fault of this simulation "
                "(give what add_latency, fail_zone, fail_region or partition returned)"
            )
        if not fault.active:
            return
        fault.ended = self.env.now
        for timer in fault._timers:
            self.env.cancel(timer)
        network = fault.network
        if isinstance(network, Partition):
            self.network.partitions.remove(network)
            detail = f"healed; {network.lost} messages were lost"
        elif isinstance(network, LatencyFault):
            self.network.latencies.remove(network)
            detail = f"removed; {network.delayed} requests affected, {network.errors} failed"
        else:
            for old in sorted(fault.killed + fault.deferred, key=lambda i: i.id):
                new = self._replace(old)
                fault.replacements.append(new)
            detail = f"restored; {len(fault.replacements)} new instances"
        if not self.network:
            self.context.faults = None
        self._record(fault.action, fault.target, detail)

    # -- scenario actions ---------------------------------------------------------------------
    def schedule(self, action: ChaosAction, until: float) -> None:
        """Apply a scenario's ``action`` at its time (``until``: the run's end)."""
        at = action.at
        if action.action == "chaos-monkey":
            service = action.target[0]
            if action.every is not None:
                end = until if action.until is None else min(action.until, until)
                self.schedule_kills(
                    service,
                    start=at,
                    every=action.every,
                    until=end,
                    count=action.count,
                    share=action.share,
                    replace_after=action.replace_after,
                )
                return
            self.env.schedule_at(
                at,
                lambda _: self.kill_instances(
                    service, action.count, action.share, action.replace_after
                ),
            )
            return
        self.env.schedule_at(at, lambda _: self._start(action))

    def _start(self, action: ChaosAction) -> Fault:
        target = action.target
        duration = action.duration
        if action.action == "latency-monkey":
            return self.add_latency(
                target[0], action.latency, action.error_rate, action.caller, duration
            )
        if action.action == "partition":
            return self.partition(target[0], target[1], duration)
        if action.action == "chaos-gorilla":
            region, _, zone = target[0].partition("/")
            return self.fail_zone(region, zone, duration)
        return self.fail_region(target[0], action.dns_failover, duration)


def _check_seconds(value: object, what: str, *, positive: bool = False) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
        or (positive and value == 0)
    ):
        need = "more than 0" if positive else "0 or more"
        raise UsageError(f"{what}: {value!r} must be a number of seconds, {need} (e.g. 30)")
