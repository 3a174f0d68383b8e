"""Live mode end to end: a real server on 127.0.0.1, real websocket clients, a paced simulation.

Every wait is bounded (ui_helpers.TIMEOUT); runs are paced fast and short.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from ui_helpers import TIMEOUT, connected, fake_assets, receive, run, running, session, until

from monkeyhouse.web.live import LiveSession


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    return fake_assets(tmp_path / "static")


def is_tick(message: dict[str, Any]) -> bool:
    return bool(message["type"] == "tick")


def reply_to(ident: int) -> Any:
    return lambda m: m["type"] in ("ack", "error") and m.get("id") == ident


def test_hello_then_ticks_and_the_session_route(assets: Path) -> None:
    async def scenario() -> None:
        async with running(assets, session()) as (server, url), aiohttp.ClientSession() as http:
            assert server.host == "127.0.0.1"
            async with http.get(url + "api/session") as response:
                assert response.status == 200
                assert response.headers["Cache-Control"] == "no-store"
                assert response.headers["Content-Type"].startswith("application/json")
                assert await response.json() == {
                    "protocol": 1,
                    "mode": "live",
                    "arch": "netflixoss",
                    "source": "catalog:netflixoss",
                }
            for path in ("api/replay", "run/graph.json", "nothing", "api/traces/nope"):
                async with http.get(url + path) as response:
                    assert response.status == 404, path
            async with http.ws_connect(url + "ws") as ws:
                hello = await receive(ws)
                assert hello["type"] == "hello"
                assert hello["arch"] == "netflixoss" and hello["duration"] == 600.0
                topology = hello["topology"]
                assert len(topology["instances"]) == 65
                assert [s["id"] for s in topology["services"]] == list(range(8))
                tick = await until(ws, is_tick, "a tick")
                assert tick["live"] == 65
                assert len(tick["services"]["rate"]) == 8 == len(tick["services"]["live"])
                assert len(tick["edges"]["rate"]) == len(topology["edges"])
                later = await until(ws, lambda m: is_tick(m) and m["t"] > 2.0, "t > 2")
                assert later["services"]["rate"][-1] == 0.0  # nobody calls the entry point
                assert sum(later["services"]["rate"]) > 0
                assert {c["caller"] for c in later["commands"]} >= {"login", "homepage"}

    run(scenario())


def test_the_server_listens_on_127_0_0_1_only(assets: Path) -> None:
    async def scenario() -> None:
        async with running(assets, session()) as (server, _):
            assert server._runner is not None
            addresses = [a for a in server._runner.addresses]
            assert addresses and all(a[0] == "127.0.0.1" for a in addresses)

    run(scenario())


BAD_MESSAGES = [
    "not json",
    "[1, 2]",
    '{"type": "chaos", "id": 1, "action": "format_disk"}',
    '{"type": "operator", "id": 1, "action": "pause"}',
    '{"type": "chaos", "id": 2, "action": "kill_instances", "service": "homepage"}',
    '{"type": "chaos", "id": 3, "action": "kill_instances", "service": "homepage", "count": 1, '
    '"x": 1}',
    '{"type": "chaos", "id": 4, "action": "kill_instances", "service": "homepage", "count": true}',
    '{"type": "control", "id": 5, "action": "speed", "speed": NaN}',
    '{"type": "chaos", "id": 6, "action": "kill_instances", "service": "cart", "count": 1}',
    '{"type": "chaos", "id": 7, "action": "kill_instance", "instance": "netflixoss.x.y.z00"}',
    '{"type": "chaos", "id": 8, "action": "fail_zone", "region": "us-east-1", "zone": "zoneQ"}',
    '{"type": "chaos", "id": 9, "action": "fail_region", "region": "mars-1"}',
    '{"type": "chaos", "id": 10, "action": "partition", "a": "us-east-1", "b": "us-east-1"}',
    '{"type": "chaos", "id": 11, "action": "remove_fault", "fault": 99}',
    '{"type": "chaos", "id": 12, "action": "add_latency", "service": "subscriber", '
    '"latency_ms": 10, "error_rate": 0, "caller": "nobody"}',
]


def test_every_bad_message_is_answered_with_an_error_and_nothing_is_applied(
    assets: Path,
) -> None:
    live = session()

    async def scenario() -> None:
        async with connected(assets, live) as (_, _url, _http, ws):
            await receive(ws)
            errors = []
            for message in BAD_MESSAGES:
                await ws.send_str(message)
                errors.append(await until(ws, lambda m: m["type"] in ("error", "ack"), message))
            assert [e["type"] for e in errors] == ["error"] * len(BAD_MESSAGES)
            messages = {e["id"]: e["message"] for e in errors if e["id"] is not None}
            assert "known: cassSubscriber, evcacheSubscriber" in messages[6]
            assert "live instances: netflixoss" in messages[7]
            assert "known zones: zoneA, zoneB, zoneC" in messages[8]
            assert "known: us-east-1" in messages[9]
            assert "no fault 99" in messages[11]
            assert "unknown service 'nobody'" in messages[12]
            tick = await until(ws, is_tick, "a tick after the refusals")
            assert tick["live"] == 65
            assert tick["faults"] == []
            # the connection is still usable
            await ws.send_str(json.dumps({"type": "control", "id": 50, "action": "resume"}))
            assert (await until(ws, reply_to(50), "the ack"))["type"] == "ack"
        assert live.simulation.chaos_log == []
        assert live.simulation.faults == []

    run(scenario())


def test_an_oversized_message_closes_the_connection_with_1009(assets: Path) -> None:
    live = session()

    async def scenario() -> None:
        async with connected(assets, live) as (_, url, http, ws):
            await receive(ws)
            big = json.dumps(
                {"type": "chaos", "id": 1, "action": "kill_instance", "instance": "x" * 5000}
            )
            await ws.send_str(big)
            deadline = time.monotonic() + TIMEOUT
            while True:
                message = await asyncio.wait_for(ws.receive(), TIMEOUT)
                if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    break
                assert time.monotonic() < deadline
            assert ws.close_code == 1009
            # the server and the run go on
            async with http.ws_connect(url + "ws") as again:
                assert (await receive(again))["type"] == "hello"
        assert live.simulation.chaos_log == []

    run(scenario())


def test_kill_instance_drops_live_in_the_next_tick_and_is_in_the_chaos_log(assets: Path) -> None:
    live = session()
    victim = "netflixoss.us-east-1.zoneB.homepage04"

    async def scenario() -> None:
        async with connected(assets, live) as (_, url, http, ws):
            hello = await receive(ws)
            ident = next(i["id"] for i in hello["topology"]["instances"] if i["name"] == victim)
            await ws.send_str(
                json.dumps(
                    {"type": "chaos", "id": 7, "action": "kill_instance", "instance": victim}
                )
            )
            ack = await until(ws, reply_to(7), "the ack")
            assert ack == {"type": "ack", "id": 7, "result": {"killed": [victim]}}
            tick = await until(ws, is_tick, "the next tick")
            assert tick["live"] == 64
            assert tick["services"]["live"][4] == 23  # homepage
            assert [d[0] for d in tick["died"]] == [ident]
            assert [c["detail"] for c in tick["chaos"]] == [f"killed {victim}"]
            assert tick["chaos"][0]["action"] == "chaos-monkey"
            async with http.ws_connect(url + "ws") as late:
                hello = await receive(late)
                [entry] = [i for i in hello["topology"]["instances"] if i["name"] == victim]
                assert entry["died"] is not None
        record = live.simulation.chaos_log[0]
        assert (record.action, record.detail) == ("chaos-monkey", f"killed {victim}")

    run(scenario())


def test_added_latency_on_subscriber_opens_breakers_within_seconds(assets: Path) -> None:
    live = session(speed=20.0, push_interval=0.1)

    async def scenario() -> None:
        async with connected(assets, live) as (_, _url, _http, ws):
            await receive(ws)
            await ws.send_str(
                json.dumps(
                    {
                        "type": "chaos",
                        "id": 1,
                        "action": "add_latency",
                        "service": "subscriber",
                        "latency_ms": 2000,
                        "error_rate": 0,
                    }
                )
            )
            ack = await until(ws, reply_to(1), "the ack")
            assert ack["type"] == "ack"
            fault = ack["result"]["fault"]
            assert (fault["kind"], fault["target"], fault["active"]) == (
                "latency-monkey",
                "subscriber",
                True,
            )
            start = ack_time = fault["since"]

            def opened(message: dict[str, Any]) -> bool:
                return is_tick(message) and any(c["open"] > 0 for c in message["commands"])

            # Calls to subscriber time out after Hystrix's 1 s; karyon then answers late, so
            # Zuul's calls to it time out too, and Zuul's breakers (6 busy instances) open
            # first, within a few simulated seconds.
            tick = await until(ws, opened, "a breaker to open")
            assert tick["t"] - start < 10.0  # simulated seconds
            opened_names = {c["name"] for c in tick["commands"] if c["open"] > 0}
            assert opened_names <= {
                "wwwproxy->login",
                "wwwproxy->homepage",
                "login->subscriber",
                "homepage->subscriber",
            }
            [command] = [c for c in tick["commands"] if c["name"] == "login->subscriber"]
            assert command["counts"]["timeout"] > 0
            assert command["open"] + command["half_open"] + command["closed"] == 18
            assert tick["faults"] == [
                {
                    "id": 1,
                    "kind": "latency-monkey",
                    "target": "subscriber",
                    "since": ack_time,
                    "active": True,
                }
            ]
            await ws.send_str(
                json.dumps({"type": "chaos", "id": 2, "action": "remove_fault", "fault": 1})
            )
            removed = await until(ws, reply_to(2), "the removal")
            assert removed["result"]["fault"]["active"] is False

    run(scenario(), limit=90.0)


def test_pause_holds_t_and_speed_changes_the_pace(assets: Path) -> None:
    async def scenario() -> None:
        async with connected(assets, session(speed=5.0)) as (_, _url, _http, ws):
            await receive(ws)
            await ws.send_str(json.dumps({"type": "control", "id": 1, "action": "pause"}))
            ack = await until(ws, reply_to(1), "the pause")
            assert ack["result"]["paused"] is True
            held = await until(ws, lambda m: is_tick(m) and m["paused"], "a paused tick")
            for _ in range(4):
                tick = await until(ws, is_tick, "ticks while paused")
                assert tick["paused"] and tick["t"] == held["t"]
            # commands still apply at once while paused
            victim = "netflixoss.us-east-1.zoneA.login00"
            await ws.send_str(
                json.dumps(
                    {"type": "chaos", "id": 2, "action": "kill_instance", "instance": victim}
                )
            )
            assert (await until(ws, reply_to(2), "a kill while paused"))["type"] == "ack"
            tick = await until(ws, is_tick, "the tick after the kill")
            assert tick["live"] == 64 and tick["t"] == held["t"]

            async def pace(speed: float) -> float:
                await ws.send_str(
                    json.dumps({"type": "control", "id": 3, "action": "speed", "speed": speed})
                )
                await until(ws, reply_to(3), "the speed")
                first = await until(ws, lambda m: is_tick(m) and m["speed"] == speed, "tick")
                wall = time.monotonic()
                last = first
                while time.monotonic() - wall < 1.0:
                    last = await until(ws, is_tick, "a later tick")
                return float(last["t"] - first["t"]) / (time.monotonic() - wall)

            await ws.send_str(json.dumps({"type": "control", "id": 4, "action": "resume"}))
            assert (await until(ws, reply_to(4), "the resume"))["result"]["paused"] is False
            slow = await pace(2.0)
            fast = await pace(20.0)
            assert 0.5 < slow < 4.0
            assert fast > 3 * slow

    run(scenario())


def test_the_end_is_announced_and_the_last_state_stays(assets: Path) -> None:
    live = session(duration=3.0, speed=20.0)

    async def scenario() -> None:
        async with connected(assets, live) as (_, url, http, ws):
            await receive(ws)
            end = await until(ws, lambda m: m["type"] == "end", "the end")
            assert end == {"type": "end", "status": "complete", "t": 3.0}
            await ws.send_str(json.dumps({"type": "control", "id": 9, "action": "pause"}))
            refused = await until(ws, reply_to(9), "the refusal")
            assert refused["type"] == "error" and "the run is over" in refused["message"]
            assert not ws.closed
            async with http.ws_connect(url + "ws") as late:
                hello = await receive(late)
                assert hello["type"] == "hello" and hello["t"] == 3.0
                # the run's end (instances deregistering) is not drawn as deaths: only the
                # victim Chaos Monkey took at half time died
                dead = [i for i in hello["topology"]["instances"] if i["died"] is not None]
                assert [(i["name"].split(".")[3][:8], i["died"]) for i in dead] == [
                    ("homepage", 1.5)
                ]
                assert (await receive(late))["type"] == "end"
            async with http.get(url + "api/traces") as response:
                traces = await response.json()
                assert traces and response.headers["Cache-Control"] == "no-store"
            one = traces[0]
            assert one["root"] == "www" and one["spans"] > 2
            async with http.get(url + f"api/traces/{one['trace']}") as response:
                trace = await response.json()
            assert trace["trace"] == one["trace"] and len(trace["spans"]) == one["spans"]
            root = trace["spans"][0]
            assert root["parent"] is None and root["start_ms"] == 0.0
            assert {s["kind"] for s in trace["spans"]} == {"CLIENT", "SERVER"}
        assert live.status == "complete"

    run(scenario())


def _raw_websocket(port: int) -> socket.socket:
    """A websocket client that completes the handshake and then never reads again."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: a small window
    sock.settimeout(TIMEOUT)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    answer = sock.recv(1024)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


