"""spigo's flow format: the same shape as spigo's recorded netflixoss_flow.json, v1 spans merged."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from monkeyhouse.behaviours.spans import SERVER, Span
from monkeyhouse.exporters.spigoflow import flow_file_name, write_spigo_flow
from span_samples import HOME, PROXY, Ids, micros, request, sample_spans
from spigo_data import SPIGO

FIXTURE = SPIGO / "json_metrics" / "netflixoss_flow.json"
DECIMAL16 = re.compile(r"^[0-9]{16}$")
SPAN_KEYS = {
    ("traceId", "name", "id", "parentId", "annotations"),
    ("traceId", "name", "id", "annotations"),
}


def export(tmp_path: Path, spans: list[Span] | None = None) -> str:
    path = write_spigo_flow(
        tmp_path / flow_file_name("demo"),
        sample_spans() if spans is None else spans,
        epoch_ns=1_482_105_600 * 10**9,
    )
    assert path.name == "demo_flow.json"
    return path.read_text()


def line_shapes(text: str) -> set[str]:
    """What kinds of line a flow file has: "[", "]", ",", "{...}" and ",{...}"."""
    shapes = set()
    for line in text.split("\n"):
        if line in ("[", "]", ",", ""):
            shapes.add(line)
        elif line.startswith(",{") and line.endswith("}"):
            shapes.add(",{span}")
        elif line.startswith("{") and line.endswith("}"):
            shapes.add("{span}")
        else:
            shapes.add("other: " + line[:40])
    return shapes


def check_span_shape(span: dict[str, Any]) -> None:
    assert tuple(span) in SPAN_KEYS
    assert DECIMAL16.match(span["traceId"]) and DECIMAL16.match(span["id"])
    if "parentId" in span:
        assert DECIMAL16.match(span["parentId"]) and span["parentId"] != span["id"]
    else:
        assert span["id"] == span["traceId"]  # a root span's id is its trace's
    for note in span["annotations"]:
        assert list(note) == ["endpoint", "timestamp", "value"]
        assert list(note["endpoint"]) == ["serviceName", "ipv4", "port"]
        assert note["endpoint"]["port"] == 8080
        assert len(note["endpoint"]["serviceName"].split(".")) == 9
        assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", note["endpoint"]["ipv4"])
        assert isinstance(note["timestamp"], int) and len(str(note["timestamp"])) == 16
        assert note["value"] in ("cs", "sr", "ss", "cr")


def test_fixture_is_what_these_checks_expect() -> None:
    text = FIXTURE.read_text()
    assert line_shapes(text) == {"[", "]", ",", "{span}", ",{span}", ""}
    for span in json.loads(text):
        if span["name"] != "Goodbye":  # the chaos kill's message has no trace of its own
            check_span_shape(span)


def test_same_shape_as_spigos_file(tmp_path: Path) -> None:
    text = export(tmp_path)
    assert text.startswith("[\n{") and text.endswith("}\n]\n")
    assert line_shapes(text) == line_shapes(FIXTURE.read_text())
    assert text.count("\n,\n") == 2  # three traces
    spans = json.loads(text)
    for span in spans:
        check_span_shape(span)
    fixture_full = [s for s in json.loads(FIXTURE.read_text()) if len(s["annotations"]) == 4]
    assert [n["value"] for n in fixture_full[0]["annotations"]] == ["cs", "sr", "ss", "cr"]
    assert all([n["value"] for n in s["annotations"]] == ["cs", "sr", "ss", "cr"] for s in spans)
    # compact like spigo's: no spaces outside values
    assert " " not in text


def test_client_and_server_merge_into_one_v1_span(tmp_path: Path) -> None:
    spans = json.loads(export(tmp_path))
    first = [s for s in spans if s["traceId"] == "0000000000000001"]
    # one v1 span per call, named by the client span's id, ordered by parent then id
    assert [(s["id"], s.get("parentId")) for s in first] == [
        ("0000000000000001", None),
        ("0000000000000003", "0000000000000001"),
        ("0000000000000005", "0000000000000003"),
        ("0000000000000007", "0000000000000003"),
    ]
    assert {s["name"] for s in first} == {"GetRequest"}
    assert {s["name"] for s in spans if s["traceId"] == "0000000000000009"} == {"Put"}
    cassandra = first[2]["annotations"]
    assert [(n["value"], n["timestamp"]) for n in cassandra] == [
        ("cs", micros(1.005)),
        ("sr", micros(1.0055)),
        ("ss", micros(1.0085)),
        ("cr", micros(1.009)),
    ]
    assert cassandra[0]["endpoint"] == {
        "serviceName": "demo.us-east-1.zoneB..homepage02...homepage.karyon",
        "ipv4": "54.221.0.1",
        "port": 8080,
    }
    assert cassandra[1]["endpoint"]["serviceName"] == (
        "demo.us-east-1.zoneA..cassSubscriber00...cassSubscriber.priamCassandra"
    )
    assert first[0]["annotations"][0]["timestamp"] == 1_482_105_601_000_000


def test_a_server_span_without_its_client_stands_alone(tmp_path: Path) -> None:
    orphan = Span(40, 41, 39, SERVER, "replicate", HOME, PROXY, 5.0)
    orphan.end = 5.001
    (span,) = json.loads(export(tmp_path, [orphan]))
    assert span["id"] == "0000000000000041" and span["parentId"] == "0000000000000039"
    assert span["name"] == "Replicate"
    assert [(n["value"], n["timestamp"]) for n in span["annotations"]] == [
        ("sr", micros(5.0)),
        ("ss", micros(5.001)),
    ]


def test_bytes_are_deterministic_whatever_the_finish_order(tmp_path: Path) -> None:
    spans = [s for k in range(3) for s in request(Ids(100 * k + 1), float(k))]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = export(tmp_path / "a", spans)
    assert export(tmp_path / "b", spans[::-1]) == first


def test_empty(tmp_path: Path) -> None:
    assert json.loads(export(tmp_path, [])) == []
