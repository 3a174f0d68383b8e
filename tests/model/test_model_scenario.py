"""Tests of monkeyhouse.model.scenario: reading scenario files, and every user mistake.

Independent truth: positions are found in the test's own text (the line and column where the
offending value or key is written), times with units are converted by hand, and the regions
and zones a run uses are those listed in the architecture format's documentation.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monkeyhouse.errors import ArchitectureError
from monkeyhouse.model.chaosaction import DNS_FAILOVER, ChaosAction
from monkeyhouse.model.scenario import (
    SPAN_FORMATS,
    is_scenario_file,
    load_scenario,
    scenario_schema,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "chaos-day.yaml"

GOOD = """\
scenario: outage
architecture: netflixoss
duration: 2m
seed: 3
options: {regions: 2, poll: 500ms, victim: true}
chaos:
  - {action: chaos-monkey, target: homepage, at: 10, every: 15s, until: 100, share: 0.5,
     replace_after: 20}
  - {action: latency-monkey, target: subscriber, caller: login, latency: 50ms, error_rate: 0.1,
     at: 5, duration: 1m}
  - {action: chaos-gorilla, target: us-west-2/zoneB, at: 30, duration: 60}
  - {action: chaos-kong, target: us-east-1, at: 40}
  - {action: partition, target: [us-east-1, us-west-2], at: 1.5, duration: 250ms}
outputs: {folder: runs/outage, spans: [zipkin], sample: 0.5, graphml: true}
"""


def position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first ``needle`` in ``text``."""
    index = text.index(needle)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> ArchitectureError:
    with pytest.raises(ArchitectureError) as caught:
        load_scenario(path)
    return caught.value


def test_a_scenario_is_read_with_its_units(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, GOOD))
    assert scenario.name == "outage"
    assert scenario.architecture.arch == "netflixoss"
    assert scenario.duration == 120.0 and scenario.seed == 3
    assert scenario.options.regions == 2 and scenario.options.poll == 0.5
    assert scenario.options.victim and scenario.options.population == 100
    monkey, latency, gorilla, kong, partition = scenario.chaos
    assert monkey == ChaosAction(
        "chaos-monkey",
        ("homepage",),
        at=10.0,
        every=15.0,
        until=100.0,
        share=0.5,
        replace_after=20.0,
        origin=monkey.origin,
    )
    assert monkey.origin == f"{tmp_path / 'scenario.yaml'}:7:5"
    assert (latency.latency, latency.error_rate, latency.caller) == (0.05, 0.1, "login")
    assert latency.duration == 60.0
    assert gorilla.target == ("us-west-2/zoneB",) and gorilla.duration == 60.0
    assert kong.target == ("us-east-1",) and kong.dns_failover == DNS_FAILOVER == 60.0
    assert kong.duration is None
    assert partition.target == ("us-east-1", "us-west-2") and partition.duration == 0.25
    outputs = scenario.outputs
    assert outputs.folder == "runs/outage" and outputs.spans == ("zipkin",)
    assert outputs.sample == 0.5 and outputs.graphml and outputs.graph


def test_defaults(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, "architecture: lamp\n", "quiet.yaml"))
    assert scenario.name == "quiet"  # the file's name
    assert scenario.duration == 60.0 and scenario.seed == 1 and scenario.chaos == ()
    assert scenario.outputs.spans == SPAN_FORMATS and scenario.outputs.folder is None
    assert not scenario.options.victim


def test_json_scenarios_and_detection(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        json.dumps({"architecture": "netflixoss", "chaos": [{"action": "chaos-monkey"}]}),
        "s.json",
    )
    error = error_of(path)
    assert error.field == "chaos[0].target" and "missing required key 'target'" in str(error)
    assert is_scenario_file(path)
    assert not is_scenario_file(write(tmp_path, "arch: x\nservices: []\n", "arch.yaml"))
    assert not is_scenario_file(tmp_path / "missing.yaml")
    assert not is_scenario_file(write(tmp_path, "a: [\n", "broken.yaml"))


def test_the_architecture_can_be_a_path_relative_to_the_scenario(tmp_path: Path) -> None:
    folder = tmp_path / "arch"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(
        "arch: tiny\nservices:\n"
        "  - {name: db, package: store, count: 2, regions: 1}\n"
        "  - {name: www, package: denominator, count: 0, regions: 0, dependencies: [db]}\n"
    )
    path = write(
        tmp_path,
        "architecture: arch/tiny.yaml\ntraffic: {rate: 5}\n"
        "chaos: [{action: chaos-monkey, target: db}]\n",
    )
    scenario = load_scenario(path)
    assert [s.name for s in scenario.architecture.services] == ["db", "www"]
    assert scenario.architecture.traffic[0].rate == 5.0  # the override


