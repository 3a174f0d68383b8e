"""``monkeyhouse run --pace/--hystrix-stream``: option errors, and a real process streamed and
interrupted with Ctrl-C (SIGINT), read by a real HTTP client. Every wait is bounded."""

from __future__ import annotations

import http.client
import io
import json
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from monkeyhouse.cli.main import main

TIMEOUT = 20.0
#: 2016-12-19T00:00:00Z, the run's epoch, in Unix milliseconds
EPOCH_MS = 1_482_105_600_000


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(args), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hystrix-stream", "arch.yaml"], "--hystrix-stream: 'arch.yaml' is not a port"),
        (["--hystrix-stream", "70000"], "--hystrix-stream: 70000 is not a port"),
        (["--pace", "0"], "--pace: 0 must be a positive speed"),
        (["--pace", "nan"], "--pace: nan must be a positive speed"),
        (["--pace", "2", "--push-interval", "0"], "--push-interval: 0 must be a positive"),
        (
            ["--hystrix-stream", "--stream-host", "192.0.2.1"],
            "hystrix.stream: cannot listen on 192.0.2.1:0",
        ),
    ],
)
def test_bad_live_options_are_one_line_errors(
    tmp_path: Path, args: list[str], message: str
) -> None:
    status, _, err = run_cli("run", "-d", "1", "--out", str(tmp_path / "run"), *args)
    assert status == 2
    assert err.startswith(f"monkeyhouse: {message}")
    assert err.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_a_paced_run_with_a_stream_prints_the_url_and_writes_its_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    started = time.perf_counter()
    status, _, err = run_cli(
        "run", "-d", "2", "--pace", "20", "--hystrix-stream", "--out", str(out), "-q"
    )
    assert status == 0
    assert 0.1 <= time.perf_counter() - started < 10.0
    assert err.startswith("hystrix.stream: http://127.0.0.1:")
    assert err.rstrip().endswith("/hystrix.stream")
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "complete"
    assert manifest["summary"]["simulated_seconds"] == 2.0


def test_pace_alone_runs_paced_without_a_stream(tmp_path: Path) -> None:
    started = time.perf_counter()
    status, _, err = run_cli("run", "-d", "1", "--pace", "10", "--out", str(tmp_path / "r"), "-q")
    assert status == 0
    assert err == ""
    assert time.perf_counter() - started >= 0.08  # a tenth of a second at speed 10


class Process:
    """``python -m monkeyhouse ...`` with its stderr read line by line on a thread."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monkeyhouse", *args],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)

    def line(self) -> str:
        try:
            return self.lines.get(timeout=TIMEOUT)
        except queue.Empty:
            self.proc.kill()
            raise AssertionError("no line on stderr in time") from None

    def finish(self) -> int:
        try:
            return self.proc.wait(timeout=TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


def stream_events(port: int, count: int) -> list[dict[str, Any]]:
    """The first ``count`` data events of the stream (pings skipped), bounded in time."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    conn.request("GET", "/hystrix.stream")
    response = conn.getresponse()
    assert response.status == 200
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + TIMEOUT
    while len(events) < count:
        assert time.monotonic() < deadline
        line = response.readline()
        assert line, "the stream ended"
        if line.startswith(b"data: "):
            events.append(json.loads(line[6:]))
    response.close()
    return events


def test_ctrl_c_ends_a_streamed_run_and_the_folder_is_written(tmp_path: Path) -> None:
    live = Process(
        "run",
        "-d",
        "600",
        "--pace",
        "1",
        "--hystrix-stream",
        "0",
        "--out",
        "run",
        "-q",
        cwd=tmp_path,
    )
    try:
        first = live.line()
        assert first.startswith("hystrix.stream: http://127.0.0.1:"), first
        port = int(first.rsplit(":", 1)[1].split("/")[0])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        conn.request("GET", "/hystrix.stream")
        response = conn.getresponse()
        assert response.status == 200
        # the run is under way once its commands arrive from past simulated time 0
        deadline = time.monotonic() + TIMEOUT
        while True:
            assert time.monotonic() < deadline, "no HystrixCommand event in time"
            line = response.readline()
            assert line, "the stream ended"
            event = json.loads(line[6:]) if line.startswith(b"data: ") else {}
            if event.get("type") == "HystrixCommand" and event["currentTime"] > EPOCH_MS:
                break
        live.proc.send_signal(signal.SIGINT)
        status = live.finish()
        response.close()
    finally:
        if live.proc.poll() is None:
            live.proc.kill()
    assert status == 130
    manifest = json.loads((tmp_path / "run" / "run.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "interrupted"
    assert 0 < manifest["summary"]["simulated_seconds"] < 600
    assert (tmp_path / "run" / "graph.json").is_file()


def test_the_docs_example_runs(tmp_path: Path) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "hystrix-stream.md"
    console = re.findall(r"```console\n(.*?)```", docs.read_text(encoding="utf-8"), flags=re.S)
    command, shown = console[0].splitlines()[:2]
    args = shlex.split(command.removeprefix("$ monkeyhouse "))
    assert args[:2] == ["run", "-a"]
    # the same command, shorter and faster, on a free port (later options win)
    args = [a if a != "8989" else "0" for a in args]
    status, _, err = run_cli(*args, "-d", "1", "--pace", "20", "--out", str(tmp_path / "r"), "-q")
    assert status == 0
    pattern = re.escape(shown).replace("8989", r"\d+")
    assert re.fullmatch(pattern, err.splitlines()[0])
