"""Tests of monkeyhouse.model.distributions against closed forms, with scipy as the truth."""

from __future__ import annotations

import math
import random
from statistics import NormalDist, fmean
from typing import Any

import pytest
from scipy import special, stats

from monkeyhouse.errors import ArchitectureError
from monkeyhouse.model.distributions import (
    Z99,
    Distribution,
    Exponential,
    Fixed,
    Gamma,
    Histogram,
    LogNormal,
    format_seconds,
    parse_distribution,
    regularized_gamma,
)

N = 200_000
PROBABILITIES = (0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999)


def sample_mean(distribution: Distribution, seed: int = 7) -> float:
    rng = random.Random(seed)
    return fmean(distribution.sample(rng) for _ in range(N))


def close(a: float, b: float, rel: float) -> bool:
    return math.isclose(a, b, rel_tol=rel)


# -- the classes --------------------------------------------------------------------------------


def test_z99_is_the_normal_99th_percentile() -> None:
    assert math.isclose(Z99, 2.3263478740408408, rel_tol=1e-12)


def test_fixed() -> None:
    fixed = Fixed(0.002)
    assert fixed.sample(random.Random(1)) == 0.002
    assert fixed.mean == 0.002
    assert fixed.quantile(0.0) == fixed.quantile(1.0) == 0.002
    assert fixed.describe() == "fixed 2 ms"


def test_exponential_mean_and_quantiles_match_scipy() -> None:
    dist = Exponential(0.002)
    truth = stats.expon(scale=0.002)
    assert dist.mean == truth.mean()
    assert close(sample_mean(dist), truth.mean(), 0.01)
    for p in PROBABILITIES:
        assert close(dist.quantile(p), truth.ppf(p), 1e-6), p
    assert dist.quantile(1.0) == math.inf
    assert dist.describe() == "exponential mean 2 ms"


@pytest.mark.parametrize(("median", "sigma"), [(0.005, 0.6), (0.001, 0.5), (0.02, 1.2)])
def test_lognormal_mean_and_quantiles_match_scipy(median: float, sigma: float) -> None:
    dist = LogNormal.from_median(median, sigma)
    truth = stats.lognorm(s=sigma, scale=median)
    assert close(dist.mean, truth.mean(), 1e-12)
    assert close(dist.median, median, 1e-12)
    assert close(sample_mean(dist), truth.mean(), 0.01)
    for p in PROBABILITIES:
        assert close(dist.quantile(p), truth.ppf(p), 1e-6), p
    assert dist.quantile(0.0) == 0.0
    assert dist.quantile(1.0) == math.inf


def test_lognormal_from_mean_and_stddev_has_that_mean_and_stddev() -> None:
    dist = LogNormal.from_mean_stddev(0.006, 0.004)
    truth = stats.lognorm(s=dist.sigma, scale=math.exp(dist.mu))
    assert close(truth.mean(), 0.006, 1e-12)
    assert close(truth.std(), 0.004, 1e-12)


def test_lognormal_from_percentiles_goes_through_both() -> None:
    dist = LogNormal.from_percentiles(0.004, 0.030)
    assert close(dist.quantile(0.5), 0.004, 1e-12)
    assert close(dist.quantile(0.99), 0.030, 1e-9)
    # sigma = ln(p99/p50) / z99, by hand: ln(7.5) = 2.014903..., / 2.326348 = 0.866122...
    assert dist.sigma == pytest.approx(math.log(7.5) / 2.3263478740408408, rel=1e-12)


def test_lognormal_least_squares_recovers_an_exact_lognormal() -> None:
    truth = stats.lognorm(s=0.7, scale=0.003)
    fitted = LogNormal.from_quantiles({p: truth.ppf(p) for p in (0.5, 0.9, 0.99, 0.999)})
    assert fitted.sigma == pytest.approx(0.7, rel=1e-9)
    assert fitted.median == pytest.approx(0.003, rel=1e-9)


