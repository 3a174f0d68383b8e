"""OTLP/JSON read by the real opentelemetry-proto package, and pushed to a real local HTTP server.

OTLP/JSON differs from plain proto3 JSON in one way that matters to a parser: trace and span ids
are hex, where proto3 JSON expects base64 for bytes fields. As the OTLP specification says, the
ids are converted (hex to base64) before the document is given to protobuf's JSON parser; every
other field (integer enums, 64-bit times as decimal strings) is parsed as written.
"""

from __future__ import annotations

import base64
import importlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from opentelemetry.proto.trace.v1.trace_pb2 import Status, TracesData

from monkeyhouse.behaviours.spans import CLIENT, Span
from monkeyhouse.errors import MonkeyhouseError
from monkeyhouse.exporters.otlp import (
    OTLP_FILE,
    OtlpPushError,
    otlp_payload,
    push_otlp,
    write_otlp,
)
from span_samples import Ids, request, sample_spans

#: protobuf's JSON reader (imported by name: protobuf ships no type stubs)
json_format: Any = importlib.import_module("google.protobuf.json_format")

EPOCH_NS = 1_482_105_600 * 10**9
ID_FIELDS = ("traceId", "spanId", "parentSpanId")


def hex_ids_to_base64(document: Any) -> Any:
    """Turn OTLP/JSON's hex ids into the base64 proto3 JSON wants, everywhere in a document."""
    if isinstance(document, list):
        return [hex_ids_to_base64(item) for item in document]
    if isinstance(document, dict):
        return {
            key: (
                base64.b64encode(bytes.fromhex(value)).decode()
                if key in ID_FIELDS and isinstance(value, str)
                else hex_ids_to_base64(value)
            )
            for key, value in document.items()
        }
    return document


def parse_traces(text: str | bytes) -> TracesData:
    message = TracesData()
    json_format.Parse(json.dumps(hex_ids_to_base64(json.loads(text))), message)
    return message


def proto_spans(message: TracesData | ExportTraceServiceRequest) -> list[ProtoSpan]:
    return [
        span
        for resource in message.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]


def test_every_span_round_trips_through_opentelemetry_proto(tmp_path: Path) -> None:
    original = sample_spans()
    path = write_otlp(tmp_path / OTLP_FILE, original, epoch_ns=EPOCH_NS)
    assert path == tmp_path / OTLP_FILE
    message = parse_traces(path.read_text())
    parsed = {int.from_bytes(s.span_id, "big"): s for s in proto_spans(message)}
    assert len(parsed) == len(original) == 24
    for span in original:
        proto = parsed[span.span]
        assert len(proto.trace_id) == 16 and len(proto.span_id) == 8
        assert int.from_bytes(proto.trace_id, "big") == span.trace
        assert int.from_bytes(proto.parent_span_id, "big") == span.parent  # b"" for the root
        assert (len(proto.parent_span_id) == 8) == (span.parent != 0)
        assert proto.name == span.name
        client = span.kind == CLIENT
        expected_kind = ProtoSpan.SPAN_KIND_CLIENT if client else ProtoSpan.SPAN_KIND_SERVER
        assert proto.kind == expected_kind
        assert proto.start_time_unix_nano == EPOCH_NS + round(span.start * 1e9)
        assert proto.end_time_unix_nano == EPOCH_NS + round(span.end * 1e9)
        if span.error:
            assert proto.status.code == Status.STATUS_CODE_ERROR
            assert proto.status.message == span.error
        else:
            assert proto.status.code == Status.STATUS_CODE_UNSET


def test_values_worked_out_by_hand(tmp_path: Path) -> None:
    document = json.loads(write_otlp(tmp_path / OTLP_FILE, sample_spans()).read_text())
    resources = document["resourceSpans"]
    names = [
        {a["key"]: a["value"]["stringValue"] for a in r["resource"]["attributes"]}
        for r in resources
    ]
    assert [n["service.instance.id"] for n in names] == sorted(
        n["service.instance.id"] for n in names
    )
    cassandra = next(n for n in names if n["service.name"] == "cassSubscriber")
    assert cassandra == {
        "cloud.availability_zone": "zoneA",
        "cloud.region": "us-east-1",
        "monkeyhouse.package": "priamCassandra",
        "service.instance.id": "demo.us-east-1.zoneA.cassSubscriber00",
        "service.name": "cassSubscriber",
    }
    www = next(n for n in names if n["service.name"] == "www")
    assert "cloud.region" not in www  # a global node has no region
    for resource in resources:
        (scope,) = resource["scopeSpans"]
        assert scope["scope"] == {"name": "monkeyhouse"}
    spans = {s["spanId"]: s for r in resources for s in r["scopeSpans"][0]["spans"]}
    root = spans["0000000000000001"]
    assert root["traceId"] == "00000000000000000000000000000001"
    assert root["startTimeUnixNano"] == "1482105601000000000"
    assert root["endTimeUnixNano"] == "1482105601012250000"
    assert root["kind"] == 3 and "parentSpanId" not in root and "status" not in root
    server = spans["0000000000000004"]
    assert server["kind"] == 2 and server["parentSpanId"] == "0000000000000003"
    attributes = {a["key"]: a["value"] for a in server["attributes"]}
    assert attributes["monkeyhouse.queue_ms"] == {"doubleValue": 2.0}
    assert attributes["net.peer.name"] == {"stringValue": "demo.us-east-1.zoneA.wwwproxy01"}
    assert attributes["network.peer.address"] == {"stringValue": "54.198.0.2"}
    assert attributes["net.peer.port"] == {"intValue": "8080"}
    assert attributes["peer.service"] == {"stringValue": "wwwproxy"}
    rejected = spans[f"{22:016x}"]
    assert rejected["status"] == {"code": 2, "message": "503 queue full"}


