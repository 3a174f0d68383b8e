"""The run report: one self-contained ``report.html`` a person would rather look at than read.

:func:`write_report` turns a run's summary, its metric tables and its kept spans into a single
HTML file with inline CSS and inline SVG pictures (no JavaScript, no network; it opens from
``file://``). Its sections, top to bottom:

1. a header with the run's figures (status, duration, size, requests, errors, response times,
   the busiest service and the chaos victims);
2. latency over time: p50 and p99 per service as small multiples on a shared log axis (the
   busiest services when there are many), and the end-to-end latency at the entry point;
3. throughput and errors over time per service (answered and failed requests stacked);
4. utilization: the run-average per service as sorted bars coloured by package, the busiest
   named in words, and a heat strip of utilization over time;
5. a totals table per service, sorted by p99;
6. in a run with protected calls, resilience: breakers, Hystrix's events per command, the
   cascade of errors up the call graph and the recovery after chaos events
   (``report_resilience.py``);
7. the critical path: which services the requests were actually waiting on
   (:func:`critical_path_shares`);
8. the slowest traces as waterfalls, with a table of their spans.

Each section says so in words when its input is missing or empty, so a run without metrics or
without spans still gets a valid page. The tables are the column-oriented dicts the metrics
collector returns (``service_metrics``, ``edge_metrics``, ``totals``: column name to list);
times are interval ends in simulated seconds, latencies seconds, utilization 0..1.

Pictures are drawn with matplotlib's object API (no pyplot) and written as SVG with a fixed hash
salt per picture and no date, so the same inputs give a byte-identical file.
"""

from __future__ import annotations

import html
import io
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from monkeyhouse.behaviours.spans import CLIENT, SERVER, Span
from monkeyhouse.exporters.atomicfile import write_text_atomic
from monkeyhouse.exporters.picture import package_colour

__all__ = ["critical_path", "critical_path_shares", "render_report", "write_report"]

#: small multiples drawn at most (the busiest services by request count)
MAX_PANELS = 12
#: services in the utilization picture at most (the most utilized)
MAX_UTILIZATION_ROWS = 40
#: rows of one waterfall at most (spans in depth-first order)
MAX_WATERFALL_ROWS = 60

_EPSILON = 1e-12
_WIDTH_IN = 11.0
_NAN = math.nan
_P50 = "#3366aa"
_P99 = "#e07b39"
_ERROR = "#d62728"
_ANSWERED = "#4a6f9c"
_ERROR_DARK = "#8b0000"
_MUTED = "#5b6573"
_GRID = "#e3e7ec"


def _style() -> Any:
    """The drawing style of every picture (a matplotlib rc context)."""
    return matplotlib.rc_context(
        {
            "svg.fonttype": "none",
            "text.parse_math": False,
            "font.family": "DejaVu Sans",
            "font.size": 9.0,
            "axes.titlesize": 10.0,
            "axes.labelsize": 9.0,
            "axes.edgecolor": "#9aa5b1",
            "axes.linewidth": 0.8,
            "xtick.color": "#444444",
            "ytick.color": "#444444",
            "xtick.labelsize": 8.0,
            "ytick.labelsize": 8.0,
            "legend.fontsize": 8.5,
            "path.simplify": True,
        }
    )


# --------------------------------------------------------------------------- critical path


def _service_of(instance: Any) -> str:
    service = getattr(instance, "service", None)
    return str(getattr(service, "name", "") or "?")


def _package_of(instance: Any) -> str:
    service = getattr(instance, "service", None)
    return str(getattr(service, "package", "") or "")


def _by_trace(spans: Iterable[Span]) -> dict[int, list[Span]]:
    traces: dict[int, list[Span]] = defaultdict(list)
    for span in spans:
        traces[span.trace].append(span)
    return dict(traces)


def _complete_root(trace: Sequence[Span]) -> Span | None:
    """Return the root of a complete trace (one root, every parent present), else None."""
    ids = {span.span for span in trace}
    root: Span | None = None
    for span in trace:
        if span.parent == 0:
            if root is not None:
                return None
            root = span
        elif span.parent not in ids:
            return None
    return root


def _children(trace: Sequence[Span]) -> dict[int, list[Span]]:
    children: dict[int, list[Span]] = defaultdict(list)
    for span in trace:
        if span.parent:
            children[span.parent].append(span)
    return children


def critical_path(trace: Sequence[Span]) -> list[tuple[Span, float, float]]:
    """Return the critical path of one complete trace as ``(span, start, end)`` pieces.

    Starting at the root span, the path repeatedly follows the child that finishes last before
    the current point in time (at first the parent's end), then goes on from that child's start;
    the time between children on the path belongs to the parent itself. The pieces are in time
    order and together cover the root span exactly. A child that ends after its parent is not
    on the path (nobody waited for it). Returns an empty list for an incomplete trace (no single
    root, or a parent missing because of sampling).
    """
    root = _complete_root(trace)
    if root is None:
        return []
    children = _children(trace)
    for kids in children.values():
        kids.sort(key=lambda span: (-span.end, span.start, span.span))
    pieces: list[tuple[Span, float, float]] = []
    visited: set[int] = set()

    def walk(span: Span) -> None:
        visited.add(span.span)
        cursor = span.end
        for child in children.get(span.span, ()):
            if child.span in visited or child.end > cursor + _EPSILON:
                continue
            end = min(child.end, cursor)
            if cursor > end:
                pieces.append((span, end, cursor))
            walk(child)
            cursor = max(min(child.start, end), span.start)
            if cursor <= span.start:
                break
        if cursor > span.start:
            pieces.append((span, span.start, cursor))

    try:
        walk(root)
    except RecursionError:  # a trace thousands of calls deep: too deep to follow
        return []
    pieces.sort(key=lambda piece: (piece[1], piece[2]))
    return pieces


def _path_times(spans: Sequence[Span]) -> tuple[dict[str, float], float, int, int]:
    """Seconds on the critical path per service, total root time, complete and other traces."""
    per_service: dict[str, float] = defaultdict(float)
    services: dict[int, str] = {}  # id(instance) -> service name (the spans hold the instances)
    total = 0.0
    complete = incomplete = 0
    for trace in _by_trace(spans).values():
        pieces = critical_path(trace)
        if not pieces:
            incomplete += 1
            continue
        complete += 1
        for span, start, end in pieces:
            instance = span.instance
            service = services.get(id(instance))
            if service is None:
                service = services[id(instance)] = _service_of(instance)
            per_service[service] += end - start
            total += end - start
    return dict(per_service), total, complete, incomplete


def critical_path_shares(spans: Sequence[Span]) -> dict[str, float]:
    """Return each service's share (0..1) of end-to-end time on the critical path.

    For every complete trace the critical path is found (:func:`critical_path`); the time of each
    piece goes to the service of the span it belongs to (a server span's queue wait and work, a
    client span's network time outside its server child). The shares are the services' summed
    times divided by the summed end-to-end times of all complete traces, so slow traces weigh
    more than fast ones. They add up to 1; services are sorted by share, largest first. Returns
    an empty dict when no trace is complete.
    """
    per_service, total, _, _ = _path_times(spans)
    return _shares(per_service, total)


def _shares(per_service: dict[str, float], total: float) -> dict[str, float]:
    """Each service's share of ``total``, largest first (empty when ``total`` is not > 0)."""
    if total <= 0:
        return {}
    ranked = sorted(per_service.items(), key=lambda item: (-item[1], item[0]))
    return {service: seconds / total for service, seconds in ranked}


