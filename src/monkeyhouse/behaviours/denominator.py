"""denominator: the global DNS entry point and the source of traffic.

When traffic arrives at it (from the run's traffic sources) it starts a new trace and sends one
request to a dependency instance: a read of the fixed key ``why?`` or of a key written earlier,
or a write of a new key, as the traffic's mix says (spigo's: two reads for each write). The
answers end the traces; the denominator counts them, their errors and their response times.
A denominator that another service calls routes requests on, as a DNS name does.

DNS failover (Chaos Kong): :meth:`Denominator.fail_over` tells it that some front doors are
dead, as its health checks find once their failures have lasted long enough and the old answers'
TTL has run out; from then on it sends nothing to them and spreads everything over the rest.
Until then a dead front door refuses its share (502), as a real one does. Routing with no
failed-over front door is the plain pick of every behaviour (the failover costs nothing until
it is used).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from monkeyhouse.behaviours.base import Behaviour
from monkeyhouse.behaviours.messages import GET, PUT, Message
from monkeyhouse.patterns.discovery import View
from monkeyhouse.topology.instances import Instance


class DenominatorState:
    """Per-instance counters of the traffic source."""

    __slots__ = (
        "errors",
        "reads",
        "reads_answered",
        "response_max",
        "response_total",
        "unrouted",
        "writes",
        "writes_answered",
    )

    def __init__(self) -> None:
        self.reads = 0
        self.writes = 0
        self.reads_answered = 0
        self.writes_answered = 0
        self.errors = 0
        self.unrouted = 0
        self.response_total = 0.0
        self.response_max = 0.0


class Denominator(Behaviour):
    """Global DNS: routes to any zone and region; the root one makes the traffic."""

    package = "denominator"
    description = "global DNS entry point and traffic source"

    #: front doors DNS no longer sends to (set by :meth:`fail_over`)
    avoided: frozenset[Instance] = frozenset()

    def fail_over(self, dead: Iterable[Instance]) -> None:
        """DNS has found ``dead`` front doors unhealthy: route around them from now on."""
        self.avoided = self.avoided | frozenset(dead)
        if self.avoided:
            # shadow the plain pick on this object only: routing pays for the check only here
            self.pick = self._pick_healthy  # type: ignore[method-assign]

    def _pick_healthy(
        self, instance: Instance, views: tuple[View, ...] | list[View] | None = None
    ) -> Any:
        """A random target among ``views`` that DNS has not failed over, never ``instance``."""
        if views is None:
            views = instance.views
        avoided = self.avoided
        healthy = [
            (index, target)
            for index, view in enumerate(views)
            for target in view.live
            if target is not instance and target not in avoided
        ]
        if not healthy:
            return None
        index, target = healthy[int(self.rng.random() * len(healthy))]
        self.picked_view = index
        return target

    def start(self, instance: Instance) -> None:
        """Give the instance its counters (and threads, for when others call it)."""
        super().start(instance)
        instance.state = DenominatorState()

    def originate(self, instance: Instance, kind: str) -> None:
        """One request from outside: ``kind`` is ``get`` or ``put``."""
        if not instance.alive:
            return
        state: DenominatorState = instance.state
        if kind == "put":
            state.writes += 1
            w = state.writes
            operation, key, value = PUT, f"Why{w}{w * w}", "me"
        else:
            state.reads += 1
            if state.writes and self.rng.random() < 0.5:
                q = 1 + int(self.rng.random() * state.writes)
                key = f"Why{q}{q * q}"
            else:
                key = "why?"
            operation, value = GET, ""
        target = self.pick(instance)
        if target is None:
            state.unrouted += 1
            state.errors += 1
            self.failed += 1
            return
        settings = self.calls[self.picked_view] if self.calls else None
        self.call(
            None,
            instance,
            target,
            operation,
            key,
            value,
            request_bytes=settings.request_bytes if settings else 0,
            reply_bytes=settings.response_bytes if settings else 0,
        )

    def on_answer(self, instance: Instance, request: Message, response: Message) -> None:
        """A trace ended: count it and its response time."""
        state: DenominatorState = instance.state
        elapsed = self.env.now - request.sent
        if response.error:
            state.errors += 1
        elif request.kind == PUT:
            state.writes_answered += 1
        else:
            state.reads_answered += 1
        state.response_total += elapsed
        state.response_max = max(state.response_max, elapsed)
