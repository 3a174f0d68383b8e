"""The ``Topology`` the web UI draws: services in tiers, service edges, regions, zones, instances.

Three sources give the same shape (``docs/web-protocol.md``):

- :func:`simulation_topology`: a running :class:`~monkeyhouse.scenarios.simulation.Simulation`
  (instances as created so far, with the born and died times the caller recorded);
- :func:`architecture_topology`: an architecture that is not run, laid out as a run would
  (:func:`~monkeyhouse.topology.deployment.plan` and
  :func:`~monkeyhouse.topology.deployment.placements`; for the migration steps);
- :func:`graph_topology`: a run folder's ``graph.json`` (services in the order their first
  node appears, which is the architecture's order; edges from the instance edges).

A service's ``tier`` is its distance from the entry point (the last service, which makes the
traffic), following dependencies; a service the entry point never reaches takes one more than
the largest tier. Eureka is not a service here, as in spigo's graphs. An instance's ``zone`` is
``region/zone``; an instance that is not in one zone (a global DNS, a region's load balancer)
has zone ``*`` (and a global one region ``*``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from monkeyhouse.errors import UsageError
from monkeyhouse.exporters.picture import parse_node_id
from monkeyhouse.model.architecture import EUREKA, Architecture
from monkeyhouse.scenarios.simulation import Simulation
from monkeyhouse.topology.deployment import placements, plan
from monkeyhouse.topology.names import ANY, instance_label, instance_name


def tiers(count: int, edges: Iterable[tuple[int, int]]) -> list[int]:
    """Each service's distance from the entry point (service ``count - 1``), as documented."""
    if count == 0:
        return []
    calls: list[list[int]] = [[] for _ in range(count)]
    for source, target in edges:
        calls[source].append(target)
    depth: list[int | None] = [None] * count
    entry = count - 1
    depth[entry] = 0
    queue = deque([entry])
    while queue:
        here = queue.popleft()
        for there in calls[here]:
            if depth[there] is None:
                depth[there] = (depth[here] or 0) + 1
                queue.append(there)
    deepest = max(d for d in depth if d is not None)
    return [deepest + 1 if d is None else d for d in depth]


def zone_of(region: str, zone: str) -> str:
    """The protocol's zone: ``region/zone``, or ``*`` for an instance not in one zone."""
    if region == ANY or zone == ANY:
        return ANY
    return f"{region}/{zone}"


def instance_entry(
    ident: int, name: str, service: int, region: str, zone: str, born: float, died: float | None
) -> dict[str, Any]:
    """One ``instances[]`` entry."""
    return {
        "id": ident,
        "name": name,
        "service": service,
        "region": region,
        "zone": zone_of(region, zone),
        "born": born,
        "died": died,
    }


def _shape(
    names: Sequence[str],
    packages: Sequence[str],
    edge_pairs: Sequence[tuple[int, int]],
    regions: Sequence[str],
    zones: Sequence[str],
    instances: list[dict[str, Any]],
) -> dict[str, Any]:
    depth = tiers(len(names), edge_pairs)
    return {
        "services": [
            {"id": i, "name": name, "package": packages[i], "tier": depth[i]}
            for i, name in enumerate(names)
        ],
        "edges": [
            {"id": i, "source": source, "target": target}
            for i, (source, target) in enumerate(edge_pairs)
        ],
        "regions": list(regions),
        "zones": [f"{region}/{zone}" for region in regions for zone in zones],
        "instances": instances,
    }


def architecture_edges(arch: Architecture) -> list[tuple[int, int]]:
    """Service edges (caller index, dependency index) in file order, eureka left out."""
    index = {service.name: i for i, service in enumerate(arch.services)}
    return [
        (i, index[name])
        for i, service in enumerate(arch.services)
        for name in service.dependency_names
        if name != EUREKA and name in index
    ]