def test_lognormal_least_squares_by_hand() -> None:
    # Points (z, ln q): (0, 0), (1, 1), (2, 3): slope 1.5, intercept -1/6 (ordinary least squares)
    z1, z2 = NormalDist().inv_cdf(0.5), 1.0
    assert z1 == 0.0
    p1 = NormalDist().cdf(1.0)
    p2 = NormalDist().cdf(2.0)
    fitted = LogNormal.from_quantiles({0.5: 1.0, p1: math.e, p2: math.exp(3)})
    assert fitted.sigma == pytest.approx(1.5, rel=1e-9)
    assert fitted.mu == pytest.approx(-1 / 6, abs=1e-9)
    assert z2 == 1.0


@pytest.mark.parametrize("shape", [0.3, 1.0, 2.0, 7.5, 50.0])
def test_gamma_mean_and_quantiles_match_scipy(shape: float) -> None:
    dist = Gamma.from_mean(shape, 0.004)
    truth = stats.gamma(a=shape, scale=0.004 / shape)
    assert close(dist.mean, truth.mean(), 1e-12)
    assert close(sample_mean(dist), truth.mean(), 0.01)
    for p in PROBABILITIES:
        assert close(dist.quantile(p), truth.ppf(p), 1e-6), (shape, p)
    assert dist.quantile(0.0) == 0.0
    assert dist.quantile(1.0) == math.inf


@pytest.mark.parametrize("shape", [0.1, 0.5, 1.0, 3.0, 20.0, 200.0])
@pytest.mark.parametrize("x", [1e-6, 0.01, 0.5, 1.0, 3.0, 10.0, 50.0, 300.0])
def test_regularized_gamma_matches_scipy(shape: float, x: float) -> None:
    lower, upper = regularized_gamma(shape, x)
    assert lower == pytest.approx(special.gammainc(shape, x), rel=1e-10, abs=1e-300)
    assert upper == pytest.approx(special.gammaincc(shape, x), rel=1e-9, abs=1e-300)


def test_regularized_gamma_shape_one_is_the_exponential_cdf() -> None:
    for x in (0.1, 1.0, 5.0):
        assert regularized_gamma(1.0, x)[0] == pytest.approx(1 - math.exp(-x), rel=1e-13)
    assert regularized_gamma(2.0, 0.0) == (0.0, 1.0)
    assert Gamma(2.0, 1.0).cdf(1.0) == pytest.approx(1 - 2 * math.exp(-1), rel=1e-13)


HISTOGRAM = Histogram(((0.001, 0.002, 70.0), (0.002, 0.010, 25.0), (0.010, 0.050, 5.0)))


def test_histogram_mean_and_quantiles_by_hand() -> None:
    # mean = 0.70*0.0015 + 0.25*0.006 + 0.05*0.030 = 0.00105 + 0.0015 + 0.0015
    assert HISTOGRAM.mean == pytest.approx(0.00405, rel=1e-12)
    assert HISTOGRAM.quantile(0.0) == pytest.approx(0.001)
    assert HISTOGRAM.quantile(0.35) == pytest.approx(0.0015)  # half way through the first bin
    assert HISTOGRAM.quantile(0.70) == pytest.approx(0.002)
    assert HISTOGRAM.quantile(0.95) == pytest.approx(0.010)
    assert HISTOGRAM.quantile(0.99) == pytest.approx(0.010 + 0.8 * 0.040)
    assert HISTOGRAM.quantile(1.0) == pytest.approx(0.050)
    assert close(sample_mean(HISTOGRAM), 0.00405, 0.01)


def test_histogram_samples_fall_in_bins_by_weight() -> None:
    rng = random.Random(3)
    draws = [HISTOGRAM.sample(rng) for _ in range(N)]
    assert all(0.001 <= d <= 0.050 for d in draws)
    first = sum(d < 0.002 for d in draws) / N
    last = sum(d >= 0.010 for d in draws) / N
    # binomial standard deviations: sqrt(.7*.3/N) = 0.001, sqrt(.05*.95/N) = 0.0005
    assert abs(first - 0.70) < 0.005
    assert abs(last - 0.05) < 0.0025


