"""Chaos Toolkit experiments: reading them (JSON or YAML) and checking them before a run.

The format is Chaos Toolkit's (its experiment specification, as chaostoolkit-lib reads it):

- required: ``version`` (a string), ``title``, ``description``, ``steady-state-hypothesis``
  (``title`` and ``probes``, each probe with a ``tolerance``) and ``method`` (at least one
  activity);
- optional: ``rollbacks`` (activities), ``tags``, ``configuration``, ``secrets``, ``runtime``
  (``rollbacks.strategy``: always, never, default or deviated; ``hypothesis.strategy``:
  default, before-method-only or after-method-only), and ``extensions``, ``contributions``
  and ``controls`` (kept in the journal; controls are not run).

An activity is ``{"type": "probe"|"action", "name", "provider", "background"?, "pauses"?
{"before", "after"}, "timeout"?}`` or ``{"ref": NAME}`` (an activity declared elsewhere in
the experiment). Providers: ``python`` (``module``, ``func``, ``arguments``; the module is
imported and the arguments must fit the function), ``process`` (``path``, ``arguments``,
``timeout``). ``http`` is refused: the experiment runs against a simulation in this process
and makes no network calls.

The ``configuration`` block says how to build the simulation (see :class:`SimulationSettings`);
its other entries are passed to functions that take ``configuration``. Values may be inline or
``{"type": "env", "key": NAME, "default"?}``; ``${name}`` in arguments is replaced by the
configuration's (or a secret's) value, as chaostoolkit-lib does.

Every mistake is one :class:`~monkeyhouse.errors.UsageError` naming the file, the JSON path of
the field (``method[2].provider.func``), the value and the fix.
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

import yaml

from monkeyhouse.errors import UsageError
from monkeyhouse.scenarios.tolerance import ToleranceError, check_tolerance

#: The module whose functions probe and act on the simulation in this process.
PROVIDER_MODULE = "monkeyhouse.chaostoolkit"
ACTIVITY_TYPES = ("probe", "action")
PROVIDER_TYPES = ("python", "process", "http")
ROLLBACK_STRATEGIES = ("default", "always", "never", "deviated")
HYPOTHESIS_STRATEGIES = ("default", "before-method-only", "after-method-only")
TRAFFIC_PATTERNS = ("constant", "poisson")
MAX_REGIONS = 6


class ExperimentFieldError(Exception):
    """One mistake at a JSON path of an experiment (turned into a UsageError with the file)."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


