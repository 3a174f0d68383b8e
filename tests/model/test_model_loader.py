"""Tests of monkeyhouse.model.loader: reading spigo and native files, and every user mistake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monkeyhouse.errors import ArchitectureError
from monkeyhouse.model.architecture import DEFAULT_REGIONS, Dependency
from monkeyhouse.model.loader import load_architecture
from spigo_data import SPIGO

FIXTURES = SPIGO
SPIGO_FILES = sorted((FIXTURES / "json_arch").glob("*_arch.json"))

needs_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"spigo reference data not found at {FIXTURES}"
)


def position(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based line and column of the ``occurrence``-th ``needle`` in ``text``."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path, **kwargs: object) -> ArchitectureError:
    with pytest.raises(ArchitectureError) as caught:
        load_architecture(path, **kwargs)  # type: ignore[arg-type]
    return caught.value


def check_error(
    error: ArchitectureError,
    path: Path | str,
    field: str,
    *,
    at: tuple[int, int] | None,
    mentions: tuple[str, ...] = (),
    fix: str,
) -> None:
    """The message names the file, position, field, value (in ``mentions``) and a fix."""
    message = str(error)
    where = str(path) if at is None else f"{path}:{at[0]}:{at[1]}"
    prefix = f"{where}: {field}: " if field else f"{where}: "
    assert message.startswith(prefix), message
    assert error.field == field
    for text in mentions:
        assert text in message, (text, message)
    assert error.fix, message
    assert fix in error.fix, (fix, error.fix)
    assert f"({error.fix})" in message


JSON_TEMPLATE = """{
  "arch": "shop",
  "services": [
    {"name": "db", "package": "store", "count": 2, "regions": 1, "dependencies": ["db"]},
    {"name": "app", "package": "karyon", "count": COUNT, "regions": 1, "dependencies": ["db"]},
    {"name": "www", "package": "denominator", "dependencies": ["app"]}
  ]
}
"""

YAML_NATIVE = """\
format: monkeyhouse/1
arch: shop
description: A small shop
version: arch-0.1
victim: app
x-owner: team-a
topology:
  regions: [north, south]
  zones: [z1, z2]
  fixed_regions: 2
  population: false
  first_index: 1
  x-note: kept
services:
  - name: db
    package: store
    count: 2
    regions: 1
    scales: false
    dependencies: [db]
    description: the database
  - name: app
    package: karyon
    count: 6
    regions: 1
    machine: m1
    instance: i1
    container: c1
    process: p1
    useCustomGuesstimate: true
    guesstimateType: UNIFORM
    guesstimateValue: "[10,20]"
    x-team: payments
    dependencies:
      - db
      - {service: eureka}
      - service: db
        x-weight: 3
  - name: www
    package: denominator
    dependencies: [app]
