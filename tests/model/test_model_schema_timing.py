"""The schema knows every optional key of time: it accepts them all and refuses bad values."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from monkeyhouse.model.schema import architecture_schema

DOCS = Path(__file__).resolve().parents[2] / "docs" / "architecture-format.md"

TIMED: dict[str, Any] = {
    "format": "monkeyhouse/1",
    "network": {"same_zone": 0.0002, "cross_zone": 0.001, "cross_region": 0.09,
                "regions": {"us-east-1/us-west-2": 0.035, "x-k": 1}, "bandwidth": 1.25e8,
                "x-note": "n"},
    "traffic": [
        {"source": "www", "pattern": "constant", "rate": 50, "arrivals": "poisson",
         "mix": {"get": 1, "put": 3, "x-k": 0}, "x-k": 1},
        {"pattern": "poisson", "rate": 20},
        {"pattern": "ramp", "rate": 10, "to_rate": 100, "over": 60, "start": 5},
        {"pattern": "step", "rate": 10, "steps": [[10, 20], [20.5, 5]]},
        {"pattern": "diurnal", "rate": 100, "amplitude": 0.25, "period": 600},
        {"pattern": "spike", "rate": 1, "peak": 900, "at": 30, "duration": 2.5},
        {"pattern": "replay", "csv": "rates.csv"},
        {"rate": 3},
    ],
    "services": [
        {"name": "a", "package": "store", "service_time": 0.001, "threads": 5, "queue": 0,
         "on_full": "reject", "dispatch": "leaf"},
        {"name": "b", "package": "store", "service_time": {"fixed": 0.001}, "queue": None},
        {"name": "c", "package": "store", "service_time": {"exponential": {"mean": 0.001}}},
        {"name": "d", "package": "store",
         "service_time": {"lognormal": {"median": 0.005, "sigma": 0.6}}},
        {"name": "e", "package": "store",
         "service_time": {"lognormal": {"mean": 0.005, "stddev": 0.004}}},
        {"name": "f", "package": "store", "service_time": {"gamma": {"shape": 2, "mean": 0.004}}},
        {"name": "g", "package": "store", "service_time": {"gamma": {"shape": 2, "scale": 0.1}}},
        {"name": "h", "package": "store",
         "service_time": {"histogram": [[0.001, 0.002, 3], [0.002, 0.004, 1]]}},
        {"name": "i", "package": "store",
         "service_time": {"percentiles": {"p50": 0.004, "p90": 0.01, "p95": 0.02, "p99": 0.03,
                                          "p999": 0.1}}},
        {"name": "www", "package": "denominator", "dependencies": [
            "a",
            {"service": "b", "mode": "parallel", "probability": 0.25, "calls": 3, "weight": 2.5,
             "request_bytes": 100, "response_bytes": 4096, "x-k": 1},
        ]},
    ],
}  # fmt: skip


def errors(document: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(architecture_schema())
    return [error.message for error in validator.iter_errors(document)]


def test_schema_is_still_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(architecture_schema())


def test_a_document_with_every_time_key_is_valid() -> None:
    assert errors(TIMED) == []


def test_single_traffic_mapping_is_valid() -> None:
    assert errors({**TIMED, "traffic": {"pattern": "poisson", "rate": 5}}) == []


def test_the_documented_worked_example_is_valid() -> None:
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"### A worked example\n\n```yaml\n(.*?)```", text, re.S)
    assert match is not None
    assert errors(yaml.safe_load(match.group(1))) == []


def changed(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(TIMED))
    target = document
    for part in path[:-1]:
        target = target[part]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("services", 0, "service_time"), -1),
        (("services", 0, "service_time"), "5ms"),
        (("services", 0, "service_time"), {"exponential": {"mean": 0}}),
        (("services", 0, "service_time"), {"exponental": {"mean": 1}}),
        (("services", 0, "service_time"), {"fixed": 1, "exponential": {"mean": 1}}),
        (("services", 0, "service_time"), {"lognormal": {"median": 0.005}}),
        (("services", 0, "service_time"), {"lognormal": {"median": 1, "sigma": 1, "mean": 1}}),
        (("services", 0, "service_time"), {"gamma": {"shape": 2}}),
        (("services", 0, "service_time"), {"gamma": {"shape": 2, "mean": 1, "scale": 1}}),
        (("services", 0, "service_time"), {"histogram": []}),
        (("services", 0, "service_time"), {"histogram": [[1, 2]]}),
        (("services", 0, "service_time"), {"percentiles": {"p50": 0.004}}),
        (("services", 0, "threads"), 0),
        (("services", 0, "threads"), 1.5),
        (("services", 0, "queue"), -1),
        (("services", 0, "on_full"), "drop"),
        (("services", 0, "dispatch"), "all"),
        (("services", 9, "dependencies", 1, "mode"), "both"),
        (("services", 9, "dependencies", 1, "probability"), 1.5),
        (("services", 9, "dependencies", 1, "calls"), 0),
        (("services", 9, "dependencies", 1, "weight"), 0),
        (("services", 9, "dependencies", 1, "request_bytes"), -1),
        (("services", 9, "dependencies", 1, "probabilty"), 1),
        (("network", "bandwidth"), 0),
        (("network", "same_zone"), -1),
        (("network", "regions"), {"us-east-1": 0.1}),
        (("network", "latency"), 1),
        (("traffic",), []),
        (("traffic", 0, "pattern"), "wave"),
        (("traffic", 0, "rate"), -1),
        (("traffic", 0, "arrivals"), "regular"),
        (("traffic", 0, "mix"), {"post": 1}),
        (("traffic", 0, "peak"), 5),
        (("traffic", 7, "steps"), [[1, 2]]),
        (("traffic", 2, "over"), KeyError),
        (("traffic", 3, "steps"), []),
        (("traffic", 4, "amplitude"), 1.5),
        (("traffic", 4, "period"), 0),
        (("traffic", 5, "duration"), KeyError),
        (("traffic", 6, "rate"), 5),
        (("traffic", 6, "csv"), KeyError),
    ],
)
def test_bad_time_values_are_rejected(path: tuple[Any, ...], value: Any) -> None:
    assert errors(changed(path, value)) != []
