"""The architecture data model, shared by every layer above.

An :class:`Architecture` is what a spigo ``*_arch.json`` file or a native monkeyhouse file
describes: named services, each running one behaviour package, with an instance count, a region
count and dependencies. The native format is a superset: services may set their service time
and capacity, dependencies how they are called, and the architecture its network and traffic
(:mod:`monkeyhouse.model.timing`); whatever is not set takes a documented default, so a spigo
file means what it always meant. Per service and per dependency an ``options`` mapping keeps
``x-`` extensions, so files written today keep loading tomorrow.

"Not set" on a service: ``service_time``, ``threads``, ``on_full`` and ``dispatch`` are ``None``
when the file does not set them; ``queue`` is :data:`~monkeyhouse.model.timing.UNSET` (because
``None`` is an unbounded queue, ``queue: null`` in the file). Read the effective values with
:func:`~monkeyhouse.model.timing.timing_of`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from monkeyhouse.model.distributions import Distribution
from monkeyhouse.model.timing import (
    DEFAULT_CALLS,
    UNSET,
    CallSettings,
    Dispatch,
    NetworkSettings,
    OnFull,
    TrafficSpec,
    Unset,
)

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
    """A call from one service to another (by service name, or ``eureka``).

    ``calls`` says how it is called (:class:`~monkeyhouse.model.timing.CallSettings`; the
    defaults for a dependency written as a plain name).
    """

    service: str
    options: Mapping[str, Any] = field(default_factory=dict)
    calls: CallSettings = DEFAULT_CALLS
    #: this edge's protection, as changes to the caller's (field of
    #: :class:`~monkeyhouse.model.resilience.Resilience` to value; ``None`` switches it off)
    resilience: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Service:
    """One service: a behaviour package run by ``count`` instances in each of ``regions``.

    ``regions == 0`` is one global node; ``count == 0`` is one region-wide node per region.
    ``scales`` False keeps ``count`` fixed whatever the scale percentage (spigo's migration
    steps keep MySQL and memcache fixed).

    ``service_time``, ``threads``, ``queue``, ``on_full`` and ``dispatch`` override the
    package's timing defaults; ``None`` (``UNSET`` for ``queue``, where ``None`` means an
    unbounded queue) leaves the default. :func:`~monkeyhouse.model.timing.timing_of` combines
    them.
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
    service_time: Distribution | None = None
    threads: int | None = None
    cores: int | None = None
    queue: int | Unset | None = UNSET
    on_full: OnFull | None = None
    dispatch: Dispatch | None = None
    #: protection of every call this service makes, as changes to its package's defaults
    #: (see :func:`~monkeyhouse.model.resilience.resilience_of`)
    resilience: Mapping[str, Any] = field(default_factory=dict)

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
    """A whole architecture, as loaded and validated from a file or the catalog.

    ``network`` holds latencies and bandwidth; ``traffic`` the traffic sources (empty = spigo's
    default: :data:`~monkeyhouse.model.timing.DEFAULT_RATE` requests per second from the root,
    see :attr:`traffic_sources`).
    """

    arch: str
    services: tuple[Service, ...]
    description: str = ""
    version: str = ""
    victim: str = ""
    topology: Topology = field(default_factory=Topology)
    source: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    traffic: tuple[TrafficSpec, ...] = ()

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

    @property
    def traffic_sources(self) -> tuple[TrafficSpec, ...]:
        """``traffic``, or spigo's default (one constant source at the root) when empty."""
        return self.traffic or (TrafficSpec(),)

    def traffic_source_service(self, spec: TrafficSpec) -> Service:
        """The service that sends ``spec``'s requests (the root when ``source`` is None)."""
        return self.root if spec.source is None else self.service(spec.source)
