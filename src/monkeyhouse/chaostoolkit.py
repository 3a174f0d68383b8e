"""Chaos Toolkit provider: probes and actions on a monkeyhouse simulation.

Use it from any Chaos Toolkit experiment, run by ``chaos run`` or ``monkeyhouse experiment``::

    {"type": "probe", "name": "users-see-few-errors", "tolerance": [0, 0.01],
     "provider": {"type": "python", "module": "monkeyhouse.chaostoolkit",
                  "func": "error_rate", "arguments": {"service": "www", "window": 10}}}

One simulation per process: the first call builds it from the experiment's ``configuration``
(``monkeyhouse_architecture``, ``monkeyhouse_duration``, ``monkeyhouse_seed``, ...; see
docs/chaos-toolkit.md), starts it and runs the warm-up; every later call acts on the same
simulation. Simulated time moves only when an action says so (:func:`advance`); probes read
"now" and the last ``window`` seconds. When the process ends the run ends, and its run folder
is written if ``monkeyhouse_out`` names one. Under ``monkeyhouse experiment`` these functions
act on that command's simulation, and pauses pass simulated time too.

Every function takes ``configuration`` (chaostoolkit-lib passes the experiment's). A mistake
(an unknown service, a bad window) raises :class:`~monkeyhouse.errors.UsageError`, which the
journal records as the activity's failure.

This module is an entry point (for Chaos Toolkit), like :mod:`monkeyhouse.api`; the work is
done by :mod:`monkeyhouse.scenarios.session`.
"""

from __future__ import annotations

from typing import Any

from monkeyhouse.scenarios.session import shared_session

__all__ = [
    "add_latency",
    "advance",
    "breakers_open",
    "chaos_log",
    "error_rate",
    "fail_region",
    "fail_zone",
    "kill_instances",
    "latency_percentile",
    "live_instances",
    "partition",
    "remove_faults",
    "restore",
    "service_health",
    "simulated_time",
    "throughput",
]

Configuration = dict[str, Any] | None


# -- probes ------------------------------------------------------------------------------------
def live_instances(service: str, configuration: Configuration = None) -> int:
    """How many instances of ``service`` are alive now."""
    return shared_session(configuration).live_instances(service)


def breakers_open(caller: str, dependency: str, configuration: Configuration = None) -> int:
    """How many of ``caller``'s instances have their circuit breaker on ``dependency`` open.

    0 when the edge has no breaker. A steady-state hypothesis can ask for 0; a probe after a
    fault can show the breakers doing their work.
    """
    return shared_session(configuration).breakers_open(caller, dependency)


def error_rate(
    service: str, window: float = 10.0, configuration: Configuration = None
) -> float | None:
    """The share (0 to 1) of ``service``'s requests that failed in the last ``window`` seconds.

    For a traffic source (a denominator such as ``www``) its requests are the ones it sent:
    what users saw. None (JSON null) when there was no request in the window.
    """
    return shared_session(configuration).error_rate(service, window)


def latency_percentile(
    service: str,
    percentile: float = 99.0,
    window: float = 10.0,
    configuration: Configuration = None,
) -> float | None:
    """The ``percentile`` (0 to 100) of ``service``'s request durations, in seconds.

    Over the requests that ended in the last ``window`` seconds; None without any.
    """
    return shared_session(configuration).latency_percentile(service, percentile, window)


def throughput(service: str, window: float = 10.0, configuration: Configuration = None) -> float:
    """Requests per second that ``service`` finished over the last ``window`` seconds."""
    return shared_session(configuration).throughput(service, window)


def service_health(
    service: str, window: float = 10.0, configuration: Configuration = None
) -> dict[str, Any]:
    """Every figure of ``service`` at once, for ``jsonpath`` tolerances.

    ``{"service", "time", "window", "requests", "errors", "error_rate", "throughput", "p50",
    "p90", "p99", "instances", "live_instances"}`` (durations in seconds).
    """
    return shared_session(configuration).service_health(service, window)


def simulated_time(configuration: Configuration = None) -> float:
    """Simulated seconds since the run began (the warm-up included)."""
    return shared_session(configuration).simulated_time()


def chaos_log(configuration: Configuration = None) -> list[dict[str, Any]]:
    """Everything chaos did so far: ``[{"time", "action", "target", "detail"}]``."""
    return shared_session(configuration).chaos_log()


# -- actions -----------------------------------------------------------------------------------
def advance(seconds: float, configuration: Configuration = None) -> float:
    """Let ``seconds`` of simulated time pass; returns the simulated time after it."""
    return shared_session(configuration).advance(seconds)


def kill_instances(
    service: str,
    count: int | None = None,
    share: float | None = None,
    replace_after: float | None = None,
    configuration: Configuration = None,
) -> list[str]:
    """Chaos Monkey: kill instances of ``service``; the names of those killed.

    ``count`` (default 1) or a ``share`` (0 to 1, rounded up) of the live instances, chosen
    from the run's seed. With ``replace_after`` (seconds) each comes back as a new instance
    that much later.
    """
    return shared_session(configuration).kill_instances(service, count, share, replace_after)


def add_latency(
    service: str,
    latency: float = 0.0,
    error_rate: float = 0.0,
    caller: str | None = None,
    configuration: Configuration = None,
) -> dict[str, Any]:
    """Latency Monkey: slow and fail the requests to ``service``.

    Requests to ``service`` (from ``caller`` only, if given) arrive ``latency`` seconds later
    and a share ``error_rate`` of them fail (503). Lasts until :func:`remove_faults`; returns
    the fault's statistics.
    """
    return shared_session(configuration).add_latency(service, latency, error_rate, caller)


def fail_zone(
    region: str, zone: str, restore_after: float | None = None, configuration: Configuration = None
) -> dict[str, Any]:
    """Chaos Gorilla: every instance in ``region``/``zone`` (e.g. us-east-1, zoneA) dies.

    Its capacity comes back as new instances after ``restore_after`` seconds, or at
    :func:`remove_faults`; returns the fault's statistics.
    """
    return shared_session(configuration).fail_zone(region, zone, restore_after)


def fail_region(
    region: str,
    dns_failover: float = 60.0,
    restore_after: float | None = None,
    configuration: Configuration = None,
) -> dict[str, Any]:
    """Chaos Kong: every instance in ``region`` dies.

    DNS moves the region's traffic to the other regions ``dns_failover`` seconds later.
    Restored as :func:`fail_zone` is; returns the fault's statistics.
    """
    return shared_session(configuration).fail_region(region, dns_failover, restore_after)


def partition(a: str, b: str, configuration: Configuration = None) -> dict[str, Any]:
    """A network partition: messages between places ``a`` and ``b`` are lost both ways.

    Places are regions (``us-east-1``) or zones (``us-east-1/zoneA``). Lasts until
    :func:`remove_faults`; returns the fault's statistics.
    """
    return shared_session(configuration).partition(a, b)


# -- rollbacks ---------------------------------------------------------------------------------
def remove_faults(configuration: Configuration = None) -> list[dict[str, Any]]:
    """Undo every fault still in effect; the faults' statistics.

    Latency goes, partitions heal, zones and regions come back (as new instances).
    """
    return shared_session(configuration).remove_faults()


def restore(service: str | None = None, configuration: Configuration = None) -> list[str]:
    """Replace now the instances Chaos Monkey killed that are still gone; their new names.

    Only ``service``'s, if given. Instances a zone or region outage took come back with
    :func:`remove_faults` instead.
    """
    return shared_session(configuration).restore(service)