def test_histogram_zero_weight_bins_and_point_masses() -> None:
    dist = Histogram(((0.0, 1.0, 0.0), (2.0, 2.0, 1.0), (3.0, 4.0, 0.0)))
    rng = random.Random(1)
    assert {dist.sample(rng) for _ in range(100)} == {2.0}
    assert dist.mean == 2.0
    assert dist.quantile(0.0) == dist.quantile(0.5) == dist.quantile(1.0) == 2.0


@pytest.mark.parametrize(
    "dist",
    [Exponential(0.002), LogNormal.from_median(0.005, 0.6), Gamma.from_mean(2, 0.004), HISTOGRAM],
    ids=lambda d: type(d).__name__,
)
def test_empirical_quantiles_agree_with_quantile(dist: Distribution) -> None:
    rng = random.Random(11)
    draws = sorted(dist.sample(rng) for _ in range(N))
    for p in (0.1, 0.5, 0.9, 0.99):
        assert close(draws[int(p * N)], dist.quantile(p), 0.03), p


def test_sampling_is_deterministic_for_a_seed() -> None:
    dist = LogNormal.from_median(0.005, 0.6)
    first = [dist.sample(random.Random(5)) for _ in range(3)]
    assert first == [dist.sample(random.Random(5)) for _ in range(3)]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Exponential(0.0),
        lambda: Exponential(-1.0),
        lambda: LogNormal(0.0, -0.1),
        lambda: LogNormal.from_median(0.0, 0.5),
        lambda: LogNormal.from_percentiles(0.03, 0.004),
        lambda: Gamma(0.0, 1.0),
        lambda: Gamma(1.0, math.inf),
        lambda: Histogram(()),
        lambda: Histogram(((2.0, 1.0, 1.0),)),
        lambda: Histogram(((0.0, 1.0, 0.0),)),
        lambda: Histogram(((0.0, 2.0, 1.0), (1.0, 3.0, 1.0))),
        lambda: Fixed(math.nan),
        lambda: Fixed(1.0).quantile(1.5),
    ],
)
def test_bad_parameters_raise_value_error(make: Any) -> None:
    with pytest.raises(ValueError):
        make()


def test_format_seconds() -> None:
    assert format_seconds(0) == "0 s"
    assert format_seconds(0.0002) == "200 µs"
    assert format_seconds(0.0055) == "5.5 ms"
    assert format_seconds(1.5) == "1.5 s"
    assert format_seconds(math.inf) == "infinite"
    assert LogNormal.from_median(0.005, 0.6).describe().startswith("lognormal median 5 ms")
    assert Gamma.from_mean(2, 0.004).describe() == "gamma shape 2, mean 4 ms"
    assert HISTOGRAM.describe() == "histogram of 3 bins, 1 ms to 50 ms, mean 4.05 ms"


# -- parsing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (0.002, Fixed(0.002)),
        (0, Fixed(0.0)),
        ({"fixed": 0.002}, Fixed(0.002)),
        ({"exponential": {"mean": 0.002}}, Exponential(0.002)),
        ({"lognormal": {"median": 0.005, "sigma": 0.6}}, LogNormal(math.log(0.005), 0.6)),
        ({"gamma": {"shape": 2, "scale": 0.002}}, Gamma(2.0, 0.002)),
        ({"gamma": {"shape": 2, "mean": 0.004}}, Gamma(2.0, 0.002)),
        ({"histogram": [[0.001, 0.002, 1], [0.002, 0.004, 3]]},
         Histogram(((0.001, 0.002, 1.0), (0.002, 0.004, 3.0)))),
        ({"fixed": 0.001, "x-note": "ignored"}, Fixed(0.001)),
    ],
)  # fmt: skip
def test_parse_each_spelling(spec: object, expected: Distribution) -> None:
    assert parse_distribution(spec) == expected


