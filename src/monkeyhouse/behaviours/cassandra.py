"""priamCassandra (and riak): a Cassandra cluster managed by Priam.

Each node keeps a key/value map seeded with ``why?`` -> ``because...``. The nodes of one service
in one region and zone form a token ring (spigo's rings are per zone; every zone holds a replica).
A read is answered by the node that got it when it owns the key (Cassandra's consistency ONE),
else forwarded to the owner, which answers the original caller directly. A write is stored by
the owner, then replicated to one node in each other zone of the region and one node in each
other region the node can see; a replica arriving from another region is copied once more to
the other zones of the receiving region.
"""

from __future__ import annotations

from monkeyhouse.behaviours.base import Behaviour
from monkeyhouse.behaviours.context import Context
from monkeyhouse.behaviours.messages import REPLICATE, Message
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
    """A Cassandra node: token-ring ownership, forwarding to owners, replication across zones."""

    package = "priamCassandra"
    description = "Cassandra node managed by Priam: token ring per zone, cross-zone replication"

    def __init__(self, context: Context, service: ServiceRuntime) -> None:
        super().__init__(context, service)
        self._peers: dict[int, tuple[int, dict[tuple[str, str], list[Instance]]]] = {}

    def start(self, instance: Instance) -> None:
        """A fresh map with the seed key."""
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

    def _owner(self, instance: Instance, key: str) -> Instance:
        ring = instance.state.ring
        if ring is None or len(ring) < 2:
            return instance
        owner: Instance = ring.owner(key)
        return owner

    def on_get(self, instance: Instance, message: Message) -> None:
        """Answer if this node owns the key, else hand the read to the owner.

        A read handed over by a peer carries the original request as its link; the owner
        answers that request, straight to the original caller.
        """
        owner = self._owner(instance, message.key)
        sender: Instance = message.sender
        original = message.link if sender.service is self.service else message
        if owner is instance or original is None:
            self.reply(instance, original or message, instance.state.data.get(message.key, ""))
            return
        self._hand_over(instance, owner, message, original)

    def _hand_over(
        self, instance: Instance, owner: Instance, message: Message, original: Message
    ) -> None:
        """Pass ``message`` to the key's owner: a new span with the same parent."""
        forwarded = Message(
            message.kind,
            instance,
            owner,
            message.trace,
            message.parent,
            self.context.next_span(),
            message.key,
            message.value,
            original,
            message.reply_to,
        )
        self.context.send(forwarded)

    def _store(self, instance: Instance, message: Message) -> None:
        """Store a write or a replica if this node owns the key, else hand it to the owner."""
        owner = self._owner(instance, message.key)
        if owner is instance:
            instance.state.data[message.key] = message.value
        else:
            self._hand_over(instance, owner, message, message)

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

    def _replicate(self, instance: Instance, message: Message, other_regions: bool) -> None:
        groups = self._peer_groups(instance)
        seen_regions = set()
        for (region, zone), peers in groups.items():
            if region == instance.region:
                if zone == instance.zone:
                    continue
            elif not other_regions or region in seen_regions:
                continue
            else:
                seen_regions.add(region)
            target = peers[int(self.rng.random() * len(peers))]
            if target is not instance:
                self.forward(instance, message, target, REPLICATE, message.key, message.value)

    def on_put(self, instance: Instance, message: Message) -> None:
        """Store (or hand to the owner), then replicate to other zones and regions."""
        self._store(instance, message)
        self._replicate(instance, message, other_regions=True)

    def on_replicate(self, instance: Instance, message: Message) -> None:
        """Store a replica; one from another region is copied to this region's other zones."""
        self._store(instance, message)
        sender: Instance = message.sender
        if sender.region != instance.region:
            self._replicate(instance, message, other_regions=False)


class Riak(PriamCassandra):
    """Riak runs the Cassandra model, as in spigo."""

    package = "riak"
    description = "Riak node (modelled like Cassandra)"
