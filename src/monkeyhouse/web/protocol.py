"""The web UI's protocol (``docs/web-protocol.md``): client messages checked, server messages built.

:func:`parse_message` turns one websocket text message from a client into a typed command
(:class:`Control`, :class:`KillInstance`, ...), or raises :class:`ValidationError` naming the
field, the value and what is allowed. It is strict on purpose, as the server faces a browser
page: at most :data:`MAX_MESSAGE_BYTES` bytes, one JSON object with no repeated key, a known
``type`` and ``action``, exactly the keys that action takes, whole numbers that are not
booleans, finite numbers within their ranges, and non-empty strings of bounded length.

The builders (:func:`hello`, :func:`tick`, :func:`ack`, :func:`error`, :func:`end`) return plain
dicts; :func:`encode` turns any of them into JSON text with every non-finite number as null.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from monkeyhouse.errors import MonkeyhouseError

PROTOCOL: Final = 1
#: the largest client message, in bytes of UTF-8
MAX_MESSAGE_BYTES: Final = 4096
#: the longest name (service, instance, region, zone) a client may send
MAX_NAME: Final = 200
#: the largest ``id`` a client may give (JavaScript's largest safe integer)
MAX_ID: Final = 2**53 - 1
MIN_SPEED: Final = 0.1
MAX_SPEED: Final = 100.0
#: the most latency a client may add, in milliseconds (an hour)
MAX_LATENCY_MS: Final = 3_600_000.0
#: the most instances one ``kill_instances`` may ask for
MAX_COUNT: Final = 100_000

#: the chaos actions a client may ask for, in the order the page offers them
CHAOS_ACTIONS: Final = (
    "kill_instance",
    "kill_instances",
    "add_latency",
    "fail_zone",
    "fail_region",
    "partition",
    "remove_fault",
)
CONTROL_ACTIONS: Final = ("pause", "resume", "speed")


class ValidationError(MonkeyhouseError):
    """A client message the protocol refuses; ``ident`` is its ``id`` when one could be read."""

    def __init__(self, message: str, ident: int | None = None, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.ident = ident
        self.too_large = too_large


# -- the commands --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Control:
    """``pause``, ``resume`` or ``speed`` (with ``speed`` set)."""

    id: int
    action: str
    speed: float | None = None


@dataclass(frozen=True, slots=True)
class KillInstance:
    """Kill one instance, by its name."""

    id: int
    instance: str


@dataclass(frozen=True, slots=True)
class KillInstances:
    """Kill ``count`` random instances of ``service``."""

    id: int
    service: str
    count: int


@dataclass(frozen=True, slots=True)
class AddLatency:
    """Add ``latency_ms`` and an ``error_rate`` to the requests to ``service`` (from ``caller``)."""

    id: int
    service: str
    latency_ms: float
    error_rate: float
    caller: str | None = None


@dataclass(frozen=True, slots=True)
class FailZone:
    """Chaos Gorilla on ``region``/``zone``."""

    id: int
    region: str
    zone: str


@dataclass(frozen=True, slots=True)
class FailRegion:
    """Chaos Kong on ``region``."""

    id: int
    region: str


@dataclass(frozen=True, slots=True)
class Partition:
    """Cut place ``a`` off from place ``b`` (regions or region/zone)."""

    id: int
    a: str
    b: str


@dataclass(frozen=True, slots=True)
class RemoveFault:
    """Undo fault number ``fault``."""

    id: int
    fault: int


Command = (
    Control | KillInstance | KillInstances | AddLatency | FailZone | FailRegion | Partition
) | RemoveFault


# -- field checks --------------------------------------------------------------------------

Check = Callable[[str, str, Any], Any]


def _where(action: str, key: str) -> str:
    return f"{action}: {key}"


def _name(action: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(
            f"{_where(action, key)}: {_show(value)} is not allowed (a non-empty string, "
            f"at most {MAX_NAME} characters)"
        )
    if len(value) > MAX_NAME:
        raise ValueError(
            f"{_where(action, key)}: a string of {len(value)} characters is too long "
            f"(at most {MAX_NAME})"
        )
    return value


def _whole(low: int, high: int) -> Check:
    def check(action: str, key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(
                f"{_where(action, key)}: {_show(value)} is not allowed (a whole number from "
                f"{low} to {high}; not a boolean, not a fraction)"
            )
        return value

    return check


def _number(low: float, high: float) -> Check:
    def check(action: str, key: str, value: Any) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            raise ValueError(
                f"{_where(action, key)}: {_show(value)} is not allowed (a number from "
                f"{low:g} to {high:g})"
            )
        return float(value)

    return check


def _show(value: Any) -> str:
    text = json.dumps(value) if _plain(value) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _plain(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class _Spec:
    make: Callable[..., Command]
    required: Mapping[str, Check]
    optional: Mapping[str, Check]


_SPECS: Final[dict[tuple[str, str], _Spec]] = {
    ("control", "pause"): _Spec(Control, {}, {}),
    ("control", "resume"): _Spec(Control, {}, {}),
    ("control", "speed"): _Spec(Control, {"speed": _number(MIN_SPEED, MAX_SPEED)}, {}),
    ("chaos", "kill_instance"): _Spec(KillInstance, {"instance": _name}, {}),
    ("chaos", "kill_instances"): _Spec(
        KillInstances, {"service": _name, "count": _whole(1, MAX_COUNT)}, {}
    ),
    ("chaos", "add_latency"): _Spec(
        AddLatency,
        {
            "service": _name,
            "latency_ms": _number(0.0, MAX_LATENCY_MS),
            "error_rate": _number(0.0, 1.0),
        },
        {"caller": _name},
    ),
    ("chaos", "fail_zone"): _Spec(FailZone, {"region": _name, "zone": _name}, {}),
    ("chaos", "fail_region"): _Spec(FailRegion, {"region": _name}, {}),
    ("chaos", "partition"): _Spec(Partition, {"a": _name, "b": _name}, {}),
    ("chaos", "remove_fault"): _Spec(RemoveFault, {"fault": _whole(1, MAX_ID)}, {}),
}
_ACTIONS: Final = {"control": CONTROL_ACTIONS, "chaos": CHAOS_ACTIONS}
_check_id = _whole(0, MAX_ID)


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"key {key!r} appears twice (each key once)")
        seen[key] = value
    return seen


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows (give a finite number)")


def parse_message(text: str | bytes) -> Command:
    """Check one client message and return its command; :class:`ValidationError` if refused."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    if len(raw) > MAX_MESSAGE_BYTES:
        raise ValidationError(
            f"message of {len(raw)} bytes is over the limit ({MAX_MESSAGE_BYTES} bytes)",
            too_large=True,
        )
    try:
        data = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_no_repeats,
            parse_constant=_refuse_constant,
        )
    except UnicodeDecodeError:
        raise ValidationError("message is not UTF-8 text (send JSON text)") from None
    except ValueError as problem:
        raise ValidationError(f"message is not valid JSON: {problem}") from None
    if not isinstance(data, dict):
        kind = "an array" if isinstance(data, list) else f"a {type(data).__name__}"
        raise ValidationError(f'message is {kind}, not a JSON object (send {{"type": ...}})')
    ident: int | None = None
    try:
        if "id" not in data:
            raise ValueError("id: missing (every message has a whole number id, 0 or more)")
        ident = _check_id("message", "id", data["id"])
        kind_value: Any = data.get("type")
        if kind_value not in _ACTIONS:
            raise ValueError(
                f"type: {_show(kind_value)} is not allowed (one of: {', '.join(_ACTIONS)})"
            )
        kind = str(kind_value)
        action = data.get("action")
        actions = _ACTIONS[kind]
        if action not in actions:
            raise ValueError(
                f"action: {_show(action)} is not a {kind} action (one of: {', '.join(actions)})"
            )
        spec = _SPECS[(kind, action)]
        allowed = {"type", "id", "action", *spec.required, *spec.optional}
        extra = sorted(set(data) - allowed)
        if extra:
            raise ValueError(
                f"{action}: unknown key {extra[0]!r} (the keys are: {', '.join(sorted(allowed))})"
            )
        missing = [key for key in spec.required if key not in data]
        if missing:
            raise ValueError(
                f"{action}: missing key {missing[0]!r} (the keys are: {', '.join(sorted(allowed))})"
            )
        fields: dict[str, Any] = {"id": ident}
        if kind == "control":
            fields["action"] = action
        for key, check in spec.required.items():
            fields[key] = check(action, key, data[key])
        for key, check in spec.optional.items():
            if key in data:
                fields[key] = check(action, key, data[key])
        return spec.make(**fields)
    except ValueError as problem:
        raise ValidationError(str(problem), ident) from None


