"""The JSON Schema (draft 2020-12) of monkeyhouse's native architecture format.

The native format is a superset of spigo's ``*_arch.json``: every spigo file is a valid native
file. It adds an optional ``format`` marker, a ``topology`` section, a per-service ``scales``
flag and ``description``, and dependencies written as objects (``{"service": "cart"}``) next to
plain service names. Keys beginning with ``x-`` are extensions, allowed everywhere and ignored.
Time is optional everywhere: per service a service-time distribution and capacity (``threads``,
``queue``, ``on_full``, ``dispatch``), per dependency object its call settings, and at the top
level ``network`` and ``traffic`` (see :mod:`monkeyhouse.model.timing`).

The loader (:mod:`monkeyhouse.model.loader`) enforces the same rules with better messages; the
schema is for editors, other tools and documentation.
"""

from __future__ import annotations

from typing import Any

from monkeyhouse.model.distributions import PERCENTILE_KEYS
from monkeyhouse.model.resilience import (
    BULKHEAD_KINDS,
    FALLBACK_KINDS,
    BudgetSettings,
    BulkheadSettings,
    CountBreakerSettings,
    FallbackSettings,
    HystrixSettings,
    OutlierSettings,
    RetryPolicy,
    setting_kind,
)
from monkeyhouse.model.timing import (
    ARRIVALS,
    CALL_MODES,
    DISPATCHES,
    MAX_CALLS,
    ON_FULL,
    PATTERNS,
    REQUEST_KINDS,
)

#: The ``format`` value of files written for this version of the native format.
FORMAT_V1 = "monkeyhouse/1"

#: The URI naming the schema (``$id``).
SCHEMA_ID = "https://monkeyhouse.dev/schema/architecture-1.json"

_EXTENSIONS: dict[str, Any] = {"^x-": {"description": "An extension: kept and ignored."}}

_FUTURE = (
    " Later versions of the format add new optional keys here (versions, deployments), so "
    "files valid today stay valid."
)

#: Keys only one traffic pattern accepts, and which of them it requires.
_PATTERN_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ramp": (("to_rate", "over", "start"), ("to_rate", "over")),
    "step": (("steps",), ("steps",)),
    "diurnal": (("amplitude", "period"), ()),
    "spike": (("peak", "at", "duration"), ("peak", "at", "duration")),
    "replay": (("csv",), ("csv",)),
}


def _string(description: str) -> dict[str, Any]:
    return {"type": "string", "description": description}


def _name_list(description: str) -> dict[str, Any]:
    return {
        "type": "array",
        "description": description,
        "items": {"type": "string", "minLength": 1, "pattern": "^[^.\\s]+$"},
        "minItems": 1,
        "uniqueItems": True,
    }


def _number(description: str, *, positive: bool = False, **limits: float) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "number", "description": description}
    schema["exclusiveMinimum" if positive else "minimum"] = 0
    schema.update(limits)
    return schema


def _object(
    properties: dict[str, Any], required: list[str], description: str = ""
) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": required,
        "patternProperties": _EXTENSIONS,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _distribution(description: str) -> dict[str, Any]:
    seconds = _number("Seconds.", positive=True)
    bin_value = {"type": "number", "minimum": 0}
    return {
        "description": description + " In seconds: a number (fixed) or a mapping with one "
        "distribution: fixed, exponential, lognormal, gamma, histogram or percentiles.",
        "oneOf": [
            _number("A fixed time in seconds."),
            _object({"fixed": _number("A fixed time in seconds.")}, ["fixed"]),
            _object({"exponential": _object({"mean": seconds}, ["mean"])}, ["exponential"]),
            _object(
                {
                    "lognormal": {
                        "oneOf": [
                            _object(
                                {"median": seconds, "sigma": _number("Log sd.", positive=True)},
                                ["median", "sigma"],
                                "By median and the standard deviation of the log.",
                            ),
                            _object(
                                {"mean": seconds, "stddev": seconds},
                                ["mean", "stddev"],
                                "By mean and standard deviation.",
                            ),
                        ]
                    }
                },
                ["lognormal"],
            ),
            _object(
                {
                    "gamma": {
                        **_object(
                            {
                                "shape": _number("Shape k.", positive=True),
                                "mean": seconds,
                                "scale": seconds,
                            },
                            ["shape"],
                            "Shape and mean, or shape and scale.",
                        ),
                        "oneOf": [{"required": ["mean"]}, {"required": ["scale"]}],
                    }
                },
                ["gamma"],
            ),
            _object(
                {
                    "histogram": {
                        "type": "array",
                        "description": "Bins [low, high, weight] in increasing order.",
                        "minItems": 1,
                        "items": {
                            "type": "array",
                            "prefixItems": [bin_value, bin_value, bin_value],
                            "minItems": 3,
                            "maxItems": 3,
                        },
                    }
                },
                ["histogram"],
            ),
            _object(
                {
                    "percentiles": _object(
                        {key: seconds for key in PERCENTILE_KEYS},
                        ["p50", "p99"],
                        "A lognormal through p50 and p99 (least squares in log space when "
                        "p90, p95 or p999 are also given).",
                    )
                },
                ["percentiles"],
            ),
        ],
    }