def _describe(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


# -- the simulation settings -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SimulationSettings:
    """How to build the simulation an experiment runs against (``configuration`` entries).

    ``monkeyhouse_architecture``: catalog name or architecture file (relative to the current
    directory), default netflixoss. ``monkeyhouse_duration``: simulated seconds the run may
    last at most (default 300). ``monkeyhouse_warmup``: simulated seconds of traffic before
    the experiment starts, so that windows have data (default 10). ``monkeyhouse_seed``
    (default 1). ``monkeyhouse_rate``: requests per second at the root (default: the
    architecture's traffic, else spigo's 100/s). ``monkeyhouse_traffic``: constant or poisson
    arrivals for the rate (default constant). ``monkeyhouse_population``: scale percentage
    (default 100). ``monkeyhouse_regions``: 1 to 6 (default 1). ``monkeyhouse_chaos_monkey``:
    let the architecture's Chaos Monkey strike at half time (default false).
    ``monkeyhouse_window_limit``: the longest window probes may ask for, seconds (default
    600). ``monkeyhouse_out``: a run folder to write when the run ends (for ``chaos run``;
    ``monkeyhouse experiment --out`` writes one anyway).
    """

    architecture: str = "netflixoss"
    duration: float = 300.0
    warmup: float = 10.0
    seed: int = 1
    rate: float | None = None
    traffic: str = "constant"
    population: int = 100
    regions: int = 1
    chaos_monkey: bool = False
    window_limit: float = 600.0
    out: str | None = None

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """The configuration keys, ``monkeyhouse_`` and the field name."""
        return tuple(f"monkeyhouse_{name}" for name in cls.__slots__)

    @classmethod
    def from_configuration(cls, configuration: Mapping[str, Any] | None) -> SimulationSettings:
        """Read the ``monkeyhouse_*`` entries (values may be strings, as ``--var`` gives).

        Raises :class:`ExperimentFieldError` at ``configuration.KEY`` for a bad entry.
        """
        configuration = configuration or {}
        known = cls.keys()
        for key in configuration:
            if key.startswith("monkeyhouse_") and key not in known:
                raise ExperimentFieldError(
                    f"configuration.{key}",
                    f"unknown simulation setting (known: {', '.join(known)})",
                )
        values: dict[str, Any] = {}

        def get(name: str) -> Any:
            return configuration.get(f"monkeyhouse_{name}")

        def where(name: str) -> str:
            return f"configuration.monkeyhouse_{name}"

        if get("architecture") is not None:
            arch = get("architecture")
            if not isinstance(arch, str) or not arch.strip():
                raise ExperimentFieldError(
                    where("architecture"),
                    f"{_describe(arch)} is not an architecture (give a catalog name such as "
                    "lamp or netflixoss, or a file path)",
                )
            values["architecture"] = arch.strip()
        for name, low, strict, example in (
            ("duration", 0.0, True, 300),
            ("warmup", 0.0, False, 10),
            ("rate", 0.0, True, 100),
            ("window_limit", 0.0, True, 600),
        ):
            raw = get(name)
            if raw is None:
                continue
            number = _as_number(raw)
            if number is None or (number <= low if strict else number < low):
                bound = "more than" if strict else "at least"
                raise ExperimentFieldError(
                    where(name),
                    f"{_describe(raw)} must be a number of {bound} {low:g} (e.g. {example})",
                )
            values[name] = number
        wholes: tuple[tuple[str, int | None, int | None], ...] = (
            ("seed", None, None),
            ("population", 1, None),
            ("regions", 1, MAX_REGIONS),
        )
        for name, least, most in wholes:
            raw = get(name)
            if raw is None:
                continue
            whole = _as_int(raw)
            if (
                whole is None
                or (least is not None and whole < least)
                or (most is not None and whole > most)
            ):
                span = (
                    f"from {least} to {most}"
                    if most is not None
                    else (f"of at least {least}" if least is not None else "")
                )
                raise ExperimentFieldError(
                    where(name), f"{_describe(raw)} must be a whole number {span}".rstrip()
                )
            values[name] = whole
        traffic = get("traffic")
        if traffic is not None:
            if traffic not in TRAFFIC_PATTERNS:
                raise ExperimentFieldError(
                    where("traffic"),
                    f"{_describe(traffic)} is not a traffic pattern (choose constant or poisson)",
                )
            values["traffic"] = traffic
        monkey = get("chaos_monkey")
        if monkey is not None:
            flag = _as_bool(monkey)
            if flag is None:
                raise ExperimentFieldError(
                    where("chaos_monkey"), f"{_describe(monkey)} must be true or false"
                )
            values["chaos_monkey"] = flag
        out = get("out")
        if out is not None:
            if not isinstance(out, str) or not out.strip():
                raise ExperimentFieldError(
                    where("out"), f"{_describe(out)} must be a folder path, e.g. runs/experiment"
                )
            values["out"] = out
        settings = cls(**values)
        if settings.warmup >= settings.duration:
            raise ExperimentFieldError(
                where("warmup"),
                f"{settings.warmup:g} s of warm-up leaves nothing of the {settings.duration:g} s "
                "run (lower monkeyhouse_warmup or raise monkeyhouse_duration)",
            )
        return settings


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


# -- configuration, secrets and substitution ---------------------------------------------------
def _dynamic(value: Any, where: str) -> Any:
    """An inline value, or the value of an ``{"type": "env", "key": ...}`` entry."""
    if isinstance(value, dict) and value.get("type") == "env":
        key = value.get("key")
        if not isinstance(key, str) or not key:
            raise ExperimentFieldError(
                f"{where}.key", "an env entry needs the environment variable's name in key"
            )
        if key in os.environ:
            return os.environ[key]
        if "default" in value:
            return value["default"]
        raise ExperimentFieldError(
            where,
            f"the environment variable {key} is not set (set it, or give a default)",
        )
    return value


def load_configuration(data: Any, where: str = "configuration") -> dict[str, Any]:
    """The experiment's configuration with environment entries read."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ExperimentFieldError(where, f"{_describe(data)} must be an object of settings")
    return {str(k): _dynamic(v, f"{where}.{k}") for k, v in data.items()}


def load_secrets(data: Any, where: str = "secrets") -> dict[str, dict[str, Any]]:
    """The experiment's secrets (scopes of keys) with environment entries read."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ExperimentFieldError(where, f"{_describe(data)} must be an object of secret scopes")
    secrets: dict[str, dict[str, Any]] = {}
    for scope, keys in data.items():
        if not isinstance(keys, dict):
            raise ExperimentFieldError(
                f"{where}.{scope}", f"{_describe(keys)} must be an object of secret keys"
            )
        secrets[str(scope)] = {str(k): _dynamic(v, f"{where}.{scope}.{k}") for k, v in keys.items()}
    return secrets


_WHOLE = re.compile(r"^\$\{([_a-zA-Z][_a-zA-Z0-9]*)\}$")


def substitute(
    data: Any, configuration: Mapping[str, Any], secrets: Mapping[str, Mapping[str, Any]]
) -> Any:
    """Replace ``${name}`` in strings (recursively) by the configuration's or a secret's value.

    A string that is exactly ``${name}`` takes the value itself (a number stays a number);
    unknown names are left as they are.
    """
    mapping: dict[str, Any] = {}
    for scope in secrets.values():
        mapping.update(scope)
    mapping.update(configuration)
    if not mapping:
        return data

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            whole = _WHOLE.match(value)
            if whole and whole.group(1) in mapping:
                return mapping[whole.group(1)]
            return Template(value).safe_substitute(mapping)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk(data)


# -- the experiment ----------------------------------------------------------------------------
@dataclass(slots=True)
class Experiment:
    """A checked experiment: its data as read, where it came from, and what it configures."""

    data: dict[str, Any]
    source: str
    configuration: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: SimulationSettings = field(default_factory=SimulationSettings)
    #: activities by name, for ``ref``
    named: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The experiment's title."""
        return str(self.data["title"])

    @property
    def hypothesis(self) -> dict[str, Any]:
        """The steady-state hypothesis."""
        hypothesis: dict[str, Any] = self.data["steady-state-hypothesis"]
        return hypothesis

    @property
    def method(self) -> list[dict[str, Any]]:
        """The method's activities (``ref`` ones as written)."""
        method: list[dict[str, Any]] = self.data["method"]
        return method

    @property
    def rollbacks(self) -> list[dict[str, Any]]:
        """The rollbacks' activities (``ref`` ones as written)."""
        rollbacks: list[dict[str, Any]] = self.data.get("rollbacks") or []
        return rollbacks

    @property
    def rollback_strategy(self) -> str:
        """``runtime.rollbacks.strategy`` (default ``default``)."""
        return str(self.data.get("runtime", {}).get("rollbacks", {}).get("strategy", "default"))

    @property
    def hypothesis_strategy(self) -> str:
        """``runtime.hypothesis.strategy`` (default ``default``)."""
        return str(self.data.get("runtime", {}).get("hypothesis", {}).get("strategy", "default"))

    def resolve(self, activity: dict[str, Any]) -> dict[str, Any]:
        """The activity itself, or the one its ``ref`` names."""
        ref = activity.get("ref")
        return self.named[ref] if isinstance(ref, str) else activity


def read_experiment(path: Path) -> Experiment:
    """Read and check the experiment file ``path`` (JSON, or YAML for .yaml/.yml)."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(
            f"{source}: no such experiment file (give the path of a Chaos Toolkit experiment, "
            "JSON or YAML)"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{source}: cannot read the experiment: {error}") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(
            f"{source}:{error.lineno}:{error.colno}: not valid JSON: {error.msg} "
            "(fix the syntax; name the file .yaml for YAML)"
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source
        problem = getattr(error, "problem", None) or str(error)
        raise UsageError(f"{where}: not valid YAML: {problem} (fix the syntax)") from None
    return check_experiment(data, source)


def check_experiment(data: Any, source: str = "experiment") -> Experiment:
    """Check experiment ``data``; raise UsageError for the first mistake found."""
    try:
        return _check(data, source)
    except ExperimentFieldError as problem:
        raise UsageError(f"{source}: {problem}") from None


def _check(data: Any, source: str) -> Experiment:
    if not isinstance(data, dict):
        raise ExperimentFieldError(
            "", f"the experiment must be an object, not {type(data).__name__}"
        )
    for key, fix in (
        ("version", 'add "version": "1.0.0"'),
        ("title", 'add "title": what the experiment checks'),
        ("description", 'add "description": why it matters'),
        ("steady-state-hypothesis", 'add {"title": ..., "probes": [...]}: what normal looks like'),
        ("method", "add the activities that cause turbulence, in order"),
    ):
        if key not in data:
            raise ExperimentFieldError(key, f"missing ({fix})")
    if not isinstance(data["version"], str) or not data["version"].strip():
        raise ExperimentFieldError(
            "version", f'{_describe(data["version"])} must be a string such as "1.0.0"'
        )
    for key in ("title", "description"):
        if not isinstance(data[key], str) or (key == "title" and not data[key].strip()):
            raise ExperimentFieldError(key, f"{_describe(data[key])} must be a non-empty string")
    tags = data.get("tags")
    if tags is not None and (
        not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)
    ):
        raise ExperimentFieldError("tags", f"{_describe(tags)} must be a list of strings")
    configuration = load_configuration(data.get("configuration"))
    secrets = load_secrets(data.get("secrets"))
    settings = SimulationSettings.from_configuration(configuration)
    _check_runtime(data.get("runtime"))

    hypothesis = data["steady-state-hypothesis"]
    if not isinstance(hypothesis, dict):
        raise ExperimentFieldError(
            "steady-state-hypothesis", 'must be an object {"title": ..., "probes": [...]}'
        )
    if not isinstance(hypothesis.get("title"), str) or not hypothesis["title"].strip():
        raise ExperimentFieldError(
            "steady-state-hypothesis.title",
            f"{_describe(hypothesis.get('title'))}: the hypothesis needs a title (what normal "
            "looks like)",
        )
    probes = hypothesis.get("probes")
    if not isinstance(probes, list):
        raise ExperimentFieldError(
            "steady-state-hypothesis.probes",
            f"{_describe(probes)} must be a list of probes, each with a tolerance",
        )
    method = data["method"]
    if not isinstance(method, list) or not method:
        raise ExperimentFieldError(
            "method", f"{_describe(method)} must be a list of at least one activity"
        )
    rollbacks = data.get("rollbacks")
    if rollbacks is not None and not isinstance(rollbacks, list):
        raise ExperimentFieldError("rollbacks", f"{_describe(rollbacks)} must be a list of actions")

    experiment = Experiment(data, source, configuration, secrets, settings)
    groups = (
        ("steady-state-hypothesis.probes", probes),
        ("method", method),
        ("rollbacks", rollbacks or []),
    )
    # names first, so that a ref may point forward
    for _, activities in groups:
        for activity in activities:
            if isinstance(activity, dict) and "ref" not in activity:
                name = activity.get("name")
                if isinstance(name, str) and name:
                    experiment.named.setdefault(name, activity)
    for where, activities in groups:
        for index, activity in enumerate(activities):
            spot = f"{where}[{index}]"
            _check_activity(activity, spot, experiment)
            if where.startswith("steady-state-hypothesis"):
                resolved = experiment.resolve(activity)
                if resolved.get("type") != "probe":
                    raise ExperimentFieldError(
                        f"{spot}.type",
                        f"{_describe(resolved.get('type'))}: the hypothesis holds probes only "
                        "(make it a probe, or move the action to the method)",
                    )
                if "tolerance" not in activity and "tolerance" not in resolved:
                    raise ExperimentFieldError(
                        f"{spot}.tolerance",
                        "missing: a steady-state probe needs a tolerance (a value, [low, high], "
                        "or {type: range|regex|jsonpath|probe})",
                    )
                tolerance = activity.get("tolerance", resolved.get("tolerance"))
                _check_tolerance(tolerance, f"{spot}.tolerance", experiment)
    return experiment


def _check_runtime(runtime: Any) -> None:
    if runtime is None:
        return
    if not isinstance(runtime, dict):
        raise ExperimentFieldError("runtime", f"{_describe(runtime)} must be an object")
    parts = (("rollbacks", ROLLBACK_STRATEGIES), ("hypothesis", HYPOTHESIS_STRATEGIES))
    for part, choices in parts:
        section = runtime.get(part)
        if section is None:
            continue
        if not isinstance(section, dict):
            raise ExperimentFieldError(
                f"runtime.{part}", f'{_describe(section)} must be an object {{"strategy": ...}}'
            )
        strategy = section.get("strategy", "default")
        if strategy not in choices:
            extra = (
                " (monkeyhouse does not run the hypothesis during the method)"
                if part == "hypothesis" and strategy in ("during-method-only", "continuously")
                else ""
            )
            raise ExperimentFieldError(
                f"runtime.{part}.strategy",
                f"{_describe(strategy)} is not a {part} strategy (choose from "
                f"{', '.join(choices)}){extra}",
            )


def _check_tolerance(tolerance: Any, where: str, experiment: Experiment) -> None:
    if isinstance(tolerance, dict) and tolerance.get("type") == "probe":
        _check_activity(tolerance, where, experiment, extra_arguments=("value",))
        return
    try:
        check_tolerance(tolerance)
    except ToleranceError as error:
        raise ExperimentFieldError(where, str(error)) from None


def _check_activity(
    activity: Any,
    where: str,
    experiment: Experiment,
    extra_arguments: tuple[str, ...] = (),
) -> None:
    if not isinstance(activity, dict) or not activity:
        raise ExperimentFieldError(
            where,
            f"{_describe(activity)} is not an activity (give an object with type, name and "
            'provider, or {"ref": NAME})',
        )
    if "ref" in activity:
        ref = activity["ref"]
        if not isinstance(ref, str) or ref not in experiment.named:
            known = ", ".join(sorted(experiment.named)) or "none"
            raise ExperimentFieldError(
                f"{where}.ref",
                f"{_describe(ref)} names no activity of this experiment (known: {known})",
            )
        return
    kind = activity.get("type")
    if kind not in ACTIVITY_TYPES:
        raise ExperimentFieldError(
            f"{where}.type", f"{_describe(kind)} is not an activity type (choose probe or action)"
        )
    name = activity.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ExperimentFieldError(
            f"{where}.name", f"{_describe(name)}: an activity needs a name (a non-empty string)"
        )
    background = activity.get("background")
    if background is not None and not isinstance(background, bool):
        raise ExperimentFieldError(
            f"{where}.background", f"{_describe(background)} must be true or false"
        )
    pauses = activity.get("pauses")
    if pauses is not None:
        if not isinstance(pauses, dict):
            raise ExperimentFieldError(
                f"{where}.pauses", f'{_describe(pauses)} must be {{"before": s, "after": s}}'
            )
        for key, value in pauses.items():
            if key not in ("before", "after"):
                raise ExperimentFieldError(
                    f"{where}.pauses.{key}", "unknown pause (use before or after)"
                )
            number = _as_number(value)
            if number is None or number < 0:
                raise ExperimentFieldError(
                    f"{where}.pauses.{key}",
                    f"{_describe(value)} must be a number of seconds, 0 or more",
                )
    timeout = activity.get("timeout")
    if timeout is not None:
        seconds = _as_number(timeout)
        if seconds is None or seconds <= 0:
            raise ExperimentFieldError(
                f"{where}.timeout", f"{_describe(timeout)} must be a positive number of seconds"
            )
    provider = activity.get("provider")
    if not isinstance(provider, dict):
        raise ExperimentFieldError(
            f"{where}.provider",
            f"{_describe(provider)}: an activity needs a provider object "
            '({"type": "python", "module": ..., "func": ...})',
        )
    ptype = provider.get("type")
    if ptype not in PROVIDER_TYPES:
        raise ExperimentFieldError(
            f"{where}.provider.type",
            f"{_describe(ptype)} is not a provider type (choose python or process)",
        )
    if ptype == "http":
        raise ExperimentFieldError(
            f"{where}.provider.type",
            "http providers are not supported: monkeyhouse runs the experiment against a "
            "simulation in this process and makes no network calls (probe the simulation "
            f'with {{"type": "python", "module": "{PROVIDER_MODULE}", ...}}; see '
            "docs/chaos-toolkit.md)",
        )
    if ptype == "process":
        path = provider.get("path")
        if not isinstance(path, str) or not path:
            raise ExperimentFieldError(
                f"{where}.provider.path",
                f"{_describe(path)}: a process provider needs the executable's path",
            )
        arguments = provider.get("arguments")
        if arguments is not None and not isinstance(arguments, str | list | dict):
            raise ExperimentFieldError(
                f"{where}.provider.arguments",
                f"{_describe(arguments)} must be a string, a list or an object",
            )
        return
    _check_python(provider, f"{where}.provider", experiment, extra_arguments)


def _check_python(
    provider: dict[str, Any],
    where: str,
    experiment: Experiment,
    extra_arguments: tuple[str, ...],
) -> None:
    module_name = provider.get("module")
    if not isinstance(module_name, str) or not module_name:
        raise ExperimentFieldError(
            f"{where}.module",
            f'{_describe(module_name)}: a python provider needs a module, e.g. "{PROVIDER_MODULE}"',
        )
    func_name = provider.get("func")
    if not isinstance(func_name, str) or not func_name:
        raise ExperimentFieldError(
            f"{where}.func", f"{_describe(func_name)}: a python provider needs a function name"
        )
    arguments = provider.get("arguments", {})
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise ExperimentFieldError(
            f"{where}.arguments",
            f"{_describe(arguments)} must be an object of the function's arguments by name",
        )
    secrets = provider.get("secrets")
    if secrets is not None:
        names = [secrets] if isinstance(secrets, str) else secrets
        if not isinstance(names, list) or not all(isinstance(s, str) for s in names):
            raise ExperimentFieldError(
                f"{where}.secrets", f"{_describe(secrets)} must name secret scopes"
            )
        for scope in names:
            if scope not in experiment.secrets:
                raise ExperimentFieldError(
                    f"{where}.secrets",
                    f"{scope!r} is not a scope of the experiment's secrets (known: "
                    f"{', '.join(sorted(experiment.secrets)) or 'none'})",
                )
    func = find_function(module_name, func_name, where)
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return  # builtins without a signature: called as given
    given = dict.fromkeys(arguments)
    for injected in ("configuration", "secrets", *extra_arguments):
        if injected in signature.parameters:
            given[injected] = None
    try:
        signature.bind(**given)
    except TypeError as error:
        parameters = [p for p in signature.parameters if p not in ("configuration", "secrets")]
        raise ExperimentFieldError(
            f"{where}.arguments",
            f"{_describe(arguments)} do not fit {module_name}.{func_name}"
            f"({', '.join(parameters)}): {error}",
        ) from None


def find_function(module_name: str, func_name: str, where: str) -> Callable[..., Any]:
    """Import ``module_name`` and return its function ``func_name`` (or raise)."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ExperimentFieldError(
            f"{where}.module",
            f"cannot import {module_name!r}: {error} (install the package that provides it, or "
            "fix the name)",
        ) from None
    func = getattr(module, func_name, None)
    if not callable(func):
        public = sorted(
            name
            for name, value in vars(module).items()
            if callable(value)
            and not name.startswith("_")
            and inspect.isfunction(value)
            and getattr(value, "__module__", None) == module.__name__
        )
        raise ExperimentFieldError(
            f"{where}.func",
            f"{module_name} has no function {func_name!r} (known: {', '.join(public) or 'none'})",
        )
    return func  # type: ignore[no-any-return]
