"""zuul: the API proxy at the edge, routing only to instances in its own zone."""

from __future__ import annotations

from monkeyhouse.behaviours.base import Behaviour


class Zuul(Behaviour):
    """An edge proxy: same-zone routing, deregisters on shutdown."""

    package = "zuul"
    description = "Zuul API proxy: routes within its own zone"
    same_zone = True
    deregisters = True
