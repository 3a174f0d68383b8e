"""The base of every behaviour: one object per service, serving requests for its instances.

A request that arrives at an instance waits for one of the instance's threads (its station),
takes a service time drawn from the service's distribution, then does what the package does
with it (``serve``): answer it (a leaf), route it to one dependency, call its dependencies in
sequence or in parallel (fan-out), or try storage tiers in turn. The thread is held until the
answer has been sent, as in a thread-per-request server that waits on its downstream calls.
A full queue that rejects answers 503 at once; a request with nowhere to go answers 502;
a dependency's failure fails the request (timeouts, retries and fallbacks come later).

Every call makes a CLIENT span on the caller and a SERVER span on the callee when an instrument
asks for spans (``Context.span_observers``); otherwise no span objects are made at all.
Background replication between storage nodes takes threads and cores like any request but is
not part of any request's latency, so it makes no spans (traces stay trees of the request).

Behaviours register for a package name through the ``monkeyhouse.behaviours`` entry point
group, the built-in ones exactly like third-party ones. ``same_zone`` (karyon and zuul route
within their zone) and ``deregisters`` (the instance tells its registry it is leaving, which
writes spigo's ``done`` entries) describe how the package is wired.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any, ClassVar

from monkeyhouse.behaviours.context import Context
from monkeyhouse.behaviours.messages import (
    GET,
    GOLD_COIN,
    NAME_DROP,
    PUT,
    REPLICATE,
    RESPONSE,
    Message,
)
from monkeyhouse.behaviours.spans import (
    CLIENT,
    DEPENDENCY_FAILED,
    NO_ROUTE,
    PERMIT_REJECTED,
    POOL_REJECTED,
    REJECTED,
    SERVER,
    SHORT_CIRCUITED,
    TIMED_OUT,
    Span,
)
from monkeyhouse.errors import UsageError
from monkeyhouse.model.architecture import EUREKA
from monkeyhouse.model.distributions import Exponential, Fixed, LogNormal
from monkeyhouse.model.timing import CallSettings
from monkeyhouse.patterns import command as events
from monkeyhouse.patterns.breaker import HystrixBreaker
from monkeyhouse.patterns.command import Command, CommandGroup, CommandStatistics
from monkeyhouse.patterns.discovery import View
from monkeyhouse.patterns.outlier import OutlierDetector
from monkeyhouse.patterns.queueing import QUEUED, STARTED, WORKING, Station
from monkeyhouse.topology.instances import Instance, ServiceRuntime

OPERATIONS = {GET: "get", PUT: "put", REPLICATE: "replicate"}

#: storage tiers in the order a tiered service (staash) reads them
TIER_ORDER = ("cache", "volume", "priamCassandra", "store", "staash")
TIER_OF = {"cache": 0, "volume": 1, "priamCassandra": 2, "riak": 2, "store": 3, "staash": 4}


class Work:
    """A request an instance is serving: from arrival to the answer it sends."""

    __slots__ = (
        "error",
        "holds",
        "instance",
        "pending",
        "request",
        "server",
        "span_id",
        "step",
        "steps",
        "tier",
        "value",
    )

    def __init__(self, instance: Instance, request: Message, span_id: int) -> None:
        self.instance = instance
        self.request = request
        self.span_id = span_id
        self.server: Span | None = None
        self.pending = 0
        self.steps: list[list[int]] | None = None
        self.step = 0
        self.tier = 0
        self.error = ""
        self.value: Any = ""
        #: whether the request holds one of the instance's threads (peers' requests inside a
        #: cluster may not)
        self.holds = True


class Execution:
    """One protected call of a request to a dependency: its attempts, then maybe a fallback.

    ``request`` is the attempt in flight (None between attempts, and once the attempt has timed
    out, so a late answer is recognised and dropped).
    """

    __slots__ = (
        "attempt",
        "command",
        "falling_back",
        "group",
        "index",
        "key",
        "kind",
        "request",
        "retrying",
        "sent",
        "started",
        "target",
        "value",
        "work",
    )

    def __init__(
        self,
        work: Work,
        index: int,
        group: CommandGroup,
        command: Command,
        now: float,
        kind: int,
        key: str,
        value: Any,
    ) -> None:
        self.work = work
        self.kind = kind
        self.key = key
        self.value = value
        self.index = index
        self.group = group
        self.command = command
        self.started = now
        self.sent = now
        self.attempt = 0
        self.target: Instance | None = None
        self.request: Message | None = None
        self.retrying = False
        self.falling_back = False


def sampler(distribution: Any, rng: random.Random) -> Callable[[], float]:
    """``distribution.sample(rng)`` as a function of nothing, with the same draws.

    The common distributions are drawn through the stream's own bound methods (one Python call
    fewer per draw); any other goes through its ``sample``.
    """
    kind = type(distribution)
    if kind is Fixed:
        value = distribution.value

        def fixed() -> float:
            return value  # type: ignore[no-any-return]

        return fixed
    if kind is LogNormal:
        gauss = rng.gauss
        exp = math.exp
        mu = distribution.mu
        sigma = distribution.sigma

        def lognormal() -> float:
            return exp(gauss(mu, sigma))

        return lognormal
    if kind is Exponential:
        uniform = rng.random
        log = math.log
        mean = distribution.mean

        def exponential() -> float:
            return -mean * log(1.0 - uniform())  # type: ignore[no-any-return]

        return exponential
    sample = distribution.sample

    def other() -> float:
        return sample(rng)  # type: ignore[no-any-return]

    return other


class Behaviour:
    """What the instances of one service do with the messages they receive."""

    package: ClassVar[str] = ""
    description: ClassVar[str] = ""
    same_zone: ClassVar[bool] = False
    deregisters: ClassVar[bool] = False
    #: whether instances have threads and a queue (pirates do not)
    serves_requests: ClassVar[bool] = True
    #: whether a request from a peer of the same service takes one of the request threads
    #: (False for clusters whose nodes answer each other on an internal stage: Cassandra)
    peers_hold_threads: ClassVar[bool] = True

    def __init__(self, context: Context, service: ServiceRuntime) -> None:
        self.context = context
        self.service = service
        self.env = context.env
        self.rng = context.rng(f"behaviour/{service.name}")
        timing = context.timing_of(service)
        self.timing = timing
        self._service_time = timing.service_time.sample
        #: one draw of the service time from ``rng`` (the same draws as ``_service_time``)
        self._draw = sampler(timing.service_time, self.rng)
        self._fixed_zero = timing.service_time.mean == 0.0
        self._schedule = self.env.schedule
        self._worked_later = self._worked
        self.calls = context.calls_of(service)
        weights = {c.weight for c in self.calls}
        self._weighted = len(weights) > 1
        self.dispatch = timing.dispatch
        self._tier_cache: dict[int, list[list[View]]] = {}
        #: fan_out's plan when it is always the same, and the call settings it was made from
        self._plan: list[list[int]] = []
        self._plan_of: tuple[CallSettings, ...] | None = None
        self.groups = self._command_groups(context, service)
        self._protecting = any(group is not None for group in self.groups)
        self._expire_later = self._expire
        self._retry_later = self._retry
        self.picked_view = 0
        self.received = 0
        self.requests = 0
        self.responses = 0
        self.dropped = 0
        self.rejected = 0
        self.failed = 0

    @staticmethod
    def _command_groups(context: Context, service: ServiceRuntime) -> list[CommandGroup | None]:
        """A command group per protected dependency (None where calls go unprotected)."""
        spec = service.spec
        settings = context.resilience_of(service)
        names = [d.service for d in spec.dependencies if d.service != EUREKA]
        groups: list[CommandGroup | None] = []
        for name, protection in zip(names, settings, strict=True):
            if not protection.active:
                groups.append(None)
                continue
            group = CommandGroup(service.name, name, protection)
            fallback = protection.fallback
            if fallback is not None and fallback.kind == "call":
                if fallback.service not in names:
                    raise UsageError(
                        f"service {service.name!r}, dependency {name!r}: fallback calls "
                        f"{fallback.service!r}, which is not one of its dependencies (known: "
                        f"{', '.join(names)}); list it with probability: 0 to call it only "
                        "as a fallback"
                    )
                group.fallback_index = names.index(fallback.service)
            groups.append(group)
        return groups

    # -- life cycle ------------------------------------------------------------------------
    def start(self, instance: Instance) -> None:
        """Give a starting instance its threads and queue."""
        if self.serves_requests:
            timing = self.timing
            instance.station = Station(
                self.env, timing.threads, timing.queue, timing.on_full == "reject", timing.cores
            )

    def launch(self, instances: list[Instance]) -> None:
        """Called once when every instance of the run is up (pirates meet each other here)."""

    def run_until(self, until: float) -> None:
        """The run ends at ``until``: behaviours with rhythms of their own stop there."""

    def stop(self, instance: Instance) -> None:
        """``instance`` is going away."""

    # -- messages --------------------------------------------------------------------------
    def receive(self, instance: Instance, message: Message) -> None:
        """Dispatch ``message`` by kind."""
        self.received += 1
        kind = message.kind
        if kind == RESPONSE:
            self.responses += 1
            self._answered(instance, message)
        elif kind in (GET, PUT, REPLICATE):
            self.requests += 1
            self._arrive(instance, message)
        elif kind == NAME_DROP:
            self.on_name_drop(instance, message)
        elif kind == GOLD_COIN:
            self.on_gold_coin(instance, message)
        else:
            self.dropped += 1

    def on_name_drop(self, instance: Instance, message: Message) -> None:
        """Someone told this instance about another one."""
        self.dropped += 1

    def on_gold_coin(self, instance: Instance, message: Message) -> None:
        """Someone gave this instance gold."""
        self.dropped += 1

    # -- serving ---------------------------------------------------------------------------
    def _arrive(self, instance: Instance, request: Message) -> None:
        context = self.context
        context._next_span += 1  # next_span(), inlined
        work = Work(instance, request, context._next_span)
        if context.span_observers and request.kind != REPLICATE:
            work.server = Span(
                request.trace,
                work.span_id,
                request.span,
                SERVER,
                OPERATIONS.get(request.kind, "call"),
                instance,
                request.sender,
                self.env.now,
            )
        station = instance.station
        if station is None:
            self._begin(work)
            return
        if not self.peers_hold_threads and request.sender.service is self.service:
            # a peer's request inside the cluster is served by the node's internal stage: it
            # needs a core but no request thread, so coordinators cannot deadlock each other
            work.holds = False
            self._begin(work)
            return
        if self._fixed_zero:
            outcome = station.arrive(work)
            if outcome == STARTED:
                server = work.server
                if server is not None:
                    server.queued = self.env.now - server.start
                self.serve(work)
                return
        else:
            # arrive, then want_core when it started: one call for both
            outcome = station.arrive_working(work)
            if outcome == WORKING:
                self._work(work)
                return
            if outcome == STARTED:
                return  # it holds a thread and waits for a core
        if outcome != QUEUED:
            self.rejected += 1
            work.error = REJECTED
            self._finish(work, release=False)

    def _begin(self, work: Work) -> None:
        """``work`` holds a thread: it needs a core for its service time, then serves."""
        if self._fixed_zero:
            self._account_wait(work)
            self.serve(work)
            return
        station = work.instance.station
        if station is None or station.want_core(work):
            self._work(work)

    def _account_wait(self, work: Work) -> None:
        server = work.server
        if server is not None:
            server.queued = self.env.now - server.start

    def _work(self, work: Work) -> None:
        delay = self._draw()
        server = work.server
        if server is not None:
            server.queued = self.env.now - server.start
            server.service = delay
        self._schedule(delay, self._worked_later, work)

    def _worked(self, work: Work) -> None:
        instance = work.instance
        station = instance.station
        if station is not None:
            following = station.free_core()
            if following is not None:
                self._work(following)
        if instance.alive:
            self.serve(work)

    def serve(self, work: Work) -> None:
        """The package's part, once the work is done, by the service's dispatch."""
        dispatch = self.dispatch
        if dispatch == "route":
            self.route(work)
        elif dispatch == "fanout":
            self.fan_out(work)
        elif dispatch == "tiers":
            self.tiers(work)
        else:
            self.serve_leaf(work)

    def serve_leaf(self, work: Work) -> None:
        """Answer from here (packages that hold data override this)."""
        self.answer(work, "")

    def answer(self, work: Work, value: Any) -> None:
        """Answer ``work``'s request with ``value`` (the request succeeded)."""
        work.value = value
        self._finish(work)

    def fail(self, work: Work, error: str) -> None:
        """Answer ``work``'s request with an error."""
        work.error = error
        self._finish(work)

    def _finish(self, work: Work, release: bool = True) -> None:
        instance = work.instance
        request = work.request
        error = work.error
        if error:
            self.failed += 1
        context = self.context
        if request.kind != REPLICATE:
            response = Message(
                RESPONSE,
                instance,
                request.reply_to,
                request.trace,
                request.parent,
                request.span,
                request.key,
                work.value,
                request,
            )
            response.error = error
            context.send(response, request.reply_bytes)
        server = work.server
        if server is not None:
            server.end = self.env.now
            server.error = error
            context.emit_span(server)
        if release and work.holds:
            station = instance.station
            if station is not None:
                following = station.release()
                if following is not None:
                    self._begin(following)

    # -- calling ---------------------------------------------------------------------------
    def call(
        self,
        work: Work | None,
        source: Instance,
        target: Instance,
        kind: int,
        key: str,
        value: Any = "",
        trace: int = 0,
        parent: int = 0,
        request_bytes: int = 0,
        reply_bytes: int = 0,
    ) -> Message:
        """Send a request from ``source`` to ``target`` on behalf of ``work`` (None: nobody waits).

        The request is a new span whose parent is ``work``'s server span (or ``parent``).
        """
        context = self.context
        context._next_span += 1  # next_span(), inlined
        span = context._next_span
        if work is not None:
            link: Message | None = work.request
            trace = link.trace  # type: ignore[union-attr]
            parent = work.span_id
            work.pending += 1
        else:
            link = None
            if not trace:
                trace = span
        message = Message(kind, source, target, trace, parent, span, key, value, link)
        message.work = work
        message.reply_bytes = reply_bytes
        if context.span_observers and kind != REPLICATE:
            message.client = Span(
                trace,
                span,
                parent,
                CLIENT,
                OPERATIONS.get(kind, "call"),
                source,
                target,
                self.env.now,
            )
        context.send(message, request_bytes)
        return message

    def _answered(self, instance: Instance, response: Message) -> None:
        request = response.link
        if request is None:
            return
        if type(request.work) is Execution:
            self._attempt_answered(request.work, request, response)
            return
        client = request.client
        if client is not None:
            client.end = self.env.now
            client.error = response.error
            self.context.emit_span(client)
        work = request.work
        if work is None:
            self.on_answer(instance, request, response)
            return
        work.pending -= 1
        self.on_response(work, request, response)

    def on_answer(self, instance: Instance, request: Message, response: Message) -> None:
        """An answer to a request nobody waits for (the traffic source's own)."""

    def on_response(self, work: Work, request: Message, response: Message) -> None:
        """An answer to one of ``work``'s calls: go on with the plan when all are in."""
        if self.dispatch == "tiers":
            self._tier_answer(work, request.kind, response.error, response.value)
            return
        self._dependency_done(work, response.error, response.value)

    def _dependency_done(self, work: Work, error: str, value: Any) -> None:
        """One of ``work``'s calls ended with ``error`` or ``value``: go on when all are in."""
        if error and not work.error:
            work.error = DEPENDENCY_FAILED
        if value not in ("", None):
            work.value = value
        if work.pending == 0:
            self.next_step(work)

    # -- plans: route to one dependency, or fan out to all ---------------------------------
    def pick(self, instance: Instance, views: tuple[View, ...] | list[View] | None = None) -> Any:
        """A random live target among ``views`` (default: all of the instance's), never itself.

        spigo's ribbon routing: uniform over every instance in the routing table.
        """
        if views is None:
            views = instance.views
        if len(views) == 1:
            # one view (the common case): the same draws as the general loop below
            live = views[0].live
            total = len(live)
            if total == 0:
                return None
            uniform = self.rng.random
            self.picked_view = 0
            for _ in range(8):
                chosen: Any = live[int(uniform() * total)]
                if chosen is not instance:
                    return chosen
                if total == 1:
                    return None
            return None
        total = 0
        for view in views:
            total += len(view.live)
        if total == 0:
            return None
        rng = self.rng
        chosen = None
        for _ in range(8):
            r = int(rng.random() * total)
            for index, view in enumerate(views):
                live = view.live
                if r < len(live):
                    chosen = live[r]
                    self.picked_view = index
                    break
                r -= len(live)
            if chosen is not instance:
                return chosen
            if total == 1:
                return None
        return None

    def route(self, work: Work) -> None:
        """Send the request on to one dependency instance (weighted by dependency if set)."""
        instance = work.instance
        views = instance.views
        if self._weighted:
            live = [(i, v) for i, v in enumerate(views) if v.live]
            if not live:
                self.fail(work, NO_ROUTE)
                return
            total = sum(self.calls[i].weight for i, _ in live)
            r = self.rng.random() * total
            index = live[-1][0]
            for i, _ in live:
                r -= self.calls[i].weight
                if r < 0:
                    index = i
                    break
            target = self.pick(instance, (views[index],))
        else:
            target = self.pick(instance)
            index = self.picked_view
        if target is None:
            self.fail(work, NO_ROUTE)
            return
        self._pass_on(work, target, index)

    def _pass_on(self, work: Work, target: Instance | None, index: int) -> None:
        """Call ``target`` (of dependency ``index``) with ``work``'s request, sized as set.

        ``target`` is None only on a protected edge whose load balancer found nobody: the
        command counts that as a failure (Ribbon's "no server available" inside a Hystrix
        command), and its fallback may answer.
        """
        request = work.request
        if self._protecting:
            group = self.groups[index]
            if group is not None:
                self._protected(
                    work, target, index, group, request.kind, request.key, request.value
                )
                return
        if target is None:
            self.fail(work, NO_ROUTE)
            return
        settings = self.calls[index]
        self.call(
            work,
            work.instance,
            target,
            request.kind,
            request.key,
            request.value,
            request_bytes=settings.request_bytes,
            reply_bytes=settings.response_bytes,
        )

    def fan_out(self, work: Work) -> None:
        """Plan calls to every dependency (probability, calls, sequence or parallel) and start."""
        calls = self.calls
        if self._plan_of is calls:
            # every call is certain: the plan is always the same (and draws nothing); plans are
            # only read, so one list serves every request
            work.steps = self._plan
            work.step = 0
            self.next_step(work)
            return
        steps: list[list[int]] = []
        group: list[int] | None = None
        rng = self.rng
        for index, settings in enumerate(self.calls):
            if settings.probability < 1.0 and rng.random() >= settings.probability:
                continue
            for _ in range(settings.calls):
                if settings.mode == "parallel":
                    if group is None:
                        group = []
                        steps.append(group)
                    group.append(index)
                else:
                    group = None
                    steps.append([index])
        if all(settings.probability >= 1.0 for settings in calls):
            self._plan = steps
            self._plan_of = calls
        work.steps = steps
        work.step = 0
        self.next_step(work)

    def next_step(self, work: Work) -> None:
        """Start the plan's next step, or answer when the plan is done or has failed."""
        steps = work.steps
        if work.error or steps is None or work.step >= len(steps):
            self._finish(work)
            return
        indices = steps[work.step]
        work.step += 1
        instance = work.instance
        views = instance.views
        # hold the step open while its calls go out: a protected call can end at once (short-
        # circuited, rejected, or served by its fallback) and must not finish the step early
        work.pending += 1
        for index in indices:
            target = self.pick(instance, (views[index],))
            if target is None and not (self._protecting and self.groups[index] is not None):
                work.error = NO_ROUTE
                continue
            self._pass_on(work, target, index)
        work.pending -= 1
        if work.pending == 0:
            self.next_step(work)

    # -- protected calls: breaker, bulkhead, timeout, retries, fallback --------------------
    def _protected(
        self,
        work: Work,
        target: Instance | None,
        index: int,
        group: CommandGroup,
        kind: int,
        key: str,
        value: Any,
    ) -> None:
        """Start a protected call of ``work`` to dependency ``index``; it answers once."""
        command = group.command(work.instance.id)
        work.pending += 1
        execution = Execution(work, index, group, command, self.env.now, kind, key, value)
        budget = command.budget
        if budget is not None:
            budget.request_started()
        self._attempt(execution, target)

    def _attempt(self, execution: Execution, target: Instance | None) -> None:
        """Try ``target`` if the breaker and the bulkhead let the attempt through."""
        now = self.env.now
        group = execution.group
        command = execution.command
        outlier = command.outlier
        if outlier is not None and target is not None and outlier.ejected(target, now):
            target = self._eligible(execution, outlier, target, now)
        breaker = command.breaker
        if breaker is not None and not breaker.allow(now):
            group.count(events.SHORT_CIRCUITED, now, command)
            self._retry_over(execution)
            self._fall_back(execution, SHORT_CIRCUITED)
            return
        if target is None:
            # nobody to call: a failure of the command at once, never retried
            group.count(events.FAILURE, now, command)
            self._retry_over(execution)
            if breaker is not None and not isinstance(breaker, HystrixBreaker):
                breaker.record(now, False, 0.0)
            self._fall_back(execution, NO_ROUTE)
            return
        bulkhead = group.settings.bulkhead
        if bulkhead is not None and command.active >= bulkhead.size:
            if bulkhead.kind == "threadpool" and len(command.waiting) < bulkhead.queue:
                command.waiting.append((execution, target))
                return
            if breaker is not None and not isinstance(breaker, HystrixBreaker):
                breaker.release(now)
            self._retry_over(execution)
            if bulkhead.kind == "threadpool":
                group.count(events.POOL_REJECTED, now, command)
                self._fall_back(execution, POOL_REJECTED)
            else:
                group.count(events.SEMAPHORE_REJECTED, now, command)
                self._fall_back(execution, PERMIT_REJECTED)
            return
        self._send_attempt(execution, target)

    def _eligible(
        self, execution: Execution, outlier: OutlierDetector, target: Instance, now: float
    ) -> Instance:
        """A uniform pick among the view's hosts not ejected (``target`` when all are: panic)."""
        instance = execution.work.instance
        live = instance.views[execution.index].live
        hosts = [h for h in live if h is not instance and not outlier.ejected(h, now)]
        if not hosts:
            return target  # Envoy's panic routing: every host is ejected, use them anyway
        return hosts[int(self.rng.random() * len(hosts))]  # type: ignore[no-any-return]

    def _send_attempt(self, execution: Execution, target: Instance) -> None:
        now = self.env.now
        group = execution.group
        if group.settings.bulkhead is not None:
            group.started(execution.command, now)
        else:
            group.concurrent += 1
        execution.attempt += 1
        execution.sent = now
        execution.target = target
        self._send_for(execution, target, execution.index)

    def _send_for(self, execution: Execution, target: Instance, index: int) -> None:
        """Send ``execution``'s request to ``target`` of dependency ``index``, with its deadline."""
        work = execution.work
        settings = self.calls[index]
        message = self.call(
            work,
            work.instance,
            target,
            execution.kind,
            execution.key,
            execution.value,
            request_bytes=settings.request_bytes,
            reply_bytes=settings.response_bytes,
        )
        work.pending -= 1  # the execution waits for its calls, counted once
        message.work = execution
        execution.request = message
        timeout = execution.group.settings.timeout
        if timeout is not None:
            self._arm(execution.group, message, timeout)

    def _arm(self, group: CommandGroup, message: Message, timeout: float) -> None:
        """Time ``message`` out after ``timeout`` unless it is answered first.

        One engine entry per command, not per call: a command's deadlines come in the order
        its calls go out (its timeout is one figure), so they wait in a queue and the entry
        wakes up at the first one still pending.
        """
        deadline = self.env.now + timeout
        group.deadlines.append((deadline, message))
        if not group.armed:
            group.armed = True
            self.env.schedule_at(deadline, self._expire_later, group)

    def _expire(self, group: CommandGroup) -> None:
        """Time out every pending call whose deadline has come; wake again at the next."""
        now = self.env.now
        deadlines = group.deadlines
        while deadlines:
            deadline, message = deadlines[0]
            if message.work.request is not message:
                deadlines.popleft()  # answered in time (or timed out already)
                continue
            if deadline > now:
                self.env.schedule_at(deadline, self._expire_later, group)
                return
            deadlines.popleft()
            self._timed_out(message)
        group.armed = False

    def _attempt_answered(self, execution: Execution, request: Message, response: Message) -> None:
        if execution.request is not request:
            return  # it timed out already: the late answer is dropped
        self._call_over(request, response.error, response.value, timed_out=False)

    def _timed_out(self, request: Message) -> None:
        self._call_over(request, TIMED_OUT, "", timed_out=True)

    def _call_over(self, request: Message, error: str, value: Any, timed_out: bool) -> None:
        """``request`` (an attempt, or the fallback's call) ended: answered or timed out."""
        execution: Execution = request.work
        execution.request = None
        client = request.client
        if client is not None:
            client.end = self.env.now
            client.error = error
            self.context.emit_span(client)
        if execution.falling_back:
            self._fallback_answered(execution, error, value)
        else:
            self._attempt_ended(execution, error, value, timed_out)

    def _attempt_ended(self, execution: Execution, error: str, value: Any, timed_out: bool) -> None:
        """Count the attempt, free its thread, then answer, retry or fall back."""
        now = self.env.now
        group = execution.group
        command = execution.command
        settings = group.settings
        if settings.bulkhead is not None:
            group.ended(command)
            if command.waiting:
                following, target = command.waiting.popleft()
                self._send_attempt(following, target)
        else:
            group.concurrent -= 1
        group.executed(now, now - execution.sent)
        if not error:
            event = events.SUCCESS
        elif timed_out:
            event = events.TIMEOUT
        else:
            event = events.FAILURE
        group.count(event, now, command)
        breaker = command.breaker
        if breaker is not None and not isinstance(breaker, HystrixBreaker):
            breaker.record(now, not error, now - execution.sent)
        outlier = command.outlier
        if outlier is not None and execution.target is not None:
            outlier.record(execution.target, now, not error)
        self._retry_over(execution)
        if not error:
            fallback = settings.fallback
            if fallback is not None and fallback.kind == "cache":
                command.cache[execution.key] = value
            self._settle(execution, "", value)
            return
        policy = settings.retry
        budget = command.budget
        if (
            policy is not None
            and execution.attempt <= policy.retries
            and execution.work.instance.alive
            and policy.is_retryable(error)
            and (budget is None or budget.try_retry())
        ):
            execution.retrying = budget is not None
            group.retries += 1
            self._schedule(policy.delay(execution.attempt, self.rng), self._retry_later, execution)
            return
        self._fall_back(execution, error)

    def _retry(self, execution: Execution) -> None:
        """The back-off is over: try again, on another pick of the dependency's instances."""
        instance = execution.work.instance
        if not instance.alive:
            return
        self._attempt(execution, self.pick(instance, (instance.views[execution.index],)))

    @staticmethod
    def _retry_over(execution: Execution) -> None:
        """A retry's attempt ended, however it ended: it leaves the retry budget."""
        if execution.retrying:
            execution.retrying = False
            budget = execution.command.budget
            if budget is not None:
                budget.retry_finished()

    def _fall_back(self, execution: Execution, error: str) -> None:
        """The call failed for good: serve the fallback if there is one, else the error."""
        fallback = execution.group.settings.fallback
        if fallback is None:
            self._settle(execution, error, "")
            return
        now = self.env.now
        group = execution.group
        command = execution.command
        if fallback.kind == "static":
            group.count(events.FALLBACK_SUCCESS, now, command)
            self._settle(execution, "", fallback.value)
            return
        if fallback.kind == "cache":
            key = execution.key
            if key in command.cache:
                group.count(events.FALLBACK_SUCCESS, now, command)
                self._settle(execution, "", command.cache[key])
            else:
                group.count(events.FALLBACK_FAILURE, now, command)
                self._settle(execution, error, "")
            return
        instance = execution.work.instance
        target = self.pick(instance, (instance.views[group.fallback_index],))
        if target is None:
            group.count(events.FALLBACK_FAILURE, now, command)
            self._settle(execution, error, "")
            return
        execution.falling_back = True
        self._send_for(execution, target, group.fallback_index)

    def _fallback_answered(self, execution: Execution, error: str, value: Any) -> None:
        event = events.FALLBACK_FAILURE if error else events.FALLBACK_SUCCESS
        execution.group.count(event, self.env.now, execution.command)
        self._settle(execution, error, value)

    def _settle(self, execution: Execution, error: str, value: Any) -> None:
        """The protected call is over: the request goes on with its answer."""
        now = self.env.now
        group = execution.group
        group.finished(now, now - execution.started)
        budget = execution.command.budget
        if budget is not None:
            budget.request_finished()
        work = execution.work
        work.pending -= 1
        if not work.instance.alive:
            return
        if self.dispatch == "tiers":
            self._tier_answer(work, execution.kind, error, value)
        else:
            self._dependency_done(work, error, value)

    def commands(self, now: float) -> list[CommandStatistics]:
        """A snapshot of every protected dependency's command (see ``patterns/command.py``)."""
        hosts = sum(1 for instance in self.service.instances if instance.alive)
        return [group.statistics(now, hosts) for group in self.groups if group is not None]

    # -- tiers: storage layers tried in order ----------------------------------------------
    def tier_views(self, instance: Instance) -> list[list[View]]:
        """The instance's views grouped into storage tiers (shared by instances alike)."""
        views = instance.views
        cache = self._tier_cache
        tiers = cache.get(id(views))
        if tiers is None:
            tiers = [[] for _ in TIER_ORDER]
            for view in views:
                tier = TIER_OF.get(view.dependency.package)
                if tier is not None:
                    tiers[tier].append(view)
            cache[id(views)] = tiers
        return tiers

    def _read_tier(self, work: Work, first: int) -> bool:
        tiers = self.tier_views(work.instance)
        request = work.request
        for tier in range(first, len(tiers)):
            views = tiers[tier]
            if not views:
                continue
            target = self.pick(work.instance, views)
            if target is not None:
                work.tier = tier
                view = views[self.picked_view]
                self._call_tier(work, target, view, GET, request.key, "")
                return True
        return False

    def _call_tier(
        self, work: Work, target: Instance, view: View, kind: int, key: str, value: Any
    ) -> None:
        """Call ``target`` of ``view``'s tier, through its protection if it has one."""
        instance = work.instance
        if self._protecting:
            index = instance.views.index(view)
            group = self.groups[index]
            if group is not None:
                self._protected(work, target, index, group, kind, key, value)
                return
        self.call(work, instance, target, kind, key, value)

    def _tier_answer(self, work: Work, kind: int, error: str, value: Any) -> None:
        """A tier answered: a read that missed or failed tries the next tier."""
        if kind != GET:
            self._dependency_done(work, error, value)
            return
        if (value == "" or error) and self._read_tier(work, work.tier + 1):
            return
        work.value = value
        work.error = DEPENDENCY_FAILED if error else ""
        self._finish(work)

    def tiers(self, work: Work) -> None:
        """Reads try each tier in order until one answers; writes go to one node of every tier.

        A read that finds a tier empty, or failing, tries the next (a cache that is down is a
        miss, as an EVCache client falls through to the database).
        """
        request = work.request
        if request.kind == GET:
            if not self._read_tier(work, 0):
                self.answer(work, "")
            return
        instance = work.instance
        work.steps = []
        work.pending += 1  # hold the writes open while they go out (see next_step)
        called = False
        for tier, views in enumerate(self.tier_views(instance)):
            if not views:
                continue
            target = self.pick(instance, views)
            if target is None:
                continue
            key = request.key
            if TIER_ORDER[tier] == "volume":
                key = f"{instance.label}/{key}"
            called = True
            self._call_tier(work, target, views[self.picked_view], request.kind, key, request.value)
        work.pending -= 1
        if not called:
            self.fail(work, NO_ROUTE)
        elif work.pending == 0:
            self.next_step(work)

    def statistics(self) -> dict[str, int]:
        """Counters for this service."""
        return {
            "received": self.received,
            "requests": self.requests,
            "responses": self.responses,
            "rejected": self.rejected,
            "failed": self.failed,
            "dropped": self.dropped,
        }
