"""staash: the data access layer in front of caches and databases ("storage tier as a service").

Dependencies are grouped into tiers by package, in the order cache, volume, Cassandra (and riak),
store, staash. A read goes to a random instance of the first tier that has any; when that tier
answers empty the next tier is tried, and the client gets an empty answer when none is left
(spigo meant this but dropped such reads; see docs/spigo-compatibility.md). A write goes to one
random instance of every tier, with volume keys prefixed by the writer's instance name. The
tier logic lives in :class:`~monkeyhouse.behaviours.base.Behaviour` (dispatch ``tiers``), so
any service can be given it.
"""

from __future__ import annotations

from monkeyhouse.behaviours.base import Behaviour


class Staash(Behaviour):
    """Data access layer: tiered reads, fan-out writes, any zone, deregisters on shutdown."""

    package = "staash"
    description = "data access layer over cache, volume, Cassandra and store tiers"
    deregisters = True