def test_an_inline_architecture_reports_its_own_positions(tmp_path: Path) -> None:
    text = (
        "architecture:\n"
        "  arch: tiny\n"
        "  services:\n"
        "    - {name: db, package: store, count: 2}\n"
        "    - {name: www, package: denominator, dependencies: [dbb]}\n"
    )
    error = error_of(write(tmp_path, text))
    assert error.field.startswith("architecture.services[1].dependencies")
    assert "dbb" in str(error)
    assert (error.line, error.column) == (5, position(text, "dbb")[1])
    ok = load_scenario(write(tmp_path, text.replace("dbb", "db")))
    assert ok.architecture.arch == "tiny"


@pytest.mark.parametrize(
    ("text", "needle", "field", "words"),
    [
        ("architecture: netflixos\n", "netflixos", "architecture", "did you mean 'netflixoss'"),
        ("architecture: lamp\nduraton: 5\n", "duraton", "duraton", "did you mean 'duration'"),
        ("architecture: lamp\nduration: 5 minutes\n", "5 minutes", "duration", "not a time"),
        ("architecture: lamp\nseed: x\n", "x", "seed", "expected a whole number"),
        ("architecture: lamp\noptions: {regions: 9}\n", "9", "options.regions", "out of range"),
        (
            "architecture: netflixoss\nchaos: [{action: chaos-monkee, target: homepage}]\n",
            "chaos-monkee",
            "chaos[0].action",
            "did you mean 'chaos-monkey'",
        ),
        (
            "architecture: netflixoss\nchaos: [{action: chaos-monkey, target: homepag}]\n",
            "homepag",
            "chaos[0].target",
            "unknown service 'homepag'",
        ),
        (
            "architecture: netflixoss\nchaos: [{action: chaos-kong, target: us-west-2}]\n",
            "us-west-2",
            "chaos[0].target",
            "this run has: us-east-1",
        ),
        (
            "architecture: netflixoss\nchaos: [{action: chaos-gorilla, target: us-east-1/zoneD}]\n",
            "us-east-1/zoneD",
            "chaos[0].target",
            "unknown zone 'zoneD' (zones: zoneA, zoneB, zoneC)",
        ),
        (
            "architecture: netflixoss\nchaos: [{action: chaos-gorilla, target: us-east-1}]\n",
            "us-east-1",
            "chaos[0].target",
            "takes a zone",
        ),
        (
            "architecture: netflixoss\nchaos:\n"
            "  - {action: chaos-gorilla, target: us-east-1/zoneA, latency: 1}\n",
            "latency",
            "chaos[0].latency",
            "does not apply to chaos-gorilla",
        ),
        (
            "architecture: netflixoss\nduration: 10\n"
            "chaos: [{action: chaos-monkey, target: login, at: 11}]\n",
            "11",
            "chaos[0].at",
            "after the run's end",
        ),
        (
            "architecture: netflixoss\nchaos: [{action: latency-monkey, target: login}]\n",
            "{action: latency",
            "chaos[0]",
            "needs latency or error_rate",
        ),
        (
            "architecture: netflixoss\n"
            "chaos: [{action: latency-monkey, target: login, error_rate: 1.5}]\n",
            "1.5",
            "chaos[0].error_rate",
            "between 0 and 1",
        ),
        (
            "architecture: netflixoss\n"
            "chaos: [{action: partition, target: [us-east-1, us-east-1/zoneA]}]\n",
            "[us-east-1",
            "chaos[0].target",
            "overlap",
        ),
        (
            "architecture: netflixoss\n"
            "chaos: [{action: chaos-monkey, target: login, count: 1, share: 0.5}]\n",
            "share",
            "chaos[0].share",
            "not both",
        ),
        (
            "architecture: lamp\noutputs: {spans: [zipkn]}\n",
            "zipkn",
            "outputs.spans[0]",
            "did you mean 'zipkin'",
        ),
    ],
)
def test_mistakes_name_file_line_column_field_and_fix(
    tmp_path: Path, text: str, needle: str, field: str, words: str
) -> None:
    path = write(tmp_path, text)
    error = error_of(path)
    assert error.field == field
    assert words in str(error)
    assert (error.line, error.column) == position(text, needle)
    assert str(error).startswith(f"{path}:{error.line}:{error.column}: {field}: ")


def test_the_bundled_example_is_valid() -> None:
    scenario = load_scenario(EXAMPLE)
    assert scenario.name == "chaos-day"
    assert [a.action for a in scenario.chaos] == [
        "chaos-monkey",
        "latency-monkey",
        "partition",
        "chaos-gorilla",
        "chaos-kong",
    ]


def test_the_schema_accepts_the_example_and_rejects_mistakes() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = scenario_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors(yaml.safe_load(EXAMPLE.read_text()))) == []
    assert list(validator.iter_errors(yaml.safe_load(GOOD))) == []
    bad = {"architecture": "lamp", "chaos": [{"action": "chaos-monkey", "target": "x", "y": 1}]}
    assert list(validator.iter_errors(bad))
    assert list(validator.iter_errors({"duration": 5}))  # architecture is required
