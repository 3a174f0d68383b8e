"""Go-style duration strings (``1s``, ``100ms``, ``1m30s``), as spigo's ``-u`` and ``-kv`` take."""

from __future__ import annotations

import re

from monkeyhouse.errors import UsageError

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: str, option: str) -> float:
    """Seconds in a Go duration such as ``1s`` or ``1m30s``; UsageError naming ``option``."""
    value = text.strip()
    position = 0
    total = 0.0
    while position < len(value):
        match = _PART.match(value, position)
        if match is None:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if not value or position != len(value):
        raise UsageError(
            f"{option}: {text!r} is not a duration (write a number and a unit, "
            "e.g. 1s, 250ms, 1m30s; units ns, us, ms, s, m, h)"
        )
    return total
