"""The discrete-event engine: time, events, scheduling and seeded random streams.

It knows nothing of microservices (a test enforces that it imports no other layer).
"""

from monkeyhouse.engine.agenda import Agenda
from monkeyhouse.engine.clock import Clock, PacedClock, SimulatedClock
from monkeyhouse.engine.core import EngineStatistics, Environment, Handle
from monkeyhouse.engine.streams import RandomStreams

__all__ = [
    "Agenda",
    "Clock",
    "EngineStatistics",
    "Environment",
    "Handle",
    "PacedClock",
    "RandomStreams",
    "SimulatedClock",
]
