"""The JSON Schema (draft 2020-12) of monkeyhouse's native architecture format.

The native format is a superset of spigo's ``*_arch.json``: every spigo file is a valid native
file. It adds an optional ``format`` marker, a ``topology`` section, a per-service ``scales``
flag and ``description``, and dependencies written as objects (``{"service": "cart"}``) next to
plain service names. Keys beginning with ``x-`` are extensions, allowed everywhere and ignored.

The loader (:mod:`monkeyhouse.model.loader`) enforces the same rules with better messages; the
schema is for editors, other tools and documentation.
"""

from __future__ import annotations

from typing import Any

#: The ``format`` value of files written for this version of the native format.
FORMAT_V1 = "monkeyhouse/1"

#: The URI naming the schema (``$id``).
SCHEMA_ID = "https://monkeyhouse.dev/schema/architecture-1.json"

_EXTENSIONS: dict[str, Any] = {"^x-": {"description": "An extension: kept and ignored."}}

_FUTURE = (
    " Later versions of the format add new optional keys here (service time, capacity, "
    "timeouts, retries, circuit breakers, versions), so files valid today stay valid."
)


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
                "properties": {"service": _string("The name of the service called.")},
                "required": ["service"],
                "patternProperties": _EXTENSIONS,
                "additionalProperties": False,
            },
        ],
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
