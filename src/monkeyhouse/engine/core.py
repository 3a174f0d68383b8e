"""The event loop: a binary heap of distinct times, each with a FIFO bucket of entries.

Callbacks, not generators, run on the hot path. The heap holds plain floats (one per distinct
pending time), which compare several times faster than ``[time, sequence, ...]`` lists; a dict
maps each time to the list of entries due then, in scheduling order. Ties in time therefore
break by scheduling order (first scheduled, first run), and a run is deterministic. An entry
scheduled for the time now running (a zero delay) goes into a fresh bucket for that time and
runs after every entry already due then.

An entry is a small list ``[time, callback, argument]``; the handle returned by
:meth:`Environment.schedule` is that list. A cancelled entry has its callback replaced by
``None`` and is skipped when its time comes, never searched for and removed. Periodic work uses
:meth:`Environment.every`: one entry per ticker, whatever the number of things it serves,
rescheduled in place after each tick.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from heapq import heappop, heappush
from typing import Any

from monkeyhouse.engine.clock import Clock, SimulatedClock

#: A scheduled entry; keep it to cancel it with :meth:`Environment.cancel`.
Handle = list[Any]

_CALLBACK = 1
_ARG = 2


@dataclass(frozen=True, slots=True)
class EngineStatistics:
    """A snapshot of the engine: simulated time, events run and events pending."""

    now: float
    events_processed: int
    pending: int


class Environment:
    """Simulated time and the queue of things still to happen."""

    __slots__ = ("_buckets", "_clock", "_stop", "_times", "events_processed", "now")

    def __init__(self, clock: Clock | None = None) -> None:
        self.now = 0.0
        self.events_processed = 0
        #: Distinct pending times, a binary heap of floats.
        self._times: list[float] = []
        #: Entries due at each pending time, in scheduling order.
        self._buckets: dict[float, list[Handle]] = {}
        self._stop = False
        self._clock: Clock = clock if clock is not None else SimulatedClock()

    def schedule(self, delay: float, callback: Callable[[Any], object], arg: Any = None) -> Handle:
        """Call ``callback(arg)`` after ``delay`` simulated seconds; return a handle."""
        if delay >= 0:  # also refuses NaN
            time = self.now + delay
            entry = [time, callback, arg]
            buckets = self._buckets
            bucket = buckets.get(time)  # most times are new: no list made just to be dropped
            if bucket is None:
                buckets[time] = [entry]
                heappush(self._times, time)
            else:
                bucket.append(entry)
            return entry
        raise ValueError(f"delay must be >= 0, got {delay}")

    def schedule_at(
        self, time: float, callback: Callable[[Any], object], arg: Any = None
    ) -> Handle:
        """Call ``callback(arg)`` at absolute simulated ``time`` (a time in the past means now)."""
        if time < self.now:
            time = self.now
        elif not time >= self.now:
            raise ValueError(f"time must be a number, got {time}")
        entry = [time, callback, arg]
        self._enqueue(entry)
        return entry

    def _enqueue(self, entry: Handle) -> None:
        """Put ``entry`` last in the bucket of its time."""
        time = entry[0]
        buckets = self._buckets
        bucket = buckets.get(time)
        if bucket is None:
            buckets[time] = [entry]
            heappush(self._times, time)
        else:
            bucket.append(entry)

    @staticmethod
    def cancel(handle: Handle) -> None:
        """Cancel a scheduled entry or a ticker; it is skipped when its time comes.

        Cancelling an entry that already ran, or twice, does nothing.
        """
        handle[_CALLBACK] = None

    def every(
        self,
        interval: float,
        callback: Callable[[float], object],
        *,
        start: float | None = None,
        until: float | None = None,
    ) -> Handle:
        """Call ``callback(now)`` every ``interval`` seconds, first at ``start``.

        ``start`` defaults to now + ``interval``; a ``start`` in the past means now. The last call
        is at or before ``until`` when given (a ``start`` after ``until`` means no call at all).
        Returns a handle; :meth:`cancel` or :meth:`stop_ticker` on it stops the ticker, also
        from within ``callback``. The ticker is one entry, rescheduled in place.
        """
        if not interval > 0:
            raise ValueError(f"interval must be > 0, got {interval}")
        first = self.now + interval if start is None else max(start, self.now)
        if not first >= self.now:
            raise ValueError(f"start must be a number, got {start}")
        enqueue = self._enqueue

        def tick(count: int) -> None:
            callback(entry[0])
            # first + k * interval, not a running sum: no drift, so every(0.01, until=2.0)
            # ticks 200 times and its last tick is at exactly 2.0.
            following = first + (count + 1) * interval
            if entry[_CALLBACK] is not None and (until is None or following <= until):
                entry[0] = following
                entry[_ARG] = count + 1
                enqueue(entry)

        entry: Handle = [first, tick, 0]
        if until is None or first <= until:
            enqueue(entry)
        else:
            entry[_CALLBACK] = None
        return entry

    @staticmethod
    def stop_ticker(ticker: Handle) -> None:
        """Stop a ticker made by :meth:`every` (the same as :meth:`cancel`)."""
        ticker[_CALLBACK] = None

    def stop(self) -> None:
        """Ask the loop to return after the event now running."""
        self._stop = True

    def peek(self) -> float:
        """Time of the next live entry, or infinity when nothing is pending."""
        times = self._times
        buckets = self._buckets
        while times:
            time = times[0]
            for entry in buckets[time]:
                if entry[_CALLBACK] is not None:
                    return time
            heappop(times)
            del buckets[time]
        return float("inf")

    def run(self, until: float | None = None) -> None:
        """Run events in time order until the queue is empty, ``until`` is reached or stop().

        Events at exactly ``until`` run; simulated time ends at ``until`` when given (unless
        stopped). A callback that raises propagates out of ``run``; the entries not yet run stay
        pending, so ``run`` may be called again.
        """
        if not isinstance(self._clock, SimulatedClock):
            self._run_paced(until)
            return
        times = self._times
        buckets = self._buckets
        pop_bucket = buckets.pop
        limit = float("inf") if until is None else until
        self._stop = False
        bucket: list[Handle] | None = None
        entry: Handle | None = None
        try:
            while times:
                time = heappop(times)  # times are distinct: popping first changes no order
                if time > limit:
                    heappush(times, time)
                    break
                bucket = pop_bucket(time)
                for entry in bucket:  # literal indices: _CALLBACK and _ARG cost a lookup
                    callback = entry[1]
                    if callback is None:
                        continue
                    self.now = time
                    self.events_processed += 1
                    callback(entry[2])
                    if self._stop:
                        break
                else:
                    continue
                break
        finally:
            if bucket is not None and bucket[-1] is not entry:
                self._requeue_after(bucket, entry)
        if until is not None and not self._stop and self.now < until:
            self.now = until

    def _requeue_after(self, bucket: list[Handle], entry: Handle | None) -> None:
        """Put back, first in line, the entries of ``bucket`` after ``entry`` (stop or error)."""
        index = next(i for i, item in enumerate(bucket) if item is entry)
        rest = bucket[index + 1 :]
        time = self.now
        later = self._buckets.get(time)
        if later is None:
            self._buckets[time] = rest
            heappush(self._times, time)
        else:
            self._buckets[time] = rest + later

    def _run_paced(self, until: float | None) -> None:
        """The same loop, one entry at a time, waiting for the clock before each (live mode)."""
        times = self._times
        buckets = self._buckets
        limit = float("inf") if until is None else until
        self._stop = False
        self._clock.start(self.now)
        while True:
            time = self.peek()
            if not times or time > limit:
                break
            self._clock.wait_until(time)
            if self._stop:
                break
            # The bucket may have changed while waiting (another thread may cancel or stop).
            time = times[0]
            bucket = buckets[time]
            entry = bucket.pop(0)
            if not bucket:
                heappop(times)
                del buckets[time]
            callback = entry[_CALLBACK]
            if callback is None:
                continue
            self.now = time
            self.events_processed += 1
            callback(entry[_ARG])
            if self._stop:
                break
        if until is not None and not self._stop and self.now < until:
            self._clock.wait_until(until)
            self.now = until

    def statistics(self) -> EngineStatistics:
        """A frozen snapshot of the engine's state."""
        pending = sum(
            1
            for bucket in self._buckets.values()
            for entry in bucket
            if entry[_CALLBACK] is not None
        )
        return EngineStatistics(self.now, self.events_processed, pending)