def test_parse_lognormal_by_mean_and_percentiles() -> None:
    by_moments = parse_distribution({"lognormal": {"mean": 0.006, "stddev": 0.004}})
    assert by_moments == LogNormal.from_mean_stddev(0.006, 0.004)
    two = parse_distribution({"percentiles": {"p50": 0.004, "p99": 0.030}})
    assert isinstance(two, LogNormal)
    assert two.quantile(0.5) == pytest.approx(0.004)
    assert two.quantile(0.99) == pytest.approx(0.030)
    truth = stats.lognorm(s=0.5, scale=0.01)
    four = parse_distribution(
        {"percentiles": {f"p{k}": float(truth.ppf(p)) for k, p in
                         (("50", 0.5), ("90", 0.9), ("99", 0.99), ("999", 0.999))}}
    )  # fmt: skip
    assert isinstance(four, LogNormal)
    assert four.sigma == pytest.approx(0.5, rel=1e-9)


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        (-0.001, "st", "0 or more"),
        ("5ms", "st", "text '5ms'"),
        (True, "st", "expected a number"),
        ({"exponential": {"mean": 0}}, "st.exponential.mean", "more than 0"),
        ({"exponential": {"mean": -2}}, "st.exponential.mean", "more than 0"),
        ({"exponential": {}}, "st.exponential.mean", "missing required key 'mean'"),
        ({"exponental": {"mean": 1}}, "st.exponental", "did you mean 'exponential'"),
        ({"fixed": 1, "exponential": {"mean": 1}}, "st", "exactly one"),
        ({}, "st", "exactly one"),
        ({"lognormal": {"median": 0.005, "sigam": 0.6}}, "st.lognormal.sigam", "'sigma'"),
        ({"lognormal": {"median": 0.005, "sigma": 0.6, "mean": 1}}, "st.lognormal.mean",
         "cannot be combined"),
        ({"lognormal": {"median": 0.005}}, "st.lognormal.sigma", "missing required key"),
        ({"gamma": {"mean": 0.004}}, "st.gamma.shape", "missing required key 'shape'"),
        ({"gamma": {"shape": 2, "mean": 1, "scale": 1}}, "st.gamma.scale", "not both"),
        ({"histogram": []}, "st.histogram", "non-empty list"),
        ({"histogram": [[1, 2]]}, "st.histogram[0]", "[low, high, weight]"),
        ({"histogram": [[2, 1, 1]]}, "st.histogram[0]", "below its low"),
        ({"histogram": [[0, 2, 1], [1, 3, 1]]}, "st.histogram[1]", "inside the bin before"),
        ({"histogram": [[0, 2, 0]]}, "st.histogram", "weight 0"),
        ({"percentiles": {"p50": 0.03, "p99": 0.004}}, "st.percentiles.p99", "must be more than"),
        ({"percentiles": {"p50": 0.004}}, "st.percentiles.p99", "missing required key"),
        ({"percentiles": {"p50": 0.004, "p99": 0.03, "p98": 0.02}}, "st.percentiles.p98",
         "unknown key"),
    ],
)  # fmt: skip
def test_parse_errors_name_field_value_and_fix(spec: object, field: str, words: str) -> None:
    with pytest.raises(ArchitectureError) as caught:
        parse_distribution(spec, ("st",), file="f.yaml")
    error = caught.value
    assert error.file == "f.yaml"
    assert error.field == field
    assert words in str(error)
    assert error.fix


def test_parse_uses_the_given_fail_hook() -> None:
    calls: list[tuple[object, ...]] = []

    def fail(
        path: tuple[str | int, ...], problem: str, value: object, fix: str, at_key: bool
    ) -> ArchitectureError:
        calls.append((path, value, at_key))
        return ArchitectureError("hook.yaml", "x", problem, fix=fix, line=3, column=4)

    with pytest.raises(ArchitectureError, match=r"^hook\.yaml:3:4: x: unknown distribution"):
        parse_distribution({"normal": {}}, ("s",), fail=fail)
    assert calls == [(("s", "normal"), "normal", True)]
