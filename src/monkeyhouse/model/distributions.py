"""Probability distributions of durations: service times and the like, in seconds.

Each distribution is a frozen, slotted dataclass with the same small interface:

- ``sample(rng)``: one draw, using only the given :class:`random.Random` (runs are seeded, so
  the same stream gives the same draws). This is on the simulation's hot path: constants are
  computed once, when the distribution is made.
- ``mean``: the expected value.
- ``quantile(p)``: the value below which a share ``p`` of draws fall (``0 <= p <= 1``).
- ``describe()``: one line for people, with units (``lognormal median 5 ms, sigma 0.6 ...``).

:func:`parse_distribution` reads the native format's spellings (values in seconds)::

    0.002                                   # a bare number: fixed
    {fixed: 0.002}
    {exponential: {mean: 0.002}}
    {lognormal: {median: 0.005, sigma: 0.6}}    # or {mean: ..., stddev: ...}
    {gamma: {shape: 2, mean: 0.004}}            # or {shape: 2, scale: 0.002}
    {histogram: [[0.001, 0.002, 70], [0.002, 0.010, 30]]}   # [low, high, weight] bins
    {percentiles: {p50: 0.004, p99: 0.030}}     # a lognormal through them

Only the standard library is used at run time: the gamma quantile inverts the regularized
incomplete gamma function, evaluated by its power series or its continued fraction.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from random import Random
from statistics import NormalDist
from typing import TypeAlias

from monkeyhouse.errors import ArchitectureError

#: The standard normal quantile at 0.99 (2.3263...): a lognormal's p99 is median * exp(sigma*Z99).
Z99 = NormalDist().inv_cdf(0.99)

_STANDARD_NORMAL = NormalDist()
_EPSILON = 1e-15
_TINY = 1e-300


def format_seconds(seconds: float) -> str:
    """Show a duration with a unit people read at a glance: ``250 µs``, ``5 ms``, ``1.5 s``."""
    if seconds == 0:
        return "0 s"
    if math.isinf(seconds):
        return "infinite"
    size = abs(seconds)
    if size < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if size < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be between 0 and 1, got {p}")


@dataclass(frozen=True, slots=True)
class Fixed:
    """Always the same value."""

    value: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.value):
            raise ValueError(f"value must be a finite number, got {self.value}")

    def sample(self, rng: Random) -> float:
        """Return the value (``rng`` is not used)."""
        return self.value

    @property
    def mean(self) -> float:
        """The value."""
        return self.value

    def quantile(self, p: float) -> float:
        """The value, whatever ``p``."""
        _check_p(p)
        return self.value

    def describe(self) -> str:
        """E.g. ``fixed 1 ms``."""
        return f"fixed {format_seconds(self.value)}"


@dataclass(frozen=True, slots=True)
class Exponential:
    """Memoryless: the service time of an M/M/c queue. ``mean`` is 1 / rate."""

    mean: float

    def __post_init__(self) -> None:
        if not (self.mean > 0 and math.isfinite(self.mean)):
            raise ValueError(f"mean must be a finite number > 0, got {self.mean}")

    def sample(self, rng: Random) -> float:
        """One draw: ``-mean * ln(1 - U)``."""
        return -self.mean * math.log(1.0 - rng.random())

    def quantile(self, p: float) -> float:
        """``-mean * ln(1 - p)`` (infinite at ``p = 1``)."""
        _check_p(p)
        if p == 1.0:
            return math.inf
        return -self.mean * math.log1p(-p)

    def describe(self) -> str:
        """E.g. ``exponential mean 200 µs``."""
        return f"exponential mean {format_seconds(self.mean)}"


@dataclass(frozen=True, slots=True)
class LogNormal:
    """``exp(N(mu, sigma))``: the usual shape of measured service times (a long right tail).

    ``mu`` is the log of the median; ``sigma`` the standard deviation of the log.
    """

    mu: float
    sigma: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.mu):
            raise ValueError(f"mu must be a finite number, got {self.mu}")
        if not (self.sigma >= 0 and math.isfinite(self.sigma)):
            raise ValueError(f"sigma must be a finite number >= 0, got {self.sigma}")

    @classmethod
    def from_median(cls, median: float, sigma: float) -> LogNormal:
        """The lognormal with this median and log standard deviation."""
        if not median > 0:
            raise ValueError(f"median must be > 0, got {median}")
        return cls(math.log(median), sigma)

    @classmethod
    def from_mean_stddev(cls, mean: float, stddev: float) -> LogNormal:
        """The lognormal with this mean and standard deviation (method of moments)."""
        if not mean > 0:
            raise ValueError(f"mean must be > 0, got {mean}")
        if not stddev >= 0:
            raise ValueError(f"stddev must be >= 0, got {stddev}")
        variance = math.log1p((stddev / mean) ** 2)
        return cls(math.log(mean) - variance / 2, math.sqrt(variance))

    @classmethod
    def from_percentiles(cls, p50: float, p99: float) -> LogNormal:
        """The lognormal through a median and a p99: ``sigma = ln(p99 / p50) / Z99``."""
        if not 0 < p50 < p99:
            raise ValueError(f"need 0 < p50 < p99, got p50={p50}, p99={p99}")
        return cls(math.log(p50), math.log(p99 / p50) / Z99)

    @classmethod
    def from_quantiles(cls, quantiles: Mapping[float, float]) -> LogNormal:
        """Fit by least squares in log space: ``ln q = mu + sigma * z(p)`` over the points.

        ``quantiles`` maps probabilities (``0 < p < 1``) to values (``> 0``); at least two
        different probabilities are needed. With exactly two the fit goes through both.
        """
        points = [(_STANDARD_NORMAL.inv_cdf(p), math.log(q)) for p, q in quantiles.items()]
        if len({z for z, _ in points}) < 2:
            raise ValueError("need quantiles at two different probabilities at least")
        count = len(points)
        mean_z = sum(z for z, _ in points) / count
        mean_y = sum(y for _, y in points) / count
        sxx = sum((z - mean_z) ** 2 for z, _ in points)
        sxy = sum((z - mean_z) * (y - mean_y) for z, y in points)
        sigma = sxy / sxx
        if sigma < 0:
            raise ValueError("quantiles must grow with the probability")
        return cls(mean_y - sigma * mean_z, sigma)

    def sample(self, rng: Random) -> float:
        """One draw: ``exp(mu + sigma * Z)``."""
        return math.exp(rng.gauss(self.mu, self.sigma))

    @property
    def median(self) -> float:
        """``exp(mu)``."""
        return math.exp(self.mu)

    @property
    def mean(self) -> float:
        """``exp(mu + sigma² / 2)``."""
        return math.exp(self.mu + self.sigma * self.sigma / 2)

    def quantile(self, p: float) -> float:
        """``exp(mu + sigma * z(p))`` (0 at ``p = 0``, infinite at ``p = 1``)."""
        _check_p(p)
        if p == 0.0:
            return 0.0
        if p == 1.0:
            return math.inf
        return math.exp(self.mu + self.sigma * _STANDARD_NORMAL.inv_cdf(p))

    def describe(self) -> str:
        """E.g. ``lognormal median 5 ms, sigma 0.6 (mean 5.99 ms, p99 20.3 ms)``."""
        return (
            f"lognormal median {format_seconds(self.median)}, sigma {self.sigma:.3g} "
            f"(mean {format_seconds(self.mean)}, p99 {format_seconds(self.quantile(0.99))})"
        )


def regularized_gamma(shape: float, x: float) -> tuple[float, float]:
    """Return ``(P(shape, x), Q(shape, x))``, the regularized lower and upper incomplete gamma.

    ``P`` is the CDF at ``x`` of a gamma distribution with this shape and scale 1. Below
    ``x = shape + 1`` the power series of ``P`` converges fast; above it, the continued fraction
    of ``Q`` (evaluated with Lentz's method). Each is accurate to about 1e-15.
    """
    if not shape > 0:
        raise ValueError(f"shape must be > 0, got {shape}")
    if x <= 0:
        return 0.0, 1.0
    if math.isinf(x):
        return 1.0, 0.0
    log_front = -x + shape * math.log(x) - math.lgamma(shape)
    if x < shape + 1:
        term = 1.0 / shape
        total = term
        denominator = shape
        for _ in range(100_000):
            denominator += 1
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * _EPSILON:
                break
        lower = total * math.exp(log_front)
        lower = min(lower, 1.0)
        return lower, 1.0 - lower
    b = x + 1 - shape
    c = 1 / _TINY
    d = 1 / b
    fraction = d
    for i in range(1, 100_000):
        an = -i * (i - shape)
        b += 2
        d = an * d + b
        if abs(d) < _TINY:
            d = _TINY
        c = b + an / c
        if abs(c) < _TINY:
            c = _TINY
        d = 1 / d
        delta = d * c
        fraction *= delta
        if abs(delta - 1) < _EPSILON:
            break
    upper = min(math.exp(log_front) * fraction, 1.0)
    return 1.0 - upper, upper


@dataclass(frozen=True, slots=True)
class Gamma:
    """Gamma with ``shape`` k and ``scale`` θ: mean kθ.

    Shape 1 is exponential; a larger shape is less variable (a whole shape is the sum of k
    exponential stages: an Erlang distribution).
    """

    shape: float
    scale: float

    def __post_init__(self) -> None:
        for name, value in (("shape", self.shape), ("scale", self.scale)):
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a finite number > 0, got {value}")

    @classmethod
    def from_mean(cls, shape: float, mean: float) -> Gamma:
        """The gamma with this shape and mean (scale = mean / shape)."""
        if not shape > 0:
            raise ValueError(f"shape must be > 0, got {shape}")
        return cls(shape, mean / shape)

    def sample(self, rng: Random) -> float:
        """One draw (``random.gammavariate``)."""
        return rng.gammavariate(self.shape, self.scale)

    @property
    def mean(self) -> float:
        """``shape * scale``."""
        return self.shape * self.scale

    def cdf(self, x: float) -> float:
        """The share of draws at or below ``x``."""
        return regularized_gamma(self.shape, x / self.scale)[0]

    def quantile(self, p: float) -> float:
        """Invert the CDF by bisection to about 1e-13 relative (0 at p = 0, infinite at 1)."""
        _check_p(p)
        if p == 0.0:
            return 0.0
        if p == 1.0:
            return math.inf
        shape = self.shape
        upper_tail = p > 0.5
        target = 1.0 - p if upper_tail else p

        def below(x: float) -> bool:
            """True when the quantile is above ``x`` (in units of the scale)."""
            lower, upper = regularized_gamma(shape, x)
            return upper > target if upper_tail else lower < target

        low, high = 0.0, max(shape, 1.0)
        while below(high):
            low, high = high, high * 2
        for _ in range(2_000):
            middle = (low + high) / 2
            if below(middle):
                low = middle
            else:
                high = middle
            if high - low <= 1e-14 * high:
                break
        return (low + high) / 2 * self.scale

    def describe(self) -> str:
        """E.g. ``gamma shape 2, mean 4 ms``."""
        return f"gamma shape {self.shape:.3g}, mean {format_seconds(self.mean)}"


@dataclass(frozen=True, slots=True)
class Histogram:
    """An empirical distribution: bins of ``(low, high, weight)``, uniform within a bin.

    A bin is chosen with probability proportional to its weight, then a value uniformly in
    ``[low, high]`` (``low == high`` is a point mass). Bins must be in increasing order and must
    not overlap; weights are >= 0 with a positive total.
    """

    bins: tuple[tuple[float, float, float], ...]
    _lows: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _widths: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _cumulative: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _total: float = field(init=False, repr=False, compare=False)
    _last: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        bins = tuple((float(low), float(high), float(weight)) for low, high, weight in self.bins)
        object.__setattr__(self, "bins", bins)
        if not bins:
            raise ValueError("a histogram needs at least one bin")
        previous_high = -math.inf
        for index, (low, high, weight) in enumerate(bins):
            if not all(math.isfinite(v) for v in (low, high, weight)):
                raise ValueError(f"bin {index}: values must be finite numbers")
            if low > high:
                raise ValueError(f"bin {index}: low {low} is above high {high}")
            if weight < 0:
                raise ValueError(f"bin {index}: weight {weight} is negative")
            if low < previous_high:
                raise ValueError(f"bin {index}: starts at {low}, inside the bin before it")
            previous_high = high
        used = [(low, high, weight) for low, high, weight in bins if weight > 0]
        if not used:
            raise ValueError("a histogram needs a positive total weight")
        cumulative: list[float] = []
        total = 0.0
        for _, _, weight in used:
            total += weight
            cumulative.append(total)
        object.__setattr__(self, "_lows", tuple(low for low, _, _ in used))
        object.__setattr__(self, "_widths", tuple(high - low for low, high, _ in used))
        object.__setattr__(self, "_cumulative", tuple(cumulative))
        object.__setattr__(self, "_total", total)
        object.__setattr__(self, "_last", len(used) - 1)

    def sample(self, rng: Random) -> float:
        """Choose a bin by weight (bisection on the cumulative weights), then a point in it."""
        index = bisect_right(self._cumulative, rng.random() * self._total)
        if index > self._last:  # rounding of random() * total up to total
            index = self._last
        return self._lows[index] + self._widths[index] * rng.random()

    @property
    def mean(self) -> float:
        """The weighted mean of the bins' midpoints."""
        return sum(weight * (low + high) / 2 for low, high, weight in self.bins) / self._total

    def quantile(self, p: float) -> float:
        """Interpolate linearly within the bin where the cumulative weight reaches ``p``."""
        _check_p(p)
        target = p * self._total
        index = min(bisect_left(self._cumulative, target), self._last)
        before = self._cumulative[index - 1] if index else 0.0
        weight = self._cumulative[index] - before
        share = min(max((target - before) / weight, 0.0), 1.0)
        return self._lows[index] + self._widths[index] * share

    def describe(self) -> str:
        """E.g. ``histogram of 3 bins, 1 ms to 40 ms, mean 4.2 ms``."""
        low = self._lows[0]
        high = self._lows[-1] + self._widths[-1]
        return (
            f"histogram of {len(self.bins)} bins, {format_seconds(low)} to "
            f"{format_seconds(high)}, mean {format_seconds(self.mean)}"
        )


#: Any of the distributions above.
Distribution: TypeAlias = Fixed | Exponential | LogNormal | Gamma | Histogram

#: The names :func:`parse_distribution` knows, in the order messages list them.
DISTRIBUTION_NAMES: tuple[str, ...] = (
    "fixed",
    "exponential",
    "lognormal",
    "gamma",
    "histogram",
    "percentiles",
)

#: The percentiles ``{percentiles: ...}`` accepts, and their probabilities.
PERCENTILE_KEYS: Mapping[str, float] = {
    "p50": 0.50,
    "p90": 0.90,
    "p95": 0.95,
    "p99": 0.99,
    "p999": 0.999,
}

#: A field path, as in :mod:`monkeyhouse.model.validate`.
_Path = tuple[str | int, ...]

#: Builds the error for a mistake: ``(path, problem, value, fix, at_key) -> error``.
Fail = Callable[[_Path, str, object, str, bool], ArchitectureError]

_EXAMPLE = "e.g. 0.002, {exponential: {mean: 0.002}} or {lognormal: {median: 0.005, sigma: 0.6}}"


def _default_fail(file: str) -> Fail:
    def fail(path: _Path, problem: str, value: object, fix: str, at_key: bool) -> ArchitectureError:
        # Imported here: validate imports the model, which imports this module.
        from monkeyhouse.model.validate import field_path

        return ArchitectureError(file, field_path(path), problem, value=value, fix=fix)

    return fail


def parse_distribution(
    value: object, path: _Path = (), *, fail: Fail | None = None, file: str = "<distribution>"
) -> Distribution:
    """Read a distribution written in the native format (values in seconds).

    Args:
        value: The parsed YAML/JSON value: a number, or a mapping with one distribution name.
        path: Where ``value`` is in the file, for messages (``("services", 2, "service_time")``).
        fail: Builds the error to raise; the loader passes one that adds line and column.
        file: The file name for messages when ``fail`` is not given.

    Raises:
        ArchitectureError: naming the field, the value and the fix.

    """
    return _Parser(fail or _default_fail(file)).distribution(value, path)


class _Parser:
    def __init__(self, fail: Fail) -> None:
        self.fail = fail

    def error(
        self, path: _Path, problem: str, value: object, fix: str, *, at_key: bool = False
    ) -> ArchitectureError:
        return self.fail(path, problem, value, fix, at_key)

    def number(self, value: object, path: _Path, *, positive: bool, example: str) -> float:
        if isinstance(value, str):
            raise self.error(
                path,
                f"expected a number of seconds, got the text {value!r}",
                value,
                "write seconds as a number without quotes or units (in YAML, exponents with a "
                f"dot and a sign: 2.0e-3), e.g. {example}",
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(
                path,
                f"expected a number, got {show_value(value)}",
                value,
                f"write a number without quotes, e.g. {example}",
            )
        number = float(value)
        if not math.isfinite(number):
            raise self.error(
                path, f"expected a finite number, got {value}", value, f"e.g. {example}"
            )
        if positive and number <= 0:
            raise self.error(
                path,
                f"must be more than 0, got {value}",
                value,
                f"use a positive number, e.g. {example}",
            )
        if number < 0:
            raise self.error(
                path,
                f"must be 0 or more, got {value}",
                value,
                f"use a number of seconds >= 0, e.g. {example}",
            )
        return number

    def mapping(
        self, value: object, path: _Path, known: Sequence[str], what: str
    ) -> dict[str, object]:
        if not isinstance(value, dict):
            raise self.error(
                path,
                f"expected a mapping for {what}, got {show_value(value)}",
                value,
                f"write {what} as a mapping with keys {', '.join(known)}",
            )
        for key in value:
            if isinstance(key, str) and (key in known or key.startswith("x-")):
                continue
            from monkeyhouse.model.validate import did_you_mean

            raise self.error(
                (*path, str(key)),
                f"unknown key {key!r} in {what}",
                key,
                did_you_mean(str(key), known) + f"keys allowed here: {', '.join(known)}",
                at_key=True,
            )
        return value

    def distribution(self, value: object, path: _Path) -> Distribution:
        if not isinstance(value, dict):
            return Fixed(self.number(value, path, positive=False, example="0.002 (2 ms)"))
        names = [key for key in value if not (isinstance(key, str) and key.startswith("x-"))]
        if len(names) != 1:
            raise self.error(
                path,
                "a distribution mapping needs exactly one distribution name, got "
                + (", ".join(repr(n) for n in names) if names else "none"),
                value,
                f"write one of {', '.join(DISTRIBUTION_NAMES)}, {_EXAMPLE}",
            )
        (name,) = names
        if name not in DISTRIBUTION_NAMES:
            from monkeyhouse.model.validate import did_you_mean

            raise self.error(
                (*path, str(name)),
                f"unknown distribution {name!r}",
                name,
                did_you_mean(str(name), DISTRIBUTION_NAMES)
                + f"use one of {', '.join(DISTRIBUTION_NAMES)}",
                at_key=True,
            )
        inner = value[name]
        where = (*path, str(name))
        if name == "fixed":
            return Fixed(self.number(inner, where, positive=False, example="0.002"))
        if name == "exponential":
            data = self.mapping(inner, where, ("mean",), "an exponential distribution")
            mean = self.required(data, "mean", where, "e.g. {exponential: {mean: 0.002}}")
            return Exponential(self.number(mean, (*where, "mean"), positive=True, example="0.002"))
        if name == "lognormal":
            return self.lognormal(inner, where)
        if name == "gamma":
            return self.gamma(inner, where)
        if name == "histogram":
            return self.histogram(inner, where)
        return self.percentiles(inner, where)

    def required(self, data: Mapping[str, object], key: str, path: _Path, fix: str) -> object:
        if key not in data:
            raise self.error((*path, key), f"missing required key {key!r}", None, fix)
        return data[key]

    def lognormal(self, value: object, path: _Path) -> LogNormal:
        data = self.mapping(
            value, path, ("median", "sigma", "mean", "stddev"), "a lognormal distribution"
        )
        fix = "give median and sigma, e.g. {median: 0.005, sigma: 0.6}, or mean and stddev"
        if "median" in data or "sigma" in data:
            for other in ("mean", "stddev"):
                if other in data:
                    raise self.error(
                        (*path, other),
                        f"{other!r} cannot be combined with median and sigma",
                        data[other],
                        fix,
                        at_key=True,
                    )
            median = self.number(
                self.required(data, "median", path, fix), (*path, "median"),
                positive=True, example="0.005",
            )  # fmt: skip
            sigma = self.number(
                self.required(data, "sigma", path, fix), (*path, "sigma"),
                positive=True, example="0.6",
            )  # fmt: skip
            return LogNormal.from_median(median, sigma)
        mean = self.number(
            self.required(data, "mean", path, fix), (*path, "mean"), positive=True, example="0.006"
        )
        stddev = self.number(
            self.required(data, "stddev", path, fix), (*path, "stddev"),
            positive=True, example="0.004",
        )  # fmt: skip
        return LogNormal.from_mean_stddev(mean, stddev)

    def gamma(self, value: object, path: _Path) -> Gamma:
        data = self.mapping(value, path, ("shape", "mean", "scale"), "a gamma distribution")
        fix = "give shape and mean, e.g. {shape: 2, mean: 0.004}, or shape and scale"
        shape = self.number(
            self.required(data, "shape", path, fix), (*path, "shape"), positive=True, example="2"
        )
        if "mean" in data and "scale" in data:
            raise self.error(
                (*path, "scale"),
                "give mean or scale, not both",
                data["scale"],
                fix,
                at_key=True,
            )
        if "scale" in data:
            scale = self.number(data["scale"], (*path, "scale"), positive=True, example="0.002")
            return Gamma(shape, scale)
        mean = self.number(
            self.required(data, "mean", path, fix), (*path, "mean"), positive=True, example="0.004"
        )
        return Gamma.from_mean(shape, mean)

    def histogram(self, value: object, path: _Path) -> Histogram:
        fix = (
            "write bins as [low, high, weight] triples, "
            "e.g. [[0.001, 0.002, 70], [0.002, 0.01, 30]]"
        )
        if not isinstance(value, list) or not value:
            raise self.error(
                path,
                f"expected a non-empty list of bins, got {show_value(value)}",
                value,
                fix,
            )
        bins: list[tuple[float, float, float]] = []
        previous_high = 0.0
        for index, item in enumerate(value):
            where = (*path, index)
            if not isinstance(item, list) or len(item) != 3:
                raise self.error(
                    where, f"expected [low, high, weight], got {show_value(item)}", item, fix
                )
            low = self.number(item[0], (*where, 0), positive=False, example="0.001")
            high = self.number(item[1], (*where, 1), positive=False, example="0.002")
            weight = self.number(item[2], (*where, 2), positive=False, example="70")
            if high < low:
                raise self.error(
                    where,
                    f"bin's high {item[1]} is below its low {item[0]}",
                    item,
                    "write each bin as [low, high, weight] with low <= high",
                )
            if index and low < previous_high:
                raise self.error(
                    where,
                    f"bin starts at {item[0]}, inside the bin before it (which ends at "
                    f"{previous_high:g})",
                    item,
                    "list bins in increasing order, without overlaps",
                )
            previous_high = high
            bins.append((low, high, weight))
        if sum(weight for _, _, weight in bins) <= 0:
            raise self.error(
                path, "every bin has weight 0", value, "give at least one bin a positive weight"
            )
        return Histogram(tuple(bins))

    def percentiles(self, value: object, path: _Path) -> LogNormal:
        known = tuple(PERCENTILE_KEYS)
        data = self.mapping(value, path, known, "percentiles")
        fix = "give at least p50 and p99, e.g. {percentiles: {p50: 0.004, p99: 0.030}}"
        points: dict[float, float] = {}
        for key in ("p50", "p99"):
            self.required(data, key, path, fix)
        previous: tuple[str, float] | None = None
        for key, probability in PERCENTILE_KEYS.items():
            if key not in data:
                continue
            seconds = self.number(data[key], (*path, key), positive=True, example="0.004")
            if previous is not None and seconds <= previous[1]:
                raise self.error(
                    (*path, key),
                    f"{key} ({seconds:g}) must be more than {previous[0]} ({previous[1]:g})",
                    data[key],
                    "percentiles grow with the probability; for a constant time use fixed",
                )
            previous = (key, seconds)
            points[probability] = seconds
        if len(points) == 2:
            return LogNormal.from_percentiles(points[0.5], points[0.99])
        return LogNormal.from_quantiles(points)


def show_value(value: object) -> str:
    """Show a value as a message does: strings quoted, JSON words for booleans and null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
