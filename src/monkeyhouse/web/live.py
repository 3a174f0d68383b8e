"""A live session: one simulation run paced on a background thread, watched and broken by clients.

:class:`LiveSession` runs a :class:`~monkeyhouse.scenarios.simulation.Simulation` (an
architecture, or a scenario with its chaos schedule) under a
:class:`~monkeyhouse.scenarios.paced.PacedDriver`. Everything that touches the simulation
happens on that thread:

- at each push (every ``push_interval`` wall seconds) it builds a ``tick`` (figures since the
  previous tick, instances born and died, commands, new chaos records, faults), encodes it and
  hands the text to the asyncio loop with ``loop.call_soon_threadsafe``: the simulation never
  waits for a client;
- after each step (and at once when a command arrives, even while paused) it applies the
  commands clients submitted through a thread-safe queue, and hands back each reply the same
  way.

Figures come from one light span observer: per service, the SERVER spans' count, errors and
latencies; per service edge, the CLIENT spans' count and errors. It also keeps traces: one in
:data:`TRACE_EVERY` (the last :data:`TRACE_RING`) and the :data:`SLOWEST` slowest, converted to
the protocol's ``Trace`` shape once, when they complete.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import math
import queue
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monkeyhouse.behaviours.spans import CLIENT, SERVER, Span
from monkeyhouse.errors import MonkeyhouseError, UsageError
from monkeyhouse.model.architecture import Architecture
from monkeyhouse.model.catalog import MIGRATION
from monkeyhouse.model.chaosaction import ChaosAction
from monkeyhouse.patterns.command import CommandStatistics
from monkeyhouse.scenarios.chaos import Fault
from monkeyhouse.scenarios.paced import PacedDriver
from monkeyhouse.scenarios.simulation import RunOptions, Simulation
from monkeyhouse.topology.instances import Instance
from monkeyhouse.web import protocol
from monkeyhouse.web.replay import migration_steps
from monkeyhouse.web.topology import architecture_edges, instance_entry, simulation_topology

log = logging.getLogger("monkeyhouse")

DEFAULT_PUSH_INTERVAL = 0.25
#: one trace in this many is kept for /api/traces
TRACE_EVERY = 50
#: how many of those are kept (the most recent)
TRACE_RING = 200
#: the slowest traces kept besides
SLOWEST = 20
#: simulated seconds after which an unfinished trace's spans are let go
TRACE_STALE = 60.0

Publish = Callable[[str, Mapping[str, Any]], None]
Reply = Callable[[Mapping[str, Any]], None]


def _hex(value: int) -> str:
    return f"{value:016x}"


def trace_json(spans: Sequence[Span]) -> dict[str, Any]:
    """One trace in the protocol's ``Trace`` shape (spans in start order, times from the first)."""
    ordered = sorted(spans, key=lambda s: (s.start, s.parent != 0, s.span))
    first = ordered[0].start if ordered else 0.0
    return {
        "trace": _hex(ordered[0].trace) if ordered else "",
        "spans": [
            {
                "id": _hex(s.span),
                "parent": _hex(s.parent) if s.parent else None,
                "service": s.instance.service.name,
                "instance": s.instance.name,
                "name": s.name,
                "start_ms": round((s.start - first) * 1000.0, 6),
                "duration_ms": round((s.end - s.start) * 1000.0, 6),
                "error": bool(s.error),
                "kind": "CLIENT" if s.kind == CLIENT else "SERVER",
            }
            for s in ordered
        ],
    }


def trace_summary(trace: Mapping[str, Any], start: float) -> dict[str, Any]:
    """A trace's line in ``/api/traces``; ``start``: its first span's simulated time."""
    spans = trace["spans"]
    root = next((s for s in spans if s["parent"] is None), spans[0] if spans else None)
    return {
        "trace": trace["trace"],
        "root": root["service"] if root else "",
        "start": round(start, 9),
        "duration_ms": root["duration_ms"] if root else 0.0,
        "error": any(s["error"] for s in spans),
        "spans": len(spans),
    }


