"""Chaos Monkey as spigo has it: the architecture's ``victim`` service loses one instance.

At half the run a random live instance of the victim service (chosen from the run's seed) is
killed. An instance of a package that deregisters (karyon, zuul, staash, monolith) tells its
registry at once; any other is evicted when its registry lease expires. Either way the graph
gets a ``done`` entry, and clients forget it at their next poll.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from monkeyhouse.topology.instances import Instance, ServiceRuntime


class ChaosMonkey:
    """Kills one random instance of a service when told to."""

    def __init__(
        self, victim: ServiceRuntime, rng: random.Random, kill: Callable[[Instance], None]
    ) -> None:
        self.victim = victim
        self.rng = rng
        self._kill = kill
        self.killed: list[Instance] = []

    def strike(self, _: object = None) -> Instance | None:
        """Kill one live instance of the victim service; return it (None when none is left)."""
        alive = [i for i in self.victim.instances if i.alive]
        if not alive:
            return None
        chosen = alive[int(self.rng.random() * len(alive))]
        self._kill(chosen)
        self.killed.append(chosen)
        return chosen
