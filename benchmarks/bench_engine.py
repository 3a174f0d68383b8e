"""Engine throughput on fixed workloads: events per second of the plain CPython event loop.

Run it as ``.venv/bin/python benchmarks/bench_engine.py``. Each workload runs in a fresh
interpreter (so that the peak RSS column belongs to that workload alone), ``--repeat`` times,
and the best run is reported. It prints figures; it does not pass or fail (the target in our
issue is at least 1 M events/s on a fixed workload, in plain CPython).

Workloads (all seeded, so every run processes exactly the same events):

- ``closed``: 1,000 independent clients; each callback draws an exponential delay from a seeded
  ``random.Random`` and reschedules itself. A closed workload: about 1,000 entries stay pending.
- ``closed+cancel``: the same, but on one callback in ten a client arms a timeout (10 s, far
  beyond the mean 1 s between its callbacks) that its next callback cancels, as a request whose
  response came back in time does. The loop pops and skips the cancelled entries.
- ``tickers``: 1,000 periodic tickers made with ``every()`` (intervals 0.5 to 1.5 s), each
  callback doing nothing; this measures the ticker machinery itself.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from monkeyhouse.engine import Environment

CLIENTS = 1_000
TARGET_EVENTS = 2_000_000
SEED = 20_160_501
#: Every client fires at rate 1/s on average, so simulated seconds = events / clients.
HORIZON = TARGET_EVENTS / CLIENTS
TIMEOUT = 10.0
CANCEL_EVERY = 10


@dataclass(frozen=True, slots=True)
class Result:
    """One workload's figures."""

    workload: str
    events: int
    cancelled: int
    wall_s: float
    events_per_s: float
    peak_rss_mib: float


def closed(env: Environment) -> Callable[[], int]:
    """1,000 clients rescheduling themselves with exponential delays; returns a cancel count."""
    rng = random.Random(SEED)
    draw = rng.expovariate
    schedule = env.schedule

    def client(_: object) -> None:
        schedule(draw(1.0), client)

    for _ in range(CLIENTS):
        schedule(draw(1.0), client)
    return lambda: 0


def closed_cancel(env: Environment) -> Callable[[], int]:
    """The closed workload where one callback in ten arms a timeout the next one cancels."""
    rng = random.Random(SEED)
    draw = rng.expovariate
    schedule = env.schedule
    cancel = env.cancel
    cancelled = [0]

    def timeout(_: object) -> None:
        """A timeout that fires (rare: the next callback usually cancels it first)."""

    def client(state: list[Any]) -> None:
        # state = [callbacks until the next timeout, armed timeout handle or None]
        armed = state[1]
        if armed is not None:
            cancel(armed)
            cancelled[0] += 1
            state[1] = None
        state[0] -= 1
        if state[0] == 0:
            state[0] = CANCEL_EVERY
            state[1] = schedule(TIMEOUT, timeout)
        schedule(draw(1.0), client, state)

    for index in range(CLIENTS):
        # Stagger the clients so the timeouts spread evenly over the run.
        schedule(draw(1.0), client, [index % CANCEL_EVERY + 1, None])
    return lambda: cancelled[0]


def tickers(env: Environment) -> Callable[[], int]:
    """1,000 ``every()`` tickers with seeded intervals between 0.5 and 1.5 s."""
    rng = random.Random(SEED)

    def tick(_: float) -> None:
        """Periodic work that does nothing: the cost measured is the ticker's."""

    for _ in range(CLIENTS):
        env.every(rng.uniform(0.5, 1.5), tick, start=rng.random())
    return lambda: 0


WORKLOADS: dict[str, Callable[[Environment], Callable[[], int]]] = {
    "closed": closed,
    "closed+cancel": closed_cancel,
    "tickers": tickers,
}


def measure(name: str, repeat: int) -> Result:
    """Run one workload ``repeat`` times in this process; keep the fastest run."""
    best: Result | None = None
    for _ in range(repeat):
        env = Environment()
        cancelled = WORKLOADS[name](env)
        started = time.perf_counter()
        env.run(until=HORIZON)
        wall = time.perf_counter() - started
        rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result = Result(
            name,
            env.events_processed,
            cancelled(),
            wall,
            env.events_processed / wall,
            rss_kib / 1024,
        )
        if best is None or result.wall_s < best.wall_s:
            best = result
    assert best is not None
    return best


def main(argv: list[str] | None = None) -> int:
    """Run every workload (each in its own interpreter) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workload", choices=sorted(WORKLOADS), help="run one, print JSON")
    parser.add_argument("--repeat", type=int, default=3, help="runs per workload (best kept)")
    args = parser.parse_args(argv)
    if args.workload:
        print(json.dumps(asdict(measure(args.workload, args.repeat))))
        return 0
    print(f"engine benchmark: Python {sys.version.split()[0]}, best of {args.repeat}")
    header = f"{'workload':<15} {'events':>10} {'cancelled':>10} {'wall s':>8} "
    print(header + f"{'events/s':>12} {'peak RSS MiB':>13}")
    for name in WORKLOADS:
        command = [sys.executable, __file__, "--workload", name, "--repeat", str(args.repeat)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        r = Result(**json.loads(output))
        print(
            f"{r.workload:<15} {r.events:>10,} {r.cancelled:>10,} {r.wall_s:>8.3f} "
            f"{r.events_per_s:>12,.0f} {r.peak_rss_mib:>13.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
