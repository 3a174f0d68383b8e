"""priamCassandra (and riak): a Cassandra cluster managed by Priam.

Each node keeps a key/value map seeded with ``why?`` -> ``because...``. The nodes of one service
in one region and zone form a token ring (spigo's rings are per zone; every zone holds a replica).
The node a request reaches coordinates it: a read is answered from its own data when it owns the
key (consistency ONE), else it asks the key's owner and passes the answer on. A write is stored
by the owner (through the coordinator), acknowledged, and replicated in the background to one
node in each other zone of the region and one node in each other region the coordinator can see;
a replica arriving from another region is copied once more to the other zones of its region.
"""

from __future__ import annotations

from monkeyhouse.behaviours.base import Behaviour, Work
from monkeyhouse.behaviours.context import Context
from monkeyhouse.behaviours.messages import GET, REPLICATE, Message
from monkeyhouse.patterns.tokenring import TokenRing
from monkeyhouse.topology.instances import Instance, ServiceRuntime

SEED = {"why?": "because..."}


class CassandraState:
    """A node's data and its ring."""

    __slots__ = ("data", "ring")

    def __init__(self) -> None:
        self.data: dict[str, str] = dict(SEED)
        self.ring: TokenRing[Instance] | None = None


class PriamCassandra(Behaviour):
    """A Cassandra node: token-ring ownership, coordination, replication across zones."""

    package = "priamCassandra"
    description = "Cassandra node managed by Priam: token ring per zone, cross-zone replication"
    # a coordinator waits for the key's owner without holding a read thread, and the owner
    # answers its peers from an internal stage: peers' requests take no request thread
    peers_hold_threads = False

    def __init__(self, context: Context, service: ServiceRuntime) -> None:
        super().__init__(context, service)
        self._peers: dict[int, tuple[int, dict[tuple[str, str], list[Instance]]]] = {}

    def start(self, instance: Instance) -> None:
        """A fresh map with the seed key, and threads."""
        super().start(instance)
        instance.state = CassandraState()

    def launch(self, instances: list[Instance]) -> None:
        """Form one ring per region and zone from this service's nodes, in creation order."""
        groups: dict[tuple[str, str], list[Instance]] = {}
        for node in self.service.instances:
            groups.setdefault((node.region, node.zone), []).append(node)
        for members in groups.values():
            ring = TokenRing(members)
            for node in members:
                node.state.ring = ring

    def replaced(self, old: Instance, new: Instance) -> None:
        """``new`` replaces the dead ``old``: it takes its token in the ring (as Priam does)."""
        ring = old.state.ring if old.state is not None else None
        if ring is None or old not in ring.members:
            return
        ring.members[ring.members.index(old)] = new
        new.state.ring = ring

    def _owner(self, instance: Instance, key: str) -> Instance:
        ring = instance.state.ring
        if ring is None or len(ring) < 2:
            return instance
        owner: Instance = ring.owner(key)
        return owner

    def serve_leaf(self, work: Work) -> None:
        """Coordinate a read or write, or store a replica."""
        request = work.request
        instance = work.instance
        sender: Instance = request.sender
        from_peer = sender.service is self.service
        data = instance.state.data
        if request.kind == REPLICATE:
            self._store_replica(instance, request, work)
            self.answer(work, "")
            return
        owner = instance if from_peer else self._owner(instance, request.key)
        if owner is not instance:
            if owner.alive:
                self.call(work, instance, owner, request.kind, request.key, request.value)
                work.steps = []
            else:
                self.fail(work, "504 key owner is down")
            if request.kind == GET or not owner.alive:
                return
        elif request.kind == GET:
            self.answer(work, data.get(request.key, ""))
            return
        else:
            data[request.key] = request.value
        if not from_peer:
            self._replicate(instance, request, work.span_id, other_regions=True)
        if owner is instance:
            self.answer(work, "ok")

    def _store_replica(self, instance: Instance, request: Message, work: Work) -> None:
        owner = self._owner(instance, request.key)
        if owner is instance:
            instance.state.data[request.key] = request.value
        elif owner.alive:
            self.call(
                None,
                instance,
                owner,
                REPLICATE,
                request.key,
                request.value,
                trace=request.trace,
                parent=work.span_id,
            )
        sender: Instance = request.sender
        if sender.region != instance.region and sender.service is self.service:
            self._replicate(instance, request, work.span_id, other_regions=False)

    def _peer_groups(self, instance: Instance) -> dict[tuple[str, str], list[Instance]]:
        """Live peers of the same service that this node can see, by region and zone."""
        groups: dict[tuple[str, str], list[Instance]] = {}
        for view in instance.views:
            if view.dependency is not self.service:
                continue
            cached = self._peers.get(id(view))
            if cached is None or cached[0] != view.version:
                grouped: dict[tuple[str, str], list[Instance]] = {}
                for peer in view.live:
                    grouped.setdefault((peer.region, peer.zone), []).append(peer)
                cached = (view.version, grouped)
                self._peers[id(view)] = cached
            for place, peers in cached[1].items():
                groups.setdefault(place, []).extend(peers)
        return groups

    def _replicate(
        self, instance: Instance, request: Message, parent: int, other_regions: bool
    ) -> None:
        seen_regions = set()
        for (region, zone), peers in self._peer_groups(instance).items():
            if region == instance.region:
                if zone == instance.zone:
                    continue
            elif not other_regions or region in seen_regions:
                continue
            else:
                seen_regions.add(region)
            target = peers[int(self.rng.random() * len(peers))]
            if target is not instance:
                self.call(
                    None,
                    instance,
                    target,
                    REPLICATE,
                    request.key,
                    request.value,
                    trace=request.trace,
                    parent=parent,
                )


class Riak(PriamCassandra):
    """Riak runs the Cassandra model, as in spigo."""

    package = "riak"
    description = "Riak node (modelled like Cassandra)"
