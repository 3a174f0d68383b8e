"""Spans: what one hop of one request did, as the runtime reports it to instruments.

Every call between two instances makes two spans, as Zipkin, OpenTelemetry and Jaeger model RPCs:
a CLIENT span on the caller (from sending the request to receiving the response) and a SERVER
span on the callee (from the request's arrival, through any wait in the queue and the work, to
sending the response). The server span is the child of the client span; the client span is the
child of the server span of the request that caused the call (none for the traffic source).

Ids are positive integers from one counter per run (deterministic); exporters turn them into
the hex strings each format wants. Times are simulated seconds; exporters add the run's epoch.
Spans are only made when an instrument asks for them, so a run without instruments pays nothing.
"""

from __future__ import annotations

from typing import Any

CLIENT = 3
SERVER = 2

#: the error strings a span can end with ("" means it succeeded)
REJECTED = "503 queue full"
NO_ROUTE = "502 no route to a dependency"
DEPENDENCY_FAILED = "502 dependency failed"
TARGET_DEAD = "502 connection refused: the instance is gone"
TIMED_OUT = "504 timeout: no answer in time"
SHORT_CIRCUITED = "503 short-circuited: the breaker is open"
POOL_REJECTED = "503 rejected: the dependency's thread pool is full"
PERMIT_REJECTED = "503 rejected: the dependency's semaphore is full"


class Span:
    """One side of one call.

    ``instance`` is the instance the span belongs to (the local endpoint) and ``peer`` the other
    side (the remote endpoint). ``name`` is the operation (``get``, ``put``, ``replicate``).
    ``queued`` is the time a SERVER span waited for a thread; ``service`` the time it worked.
    """

    __slots__ = (
        "end",
        "error",
        "instance",
        "kind",
        "name",
        "parent",
        "peer",
        "queued",
        "service",
        "span",
        "start",
        "trace",
    )

    def __init__(
        self,
        trace: int,
        span: int,
        parent: int,
        kind: int,
        name: str,
        instance: Any,
        peer: Any,
        start: float,
    ) -> None:
        self.trace = trace
        self.span = span
        self.parent = parent
        self.kind = kind
        self.name = name
        self.instance = instance
        self.peer = peer
        self.start = start
        self.end = start
        self.error = ""
        self.queued = 0.0
        self.service = 0.0

    @property
    def duration(self) -> float:
        """Seconds from start to end."""
        return self.end - self.start

    def __repr__(self) -> str:
        side = "CLIENT" if self.kind == CLIENT else "SERVER"
        error = f" {self.error}" if self.error else ""
        return (
            f"<Span t{self.trace} s{self.span} p{self.parent} {side} {self.name} "
            f"{self.instance.name} {self.start:.6f}+{self.duration:.6f}{error}>"
        )
