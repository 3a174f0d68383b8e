"""Zipkin v2 JSON: valid against a schema restating zipkin2-api.yaml, values worked out by hand."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from monkeyhouse.behaviours.spans import CLIENT, SERVER, Span
from monkeyhouse.exporters.zipkin import ZIPKIN_FILE, write_zipkin
from monkeyhouse.telemetry.spans import check_trace_tree
from span_samples import (
    CASS,
    HOME,
    PROXY,
    WWW,
    FakeInstance,
    FakeService,
    micros,
    sample_spans,
)

SCHEMA = json.loads((Path(__file__).parent / "zipkin2_span.schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)


def export(tmp_path: Path, spans: list[Span]) -> list[dict[str, Any]]:
    path = write_zipkin(tmp_path / ZIPKIN_FILE, spans, epoch_ns=1_482_105_600 * 10**9)
    assert path == tmp_path / ZIPKIN_FILE
    document: list[dict[str, Any]] = json.loads(path.read_text())
    return document


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


def test_export_is_valid_against_the_schema(tmp_path: Path) -> None:
    document = export(tmp_path, sample_spans())
    errors = [e.message for e in VALIDATOR.iter_errors(document)]
    assert errors == []
    assert len(document) == 24


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda s: s.update(id="00000000000000AB"), "does not match"),
        (lambda s: s.update(traceId="abc"), "too short"),
        (lambda s: s.pop("id"), "'id' is a required property"),
        (lambda s: s.update(duration=0), "less than the minimum of 1"),
        (lambda s: s.update(timestamp=1.5), "is not of type 'integer'"),
        (lambda s: s.update(kind="LOCAL"), "is not one of"),
        (lambda s: s["tags"].update(count=3), "is not of type 'string'"),
        (lambda s: s["localEndpoint"].update(ipv4="54.288.0.1"), "is not a 'ipv4'"),
        (lambda s: s.update(annotations=[{"value": "ws"}]), "'timestamp' is a required"),
    ],
)
def test_schema_rejects_what_zipkin_rejects(tmp_path: Path, change: Any, problem: str) -> None:
    span = copy.deepcopy(export(tmp_path, sample_spans())[0])
    change(span)
    messages = [e.message for e in VALIDATOR.iter_errors([span])]
    assert any(problem in m for m in messages), messages


def test_values_worked_out_by_hand(tmp_path: Path) -> None:
    spans = {(s["traceId"], s["id"]): s for s in export(tmp_path, sample_spans())}
    root = spans["0000000000000001", "0000000000000001"]
    assert root == {
        "traceId": "0000000000000001",
        "id": "0000000000000001",
        "name": "get",
        "kind": "CLIENT",
        "timestamp": 1_482_105_601_000_000,
        "duration": 12_250,  # see span_samples.request: 12.25 ms end to end
        "localEndpoint": {"serviceName": "www", "ipv4": "54.198.0.1", "port": 8080},
        "remoteEndpoint": {"serviceName": "wwwproxy", "ipv4": "54.198.0.2", "port": 8080},
        "tags": {"monkeyhouse.instance": "demo.*.*.www00"},
    }
    cassandra = spans["0000000000000001", "0000000000000006"]
    assert cassandra == {
        "traceId": "0000000000000001",
        "id": "0000000000000006",
        "parentId": "0000000000000005",
        "name": "get",
        "kind": "SERVER",
        "timestamp": micros(1.0055),
        "duration": 3_000,
        "localEndpoint": {"serviceName": "casssubscriber", "ipv4": "54.198.0.3", "port": 8080},
        "remoteEndpoint": {"serviceName": "homepage", "ipv4": "54.221.0.1", "port": 8080},
        "tags": {
            "monkeyhouse.instance": "demo.us-east-1.zoneA.cassSubscriber00",
            "monkeyhouse.queue_ms": "0.000",
            "monkeyhouse.service_ms": "3.000",
        },
    }
    karyon = spans["0000000000000001", "0000000000000004"]
    assert karyon["tags"]["monkeyhouse.queue_ms"] == "2.000"
    assert karyon["timestamp"] == 1_482_105_601_002_000
    put = spans["0000000000000009", "0000000000000009"]
    assert put["name"] == "put" and put["timestamp"] == micros(2.0)
    rejected = spans["0000000000000011", "0000000000000016"]  # trace 17, span 22, in hex
    assert rejected["tags"]["error"] == "503 queue full"
    assert rejected["duration"] == 1  # a zero-length span still lasts at least a microsecond
    assert spans["0000000000000011", "0000000000000011"]["tags"]["error"] == (
        "502 dependency failed"
    )


def test_trees_survive_the_export(tmp_path: Path) -> None:
    original = sample_spans()
    document = export(tmp_path, original)
    remade = []
    for entry in document:
        span = Span(
            int(entry["traceId"], 16),
            int(entry["id"], 16),
            int(entry.get("parentId", "0"), 16),
            CLIENT if entry["kind"] == "CLIENT" else SERVER,
            entry["name"],
            None,
            None,
            entry["timestamp"] / 1e6,
        )
        span.end = span.start + entry["duration"] / 1e6
        remade.append(span)
    assert [(s.trace, s.span, s.parent, s.kind) for s in remade] == [
        (s.trace, s.span, s.parent, s.kind) for s in original
    ]
    problems = check_trace_tree(s for s in remade if s.trace != 17)
    assert problems == []
    # in the failing trace the zero-length rejection is stretched to 1 µs, still inside its client
    assert check_trace_tree(s for s in remade if s.trace == 17) == []


def test_bytes_are_deterministic_and_one_span_per_line(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_zipkin(tmp_path / "a" / ZIPKIN_FILE, sample_spans()).read_bytes()
    second = write_zipkin(tmp_path / "b" / ZIPKIN_FILE, sample_spans()).read_bytes()
    assert first == second
    lines = first.decode().split("\n")
    assert lines[0] == "[" and lines[-2:] == ["]", ""]
    assert len(lines) == 24 + 3
    for line in lines[1:-2]:
        entry = json.loads(line.rstrip(","))
        assert list(entry) == sorted(entry)
    for message in (b"502 dependency failed", b"503 queue full"):
        first = first.replace(message, b"")
    assert b" " not in first  # compact separators


def test_default_epoch_is_monkeyhouses(tmp_path: Path) -> None:
    document = json.loads(write_zipkin(tmp_path / "z.json", sample_spans()).read_text())
    assert min(s["timestamp"] for s in document) == 1_482_105_601_000_000


def test_invalid_address_and_missing_peer_are_left_out(tmp_path: Path) -> None:
    odd = FakeInstance(FakeService("cart", "karyon"), "eu-west-1", "zoneC", 1, "54.288.0.1")
    lone = Span(5, 5, 0, CLIENT, "GET", odd, None, 1.0)
    lone.end = 1.0
    (entry,) = export(tmp_path, [lone])
    assert entry["localEndpoint"] == {"serviceName": "cart", "port": 8080}
    assert "remoteEndpoint" not in entry
    assert entry["name"] == "get" and entry["duration"] == 1
    assert list(VALIDATOR.iter_errors([entry])) == []


def test_empty_list(tmp_path: Path) -> None:
    assert export(tmp_path, []) == []


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    def broken() -> Iterator[Span]:
        yield from sample_spans()[:3]
        raise RuntimeError("the run stopped")

    with pytest.raises(RuntimeError):
        write_zipkin(tmp_path / ZIPKIN_FILE, broken())
    assert list(tmp_path.iterdir()) == []


def test_sample_instances_are_used() -> None:  # keep the fixture's cast honest
    assert {WWW.service.name, PROXY.service.name, HOME.service.name, CASS.service.name} == {
        "www",
        "wwwproxy",
        "homepage",
        "cassSubscriber",
    }
