"""Scenario files: a run described in one file (architecture, traffic, chaos and outputs).

A scenario is a YAML or JSON mapping; its ``architecture`` key is what tells it apart from an
architecture file (which has ``arch`` and ``services`` instead). Keys:

``scenario``
    the run's name (default: the file name); run folders are ``runs/<name>-N``.
``description``
    free text.
``architecture`` (required)
    a catalog name (``netflixoss``), a file path relative to the scenario file, or an
    architecture written inline as a mapping (the native format).
``traffic``
    replaces the architecture's traffic; the same format as an architecture's ``traffic``.
``duration``
    simulated seconds (default 60). ``seed``: the random seed (default 1).
``options``
    ``population`` (spigo's ``-p``, default 100), ``regions`` (``-w``, default 1), ``poll``
    (``-u``, seconds, default 1), ``reduce`` (``-f``, default false), ``victim`` (the
    architecture's spigo victim also loses an instance at half time; default false),
    ``resilience`` (false: every call unprotected, as ``--no-resilience``; default true).
``chaos``
    a list of actions (:mod:`monkeyhouse.model.chaosaction`): ``action`` and ``target``, then
    ``at`` (default 0), ``duration``, ``every``, ``until``, ``count``, ``share``,
    ``replace_after``, ``latency``, ``error_rate``, ``caller``, ``dns_failover`` as the action
    takes them.
``outputs``
    ``folder`` (relative to the current directory, like ``--out``), ``graph`` (graph.json,
    default true), ``graphml`` (default false), ``spans`` (a list of zipkin, otlp, jaeger,
    spigo; ``[]`` for none; default all), ``sample`` (0 to 1), ``metrics`` (default true),
    ``interval`` (seconds), ``report`` (default true).

Times are seconds, written as numbers or with a unit: ``250ms``, ``30s``, ``2m``, ``1h``.
Targets are checked against the architecture: services by name; regions as the run uses them
(``us-east-1``, ``us-west-2`` ... for ``regions: 2``), zones as ``region/zone`` with the
architecture's zone names (``us-east-1/zoneA``). Every mistake raises one
:class:`~monkeyhouse.errors.ArchitectureError` naming the file, line and column, field, value
and fix.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from monkeyhouse.errors import ArchitectureError, MonkeyhouseError
from monkeyhouse.model.architecture import Architecture
from monkeyhouse.model.catalog import resolve_architecture
from monkeyhouse.model.chaosaction import CHAOS_ACTIONS, DNS_FAILOVER, ChaosAction, ChaosKind
from monkeyhouse.model.distributions import show_value
from monkeyhouse.model.loader import (
    DEFAULT_MAX_BYTES,
    _is_json,
    _Marks,
    _parse,
    _read_text,
    _Reader,
)
from monkeyhouse.model.packages import BUILTIN_PACKAGES
from monkeyhouse.model.scaling import effective_regions
from monkeyhouse.model.schema import architecture_schema
from monkeyhouse.model.validate import FieldPath, did_you_mean, validate

#: span files a scenario may ask for (the run's exporters)
SPAN_FORMATS: Final = ("zipkin", "otlp", "jaeger", "spigo")

_TOP_KEYS: Final = (
    "scenario",
    "description",
    "architecture",
    "traffic",
    "duration",
    "seed",
    "options",
    "chaos",
    "outputs",
)
_OPTION_KEYS: Final = ("population", "regions", "poll", "reduce", "victim", "resilience")
_OUTPUT_KEYS: Final = (
    "folder",
    "graph",
    "graphml",
    "spans",
    "sample",
    "metrics",
    "interval",
    "report",
)
#: the keys each action takes besides ``action``, ``target`` and ``at``
_ACTION_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "chaos-monkey": ("count", "share", "every", "until", "replace_after"),
    "latency-monkey": ("duration", "latency", "error_rate", "caller"),
    "chaos-gorilla": ("duration",),
    "chaos-kong": ("duration", "dns_failover"),
    "partition": ("duration",),
}
_ACTION_EXAMPLES: Final = {
    "chaos-monkey": "{action: chaos-monkey, target: homepage, at: 30, count: 2}",
    "latency-monkey": "{action: latency-monkey, target: subscriber, at: 10, latency: 0.05}",
    "chaos-gorilla": "{action: chaos-gorilla, target: us-east-1/zoneA, at: 20, duration: 60}",
    "chaos-kong": "{action: chaos-kong, target: us-west-2, at: 20, duration: 120}",
    "partition": (
        "{action: partition, target: [us-east-1/zoneA, us-east-1/zoneB], at: 10, duration: 30}"
    ),
}
_UNITS: Final = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_TIME = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ms|s|m|h)\s*$")
_MAX_REGIONS: Final = 6


@dataclass(frozen=True, slots=True)
class ScenarioOptions:
    """The run's settings that spigo gives as flags (long names)."""

    population: int = 100
    regions: int = 1
    poll: float = 1.0
    reduce: bool = False
    victim: bool = False
    resilience: bool = True


