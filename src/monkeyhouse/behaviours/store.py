"""store, cache and volume: generic storage (MySQL, S3, memcache, Kafka, ZooKeeper, disks).

Each node keeps a key/value map seeded with ``why?`` -> ``because...``. A read answers with the
stored value (empty when missing). A write is stored and replicated to every connected node of
the same package, which happens when the service lists itself as a dependency (a MySQL pair).
"""

from __future__ import annotations

from monkeyhouse.behaviours.base import Behaviour
from monkeyhouse.behaviours.messages import REPLICATE, Message
from monkeyhouse.topology.instances import Instance

SEED = {"why?": "because..."}


class Store(Behaviour):
    """A key/value node that answers reads and replicates writes to its peers."""

    package = "store"
    description = "generic storage node (MySQL, S3, Kafka, ZooKeeper): any zone"

    def start(self, instance: Instance) -> None:
        """A fresh map with the seed key."""
        instance.state = dict(SEED)

    def on_get(self, instance: Instance, message: Message) -> None:
        """Answer with the stored value."""
        self.reply(instance, message, instance.state.get(message.key, ""))

    def on_put(self, instance: Instance, message: Message) -> None:
        """Store and replicate to every peer of the same package."""
        instance.state[message.key] = message.value
        package = self.package
        for view in instance.views:
            if view.dependency.package != package:
                continue
            for peer in view.live:
                if peer is not instance:
                    self.forward(instance, message, peer, REPLICATE, message.key, message.value)

    def on_replicate(self, instance: Instance, message: Message) -> None:
        """Store a peer's write."""
        instance.state[message.key] = message.value


class Cache(Store):
    """A cache node (spigo's fake memcache); otherwise a store."""

    package = "cache"
    description = "cache node (memcache, EVCache)"


class Volume(Store):
    """A disk volume (spigo's fake disk); otherwise a store."""

    package = "volume"
    description = "disk volume"
