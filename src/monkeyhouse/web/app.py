"""The web UI's HTTP server: the page, its assets, the API and the live websocket (aiohttp).

Routes are exactly those of ``docs/web-protocol.md``; everything else is 404. File paths from
a request are never joined onto the file system unchecked: a name must be one plain file name
(no slash or backslash, no ``..``, not hidden), and the resolved path (symbolic links followed)
must lie inside the assets folder or, in replay mode, be a top-level file of the run folder.

Live mode: each websocket client has its own bounded queue of outgoing messages and its own
writer task. The run's thread hands every message to the loop (``call_soon_threadsafe``) and
never waits for a client. A client that falls more than :data:`MAX_PENDING` messages behind has
its pending ticks replaced by one fresh ``hello`` (the whole state; see the protocol); a client
whose socket accepts nothing for :data:`SEND_TIMEOUT` seconds is closed. Every client message
is checked by :func:`~monkeyhouse.web.protocol.parse_message` before anything is applied, and
a websocket opened by a page of another site (not this server, not this machine) is refused
(403).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Final

from aiohttp import WSCloseCode, WSMsgType, web

from monkeyhouse.errors import UsageError
from monkeyhouse.web import protocol
from monkeyhouse.web.live import LiveSession
from monkeyhouse.web.replay import replay_document

log = logging.getLogger("monkeyhouse")

#: messages a client may have waiting before its pending ticks are replaced by a fresh hello
MAX_PENDING: Final = 16
#: seconds one send may take before the client is dropped
SEND_TIMEOUT: Final = 10.0
#: seconds a new client waits for the run's first tick
HELLO_TIMEOUT: Final = 30.0
BUILD_HINT: Final = (
    "build the front end first: `make build-ui`, or `npm ci && npm run build` in frontend/"
)

CONTENT_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".txt": "text/plain; charset=utf-8",
    ".parquet": "application/octet-stream",
    ".graphml": "application/xml",
    ".prom": "text/plain; charset=utf-8",
}


def default_assets() -> Path:
    """The bundled front end: ``monkeyhouse/web/static`` inside the installed package."""
    return Path(str(resources.files("monkeyhouse.web").joinpath("static")))


def find_assets(assets: Path | None = None) -> Path:
    """The assets folder to serve (with an ``index.html``); UsageError saying how to build it."""
    folder = default_assets() if assets is None else assets
    if not (folder / "index.html").is_file():
        raise UsageError(f"{folder}: the web UI's page is missing (no index.html); {BUILD_HINT}")
    return folder.resolve()


def plain_name(name: str) -> bool:
    """Whether ``name`` is one plain, visible file name (nothing that could climb or hide)."""
    return (
        bool(name)
        and len(name) <= 255
        and not name.startswith(".")
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
        and ":" not in name
    )


def safe_file(folder: Path, name: str) -> Path | None:
    """``folder/name`` if it is a plain name of a regular file inside ``folder``, else None."""
    if not plain_name(name):
        return None
    try:
        path = (folder / name).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if path.parent != folder or not path.is_file():
        return None
    return path


#: page origins' hosts allowed besides the server's own (a front-end dev server on this machine)
LOCAL_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "[::1]"})


def same_origin(request: web.BaseRequest) -> bool:
    """Whether a websocket request comes from no page, this server's page or a local page.

    No ``Origin``: not a browser page. Otherwise the origin must be this server (scheme, host
    and port) or a page served from this machine (127.0.0.1, localhost, [::1], any port: the
    front end's dev server); any other site is refused.
    """
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    origin = origin.rstrip("/")
    if origin in (f"http://{request.host}", f"https://{request.host}"):
        return True
    scheme, _, rest = origin.partition("://")
    host = rest.rsplit(":", 1)[0] if not rest.endswith("]") else rest
    return scheme in ("http", "https") and host in LOCAL_HOSTS


def content_type(path: Path) -> str:
    """The Content-Type of a file we serve (``application/octet-stream`` when unknown)."""
    return CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


class Client:
    """One websocket client: a bounded queue of outgoing texts and the task that sends them."""

    def __init__(self, ws: web.WebSocketResponse, resync: Callable[[], str | None]) -> None:
        self.ws = ws
        self._resync = resync
        self._pending: deque[tuple[str, str]] = deque()
        self._ready = asyncio.Event()
        self.closed = False
        self.dropped = 0
        self.sent = 0

    def close(self) -> None:
        """Stop sending; the writer task ends (and closes the socket if still open)."""
        self.closed = True
        self._ready.set()

    def offer(self, text: str, kind: str) -> None:
        """Queue ``text`` (a message of type ``kind``); never waits."""
        if self.closed:
            return
        pending = self._pending
        pending.append((kind, text))
        if len(pending) > MAX_PENDING:
            ticks = sum(1 for k, _ in pending if k == "tick")
            kept = [(k, t) for k, t in pending if k not in ("tick", "hello")]
            self.dropped += ticks
            fresh = self._resync()
            pending.clear()
            if fresh is not None:
                pending.append(("hello", fresh))
            pending.extend(kept[-MAX_PENDING // 2 :])
        self._ready.set()

    async def run(self) -> None:
        """Send queued messages until the client goes away or is too slow."""
        try:
            while not self.closed:
                await self._ready.wait()
                self._ready.clear()
                while self._pending and not self.closed:
                    _, text = self._pending.popleft()
                    await asyncio.wait_for(self.ws.send_str(text), SEND_TIMEOUT)
                    self.sent += 1
        except (TimeoutError, ConnectionError, RuntimeError):
            pass
        finally:
            self.closed = True
            if not self.ws.closed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.ws.close(code=WSCloseCode.GOING_AWAY), SEND_TIMEOUT)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """``no-store`` for the API, ``nosniff`` everywhere; errors become plain 404s."""
    try:
        response = await handler(request)
    except web.HTTPException as problem:
        if problem.status == 404:
            problem.text = "not found\n"
        raise
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


class UiServer:
    """The web UI server, live (``live``) or replaying a run folder (``replay_dir``).

    Args:
        assets: The built front end (``index.html`` and ``assets/``).
        live: The live session to serve (it is started by :meth:`start`).
        replay_dir: The run folder to replay.
        host: The address to listen on (127.0.0.1 unless told otherwise).
        port: The port; 0 picks a free one.

    """

    def __init__(
        self,
        *,
        assets: Path,
        live: LiveSession | None = None,
        replay_dir: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if (live is None) == (replay_dir is None):
            raise UsageError("the web UI serves one live session or one run folder")
        self.assets = find_assets(assets)
        self.live = live
        self.host = host
        self.port = port
        self.clients: set[Client] = set()
        self._end: tuple[str, str] | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.replay_dir: Path | None = None
        self._replay_text = ""
        self._replay_traces: dict[str, dict[str, Any]] = {}
        self._replay: dict[str, Any] = {}
        if replay_dir is not None:
            self.replay_dir = replay_dir.resolve()
            self._replay, self._replay_traces = replay_document(self.replay_dir)
            self._replay_text = json.dumps(self._replay, separators=(",", ":"), allow_nan=False)
        self.app = self._make_app()

    @property
    def mode(self) -> str:
        """``live`` or ``replay``."""
        return "live" if self.live is not None else "replay"

    @property
    def url(self) -> str:
        """Where the page is."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[_headers], client_max_size=4096)
        routes = [
            web.get("/", self._index),
            web.get("/assets/{name}", self._asset),
            web.get("/api/session", self._session),
            web.get("/api/replay", self._replay_route),
            web.get("/api/traces", self._traces),
            web.get("/api/traces/{trace}", self._trace),
            web.get("/run/{name}", self._run_file),
            web.get("/ws", self._websocket),
        ]
        app.add_routes(routes)
        return app

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> str:
        """Listen, start the live session if any; returns the page's URL."""
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as problem:
            await runner.cleanup()
            raise UsageError(
                f"serve: cannot listen on {self.host}:{self.port}: "
                f"{problem.strerror or problem} (choose another --port, or 0 for a free one)"
            ) from None
        self._runner = runner
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        if self.live is not None:
            self.live.start(asyncio.get_running_loop(), self._publish)
        return self.url

    async def stop(self) -> None:
        """Stop the run, close every client and free the port."""
        if self.live is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.live.stop)
        for client in list(self.clients):
            client.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.ws.close(code=WSCloseCode.GOING_AWAY), 2.0)
        for task in list(self._tasks):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- live: from the run ------------------------------------------------------------------
    def _publish(self, text: str, message: Mapping[str, Any]) -> None:
        kind = str(message.get("type"))
        if kind == "end":
            self._end = (kind, text)
        for client in list(self.clients):
            client.offer(text, kind)

    def _hello_text(self) -> str | None:
        live = self.live
        hello = live.hello() if live is not None else None
        return None if hello is None else protocol.encode(hello)

    # -- routes --------------------------------------------------------------------------
    def _file(self, path: Path | None) -> web.FileResponse:
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Content-Type": content_type(path)})

    async def _index(self, request: web.Request) -> web.StreamResponse:
        response = self._file(safe_file(self.assets, "index.html"))
        response.headers["Cache-Control"] = "no-cache"
        return response

    async def _asset(self, request: web.Request) -> web.StreamResponse:
        folder = self.assets / "assets"
        if not folder.is_dir():
            raise web.HTTPNotFound()
        resolved = folder.resolve()
        if resolved.parent != self.assets:
            raise web.HTTPNotFound()
        return self._file(safe_file(resolved, request.match_info["name"]))

    async def _run_file(self, request: web.Request) -> web.StreamResponse:
        if self.replay_dir is None:
            raise web.HTTPNotFound()
        return self._file(safe_file(self.replay_dir, request.match_info["name"]))

    async def _session(self, request: web.Request) -> web.StreamResponse:
        if self.live is not None:
            arch, source = self.live.arch.arch, self.live.source
        else:
            arch, source = str(self._replay.get("arch", "")), str(self._replay.get("source", ""))
        return web.json_response(
            {"protocol": protocol.PROTOCOL, "mode": self.mode, "arch": arch, "source": source}
        )

    async def _replay_route(self, request: web.Request) -> web.StreamResponse:
        if self.replay_dir is None:
            raise web.HTTPNotFound()
        return web.Response(text=self._replay_text, content_type="application/json")

    def _trace_store(self) -> tuple[list[dict[str, Any]], Mapping[str, dict[str, Any]]]:
        if self.live is not None:
            snap = self.live.snapshot
            if snap is None:
                return [], {}
            return list(snap.traces), snap.trace_data
        return list(self._replay.get("traces", [])), self._replay_traces

    async def _traces(self, request: web.Request) -> web.StreamResponse:
        lines, _ = self._trace_store()
        return web.json_response(lines)

    async def _trace(self, request: web.Request) -> web.StreamResponse:
        _, data = self._trace_store()
        trace = data.get(request.match_info["trace"])
        if trace is None:
            raise web.HTTPNotFound()
        return web.json_response(protocol.json_safe(trace))

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        live = self.live
        if live is None:
            raise web.HTTPNotFound()
        if not same_origin(request):
            # browsers let any page open a websocket anywhere: only our own page may drive chaos
            raise web.HTTPForbidden(text="the websocket takes connections from this page only\n")
        ws = web.WebSocketResponse(max_msg_size=protocol.MAX_MESSAGE_BYTES, heartbeat=30.0)
        await ws.prepare(request)
        client = Client(ws, self._hello_text)
        writer = asyncio.get_running_loop().create_task(client.run())
        self._tasks.add(writer)
        writer.add_done_callback(self._tasks.discard)
        try:
            hello = await self._first_hello()
            if hello is None:
                await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"the run did not start")
                return ws
            client.offer(hello, "hello")
            if self._end is not None:
                client.offer(self._end[1], "end")
            self.clients.add(client)
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._receive(client, message.data)
                elif message.type == WSMsgType.BINARY:
                    reply = protocol.error(None, "binary messages are not allowed (send JSON text)")
                    client.offer(protocol.encode(reply), "error")
                else:
                    break
        finally:
            self.clients.discard(client)
            client.close()
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(), 2.0)
        return ws

    async def _first_hello(self) -> str | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HELLO_TIMEOUT
        while True:
            text = self._hello_text()
            if text is not None or loop.time() > deadline:
                return text
            await asyncio.sleep(0.02)

    def _receive(self, client: Client, data: str) -> None:
        live = self.live
        if live is None:
            return
        try:
            command = protocol.parse_message(data)
        except protocol.ValidationError as problem:
            client.offer(protocol.encode(protocol.error(problem.ident, str(problem))), "error")
            if problem.too_large:
                client.close()
                task = asyncio.get_running_loop().create_task(
                    client.ws.close(code=WSCloseCode.MESSAGE_TOO_BIG)
                )
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            return

        def reply(message: Mapping[str, Any]) -> None:
            client.offer(protocol.encode(message), str(message.get("type")))

        live.submit(command, reply)
