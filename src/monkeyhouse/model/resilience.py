"""Resilience settings of a client's calls to one dependency: what the model says, not how it runs.

These are plain, validated data; the patterns layer runs them (``patterns/breaker.py``,
``patterns/retry.py``, ``patterns/outlier.py``, ``patterns/command.py``). One
:class:`Resilience` per dependency edge gathers them:

- ``timeout``: seconds an attempt may take before the caller gives up on it (Hystrix's
  ``execution.isolation.thread.timeoutInMilliseconds``, 1000 by default).
- ``retry``: a :class:`RetryPolicy` (count, back-off, jitter, what is retried) and an optional
  :class:`BudgetSettings` (Envoy's retry budget).
- ``breaker``: Hystrix's (:class:`HystrixSettings`) or resilience4j's count-based one
  (:class:`CountBreakerSettings`).
- ``bulkhead``: a thread pool with an optional queue, or a semaphore
  (:class:`BulkheadSettings`; Hystrix: 10 threads, no queue; a semaphore of 10).
- ``fallback``: a static answer, the last good answer (a cache), or a degraded call to another
  dependency (:class:`FallbackSettings`).
- ``outlier``: Envoy's consecutive-5xx ejection in the client's load balancer
  (:class:`OutlierSettings`).

Every package has defaults (:data:`PACKAGE_RESILIENCE`): the NetflixOSS tiers that wrapped their
calls in Hystrix (zuul, karyon, staash) use Hystrix's defaults (1 s timeout, its breaker, a pool
of 10 threads without a queue) and zuul retries a refused connection once on another server, as
Ribbon's ``MaxAutoRetriesNextServer=1``; every other package calls without protection, as spigo
did. An architecture overrides them per service (``resilience``) and per dependency.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from random import Random
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal

from monkeyhouse.errors import UsageError

if TYPE_CHECKING:
    from monkeyhouse.model.architecture import Architecture, Dependency, Service


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise UsageError(f"breaker setting {name}: {value!r} must be positive")


@dataclass(frozen=True, slots=True)
class HystrixSettings:
    """Hystrix's circuit-breaker properties, with its defaults; durations in milliseconds.

    ``health_snapshot_interval_ms`` is modelled (see the module notes): 0 checks the health
    after every event instead. The rolling window must be a whole number of buckets and of
    snapshot intervals.
    """

    rolling_window_ms: int = 10_000
    rolling_buckets: int = 10
    request_volume_threshold: int = 20
    error_threshold_percentage: int = 50
    sleep_window_ms: int = 5_000
    force_open: bool = False
    force_closed: bool = False
    health_snapshot_interval_ms: int = 500
    enabled: bool = True

    def __post_init__(self) -> None:
        _positive("rolling_window_ms", self.rolling_window_ms)
        _positive("rolling_buckets", self.rolling_buckets)
        if self.rolling_window_ms % self.rolling_buckets:
            raise UsageError(
                f"breaker setting rolling_buckets: {self.rolling_buckets} does not divide "
                f"rolling_window_ms {self.rolling_window_ms} (use a divisor, e.g. 10)"
            )
        if self.request_volume_threshold < 0:
            raise UsageError(
                f"breaker setting request_volume_threshold: {self.request_volume_threshold} "
                "must be 0 or more"
            )
        if not 0 <= self.error_threshold_percentage <= 100:
            raise UsageError(
                f"breaker setting error_threshold_percentage: "
                f"{self.error_threshold_percentage} must be between 0 and 100"
            )
        if self.sleep_window_ms < 0:
            raise UsageError(
                f"breaker setting sleep_window_ms: {self.sleep_window_ms} must be 0 or more"
            )
        interval = self.health_snapshot_interval_ms
        if interval < 0 or (interval and self.rolling_window_ms % interval):
            raise UsageError(
                f"breaker setting health_snapshot_interval_ms: {interval} must be 0 or divide "
                f"rolling_window_ms {self.rolling_window_ms} (Hystrix's default is 500)"
            )


@dataclass(frozen=True, slots=True)
class CountBreakerSettings:
    """resilience4j's ``CircuitBreakerConfig`` for a COUNT_BASED window; durations in seconds.

    Defaults are resilience4j's. ``max_wait_duration_in_half_open_state`` 0 waits forever.
    """

    failure_rate_threshold: float = 50.0
    slow_call_rate_threshold: float = 100.0
    slow_call_duration_threshold: float = 60.0
    sliding_window_size: int = 100
    minimum_number_of_calls: int = 100
    wait_duration_in_open_state: float = 60.0
    permitted_number_of_calls_in_half_open_state: int = 10
    automatic_transition_from_open_to_half_open_enabled: bool = False
    max_wait_duration_in_half_open_state: float = 0.0

    def __post_init__(self) -> None:
        for name in ("failure_rate_threshold", "slow_call_rate_threshold"):
            value = getattr(self, name)
            if not 0 < value <= 100:
                raise UsageError(f"breaker setting {name}: {value!r} must be in (0, 100]")
        _positive("slow_call_duration_threshold", self.slow_call_duration_threshold)
        _positive("sliding_window_size", self.sliding_window_size)
        _positive("minimum_number_of_calls", self.minimum_number_of_calls)
        _positive("wait_duration_in_open_state", self.wait_duration_in_open_state)
        _positive(
            "permitted_number_of_calls_in_half_open_state",
            self.permitted_number_of_calls_in_half_open_state,
        )
        if self.max_wait_duration_in_half_open_state < 0:
            raise UsageError(
                "breaker setting max_wait_duration_in_half_open_state: "
                f"{self.max_wait_duration_in_half_open_state!r} must be 0 (forever) or more"
            )


#: the jitter modes of :attr:`RetryPolicy.jitter`
Jitter = Literal["none", "full", "equal"]
JITTERS: tuple[str, ...] = ("none", "full", "equal")

#: the named failure classes :attr:`RetryPolicy.retry_on` accepts (besides three-digit codes)
RETRY_CLASSES: frozenset[str] = frozenset(
    {"5xx", "gateway-error", "connect-failure", "reset", "timeout"}
)

#: Envoy's default base interval, seconds
DEFAULT_BASE = 0.025
#: Envoy's default cap is this many times the base interval
CAP_FACTOR = 10.0

_STATUS = re.compile(r"^([1-5][0-9][0-9])(?![0-9])")
_CODE = re.compile(r"^[1-5][0-9][0-9]$")


def error_classes(error: str) -> frozenset[str]:
    """The failure classes an error string belongs to (empty for success or a local failure).

    The status is the three-digit number the string starts with. 5xx answers are ``"5xx"`` and
    their code; 502, 503 and 504 are also ``"gateway-error"``. Words add classes: "connection
    refused" or "connect" failures are ``"connect-failure"``, "reset" is ``"reset"``, 504 and
    "timeout"/"timed out" are ``"timeout"``; each of these is also ``"5xx"``. An error that
    names no instance reached ("no route") belongs to no class, so it is never retried.
    """
    if not error:
        return frozenset()
    lower = error.lower()
    if "no route" in lower:
        return frozenset()
    classes: set[str] = set()
    match = _STATUS.match(error)
    code = int(match.group(1)) if match else None
    if code is not None:
        classes.add(str(code))
        if 500 <= code <= 599:
            classes.add("5xx")
        if code in (502, 503, 504):
            classes.add("gateway-error")
    if "connection refused" in lower or "connect failure" in lower or "connect-failure" in lower:
        classes.update(("connect-failure", "5xx"))
    if "reset" in lower:
        classes.update(("reset", "5xx"))
    if code == 504 or "timeout" in lower or "timed out" in lower:
        classes.update(("timeout", "5xx"))
    if code is None and not classes:
        # a failure with no status and no known word: the instance did not answer properly
        classes.add("5xx")
    return frozenset(classes)


def _default_retry_on() -> frozenset[str]:
    return frozenset({"5xx", "connect-failure", "reset", "timeout"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How one client retries one dependency: count, back-off, jitter and what is retried.

    ``backoff_cap`` of ``None`` means 10 × ``backoff_base`` (Envoy's default); it reads back
    resolved. Times are seconds. Invalid values raise :class:`~monkeyhouse.errors.UsageError`
    naming the field.
    """

    retries: int = 1
    backoff_base: float = DEFAULT_BASE
    backoff_cap: float | None = None
    jitter: Jitter = "full"
    retry_on: frozenset[str] = field(default_factory=_default_retry_on)

    def __post_init__(self) -> None:
        if isinstance(self.retries, bool) or not isinstance(self.retries, int):
            raise UsageError(f"retry policy: retries must be a whole number, got {self.retries!r}")
        if self.retries < 0:
            raise UsageError(f"retry policy: retries must be 0 or more, got {self.retries}")
        if not (isinstance(self.backoff_base, int | float) and self.backoff_base > 0):
            raise UsageError(
                f"retry policy: backoff_base must be a number of seconds > 0, "
                f"got {self.backoff_base!r} (Envoy's default is 0.025)"
            )
        if not math.isfinite(self.backoff_base):
            raise UsageError(f"retry policy: backoff_base must be finite, got {self.backoff_base}")
        cap = self.backoff_cap
        if cap is None:
            cap = CAP_FACTOR * self.backoff_base
        elif not (isinstance(cap, int | float) and cap >= self.backoff_base):
            raise UsageError(
                f"retry policy: backoff_cap must be at least backoff_base "
                f"({self.backoff_base:g} s), got {cap!r} (leave it out for 10 x backoff_base)"
            )
        object.__setattr__(self, "backoff_cap", float(cap))
        if self.jitter not in JITTERS:
            raise UsageError(
                f"retry policy: jitter must be one of {', '.join(JITTERS)}, got {self.jitter!r}"
            )
        retry_on = frozenset(self.retry_on)
        unknown = sorted(name for name in retry_on if name not in RETRY_CLASSES)
        unknown = [name for name in unknown if not _CODE.match(name)]
        if unknown:
            raise UsageError(
                f"retry policy: retry_on has unknown class {unknown[0]!r} (known: "
                f"{', '.join(sorted(RETRY_CLASSES))}, or a three-digit status such as '503')"
            )
        object.__setattr__(self, "retry_on", retry_on)

    @property
    def cap(self) -> float:
        """The back-off cap in seconds (``backoff_cap`` resolved)."""
        cap = self.backoff_cap
        return CAP_FACTOR * self.backoff_base if cap is None else cap

    @property
    def attempts(self) -> int:
        """The most attempts one call makes: the first one and every retry."""
        return self.retries + 1

    def is_retryable(self, error: str) -> bool:
        """Whether a failure with this error string is of a class in ``retry_on``."""
        return not self.retry_on.isdisjoint(error_classes(error))

    def backoff(self, attempt: int) -> float:
        """The un-jittered back-off before retry ``attempt``: ``min(cap, base · 2^(attempt-1))``."""
        if attempt < 1:
            raise ValueError(f"attempt counts retries from 1, got {attempt}")
        cap = self.cap
        exponent = attempt - 1
        if exponent >= 64:  # 2**64 times any positive base is past every sensible cap
            return cap
        return min(cap, self.backoff_base * float(1 << exponent))

    def delay(self, attempt: int, rng: Random) -> float:
        """Seconds to wait before retry ``attempt`` (1 = the first retry), jittered with ``rng``.

        ``none``: the back-off ``d``; ``full``: uniform in ``[0, d]``; ``equal``: ``d/2`` plus
        uniform in ``[0, d/2]``. ``rng`` is drawn once for the jittered modes, never for
        ``none``.
        """
        ceiling = self.backoff(attempt)
        if self.jitter == "full":
            return rng.uniform(0.0, ceiling)
        if self.jitter == "equal":
            half = ceiling / 2.0
            return half + rng.uniform(0.0, half)
        return ceiling


