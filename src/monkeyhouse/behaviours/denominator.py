"""denominator: the global DNS entry point and the source of traffic.

When it drives traffic it starts a new trace every interval and sends one of three requests with
equal probability: a read of the fixed key ``why?``, a read of a key written earlier, or a write
of a new key. Responses end the trace; the denominator keeps their count and response times.
"""

from __future__ import annotations

from monkeyhouse.behaviours.forwarder import Forwarder
from monkeyhouse.behaviours.messages import GET, PUT, Message
from monkeyhouse.topology.instances import Instance


class DenominatorState:
    """Per-instance counters of the traffic source: reads sent and answered, writes sent."""

    __slots__ = ("completed", "puts", "reads", "response_max", "response_total")

    def __init__(self) -> None:
        self.puts = 0
        self.reads = 0
        self.completed = 0
        self.response_total = 0.0
        self.response_max = 0.0


class Denominator(Forwarder):
    """Global DNS: routes to any zone and region; the root one makes the traffic.

    A denominator that another service calls passes requests on, as a DNS name does.
    """

    package = "denominator"
    description = "global DNS entry point and traffic source"

    def start(self, instance: Instance) -> None:
        """Give the instance its counters."""
        instance.state = DenominatorState()

    def drive(self, instance: Instance, interval: float, until: float) -> None:
        """Start a request every ``interval`` seconds until ``until``."""
        env = self.context.env
        env.every(interval, lambda _now: self._tick(instance), until=until)

    def _tick(self, instance: Instance) -> None:
        if not instance.alive:
            return
        target = self.pick(instance)
        if target is None:
            return
        state: DenominatorState = instance.state
        choice = int(self.rng.random() * 3)
        if choice == 0:
            kind, key, value = GET, "why?", ""
        elif choice == 1:
            q = 1 + int(self.rng.random() * max(state.puts, 1))
            kind, key, value = GET, f"Why{q}{q * q}", ""
        else:
            state.puts += 1
            w = state.puts
            kind, key, value = PUT, f"Why{w}{w * w}", "me"
        if kind == GET:
            state.reads += 1
        self.forward(instance, None, target, kind, key, value)

    def on_response(self, instance: Instance, message: Message) -> None:
        """A trace ended: count it and its response time."""
        request = message.link
        if request is None:
            return
        state: DenominatorState = instance.state
        elapsed = self.context.env.now - request.sent
        state.completed += 1
        state.response_total += elapsed
        state.response_max = max(state.response_max, elapsed)