# -- server messages -----------------------------------------------------------------------


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def encode(message: Mapping[str, Any]) -> str:
    """``message`` as compact JSON text (non-finite numbers as null)."""
    return json.dumps(json_safe(dict(message)), separators=(",", ":"), allow_nan=False)


def hello(
    *,
    arch: str,
    duration: float,
    speed: float,
    paused: bool,
    t: float,
    topology: Mapping[str, Any],
) -> dict[str, Any]:
    """The first message of a live connection."""
    return {
        "type": "hello",
        "protocol": PROTOCOL,
        "mode": "live",
        "arch": arch,
        "duration": duration,
        "speed": speed,
        "paused": paused,
        "t": t,
        "topology": topology,
        "chaos_actions": list(CHAOS_ACTIONS),
        "limits": {"max_message_bytes": MAX_MESSAGE_BYTES},
    }


def tick(
    *,
    t: float,
    speed: float,
    paused: bool,
    live: int,
    services: Mapping[str, Sequence[Any]],
    edges: Mapping[str, Sequence[Any]],
    born: Sequence[Mapping[str, Any]],
    died: Sequence[tuple[int, float]],
    commands: Sequence[Mapping[str, Any]],
    chaos: Sequence[Mapping[str, Any]],
    faults: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """One push of a live run (figures over the interval since the previous tick)."""
    return {
        "type": "tick",
        "t": t,
        "speed": speed,
        "paused": paused,
        "live": live,
        "services": dict(services),
        "edges": dict(edges),
        "born": list(born),
        "died": [[ident, when] for ident, when in died],
        "commands": list(commands),
        "chaos": list(chaos),
        "faults": list(faults),
    }


def ack(ident: int, result: Mapping[str, Any]) -> dict[str, Any]:
    """The reply to a command that was applied."""
    return {"type": "ack", "id": ident, "result": dict(result)}


def error(ident: int | None, message: str) -> dict[str, Any]:
    """The reply to a refused command (nothing was applied)."""
    return {"type": "error", "id": ident, "message": message}


def end(status: str, t: float) -> dict[str, Any]:
    """The run is over (``complete`` or ``interrupted``)."""
    return {"type": "end", "status": status, "t": t}
