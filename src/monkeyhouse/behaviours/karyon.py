"""karyon: a business-logic microservice, routing only to instances in its own zone."""

from __future__ import annotations

from monkeyhouse.behaviours.base import Behaviour


class Karyon(Behaviour):
    """A microservice: same-zone routing, deregisters on shutdown."""

    package = "karyon"
    description = "Karyon business-logic microservice: routes within its own zone"
    same_zone = True
    deregisters = True
