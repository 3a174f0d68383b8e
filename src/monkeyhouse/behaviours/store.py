"""store, cache and volume: generic storage (MySQL, S3, memcache, Kafka, ZooKeeper, disks).

Each node keeps a key/value map seeded with ``why?`` -> ``because...``. A read answers with the
stored value (empty when missing). A write is stored, replicated to every connected node of the
same package (which happens when the service lists itself as a dependency: a MySQL pair), and
acknowledged. Replicas arrive as one-way messages that take a thread like any request.
"""

from __future__ import annotations

from monkeyhouse.behaviours.base import Behaviour, Work
from monkeyhouse.behaviours.messages import GET, PUT, REPLICATE
from monkeyhouse.topology.instances import Instance

SEED = {"why?": "because..."}


class Store(Behaviour):
    """A key/value node that answers reads and replicates writes to its peers."""

    package = "store"
    description = "generic storage node (MySQL, S3, Kafka, ZooKeeper): any zone"

    def start(self, instance: Instance) -> None:
        """A fresh map with the seed key, and threads."""
        super().start(instance)
        instance.state = dict(SEED)

    def serve_leaf(self, work: Work) -> None:
        """Read, write (and replicate) or store a replica."""
        request = work.request
        instance = work.instance
        data = instance.state
        if request.kind == GET:
            self.answer(work, data.get(request.key, ""))
            return
        data[request.key] = request.value
        if request.kind == PUT:
            for view in instance.views:
                if view.dependency.package != self.package:
                    continue
                for peer in view.live:
                    if peer is not instance:
                        self.call(
                            None,
                            instance,
                            peer,
                            REPLICATE,
                            request.key,
                            request.value,
                            trace=request.trace,
                            parent=work.span_id,
                        )
        self.answer(work, "ok")


class Cache(Store):
    """A cache node (spigo's fake memcache); otherwise a store."""

    package = "cache"
    description = "cache node (memcache, EVCache)"


class Volume(Store):
    """A disk volume (spigo's fake disk); otherwise a store."""

    package = "volume"
    description = "disk volume"
