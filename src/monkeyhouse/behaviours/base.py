"""The base of every behaviour: one object per service, handling messages for its instances.

A behaviour is registered for a package name through the ``monkeyhouse.behaviours`` entry point
group, the built-in ones exactly like third-party ones. Class attributes say how the package is
wired: ``same_zone`` (karyon and zuul only route to instances in their own zone) and
``deregisters`` (the instance tells its registry it is leaving on shutdown, which is what writes
spigo's ``done`` entries).
"""

from __future__ import annotations

from typing import Any, ClassVar

from monkeyhouse.behaviours.context import Context
from monkeyhouse.behaviours.messages import (
    GET,
    GOLD_COIN,
    NAME_DROP,
    PUT,
    REPLICATE,
    RESPONSE,
    Message,
)
from monkeyhouse.patterns.discovery import View
from monkeyhouse.topology.instances import Instance, ServiceRuntime


class Behaviour:
    """What the instances of one service do with the messages they receive."""

    package: ClassVar[str] = ""
    description: ClassVar[str] = ""
    same_zone: ClassVar[bool] = False
    deregisters: ClassVar[bool] = False

    def __init__(self, context: Context, service: ServiceRuntime) -> None:
        self.context = context
        self.service = service
        self.rng = context.rng(f"behaviour/{service.name}")
        self.received = 0
        self.requests = 0
        self.responses = 0
        self.dropped = 0

    # -- life cycle ------------------------------------------------------------------------
    def start(self, instance: Instance) -> None:
        """Set up per-instance state when ``instance`` starts."""

    def launch(self, instances: list[Instance]) -> None:
        """Called once when every instance of the run is up (pirates meet each other here)."""

    def drive(self, instance: Instance, interval: float, until: float) -> None:
        """Make traffic from ``instance`` every ``interval`` seconds (only denominators do)."""

    def stop(self, instance: Instance) -> None:
        """``instance`` is going away."""

    # -- messages --------------------------------------------------------------------------
    def receive(self, instance: Instance, message: Message) -> None:
        """Dispatch ``message`` by kind."""
        self.received += 1
        kind = message.kind
        if kind == GET:
            self.requests += 1
            self.on_get(instance, message)
        elif kind == RESPONSE:
            self.responses += 1
            self.on_response(instance, message)
        elif kind == PUT:
            self.requests += 1
            self.on_put(instance, message)
        elif kind == REPLICATE:
            self.on_replicate(instance, message)
        elif kind == NAME_DROP:
            self.on_name_drop(instance, message)
        elif kind == GOLD_COIN:
            self.on_gold_coin(instance, message)
        else:
            self.dropped += 1

    def on_get(self, instance: Instance, message: Message) -> None:
        """A read request arrived."""
        self.dropped += 1

    def on_response(self, instance: Instance, message: Message) -> None:
        """A response to a request this instance sent arrived: pass it back upstream."""
        request = message.link
        origin = request.link if request is not None else None
        if origin is None:
            return
        self.reply(instance, origin, message.value)

    def on_put(self, instance: Instance, message: Message) -> None:
        """A write arrived."""
        self.dropped += 1

    def on_replicate(self, instance: Instance, message: Message) -> None:
        """A replica of a write arrived from a peer."""
        self.dropped += 1

    def on_name_drop(self, instance: Instance, message: Message) -> None:
        """Someone told this instance about another one."""
        self.dropped += 1

    def on_gold_coin(self, instance: Instance, message: Message) -> None:
        """Someone gave this instance gold."""
        self.dropped += 1

    # -- helpers ---------------------------------------------------------------------------
    def pick(self, instance: Instance, views: tuple[View, ...] | list[View] | None = None) -> Any:
        """A random live target among ``views`` (default: all of the instance's), never itself.

        spigo's ribbon routing: uniform over every instance in the routing table.
        """
        if views is None:
            views = instance.views
        total = 0
        for view in views:
            total += len(view.live)
        if total == 0:
            return None
        rng = self.rng
        chosen: Any = None
        for _ in range(8):
            r = int(rng.random() * total)
            for view in views:
                live = view.live
                if r < len(live):
                    chosen = live[r]
                    break
                r -= len(live)
            if chosen is not instance:
                return chosen
            if total == 1:
                return None
        return None

    def forward(
        self,
        instance: Instance,
        incoming: Message | None,
        target: Instance,
        kind: int,
        key: str,
        value: Any = "",
    ) -> Message:
        """Send a request on behalf of ``incoming`` (a new span whose parent is its span)."""
        context = self.context
        if incoming is None:
            span = context.next_span()
            message = Message(kind, instance, target, span, 0, span, key, value)
        else:
            message = Message(
                kind,
                instance,
                target,
                incoming.trace,
                incoming.span,
                context.next_span(),
                key,
                value,
                incoming,
            )
        context.send(message)
        return message

    def reply(self, instance: Instance, request: Message, value: Any) -> None:
        """Answer ``request`` with ``value``, in the request's own span."""
        response = Message(
            RESPONSE,
            instance,
            request.reply_to,
            request.trace,
            request.parent,
            request.span,
            request.key,
            value,
            request,
        )
        self.context.send(response)

    def statistics(self) -> dict[str, int]:
        """Counters for this service."""
        return {
            "received": self.received,
            "requests": self.requests,
            "responses": self.responses,
            "dropped": self.dropped,
        }