def command_json(stats: CommandStatistics, window: float = 10.0) -> dict[str, Any]:
    """One Hystrix command in the protocol's ``Command`` shape."""
    rolling = stats.rolling
    requests = stats.request_count
    latency = stats.latency_execute
    names = ("p0", "p25", "p50", "p75", "p90", "p95", "p99", "p99.5", "p100")
    points = (0.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 100.0)
    latency_ms: dict[str, float | None] = {"mean": stats.latency_execute_mean}
    for name, point in zip(names, points, strict=True):
        latency_ms[name] = latency.get(point)
    return {
        "name": stats.name,
        "caller": stats.caller,
        "dependency": stats.dependency,
        "hosts": stats.hosts,
        "rate": requests / window,
        "error_share": stats.error_count / requests if requests else 0.0,
        "requests": requests,
        "counts": {
            "success": rolling.get("SUCCESS", 0),
            "failure": rolling.get("FAILURE", 0),
            "timeout": rolling.get("TIMEOUT", 0),
            "short_circuited": rolling.get("SHORT_CIRCUITED", 0),
            "thread_pool_rejected": rolling.get("THREAD_POOL_REJECTED", 0),
            "semaphore_rejected": rolling.get("SEMAPHORE_REJECTED", 0),
            "fallback_success": rolling.get("FALLBACK_SUCCESS", 0),
            "fallback_failure": rolling.get("FALLBACK_FAILURE", 0),
        },
        "open": stats.open,
        "half_open": stats.half_open,
        "closed": max(stats.breakers - stats.open - stats.half_open, 0),
        "latency_ms": latency_ms,
        "concurrency": stats.concurrent,
        "pool": {"active": stats.pool_active, "queued": stats.pool_queued, "size": stats.pool_size},
    }


def fault_json(fault: Fault) -> dict[str, Any]:
    """One fault in the protocol's ``Fault`` shape."""
    return {
        "id": fault.ident,
        "kind": fault.action,
        "target": fault.target,
        "since": round(fault.started, 9),
        "active": fault.active,
    }


