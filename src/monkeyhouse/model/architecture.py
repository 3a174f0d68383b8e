"""The architecture data model, shared by every layer above.

An :class:`Architecture` is what a spigo ``*_arch.json`` file or a native monkeyhouse file
describes: named services, each running one behaviour package, with an instance count, a region
count and dependencies. The native format is a superset: per service and per dependency it
carries an ``options`` mapping that later capabilities (latency, capacity, timeouts, retries,
breakers, versions) fill in, so files written today keep loading tomorrow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: The dependency name that means "every registry in every region" (spigo's cross-region link).
EUREKA = "eureka"

#: spigo's default region names; ``-w N`` takes the first N.
DEFAULT_REGIONS: tuple[str, ...] = (
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-southeast-2",
)

#: spigo's zone names; instances are spread over them round robin.
DEFAULT_ZONES: tuple[str, ...] = ("zoneA", "zoneB", "zoneC")


@dataclass(frozen=True, slots=True)
class Dependency:
    """A call from one service to another (by service name, or ``eureka``)."""

    service: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Service:
    """One service: a behaviour package run by ``count`` instances in each of ``regions``.

    ``regions == 0`` is one global node; ``count == 0`` is one region-wide node per region.
    ``scales`` False keeps ``count`` fixed whatever the scale percentage (spigo's migration
    steps keep MySQL and memcache fixed).
    """

    name: str
    package: str
    count: int = 0
    regions: int = 0
    dependencies: tuple[Dependency, ...] = ()
    scales: bool = True
    machine: str = ""
    instance: str = ""
    container: str = ""
    process: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def dependency_names(self) -> tuple[str, ...]:
        """The dependency service names in file order."""
        return tuple(dep.service for dep in self.dependencies)


@dataclass(frozen=True, slots=True)
class Topology:
    """Where an architecture runs.

    ``region_names`` and ``zone_names`` default to spigo's lists. ``fixed_regions`` pins the
    number of regions whatever ``-w`` says (spigo's migration steps 7 to 9 do that).
    ``population`` True makes ``-p`` an instance count for every scaled service (fsm's pirate
    count) instead of a percentage. ``first_index`` is the number of the first instance (fsm's
    pirates count from 1).
    """

    region_names: tuple[str, ...] = DEFAULT_REGIONS
    zone_names: tuple[str, ...] = DEFAULT_ZONES
    fixed_regions: int | None = None
    population: bool = False
    first_index: int = 0


@dataclass(frozen=True, slots=True)
class Architecture:
    """A whole architecture, as loaded and validated from a file or the catalog."""

    arch: str
    services: tuple[Service, ...]
    description: str = ""
    version: str = ""
    victim: str = ""
    topology: Topology = field(default_factory=Topology)
    source: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)

    def service(self, name: str) -> Service:
        """Return the service called ``name`` (KeyError when there is none)."""
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)

    @property
    def root(self) -> Service:
        """The traffic root: as in spigo, the last service listed."""
        return self.services[-1]
