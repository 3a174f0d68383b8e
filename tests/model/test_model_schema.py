"""Tests of monkeyhouse.model.schema: a valid draft 2020-12 schema every spigo file meets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from monkeyhouse.model.schema import architecture_schema
from spigo_data import SPIGO

FIXTURES = SPIGO
CATALOG_DIR = Path(__file__).resolve().parents[2] / "src" / "monkeyhouse" / "model" / "catalog"

needs_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"spigo reference data not found at {FIXTURES}"
)


def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(architecture_schema())


def errors(document: Any) -> list[str]:
    return [error.message for error in validator().iter_errors(document)]


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = architecture_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_is_a_new_dict_each_time() -> None:
    first = architecture_schema()
    first["title"] = "changed"
    assert architecture_schema()["title"] != "changed"


def test_descriptions_promise_forward_compatibility() -> None:
    schema = architecture_schema()
    service = schema["properties"]["services"]["items"]
    dependency_object = service["properties"]["dependencies"]["items"]["oneOf"][1]
    for part in (schema, service, dependency_object):
        assert "versions" in part["description"]
        assert "optional keys" in part["description"]


@needs_fixtures
@pytest.mark.parametrize(
    "path", sorted((FIXTURES / "json_arch").glob("*_arch.json")), ids=lambda p: p.name
)
def test_every_spigo_file_is_valid(path: Path) -> None:
    assert errors(json.loads(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize(
    "path", sorted(CATALOG_DIR.glob("*.yaml")) if CATALOG_DIR.is_dir() else [], ids=str
)
def test_every_catalog_file_is_valid(path: Path) -> None:
    assert errors(yaml.safe_load(path.read_text(encoding="utf-8"))) == []


NATIVE: dict[str, Any] = {
    "format": "monkeyhouse/1",
    "arch": "shop",
    "x-order": 3,
    "topology": {"regions": ["a", "b"], "zones": ["z"], "fixed_regions": 2,
                 "population": False, "first_index": 1, "x-k": 1},
    "services": [
        {"name": "db", "package": "store", "count": 2, "regions": 1, "scales": False,
         "dependencies": None, "description": "d", "x-any": {"a": 1}},
        {"name": "www", "package": "denominator",
         "dependencies": ["db", {"service": "db", "x-weight": 2}],
         "useCustomGuesstimate": True, "guesstimateType": "T", "guesstimateValue": "1"},
    ],
}  # fmt: skip


def test_native_document_with_every_key_is_valid() -> None:
    assert errors(NATIVE) == []


def with_change(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(NATIVE))
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
        (("services", 0, "count"), "six"),
        (("services", 0, "count"), True),
        (("services", 0, "count"), -1),
        (("services", 0, "regions"), 7),
        (("services", 0, "cuont"), 1),
        (("services", 0, "name"), ""),
        (("services", 0, "name"), KeyError),
        (("services", 0, "package"), KeyError),
        (("services", 1, "dependencies", 1, "servce"), "db"),
        (("services", 1, "dependencies", 0), 3),
        (("services",), []),
        (("services",), KeyError),
        (("format",), "monkeyhouse/2"),
        (("topology", "fixed_regions"), 0),
        (("topology", "first_index"), -1),
        (("topology", "regions"), []),
        (("topology", "zones"), ["z", "z"]),
        (("servics",), []),
    ],
)
def test_bad_documents_are_rejected(path: tuple[Any, ...], value: Any) -> None:
    assert errors(with_change(path, value)) != []