# --------------------------------------------------------------------------- tables


def _num(value: Any) -> float:
    """A table cell as a float (NaN when missing or not a number)."""
    if value is None or isinstance(value, bool):
        return _NAN
    try:
        return float(value)
    except (TypeError, ValueError):
        return _NAN


def _finite(value: float) -> bool:
    return not math.isnan(value) and not math.isinf(value)


class _Table:
    """A column-oriented table read defensively (missing columns read as NaN or empty)."""

    def __init__(self, name: str, columns: Mapping[str, Sequence[Any]] | None) -> None:
        self.name = name
        self.present = columns is not None
        self.columns: Mapping[str, Sequence[Any]] = columns or {}
        lengths = []
        for values in self.columns.values():
            try:
                lengths.append(len(values))
            except TypeError:
                lengths.append(0)
        self.rows = min(lengths) if lengths else 0

    def has(self, *names: str) -> bool:
        return all(name in self.columns for name in names)

    def text(self, name: str) -> list[str]:
        values = self.columns.get(name)
        if values is None:
            return [""] * self.rows
        return [str(values[i]) for i in range(self.rows)]

    def numbers(self, name: str) -> list[float]:
        values = self.columns.get(name)
        if values is None:
            return [_NAN] * self.rows
        return [_num(values[i]) for i in range(self.rows)]

    def usable(self, *required: str) -> bool:
        return self.rows > 0 and self.has(*required)

    def absence(self, what: str, *required: str) -> str:
        """Why the table cannot be used, in words."""
        if not self.present:
            why = f"the {self.name} table is missing"
        elif self.rows == 0:
            why = f"the {self.name} table is empty"
        else:
            missing = ", ".join(name for name in required if name not in self.columns)
            why = f"the {self.name} table has no {missing} column"
        return f"No {what}: {why}."


@dataclass(slots=True)
class _Series:
    """One key's rows of a time table, in time order."""

    times: list[float] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)

    def get(self, name: str) -> list[float]:
        return self.values.get(name, [_NAN] * len(self.times))


def _series(table: _Table, keys: Sequence[str], columns: Sequence[str]) -> dict[str, _Series]:
    """Group a time table by its key columns (joined with ' → '), rows sorted by time."""
    key_values = [table.text(key) for key in keys]
    times = table.numbers("time")
    data = {name: table.numbers(name) for name in columns if name in table.columns}
    order = sorted(
        range(table.rows),
        key=lambda i: (tuple(values[i] for values in key_values), times[i], i),
    )
    grouped: dict[str, _Series] = {}
    for i in order:
        key = " → ".join(values[i] for values in key_values)
        series = grouped.get(key)
        if series is None:
            series = grouped[key] = _Series(values={name: [] for name in data})
        series.times.append(times[i])
        for name, values in data.items():
            series.values[name].append(values[i])
    return grouped


@dataclass(frozen=True, slots=True)
class _Totals:
    """One row of the totals per service (from ``totals``, else summed from the time table)."""

    service: str
    count: float
    errors: float
    throughput: float
    utilization: float
    mean: float
    p50: float
    p99: float
    p999: float


def _totals(totals: _Table, metrics: dict[str, _Series]) -> dict[str, _Totals]:
    rows: dict[str, _Totals] = {}
    if totals.usable("service"):
        services = totals.text("service")
        columns = {
            name: totals.numbers(name)
            for name in (
                "count",
                "errors",
                "throughput",
                "utilization",
                "latency_mean",
                "p50",
                "p99",
                "p999",
            )
        }
        for i, service in enumerate(services):
            rows[service] = _Totals(
                service,
                columns["count"][i],
                columns["errors"][i],
                columns["throughput"][i],
                columns["utilization"][i],
                columns["latency_mean"][i],
                columns["p50"][i],
                columns["p99"][i],
                columns["p999"][i],
            )
        return rows
    for service, series in metrics.items():
        counts = [c for c in series.get("count") if _finite(c)]
        errors = [e for e in series.get("errors") if _finite(e)]
        utilization = [u for u in series.get("utilization") if _finite(u)]
        throughput = [r for r in series.get("throughput") if _finite(r)]
        means = [
            (m, c)
            for m, c in zip(series.get("latency_mean"), series.get("count"), strict=True)
            if _finite(m) and _finite(c)
        ]
        weight = sum(c for _, c in means)
        rows[service] = _Totals(
            service,
            sum(counts) if counts else _NAN,
            sum(errors) if errors else _NAN,
            sum(throughput) / len(throughput) if throughput else _NAN,
            sum(utilization) / len(utilization) if utilization else _NAN,
            sum(m * c for m, c in means) / weight if weight > 0 else _NAN,
            _NAN,
            max((v for v in series.get("p99") if _finite(v)), default=_NAN),
            _NAN,
        )
    return rows


# --------------------------------------------------------------------------- formatting


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _ms(seconds: float) -> str:
    """Seconds as readable milliseconds (``0.420 ms``, ``4.20 ms``, ``123 ms``, ``1.23 s``)."""
    if not _finite(seconds):
        return "—"
    value = seconds * 1000.0
    if abs(value) >= 1000:
        return f"{value / 1000:.2f} s"
    if abs(value) >= 100:
        return f"{value:.0f} ms"
    if abs(value) >= 10:
        return f"{value:.1f} ms"
    if abs(value) >= 1:
        return f"{value:.2f} ms"
    return f"{value:.3f} ms"


def _pct(fraction: float) -> str:
    """A fraction as a percentage with as many digits as it needs (``87 %``, ``1.2 %``)."""
    if not _finite(fraction):
        return "—"
    value = fraction * 100.0
    if value == 0:
        return "0 %"
    if abs(value) >= 9.95:
        return f"{value:.0f} %"
    if abs(value) >= 0.995:
        return f"{value:.1f} %"
    return f"{value:.2f} %"


def _count(value: float) -> str:
    if not _finite(value):
        return "—"
    return f"{round(value):,}"


def _rate(value: float) -> str:
    if not _finite(value):
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def _seconds(value: float) -> str:
    if not _finite(value):
        return "—"
    return f"{value:g} s"


def _tick_ms(value: float, _position: Any) -> str:
    if value >= 1000:
        return f"{value / 1000:g} s"
    return f"{value:g}"


def _short(instance: Any) -> str:
    """An instance's own label (the last field of ``arch.region.zone.label``)."""
    name = str(getattr(instance, "name", "") or "?")
    return name.rsplit(".", 1)[-1] or name


def _tint(colour: str, amount: float) -> tuple[float, float, float]:
    """Mix a colour with white (amount 0 keeps it, 1 gives white)."""
    red, green, blue = matplotlib.colors.to_rgb(colour)
    return (
        red + (1 - red) * amount,
        green + (1 - green) * amount,
        blue + (1 - blue) * amount,
    )


def _shade(colour: str, factor: float = 0.7) -> tuple[float, float, float]:
    red, green, blue = matplotlib.colors.to_rgb(colour)
    return (red * factor, green * factor, blue * factor)


def _text_colour(fill: str) -> str:
    red, green, blue = matplotlib.colors.to_rgb(fill)
    return "#1a1a1a" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.6 else "#ffffff"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


