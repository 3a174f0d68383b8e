"""Rebuild an architecture from a graph JSON file (spigo's ``-r`` reload).

spigo's reload could not read the files it wrote (their node names have no package field); ours
reads both spigo's and monkeyhouse's ``spigo-0.3``/``spigo-0.4`` files:

- services are the instance names without their numbers. A name such as
  ``contentMetadataS300`` could be service ``contentMetadataS3`` number 00 or service
  ``contentMetadataS`` number 300; numbers of one service run from the first index upwards, so
  the split that fits most names of one service with numbers below their count wins;
- packages come from the node entries; counts and regions from where the nodes are (region and
  zone names too, so fsm's ``atlantic``/``bermuda`` come back);
- dependencies come from the service-level edges. Edges between regions are explained with the
  fewest ``eureka`` links: a service linked to itself across regions lists ``eureka``, then the
  target of any other unexplained cross-region edge does (it is registered everywhere);
- pirates find their buddies themselves: a reloaded fsm has the same pirates and new, random
  buddies.

A graph written with ``-f`` (one node per service and zone) cannot be reloaded.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from monkeyhouse.errors import ArchitectureError
from monkeyhouse.model.architecture import (
    DEFAULT_REGIONS,
    DEFAULT_ZONES,
    EUREKA,
    Architecture,
    Dependency,
    Service,
    Topology,
)
from monkeyhouse.topology.names import ANY

#: packages whose instances find their peers themselves rather than through dependencies
SELF_WIRING = {"pirate"}


def _read(path: Path) -> dict[str, Any]:
    label = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ArchitectureError(
            label,
            "",
            f"cannot read the graph: {error.strerror}",
            fix="check the path, or write it first with a run (graph.json)",
        ) from error
    except ValueError as error:
        raise ArchitectureError(label, "", f"not valid JSON: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("graph"), list):
        raise ArchitectureError(
            label, "graph", "no graph list", fix="give a graph JSON file written with -j"
        )
    version = data.get("version")
    if version not in ("spigo-0.3", "spigo-0.4"):
        raise ArchitectureError(
            label,
            "version",
            f"unsupported graph version {version!r}",
            value=version,
            fix="reload spigo-0.3 or spigo-0.4 graphs",
        )
    return data


def _splits(label: str) -> list[tuple[str, int]]:
    """Every (service, number) reading of an instance label: at least two digits of number."""
    digits = len(label) - len(label.rstrip("0123456789"))
    readings = []
    for width in range(2, digits + 1):
        service, number = label[:-width], int(label[-width:])
        if service and f"{number:02d}" == label[-width:]:
            readings.append((service, number))
    return readings


def _services_of(labels: list[str]) -> dict[str, str]:
    """The service of each instance label, choosing the best-supported reading."""
    support: Counter[str] = Counter()
    for label in labels:
        for service, _ in _splits(label):
            support[service] += 1
    chosen: dict[str, str] = {}
    for label in labels:
        readings = _splits(label)
        if not readings:
            chosen[label] = label
            continue
        fitting = [(support[s], len(s), s) for s, n in readings if n <= support[s]]
        candidates = fitting or [(support[s], len(s), s) for s, _ in readings]
        chosen[label] = max(candidates)[2]
    return chosen


def architecture_from_graph(path: Path, arch_name: str | None = None) -> Architecture:
    """An architecture that rebuilds the nodes of graph JSON ``path``."""
    label = str(path)
    data = _read(path)
    arch = arch_name or str(data.get("arch", path.stem))
    nodes: list[tuple[str, str, str, str]] = []
    for i, entry in enumerate(data["graph"]):
        if not isinstance(entry, dict) or "node" not in entry:
            continue
        name = str(entry["node"])
        fields = name.split(".")
        if len(fields) != 4:
            raise ArchitectureError(
                label,
                f"graph[{i}].node",
                "not an instance name arch.region.zone.instance",
                value=name,
                fix="graphs written with -f cannot be reloaded; rerun without -f",
            )
        package = str(entry.get("package", entry.get("service", "")))
        nodes.append((name, fields[1], fields[2], fields[3] + "\x00" + package))
    service_of = _services_of([n[3].split("\x00")[0] for n in nodes])
    order: list[str] = []
    packages: dict[str, str] = {}
    places: dict[str, list[tuple[str, str, int]]] = {}
    where: dict[str, tuple[str, str]] = {}
    for name, region, zone, tagged in nodes:
        instance, package = tagged.split("\x00")
        service = service_of[instance]
        if service not in packages:
            order.append(service)
            packages[service] = package
            places[service] = []
        number = int(instance[len(service) :] or 0)
        places[service].append((region, zone, number))
        where[name] = (region, service)
    deps: dict[str, list[str]] = {s: [] for s in order}
    crossing: list[tuple[str, str]] = []
    for entry in data["graph"]:
        if not (isinstance(entry, dict) and "edge" in entry):
            continue
        source = where.get(str(entry.get("source")))
        target = where.get(str(entry.get("target")))
        if source is None or target is None or packages[source[1]] in SELF_WIRING:
            continue
        if target[1] not in deps[source[1]]:
            deps[source[1]].append(target[1])
        if ANY not in (source[0], target[0]) and source[0] != target[0]:
            crossing.append((source[1], target[1]))
    eureka = {s for s, t in crossing if s == t}
    for caller, callee in crossing:
        if caller not in eureka and callee not in eureka:
            eureka.add(callee)
    regions = list(dict.fromkeys(r for p in places.values() for r, _, _ in p if r != ANY))
    zones = list(dict.fromkeys(z for p in places.values() for _, z, _ in p if z != ANY))
    roots = [s for s in order if packages[s] == "denominator"]
    if roots:
        order.remove(roots[-1])
        order.append(roots[-1])
    first_index = min((n for p in places.values() for _, z, n in p if z != ANY), default=0)
    population = all(packages[s] in SELF_WIRING for s in order)
    services = []
    for name in order:
        plist = places[name]
        if all(r == ANY for r, _, _ in plist):
            count, regs = 0, 0
        elif all(z == ANY for _, z, _ in plist):
            count, regs = 0, 1
        else:
            count, regs = len(plist) // max(len(regions), 1), 1
        dependencies = tuple(Dependency(d) for d in deps[name])
        if name in eureka:
            dependencies += (Dependency(EUREKA),)
        services.append(Service(name, packages[name], count, regs, dependencies))
    region_names = tuple(regions) if regions else DEFAULT_REGIONS
    if list(region_names) == list(DEFAULT_REGIONS[: len(region_names)]):
        region_names = DEFAULT_REGIONS
    topology = Topology(
        region_names=region_names,
        zone_names=tuple(zones)
        if zones and not set(zones) <= set(DEFAULT_ZONES)
        else DEFAULT_ZONES,
        fixed_regions=max(len(regions), 1),
        population=population,
        first_index=first_index if population else 0,
    )
    return Architecture(
        arch,
        tuple(services),
        description=f"reloaded from {label}",
        version="arch-0.1",
        topology=topology,
        source=label,
    )
