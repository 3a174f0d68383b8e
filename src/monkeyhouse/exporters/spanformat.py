"""Shared pieces of the span exporters: fast id and time formatting, cached JSON strings.

The span writers handle hundreds of thousands of spans per run, so the per-span work is kept to
a few dictionary look-ups and one f-string per output line:

- :data:`HEX4` maps every 16-bit number to its four lower-case hex digits, so a 64-bit id below
  2**32 (every id a run makes) is ``"00000000" + HEX4[n >> 16] + HEX4[n & 0xFFFF]``, the same
  text as ``format(n, "016x")``. A negative id or one of 2**32 or more raises :class:`LookupError`
  there, and the writers fall back to ``format`` for that span.
- :func:`nanoseconds` turns every span's start and end into integer nanoseconds since the Unix
  epoch in one vectorised step, exactly as ``epoch_ns + round(seconds * 1e9)`` does span by span.
- :class:`Quoted` caches ``json.dumps`` of the strings a format repeats (names, errors).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from monkeyhouse.behaviours.spans import Span

#: four hex digits of every 16-bit number (a dict, so a negative key fails as a large one does)
HEX4: dict[int, str] = {number: f"{number:04x}" for number in range(1 << 16)}

#: the largest epoch (in nanoseconds) for which start and end times fit 64-bit integers with
#: room to spare (about the year 2262 minus a few centuries of simulated time)
_SAFE_EPOCH_NS = 1 << 62


def hex16(number: int) -> str:
    """``format(number, "016x")``, through :data:`HEX4` when the number allows."""
    if 0 <= number < 1 << 32:
        return f"00000000{HEX4[number >> 16]}{HEX4[number & 0xFFFF]}"
    return format(number, "016x")


def as_list(spans: Iterable[Span]) -> Sequence[Span]:
    """``spans`` as a sequence (a list is used as it is)."""
    return spans if isinstance(spans, list | tuple) else list(spans)


def nanoseconds(spans: Sequence[Span], epoch_ns: int) -> tuple[list[int], list[int]]:
    """Start and end of each span in integer nanoseconds since the Unix epoch.

    The same integers as ``epoch_ns + round(span.start * 1e9)`` (``round`` and ``numpy.rint``
    both round half to even, on the same product), computed for all spans at once.
    """
    starts = [span.start for span in spans]
    ends = [span.end for span in spans]
    if not 0 <= epoch_ns < _SAFE_EPOCH_NS or not _finite_small(starts) or not _finite_small(ends):
        return (
            [epoch_ns + round(value * 1e9) for value in starts],
            [epoch_ns + round(value * 1e9) for value in ends],
        )
    start_ns = np.rint(np.array(starts, dtype=np.float64) * 1e9).astype(np.int64) + epoch_ns
    end_ns = np.rint(np.array(ends, dtype=np.float64) * 1e9).astype(np.int64) + epoch_ns
    return start_ns.tolist(), end_ns.tolist()


def microseconds(spans: Sequence[Span], epoch_ns: int) -> tuple[list[int], list[int]]:
    """Start and end of each span in integer microseconds (nanoseconds floor-divided by 1000)."""
    starts = [span.start for span in spans]
    ends = [span.end for span in spans]
    if not 0 <= epoch_ns < _SAFE_EPOCH_NS or not _finite_small(starts) or not _finite_small(ends):
        return (
            [(epoch_ns + round(value * 1e9)) // 1000 for value in starts],
            [(epoch_ns + round(value * 1e9)) // 1000 for value in ends],
        )
    start_ns = np.rint(np.array(starts, dtype=np.float64) * 1e9).astype(np.int64) + epoch_ns
    end_ns = np.rint(np.array(ends, dtype=np.float64) * 1e9).astype(np.int64) + epoch_ns
    return (start_ns // 1000).tolist(), (end_ns // 1000).tolist()


def _finite_small(values: list[float]) -> bool:
    """True if every value is finite and, in nanoseconds, far inside a 64-bit integer."""
    if not values:
        return True
    array = np.array(values, dtype=np.float64)
    return bool(np.all(np.abs(array) < 1e9))  # a billion seconds: NaN and inf fail too


class Quoted(dict[str, str]):
    """``json.dumps(text)`` of each string, computed once: ``quoted[text]``."""

    def __missing__(self, text: str) -> str:
        value = self[text] = json.dumps(text)
        return value


def group_by_trace(spans: Sequence[Any]) -> dict[int, list[int]]:
    """Positions of ``spans`` by trace id, traces in order of first appearance."""
    traces: dict[int, list[int]] = {}
    for index, span in enumerate(spans):
        members = traces.get(span.trace)
        if members is None:
            traces[span.trace] = [index]
        else:
            members.append(index)
    return traces
