"""The HTTP side of the web UI in replay mode: routes, headers, and paths that try to escape.

Traversal attempts go through http.client, which sends the path exactly as written (aiohttp's
client and browsers normalize ``..`` away before sending).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
from pathlib import Path

import aiohttp
import pytest
from ui_helpers import TIMEOUT, fake_assets, run, running

from monkeyhouse.errors import UsageError
from monkeyhouse.web.app import UiServer, find_assets, plain_name
from monkeyhouse.web.replay import replay_document


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    folder = fake_assets(tmp_path / "static")
    (folder / "assets" / ".secret").write_text("hidden", encoding="utf-8")
    (folder / ".env").write_text("hidden", encoding="utf-8")
    return folder


@pytest.fixture
def replay_dir(netflixoss_run: Path, tmp_path: Path) -> Path:
    """A copy of a run folder with traps: a symlink out, a hidden file and a sub-folder."""
    folder = tmp_path / "run"
    folder.mkdir()
    for name in ("graph.json", "run.json", "chaos.json", "summary.json", "spans.zipkin.json"):
        (folder / name).write_bytes((netflixoss_run / name).read_bytes())
    outside = tmp_path / "secret.txt"
    outside.write_text("outside the run folder", encoding="utf-8")
    os.symlink(outside, folder / "link.txt")
    os.symlink(tmp_path / "static" / "index.html", folder / "page.html")
    (folder / ".hidden").write_text("hidden", encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "x.json").write_text("{}", encoding="utf-8")
    return folder


def raw_get(port: int, path: str) -> tuple[int, bytes, dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read(), dict(response.getheaders())
    finally:
        connection.close()


ESCAPES = [
    "/assets/../pyproject.toml",
    "/assets/../index.html",
    "/assets/%2e%2e/pyproject.toml",
    "/assets/%2e%2e%2fpyproject.toml",
    "/assets/%2E%2E%2F%2E%2E%2Fpyproject.toml",
    "/assets/..%2f..%2fpyproject.toml",
    "/assets/..%5c..%5cpyproject.toml",
    "/assets/.secret",
    "/assets/%2esecret",
    "/assets/",
    "/assets",
    "/.env",
    "/index.html/../.env",
    "/run/../graph.json",
    "/run/%2e%2e/secret.txt",
    "/run/%2e%2e%2fsecret.txt",
    "/run/link.txt",
    "/run/page.html",
    "/run/.hidden",
    "/run/sub",
    "/run/sub/x.json",
    "/run/sub%2fx.json",
    "/run/",
    "/run/graph.json%00.txt",
    "//etc/passwd",
    "/etc/passwd",
    "/static/index.html",
    "/api/traces/../session",
    "/ws",
]


def test_every_escape_attempt_is_404(assets: Path, replay_dir: Path) -> None:
    async def scenario() -> None:
        async with running(assets, replay_dir=replay_dir) as (server, _):
            for path in ESCAPES:
                status, body, _ = await asyncio.to_thread(raw_get, server.port, path)
                assert status == 404, f"{path}: {status} {body[:80]!r}"
                assert b"outside" not in body and b"hidden" not in body

    run(scenario())


def test_replay_routes_types_and_headers(assets: Path, replay_dir: Path) -> None:
    document, traces = replay_document(replay_dir)

    async def scenario() -> None:
        async with running(assets, replay_dir=replay_dir) as (server, url):
            assert url.startswith("http://127.0.0.1:")
            async with aiohttp.ClientSession() as client:
                async with client.get(url) as response:
                    assert response.status == 200
                    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
                    assert "<div id='app'>" in await response.text()
                async with client.get(url + "assets/app.js") as response:
                    assert response.status == 200
                    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
                    assert response.headers["X-Content-Type-Options"] == "nosniff"
                async with client.get(url + "assets/app.css") as response:
                    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
                async with client.get(url + "api/session") as response:
                    assert await response.json() == {
                        "protocol": 1,
                        "mode": "replay",
                        "arch": "netflixoss",
                        "source": "catalog:netflixoss",
                    }
                async with client.get(url + "api/replay") as response:
                    assert response.status == 200
                    assert response.headers["Cache-Control"] == "no-store"
                    assert response.headers["Content-Type"].startswith("application/json")
                    assert await response.json() == json.loads(json.dumps(document))
                async with client.get(url + "api/traces") as response:
                    lines = await response.json()
                    assert lines == document["traces"] and lines
                trace = lines[-1]["trace"]
                async with client.get(url + f"api/traces/{trace}") as response:
                    assert await response.json() == traces[trace]
                async with client.get(url + "api/traces/ffffffffffffffff") as response:
                    assert response.status == 404
                async with client.get(url + "run/graph.json") as response:
                    assert response.status == 200
                    assert response.headers["Content-Type"] == "application/json"
                    assert await response.read() == (replay_dir / "graph.json").read_bytes()
                async with client.get(url + "ws") as response:
                    assert response.status == 404  # no websocket in replay mode
                async with client.post(url + "api/session") as response:
                    assert response.status in (404, 405)
            assert server.mode == "replay"

    run(scenario())


def test_the_page_must_have_been_built(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"make build-ui.*npm ci && npm run build"):
        find_assets(tmp_path)
    with pytest.raises(UsageError, match="one live session or one run folder"):
        UiServer(assets=fake_assets(tmp_path))


def test_a_port_in_use_is_a_clear_error(assets: Path, replay_dir: Path) -> None:
    async def scenario() -> None:
        async with running(assets, replay_dir=replay_dir) as (first, _):
            second = UiServer(assets=assets, replay_dir=replay_dir, port=first.port)
            with pytest.raises(UsageError, match=r"cannot listen on 127\.0\.0\.1:\d+.*--port"):
                await second.start()

    run(scenario())


@pytest.mark.parametrize(
    ("name", "plain"),
    [
        ("app.js", True),
        ("graph.json", True),
        ("", False),
        (".env", False),
        ("..", False),
        ("../x", False),
        ("a/b", False),
        ("a\\b", False),
        ("c:x", False),
        ("x\x00", False),
        ("x" * 256, False),
    ],
)
def test_plain_names(name: str, plain: bool) -> None:
    assert plain_name(name) is plain
