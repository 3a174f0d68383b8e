"""Running instances: the slotted objects the simulation creates, one per node.

An instance knows where it runs and what it is called; behaviours keep their per-instance data
in ``state``. Nothing here is stored per pair of instances.
"""

from __future__ import annotations

from typing import Any

from monkeyhouse.topology.names import ANY, full_name, instance_label, instance_name


class ServiceRuntime:
    """A service while the simulation runs: its spec, its instances and its behaviour."""

    __slots__ = (
        "arch",
        "behaviour",
        "dependencies",
        "eureka",
        "index",
        "instances",
        "name",
        "package",
        "spec",
        "views",
    )

    def __init__(
        self,
        arch: str,
        index: int,
        name: str,
        package: str,
        dependencies: tuple[int, ...],
        eureka: bool,
    ) -> None:
        self.arch = arch
        self.index = index
        self.name = name
        self.package = package
        self.dependencies = dependencies
        self.eureka = eureka
        self.instances: list[Instance] = []
        self.behaviour: Any = None
        #: the model's Service this runs (timing and call settings live there)
        self.spec: Any = None
        self.views: dict[tuple[str, str | None], tuple[Any, ...]] = {}


class Instance:
    """One node: a service instance in a region and zone, with its address and liveness."""

    __slots__ = (
        "address",
        "alive",
        "id",
        "label",
        "name",
        "region",
        "service",
        "state",
        "station",
        "views",
        "zone",
    )

    def __init__(
        self, ident: int, service: ServiceRuntime, region: str, zone: str, number: int, address: str
    ) -> None:
        self.id = ident
        self.service = service
        self.region = region
        self.zone = zone
        self.label = instance_label(service.name, number)
        self.name = instance_name(service.arch, region, zone, self.label)
        self.address = address
        self.alive = True
        self.state: Any = None
        #: the threads and queue serving requests (None for instances that serve none)
        self.station: Any = None
        self.views: tuple[Any, ...] = ()

    @property
    def full_name(self) -> str:
        """The nine-field name, as spigo's flows and logs print it."""
        svc = self.service
        return full_name(svc.arch, self.region, self.zone, self.label, svc.name, svc.package)

    @property
    def is_global(self) -> bool:
        """True for the single global node of a service (region ``*``)."""
        return self.region == ANY

    def __repr__(self) -> str:
        return f"<Instance {self.name}>"
