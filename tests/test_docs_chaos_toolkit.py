"""docs/chaos-toolkit.md is true: its example is the bundled file, its commands print and do
what it shows, and its tables list every provider function and configuration key."""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

import monkeyhouse.chaostoolkit as provider
from chaos_command import chaos_run
from monkeyhouse.cli.main import main
from monkeyhouse.scenarios.experiment import SimulationSettings
from monkeyhouse.scenarios.session import close_shared

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "docs" / "chaos-toolkit.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE, flags=re.S)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the examples, as the repository has them, as the current folder."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    close_shared()
    return tmp_path


def test_the_example_is_the_bundled_file() -> None:
    (shown,) = blocks("json")
    bundled = (ROOT / "examples" / "experiments" / "lamp-lose-a-third.json").read_text()
    assert json.loads(shown) == json.loads(bundled)


def test_monkeyhouse_experiment_prints_what_the_page_shows(workspace: Path) -> None:
    console = blocks("console")[0]
    command, *rest = console.split("\n$ echo $?")[0].splitlines()
    expected_status = int(console.split("\n$ echo $?\n")[1].split("\n")[0])
    out = io.StringIO()
    args = shlex.split(command.removeprefix("$ monkeyhouse "))
    status = main(args, out=out, err=io.StringIO())
    assert status == expected_status
    assert out.getvalue().splitlines() == rest
    journal = json.loads((workspace / "journal.json").read_text())
    assert (journal["status"], journal["deviated"]) == ("completed", False)


def test_the_yaml_sister_deviates(workspace: Path) -> None:
    status = main(
        ["experiment", "examples/experiments/lamp-lose-every-webserver.yaml", "-q"],
        out=io.StringIO(),
        err=io.StringIO(),
    )
    assert status == 1


def test_the_chaos_command_runs_the_same_example(workspace: Path) -> None:
    command = blocks("console")[1].strip().removeprefix("$ ")
    tokens = shlex.split(command)
    assert tokens[:3] == ["chaos", "--no-version-check", "run"]
    experiment = tokens[3]
    journal = tokens[tokens.index("--journal-path") + 1]
    done = chaos_run(workspace, experiment, journal, cwd=workspace)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((workspace / journal).read_text())
    assert (data["status"], data["deviated"]) == ("completed", False)
    assert data["run"][2]["output"] == 12  # 18 webservers less a third


def test_the_tables_name_every_function_and_setting() -> None:
    documented = set(re.findall(r"^\| `(\w+)\(", PAGE, flags=re.M))
    assert documented == set(provider.__all__)
    keys = set(re.findall(r"^\| `(monkeyhouse_\w+)`", PAGE, flags=re.M))
    assert keys == set(SimulationSettings.keys())
