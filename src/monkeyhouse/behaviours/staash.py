"""staash: the data access layer in front of caches and databases ("storage tier as a service").

Dependencies are grouped into tiers by package, in the order cache, volume, Cassandra (and riak),
store, staash. A read goes to a random instance of the first tier that has any; when that tier
answers empty the next tier is tried, and the client gets an empty answer when none is left
(spigo meant this but dropped such reads; see docs/spigo-compatibility.md). A write goes to one
random instance of every tier, with volume keys prefixed by the writer's instance name.
"""

from __future__ import annotations

from monkeyhouse.behaviours.base import Behaviour
from monkeyhouse.behaviours.context import Context
from monkeyhouse.behaviours.messages import GET, PUT, Message
from monkeyhouse.patterns.discovery import View
from monkeyhouse.topology.instances import Instance, ServiceRuntime

TIER_ORDER = ("cache", "volume", "priamCassandra", "store", "staash")
TIER_OF = {"cache": 0, "volume": 1, "priamCassandra": 2, "riak": 2, "store": 3, "staash": 4}


class Staash(Behaviour):
    """Data access layer: tiered reads, fan-out writes, any zone, deregisters on shutdown."""

    package = "staash"
    description = "data access layer over cache, volume, Cassandra and store tiers"
    deregisters = True

    def __init__(self, context: Context, service: ServiceRuntime) -> None:
        super().__init__(context, service)
        self._tiers: dict[int, list[list[View]]] = {}

    def tiers(self, instance: Instance) -> list[list[View]]:
        """The instance's views grouped into tiers (shared by instances with the same views)."""
        views = instance.views
        tiers = self._tiers.get(id(views))
        if tiers is None:
            tiers = [[] for _ in TIER_ORDER]
            for view in views:
                tier = TIER_OF.get(view.dependency.package)
                if tier is not None:
                    tiers[tier].append(view)
            self._tiers[id(views)] = tiers
        return tiers

    def _read_from(self, instance: Instance, incoming: Message, first: int) -> bool:
        tiers = self.tiers(instance)
        for tier in range(first, len(tiers)):
            target = self.pick(instance, tiers[tier])
            if target is not None:
                self.forward(instance, incoming, target, GET, incoming.key, tier)
                return True
        return False

    def on_get(self, instance: Instance, message: Message) -> None:
        """Read from the first tier that has an instance."""
        if not self._read_from(instance, message, 0):
            self.reply(instance, message, "")

    def on_response(self, instance: Instance, message: Message) -> None:
        """Pass a value back, or try the next tier after an empty answer."""
        request = message.link
        if request is None or request.link is None:
            return
        origin = request.link
        if message.value == "" and self._read_from(instance, origin, int(request.value) + 1):
            return
        self.reply(instance, origin, message.value)

    def on_put(self, instance: Instance, message: Message) -> None:
        """Write once to every tier that exists."""
        for tier, views in enumerate(self.tiers(instance)):
            target = self.pick(instance, views)
            if target is None:
                continue
            key = message.key
            if TIER_ORDER[tier] == "volume":
                key = f"{instance.label}/{key}"
            self.forward(instance, message, target, PUT, key, message.value)
