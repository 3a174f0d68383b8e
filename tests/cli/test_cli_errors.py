"""The command line: user mistakes give one clear message, and the ordinary commands work.

Every user mistake (a bad architecture file, a bad option) must exit with status 2, show no
Python traceback, and say on stderr what is wrong, where (file, line and column when there is a
file) and how to fix it. Where the position is checked, the expected line and column are found
in the file's own text, not copied from the tool's output.

The positive half: ``list`` (counts from spigo.md §6.11, §6.12 and §7), ``schema`` (a Draft
2020-12 schema that the catalog satisfies), ``validate``, Go-style ``-flag=value`` spelling,
running without the ``run`` word, spigo's ``./json_arch/NAME_arch.json`` lookup and a path.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import jsonschema
import pytest
import yaml

from monkeyhouse.cli.main import main
from spigo_data import SPIGO
from spigo_rules import CATALOG_DIR, CATALOG_ORDER, expected_graph

INVALID = SPIGO / "json_arch_invalid"


def invoke(args: list[str]) -> tuple[int, str, str]:
    """Run the command in process; return (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = main(args, out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def assert_user_error(status: int, stderr: str, *needles: str) -> str:
    """Status 2, no traceback, one message on stderr containing every needle; returns it."""
    assert status == 2, stderr
    assert "Traceback" not in stderr
    assert stderr.endswith("\n")
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    for needle in needles:
        assert needle in stderr, (needle, stderr)
    return lines[0]


def run_file(path: Path, tmp_path: Path) -> tuple[int, str, str]:
    return invoke(["run", str(path), "-d", "1", "--out", str(tmp_path / "out"), "-q"])


def position_of(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) where the ``occurrence``-th ``needle`` starts in ``text``."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def mentions_position(stderr: str, path: Path, line: int, column: int | None = None) -> bool:
    """Whether stderr names ``path`` with ``:line:`` (and that column, when given)."""
    col = str(column) if column is not None else r"\d+"
    return re.search(rf"{re.escape(path.name)}:{line}:{col}\b", stderr) is not None


# ---------------------------------------------------------------------------------------------
# spigo's three invalid files (spigo.md §2.5)


def test_spigo_invalid_files_each_get_their_own_message(tmp_path: Path) -> None:
    files = sorted(INVALID.glob("*.json"))
    assert [p.name for p in files] == [
        "testBadPackage_arch.json",
        "testDuplicate_arch.json",
        "testMissingDep_arch.json",
    ]
    messages = {}
    for path in files:
        status, _, stderr = run_file(path, tmp_path)
        messages[path.name] = assert_user_error(status, stderr, path.name)
        assert not (tmp_path / "out").exists(), "a failed run left a run folder"
    assert len(set(messages.values())) == 3

    bad_package = messages["testBadPackage_arch.json"]
    text = (INVALID / "testBadPackage_arch.json").read_text()
    line, _ = position_of(text, '"package":"unknown"')
    assert re.search(r"\bpackage\b", bad_package)
    assert "'unknown'" in bad_package
    assert "karyon" in bad_package  # the fix: the known packages
    assert mentions_position(bad_package, INVALID / "testBadPackage_arch.json", line)

    duplicate = messages["testDuplicate_arch.json"]
    text = (INVALID / "testDuplicate_arch.json").read_text()
    line, _ = position_of(text, '"signup-node"', occurrence=2)
    assert "duplicate" in duplicate.lower()
    assert "signup-node" in duplicate
    assert "rename" in duplicate or "remove" in duplicate
    assert mentions_position(duplicate, INVALID / "testDuplicate_arch.json", line)

    missing = messages["testMissingDep_arch.json"]
    text = (INVALID / "testMissingDep_arch.json").read_text()
    line, column = position_of(text, '"missing"')
    assert "dependencies" in missing
    assert "'missing'" in missing
    assert "www-proxy" in missing or "known" in missing  # what would have been valid
    assert mentions_position(missing, INVALID / "testMissingDep_arch.json", line, column)


# ---------------------------------------------------------------------------------------------
# Mistakes in files


def test_malformed_json_gives_line_and_column(tmp_path: Path) -> None:
    text = '{"services": [\n  {"name": "a", "package": "store",}\n]}\n'
    path = tmp_path / "broken.json"
    path.write_text(text)
    status, _, stderr = run_file(path, tmp_path)
    message = assert_user_error(status, stderr, "broken.json", "JSON")
    line, column = position_of(text, "}")  # a key was expected where the brace is
    assert mentions_position(message, path, line, column), message


def test_malformed_yaml_gives_line_and_column(tmp_path: Path) -> None:
    text = "services:\n  - name: a\n    package: store\n   count: 2\n"
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    status, _, stderr = run_file(path, tmp_path)
    message = assert_user_error(status, stderr, "broken.yaml", "YAML")
    line, _ = position_of(text, "   count")  # the badly indented line
    assert mentions_position(message, path, line), message


SERVICE_A = "services:\n  - name: a\n    package: store\n    regions: 1\n"


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        pytest.param('    count: "two"\n', ("count", "two", "whole number"), id="wrong-type"),
        pytest.param("    cuont: 2\n", ("cuont", "did you mean 'count'"), id="unknown-key"),
        pytest.param("    count: -3\n", ("count", "-3"), id="negative-count"),
        pytest.param("    count: 1000000000\n", ("count", "1000000000"), id="absurd-count"),
    ],
)
def test_service_field_mistakes(extra: str, needles: tuple[str, ...], tmp_path: Path) -> None:
    text = SERVICE_A + extra
    path = tmp_path / "arch.yaml"
    path.write_text(text)
    status, _, stderr = run_file(path, tmp_path)
    message = assert_user_error(status, stderr, "arch.yaml", "services[0]", *needles)
    key = extra.strip().split(":")[0]
    line, key_column = position_of(text, key)
    value_column = key_column + len(key) + 2  # after "key: "
    # the position of the key or of its value
    assert mentions_position(message, path, line, key_column) or mentions_position(
        message, path, line, value_column
    ), message
    assert not (tmp_path / "out").exists()


