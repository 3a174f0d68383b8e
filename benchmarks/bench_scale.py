"""Scale benchmark: fsm and netflixoss at 100,000 and 1,000,000 nodes, 10 simulated seconds.

Each case runs the real command line in a child process and reports its wall time and peak
resident memory (the child's maximum RSS). Targets from the core-simulator issue:

- fsm, 100,000 pirates: under 5 s and 400 MB; 1,000,000 pirates: under 60 s and 3 GB
- netflixoss, 100,000 instances: under 30 s and 1 GB; 1,000,000 instances: under 4 GB

netflixoss at these sizes has hundreds of millions of instance-to-instance edges (every zuul sees
every karyon of its zone), far too many to write one per line, so these runs write the graph with
spigo's ``-f`` (one node per service and zone), which is what spigo offers for big populations.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--quick]`` (``--quick`` skips the 1 M cases).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# netflixoss has 63 scaled instances at -p 100 (plus the elb and the DNS node)
NETFLIXOSS_100K = 158_730
NETFLIXOSS_1M = 1_587_300

CASES = [
    ("fsm 100,000 pirates", ["-a", "fsm", "-p", "100000"], 5.0, 400.0, False),
    ("fsm 1,000,000 pirates", ["-a", "fsm", "-p", "1000000"], 60.0, 3072.0, True),
    (
        "netflixoss 100,000 instances",
        ["-a", "netflixoss", "-p", str(NETFLIXOSS_100K), "-f"],
        30.0,
        1024.0,
        False,
    ),
    (
        "netflixoss 1,000,000 instances",
        ["-a", "netflixoss", "-p", str(NETFLIXOSS_1M), "-f"],
        None,
        4096.0,
        True,
    ),
]


def run_case(args: list[str], out: Path) -> tuple[float, float, dict[str, object]]:
    """Run one case in a child; return wall seconds, peak MiB and the run's summary."""
    command = [
        sys.executable,
        "-m",
        "monkeyhouse",
        "run",
        *args,
        "-d",
        "10",
        "--seed",
        "1",
        "--out",
        str(out),
        "-q",
    ]
    started = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {child.returncode}")
    peak = usage.ru_maxrss
    summary = json.loads((out / "run.json").read_text())["summary"]
    return wall, peak / 1024.0, summary


def main() -> None:
    quick = "--quick" in sys.argv
    print(f"{'case':<34} {'nodes':>10} {'edges':>14} {'wall s':>8} {'peak MiB':>9}  target")
    for label, args, wall_target, mem_target, big in CASES:
        if quick and big:
            continue
        with tempfile.TemporaryDirectory() as folder:
            wall, peak, summary = run_case(args, Path(folder) / "run")
        target = []
        if wall_target is not None:
            target.append(f"< {wall_target:g} s")
        target.append(f"< {mem_target:g} MiB")
        print(
            f"{label:<34} {summary['instances']:>10,} {summary['edges']:>14,} {wall:>8.2f} "
            f"{peak:>9.0f}  {', '.join(target)}"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
