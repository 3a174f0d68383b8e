"""Load an architecture file (spigo's JSON or the native JSON/YAML format) into the data model.

:func:`load_architecture` reads the file, parses it, converts it into
:class:`~monkeyhouse.model.architecture.Architecture` checking every key and type, then runs
:func:`~monkeyhouse.model.validate.validate`. Every mistake raises one
:class:`~monkeyhouse.errors.ArchitectureError` naming the file, the line and column, the field
path (``services[3].dependencies[0]``), the value and the fix.

Positions come from the YAML node tree for YAML files and from a small position-tracking scanner
for JSON files (the standard ``json`` module parses, the scanner only records where each value
and key starts).

The optional keys of time (service times, capacity, call settings, network, traffic; see
:mod:`monkeyhouse.model.timing`) are read here for their shape and type; their ranges are
checked by :func:`~monkeyhouse.model.validate.validate`, so hand-built architectures get the
same checks. A replay CSV is read relative to the architecture file's folder.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime
import json
import math
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from monkeyhouse.errors import ArchitectureError, UsageError
from monkeyhouse.model.architecture import (
    DEFAULT_REGIONS,
    DEFAULT_ZONES,
    Architecture,
    Dependency,
    Service,
    Topology,
)
from monkeyhouse.model.distributions import Distribution, parse_distribution, show_value
from monkeyhouse.model.packages import BUILTIN_PACKAGES
from monkeyhouse.model.resilience import (
    BudgetSettings,
    BulkheadSettings,
    CountBreakerSettings,
    FallbackSettings,
    HystrixSettings,
    OutlierSettings,
    Resilience,
    RetryPolicy,
    setting_kind,
)
from monkeyhouse.model.schema import FORMAT_V1
from monkeyhouse.model.timing import (
    ARRIVALS,
    CALL_MODES,
    DEFAULT_CALLS,
    DEFAULT_MIX,
    DISPATCHES,
    ON_FULL,
    PATTERNS,
    REGION_PAIR_LATENCY,
    REQUEST_KINDS,
    UNSET,
    CallSettings,
    NetworkSettings,
    TrafficSpec,
    Unset,
    read_rate_csv,
)
from monkeyhouse.model.validate import FieldPath, did_you_mean, field_path, validate

#: Default largest file size read (10 MiB).
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

_JSON_SUFFIXES = frozenset({".json"})
_YAML_SUFFIXES = frozenset({".yaml", ".yml"})

_TOP_KEYS = (
    "format",
    "arch",
    "description",
    "version",
    "args",
    "date",
    "victim",
    "topology",
    "services",
    "network",
    "traffic",
)
_SERVICE_KEYS = (
    "name",
    "package",
    "count",
    "regions",
    "dependencies",
    "scales",
    "machine",
    "instance",
    "container",
    "process",
    "description",
    "useCustomGuesstimate",
    "guesstimateType",
    "guesstimateValue",
    "service_time",
    "threads",
    "cores",
    "queue",
    "on_full",
    "dispatch",
    "resilience",
)
_GUESSTIMATE_KEYS = ("useCustomGuesstimate", "guesstimateType", "guesstimateValue")
_DEPENDENCY_KEYS = (
    "service",
    "mode",
    "probability",
    "calls",
    "weight",
    "request_bytes",
    "response_bytes",
)
#: the parts of a dependency's protection, as written (a service's ``resilience`` takes them too)
_RESILIENCE_KEYS = ("timeout", "retries", "breaker", "bulkhead", "fallback", "outlier")
_NETWORK_KEYS = ("same_zone", "cross_zone", "cross_region", "regions", "bandwidth")
#: Keys of a traffic source every pattern accepts.
_TRAFFIC_COMMON_KEYS = ("source", "pattern", "rate", "arrivals", "mix")
#: Keys only one pattern accepts, and which of them it requires.
_PATTERN_KEYS: dict[str, tuple[str, ...]] = {
    "ramp": ("to_rate", "over", "start"),
    "step": ("steps",),
    "diurnal": ("amplitude", "period"),
    "spike": ("peak", "at", "duration"),
    "replay": ("csv",),
}
_PATTERN_REQUIRED: dict[str, tuple[str, ...]] = {
    "ramp": ("to_rate", "over"),
    "step": ("steps",),
    "spike": ("peak", "at", "duration"),
    "replay": ("csv",),
}
_PATTERN_EXAMPLES: dict[str, str] = {
    "ramp": "{pattern: ramp, rate: 100, to_rate: 1000, over: 60, start: 10}",
    "step": "{pattern: step, rate: 100, steps: [[60, 500], [120, 100]]}",
    "diurnal": "{pattern: diurnal, rate: 500, amplitude: 0.6, period: 86400}",
    "spike": "{pattern: spike, rate: 100, peak: 2000, at: 30, duration: 5}",
    "replay": "{pattern: replay, csv: rates.csv}",
}
_TRAFFIC_KEYS = _TRAFFIC_COMMON_KEYS + tuple(k for ks in _PATTERN_KEYS.values() for k in ks)

_Choice = TypeVar("_Choice", bound=str)
_Settings = TypeVar("_Settings")
_TOPOLOGY_KEYS = ("regions", "zones", "fixed_regions", "population", "first_index")

_JSON_SPACE = re.compile(r"[ \t\r\n]+")
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_SCALAR = re.compile(r"[^,\]}\s]+")

_MERGE_TAG = "tag:yaml.org,2002:merge"

# Enough for any sane architecture; stops alias bombs and pathological nesting.
_MAX_WALKED_NODES = 2_000_000

try:  # the C parser when PyYAML was built with libyaml
    _YamlLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _YamlLoader = yaml.SafeLoader


@dataclass(slots=True)
class _Marks:
    """Where values and keys start, by field path, as 1-based (line, column)."""

    values: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    duplicate: tuple[FieldPath, tuple[int, int]] | None = None


def load_architecture(
    path: str | Path,
    *,
    text: str | None = None,
    name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Architecture:
    """Read, check and return the architecture in ``path``.

    Args:
        path: The file to read (``.json``, ``.yaml`` or ``.yml``; any other name is sniffed:
            JSON when it starts with ``{``, YAML otherwise). With ``text``, only names the file.
        text: The file's contents, when already in memory; the file is then not read.
        name: The architecture name to use when the file has no ``arch`` field (default: the
            file name without extension and without a trailing ``_arch``).
        max_bytes: Largest file accepted, checked before reading.

    Returns:
        The validated architecture; its ``source`` is ``str(path)``.

    Raises:
        ArchitectureError: for any problem in the file, naming file, position, field and fix.

    """
    label = str(path)
    path = Path(path)
    if text is None:
        text = _read_text(path, label, max_bytes)
    else:
        size = len(text.encode("utf-8", errors="surrogatepass"))
        if size > max_bytes:
            raise _too_big(label, size, max_bytes)
    if text.startswith("\ufeff"):
        text = text[1:]
    data, marks = _parse(text, label, _is_json(path, text))
    reader = _Reader(label, marks)
    if marks.duplicate is not None:
        dup_path, (line, column) = marks.duplicate
        raise ArchitectureError(
            label,
            field_path(dup_path),
            f"key {dup_path[-1]!r} appears twice in the same mapping",
            value=dup_path[-1],
            fix="keep one of them; the second would silently replace the first",
            line=line,
            column=column,
        )
    stem = path.stem
    default_name = name or (stem[: -len("_arch")] if stem.endswith("_arch") else stem)
    arch = reader.architecture(data, default_name)
    validate(arch, packages=BUILTIN_PACKAGES, file=label, positions=marks.values)
    return arch


def _too_big(label: str, size: int, limit: int) -> ArchitectureError:
    return ArchitectureError(
        label,
        "",
        f"file is {size} bytes, more than the limit of {limit} bytes",
        value=size,
        fix=(
            "check this is an architecture file; architectures are small text files, so "
            "split generated ones; from Python, load_architecture(max_bytes=...) raises the limit"
        ),
    )


def _read_text(path: Path, label: str, max_bytes: int) -> str:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ArchitectureError(
            label, "", "file not found", value=label, fix="check the path"
        ) from None
    except OSError as error:
        raise ArchitectureError(
            label, "", f"cannot read the file: {error.strerror}", value=label, fix="check the path"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise ArchitectureError(
            label, "", "not a regular file", value=label, fix="check the path names a file"
        )
    if info.st_size > max_bytes:
        raise _too_big(label, info.st_size, max_bytes)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ArchitectureError(
            label,
            "",
            f"cannot read the file: {error.strerror}",
            value=label,
            fix="check the path and its permissions",
        ) from None
    if len(raw) > max_bytes:  # grew since stat
        raise _too_big(label, len(raw), max_bytes)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")) + 1
        raise ArchitectureError(
            label,
            "",
            f"not UTF-8 text: byte 0x{raw[error.start]:02x} cannot be decoded",
            value=raw[error.start],
            fix="save the file as UTF-8",
            line=line,
            column=column,
        ) from None


def _is_json(path: Path, text: str) -> bool:
    suffix = path.suffix.lower()
    if suffix in _JSON_SUFFIXES:
        return True
    if suffix in _YAML_SUFFIXES:
        return False
    return text.lstrip().startswith("{")


def _parse(text: str, label: str, is_json: bool) -> tuple[Any, _Marks]:
    if is_json:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ArchitectureError(
                label,
                "",
                f"malformed JSON: {error.msg}",
                value=text[error.pos : error.pos + 20],
                fix="fix the JSON syntax at that position",
                line=error.lineno,
                column=error.colno,
            ) from None
        except RecursionError:
            raise ArchitectureError(
                label, "", "malformed JSON: nested too deeply", fix="flatten the file"
            ) from None
        return data, _JsonPositions(text).scan()
    return _parse_yaml(text, label)


def _parse_yaml(text: str, label: str) -> tuple[Any, _Marks]:
    loader = _YamlLoader(text)
    marks = _Marks()
    try:
        node = loader.get_single_node()
        data = None
        if node is not None:
            _walk_yaml(node, marks)  # before construction, which rewrites merge keys
            data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or "syntax error"
        if error.context:
            problem = f"{problem} ({error.context})"
        raise ArchitectureError(
            label,
            "",
            f"malformed YAML: {problem}",
            fix="fix the YAML syntax at that position (check indentation, colons and quotes)",
            line=mark.line + 1 if mark is not None else None,
            column=mark.column + 1 if mark is not None else None,
        ) from None
    except yaml.YAMLError as error:
        raise ArchitectureError(
            label, "", f"malformed YAML: {error}", fix="fix the YAML syntax"
        ) from None
    except RecursionError:
        raise ArchitectureError(
            label, "", "malformed YAML: nested too deeply", fix="flatten the file"
        ) from None
    finally:
        loader.dispose()
    return data, marks


def _walk_yaml(root: yaml.Node, marks: _Marks) -> None:
    """Record where each value and key starts; each node is visited once (aliases share)."""
    seen: set[int] = set()
    stack: list[tuple[FieldPath, yaml.Node]] = [((), root)]
    while stack and len(seen) < _MAX_WALKED_NODES:
        path, node = stack.pop()
        marks.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            names: set[str] = set()
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                if key_node.tag == _MERGE_TAG:
                    continue
                key = str(key_node.value)
                child = (*path, key)
                position = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                if key in names and marks.duplicate is None:
                    marks.duplicate = (child, position)
                names.add(key)
                marks.keys.setdefault(child, position)
                stack.append((child, value_node))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                stack.append(((*path, index), item))


class _JsonPositions:
    """A recursive-descent scanner of (already valid) JSON that records where things start."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.index = 0
        self.marks = _Marks()
        self.line_starts = [0]
        start = text.find("\n")
        while start != -1:
            self.line_starts.append(start + 1)
            start = text.find("\n", start + 1)

    def scan(self) -> _Marks:
        """Scan the whole text; on anything unexpected, keep what was recorded so far."""
        with contextlib.suppress(ValueError, IndexError, RecursionError):
            self._value(())
        return self.marks

    def _position(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, index)
        return line, index - self.line_starts[line - 1] + 1

    def _skip_space(self) -> None:
        match = _JSON_SPACE.match(self.text, self.index)
        if match is not None:
            self.index = match.end()

    def _value(self, path: FieldPath) -> None:
        self._skip_space()
        self.marks.values[path] = self._position(self.index)
        char = self.text[self.index]
        if char == "{":
            self._object(path)
        elif char == "[":
            self._array(path)
        elif char == '"':
            self._string()
        else:
            self._scalar()

    def _object(self, path: FieldPath) -> None:
        self.index += 1
        names: set[str] = set()
        self._skip_space()
        if self.text[self.index] == "}":
            self.index += 1
            return
        while True:
            self._skip_space()
            key_at = self.index
            key = self._string()
            child = (*path, key)
            position = self._position(key_at)
            if key in names and self.marks.duplicate is None:
                self.marks.duplicate = (child, position)
            names.add(key)
            self.marks.keys[child] = position
            self._skip_space()
            self._expect(":")
            self._value(child)
            self._skip_space()
            if self.text[self.index] == ",":
                self.index += 1
                continue
            self._expect("}")
            return

    def _array(self, path: FieldPath) -> None:
        self.index += 1
        self._skip_space()
        if self.text[self.index] == "]":
            self.index += 1
            return
        item = 0
        while True:
            self._value((*path, item))
            item += 1
            self._skip_space()
            if self.text[self.index] == ",":
                self.index += 1
                continue
            self._expect("]")
            return

    def _string(self) -> str:
        match = _JSON_STRING.match(self.text, self.index)
        if match is None:
            raise ValueError("expected a string")
        self.index = match.end()
        raw = match.group()
        if "\\" not in raw:
            return raw[1:-1]
        decoded = json.loads(raw)
        if not isinstance(decoded, str):  # pragma: no cover - a quoted literal is a string
            raise ValueError("not a string")
        return decoded

    def _scalar(self) -> None:
        match = _JSON_SCALAR.match(self.text, self.index)
        if match is None:
            raise ValueError("expected a value")
        self.index = match.end()

    def _expect(self, char: str) -> None:
        if self.text[self.index] != char:
            raise ValueError(f"expected {char!r}")
        self.index += 1


def _looks_numeric(text: str) -> bool:
    """True for text Python reads as a finite number (YAML 1.1 reads ``1e9`` as text)."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


class _Reader:
    """Converts parsed data into the data model, raising positioned errors."""

    def __init__(self, file: str, marks: _Marks) -> None:
        self.file = file
        self.marks = marks
        self.folder = Path(file).parent

    def fail(
        self, path: FieldPath, problem: str, value: object, fix: str, *, at_key: bool = False
    ) -> ArchitectureError:
        found = self.marks.keys.get(path) if at_key else None
        probe = path
        while found is None:
            found = self.marks.values.get(probe)
            if not probe:
                break
            probe = probe[:-1]
        line, column = found if found is not None else (None, None)
        return ArchitectureError(
            self.file, field_path(path), problem, value=value, fix=fix, line=line, column=column
        )

    def fail_hook(
        self, path: FieldPath, problem: str, value: object, fix: str, at_key: bool
    ) -> ArchitectureError:
        """:meth:`fail` in the shape :func:`parse_distribution` calls it."""
        return self.fail(path, problem, value, fix, at_key=at_key)

    # -- shapes ---------------------------------------------------------------------------

    def mapping(
        self, value: object, path: FieldPath, known: tuple[str, ...], what: str
    ) -> dict[str, Any]:
        """Check ``value`` is a mapping with string keys, all known or ``x-`` extensions."""
        if not isinstance(value, dict):
            raise self.fail(
                path,
                f"expected a mapping (keys and values) for {what}, got {show_value(value)}",
                value,
                f"write {what} as a mapping with keys such as {', '.join(known[:3])}",
            )
        for key in value:
            if not isinstance(key, str):
                raise self.fail(
                    path,
                    f"key {show_value(key)} is not a string",
                    key,
                    'quote the key, e.g. "yes": or "1":',
                )
            if key in known or key.startswith("x-"):
                continue
            raise self.fail(
                (*path, key),
                f"unknown key {key!r} in {what}",
                key,
                did_you_mean(key, known)
                + f"keys allowed here: {', '.join(known)}; prefix extensions with 'x-'",
                at_key=True,
            )
        return value

    def require(self, data: dict[str, Any], key: str, path: FieldPath, fix: str) -> Any:
        if key not in data:
            raise self.fail((*path, key), f"missing required key {key!r}", None, fix)
        return data[key]

    def string(self, value: object, path: FieldPath, *, allow_date: bool = False) -> str:
        if isinstance(value, str):
            return value
        if allow_date and isinstance(value, datetime.date):
            return value.isoformat()
        raise self.fail(
            path,
            f"expected a string, got {show_value(value)}",
            value,
            "quote the value to make it a string",
        )

    def whole(self, value: object, path: FieldPath, example: str) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise self.fail(
            path,
            f"expected a whole number, got {show_value(value)}",
            value,
            f"write a whole number without quotes, e.g. {example}",
        )

    def number(self, value: object, path: FieldPath, example: str) -> float:
        if isinstance(value, str) and _looks_numeric(value):
            raise self.fail(
                path,
                f"expected a number, got the text {value!r}",
                value,
                "remove the quotes; in YAML write exponents with a dot and a sign, "
                "e.g. 1.25e+9, or write the number in full",
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(
                path,
                f"expected a number, got {show_value(value)}",
                value,
                f"write a number without quotes or units, e.g. {example}",
            )
        if not math.isfinite(value):
            raise self.fail(
                path, f"expected a finite number, got {value}", value, f"e.g. {example}"
            )
        return float(value)

    def choice(
        self, value: object, path: FieldPath, choices: tuple[_Choice, ...], what: str
    ) -> _Choice:
        text = self.string(value, path)
        for choice in choices:
            if text == choice:
                return choice
        raise self.fail(
            path,
            f"unknown {what} {text!r} (known: {', '.join(choices)})",
            text,
            did_you_mean(text, choices) + f"use one of {', '.join(choices)}",
        )

    def distribution(self, value: object, path: FieldPath) -> Distribution:
        return parse_distribution(value, path, fail=self.fail_hook)

    def boolean(self, value: object, path: FieldPath) -> bool:
        if isinstance(value, bool):
            return value
        raise self.fail(
            path,
            f"expected true or false, got {show_value(value)}",
            value,
            "write true or false without quotes",
        )

    def name_list(self, value: object, path: FieldPath, example: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(
                path,
                f"expected a list of names, got {show_value(value)}",
                value,
                f"write a list, e.g. [{example}]",
            )
        return tuple(self.string(item, (*path, index)) for index, item in enumerate(value))

    # -- the model --------------------------------------------------------------------------

    def architecture(self, data: object, default_name: str) -> Architecture:
        if not isinstance(data, dict):
            raise self.fail(
                (),
                f"the file must hold a mapping with keys 'arch' and 'services', "
                f"got {'nothing' if data is None else show_value(data)}",
                data,
                "start the file with the architecture's keys, e.g. arch: and services:",
            )
        top = self.mapping(data, (), _TOP_KEYS, "the architecture")
        if "format" in top:
            fmt = self.string(top["format"], ("format",))
            if fmt != FORMAT_V1:
                raise self.fail(
                    ("format",),
                    f"unsupported format {fmt!r}; this version reads {FORMAT_V1!r}",
                    fmt,
                    f"write format: {FORMAT_V1}, or use a newer monkeyhouse",
                )
        text: dict[str, str] = {}
        for key in ("arch", "description", "version", "args", "date", "victim"):
            if key in top:
                text[key] = self.string(top[key], (key,), allow_date=key == "date")
        services_value = self.require(
            top,
            "services",
            (),
            "add a 'services' list, e.g. services: [{name: www, package: denominator}]",
        )
        if not isinstance(services_value, list):
            raise self.fail(
                ("services",),
                f"expected a list of services, got {show_value(services_value)}",
                services_value,
                "write services as a list, one entry per service",
            )
        services = tuple(
            self.service(item, ("services", index)) for index, item in enumerate(services_value)
        )
        topology = self.topology(top["topology"]) if "topology" in top else Topology()
        network = self.network(top["network"], topology) if "network" in top else NetworkSettings()
        traffic = self.traffic(top["traffic"]) if "traffic" in top else ()
        options: dict[str, Any] = {k: v for k, v in top.items() if k.startswith("x-")}
        for key in ("args", "date"):
            if key in text:
                options[key] = text[key]
        return Architecture(
            arch=text.get("arch") or default_name,
            services=services,
            description=text.get("description", ""),
            version=text.get("version", ""),
            victim=text.get("victim", ""),
            topology=topology,
            source=self.file,
            options=options,
            network=network,
            traffic=traffic,
        )

    def service(self, value: object, path: FieldPath) -> Service:
        data = self.mapping(value, path, _SERVICE_KEYS, "a service")
        packages = ", ".join(BUILTIN_PACKAGES)
        name = self.string(
            self.require(data, "name", path, "give the service a unique name, e.g. name: web"),
            (*path, "name"),
        )
        if not name.strip():
            raise self.fail(
                (*path, "name"),
                "service name is empty",
                name,
                "give the service a unique name, e.g. name: web",
            )
        package = self.string(
            self.require(data, "package", path, f"add a package, one of {packages}"),
            (*path, "package"),
        )
        count = self.whole(data.get("count", 0), (*path, "count"), "count: 3")
        regions = self.whole(data.get("regions", 0), (*path, "regions"), "regions: 1")
        scales = self.boolean(data.get("scales", True), (*path, "scales"))
        strings = {
            key: self.string(data[key], (*path, key))
            for key in ("machine", "instance", "container", "process", "description")
            if key in data
        }
        dependencies = self.dependencies(data.get("dependencies"), (*path, "dependencies"))
        options: dict[str, Any] = {}
        for key in _GUESSTIMATE_KEYS:
            if key not in data:
                continue
            check: Callable[[object, FieldPath], object] = (
                self.boolean if key == "useCustomGuesstimate" else self.string
            )
            options[key] = check(data[key], (*path, key))
        options.update((k, v) for k, v in data.items() if k.startswith("x-"))
        service_time = None
        if "service_time" in data:
            service_time = self.distribution(data["service_time"], (*path, "service_time"))
        threads = None
        if "threads" in data:
            threads = self.whole(data["threads"], (*path, "threads"), "threads: 200")
        cores = None
        if "cores" in data:
            cores = self.whole(data["cores"], (*path, "cores"), "cores: 4")
        queue: int | Unset | None = UNSET
        if "queue" in data:
            queue = data["queue"]
            if queue is not None:
                queue = self.whole(queue, (*path, "queue"), "queue: 100, or null for unbounded")
        on_full = None
        if "on_full" in data:
            on_full = self.choice(data["on_full"], (*path, "on_full"), ON_FULL, "on_full")
        resilience: dict[str, Any] = {}
        if "resilience" in data:
            resilience = self.service_resilience(data["resilience"], (*path, "resilience"))
        dispatch = None
        if "dispatch" in data:
            dispatch = self.choice(data["dispatch"], (*path, "dispatch"), DISPATCHES, "dispatch")
        return Service(
            name=name,
            package=package,
            count=count,
            regions=regions,
            dependencies=dependencies,
            scales=scales,
            machine=strings.get("machine", ""),
            instance=strings.get("instance", ""),
            container=strings.get("container", ""),
            process=strings.get("process", ""),
            options=options,
            description=strings.get("description", ""),
            service_time=service_time,
            threads=threads,
            cores=cores,
            queue=queue,
            on_full=on_full,
            dispatch=dispatch,
            resilience=resilience,
        )

    def service_resilience(self, value: object, path: FieldPath) -> dict[str, Any]:
        """A service's ``resilience``: ``none`` (no protection at all) or parts to change."""
        if value == "none" or value is None:
            return {"all": "none"}
        return self.resilience(self.mapping(value, path, _RESILIENCE_KEYS, "resilience"), path)

    def dependencies(self, value: object, path: FieldPath) -> tuple[Dependency, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(
                path,
                f"expected a list of service names, got {show_value(value)}",
                value,
                "write dependencies as a list, e.g. dependencies: [login, homepage]",
            )
        return tuple(self.dependency(item, (*path, index)) for index, item in enumerate(value))

    def dependency(self, value: object, path: FieldPath) -> Dependency:
        if isinstance(value, str):
            return Dependency(value)
        if not isinstance(value, dict):
            raise self.fail(
                path,
                f"expected a service name or a mapping with 'service', got {show_value(value)}",
                value,
                "write the name of the service called, e.g. login, or {service: login}",
            )
        data = self.mapping(value, path, _DEPENDENCY_KEYS + _RESILIENCE_KEYS, "a dependency")
        service = self.string(
            self.require(data, "service", path, "name the service called, e.g. service: login"),
            (*path, "service"),
        )
        options = {k: v for k, v in data.items() if k.startswith("x-")}
        resilience = self.resilience({k: v for k, v in data.items() if k in _RESILIENCE_KEYS}, path)
        return Dependency(service, options, self.call_settings(data, path), resilience)

    # -- resilience: timeouts, retries, breakers, bulkheads, fallbacks, outlier ejection ------

    def resilience(self, data: dict[str, Any], path: FieldPath) -> dict[str, Any]:
        """The protection parts written in ``data``, as changes to a package's defaults."""
        changes: dict[str, Any] = {}
        for key, value in data.items():
            where = (*path, key)
            if value == "none" or value is None:
                changes["retry" if key == "retries" else key] = None
                if key == "retries":
                    changes["budget"] = None
                continue
            if key == "timeout":
                timeout = self.number(value, where, "timeout: 0.5 (seconds), or none")
                self.settings(Resilience, {"timeout": timeout}, where, value)  # checks it
                changes["timeout"] = timeout
            elif key == "retries":
                changes.update(self.retries(value, where))
            elif key == "breaker":
                changes["breaker"] = self.breaker(value, where)
            elif key == "bulkhead":
                fields = self.mapping(value, where, ("kind", "size", "queue"), "a bulkhead")
                changes["bulkhead"] = self.settings(BulkheadSettings, fields, where, value)
            elif key == "fallback":
                fields = self.mapping(value, where, ("kind", "value", "service"), "a fallback")
                changes["fallback"] = self.settings(FallbackSettings, fields, where, value)
            elif key == "outlier":
                if value == "envoy":
                    changes["outlier"] = OutlierSettings()
                    continue
                known = tuple(OutlierSettings.__dataclass_fields__)
                fields = self.mapping(value, where, known, "outlier detection")
                changes["outlier"] = self.settings(OutlierSettings, fields, where, value)
        return changes

    def retries(self, value: object, path: FieldPath) -> dict[str, Any]:
        if not isinstance(value, dict):
            count = self.whole(value, path, "retries: 2, or a mapping with retries and budget")
            return {"retry": self.settings(RetryPolicy, {"retries": count}, path, value)}
        known = (*RetryPolicy.__dataclass_fields__, "budget")
        fields = dict(self.mapping(value, path, known, "retries"))
        budget = fields.pop("budget", None)
        changes: dict[str, Any] = {"retry": self.settings(RetryPolicy, fields, path, value)}
        if budget is not None and budget != "none":
            where = (*path, "budget")
            budget_fields = self.mapping(budget, where, ("percent", "minimum"), "a retry budget")
            changes["budget"] = self.settings(BudgetSettings, budget_fields, where, budget)
        return changes

    def breaker(self, value: object, path: FieldPath) -> HystrixSettings | CountBreakerSettings:
        kinds: dict[str, type[HystrixSettings] | type[CountBreakerSettings]] = {
            "hystrix": HystrixSettings,
            "count": CountBreakerSettings,
        }
        if isinstance(value, str):
            kind = self.choice(value, path, ("hystrix", "count", "none"), "breaker")
            return kinds[kind]()
        if not isinstance(value, dict):
            raise self.fail(
                path,
                f"expected hystrix, count, none or a mapping, got {show_value(value)}",
                value,
                "write breaker: hystrix, or {kind: hystrix, sleep_window_ms: 2000}",
            )
        kind = self.choice(value.get("kind", "hystrix"), (*path, "kind"), tuple(kinds), "breaker")
        cls = kinds[kind]
        known = ("kind", *cls.__dataclass_fields__)
        fields = dict(self.mapping(value, path, known, f"a {kind} breaker"))
        fields.pop("kind", None)
        if cls is HystrixSettings:
            return self.settings(HystrixSettings, fields, path, value)
        return self.settings(CountBreakerSettings, fields, path, value)

    def settings(
        self, cls: Callable[..., _Settings], fields: dict[str, Any], path: FieldPath, value: object
    ) -> _Settings:
        """``cls(**fields)`` with each field's type checked, and its own checks as our errors."""
        kinds = getattr(cls, "__dataclass_fields__", {})
        checked: dict[str, Any] = {}
        for name, given in fields.items():
            if name.startswith("x-"):
                continue
            where = (*path, name)
            spec = kinds.get(name)
            default = None if spec is None else spec.default
            kind = setting_kind(name, default)
            if kind == "boolean":
                checked[name] = self.boolean(given, where)
            elif kind == "whole":
                checked[name] = self.whole(given, where, f"{name}: {default}")
            elif kind == "number":
                checked[name] = self.number(given, where, f"{name}: {default}")
            elif kind == "names":
                checked[name] = frozenset(self.name_list(given, where, "5xx, connect-failure"))
            else:
                checked[name] = self.string(given, where)
        try:
            return cls(**checked)
        except UsageError as error:
            raise self.fail(
                path, str(error), value, "see docs/resilience.md for every setting"
            ) from None

    def call_settings(self, data: dict[str, Any], path: FieldPath) -> CallSettings:
        if not any(key in data for key in _DEPENDENCY_KEYS[1:]):
            return DEFAULT_CALLS
        mode = DEFAULT_CALLS.mode
        if "mode" in data:
            mode = self.choice(data["mode"], (*path, "mode"), CALL_MODES, "call mode")
        numbers = {
            key: self.number(data[key], (*path, key), example)
            for key, example in (("probability", "0.5"), ("weight", "2"))
            if key in data
        }
        wholes = {
            key: self.whole(data[key], (*path, key), example)
            for key, example in (
                ("calls", "calls: 3"),
                ("request_bytes", "request_bytes: 2048"),
                ("response_bytes", "response_bytes: 65536"),
            )
            if key in data
        }
        return CallSettings(
            mode=mode,
            probability=numbers.get("probability", DEFAULT_CALLS.probability),
            calls=wholes.get("calls", DEFAULT_CALLS.calls),
            weight=numbers.get("weight", DEFAULT_CALLS.weight),
            request_bytes=wholes.get("request_bytes", DEFAULT_CALLS.request_bytes),
            response_bytes=wholes.get("response_bytes", DEFAULT_CALLS.response_bytes),
        )

    def network(self, value: object, topology: Topology) -> NetworkSettings:
        path: FieldPath = ("network",)
        data = self.mapping(value, path, _NETWORK_KEYS, "the network")
        defaults = NetworkSettings()
        seconds = {
            key: self.number(data[key], (*path, key), f"{key}: {getattr(defaults, key)}")
            for key in ("same_zone", "cross_zone", "cross_region")
            if key in data
        }
        bandwidth = defaults.bandwidth
        if "bandwidth" in data:
            bandwidth = self.number(
                data["bandwidth"], (*path, "bandwidth"), "bandwidth: 1.25e9 (10 Gbit/s)"
            )
        pairs = dict(REGION_PAIR_LATENCY)
        if "regions" in data:
            pairs.update(self.region_pairs(data["regions"], (*path, "regions"), topology))
        return NetworkSettings(
            same_zone=seconds.get("same_zone", defaults.same_zone),
            cross_zone=seconds.get("cross_zone", defaults.cross_zone),
            cross_region=seconds.get("cross_region", defaults.cross_region),
            region_pairs=pairs,
            bandwidth=bandwidth,
        )

    def region_pairs(
        self, value: object, path: FieldPath, topology: Topology
    ) -> dict[frozenset[str], float]:
        example = '"us-east-1/us-west-2": 0.033'
        if not isinstance(value, dict):
            raise self.fail(
                path,
                f"expected a mapping of region pairs to seconds, got {show_value(value)}",
                value,
                f"write one pair per line, e.g. {example}",
            )
        known = topology.region_names
        pairs: dict[frozenset[str], float] = {}
        written: dict[frozenset[str], str] = {}
        for key, seconds in value.items():
            where = (*path, str(key))
            if isinstance(key, str) and key.startswith("x-"):
                continue
            names = str(key).split("/")
            if not isinstance(key, str) or len(names) != 2 or not all(names):
                raise self.fail(
                    where,
                    f"region pair {show_value(key)} is not two region names joined by '/'",
                    key,
                    f"write the pair as 'region-a/region-b', e.g. {example}",
                    at_key=True,
                )
            for name in names:
                if name not in known:
                    raise self.fail(
                        where,
                        f"unknown region {name!r} (known: {', '.join(known)})",
                        name,
                        did_you_mean(name, known)
                        + "use region names of the topology (topology.regions)",
                        at_key=True,
                    )
            if names[0] == names[1]:
                raise self.fail(
                    where,
                    f"region pair {key!r} names one region twice",
                    key,
                    "set latency inside a region with same_zone and cross_zone",
                    at_key=True,
                )
            pair = frozenset(names)
            if pair in written:
                raise self.fail(
                    where,
                    f"region pair {key!r} is the same pair as {written[pair]!r}",
                    key,
                    "keep one of them; latency is the same both ways",
                    at_key=True,
                )
            written[pair] = key
            pairs[pair] = self.number(seconds, where, f"{example}")
        return pairs

    def traffic(self, value: object) -> tuple[TrafficSpec, ...]:
        if isinstance(value, dict):
            return (self.traffic_spec(value, ("traffic",)),)
        if not isinstance(value, list) or not value:
            raise self.fail(
                ("traffic",),
                f"expected a traffic source or a non-empty list of them, got {show_value(value)}",
                value,
                "write e.g. traffic: {pattern: poisson, rate: 500}; leave traffic out for "
                "spigo's 100 requests per second, or use rate: 0 for none",
            )
        return tuple(self.traffic_spec(item, ("traffic", i)) for i, item in enumerate(value))

    def traffic_spec(self, value: object, path: FieldPath) -> TrafficSpec:
        data = self.mapping(value, path, _TRAFFIC_KEYS, "a traffic source")
        pattern = "constant"
        if "pattern" in data:
            pattern = self.choice(data["pattern"], (*path, "pattern"), PATTERNS, "pattern")
        own = _PATTERN_KEYS.get(pattern, ())
        for key in data:
            if key in _TRAFFIC_COMMON_KEYS or key in own or key.startswith("x-"):
                continue
            owner = next(name for name, keys in _PATTERN_KEYS.items() if key in keys)
            raise self.fail(
                (*path, key),
                f"key {key!r} belongs to pattern {owner}, not {pattern}",
                key,
                f"remove it, or write pattern: {owner}, e.g. {_PATTERN_EXAMPLES[owner]}",
                at_key=True,
            )
        for key in _PATTERN_REQUIRED.get(pattern, ()):
            self.require(
                data, key, path, f"pattern {pattern} needs {key}, e.g. {_PATTERN_EXAMPLES[pattern]}"
            )
        if pattern == "replay" and "rate" in data:
            raise self.fail(
                (*path, "rate"),
                "pattern replay takes its rates from the CSV file, not from rate",
                data["rate"],
                "remove rate, or scale the rates in the CSV file",
                at_key=True,
            )
        fields: dict[str, Any] = {"pattern": pattern}
        if "source" in data:
            fields["source"] = self.string(data["source"], (*path, "source"))
        for key, example in (
            ("rate", "rate: 500"),
            ("to_rate", "to_rate: 1000"),
            ("over", "over: 60"),
            ("start", "start: 10"),
            ("amplitude", "amplitude: 0.5"),
            ("period", "period: 86400"),
            ("peak", "peak: 2000"),
            ("at", "at: 30"),
            ("duration", "duration: 5"),
        ):
            if key in data:
                fields[key] = self.number(data[key], (*path, key), example)
        if "steps" in data:
            fields["steps"] = self.pairs(data["steps"], (*path, "steps"), "[[60, 500], [120, 100]]")
        if "csv" in data:
            fields["csv"] = self.string(data["csv"], (*path, "csv"))
            fields["points"] = self.replay_points(fields["csv"], (*path, "csv"))
        if "arrivals" in data:
            fields["arrivals"] = self.choice(
                data["arrivals"], (*path, "arrivals"), ARRIVALS, "arrivals"
            )
        if "mix" in data:
            fields["mix"] = self.mix(data["mix"], (*path, "mix"))
        return TrafficSpec(**fields)

    def pairs(
        self, value: object, path: FieldPath, example: str
    ) -> tuple[tuple[float, float], ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(
                path,
                f"expected a non-empty list of [time, rate] pairs, got {show_value(value)}",
                value,
                f"write e.g. {example}",
            )
        pairs: list[tuple[float, float]] = []
        for index, item in enumerate(value):
            where = (*path, index)
            if not isinstance(item, list) or len(item) != 2:
                raise self.fail(
                    where,
                    f"expected a [time, rate] pair, got {show_value(item)}",
                    item,
                    f"write each step as [seconds, requests per second], e.g. {example}",
                )
            pairs.append(
                (self.number(item[0], (*where, 0), "60"), self.number(item[1], (*where, 1), "500"))
            )
        return tuple(pairs)

    def replay_points(self, name: str, path: FieldPath) -> tuple[tuple[float, float], ...]:
        csv_path = Path(name)
        if not csv_path.is_absolute():
            csv_path = self.folder / csv_path
        if not csv_path.is_file():
            raise self.fail(
                path,
                f"replay file {str(csv_path)!r} not found",
                name,
                "check the path; a relative path starts from the architecture file's folder",
            )
        return read_rate_csv(csv_path)

    def mix(self, value: object, path: FieldPath) -> dict[str, float]:
        data = self.mapping(value, path, REQUEST_KINDS, "the request mix")
        weights = {
            kind: self.number(data[kind], (*path, kind), f"{kind}: {DEFAULT_MIX[kind]:g}")
            for kind in REQUEST_KINDS
            if kind in data
        }
        if not weights:
            raise self.fail(
                path,
                "the request mix names no request kind",
                value,
                "give weights for get and put, e.g. mix: {get: 2, put: 1}",
            )
        return weights

    def topology(self, value: object) -> Topology:
        path: FieldPath = ("topology",)
        data = self.mapping(value, path, _TOPOLOGY_KEYS, "the topology")
        regions = DEFAULT_REGIONS
        zones = DEFAULT_ZONES
        if "regions" in data:
            regions = self.name_list(data["regions"], (*path, "regions"), "us-east-1, us-west-2")
        if "zones" in data:
            zones = self.name_list(data["zones"], (*path, "zones"), "zoneA, zoneB, zoneC")
        fixed: int | None = None
        if "fixed_regions" in data:
            fixed = self.whole(data["fixed_regions"], (*path, "fixed_regions"), "2")
        population = False
        if "population" in data:
            population = self.boolean(data["population"], (*path, "population"))
        first_index = 0
        if "first_index" in data:
            first_index = self.whole(data["first_index"], (*path, "first_index"), "1")
        return Topology(
            region_names=regions,
            zone_names=zones,
            fixed_regions=fixed,
            population=population,
            first_index=first_index,
        )
