"""spigo's instance arithmetic: how ``count``, ``regions``, ``-p`` and ``-w`` combine.

Pure functions of an architecture and the two command-line numbers, shared by the topology
builder (which creates the nodes), the catalog listing and the linter.

- A service's effective count per region is ``count * p // 100`` (integer division) when it
  scales, and ``count`` when it does not. In population mode (fsm) ``-p`` *is* the count of
  every scaled service that has one.
- A service with ``regions == 0`` is one global node. Otherwise it runs in
  ``regions * wanted`` regions, ``wanted`` being the topology's fixed region count if it has one,
  else ``-w``.
- In each of its regions a service has its effective count of nodes, or one region-wide node
  when that count is 0.
"""

from __future__ import annotations

from monkeyhouse.model.architecture import Architecture, Service, Topology


def effective_count(service: Service, percent: int, population_mode: bool) -> int:
    """Instances per region of ``service`` at scale ``percent`` (0 = one region-wide node).

    Args:
        service: The service.
        percent: The ``-p`` value: a percentage, or the population in population mode.
        population_mode: True for architectures whose ``-p`` is a population (fsm).

    Returns:
        ``count`` when the service does not scale; ``percent`` in population mode when the
        service has a nonzero count; ``count * percent // 100`` otherwise.

    """
    if not service.scales:
        return service.count
    if population_mode:
        return percent if service.count > 0 else 0
    return service.count * percent // 100


def effective_regions(service: Service, topology: Topology, wanted_regions: int) -> int:
    """Return the number of regions ``service`` runs in (0 = one global node).

    Args:
        service: The service.
        topology: The architecture's topology; its ``fixed_regions`` overrides ``-w``.
        wanted_regions: The ``-w`` value.

    """
    if service.regions == 0:
        return 0
    wanted = topology.fixed_regions if topology.fixed_regions is not None else wanted_regions
    return service.regions * wanted


def instance_count(arch: Architecture, percent: int = 100, regions: int = 1) -> int:
    """Total nodes the services of ``arch`` make at ``-p percent -w regions``.

    The eureka registries the simulator adds (three per region) are not counted.
    """
    total = 0
    for service in arch.services:
        region_count = effective_regions(service, arch.topology, regions)
        if region_count == 0:
            total += 1
            continue
        count = effective_count(service, percent, arch.topology.population)
        total += region_count * max(count, 1)
    return total


def zero_count_warnings(arch: Architecture, percent: int) -> list[str]:
    """One warning per service whose nonzero count rounds down to 0 at ``-p percent``.

    Such a service silently becomes a single region-wide node, as in spigo. Global services
    (``regions == 0``) are one node whatever their count, so they are not reported.
    """
    warnings: list[str] = []
    for service in arch.services:
        if service.count <= 0 or service.regions == 0:
            continue
        if effective_count(service, percent, arch.topology.population) == 0:
            warnings.append(
                f"{arch.arch}: service '{service.name}' has count {service.count}, which "
                f"rounds to 0 at -p {percent}; it becomes a single region-wide node"
            )
    return warnings
