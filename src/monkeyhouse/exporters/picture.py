"""Draw a run's dependency graph as SVG and PNG pictures (``monkeyhouse render DIR``).

The input is the run folder's ``graph.json`` in spigo's graph JSON format: node, edge, forget
and done entries (see ``reference/spigo.md`` §6.8). Two views are drawn:

``services``
    Instances collapsed to one box per service, laid out in layers with igraph's Sugiyama
    layout so that traffic flows from the top (DNS, load balancers) to the bottom (storage).
    An arrow goes from service A to service B when any instance of A depends on an instance
    of B; its width grows with the logarithm of the number of such instance edges. A service
    that depends on itself (a Cassandra ring) gets a small loop.

``instances``
    Every instance is a dot, grouped in boxes: a row per region, a column per zone, a box
    for global nodes (region and zone ``*``) and one per region for region-wide nodes (zone
    ``*``). Inside a box each service has its own row(s), upstream services first. Nodes that
    left the run (``done`` entries) are drawn hollow.

Colours are fixed per package and grouped by role, so a picture reads the same from one run to
the next:

================  =============================================  ==========================
role              packages                                       colours
================  =============================================  ==========================
traffic source    denominator                                    purple
load balancer     elb, zuul                                      dark and light blue
business logic    karyon, monolith, pirate                       greens, teal
data access       staash                                         orange
storage           priamCassandra, riak, store, cache, volume     reds, brown, pink, gold
infrastructure    eureka, edda                                   greys
other             any other package                              light grey
================  =============================================  ==========================

Output is deterministic: the same ``graph.json`` gives byte-identical SVG files.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import igraph
import matplotlib
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch
from matplotlib.path import Path as MplPath

from monkeyhouse.errors import RunFolderError, UsageError

__all__ = [
    "PACKAGE_STYLES",
    "Graph",
    "NodeName",
    "load_graph",
    "package_colour",
    "parse_node_id",
    "render",
]

View = Literal["services", "instances"]
Point = tuple[float, float]

#: Role and colour of each known package (see the module docstring for the table).
PACKAGE_STYLES: Mapping[str, tuple[str, str]] = {
    "denominator": ("traffic source", "#6a3d9a"),
    "elb": ("load balancer", "#1f4e9c"),
    "zuul": ("load balancer", "#5b9bd5"),
    "karyon": ("business logic", "#2e8b57"),
    "monolith": ("business logic", "#7cb342"),
    "pirate": ("business logic", "#17a2b8"),
    "staash": ("data access", "#f28e2b"),
    "priamCassandra": ("storage", "#c0392b"),
    "riak": ("storage", "#8e2a20"),
    "store": ("storage", "#8c564b"),
    "cache": ("storage", "#e377c2"),
    "volume": ("storage", "#c9a227"),
    "eureka": ("infrastructure", "#7f7f7f"),
    "edda": ("infrastructure", "#a6a6a6"),
}
_OTHER_STYLE = ("other", "#c7c7c7")
_ROLE_RANK = {
    "traffic source": 0,
    "load balancer": 1,
    "business logic": 2,
    "other": 2,
    "data access": 3,
    "storage": 4,
    "infrastructure": 5,
}
_FORMATS = ("svg", "png", "pdf")
_PNG_DPI = 150.0
_MAX_PIXELS = 8000.0
_TRAILING_DIGITS = re.compile(r"\d+$")
_FIX = "point at a run folder written by `monkeyhouse run` (or spigo -j output saved as graph.json)"


def package_colour(package: str) -> str:
    """Return the fixed fill colour of a package (light grey for unknown packages)."""
    return PACKAGE_STYLES.get(package, _OTHER_STYLE)[1]


def _package_role(package: str) -> str:
    return PACKAGE_STYLES.get(package, _OTHER_STYLE)[0]


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True, slots=True)
class Graph:
    """A dependency graph read from spigo graph JSON, after forgotten edges are removed."""

    arch: str
    nodes: Mapping[str, str]
    """Node id → package name, in file order."""
    edges: frozenset[tuple[str, str]]
    """Caller → callee node id pairs still present at the end of the run."""
    done: frozenset[str]
    """Node ids that left the run (``done`` entries)."""


@dataclass(frozen=True, slots=True)
class NodeName:
    """The parts of a node id used for drawing."""

    region: str
    zone: str
    instance: str
    service: str


def parse_node_id(node_id: str, services: Iterable[str] = ()) -> NodeName:
    """Split a graph JSON node id into region, zone, instance and service name.

    Accepts the default ``arch.region.zone.instance`` form (the service is the instance minus
    its trailing digits, so ``rds-mysql01`` is service ``rds-mysql``), the reduced ``-f`` form
    ``arch.region.zone.service.package`` and spigo's full nine-field names. ``services``, the
    run's service names when known, tell ``svc1x002`` + ``07`` from ``svc1x`` + ``00207``: the
    longest of them that only digits follow in the instance wins.
    """
    parts = node_id.split(".")
    if len(parts) >= 9:
        instance = parts[4] or parts[7]
        service = parts[7] or _service_of(instance, services)
    elif len(parts) >= 5:
        instance = parts[3]
        service = parts[3]
    elif len(parts) == 4:
        instance = parts[3]
        service = _service_of(instance, services)
    else:
        instance = parts[-1]
        service = _service_of(instance, services)
    region = parts[1] if len(parts) >= 4 else "*"
    zone = parts[2] if len(parts) >= 4 else "*"
    return NodeName(region=region or "*", zone=zone or "*", instance=instance, service=service)


def _strip_index(instance: str) -> str:
    stripped = _TRAILING_DIGITS.sub("", instance)
    return stripped or instance


def _service_of(instance: str, services: Iterable[str]) -> str:
    best = ""
    for service in services:
        rest = instance[len(service) :]
        if len(service) > len(best) and instance.startswith(service) and rest.isdigit():
            best = service
    return best or _strip_index(instance)


def _bad(path: Path, where: str, problem: str) -> RunFolderError:
    return RunFolderError(f"{path}: {where}: {problem} (not spigo graph JSON; {_FIX})")


def _entry_str(path: Path, index: int, entry: Mapping[str, Any], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise _bad(path, f"graph[{index}].{key}", f"expected a non-empty string, got {value!r}")
    return value


def load_graph(path: Path) -> Graph:
    """Read a spigo graph JSON file; raise RunFolderError naming the file when it is unusable."""
    path = Path(path)
    if not path.is_file():
        raise RunFolderError(f"{path}: file not found ({_FIX})")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise RunFolderError(f"{path}: cannot read: {error} ({_FIX})") from error
    except json.JSONDecodeError as error:
        raise RunFolderError(
            f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg} ({_FIX})"
        ) from error
    if not isinstance(document, dict):
        raise _bad(path, "top level", f"expected a JSON object, got {type(document).__name__}")
    entries = document.get("graph")
    if not isinstance(entries, list):
        raise _bad(path, "graph", "missing list of node/edge entries")
    arch = document.get("arch")
    nodes: dict[str, str] = {}
    edge_ids: dict[str, tuple[str, str]] = {}
    done: set[str] = set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _bad(path, f"graph[{index}]", f"expected an object, got {entry!r}")
        if "node" in entry:
            node = _entry_str(path, index, entry, "node")
            package = entry.get("package", entry.get("service", ""))
            nodes[node] = package if isinstance(package, str) else ""
        elif "edge" in entry:
            source = _entry_str(path, index, entry, "source")
            target = _entry_str(path, index, entry, "target")
            edge_id = entry.get("edge")
            key = edge_id if isinstance(edge_id, str) and edge_id else f"#{source}->{target}"
            edge_ids[key] = (source, target)
        elif "forget" in entry:
            forget_id = entry.get("forget")
            if isinstance(forget_id, str) and forget_id in edge_ids:
                del edge_ids[forget_id]
            else:
                pair = (_entry_str(path, index, entry, "source"), entry.get("target"))
                for key in [k for k, value in edge_ids.items() if value == pair]:
                    del edge_ids[key]
        elif "done" in entry:
            done.add(_entry_str(path, index, entry, "done"))
    edges = frozenset(edge_ids.values())
    for source, target in sorted(edges):
        nodes.setdefault(source, "")
        nodes.setdefault(target, "")
    return Graph(
        arch=arch if isinstance(arch, str) else "",
        nodes=nodes,
        edges=edges,
        done=frozenset(done),
    )


def _run_folder_graph(run_dir: Path) -> tuple[Graph, str]:
    if not run_dir.exists():
        raise RunFolderError(f"{run_dir}: no such run folder ({_FIX})")
    if not run_dir.is_dir():
        raise RunFolderError(f"{run_dir}: not a folder ({_FIX})")
    graph_path = run_dir / "graph.json"
    if not graph_path.is_file():
        raise RunFolderError(
            f"{run_dir}: graph.json is missing; nothing to draw (run the simulation with the "
            "graph output on, or copy spigo's json/<arch>.json there as graph.json)"
        )
    graph = load_graph(graph_path)
    arch = graph.arch or _manifest_arch(run_dir) or run_dir.name
    return graph, arch


def _manifest_arch(run_dir: Path) -> str:
    manifest = run_dir / "run.json"
    try:
        document = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    arch = document.get("arch") if isinstance(document, dict) else None
    if isinstance(arch, dict):
        arch = arch.get("name")
    return arch if isinstance(arch, str) else ""


# --------------------------------------------------------------------------- service model


@dataclass(frozen=True, slots=True)
class _Services:
    names: list[str]
    package: dict[str, str]
    instances: dict[str, int]
    left: dict[str, int]
    edges: dict[tuple[str, str], int]
    node_service: dict[str, str]


def _collapse(graph: Graph) -> _Services:
    node_service: dict[str, str] = {}
    packages: dict[str, Counter[str]] = defaultdict(Counter)
    instances: Counter[str] = Counter()
    left: Counter[str] = Counter()
    for node, package in graph.nodes.items():
        service = parse_node_id(node).service
        node_service[node] = service
        packages[service][package] += 1
        instances[service] += 1
        if node in graph.done:
            left[service] += 1
    edges: Counter[tuple[str, str]] = Counter()
    for source, target in graph.edges:
        edges[(node_service[source], node_service[target])] += 1
    names = sorted(instances)
    main_package = {
        name: min(packages[name].items(), key=lambda item: (-item[1], item[0]))[0] for name in names
    }
    return _Services(
        names=names,
        package=main_package,
        instances=dict(instances),
        left=dict(left),
        edges=dict(sorted(edges.items())),
        node_service=node_service,
    )


@contextmanager
def _seeded_igraph(seed: int = 0) -> Iterator[None]:
    """Give igraph a private seeded generator, so layouts never depend on global state."""
    igraph.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        igraph.set_random_number_generator(random)


def _sugiyama(
    services: _Services, pairs: list[tuple[str, str]], maxiter: int
) -> tuple[list[Point], list[list[Point]]]:
    """Return a Sugiyama layout (x, layer) per service and control points per edge pair."""
    index = {name: i for i, name in enumerate(services.names)}
    graph = igraph.Graph(
        n=len(services.names), edges=[(index[s], index[t]) for s, t in pairs], directed=True
    )
    try:
        with _seeded_igraph():
            layout = graph.layout_sugiyama(maxiter=maxiter)
        coords = [(float(x), float(y)) for x, y in layout.coords]
        routing = [[(float(x), float(y)) for x, y in points] for points in layout.edge_routing]
        if len(coords) != len(services.names) or len(routing) != len(pairs):
            raise ValueError("unexpected layout shape")
        if not all(math.isfinite(x) and math.isfinite(y) for x, y in coords):
            raise ValueError("non-finite layout")
        return coords, routing
    except (igraph.InternalError, ValueError, TypeError, AttributeError):
        # Fallback: one layer per package role, services side by side in name order.
        per_layer: Counter[int] = Counter()
        coords = []
        for name in services.names:
            layer = _ROLE_RANK.get(_package_role(services.package[name]), 2)
            coords.append((float(per_layer[layer]), float(layer)))
            per_layer[layer] += 1
        return coords, [[] for _ in pairs]


@dataclass(frozen=True, slots=True)
class _ServiceLayout:
    position: dict[str, Point]
    routes: dict[tuple[str, str], list[Point]]
    width: float
    height: float
    layer: dict[str, int]


_SUB_ROW = 0.58


def _layout_services(services: _Services, max_per_row: int) -> _ServiceLayout:
    """Lay services out in Sugiyama layers, top (callers) to bottom (callees).

    When the edge routing stays narrow, Sugiyama's own coordinates and control points are
    used (edges bend around boxes). When long edges would make the drawing many times wider
    than its widest layer, services are spaced evenly in Sugiyama's order and edges are drawn
    straight; layers wider than ``max_per_row`` are staggered over several sub-rows.
    """
    pairs = [pair for pair in services.edges if pair[0] != pair[1]]
    maxiter = 100 if len(pairs) <= 1000 else 20
    coords, routing = _sugiyama(services, pairs, maxiter)
    layer_values = {round(y) for _, y in coords}
    layer_values.update(round(y) for points in routing for _, y in points)
    rank = {layer: i for i, layer in enumerate(sorted(layer_values))}
    members: dict[int, list[int]] = defaultdict(list)
    for i, (_, y) in enumerate(coords):
        members[rank[round(y)]].append(i)
    widest = max((len(row) for row in members.values()), default=1)
    all_x = [x for x, _ in coords] + [x for points in routing for x, _ in points]
    raw_width = max(all_x) - min(all_x) if all_x else 0.0
    layer_of = {services.names[i]: r for r, row in members.items() for i in row}
    if raw_width <= 1.6 * widest + 4 and widest <= max_per_row:
        left = min(all_x) if all_x else 0.0
        return _ServiceLayout(
            position={
                name: (coords[i][0] - left, float(rank[round(coords[i][1])]))
                for i, name in enumerate(services.names)
            },
            routes={
                pair: [(x - left, float(rank[round(y)])) for x, y in routing[e]]
                for e, pair in enumerate(pairs)
            },
            width=raw_width + 1.0,
            height=float(max(rank.values(), default=0)),
            layer=layer_of,
        )
    position: dict[str, Point] = {}
    base = 0.0
    width = 1.0
    for r in sorted(members):
        row = sorted(members[r], key=lambda i: (coords[i][0], i))
        sub_rows = max(1, math.ceil(len(row) / max_per_row))
        middle = (len(row) - 1) / 2
        for j, i in enumerate(row):
            position[services.names[i]] = (
                (j - middle) / sub_rows,
                base + (j % sub_rows) * _SUB_ROW,
            )
        width = max(width, (len(row) - 1) / sub_rows + 1.0)
        base += 1.0 + (sub_rows - 1) * _SUB_ROW
    return _ServiceLayout(
        position=position,
        routes={pair: [] for pair in pairs},
        width=width,
        height=max(base - 1.0, 0.0),
        layer=layer_of,
    )


# --------------------------------------------------------------------------- drawing helpers


def _text_colour(fill: str) -> str:
    red, green, blue = matplotlib.colors.to_rgb(fill)
    luminance = 0.299 * red + 0.587 * green + 0.114 * blue
    return "#1a1a1a" if luminance > 0.6 else "#ffffff"


def _darker(fill: str, factor: float = 0.7) -> tuple[float, float, float]:
    red, green, blue = matplotlib.colors.to_rgb(fill)
    return (red * factor, green * factor, blue * factor)


def _clip_to_box(centre: Point, toward: Point, half_w: float, half_h: float) -> Point:
    """Return where the ray from a box centre toward a point leaves the box."""
    dx = toward[0] - centre[0]
    dy = toward[1] - centre[1]
    scale = min(
        half_w / abs(dx) if dx else math.inf,
        half_h / abs(dy) if dy else math.inf,
        1.0,
    )
    return (centre[0] + dx * scale, centre[1] + dy * scale)


def _smooth_path(points: list[Point]) -> MplPath:
    """Return a Catmull-Rom spline through the points as a cubic Bézier path."""
    if len(points) == 2:
        return MplPath(points, [MplPath.MOVETO, MplPath.LINETO])
    vertices: list[Point] = [points[0]]
    codes = [MplPath.MOVETO]
    padded = [points[0], *points, points[-1]]
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        c1 = (p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6)
        c2 = (p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6)
        vertices.extend([c1, c2, p2])
        codes.extend([MplPath.CURVE4] * 3)
    return MplPath(vertices, codes)


def _fit_font(text: str, width_pt: float, largest: float, smallest: float = 2.5) -> float:
    """Return the largest font size (points) at which the text fits the width."""
    fits = width_pt / (0.62 * max(len(text), 1))
    return max(smallest, min(largest, fits))


def _legend_handles(packages: Sequence[str]) -> list[Any]:
    ordered = sorted(set(packages), key=lambda p: (_ROLE_RANK.get(_package_role(p), 2), p))
    return [
        Patch(
            facecolor=package_colour(package),
            edgecolor=_darker(package_colour(package)),
            label=f"{package or 'unknown'}  ({_package_role(package)})",
        )
        for package in ordered
    ]


@dataclass(frozen=True, slots=True)
class _Canvas:
    figure: Figure
    axes: Any
    font_scale: float


def _canvas(
    data_w: float,
    data_h: float,
    unit_w: float,
    unit_h: float,
    *,
    max_w: float,
    max_h: float,
    legend_rows: int,
    equal: bool,
) -> _Canvas:
    """Make a figure whose axes show data_w × data_h units, leaving room for title and legend."""
    scale_w = min(unit_w, max_w / data_w)
    scale_h = min(unit_h, max_h / data_h)
    if equal:
        scale_w = scale_h = min(scale_w, scale_h)
    axes_w = data_w * scale_w
    axes_h = data_h * scale_h
    font_scale = max(0.45, min(1.0, min(scale_w / unit_w, scale_h / unit_h) ** 0.5))
    legend_w = 2.6 * max(font_scale, 0.7)
    title_h = 0.95
    legend_h = 0.4 + 0.22 * legend_rows
    fig_w = max(axes_w + legend_w + 0.4, 6.0)
    fig_h = max(axes_h + title_h + 0.3, legend_h + title_h, 3.5)
    figure = Figure(figsize=(fig_w, fig_h), facecolor="white")
    left = 0.2 / fig_w
    bottom = (fig_h - title_h - axes_h) / fig_h
    axes = figure.add_axes((left, bottom, axes_w / fig_w, axes_h / fig_h))
    axes.set_axis_off()
    return _Canvas(figure=figure, axes=axes, font_scale=font_scale)


def _title(canvas: _Canvas, heading: str, detail: str) -> None:
    figure = canvas.figure
    fig_h = figure.get_figheight()
    figure.text(
        0.2 / figure.get_figwidth(),
        1 - 0.22 / fig_h,
        heading,
        fontsize=15,
        fontweight="bold",
        va="top",
        color="#1a1a1a",
    )
    figure.text(
        0.2 / figure.get_figwidth(),
        1 - 0.6 / fig_h,
        detail,
        fontsize=9,
        va="top",
        color="#555555",
    )


def _legend(canvas: _Canvas, handles: list[Any], title: str) -> None:
    figure = canvas.figure
    right = canvas.axes.get_position().x1
    legend = figure.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(right + 0.1 / figure.get_figwidth(), 1 - 0.95 / figure.get_figheight()),
        fontsize=8,
        title=title,
        title_fontsize=9,
        frameon=False,
        alignment="left",
    )
    legend.set_gid("legend")


# --------------------------------------------------------------------------- services view

_BOX_W = 0.84
_BOX_H = 0.44


def _draw_services(graph: Graph, arch: str) -> Figure:
    services = _collapse(graph)
    layout = _layout_services(services, max_per_row=40)
    data_w = max(layout.width + 0.9, 2.0)
    data_h = layout.height + 1.1
    packages = sorted(set(services.package.values()))
    canvas = _canvas(
        data_w,
        data_h,
        1.75,
        1.15,
        max_w=42.0,
        max_h=30.0,
        legend_rows=len(packages) + 3,
        equal=False,
    )
    axes = canvas.axes
    figure = canvas.figure
    xs = [x for x, _ in layout.position.values()] or [0.0]
    centre = (min(xs) + max(xs)) / 2
    axes.set_xlim(centre - data_w / 2, centre + data_w / 2)
    axes.set_ylim(layout.height + 0.55, -0.55)
    axes_box = axes.get_position()
    unit_w_pt = axes_box.width * figure.get_figwidth() * 72 / data_w
    unit_h_pt = axes_box.height * figure.get_figheight() * 72 / data_h
    box_w_pt = _BOX_W * unit_w_pt
    box_h_pt = _BOX_H * unit_h_pt
    half_w, half_h = _BOX_W / 2, _BOX_H / 2
    edge_scale = max(0.35, min(1.0, unit_w_pt / 126))

    label_edges = len(services.edges) <= 80
    crowd = len(services.edges)
    edge_alpha = 0.75 if crowd <= 60 else max(0.2, 0.75 * math.sqrt(60 / crowd))
    count_size = max(3.0, min(7.5, 0.3 * box_h_pt))
    for (source, target), count in services.edges.items():
        width = edge_scale * (0.7 + 0.9 * math.log1p(count))
        colour = _darker(package_colour(services.package[source]), 0.85)
        if source == target:
            width = min(width, 2.2 * edge_scale)
            path = _loop_path(layout.position[source], half_w, half_h)
            x, y = layout.position[source]
            middle: Point = (x + half_w + 0.06, y - half_h * 1.45)
            align = "center"
        else:
            points = _edge_points(
                layout.position[source],
                layout.position[target],
                layout.routes[(source, target)],
                half_w,
                half_h,
                offset=0.06 if (target, source) in services.edges else 0.0,
            )
            path = _smooth_path(points)
            middle = _halfway(points)
            align = "center"
        arrow = FancyArrowPatch(
            path=path,
            arrowstyle="-|>,head_length=0.6,head_width=0.35",
            mutation_scale=4.0 + 2.2 * width,
            linewidth=width,
            color=colour,
            alpha=edge_alpha,
            zorder=1,
            joinstyle="round",
            capstyle="round",
        )
        arrow.set_gid(f"edge:{source}->{target}")
        axes.add_patch(arrow)
        if label_edges:
            axes.text(
                middle[0],
                middle[1],
                str(count),
                ha=align,
                va="center",
                fontsize=count_size,
                color="#333333",
                zorder=2.5,
                bbox={
                    "boxstyle": "round,pad=0.15",
                    "facecolor": "white",
                    "edgecolor": "none",
                    "alpha": 0.85,
                },
            )

    name_size = min(10.5, 0.42 * box_h_pt)
    for name in services.names:
        x, y = layout.position[name]
        package = services.package[name]
        fill = package_colour(package)
        box = FancyBboxPatch(
            (x - half_w, y - half_h),
            _BOX_W,
            _BOX_H,
            boxstyle="round,pad=0,rounding_size=0.07",
            mutation_aspect=unit_w_pt / unit_h_pt,
            facecolor=fill,
            edgecolor=_darker(fill),
            linewidth=0.8 * edge_scale,
            zorder=2,
        )
        box.set_gid(f"node:{name}")
        axes.add_patch(box)
        ink = _text_colour(fill)
        count = services.instances[name]
        detail = f"{package or 'unknown'} ×{count}"
        title_size = _fit_font(name, box_w_pt * 0.92, name_size)
        detail_size = _fit_font(detail, box_w_pt * 0.92, title_size * 0.8)
        axes.text(
            x,
            y - half_h * 0.22,
            name,
            ha="center",
            va="center",
            fontsize=title_size,
            fontweight="bold",
            color=ink,
            zorder=3,
        )
        axes.text(
            x,
            y + half_h * 0.5,
            detail,
            ha="center",
            va="center",
            fontsize=detail_size,
            color=ink,
            zorder=3,
        )

    instance_edges = len(graph.edges)
    left = len(graph.done & graph.nodes.keys())
    _title(
        canvas,
        f"{arch}: services",
        f"{len(services.names)} services, {len(graph.nodes)} instances ({left} left), "
        f"{instance_edges} instance edges, {len(services.edges)} service edges; "
        "arrow width ~ log(instance edges)",
    )
    handles = _legend_handles(packages)
    handles.append(Line2D([], [], color="#555555", linewidth=1.3, label="calls (1 instance edge)"))
    handles.append(
        Line2D([], [], color="#555555", linewidth=0.7 + 0.9 * math.log1p(100), label="100 edges")
    )
    _legend(canvas, handles, "package (role)")
    return figure


def _edge_points(
    source: Point,
    target: Point,
    route: list[Point],
    half_w: float,
    half_h: float,
    offset: float,
) -> list[Point]:
    """Return the points an edge passes: out of the source box, control points, into the target."""
    points = list(route)
    if points and math.dist(points[0], target) < math.dist(points[-1], target) - 1e-9:
        points.reverse()
    if not points and abs(source[1] - target[1]) < 1e-9:
        # Same layer (only in the fallback layout): bend the arrow over the row.
        middle = ((source[0] + target[0]) / 2, source[1] - 0.45)
        points = [middle]
    start = _clip_to_box(source, points[0] if points else target, half_w, half_h)
    end = _clip_to_box(target, points[-1] if points else source, half_w, half_h)
    full = [start, *points, end]
    if offset:
        dx = end[0] - start[0]
        dy = end[1] - start[1]
        length = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / length * offset, dx / length * offset
        full = [(x + nx, y + ny) for x, y in full]
    return full


def _halfway(points: list[Point]) -> Point:
    """Return the point half way along a polyline."""
    lengths = [math.dist(a, b) for a, b in itertools.pairwise(points)]
    remaining = sum(lengths) / 2
    for (a, b), length in zip(itertools.pairwise(points), lengths, strict=True):
        if length >= remaining and length > 0:
            t = remaining / length
            return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
        remaining -= length
    return points[-1]


def _loop_path(centre: Point, half_w: float, half_h: float) -> MplPath:
    x, y = centre
    right = x + half_w
    reach = 0.15
    return MplPath(
        [
            (right, y - half_h * 0.45),
            (right + reach, y - half_h * 1.5),
            (right + reach, y + half_h * 1.5),
            (right, y + half_h * 0.45),
        ],
        [MplPath.MOVETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4],
    )


# --------------------------------------------------------------------------- instances view


@dataclass(frozen=True, slots=True)
class _Group:
    region: str
    zone: str
    rows: list[tuple[str, list[str]]]
    """(service, node ids) per row, upstream services first."""
    columns: int

    @property
    def title(self) -> str:
        if self.region == "*":
            where = "global"
        elif self.zone == "*":
            where = f"{self.region} · region-wide"
        else:
            where = f"{self.region} · {self.zone}"
        count = sum(len(nodes) for _, nodes in self.rows)
        return f"{where}  ({count})"


def _instance_index(instance: str, service: str) -> tuple[int, str]:
    suffix = instance[len(service) :] if instance.startswith(service) else ""
    return (int(suffix) if suffix.isdigit() else -1, instance)


def _service_ranks(services: _Services) -> dict[str, int]:
    """Return a layer per service (igraph Sugiyama layering, cheap crossing reduction)."""
    pairs = [pair for pair in services.edges if pair[0] != pair[1]]
    coords, _ = _sugiyama(services, pairs, maxiter=1)
    return {name: round(coords[i][1]) for i, name in enumerate(services.names)}


def _groups(graph: Graph, services: _Services) -> tuple[list[str], list[str], list[_Group]]:
    ranks = _service_ranks(services)
    by_group: dict[tuple[str, str], dict[str, list[tuple[tuple[int, str], str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    regions: dict[str, None] = {}
    zones: set[str] = set()
    for node in graph.nodes:
        name = parse_node_id(node)
        region = name.region
        zone = "*" if region == "*" else name.zone
        if region != "*":
            regions.setdefault(region, None)
        if zone != "*":
            zones.add(zone)
        service = services.node_service[node]
        by_group[(region, zone)][service].append((_instance_index(name.instance, service), node))
    biggest = max((len(v) for g in by_group.values() for v in g.values()), default=1)
    group_sizes = [sum(len(v) for v in g.values()) for g in by_group.values()] or [1]
    cap = max(6, math.ceil(1.6 * math.sqrt(max(group_sizes))))
    columns = min(biggest, cap)
    groups: list[_Group] = []
    for (region, zone), members in by_group.items():
        rows: list[tuple[str, list[str]]] = []
        for service in sorted(members, key=lambda s: (ranks.get(s, 0), s)):
            nodes = [node for _, node in sorted(members[service])]
            for start in range(0, len(nodes), columns):
                rows.append((service, nodes[start : start + columns]))
        width = max(len(nodes) for _, nodes in rows)
        groups.append(_Group(region=region, zone=zone, rows=rows, columns=width))
    return list(regions), sorted(zones), groups


_PAD = 0.5
_GAP = 1.0
_TITLE_BAND = 1.1
_CELL_IN = 0.3
_MAX_INSTANCE_EDGES = 8000
_MAX_INSTANCE_PIXELS = 4500.0


def _draw_instances(graph: Graph, arch: str) -> Figure:
    services = _collapse(graph)
    regions, zones, groups = _groups(graph, services)
    total_rows = sum(len(group.rows) for group in groups)
    show_rows = total_rows <= 1500
    show_dots = len(graph.nodes) <= 120
    label_len = max((len(service) for g in groups for service, _ in g.rows), default=0)
    label_cells = (label_len * 0.62 * 7.0 / 72 / _CELL_IN + 0.5) if show_rows else 0.0

    # Grid: column 0 holds global and region-wide boxes, then one column per zone; row 0 holds
    # the global box, then one row per region.
    has_star = any(group.zone == "*" for group in groups)
    column_of = {zone: i + (1 if has_star else 0) for i, zone in enumerate(zones)}
    has_global = any(group.region == "*" for group in groups)
    row_of = {region: i + (1 if has_global else 0) for i, region in enumerate(regions)}

    def cell(group: _Group) -> tuple[int, int]:
        if group.region == "*":
            return (0, 0)
        return (row_of[group.region], 0 if group.zone == "*" else column_of[group.zone])

    def box_size(group: _Group) -> tuple[float, float]:
        title_cells = 0.36 * len(group.title)
        return (
            2 * _PAD + max(label_cells + group.columns, title_cells),
            _TITLE_BAND + len(group.rows) + _PAD,
        )

    col_w: dict[int, float] = defaultdict(float)
    row_h: dict[int, float] = defaultdict(float)
    for group in groups:
        r, c = cell(group)
        w, h = box_size(group)
        col_w[c] = max(col_w[c], w)
        row_h[r] = max(row_h[r], h)
    col_x: dict[int, float] = {}
    cursor = 0.0
    for c in sorted(col_w):
        col_x[c] = cursor
        cursor += col_w[c] + _GAP
    data_w = max(cursor - _GAP, 1.0)
    row_y: dict[int, float] = {}
    cursor = 0.0
    for r in sorted(row_h):
        row_y[r] = cursor
        cursor += row_h[r] + _GAP
    data_h = max(cursor - _GAP, 1.0)

    packages = sorted(set(graph.nodes.values()))
    canvas = _canvas(
        data_w + 0.2,
        data_h + 0.2,
        _CELL_IN,
        _CELL_IN,
        max_w=36.0,
        max_h=36.0,
        legend_rows=len(packages) + 4,
        equal=True,
    )
    axes = canvas.axes
    figure = canvas.figure
    axes.set_xlim(-0.1, data_w + 0.1)
    axes.set_ylim(data_h + 0.1, -0.1)
    cell_pt = axes.get_position().width * figure.get_figwidth() * 72 / (data_w + 0.2)
    font = 7.0 * cell_pt / (_CELL_IN * 72)
    title_font = max(3.0, min(11.0, 0.55 * _TITLE_BAND * cell_pt))
    diameter = 0.64 * cell_pt
    marker = diameter**2

    position: dict[str, Point] = {}
    for group in groups:
        r, c = cell(group)
        x0, y0 = col_x[c], row_y[r]
        w, h = col_w[c], row_h[r]
        frame = FancyBboxPatch(
            (x0, y0),
            w,
            h,
            boxstyle="round,pad=0,rounding_size=0.4",
            facecolor="#f3f5f8" if group.zone != "*" else "#f8f4ec",
            edgecolor="#9aa5b1",
            linewidth=0.8,
            zorder=0,
        )
        frame.set_gid(f"group:{group.region}/{group.zone}")
        axes.add_patch(frame)
        axes.text(
            x0 + _PAD,
            y0 + _TITLE_BAND * 0.5,
            group.title,
            fontsize=title_font,
            fontweight="bold",
            va="center",
            ha="left",
            color="#2b3440",
            zorder=3,
        )
        xs: list[float] = []
        ys: list[float] = []
        faces: list[Any] = []
        edges: list[Any] = []
        widths: list[float] = []
        for row, (service, nodes) in enumerate(group.rows):
            y = y0 + _TITLE_BAND + row + 0.5
            if show_rows and (row == 0 or group.rows[row - 1][0] != service):
                axes.text(
                    x0 + _PAD,
                    y,
                    service,
                    fontsize=font,
                    va="center",
                    ha="left",
                    color="#333333",
                    zorder=3,
                )
            for column, node in enumerate(nodes):
                x = x0 + _PAD + label_cells + column + 0.5
                position[node] = (x, y)
                colour = package_colour(graph.nodes[node])
                xs.append(x)
                ys.append(y)
                left = node in graph.done
                faces.append("#ffffff" if left else colour)
                edges.append(colour if left else _darker(colour))
                widths.append(max(0.4, 0.12 * cell_pt) if left else 0.4)
                if show_dots:
                    number = _instance_index(parse_node_id(node).instance, service)[0]
                    if number >= 0:
                        axes.text(
                            x,
                            y,
                            str(number),
                            fontsize=_fit_font(str(number), diameter * 0.8, diameter * 0.42),
                            va="center_baseline",
                            ha="center",
                            color="#333333" if left else _text_colour(colour),
                            zorder=3,
                        )
        dots = axes.scatter(
            xs, ys, s=marker, c=faces, edgecolors=edges, linewidths=widths, zorder=2
        )
        dots.set_gid(f"nodes:{group.region}/{group.zone}")

    drawn = sorted(pair for pair in graph.edges if pair[0] != pair[1])
    drawable = len(drawn)
    if drawable > _MAX_INSTANCE_EDGES:
        drawn = sorted(random.Random(0).sample(drawn, _MAX_INSTANCE_EDGES))
    steps = 8 if len(drawn) <= 2000 else 4
    segments = [_arc(position[source], position[target], steps) for source, target in drawn]
    if segments:
        alpha = max(0.04, min(0.3, 5.0 / math.sqrt(len(segments))))
        lines = LineCollection(
            segments,
            colors="#34495e",
            linewidths=max(0.25, min(0.7, 0.05 * cell_pt)),
            alpha=alpha,
            antialiaseds=len(segments) <= 2000,
            zorder=1,
        )
        lines.set_gid("edges")
        axes.add_collection(lines)
    sampled = f" (a fixed sample of {len(drawn)} drawn)" if len(drawn) < drawable else ""

    left_count = len(graph.done & graph.nodes.keys())
    _title(
        canvas,
        f"{arch}: instances",
        f"{len(graph.nodes)} instances ({left_count} left, drawn hollow), {len(graph.edges)} "
        f"edges{sampled}, {_plural(len(regions), 'region')}, {_plural(len(zones), 'zone')}, "
        f"{len(services.names)} services",
    )
    handles = _legend_handles(packages)
    handles.append(
        Line2D(
            [],
            [],
            linestyle="",
            marker="o",
            markerfacecolor="#888888",
            markeredgecolor="#555555",
            label="running at the end",
        )
    )
    handles.append(
        Line2D(
            [],
            [],
            linestyle="",
            marker="o",
            markerfacecolor="#ffffff",
            markeredgecolor="#555555",
            label="left the run (done)",
        )
    )
    _legend(canvas, handles, "package (role)")
    return figure


def _arc(source: Point, target: Point, steps: int = 8) -> list[Point]:
    """Return a gently bent polyline from source to target (bent to the right of travel)."""
    dx = target[0] - source[0]
    dy = target[1] - source[1]
    bend = 0.15
    cx = (source[0] + target[0]) / 2 - dy * bend
    cy = (source[1] + target[1]) / 2 + dx * bend
    points: list[Point] = []
    for i in range(steps + 1):
        t = i / steps
        u = 1 - t
        points.append(
            (
                u * u * source[0] + 2 * u * t * cx + t * t * target[0],
                u * u * source[1] + 2 * u * t * cy + t * t * target[1],
            )
        )
    return points


# --------------------------------------------------------------------------- entry point


def render(
    run_dir: Path,
    *,
    view: Literal["services", "instances"] = "services",
    formats: Sequence[str] = ("svg", "png"),
    out_stem: str | None = None,
) -> list[Path]:
    """Draw DIR/graph.json and write ``DIR/graph-<view>.<format>`` for each format.

    Returns the written paths in the order of ``formats``. Raises RunFolderError when the folder
    or its graph.json is missing or unreadable, UsageError for an unknown view or format.
    """
    run_dir = Path(run_dir)
    if view not in ("services", "instances"):
        raise UsageError(f"--view: unknown view {view!r} (use services or instances)")
    if isinstance(formats, str):
        formats = (formats,)
    wanted = [fmt.lower().lstrip(".") for fmt in formats]
    for fmt in wanted:
        if fmt not in _FORMATS:
            raise UsageError(f"--format: unknown format {fmt!r} (use one of {', '.join(_FORMATS)})")
    if not wanted:
        raise UsageError("--format: no output format given (use svg, png or both)")
    graph, arch = _run_folder_graph(run_dir)
    if not graph.nodes:
        raise RunFolderError(f"{run_dir / 'graph.json'}: the graph has no nodes; nothing to draw")
    stem = out_stem or f"graph-{view}"
    written: list[Path] = []
    with matplotlib.rc_context(
        {
            "svg.hashsalt": "monkeyhouse",
            "svg.fonttype": "none",
            "path.simplify": True,
            "font.family": "DejaVu Sans",
        }
    ):
        figure = _draw_services(graph, arch) if view == "services" else _draw_instances(graph, arch)
        biggest = max(figure.get_figwidth(), figure.get_figheight())
        limit = _MAX_PIXELS if view == "services" else _MAX_INSTANCE_PIXELS
        dpi = min(_PNG_DPI, limit / biggest)
        for fmt in wanted:
            target = run_dir / f"{stem}.{fmt}"
            _save(figure, target, fmt, dpi)
            written.append(target)
    return written


def _save(figure: Figure, target: Path, fmt: str, dpi: float) -> None:
    """Write the figure atomically (temporary file in the same folder, then rename)."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    metadata: dict[str, Any] = {
        "svg": {"Date": None},
        "pdf": {"CreationDate": None},
    }.get(fmt, {})
    try:
        figure.savefig(temporary, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _plural(count: int, noun: str) -> str:
    """``1 region``, ``3 regions``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
