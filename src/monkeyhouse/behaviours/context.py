"""What behaviours share while a run goes on: time, randomness, delivery, ids and instruments.

Delivery takes the network latency between the two instances' places plus the time to send the
payload at the network's bandwidth. A message to an instance that is no longer alive is lost
(counted). Observers see each delivered message (the message log of ``-m``); span observers get
each finished span (traces and metrics). An instrument that raises is detached and reported in
one line; it never ends the run. With no span observer, no span objects are made.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

from monkeyhouse.behaviours.messages import GET, PUT, RESPONSE, Message
from monkeyhouse.behaviours.spans import TARGET_DEAD, Span
from monkeyhouse.engine import Environment, RandomStreams
from monkeyhouse.model.architecture import EUREKA
from monkeyhouse.model.resilience import Resilience, resilience_of
from monkeyhouse.model.timing import (
    CallSettings,
    NetworkSettings,
    ServiceTiming,
    calls_of,
    timing_of,
)
from monkeyhouse.topology.instances import Instance, ServiceRuntime
from monkeyhouse.topology.network import LatencyModel

log = logging.getLogger("monkeyhouse")

MessageObserver = Callable[[Message, float], None]
SpanObserver = Callable[[Span], None]


class Context:
    """The run as behaviours see it."""

    __slots__ = (
        "_cross_zone",
        "_deliver_later",
        "_network",
        "_next_span",
        "_per_byte",
        "_same_zone",
        "_schedule",
        "delivered",
        "edge_observer",
        "env",
        "latency",
        "lost",
        "observers",
        "registry_lookup",
        "sent",
        "span_observers",
        "streams",
    )

    def __init__(self, env: Environment, streams: RandomStreams, latency: LatencyModel) -> None:
        self.env = env
        self.streams = streams
        self.latency = latency
        self._per_byte = 1.0 / latency.bandwidth if latency.bandwidth > 0 else 0.0
        # The hot path's constants: the engine's schedule, this context's delivery, and the
        # latency model's figures (read once; ``send`` checks the model was not replaced).
        self._schedule = env.schedule
        self._deliver_later = self._deliver
        self._network: NetworkSettings | None = None
        self._same_zone = self._cross_zone = 0.0
        if isinstance(latency, LatencyModel):
            self._network = latency.settings
            self._same_zone = latency.settings.same_zone
            self._cross_zone = latency.settings.cross_zone
        self.observers: list[MessageObserver] = []
        self.span_observers: list[SpanObserver] = []
        self.sent = 0
        self.delivered = 0
        self.lost = 0
        self._next_span = 0
        #: told about edges a behaviour makes itself (pirates befriending pirates)
        self.edge_observer: Callable[[Instance, Instance], None] | None = None
        #: the names of the registered instances of a service (for eureka nodes)
        self.registry_lookup: Callable[[str], list[str]] | None = None

    # -- configuration ---------------------------------------------------------------------
    @staticmethod
    def timing_of(service: ServiceRuntime) -> ServiceTiming:
        """The service's timing: its package's defaults overridden by its own settings."""
        return timing_of(service.spec)

    @staticmethod
    def calls_of(service: ServiceRuntime) -> tuple[CallSettings, ...]:
        """Call settings per dependency, in the order of the service's views."""
        spec = service.spec
        return tuple(calls_of(d) for d in spec.dependencies if d.service != EUREKA)

    @staticmethod
    def resilience_of(service: ServiceRuntime) -> tuple[Resilience, ...]:
        """The protection of each dependency's calls, in the order of the service's views."""
        spec = service.spec
        return tuple(resilience_of(spec, d) for d in spec.dependencies if d.service != EUREKA)

    # -- randomness and ids ----------------------------------------------------------------
    def rng(self, name: str) -> random.Random:
        """The seeded random stream called ``name``."""
        return self.streams.stream(name)

    def next_span(self) -> int:
        """A new span id (ids count from 1 in each run)."""
        self._next_span += 1
        return self._next_span

    # -- delivery --------------------------------------------------------------------------
    def send(self, message: Message, size: int = 0) -> None:
        """Deliver ``message`` to its target after the latency and the payload's transfer."""
        sender: Instance = message.sender
        target: Instance = message.target
        env = self.env
        message.sent = env.now
        self.sent += 1
        network = self._network
        if network is not None and network is self.latency.settings:
            # LatencyModel.between, inlined: the same figures, one call fewer per message.
            region_a = sender.region
            region_b = target.region
            if region_a != region_b and region_a != "*" and region_b != "*":
                delay = network.region_latency(region_a, region_b)
            else:
                zone_a = sender.zone
                zone_b = target.zone
                if zone_a == zone_b or zone_a == "*" or zone_b == "*":
                    delay = self._same_zone
                else:
                    delay = self._cross_zone
        else:
            delay = self.latency.between(sender.region, sender.zone, target.region, target.zone)
        if size:
            delay += size * self._per_byte
        self._schedule(delay, self._deliver_later, message)

    def _deliver(self, message: Message) -> None:
        target: Instance = message.target
        if not target.alive:
            self.lost += 1
            if message.kind in (GET, PUT):
                self._refuse(message)
            return
        self.delivered += 1
        if self.observers:
            self._observe(message)
        target.service.behaviour.receive(target, message)

    def _refuse(self, request: Message) -> None:
        """The instance is gone: its host refuses the connection and the caller hears so.

        A terminated instance's address answers with a reset (connection refused), which
        travels back like any answer; without it callers would hold their threads forever.
        """
        response = Message(
            RESPONSE,
            request.target,
            request.reply_to,
            request.trace,
            request.parent,
            request.span,
            request.key,
            "",
            request,
        )
        response.error = TARGET_DEAD
        self.send(response)

    def _observe(self, message: Message) -> None:
        now = self.env.now
        for observer in list(self.observers):
            try:
                observer(message, now)
            except Exception as error:
                self._detach(self.observers, observer, error)

    def emit_span(self, span: Span) -> None:
        """Hand a finished span to every span observer."""
        observers = self.span_observers
        if len(observers) == 1:
            observer = observers[0]
            try:
                observer(span)
            except Exception as error:
                self._detach(observers, observer, error)
            return
        for observer in list(observers):
            try:
                observer(span)
            except Exception as error:
                self._detach(self.span_observers, observer, error)

    @staticmethod
    def _detach(observers: list[Any], observer: Any, error: Exception) -> None:
        log.warning(
            "instrument %r failed (%s: %s) and was detached; the run goes on",
            observer,
            type(error).__name__,
            error,
        )
        observers.remove(observer)