def _dependency() -> dict[str, Any]:
    return {
        "description": "A service this one calls: its name, or an object naming it.",
        "oneOf": [
            {
                "type": "string",
                "description": "A service name, or 'eureka' for every registry in every region.",
            },
            {
                "type": "object",
                "description": "A dependency with per-dependency settings." + _FUTURE,
                "properties": {
                    "service": _string("The name of the service called."),
                    "mode": {
                        "enum": list(CALL_MODES),
                        "default": "sequence",
                        "description": "Called after the previous call returns, or in parallel.",
                    },
                    "probability": _number(
                        "Share of requests that make this call (default 1).", maximum=1
                    ),
                    "calls": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_CALLS,
                        "default": 1,
                        "description": "Calls per request that makes it.",
                    },
                    "weight": _number(
                        "Share of requests routed here when the caller routes each request "
                        "to one dependency (default 1).",
                        positive=True,
                    ),
                    "request_bytes": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "Request payload in bytes (default 0).",
                    },
                    "response_bytes": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "Response payload in bytes (default 0).",
                    },
                    **resilience_properties(),
                },
                "required": ["service"],
                "patternProperties": _EXTENSIONS,
                "additionalProperties": False,
            },
        ],
    }


def _settings(cls: Any, description: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """An object whose keys are the fields of the settings dataclass ``cls``."""
    properties: dict[str, Any] = dict(extra or {})
    for name, spec in cls.__dataclass_fields__.items():
        default = spec.default
        kind = setting_kind(name, default)
        if kind == "boolean":
            properties[name] = {"type": "boolean", "default": default}
        elif kind == "whole":
            properties[name] = {"type": "integer", "minimum": 0, "default": default}
        elif kind == "number":
            properties[name] = {"type": "number", "minimum": 0}
            if isinstance(default, float):
                properties[name]["default"] = default
        elif kind == "names":
            properties[name] = {"type": "array", "items": {"type": "string"}}
        else:
            properties[name] = {"type": "string"}
            if isinstance(default, str):
                properties[name]["default"] = default
    return _object(properties, [], description)


def _off_or(schema: dict[str, Any], *names: str) -> dict[str, Any]:
    return {"oneOf": [{"enum": ["none", *names]}, schema]}


def resilience_properties() -> dict[str, Any]:
    """The keys that protect calls: on a dependency, or in a service's ``resilience``."""
    kinds = {"kind": {"enum": list(BULKHEAD_KINDS)}}
    fallback_kinds = {"kind": {"enum": list(FALLBACK_KINDS)}}
    budget = _settings(BudgetSettings, "Envoy's retry budget (20 %, at least 3).")
    return {
        "timeout": _off_or(_number("Seconds an attempt may take (Hystrix: 1).", positive=True)),
        "retries": _off_or(
            {
                "oneOf": [
                    {"type": "integer", "minimum": 0, "description": "Retries per call."},
                    _settings(
                        RetryPolicy,
                        "Retries: count, back-off (seconds), jitter, the failures retried, and "
                        "a budget.",
                        {"budget": _off_or(budget)},
                    ),
                ]
            }
        ),
        "breaker": _off_or(
            {
                "oneOf": [
                    _settings(
                        HystrixSettings,
                        "Hystrix's breaker (its property names).",
                        {"kind": {"const": "hystrix"}},
                    ),
                    _settings(
                        CountBreakerSettings,
                        "resilience4j's count-based breaker (its property names).",
                        {"kind": {"const": "count"}},
                    ),
                ]
            },
            "hystrix",
            "count",
        ),
        "bulkhead": _off_or(_settings(BulkheadSettings, "A thread pool or a semaphore.", kinds)),
        "fallback": _off_or(
            _settings(FallbackSettings, "What answers when the call fails.", fallback_kinds)
        ),
        "outlier": _off_or(
            _settings(OutlierSettings, "Envoy's consecutive-5xx ejection."), "envoy"
        ),
    }


def _service() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "One service: a behaviour package run by a number of instances." + _FUTURE,
        "properties": {
            "name": {
                "type": "string",
                "minLength": 1,
                "pattern": "^[^.\\s]+$",
                "description": "Unique service name; part of every node name (no dots, no spaces).",
            },
            "package": _string("The behaviour package (karyon, zuul, store, ...)."),
            "count": {
                "type": "integer",
                "minimum": 0,
                "maximum": 100000,
                "default": 0,
                "description": "Instances per region, scaled by -p; 0 = one region-wide node.",
            },
            "regions": {
                "type": "integer",
                "minimum": 0,
                "maximum": 6,
                "default": 0,
                "description": "0 = one global node; N = present in N times -w regions.",
            },
            "dependencies": {
                "type": ["array", "null"],
                "description": "The services this one calls, in order; null = none.",
                "items": _dependency(),
            },
            "scales": {
                "type": "boolean",
                "default": True,
                "description": "False keeps count fixed whatever -p says.",
            },
            "machine": _string("Machine name (informational, from docker-compose)."),
            "instance": _string("Instance name (informational)."),
            "container": _string("Container image (informational)."),
            "process": _string("Process name (informational)."),
            "description": _string("What the service does."),
            "useCustomGuesstimate": {
                "type": "boolean",
                "description": "spigo: read only by the Guesstimate exporter.",
            },
            "guesstimateType": _string("spigo: read only by the Guesstimate exporter."),
            "guesstimateValue": _string("spigo: read only by the Guesstimate exporter."),
            "service_time": _distribution(
                "Time one request keeps a thread busy (default: the package's)."
            ),
            "threads": {
                "type": "integer",
                "minimum": 1,
                "description": "Requests served at once per instance (default: the package's).",
            },
            "cores": {
                "type": "integer",
                "minimum": 1,
                "description": "Requests doing their work (service time) at once per instance; "
                "the rest of a request's time, waiting on calls, needs no core (default: the "
                "package's).",
            },
            "queue": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": "Requests waiting per instance; null = unbounded (default: the "
                "package's).",
            },
            "on_full": {
                "enum": list(ON_FULL),
                "description": "What a full queue does to a new request (default: the package's).",
            },
            "resilience": {
                "description": "Protection of every call this service makes, changing its "
                "package's defaults; none switches all of it off.",
                "oneOf": [
                    {"const": "none"},
                    _object(resilience_properties(), []),
                ],
            },
            "dispatch": {
                "enum": list(DISPATCHES),
                "description": "route = one dependency per request, fanout = all, tiers = "
                "staash's tiers, leaf = none (default: the package's).",
            },
        },
        "required": ["name", "package"],
        "patternProperties": _EXTENSIONS,
        "additionalProperties": False,
    }