def test_empty_architecture(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("arch: empty\nservices: []\n")
    status, _, stderr = run_file(path, tmp_path)
    message = assert_user_error(status, stderr, "empty.yaml", "services")
    assert mentions_position(message, path, 2), message
    assert "service" in message.split("services", 1)[1]  # says a service is needed


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "nothing.yaml"
    path.write_text("")
    status, _, stderr = run_file(path, tmp_path)
    assert_user_error(status, stderr, "nothing.yaml", "services")


def test_forwarding_dependency_loop(tmp_path: Path) -> None:
    text = (
        "services:\n"
        "  - {name: a, package: karyon, count: 1, regions: 1, dependencies: [b]}\n"
        "  - {name: b, package: karyon, count: 1, regions: 1, dependencies: [a]}\n"
        "  - {name: www, package: denominator, count: 0, regions: 0, dependencies: [a]}\n"
    )
    path = tmp_path / "loop.yaml"
    path.write_text(text)
    status, _, stderr = run_file(path, tmp_path)
    message = assert_user_error(status, stderr, "loop.yaml", "loop")
    assert re.search(r"\ba -> b -> a\b", message), message
    assert "remove" in message  # the fix
    assert mentions_position(message, path, position_of(text, "[b]")[0]), message


def test_self_dependency_of_a_store_is_no_loop(tmp_path: Path) -> None:
    """spigo allows and uses it for replication (spigo.md §2.5): not a mistake."""
    path = tmp_path / "cluster.yaml"
    path.write_text(
        "services:\n"
        "  - {name: db, package: store, count: 3, regions: 1, dependencies: [db]}\n"
        "  - {name: www, package: denominator, count: 0, regions: 0, dependencies: [db]}\n"
    )
    status, _, stderr = run_file(path, tmp_path)
    assert status == 0, stderr


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("w") as fh:
        fh.write("# " + "x" * (11 * 1024 * 1024) + "\n")
    status, _, stderr = run_file(path, tmp_path)
    message = assert_user_error(status, stderr, "huge.yaml")
    assert str(10 * 1024 * 1024) in message or "10 MiB" in message, message


# ---------------------------------------------------------------------------------------------
# Mistakes in options


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        pytest.param(["-w", "7"], ("-w", "7", "6"), id="w7"),
        pytest.param(["-w", "0"], ("-w", "0", "6"), id="w0"),
        pytest.param(["-p", "0"], ("-p", "0", "1"), id="p0"),
        pytest.param(["-p", "abc"], ("-p", "abc"), id="p-not-a-number"),
        pytest.param(["-u", "bogus"], ("-u", "bogus", "1s"), id="u-bogus"),
        pytest.param(["-u", "0s"], ("-u", "0s"), id="u-zero"),
        pytest.param(["-kv", "nope"], ("-kv", "nope", "chat:"), id="kv-nope"),
        pytest.param(["-kv", "chat:0ms"], ("-kv", "0ms", "1ms"), id="kv-chat-zero"),
        pytest.param(["-kv", "size:10"], ("-kv", "size", "chat"), id="kv-unknown-key"),
        pytest.param(["-d", "-1"], ("-d", "-1"), id="d-negative"),
        pytest.param(["-a", "netflixos"], ("netflixos", "did you mean 'netflixoss'"), id="a"),
        pytest.param(["-a", "migration", "-s", "12"], ("-s", "12", "9"), id="s12"),
        pytest.param(["-a", "fsm", "-p", "1"], ("-p", "fsm", "2"), id="fsm-p1"),
        pytest.param(["--bogus"], ("--bogus", "--help"), id="unknown-option"),
        pytest.param(["-j=maybe"], ("-j", "maybe"), id="go-bool"),
    ],
)
def test_option_mistakes(args: list[str], needles: tuple[str, ...], tmp_path: Path) -> None:
    out = tmp_path / "out"
    status, stdout, stderr = invoke(["run", *args, "--out", str(out), "-q"])
    assert_user_error(status, stderr, *needles)
    assert stdout == ""
    assert not out.exists(), "a refused run left a run folder"


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_duration_must_be_a_finite_number(value: str, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "monkeyhouse", "run", "-a", "lamp", "-d", value]
    command += ["--out", str(tmp_path / "out"), "-q"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail(f"-d {value} ran on instead of being refused")
    assert done.returncode == 2, done.stderr
    assert "-d" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["run", "-w", "7", "-d", "1"], ("-w", "7")),
        (["run", str(INVALID / "testMissingDep_arch.json"), "-d", "1"], ("missing",)),
        (["-a", "nosuch"], ("nosuch",)),
    ],
    ids=["w7", "invalid-file", "unknown-arch"],
)
def test_real_process_shows_no_traceback(
    args: list[str], needles: tuple[str, ...], tmp_path: Path
) -> None:
    script = Path(sys.executable).parent / "monkeyhouse"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "monkeyhouse"]
    done = subprocess.run(
        [*command, *args, "--out", str(tmp_path / "out"), "-q"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    for needle in needles:
        assert needle in done.stderr


# ---------------------------------------------------------------------------------------------
# list, schema, validate

#: (services, instances at -p 100 -w 1, registries not counted) per catalog entry, from
#: spigo.md §7 (json_arch files), §6.11 (migration steps) and §6.12 (fsm: -p pirates).
SPIGO_COUNTS: dict[str, tuple[int, int]] = {
    "netflixoss": (8, 65),
    "lamp": (5, 23),
    "netflix": (21, 98),
    "cassandra": (6, 32),
    "riak": (15, 51),
    "yogi": (13, 34),
    "storage": (5, 6),
    "container": (7, 22),
    "edge": (83, 83),
    "aws_ac_ra_web": (8, 25),
    "composeV2": (10, 16),
    "simpleV2": (6, 10),
    "migration0": (4, 13),
    "migration1": (5, 14),
    "migration2": (6, 23),
    "migration3": (7, 31),
    "migration4": (8, 40),
    "migration5": (9, 52),
    "migration6": (8, 50),
    "migration7": (8, 99),
    "migration8": (8, 99),
    "migration9": (8, 148),
    "fsm": (1, 100),
}


def test_list_shows_every_entry_with_spigo_counts() -> None:
    status, stdout, stderr = invoke(["list"])
    assert status == 0, stderr
    rows: dict[str, tuple[int, int]] = {}
    order = []
    for line in stdout.splitlines():
        match = re.match(r"^(\S+)\s+(\d+)\s+(\d+)(\s|$)", line)
        if match:
            rows[match.group(1)] = (int(match.group(2)), int(match.group(3)))
            order.append(match.group(1))
    assert len(rows) == 23
    assert rows == SPIGO_COUNTS
    assert order == list(CATALOG_ORDER)


def schema_from_cli() -> dict[str, Any]:
    status, stdout, stderr = invoke(["schema"])
    assert status == 0, stderr
    return cast(dict[str, Any], json.loads(stdout))


def test_schema_is_draft_2020_12_and_accepts_the_catalog() -> None:
    schema = schema_from_cli()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    paths = sorted(CATALOG_DIR.glob("*.yaml"))
    assert len(paths) == 23
    for path in paths:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        errors = [e.message for e in validator.iter_errors(doc)]
        assert errors == [], (path.name, errors)


def test_schema_accepts_spigo_files_and_rejects_mistakes() -> None:
    validator = jsonschema.Draft202012Validator(schema_from_cli())
    for path in sorted((SPIGO / "json_arch").glob("*_arch.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert [e.message for e in validator.iter_errors(doc)] == [], path.name
    good = {"arch": "t", "services": [{"name": "a", "package": "store", "count": 1}]}
    assert validator.is_valid(good)
    for bad_service in (
        {"name": "a", "package": "store", "count": "two"},
        {"name": "a", "package": "store", "count": -1},
        {"name": "a", "package": "store", "cuont": 1},
    ):
        assert not validator.is_valid({"arch": "t", "services": [bad_service]}), bad_service
    assert not validator.is_valid({"arch": "t"})


def test_schema_and_loader_agree_on_a_file_without_arch(tmp_path: Path) -> None:
    doc = {"services": [{"name": "www", "package": "denominator", "count": 0, "regions": 0}]}
    path = tmp_path / "noarch.yaml"
    path.write_text(yaml.safe_dump(doc))
    status, _, _ = invoke(["validate", str(path)])
    schema_ok = jsonschema.Draft202012Validator(schema_from_cli()).is_valid(doc)
    assert (status == 0) == schema_ok


def test_validate_good_and_bad_files() -> None:
    good = SPIGO / "json_arch" / "lamp_arch.json"
    bad = INVALID / "testDuplicate_arch.json"
    status, stdout, stderr = invoke(["validate", str(good)])
    assert (status, stderr) == (0, "")
    assert "lamp_arch.json" in stdout and "ok" in stdout

    status, stdout, stderr = invoke(["validate", str(bad)])
    assert_user_error(status, stderr, "testDuplicate_arch.json", "signup-node")
    assert stdout == ""

    status, stdout, stderr = invoke(["validate", str(good), str(bad)])
    assert status == 2
    assert "lamp_arch.json" in stdout
    assert "testDuplicate_arch.json" in stderr and "Traceback" not in stderr


# ---------------------------------------------------------------------------------------------
# Ways of running


def graph_sets(run: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    graph = json.loads((run / "graph.json").read_text(encoding="utf-8"))["graph"]
    nodes = {(e["node"], e["package"]) for e in graph if "node" in e}
    edges = {(e["source"], e["target"]) for e in graph if "edge" in e}
    return nodes, edges


def recorded_lamp() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    graph = json.loads((SPIGO / "json" / "lamp.json").read_text(encoding="utf-8"))["graph"]
    nodes = {(e["node"], e["package"]) for e in graph if "node" in e}
    edges = {(e["source"], e["target"]) for e in graph if "edge" in e}
    return nodes, edges


def test_go_style_flag_spelling(tmp_path: Path) -> None:
    out = tmp_path / "out"
    status, _, stderr = invoke(["run", "-a=lamp", "-d=2", "-j=true", "-f=false", "--out", str(out)])
    assert status == 0, stderr
    options = json.loads((out / "run.json").read_text())["options"]
    assert options["duration"] == 2.0
    assert options["reduce"] is False
    assert graph_sets(out) == recorded_lamp()  # -f=false: instance names, as spigo recorded


def test_bare_flags_run_like_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    status, _, stderr = invoke(["-a", "lamp", "-d", "1", "--out", str(out), "-q"])
    assert status == 0, stderr
    assert (out / "run.json").is_file()
    assert graph_sets(out) == recorded_lamp()


#: A file with service names the catalog never uses, and an 'arch' field that -a overrides.
CUSTOM_ARCH: dict[str, Any] = {
    "arch": "not-this-name",
    "version": "arch-0.0",
    "description": "a local file that shadows the catalog",
    "victim": "",
    "services": [
        {"name": "ledger", "package": "store", "count": 2, "regions": 1, "dependencies": []},
        {
            "name": "teller",
            "package": "karyon",
            "count": 6,
            "regions": 1,
            "dependencies": ["ledger"],
        },
        {"name": "lobby", "package": "elb", "count": 0, "regions": 1, "dependencies": ["teller"]},
        {
            "name": "door",
            "package": "denominator",
            "count": 0,
            "regions": 0,
            "dependencies": ["lobby"],
        },
    ],
}


def test_a_reads_json_arch_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "json_arch").mkdir()
    (tmp_path / "json_arch" / "lamp_arch.json").write_text(json.dumps(CUSTOM_ARCH))
    monkeypatch.chdir(tmp_path)
    status, _, stderr = invoke(["run", "-a", "lamp", "-d", "1", "-w", "2", "--out", "out", "-q"])
    assert status == 0, stderr
    nodes, edges = graph_sets(tmp_path / "out")
    assert all(name.startswith("lamp.") for name, _ in nodes)
    services = {name.split(".")[3].rstrip("0123456789") for name, _ in nodes}
    assert services == {"ledger", "teller", "lobby", "door"}
    # exactly what spigo's rules make of that file under -a lamp
    assert (nodes, edges) == expected_graph({**CUSTOM_ARCH, "arch": "lamp"}, 100, 2, False)


def test_a_falls_back_to_the_catalog_without_json_arch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, _, stderr = invoke(["run", "-a", "lamp", "-d", "1", "--out", "out", "-q"])
    assert status == 0, stderr
    assert graph_sets(tmp_path / "out") == recorded_lamp()


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_path_argument_runs_that_file(suffix: str, tmp_path: Path) -> None:
    path = tmp_path / f"bank{suffix}"
    text = json.dumps(CUSTOM_ARCH) if suffix == ".json" else yaml.safe_dump(CUSTOM_ARCH)
    path.write_text(text)
    out = tmp_path / "out"
    status, _, stderr = invoke(["run", str(path), "-d", "1", "-p", "50", "--out", str(out), "-q"])
    assert status == 0, stderr
    nodes, edges = graph_sets(out)
    # the run is named after the file (not its 'arch' field), as spigo names it after -a
    assert (nodes, edges) == expected_graph({**CUSTOM_ARCH, "arch": "bank"}, 50, 1, False)


@pytest.mark.parametrize("flag", ["-n", "-k", "-config", "-saveconfig", "-cpus", "-cpuprofile"])
def test_unsupported_spigo_flags_say_why(flag: str) -> None:
    status, _, err = invoke(["run", "-a", "lamp", flag, "x"])
    assert status == 2
    assert err.startswith(f"monkeyhouse: {flag}: spigo's flag is not supported (")
    assert "Traceback" not in err


def test_a_scenario_file_refuses_the_run_options_it_sets_itself(tmp_path: Path) -> None:
    scenario = Path(__file__).resolve().parents[2] / "examples" / "zone-outage.yaml"
    err = io.StringIO()
    args = ["run", str(scenario), "-d", "5", "--seed=3", "--no-resilience", "--out", str(tmp_path)]
    assert main(args, io.StringIO(), err) == 2
    message = err.getvalue()
    assert "--duration, --no-resilience, --seed cannot be used with a scenario file" in message
    assert "Traceback" not in message
    assert not (tmp_path / "run.json").exists()
