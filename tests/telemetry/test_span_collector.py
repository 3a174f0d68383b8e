"""The span collector: head sampling by trace, the limit, statistics, slowest traces, tree check."""

from __future__ import annotations

import math

import pytest

from monkeyhouse.behaviours.spans import CLIENT, SERVER, Span
from monkeyhouse.errors import UsageError
from monkeyhouse.telemetry.spans import (
    EPOCH_NS,
    SpanCollector,
    SpanStatistics,
    check_trace_tree,
    head_sampled,
)
from span_samples import HOME, PROXY, WWW, Ids, request, sample_spans


def single(trace: int, start: float = 0.0, duration: float = 0.01) -> Span:
    span = Span(trace, trace, 0, CLIENT, "get", WWW, PROXY, start)
    span.end = start + duration
    return span


def feed(collector: SpanCollector, spans: list[Span]) -> SpanCollector:
    for span in spans:
        collector.on_span(span)
    return collector


def test_epoch_is_the_documented_day() -> None:
    assert EPOCH_NS == 1_482_105_600 * 10**9  # 2016-12-19T00:00:00Z


def test_everything_kept_at_rate_one_in_finish_order() -> None:
    spans = sample_spans()
    collector = feed(SpanCollector(), spans)
    assert collector.spans() == spans
    traces = collector.traces()
    assert list(traces) == [1, 9, 17]
    assert all(len(members) == 8 for members in traces.values())
    assert collector.statistics() == SpanStatistics(
        seen=24, kept=24, traces_kept=3, sampled_out=0, dropped=0, traces_dropped=0
    )
    with pytest.raises(AttributeError):
        collector.statistics().kept = 1  # type: ignore[misc]


def test_rate_zero_keeps_nothing() -> None:
    collector = feed(SpanCollector(sample_rate=0.0), sample_spans())
    assert collector.spans() == []
    assert collector.statistics().sampled_out == 24


def test_sampled_fraction_is_the_rate_within_binomial_bounds() -> None:
    n = 20_000
    for rate in (0.01, 0.1, 0.5, 0.9):
        collector = feed(
            SpanCollector(sample_rate=rate, seed=7), [single(t) for t in range(1, n + 1)]
        )
        kept = collector.statistics().traces_kept
        sigma = math.sqrt(n * rate * (1 - rate))
        assert abs(kept - n * rate) < 5 * sigma, (rate, kept)


def test_traces_kept_or_dropped_whole_and_independent_of_order() -> None:
    ids = Ids()
    spans = [s for k in range(200) for s in request(ids, k * 0.1)]
    forward = feed(SpanCollector(sample_rate=0.3, seed=5), spans)
    backward = feed(SpanCollector(sample_rate=0.3, seed=5), spans[::-1])
    assert set(forward.traces()) == set(backward.traces())
    assert 0 < len(forward.traces()) < 200
    assert all(len(members) == 8 for members in forward.traces().values())
    assert forward.statistics().sampled_out == 8 * (200 - len(forward.traces()))


def test_sampling_is_a_pure_function_of_trace_and_seed() -> None:
    traces = range(1, 5000)
    first = {t for t in traces if head_sampled(t, rate=0.25, seed=3)}
    again = {t for t in traces if head_sampled(t, rate=0.25, seed=3)}
    other_seed = {t for t in traces if head_sampled(t, rate=0.25, seed=4)}
    higher = {t for t in traces if head_sampled(t, rate=0.5, seed=3)}
    assert first == again
    assert first != other_seed
    assert first <= higher  # a trace kept at a rate is kept at every higher rate
    collector = feed(SpanCollector(sample_rate=0.25, seed=3), [single(t) for t in traces])
    assert set(collector.traces()) == first


@pytest.mark.parametrize("rate", [-0.1, 1.5, math.nan])
def test_bad_rate_is_a_usage_error(rate: float) -> None:
    with pytest.raises(UsageError, match="sample rate"):
        SpanCollector(sample_rate=rate)


def test_negative_limit_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="limit"):
        SpanCollector(limit=-1)


