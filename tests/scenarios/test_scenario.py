"""Running scenario files: ``monkeyhouse run SCENARIO`` and its chaos.json.

Independent truth: the bundled example's chaos times follow from the file by hand (kills at 10,
30 and 50 s, each replaced 15 s later; latency from 20 to 40 s; a partition from 45 to 55 s; a
dark zone from 60 to 90 s; a dark region from 80 to 110 s with DNS failover 10 s after it
went dark), and the same file and seed must give the same bytes.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from monkeyhouse.cli.main import main
from monkeyhouse.telemetry.timestamps import EPOCH

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "chaos-day.yaml"


def seconds(stamp: str) -> float:
    from datetime import UTC, datetime

    whole, _, fraction = stamp.rstrip("Z").partition(".")
    moment = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return (moment - EPOCH).total_seconds() + (float("0." + fraction) if fraction else 0.0)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("scenario")
    for name in ("a", "b"):
        status = main(["run", str(EXAMPLE), "--out", str(base / name), "-q"])
        assert status == 0
    return base / "a", base / "b"


def test_the_bundled_scenario_writes_its_chaos_log(runs: tuple[Path, Path]) -> None:
    out, _ = runs
    chaos = json.loads((out / "chaos.json").read_text())
    log = [(r["time"], r["action"], r["target"]) for r in chaos["log"]]
    kills = [t for t, action, _ in log if action == "chaos-monkey"]
    assert kills == [10.0, 10.0, 30.0, 30.0, 50.0, 50.0]
    assert [t for t, action, _ in log if action == "replace"] == [25.0] * 2 + [45.0] * 2 + [
        65.0
    ] * 2
    assert [(t, a) for t, a, _ in log if a == "latency-monkey"] == [
        (20.0, "latency-monkey"),
        (40.0, "latency-monkey"),
    ]
    assert [t for t, a, _ in log if a == "partition"] == [45.0, 55.0]
    assert [t for t, a, _ in log if a == "chaos-gorilla"] == [60.0, 90.0]
    assert [(t, a) for t, a, _ in log if a in ("chaos-kong", "dns-failover")] == [
        (80.0, "chaos-kong"),
        (90.0, "dns-failover"),
        (110.0, "chaos-kong"),
    ]
    assert [r["time"] for r in chaos["log"]] == sorted(r["time"] for r in chaos["log"])
    assert [a["action"] for a in chaos["actions"]] == [
        "chaos-monkey",
        "latency-monkey",
        "partition",
        "chaos-gorilla",
        "chaos-kong",
    ]
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["chaos"] == chaos["log"]
    assert manifest["scenario"]["scenario"] == "chaos-day"
    assert manifest["options"]["regions"] == 2 and manifest["seed"] == 7
    assert "chaos.json" in manifest["files"]
    assert (out / "spans.zipkin.json").is_file() and not (out / "spans.otlp.json").exists()


def test_replacements_appear_in_the_graph_when_they_start(runs: tuple[Path, Path]) -> None:
    out, _ = runs
    chaos = json.loads((out / "chaos.json").read_text())
    graph = json.loads((out / "graph.json").read_text())["graph"]
    started = {e["node"]: seconds(e["timestamp"]) for e in graph if "node" in e}
    for record in chaos["log"]:
        if record["action"] == "replace":
            new = record["detail"].split()[1]
            assert started[new] == record["time"]
    kong = next(f for f in chaos["faults"] if f["action"] == "chaos-kong")
    assert len(kong["replacements"]) == len(kong["killed"])
    assert all(started[name] == 110.0 for name in kong["replacements"])
    dones = {e["done"]: seconds(e["timestamp"]) for e in graph if "done" in e}
    assert all(dones[name] == 80.0 for name in kong["killed"])


def test_the_same_scenario_and_seed_give_identical_bytes(runs: tuple[Path, Path]) -> None:
    a, b = runs
    for name in ("chaos.json", "spans.zipkin.json", "summary.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    # graph.json records the command line, which names each run's own folder
    graph_a, graph_b = (json.loads((r / "graph.json").read_text()) for r in runs)
    assert graph_a.pop("args") != graph_b.pop("args")
    assert graph_a == graph_b


def test_scenario_mistakes_exit_2_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("architecture: netflixoss\nchaos: [{action: chaos-kong, target: mars}]\n")
    err = io.StringIO()
    assert main(["run", str(path)], err=err) == 2
    assert err.getvalue() == (
        f"monkeyhouse: {path}:2:38: chaos[0].target: unknown region 'mars' (this run has: "
        "us-east-1) (give a region of the run (options.regions sets how many))\n"
    )


def test_validate_and_schema_know_scenarios() -> None:
    out = io.StringIO()
    assert main(["validate", str(EXAMPLE)], out=out) == 0
    assert "ok (scenario chaos-day: netflixoss, 5 chaos actions)" in out.getvalue()
    out = io.StringIO()
    assert main(["schema", "--scenario"], out=out) == 0
    assert json.loads(out.getvalue())["title"] == "monkeyhouse scenario"


DOCS = Path(__file__).resolve().parents[2] / "docs" / "chaos.md"


def blocks(language: str) -> list[str]:
    text = DOCS.read_text(encoding="utf-8")
    return [part.split("```", 1)[0] for part in text.split(f"```{language}\n")[1:]]


def test_the_docs_show_the_bundled_scenario() -> None:
    import yaml

    [shown] = blocks("yaml")
    assert yaml.safe_load(shown) == yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def test_the_docs_python_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    [code] = blocks("python")
    exec(compile(code, str(DOCS), "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["10.0", "chaos-monkey"]
    assert any("dns-failover" in line for line in lines)


def test_the_docs_console_and_figure_match_a_run(runs: tuple[Path, Path]) -> None:
    """The summary lines the page shows are the run's own, and its figure is there."""
    import json

    console = next(block for block in blocks("console") if "chaos-day.yaml" in block)
    shown = [line for line in console.splitlines() if line.startswith("  ")]
    manifest = json.loads((runs[0] / "run.json").read_text(encoding="utf-8"))
    summary = manifest["summary"]
    requests = next(line for line in shown if line.startswith("  requests"))
    assert f"{summary['reads_answered'] + summary['writes_answered']:,} answered" in requests
    assert f"{summary['errors']:,} failed" in requests
    messages = next(line for line in shown if line.startswith("  messages"))
    assert f"{summary['messages']:,}" in messages and f"({summary['lost']:,} lost" in messages
    text = DOCS.read_text(encoding="utf-8")
    assert "](images/chaos-day.png)" in text
    image = DOCS.parent / "images" / "chaos-day.png"
    assert 0 < image.stat().st_size < 150_000
