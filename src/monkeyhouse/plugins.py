"""Plug-ins: behaviours, exporters and live outputs registered through entry points.

The built-in ones are declared in monkeyhouse's own ``pyproject.toml`` under the entry point
groups ``monkeyhouse.behaviours`` (name = package name), ``monkeyhouse.exporters`` and
``monkeyhouse.live`` (live views of a paced run, such as ``hystrix``: the command line finds
the web layer's servers through them, as the layers forbid it to import them) and
``monkeyhouse.ui`` (the web UI: ``serve`` and ``page``, found the same way), exactly as
a third-party distribution would declare its own. Loading is lazy and cached; a plug-in that
fails to import is reported with its name and the distribution that declared it.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import Any

from monkeyhouse.errors import MonkeyhouseError

BEHAVIOURS = "monkeyhouse.behaviours"
EXPORTERS = "monkeyhouse.exporters"
LIVE = "monkeyhouse.live"
UI = "monkeyhouse.ui"


class PluginError(MonkeyhouseError):
    """A plug-in could not be loaded."""


@cache
def load_group(group: str) -> dict[str, Any]:
    """Every plug-in of ``group``, by name, loaded."""
    found: dict[str, Any] = {}
    for point in sorted(entry_points(group=group), key=lambda p: p.name):
        try:
            found[point.name] = point.load()
        except Exception as error:
            dist = point.dist.name if point.dist is not None else "unknown distribution"
            raise PluginError(
                f"plug-in {point.name!r} of group {group} (from {dist}) failed to load: {error} "
                f"(reinstall that distribution, or uninstall it)"
            ) from error
    if group == BEHAVIOURS and not found:
        raise PluginError(
            "no behaviours are registered: monkeyhouse's own entry points are missing "
            "(install the package with `pip install -e .` or `make run`, not by copying files)"
        )
    return found


def behaviours() -> dict[str, Any]:
    """Behaviour classes by package name."""
    return load_group(BEHAVIOURS)


def exporters() -> dict[str, Any]:
    """Exporter classes by name."""
    return load_group(EXPORTERS)


def live_outputs() -> dict[str, Any]:
    """Live output factories by name (``hystrix``: the ``hystrix.stream`` server)."""
    return load_group(LIVE)


def ui() -> dict[str, Any]:
    """The web UI's entry points by name (``serve``: the server, ``page``: the offline page)."""
    return load_group(UI)
