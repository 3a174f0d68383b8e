"""``-r``: rebuild a run from ``json/ARCH[STEP].json`` in the working directory (spigo.md §6.1).

Each recorded spigo graph is copied to ``tmp_path/json/`` and reloaded through the command
line; the run's node set (name, package) and instance edge set must equal the recorded file's.
Graphs written with ``-f`` (one node per service and zone) cannot be reloaded and must be
refused with a clear message.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any, cast

import pytest

from monkeyhouse.cli.main import main
from spigo_data import SPIGO

RECORDED = SPIGO / "json"

#: Recorded instance-level graphs: file stem -> (-a, -s). Migration step 0 is migration.json.
RELOADABLE: dict[str, tuple[str, int]] = {
    "netflixoss": ("netflixoss", 0),
    "lamp": ("lamp", 0),
    "cassandra": ("cassandra", 0),
    "riak": ("riak", 0),
    "edge": ("edge", 0),
    "storage": ("storage", 0),
    "composeV2": ("composeV2", 0),
    "simpleV2": ("simpleV2", 0),
    "testyaml": ("testyaml", 0),
    "migration": ("migration", 0),
    **{f"migration{step}": ("migration", step) for step in range(1, 10)},
    "netflix": ("netflix", 0),
}


def graph_sets(path: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    graph = cast(list[dict[str, Any]], json.loads(path.read_text(encoding="utf-8"))["graph"])
    nodes = {(str(e["node"]), str(e["package"])) for e in graph if "node" in e}
    edges = {(str(e["source"]), str(e["target"])) for e in graph if "edge" in e}
    return nodes, edges


def reload(
    folder: Path, arch: str, step: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, Path]:
    """Run ``-a ARCH [-s STEP] -r -d 1`` in ``folder``; return status, stderr and the run."""
    monkeypatch.chdir(folder)
    args = ["run", "-a", arch, "-r", "-d", "1", "--out", "out", "-q"]
    if step:
        args += ["-s", str(step)]
    err = io.StringIO()
    status = main(args, out=io.StringIO(), err=err)
    return status, err.getvalue(), folder / "out"


def copy_recording(stem: str, folder: Path) -> Path:
    (folder / "json").mkdir(exist_ok=True)
    return Path(shutil.copy(RECORDED / f"{stem}.json", folder / "json" / f"{stem}.json"))


@pytest.mark.parametrize("stem", list(RELOADABLE))
def test_reload_rebuilds_the_recorded_graph(
    stem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_recording(stem, tmp_path)
    arch, step = RELOADABLE[stem]
    status, stderr, run = reload(tmp_path, arch, step, monkeypatch)
    assert status == 0, stderr
    got_nodes, got_edges = graph_sets(run / "graph.json")
    want_nodes, want_edges = graph_sets(RECORDED / f"{stem}.json")
    assert got_nodes == want_nodes
    assert got_edges - want_edges == set(), "links the recording does not have"
    assert want_edges - got_edges == set(), "recorded links the reload lost"


def test_reload_reads_the_file_not_the_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hand-edited graph (lamp without memcache) comes back as edited."""
    data = json.loads((RECORDED / "lamp.json").read_text(encoding="utf-8"))
    kept = [
        e
        for e in data["graph"]
        if "memcache" not in str(e.get("node", ""))
        and "memcache" not in str(e.get("target", ""))
        and "memcache" not in str(e.get("source", ""))
    ]
    assert len(kept) < len(data["graph"])
    data["graph"] = kept
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "lamp.json").write_text(json.dumps(data))
    status, stderr, run = reload(tmp_path, "lamp", 0, monkeypatch)
    assert status == 0, stderr
    assert graph_sets(run / "graph.json") == graph_sets(tmp_path / "json" / "lamp.json")


def test_reload_keeps_fsm_pirates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy_recording("fsm", tmp_path)
    status, stderr, run = reload(tmp_path, "fsm", 0, monkeypatch)
    assert status == 0, stderr
    got_nodes, got_edges = graph_sets(run / "graph.json")
    want_nodes, _ = graph_sets(RECORDED / "fsm.json")
    assert got_nodes == want_nodes
    # pirates find new buddies themselves: no self-links, each pirate befriends at most ten
    sources = [source for source, _ in got_edges]
    assert all(source != target for source, target in got_edges)
    assert max(sources.count(name) for name, _ in got_nodes) <= 10
    assert 150 < len(got_edges) < 400


@pytest.mark.parametrize("stem", ["yogi", "container"])
def test_reduced_graph_is_refused(
    stem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """yogi.json and container.json were recorded with -f: their nodes are not instances."""
    assert "-f" in json.loads((RECORDED / f"{stem}.json").read_text())["args"]
    copy_recording(stem, tmp_path)
    status, stderr, run = reload(tmp_path, stem, 0, monkeypatch)
    assert status == 2
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert f"{stem}.json" in stderr  # which file
    assert "-f" in stderr  # why, and the fix: rerun without -f
    assert not run.exists()


def test_missing_reload_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, stderr, run = reload(tmp_path, "netflixoss", 0, monkeypatch)
    assert status == 2
    assert "Traceback" not in stderr
    assert "netflixoss.json" in stderr
    assert not run.exists()


def test_reload_uses_the_step_suffix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """-s 3 reads json/migration3.json; with only migration.json present it is an error."""
    copy_recording("migration", tmp_path)
    status, stderr, _ = reload(tmp_path, "migration", 3, monkeypatch)
    assert status == 2
    assert "migration3.json" in stderr and "Traceback" not in stderr
