"""The README's examples are true: the Python block runs and the console output is real."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from monkeyhouse.cli.main import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_readme_starts_with_the_two_commands() -> None:
    first = blocks("")[0]
    assert first.splitlines()[0].startswith("make run")
    assert first.splitlines()[1].startswith("make test")


def test_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (code,) = blocks("python")
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert (tmp_path / "runs" / "from-python" / "graph.json").is_file()


def test_console_example_prints_what_the_readme_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (console,) = blocks("console")
    command, *rest = console.split("\n$ ")[0].splitlines()
    out = io.StringIO()
    assert main(command.removeprefix("$ monkeyhouse ").split(), out=out) == 0
    wall = re.compile(r"in [\d.]+ s wall \([\d,]+ events/s\)")
    got = [wall.sub("", line) for line in out.getvalue().splitlines()]
    assert got == [wall.sub("", line) for line in rest]
    assert main(["render", "runs/netflixoss"], out=io.StringIO()) == 0
    assert (tmp_path / "runs" / "netflixoss" / "graph-services.png").is_file()


def test_architecture_example_loads_and_runs(tmp_path: Path) -> None:
    from monkeyhouse.model import load_architecture
    from monkeyhouse.scenarios.simulation import RunOptions, Simulation

    (text,) = blocks("yaml")
    path = tmp_path / "shop.yaml"
    path.write_text(text)
    arch = load_architecture(path)
    summary = Simulation(arch, RunOptions(duration=1)).run()
    assert summary.instances == 10
    assert 1800 < summary.reads + summary.writes < 2200  # Poisson at 2,000 per second
