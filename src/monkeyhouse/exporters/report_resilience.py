"""The report's "Resilience" section: breakers, Hystrix events, the cascade and recovery.

:func:`resilience_section` draws it from the tables a protected run writes (``command_metrics``
and ``breaker_timeline``, see ``telemetry/commands.py``) together with ``service_metrics`` and
``edge_metrics``. A run without protected commands has no ``command_metrics`` table and gets no
section at all. Top to bottom:

1. the breaker timeline: one band per command (caller → dependency), filled to the share of
   the caller's instances whose breaker is open (red) and half open (amber) at each sample;
2. Hystrix's events per command over time: each interval's calls as shares of SUCCESS,
   FAILURE, TIMEOUT, SHORT_CIRCUITED and rejected (thread pool or semaphore), stacked, with
   the fallbacks (which answer for the failed calls) as lines; then a totals table per command
   with its protection in words;
3. the cascade: each service's error share per interval as a heat map, ordered from the front
   door down the call graph, and a verdict computed by
   :func:`~monkeyhouse.analysis.cascade.cascade_verdict`;
4. with chaos events: a recovery figure and table, the front door's recovery after each event
   by :func:`~monkeyhouse.analysis.recovery.recovery`.

Chaos events are plain records (mappings, or objects with the same attributes) with ``time``,
``action``, ``target`` and ``detail``; they are marked on every time axis of the section.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from monkeyhouse.analysis.cascade import (
    CascadeVerdict,
    ServiceErrors,
    call_depths,
    cascade_order,
    cascade_verdict,
    front_door_errors,
)
from monkeyhouse.analysis.recovery import DEFAULT_HOLD, DEFAULT_THRESHOLD, Recovery, recovery
from monkeyhouse.exporters.report import (
    _GRID,
    _MUTED,
    _NAN,
    _WIDTH_IN,
    _count,
    _empty,
    _esc,
    _figure,
    _finite,
    _num,
    _plural,
    _section,
    _Series,
    _series,
    _svg,
    _Table,
)
from monkeyhouse.telemetry.commands import EVENT_COLUMNS

__all__ = ["MAX_COMMANDS", "ChaosEvent", "chaos_events", "resilience_section"]

#: commands drawn at most (the ones with the most calls that did not succeed, then the busiest)
MAX_COMMANDS = 24
#: event panels drawn at most
MAX_EVENT_PANELS = 12

_OPEN = "#d62728"
_HALF = "#f2b134"
_CHAOS = "#6a3d9a"
#: the execution outcomes stacked per interval: label, columns summed, colour
_OUTCOMES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("success", ("success",), "#59a14f"),
    ("failure", ("failure",), "#e15759"),
    ("timeout", ("timeout",), "#f28e2b"),
    ("short-circuited", ("short_circuited",), "#4e79a7"),
    ("rejected", ("thread_pool_rejected", "semaphore_rejected"), "#b07aa1"),
)
_FALLBACKS: tuple[tuple[str, str, str], ...] = (
    ("fallback success", "fallback_success", "#146356"),
    ("fallback failure", "fallback_failure", "#5c0000"),
)
_EVENT_COLUMNS = EVENT_COLUMNS
_EXECUTIONS = _EVENT_COLUMNS[:6]


@dataclass(frozen=True, slots=True)
class ChaosEvent:
    """One thing chaos did, as the report shows it."""

    time: float
    action: str
    target: str
    detail: str


def chaos_events(records: Iterable[Any] | None) -> list[ChaosEvent]:
    """Chaos records (mappings or objects with ``time``, ``action``, ``target``, ``detail``).

    Records without a finite time are left out; the rest are sorted by time (stable).
    """
    events: list[ChaosEvent] = []
    for record in records or ():

        def field(name: str, record: Any = record) -> Any:
            if isinstance(record, Mapping):
                return record.get(name)
            return getattr(record, name, None)

        time = _num(field("time"))
        if not _finite(time):
            continue
        events.append(
            ChaosEvent(
                time,
                str(field("action") or ""),
                str(field("target") or ""),
                str(field("detail") or ""),
            )
        )
    events.sort(key=lambda event: event.time)
    return events


def _mark_events(ax: Any, events: Sequence[ChaosEvent], *, label: bool = False) -> None:
    for number, event in enumerate(events, start=1):
        ax.axvline(event.time, color=_CHAOS, linewidth=1.1, linestyle=(0, (4, 2)), zorder=5)
        if label:
            ax.text(
                event.time,
                1.01,
                f" {number}",
                transform=ax.get_xaxis_transform(),
                color=_CHAOS,
                fontsize=8,
                fontweight="bold",
                ha="left",
                va="bottom",
            )


def _tidy(ax: Any) -> None:
    ax.grid(True, axis="x", color=_GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _step(times: Sequence[float]) -> float:
    ordered = sorted(times)
    steps = [b - a for a, b in itertools.pairwise(ordered) if b - a > 0]
    return min(steps) if steps else 1.0


def _band_edges(
    times: Sequence[float], step: float, *, after: bool = False
) -> tuple[list[float], list[int]]:
    """Edges for a sampled series: each value holds over the interval it ends.

    With ``after``, over the interval it starts instead (an instant's state, such as a
    breaker's, is known from its sample on).
    """
    xs: list[float] = []
    index: list[int] = []
    for i, time in enumerate(times):
        xs.extend((time, time + step) if after else (time - step, time))
        index.extend((i, i))
    return xs, index


# --------------------------------------------------------------------------- figures


def _breaker_figure(
    names: Sequence[str],
    commands: Mapping[str, _Series],
    events: Sequence[ChaosEvent],
    span: tuple[float, float],
) -> Figure:
    rows = len(names)
    height = 0.34 * rows + 1.1
    figure = Figure(figsize=(_WIDTH_IN, height), facecolor="white")
    label_w = max(len(name) for name in names) * 0.072 + 0.3
    left = min(0.34, label_w / _WIDTH_IN)
    ax = figure.add_axes((left, 0.62 / height, 0.975 - left, 1 - 0.95 / height))
    step = _step([t for name in names for t in commands[name].times])
    for row, name in enumerate(names):
        series = commands[name]
        base = rows - 1 - row
        breakers = series.get("breakers")
        opened = series.get("open")
        halves = series.get("half_open")
        xs, index = _band_edges(series.times, step, after=True)
        share_open = [
            opened[i] / breakers[i] if breakers[i] > 0 and _finite(opened[i]) else 0.0
            for i in index
        ]
        share_half = [
            halves[i] / breakers[i] if breakers[i] > 0 and _finite(halves[i]) else 0.0
            for i in index
        ]
        low = [base + 0.08] * len(xs)
        top_open = [base + 0.08 + 0.84 * s for s in share_open]
        top_half = [t + 0.84 * h for t, h in zip(top_open, share_half, strict=True)]
        ax.fill_between(xs, low, top_open, color=_OPEN, linewidth=0)
        ax.fill_between(xs, top_open, top_half, color=_HALF, linewidth=0)
        ax.axhline(base + 0.08, color="#c9d0d8", linewidth=0.6)
    ax.set_yticks(
        [rows - 1 - row + 0.5 for row in range(rows)],
        list(names),
    )
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(0, rows)
    ax.set_xlim(*span)
    ax.set_xlabel("simulated time (s)")
    _tidy(ax)
    _mark_events(ax, events, label=True)
    handles = [
        Patch(facecolor=_OPEN, label="open (share of the caller's instances)"),
        Patch(facecolor=_HALF, label="half open (trial)"),
    ]
    if events:
        handles.append(Patch(facecolor=_CHAOS, label="chaos event"))
    figure.legend(handles=handles, loc="upper right", ncols=len(handles), frameon=False)
    return figure


def _events_figure(
    names: Sequence[str],
    commands: Mapping[str, _Series],
    events: Sequence[ChaosEvent],
    span: tuple[float, float],
) -> Figure:
    count = len(names)
    columns = 1 if count == 1 else 2 if count <= 4 else 3
    rows = math.ceil(count / columns)
    height = rows * 1.75 + 0.9
    figure = Figure(figsize=(_WIDTH_IN, height), facecolor="white")
    axes = figure.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
    figure.subplots_adjust(
        left=0.07, right=0.985, top=1 - 0.55 / height, bottom=0.55 / height, hspace=0.55
    )
    flat = [axes[r][c] for r in range(rows) for c in range(columns)]
    for ax in flat[count:]:
        ax.set_visible(False)
    for ax, name in zip(flat, names, strict=False):
        series = commands[name]
        step = _step(series.times)
        xs, index = _band_edges(series.times, step)
        calls = [
            sum(v for column in _EXECUTIONS if _finite(v := series.get(column)[i]))
            for i in range(len(series.times))
        ]
        base = [0.0] * len(xs)
        for label, summed, colour in _OUTCOMES:
            values = [
                sum(series.get(name)[i] for name in summed) / calls[i] if calls[i] > 0 else 0.0
                for i in index
            ]
            top = [b + v for b, v in zip(base, values, strict=True)]
            ax.fill_between(xs, base, top, color=colour, linewidth=0, label=label)
            base = top
        for label, fallback, colour in _FALLBACKS:
            values = [series.get(fallback)[i] / calls[i] if calls[i] > 0 else _NAN for i in index]
            if any(_finite(v) and v > 0 for v in values):
                ax.plot(xs, values, color=colour, linewidth=1.4, linestyle="--", label=label)
        ax.set_ylim(0, 1.02)
        ax.set_xlim(*span)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v * 100:g} %"))
        total = sum(calls)
        ax.set_title(name, loc="left", fontweight="bold", fontsize=9)
        ax.text(
            1.0,
            1.03,
            f"{_count(total)} calls",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=8,
            color=_MUTED,
        )
        _tidy(ax)
        _mark_events(ax, events)
    for column in range(min(columns, count)):
        lowest = max(i for i in range(column, count, columns))
        flat[lowest].set_xlabel("simulated time (s)")
        flat[lowest].xaxis.set_tick_params(labelbottom=True)
    flat[0].set_ylabel("share of calls")
    handles = [Patch(facecolor=colour, label=label) for label, _, colour in _OUTCOMES]
    handles += [
        Patch(facecolor="white", edgecolor=colour, linestyle="--", label=label)
        for label, _, colour in _FALLBACKS
    ]
    figure.legend(handles=handles, loc="upper right", ncols=len(handles), frameon=False)
    return figure


def _cascade_figure(
    order: Sequence[str],
    services: Mapping[str, ServiceErrors],
    depths: Mapping[str, int],
    front: Sequence[str],
    events: Sequence[ChaosEvent],
    span: tuple[float, float],
) -> Figure:
    rows = len(order)
    times = sorted({t for name in order for t in services[name].times if _finite(t)})
    column = {t: i for i, t in enumerate(times)}
    matrix = [[_NAN] * len(times) for _ in order]
    for row, name in enumerate(order):
        rows_of = services[name]
        for time, share in zip(rows_of.times, rows_of.shares(), strict=True):
            if time in column:
                matrix[row][column[time]] = share
    height = 0.3 * rows + 1.2
    figure = Figure(figsize=(_WIDTH_IN, height), facecolor="white")
    labels = [
        f"{name}  ·  depth {depths[name]}" if name in depths else f"{name}  ·  not reached"
        for name in order
    ]
    label_w = max(len(label) for label in labels) * 0.07 + 0.3
    left = min(0.34, label_w / _WIDTH_IN)
    ax = figure.add_axes((left, 0.62 / height, 0.9 - left, 1 - 0.95 / height))
    step = _step(times)
    start = times[0] - step if times else 0.0
    end = times[-1] if times else 1.0
    image = ax.imshow(
        matrix,
        aspect="auto",
        cmap="Reds",
        vmin=0.0,
        vmax=1.0,
        interpolation="none",
        extent=(start, end, rows - 0.5, -0.5),
    )
    for boundary in range(1, rows):
        ax.axhline(boundary - 0.5, color="white", linewidth=1.0)
    ax.set_yticks(list(range(rows)), labels)
    for label, name in zip(ax.get_yticklabels(), order, strict=True):
        if name in front:
            label.set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(*span)
    ax.set_xlabel("simulated time (s)")
    _mark_events(ax, events, label=True)
    scale = figure.add_axes((0.93, 0.62 / height, 0.012, 1 - 0.95 / height))
    bar = figure.colorbar(image, cax=scale)
    bar.set_ticks([0, 0.5, 1.0], labels=["0", "50", "100 %"])
    bar.outline.set_visible(False)
    return figure


def _recovery_figure(
    door: ServiceErrors,
    recoveries: Sequence[tuple[ChaosEvent, Recovery]],
    threshold: float,
    span: tuple[float, float],
) -> Figure:
    height = 2.8
    figure = Figure(figsize=(_WIDTH_IN, height), facecolor="white")
    ax = figure.add_axes((0.07, 0.2, 0.91, 0.64))
    step = _step(door.times)
    xs, index = _band_edges(door.times, step)
    shares = door.shares()
    ax.plot(xs, [shares[i] for i in index], color="#1d2430", linewidth=1.3, label="error share")
    ax.axhline(threshold, color=_MUTED, linewidth=0.9, linestyle=":", label="threshold")
    top = max([s for s in shares if _finite(s)] + [threshold * 3, 0.05])
    for event, result in recoveries:
        end = result.recovered_at if result.recovered_at is not None else span[1]
        colour = "#9ecae1" if result.recovered_at is not None else "#fcbba1"
        ax.axvspan(event.time, end, color=colour, alpha=0.55, linewidth=0)
    _mark_events(ax, [event for event, _ in recoveries], label=True)
    ax.set_ylim(0, min(1.05, top * 1.15))
    ax.set_xlim(*span)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v * 100:g} %"))
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("front door errors")
    ax.grid(True, color=_GRID, linewidth=0.6)
    _tidy(ax)
    figure.legend(
        handles=[
            Patch(facecolor="#1d2430", label="front door error share"),
            Patch(facecolor=_CHAOS, label="chaos event"),
            Patch(facecolor="#9ecae1", label="until recovered"),
            Patch(facecolor="#fcbba1", label="not recovered within the run"),
        ],
        loc="upper right",
        ncols=4,
        frameon=False,
    )
    return figure


# --------------------------------------------------------------------------- the section


def _command_key(caller: str, dependency: str) -> str:
    return f"{caller} → {dependency}"


def _totals_rows(
    totals: Sequence[Mapping[str, Any]] | None, commands: Mapping[str, _Series]
) -> list[dict[str, Any]]:
    """One row per command: from the summary's totals when given, else summed from the table."""
    rows: list[dict[str, Any]] = []
    row: dict[str, Any]
    if totals:
        for item in totals:
            row = {column: _num(item.get(column)) for column in _EVENT_COLUMNS}
            row["name"] = _command_key(str(item.get("caller", "")), str(item.get("dependency")))
            row["retries"] = _num(item.get("retries"))
            row["open"] = _num(item.get("open_at_end"))
            row["breakers"] = _num(item.get("breakers"))
            row["protection"] = str(item.get("protection") or "—")
            rows.append(row)
        return sorted(rows, key=lambda row: row["name"])
    for name, series in sorted(commands.items()):
        row = {
            column: sum(v for v in series.get(column) if _finite(v)) for column in _EVENT_COLUMNS
        }
        row["name"] = name
        row["retries"] = _NAN
        row["open"] = series.get("open")[-1] if series.times else _NAN
        row["breakers"] = series.get("breakers")[-1] if series.times else _NAN
        row["protection"] = "—"
        rows.append(row)
    return rows


def _totals_table(rows: Sequence[Mapping[str, Any]], summed: bool) -> str:
    header = (
        "<tr><th>command</th><th>protection</th><th>calls</th><th>success</th><th>failure</th>"
        "<th>timeout</th><th>short-circuited</th><th>rejected</th><th>fallback ok</th>"
        "<th>fallback failed</th><th>retries</th><th>open at end</th></tr>"
    )
    lines = []
    for row in rows:
        calls = sum(row[c] for c in _EXECUTIONS if _finite(row[c]))
        rejected = sum(
            row[c] for c in ("thread_pool_rejected", "semaphore_rejected") if _finite(row[c])
        )

        def cell(value: float) -> str:
            css = ' class="err"' if _finite(value) and value > 0 else ""
            return f"<td{css}>{_count(value)}</td>"

        breakers = row["breakers"]
        opened = (
            f"{_count(row['open'])} of {_count(breakers)}"
            if _finite(breakers) and breakers > 0
            else "no breaker"
        )
        lines.append(
            f'<tr class="command-row"><td>{_esc(row["name"])}</td>'
            f'<td style="text-align:left">{_esc(row["protection"])}</td>'
            f"<td>{_count(calls)}</td><td>{_count(row['success'])}</td>"
            f"{cell(row['failure'])}{cell(row['timeout'])}"
            f"{cell(row['short_circuited'])}{cell(rejected)}"
            f"<td>{_count(row['fallback_success'])}</td>"
            f"<td>{_count(row['fallback_failure'])}</td>"
            f"<td>{_count(row['retries'])}</td><td>{opened}</td></tr>"
        )
    note = (
        '<p class="lead">(Summed from the command table: no totals were given, so retries and '
        "the protection are unknown.)</p>"
        if summed
        else ""
    )
    return f"{note}<table><thead>{header}</thead><tbody>{''.join(lines)}</tbody></table>"


def _chosen_commands(commands: Mapping[str, _Series], depths: Mapping[str, int]) -> list[str]:
    """Commands in call-graph order (the caller's depth, then name); the worst when too many."""

    def trouble(name: str) -> tuple[float, float]:
        series = commands[name]
        calls = sum(v for c in _EXECUTIONS for v in series.get(c) if _finite(v))
        good = sum(v for v in series.get("success") if _finite(v))
        opened = sum(v for v in series.get("open") if _finite(v))
        return (-(calls - good) - opened, -calls)

    names = sorted(commands)
    if len(names) > MAX_COMMANDS:
        names = sorted(names, key=lambda name: (*trouble(name), name))[:MAX_COMMANDS]

    def place(name: str) -> tuple[float, str]:
        caller = name.split(" → ", 1)[0]
        return (depths.get(caller, math.inf), name)

    return sorted(names, key=place)


def resilience_section(
    *,
    command_table: Mapping[str, Sequence[Any]] | None,
    timeline_table: Mapping[str, Sequence[Any]] | None,
    service_table: Mapping[str, Sequence[Any]] | None,
    edge_table: Mapping[str, Sequence[Any]] | None,
    totals: Sequence[Mapping[str, Any]] | None = None,
    chaos: Iterable[Any] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> str:
    """The section as HTML, or ``""`` when the run has no protected commands.

    ``totals`` are the per-command totals of ``summary.json`` (``CommandRecorder.totals``);
    without them the totals are summed from ``command_table``. ``chaos`` are the run's chaos
    records; ``threshold`` is the error share (a fraction) of the verdict and the recovery.
    """
    if command_table is None:
        return ""
    table = _Table("command_metrics", command_table)
    lead = (
        '<p class="lead">How the protected calls behaved: when breakers opened and closed, '
        "what Hystrix counted per command, and whether errors spread up the call graph.</p>"
    )
    if not table.usable("time", "caller", "dependency"):
        why = table.absence("protected commands", "time", "caller", "dependency")
        return _section("resilience", "Resilience", lead + _empty(why))
    commands = _series(
        table, ("caller", "dependency"), (*_EVENT_COLUMNS, "open", "half_open", "breakers")
    )
    events = chaos_events(chaos)
    services_table = _Table("service_metrics", service_table)
    edges = _Table("edge_metrics", edge_table)
    depths = (
        call_depths(zip(edges.text("source"), edges.text("target"), strict=True))
        if edges.usable("source", "target")
        else {}
    )
    metrics = (
        _series(services_table, ("service",), ("count", "errors"))
        if services_table.usable("service", "time")
        else {}
    )
    services = {
        name: ServiceErrors(series.times, series.get("count"), series.get("errors"))
        for name, series in metrics.items()
    }
    all_times = [t for s in commands.values() for t in s.times] + [
        t for s in metrics.values() for t in s.times
    ]
    step = _step(sorted(set(all_times)))
    span = (max(0.0, min(all_times) - step), max(all_times)) if all_times else (0.0, 1.0)
    if span[1] <= span[0]:  # one sample (a zero-length run): give the axes some width
        span = (span[0], span[0] + step)
    parts = [lead]
    timeline = _Table("breaker_timeline", timeline_table)
    changes = timeline.rows
    chosen = _chosen_commands(commands, depths)
    more = (
        f" The {len(chosen)} commands with the most failed calls and open breakers of "
        f"{len(commands)} are shown."
        if len(chosen) < len(commands)
        else ""
    )
    parts.append("<h3>Breakers over time</h3>")
    with_breaker = [name for name in chosen if max(commands[name].get("breakers")) > 0]
    if with_breaker:
        figure = _breaker_figure(with_breaker, commands, events, span)
        svg = _svg(figure, "breakers", "circuit breakers open over time per command")
        opened = sum(1 for change in timeline.text("change") if change == "opened")
        caption = (
            "Each band is one command (caller → dependency), filled to the share of the "
            "caller's instances whose breaker is open (red) or letting its trial call through "
            "(amber) from each sample to the next. The breaker timeline records "
            f"{_plural(changes, 'change')} in the number of open breakers, "
            f"{_count(opened)} of them openings.{more}"
        )
        parts.append(_figure("breakers", svg, caption))
    else:
        parts.append(_empty("No command has a circuit breaker."))
    parts.append("<h3>Hystrix events per command</h3>")
    panels = chosen[:MAX_EVENT_PANELS]
    figure = _events_figure(panels, commands, events, span)
    svg = _svg(figure, "command-events", "Hystrix events per command over time")
    cut = (
        f" The first {len(panels)} of {len(chosen)} commands are drawn."
        if len(panels) < len(chosen)
        else ""
    )
    parts.append(
        _figure(
            "command-events",
            svg,
            "Each interval's calls by outcome, as shares (stacked); the dashed lines are the "
            f"fallbacks served, as a share of the same calls.{cut}",
        )
    )
    rows = _totals_rows(totals, commands)
    parts.append(_totals_table(rows, summed=not totals))
    parts.append(_cascade_part(services, depths, events, span, threshold))
    if events:
        parts.append(_recovery_part(services, depths, events, span, threshold))
    return _section("resilience", "Resilience", "\n".join(parts))


def _cascade_part(
    services: Mapping[str, ServiceErrors],
    depths: Mapping[str, int],
    events: Sequence[ChaosEvent],
    span: tuple[float, float],
    threshold: float,
) -> str:
    parts = ["<h3>The cascade</h3>"]
    if not services:
        parts.append(_empty("No cascade: the service_metrics table is missing or empty."))
        return "\n".join(parts)
    verdict: CascadeVerdict = cascade_verdict(services, depths, threshold)
    parts.append(
        f'<p class="callout verdict" data-outcome="{verdict.outcome}">{_esc(verdict.text)}</p>'
    )
    # services that never answered a request (the traffic source) have nothing to show
    order = [
        name
        for name in cascade_order(services, depths)
        if any(_finite(c) and c > 0 for c in services[name].counts)
    ]
    if not order:
        parts.append(_empty("No service answered a request, so there is no cascade to draw."))
        return "\n".join(parts)
    figure = _cascade_figure(order, services, depths, verdict.front_door, events, span)
    svg = _svg(figure, "cascade", "error share per service over time, front door first")
    caption = (
        "Error share per interval, services from the front door (bold: the services the "
        "traffic source calls) down the call graph; white: no requests. An interval counts "
        "as failing above "
        f"{threshold * 100:g} % errors; errors that spread show as red climbing up the rows."
    )
    parts.append(_figure("cascade", svg, caption))
    return "\n".join(parts)


def _recovery_part(
    services: Mapping[str, ServiceErrors],
    depths: Mapping[str, int],
    events: Sequence[ChaosEvent],
    span: tuple[float, float],
    threshold: float,
) -> str:
    parts = ["<h3>Recovery after chaos</h3>"]
    door_names, door = front_door_errors(services, depths)
    if not door_names or not door.times:
        parts.append(_empty("No recovery: the front door is unknown (no edge or service table)."))
        return "\n".join(parts)
    results = [
        (event, recovery(event.time, door.times, door.counts, door.errors, threshold=threshold))
        for event in events
    ]
    figure = _recovery_figure(door, results, threshold, span)
    svg = _svg(figure, "recovery", "front door error share and recovery after each chaos event")
    names = ", ".join(door_names)
    caption = (
        f"The front door ({_esc(names)}): recovered at the end of the first interval after the "
        f"event that starts {DEFAULT_HOLD} intervals in a row with at most {threshold * 100:g} % "
        "errors (and some requests)."
    )
    parts.append(_figure("recovery", svg, caption))
    lines = []
    for number, (event, result) in enumerate(results, start=1):
        seconds = result.seconds
        shown = "did not recover within the run" if seconds is None else f"{seconds:.3g} s"
        lines.append(
            f'<tr class="recovery-row"><td>{number}</td><td>{event.time:g} s</td>'
            f"<td>{_esc(event.action)}</td><td>{_esc(event.target)}</td>"
            f"<td>{_esc(event.detail)}</td><td>{shown}</td></tr>"
        )
    header = (
        "<tr><th>#</th><th>time</th><th>action</th><th>target</th><th>detail</th>"
        "<th>front door recovered after</th></tr>"
    )
    parts.append(f"<table><thead>{header}</thead><tbody>{''.join(lines)}</tbody></table>")
    return "\n".join(parts)
