"""On a terminal a long run shows a progress line; the summary ends every run."""

from __future__ import annotations

import io
from pathlib import Path

from monkeyhouse.cli.main import main
from monkeyhouse.cli.progress import ProgressLine


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_on_a_terminal_and_summary(tmp_path: Path) -> None:
    out, err = io.StringIO(), Terminal()
    assert (
        main(["run", "-a", "netflixoss", "-d", "20", "--out", str(tmp_path / "r")], out, err) == 0
    )
    frames = err.getvalue().split("\r")
    assert len(frames) >= 2
    assert frames[-1].rstrip("\n").endswith("s wall")
    assert " 20.00/20.00 s simulated" in frames[-1]
    assert "#" * 30 in frames[-1]
    summary = out.getvalue()
    for word in ("services", "instances", "messages", "s simulated in", "s wall"):
        assert word in summary


def test_no_progress_when_not_a_terminal(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["run", "-a", "lamp", "-d", "5", "--out", str(tmp_path / "r")], out, err) == 0
    assert err.getvalue() == ""


def test_progress_line_draws_the_share_done() -> None:
    stream = Terminal()
    line = ProgressLine(stream, "demo")
    line(5.0, 10.0)
    assert "[" + "#" * 15 + "." * 15 + "]" in stream.getvalue()
    line.finish()
    assert stream.getvalue().endswith("\n")


def test_the_summary_counts_what_protection_did(tmp_path: Path) -> None:
    # Chaos Monkey kills a homepage instance at 10 s; clients poll every 3 s, so until 12 s
    # some calls are refused, and zuul retries refused connections once
    out = io.StringIO()
    args = ["run", "-a", "netflixoss", "-d", "20", "-u", "3s", "--rate", "500"]
    args += ["--out", str(tmp_path / "r")]
    assert main(args, out, io.StringIO()) == 0
    line = next(x for x in out.getvalue().splitlines() if x.startswith("  protection"))
    assert " 6 edges: " in line
    retries = int(line.split(" edges: ")[1].split(" retries")[0].replace(",", ""))
    assert retries > 0
    out = io.StringIO()
    args += ["--no-resilience"]
    assert main(args, out, io.StringIO()) == 0
    assert "  protection" not in out.getvalue()
