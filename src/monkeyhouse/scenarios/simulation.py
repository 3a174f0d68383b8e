"""A simulation: an architecture placed, wired and run for a while.

Build order follows spigo: services in file order, each instance placed (regions, zones, numbers,
addresses), started and registered, a graph ``node`` entry each. When all are up, every client
makes its first registry fetch (so what spigo found only on a later poll is found at once, and a
run of any length gives the whole graph), polling starts (one ticker per service), the root
service's last instance starts the traffic, and Chaos Monkey strikes at half time. At the end
the instances of packages that deregister leave (``done`` entries), as spigo's do.

Chaos beyond spigo's victim (see :mod:`monkeyhouse.scenarios.chaos`) is applied through the
methods :meth:`Simulation.kill_instances`, :meth:`~Simulation.kill_instance`,
:meth:`~Simulation.add_latency`, :meth:`~Simulation.fail_zone`, :meth:`~Simulation.fail_region`,
:meth:`~Simulation.partition` and :meth:`~Simulation.remove_fault`, at "now" between
:meth:`~Simulation.advance` steps, or at given times through a scenario's actions (``chaos=``
or :meth:`~Simulation.schedule_chaos`).
Everything chaos did is in :attr:`~Simulation.chaos_log`.
"""

from __future__ import annotations

