"""The span collector: an instrument that keeps the spans of sampled traces, and trace checks.

The runtime hands every finished :class:`~monkeyhouse.behaviours.spans.Span` to
:meth:`SpanCollector.on_span`. Sampling is decided at the head, per trace, as a pure function of
the trace id and the seed (:func:`head_sampled`), so every span of a trace is kept or dropped
together and the same run always keeps the same traces, whatever order spans finish in.

With a ``limit``, the collector stops admitting new traces once it holds ``limit`` spans; traces
already admitted stay complete (their remaining spans are still kept), so memory is bounded by
``limit`` plus the spans of the traces in flight when the limit was reached. Refused spans and
traces are counted in :meth:`SpanCollector.statistics`.

:func:`check_trace_tree` lists what is wrong with a set of spans as trees: exactly one root per
trace, every parent present, every child within its parent's time.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass

from monkeyhouse.behaviours.spans import Span
from monkeyhouse.errors import UsageError
from monkeyhouse.telemetry.timestamps import EPOCH

#: :data:`~monkeyhouse.telemetry.timestamps.EPOCH` in nanoseconds since the Unix epoch: what
#: exporters add to simulated time unless the run asks for another start.
EPOCH_NS = int(EPOCH.timestamp()) * 1_000_000_000

_MASK = (1 << 64) - 1
_FULL = 1 << 64


def _mix64(value: int) -> int:
    """The splitmix64 finaliser: a well-spread 64-bit hash of a 64-bit value."""
    z = (value + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _threshold(rate: float) -> int:
    """Hashes below this value are kept at ``rate`` (``1.0`` keeps all, ``0.0`` none)."""
    if rate >= 1.0:
        return _FULL
    if rate <= 0.0:
        return 0
    return int(rate * _FULL)


def head_sampled(trace: int, *, rate: float, seed: int = 1) -> bool:
    """True if trace ``trace`` is kept at sampling ``rate`` with ``seed`` (a pure function).

    The decision hashes the seed and the trace id with splitmix64 and compares the hash with
    ``rate`` scaled to 64 bits, so about ``rate`` of all traces are kept, independently of
    each other, and a trace kept at some rate is also kept at every higher rate.
    """
    return _mix64(_mix64(seed & _MASK) ^ (trace & _MASK)) < _threshold(rate)


@dataclass(frozen=True, slots=True)
class SpanStatistics:
    """A snapshot of what a :class:`SpanCollector` saw and kept.

    ``seen`` spans were offered; ``kept`` are held; ``traces_kept`` distinct traces are held;
    ``sampled_out`` spans belonged to traces the sampler dropped; ``dropped`` spans and
    ``traces_dropped`` traces (counted by their root span) were refused because of the limit.
    """

    seen: int
    kept: int
    traces_kept: int
    sampled_out: int
    dropped: int
    traces_dropped: int


class SpanCollector:
    """An instrument that keeps the spans of head-sampled traces, in the order they finish.

    ``sample_rate`` is the fraction of traces kept (``0.0`` to ``1.0``), ``seed`` makes the
    choice of traces reproducible, and ``limit`` (if given) bounds how many spans are held
    (see the module notes for what happens at the limit).
    """

    __slots__ = (
        "_dropped",
        "_kept_traces",
        "_limit",
        "_roots",
        "_sampled_out",
        "_seed_hash",
        "_seen",
        "_spans",
        "_threshold",
        "_traces_dropped",
        "sample_rate",
        "seed",
    )

    def __init__(self, sample_rate: float = 1.0, seed: int = 1, limit: int | None = None) -> None:
        if not 0.0 <= sample_rate <= 1.0:
            raise UsageError(
                f"span sample rate: {sample_rate!r} is not a fraction "
                "(give a number from 0.0, no traces, to 1.0, every trace)"
            )
        if limit is not None and limit < 0:
            raise UsageError(
                f"span limit: {limit!r} is negative (give a number of spans, or none for no limit)"
            )
        self.sample_rate = sample_rate
        self.seed = seed
        self._limit = limit
        self._threshold = _threshold(sample_rate)
        self._seed_hash = _mix64(seed & _MASK)
        self._spans: list[Span] = []
        self._roots: list[Span] = []
        self._kept_traces: set[int] = set()
        self._seen = 0
        self._sampled_out = 0
        self._dropped = 0
        self._traces_dropped = 0

    def on_span(self, span: Span) -> None:
        """Observe one finished span: keep it if its trace is sampled and there is room."""
        self._seen += 1
        trace = span.trace
        if trace not in self._kept_traces:
            threshold = self._threshold
            if threshold != _FULL and (
                threshold == 0 or _mix64(self._seed_hash ^ (trace & _MASK)) >= threshold
            ):
                self._sampled_out += 1
                return
            limit = self._limit
            if limit is not None and len(self._spans) >= limit:
                self._dropped += 1
                if span.parent == 0:
                    self._traces_dropped += 1
                return
            self._kept_traces.add(trace)
        self._spans.append(span)
        if span.parent == 0:
            self._roots.append(span)

    def spans(self) -> list[Span]:
        """The kept spans, in the order they finished."""
        return list(self._spans)

    def traces(self) -> dict[int, list[Span]]:
        """Kept spans by trace id, traces in the order their first span finished."""
        grouped: dict[int, list[Span]] = {}
        for span in self._spans:
            members = grouped.get(span.trace)
            if members is None:
                grouped[span.trace] = [span]
            else:
                members.append(span)
        return grouped

    def statistics(self) -> SpanStatistics:
        """A frozen snapshot of the counts."""
        return SpanStatistics(
            seen=self._seen,
            kept=len(self._spans),
            traces_kept=len(self._kept_traces),
            sampled_out=self._sampled_out,
            dropped=self._dropped,
            traces_dropped=self._traces_dropped,
        )

    def slowest(self, n: int) -> list[list[Span]]:
        """The ``n`` slowest complete traces by root duration, slowest first.

        A trace is complete when its root span (parent 0) has finished; each trace's spans are
        given in start order (the root first), ready for a waterfall. Ties go to the lower
        trace id.
        """
        if n <= 0:
            return []
        roots = heapq.nsmallest(n, self._roots, key=lambda s: (-(s.end - s.start), s.trace))
        wanted = {root.trace: index for index, root in enumerate(roots)}
        chosen: list[list[Span]] = [[] for _ in roots]
        for span in self._spans:
            index = wanted.get(span.trace)
            if index is not None:
                chosen[index].append(span)
        for members in chosen:
            members.sort(key=lambda s: (s.start, s.parent != 0, s.span))
        return chosen


def check_trace_tree(spans: Iterable[Span]) -> list[str]:
    """Problems with ``spans`` seen as trace trees; an empty list means every tree is well formed.

    Each trace must have exactly one root (parent 0), no repeated span id, every parent present
    in the trace, no span ending before it starts, and every child within its parent's time
    (``parent.start <= child.start`` and ``child.end <= parent.end``).
    """
    grouped: dict[int, dict[int, Span]] = {}
    problems: list[str] = []
    for span in spans:
        members = grouped.setdefault(span.trace, {})
        if span.span in members:
            problems.append(f"trace {span.trace}: span {span.span} appears more than once")
        members[span.span] = span
    for trace, members in grouped.items():
        roots = sorted(s.span for s in members.values() if s.parent == 0)
        if len(roots) != 1:
            listed = ", ".join(str(r) for r in roots) or "none"
            problems.append(f"trace {trace}: {len(roots)} roots, expected 1 (root spans: {listed})")
        for ident, span in members.items():
            if span.end < span.start:
                problems.append(
                    f"trace {trace}: span {ident} ends at {span.end!r} before it starts "
                    f"at {span.start!r}"
                )
            if span.parent == 0:
                continue
            parent = members.get(span.parent)
            if parent is None:
                problems.append(
                    f"trace {trace}: span {ident} names parent {span.parent}, "
                    "which is not in the trace"
                )
                continue
            if span.start < parent.start or span.end > parent.end:
                problems.append(
                    f"trace {trace}: span {ident} [{span.start!r}, {span.end!r}] is not within "
                    f"its parent {span.parent} [{parent.start!r}, {parent.end!r}]"
                )
    return problems
