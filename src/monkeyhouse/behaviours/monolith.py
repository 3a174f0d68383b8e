"""monolith: an application server (LAMP PHP, compose services), routing across zones."""

from __future__ import annotations

from monkeyhouse.behaviours.base import Behaviour


class Monolith(Behaviour):
    """A monolithic app server: any zone, deregisters on shutdown."""

    package = "monolith"
    description = "monolithic application server: routes to any zone"
    deregisters = True