import functools
import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from monkeyhouse.behaviours.context import Context, MessageObserver, SpanObserver
from monkeyhouse.engine import Environment, RandomStreams
from monkeyhouse.errors import UsageError
from monkeyhouse.model.architecture import EUREKA, Architecture
from monkeyhouse.model.chaosaction import DNS_FAILOVER, ChaosAction
from monkeyhouse.model.resilience import unprotected
from monkeyhouse.model.timing import Pattern, TrafficSpec
from monkeyhouse.patterns.command import CommandStatistics
from monkeyhouse.patterns.discovery import Discovery
from monkeyhouse.plugins import behaviours as registered_behaviours
from monkeyhouse.scenarios.chaos import Chaos, ChaosMonkey, ChaosRecord, Fault
from monkeyhouse.scenarios.traffic import TrafficSource
from monkeyhouse.telemetry.graph import GraphRecorder, GraphSink
from monkeyhouse.topology.addresses import AddressBook
from monkeyhouse.topology.deployment import Layout, placements, plan
from monkeyhouse.topology.instances import Instance, ServiceRuntime
from monkeyhouse.topology.network import LatencyModel


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Everything that shapes a run besides the architecture (spigo's flags, long names)."""

    duration: float = 10.0
    percent: int = 100
    regions: int = 1
    seed: int = 1
    reduce: bool = False
    poll: float = 1.0
    chat: float = 0.01
    rate: float | None = None
    pattern: str = "constant"
    message_log: bool = False
    step: int = 0
    chaos: bool = True
    #: False: every call goes unprotected (no timeouts, retries, breakers, bulkheads)
    resilience: bool = True


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a finished run did, for the end-of-run summary and ``run.json``."""

    arch: str
    services: int
    instances: int
    messages: int
    lost: int
    reads: int
    reads_answered: int
    writes: int
    writes_answered: int
    errors: int
    mean_response_ms: float
    max_response_ms: float
    nodes: int
    edges: int
    forgets: int
    dones: int
    chaos_victims: tuple[str, ...]
    simulated_seconds: float
    events: int
    wall_seconds: float
    status: str

    def to_json(self) -> dict[str, Any]:
        """The summary as JSON data, without wall time (outputs must be byte-identical)."""
        data = {name: getattr(self, name) for name in self.__slots__}
        data.pop("wall_seconds")
        data["chaos_victims"] = list(self.chaos_victims)
        return data


Progress = Callable[[float, float], None]


class Simulation:
    """One run of one architecture."""

    def __init__(
        self,
        arch: Architecture,
        options: RunOptions,
        sinks: list[GraphSink] | None = None,
        *,
        observers: Sequence[MessageObserver] | None = None,
        span_observers: Sequence[SpanObserver] | None = None,
        chaos: Sequence[ChaosAction] = (),
    ) -> None:
        if not options.resilience:
            arch = unprotected(arch)
        self.arch = arch
        self.options = options
        self.env = Environment()
        self.streams = RandomStreams(options.seed)
        self.latency = LatencyModel(arch.network)
        self.context = Context(self.env, self.streams, self.latency)
        self.context.observers.extend(observers or [])
        self.context.span_observers.extend(span_observers or [])
        self.recorder = GraphRecorder(self.env, list(sinks or []), reduce=options.reduce)
        self.context.edge_observer = self.recorder.direct_edge
        self.layout: Layout = plan(arch, options.percent, options.regions)
        self.services: list[ServiceRuntime] = []
        self.instances: list[Instance] = []
        self.addresses = AddressBook()
        self.chaos: ChaosMonkey | None = None
        #: chaos actions to apply at their times once the run starts (a scenario's list)
        self.chaos_actions: list[ChaosAction] = list(chaos)
        #: called with each instance started after the build (chaos replacements)
        self.instance_started: list[Callable[[Instance], object]] = []
        self._numbers: dict[int, int] = {}
        self.traffic: list[TrafficSource] = []
        self.status = "not started"
        self._started = time.perf_counter()
        self._built = False
        classes = registered_behaviours()
        index = {s.name: i for i, s in enumerate(arch.services)}
        for i, spec in enumerate(arch.services):
            deps = tuple(index[d] for d in spec.dependency_names if d != EUREKA)
            eureka = EUREKA in spec.dependency_names
            runtime = ServiceRuntime(arch.arch, i, spec.name, spec.package, deps, eureka)
            runtime.spec = spec
            cls = classes.get(spec.package)
            if cls is None:
                raise UsageError(
                    f"{arch.source or arch.arch}: service {spec.name!r} uses package "
                    f"{spec.package!r}, which no installed behaviour provides "
                    f"(installed: {', '.join(sorted(classes))})"
                )
            runtime.behaviour = cls(self.context, runtime)
            self.services.append(runtime)
        self.discovery = Discovery(
            self.env,
            self.services,
            poll=options.poll,
            same_zone=lambda s: bool(s.behaviour.same_zone),
            observer=self.recorder,
        )
        self.context.registry_lookup = self._lookup
        self.chaos_control = Chaos(
            self.env,
            self.streams,
            self.context,
            self.services,
            self.layout.regions,
            self.layout.zones,
            self._chaos_kill,
            self.replace,
        )

    def _lookup(self, service: str) -> list[str]:
        for runtime in self.services:
            if runtime.name == service:
                return [i.name for i in runtime.instances if i.alive]
        return []

    # -- building --------------------------------------------------------------------------
    def build(self) -> None:
        """Create, start and register every instance, in file order."""
        if self._built:
            return
        self._built = True
        # Building creates millions of long-lived objects and no cycles to collect: pause the
        # cyclic collector while building, then move what was built out of its way.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._build()
        finally:
            gc.freeze()
            if collecting:
                gc.enable()

    def _build(self) -> None:
        recorder = self.recorder
        discovery = self.discovery
        allocate = self.addresses.allocate
        instances = self.instances
        for runtime, spec in zip(self.services, self.arch.services, strict=True):
            behaviour = runtime.behaviour
            for place in placements(self.layout, runtime.index, spec):
                instance = Instance(
                    len(instances),
                    runtime,
                    place.region,
                    place.zone,
                    place.number,
                    allocate(place.region, place.zone),
                )
                instances.append(instance)
                runtime.instances.append(instance)
                behaviour.start(instance)
                recorder.node(instance)
                discovery.register(instance)
                discovery.attach(instance)

    # -- running ---------------------------------------------------------------------------
    def kill(self, instance: Instance) -> None:
        """Kill ``instance`` now: it stops, leaves the registry and the graph."""
        if not instance.alive:
            return
        instance.alive = False
        behaviour = instance.service.behaviour
        behaviour.stop(instance)
        if behaviour.deregisters:
            self.discovery.deregister(instance)
        else:
            self.discovery.expire_later(instance)
        self.recorder.done(instance)

    def _chaos_kill(self, instance: Instance, graceful: bool) -> None:
        """Kill for chaos: gracefully as :meth:`kill`, or the host is gone (no deregistration)."""
        if graceful:
            self.kill(instance)
            return
        if not instance.alive:
            return
        instance.alive = False
        instance.service.behaviour.stop(instance)
        self.discovery.expire_later(instance)
        self.recorder.done(instance)

    def _next_number(self, runtime: ServiceRuntime) -> int:
        """The service's next free instance number (after every number it ever used)."""
        number = self._numbers.get(runtime.index)
        if number is None:
            cut = len(runtime.name)
            number = 1 + max(
                (int(i.label[cut:]) for i in runtime.instances), default=self.layout.first_index - 1
            )
        self._numbers[runtime.index] = number + 1
        return number

    def replace(self, old: Instance) -> Instance:
        """Start a new instance of ``old``'s service in ``old``'s region and zone, now.

        As an autoscaling group replaces a terminated instance: the service's next free number
        (a new name), a new address, started, registered with discovery (clients find it at
        their next poll; it fetches the registry at once) and a graph ``node`` entry.
        """
        runtime = old.service
        behaviour = runtime.behaviour
        instance = Instance(
            len(self.instances),
            runtime,
            old.region,
            old.zone,
            self._next_number(runtime),
            self.addresses.allocate(old.region, old.zone),
        )
        self.instances.append(instance)
        runtime.instances.append(instance)
        behaviour.start(instance)
        replaced = getattr(behaviour, "replaced", None)
        if replaced is not None:
            replaced(old, instance)
        self.recorder.node(instance)
        self.discovery.register(instance)
        self.discovery.attach(instance)
        self.discovery.fetch(instance)
        for hook in self.instance_started:
            hook(instance)
        return instance

    # -- chaos: the public API ---------------------------------------------------------------
    def _running(self, what: str) -> Chaos:
        if self.status != "running":
            raise UsageError(
                f"{what}: chaos needs a running simulation (status {self.status}); "
                "call start() first"
            )
        return self.chaos_control

    def kill_instances(
        self,
        service: str,
        count: int | None = None,
        share: float | None = None,
        replace_after: float | None = None,
    ) -> list[str]:
        """Chaos Monkey, now: kill instances of ``service``; return their names.

        ``count`` (default 1) or a ``share`` of the live instances (rounded up, at least 1
        when share > 0), chosen at random from the seed.

        With ``replace_after`` each comes back that many seconds later as a new instance.
        """
        chaos = self._running("kill_instances")
        return chaos.kill_instances(service, count, share, replace_after)

    def kill_instance(self, name: str, replace_after: float | None = None) -> str:
        """Chaos Monkey, now, aimed: kill the live instance called ``name``; return its name.

        Logged in :attr:`chaos_log` as ``chaos-monkey``, as :meth:`kill_instances` is; with
        ``replace_after`` it comes back that many seconds later as a new instance.
        """
        return self._running("kill_instance").kill_instance(name, replace_after)

    def add_latency(
        self,
        service: str,
        latency: float = 0.0,
        error_rate: float = 0.0,
        caller: str | None = None,
        *,
        duration: float | None = None,
    ) -> Fault:
        """Latency Monkey, now: slow and fail requests to ``service``.

        Every request to ``service`` (from ``caller`` only, if given) arrives ``latency``
        seconds later, and a share ``error_rate`` is answered with a 503.

        Lasts until :meth:`remove_fault`, or ``duration`` seconds.
        """
        chaos = self._running("add_latency")
        return chaos.add_latency(service, latency, error_rate, caller, duration)

    def fail_zone(self, region: str, zone: str, restore_after: float | None = None) -> Fault:
        """Chaos Gorilla, now: a zone goes dark.

        Every instance in ``region``/``zone`` (e.g. us-east-1, zoneA) dies; its capacity comes
        back as new instances after ``restore_after`` seconds or at
        :meth:`remove_fault`.
        """
        return self._running("fail_zone").fail_zone(region, zone, restore_after)

    def fail_region(
        self, region: str, dns_failover: float = DNS_FAILOVER, restore_after: float | None = None
    ) -> Fault:
        """Chaos Kong, now: a region goes dark.

        Every instance in ``region`` dies; ``dns_failover`` seconds later
        DNS sends all traffic to the other regions. Restored as :meth:`fail_zone` is.
        """
        return self._running("fail_region").fail_region(region, dns_failover, restore_after)

    def partition(self, a: str, b: str, *, duration: float | None = None) -> Fault:
        """A network partition, now: cut ``a`` off from ``b``.

        Messages between ``a`` and ``b`` (each a region such as
        us-east-1 or a zone such as us-east-1/zoneA) are lost both ways until healed.
        """
        return self._running("partition").partition(a, b, duration)

    def remove_fault(self, fault: Fault) -> None:
        """Undo ``fault`` now: remove latency, heal a partition, bring a zone or region back."""
        self._running("remove_fault").remove(fault)

    def schedule_chaos(self, action: ChaosAction) -> None:
        """Apply a scenario's chaos ``action`` at its time (now if that has passed)."""
        self._running("schedule_chaos").schedule(action, self.options.duration)

    @property
    def chaos_log(self) -> list[ChaosRecord]:
        """Everything chaos did, in time order (frozen records)."""
        return self.chaos_control.log

    @property
    def faults(self) -> list[Fault]:
        """Every fault applied so far, active or ended, in order."""
        return self.chaos_control.faults

    def _victim_kill(self, instance: Instance) -> None:
        self.kill(instance)
        self.chaos_control.killed.append(instance)
        self.chaos_control.log.append(
            ChaosRecord(
                self.env.now, "chaos-monkey", instance.service.name, f"killed {instance.name}"
            )
        )

    def start(self, on_built: Callable[[Simulation], object] | None = None) -> None:
        """Build if needed, wire everything and start time's sources; time stays at 0.

        ``on_built`` is called once everything is placed and wired, before time starts (the
        place for instruments to attach to instances and start their tickers). After
        ``start``, :meth:`advance` moves time on in steps of the caller's choosing (a paced
        run, a Chaos Toolkit experiment) and :meth:`finish` ends the run.
        """
        if self.status != "not started":
            raise UsageError(f"this simulation has already started (status {self.status})")
        self._started = time.perf_counter()
        duration = self.options.duration
        self.build()
        self.discovery.refresh_all()
        for runtime in self.services:
            runtime.behaviour.launch(self.instances)
        if on_built is not None:
            on_built(self)
        self.discovery.start_polling(until=duration)
        for runtime in self.services:
            runtime.behaviour.run_until(duration)
        self._start_traffic(duration)
        victim = self.arch.victim
        if victim and self.options.chaos and duration > 0:
            runtime = next(s for s in self.services if s.name == victim)
            self.chaos = ChaosMonkey(
                runtime, self.streams.stream("chaos-monkey"), self._victim_kill
            )
            self.env.schedule(duration / 2, self.chaos.strike)
        self.status = "running"
        for action in self.chaos_actions:
            self.schedule_chaos(action)

    def advance(self, until: float) -> None:
        """Run simulated time on to ``until`` (never past the run's duration)."""
        if self.status != "running":
            raise UsageError(f"advance needs a running simulation (status {self.status})")
        self.env.run(until=min(until, self.options.duration))

    def finish(self) -> RunSummary:
        """End a started run: shut down (instances that deregister leave) and summarize."""
        gc.unfreeze()
        if self.status == "running":
            self.shutdown()
            self.status = "complete"
        return self.summary(time.perf_counter() - self._started)

    def run(
        self,
        progress: Progress | None = None,
        on_built: Callable[[Simulation], object] | None = None,
    ) -> RunSummary:
        """Start, run for the duration, shut down and summarize (see :meth:`start`)."""
        duration = self.options.duration
        try:
            self.start(on_built)
            if progress is None or duration <= 0:
                self.advance(duration)
            else:
                steps = 50
                for k in range(1, steps + 1):
                    self.advance(duration * k / steps)
                    progress(self.env.now, duration)
        except KeyboardInterrupt:
            gc.unfreeze()
            self.status = "interrupted"
            return self.summary(time.perf_counter() - self._started)
        return self.finish()

    def commands(self) -> list[CommandStatistics]:
        """Every protected dependency's command now: Hystrix's counts, breakers and pools."""
        now = self.env.now
        return [stats for runtime in self.services for stats in runtime.behaviour.commands(now)]

    def traffic_specs(self) -> tuple[TrafficSpec, ...]:
        """The architecture's traffic, or spigo's: a constant rate at the root (``-kv chat``)."""
        options = self.options
        if options.rate is not None:
            pattern = cast(Pattern, options.pattern)
            return (TrafficSpec(source=None, pattern=pattern, rate=options.rate),)
        if self.arch.traffic:
            return tuple(self.arch.traffic)
        return (TrafficSpec(source=None, pattern="constant", rate=1.0 / options.chat),)

    def _start_traffic(self, duration: float) -> None:
        """One traffic source per spec, each driving its entry point's last instance."""
        by_name = {s.name: s for s in self.services}
        for number, spec in enumerate(self.traffic_specs()):
            runtime = by_name.get(spec.source) if spec.source else self.services[-1]
            if runtime is None or not runtime.instances:
                continue
            behaviour = runtime.behaviour
            originate = getattr(behaviour, "originate", None)
            if originate is None:
                if not self.arch.traffic and self.options.rate is None:
                    continue  # spigo: only a denominator root turns its chat into traffic
                raise UsageError(
                    f"{self.arch.source or self.arch.arch}: traffic[{number}].source: "
                    f"{runtime.name!r} is a {runtime.package}, which cannot make traffic "
                    "(make a denominator service the entry point and point it at this one)"
                )
            instance = runtime.instances[-1]
            source = TrafficSource(
                self.env,
                spec,
                self.streams.stream(f"traffic/{number}"),
                start=0.0,
                until=duration,
                emit=functools.partial(originate, instance),
            )
            self.traffic.append(source)

    def shutdown(self) -> None:
        """End of run: instances of packages that deregister leave, in creation order."""
        for instance in self.instances:
            if instance.alive and instance.service.behaviour.deregisters:
                instance.alive = False
                self.discovery.deregister(instance)
                self.recorder.done(instance)

    def summary(self, wall: float) -> RunSummary:
        """The run's figures."""
        reads = writes = reads_answered = writes_answered = errors = 0
        total = longest = 0.0
        for runtime in self.services:
            if runtime.package == "denominator":
                for instance in runtime.instances:
                    state = instance.state
                    reads += state.reads
                    writes += state.writes
                    reads_answered += state.reads_answered
                    writes_answered += state.writes_answered
                    errors += state.errors
                    total += state.response_total
                    longest = max(longest, state.response_max)
        answered = (
            reads_answered
            + writes_answered
            + errors
            - sum(
                i.state.unrouted
                for s in self.services
                if s.package == "denominator"
                for i in s.instances
            )
        )
        victims = tuple(i.name for i in self.chaos_control.killed)
        rec = self.recorder
        return RunSummary(
            arch=self.arch.arch,
            services=len(self.services),
            instances=len(self.instances),
            messages=self.context.delivered,
            lost=self.context.lost,
            reads=reads,
            reads_answered=reads_answered,
            writes=writes,
            writes_answered=writes_answered,
            errors=errors,
            mean_response_ms=round(1000 * total / answered, 6) if answered else 0.0,
            max_response_ms=round(1000 * longest, 6),
            nodes=rec.nodes,
            edges=rec.edges,
            forgets=rec.forgets,
            dones=rec.dones,
            chaos_victims=victims,
            simulated_seconds=round(self.env.now, 9),
            events=self.env.events_processed,
            wall_seconds=wall,
            status=self.status,
        )
