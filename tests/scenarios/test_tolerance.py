"""Tolerances, table-driven from the Chaos Toolkit specification and tolerance tutorial.

The cases are the documented examples (``true``, ``8``, ``"OK"``, ``[4, 9]``, ``{"type":
"range", "range": [6.4, 7.5]}``, ``{"type": "regex", "pattern": "^welcome=hello$"}``, the
jsonpath ``expect``/``count`` forms on ``{"foo": [{"baz": "hello"}, {"baz": "bonjour"}]}``,
``target: "stdout"`` on a process output) with the outcome the specification states, plus the
strictness monkeyhouse documents (booleans are not numbers, ``null`` is in no range).
"""

from __future__ import annotations

from typing import Any

import pytest

from monkeyhouse.scenarios.tolerance import (
    JsonPath,
    ToleranceError,
    check_tolerance,
    within_tolerance,
)

FOO = {"foo": [{"baz": "hello"}, {"baz": "bonjour"}]}
PROCESS = {"status": 0, "stdout": "lang\nwelcome=hello\n", "stderr": ""}

CASES: list[tuple[str, Any, Any, bool]] = [
    # scalars: strict equality
    ("boolean true", True, True, True),
    ("boolean true, false", True, False, False),
    ("boolean true is not 1", True, 1, False),
    ("boolean false is not 0", False, 0, False),
    ("integer 8", 8, 8, True),
    ("integer 8, 8.0", 8, 8.0, True),
    ("integer 8, 9", 8, 9, False),
    ("integer 1 is not true", 1, True, False),
    ("integer 8 is not '8'", 8, "8", False),
    ("integer 0 and a process status 0", 0, PROCESS, True),
    ("integer 1 and a process status 0", 1, PROCESS, False),
    ("integer 200 and an http status", 200, {"status": 200, "body": ""}, True),
    ("string OK", "OK", "OK", True),
    ("string OK, ok", "OK", "ok", False),
    ("string OK, None", "OK", None, False),
    # [low, high]: inclusive
    ("range [4, 9], 4", [4, 9], 4, True),
    ("range [4, 9], 9", [4, 9], 9, True),
    ("range [4, 9], 6.5", [4, 9], 6.5, True),
    ("range [4, 9], 3.999", [4, 9], 3.999, False),
    ("range [4, 9], 9.001", [4, 9], 9.001, False),
    ("range [4, 9], None", [4, 9], None, False),
    ("range [0, 1], True", [0, 1], True, False),
    ("range [4, 9], '5'", [4, 9], "5", False),
    ("range and a status", [200, 204], {"status": 204}, True),
    # other lists: one of
    ("one of three", [1, 2, 3], 2, True),
    ("one of three, 4", [1, 2, 3], 4, False),
    ("one of strings", ["a", "b", "c"], "b", True),
    # {type: range}
    ("type range 6.4..7.5, 7", {"type": "range", "range": [6.4, 7.5]}, 7, True),
    ("type range 6.4..7.5, 6.4", {"type": "range", "range": [6.4, 7.5]}, 6.4, True),
    ("type range 6.4..7.5, 7.6", {"type": "range", "range": [6.4, 7.5]}, 7.6, False),
    ("type range reads numbers in strings", {"type": "range", "range": [6.4, 7.5]}, "7.0", True),
    ("type range, not a number", {"type": "range", "range": [6.4, 7.5]}, "seven", False),
    ("type range, None", {"type": "range", "range": [0, 1]}, None, False),
    (
        "type range with target",
        {"type": "range", "range": [0, 0], "target": "status"},
        PROCESS,
        True,
    ),
    # {type: regex}
    ("regex anchored", {"type": "regex", "pattern": "^welcome=hello$"}, "welcome=hello", True),
    ("regex anchored, other", {"type": "regex", "pattern": "^welcome=hello$"}, "welcome=hi", False),
    ("regex searches", {"type": "regex", "pattern": "hello"}, "say hello there", True),
    (
        "regex on stdout",
        {"type": "regex", "pattern": "welcome=hello", "target": "stdout"},
        PROCESS,
        True,
    ),
    ("regex on a number", {"type": "regex", "pattern": "1"}, 1, False),
    # {type: jsonpath}
    (
        "jsonpath expect both",
        {"type": "jsonpath", "path": "$.foo[*].baz", "expect": ["hello", "bonjour"]},
        FOO,
        True,
    ),
    (
        "jsonpath expect, wrong order",
        {"type": "jsonpath", "path": "$.foo[*].baz", "expect": ["bonjour", "hello"]},
        FOO,
        False,
    ),
    ("jsonpath count 2", {"type": "jsonpath", "path": "$.foo[*].baz", "count": 2}, FOO, True),
    ("jsonpath count 3", {"type": "jsonpath", "path": "$.foo[*].baz", "count": 3}, FOO, False),
    ("jsonpath found something", {"type": "jsonpath", "path": "$.foo[0].baz"}, FOO, True),
    ("jsonpath found nothing", {"type": "jsonpath", "path": "$.bar"}, FOO, False),
    (
        "jsonpath expect a scalar",
        {"type": "jsonpath", "path": "$.foo[1].baz", "expect": "bonjour"},
        FOO,
        True,
    ),
    (
        "jsonpath on a JSON string",
        {"type": "jsonpath", "path": "$.foo[*].baz", "count": 2},
        '{"foo": [{"baz": "hello"}, {"baz": "bonjour"}]}',
        True,
    ),
    (
        "jsonpath with a target",
        {"type": "jsonpath", "path": "$.ok", "expect": True, "target": "body"},
        {"status": 200, "body": {"ok": True}},
        True,
    ),
]


