"""The HDR histogram against numpy (an independent reference) and exact arithmetic."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest

from monkeyhouse.telemetry.histogram import (
    HIGHEST,
    LOWEST,
    STANDARD_PERCENTILES,
    SUB_BUCKETS,
    Histogram,
    bucket_bounds,
    bucket_key,
)

QS = [0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0]


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


def test_buckets_are_narrower_than_a_thousandth_of_their_values() -> None:
    rng = random.Random(7)
    for _ in range(20_000):
        value = math.exp(rng.uniform(math.log(LOWEST), math.log(HIGHEST)))
        lower, upper = bucket_bounds(bucket_key(value))
        assert lower <= value < upper
        assert (upper - lower) / lower <= 1 / SUB_BUCKETS < 0.001
    # keys grow with values, and neighbouring buckets touch
    key = bucket_key(0.0123)
    assert bucket_bounds(key)[1] == bucket_bounds(key + 1)[0]
    assert bucket_key(1.0) < bucket_key(1.001) < bucket_key(2.0)
    # an octave holds SUB_BUCKETS buckets
    assert bucket_key(2.0) - bucket_key(1.0) == SUB_BUCKETS


def test_million_exponential_samples_match_numpy_within_a_thousandth() -> None:
    rng = np.random.default_rng(20240601)
    samples = rng.exponential(0.050, 1_000_000)
    samples = samples[samples >= LOWEST]  # below-range values are covered elsewhere
    hist = Histogram()
    hist.record_many(samples.tolist())
    assert hist.count == len(samples)
    assert hist.min == samples.min() and hist.max == samples.max()
    assert hist.mean == pytest.approx(samples.mean(), rel=1e-12)
    reference = np.percentile(samples, QS)
    estimates = hist.percentiles(QS)
    for q, est, ref in zip(QS, estimates, reference, strict=True):
        assert rel(est, ref) <= 0.001, (q, est, ref)
        assert hist.percentile(q) == est


def test_wide_lognormal_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    samples = np.clip(rng.lognormal(math.log(0.01), 2.5, 200_000), LOWEST, HIGHEST)
    hist = Histogram()
    for value in samples.tolist():
        hist.record(value)
    for q, est, ref in zip(QS, hist.percentiles(QS), np.percentile(samples, QS), strict=True):
        assert rel(est, ref) <= 0.001, (q, est, ref)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 10, 17])
def test_small_samples_match_numpy_interpolation(n: int) -> None:
    rng = np.random.default_rng(n)
    for _ in range(20):
        samples = rng.uniform(0.001, 2.0, n)
        hist = Histogram()
        hist.record_many(samples.tolist())
        qs = [0, 12.5, 33.3, 50, 66.6, 90, 99, 100]
        for est, ref in zip(hist.percentiles(qs), np.percentile(samples, qs), strict=True):
            assert rel(est, ref) <= 0.001


def test_one_value_gives_itself_back() -> None:
    hist = Histogram()
    hist.record(0.123456789)
    assert hist.count == 1
    assert hist.min == hist.max == hist.mean == 0.123456789
    assert hist.percentiles(QS) == [0.123456789] * len(QS)


def test_empty_histogram_is_nan() -> None:
    hist = Histogram()
    assert hist.count == 0 and hist.total == 0.0
    assert math.isnan(hist.min) and math.isnan(hist.max) and math.isnan(hist.mean)
    assert all(math.isnan(v) for v in hist.percentiles(STANDARD_PERCENTILES))
    assert hist.count_at_or_below(1.0) == 0
    again = Histogram.from_dict(json.loads(json.dumps(hist.to_dict())))
    assert again == hist


def test_values_outside_the_range() -> None:
    hist = Histogram()
    hist.record_many([0.0, 1e-9, 0.5, 1e7, math.inf])
    assert hist.count == 5
    assert hist.clamped == 2
    assert hist.min == 0.0
    assert hist.max == math.inf
    assert hist.percentile(0) == 0.0 and hist.percentile(100) == math.inf
    assert hist.percentile(50) == pytest.approx(0.5, rel=1e-3)
    huge = Histogram()
    huge.record(1e7)
    huge.record(2e7)
    assert huge.mean == 1.5e7  # exact, from the running sum
    assert huge.max == 2e7 and huge.min == 1e7 and huge.clamped == 2
    assert huge.percentile(50) <= 2e7
    tiny = Histogram()
    tiny.record_many([0.0, 0.0, 0.0])
    assert tiny.percentiles([0, 50, 100]) == [0.0, 0.0, 0.0]
    assert tiny.count_at_or_below(LOWEST) == 3


def test_nan_is_refused_and_nothing_is_counted() -> None:
    hist = Histogram()
    hist.record(0.1)
    with pytest.raises(ValueError, match="NaN"):
        hist.record(math.nan)
    with pytest.raises(ValueError, match="NaN"):
        hist.record_many([0.2, math.nan])
    # record_many kept the values before the refused one, consistently
    assert hist.count == 2 and hist.total == pytest.approx(0.3)
    assert sum(hist.snapshot().counts) == 2


def test_bad_arguments() -> None:
    hist = Histogram()
    with pytest.raises(ValueError, match="percentile"):
        hist.percentile(100.5)
    with pytest.raises(ValueError, match="percentile"):
        hist.percentile(-1)
    with pytest.raises(ValueError):
        Histogram(lowest=1.0, highest=0.5)
    with pytest.raises(ValueError, match="merge"):
        hist.merge(Histogram(highest=10.0))


def test_merge_equals_recording_the_union() -> None:
    rng = random.Random(11)
    a_values = [rng.expovariate(20) for _ in range(5000)] + [0.0, 5000.0]
    b_values = [rng.lognormvariate(-3, 1) for _ in range(7000)]
    a, b, union = Histogram(), Histogram(), Histogram()
    a.record_many(a_values)
    b.record_many(b_values)
    union.record_many(a_values + b_values)
    merged = Histogram()
    merged.merge(a)
    merged.merge(b.snapshot())  # a snapshot merges too
    ms, us = merged.snapshot(), union.snapshot()
    assert (ms.keys, ms.counts, ms.count, ms.min, ms.max, ms.clamped) == (
        us.keys, us.counts, us.count, us.min, us.max, us.clamped,
    )  # fmt: skip
    assert ms.total == pytest.approx(us.total, rel=1e-12)
    assert merged.percentiles(QS) == union.percentiles(QS)
    merged.merge(Histogram())  # empty: nothing changes
    assert merged.count == union.count


def test_reset_snapshot_and_round_trip() -> None:
    hist = Histogram()
    hist.record_many([0.001, 0.002, 0.002, 0.5])
    snap = hist.snapshot()
    hist.record(9.0)
    assert snap.count == 4 and snap.max == 0.5  # frozen
    with pytest.raises(AttributeError):
        snap.count = 3  # type: ignore[misc]
    assert snap.percentiles([50]) == [pytest.approx(0.002, rel=1e-3)]
    assert snap.mean == pytest.approx(0.50500 / 4)
    data = hist.to_dict()
    assert data["keys"] == sorted(data["keys"]) and len(data["keys"]) == 4  # sparse
    text = json.dumps(data)
    again = Histogram.from_dict(json.loads(text))
    assert again == hist
    assert again.percentiles(QS) == hist.percentiles(QS)
    hist.reset()
    assert hist.count == 0 and hist.buckets_used == 0 and math.isnan(hist.max)
    with pytest.raises(ValueError):
        Histogram.from_dict({**data, "count": 99})
    with pytest.raises(ValueError):
        Histogram.from_dict({"lowest": 1e-6})


def test_count_at_or_below_is_exact_away_from_bounds() -> None:
    rng = random.Random(5)
    values = [rng.uniform(0.0, 2.0) for _ in range(10_000)]
    hist = Histogram()
    hist.record_many(values)
    for bound in (0.0005, 0.01, 0.1, 0.25, 1.0, 1.999):
        exact = sum(1 for v in values if v <= bound)
        near = sum(1 for v in values if bound < v <= bound * 1.001)
        got = hist.count_at_or_below(bound)
        assert exact <= got <= exact + near
    assert hist.count_at_or_below(1e9) == hist.count
    exact_hit = Histogram()
    exact_hit.record(0.25)
    assert exact_hit.count_at_or_below(0.25) == 1
    assert exact_hit.count_at_or_below(0.2495) == 0
