"""A simulation held open for an experiment: probes read it, actions change it, time advances.

:class:`SimulationSession` builds the simulation an experiment's ``configuration`` describes
(:class:`~monkeyhouse.scenarios.experiment.SimulationSettings`), starts it, lets traffic warm it
up, then answers probes about "now" and the last seconds (from a
:class:`~monkeyhouse.telemetry.window.RecentRequests` instrument) and moves simulated time on
when asked. Closing it finishes the run and, when it records a run folder, writes the folder.

Chaos Toolkit runs every activity of an experiment in one process, so one session per process
is shared (:func:`shared_session`): built on first use from the configuration that call passes,
closed at exit. ``monkeyhouse experiment`` installs its own session for its run
(:func:`using_session`), so that the provider module's functions act on the same simulation.
"""

from __future__ import annotations

import atexit
import functools
import math
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from monkeyhouse.errors import MonkeyhouseError, UsageError
from monkeyhouse.model import resolve_architecture
from monkeyhouse.model.scaling import instance_count
from monkeyhouse.scenarios.chaos import ChaosRecord
from monkeyhouse.scenarios.experiment import ExperimentFieldError, SimulationSettings
from monkeyhouse.scenarios.run import RunRecording, RunResult, TelemetryOptions
from monkeyhouse.scenarios.simulation import RunOptions, RunSummary, Simulation
from monkeyhouse.telemetry.window import RecentRequests
from monkeyhouse.topology.instances import ServiceRuntime

#: The most instances an experiment's simulation may have (experiments step time in-process).
MAX_INSTANCES = 200_000
#: Argument names that name a service of the architecture (checked before an experiment runs).
SERVICE_ARGUMENTS = ("service", "caller", "dependency")


#: One activity at a time: chaostoolkit-lib runs ``background`` activities in threads, and a
#: simulation is not to be stepped from two threads at once.
_LOCK = threading.RLock()

P = ParamSpec("P")
R = TypeVar("R")


def _one_at_a_time(method: Callable[P, R]) -> Callable[P, R]:
    """Run ``method`` holding the session lock."""

    @functools.wraps(method)
    def locked(*args: P.args, **kwargs: P.kwargs) -> R:
        with _LOCK:
            return method(*args, **kwargs)

    return locked


def _seconds(value: Any, name: str, *, zero: bool = False) -> float:
    """``value`` as a number of seconds (numbers or numeric strings), or UsageError."""
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or number < 0 or (number == 0 and not zero):
        least = "0 or more" if zero else "more than 0"
        raise UsageError(f"{name}: {value!r} must be a number of seconds, {least}")
    return number


