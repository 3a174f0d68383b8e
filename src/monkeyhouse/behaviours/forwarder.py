"""Services that pass each request on to one dependency instance and relay the answer back.

elb, zuul, karyon and monolith all work this way; they differ in how they route (zuul and
karyon keep to their own zone) and whether they deregister on shutdown.
"""

from __future__ import annotations

from monkeyhouse.behaviours.base import Behaviour
from monkeyhouse.behaviours.messages import GET, PUT, Message
from monkeyhouse.topology.instances import Instance


class Forwarder(Behaviour):
    """Forward GetRequest and Put to a random dependency instance; relay GetResponse back."""

    def on_get(self, instance: Instance, message: Message) -> None:
        """Pass the read on; with nowhere to send it the request is dropped."""
        target = self.pick(instance)
        if target is None:
            self.dropped += 1
            return
        self.forward(instance, message, target, GET, message.key)

    def on_put(self, instance: Instance, message: Message) -> None:
        """Pass the write on (writes are fire and forget)."""
        target = self.pick(instance)
        if target is None:
            self.dropped += 1
            return
        self.forward(instance, message, target, PUT, message.key, message.value)
