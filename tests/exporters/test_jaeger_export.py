"""Jaeger JSON: the query API's shape, checked field by field, with values worked out by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from monkeyhouse.exporters.jaeger import JAEGER_FILE, write_jaeger
from span_samples import Ids, micros, request, sample_spans

HEX16 = re.compile(r"^[0-9a-f]{16}$")
TAG_TYPES = {"string": str, "bool": bool, "int64": int, "float64": float}


def export(tmp_path: Path) -> dict[str, Any]:
    path = write_jaeger(tmp_path / JAEGER_FILE, sample_spans(), epoch_ns=1_482_105_600 * 10**9)
    assert path == tmp_path / JAEGER_FILE
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def test_structure_is_the_query_apis(tmp_path: Path) -> None:
    document = export(tmp_path)
    assert set(document) == {"data", "total", "limit", "offset", "errors"}
    assert document["total"] == len(document["data"]) == 3
    assert document["errors"] is None
    assert [t["traceID"] for t in document["data"]] == [f"{t:016x}" for t in (1, 9, 17)]
    for trace in document["data"]:
        assert set(trace) == {"traceID", "spans", "processes", "warnings"}
        assert trace["warnings"] is None
        ids = {s["spanID"] for s in trace["spans"]}
        assert len(ids) == len(trace["spans"]) == 8
        for process_id, process in trace["processes"].items():
            assert re.fullmatch(r"p[1-9][0-9]*", process_id)
            assert set(process) == {"serviceName", "tags"}
        for span in trace["spans"]:
            assert set(span) == {
                "traceID",
                "spanID",
                "operationName",
                "references",
                "startTime",
                "duration",
                "tags",
                "logs",
                "processID",
                "warnings",
            }
            assert span["traceID"] == trace["traceID"]
            assert HEX16.match(span["spanID"])
            assert span["processID"] in trace["processes"]
            assert span["logs"] == [] and span["warnings"] is None
            assert isinstance(span["startTime"], int) and isinstance(span["duration"], int)
            roots = span["references"] == []
            for reference in span["references"]:
                assert reference["refType"] == "CHILD_OF"
                assert reference["traceID"] == trace["traceID"]
                assert reference["spanID"] in ids
            for tag in span["tags"]:
                assert set(tag) == {"key", "type", "value"}
                assert isinstance(tag["value"], TAG_TYPES[tag["type"]])
            keys = [tag["key"] for tag in span["tags"]]
            assert keys == sorted(keys)
            assert roots == (span["spanID"] == trace["traceID"])
        assert sum(1 for s in trace["spans"] if not s["references"]) == 1


def test_values_worked_out_by_hand(tmp_path: Path) -> None:
    first = export(tmp_path)["data"][0]
    spans = {int(s["spanID"], 16): s for s in first["spans"]}
    root = spans[1]
    assert root["operationName"] == "get"
    assert root["startTime"] == 1_482_105_601_000_000 and root["duration"] == 12_250
    assert first["processes"][root["processID"]] == {
        "serviceName": "www",
        "tags": [
            {"key": "hostname", "type": "string", "value": "demo.*.*.www00"},
            {"key": "ip", "type": "string", "value": "54.198.0.1"},
            {"key": "monkeyhouse.package", "type": "string", "value": "denominator"},
        ],
    }
    karyon = spans[4]
    assert karyon["references"] == [
        {"refType": "CHILD_OF", "traceID": "0000000000000001", "spanID": "0000000000000003"}
    ]
    assert karyon["startTime"] == micros(1.002)
    tags = {t["key"]: (t["type"], t["value"]) for t in karyon["tags"]}
    assert tags == {
        "monkeyhouse.queue_ms": ("float64", 2.0),
        "monkeyhouse.service_ms": ("float64", 3.0),
        "peer.hostname": ("string", "demo.us-east-1.zoneA.wwwproxy01"),
        "peer.ipv4": ("string", "54.198.0.2"),
        "peer.port": ("int64", 8080),
        "peer.service": ("string", "wwwproxy"),
        "span.kind": ("string", "server"),
    }
    # the same instance in a trace shares one process; four instances, five processes with www
    assert len(first["processes"]) == 5


def test_errors_are_tagged(tmp_path: Path) -> None:
    failing = export(tmp_path)["data"][2]
    rejected = next(s for s in failing["spans"] if int(s["spanID"], 16) == 22)
    tags = {t["key"]: t["value"] for t in rejected["tags"]}
    assert tags["error"] is True
    assert tags["otel.status_description"] == "503 queue full"
    assert rejected["duration"] == 0


def test_bytes_are_deterministic(tmp_path: Path) -> None:
    spans = request(Ids(), 1.0)
    first = write_jaeger(tmp_path / "a.json", spans).read_bytes()
    assert write_jaeger(tmp_path / "b.json", spans).read_bytes() == first
    assert first.endswith(b',"errors":null,"limit":0,"offset":0,"total":1}\n')


def test_empty(tmp_path: Path) -> None:
    document = json.loads(write_jaeger(tmp_path / JAEGER_FILE, []).read_text())
    assert document == {"data": [], "total": 0, "limit": 0, "offset": 0, "errors": None}