class SimulationSession:
    """One simulation held open for an experiment (see the module documentation)."""

    def __init__(
        self,
        settings: SimulationSettings,
        *,
        out: Path | Callable[[str], Path] | None = None,
        cwd: Path | None = None,
        command: str = "",
        telemetry: TelemetryOptions | None = None,
    ) -> None:
        self.settings = settings
        where = "configuration.monkeyhouse_architecture"
        try:
            arch = resolve_architecture(settings.architecture, cwd=cwd or Path.cwd())
        except MonkeyhouseError as error:
            text = str(error)
            raise UsageError(f"{where}: {text[4:] if text.startswith('-a: ') else text}") from None
        total = instance_count(arch, settings.population, settings.regions)
        if total > MAX_INSTANCES:
            raise UsageError(
                f"configuration.monkeyhouse_population: {settings.population} makes {total:,} "
                f"instances of {arch.arch}, more than the {MAX_INSTANCES:,} an experiment "
                "simulates (lower monkeyhouse_population or monkeyhouse_regions)"
            )
        self.arch = arch
        self.options = RunOptions(
            duration=settings.duration,
            percent=settings.population,
            regions=settings.regions,
            seed=settings.seed,
            rate=settings.rate,
            pattern=settings.traffic,
            chaos=settings.chaos_monkey,
        )
        if out is None and settings.out is not None:
            out = (cwd or Path.cwd()) / settings.out
        if callable(out):
            out = out(arch.arch)
        self.recording: RunRecording | None = None
        if out is not None:
            self.recording = RunRecording(
                arch, self.options, out, command=command, telemetry=telemetry
            )
            self.simulation = self.recording.simulation
        else:
            self.simulation = Simulation(arch, self.options)
        self.recent = RecentRequests(self.simulation.env, settings.window_limit)
        self.simulation.context.span_observers.append(self.recent.on_span)
        self._services = {s.name: s for s in self.simulation.services}
        self.started = False
        self.closed = False
        self.summary: RunSummary | None = None
        self.result: RunResult | None = None

    # -- life ------------------------------------------------------------------------------
    @_one_at_a_time
    def start(self) -> None:
        """Build and start the simulation, then run the warm-up (traffic, no chaos)."""
        if self.started:
            return
        self.started = True
        attach = self.recording.attach if self.recording is not None else None
        self.simulation.start(on_built=attach)
        self.simulation.advance(self.settings.warmup)

    def _ensure_started(self) -> None:
        if self.closed:
            raise UsageError("the simulation has ended (its session was closed)")
        if not self.started:
            self.start()

    @property
    def now(self) -> float:
        """Simulated seconds since the run began."""
        return float(self.simulation.env.now)

    @_one_at_a_time
    def advance(self, seconds: Any) -> float:
        """Let ``seconds`` of simulated time pass (traffic flows, chaos plays out); the new now."""
        step = _seconds(seconds, "seconds", zero=True)
        self._ensure_started()
        until = self.now + step
        limit = self.settings.duration
        if until > limit + 1e-9:
            raise UsageError(
                f"seconds: {step:g} s from t={self.now:g} s goes past the run's "
                f"{limit:g} s (raise monkeyhouse_duration in the experiment's configuration)"
            )
        self.simulation.advance(min(until, limit))
        return self.now

    @_one_at_a_time
    def close(self, *, interrupted: bool = False) -> RunSummary:
        """End the run (once): finish the simulation and write its run folder if it has one."""
        if self.summary is not None:
            return self.summary
        self.closed = True
        if not self.started:
            self.start()
        if interrupted:
            self.simulation.status = "interrupted"
        try:
            self.summary = self.simulation.finish()
        except BaseException:
            if self.recording is not None:
                self.recording.abandon()
            raise
        if self.recording is not None:
            self.result = self.recording.close(self.summary)
        return self.summary

    # -- names -----------------------------------------------------------------------------
    def service(self, name: Any, argument: str = "service") -> ServiceRuntime:
        """The service called ``name`` (UsageError naming the known ones if none is)."""
        runtime = self._services.get(name) if isinstance(name, str) else None
        if runtime is None:
            raise UsageError(
                f"{argument}: {name!r} is not a service of {self.arch.arch} (known: "
                f"{', '.join(self._services)})"
            )
        return runtime

    def check_arguments(self, arguments: Mapping[str, Any]) -> tuple[str, str] | None:
        """The first argument naming an unknown service, region or zone: (argument, problem)."""
        for name in SERVICE_ARGUMENTS:
            value = arguments.get(name)
            if value is None or (isinstance(value, str) and value.startswith("${")):
                continue
            try:
                self.service(value, name)
            except UsageError as error:
                return name, str(error).split(": ", 1)[1]
        layout = self.simulation.layout
        for name, known in (("region", layout.regions), ("zone", layout.zones)):
            value = arguments.get(name)
            if value is None or (isinstance(value, str) and value.startswith("${")):
                continue
            if value not in known:
                return name, f"{value!r} is not a {name} of this run (known: {', '.join(known)})"
        return None

    # -- probes ----------------------------------------------------------------------------
    def _window(self, service: Any, window: Any) -> Any:
        runtime = self.service(service)
        seconds = _seconds(window, "window")
        if seconds > self.recent.horizon:
            raise UsageError(
                f"window: {seconds:g} s is longer than the {self.recent.horizon:g} s kept "
                "(raise monkeyhouse_window_limit in the experiment's configuration)"
            )
        self._ensure_started()
        return self.recent.window(runtime.name, seconds)

    @_one_at_a_time
    def live_instances(self, service: Any) -> int:
        """How many instances of ``service`` are alive now."""
        runtime = self.service(service)
        self._ensure_started()
        return sum(1 for instance in runtime.instances if instance.alive)

    @_one_at_a_time
    def breakers_open(self, caller: Any, dependency: Any) -> int:
        """How many of ``caller``'s instances have their breaker on ``dependency`` open now.

        0 when the edge has no breaker (its protection is off, or it has not been called yet).
        """
        runtime = self.service(caller)
        self.service(dependency)
        self._ensure_started()
        for stats in runtime.behaviour.commands(self.simulation.env.now):
            if stats.dependency == dependency:
                return int(stats.open)
        return 0

    @_one_at_a_time
    def error_rate(self, service: Any, window: Any = 10.0) -> float | None:
        """The share of ``service``'s requests that failed in the last ``window`` seconds.

        None when it had no request then.
        """
        rate: float | None = self._window(service, window).error_rate
        return rate

    @_one_at_a_time
    def latency_percentile(
        self, service: Any, percentile: Any = 99.0, window: Any = 10.0
    ) -> float | None:
        """The ``percentile`` of ``service``'s request durations (seconds) over ``window``."""
        q = percentile
        if isinstance(q, str):
            try:
                q = float(q)
            except ValueError:
                q = None
        if not isinstance(q, int | float) or isinstance(q, bool) or not 0 <= q <= 100:
            raise UsageError(f"percentile: {percentile!r} must be a number from 0 to 100")
        value: float | None = self._window(service, window).percentile(float(q))
        return value

    @_one_at_a_time
    def throughput(self, service: Any, window: Any = 10.0) -> float:
        """Requests per second ``service`` finished over the last ``window`` seconds."""
        figures = self._window(service, window)
        return float(figures.throughput)

    @_one_at_a_time
    def service_health(self, service: Any, window: Any = 10.0) -> dict[str, Any]:
        """Every figure of ``service`` over the last ``window`` seconds, as one mapping."""
        figures = self._window(service, window)
        runtime = self.service(service)
        return {
            "service": runtime.name,
            "time": self.now,
            "window": figures.window,
            "requests": figures.count,
            "errors": figures.errors,
            "error_rate": figures.error_rate,
            "throughput": figures.throughput,
            "p50": figures.percentile(50),
            "p90": figures.percentile(90),
            "p99": figures.percentile(99),
            "instances": len(runtime.instances),
            "live_instances": sum(1 for i in runtime.instances if i.alive),
        }

    @_one_at_a_time
    def simulated_time(self) -> float:
        """Simulated seconds since the run began (the warm-up included)."""
        self._ensure_started()
        return self.now

    @_one_at_a_time
    def chaos_log(self) -> list[dict[str, Any]]:
        """Everything chaos did so far, in time order, as JSON data."""
        self._ensure_started()
        return [record.to_json() for record in self.simulation.chaos_log]

    # -- chaos -----------------------------------------------------------------------------
    def _running(self) -> Simulation:
        self._ensure_started()
        return self.simulation

    @_one_at_a_time
    def kill_instances(
        self,
        service: Any,
        count: Any = None,
        share: Any = None,
        replace_after: Any = None,
    ) -> list[str]:
        """Chaos Monkey: kill ``count`` (default 1) or a ``share`` of ``service``'s instances.

        With ``replace_after`` (seconds) each comes back as a new instance that much later.
        Returns the names of the instances killed.
        """
        runtime = self.service(service)
        if replace_after is not None:
            replace_after = _seconds(replace_after, "replace_after", zero=True)
        return self._running().kill_instances(runtime.name, count, share, replace_after)

    @_one_at_a_time
    def add_latency(
        self,
        service: Any,
        latency: Any = 0.0,
        error_rate: Any = 0.0,
        caller: Any = None,
    ) -> dict[str, Any]:
        """Latency Monkey: slow and fail requests to ``service``; the fault's statistics.

        Requests to ``service`` (from ``caller`` only, if given) arrive ``latency`` seconds
        later and a share ``error_rate`` of them fail (503), until :meth:`remove_faults`.
        """
        runtime = self.service(service)
        if caller is not None:
            caller = self.service(caller, "caller").name
        delay = _seconds(latency, "latency", zero=True)
        fault = self._running().add_latency(runtime.name, delay, error_rate, caller)
        return fault.statistics()

    @_one_at_a_time
    def fail_zone(self, region: Any, zone: Any, restore_after: Any = None) -> dict[str, Any]:
        """Chaos Gorilla: every instance in ``region``/``zone`` dies now.

        Its capacity comes back as new instances after ``restore_after`` seconds, or at
        :meth:`remove_faults`. Returns the fault's statistics.
        """
        if restore_after is not None:
            restore_after = _seconds(restore_after, "restore_after", zero=True)
        return self._running().fail_zone(region, zone, restore_after).statistics()

    @_one_at_a_time
    def fail_region(
        self, region: Any, dns_failover: Any = 60.0, restore_after: Any = None
    ) -> dict[str, Any]:
        """Chaos Kong: every instance in ``region`` dies now; the fault's statistics.

        DNS moves the region's traffic to the other regions ``dns_failover`` seconds later.
        Restored as :meth:`fail_zone` is.
        """
        failover = _seconds(dns_failover, "dns_failover", zero=True)
        if restore_after is not None:
            restore_after = _seconds(restore_after, "restore_after", zero=True)
        return self._running().fail_region(region, failover, restore_after).statistics()

    @_one_at_a_time
    def partition(self, a: Any, b: Any) -> dict[str, Any]:
        """A network partition between two places; the fault's statistics.

        Places are regions (``us-east-1``) or zones (``us-east-1/zoneA``); messages between
        them are lost both ways until :meth:`remove_faults`.
        """
        return self._running().partition(a, b).statistics()

    @_one_at_a_time
    def remove_faults(self) -> list[dict[str, Any]]:
        """Undo every fault still in effect; their statistics, in order.

        Latency goes, partitions heal, and zone and region outages end (their capacity comes
        back as new instances).
        """
        simulation = self._running()
        removed = []
        for fault in list(simulation.faults):
            if fault.active:
                simulation.remove_fault(fault)
                removed.append(fault.statistics())
        return removed

    @_one_at_a_time
    def restore(self, service: Any = None) -> list[str]:
        """Replace, now, the instances Chaos Monkey killed that are still gone.

        Those of ``service`` only, if given; instances an outage took (zone, region) come
        back with :meth:`remove_faults` instead. Returns the new instances' names.
        """
        wanted = self.service(service).name if service is not None else None
        simulation = self._running()
        replaced = {
            record.detail.rsplit(" in place of ", 1)[1]
            for record in simulation.chaos_log
            if record.action == "replace" and " in place of " in record.detail
        }
        in_outages = {id(i) for fault in simulation.faults for i in fault.killed}
        started = []
        for old in list(simulation.chaos_control.killed):
            if old.alive or old.name in replaced or id(old) in in_outages:
                continue
            if wanted is not None and old.service.name != wanted:
                continue
            new = simulation.replace(old)
            replaced.add(old.name)
            simulation.chaos_log.append(
                ChaosRecord(
                    self.now,
                    "replace",
                    old.service.name,
                    f"started {new.name} in place of {old.name}",
                )
            )
            started.append(new.name)
        return started


