"""eureka: a service registry node that answers lookups.

The registries every instance registers with and polls are modelled by discovery (one per region
and zone, not drawn as nodes, as in spigo). A service declared with package ``eureka`` is a
registry others can call: a read for a service name answers with the names of that service's
registered instances, comma separated.
"""

from __future__ import annotations

from monkeyhouse.behaviours.base import Behaviour, Work


class Eureka(Behaviour):
    """A registry node: answers lookups by service name."""

    package = "eureka"
    description = "Eureka service registry: answers lookups by service name"

    def serve_leaf(self, work: Work) -> None:
        """Answer with the registered instances of the named service."""
        lookup = self.context.registry_lookup
        names = lookup(work.request.key) if lookup is not None else []
        self.answer(work, ",".join(names))
