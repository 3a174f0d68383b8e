"""Rebuild an architecture from a graph JSON file (spigo's ``-r`` reload).

spigo's reload could not read the files it wrote (their node names have no package field); ours
reads both spigo's and monkeyhouse's ``spigo-0.3``/``spigo-0.4`` files. Services are the instance
names without their numbers, packages come from the node entries, counts and regions from where
the nodes are, and dependencies from the service-level edges (a service with edges into another
region gets ``eureka``). The rebuilt architecture must place exactly the nodes of the file; a
graph written with ``-f`` (one node per service and zone) cannot be reloaded.
"""

from __future__ import annotations

import json
from pathlib import Path

from monkeyhouse.errors import ArchitectureError
from monkeyhouse.model.architecture import Architecture, Dependency, Service, Topology
from monkeyhouse.topology.names import ANY, service_of


def architecture_from_graph(path: Path, arch_name: str | None = None) -> Architecture:
    """An architecture that rebuilds the nodes of graph JSON ``path``."""
    label = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ArchitectureError(
            label,
            "",
            f"cannot read the graph: {error.strerror}",
            fix="check the path, or run once with -j to write it",
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
    order: list[str] = []
    packages: dict[str, str] = {}
    places: dict[str, list[tuple[str, str]]] = {}
    node_region: dict[str, tuple[str, str]] = {}
    arch = arch_name or str(data.get("arch", path.stem))
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
        service = service_of(fields[3])
        package = str(entry.get("package", entry.get("service", "")))
        if service not in packages:
            order.append(service)
            packages[service] = package
            places[service] = []
        places[service].append((fields[1], fields[2]))
        node_region[name] = (fields[1], service)
    deps: dict[str, list[str]] = {s: [] for s in order}
    eureka: set[str] = set()
    for entry in data["graph"]:
        if isinstance(entry, dict) and "edge" in entry:
            source = node_region.get(str(entry.get("source")))
            target = node_region.get(str(entry.get("target")))
            if source is None or target is None:
                continue
            if target[1] not in deps[source[1]]:
                deps[source[1]].append(target[1])
            if ANY not in (source[0], target[0]) and source[0] != target[0]:
                eureka.add(source[1])
    regions = sorted({r for plist in places.values() for r, _ in plist if r != ANY})
    roots = [s for s in order if packages[s] == "denominator"]
    if roots:
        order.remove(roots[-1])
        order.append(roots[-1])
    services = []
    for name in order:
        plist = places[name]
        if all(r == ANY for r, _ in plist):
            count, regs = 0, 0
        elif all(z == ANY for _, z in plist):
            count, regs = 0, 1
        else:
            count, regs = len(plist) // max(len(regions), 1), 1
        dependencies = tuple(Dependency(d) for d in deps[name])
        if name in eureka:
            dependencies += (Dependency("eureka"),)
        services.append(Service(name, packages[name], count, regs, dependencies))
    topology = Topology(fixed_regions=max(len(regions), 1)) if regions else Topology()
    return Architecture(
        arch,
        tuple(services),
        description=f"reloaded from {label}",
        version="arch-0.1",
        topology=topology,
        source=label,
    )
