"""Tests for the dependency graph pictures (monkeyhouse.exporters.picture).

The expected services, edges and groups are computed here from the spigo fixtures with the
naming rules of spigo.md §5, independently of the module under test.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from monkeyhouse.errors import RunFolderError, UsageError
from monkeyhouse.exporters.picture import load_graph, parse_node_id, render
from spigo_data import SPIGO

FIXTURES = SPIGO / "json"
if not FIXTURES.is_dir():  # the repository may be checked out next to ../shared
    FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "spigo" / "json"
SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="spigo fixtures not available")


def run_folder(tmp_path: Path, fixture: str) -> Path:
    folder = tmp_path / fixture
    folder.mkdir()
    shutil.copyfile(FIXTURES / f"{fixture}.json", folder / "graph.json")
    return folder


def fixture_entries(fixture: str) -> list[dict[str, str]]:
    document = json.loads((FIXTURES / f"{fixture}.json").read_text())
    entries: list[dict[str, str]] = document["graph"]
    return entries


def expected_service(node_id: str) -> str:
    """Service of a node id by spigo.md §5: reduced names carry it, else strip the index."""
    fields = node_id.split(".")
    if len(fields) == 5:
        return fields[3]
    return re.sub(r"[0-9]+$", "", fields[3])


def expected_pairs(fixture: str) -> set[tuple[str, str]]:
    return {
        (expected_service(e["source"]), expected_service(e["target"]))
        for e in fixture_entries(fixture)
        if "edge" in e
    }


def svg_root(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def ids(root: ET.Element) -> list[str]:
    return [element.get("id", "") for element in root.iter() if element.get("id")]


def texts(root: ET.Element) -> set[str]:
    return {"".join(element.itertext()).strip() for element in root.iter(f"{SVG}text")}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# --------------------------------------------------------------------------- loading


def test_load_graph_matches_fixture_counts() -> None:
    graph = load_graph(FIXTURES / "netflixoss.json")
    assert graph.arch == "netflixoss"
    assert len(graph.nodes) == 65
    assert len(graph.edges) == 259  # spigo.md §6.8 table
    assert len(graph.done) == 54
    assert graph.nodes["netflixoss.us-east-1.zoneA.homepage15"] == "karyon"


def test_forget_removes_the_edge(tmp_path: Path) -> None:
    entries = [
        {"node": "a.r.z.web00", "package": "karyon"},
        {"node": "a.r.z.db00", "package": "store"},
        {"node": "a.r.z.db01", "package": "store"},
        {"edge": "e1", "source": "a.r.z.web00", "target": "a.r.z.db00"},
        {"edge": "e2", "source": "a.r.z.web00", "target": "a.r.z.db01"},
        {"forget": "e1", "source": "a.r.z.web00", "target": "a.r.z.db00"},
        {"done": "a.r.z.web00", "exit": "normal"},
    ]
    path = tmp_path / "graph.json"
    path.write_text(json.dumps({"arch": "a", "version": "spigo-0.4", "graph": entries}))
    graph = load_graph(path)
    assert graph.edges == frozenset({("a.r.z.web00", "a.r.z.db01")})
    assert graph.done == frozenset({"a.r.z.web00"})


@pytest.mark.parametrize(
    ("node_id", "region", "zone", "service"),
    [
        ("lamp.us-east-1.zoneA.rds-mysql01", "us-east-1", "zoneA", "rds-mysql"),
        ("yogi.us-east-1.*.ext-dmz-elb.elb", "us-east-1", "*", "ext-dmz-elb"),
        ("netflixoss.*.*.www00", "*", "*", "www"),
        ("x.eu-west-1.zoneC.s3proxy12", "eu-west-1", "zoneC", "s3proxy"),
    ],
)
def test_parse_node_id(node_id: str, region: str, zone: str, service: str) -> None:
    name = parse_node_id(node_id)
    assert (name.region, name.zone, name.service) == (region, zone, service)


# --------------------------------------------------------------------------- services view


def test_services_view_netflixoss(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, "netflixoss")
    written = render(folder)
    assert written == [folder / "graph-services.svg", folder / "graph-services.png"]

    services = {expected_service(e["node"]) for e in fixture_entries("netflixoss") if "node" in e}
    assert len(services) == 8
    root = svg_root(written[0])
    labels = texts(root)
    assert services <= labels
    assert "karyon ×24" in labels  # homepage: 24 instances

    found = ids(root)
    assert {i.removeprefix("node:") for i in found if i.startswith("node:")} == services
    edges = [i.removeprefix("edge:") for i in found if i.startswith("edge:")]
    pairs = expected_pairs("netflixoss")
    assert len(edges) == len(pairs) == 9
    assert {tuple(edge.split("->")) for edge in edges} == pairs

    width, height = png_size(written[1])
    assert 600 <= width <= 8000
    assert 600 <= height <= 8000


def test_services_view_filtered_names(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, "yogi")
    svg_path = render(folder, formats=["svg"])[0]
    root = svg_root(svg_path)
    services = {e["node"].split(".")[3] for e in fixture_entries("yogi") if "node" in e}
    assert {"ext-dmz-elb", "consumer-ranger", "legacyAPI"} <= services
    assert services <= texts(root)
    edges = [i for i in ids(root) if i.startswith("edge:")]
    assert len(edges) == len(expected_pairs("yogi"))


def test_services_view_lamp_keeps_inner_dashes(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, "lamp")
    svg_path = render(folder, formats=("svg",), out_stem="lamp-picture")[0]
    assert svg_path.name == "lamp-picture.svg"
    labels = texts(svg_root(svg_path))
    assert {"rds-mysql", "webserver-elb", "webserver", "memcache", "www"} <= labels


def test_same_input_gives_identical_svg(tmp_path: Path) -> None:
    first = run_folder(tmp_path, "netflixoss")
    second = tmp_path / "copy"
    shutil.copytree(first, second)
    for view in ("services", "instances"):
        a = render(first, view=view, formats=["svg"])[0]
        b = render(second, view=view, formats=["svg"])[0]
        assert a.read_bytes() == b.read_bytes()
    assert b"<dc:date>" not in a.read_bytes()


# --------------------------------------------------------------------------- instances view


def test_instances_view_groups_by_region_and_zone(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, "migration9")
    svg_path, png_path = render(folder, view="instances")
    assert svg_path.name == "graph-instances.svg"
    nodes = [e["node"] for e in fixture_entries("migration9") if "node" in e]
    expected: Counter[str] = Counter()
    for node in nodes:
        _, region, zone = node.split(".")[:3]
        expected[f"nodes:{region}/{zone}"] += 1
    assert len({key.split("/")[0] for key in expected}) == 4  # 3 regions and global

    root = svg_root(svg_path)
    groups = {
        element.get("id", ""): element
        for element in root.iter(f"{SVG}g")
        if element.get("id", "").startswith("nodes:")
    }
    assert set(groups) == set(expected)
    for gid, element in groups.items():
        assert len(list(element.iter(f"{SVG}use"))) == expected[gid], gid
    labels = " ".join(texts(root))
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        for zone in ("zoneA", "zoneB", "zoneC"):
            assert f"{region} · {zone}" in labels
    width, height = png_size(png_path)
    assert 800 <= width <= 8000
    assert 800 <= height <= 8000


def test_instances_view_small_graph_is_labelled(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, "netflixoss")
    svg_path = render(folder, view="instances", formats=["svg"])[0]
    labels = texts(svg_root(svg_path))
    assert {"homepage", "cassSubscriber", "www-elb"} <= labels
    assert "global  (1)" in labels


def test_large_instance_graph_is_fast(tmp_path: Path) -> None:
    entries: list[dict[str, str]] = []
    zones = [("r1", "zoneA"), ("r1", "zoneB"), ("r2", "zoneA"), ("r2", "zoneB")]
    for i in range(1600):
        region, zone = zones[i % 4]
        entries.append({"node": f"big.{region}.{zone}.svc{i % 20}x{i:04d}", "package": "karyon"})
    for i in range(1600):
        for step in (7, 131):
            source, target = entries[i]["node"], entries[(i + step) % 1600]["node"]
            entries.append({"edge": f"e{len(entries)}", "source": source, "target": target})
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "graph.json").write_text(json.dumps({"arch": "big", "graph": entries}))
    started = time.perf_counter()
    svg_path, png_path = render(folder, view="instances")
    assert time.perf_counter() - started < 20
    assert png_path.read_bytes()[:8] == PNG_SIGNATURE
    assert sum(1 for i in ids(svg_root(svg_path)) if i.startswith("nodes:")) == 4


# --------------------------------------------------------------------------- errors


def test_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(RunFolderError, match=re.escape(str(missing))):
        render(missing)


def test_missing_graph_json(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text('{"arch": "netflixoss"}')
    with pytest.raises(RunFolderError, match=r"graph\.json") as caught:
        render(tmp_path)
    assert str(tmp_path) in str(caught.value)


@pytest.mark.parametrize(
    "content",
    ["not json", "[1, 2]", '{"arch": "x"}', '{"graph": [{"edge": "e1", "source": "a"}]}'],
)
def test_not_graph_json(tmp_path: Path, content: str) -> None:
    (tmp_path / "graph.json").write_text(content)
    with pytest.raises(RunFolderError, match=re.escape(str(tmp_path / "graph.json"))):
        render(tmp_path)


def test_unknown_view_or_format(tmp_path: Path) -> None:
    folder = run_folder(tmp_path, "lamp")
    with pytest.raises(UsageError, match="view"):
        render(folder, view="galaxy")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="gif"):
        render(folder, formats=["gif"])
