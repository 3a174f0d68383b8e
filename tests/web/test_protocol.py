"""The protocol's checks of client messages, and the server's message builders."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from monkeyhouse.web import protocol
from monkeyhouse.web.protocol import ValidationError, parse_message


def text(**fields: Any) -> str:
    return json.dumps(fields)


GOOD = [
    (text(type="control", id=1, action="pause"), protocol.Control(1, "pause")),
    (text(type="control", id=2, action="resume"), protocol.Control(2, "resume")),
    (text(type="control", id=3, action="speed", speed=2.5), protocol.Control(3, "speed", 2.5)),
    (text(type="control", id=3, action="speed", speed=100), protocol.Control(3, "speed", 100.0)),
    (
        text(type="chaos", id=4, action="kill_instance", instance="a.b.c.d00"),
        protocol.KillInstance(4, "a.b.c.d00"),
    ),
    (
        text(type="chaos", id=5, action="kill_instances", service="homepage", count=2),
        protocol.KillInstances(5, "homepage", 2),
    ),
    (
        text(type="chaos", id=6, action="add_latency", service="s", latency_ms=500, error_rate=0),
        protocol.AddLatency(6, "s", 500.0, 0.0),
    ),
    (
        text(
            type="chaos",
            id=6,
            action="add_latency",
            service="s",
            latency_ms=1.5,
            error_rate=0.5,
            caller="c",
        ),
        protocol.AddLatency(6, "s", 1.5, 0.5, "c"),
    ),
    (
        text(type="chaos", id=7, action="fail_zone", region="us-east-1", zone="zoneA"),
        protocol.FailZone(7, "us-east-1", "zoneA"),
    ),
    (
        text(type="chaos", id=8, action="fail_region", region="us-east-1"),
        protocol.FailRegion(8, "us-east-1"),
    ),
    (
        text(type="chaos", id=9, action="partition", a="us-east-1/zoneA", b="us-east-1/zoneB"),
        protocol.Partition(9, "us-east-1/zoneA", "us-east-1/zoneB"),
    ),
    (text(type="chaos", id=0, action="remove_fault", fault=3), protocol.RemoveFault(0, 3)),
]


@pytest.mark.parametrize(("message", "command"), GOOD)
def test_good_messages_become_typed_commands(message: str, command: protocol.Command) -> None:
    assert parse_message(message) == command
    assert parse_message(message.encode()) == command


BAD: list[tuple[str, str | bytes, str, int | None]] = [
    ("not JSON", "{type: chaos}", "not valid JSON", None),
    ("truncated", '{"type": "control"', "not valid JSON", None),
    ("array", '[{"type": "control", "id": 1, "action": "pause"}]', "an array", None),
    ("string", '"pause"', "a str", None),
    ("number", "42", "a int", None),
    ("not UTF-8", b'{"type": "\xff"}', "not UTF-8", None),
    ("no id", text(type="control", action="pause"), "id: missing", None),
    ("bool id", text(type="control", id=True, action="pause"), "id: true", None),
    ("negative id", text(type="control", id=-1, action="pause"), "id: -1", None),
    ("fraction id", text(type="control", id=1.5, action="pause"), "id: 1.5", None),
    ("unknown type", text(type="admin", id=1, action="pause"), 'type: "admin"', 1),
    ("no type", text(id=1, action="pause"), "type: null", 1),
    ("unknown action", text(type="chaos", id=2, action="rm_rf"), 'action: "rm_rf"', 2),
    ("control as chaos", text(type="chaos", id=2, action="pause"), "not a chaos action", 2),
    ("extra key", text(type="control", id=3, action="pause", now=True), "unknown key 'now'", 3),
    (
        "missing key",
        text(type="chaos", id=4, action="kill_instances", service="homepage"),
        "missing key 'count'",
        4,
    ),
    (
        "bool for int",
        text(type="chaos", id=5, action="kill_instances", service="h", count=True),
        "count: true is not allowed",
        5,
    ),
    (
        "zero count",
        text(type="chaos", id=5, action="kill_instances", service="h", count=0),
        "count: 0",
        5,
    ),
    (
        "fraction count",
        text(type="chaos", id=5, action="kill_instances", service="h", count=1.5),
        "count: 1.5",
        5,
    ),
    (
        "NaN",
        '{"type": "control", "id": 6, "action": "speed", "speed": NaN}',
        "NaN is not a number JSON allows",
        None,
    ),
    (
        "Infinity",
        '{"type": "control", "id": 6, "action": "speed", "speed": Infinity}',
        "Infinity",
        None,
    ),
    ("speed too fast", text(type="control", id=6, action="speed", speed=1000), "0.1 to 100", 6),
    ("speed zero", text(type="control", id=6, action="speed", speed=0), "0.1 to 100", 6),
    ("speed as text", text(type="control", id=6, action="speed", speed="2"), '"2"', 6),
    ("speed as bool", text(type="control", id=6, action="speed", speed=True), "true", 6),
    (
        "empty name",
        text(type="chaos", id=7, action="kill_instance", instance=""),
        "non-empty string",
        7,
    ),
    (
        "blank name",
        text(type="chaos", id=7, action="kill_instance", instance="   "),
        "non-empty string",
        7,
    ),
    (
        "name as number",
        text(type="chaos", id=7, action="kill_instance", instance=5),
        "instance: 5",
        7,
    ),
    (
        "long name",
        text(type="chaos", id=7, action="kill_instance", instance="x" * 201),
        "201 characters is too long",
        7,
    ),
    (
        "error rate over 1",
        text(type="chaos", id=8, action="add_latency", service="s", latency_ms=1, error_rate=2),
        "error_rate: 2",
        8,
    ),
    (
        "negative latency",
        text(type="chaos", id=8, action="add_latency", service="s", latency_ms=-1, error_rate=0),
        "latency_ms: -1",
        8,
    ),
    (
        "repeated key",
        '{"type": "control", "id": 9, "action": "pause", "action": "resume"}',
        "appears twice",
        None,
    ),
    ("fault 0", text(type="chaos", id=9, action="remove_fault", fault=0), "fault: 0", 9),
]


@pytest.mark.parametrize(
    ("message", "expected", "ident"),
    [pytest.param(m, e, i, id=name) for name, m, e, i in BAD],
)
def test_every_refusal_names_what_is_wrong(
    message: str | bytes, expected: str, ident: int | None
) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_message(message)
    assert expected in str(caught.value)
    assert caught.value.ident == ident
    assert not caught.value.too_large


def test_a_refusal_says_what_is_allowed() -> None:
    with pytest.raises(ValidationError, match=r"one of: kill_instance, kill_instances"):
        parse_message(text(type="chaos", id=1, action="nuke"))
    with pytest.raises(ValidationError, match=r"the keys are: action, count, id, service, type"):
        parse_message(text(type="chaos", id=1, action="kill_instances", service="s", n=1, count=1))


def test_the_size_limit_counts_bytes() -> None:
    padding = "é" * 2040  # 4,080 bytes of UTF-8, in 2,040 characters
    body = json.dumps(
        {"type": "chaos", "id": 1, "action": "kill_instance", "instance": padding},
        ensure_ascii=False,
    )
    assert len(body) < protocol.MAX_MESSAGE_BYTES < len(body.encode())
    with pytest.raises(ValidationError) as caught:
        parse_message(body)
    assert caught.value.too_large
    assert "over the limit (4096 bytes)" in str(caught.value)


def test_encode_turns_non_finite_numbers_into_null() -> None:
    message = protocol.tick(
        t=1.0,
        speed=1.0,
        paused=False,
        live=3,
        services={"rate": [1.0, math.nan], "p99_ms": [math.inf]},
        edges={"rate": []},
        born=[],
        died=[(1, 0.5)],
        commands=[],
        chaos=[],
        faults=[],
    )
    data = json.loads(protocol.encode(message))
    assert data["services"] == {"rate": [1.0, None], "p99_ms": [None]}
    assert data["died"] == [[1, 0.5]]
    assert data["type"] == "tick"


def test_the_builders_give_the_documented_shapes() -> None:
    hello = protocol.hello(arch="a", duration=10.0, speed=1.0, paused=False, t=0.0, topology={})
    assert hello["type"] == "hello" and hello["protocol"] == 1 and hello["mode"] == "live"
    assert hello["chaos_actions"] == list(protocol.CHAOS_ACTIONS)
    assert hello["limits"] == {"max_message_bytes": 4096}
    ack = {"type": "ack", "id": 3, "result": {"killed": ["x"]}}
    assert protocol.ack(3, {"killed": ["x"]}) == ack
    assert protocol.error(None, "no") == {"type": "error", "id": None, "message": "no"}
    assert protocol.end("complete", 5.0) == {"type": "end", "status": "complete", "t": 5.0}