def test_limit_refuses_new_traces_but_completes_admitted_ones() -> None:
    ids = Ids()
    first, second, third = (request(ids, k * 1.0) for k in range(3))
    # the first spans of the first two traces arrive before the limit is reached, interleaved
    spans = first[:4] + second[:1] + first[4:] + second[1:] + third
    collector = feed(SpanCollector(limit=10), spans)
    assert set(collector.traces()) == {1, 9}
    assert check_trace_tree(collector.spans()) == []
    assert collector.statistics() == SpanStatistics(
        seen=24, kept=16, traces_kept=2, sampled_out=0, dropped=8, traces_dropped=1
    )


def test_limit_zero_keeps_nothing_and_counts_it() -> None:
    collector = feed(SpanCollector(limit=0), sample_spans())
    assert collector.spans() == []
    assert collector.statistics().dropped == 24
    assert collector.statistics().traces_dropped == 3


def test_slowest_traces_by_root_duration() -> None:
    durations = {1: 0.5, 2: 2.0, 3: 1.0, 4: 2.0, 5: 0.1}
    spans = [single(t, start=t, duration=d) for t, d in durations.items()]
    orphan = Span(6, 60, 61, SERVER, "get", PROXY, WWW, 0.0)  # no root finished: incomplete
    orphan.end = 100.0
    collector = feed(SpanCollector(), [*spans, orphan])
    slowest = collector.slowest(3)
    assert [trace[0].trace for trace in slowest] == [2, 4, 3]  # ties go to the lower trace id
    assert collector.slowest(0) == []
    assert len(collector.slowest(100)) == 5


def test_slowest_gives_whole_traces_root_first_in_start_order() -> None:
    ids = Ids()
    quick = request(ids, 1.0, fail=True)  # cassandra rejects at once: 9.25 ms in all
    slow = request(ids, 2.0)  # 12.25 ms
    collector = feed(SpanCollector(), quick + slow)
    (trace,) = collector.slowest(1)
    assert trace[0].parent == 0 and trace[0].trace == slow[0].trace
    assert sorted(trace, key=lambda s: s.span) == sorted(slow, key=lambda s: s.span)
    assert [s.start for s in trace] == sorted(s.start for s in trace)
    assert trace[0].duration == pytest.approx(0.01225)


def test_well_formed_trees_have_no_problems() -> None:
    assert check_trace_tree(sample_spans()) == []
    assert check_trace_tree([]) == []


def test_tree_problems_are_named() -> None:
    ids = Ids()
    spans = request(ids, 1.0)
    by_id = {s.span: s for s in spans}
    by_id[5].start = by_id[4].start - 0.01  # client call to cassandra starts before its server
    problems = check_trace_tree(spans)
    assert problems == [
        f"trace 1: span 5 [{by_id[5].start!r}, {by_id[5].end!r}] is not within its parent 4 "
        f"[{by_id[4].start!r}, {by_id[4].end!r}]"
    ]

    two_roots = [*request(Ids(), 1.0), single(1, start=1.0)]
    two_roots[-1].span = 99
    assert check_trace_tree(two_roots) == ["trace 1: 2 roots, expected 1 (root spans: 1, 99)"]

    headless = request(Ids(), 1.0)[:-1]  # the root is missing
    problems = check_trace_tree(headless)
    assert "trace 1: 0 roots, expected 1 (root spans: none)" in problems
    assert "trace 1: span 2 names parent 1, which is not in the trace" in problems

    backwards = single(7, start=2.0, duration=-1.0)
    assert check_trace_tree([backwards]) == ["trace 7: span 7 ends at 1.0 before it starts at 2.0"]

    twice = single(8)
    assert check_trace_tree([twice, twice]) == ["trace 8: span 8 appears more than once"]


def test_child_outside_parent_end_is_found() -> None:
    spans = request(Ids(), 1.0)
    server = next(s for s in spans if s.instance is HOME and s.kind == SERVER)
    server.end += 1.0  # the karyon server answers after its client gave up
    problems = check_trace_tree(spans)
    assert len(problems) == 1 and problems[0].startswith(f"trace 1: span {server.span} ")
