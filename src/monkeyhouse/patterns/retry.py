"""Retries: how many, after what back-off, on which errors, and within which budget.

A :class:`RetryPolicy` belongs to one client-to-dependency edge. It says how many times a failed
call is tried again (``retries``), how long to wait before each retry (capped exponential
back-off with a jitter mode) and which failures are worth retrying (``retry_on``). A
:class:`RetryBudget` bounds the retries in flight at once on that edge, as a share of the
requests in flight, the way Envoy's cluster retry budget does. :func:`attempts_per_request` is
the arithmetic of retry amplification across layers.

Semantics and their sources:

- ``retries`` defaults to 1: Envoy retries once when a retry policy is in place and no count is
  given (router filter, ``x-envoy-max-retries``). An edge without retries has no policy, or
  :data:`NO_RETRIES`.
- Back-off: base 25 ms and cap 10 × base (Envoy's ``BackoffStrategy`` defaults). The delay before
  retry ``n`` (``n = 1`` is the first retry) is ``d = min(cap, base · 2^(n-1))``, then, with the
  AWS Architecture Blog's names ("Exponential Backoff And Jitter"): ``none`` waits ``d``;
  ``full`` waits ``uniform(0, d)``; ``equal`` waits ``d/2 + uniform(0, d/2)``. Full jitter is the
  default, as in Envoy. (Envoy's own bound grows as ``(2^n - 1) · base``: 25, 75, 175 ms; ours
  grows as 25, 50, 100 ms, the AWS formula. Both are capped at the same 250 ms.)
- ``retry_on`` names classes of failure, after Envoy's ``retry_on`` conditions; an error string
  (``"503 queue full"``, ``"502 dependency failed"``, ...) belongs to the classes
  :func:`error_classes` gives it. ``"5xx"`` covers every 5xx answer and also connection
  failures, resets and timeouts (Envoy: "or does not respond at all"); ``"gateway-error"`` is
  502, 503 and 504; ``"connect-failure"``, ``"reset"`` and ``"timeout"`` match those failures
  only; a three-digit code (``"503"``) matches that status. A failure the caller made itself
  without reaching any instance (``"502 no route to a dependency"``) is never retried, as Envoy
  never retries its local "no healthy upstream" answer.
- Budget: a retry may start while the retries in flight are fewer than
  ``max(min_retry_concurrency, floor(budget_percent / 100 · active requests))``; defaults 20 %
  and 3 (Envoy ``RetryBudget``; Envoy's resource manager truncates the product to an integer
  the same way). A retry holds its place from the moment it is decided, through its back-off
  wait, until its attempt ends.

Randomness comes only from the ``random.Random`` passed to :meth:`RetryPolicy.delay`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monkeyhouse.errors import UsageError
from monkeyhouse.model.resilience import (
    CAP_FACTOR,
    DEFAULT_BASE,
    JITTERS,
    NO_RETRIES,
    RETRY_CLASSES,
    Jitter,
    RetryPolicy,
    error_classes,
)

__all__ = [
    "CAP_FACTOR",
    "DEFAULT_BASE",
    "JITTERS",
    "NO_RETRIES",
    "RETRY_CLASSES",
    "Jitter",
    "RetryBudget",
    "RetryBudgetStatistics",
    "RetryPolicy",
    "attempts_per_request",
    "error_classes",
]


@dataclass(frozen=True, slots=True)
class RetryBudgetStatistics:
    """A snapshot of a retry budget.

    ``limit`` is the number of retries that may be in flight now; ``retries_overflow`` counts
    retries refused by the budget (Envoy's ``upstream_rq_retry_overflow``); ``peak_retries`` is
    the most retries ever in flight at once.
    """

    budget_percent: float
    min_retry_concurrency: int
    active_requests: int
    active_retries: int
    limit: int
    requests: int
    retries: int
    retries_overflow: int
    peak_retries: int


class RetryBudget:
    """Envoy's retry budget: concurrent retries as a share of the requests in flight.

    The owner counts requests with :meth:`request_started` and :meth:`request_finished` (once
    per request, whatever its number of attempts) and retries with :meth:`retry_started` (when
    the retry is decided: it holds its place during the back-off wait) and
    :meth:`retry_finished` (when that retry's attempt has ended). :meth:`allow_retry` says
    whether one more retry fits; :meth:`try_retry` checks, starts it or counts the refusal.
    """

    __slots__ = (
        "_fraction",
        "active_requests",
        "active_retries",
        "budget_percent",
        "min_retry_concurrency",
        "peak_retries",
        "requests",
        "retries",
        "retries_overflow",
    )

    def __init__(self, budget_percent: float = 20.0, min_retry_concurrency: int = 3) -> None:
        if not (isinstance(budget_percent, int | float) and 0.0 <= budget_percent <= 100.0):
            raise UsageError(
                f"retry budget: budget_percent must be between 0 and 100, got {budget_percent!r}"
            )
        if (
            isinstance(min_retry_concurrency, bool)
            or not isinstance(min_retry_concurrency, int)
            or min_retry_concurrency < 0
        ):
            raise UsageError(
                "retry budget: min_retry_concurrency must be a whole number >= 0, "
                f"got {min_retry_concurrency!r}"
            )
        self.budget_percent = float(budget_percent)
        self.min_retry_concurrency = min_retry_concurrency
        self._fraction = self.budget_percent / 100.0
        self.active_requests = 0
        self.active_retries = 0
        self.requests = 0
        self.retries = 0
        self.retries_overflow = 0
        self.peak_retries = 0

    def limit(self) -> int:
        """Retries allowed in flight now: ``max(min, floor(percent/100 · active requests))``."""
        return max(self.min_retry_concurrency, int(self._fraction * self.active_requests))

    def request_started(self) -> None:
        """A request (its first attempt) went out."""
        self.active_requests += 1
        self.requests += 1

    def request_finished(self) -> None:
        """A request ended: answered, or failed for good."""
        if self.active_requests <= 0:
            raise RuntimeError("request_finished without a request in flight")
        self.active_requests -= 1

    def allow_retry(self) -> bool:
        """Whether one more retry fits in the budget now (counts nothing)."""
        return self.active_retries < self.limit()

    def retry_started(self) -> None:
        """A retry was decided; it counts until :meth:`retry_finished`."""
        self.active_retries += 1
        self.retries += 1
        if self.active_retries > self.peak_retries:
            self.peak_retries = self.active_retries

    def retry_finished(self) -> None:
        """A retry's attempt ended (whatever its outcome)."""
        if self.active_retries <= 0:
            raise RuntimeError("retry_finished without a retry in flight")
        self.active_retries -= 1

    def try_retry(self) -> bool:
        """Start a retry when it fits (True), or count it as an overflow (False)."""
        if self.active_retries < self.limit():
            self.retry_started()
            return True
        self.retries_overflow += 1
        return False

    def statistics(self) -> RetryBudgetStatistics:
        """A frozen snapshot of the budget."""
        return RetryBudgetStatistics(
            budget_percent=self.budget_percent,
            min_retry_concurrency=self.min_retry_concurrency,
            active_requests=self.active_requests,
            active_retries=self.active_retries,
            limit=self.limit(),
            requests=self.requests,
            retries=self.retries,
            retries_overflow=self.retries_overflow,
            peak_retries=self.peak_retries,
        )


def attempts_per_request(retries_per_layer: Sequence[int]) -> int:
    """The most attempts one request can cause at the bottom of a chain of retrying layers.

    Each layer tries every call ``r + 1`` times, and each of those tries calls the layer below,
    so the worst case is the product of ``r + 1`` over the layers: three layers with 3 retries
    each make ``4 · 4 · 4 = 64`` attempts on a leaf that always fails.
    """
    total = 1
    for retries in retries_per_layer:
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries per layer must be whole numbers >= 0, got {retries!r}")
        total *= retries + 1
    return total