"""


# -- good files ------------------------------------------------------------------------------


@needs_fixtures
@pytest.mark.parametrize("path", SPIGO_FILES, ids=lambda p: p.name)
def test_every_spigo_file_loads_with_what_the_file_says(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    arch = load_architecture(path)
    assert arch.source == str(path)
    assert arch.arch == raw["arch"]
    assert arch.description == raw.get("description", "")
    assert arch.victim == raw.get("victim", "")
    assert [s.name for s in arch.services] == [s["name"] for s in raw["services"]]
    for service, entry in zip(arch.services, raw["services"], strict=True):
        assert service.package == entry["package"]
        assert service.count == entry.get("count", 0)
        assert service.regions == entry.get("regions", 0)
        assert list(service.dependency_names) == (entry["dependencies"] or [])
        assert service.container == entry.get("container", "")
        assert service.scales is True


@needs_fixtures
def test_netflixoss_keeps_dependency_order_and_eureka() -> None:
    arch = load_architecture(FIXTURES / "json_arch" / "netflixoss_arch.json")
    cass = arch.service("cassSubscriber")
    assert cass.dependencies == (Dependency("cassSubscriber"), Dependency("eureka"))
    assert arch.service("wwwproxy").dependency_names == ("login", "homepage")
    assert arch.root.name == "www"
    assert arch.topology.region_names == DEFAULT_REGIONS


@needs_fixtures
def test_compose_file_null_dependencies_and_missing_regions() -> None:
    arch = load_architecture(FIXTURES / "json_arch" / "composeV2_arch.json")
    assert arch.arch == "composeTestResult"
    assert arch.service("redis").dependencies == ()
    assert arch.service("www-voting-app").regions == 0
    assert arch.service("www-voting-app").machine == "external"
    assert arch.options["args"].startswith("[/var/folders")
    assert arch.options["date"] == "2016-04-09T12:43:57.950415642-07:00"


def test_native_yaml_file_fills_every_field(tmp_path: Path) -> None:
    path = write(tmp_path, "shop.yaml", YAML_NATIVE)
    arch = load_architecture(path)
    assert arch.arch == "shop"
    assert arch.description == "A small shop"
    assert arch.version == "arch-0.1"
    assert arch.victim == "app"
    assert arch.options == {"x-owner": "team-a"}
    topology = arch.topology
    assert topology.region_names == ("north", "south")
    assert topology.zone_names == ("z1", "z2")
    assert topology.fixed_regions == 2
    assert topology.population is False
    assert topology.first_index == 1
    db, app, www = arch.services
    assert db.scales is False
    assert db.description == "the database"
    assert (app.machine, app.instance, app.container, app.process) == ("m1", "i1", "c1", "p1")
    assert app.options == {
        "useCustomGuesstimate": True,
        "guesstimateType": "UNIFORM",
        "guesstimateValue": "[10,20]",
        "x-team": "payments",
    }
    assert app.dependencies == (
        Dependency("db"),
        Dependency("eureka"),
        Dependency("db", {"x-weight": 3}),
    )
    assert www.count == 0
    assert www.regions == 0
    assert www.scales is True


def test_yml_extension_and_unquoted_yaml_date(tmp_path: Path) -> None:
    text = "arch: a\ndate: 2016-02-15\nservices:\n  - {name: www, package: denominator}\n"
    arch = load_architecture(write(tmp_path, "a.yml", text))
    assert arch.options["date"] == "2016-02-15"


def test_arch_name_falls_back_to_name_then_file_stem(tmp_path: Path) -> None:
    text = '{"services": [{"name": "www", "package": "denominator"}]}'
    path = write(tmp_path, "storefront_arch.json", text)
    assert load_architecture(path).arch == "storefront"
    assert load_architecture(path, name="given").arch == "given"
    named = write(tmp_path, "named_arch.json", '{"arch": "inside", ' + text[1:])
    assert load_architecture(named, name="given").arch == "inside"


def test_unknown_extension_is_sniffed(tmp_path: Path) -> None:
    as_json = write(
        tmp_path, "a.arch", '  {"arch": "j", "services": [{"name": "w", "package": "elb"}]}'
    )
    as_yaml = write(tmp_path, "b.arch", "arch: y\nservices:\n- name: w\n  package: elb\n")
    assert load_architecture(as_json).arch == "j"
    assert load_architecture(as_yaml).arch == "y"


def test_text_argument_is_used_instead_of_reading(tmp_path: Path) -> None:
    missing = tmp_path / "never_written.yaml"
    arch = load_architecture(missing, text="arch: t\nservices: [{name: w, package: elb}]\n")
    assert arch.arch == "t"
    assert arch.source == str(missing)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b'\xef\xbb\xbf{"arch": "b", "services": [{"name": "w", "package": "elb"}]}')
    assert load_architecture(path).arch == "b"


# -- reading the file -----------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope_arch.json"
    error = load_error(path)
    check_error(error, path, "", at=None, mentions=("file not found",), fix="check the path")


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    error = load_error(tmp_path)
    check_error(error, tmp_path, "", at=None, mentions=("not a regular file",), fix="path")


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b"\xff" * 2000)  # not UTF-8 either: the size check must come first
    error = load_error(path, max_bytes=1000)
    check_error(error, path, "", at=None, mentions=("2000 bytes", "1000 bytes"), fix="limit")


def test_text_over_the_size_limit(tmp_path: Path) -> None:
    error = load_error(tmp_path / "t.yaml", text="x" * 50, max_bytes=10)
    check_error(error, tmp_path / "t.yaml", "", at=None, mentions=("50 bytes", "10"), fix="limit")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.json"
    path.write_bytes(b'{\n  "arch": "caf\xe9",\n  "services": []\n}\n')
    error = load_error(path)
    check_error(error, path, "", at=(2, 15), mentions=("not UTF-8", "0xe9"), fix="UTF-8")


# -- syntax --------------------------------------------------------------------------------


def test_malformed_json_has_line_and_column(tmp_path: Path) -> None:
    text = '{\n  "arch": "x"\n  "services": []\n}\n'
    path = write(tmp_path, "bad.json", text)
    error = load_error(path)
    at = position(text, '"services"')
    check_error(error, path, "", at=at, mentions=("malformed JSON", "delimiter"), fix="syntax")


def test_malformed_yaml_has_line_and_column(tmp_path: Path) -> None:
    text = "arch: x\nservices:\n  - name: a\n    package: [elb\n  - name: b\n"
    path = write(tmp_path, "bad.yaml", text)
    error = load_error(path)
    assert error.line is not None
    assert error.line >= 4
    assert error.column is not None
    check_error(
        error, path, "", at=(error.line, error.column), mentions=("malformed YAML",), fix="YAML"
    )


def test_yaml_with_two_documents(tmp_path: Path) -> None:
    path = write(tmp_path, "two.yaml", "arch: a\n---\narch: b\n")
    error = load_error(path)
    check_error(error, path, "", at=(2, 1), mentions=("malformed YAML",), fix="YAML")


@pytest.mark.parametrize(
    ("name", "text", "shown"),
    [
        ("list.json", '["www"]', "a list"),
        ("empty.yaml", "", "nothing"),
        ("scalar.yaml", "just words\n", "'just words'"),
    ],
)
def test_top_level_must_be_a_mapping(tmp_path: Path, name: str, text: str, shown: str) -> None:
    path = write(tmp_path, name, text)
    error = load_error(path)
    assert str(error).startswith(f"{path}")
    assert "must hold a mapping" in str(error)
    assert shown in str(error)
    assert "arch:" in error.fix


# -- types -----------------------------------------------------------------------------------


def test_count_as_a_word_in_json(tmp_path: Path) -> None:
    text = JSON_TEMPLATE.replace("COUNT", '"six"')
    path = write(tmp_path, "shop_arch.json", text)
    error = load_error(path)
    check_error(
        error,
        path,
        "services[1].count",
        at=position(text, '"six"'),
        mentions=("expected a whole number, got 'six'",),
        fix="whole number",
    )


@pytest.mark.parametrize(("value", "shown"), [("true", "true"), ("6.5", "6.5"), ("null", "null")])
def test_count_must_be_a_whole_number(tmp_path: Path, value: str, shown: str) -> None:
    text = JSON_TEMPLATE.replace("COUNT", value)
    path = write(tmp_path, "shop.json", text)
    error = load_error(path)
    line, column = position(text, f'"count": {value}')
    check_error(
        error,
        path,
        "services[1].count",
        at=(line, column + len('"count": ')),
        mentions=(f"got {shown}",),
        fix="whole number",
    )


def test_count_as_a_word_in_yaml(tmp_path: Path) -> None:
    text = "arch: a\nservices:\n  - name: web\n    package: karyon\n    count: six\n"
    path = write(tmp_path, "a.yaml", text)
    error = load_error(path)
    check_error(
        error,
        path,
        "services[0].count",
        at=(5, 12),
        mentions=("expected a whole number, got 'six'",),
        fix="e.g. count: 3",
    )


@pytest.mark.parametrize(
    ("line", "field", "problem"),
    [
        ("    scales: maybe\n", "services[0].scales", "expected true or false, got 'maybe'"),
        ("    description: 7\n", "services[0].description", "expected a string, got 7"),
        ("    dependencies: db\n", "services[0].dependencies", "expected a list"),
        ("    dependencies: [[db]]\n", "services[0].dependencies[0]", "got a list"),
        ("    machine: [a]\n", "services[0].machine", "expected a string, got a list"),
        ("    useCustomGuesstimate: 1\n", "services[0].useCustomGuesstimate", "got 1"),
    ],
)
def test_wrong_types_in_a_service(tmp_path: Path, line: str, field: str, problem: str) -> None:
    text = "arch: a\nservices:\n  - name: web\n    package: karyon\n" + line
    path = write(tmp_path, "a.yaml", text)
    error = load_error(path)
    check_error(
        error, path, field, at=(error.line or 0, error.column or 0), mentions=(problem,), fix=" "
    )
    assert error.line == 5


@pytest.mark.parametrize(
    ("text", "field", "problem", "at"),
    [
        ("services: {name: w}\n", "services", "expected a list of services", (1, 11)),
        ("services: [7]\n", "services[0]", "expected a mapping", (1, 12)),
        ("victim: 3\nservices: []\n", "victim", "expected a string, got 3", (1, 9)),
        ("topology: [a]\nservices: []\n", "topology", "expected a mapping", (1, 11)),
        ("topology: {regions: r1}\nservices: []\n", "topology.regions", "list of names", (1, 21)),
        ("topology: {zones: [a, 2]}\nservices: []\n", "topology.zones[1]", "got 2", (1, 23)),
        ("topology: {population: 1}\nservices: []\n", "topology.population", "got 1", (1, 24)),
        ("topology: {fixed_regions: x}\nservices: []\n", "topology.fixed_regions", "'x'", (1, 27)),
        ("format: monkeyhouse/9\nservices: []\n", "format", "unsupported format", (1, 9)),
        ("1: one\nservices: []\n", "", "key 1 is not a string", (1, 1)),
    ],
)
def test_wrong_types_elsewhere(
    tmp_path: Path, text: str, field: str, problem: str, at: tuple[int, int]
) -> None:
    path = write(tmp_path, "a.yaml", text)
    error = load_error(path)
    check_error(error, path, field, at=at, mentions=(problem,), fix=" ")


# -- keys ------------------------------------------------------------------------------------


def test_unknown_service_key_suggests_the_close_one(tmp_path: Path) -> None:
    text = JSON_TEMPLATE.replace("COUNT", "1").replace('"count": 2', '"cuont": 2')
    path = write(tmp_path, "shop.json", text)
    error = load_error(path)
    check_error(
        error,
        path,
        "services[0].cuont",
        at=position(text, '"cuont"'),
        mentions=("unknown key 'cuont'",),
        fix="did you mean 'count'?",
    )
    assert "x-" in error.fix


def test_unknown_top_level_key(tmp_path: Path) -> None:
    text = "arch: a\nvictm: web\nservices: [{name: web, package: karyon}]\n"
    path = write(tmp_path, "a.yaml", text)
    error = load_error(path)
    check_error(error, path, "victm", at=(2, 1), mentions=("unknown key 'victm'",), fix="'victim'")


def test_unknown_dependency_object_key(tmp_path: Path) -> None:
    text = (
        "arch: a\nservices:\n  - name: db\n    package: store\n"
        "  - name: web\n    package: karyon\n    dependencies:\n      - {servce: db}\n"
    )
    path = write(tmp_path, "a.yaml", text)
    error = load_error(path)
    check_error(
        error,
        path,
        "services[1].dependencies[0].servce",
        at=position(text, "servce"),
        mentions=("unknown key 'servce'",),
        fix="did you mean 'service'?",
    )


def test_unknown_topology_key(tmp_path: Path) -> None:
    text = "topology:\n  zone: [a]\nservices: [{name: w, package: elb}]\n"
    path = write(tmp_path, "a.yaml", text)
    error = load_error(path)
    check_error(error, path, "topology.zone", at=(2, 3), mentions=("'zone'",), fix="'zones'")


def test_extension_keys_are_allowed_everywhere(tmp_path: Path) -> None:
    text = (
        "x-a: 1\narch: a\ntopology: {x-b: 2}\n"
        "services:\n  - {name: w, package: store, x-c: {deep: [1]},\n"
        "     dependencies: [{service: w, x-d: 4}]}\n"
    )
    arch = load_architecture(write(tmp_path, "a.yaml", text))
    assert arch.options["x-a"] == 1
    assert arch.services[0].options == {"x-c": {"deep": [1]}}
    assert arch.services[0].dependencies[0].options == {"x-d": 4}


@pytest.mark.parametrize(
    ("text", "field", "fix"),
    [
        ("arch: a\n", "services", "add a 'services' list"),
        ("services:\n  - package: elb\n", "services[0].name", "unique name"),
        ("services:\n  - name: w\n", "services[0].package", "denominator"),
        (
            "services:\n  - name: w\n    package: elb\n    dependencies: [{x-a: 1}]\n",
            "services[0].dependencies[0].service",
            "service: login",
        ),
    ],
)
def test_missing_required_keys(tmp_path: Path, text: str, field: str, fix: str) -> None:
    path = write(tmp_path, "a.yaml", text)
    error = load_error(path)
    key = field.rsplit(".", 1)[-1]
    assert error.line is not None
    check_error(
        error,
        path,
        field,
        at=(error.line, error.column or 0),
        mentions=(f"missing required key '{key}'",),
        fix=fix,
    )


def test_empty_service_name(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "services:\n  - {name: '  ', package: elb}\n")
    error = load_error(path)
    check_error(error, path, "services[0].name", at=(2, 12), mentions=("empty",), fix="name: web")


def test_duplicate_key_in_json(tmp_path: Path) -> None:
    text = '{"arch": "a",\n "services": [{"name": "w", "package": "elb", "name": "v"}]}'
    path = write(tmp_path, "a.json", text)
    error = load_error(path)
    check_error(
        error,
        path,
        "services[0].name",
        at=position(text, '"name"', 2),
        mentions=("'name' appears twice",),
        fix="keep one",
    )


def test_duplicate_key_in_yaml(tmp_path: Path) -> None:
    text = "arch: a\nservices:\n  - name: w\n    package: elb\n    count: 1\n    count: 2\n"
    path = write(tmp_path, "a.yaml", text)
    error = load_error(path)
    check_error(
        error, path, "services[0].count", at=(6, 5), mentions=("'count' appears twice",), fix="one"
    )


# -- ranges and semantics reported through the loader --------------------------------------


@pytest.mark.parametrize(
    ("replacement", "field", "problem", "fix"),
    [
        ('"count": -3', "services[0].count", "count must be 0 or more, got -3", "instances"),
        ('"count": 100001', "services[0].count", "count 100001 is more than 100000", "-p"),
        ('"regions": -1', "services[0].regions", "got -1", "global"),
        ('"regions": 7', "services[0].regions", "regions 7 is more than 6", "-w"),
    ],
)
def test_counts_and_regions_out_of_range(
    tmp_path: Path, replacement: str, field: str, problem: str, fix: str
) -> None:
    original = '"count": 2' if "count" in replacement else '"regions": 1'
    text = JSON_TEMPLATE.replace("COUNT", "1").replace(original, replacement, 1)
    path = write(tmp_path, "shop.json", text)
    error = load_error(path)
    line, column = position(text, replacement)
    value_column = column + replacement.index(":") + 2
    check_error(error, path, field, at=(line, value_column), mentions=(problem,), fix=fix)


def test_empty_architecture(tmp_path: Path) -> None:
    text = '{"arch": "nothing",\n "services": []}'
    path = write(tmp_path, "nothing.json", text)
    error = load_error(path)
    check_error(
        error, path, "services", at=(2, 14), mentions=("at least one service",), fix="add a service"
    )


def test_unknown_dependency_in_yaml_has_its_position(tmp_path: Path) -> None:
    text = (
        "arch: netflixoss\nservices:\n"
        "  - {name: login, package: karyon}\n"
        "  - {name: homepage, package: karyon}\n"
        "  - name: wwwproxy\n"
        "    package: zuul\n"
        "    dependencies:\n"
        "      - login\n"
        "      - cart\n"
    )
    path = write(tmp_path, "netflixoss.yaml", text)
    error = load_error(path)
    check_error(
        error,
        path,
        "services[2].dependencies[1]",
        at=(9, 9),
        mentions=("unknown service 'cart'", "login", "homepage"),
        fix="add a service named 'cart' or remove the dependency",
    )


@needs_fixtures
def test_spigo_invalid_file_positions_point_at_the_value() -> None:
    path = FIXTURES / "json_arch_invalid" / "testMissingDep_arch.json"
    text = path.read_text(encoding="utf-8")
    error = load_error(path)
    check_error(
        error,
        path,
        "services[3].dependencies[2]",
        at=position(text, '"missing"'),
        mentions=("unknown service 'missing'",),
        fix="add a service named 'missing'",
    )


def test_json_positions_survive_escapes_and_punctuation_in_strings(tmp_path: Path) -> None:
    text = (
        '{"arch": "a", "description": "say \\"hi\\" } , [ \\\\ caf\\u00e9 ü",\n'
        ' "services": [{"name": "w\\u0020x", "package": "elb"},\n'
        '   {"name": "v", "package": "elb", "x-note": "é}{", "count": "six"}]}'
    )
    path = write(tmp_path, "a.json", text)
    error = load_error(path)
    check_error(
        error,
        path,
        "services[1].count",
        at=position(text, '"six"'),
        mentions=("got 'six'",),
        fix="whole number",
    )


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    text = (
        "arch: m\nx-base: &base {package: karyon, count: 3, regions: 1}\nservices:\n"
        "  - {name: db, package: store}\n"
        "  - <<: *base\n    name: web\n    count: 6\n    dependencies: [db]\n"
    )
    web = load_architecture(write(tmp_path, "m.yaml", text)).services[1]
    assert (web.package, web.count, web.regions) == ("karyon", 6, 1)


def test_yaml_alias_bomb_in_an_extension_loads_quickly(tmp_path: Path) -> None:
    lines = ["arch: bomb", "x-0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for level in range(1, 9):
        lines.append(f"x-{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]")
    lines.append("services: [{name: w, package: elb}]")
    arch = load_architecture(write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n"))
    assert len(arch.options["x-8"]) == 10
