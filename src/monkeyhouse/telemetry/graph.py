"""The graph recorder: turns nodes starting and leaving and views changing into graph entries.

Entries are spigo's: ``node`` (a node appears, with its package and address), ``edge`` (a caller
can now reach a callee; ids ``e1``, ``e2`` ... in the order found), ``forget`` (the caller can no
longer reach it, naming the edge's id) and ``done`` (a node left). Names are instance names
(``arch.region.zone.instanceNN``) or, with spigo's ``-f``, one name per service and zone
(``arch.region.zone.service.package``), in which case edges are deduplicated on those names.

Edges are never stored per pair. Instance edges are numbered as views report joins: when a
target joins a view, the clients then in the view get consecutive ids; when a client joins, it
gets consecutive ids for the targets then in the view. The recorder keeps only those join records
(a few per instance), which is enough to name the ids again when a target is forgotten.
"""

from __future__ import annotations

from typing import Protocol

from monkeyhouse.engine import Environment
from monkeyhouse.patterns.discovery import View
from monkeyhouse.telemetry.timestamps import TimestampFormatter
from monkeyhouse.topology.instances import Instance
from monkeyhouse.topology.names import service_zone_name


class GraphSink(Protocol):
    """Something that writes graph entries as they happen (graph JSON, GraphML ...)."""

    def node(self, name: str, package: str, timestamp: str, address: str) -> None:
        """A node appeared."""

    def edge(self, ident: int, source: str, target: str, timestamp: str) -> None:
        """Edge ``e<ident>`` from ``source`` to ``target`` appeared."""

    def forget(self, ident: int, source: str, target: str, timestamp: str) -> None:
        """Edge ``e<ident>`` went away."""

    def done(self, name: str, timestamp: str) -> None:
        """A node left."""


class _Join:
    """One join record: ``member`` joined ``view`` when ``count`` others were there."""

    __slots__ = ("base", "count", "is_target", "member")

    def __init__(self, is_target: bool, member: Instance, base: int, count: int) -> None:
        self.is_target = is_target
        self.member = member
        self.base = base
        self.count = count