def test_bytes_are_deterministic(tmp_path: Path) -> None:
    first = otlp_payload(sample_spans())
    assert first == otlp_payload(sample_spans())
    assert write_otlp(tmp_path / OTLP_FILE, sample_spans()).read_bytes() == first


def test_empty_document_parses(tmp_path: Path) -> None:
    assert proto_spans(parse_traces(otlp_payload([]))) == []


@dataclass
class Collector:
    """A minimal OTLP/HTTP receiver on 127.0.0.1 that records what it is sent."""

    url: str
    received: list[tuple[str, str, bytes]] = field(default_factory=list)


@contextmanager
def local_collector(
    status: int = 200, reply: bytes = b"{}", delay: float = 0.0, max_requests: int = 20
) -> Iterator[Collector]:
    """Serve on an ephemeral port in a thread; stopped (and joined) when the block ends."""
    received: list[tuple[str, str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            received.append((self.path, self.headers.get("Content-Type", ""), body))
            if len(received) > max_requests:
                raise RuntimeError("too many requests")
            if delay:
                time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield Collector(f"http://{host!s}:{port}", received)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        assert not thread.is_alive()


def test_push_sends_batches_the_real_parser_accepts() -> None:
    ids = Ids()
    spans = [s for k in range(5) for s in request(ids, float(k))]  # 40 spans
    payload = otlp_payload(spans)
    with local_collector() as collector:
        status = push_otlp(collector.url, payload, timeout=5.0, batch_spans=16)
    assert status == 200
    assert len(collector.received) == 3  # 16 + 16 + 8 spans
    seen: list[tuple[int, int]] = []
    for path, content_type, body in collector.received:
        assert path == "/v1/traces"
        assert content_type == "application/json"
        message = ExportTraceServiceRequest()
        json_format.Parse(json.dumps(hex_ids_to_base64(json.loads(body))), message)
        batch = proto_spans(message)
        assert len(batch) <= 16
        seen += [
            (int.from_bytes(s.trace_id, "big"), int.from_bytes(s.span_id, "big")) for s in batch
        ]
    assert sorted(seen) == sorted((s.trace, s.span) for s in spans)


def test_push_of_a_small_payload_is_one_request_of_the_same_bytes() -> None:
    payload = otlp_payload(sample_spans())
    with local_collector() as collector:
        assert push_otlp(collector.url + "/v1/traces", payload) == 200
    assert [r[2] for r in collector.received] == [payload]


def test_push_to_a_wrong_path_names_the_url_status_and_fix() -> None:
    with local_collector(status=404, reply=b"not here") as collector:
        url = collector.url + "/api/v2/spans"
        with pytest.raises(OtlpPushError) as caught:
            push_otlp(url, otlp_payload(sample_spans()))
    message = str(caught.value)
    assert url in message and "HTTP 404" in message and "/v1/traces" in message
    assert isinstance(caught.value, MonkeyhouseError)


def test_push_reports_rejected_spans() -> None:
    reply = json.dumps({"partialSuccess": {"rejectedSpans": "3", "errorMessage": "too old"}})
    with local_collector(reply=reply.encode()) as collector:  # noqa: SIM117
        with pytest.raises(OtlpPushError, match="rejected 3 spans: too old"):
            push_otlp(collector.url, otlp_payload(sample_spans()))


def test_push_to_nobody_says_so() -> None:
    with socket.socket() as probe:  # an ephemeral port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OtlpPushError, match=r"cannot connect.*is the collector running"):
        push_otlp(f"http://127.0.0.1:{port}/v1/traces", otlp_payload([]), timeout=2.0)


def test_push_timeout_says_so() -> None:
    started = time.monotonic()
    with local_collector(delay=1.0) as collector:  # noqa: SIM117
        with pytest.raises(OtlpPushError, match=r"no answer within 0.2 s"):
            push_otlp(collector.url, otlp_payload([]), timeout=0.2)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("url", "payload", "problem"),
    [
        ("ftp://127.0.0.1/v1/traces", b"{}", "not an http"),
        ("127.0.0.1:4318", b"{}", "not an http"),
        ("http://127.0.0.1:9/v1/traces", b"{not json", "not JSON"),
        ("http://127.0.0.1:9/v1/traces", b"[]", "not an OTLP/JSON object"),
    ],
)
def test_push_refuses_bad_input_before_sending(url: str, payload: bytes, problem: str) -> None:
    with pytest.raises(OtlpPushError, match=problem):
        push_otlp(url, payload)


def test_push_refuses_a_zero_batch() -> None:
    with pytest.raises(OtlpPushError, match="at least 1"):
        push_otlp("http://127.0.0.1:9", b"{}", batch_spans=0)


def test_span_fixture_kinds() -> None:  # the sample tree alternates client and server spans
    spans: list[Span] = request(Ids(), 0.0)
    assert sorted(s.kind for s in spans) == [2, 2, 2, 2, 3, 3, 3, 3]