# --------------------------------------------------------------------------- pictures


def _svg(figure: Figure, key: str, label: str) -> str:
    """The figure as an inline ``<svg>`` element (deterministic ids, no date)."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"monkeyhouse-report-{key}"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, facecolor="white")
    text = buffer.getvalue()
    text = text[text.index("<svg") :].rstrip()
    return text.replace("<svg ", f'<svg role="img" aria-label="{_esc(label)}" ', 1)


def _figure(key: str, svg: str, caption: str = "") -> str:
    note = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure class="plot" id="fig-{_esc(key)}">{svg}{note}</figure>'


def _grid(count: int) -> tuple[int, int]:
    columns = 1 if count == 1 else 2 if count <= 4 else 3 if count <= 9 else 4
    return math.ceil(count / columns), columns


def _small_multiples(count: int, *, sharey: bool, panel_h: float) -> tuple[Figure, list[Any]]:
    rows, columns = _grid(count)
    height = rows * panel_h + 0.85
    figure = Figure(figsize=(_WIDTH_IN, height), facecolor="white")
    axes = figure.subplots(rows, columns, sharex=True, sharey=sharey, squeeze=False)
    figure.subplots_adjust(
        left=0.07,
        right=0.985,
        top=1 - 0.5 / height,
        bottom=0.55 / height,
        hspace=0.5,
        wspace=0.12 if sharey else 0.22,
    )
    flat = [axes[r][c] for r in range(rows) for c in range(columns)]
    for index in range(count, len(flat)):
        flat[index].set_visible(False)
        above = index - columns
        if above >= 0:
            flat[above].xaxis.set_tick_params(labelbottom=True)
    for column in range(min(columns, count)):
        lowest = max(i for i in range(column, count, columns))
        flat[lowest].set_xlabel("simulated time (s)")
    for ax in flat[:count]:
        ax.grid(True, color=_GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return figure, flat[:count]


def _positive(values: Sequence[float], scale: float = 1000.0) -> list[float]:
    """Values scaled (seconds to ms) with non-positive and missing ones as gaps."""
    return [v * scale if _finite(v) and v > 0 else _NAN for v in values]


def _log_axis(ax: Any, values: Iterable[float]) -> None:
    """Log y in ms with readable ticks; limits from the data (or a fixed range without data)."""
    finite = [v for v in values if _finite(v) and v > 0]
    low, high = (min(finite), max(finite)) if finite else (0.1, 1000.0)
    low, high = low / 1.6, high * 1.6
    ax.set_yscale("log")
    ax.set_ylim(low, high)
    subs = (1.0, 2.0, 5.0) if math.log10(high / low) <= 2.5 else (1.0,)
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs))
    ax.yaxis.set_major_formatter(FuncFormatter(_tick_ms))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _marker(points: int) -> str | None:
    return "o" if points < 3 else None


def _latency_figure(
    panels: Sequence[str], metrics: dict[str, _Series], packages: Mapping[str, str]
) -> Figure:
    figure, axes = _small_multiples(len(panels), sharey=True, panel_h=1.85)
    everything: list[float] = []
    for ax, service in zip(axes, panels, strict=True):
        series = metrics[service]
        p50 = _positive(series.get("p50"))
        p99 = _positive(series.get("p99"))
        everything.extend(p50)
        everything.extend(p99)
        ax.fill_between(series.times, p50, p99, color=_P99, alpha=0.12, linewidth=0)
        marker = _marker(len(series.times))
        ax.plot(series.times, p99, color=_P99, linewidth=1.5, marker=marker, markersize=3)
        ax.plot(series.times, p50, color=_P50, linewidth=1.5, marker=marker, markersize=3)
        ax.set_title(service, loc="left", fontweight="bold")
        worst = max((v for v in p99 if _finite(v)), default=_NAN)
        if _finite(worst):
            ax.text(
                1.0,
                1.03,
                f"worst p99 {_ms(worst / 1000)}",
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=8,
                color=_MUTED,
            )
        ax.spines["left"].set_color(package_colour(packages.get(service, "")))
        ax.spines["left"].set_linewidth(3)
    for ax in axes:
        _log_axis(ax, everything)
    axes[0].set_ylabel("ms (log)")
    figure.legend(
        handles=[
            Patch(facecolor=_P50, label="p50"),
            Patch(facecolor=_P99, label="p99"),
            Patch(facecolor=_tint(_P99, 0.85), label="between p50 and p99"),
        ],
        loc="upper right",
        ncols=3,
        frameon=False,
    )
    return figure


_ENTRY_LINES = (
    ("p50", "p50", _P50, 1.6),
    ("p90", "p90", "#6aa5d8", 1.0),
    ("p99", "p99", _P99, 1.6),
    ("p999", "p99.9", "#b2182b", 1.0),
)


def _entry_figure(entries: Sequence[tuple[str, _Series]]) -> Figure:
    count = len(entries)
    height = 3.0
    figure = Figure(figsize=(_WIDTH_IN, height), facecolor="white")
    axes = figure.subplots(1, count, squeeze=False, sharey=True)[0]
    figure.subplots_adjust(left=0.07, right=0.985, top=0.8, bottom=0.17, wspace=0.08)
    everything: list[float] = []
    for ax, (name, series) in zip(axes, entries, strict=True):
        marker = _marker(len(series.times))
        for column, label, colour, width in _ENTRY_LINES:
            values = _positive(series.get(column))
            if not any(_finite(v) for v in values):
                continue
            everything.extend(values)
            ax.plot(
                series.times,
                values,
                color=colour,
                linewidth=width,
                label=label,
                marker=marker,
                markersize=3,
            )
        ax.set_title(name, loc="left", fontweight="bold")
        ax.set_xlabel("simulated time (s)")
        ax.grid(True, color=_GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    for ax in axes:
        _log_axis(ax, everything)
    axes[0].set_ylabel("ms (log)")
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, loc="upper right", ncols=len(handles), frameon=False)
    return figure


def _throughput_figure(
    panels: Sequence[str], metrics: dict[str, _Series], packages: Mapping[str, str]
) -> Figure:
    figure, axes = _small_multiples(len(panels), sharey=False, panel_h=1.7)
    for ax, service in zip(axes, panels, strict=True):
        series = metrics[service]
        answered: list[float] = []
        failed: list[float] = []
        for rate, count, errors in zip(
            series.get("throughput"), series.get("count"), series.get("errors"), strict=True
        ):
            rate = rate if _finite(rate) else 0.0
            share = errors / count if _finite(errors) and _finite(count) and count > 0 else 0.0
            share = min(max(share, 0.0), 1.0)
            answered.append(rate * (1 - share))
            failed.append(rate * share)
        ax.fill_between(series.times, 0, answered, color=_ANSWERED, alpha=0.35, linewidth=0)
        ax.plot(series.times, answered, color=_ANSWERED, linewidth=1.2)
        ax.set_ylim(bottom=0, top=max(max(answered, default=0.0) * 1.15, 1.0))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.spines["left"].set_color(package_colour(packages.get(service, "")))
        ax.spines["left"].set_linewidth(3)
        ax.set_title(service, loc="left", fontweight="bold")
        if any(value > 0 for value in failed):
            twin = ax.twinx()
            twin.fill_between(series.times, 0, failed, color=_ERROR, alpha=0.18, linewidth=0)
            twin.plot(series.times, failed, color=_ERROR, linewidth=1.2)
            twin.set_ylim(bottom=0, top=max(failed) * 1.6)
            twin.yaxis.set_major_locator(MaxNLocator(nbins=3))
            twin.tick_params(axis="y", colors=_ERROR, labelsize=7.5)
            for side in ("top", "left"):
                twin.spines[side].set_visible(False)
            twin.spines["right"].set_color(_ERROR)
        counts = [c for c in series.get("count") if _finite(c)]
        failures = [e for e in series.get("errors") if _finite(e)]
        share = sum(failures) / sum(counts) if counts and sum(counts) > 0 else 0.0
        rates = [r for r in series.get("throughput") if _finite(r)]
        mean_rate = sum(rates) / len(rates) if rates else 0.0
        ax.text(
            1.0,
            1.03,
            f"{_rate(mean_rate)}/s · {_pct(share)} errors",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=8,
            color=_ERROR if share > 0 else _MUTED,
            fontweight="bold" if share > 0 else "normal",
        )
    axes[0].set_ylabel("requests/s")
    figure.legend(
        handles=[
            Patch(facecolor=_ANSWERED, alpha=0.6, label="answered/s (left axis)"),
            Patch(facecolor=_ERROR, label="errors/s (right axis, own scale)"),
        ],
        loc="upper right",
        ncols=2,
        frameon=False,
    )
    return figure


def _utilization_figure(
    ranked: Sequence[tuple[str, float]],
    metrics: dict[str, _Series],
    packages: Mapping[str, str],
) -> Figure:
    rows = len(ranked)
    heat = any(service in metrics for service, _ in ranked)
    height = 0.28 * rows + 1.25
    figure = Figure(figsize=(_WIDTH_IN, height), facecolor="white")
    label_w = max(len(service) for service, _ in ranked) * 0.075 + 0.25
    left = min(0.3, label_w / _WIDTH_IN)
    bottom, top = 0.75 / height, 1 - 0.4 / height
    bars_w = 0.33 if heat else 0.92 - left
    bars = figure.add_axes((left, bottom, bars_w, top - bottom))
    names = [service for service, _ in ranked]
    values = [value for _, value in ranked]
    colours = [package_colour(packages.get(service, "")) for service in names]
    positions = list(range(rows))
    rects = bars.barh(positions, values, color=colours, height=0.72, edgecolor="none")
    rects[0].set_edgecolor("#111111")
    rects[0].set_linewidth(1.6)
    bars.set_yticks(positions, names)
    bars.set_ylim(rows - 0.5, -0.5)
    bars.set_xlim(0, 1.18)
    bars.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0", "25", "50", "75", "100 %"])
    bars.axvline(0.8, color="#9aa5b1", linestyle=(0, (3, 3)), linewidth=0.8)
    bars.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        bars.spines[side].set_visible(False)
    for label in bars.get_yticklabels()[:1]:
        label.set_fontweight("bold")
    for y, value in enumerate(values):
        bars.text(
            value + 0.015 if _finite(value) else 0.015,
            y,
            _pct(value),
            va="center",
            ha="left",
            fontsize=8,
            fontweight="bold" if y == 0 else "normal",
        )
    bars.set_title("run average (dashed: 80 %)", loc="left", fontsize=9, color=_MUTED)
    if heat:
        times = sorted({t for s in names if s in metrics for t in metrics[s].times if _finite(t)})
        column = {t: i for i, t in enumerate(times)}
        matrix = [[_NAN] * len(times) for _ in names]
        for row, service in enumerate(names):
            series = metrics.get(service)
            if series is None:
                continue
            for t, value in zip(series.times, series.get("utilization"), strict=True):
                if t in column:
                    matrix[row][column[t]] = value
        step = min((b - a for a, b in itertools.pairwise(times)), default=1.0)
        start = times[0] - step if times else 0.0
        end = times[-1] if times else 1.0
        strip = figure.add_axes(
            (left + bars_w + 0.03, bottom, 0.965 - left - bars_w - 0.1, top - bottom)
        )
        image = strip.imshow(
            matrix,
            aspect="auto",
            cmap="YlOrRd",
            vmin=0.0,
            vmax=1.0,
            interpolation="none",
            extent=(start, end, rows - 0.5, -0.5),
        )
        for boundary in range(1, rows):
            strip.axhline(boundary - 0.5, color="white", linewidth=1.0)
        strip.set_yticks(positions, [""] * rows)
        strip.tick_params(axis="y", length=0)
        strip.set_xlabel("simulated time (s)")
        strip.set_title("over time", loc="left", fontsize=9, color=_MUTED)
        scale = figure.add_axes((0.975 - 0.05, bottom, 0.012, top - bottom))
        bar = figure.colorbar(image, cax=scale)
        bar.set_ticks([0, 0.5, 1.0], labels=["0", "50", "100 %"])
        bar.outline.set_visible(False)
    return figure


def _critical_figure(shares: Mapping[str, float], packages: Mapping[str, str]) -> Figure:
    items = list(shares.items())
    rows = len(items)
    height = 1.5 + 0.27 * rows
    figure = Figure(figsize=(_WIDTH_IN, height), facecolor="white")
    label_w = max(len(service) for service, _ in items) * 0.075 + 0.25
    left = min(0.3, label_w / _WIDTH_IN)
    stacked = figure.add_axes((left, 1 - 0.75 / height, 0.965 - left, 0.42 / height))
    cursor = 0.0
    for service, share in items:
        colour = package_colour(packages.get(service, ""))
        stacked.barh(0, share, left=cursor, color=colour, edgecolor="white", linewidth=1.2)
        if share * (0.965 - left) * _WIDTH_IN >= len(service) * 0.56 * 8 / 72 + 0.1:
            stacked.text(
                cursor + share / 2,
                0,
                service,
                ha="center",
                va="center",
                fontsize=8,
                color=_text_colour(colour),
                clip_on=True,
            )
        cursor += share
    stacked.set_xlim(0, 1)
    stacked.set_ylim(-0.5, 0.5)
    stacked.set_axis_off()
    stacked.set_title(
        "share of end-to-end time on the critical path", loc="left", fontsize=9, color=_MUTED
    )
    ranked = figure.add_axes((left, 0.45 / height, 0.965 - left, (0.27 * rows) / height))
    positions = list(range(rows))
    ranked.barh(
        positions,
        [share for _, share in items],
        color=[package_colour(packages.get(service, "")) for service, _ in items],
        height=0.7,
    )
    ranked.set_yticks(positions, [service for service, _ in items])
    ranked.set_ylim(rows - 0.5, -0.5)
    top = max(share for _, share in items)
    ranked.set_xlim(0, min(1.0, top * 1.2 + 0.04))
    ranked.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v * 100:g} %"))
    ranked.tick_params(axis="y", length=0)
    for side in ("top", "right"):
        ranked.spines[side].set_visible(False)
    for y, (_, share) in enumerate(items):
        ranked.text(share, y, f" {_pct(share)}", va="center", ha="left", fontsize=8)
    return figure


@dataclass(frozen=True, slots=True)
class _Row:
    span: Span
    depth: int


def _waterfall_rows(trace: Sequence[Span]) -> list[_Row]:
    """Spans in depth-first order (children by start), roots first; orphans at depth 0."""
    ids = {span.span for span in trace}
    children = _children(trace)
    roots = sorted(
        (span for span in trace if span.parent == 0 or span.parent not in ids),
        key=lambda span: (span.start, span.span),
    )
    rows: list[_Row] = []
    seen: set[int] = set()
    stack = [(root, 0) for root in reversed(roots)]
    while stack:
        span, depth = stack.pop()
        if span.span in seen:
            continue
        seen.add(span.span)
        rows.append(_Row(span, depth))
        kids = sorted(children.get(span.span, ()), key=lambda s: (s.start, s.span))
        stack.extend((kid, depth + 1) for kid in reversed(kids))
    return rows


def _row_label(span: Span) -> str:
    label = f"{_service_of(span.instance)} · {_short(span.instance)}"
    if span.kind == CLIENT and span.peer is not None:
        label += f" → {_service_of(span.peer)}"
    return label


_LABEL_FONT = 8.0
_CHAR_IN = 0.56 * _LABEL_FONT / 72
_INDENT_IN = 0.13


def _fit_label(text: str, room_in: float) -> str:
    """Shorten a label with an ellipsis so that it fits ``room_in`` inches."""
    fits = max(int(room_in / _CHAR_IN), 4)
    return text if len(text) <= fits else text[: fits - 1] + "…"


def _waterfall_figure(
    rows: Sequence[_Row], origin: float, extent: float, on_path: set[int], title: str
) -> Figure:
    count = len(rows)
    height = 0.24 * count + 1.25
    figure = Figure(figsize=(_WIDTH_IN, height), facecolor="white")
    bottom, top = 0.5 / height, 1 - 0.72 / height
    texts = [_row_label(row.span) for row in rows]
    depths = [min(row.depth, 12) for row in rows]
    need = max(d * _INDENT_IN + len(t) * _CHAR_IN for d, t in zip(depths, texts, strict=True))
    label_in = min(max(need + 0.2, 1.5), 0.4 * _WIDTH_IN)
    split = label_in / _WIDTH_IN
    labels = figure.add_axes((0.0, bottom, split, top - bottom))
    chart = figure.add_axes((split + 0.01, bottom, 0.975 - split, top - bottom), sharey=labels)
    labels.set_axis_off()
    labels.set_xlim(0, label_in)
    span_ms = max(extent * 1000.0, 1e-6)
    chart.set_xlim(0, span_ms)
    chart.set_ylim(count - 0.5, -0.5)
    chart.tick_params(axis="y", left=False, labelleft=False)
    chart.grid(True, axis="x", color=_GRID, linewidth=0.6)
    chart.set_axisbelow(True)
    for side in ("top", "right", "left"):
        chart.spines[side].set_visible(False)
    chart.set_xlabel("ms since the trace started")
    bar_height = 0.62
    for y, row in enumerate(rows):
        span = row.span
        colour = package_colour(_package_of(span.instance))
        start = (span.start - origin) * 1000.0
        width = max((span.end - span.start) * 1000.0, span_ms * 0.002)
        failed = bool(span.error)
        face: Any
        if span.kind == SERVER:
            face = _ERROR if failed else colour
        else:
            face = _tint(_ERROR, 0.55) if failed else _tint(colour, 0.62)
        chart.add_patch(
            Rectangle(
                (start, y - bar_height / 2),
                width,
                bar_height,
                facecolor=face,
                edgecolor=_ERROR_DARK if failed else _shade(colour),
                linewidth=1.8 if failed else 0.6,
            )
        )
        if span.kind == SERVER and span.queued > 0:
            chart.add_patch(
                Rectangle(
                    (start, y - bar_height / 2),
                    min(span.queued * 1000.0, width),
                    bar_height,
                    facecolor="#ffffff",
                    edgecolor="#444444",
                    hatch="////",
                    linewidth=0.6,
                )
            )
        text = _ms(span.end - span.start)
        if failed:
            text = f"✕ {span.error} · {text}"
        end = start + width
        colour_text = _ERROR_DARK if failed else _MUTED
        if end <= span_ms * 0.75:
            x, align = end + span_ms * 0.006, "left"
        elif start >= span_ms * 0.25:
            x, align = start - span_ms * 0.006, "right"
        else:
            x, align = end - span_ms * 0.006, "right"
            colour_text = _text_colour(face) if isinstance(face, str) else "#1a1a1a"
        chart.text(
            x,
            y,
            text,
            ha=align,
            va="center",
            fontsize=7.5,
            color=colour_text,
            fontweight="bold" if failed else "normal",
        )
        indent = 0.08 + _INDENT_IN * depths[y]
        labels.text(
            indent,
            y,
            _fit_label(texts[y], label_in - indent - 0.1),
            ha="left",
            va="center",
            fontsize=_LABEL_FONT,
            fontweight="bold" if span.span in on_path else "normal",
            color="#1d2430",
        )
    figure.text(0.008, 1 - 0.28 / height, title, fontsize=10, fontweight="bold", va="center")
    sample = "#8fb996"
    figure.legend(
        handles=[
            Patch(facecolor=sample, edgecolor=_shade(sample), label="server (work)"),
            Patch(facecolor="#ffffff", edgecolor="#444444", hatch="////", label="queue wait"),
            Patch(
                facecolor=_tint(sample, 0.62),
                edgecolor=_shade(sample),
                label="client (call + network)",
            ),
            Patch(facecolor=_ERROR, edgecolor=_ERROR_DARK, linewidth=1.8, label="error"),
        ],
        loc="upper right",
        bbox_to_anchor=(0.99, 1 - 0.08 / height),
        ncols=4,
        frameon=False,
        fontsize=8,
    )
    return figure


# --------------------------------------------------------------------------- sections


_CSS = """
:root{--fg:#1d2430;--muted:#5b6573;--line:#dfe3e8;--bg:#f4f6f8;--err:#c62828;--ok:#2e7d32}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:1180px;margin:0 auto;padding:20px 24px 40px}
header h1{margin:0 0 2px;font-size:26px}
header .sub{color:var(--muted);margin:0}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;font-size:13px;font-weight:600;
vertical-align:middle;margin-left:8px;background:#e8f5e9;color:var(--ok)}
.badge.warn{background:#fff3e0;color:#b26a00}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(175px,1fr));gap:10px;
margin:14px 0}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:9px 12px}
.card .k{font-size:11.5px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.card .v{font-size:20px;font-weight:650;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.card .s{font-size:12.5px;color:var(--muted)}
.card.alert .v{color:var(--err)}
nav{font-size:14px;margin:6px 0 0}
nav a{margin-right:14px;color:#2f5f9e;text-decoration:none}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 20px;
margin:16px 0}
h2{margin:0 0 4px;font-size:20px}
h3{margin:14px 0 2px;font-size:15px}
p.lead{color:var(--muted);margin:0 0 8px}
.callout{font-size:18px;font-weight:650;margin:6px 0 4px}
figure{margin:8px 0 4px}
figure svg{width:100%;height:auto;display:block}
figure svg image{image-rendering:pixelated}
figcaption{color:var(--muted);font-size:13px}
.empty{color:var(--muted);font-style:italic;padding:10px 12px;border:1px dashed #c9d0d8;
border-radius:6px;background:#fafbfc}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums;font-size:14px}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
th{background:#f0f2f5;font-weight:600}
tr.busiest td{font-weight:650;background:#fff6e5}
td.err{color:var(--err)}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
details{margin:2px 0 12px}
details summary{cursor:pointer;color:var(--muted);font-size:13.5px}
details table{font-size:13px}
footer{color:var(--muted);font-size:12.5px;text-align:center}
"""


def _card(key: str, value: str, sub: str = "", *, alert: bool = False) -> str:
    extra = f'<div class="s">{sub}</div>' if sub else ""
    css = "card alert" if alert else "card"
    return (
        f'<div class="{css}"><div class="k">{_esc(key)}</div>'
        f'<div class="v" title="{_esc(value)}">{_esc(value)}</div>{extra}</div>'
    )


def _section(key: str, heading: str, body: str) -> str:
    return f'<section id="{key}"><h2>{_esc(heading)}</h2>\n{body}\n</section>'


def _empty(text: str) -> str:
    return f'<p class="empty">{_esc(text)}</p>'


def _header(
    title: str,
    arch: str,
    summary: Mapping[str, Any],
    busiest: tuple[str, float] | None,
    resilience: bool = False,
) -> str:
    status = str(summary.get("status", "") or "unknown")
    badge = "badge" if status == "complete" else "badge warn"
    reads, writes = _num(summary.get("reads")), _num(summary.get("writes"))
    requests = (reads if _finite(reads) else 0.0) + (writes if _finite(writes) else 0.0)
    answered = _num(summary.get("reads_answered")) + _num(summary.get("writes_answered"))
    errors = _num(summary.get("errors"))
    share = errors / requests if requests > 0 and _finite(errors) else _NAN
    victims = summary.get("chaos_victims") or []
    if isinstance(victims, str):
        victims = [victims]
    victim_names = [str(v).rsplit(".", 1)[-1] for v in victims]
    cards = [
        _card("duration", _seconds(_num(summary.get("simulated_seconds"))), "simulated"),
        _card(
            "size",
            f"{_count(_num(summary.get('services')))} services",
            f"{_count(_num(summary.get('instances')))} instances · "
            f"{_count(_num(summary.get('messages')))} messages",
        ),
        _card(
            "requests",
            _count(requests) if requests > 0 or _finite(reads) else "—",
            f"{_count(reads)} reads · {_count(writes)} writes · {_count(answered)} answered",
        ),
        _card(
            "errors",
            _pct(share),
            f"{_count(errors)} of {_count(requests) if requests > 0 else '—'} requests",
            alert=_finite(share) and share > 0,
        ),
        _card(
            "response",
            _ms(_num(summary.get("mean_response_ms")) / 1000.0),
            f"mean · max {_ms(_num(summary.get('max_response_ms')) / 1000.0)}",
        ),
    ]
    if busiest is not None:
        cards.append(_card("busiest", busiest[0], f"{_pct(busiest[1])} utilization"))
    cards.append(
        _card(
            "chaos victims",
            ", ".join(victim_names) if victim_names else "none",
            _plural(len(victim_names), "instance") + " killed" if victim_names else "",
            alert=bool(victim_names),
        )
    )
    links = (
        ("latency", "Latency"),
        ("throughput", "Throughput &amp; errors"),
        ("utilization", "Utilization"),
        ("totals", "Totals"),
        *((("resilience", "Resilience"),) if resilience else ()),
        ("critical-path", "Critical path"),
        ("slowest", "Slowest traces"),
    )
    nav = " ".join(f'<a href="#{key}">{name}</a>' for key, name in links)
    return (
        f'<header><h1>{_esc(title)}<span class="{badge}">{_esc(status)}</span></h1>'
        f'<p class="sub">architecture <b>{_esc(arch)}</b></p>'
        f'<div class="cards">{"".join(cards)}</div><nav>{nav}</nav></header>'
    )


def _ranked_services(totals: Mapping[str, _Totals], metrics: dict[str, _Series]) -> list[str]:
    """Services by request count, busiest first (then by name)."""
    names = set(totals) | set(metrics)

    def count(service: str) -> float:
        row = totals.get(service)
        if row is not None and _finite(row.count):
            return row.count
        series = metrics.get(service)
        return sum(c for c in series.get("count") if _finite(c)) if series else 0.0

    return sorted(names, key=lambda service: (-count(service), service))


def _entry_edges(
    edges: dict[str, _Series], edge_table: _Table, spans: Sequence[Span]
) -> list[tuple[str, _Series]]:
    """The edges leaving the traffic sources (services that call but are never called).

    When every caller is also called (a cycle), the services of the root spans are the sources.
    The three busiest such edges are returned.
    """
    sources = edge_table.text("source")
    targets = set(edge_table.text("target"))
    roots = {_service_of(span.instance) for span in spans if span.parent == 0}
    entry = sorted(set(sources) - targets) or sorted(set(sources) & roots)
    keys = sorted(key for key in edges if key.split(" → ", 1)[0] in entry)
    ranked = sorted(
        keys, key=lambda key: (-sum(c for c in edges[key].get("count") if _finite(c)), key)
    )
    return [(key, edges[key]) for key in ranked[:3]]


def _percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return _NAN
    rank = max(1, math.ceil(q * len(values)))
    return values[min(rank, len(values)) - 1]


def _root_series(spans: Sequence[Span], step: float) -> _Series:
    """End-to-end latency per interval from the root spans (when no edge metrics exist)."""
    buckets: dict[int, list[float]] = defaultdict(list)
    for span in spans:
        if span.parent == 0:
            buckets[math.ceil(span.end / step - 1e-9)].append(span.end - span.start)
    series = _Series(values={"p50": [], "p90": [], "p99": [], "p999": []})
    for bucket in sorted(buckets):
        values = sorted(buckets[bucket])
        series.times.append(bucket * step)
        for name, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999)):
            series.values[name].append(_percentile(values, q))
    return series


def _latency_section(
    panels: Sequence[str],
    ranked: Sequence[str],
    metrics: dict[str, _Series],
    metric_table: _Table,
    edges: dict[str, _Series],
    edge_table: _Table,
    spans: Sequence[Span],
    packages: Mapping[str, str],
) -> str:
    parts = [
        '<p class="lead">How long each service took to answer, interval by interval: the '
        "median (p50) and the slowest 1 % (p99), on one log scale so services compare at a "
        "glance.</p>"
    ]
    if panels:
        more = (
            f" The {len(panels)} busiest of {len(ranked)} services are shown."
            if len(panels) < len(ranked)
            else ""
        )
        figure = _latency_figure(panels, metrics, packages)
        svg = _svg(figure, "latency", "latency percentiles over time per service")
        parts.append(_figure("latency", svg, f"p50 and p99 per service.{more}"))
    else:
        parts.append(_empty(metric_table.absence("latency over time", "service", "time")))
    parts.append("<h3>End-to-end latency at the entry point</h3>")
    entries = _entry_edges(edges, edge_table, spans) if edges else []
    caption = "As the traffic source saw it: from sending a request to receiving the answer."
    if not entries and any(span.parent == 0 for span in spans):
        step = _interval(metrics) or 1.0
        entries = [("root spans (kept traces)", _root_series(spans, step))]
        caption = (
            "From the root spans of the kept traces (no edge metrics were recorded), per "
            f"{_seconds(step)} interval."
        )
    if entries:
        svg = _svg(_entry_figure(entries), "entry", "end-to-end latency at the entry point")
        parts.append(_figure("entry", svg, caption))
    else:
        parts.append(
            _empty(
                edge_table.absence("end-to-end latency", "source", "target", "time")
                + " No root spans were kept either."
            )
        )
    return _section("latency", "Latency over time", "\n".join(parts))


def _interval(metrics: dict[str, _Series]) -> float:
    steps = [
        b - a
        for series in metrics.values()
        for a, b in zip(series.times, series.times[1:], strict=False)
        if b - a > 0
    ]
    return min(steps) if steps else 0.0


def _throughput_section(
    panels: Sequence[str],
    metrics: dict[str, _Series],
    table: _Table,
    packages: Mapping[str, str],
) -> str:
    lead = (
        '<p class="lead">Requests per second each service answered, with the failed ones '
        "stacked on top in red.</p>"
    )
    if not panels:
        body = _empty(table.absence("throughput over time", "service", "time"))
    else:
        figure = _throughput_figure(panels, metrics, packages)
        svg = _svg(figure, "throughput", "throughput and errors over time per service")
        body = _figure("throughput", svg, "Answered and failed requests per second.")
    return _section("throughput", "Throughput and errors over time", lead + body)


def _utilization_ranking(totals: Mapping[str, _Totals]) -> list[tuple[str, float]]:
    ranked = [(s, row.utilization) for s, row in totals.items() if _finite(row.utilization)]
    ranked.sort(key=lambda item: (-item[1], item[0]))
    return ranked


def _utilization_section(
    ranking: Sequence[tuple[str, float]],
    metrics: dict[str, _Series],
    totals_table: _Table,
    metric_table: _Table,
    packages: Mapping[str, str],
) -> str:
    lead = (
        '<p class="lead">Share of each service\'s threads that were busy. Queues grow fast '
        "above about 80 %; the top bar is the bottleneck.</p>"
    )
    if not ranking:
        why = totals_table.absence("utilization", "service", "utilization")
        if metric_table.present:
            why += " " + metric_table.absence("utilization", "service", "utilization")
        return _section("utilization", "Utilization", lead + _empty(why))
    name, value = ranking[0]
    callout = f'<p class="callout">Busiest: {_esc(name)} at {_pct(value)} utilization</p>'
    shown = list(ranking[:MAX_UTILIZATION_ROWS])
    more = (
        f" The {len(shown)} most utilized of {len(ranking)} services are shown."
        if len(shown) < len(ranking)
        else ""
    )
    figure = _utilization_figure(shown, metrics, packages)
    svg = _svg(figure, "utilization", "utilization per service")
    caption = (
        "Bars: run-average utilization, coloured by package, busiest outlined. "
        f"Strip: utilization per interval (white: no data).{more}"
    )
    return _section(
        "utilization", "Utilization", lead + callout + _figure("utilization", svg, caption)
    )


def _totals_section(
    totals: Mapping[str, _Totals],
    busiest: str | None,
    table: _Table,
    packages: Mapping[str, str],
) -> str:
    lead = '<p class="lead">Every service over the whole run, slowest p99 first.</p>'
    if not totals:
        return _section(
            "totals", "Totals per service", lead + _empty(table.absence("totals", "service"))
        )
    source = (
        ""
        if table.usable("service")
        else '<p class="lead">(Summed from the time table: the totals table is missing or '
        "empty, so p50 and p99.9 are unknown and p99 is the worst interval's.)</p>"
    )
    rows = sorted(
        totals.values(),
        key=lambda row: (-row.p99 if _finite(row.p99) else math.inf, row.service),
    )
    header = (
        "<tr><th>service</th><th>requests</th><th>errors</th><th>req/s</th>"
        "<th>utilization</th><th>mean</th><th>p50</th><th>p99</th><th>p99.9</th></tr>"
    )
    lines = []
    for row in rows:
        colour = package_colour(packages.get(row.service, ""))
        share = row.errors / row.count if _finite(row.errors) and row.count > 0 else _NAN
        errors = _count(row.errors)
        if _finite(share) and share > 0:
            errors += f" ({_pct(share)})"
        utilization = row.utilization if _finite(row.utilization) else 0.0
        width = f"{min(max(utilization, 0.0), 1.0) * 100:.1f}%"
        bar = (
            f' style="background:linear-gradient(90deg,#f8d3a9 {width},transparent {width})"'
            if _finite(row.utilization)
            else ""
        )
        css = ' class="busiest"' if row.service == busiest else ""
        error_css = ' class="err"' if _finite(share) and share > 0 else ""
        lines.append(
            f'<tr{css}><td><span class="swatch" style="background:{colour}"></span>'
            f"{_esc(row.service)}</td><td>{_count(row.count)}</td>"
            f"<td{error_css}>{errors}</td>"
            f"<td>{_rate(row.throughput)}</td><td{bar}>{_pct(row.utilization)}</td>"
            f"<td>{_ms(row.mean)}</td><td>{_ms(row.p50)}</td><td>{_ms(row.p99)}</td>"
            f"<td>{_ms(row.p999)}</td></tr>"
        )
    body = f"{source}<table><thead>{header}</thead><tbody>{''.join(lines)}</tbody></table>"
    return _section("totals", "Totals per service", lead + body)


def _critical_section(spans: Sequence[Span], packages: Mapping[str, str]) -> str:
    heading = "Critical path"
    if not spans:
        return _section(
            "critical-path",
            heading,
            _empty("No spans were kept, so there is no critical path to show."),
        )
    per_service, total, complete, incomplete = _path_times(spans)
    shares = _shares(per_service, total)  # critical_path_shares(spans), without a second pass
    if not shares:
        return _section(
            "critical-path",
            heading,
            _empty(
                f"None of the {_plural(incomplete, 'kept trace')} is complete (a root span and "
                "every parent kept), so there is no critical path to show."
            ),
        )
    top, top_share = next(iter(shares.items()))
    left_out = (
        f" {_plural(incomplete, 'incomplete trace')} (parents not kept) were left out."
        if incomplete
        else ""
    )
    sentence = (
        f"<p>The critical path is the chain of calls a request was actually waiting on: from "
        f"the root, follow the call that finished last before its caller did, and so on down. "
        f"Over {_plural(complete, 'complete trace')} ({_ms(total)} of end-to-end time in all), "
        f"<b>{_esc(top)}</b> accounts for <b>{_pct(top_share)}</b> of that time, so making "
        f"{_esc(top)} faster shortens requests the most; work off the path runs in parallel "
        f"and does not. A service's share is its queue wait and work on the path, plus the "
        f"network time of the calls it makes.{left_out}</p>"
    )
    svg = _svg(_critical_figure(shares, packages), "critical", "critical path share per service")
    seconds = ", ".join(
        f"{_esc(service)} {_pct(share)} ({_ms(per_service[service])})"
        for service, share in shares.items()
    )
    caption = f"Share of end-to-end time per service: {seconds}."
    return _section("critical-path", heading, sentence + _figure("critical", svg, caption))


def _slowest_section(spans: Sequence[Span], slowest: int) -> str:
    heading = "Slowest traces"
    if not spans:
        return _section(
            "slowest", heading, _empty("No spans were kept, so there are no traces to draw.")
        )
    if slowest <= 0:
        return _section("slowest", heading, _empty("No waterfalls were asked for (slowest=0)."))
    traces = _by_trace(spans)
    extents = []
    for trace_id, trace in traces.items():
        origin = min(span.start for span in trace)
        end = max(span.end for span in trace)
        extents.append((-(end - origin), trace_id, origin, end))
    extents.sort()
    parts = [
        f'<p class="lead">The {min(slowest, len(extents))} slowest of '
        f"{_plural(len(extents), 'kept trace')}, one row per span, nested by caller. Bold "
        "rows are on the critical path; hatched: waiting in a queue; pale: the client side of a "
        "call (including the network); red: an error.</p>"
    ]
    for rank, (_, trace_id, origin, end) in enumerate(extents[:slowest], start=1):
        trace = traces[trace_id]
        rows = _waterfall_rows(trace)
        on_path = {piece[0].span for piece in critical_path(trace)}
        failed = sum(1 for span in trace if span.error)
        root = rows[0].span
        title = (
            f"#{rank}  trace {trace_id:016x} · {_ms(end - origin)} · "
            f"{_plural(len(trace), 'span')} · {root.name}"
            + (f" · {_plural(failed, 'error')}" if failed else "")
        )
        shown = rows[:MAX_WATERFALL_ROWS]
        cut = (
            f" Only the first {len(shown)} of {len(rows)} spans are drawn."
            if len(shown) < len(rows)
            else ""
        )
        figure = _waterfall_figure(shown, origin, end - origin, on_path, title)
        svg = _svg(figure, f"trace-{rank}", f"waterfall of trace {trace_id:016x}")
        parts.append(f'<h3 id="trace-{rank}">{_esc(title)}</h3>')
        parts.append(_figure(f"trace-{rank}", svg, cut.strip()))
        parts.append(_span_table(rows, origin))
    return _section("slowest", heading, "\n".join(parts))


def _span_table(rows: Sequence[_Row], origin: float) -> str:
    lines = []
    for row in rows:
        span = row.span
        indent = f' style="padding-left:{8 + 16 * min(row.depth, 12)}px"'
        kind = "server" if span.kind == SERVER else "client" if span.kind == CLIENT else "?"
        queued = _ms(span.queued) if span.kind == SERVER else ""
        error = f'<td class="err">{_esc(span.error)}</td>' if span.error else "<td></td>"
        lines.append(
            f'<tr class="span-row" data-depth="{row.depth}">'
            f"<td{indent}>{_esc(_service_of(span.instance))}</td>"
            f"<td>{_esc(_short(span.instance))}</td><td>{kind}</td><td>{_esc(span.name)}</td>"
            f"<td>{_ms(span.start - origin)}</td><td>{_ms(span.end - span.start)}</td>"
            f"<td>{queued}</td>{error}</tr>"
        )
    header = (
        "<tr><th>service</th><th>instance</th><th>kind</th><th>operation</th><th>start</th>"
        "<th>duration</th><th>queued</th><th>error</th></tr>"
    )
    return (
        f"<details><summary>The {_plural(len(rows), 'span')} as a table</summary>"
        f"<table><thead>{header}</thead><tbody>{''.join(lines)}</tbody></table></details>"
    )


# --------------------------------------------------------------------------- entry point


def _packages(spans: Iterable[Span]) -> dict[str, str]:
    """Service name → package, from the instances the spans name."""
    packages: dict[str, str] = {}
    seen: set[int] = set()
    for span in spans:
        for instance in (span.instance, span.peer):
            if instance is None or id(instance) in seen:
                continue
            seen.add(id(instance))
            name = _service_of(instance)
            if name not in packages or not packages[name]:
                packages[name] = _package_of(instance)
    return packages


def render_report(
    *,
    arch: str,
    summary: Mapping[str, Any],
    tables: Mapping[str, Mapping[str, Sequence[Any]]],
    spans: Sequence[Span],
    title: str | None = None,
    slowest: int = 5,
    commands: Sequence[Mapping[str, Any]] | None = None,
    chaos: Iterable[Any] | None = None,
) -> str:
    """Return the report as HTML text (see :func:`write_report`)."""
    # the resilience section draws with this module's helpers, so it is imported here
    from monkeyhouse.exporters.report_resilience import resilience_section

    spans = list(spans)
    metric_table = _Table("service_metrics", tables.get("service_metrics"))
    edge_table = _Table("edge_metrics", tables.get("edge_metrics"))
    totals_table = _Table("totals", tables.get("totals"))
    metric_columns = (
        "count",
        "errors",
        "throughput",
        "latency_mean",
        "p50",
        "p99",
        "utilization",
    )
    metrics = (
        _series(metric_table, ("service",), metric_columns)
        if metric_table.usable("service", "time")
        else {}
    )
    edges = (
        _series(edge_table, ("source", "target"), ("count", "p50", "p90", "p99", "p999"))
        if edge_table.usable("source", "target", "time")
        else {}
    )
    totals = _totals(totals_table, metrics)
    packages = _packages(spans)
    ranked = _ranked_services(totals, metrics)
    panels = [service for service in ranked if service in metrics][:MAX_PANELS]
    ranking = _utilization_ranking(totals)
    busiest = ranking[0] if ranking else None
    heading = title or f"{arch}: run report"
    with _style():
        resilience = resilience_section(
            command_table=tables.get("command_metrics"),
            timeline_table=tables.get("breaker_timeline"),
            service_table=tables.get("service_metrics"),
            edge_table=tables.get("edge_metrics"),
            totals=commands,
            chaos=chaos,
        )
        sections = [
            _header(heading, arch, summary, busiest, bool(resilience)),
            _latency_section(
                panels, ranked, metrics, metric_table, edges, edge_table, spans, packages
            ),
            _throughput_section(panels, metrics, metric_table, packages),
            _utilization_section(ranking, metrics, totals_table, metric_table, packages),
            _totals_section(totals, busiest[0] if busiest else None, totals_table, packages),
            *((resilience,) if resilience else ()),
            _critical_section(spans, packages),
            _slowest_section(spans, slowest),
        ]
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="monkeyhouse">\n'
        f"<title>{_esc(heading)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n<footer>monkeyhouse · simulated time · the same run always gives this same "
        "file</footer>\n</main>\n</body>\n</html>\n"
    )


def write_report(
    path: Path,
    *,
    arch: str,
    summary: Mapping[str, Any],
    tables: Mapping[str, Mapping[str, Sequence[Any]]],
    spans: Sequence[Span],
    title: str | None = None,
    slowest: int = 5,
    commands: Sequence[Mapping[str, Any]] | None = None,
    chaos: Iterable[Any] | None = None,
) -> Path:
    """Write the run report as one self-contained HTML file and return its path.

    ``summary`` is the run summary as JSON data; ``tables`` the metric tables by name
    (``service_metrics``, ``edge_metrics``, ``totals``; any may be missing or empty); ``spans``
    the kept spans (possibly sampled or none). At most ``slowest`` traces are drawn as
    waterfalls. A run with protected calls also has ``command_metrics`` and
    ``breaker_timeline``, which add the Resilience section; ``commands`` are the per-command
    totals of ``summary.json`` for its table, and ``chaos`` the run's chaos records (mappings
    with ``time``, ``action``, ``target`` and ``detail``), marked on its time axes with the
    front door's recovery after each. The file is written atomically; the same inputs give
    the same bytes.
    """
    text = render_report(
        arch=arch,
        summary=summary,
        tables=tables,
        spans=spans,
        title=title,
        slowest=slowest,
        commands=commands,
        chaos=chaos,
    )
    return write_text_atomic(Path(path), text)
