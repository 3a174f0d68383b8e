"""monolith: an application server (LAMP PHP, compose services), routing across zones."""

from __future__ import annotations

from monkeyhouse.behaviours.forwarder import Forwarder


class Monolith(Forwarder):
    """A monolithic app server: any zone, deregisters on shutdown."""

    package = "monolith"
    description = "monolithic application server: routes to any zone"
    deregisters = True