@pytest.mark.parametrize(
    ("tolerance", "value", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_tolerance_table(tolerance: Any, value: Any, expected: bool) -> None:
    check_tolerance(tolerance)
    assert within_tolerance(tolerance, value) is expected


def test_a_probe_tolerance_is_judged_by_the_callback_with_the_value() -> None:
    seen: list[Any] = []

    def judge(tolerance: dict[str, Any], value: Any) -> bool:
        seen.append((tolerance["name"], value))
        return bool(value > 3)

    tolerance = {"type": "probe", "name": "above-three", "provider": {"type": "python"}}
    assert within_tolerance(tolerance, 5, probe=judge) is True
    assert within_tolerance(tolerance, 1, probe=judge) is False
    assert seen == [("above-three", 5), ("above-three", 1)]


BAD: list[tuple[Any, str]] = [
    (0.5, "give a range"),
    ([9, 4], "swap them"),
    (["a", "b"], "regex"),
    ([], "matches nothing"),
    (None, "is not a tolerance"),
    ({"type": "between"}, "choose from range, regex, jsonpath, probe"),
    ({"type": "range"}, '"range": [low, high]'),
    ({"type": "range", "range": [1, 2, 3]}, "two numbers"),
    ({"type": "regex"}, '"pattern"'),
    ({"type": "regex", "pattern": "(unclosed"}, "not a regular expression"),
    ({"type": "jsonpath"}, '"path"'),
    ({"type": "jsonpath", "path": "foo"}, "must start with '$'"),
    ({"type": "jsonpath", "path": "$.foo[1:2]"}, "slices are not supported"),
    ({"type": "jsonpath", "path": "$.a", "count": "2"}, "whole number"),
]


@pytest.mark.parametrize(("tolerance", "needle"), BAD, ids=[repr(b[0]) for b in BAD])
def test_malformed_tolerances_are_refused_with_a_fix(tolerance: Any, needle: str) -> None:
    with pytest.raises(ToleranceError, match=None) as caught:
        check_tolerance(tolerance)
    assert needle in str(caught.value)


DOC = {
    "store": {
        "book": [
            {"title": "A", "price": 8.95, "isbn": "1"},
            {"title": "B", "price": 12.99},
            {"title": "C", "price": 22.99, "isbn": "3"},
        ],
        "bicycle": {"price": 19.95},
    },
    "a-b": 1,
}

PATHS: list[tuple[str, list[Any]]] = [
    ("$", [DOC]),
    ("$.store.book[0].title", ["A"]),
    ("$['store']['book'][-1].title", ["C"]),
    ('$["a-b"]', [1]),
    ("$.a-b", [1]),
    ("$.store.book[*].title", ["A", "B", "C"]),
    ("$.store.book.*.title", ["A", "B", "C"]),
    ("$.store.book[0,2].title", ["A", "C"]),
    ("$..price", [8.95, 12.99, 22.99, 19.95]),
    ("$.store.book[?(@.isbn)].title", ["A", "C"]),
    ("$.store.book[?(@.price < 20)].title", ["A", "B"]),
    ("$.store.book[?(@.title == 'B')].price", [12.99]),
    ("$.store.book[?(@.price >= 22.99)].title", ["C"]),
    ("$.store.book[7].title", []),
    ("$.nothing.here", []),
]


@pytest.mark.parametrize(("path", "expected"), PATHS, ids=[p[0] for p in PATHS])
def test_jsonpath_subset(path: str, expected: list[Any]) -> None:
    assert JsonPath(path).find(DOC) == expected
