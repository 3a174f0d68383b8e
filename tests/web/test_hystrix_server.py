"""The live hystrix.stream: a real server on 127.0.0.1 read by real HTTP clients.

Every read has a socket timeout and every wait a deadline, so no test can hang.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from monkeyhouse.errors import UsageError
from monkeyhouse.exporters.hystrixstream import stream_events
from monkeyhouse.model import resolve_architecture
from monkeyhouse.patterns.command import CommandStatistics
from monkeyhouse.scenarios.paced import PacedDriver
from monkeyhouse.scenarios.simulation import RunOptions, RunSummary, Simulation
from monkeyhouse.web.hystrixserver import HystrixLiveStream, HystrixStreamServer

TIMEOUT = 5.0
#: 2016-12-19T00:00:00Z, the run's epoch, in Unix milliseconds
EPOCH_MS = 1_482_105_600_000


def snapshot(time: float, caller: str = "zuul", isolation: str = "THREAD") -> CommandStatistics:
    counts = {"SUCCESS": 8, "FAILURE": 1, "TIMEOUT": 1}
    return CommandStatistics(
        caller=caller,
        dependency="karyon",
        time=time,
        hosts=2,
        rolling=counts,
        cumulative=counts,
        request_count=10,
        error_count=2,
        error_percentage=20,
        open=0,
        half_open=0,
        breakers=2,
        concurrent=1,
        rolling_max_concurrent=1,
        latency_execute={p: 3.0 for p in (0.0, 50.0, 100.0)},
        latency_execute_mean=3.0,
        latency_total={p: 3.0 for p in (0.0, 50.0, 100.0)},
        latency_total_mean=3.0,
        timeout_ms=250.0,
        isolation=isolation,
        pool_size=10,
        pool_queue=0,
        pool_active=1,
        pool_queued=0,
        breaker_settings={},
    )


class Producer:
    """Publishes a push every ``every`` seconds from its own thread: two commands, one pool."""

    def __init__(self, server: HystrixStreamServer, every: float = 0.05) -> None:
        self.server = server
        self.every = every
        self.pushes = 0
        self.longest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.pushes += 1
            sim_time = self.pushes * 0.5
            snapshots = [snapshot(sim_time), snapshot(sim_time, "api", isolation="SEMAPHORE")]
            started = time.perf_counter()
            self.server.publish(stream_events(snapshots))
            self.longest = max(self.longest, time.perf_counter() - started)
            self._stop.wait(self.every)

    def __enter__(self) -> Producer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(TIMEOUT)


@pytest.fixture
def server() -> Iterator[HystrixStreamServer]:
    with HystrixStreamServer(port=0, interval=0.1) as live:
        yield live


def connect(server: HystrixStreamServer, path: str = "/hystrix.stream") -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    conn.request("GET", path)
    return conn.getresponse()


def read_events(response: http.client.HTTPResponse, count: int) -> list[dict[str, Any]]:
    """The next ``count`` ``data:`` events, parsed; comments and blank lines skipped."""
    deadline = time.monotonic() + TIMEOUT
    events: list[dict[str, Any]] = []
    while len(events) < count:
        assert time.monotonic() < deadline, f"only {len(events)} events in {TIMEOUT} s"
        line = response.readline()
        assert line, "the stream ended"
        if line.startswith(b"data: "):
            assert line.endswith(b"\n")
            events.append(json.loads(line[len(b"data: ") :]))
    return events


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_port_zero_picks_a_free_port_on_localhost(server: HystrixStreamServer) -> None:
    assert server.host == "127.0.0.1"
    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}/hystrix.stream"


def test_a_client_reads_commands_and_thread_pools(server: HystrixStreamServer) -> None:
    with Producer(server):
        response = connect(server)
        assert response.status == 200
        assert response.getheader("Content-Type", "").startswith("text/event-stream")
        events = read_events(response, 9)
        response.close()
    types = {(e["type"], e["name"]) for e in events}
    assert types == {
        ("HystrixCommand", "zuul->karyon"),
        ("HystrixCommand", "api->karyon"),
        ("HystrixThreadPool", "zuul.karyon"),
    }
    command = next(e for e in events if e["name"] == "zuul->karyon")
    assert command["group"] == "zuul"
    assert command["reportingHosts"] == 2
    assert command["errorPercentage"] == 40  # 20 % x 2 hosts, Turbine style
    assert command["rollingCountSuccess"] == 8
    assert command["isCircuitBreakerOpen"] is False
    assert command["propertyValue_executionTimeoutInMilliseconds"] == 250
    assert type(command["currentTime"]) is int
    assert all(type(v) is int for v in command["latencyExecute"].values())
    pool = next(e for e in events if e["type"] == "HystrixThreadPool")
    assert pool["currentPoolSize"] == 20
    assert pool["rollingCountThreadsExecuted"] == 10
    # each push is sent whole and once: simulated time never goes backwards per command
    times = [e["currentTime"] for e in events if e["name"] == "zuul->karyon"]
    assert times == sorted(times)


def test_pings_while_nothing_is_published(server: HystrixStreamServer) -> None:
    response = connect(server)
    assert response.status == 200
    lines = [response.readline() for _ in range(4)]
    response.close()
    assert lines == [b": ping\n", b"\n", b": ping\n", b"\n"]


def test_a_new_client_gets_the_latest_push_at_once(server: HystrixStreamServer) -> None:
    server.publish(stream_events([snapshot(1.0)]))
    response = connect(server)
    started = time.monotonic()
    events = read_events(response, 2)
    response.close()
    assert [e["type"] for e in events] == ["HystrixCommand", "HystrixThreadPool"]
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("path", ["/", "/hystrix", "/hystrix.stream/x", "/favicon.ico"])
def test_other_paths_are_not_found(server: HystrixStreamServer, path: str) -> None:
    response = connect(server, path)
    assert response.status == 404
    assert b"/hystrix.stream" in response.read()


def test_a_query_string_is_accepted(server: HystrixStreamServer) -> None:
    server.publish(stream_events([snapshot(1.0)]))
    response = connect(server, "/hystrix.stream?delay=500")
    assert response.status == 200
    assert read_events(response, 1)[0]["type"] == "HystrixCommand"
    response.close()


def test_a_client_leaving_mid_stream_disturbs_no_one(server: HystrixStreamServer) -> None:
    with Producer(server) as producer:
        leaving = connect(server)
        staying = connect(server)
        read_events(leaving, 3)
        read_events(staying, 3)
        wait_for(lambda: server.hub.clients == 2, "two clients")
        # hang up abruptly, mid-stream, without reading what is in flight
        leaving.close()  # closes the connection's socket (the response owns it)
        wait_for(lambda: server.hub.clients == 1, "the leaving client's thread to end")
        pushes_before = producer.pushes
        events = read_events(staying, 9)
        assert producer.pushes > pushes_before  # the producer went on
    assert {e["type"] for e in events} == {"HystrixCommand", "HystrixThreadPool"}
    assert producer.longest < 0.5  # publishing never waited on a client
    staying.close()
    assert server.hub.served == 2


def test_many_clients_at_once(server: HystrixStreamServer) -> None:
    with Producer(server):
        responses = [connect(server) for _ in range(5)]
        for response in responses:
            assert {e["type"] for e in read_events(response, 6)} == {
                "HystrixCommand",
                "HystrixThreadPool",
            }
            response.close()


def test_close_ends_every_stream() -> None:
    live = HystrixStreamServer(port=0, interval=0.1).start()
    response = connect(live)
    assert response.readline() == b": ping\n"
    live.close()
    deadline = time.monotonic() + TIMEOUT
    while response.readline():
        assert time.monotonic() < deadline
    response.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", live.port), timeout=1.0).close()


def test_a_busy_port_is_a_usage_error(server: HystrixStreamServer) -> None:
    with pytest.raises(UsageError, match=rf"127\.0\.0\.1:{server.port}.*another port"):
        HystrixStreamServer(port=server.port)


def test_bad_arguments_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="not a port"):
        HystrixStreamServer(port=70000)
    with pytest.raises(UsageError, match="interval"):
        HystrixStreamServer(interval=0)


def test_snapshot_helper_is_valid() -> None:
    # the thread pool appears only for THREAD isolation
    assert len(stream_events([replace(snapshot(0.0), isolation="NONE")])) == 1


def test_a_paced_netflixoss_run_streams_its_real_commands() -> None:
    arch = resolve_architecture("netflixoss", cwd=Path.cwd(), step=0)
    edges = {
        f"{service.name}->{dependency}"
        for service in arch.services
        for dependency in service.dependency_names
    }
    sim = Simulation(arch, RunOptions(duration=4.0, seed=1))
    live = HystrixLiveStream(port=0, interval=0.1)
    driver = PacedDriver(10.0, push_interval=0.05, on_push=live.push)
    live.start()
    summaries: list[RunSummary] = []
    runner = threading.Thread(target=lambda: summaries.append(driver.drive(sim)), daemon=True)
    try:
        response = http.client.HTTPConnection("127.0.0.1", live.server.port, timeout=TIMEOUT)
        response.request("GET", "/hystrix.stream")
        stream = response.getresponse()
        runner.start()
        events = read_events(stream, 40)
        stream.close()
        runner.join(TIMEOUT)
    finally:
        live.close()
    assert not runner.is_alive()
    assert summaries[0].status == "complete"
    built = Counter(instance.service.name for instance in sim.instances)
    commands = [e for e in events if e["type"] == "HystrixCommand"]
    pools = [e for e in events if e["type"] == "HystrixThreadPool"]
    assert commands
    assert pools
    names = {e["name"] for e in commands}
    assert names <= edges  # every command is a real caller->dependency edge of the file
    assert "wwwproxy->homepage" in names
    for event in commands:
        caller = event["name"].split("->")[0]
        assert event["group"] == caller
        # the caller's instances alive at that push: at least one, at most all it had
        assert 1 <= event["reportingHosts"] <= built[caller]
    busy = [e for e in commands if e["rollingCountSuccess"] > 0]
    assert busy, "traffic flowed through some command"
    times = [e["currentTime"] for e in commands]
    assert min(times) >= EPOCH_MS
    assert max(times) <= EPOCH_MS + 4000
    assert {p["name"] for p in pools} <= {n.replace("->", ".") for n in names}
