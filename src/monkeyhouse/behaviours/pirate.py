"""pirate: a member of fsm, spigo's pirate social network.

At launch every pirate hears the names of two random pirates (possibly itself, or the same one
twice; it befriends the others), receives a purse of 0 to 99 gold coins and gets its own rhythm.
On each beat a pirate either gossips (with even odds, and when it has two buddies or more: it
picks one buddy and tells every other buddy about them, so the network grows denser) or gives a
random part of its gold to a random buddy. A pirate keeps at most ten buddies (the Dunbar limit
spigo used) and counts the gold each buddy gave it. Every new buddy is an edge in the graph.

The rhythm: spigo meant each pirate to act every 0.1 to 10 s, but a reseeding quirk made its
recorded runs far calmer. Our default beat (mean :data:`MEAN_BEAT` seconds, exponentially
distributed) reproduces the recorded edge counts per pirate; see docs/spigo-compatibility.md.
"""

from __future__ import annotations

from monkeyhouse.behaviours.base import Behaviour
from monkeyhouse.behaviours.context import Context
from monkeyhouse.behaviours.messages import GOLD_COIN, NAME_DROP, Message
from monkeyhouse.engine import Agenda
from monkeyhouse.topology.instances import Instance, ServiceRuntime

DUNBAR = 10
MEAN_BEAT = 9.0


class PirateState:
    """A pirate's buddies, purse and the gold each benefactor gave."""

    __slots__ = ("benefactors", "buddies", "gold")

    def __init__(self) -> None:
        self.buddies: list[Instance] = []
        self.gold = 0
        self.benefactors: dict[int, int] | None = None


class Pirate(Behaviour):
    """A pirate: befriends, gossips and trades gold."""

    package = "pirate"
    description = "pirate of the fsm social network: befriends, gossips, trades gold"
    serves_requests = False

    def __init__(self, context: Context, service: ServiceRuntime) -> None:
        super().__init__(context, service)
        self.agenda = Agenda(context.env, self._beat, resolution=0.001)
        self.until = float("inf")
        self.gossip = 0
        self.gifts = 0

    def start(self, instance: Instance) -> None:
        """An empty purse and no buddies yet."""
        instance.state = PirateState()

    def _tell(self, pirate: Instance, buddy: Instance, kind: int, value: object) -> None:
        """Send ``buddy`` a one-way message (a new trace each, as spigo's pirates do)."""
        span = self.context.next_span()
        self.context.send(Message(kind, pirate, buddy, span, 0, span, "", value))

    def befriend(self, pirate: Instance, other: Instance) -> bool:
        """Add ``other`` as a buddy of ``pirate`` if it is new, not itself and there is room."""
        state: PirateState = pirate.state
        buddies = state.buddies
        if other is pirate or len(buddies) >= DUNBAR or other in buddies:
            return False
        buddies.append(other)
        observer = self.context.edge_observer
        if observer is not None:
            observer(pirate, other)
        return True

    def launch(self, instances: list[Instance]) -> None:
        """Every pirate hears two names, gets a purse and starts its rhythm."""
        pirates = self.service.instances
        n = len(pirates)
        if n == 0:
            return
        rng = self.context.rng("fsm/launch")
        now = self.context.env.now
        add = self.agenda.add
        for pirate in pirates:
            self.befriend(pirate, pirates[int(rng.random() * n)])
            self.befriend(pirate, pirates[int(rng.random() * n)])
            pirate.state.gold = int(rng.random() * 100)
            add(now + rng.expovariate(1.0 / MEAN_BEAT), pirate)

    def run_until(self, until: float) -> None:
        """Pirates act on their own rhythm until the run's end."""
        self.until = until

    def _beat(self, pirate: Instance) -> None:
        if not pirate.alive:
            return
        now = self.context.env.now
        state: PirateState = pirate.state
        buddies = state.buddies
        rng = self.rng
        if rng.random() < 0.5 and len(buddies) >= 2:
            self.gossip += 1
            named = buddies[int(rng.random() * len(buddies))]
            for buddy in buddies:
                if buddy is not named:
                    self._tell(pirate, buddy, NAME_DROP, named)
        elif buddies and state.gold > 0:
            self.gifts += 1
            amount = 1 + int(rng.random() * state.gold)
            state.gold -= amount
            buddy = buddies[int(rng.random() * len(buddies))]
            self._tell(pirate, buddy, GOLD_COIN, amount)
        following = now + rng.expovariate(1.0 / MEAN_BEAT)
        if following <= self.until:
            self.agenda.add(following, pirate)

    def on_name_drop(self, instance: Instance, message: Message) -> None:
        """Someone named a pirate: befriend it."""
        self.befriend(instance, message.value)

    def on_gold_coin(self, instance: Instance, message: Message) -> None:
        """Take the gold; remember how much each buddy gave."""
        state: PirateState = instance.state
        amount = int(message.value)
        if amount <= 0:
            return
        state.gold += amount
        sender: Instance = message.sender
        if sender in state.buddies:
            if state.benefactors is None:
                state.benefactors = {}
            state.benefactors[sender.id] = state.benefactors.get(sender.id, 0) + amount
