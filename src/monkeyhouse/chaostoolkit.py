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
    "advance",
    "error_rate",
    "latency_percentile",
    "live_instances",
    "service_health",
    "simulated_time",
    "throughput",
]

Configuration = dict[str, Any] | None


# -- probes ------------------------------------------------------------------------------------
def live_instances(service: str, configuration: Configuration = None) -> int:
    """How many instances of ``service`` are alive now."""
    return shared_session(configuration).live_instances(service)


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
    return shared_session(configuration).now


# -- actions -----------------------------------------------------------------------------------
def advance(seconds: float, configuration: Configuration = None) -> float:
    """Let ``seconds`` of simulated time pass; returns the simulated time after it."""
    return shared_session(configuration).advance(seconds)