class GraphRecorder:
    """Implements :class:`~monkeyhouse.patterns.discovery.ViewObserver` and writes to sinks."""

    def __init__(
        self,
        env: Environment,
        sinks: list[GraphSink],
        *,
        reduce: bool = False,
        timestamps: TimestampFormatter | None = None,
    ) -> None:
        self.env = env
        self.sinks = sinks
        self.reduce = reduce
        self.stamp = timestamps or TimestampFormatter()
        self.edges = 0
        self.forgets = 0
        self.nodes = 0
        self.dones = 0
        self._next_id = 1
        self._joins: dict[int, list[_Join]] = {}
        self._seen_nodes: set[str] = set()
        self._seen_edges: set[tuple[str, str]] = set()
        self._reduced_members: dict[int, tuple[dict[str, int], dict[str, int]]] = {}
        self._reduced_live: dict[str, int] = {}
        self._dead_clients: dict[int, int] = {}

    def name(self, instance: Instance) -> str:
        """The graph name of ``instance``."""
        if self.reduce:
            svc = instance.service
            return service_zone_name(
                svc.arch, instance.region, instance.zone, svc.name, svc.package
            )
        return instance.name

    # -- nodes -----------------------------------------------------------------------------
    def node(self, instance: Instance) -> None:
        """``instance`` started."""
        name = self.name(instance)
        if self.reduce:
            self._reduced_live[name] = self._reduced_live.get(name, 0) + 1
            if name in self._seen_nodes:
                return
            self._seen_nodes.add(name)
        self.nodes += 1
        stamp = self.stamp.format(self.env.now)
        package = instance.service.package
        for sink in self.sinks:
            sink.node(name, package, stamp, instance.address)

    def done(self, instance: Instance) -> None:
        """``instance`` left (deregistered, or was killed).

        With ``-f`` a collapsed node is done when its last instance leaves.
        """
        for view in instance.views:
            self._dead_clients[id(view)] = self._dead_clients.get(id(view), 0) + 1
        name = self.name(instance)
        if self.reduce:
            left = self._reduced_live.get(name, 0) - 1
            self._reduced_live[name] = left
            if left != 0:
                return
        self.dones += 1
        stamp = self.stamp.format(self.env.now)
        for sink in self.sinks:
            sink.done(name, stamp)

    def direct_edge(self, source: Instance, target: Instance) -> None:
        """An edge made by a behaviour itself, not through discovery (pirates' buddies)."""
        if self.reduce:
            self._emit_reduced(self.name(source), self.name(target))
        else:
            self._emit(source.name, target.name)

    # -- edges -----------------------------------------------------------------------------
    def _emit(self, source: str, target: str) -> None:
        stamp = self.stamp.format(self.env.now)
        ident = self._next_id
        self._next_id += 1
        self.edges += 1
        for sink in self.sinks:
            sink.edge(ident, source, target, stamp)

    def _emit_reduced(self, source: str, target: str) -> None:
        key = (source, target)
        if key not in self._seen_edges:
            self._seen_edges.add(key)
            self._emit(source, target)

    def _reduced(self, view: View) -> tuple[dict[str, int], dict[str, int]]:
        members = self._reduced_members.get(id(view))
        if members is None:
            members = ({}, {})
            self._reduced_members[id(view)] = members
        return members

    def target_joined(self, view: View, target: Instance) -> None:
        """Edges from every client of ``view`` to the new ``target``."""
        if self.reduce:
            client_names, target_names = self._reduced(view)
            tname = self.name(target)
            target_names[tname] = target_names.get(tname, 0) + 1
            for cname, count in client_names.items():
                if cname == tname and count == 1 and target in view.clients:
                    continue
                self._emit_reduced(cname, tname)
            return
        clients = view.clients
        count = len(clients)
        if not self.sinks:
            self.edges += self._live_others(view, target)
            return
        self._joins.setdefault(id(view), []).append(_Join(True, target, self._next_id, count))
        tname = target.name
        stamp = self.stamp.format(self.env.now)
        sinks = self.sinks
        ident = self._next_id
        for i in range(count):
            client = clients[i]
            if client is target:
                continue
            if client.alive:
                for sink in sinks:
                    sink.edge(ident, client.name, tname, stamp)
                self.edges += 1
            ident += 1
        self._next_id = ident

    def client_joined(self, view: View, client: Instance) -> None:
        """Edges from a new ``client`` to every live target of ``view``."""
        if self.reduce:
            client_names, target_names = self._reduced(view)
            cname = self.name(client)
            client_names[cname] = client_names.get(cname, 0) + 1
            for tname, count in target_names.items():
                if cname == tname and count == 1 and client in view.live:
                    continue
                self._emit_reduced(cname, tname)
            return
        targets = view.targets
        count = len(targets)
        if count == 0:
            return
        if not self.sinks:
            self.edges += len(view.live) - (1 if client in view.live else 0)
            return
        self._joins.setdefault(id(view), []).append(_Join(False, client, self._next_id, count))
        cname = client.name
        stamp = self.stamp.format(self.env.now)
        live = set(map(id, view.live))
        ident = self._next_id
        for i in range(count):
            target = targets[i]
            if target is client:
                continue
            if id(target) in live:
                for sink in self.sinks:
                    sink.edge(ident, cname, target.name, stamp)
                self.edges += 1
            ident += 1
        self._next_id = ident

    def target_left(self, view: View, target: Instance) -> None:
        """Forget every edge from a live client of ``view`` to ``target``."""
        if self.reduce:
            return
        if not self.sinks:
            self.forgets += self._live_others(view, target)
            return
        stamp = self.stamp.format(self.env.now)
        tname = target.name
        for join in self._joins.get(id(view), ()):
            if join.is_target:
                if join.member is not target:
                    continue
                ident = join.base
                for i in range(join.count):
                    client = view.clients[i]
                    if client is target:
                        continue
                    if client.alive:
                        self._forget(ident, client.name, tname, stamp)
                    ident += 1
            else:
                client = join.member
                if not client.alive or client is target:
                    continue
                ident = join.base
                for i in range(join.count):
                    other = view.targets[i]
                    if other is client:
                        continue
                    if other is target:
                        self._forget(ident, client.name, tname, stamp)
                        break
                    ident += 1

    def _live_others(self, view: View, target: Instance) -> int:
        """Live clients of ``view`` other than ``target`` (counting without writing)."""
        others = len(view.clients) - self._dead_clients.get(id(view), 0)
        if target.alive and view in target.views:
            others -= 1
        return others

    def _forget(self, ident: int, source: str, target: str, stamp: str) -> None:
        self.forgets += 1
        for sink in self.sinks:
            sink.forget(ident, source, target, stamp)