def _quantile(ordered: list[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default); ``ordered`` sorted."""
    if not ordered:
        return math.nan
    rank = q * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class _Figures:
    """The span observer: per-service and per-edge figures since the last tick, and traces."""

    __slots__ = (
        "counts",
        "edge_counts",
        "edge_errors",
        "edge_index",
        "errors",
        "latencies",
        "open_traces",
        "recent",
        "seen_roots",
        "slowest",
        "trace_every",
    )

    def __init__(
        self, services: int, edges: Sequence[tuple[int, int]], trace_every: int, ring: int
    ) -> None:
        self.counts = [0] * services
        self.errors = [0] * services
        self.latencies: list[list[float]] = [[] for _ in range(services)]
        self.edge_index = {pair: i for i, pair in enumerate(edges)}
        self.edge_counts = [0] * len(edges)
        self.edge_errors = [0] * len(edges)
        self.trace_every = trace_every
        #: spans of traces whose root has not finished yet
        self.open_traces: dict[int, list[Span]] = {}
        #: recent sampled traces as protocol dicts, with their start
        self.recent: deque[tuple[float, dict[str, Any]]] = deque(maxlen=ring)
        #: (duration, -trace, start, trace dict): a min-heap of the slowest
        self.slowest: list[tuple[float, int, float, dict[str, Any]]] = []
        self.seen_roots = 0

    def on_span(self, span: Span) -> None:
        kind = span.kind
        if kind == SERVER:
            index = span.instance.service.index
            self.counts[index] += 1
            if span.error:
                self.errors[index] += 1
            self.latencies[index].append(span.end - span.start)
        elif kind == CLIENT:
            peer = span.peer
            if peer is not None:
                edge = self.edge_index.get((span.instance.service.index, peer.service.index))
                if edge is not None:
                    self.edge_counts[edge] += 1
                    if span.error:
                        self.edge_errors[edge] += 1
        trace = span.trace
        spans = self.open_traces.get(trace)
        if spans is None:
            spans = self.open_traces[trace] = []
        spans.append(span)
        if span.parent == 0:
            self._complete(trace, span)

    def _complete(self, trace: int, root: Span) -> None:
        spans = self.open_traces.pop(trace)
        self.seen_roots += 1
        duration = root.end - root.start
        sampled = trace % self.trace_every == 0
        slow = len(self.slowest) < SLOWEST or duration > self.slowest[0][0]
        if not (sampled or slow):
            return
        data = trace_json(spans)
        start = min(s.start for s in spans)
        if sampled:
            self.recent.append((start, data))
        if slow:
            entry = (duration, -trace, start, data)
            if len(self.slowest) < SLOWEST:
                heapq.heappush(self.slowest, entry)
            else:
                heapq.heapreplace(self.slowest, entry)

    def drop_stale(self, now: float) -> None:
        """Let go of traces whose root never finished (spans after a timeout, a killed caller)."""
        # a trace is as old as the first of its spans to end (its first entry)
        stale = [t for t, spans in self.open_traces.items() if now - spans[0].start > TRACE_STALE]
        for trace in stale:
            del self.open_traces[trace]

    def take(self) -> tuple[list[int], list[int], list[float], list[float], list[int], list[int]]:
        """The figures since the last call (counts, errors, p50 s, p99 s, edge counts, errors)."""
        counts, errors = self.counts, self.errors
        p50: list[float] = []
        p99: list[float] = []
        for values in self.latencies:
            values.sort()
            p50.append(_quantile(values, 0.5))
            p99.append(_quantile(values, 0.99))
        n = len(counts)
        self.counts = [0] * n
        self.errors = [0] * n
        self.latencies = [[] for _ in range(n)]
        edge_counts, edge_errors = self.edge_counts, self.edge_errors
        self.edge_counts = [0] * len(edge_counts)
        self.edge_errors = [0] * len(edge_errors)
        return counts, errors, p50, p99, edge_counts, edge_errors


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the loop thread may read of the run: built by the run's thread, never changed."""

    t: float
    speed: float
    paused: bool
    topology: dict[str, Any]
    traces: tuple[dict[str, Any], ...]
    trace_data: Mapping[str, dict[str, Any]]


class _Lifecycle:
    """The graph sink that records when instances start and end (simulated seconds)."""

    def __init__(self, simulation: Simulation) -> None:
        self.simulation = simulation
        self.ids: dict[str, int] = {}
        self.born: dict[int, float] = {}
        self.died: dict[int, float] = {}
        self.new_born: list[int] = []
        self.new_died: list[tuple[int, float]] = []
        self.recording = True

    def started(self, instance: Instance) -> None:
        self.ids[instance.name] = instance.id
        self.born[instance.id] = self.simulation.env.now
        self.new_born.append(instance.id)

    def node(self, name: str, package: str, timestamp: str, address: str) -> None:
        """Learn the instance's id (it is the simulation's newest instance)."""
        instances = self.simulation.instances
        if instances and instances[-1].name == name:
            self.ids[name] = instances[-1].id

    def edge(self, ident: int, source: str, target: str, timestamp: str) -> None:
        """Nothing: service edges come from the architecture."""

    def forget(self, ident: int, source: str, target: str, timestamp: str) -> None:
        """Nothing."""

    def done(self, name: str, timestamp: str) -> None:
        if not self.recording:
            return
        ident = self.ids.get(name)
        if ident is not None and ident not in self.died:
            when = self.simulation.env.now
            self.died[ident] = when
            self.new_died.append((ident, when))


class LiveSession:
    """A paced simulation served to websocket clients (see the module notes).

    Args:
        arch: The architecture to run.
        options: The run's options (its duration included).
        chaos: Chaos actions to apply at their times (a scenario's schedule).
        speed: Simulated seconds per wall second.
        push_interval: Wall seconds between two ticks.
        source: What is run, as ``/api/session`` shows it.

    """

    def __init__(
        self,
        arch: Architecture,
        options: RunOptions,
        *,
        chaos: Sequence[ChaosAction] = (),
        speed: float = 1.0,
        push_interval: float = DEFAULT_PUSH_INTERVAL,
        source: str = "",
        trace_every: int = TRACE_EVERY,
    ) -> None:
        self.arch = arch
        self.options = options
        self.source = source or arch.source or arch.arch
        edges = architecture_edges(arch)
        self._figures = _Figures(len(arch.services), edges, trace_every, TRACE_RING)
        self.simulation = Simulation(
            arch, options, span_observers=[self._figures.on_span], chaos=chaos
        )
        self._lifecycle = _Lifecycle(self.simulation)
        self.simulation.recorder.sinks.append(self._lifecycle)
        self.simulation.instance_started.append(self._lifecycle.started)
        self.driver = PacedDriver(
            speed,
            push_interval=push_interval,
            on_push=self._push,
            on_step=self._apply_commands,
            push_while_paused=True,
        )
        self._commands: queue.SimpleQueue[tuple[protocol.Command, Reply]] = queue.SimpleQueue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._publish: Publish | None = None
        self._thread: threading.Thread | None = None
        self._chaos_seen = 0
        self._last_t = 0.0
        self._topology: dict[str, Any] | None = None
        self._steps: list[dict[str, Any]] | None = None
        #: the latest snapshot, set on the loop's thread with the tick it goes with
        self.snapshot: Snapshot | None = None
        #: set (on the run's thread) once the run is over
        self.finished = threading.Event()
        self.status = "running"
        self.end_t = 0.0
        self.pushes = 0
        self.commands_applied = 0

    @property
    def duration(self) -> float:
        """The run's simulated duration."""
        return self.options.duration

    # -- the loop's side ------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop, publish: Publish) -> None:
        """Run on a background thread; ``publish(text, message)`` is called on ``loop``."""
        self._loop = loop
        self._publish = publish
        self._thread = threading.Thread(target=self._run, name="monkeyhouse-live", daemon=True)
        self._thread.start()

    def submit(self, command: protocol.Command, reply: Reply) -> None:
        """Queue a client's command; ``reply`` is called on the loop with ack or error."""
        if self.finished.is_set():
            reply(protocol.error(command.id, "the run is over: no command applies any more"))
            return
        self._commands.put((command, reply))
        self.driver.wake()

    def hello(self) -> dict[str, Any] | None:
        """The ``hello`` for a client connecting now (None before the first tick)."""
        snap = self.snapshot
        if snap is None:
            return None
        message = protocol.hello(
            arch=self.arch.arch,
            duration=self.duration,
            speed=snap.speed,
            paused=snap.paused,
            t=snap.t,
            topology=snap.topology,
        )
        if self.arch.arch == MIGRATION:
            if self._steps is None:
                self._steps = migration_steps()
            message["steps"] = self._steps
        return message

    def stop(self, timeout: float = 10.0) -> None:
        """End the run (status interrupted if it was still going) and wait for its thread."""
        self.driver.stop()
        if self._thread is not None:
            self._thread.join(timeout)

    # -- the run's thread -----------------------------------------------------------------
    def _call(self, callback: Callable[..., object], *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(callback, *args)

    def _run(self) -> None:
        try:
            summary = self.driver.drive(self.simulation)
            status = summary.status
        except MonkeyhouseError as problem:
            log.error("live run failed: %s", problem)
            status = "interrupted"
        except Exception:
            log.exception("live run failed")
            status = "interrupted"
        self.status = status
        self.end_t = round(self.driver.sim_time, 9)
        self.finished.set()
        self._drain_after_end()
        message = protocol.end(status, self.end_t)
        self._call(self._deliver, None, protocol.encode(message), message)

    def _drain_after_end(self) -> None:
        while True:
            try:
                command, reply = self._commands.get_nowait()
            except queue.Empty:
                return
            self._call(reply, protocol.error(command.id, "the run is over: nothing was applied"))

    def _deliver(self, snapshot: Snapshot | None, text: str, message: Mapping[str, Any]) -> None:
        """On the loop: make ``snapshot`` current and hand ``text`` to the clients."""
        if snapshot is not None:
            self.snapshot = snapshot
        if self._publish is not None:
            self._publish(text, message)

    def _push(self, simulation: Simulation) -> None:
        try:
            snapshot, message = self._tick(simulation)
        except Exception:  # a bug here must not end the run
            log.exception("live tick failed")
            return
        self.pushes += 1
        self._call(self._deliver, snapshot, protocol.encode(message), message)

    def _tick(self, simulation: Simulation) -> tuple[Snapshot, dict[str, Any]]:
        now = simulation.env.now
        interval = now - self._last_t
        self._last_t = now
        figures = self._figures
        counts, errors, p50, p99, edge_counts, edge_errors = figures.take()
        figures.drop_stale(now)
        per = (1.0 / interval) if interval > 0 else 0.0
        live_per_service = [0] * len(simulation.services)
        for runtime in simulation.services:
            live_per_service[runtime.index] = sum(1 for i in runtime.instances if i.alive)
        life = self._lifecycle
        born_ids, life.new_born = life.new_born, []
        died, life.new_died = life.new_died, []
        if self._topology is None or born_ids or died:
            self._topology = simulation_topology(simulation, life.born, life.died)
        instances = simulation.instances
        born = [
            instance_entry(
                i,
                instances[i].name,
                instances[i].service.index,
                instances[i].region,
                instances[i].zone,
                life.born.get(i, now),
                life.died.get(i),
            )
            for i in born_ids
        ]
        log_records = simulation.chaos_log
        chaos = [r.to_json() for r in log_records[self._chaos_seen :]]
        self._chaos_seen = len(log_records)
        driver = self.driver
        message = protocol.tick(
            t=round(now, 9),
            speed=driver.speed,
            paused=driver.paused,
            live=sum(live_per_service),
            services={
                "rate": [c * per for c in counts],
                "errors": [e * per for e in errors],
                "p50_ms": [v * 1000.0 for v in p50],
                "p99_ms": [v * 1000.0 for v in p99],
                "live": live_per_service,
            },
            edges={
                "rate": [c * per for c in edge_counts],
                "errors": [e * per for e in edge_errors],
            },
            born=born,
            died=died,
            commands=[command_json(c) for c in simulation.commands()],
            chaos=chaos,
            faults=[fault_json(f) for f in simulation.faults],
        )
        recent = [trace_summary(data, start) for start, data in figures.recent]
        slow = sorted(figures.slowest, reverse=True)
        recent.extend(trace_summary(data, start) for _, _, start, data in slow)
        data_by_id = {d["trace"]: d for _, d in figures.recent}
        data_by_id.update({d["trace"]: d for _, _, _, d in slow})
        seen: set[str] = set()
        summaries = []
        for line in recent:
            if line["trace"] not in seen:
                seen.add(line["trace"])
                summaries.append(line)
        snapshot = Snapshot(
            t=round(now, 9),
            speed=driver.speed,
            paused=driver.paused,
            topology=self._topology,
            traces=tuple(summaries),
            trace_data=data_by_id,
        )
        return snapshot, message

    def _apply_commands(self, simulation: Simulation) -> None:
        while True:
            try:
                command, reply = self._commands.get_nowait()
            except queue.Empty:
                return
            try:
                result = self._apply(simulation, command)
            except (UsageError, MonkeyhouseError) as problem:
                answer = protocol.error(command.id, str(problem))
            except Exception as problem:  # a bug must not end the run
                log.exception("live command failed")
                answer = protocol.error(command.id, f"the command failed: {problem}")
            else:
                self.commands_applied += 1
                answer = protocol.ack(command.id, result)
            self._call(reply, answer)

    def _apply(self, simulation: Simulation, command: protocol.Command) -> dict[str, Any]:
        driver = self.driver
        match command:
            case protocol.Control(action="pause"):
                driver.pause()
                return {"paused": True, "t": round(simulation.env.now, 9)}
            case protocol.Control(action="resume"):
                driver.resume()
                return {"paused": False, "t": round(simulation.env.now, 9)}
            case protocol.Control(action="speed", speed=speed) if speed is not None:
                driver.set_speed(speed)
                return {"speed": driver.speed}
            case protocol.KillInstance(instance=name):
                return {"killed": [simulation.kill_instance(name)]}
            case protocol.KillInstances(service=service, count=count):
                return {"killed": simulation.kill_instances(service, count=count)}
            case protocol.AddLatency(
                service=service, latency_ms=latency_ms, error_rate=rate, caller=caller
            ):
                fault = simulation.add_latency(service, latency_ms / 1000.0, rate, caller)
                return {"fault": fault_json(fault)}
            case protocol.FailZone(region=region, zone=zone):
                fault = simulation.fail_zone(region, zone)
                return {"fault": fault_json(fault), "killed": [i.name for i in fault.killed]}
            case protocol.FailRegion(region=region):
                fault = simulation.fail_region(region)
                return {"fault": fault_json(fault), "killed": [i.name for i in fault.killed]}
            case protocol.Partition(a=a, b=b):
                fault = simulation.partition(a, b)
                return {"fault": fault_json(fault)}
            case protocol.RemoveFault(fault=ident):
                faults = simulation.faults
                found = next((f for f in faults if f.ident == ident), None)
                if found is None:
                    known = ", ".join(str(f.ident) for f in faults) or "none yet"
                    raise UsageError(f"remove_fault: no fault {ident} (faults: {known})")
                was_active = found.active
                simulation.remove_fault(found)
                return {"fault": fault_json(found), "was_active": was_active}
        raise UsageError(f"{type(command).__name__}: not a command this server applies")