#: a policy that never retries
NO_RETRIES = RetryPolicy(retries=0)


@dataclass(frozen=True, slots=True)
class OutlierSettings:
    """Outlier detection settings; times in seconds, defaults are Envoy's."""

    consecutive_5xx: int = 5
    interval: float = 10.0
    base_ejection_time: float = 30.0
    max_ejection_time: float = 300.0
    max_ejection_percent: float = 10.0
    always_eject_one_host: bool = True

    def __post_init__(self) -> None:
        if (
            isinstance(self.consecutive_5xx, bool)
            or not isinstance(self.consecutive_5xx, int)
            or self.consecutive_5xx < 1
        ):
            raise UsageError(
                "outlier detection: consecutive_5xx must be a whole number >= 1, "
                f"got {self.consecutive_5xx!r} (Envoy's default is 5)"
            )
        for name in ("interval", "base_ejection_time", "max_ejection_time"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and value > 0 and math.isfinite(value)):
                raise UsageError(
                    f"outlier detection: {name} must be a number of seconds > 0, got {value!r}"
                )
        if self.max_ejection_time < self.base_ejection_time:
            raise UsageError(
                "outlier detection: max_ejection_time cannot be smaller than base_ejection_time "
                f"({self.max_ejection_time:g} s < {self.base_ejection_time:g} s)"
            )
        percent = self.max_ejection_percent
        if not (isinstance(percent, int | float) and 0 <= percent <= 100):
            raise UsageError(
                f"outlier detection: max_ejection_percent must be between 0 and 100, "
                f"got {percent!r}"
            )


