"""Steady-state tolerances of Chaos Toolkit experiments: checking their form, judging values.

A steady-state probe's ``tolerance`` says which of the probe's outputs mean "normal". The forms
(Chaos Toolkit's experiment specification and chaostoolkit-lib's documented behaviour):

- a boolean, an integer or a string: the output must equal it. Equality is strict about kinds:
  ``true`` matches only a boolean true (not ``1``), ``1`` matches the numbers 1 and 1.0 but not
  ``true`` or ``"1"``. When the output is a mapping with a ``status`` (what ``process`` and
  ``http`` providers return), an integer is compared with the status.
- a list of two numbers ``[low, high]``: the output must be a number with ``low <= output <=
  high`` (inclusive). ``null`` (a probe with nothing to measure) is never within a range.
- a list of any other length: the output must be one of its values (a mapping's ``status``
  is compared when it has one).
- ``{"type": "range", "range": [low, high], "target": KEY?}``: as the list form; the output (or
  its ``target`` entry) may also be a string that reads as a number.
- ``{"type": "regex", "pattern": RE, "target": KEY?}``: the output (or its ``target`` entry) is
  a string in which Python's ``re.search`` finds the pattern.
- ``{"type": "jsonpath", "path": PATH, "count": N?, "expect": VALUE?, "target": KEY?}``: the
  path is applied to the output (a string is first read as JSON when it is JSON). Without
  ``count`` or ``expect`` the path must find something; with ``count`` it must find exactly N
  values; with ``expect`` the values found must equal ``expect`` (a list), or be just that one
  value (not a list).
- ``{"type": "probe", ...}``: another probe, called with the output as its ``value`` argument;
  a truthy answer means within tolerance, a failure means not. (The runner calls it.)

A floating-point scalar is refused, as chaostoolkit-lib refuses it: exact equality of measured
figures is almost never what is meant; give a range.

The JSONPath subset (:class:`JsonPath`): ``$`` (the root), ``.name``, ``['name']`` or
``["name"]``, ``[n]`` (negative from the end), ``[a,b]`` (several indices or names), ``*`` or
``[*]`` (every child), ``..name`` and ``..*`` (at any depth), and filters ``[?(@.a.b)]`` (the
child has it) and ``[?(@.a OP literal)]`` with OP one of ``== != < <= > >=`` and a literal that
is a number, a quoted string, ``true``, ``false`` or ``null``. A filter applies to the children
of the nodes it follows, as in Goessner's original JSONPath.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

#: The tolerance types of the mapping form.
TOLERANCE_TYPES = ("range", "regex", "jsonpath", "probe")


class ToleranceError(ValueError):
    """A tolerance (or JSONPath) that is not well formed: the problem and its fix."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: Any) -> float | None:
    """``value`` as a number when it is one (or a string reading as one), else None."""
    if _is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


# -- JSONPath ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Step:
    kind: str  # "name", "index", "wild", "deep", "filter"
    keys: tuple[Any, ...] = ()
    filter_path: tuple[str, ...] = ()
    op: str = ""
    literal: Any = None