def _topology() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Where the architecture runs.",
        "properties": {
            "regions": _name_list("Region names; -w N takes the first N."),
            "zones": _name_list("Zone names; instances are spread over them round robin."),
            "fixed_regions": {
                "type": "integer",
                "minimum": 1,
                "description": "Run in this many regions whatever -w says "
                "(at most the number of region names).",
            },
            "population": {
                "type": "boolean",
                "description": "True: -p is the instance count of every scaled service (fsm).",
            },
            "first_index": {
                "type": "integer",
                "minimum": 0,
                "description": "Number of the first instance of each service (default 0).",
            },
        },
        "patternProperties": _EXTENSIONS,
        "additionalProperties": False,
    }


def _network() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "One-way network latency in seconds, and bandwidth.",
        "properties": {
            "same_zone": _number("Within a zone (default 0.0001)."),
            "cross_zone": _number("Between zones of a region (default 0.0005)."),
            "cross_region": _number("Between regions not listed in regions (default 0.060)."),
            "regions": {
                "type": "object",
                "description": "Per region pair, 'region-a/region-b': seconds (both ways).",
                "patternProperties": {
                    **_EXTENSIONS,
                    "^[^/]+/[^/]+$": _number("One-way seconds."),
                },
                "additionalProperties": False,
            },
            "bandwidth": _number("Bytes per second (default 1.25e9, 10 Gbit/s).", positive=True),
        },
        "patternProperties": _EXTENSIONS,
        "additionalProperties": False,
    }