def test_clients_that_vanish_or_never_read_do_not_disturb_the_run(assets: Path) -> None:
    speed = 10.0
    live: LiveSession = session(speed=speed, push_interval=0.02)

    async def scenario() -> None:
        async with connected(assets, live) as (server, _url, _http, watcher):
            await receive(watcher)
            sleeper = await asyncio.to_thread(_raw_websocket, server.port)
            # a client closed abruptly mid-stream (no close frame, a reset)
            crasher = await asyncio.to_thread(_raw_websocket, server.port)
            await asyncio.sleep(0.3)
            crasher.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            crasher.close()
            first = await until(watcher, is_tick, "a tick")
            wall = time.monotonic()
            received = 0
            # read on until the client that never reads has had ticks dropped
            while time.monotonic() - wall < 2.0 or not any(c.dropped for c in server.clients):
                assert time.monotonic() - wall < TIMEOUT, "no tick was ever dropped"
                message = await receive(watcher)
                received += is_tick(message)
            last_t = message["t"]
            elapsed = time.monotonic() - wall
            assert received > 20 * elapsed  # about 50 a second
            rate = (last_t - first["t"]) / elapsed
            assert rate > 0.7 * speed, f"the run fell behind: {rate:.1f} simulated s per s"
            assert len(server.clients) == 2  # the watcher and the sleeper; the crasher left
            assert all(len(c._pending) <= 16 for c in server.clients)
            sleeper.close()

    run(scenario())


def test_a_page_of_another_origin_cannot_open_the_websocket(assets: Path) -> None:
    async def scenario() -> None:
        async with running(assets, session()) as (_, url), aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(url + "ws", origin="http://evil.example")
            assert refused.value.status == 403
            for origin in ("http://127.0.0.1.evil.example", "http://localhost.evil.example:80"):
                with pytest.raises(aiohttp.WSServerHandshakeError):
                    await http.ws_connect(url + "ws", origin=origin)
            for origin in (url.rstrip("/"), "http://localhost:5173", "http://[::1]:5173"):
                async with http.ws_connect(url + "ws", origin=origin) as ws:
                    assert (await receive(ws))["type"] == "hello"

    run(scenario())
