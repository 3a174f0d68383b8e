"""The behaviour packages an architecture file may name, and what the model needs to know of them.

spigo has thirteen package names. The model layer only needs one fact about each to validate an
architecture: whether the package *forwards* a request to one of its dependencies (load
balancers, proxies, business logic, data access layers) or *answers* it itself (storage, caches,
registries). A forwarding package that reaches itself through its dependencies would pass a
request round forever; a non-forwarding package depending on itself is peer replication (a
Cassandra ring, a Kafka cluster), which is legal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class PackageSpec:
    """What the model knows of one behaviour package.

    Attributes:
        name: The package name as written in architecture files (``karyon``).
        forwards_requests: True when the package passes a request on to a dependency.
        description: One line saying what the package models.

    """

    name: str
    forwards_requests: bool
    description: str


def _spec(name: str, forwards: bool, description: str) -> tuple[str, PackageSpec]:
    return name, PackageSpec(name, forwards, description)


#: spigo's package names, in spigo's order, mapped to their specs.
BUILTIN_PACKAGES: Mapping[str, PackageSpec] = MappingProxyType(
    dict(
        [
            _spec("eureka", False, "service registry, one per region and zone"),
            _spec("pirate", False, "member of the fsm pirate social network"),
            _spec("elb", True, "AWS elastic load balancer spreading requests over zones"),
            _spec("denominator", True, "global DNS, the traffic source of an architecture"),
            _spec("zuul", True, "API proxy routing to the services behind it"),
            _spec("karyon", True, "business-logic microservice calling its dependencies"),
            _spec("monolith", True, "a monolithic application calling its dependencies"),
            _spec("staash", True, "data access layer in front of caches and databases"),
            _spec("priamCassandra", False, "Cassandra node managed by Priam, in a token ring"),
            _spec("store", False, "generic storage: MySQL, S3, memcache, Kafka, ZooKeeper"),
            _spec("riak", False, "Riak node, modelled like Cassandra"),
            _spec("volume", False, "a disk volume"),
            _spec("cache", False, "an in-memory cache"),
        ]
    )
)
