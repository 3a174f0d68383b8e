"""A live ``GET /hystrix.stream``: server-sent events the Hystrix dashboard reads.

The run publishes one push at a time (a list of ``HystrixCommand`` and ``HystrixThreadPool``
objects, see :mod:`monkeyhouse.exporters.hystrixstream`); every connected client receives each
push once, as one ``data: {json}`` event per object. When a push interval goes by with nothing
new (a paused run, a run not started yet), clients receive a ``: ping`` comment, which keeps
proxies and the dashboard's connection alive and which event-stream readers ignore.

Each client has its own thread that waits for the next push and writes it; the run only swaps
in the new push and wakes them. So a slow client delays only itself (and is dropped after
``write_timeout`` seconds stuck), and a client that disconnects ends its own thread at its next
write, nothing else. Any other path answers 404.
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from monkeyhouse.errors import UsageError
from monkeyhouse.exporters.hystrixstream import stream_events, to_json
from monkeyhouse.scenarios.simulation import Simulation

STREAM_PATH = "/hystrix.stream"
PING = b": ping\n\n"
DEFAULT_INTERVAL = 0.5


def encode_events(events: Iterable[Mapping[str, Any]]) -> bytes:
    """Server-sent events framing: ``data: {json}`` and a blank line per object."""
    return b"".join(b"data: " + to_json(event).encode("utf-8") + b"\n\n" for event in events)


class StreamHub:
    """The latest push and the clients waiting for the next one (thread-safe)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._payload = b""
        self._version = 0
        self._closed = False
        self._clients = 0
        self._served = 0

    def publish(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Make ``events`` the latest push and wake every client."""
        payload = encode_events(events)
        with self._condition:
            self._payload = payload
            self._version += 1
            self._condition.notify_all()

    def next_push(self, seen: int, timeout: float) -> tuple[int, bytes | None]:
        """Wait up to ``timeout`` seconds for a push newer than version ``seen``.

        Returns the newest version and its payload, or ``(seen, None)`` when nothing new came
        (or the hub closed).
        """
        with self._condition:
            self._condition.wait_for(lambda: self._version != seen or self._closed, timeout)
            if self._closed or self._version == seen:
                return seen, None
            return self._version, self._payload

    def close(self) -> None:
        """Stop serving: every client's loop ends at once."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def client_joined(self) -> None:
        """Count a client that starts reading the stream."""
        with self._condition:
            self._clients += 1
            self._served += 1

    def client_left(self) -> None:
        """Count a client whose stream ended."""
        with self._condition:
            self._clients -= 1

    @property
    def clients(self) -> int:
        """Clients connected to the stream now."""
        return self._clients

    @property
    def served(self) -> int:
        """Clients that have connected since the start."""
        return self._served


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hub: StreamHub
    interval: float


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "monkeyhouse"

    def do_GET(self) -> None:
        if urlsplit(self.path).path != STREAM_PATH:
            body = f"not found: the stream is at {STREAM_PATH}\n".encode()
            self.send_response(404)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        hub = self.server.hub
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
        self.send_header("Pragma", "no-cache")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        hub.client_joined()
        try:
            self._stream(hub, self.server.interval)
        except OSError:  # the client went away (broken pipe, reset) or stopped reading
            pass
        finally:
            hub.client_left()
            self.close_connection = True

    def _stream(self, hub: StreamHub, interval: float) -> None:
        # The latest push at once, then each new one; a ping after a quiet interval (with half
        # an interval of grace, so that a push arriving on time is not preceded by a ping) or
        # for an empty push.
        seen, payload = hub.next_push(-1, 0.0)
        while not hub.closed:
            self.wfile.write(payload or PING)
            self.wfile.flush()
            seen, payload = hub.next_push(seen, interval * 1.5)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the run's stderr is for the run."""


class HystrixStreamServer:
    """``http://HOST:PORT/hystrix.stream`` served from background threads.

    Args:
        host: The address to listen on (127.0.0.1 unless told otherwise).
        port: The port; 0 picks a free one (see :attr:`port`).
        interval: Seconds of quiet after which a client receives a ``: ping``.
        write_timeout: Seconds a client may leave a write blocked before it is dropped.

    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        interval: float = DEFAULT_INTERVAL,
        write_timeout: float = 10.0,
    ) -> None:
        if not interval > 0:
            raise UsageError(f"hystrix.stream: interval {interval:g} must be > 0 seconds")
        if not 0 <= port <= 65535:
            raise UsageError(f"hystrix.stream: port {port} is not a port (0 to 65535)")
        self.hub = StreamHub()
        handler = type("StreamHandler", (_Handler,), {"timeout": write_timeout})
        try:
            self._server = _Server((host, port), handler)
        except OSError as error:
            fix = (
                "choose another port, or 0 for a free one"
                if error.errno == errno.EADDRINUSE
                else "give an address of this machine, such as 127.0.0.1"
            )
            raise UsageError(
                f"hystrix.stream: cannot listen on {host}:{port}: {error.strerror or error} ({fix})"
            ) from None
        self._server.hub = self.hub
        self._server.interval = interval
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        """The address listened on."""
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        """The port listened on (the one picked when 0 was asked)."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The stream's URL, for the dashboard or ``curl -N``."""
        return f"http://{self.host}:{self.port}{STREAM_PATH}"

    def start(self) -> HystrixStreamServer:
        """Accept clients from a background thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="hystrix-stream",
                daemon=True,
            )
            self._thread.start()
        return self

    def publish(self, events: Iterable[Mapping[str, Any]]) -> None:
        """Send ``events`` (one push) to every client."""
        self.hub.publish(events)

    def close(self) -> None:
        """End every client's stream, stop accepting and free the port."""
        self.hub.close()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5.0)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> HystrixStreamServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class HystrixLiveStream:
    """The ``hystrix`` live output of a paced run: a stream server fed with the run's commands.

    Registered as the ``hystrix`` plug-in of the ``monkeyhouse.live`` entry point group, which
    ``monkeyhouse run --hystrix-stream`` loads.

    Args:
        port: The port; 0 picks a free one.
        interval: Seconds of quiet after which clients receive a ping.
        wall: Stamp events with the wall clock instead of the run's epoch plus simulated time.
        host: The address to listen on.

    """

    def __init__(
        self,
        port: int = 0,
        *,
        interval: float = DEFAULT_INTERVAL,
        wall: bool = False,
        host: str = "127.0.0.1",
    ) -> None:
        self.server = HystrixStreamServer(host, port, interval=interval)
        self.wall = wall

    @property
    def url(self) -> str:
        """The stream's URL."""
        return self.server.url

    def start(self) -> HystrixLiveStream:
        """Begin serving; returns self."""
        self.server.start()
        return self

    def push(self, simulation: Simulation) -> None:
        """Publish every command of ``simulation`` (and its thread pools) as one push."""
        self.server.publish(stream_events(simulation.commands(), wall=self.wall))

    def close(self) -> None:
        """End every stream and free the port."""
        self.server.close()