@dataclass(frozen=True, slots=True)
class ScenarioOutputs:
    """What the run writes, and where (None: the default ``runs/<name>-N``)."""

    folder: str | None = None
    graph: bool = True
    graphml: bool = False
    spans: tuple[str, ...] = SPAN_FORMATS
    sample: float = 1.0
    metrics: bool = True
    interval: float = 1.0
    report: bool = True


@dataclass(frozen=True, slots=True)
class Scenario:
    """A run described by a scenario file, checked against its architecture."""

    name: str
    architecture: Architecture
    duration: float = 60.0
    seed: int = 1
    description: str = ""
    options: ScenarioOptions = field(default_factory=ScenarioOptions)
    chaos: tuple[ChaosAction, ...] = ()
    outputs: ScenarioOutputs = field(default_factory=ScenarioOutputs)
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        """The scenario's settings as JSON data (for the run manifest)."""
        return {
            "scenario": self.name,
            "description": self.description,
            "source": self.source,
            "architecture": self.architecture.arch,
            "duration": self.duration,
            "seed": self.seed,
            "options": {k: getattr(self.options, k) for k in _OPTION_KEYS},
            "chaos": [action_json(a) for a in self.chaos],
        }


def action_json(action: ChaosAction) -> dict[str, Any]:
    """A chaos action as JSON data: its keys as written in a scenario, defaults left out."""
    data: dict[str, Any] = {
        "action": action.action,
        "target": action.target[0] if len(action.target) == 1 else list(action.target),
        "at": action.at,
    }
    for key in _ACTION_KEYS[action.action]:
        value = getattr(action, key)
        default = {"latency": 0.0, "error_rate": 0.0, "dns_failover": DNS_FAILOVER}.get(key)
        if value is not None and value != default:
            data[key] = value
    return data