def architecture_topology(
    arch: Architecture, percent: int = 100, regions: int = 1
) -> dict[str, Any]:
    """The topology ``arch`` would start with at scale ``percent`` in ``regions`` (not run)."""
    layout = plan(arch, percent, regions)
    instances: list[dict[str, Any]] = []
    for index, service in enumerate(arch.services):
        for place in placements(layout, index, service):
            name = instance_name(
                arch.arch, place.region, place.zone, instance_label(service.name, place.number)
            )
            instances.append(
                instance_entry(len(instances), name, index, place.region, place.zone, 0.0, None)
            )
    return _shape(
        [s.name for s in arch.services],
        [s.package for s in arch.services],
        architecture_edges(arch),
        layout.regions,
        layout.zones,
        instances,
    )


def simulation_topology(
    simulation: Simulation, born: Mapping[int, float], died: Mapping[int, float]
) -> dict[str, Any]:
    """The topology of a running simulation; ``born``/``died`` map instance ids to times."""
    instances = [
        instance_entry(
            i.id,
            i.name,
            i.service.index,
            i.region,
            i.zone,
            born.get(i.id, 0.0),
            died.get(i.id),
        )
        for i in simulation.instances
    ]
    layout = simulation.layout
    return _shape(
        [s.name for s in simulation.services],
        [s.package for s in simulation.services],
        architecture_edges(simulation.arch),
        layout.regions,
        layout.zones,
        instances,
    )


# -- from a run folder's graph.json --------------------------------------------------------


def parse_time(stamp: str, epoch: datetime) -> float:
    """Seconds from ``epoch`` to the RFC 3339 ``stamp`` (nanoseconds kept)."""
    text = stamp.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    main, dot, rest = text.partition(".")
    nanos = 0
    if dot:
        digits = ""
        for ch in rest:
            if not ch.isdigit():
                break
            digits += ch
        zone = rest[len(digits) :]
        nanos = int((digits + "000000000")[:9])
        text = main + zone
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"graph.json: timestamp {stamp!r} is not RFC 3339 (e.g. 2016-12-19T00:00:01.5Z)"
        ) from None
    whole = (moment - epoch).total_seconds()
    return round(whole + nanos / 1e9, 9)


def graph_topology(
    entries: Sequence[Mapping[str, Any]],
    epoch: datetime,
    services: Iterable[str] = (),
) -> tuple[dict[str, Any], list[float]]:
    """The topology of a run from its ``graph.json`` entries, and each edge's first time.

    ``services`` are the run's service names when known (from its metrics tables): a node
    name alone cannot tell ``svc1`` + ``02`` from ``svc`` + ``102``.
    """
    known = tuple(services)
    names: list[str] = []
    packages: list[str] = []
    service_index: dict[str, int] = {}
    node_service: dict[str, int] = {}
    node_index: dict[str, int] = {}
    instances: list[dict[str, Any]] = []
    regions: list[str] = []
    zones: list[str] = []
    pairs: list[tuple[int, int]] = []
    pair_index: dict[tuple[int, int], int] = {}
    edge_born: list[float] = []
    for entry in entries:
        if "node" in entry:
            name = str(entry["node"])
            parsed = parse_node_id(name, known)
            region, zone, service = parsed.region, parsed.zone, parsed.service
            if service not in service_index:
                service_index[service] = len(names)
                names.append(service)
                packages.append(str(entry.get("package", "")))
            if region != ANY and region not in regions:
                regions.append(region)
            if zone != ANY and zone not in zones:
                zones.append(zone)
            if name in node_index:
                continue
            node_index[name] = len(instances)
            node_service[name] = service_index[service]
            when = parse_time(str(entry.get("timestamp", "")), epoch)
            instances.append(
                instance_entry(
                    len(instances), name, service_index[service], region, zone, when, None
                )
            )
        elif "edge" in entry:
            source = node_service.get(str(entry.get("source")))
            target = node_service.get(str(entry.get("target")))
            if source is None or target is None:
                continue
            pair = (source, target)
            if pair not in pair_index:
                pair_index[pair] = len(pairs)
                pairs.append(pair)
                edge_born.append(parse_time(str(entry.get("timestamp", "")), epoch))
        elif "done" in entry:
            ident = node_index.get(str(entry["done"]))
            if ident is not None and instances[ident]["died"] is None:
                instances[ident]["died"] = parse_time(str(entry.get("timestamp", "")), epoch)
    zones.sort()
    return _shape(names, packages, pairs, regions, zones, instances), edge_born
