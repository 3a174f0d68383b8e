"""Reading and checking Chaos Toolkit experiments: every mistake is one line with path and fix."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from monkeyhouse.errors import UsageError
from monkeyhouse.scenarios.experiment import (
    SimulationSettings,
    check_experiment,
    read_experiment,
    substitute,
)


def probe(name: str = "p", tolerance: Any = True, **arguments: Any) -> dict[str, Any]:
    return {
        "type": "probe",
        "name": name,
        "tolerance": tolerance,
        "provider": {
            "type": "python",
            "module": "monkeyhouse.chaostoolkit",
            "func": "live_instances",
            "arguments": arguments or {"service": "webserver"},
        },
    }


def good() -> dict[str, Any]:
    return {
        "version": "1.0.0",
        "title": "t",
        "description": "d",
        "configuration": {"monkeyhouse_architecture": "lamp"},
        "steady-state-hypothesis": {"title": "h", "probes": [probe("up", 18)]},
        "method": [
            {
                "type": "action",
                "name": "wait",
                "provider": {
                    "type": "python",
                    "module": "monkeyhouse.chaostoolkit",
                    "func": "advance",
                    "arguments": {"seconds": 1},
                },
            }
        ],
    }


def test_a_good_experiment_is_read_with_its_settings() -> None:
    experiment = check_experiment(good(), "x.json")
    assert experiment.title == "t"
    assert experiment.settings.architecture == "lamp"
    assert experiment.settings.duration == 300.0
    assert experiment.rollback_strategy == "default"
    assert experiment.named["wait"]["type"] == "action"


def test_yaml_and_json_files_read_the_same(tmp_path: Path) -> None:
    data = good()
    (tmp_path / "e.json").write_text(json.dumps(data))
    (tmp_path / "e.yaml").write_text(yaml.safe_dump(data))
    assert read_experiment(tmp_path / "e.json").data == read_experiment(tmp_path / "e.yaml").data


def test_file_problems_name_the_file_and_position(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"missing\.json: no such experiment file"):
        read_experiment(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "version": "1.0.0",\n  "title": \n}')
    with pytest.raises(UsageError, match=r"bad\.json:4:1: not valid JSON"):
        read_experiment(bad)
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("version: 1\ntitle: [unclosed\n")
    with pytest.raises(UsageError, match=r"bad\.yaml:\d+:\d+: not valid YAML"):
        read_experiment(bad_yaml)


def edit(path: str, value: Any) -> dict[str, Any]:
    """``good()`` with the value at ``path`` (dots and [n]) replaced; ``...`` deletes it."""
    data = good()
    parts = path.replace("[", ".").replace("]", "").split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last = parts[-1]
    key: Any = int(last) if last.isdigit() else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return data


MISTAKES: list[tuple[str, Any, str, str]] = [
    ("version", ..., "version: missing", '"version": "1.0.0"'),
    ("title", ..., "title: missing", "what the experiment checks"),
    ("description", ..., "description: missing", "why it matters"),
    ("method", ..., "method: missing", "activities"),
    ("steady-state-hypothesis", ..., "steady-state-hypothesis: missing", "what normal"),
    ("version", 1, "version: 1 must be a string", "1.0.0"),
    ("title", "", 'title: "" must be a non-empty string', ""),
    ("method", [], "method: [] must be a list of at least one activity", ""),
    ("steady-state-hypothesis.title", ..., "steady-state-hypothesis.title: null", "title"),
    ("steady-state-hypothesis.probes", ..., "steady-state-hypothesis.probes: null", "tolerance"),
    (
        "steady-state-hypothesis.probes[0].tolerance",
        ...,
        "steady-state-hypothesis.probes[0].tolerance: missing",
        "[low, high]",
    ),
    (
        "steady-state-hypothesis.probes[0].tolerance",
        0.5,
        "steady-state-hypothesis.probes[0].tolerance: 0.5 is a fractional number",
        "give a range",
    ),
    (
        "steady-state-hypothesis.probes[0].tolerance",
        {"type": "regex", "pattern": "("},
        "steady-state-hypothesis.probes[0].tolerance: pattern '(' is not a regular expression",
        "",
    ),
    ("method[0].type", "task", 'method[0].type: "task" is not an activity type', "probe or action"),
    ("method[0].name", "", 'method[0].name: "": an activity needs a name', ""),
    ("method[0].provider", ..., "method[0].provider: null: an activity needs a provider", ""),
    (
        "method[0].provider.type",
        "http",
        "method[0].provider.type: http providers are not supported",
        "makes no network calls",
    ),
    ("method[0].provider.type", "ftp", 'method[0].provider.type: "ftp" is not a provider', ""),
    (
        "method[0].provider.module",
        "no.such.module",
        "method[0].provider.module: cannot import 'no.such.module'",
        "install the package",
    ),
    (
        "method[0].provider.func",
        "advanse",
        "method[0].provider.func: monkeyhouse.chaostoolkit has no function 'advanse'",
        "advance",
    ),
    (
        "method[0].provider.arguments",
        {"secondz": 1},
        'method[0].provider.arguments: {"secondz": 1} do not fit '
        "monkeyhouse.chaostoolkit.advance(seconds)",
        "",
    ),
    ("method[0].pauses", {"before": -1}, "method[0].pauses.before: -1 must be a number", ""),
    ("method[0].pauses", {"during": 1}, "method[0].pauses.during: unknown pause", "before"),
    ("method[0].background", "yes", 'method[0].background: "yes" must be true or false', ""),
    ("method[0]", {"ref": "nope"}, 'method[0].ref: "nope" names no activity', "(known: up)"),
    ("rollbacks", {"a": 1}, 'rollbacks: {"a": 1} must be a list', ""),
    ("runtime", {"rollbacks": {"strategy": "sometimes"}}, "runtime.rollbacks.strategy", "deviated"),
    (
        "runtime",
        {"hypothesis": {"strategy": "continuously"}},
        'runtime.hypothesis.strategy: "continuously"',
        "does not run the hypothesis during the method",
    ),
    (
        "configuration",
        {"monkeyhouse_architecure": "lamp"},
        "configuration.monkeyhouse_architecure: unknown simulation setting",
        "monkeyhouse_architecture",
    ),
    (
        "configuration",
        {"monkeyhouse_duration": "long"},
        'configuration.monkeyhouse_duration: "long" must be a number',
        "e.g. 300",
    ),
    (
        "configuration",
        {"monkeyhouse_regions": 7},
        "configuration.monkeyhouse_regions: 7 must be a whole number from 1 to 6",
        "",
    ),
    (
        "configuration",
        {"monkeyhouse_traffic": "bursty"},
        'configuration.monkeyhouse_traffic: "bursty" is not a traffic pattern',
        "constant or poisson",
    ),
    (
        "configuration",
        {"monkeyhouse_duration": 10, "monkeyhouse_warmup": 10},
        "configuration.monkeyhouse_warmup: 10 s of warm-up leaves nothing",
        "raise monkeyhouse_duration",
    ),
    (
        "configuration",
        {"token": {"type": "env", "key": "MONKEYHOUSE_TEST_UNSET_VARIABLE"}},
        "configuration.token: the environment variable MONKEYHOUSE_TEST_UNSET_VARIABLE is not set",
        "give a default",
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "message", "fix"), MISTAKES, ids=[f"{m[0]}={m[1]!r}" for m in MISTAKES]
)
def test_each_mistake_is_named_with_its_json_path_and_fix(
    path: str, value: Any, message: str, fix: str
) -> None:
    with pytest.raises(UsageError) as caught:
        check_experiment(edit(path, value), "exp.json")
    text = str(caught.value)
    assert text.startswith(f"exp.json: {message}"), text
    assert fix in text
    assert "\n" not in text


def test_an_action_in_the_hypothesis_is_refused() -> None:
    data = good()
    data["steady-state-hypothesis"]["probes"][0]["type"] = "action"
    with pytest.raises(UsageError, match=r"probes\[0\]\.type: \"action\": the hypothesis holds"):
        check_experiment(data, "exp.json")


def test_refs_point_at_declared_activities_even_later_ones() -> None:
    data = good()
    data["method"].insert(0, {"ref": "undo"})
    data["rollbacks"] = [copy.deepcopy(data["method"][1]) | {"name": "undo"}]
    experiment = check_experiment(data, "exp.json")
    assert experiment.resolve(experiment.method[0])["name"] == "undo"


def test_settings_read_numbers_given_as_strings_as_chaos_var_gives_them() -> None:
    settings = SimulationSettings.from_configuration(
        {
            "monkeyhouse_duration": "120",
            "monkeyhouse_seed": "7",
            "monkeyhouse_chaos_monkey": "true",
            "other": "kept",
        }
    )
    assert (settings.duration, settings.seed, settings.chaos_monkey) == (120.0, 7, True)


def test_environment_configuration_and_substitution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONKEYHOUSE_TEST_SERVICE", "webserver")
    data = good()
    data["configuration"]["target"] = {"type": "env", "key": "MONKEYHOUSE_TEST_SERVICE"}
    data["configuration"]["fallback"] = {"type": "env", "key": "UNSET_XYZ", "default": 5}
    experiment = check_experiment(data, "exp.json")
    assert experiment.configuration["target"] == "webserver"
    assert experiment.configuration["fallback"] == 5
    args = {"service": "${target}", "window": "${fallback}", "text": "on ${target}!", "n": 3}
    assert substitute(args, experiment.configuration, {}) == {
        "service": "webserver",
        "window": 5,
        "text": "on webserver!",
        "n": 3,
    }