_NAME = re.compile(r"[A-Za-z_$][\w$-]*")
_FILTER = re.compile(
    r"\?\(\s*@((?:\.[A-Za-z_$][\w$-]*)+)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*\)$", re.DOTALL
)
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _literal(text: str, path: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    try:
        return json.loads(text)
    except ValueError:
        raise ToleranceError(
            f"JSONPath {path!r}: {text!r} is not a literal (give a number, a quoted string, "
            "true, false or null)"
        ) from None


class JsonPath:
    """A parsed JSONPath of the subset described in the module documentation."""

    __slots__ = ("steps", "text")

    def __init__(self, text: str) -> None:
        if not isinstance(text, str) or not text.strip():
            raise ToleranceError("a JSONPath must be a non-empty string starting with '$'")
        self.text = text.strip()
        self.steps = self._parse(self.text)

    def _parse(self, path: str) -> tuple[_Step, ...]:
        if not path.startswith("$"):
            raise ToleranceError(f"JSONPath {path!r} must start with '$' (the output itself)")
        steps: list[_Step] = []
        i = 1
        n = len(path)
        while i < n:
            if path.startswith("..", i):
                i += 2
                if i < n and path[i] == "*":
                    steps.append(_Step("deep", ()))
                    i += 1
                    continue
                match = _NAME.match(path, i)
                if match is None:
                    raise ToleranceError(f"JSONPath {path!r}: a name or '*' must follow '..'")
                steps.append(_Step("deep", (match.group(),)))
                i = match.end()
            elif path[i] == ".":
                i += 1
                if i < n and path[i] == "*":
                    steps.append(_Step("wild"))
                    i += 1
                    continue
                match = _NAME.match(path, i)
                if match is None:
                    raise ToleranceError(
                        f"JSONPath {path!r}: a name must follow '.' at position {i}"
                    )
                steps.append(_Step("name", (match.group(),)))
                i = match.end()
            elif path[i] == "[":
                close = self._closing(path, i)
                steps.append(self._bracket(path, path[i + 1 : close].strip()))
                i = close + 1
            else:
                raise ToleranceError(
                    f"JSONPath {path!r}: unexpected {path[i]!r} at position {i} (use .name, "
                    "[index], ['name'], [*], ..name or [?(@.name)])"
                )
        return tuple(steps)

    @staticmethod
    def _closing(path: str, start: int) -> int:
        quote = ""
        depth = 0
        for j in range(start, len(path)):
            c = path[j]
            if quote:
                if c == quote:
                    quote = ""
            elif c in "'\"":
                quote = c
            elif c in "[(":
                depth += 1
            elif c in "])":
                depth -= 1
                if depth == 0 and c == "]":
                    return j
        raise ToleranceError(f"JSONPath {path!r}: '[' at position {start} is never closed")

    @staticmethod
    def _bracket(path: str, inner: str) -> _Step:
        if inner == "*":
            return _Step("wild")
        if inner.startswith("?"):
            match = _FILTER.match(inner)
            if match is None:
                raise ToleranceError(
                    f"JSONPath {path!r}: filter [{inner}] is not supported (use [?(@.name)] or "
                    "[?(@.name OP literal)] with OP one of == != < <= > >=)"
                )
            names = tuple(match.group(1).split(".")[1:])
            op = match.group(2) or ""
            literal = _literal(match.group(3), path) if op else None
            return _Step("filter", filter_path=names, op=op, literal=literal)
        keys: list[Any] = []
        for part in inner.split(","):
            part = part.strip()
            if len(part) >= 2 and part[0] == part[-1] and part[0] in "'\"":
                keys.append(part[1:-1])
            elif re.fullmatch(r"-?\d+", part):
                keys.append(int(part))
            else:
                raise ToleranceError(
                    f"JSONPath {path!r}: [{inner}] is not supported (use [n], ['name'], [*] "
                    "or a filter [?(@.name)]; slices are not supported)"
                )
        kinds = {type(k) for k in keys}
        return _Step("index" if kinds == {int} else "name", tuple(keys))

    def find(self, document: Any) -> list[Any]:
        """Every value the path selects in ``document``, in document order."""
        nodes = [document]
        for step in self.steps:
            nodes = [found for node in nodes for found in _apply(step, node)]
        return nodes


def _children(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return list(node.values())
    if isinstance(node, list):
        return list(node)
    return []


def _descendants(node: Any) -> Iterator[Any]:
    yield node
    for child in _children(node):
        yield from _descendants(child)


def _lookup(node: Any, names: tuple[str, ...]) -> tuple[bool, Any]:
    for name in names:
        if not isinstance(node, dict) or name not in node:
            return False, None
        node = node[name]
    return True, node


def _apply(step: _Step, node: Any) -> list[Any]:
    kind = step.kind
    if kind == "name":
        return [node[k] for k in step.keys if isinstance(node, dict) and k in node]
    if kind == "index":
        if not isinstance(node, list):
            return []
        return [node[k] for k in step.keys if -len(node) <= k < len(node)]
    if kind == "wild":
        return _children(node)
    if kind == "deep":
        found: list[Any] = []
        for each in _descendants(node):
            if not step.keys:
                found.extend(_children(each))
            elif isinstance(each, dict) and step.keys[0] in each:
                found.append(each[step.keys[0]])
        return found
    # filter
    kept = []
    compare = _OPS.get(step.op)
    for child in _children(node):
        present, value = _lookup(child, step.filter_path)
        if not present:
            continue
        if compare is None:
            kept.append(child)
            continue
        try:
            if compare(value, step.literal):
                kept.append(child)
        except TypeError:
            continue  # values of kinds that do not compare are not selected
    return kept


# -- checking the form -------------------------------------------------------------------------
def check_tolerance(tolerance: Any) -> None:
    """Raise :class:`ToleranceError` unless ``tolerance`` is well formed (probe form excepted).

    A ``{"type": "probe", ...}`` tolerance is an activity: the caller checks it as one.
    """
    if isinstance(tolerance, bool | str):
        return
    if isinstance(tolerance, int):
        return
    if isinstance(tolerance, float):
        raise ToleranceError(
            f"{tolerance!r} is a fractional number, which a measured figure almost never equals "
            f"exactly (give a range such as [{tolerance!r}, {tolerance!r}] or [0, {tolerance!r}])"
        )
    if isinstance(tolerance, list):
        if len(tolerance) == 2:
            _check_bounds(tolerance, "a list of two values is a range [low, high]")
        elif not tolerance:
            raise ToleranceError("an empty list matches nothing (give [low, high] or the values)")
        return
    if isinstance(tolerance, dict):
        kind = tolerance.get("type")
        if kind not in TOLERANCE_TYPES:
            raise ToleranceError(
                f"type {kind!r} is not a tolerance type (choose from {', '.join(TOLERANCE_TYPES)})"
            )
        target = tolerance.get("target")
        if target is not None and not isinstance(target, str):
            raise ToleranceError(f"target {target!r} must be the name of an entry of the output")
        if kind == "range":
            if "range" not in tolerance:
                raise ToleranceError('a range tolerance needs "range": [low, high]')
            _check_bounds(tolerance["range"], "range")
        elif kind == "regex":
            pattern = tolerance.get("pattern")
            if not isinstance(pattern, str):
                raise ToleranceError('a regex tolerance needs "pattern": a regular expression')
            try:
                re.compile(pattern)
            except re.error as error:
                raise ToleranceError(
                    f"pattern {pattern!r} is not a regular expression: {error}"
                ) from None
        elif kind == "jsonpath":
            if "path" not in tolerance:
                raise ToleranceError('a jsonpath tolerance needs "path", e.g. "$.status"')
            JsonPath(tolerance["path"])
            count = tolerance.get("count")
            if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
                raise ToleranceError(f"count {count!r} must be a whole number of values")
        return
    raise ToleranceError(
        f"{tolerance!r} is not a tolerance (give a boolean, an integer, a string, [low, high], "
        "a list of values, or {type: range|regex|jsonpath|probe, ...})"
    )


def _check_bounds(bounds: Any, what: str) -> None:
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise ToleranceError(f"{what}: {bounds!r} must be two numbers [low, high]")
    low, high = bounds
    if not (_is_number(low) and _is_number(high)):
        raise ToleranceError(
            f"{what}: {bounds!r} must be two numbers [low, high] (to match one of two strings, "
            'use {"type": "regex", "pattern": "^(a|b)$"})'
        )
    if low > high:
        raise ToleranceError(f"{what}: low {low!r} is above high {high!r} (swap them)")


# -- judging values ----------------------------------------------------------------------------
def _strict_equal(value: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(expected, bool) and value is expected
    if _is_number(expected):
        return _is_number(value) and value == expected
    return bool(type(value) is type(expected) and value == expected)


def _target(tolerance: dict[str, Any], value: Any) -> Any:
    target = tolerance.get("target")
    if target and isinstance(value, dict):
        return value.get(target, value)
    return value


def within_tolerance(
    tolerance: Any,
    value: Any,
    probe: Callable[[dict[str, Any], Any], bool] | None = None,
) -> bool:
    """Whether the probe output ``value`` is within ``tolerance`` (see the module docs).

    ``probe`` judges a ``{"type": "probe"}`` tolerance: it is called with the tolerance and
    the value. The tolerance is assumed well formed (:func:`check_tolerance`).
    """
    if isinstance(tolerance, bool | str):
        return _strict_equal(value, tolerance)
    if isinstance(tolerance, int):
        if isinstance(value, dict) and "status" in value:
            return _strict_equal(value["status"], tolerance)
        return _strict_equal(value, tolerance)
    if isinstance(tolerance, list):
        if isinstance(value, dict) and "status" in value:
            return any(_strict_equal(value["status"], t) for t in tolerance)
        if len(tolerance) == 2:
            return _is_number(value) and tolerance[0] <= value <= tolerance[1]
        return any(_strict_equal(value, t) for t in tolerance)
    if isinstance(tolerance, dict):
        kind = tolerance.get("type")
        if kind == "probe":
            if probe is None:
                raise ToleranceError("a probe tolerance needs a runner to call the probe")
            return probe(tolerance, value)
        if kind == "range":
            number = _number(_target(tolerance, value))
            low, high = tolerance["range"]
            return number is not None and low <= number <= high
        if kind == "regex":
            text = _target(tolerance, value)
            return isinstance(text, str) and re.search(tolerance["pattern"], text) is not None
        if kind == "jsonpath":
            document = _target(tolerance, value)
            if isinstance(document, bytes):
                document = document.decode("utf-8", "replace")
            if isinstance(document, str):
                with contextlib.suppress(ValueError):
                    document = json.loads(document)
            found = JsonPath(tolerance["path"]).find(document)
            result = len(found) > 0
            if tolerance.get("count") is not None:
                result = len(found) == tolerance["count"]
            if "expect" in tolerance:
                expect = tolerance["expect"]
                result = found == (expect if isinstance(expect, list) else [expect])
            return result
    raise ToleranceError(f"{tolerance!r} is not a tolerance")