@dataclass(frozen=True, slots=True)
class BudgetSettings:
    """Envoy's retry budget, for the retries of one client instance to one dependency.

    Retries in flight stay below ``percent`` % of the requests in flight, and may always reach
    ``minimum`` (defaults 20 % and 3).
    """

    percent: float = 20.0
    minimum: int = 3

    def __post_init__(self) -> None:
        if not (isinstance(self.percent, int | float) and 0.0 <= self.percent <= 100.0):
            raise UsageError(
                f"retry budget: percent must be between 0 and 100, got {self.percent!r} "
                "(Envoy's default is 20)"
            )
        if isinstance(self.minimum, bool) or not isinstance(self.minimum, int) or self.minimum < 0:
            raise UsageError(
                f"retry budget: minimum must be a whole number >= 0, got {self.minimum!r} "
                "(Envoy's default is 3)"
            )


#: the isolation kinds of a bulkhead
BulkheadKind = Literal["threadpool", "semaphore"]
BULKHEAD_KINDS: tuple[str, ...] = ("threadpool", "semaphore")


@dataclass(frozen=True, slots=True)
class BulkheadSettings:
    """A client's isolation of one dependency, per client instance.

    ``threadpool``: ``size`` threads run the calls, ``queue`` more wait for a thread (0: none,
    Hystrix's SynchronousQueue); beyond that a call is THREAD_POOL_REJECTED. ``semaphore``:
    ``size`` calls at once, the next is SEMAPHORE_REJECTED (``queue`` must be 0).
    """

    kind: BulkheadKind = "threadpool"
    size: int = 10
    queue: int = 0

    def __post_init__(self) -> None:
        if self.kind not in BULKHEAD_KINDS:
            raise UsageError(
                f"bulkhead: kind must be one of {', '.join(BULKHEAD_KINDS)}, got {self.kind!r}"
            )
        for name in ("size", "queue"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise UsageError(f"bulkhead: {name} must be a whole number >= 0, got {value!r}")
        if self.size < 1:
            raise UsageError(f"bulkhead: size must be at least 1, got {self.size}")
        if self.kind == "semaphore" and self.queue:
            raise UsageError(
                f"bulkhead: a semaphore has no queue, got queue {self.queue} "
                "(use kind: threadpool for a queue)"
            )


#: what a fallback does
FallbackKind = Literal["static", "cache", "call"]
FALLBACK_KINDS: tuple[str, ...] = ("static", "cache", "call")


@dataclass(frozen=True, slots=True)
class FallbackSettings:
    """What the caller answers when a call fails for good.

    A fallback serves after the last retry fails, or at once when the breaker or the bulkhead
    refuses the call.
    ``static``: ``value``. ``cache``: the last good answer from this dependency for the same key
    on this instance (a miss is a FALLBACK_FAILURE). ``call``: one call to ``service``, another
    of the caller's dependencies (a degraded path), without protection.
    """

    kind: FallbackKind = "static"
    value: str = ""
    service: str = ""

    def __post_init__(self) -> None:
        if self.kind not in FALLBACK_KINDS:
            raise UsageError(
                f"fallback: kind must be one of {', '.join(FALLBACK_KINDS)}, got {self.kind!r}"
            )
        if self.kind == "call" and not self.service:
            raise UsageError("fallback: kind call needs a service, e.g. service: recommendations")


Breaker = HystrixSettings | CountBreakerSettings


@dataclass(frozen=True, slots=True)
class Resilience:
    """Everything that protects one client-to-dependency edge; ``None`` switches a part off."""

    timeout: float | None = None
    retry: RetryPolicy | None = None
    budget: BudgetSettings | None = None
    breaker: Breaker | None = None
    bulkhead: BulkheadSettings | None = None
    fallback: FallbackSettings | None = None
    outlier: OutlierSettings | None = None

    def __post_init__(self) -> None:
        timeout = self.timeout
        if timeout is not None and not (
            isinstance(timeout, int | float) and timeout > 0 and math.isfinite(timeout)
        ):
            raise UsageError(f"timeout must be a number of seconds > 0, got {timeout!r}")

    @property
    def active(self) -> bool:
        """Whether anything is switched on (an edge without protection costs nothing)."""
        return any(getattr(self, name) is not None for name in self.__slots__)

    def describe(self) -> str:
        """One line for people: what protects the edge."""
        parts: list[str] = []
        if self.timeout is not None:
            parts.append(f"timeout {self.timeout:g} s")
        if self.retry is not None and self.retry.retries:
            count = self.retry.retries
            parts.append(f"{count} retr{'y' if count == 1 else 'ies'}")
        if self.budget is not None:
            parts.append(f"budget {self.budget.percent:g} %")
        if isinstance(self.breaker, HystrixSettings):
            parts.append("hystrix breaker")
        elif self.breaker is not None:
            parts.append("count breaker")
        if self.bulkhead is not None:
            parts.append(f"{self.bulkhead.kind} {self.bulkhead.size}")
        if self.fallback is not None:
            parts.append(f"{self.fallback.kind} fallback")
        if self.outlier is not None:
            parts.append("outlier ejection")
        return ", ".join(parts) or "none"


#: no protection at all (spigo's calls)
NO_RESILIENCE: Final = Resilience()

#: Hystrix's defaults for a command: 1 s timeout, its breaker, a pool of 10 threads, no queue
HYSTRIX: Final = Resilience(
    timeout=1.0, breaker=HystrixSettings(), bulkhead=BulkheadSettings("threadpool", 10, 0)
)

#: per package, the protection its calls have unless the architecture says otherwise
PACKAGE_RESILIENCE: Final[Mapping[str, Resilience]] = MappingProxyType(
    {
        "zuul": Resilience(
            timeout=1.0,
            retry=RetryPolicy(retries=1, retry_on=frozenset({"connect-failure"})),
            breaker=HystrixSettings(),
            bulkhead=BulkheadSettings("threadpool", 10, 0),
        ),
        "karyon": HYSTRIX,
        "staash": HYSTRIX,
    }
)


#: what a settings field takes in a file: ``boolean``, ``whole``, ``number``, ``names`` (a list)
#: or ``text``
SettingKind = Literal["boolean", "whole", "number", "names", "text"]
#: fields that take any number although their default is missing or whole
_REAL_FIELDS = frozenset({"timeout", "backoff_cap"})


def setting_kind(name: str, default: object) -> SettingKind:
    """What the settings field ``name`` with ``default`` takes (the loader and schema agree)."""
    if isinstance(default, bool):
        return "boolean"
    if isinstance(default, int) and name not in _REAL_FIELDS:
        return "whole"
    if isinstance(default, int | float) or name in _REAL_FIELDS:
        return "number"
    if name == "retry_on":
        return "names"
    return "text"


def package_resilience(package: str) -> Resilience:
    """The default protection of ``package``'s calls (none for packages not listed)."""
    return PACKAGE_RESILIENCE.get(package, NO_RESILIENCE)


def resilience_of(service: Service, dependency: Dependency) -> Resilience:
    """The protection of ``service``'s calls to ``dependency``.

    The package's defaults, changed by the service's ``resilience`` and then by the
    dependency's own keys (a part set to ``none`` is switched off).
    """
    base = package_resilience(service.package)
    changes = {**service.resilience, **dependency.resilience}
    if not changes:
        return base
    if changes.get("all") == "none":
        changes.pop("all")
        base = NO_RESILIENCE
    return replace(base, **changes)


def unprotected(arch: Architecture) -> Architecture:
    """``arch`` with no protection on any call (spigo's calls; ``--no-resilience``)."""
    services = tuple(
        replace(
            service,
            resilience={"all": "none"},
            dependencies=tuple(replace(d, resilience={}) for d in service.dependencies),
        )
        for service in arch.services
    )
    return replace(arch, services=services)
