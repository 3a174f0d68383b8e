"""What behaviours share while a run goes on: time, randomness, delivery and trace ids.

Delivery takes the network latency between the two instances' places. A message to an instance
that is no longer alive is lost (counted, as spigo's would be). Observers (the message log of
``-m``, later the span collector) see each delivered message; an observer that raises is
detached and reported, it never ends the run.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

from monkeyhouse.behaviours.messages import Message
from monkeyhouse.engine import Environment, RandomStreams
from monkeyhouse.topology.instances import Instance
from monkeyhouse.topology.network import LatencyModel

log = logging.getLogger("monkeyhouse")

MessageObserver = Callable[[Message, float], None]


class Context:
    """The run as behaviours see it."""

    __slots__ = (
        "_next_span",
        "delivered",
        "edge_observer",
        "env",
        "latency",
        "lost",
        "observers",
        "registry_lookup",
        "sent",
        "streams",
    )

    def __init__(self, env: Environment, streams: RandomStreams, latency: LatencyModel) -> None:
        self.env = env
        self.streams = streams
        self.latency = latency
        self.observers: list[MessageObserver] = []
        self.sent = 0
        self.delivered = 0
        self.lost = 0
        self._next_span = 0
        #: told about edges a behaviour makes itself (pirates befriending pirates)
        self.edge_observer: Callable[[Instance, Instance], None] | None = None
        #: the names of the registered instances of a service (for eureka nodes)
        self.registry_lookup: Callable[[str], list[str]] | None = None

    def rng(self, name: str) -> random.Random:
        """The seeded random stream called ``name``."""
        return self.streams.stream(name)

    def next_span(self) -> int:
        """A new span id (ids count from 1 in each run)."""
        self._next_span += 1
        return self._next_span

    def send(self, message: Message) -> None:
        """Deliver ``message`` to its target after the network latency."""
        sender: Instance = message.sender
        target: Instance = message.target
        message.sent = self.env.now
        self.sent += 1
        delay = self.latency.between(sender.region, sender.zone, target.region, target.zone)
        self.env.schedule(delay, self._deliver, message)

    def _deliver(self, message: Message) -> None:
        target: Instance = message.target
        if not target.alive:
            self.lost += 1
            return
        self.delivered += 1
        if self.observers:
            self._observe(message)
        target.service.behaviour.receive(target, message)

    def _observe(self, message: Message) -> None:
        now = self.env.now
        for observer in list(self.observers):
            try:
                observer(message, now)
            except Exception as error:
                log.warning(
                    "instrument %r failed (%s: %s) and was detached; the run goes on",
                    observer,
                    type(error).__name__,
                    error,
                )
                self.observers.remove(observer)
