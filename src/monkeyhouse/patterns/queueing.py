"""A station: the threads and cores of one instance, and the queues in front of them.

Two resources, as in a thread-per-request server:

- ``threads`` bound the requests an instance holds at once, from admission to the answer sent
  (a thread waits while the request's downstream calls are out). Arrivals beyond them wait in a
  FIFO backlog; when the backlog holds ``limit`` requests, a station that rejects answers the
  next arrival at once (HTTP 503, as Tomcat does past its accept count), while one that waits
  lets it queue anyway.
- ``cores`` bound the requests doing work (their service time) at once; a request that has a
  thread waits FIFO for a core, works, and frees the core before calling anything downstream.

With unbounded threads and ``c`` cores a station is the M/M/c queue of queueing theory; with
threads equal to cores every request keeps its core, the classic blocking server.
Time-weighted integrals give exact utilization (busy cores) and mean queue lengths over any
interval; metrics sample them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from monkeyhouse.engine import Environment

STARTED = 0
QUEUED = 1
REJECTED = 2
#: from :meth:`Station.arrive_working`: it holds a thread and a core
WORKING = 3

#: a number of threads or cores that never runs out
UNBOUNDED = 1_000_000


@dataclass(frozen=True, slots=True)
class StationStatistics:
    """A snapshot of a station.

    ``threads`` here counts the servers doing work (cores), ``busy`` the cores working now,
    ``queued`` the requests waiting (for a thread or a core) and ``in_flight`` every request the
    station holds. ``busy_time`` and ``queue_time`` are the integrals over time of ``busy`` and
    ``queued``; ``held_time`` the integral of requests holding a thread.
    """

    threads: int
    busy: int
    queued: int
    in_flight: int
    busy_time: float
    queue_time: float
    arrivals: int
    rejected: int
    completed: int
    max_threads: int
    held: int
    held_time: float


class Station:
    """Threads and cores with FIFO queues, with exact time-weighted occupancy."""

    __slots__ = (
        "arrivals",
        "backlog",
        "busy",
        "busy_time",
        "completed",
        "cores",
        "env",
        "held",
        "held_time",
        "last",
        "limit",
        "queue_time",
        "reject",
        "rejected",
        "runnable",
        "threads",
    )

    def __init__(
        self,
        env: Environment,
        threads: int,
        limit: int | None,
        reject: bool,
        cores: int = UNBOUNDED,
    ) -> None:
        if threads < 1 or cores < 1:
            raise ValueError(f"threads and cores must be at least 1, got {threads}, {cores}")
        self.env = env
        self.threads = threads
        self.cores = cores
        self.limit = limit
        self.reject = reject
        self.held = 0
        self.busy = 0
        # the queues are made when first needed: most stations of a big run never queue, and
        # an empty deque costs more memory than the rest of the station
        self.backlog: deque[Any] | None = None
        self.runnable: deque[Any] | None = None
        self.busy_time = 0.0
        self.queue_time = 0.0
        self.held_time = 0.0
        self.last = env.now
        self.arrivals = 0
        self.rejected = 0
        self.completed = 0

    def _advance(self) -> None:
        """Bring the time-weighted integrals up to now (every change calls this first)."""
        now = self.env.now
        elapsed = now - self.last
        if elapsed:
            self.busy_time += self.busy * elapsed
            if self.backlog or self.runnable:  # empty queues add exactly 0.0
                self.queue_time += self._waiting() * elapsed
            self.held_time += self.held * elapsed
            self.last = now

    def _backlog(self) -> int:
        return len(self.backlog) if self.backlog else 0

    def _waiting(self) -> int:
        return (len(self.backlog) if self.backlog else 0) + (
            len(self.runnable) if self.runnable else 0
        )

    def _queue_or_reject(self, job: Any) -> int:
        """No thread is free: the job waits in the backlog, or a full rejecting one refuses it."""
        if self.reject and self.limit is not None and self._backlog() >= self.limit:
            self.rejected += 1
            return REJECTED
        if self.backlog is None:
            self.backlog = deque()
        self.backlog.append(job)
        return QUEUED

    # -- threads ---------------------------------------------------------------------------
    def arrive(self, job: Any) -> int:
        """A request arrives: STARTED (it holds a thread now), QUEUED or REJECTED."""
        self._advance()
        self.arrivals += 1
        if self.held < self.threads:
            self.held += 1
            return STARTED
        return self._queue_or_reject(job)

    def release(self) -> Any:
        """A request was answered: the next backlog job (it takes the thread), or None."""
        self._advance()
        self.completed += 1
        if self.backlog:
            return self.backlog.popleft()
        self.held -= 1
        return None

    # -- cores -----------------------------------------------------------------------------
    def want_core(self, job: Any) -> bool:
        """True when a core is free for ``job`` now; otherwise it waits in the run queue."""
        self._advance()
        if self.busy < self.cores:
            self.busy += 1
            return True
        if self.runnable is None:
            self.runnable = deque()
        self.runnable.append(job)
        return False

    def free_core(self) -> Any:
        """Work done: the next runnable job (it takes the core), or None."""
        self._advance()
        if self.runnable:
            return self.runnable.popleft()
        self.busy -= 1
        return None

    def arrive_working(self, job: Any) -> int:
        """``arrive`` then, when it started, ``want_core``: WORKING when it got both at once.

        One call instead of two on the common path; the same effects as the two in turn.
        """
        self._advance()
        self.arrivals += 1
        if self.held < self.threads:
            self.held += 1
            # the integrals are up to now: want_core's advance would do nothing
            if self.busy < self.cores:
                self.busy += 1
                return WORKING
            if self.runnable is None:
                self.runnable = deque()
            self.runnable.append(job)
            return STARTED
        return self._queue_or_reject(job)

    def statistics(self) -> StationStatistics:
        """A snapshot, with the integrals brought up to now."""
        self._advance()
        waiting = self._waiting()
        return StationStatistics(
            threads=min(self.cores, self.threads),
            busy=self.busy,
            queued=waiting,
            in_flight=self.held + self._backlog(),
            busy_time=self.busy_time,
            queue_time=self.queue_time,
            arrivals=self.arrivals,
            rejected=self.rejected,
            completed=self.completed,
            max_threads=self.threads,
            held=self.held,
            held_time=self.held_time,
        )
