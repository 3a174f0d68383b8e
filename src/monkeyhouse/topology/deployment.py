"""Placing an architecture's services as instances in regions and zones (spigo's asgard rules).

For each service in file order: a service with ``regions == 0`` is one global node (region and
zone ``*``, number 00). Otherwise, for each region it runs in, an effective count of 0 gives one
region-wide node (zone ``*``, number 00) and a count ``n`` gives numbers ``r*n`` to ``(r+1)*n-1``
(numbering continues across regions), zone ``zones[i mod len(zones)]``. Eureka registries, one
per region and zone, are not instances here; discovery models them.
"""

from __future__ import annotations

from dataclasses import dataclass

from monkeyhouse.model.architecture import Architecture, Service
from monkeyhouse.model.scaling import effective_count, effective_regions
from monkeyhouse.topology.names import ANY


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one instance of a service runs: region and zone (``*`` when wider) and its number."""

    service: int
    region: str
    zone: str
    number: int


@dataclass(frozen=True, slots=True)
class Layout:
    """The regions a run uses and how many instances each service gets in each."""

    regions: tuple[str, ...]
    zones: tuple[str, ...]
    counts: tuple[int, ...]
    service_regions: tuple[int, ...]
    first_index: int

    @property
    def instance_total(self) -> int:
        """The number of instances (registries excluded)."""
        total = 0
        for count, regions in zip(self.counts, self.service_regions, strict=True):
            total += 1 if regions == 0 else regions * max(count, 1)
        return total


def plan(arch: Architecture, percent: int, regions: int) -> Layout:
    """Work out region names and per-service counts for scale ``percent`` and ``regions`` (-w)."""
    topo = arch.topology
    wanted = min(regions, len(topo.region_names))
    counts = tuple(effective_count(s, percent, topo.population) for s in arch.services)
    service_regions = tuple(
        min(effective_regions(s, topo, wanted), len(topo.region_names)) for s in arch.services
    )
    names = topo.region_names[: max([1, *service_regions])]
    return Layout(names, topo.zone_names, counts, service_regions, topo.first_index)


def placements(layout: Layout, index: int, service: Service) -> list[Placement]:
    """Every placement of service number ``index`` in creation order."""
    del service
    count = layout.counts[index]
    regions = layout.service_regions[index]
    first = layout.first_index
    if regions == 0:
        return [Placement(index, ANY, ANY, first)]
    zones = layout.zones
    out: list[Placement] = []
    for r in range(regions):
        region = layout.regions[r]
        if count == 0:
            out.append(Placement(index, region, ANY, first))
            continue
        for i in range(r * count, (r + 1) * count):
            out.append(Placement(index, region, zones[i % len(zones)], i + first))
    return out
