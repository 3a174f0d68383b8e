"""Semantic checks of an architecture, run after loading (and usable on hand-built ones).

The checks follow spigo's order (duplicate names, unknown packages, unknown dependencies), then
add what spigo left unchecked: counts and regions in range, the chaos victim, dependency loops
that would pass requests round forever, the topology, and the ranges of the optional time
settings (capacity, call settings, network, traffic; :mod:`monkeyhouse.model.timing`). The
first problem found raises an :class:`~monkeyhouse.errors.ArchitectureError` naming the file,
the field, the value and the fix.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence

from monkeyhouse.errors import ArchitectureError
from monkeyhouse.model.architecture import EUREKA, Architecture, Service, Topology
from monkeyhouse.model.packages import BUILTIN_PACKAGES, PackageSpec
from monkeyhouse.model.timing import (
    ARRIVALS,
    CALL_MODES,
    DISPATCHES,
    MAX_CALLS,
    ON_FULL,
    PATTERNS,
    REQUEST_KINDS,
    UNSET,
    NetworkSettings,
    TrafficSpec,
)

#: A field path: keys and list indices from the top of the file, e.g. ``("services", 3, "name")``.
FieldPath = tuple[str | int, ...]

#: Where each field path's value starts in the file, as 1-based (line, column).
Positions = Mapping[FieldPath, tuple[int, int]]

#: Largest number of instances per region a service may ask for.
MAX_COUNT = 100_000

#: Largest region multiplier (spigo knows six regions).
MAX_REGIONS = 6

_LIST_LIMIT = 20


def field_path(path: Sequence[str | int]) -> str:
    """Format a field path the way messages show it: ``services[3].dependencies[0]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def name_list(names: Iterable[str], limit: int = _LIST_LIMIT) -> str:
    """Join names with commas, shortened to ``limit`` names followed by how many more."""
    items = list(names)
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f", ... ({len(items) - limit} more)"


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Return ``"did you mean 'x'? "`` for the choice closest to ``value``, or ``""``."""
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'? " if close else ""


class _Checker:
    """Raises errors for one architecture, with positions when the loader knows them."""

    def __init__(self, file: str, positions: Positions | None) -> None:
        self.file = file
        self.positions: Positions = positions if positions is not None else {}

    def fail(self, path: FieldPath, problem: str, value: object, fix: str) -> ArchitectureError:
        line: int | None = None
        column: int | None = None
        probe = path
        while True:
            found = self.positions.get(probe)
            if found is not None:
                line, column = found
                break
            if not probe:
                break
            probe = probe[:-1]
        return ArchitectureError(
            self.file, field_path(path), problem, value=value, fix=fix, line=line, column=column
        )


def validate(
    arch: Architecture,
    *,
    packages: Mapping[str, PackageSpec] = BUILTIN_PACKAGES,
    file: str | None = None,
    positions: Positions | None = None,
) -> None:
    """Check ``arch`` for mistakes a user can make; raise on the first one.

    Args:
        arch: The architecture to check.
        packages: The package names services may use, and which of them forward requests.
        file: The file name to put in messages (default: ``arch.source``, else ``arch.arch``).
        positions: Where each field's value starts in the file, for line:column in messages.

    Raises:
        ArchitectureError: naming the file, position, field, value and fix.

    """
    check = _Checker(file or arch.source or arch.arch, positions)
    if not arch.services:
        raise check.fail(
            ("services",),
            "an architecture needs at least one service, this one has none",
            [],
            "add a service, e.g. {name: www, package: denominator}",
        )
    first_index: dict[str, int] = {}
    for index, service in enumerate(arch.services):
        _check_name(check, index, service, first_index)
        _check_package(check, index, service, packages)
        _check_sizes(check, index, service)
        _check_capacity(check, index, service)
    _check_dependencies(check, arch.services)
    _check_calls(check, arch.services)
    _check_victim(check, arch)
    _check_loops(check, arch.services, packages)
    _check_topology(check, arch.topology)
    _check_network(check, arch.network)
    _check_traffic(check, arch)


def _check_name(check: _Checker, index: int, service: Service, seen: dict[str, int]) -> None:
    path: FieldPath = ("services", index, "name")
    name = service.name
    if not name or name != name.strip() or "." in name or any(c.isspace() for c in name):
        raise check.fail(
            path,
            f"service name {name!r} is not usable in node names",
            name,
            "use a non-empty name without dots or spaces, e.g. 'web-api'",
        )
    if name == EUREKA:
        raise check.fail(
            path,
            f"service name {name!r} is reserved for the service registries",
            name,
            "rename the service; 'eureka' as a dependency means every registry",
        )
    if name in seen:
        raise check.fail(
            path,
            f"duplicate service name {name!r}: services[{seen[name]}] and services[{index}] "
            "both use it",
            name,
            "rename one of them or remove the repeated entry; service names must be unique",
        )
    seen[name] = index


def _check_package(
    check: _Checker, index: int, service: Service, packages: Mapping[str, PackageSpec]
) -> None:
    if service.package in packages:
        return
    raise check.fail(
        ("services", index, "package"),
        f"unknown package {service.package!r} (known: {', '.join(packages)})",
        service.package,
        did_you_mean(service.package, packages) + "use one of the known packages",
    )


def _check_sizes(check: _Checker, index: int, service: Service) -> None:
    if service.count < 0:
        raise check.fail(
            ("services", index, "count"),
            f"count must be 0 or more, got {service.count}",
            service.count,
            "use 0 for one region-wide node, or the number of instances per region",
        )
    if service.count > MAX_COUNT:
        raise check.fail(
            ("services", index, "count"),
            f"count {service.count} is more than {MAX_COUNT} instances per region",
            service.count,
            f"use at most {MAX_COUNT} and scale the whole architecture with -p",
        )
    if service.regions < 0:
        raise check.fail(
            ("services", index, "regions"),
            f"regions must be 0 or more, got {service.regions}",
            service.regions,
            "use 0 for one global node or 1 to run in every region chosen with -w",
        )
    if service.regions > MAX_REGIONS:
        raise check.fail(
            ("services", index, "regions"),
            f"regions {service.regions} is more than {MAX_REGIONS}",
            service.regions,
            "regions multiplies -w; use 0 (one global node) or 1 (every region) and choose "
            "the number of regions with -w",
        )


def _check_dependencies(check: _Checker, services: Sequence[Service]) -> None:
    names = [service.name for service in services]
    known = set(names) | {EUREKA}
    for index, service in enumerate(services):
        for dep_index, dep in enumerate(service.dependencies):
            if dep.service in known:
                continue
            raise check.fail(
                ("services", index, "dependencies", dep_index),
                f"unknown service {dep.service!r} (known: {name_list([*names, EUREKA])})",
                dep.service,
                did_you_mean(dep.service, known)
                + f"add a service named {dep.service!r} or remove the dependency",
            )


def _check_victim(check: _Checker, arch: Architecture) -> None:
    if not arch.victim:
        return
    names = [service.name for service in arch.services]
    if arch.victim in names:
        return
    raise check.fail(
        ("victim",),
        f"victim {arch.victim!r} is not a service (known: {name_list(names)})",
        arch.victim,
        did_you_mean(arch.victim, names)
        + 'name one of the services, or use "" for no chaos monkey',
    )


def _check_loops(
    check: _Checker, services: Sequence[Service], packages: Mapping[str, PackageSpec]
) -> None:
    """Find a cycle made only of edges out of forwarding packages."""
    by_name = {service.name: service for service in services}
    index_of = {service.name: index for index, service in enumerate(services)}
    edges: dict[str, list[str]] = {}
    for service in services:
        if packages[service.package].forwards_requests:
            edges[service.name] = [d for d in service.dependency_names if d != EUREKA]
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for start in edges:
        if start in state:
            continue
        loop = _find_loop(start, edges, state)
        if loop is None:
            continue
        first, second = loop[0], loop[1]
        dep_index = by_name[first].dependency_names.index(second)
        forwarders = ", ".join(
            f"{by_name[name].package} {name!r}" for name in dict.fromkeys(loop[:-1])
        )
        raise check.fail(
            ("services", index_of[first], "dependencies", dep_index),
            f"dependency loop {' -> '.join(loop)}: requests would circle forever, because "
            f"each service in it ({forwarders}) forwards requests to its dependencies",
            second,
            "remove one dependency of the loop; only packages that answer requests themselves "
            f"({', '.join(sorted(p.name for p in packages.values() if not p.forwards_requests))})"
            " may depend on themselves",
        )


def _find_loop(
    start: str, edges: Mapping[str, list[str]], state: dict[str, int]
) -> list[str] | None:
    """Search depth first from ``start``; return the first loop found, closed, or None."""
    path: list[str] = [start]
    pending: list[int] = [0]
    state[start] = 1
    while path:
        node = path[-1]
        targets = edges.get(node, [])
        position = pending[-1]
        if position >= len(targets):
            state[node] = 2
            path.pop()
            pending.pop()
            continue
        pending[-1] = position + 1
        target = targets[position]
        mark = state.get(target)
        if mark == 1:
            return [*path[path.index(target) :], target]
        if mark is None and target in edges:
            state[target] = 1
            path.append(target)
            pending.append(0)
    return None


def _check_topology(check: _Checker, topology: Topology) -> None:
    if topology.first_index < 0:
        raise check.fail(
            ("topology", "first_index"),
            f"first_index must be 0 or more, got {topology.first_index}",
            topology.first_index,
            "use 0 (spigo's default) or 1 to number instances from 1",
        )
    for key, names, example in (
        ("regions", topology.region_names, "us-east-1"),
        ("zones", topology.zone_names, "zoneA"),
    ):
        if not names:
            raise check.fail(
                ("topology", key),
                f"the list of {key} is empty",
                [],
                f"name at least one, e.g. [{example}], or leave '{key}' out for the defaults",
            )
        seen: dict[str, int] = {}
        for index, name in enumerate(names):
            if not name or "." in name or any(c.isspace() for c in name):
                raise check.fail(
                    ("topology", key, index),
                    f"name {name!r} is not usable in node names",
                    name,
                    f"use a non-empty name without dots or spaces, e.g. {example}",
                )
            if name in seen:
                raise check.fail(
                    ("topology", key, index),
                    f"{name!r} is listed twice ({key}[{seen[name]}] and {key}[{index}])",
                    name,
                    "list each name once",
                )
            seen[name] = index
    fixed = topology.fixed_regions
    if fixed is not None and not 1 <= fixed <= len(topology.region_names):
        raise check.fail(
            ("topology", "fixed_regions"),
            f"fixed_regions {fixed} is outside 1..{len(topology.region_names)} (the number of "
            "region names)",
            fixed,
            "use a number of regions between 1 and the number of region names, or add names "
            "to topology.regions",
        )


def _number_in(
    check: _Checker,
    path: FieldPath,
    value: float,
    what: str,
    fix: str,
    *,
    low: float = 0.0,
    high: float = math.inf,
    low_open: bool = False,
) -> None:
    """Raise unless ``value`` is a finite number in ``[low, high]`` (``(low, high]``)."""
    finite = isinstance(value, int | float) and not isinstance(value, bool)
    if finite and math.isfinite(value):
        above = value > low if low_open else value >= low
        if above and value <= high:
            return
    if high < math.inf:
        bounds = f"between {low:g} and {high:g}"
    else:
        bounds = f"more than {low:g}" if low_open else f"{low:g} or more"
    raise check.fail(path, f"{what} must be {bounds}, got {value!r}", value, fix)


def _check_capacity(check: _Checker, index: int, service: Service) -> None:
    path: FieldPath = ("services", index)
    if service.threads is not None and not (
        isinstance(service.threads, int) and service.threads >= 1
    ):
        raise check.fail(
            (*path, "threads"),
            f"threads must be 1 or more, got {service.threads!r}",
            service.threads,
            "give the requests one instance serves at once, e.g. threads: 200, or leave "
            "threads out for the package default",
        )
    if service.cores is not None and not (isinstance(service.cores, int) and service.cores >= 1):
        raise check.fail(
            (*path, "cores"),
            f"cores must be 1 or more, got {service.cores!r}",
            service.cores,
            "give the requests one instance works on at once, e.g. cores: 4, or leave cores "
            "out for the package default",
        )
    queue = service.queue
    if queue is not None and queue is not UNSET and not (isinstance(queue, int) and queue >= 0):
        raise check.fail(
            (*path, "queue"),
            f"queue must be 0 or more, or null for unbounded, got {queue!r}",
            queue,
            "use the number of requests that may wait per instance, e.g. queue: 100",
        )
    for key, value, choices in (
        ("on_full", service.on_full, ON_FULL),
        ("dispatch", service.dispatch, DISPATCHES),
    ):
        if value is not None and value not in choices:
            raise check.fail(
                (*path, key),
                f"unknown {key} {value!r} (known: {', '.join(choices)})",
                value,
                did_you_mean(str(value), choices) + f"use one of {', '.join(choices)}",
            )


def _check_calls(check: _Checker, services: Sequence[Service]) -> None:
    for index, service in enumerate(services):
        for dep_index, dep in enumerate(service.dependencies):
            path: FieldPath = ("services", index, "dependencies", dep_index)
            calls = dep.calls
            if calls.mode not in CALL_MODES:
                raise check.fail(
                    (*path, "mode"),
                    f"unknown call mode {calls.mode!r} (known: {', '.join(CALL_MODES)})",
                    calls.mode,
                    did_you_mean(str(calls.mode), CALL_MODES) + "use sequence or parallel",
                )
            _number_in(
                check,
                (*path, "probability"),
                calls.probability,
                "probability",
                "use a share of requests between 0 and 1, e.g. probability: 0.3",
                high=1.0,
            )
            if not (isinstance(calls.calls, int) and 1 <= calls.calls <= MAX_CALLS):
                raise check.fail(
                    (*path, "calls"),
                    f"calls must be between 1 and {MAX_CALLS}, got {calls.calls!r}",
                    calls.calls,
                    "give the calls made per request, e.g. calls: 3; use probability to "
                    "call on only some requests",
                )
            _number_in(
                check,
                (*path, "weight"),
                calls.weight,
                "weight",
                "use a positive relative share, e.g. weight: 2; remove the dependency to "
                "send it nothing",
                low_open=True,
            )
            for key in ("request_bytes", "response_bytes"):
                size = getattr(calls, key)
                if not (isinstance(size, int) and size >= 0):
                    raise check.fail(
                        (*path, key),
                        f"{key} must be 0 or more, got {size!r}",
                        size,
                        f"give the payload in bytes, e.g. {key}: 2048",
                    )


def _check_network(check: _Checker, network: NetworkSettings) -> None:
    path: FieldPath = ("network",)
    for key in ("same_zone", "cross_zone", "cross_region"):
        _number_in(
            check,
            (*path, key),
            getattr(network, key),
            key,
            f"give one-way latency in seconds, e.g. {key}: 0.0005",
        )
    for pair, seconds in network.region_pairs.items():
        _number_in(
            check,
            (*path, "regions", "/".join(sorted(pair))),
            seconds,
            "a region pair's latency",
            "give one-way latency in seconds, e.g. 0.033",
        )
    _number_in(
        check,
        (*path, "bandwidth"),
        network.bandwidth,
        "bandwidth",
        "give bytes per second, e.g. bandwidth: 1.25e9 (10 Gbit/s)",
        low_open=True,
    )


def _traffic_path(check: _Checker, index: int, count: int) -> FieldPath:
    """``traffic[i]``, or ``traffic`` when the file wrote a single source as a mapping."""
    if count == 1 and ("traffic",) in check.positions and ("traffic", 0) not in check.positions:
        return ("traffic",)
    return ("traffic", index)


def _check_traffic(check: _Checker, arch: Architecture) -> None:
    names = [service.name for service in arch.services]
    for index, spec in enumerate(arch.traffic):
        path = _traffic_path(check, index, len(arch.traffic))
        if spec.source is not None and spec.source not in names:
            raise check.fail(
                (*path, "source"),
                f"traffic source {spec.source!r} is not a service (known: {name_list(names)})",
                spec.source,
                did_you_mean(spec.source, names)
                + "name the service that sends the requests, or leave source out for the "
                "last service",
            )
        if spec.pattern not in PATTERNS:
            raise check.fail(
                (*path, "pattern"),
                f"unknown pattern {spec.pattern!r} (known: {', '.join(PATTERNS)})",
                spec.pattern,
                did_you_mean(str(spec.pattern), PATTERNS) + "use one of the known patterns",
            )
        if spec.arrivals is not None and spec.arrivals not in ARRIVALS:
            raise check.fail(
                (*path, "arrivals"),
                f"unknown arrivals {spec.arrivals!r} (known: {', '.join(ARRIVALS)})",
                spec.arrivals,
                "use uniform or poisson",
            )
        _check_pattern(check, path, spec)
        _check_mix(check, (*path, "mix"), spec.mix)


def _check_pattern(check: _Checker, path: FieldPath, spec: TrafficSpec) -> None:
    rate_fix = "give requests per second, e.g. 500"
    seconds_fix = "give simulated seconds from the start of the run, e.g. 60"
    if spec.pattern != "replay":
        _number_in(check, (*path, "rate"), spec.rate, "rate", rate_fix)
    if spec.pattern == "ramp":
        _number_in(check, (*path, "to_rate"), spec.to_rate, "to_rate", rate_fix)
        _number_in(check, (*path, "over"), spec.over, "over", seconds_fix)
        _number_in(check, (*path, "start"), spec.start, "start", seconds_fix)
    elif spec.pattern == "step":
        _check_changes(check, (*path, "steps"), spec.steps, "steps")
    elif spec.pattern == "diurnal":
        _number_in(
            check,
            (*path, "amplitude"),
            spec.amplitude,
            "amplitude",
            "give the swing as a share of rate, e.g. amplitude: 0.5 (from half to 1.5 times)",
            high=1.0,
        )
        _number_in(
            check,
            (*path, "period"),
            spec.period,
            "period",
            "give the seconds in a cycle, e.g. period: 86400 (a day)",
            low_open=True,
        )
    elif spec.pattern == "spike":
        _number_in(check, (*path, "peak"), spec.peak, "peak", rate_fix)
        _number_in(check, (*path, "at"), spec.at, "at", seconds_fix)
        _number_in(
            check,
            (*path, "duration"),
            spec.duration,
            "duration",
            "give the spike's length in seconds, e.g. duration: 5",
            low_open=True,
        )
    elif spec.pattern == "replay":
        _check_changes(check, (*path, "csv"), spec.points, "replay points")


def _check_changes(
    check: _Checker, path: FieldPath, changes: Sequence[tuple[float, float]], what: str
) -> None:
    if not changes:
        raise check.fail(
            path,
            f"no {what}: the pattern needs at least one (time, rate) pair",
            [],
            "give [time, rate] pairs, e.g. [[60, 500], [120, 100]]",
        )
    previous = -math.inf
    for index, (time, rate) in enumerate(changes):
        _number_in(check, (*path, index, 0), time, "a time", "give seconds, e.g. 60")
        _number_in(check, (*path, index, 1), rate, "a rate", "give requests per second")
        if time <= previous:
            raise check.fail(
                (*path, index, 0),
                f"time {time:g} is not after the previous one ({previous:g})",
                time,
                "list the pairs in time order, each time once",
            )
        previous = time


def _check_mix(check: _Checker, path: FieldPath, mix: Mapping[str, float]) -> None:
    for kind, weight in mix.items():
        if kind not in REQUEST_KINDS:
            raise check.fail(
                (*path, kind),
                f"unknown request kind {kind!r} (known: {', '.join(REQUEST_KINDS)})",
                kind,
                did_you_mean(kind, REQUEST_KINDS) + "use get and put",
            )
        _number_in(check, (*path, kind), weight, "a mix weight", "give a relative weight, e.g. 2")
    if sum(mix.values()) <= 0:
        raise check.fail(
            path,
            "the request mix has no positive weight",
            dict(mix),
            "give at least one kind a positive weight, e.g. mix: {get: 2, put: 1}",
        )
