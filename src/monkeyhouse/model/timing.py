"""Time in the model: service times and capacity, call settings, the network and traffic.

Everything here is optional in an architecture file and has a documented default, so a file
without any of it (every spigo file, every catalog entry) means what it always meant.

Per-package defaults (:data:`PACKAGE_TIMING`) are order-of-magnitude figures, chosen from
public documentation and published measurements, meant to be overridden per service:

==============  ==============================  =========  =====  =========  =======  ========
package         service time                    threads    cores  queue      on_full  dispatch
==============  ==============================  =========  =====  =========  =======  ========
denominator     fixed 0                         unbounded  -      unbounded  wait     route
elb             fixed 0.1 ms                    unbounded  -      unbounded  wait     route
zuul            lognormal median 1 ms, σ 0.5    200        4      100        reject   route
karyon          lognormal median 5 ms, σ 0.6    200        4      100        reject   fanout
monolith        lognormal median 20 ms, σ 0.8   150        4      unbounded  wait     fanout
staash          lognormal median 1 ms, σ 0.5    200        4      100        reject   tiers
priamCassandra  lognormal median 1 ms, σ 0.7    32         8      unbounded  wait     leaf
riak            lognormal median 1 ms, σ 0.7    32         8      unbounded  wait     leaf
store           lognormal median 2 ms, σ 0.7    151        4      unbounded  wait     leaf
cache           exponential mean 0.2 ms         4          4      unbounded  wait     leaf
volume          lognormal median 4 ms, σ 0.5    32         32     unbounded  wait     leaf
eureka          fixed 1 ms                      200        2      unbounded  wait     leaf
pirate          fixed 0                         unbounded  -      unbounded  wait     leaf
==============  ==============================  =========  =====  =========  =======  ========

Cores are the CPUs of a typical instance of the time (4 vCPUs, as an m4.xlarge; 8 for Cassandra
nodes, as an i2.2xlarge); a request holds a core only while it works, not while it waits for
its dependencies. ``-`` is unbounded (the work takes no CPU worth modelling).

Sources, in words: DNS resolution is cached by clients, so the denominator adds nothing; an
AWS load balancer adds a fraction of a millisecond. Zuul 1, Karyon-era services, Staash and
Eureka ran in Tomcat-style servlet containers, whose HTTP connector defaults are 200 worker
threads (``maxThreads``) and a backlog of 100 connections (``acceptCount``) beyond which
connections are refused. The monolith's 150 workers are the ``MaxRequestWorkers`` of the worker
and event MPMs in Apache httpd's shipped ``httpd-mpm.conf``. Cassandra (and Riak, modelled like
it) serve reads from 32 threads (``concurrent_reads`` in ``cassandra.yaml``) with about a
millisecond median read latency inside a data centre. MySQL's default ``max_connections`` is
151, with single-row reads of a few milliseconds. memcached runs 4 worker threads by default
(``-t 4``) and answers in a fraction of a millisecond, with exponential-looking service times. A
disk volume (EBS-like) takes a few milliseconds per operation with 32 outstanding requests.
"Unbounded threads" is :data:`UNBOUNDED_THREADS` (a million): far more than any run keeps busy.

Network defaults are one-way figures: about 0.1 ms inside an availability zone, 0.5 ms between
zones of a region, and per pair of AWS regions about half the published round-trip times
(:data:`REGION_PAIR_LATENCY`); other region pairs get 60 ms. Bandwidth defaults to 10 Gbit/s
(1.25e9 bytes per second): transfer time is bytes / bandwidth.

Traffic defaults to spigo's: 100 requests per second from the architecture's root (the last
service), two gets for each put.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import io
import math
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal

from monkeyhouse.errors import ArchitectureError
from monkeyhouse.model.distributions import Distribution, Exponential, Fixed, LogNormal

if TYPE_CHECKING:
    from monkeyhouse.model.architecture import Dependency, Service

#: What a full queue does to a new request: wait anyway (unbounded waiting) or reject it.
OnFull = Literal["wait", "reject"]
#: How a service uses its dependencies: ``route`` sends each request to ONE dependency (chosen
#: by weight), ``fanout`` calls them all (per their call settings), ``tiers`` is staash's
#: tiered data access (cache first, then the tiers behind it), ``leaf`` answers by itself.
Dispatch = Literal["route", "fanout", "tiers", "leaf"]
#: How a dependency is called relative to the others: one after another, or all at once.
CallMode = Literal["sequence", "parallel"]
#: The shapes of traffic a source can send.
Pattern = Literal["constant", "poisson", "ramp", "step", "diurnal", "spike", "replay"]
#: When requests arrive: evenly spread, or as a Poisson process.
Arrivals = Literal["uniform", "poisson"]

ON_FULL: Final[tuple[OnFull, ...]] = ("wait", "reject")
DISPATCHES: Final[tuple[Dispatch, ...]] = ("route", "fanout", "tiers", "leaf")
CALL_MODES: Final[tuple[CallMode, ...]] = ("sequence", "parallel")
PATTERNS: Final[tuple[Pattern, ...]] = (
    "constant",
    "poisson",
    "ramp",
    "step",
    "diurnal",
    "spike",
    "replay",
)
ARRIVALS: Final[tuple[Arrivals, ...]] = ("uniform", "poisson")

#: The request kinds a traffic mix may name (spigo's denominator sends gets and puts).
REQUEST_KINDS: Final[tuple[str, ...]] = ("get", "put")

#: spigo's mix: two gets (of a fixed and of an earlier key) for each put.
DEFAULT_MIX: Final[Mapping[str, float]] = MappingProxyType({"get": 2.0, "put": 1.0})

#: spigo's rate: one request every 10 ms.
DEFAULT_RATE: Final = 100.0

#: The thread count that means "unbounded": more than any run keeps busy.
UNBOUNDED_THREADS: Final = 1_000_000

#: Largest ``calls`` per request a dependency may ask for.
MAX_CALLS: Final = 10_000

#: Largest replay CSV read (10 MiB).
MAX_CSV_BYTES: Final = 10 * 1024 * 1024


class Unset(enum.Enum):
    """The type of :data:`UNSET`."""

    UNSET = "unset"

    def __repr__(self) -> str:
        return "UNSET"


#: "Not set in the file: use the package default", where ``None`` already means something
#: (``queue: null`` is an unbounded queue).
UNSET: Final = Unset.UNSET


@dataclass(frozen=True, slots=True)
class ServiceTiming:
    """How long a service takes and how much it can do at once, per instance.

    Attributes:
        service_time: The time one request keeps a thread busy, in seconds (not counting the
            calls it makes to its dependencies).
        threads: Requests held at once per instance, from admission to answer, waits on
            downstream calls included (:data:`UNBOUNDED_THREADS` = no limit).
        queue: Requests waiting per instance beyond that; ``None`` = unbounded, 0 = no waiting.
        on_full: When the queue is full: ``wait`` anyway, or ``reject`` the request (an error).
        dispatch: How the service uses its dependencies (:data:`Dispatch`).
        cores: Requests doing their service time at once per instance (the CPUs); a request
            frees its core before it calls its dependencies. Unbounded threads with ``c`` cores
            make the M/M/c queue.

    """

    service_time: Distribution
    threads: int = UNBOUNDED_THREADS
    queue: int | None = None
    on_full: OnFull = "wait"
    dispatch: Dispatch = "route"
    cores: int = UNBOUNDED_THREADS

    @property
    def unbounded(self) -> bool:
        """True when threads are unbounded (no request ever waits)."""
        return self.threads >= UNBOUNDED_THREADS

    def describe(self) -> str:
        """One line for people."""
        threads = "unbounded threads" if self.unbounded else f"{self.threads} threads"
        if self.cores < UNBOUNDED_THREADS:
            threads += f" on {self.cores} cores"
        queue = "unbounded queue" if self.queue is None else f"queue {self.queue}"
        return (
            f"{self.service_time.describe()}; {threads}, {queue}, {self.on_full} when full, "
            f"{self.dispatch}"
        )


@dataclass(frozen=True, slots=True)
class CallSettings:
    """How a service calls one dependency.

    Attributes:
        mode: ``sequence`` (after the previous dependency's call returns) or ``parallel``
            (together with the other parallel calls).
        probability: Share of requests that make this call at all (0 to 1).
        calls: Calls made per request that makes it (1 or more).
        weight: Relative share of requests sent here when the caller routes each request to
            ONE dependency (dispatch ``route``); > 0.
        request_bytes: Payload sent, for transfer time (0 = negligible).
        response_bytes: Payload returned, for transfer time (0 = negligible).

    """

    mode: CallMode = "sequence"
    probability: float = 1.0
    calls: int = 1
    weight: float = 1.0
    request_bytes: int = 0
    response_bytes: int = 0


#: The settings of a dependency written as a plain name.
DEFAULT_CALLS: Final = CallSettings()

#: One-way latency in seconds between pairs of spigo's regions (symmetric): about half the
#: published round-trip times between these AWS regions.
REGION_PAIR_LATENCY: Final[Mapping[frozenset[str], float]] = MappingProxyType(
    {
        frozenset(pair): seconds
        for pair, seconds in (
            (("us-east-1", "us-west-2"), 0.033),
            (("us-east-1", "eu-west-1"), 0.036),
            (("us-east-1", "eu-central-1"), 0.045),
            (("us-east-1", "ap-southeast-1"), 0.110),
            (("us-east-1", "ap-southeast-2"), 0.100),
            (("us-west-2", "eu-west-1"), 0.065),
            (("us-west-2", "eu-central-1"), 0.075),
            (("us-west-2", "ap-southeast-1"), 0.085),
            (("us-west-2", "ap-southeast-2"), 0.070),
            (("eu-west-1", "eu-central-1"), 0.012),
            (("eu-west-1", "ap-southeast-1"), 0.085),
            (("eu-west-1", "ap-southeast-2"), 0.130),
            (("eu-central-1", "ap-southeast-1"), 0.080),
            (("eu-central-1", "ap-southeast-2"), 0.140),
            (("ap-southeast-1", "ap-southeast-2"), 0.045),
        )
    }
)


@dataclass(frozen=True, slots=True)
class NetworkSettings:
    """One-way network latency and bandwidth.

    Attributes:
        same_zone: Seconds between two nodes of one zone.
        cross_zone: Seconds between zones of one region.
        cross_region: Seconds between regions not in ``region_pairs``.
        region_pairs: Seconds between pairs of regions (keys are two-name frozensets).
        bandwidth: Bytes per second; a payload of ``n`` bytes takes ``n / bandwidth``.

    """

    same_zone: float = 0.0001
    cross_zone: float = 0.0005
    cross_region: float = 0.060
    region_pairs: Mapping[frozenset[str], float] = field(
        default_factory=lambda: REGION_PAIR_LATENCY
    )
    bandwidth: float = 1.25e9

    def region_latency(self, region_a: str, region_b: str) -> float:
        """One-way seconds from ``region_a`` to ``region_b``.

        A listed pair gives its figure, other pairs :attr:`cross_region`; for one region
        (``region_a == region_b``) it is :attr:`cross_zone`, the most a hop inside a region
        costs.
        """
        if region_a == region_b:
            return self.cross_zone
        return self.region_pairs.get(frozenset((region_a, region_b)), self.cross_region)

    def between(self, region_a: str, zone_a: str, region_b: str, zone_b: str) -> float:
        """One-way seconds from a node in (region_a, zone_a) to one in (region_b, zone_b).

        ``*`` (a global or region-wide node) counts as being wherever the other node is.
        """
        if region_a != region_b and region_a != "*" and region_b != "*":
            return self.region_latency(region_a, region_b)
        if zone_a == zone_b or zone_a == "*" or zone_b == "*":
            return self.same_zone
        return self.cross_zone

    def transfer_time(self, size: int) -> float:
        """Seconds to send ``size`` bytes: ``size / bandwidth``."""
        return size / self.bandwidth


def _lognormal(median: float, sigma: float) -> LogNormal:
    return LogNormal.from_median(median, sigma)


#: The timing of each of spigo's packages when a service sets nothing (table in the module
#: docstring, with sources).
PACKAGE_TIMING: Final[Mapping[str, ServiceTiming]] = MappingProxyType(
    {
        "denominator": ServiceTiming(Fixed(0.0), UNBOUNDED_THREADS, None, "wait", "route"),
        "elb": ServiceTiming(Fixed(0.0001), UNBOUNDED_THREADS, None, "wait", "route"),
        "zuul": ServiceTiming(_lognormal(0.001, 0.5), 200, 100, "reject", "route", 4),
        "karyon": ServiceTiming(_lognormal(0.005, 0.6), 200, 100, "reject", "fanout", 4),
        "monolith": ServiceTiming(_lognormal(0.020, 0.8), 150, None, "wait", "fanout", 4),
        "staash": ServiceTiming(_lognormal(0.001, 0.5), 200, 100, "reject", "tiers", 4),
        "priamCassandra": ServiceTiming(_lognormal(0.001, 0.7), 32, None, "wait", "leaf", 8),
        "riak": ServiceTiming(_lognormal(0.001, 0.7), 32, None, "wait", "leaf", 8),
        "store": ServiceTiming(_lognormal(0.002, 0.7), 151, None, "wait", "leaf", 4),
        "cache": ServiceTiming(Exponential(0.0002), 4, None, "wait", "leaf", 4),
        "volume": ServiceTiming(_lognormal(0.004, 0.5), 32, None, "wait", "leaf", 32),
        "eureka": ServiceTiming(Fixed(0.001), 200, None, "wait", "leaf", 2),
        "pirate": ServiceTiming(Fixed(0.0), UNBOUNDED_THREADS, None, "wait", "leaf"),
    }
)

#: The timing of a package not in :data:`PACKAGE_TIMING` (a plug-in): no time, no limit.
FALLBACK_TIMING: Final = ServiceTiming(Fixed(0.0), UNBOUNDED_THREADS, None, "wait", "route")


def timing_of(service: Service) -> ServiceTiming:
    """The timing of ``service``: its package's default, overridden by what the service sets."""
    base = PACKAGE_TIMING.get(service.package, FALLBACK_TIMING)
    changes: dict[str, object] = {}
    if service.service_time is not None:
        changes["service_time"] = service.service_time
    if service.threads is not None:
        changes["threads"] = service.threads
    if service.queue is not UNSET:
        changes["queue"] = service.queue
    if service.on_full is not None:
        changes["on_full"] = service.on_full
    if service.dispatch is not None:
        changes["dispatch"] = service.dispatch
    if service.cores is not None:
        changes["cores"] = service.cores
    return dataclasses.replace(base, **changes) if changes else base  # type: ignore[arg-type]


def calls_of(dependency: Dependency) -> CallSettings:
    """The call settings of ``dependency`` (the defaults when it is a plain name)."""
    return dependency.calls


def _merge_changes(
    initial: float, changes: list[tuple[float, float]]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Turn (time, rate) change points into segment starts (from 0) and their rates."""
    starts = [0.0]
    rates = [initial]
    for time, rate in sorted(changes, key=lambda change: change[0]):
        time = max(time, 0.0)
        if time <= starts[-1]:
            rates[-1] = rate
        else:
            starts.append(time)
            rates.append(rate)
    return tuple(starts), tuple(rates)


@dataclass(frozen=True, slots=True)
class TrafficSpec:
    """Requests sent by one source: a rate over simulated time, arrivals and a mix of kinds.

    Times (``start``, ``at``, step and replay times) are simulated seconds from the start of the
    run; rates are requests per second.

    Attributes:
        source: The service that sends the requests; ``None`` = the architecture's root.
        pattern: The shape of the rate over time (:data:`Pattern`).
        rate: The base rate (before a ramp starts, before the first step, around a spike, the
            mean of a diurnal cycle). Not used by ``replay``.
        to_rate: ``ramp``: the rate reached at ``start + over`` and kept after.
        over: ``ramp``: seconds the ramp lasts (0 = a jump at ``start``).
        start: ``ramp``: when it begins.
        steps: ``step``: (time, rate) pairs in time order; each rate holds until the next.
        amplitude: ``diurnal``: the swing as a share of ``rate`` (0 to 1): the rate is
            ``rate * (1 - amplitude * cos(2π t / period))``, lowest at t = 0.
        period: ``diurnal``: seconds in a cycle (default a day).
        peak: ``spike``: the rate during the spike.
        at: ``spike``: when it starts.
        duration: ``spike``: how long it lasts.
        csv: ``replay``: the CSV file named in the architecture.
        points: ``replay``: (time, rate) rows read from it; each rate holds until the next
            row's time, the last one to the end of the run; before the first row, no traffic.
        arrivals: ``uniform`` or ``poisson``; ``None`` = the pattern's default
            (:attr:`arrival_process`: uniform for ``constant``, Poisson for the others).
        mix: Request kinds (``get``, ``put``) and their relative weights.

    """

    source: str | None = None
    pattern: Pattern = "constant"
    rate: float = DEFAULT_RATE
    to_rate: float = 0.0
    over: float = 0.0
    start: float = 0.0
    steps: tuple[tuple[float, float], ...] = ()
    amplitude: float = 0.5
    period: float = 86400.0
    peak: float = 0.0
    at: float = 0.0
    duration: float = 0.0
    csv: str = ""
    points: tuple[tuple[float, float], ...] = ()
    arrivals: Arrivals | None = None
    mix: Mapping[str, float] = field(default_factory=lambda: DEFAULT_MIX)
    _starts: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _rates: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _totals: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pattern = self.pattern
        if pattern == "step":
            starts, rates = _merge_changes(self.rate, list(self.steps))
        elif pattern == "spike":
            changes = [(self.at, self.peak)]
            if self.duration > 0:
                changes.append((self.at + self.duration, self.rate))
            else:
                changes = []
            starts, rates = _merge_changes(self.rate, changes)
        elif pattern == "replay":
            starts, rates = _merge_changes(0.0, list(self.points))
        else:
            starts, rates = (0.0,), (self.rate,)
        totals = [0.0]
        for index in range(1, len(starts)):
            totals.append(totals[-1] + rates[index - 1] * (starts[index] - starts[index - 1]))
        object.__setattr__(self, "_starts", starts)
        object.__setattr__(self, "_rates", tuple(max(rate, 0.0) for rate in rates))
        object.__setattr__(self, "_totals", tuple(totals))

    @property
    def arrival_process(self) -> Arrivals:
        """``arrivals``, or the pattern's default: uniform for constant, Poisson otherwise."""
        if self.arrivals is not None:
            return self.arrivals
        return "uniform" if self.pattern == "constant" else "poisson"

    @property
    def constant(self) -> bool:
        """True when the rate never changes (patterns ``constant`` and ``poisson``)."""
        return self.pattern in ("constant", "poisson")

    @property
    def piecewise_constant(self) -> bool:
        """True when the rate only changes by jumps (every pattern but ramp and diurnal)."""
        return self.pattern not in ("ramp", "diurnal")

    def rate_at(self, t: float) -> float:
        """The rate, in requests per second, at simulated time ``t`` (never negative)."""
        pattern = self.pattern
        if pattern == "ramp":
            if t < self.start:
                value = self.rate
            elif t >= self.start + self.over:
                value = self.to_rate
            else:
                value = self.rate + (self.to_rate - self.rate) * (t - self.start) / self.over
        elif pattern == "diurnal":
            value = self.rate * (1 - self.amplitude * math.cos(2 * math.pi * t / self.period))
        else:
            index = bisect_right(self._starts, t) - 1
            return self._rates[index if index >= 0 else 0]
        return value if value > 0 else 0.0

    def cumulative(self, t: float) -> float:
        """The expected number of requests sent from time 0 to ``t``: the integral of the rate.

        Closed forms: piecewise linear for ``ramp``, ``rate (t - a P sin(2π t / P) / 2π)`` for
        ``diurnal``, sums of rectangles for the others.
        """
        if t <= 0:
            return 0.0
        pattern = self.pattern
        if pattern == "ramp":
            low, high = max(self.rate, 0.0), max(self.to_rate, 0.0)
            start, over = self.start, self.over
            if t <= start:
                return low * t
            if t < start + over:
                elapsed = t - start
                return low * t + (high - low) * elapsed * elapsed / (2 * over)
            return low * start + (low + high) / 2 * over + high * (t - start - over)
        if pattern == "diurnal":
            omega = 2 * math.pi / self.period
            return max(self.rate, 0.0) * (t - self.amplitude * math.sin(omega * t) / omega)
        index = bisect_right(self._starts, t) - 1
        return self._totals[index] + self._rates[index] * (t - self._starts[index])

    def expected_count(self, t0: float, t1: float) -> float:
        """The expected number of requests in ``(t0, t1]``."""
        return self.cumulative(t1) - self.cumulative(t0)

    def max_rate(self, horizon: float, since: float = 0.0) -> float:
        """The highest rate over ``[since, horizon]`` (an exact bound, for thinning)."""
        if horizon < since:
            horizon = since
        pattern = self.pattern
        if pattern == "ramp":
            return max(self.rate_at(since), self.rate_at(horizon))
        if pattern == "diurnal":
            period = self.period
            first_peak = period / 2 + math.ceil((since - period / 2) / period) * period
            if first_peak <= horizon:
                return self.rate_at(first_peak)
            return max(self.rate_at(since), self.rate_at(horizon))
        low = max(bisect_right(self._starts, since) - 1, 0)
        high = max(bisect_right(self._starts, horizon) - 1, 0)
        return max(self._rates[low : high + 1])

    def arrival_time(self, target: float, low: float, high: float) -> float | None:
        """The first time in ``[low, high]`` where :meth:`cumulative` reaches ``target``.

        ``None`` when it does not reach it by ``high``. Exact for piecewise-constant rates;
        a safeguarded Newton search (to about 1e-12 s) for ``ramp`` and ``diurnal``.
        """
        if self.cumulative(high) < target:
            return None
        if self.piecewise_constant:
            index = bisect_left(self._totals, target) - 1  # the last segment starting below
            if index < 0:
                return low
            rate = self._rates[index]  # > 0: the total grows past target in this segment
            time = self._starts[index] + (target - self._totals[index]) / rate
            return min(max(time, low), high)
        time = low
        for _ in range(200):
            excess = self.cumulative(time) - target
            if excess < 0:
                low = time
            else:
                high = time
            tolerance = 1e-12 * max(1.0, abs(time))
            if high - low <= tolerance:
                break
            rate = self.rate_at(time)
            guess = time - excess / rate if rate > 0 else (low + high) / 2
            if not low < guess < high:
                guess = (low + high) / 2
            if abs(guess - time) <= tolerance:
                time = guess
                break
            time = guess
        return time


def read_rate_csv(
    path: Path, *, label: str | None = None, max_bytes: int = MAX_CSV_BYTES
) -> tuple[tuple[float, float], ...]:
    """Read a replay file: a header row with columns ``time`` and ``rate``, then one row each.

    Times are simulated seconds (0 or more, increasing), rates requests per second (0 or more).
    Other columns are ignored; blank lines are skipped.

    Raises:
        ArchitectureError: naming the CSV file, the line, the column and the value.

    """
    name = label or str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ArchitectureError(
                name,
                "",
                f"file is {size} bytes, more than the limit of {max_bytes} bytes",
                value=size,
                fix="resample the rates to fewer rows",
            )
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise ArchitectureError(
            name,
            "",
            f"cannot read the file: {error.strerror}",
            value=name,
            fix="check the path, relative to the architecture file",
        ) from None
    except UnicodeDecodeError:
        raise ArchitectureError(
            name, "", "not UTF-8 text", value=name, fix="save the file as UTF-8 CSV"
        ) from None
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    columns: dict[str, int] = {}
    points: list[tuple[float, float]] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in row]
                for column in ("time", "rate"):
                    if column not in header:
                        raise ArchitectureError(
                            name,
                            "",
                            f"the header row has no {column!r} column (columns: "
                            f"{', '.join(header)})",
                            value=row,
                            fix="start the file with the header row time,rate",
                            line=line,
                        )
                    columns[column] = header.index(column)
                continue
            time = _csv_number(row, columns["time"], "time", name, line)
            rate = _csv_number(row, columns["rate"], "rate", name, line)
            if points and time <= points[-1][0]:
                raise ArchitectureError(
                    name,
                    "time",
                    f"time {time:g} is not after the previous row's {points[-1][0]:g}",
                    value=row[columns["time"]],
                    fix="sort the rows by time, each time once",
                    line=line,
                )
            points.append((time, rate))
    except csv.Error as error:
        raise ArchitectureError(
            name, "", f"malformed CSV: {error}", fix="fix the CSV syntax", line=reader.line_num
        ) from None
    if not points:
        raise ArchitectureError(
            name,
            "",
            "no rows of rates" if header is not None else "the file is empty",
            fix="write a header row time,rate and then one row per change of rate, e.g. 0,100",
        )
    return tuple(points)


def _csv_number(row: list[str], index: int, column: str, file: str, line: int) -> float:
    unit = "simulated seconds" if column == "time" else "requests per second"
    if index >= len(row):
        raise ArchitectureError(
            file,
            column,
            f"the row has no {column!r} value",
            value=",".join(row),
            fix=f"give every row a {column} in {unit}",
            line=line,
        )
    cell = row[index].strip()
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ArchitectureError(
            file,
            column,
            f"expected a number of {unit} (0 or more), got {cell!r}",
            value=cell,
            fix=f"write the {column} as a plain number, e.g. {'60' if column == 'time' else '100'}",
            line=line,
        )
    return value