def is_scenario_file(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bool:
    """Whether ``path`` holds a scenario: a mapping with a top-level ``architecture`` key.

    Reads and parses the file; a file that cannot be read or parsed is not a scenario (the
    architecture loader then reports what is wrong with it).
    """
    path = Path(path)
    try:
        if not path.is_file() or path.stat().st_size > max_bytes:
            return False
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    try:
        data, _ = _parse(text.removeprefix("\ufeff"), str(path), _is_json(path, text))
    except MonkeyhouseError:
        return False
    return isinstance(data, dict) and "architecture" in data


def load_scenario(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Scenario:
    """Read, check and return the scenario in ``path``.

    Raises:
        ArchitectureError: for any problem, naming file, line and column, field, value and fix.
        UsageError: never for a problem in the file (those are positioned errors).

    """
    label = str(path)
    path = Path(path)
    text = _read_text(path, label, max_bytes)
    if text.startswith("\ufeff"):
        text = text[1:]
    data, marks = _parse(text, label, _is_json(path, text))
    if marks.duplicate is not None:
        dup, (line, column) = marks.duplicate
        raise ArchitectureError(
            label,
            ".".join(str(p) for p in dup),
            f"key {dup[-1]!r} appears twice in the same mapping",
            value=dup[-1],
            fix="keep one of them; the second would silently replace the first",
            line=line,
            column=column,
        )
    return _ScenarioReader(label, marks, path).scenario(data, path.stem)


class _ScenarioReader(_Reader):
    """The architecture reader's checks, applied to a scenario's keys."""

    def __init__(self, file: str, marks: _Marks, path: Path) -> None:
        super().__init__(file, marks)
        self.path = path

    def seconds(self, value: object, where: FieldPath, example: str) -> float:
        """Seconds: a number, or text with a unit (``250ms``, ``30s``, ``2m``, ``1h``)."""
        if isinstance(value, str):
            match = _TIME.match(value)
            if match is None:
                raise self.fail(
                    where,
                    f"{value!r} is not a time",
                    value,
                    f"write seconds as a number or with a unit (ms, s, m, h), e.g. {example}",
                )
            seconds = float(match.group(1)) * _UNITS[match.group(2)]
        else:
            seconds = self.number(value, where, example)
        if seconds < 0:
            raise self.fail(where, f"{show_value(value)} is negative", value, f"e.g. {example}")
        return seconds

    def share(self, value: object, where: FieldPath, example: str) -> float:
        share = self.number(value, where, example)
        if not 0.0 <= share <= 1.0:
            raise self.fail(
                where, f"{share:g} is not a share between 0 and 1", value, f"e.g. {example}"
            )
        return share

    # -- the scenario -------------------------------------------------------------------------
    def scenario(self, data: object, default_name: str) -> Scenario:
        if not isinstance(data, dict):
            raise self.fail(
                (),
                f"a scenario must be a mapping with an 'architecture' key, got {show_value(data)}",
                data,
                "start the file with e.g. architecture: netflixoss",
            )
        top = self.mapping(data, (), _TOP_KEYS, "a scenario")
        name = default_name
        if "scenario" in top:
            name = self.string(top["scenario"], ("scenario",))
            if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
                raise self.fail(
                    ("scenario",),
                    f"{name!r} cannot name a run folder",
                    name,
                    "use letters, digits, '-' and '_' only, e.g. scenario: zone-outage",
                )
        description = (
            self.string(top["description"], ("description",)) if "description" in top else ""
        )
        arch = self.architecture_of(
            self.require(top, "architecture", (), "e.g. architecture: netflixoss")
        )
        if "traffic" in top:
            arch = replace(arch, traffic=self.traffic(top["traffic"]))
            validate(arch, packages=BUILTIN_PACKAGES, file=self.file, positions=self.marks.values)
        duration = 60.0
        if "duration" in top:
            duration = self.seconds(top["duration"], ("duration",), "duration: 120")
        seed = 1
        if "seed" in top:
            seed = self.whole(top["seed"], ("seed",), "seed: 42")
        options = self.options(top["options"]) if "options" in top else ScenarioOptions()
        regions = self.regions_of(arch, options.regions)
        chaos: tuple[ChaosAction, ...] = ()
        if "chaos" in top:
            value = top["chaos"]
            if not isinstance(value, list):
                raise self.fail(
                    ("chaos",),
                    f"expected a list of chaos actions, got {show_value(value)}",
                    value,
                    f"write a list, e.g. chaos: [{_ACTION_EXAMPLES['chaos-monkey']}]",
                )
            chaos = tuple(
                self.action(item, ("chaos", i), arch, regions, duration)
                for i, item in enumerate(value)
            )
        outputs = self.outputs(top["outputs"]) if "outputs" in top else ScenarioOutputs()
        return Scenario(
            name=name,
            architecture=arch,
            duration=duration,
            seed=seed,
            description=description,
            options=options,
            chaos=chaos,
            outputs=outputs,
            source=self.file,
        )

    def architecture_of(self, value: object) -> Architecture:
        where: FieldPath = ("architecture",)
        if isinstance(value, dict):
            sub = _Marks(
                {p[1:]: m for p, m in self.marks.values.items() if p[:1] == where},
                {p[1:]: m for p, m in self.marks.keys.items() if p[:1] == where},
            )
            reader = _Reader(self.file, sub)
            try:
                arch = reader.architecture(value, self.path.stem)
                validate(arch, packages=BUILTIN_PACKAGES, file=self.file, positions=sub.values)
            except ArchitectureError as error:
                raise ArchitectureError(
                    error.file,
                    "architecture." + error.field if error.field else "architecture",
                    error.problem,
                    value=error.value,
                    fix=error.fix,
                    line=error.line,
                    column=error.column,
                ) from None
            return arch
        name = self.string(value, where)
        try:
            return resolve_architecture(name, cwd=self.path.parent)
        except ArchitectureError:
            raise
        except MonkeyhouseError as error:
            raise self.fail(
                where,
                str(error).replace(f"-a {name}: ", "", 1)
                + "; a path is relative to the scenario's folder, and the architecture may "
                "also be written inline as a mapping",
                name,
                "",
            ) from None

    def options(self, value: object) -> ScenarioOptions:
        data = self.mapping(value, ("options",), _OPTION_KEYS, "the options")
        fields: dict[str, Any] = {}
        if "population" in data:
            population = self.whole(data["population"], ("options", "population"), "100")
            if population < 1:
                raise self.fail(
                    ("options", "population"),
                    f"{population} must be at least 1",
                    population,
                    "a percentage of the architecture's counts, e.g. population: 100",
                )
            fields["population"] = population
        if "regions" in data:
            regions = self.whole(data["regions"], ("options", "regions"), "2")
            if not 1 <= regions <= _MAX_REGIONS:
                raise self.fail(
                    ("options", "regions"),
                    f"{regions} regions is out of range",
                    regions,
                    f"give 1 to {_MAX_REGIONS}",
                )
            fields["regions"] = regions
        if "poll" in data:
            poll = self.seconds(data["poll"], ("options", "poll"), "poll: 30s")
            if poll <= 0:
                raise self.fail(
                    ("options", "poll"), "must be longer than zero", poll, "e.g. poll: 1s"
                )
            fields["poll"] = poll
        for key in ("reduce", "victim", "resilience"):
            if key in data:
                fields[key] = self.boolean(data[key], ("options", key))
        return ScenarioOptions(**fields)

    def regions_of(self, arch: Architecture, wanted: int) -> tuple[str, ...]:
        """The regions a run of ``arch`` with ``wanted`` regions places instances in."""
        topology = arch.topology
        used = [
            min(effective_regions(s, topology, wanted), len(topology.region_names))
            for s in arch.services
        ]
        return tuple(topology.region_names[: max([1, *used])])

    def action(
        self,
        value: object,
        where: FieldPath,
        arch: Architecture,
        regions: tuple[str, ...],
        duration: float,
    ) -> ChaosAction:
        every_key = (
            "action",
            "target",
            "at",
            *sorted({k for ks in _ACTION_KEYS.values() for k in ks}),
        )
        data = self.mapping(value, where, every_key, "a chaos action")
        kind: ChaosKind = self.choice(
            self.require(data, "action", where, f"e.g. {_ACTION_EXAMPLES['chaos-monkey']}"),
            (*where, "action"),
            CHAOS_ACTIONS,
            "chaos action",
        )
        allowed = _ACTION_KEYS[kind]
        for key in data:
            if key in ("action", "target", "at") or key in allowed or key.startswith("x-"):
                continue
            raise self.fail(
                (*where, key),
                f"key {key!r} does not apply to {kind}",
                key,
                f"{kind} takes action, target, at, {', '.join(allowed)}; "
                f"e.g. {_ACTION_EXAMPLES[kind]}",
                at_key=True,
            )
        target_value = self.require(data, "target", where, f"e.g. {_ACTION_EXAMPLES[kind]}")
        target = self.target(kind, target_value, (*where, "target"), arch, regions)
        fields: dict[str, Any] = {}
        at = self.seconds(data["at"], (*where, "at"), "at: 30") if "at" in data else 0.0
        if at > duration:
            raise self.fail(
                (*where, "at"),
                f"{at:g} s is after the run's end ({duration:g} s)",
                data["at"],
                f"give a time from 0 to {duration:g}, or a longer duration",
            )
        for key, example in (
            ("duration", "duration: 60"),
            ("every", "every: 30"),
            ("until", "until: 300"),
            ("replace_after", "replace_after: 60"),
            ("latency", "latency: 0.05"),
            ("dns_failover", "dns_failover: 60"),
        ):
            if key in data:
                fields[key] = self.seconds(data[key], (*where, key), example)
        if fields.get("every") == 0.0:
            raise self.fail((*where, "every"), "must be longer than zero", 0, "e.g. every: 30")
        if "until" in fields and fields["until"] < at:
            raise self.fail(
                (*where, "until"),
                f"{fields['until']:g} s is before at ({at:g} s)",
                data["until"],
                "give an end after the start",
            )
        if "count" in data and "share" in data:
            raise self.fail(
                (*where, "share"),
                "give count or share, not both",
                data["share"],
                "count: how many instances; share: a fraction of the live ones",
                at_key=True,
            )
        if "count" in data:
            count = self.whole(data["count"], (*where, "count"), "2")
            if count < 0:
                raise self.fail((*where, "count"), f"{count} is negative", count, "e.g. count: 2")
            fields["count"] = count
        if "share" in data:
            fields["share"] = self.share(data["share"], (*where, "share"), "share: 0.5")
        if "error_rate" in data:
            fields["error_rate"] = self.share(
                data["error_rate"], (*where, "error_rate"), "error_rate: 0.1"
            )
        if "caller" in data:
            fields["caller"] = self.service_name(data["caller"], (*where, "caller"), arch)
        if kind == "latency-monkey" and not fields.get("latency") and not fields.get("error_rate"):
            raise self.fail(
                where,
                "latency-monkey needs latency or error_rate above 0",
                value,
                f"e.g. {_ACTION_EXAMPLES[kind]}",
            )
        line_col = self.marks.values.get(where)
        origin = f"{self.file}:{line_col[0]}:{line_col[1]}" if line_col else self.file
        return ChaosAction(kind, target, at=at, origin=origin, **fields)

    def service_name(self, value: object, where: FieldPath, arch: Architecture) -> str:
        name = self.string(value, where)
        names = [s.name for s in arch.services]
        if name not in names:
            raise self.fail(
                where,
                f"unknown service {name!r} (known: {', '.join(names)})",
                name,
                did_you_mean(name, names) + "give a service of the architecture",
            )
        return name

    def place(
        self, value: object, where: FieldPath, arch: Architecture, regions: tuple[str, ...]
    ) -> str:
        text = self.string(value, where)
        region, slash, zone = text.partition("/")
        if region not in regions:
            raise self.fail(
                where,
                f"unknown region {region!r} (this run has: {', '.join(regions)})",
                text,
                did_you_mean(region, regions)
                + "give a region of the run (options.regions sets how many)",
            )
        zones = arch.topology.zone_names
        if slash and zone not in zones:
            raise self.fail(
                where,
                f"unknown zone {zone!r} (zones: {', '.join(zones)})",
                text,
                did_you_mean(zone, zones) + f"write region/zone, e.g. {region}/{zones[0]}",
            )
        return text

    def target(
        self,
        kind: ChaosKind,
        value: object,
        where: FieldPath,
        arch: Architecture,
        regions: tuple[str, ...],
    ) -> tuple[str, ...]:
        if kind in ("chaos-monkey", "latency-monkey"):
            return (self.service_name(value, where, arch),)
        if kind == "partition":
            if not isinstance(value, list) or len(value) != 2:
                raise self.fail(
                    where,
                    f"a partition's target is two places, got {show_value(value)}",
                    value,
                    f"e.g. {_ACTION_EXAMPLES['partition']}",
                )
            a, b = (self.place(v, (*where, i), arch, regions) for i, v in enumerate(value))
            ra, _, za = a.partition("/")
            rb, _, zb = b.partition("/")
            if ra == rb and (not za or not zb or za == zb):
                raise self.fail(
                    where,
                    f"{a!r} and {b!r} overlap",
                    value,
                    "give two different regions, or two different zones",
                )
            return (a, b)
        text = self.place(value, where, arch, regions)
        if kind == "chaos-gorilla" and "/" not in text:
            raise self.fail(
                where,
                f"chaos-gorilla takes a zone, got the region {text!r}",
                text,
                f"write region/zone, e.g. {text}/{arch.topology.zone_names[0]}; "
                "chaos-kong takes a region",
            )
        if kind == "chaos-kong" and "/" in text:
            raise self.fail(
                where,
                f"chaos-kong takes a region, got the zone {text!r}",
                text,
                f"write the region, e.g. {text.partition('/')[0]}; chaos-gorilla takes a zone",
            )
        return (text,)

    def outputs(self, value: object) -> ScenarioOutputs:
        data = self.mapping(value, ("outputs",), _OUTPUT_KEYS, "the outputs")
        fields: dict[str, Any] = {}
        if "folder" in data:
            fields["folder"] = self.string(data["folder"], ("outputs", "folder"))
        for key in ("graph", "graphml", "metrics", "report"):
            if key in data:
                fields[key] = self.boolean(data[key], ("outputs", key))
        if "spans" in data:
            spans = self.name_list(data["spans"], ("outputs", "spans"), "zipkin, otlp")
            for i, name in enumerate(spans):
                if name not in SPAN_FORMATS:
                    raise self.fail(
                        ("outputs", "spans", i),
                        f"unknown span format {name!r}",
                        name,
                        did_you_mean(name, SPAN_FORMATS)
                        + f"choose from {', '.join(SPAN_FORMATS)}, or [] for none",
                    )
            fields["spans"] = spans
        if "sample" in data:
            fields["sample"] = self.share(data["sample"], ("outputs", "sample"), "sample: 0.1")
        if "interval" in data:
            interval = self.seconds(data["interval"], ("outputs", "interval"), "interval: 1")
            if not (interval > 0 and math.isfinite(interval)):
                raise self.fail(
                    ("outputs", "interval"), "must be longer than zero", interval, "interval: 1"
                )
            fields["interval"] = interval
        return ScenarioOutputs(**fields)


SCENARIO_SCHEMA_ID: Final = "https://monkeyhouse.dev/schema/scenario-1.json"


def scenario_schema() -> dict[str, Any]:
    """Return the JSON Schema of scenario files (a new dict each call)."""
    arch = architecture_schema()
    time = {
        "description": "Seconds: a number, or text with a unit (250ms, 30s, 2m, 1h).",
        "oneOf": [
            {"type": "number", "minimum": 0},
            {"type": "string", "pattern": _TIME.pattern},
        ],
    }
    place = {
        "type": "string",
        "description": "A region (us-east-1) or a zone as region/zone (us-east-1/zoneA).",
    }
    share = {"type": "number", "minimum": 0, "maximum": 1}
    action_properties: dict[str, Any] = {
        "action": {"enum": list(CHAOS_ACTIONS)},
        "target": {
            "description": "A service (chaos-monkey, latency-monkey), a zone (chaos-gorilla), "
            "a region (chaos-kong), or a list of two places (partition).",
            "oneOf": [
                {"type": "string"},
                {"type": "array", "items": place, "minItems": 2, "maxItems": 2},
            ],
        },
        "at": time | {"description": "When the action starts (default 0)."},
        "duration": time | {"description": "How long it lasts (default: to the run's end)."},
        "every": time | {"description": "chaos-monkey: strike again every so often."},
        "until": time | {"description": "chaos-monkey: the last strike is at or before this."},
        "count": {"type": "integer", "minimum": 0, "description": "Instances to kill."},
        "share": share | {"description": "Share of live instances to kill, rounded up."},
        "replace_after": time | {"description": "Seconds until a killed instance is replaced."},
        "latency": time | {"description": "Seconds added to each request's delivery."},
        "error_rate": share | {"description": "Share of requests answered with a 503."},
        "caller": {"type": "string", "description": "Only requests from this service."},
        "dns_failover": time
        | {
            "description": "chaos-kong: seconds until DNS moves traffic "
            f"(default {DNS_FAILOVER:g}).",
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCENARIO_SCHEMA_ID,
        "title": "monkeyhouse scenario",
        "description": "A run: architecture, traffic, duration, seed, options, chaos, outputs. "
        "Keys starting with 'x-' are extensions.",
        "type": "object",
        "required": ["architecture"],
        "patternProperties": {"^x-": {}},
        "additionalProperties": False,
        "properties": {
            "scenario": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
            "description": {"type": "string"},
            "architecture": {
                "description": "A catalog name, a path relative to the scenario, or an "
                "architecture written inline.",
                "oneOf": [{"type": "string"}, {k: v for k, v in arch.items() if k[0] != "$"}],
            },
            "traffic": arch["properties"]["traffic"],
            "duration": time,
            "seed": {"type": "integer"},
            "options": {
                "type": "object",
                "additionalProperties": False,
                "patternProperties": {"^x-": {}},
                "properties": {
                    "population": {"type": "integer", "minimum": 1},
                    "regions": {"type": "integer", "minimum": 1, "maximum": _MAX_REGIONS},
                    "poll": time,
                    "reduce": {"type": "boolean"},
                    "victim": {"type": "boolean"},
                    "resilience": {"type": "boolean"},
                },
            },
            "chaos": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["action", "target"],
                    "additionalProperties": False,
                    "patternProperties": {"^x-": {}},
                    "properties": action_properties,
                },
            },
            "outputs": {
                "type": "object",
                "additionalProperties": False,
                "patternProperties": {"^x-": {}},
                "properties": {
                    "folder": {"type": "string"},
                    "graph": {"type": "boolean"},
                    "graphml": {"type": "boolean"},
                    "spans": {"type": "array", "items": {"enum": list(SPAN_FORMATS)}},
                    "sample": share,
                    "metrics": {"type": "boolean"},
                    "interval": time,
                    "report": {"type": "boolean"},
                },
            },
        },
    }