# -- the session of this process ---------------------------------------------------------------
_shared: SimulationSession | None = None
_exit_hook = False


def shared_session(configuration: Mapping[str, Any] | None = None) -> SimulationSession:
    """The session of this process: the installed one, or one built from ``configuration``.

    Built on first use (and started: warm-up included); closed, writing its run folder if
    ``monkeyhouse_out`` asks for one, when the process exits or :func:`close_shared` is called.
    """
    with _LOCK:
        return _shared_locked(configuration)


def _shared_locked(configuration: Mapping[str, Any] | None) -> SimulationSession:
    global _shared, _exit_hook
    if _shared is not None and not _shared.closed:
        return _shared
    try:
        settings = SimulationSettings.from_configuration(configuration)
    except ExperimentFieldError as problem:
        raise UsageError(str(problem)) from None
    session = SimulationSession(settings)
    session.start()
    _shared = session
    if not _exit_hook:
        atexit.register(close_shared)
        _exit_hook = True
    return session


def close_shared() -> RunSummary | None:
    """Close this process's session, if there is one (its run folder is written then)."""
    global _shared
    with _LOCK:
        session, _shared = _shared, None
        if session is None or session.closed:
            return None
        return session.close()


@contextmanager
def using_session(session: SimulationSession) -> Iterator[SimulationSession]:
    """Make ``session`` this process's session for the ``with`` block."""
    global _shared
    previous, _shared = _shared, session
    try:
        yield session
    finally:
        _shared = previous
