"""Shared helpers of the web UI's tests: a fake front end, real servers, bounded waits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp

from monkeyhouse.model import resolve_architecture
from monkeyhouse.scenarios.simulation import RunOptions
from monkeyhouse.web.app import UiServer
from monkeyhouse.web.live import LiveSession

#: every wait of these tests ends by then (wall seconds)
TIMEOUT = 20.0

INDEX = (
    "<!doctype html><html><head><meta charset='utf-8'><title>monkeyhouse</title>"
    '<link rel="icon" href="/favicon.svg">'
    '<link rel="modulepreload" href="/assets/app.js">'
    '<link rel="stylesheet" href="/assets/app.css">'
    '<script type="module" src="/assets/app.js"></script>'
    "</head><body><div id='app'></div></body></html>"
)


def fake_assets(folder: Path) -> Path:
    """A tiny built front end: index.html, assets/app.js and assets/app.css."""
    (folder / "assets").mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(INDEX, encoding="utf-8")
    (folder / "assets" / "app.js").write_text(
        'const s = "</script>"; document.title = s;\n', encoding="utf-8"
    )
    (folder / "assets" / "app.css").write_text("body { color: #222 }\n", encoding="utf-8")
    return folder


def session(
    duration: float = 600.0, speed: float = 10.0, push_interval: float = 0.05, **options: Any
) -> LiveSession:
    arch = resolve_architecture("netflixoss", cwd=Path.cwd())
    return LiveSession(
        arch,
        RunOptions(duration=duration, seed=1, **options),
        speed=speed,
        push_interval=push_interval,
    )


@contextlib.asynccontextmanager
async def running(
    assets: Path, live: LiveSession | None = None, replay_dir: Path | None = None
) -> AsyncIterator[tuple[UiServer, str]]:
    server = UiServer(assets=assets, live=live, replay_dir=replay_dir)
    url = await server.start()
    try:
        yield server, url
    finally:
        await asyncio.wait_for(server.stop(), TIMEOUT)


async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await asyncio.wait_for(ws.receive(), TIMEOUT)
    assert message.type == aiohttp.WSMsgType.TEXT, f"not a text message: {message}"
    data: dict[str, Any] = json.loads(message.data)
    return data


async def until(
    ws: aiohttp.ClientWebSocketResponse,
    condition: Callable[[dict[str, Any]], bool],
    what: str,
    limit: float = TIMEOUT,
) -> dict[str, Any]:
    """Read messages until one meets ``condition``; fail after ``limit`` wall seconds."""
    deadline = time.monotonic() + limit
    while True:
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        message = await receive(ws)
        if condition(message):
            return message


def run(coroutine: Any, limit: float = 60.0) -> Any:
    """Run ``coroutine`` to its end, bounded in wall time."""
    return asyncio.run(asyncio.wait_for(coroutine, limit))


@contextlib.asynccontextmanager
async def connected(
    assets: Path, live: LiveSession
) -> AsyncIterator[tuple[UiServer, str, aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]]:
    """A live server, an HTTP client session and one websocket connected to it."""
    async with (
        running(assets, live) as (server, url),
        aiohttp.ClientSession() as http,
        http.ws_connect(url + "ws") as ws,
    ):
        yield server, url, http, ws