def _traffic_source() -> dict[str, Any]:
    pair = {
        "type": "array",
        "prefixItems": [_number("Seconds."), _number("Requests per second.")],
        "minItems": 2,
        "maxItems": 2,
    }
    specific = {key for keys, _ in _PATTERN_KEYS.values() for key in keys}
    rules: list[dict[str, Any]] = []
    for pattern in PATTERNS:
        own, required = _PATTERN_KEYS.get(pattern, ((), ()))
        others = sorted(specific - set(own))
        then: dict[str, Any] = {"not": {"anyOf": [{"required": [key]} for key in others]}}
        if required:
            then["required"] = list(required)
        if pattern == "replay":
            then["not"]["anyOf"].append({"required": ["rate"]})
        condition: dict[str, Any] = {
            "properties": {"pattern": {"const": pattern}},
            "required": ["pattern"],
        }
        if pattern == "constant":
            condition = {"anyOf": [condition, {"not": {"required": ["pattern"]}}]}
        rules.append({"if": condition, "then": then})
    return {
        "type": "object",
        "description": "A traffic source: a rate over simulated time, arrivals and a mix.",
        "properties": {
            "source": _string("The service sending requests (default: the last service)."),
            "pattern": {"enum": list(PATTERNS), "default": "constant"},
            "rate": _number("Base rate, requests per second (default 100)."),
            "to_rate": _number("ramp: the rate at the end of the ramp."),
            "over": _number("ramp: seconds the ramp lasts."),
            "start": _number("ramp: when the ramp starts (default 0)."),
            "steps": {
                "type": "array",
                "description": "step: [time, rate] pairs in time order.",
                "minItems": 1,
                "items": pair,
            },
            "amplitude": _number("diurnal: swing as a share of rate (default 0.5).", maximum=1),
            "period": _number("diurnal: seconds per cycle (default 86400).", positive=True),
            "peak": _number("spike: the rate during the spike."),
            "at": _number("spike: when the spike starts."),
            "duration": _number("spike: how long the spike lasts."),
            "csv": {
                "type": "string",
                "minLength": 1,
                "description": "replay: CSV file with columns time,rate (relative to the "
                "architecture file).",
            },
            "arrivals": {
                "enum": list(ARRIVALS),
                "description": "Default uniform for constant, poisson for the other patterns.",
            },
            "mix": {
                "type": "object",
                "description": "Request kinds and relative weights (default get 2, put 1).",
                "properties": {kind: _number(f"Weight of {kind}s.") for kind in REQUEST_KINDS},
                "minProperties": 1,
                "patternProperties": _EXTENSIONS,
                "additionalProperties": False,
            },
        },
        "allOf": rules,
        "patternProperties": _EXTENSIONS,
        "additionalProperties": False,
    }


def architecture_schema() -> dict[str, Any]:
    """Return the JSON Schema of the native architecture format (a new dict each call)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "monkeyhouse architecture",
        "description": "A microservice architecture for monkeyhouse; a superset of spigo's "
        "*_arch.json format. Keys starting with 'x-' are extensions, allowed everywhere." + _FUTURE,
        "type": "object",
        "properties": {
            "format": {
                "const": FORMAT_V1,
                "description": "The format version; optional, absent means spigo or version 1.",
            },
            "arch": _string("Architecture name (informational; the -a value names outputs)."),
            "description": _string("What the architecture models."),
            "version": _string("spigo's version string, e.g. 'arch-0.1'."),
            "args": _string("The command line that created the file."),
            "date": _string("When the file was created (RFC 3339)."),
            "victim": _string("Service chaos monkey removes an instance of; '' = none."),
            "topology": _topology(),
            "network": _network(),
            "traffic": {
                "description": "Traffic sources: one or a list (default: 100 requests per "
                "second from the last service, two gets per put).",
                "oneOf": [
                    _traffic_source(),
                    {"type": "array", "minItems": 1, "items": _traffic_source()},
                ],
            },
            "services": {
                "type": "array",
                "description": "The services, in order; the last one is the traffic root.",
                "minItems": 1,
                "items": _service(),
            },
        },
        "required": ["services"],
        "patternProperties": _EXTENSIONS,
        "additionalProperties": False,
    }
