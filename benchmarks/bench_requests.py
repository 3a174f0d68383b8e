"""Request throughput: simulated requests per wall second, span export and run outputs.

Run it as ``.venv/bin/python benchmarks/bench_requests.py``. It prints figures; it does not pass
or fail. The targets in our issue: at least 60,000 simulated requests/s end to end on a 5-hop
path in plain CPython, and span export that never dominates the run.

Workloads (each in a fresh interpreter, so that peak RSS belongs to that workload alone; the
best of ``--repeat`` runs is reported):

- ``netflixoss``: the catalog's netflixoss at 1,000 requests/s for 60 simulated seconds with
  every span kept, as ``monkeyhouse run -a netflixoss -d 60 --rate 1000 --out DIR -q`` does:
  wall time of the simulation, of each span format's export, of the metrics outputs (tables,
  summary, Prometheus, spigo metrics) and of the report; peak RSS; spans per second.
- ``5hop``: www (denominator) -> elb -> zuul -> karyon -> staash -> store, small service times,
  ample capacity, constant arrivals well inside capacity (architecture below). Simulated
  requests per wall second = requests answered at the denominator / wall seconds of the
  simulation alone (building the instances excluded), with telemetry off.
- ``5hop-unprotected``: the same path with every call unprotected (``--no-resilience``): the
  cost of the package defaults' protection (zuul, karyon and staash wrap their calls in a
  Hystrix command: a timeout timer, the breaker's bookkeeping and a pool per call).
- ``5hop+telemetry``: the same with the span collector and the metrics collector attached (as a
  run folder's instruments are); export not included.
- ``engine-floor``: the engine alone, with the 5-hop run's event count: each request is a chain
  of 16 no-op callbacks (the arrival, then request delivery, end of work and response delivery
  for each of the 5 hops), spaced like the 5-hop run's. Its requests/s is the ceiling of any
  model that takes 3 engine events per hop in plain CPython.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The 5-hop path: every service has capacity to spare at RATE requests per second.
FIVE_HOP_YAML = """\
format: monkeyhouse/1
arch: fivehop
description: www -> elb -> zuul -> karyon -> staash -> store, small service times
# zuul, karyon and staash keep their Hystrix commands (timeout, breaker, a pool per dependency)
# with pools as large as their threads, so nothing is turned away: the figure prices the
# commands' bookkeeping, not rejections
traffic:
  pattern: constant
  rate: {rate}
services:
  - name: db
    package: store
    count: 6
    regions: 1
    service_time: {{exponential: {{mean: 0.0002}}}}
    threads: 1000
  - name: data
    package: staash
    count: 6
    regions: 1
    service_time: {{lognormal: {{median: 0.0001, sigma: 0.5}}}}
    threads: 1000
    queue: null
    on_full: wait
    resilience: {{bulkhead: {{kind: threadpool, size: 1000}}}}
    dependencies: [db]
  - name: logic
    package: karyon
    count: 6
    regions: 1
    service_time: {{lognormal: {{median: 0.0002, sigma: 0.5}}}}
    threads: 1000
    queue: null
    on_full: wait
    resilience: {{bulkhead: {{kind: threadpool, size: 1000}}}}
    dependencies: [data]
  - name: proxy
    package: zuul
    count: 6
    regions: 1
    service_time: {{lognormal: {{median: 0.0001, sigma: 0.5}}}}
    threads: 1000
    queue: null
    on_full: wait
    resilience: {{bulkhead: {{kind: threadpool, size: 1000}}}}
    dependencies: [logic]
  - name: www-elb
    package: elb
    count: 0
    regions: 1
    dependencies: [proxy]
  - name: www
    package: denominator
    count: 0
    regions: 0
    dependencies: [www-elb]
"""

FIVE_HOP_RATE = 20_000.0
FIVE_HOP_SECONDS = 10.0
NETFLIX_RATE = 1000.0
NETFLIX_SECONDS = 60.0


def _five_hop_arch(rate: float) -> Any:
    from monkeyhouse.model.loader import load_architecture

    return load_architecture("fivehop.yaml", text=FIVE_HOP_YAML.format(rate=rate))


def _answered(sim: Any) -> tuple[int, int]:
    done = errors = 0
    for runtime in sim.services:
        if runtime.package == "denominator":
            for instance in runtime.instances:
                state = instance.state
                done += state.reads_answered + state.writes_answered
                errors += state.errors
    return done, errors


def run_five_hop(
    telemetry: bool, rate: float, seconds: float, profile: str = "", protected: bool = True
) -> dict[str, Any]:
    """One 5-hop run in this interpreter: requests answered per wall second of simulation."""
    from monkeyhouse.scenarios.simulation import RunOptions, Simulation
    from monkeyhouse.telemetry.metrics import MetricsCollector
    from monkeyhouse.telemetry.spans import SpanCollector

    arch = _five_hop_arch(rate)
    options = RunOptions(duration=seconds, seed=1, chaos=False, resilience=protected)
    spans = SpanCollector(1.0, seed=1, limit=None) if telemetry else None
    sim = Simulation(arch, options, [], span_observers=[spans.on_span] if spans else [])
    metrics = None
    if telemetry:
        metrics = MetricsCollector(sim.env, 1.0)
        sim.context.span_observers.append(metrics.on_span)
    started: list[float] = []

    def attach(s: Simulation) -> None:
        if metrics is not None:
            metrics.attach(i for i in s.instances if i.station is not None)
            metrics.start()
        started.append(time.perf_counter())
        started.append(time.process_time())

    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        sim.run(on_built=attach)
        profiler.disable()
        profiler.dump_stats(profile)
    else:
        sim.run(on_built=attach)
    wall = time.perf_counter() - started[0]
    cpu = time.process_time() - started[1]
    if metrics is not None:
        metrics.finish()
    done, errors = _answered(sim)
    return {
        "workload": "5hop+telemetry" if telemetry else "5hop" if protected else "5hop-unprotected",
        "requests": done,
        "errors": errors,
        "events": sim.env.events_processed,
        "spans": spans.statistics().kept if spans is not None else 0,
        "sim_s": wall,
        "cpu_s": cpu,
        "requests_per_s": done / wall,
        "events_per_s": sim.env.events_processed / wall,
    }


def run_engine_floor(rate: float, seconds: float) -> dict[str, Any]:
    """16 no-op engine events per request, nothing else: the engine's own ceiling."""
    import random

    from monkeyhouse.engine import Environment

    env = Environment()
    rng = random.Random(1)
    schedule = env.schedule
    done = [0]

    def hop(left: int) -> None:
        if left:
            schedule(0.0001 + rng.random() * 0.0002, hop, left - 1)
        else:
            done[0] += 1

    count = int(rate * seconds)
    for k in range(1, count + 1):
        env.schedule_at(k / rate, hop, 15)
    t0 = time.perf_counter()
    c0 = time.process_time()
    env.run(until=seconds + 1.0)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {
        "workload": "engine-floor",
        "requests": done[0],
        "errors": 0,
        "events": env.events_processed,
        "spans": 0,
        "sim_s": wall,
        "cpu_s": cpu,
        "requests_per_s": done[0] / wall,
        "events_per_s": env.events_processed / wall,
    }


def run_netflixoss(rate: float, seconds: float) -> dict[str, Any]:
    """netflixoss with every span kept, timed phase by phase as ``run_to_folder`` runs them."""
    from monkeyhouse.exporters.jaeger import JAEGER_FILE, write_jaeger
    from monkeyhouse.exporters.otlp import OTLP_FILE, write_otlp
    from monkeyhouse.exporters.prometheus import write_prometheus
    from monkeyhouse.exporters.report import write_report
    from monkeyhouse.exporters.spigo_metrics import write_spigo_metrics
    from monkeyhouse.exporters.spigoflow import flow_file_name, write_spigo_flow
    from monkeyhouse.exporters.summary import write_summary
    from monkeyhouse.exporters.tables import write_tables
    from monkeyhouse.exporters.zipkin import ZIPKIN_FILE, write_zipkin
    from monkeyhouse.model import resolve_architecture
    from monkeyhouse.scenarios.simulation import RunOptions, Simulation
    from monkeyhouse.telemetry.metrics import MetricsCollector
    from monkeyhouse.telemetry.spans import SpanCollector
    from monkeyhouse.telemetry.timestamps import TimestampFormatter

    arch = resolve_architecture("netflixoss", cwd=Path.cwd())
    options = RunOptions(duration=seconds, seed=1, rate=rate)
    spans = SpanCollector(1.0, seed=1, limit=None)
    sim = Simulation(arch, options, [], span_observers=[spans.on_span])
    metrics = MetricsCollector(sim.env, 1.0)
    sim.context.span_observers.append(metrics.on_span)
    started: list[float] = []

    def attach(s: Simulation) -> None:
        metrics.attach(i for i in s.instances if i.station is not None)
        metrics.start()
        started.append(time.perf_counter())
        started.append(time.process_time())

    summary = sim.run(on_built=attach)
    metrics.finish()
    times: dict[str, float] = {"simulation": time.perf_counter() - started[0]}
    cpu = time.process_time() - started[1]
    kept = spans.spans()
    epoch_ns = TimestampFormatter().nanoseconds(0.0)
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        writers: tuple[tuple[str, Callable[[], Path]], ...] = (
            ("zipkin", lambda: write_zipkin(out / ZIPKIN_FILE, kept, epoch_ns=epoch_ns)),
            ("otlp", lambda: write_otlp(out / OTLP_FILE, kept, epoch_ns=epoch_ns)),
            ("jaeger", lambda: write_jaeger(out / JAEGER_FILE, kept, epoch_ns=epoch_ns)),
            (
                "spigo",
                lambda: write_spigo_flow(out / flow_file_name(arch.arch), kept, epoch_ns=epoch_ns),
            ),
        )
        for name, write in writers:
            t0 = time.perf_counter()
            path = write()
            times[f"export {name}"] = time.perf_counter() - t0
            sizes[name] = path.stat().st_size
        t0 = time.perf_counter()
        stats = metrics.statistics()
        tables = metrics.tables()
        write_tables(out, tables)
        write_summary(out / "summary.json", stats)
        write_prometheus(out / "metrics.prom", stats)
        write_spigo_metrics(out, arch.arch, stats)
        times["metrics"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_report(
            out / "report.html",
            arch=arch.arch,
            summary=summary.to_json(),
            tables=tables,
            spans=kept,
        )
        times["report"] = time.perf_counter() - t0
    done, errors = _answered(sim)
    return {
        "workload": "netflixoss",
        "requests": done,
        "errors": errors,
        "events": sim.env.events_processed,
        "spans": len(kept),
        "times": times,
        "sizes": sizes,
        "sim_s": times["simulation"],
        "cpu_s": cpu,
        "requests_per_s": done / times["simulation"],
        "spans_per_s": len(kept) / times["simulation"],
    }


def child(args: argparse.Namespace) -> None:
    """Run one workload here and print its figures as one JSON line."""
    gc.collect()
    if args.child == "netflixoss":
        result = run_netflixoss(args.netflix_rate, args.netflix_seconds)
    elif args.child == "engine-floor":
        result = run_engine_floor(args.rate, args.seconds)
    else:
        result = run_five_hop(
            args.child == "5hop+telemetry",
            args.rate,
            args.seconds,
            args.profile,
            protected=args.child != "5hop-unprotected",
        )
    print(json.dumps(result))


def measure(workload: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run ``workload`` in a fresh interpreter; add its peak RSS (from ``os.wait4``)."""
    command = [
        sys.executable,
        __file__,
        "--child",
        workload,
        "--rate",
        str(args.rate),
        "--seconds",
        str(args.seconds),
        "--netflix-rate",
        str(args.netflix_rate),
        "--netflix-seconds",
        str(args.netflix_seconds),
    ]
    if args.profile:
        command += ["--profile", args.profile]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{workload} failed with exit code {process.returncode}")
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    result["peak_rss_mb"] = usage.ru_maxrss * scale / 2**20
    return result


def table(results: list[dict[str, Any]]) -> str:
    """The figures as a plain-text table."""
    lines = [
        f"{'workload':<16} {'requests':>9} {'errors':>6} {'events':>10} {'spans':>10} "
        f"{'sim s':>7} {'cpu s':>7} {'req/s':>8} {'req/cpu-s':>9} {'events/s':>9} {'spans/s':>9} "
        f"{'peak MB':>8}"
    ]
    for r in results:
        spans_per_s = r["spans"] / r["sim_s"] if r["spans"] else 0.0
        lines.append(
            f"{r['workload']:<16} {r['requests']:>9,} {r['errors']:>6,} {r['events']:>10,} "
            f"{r['spans']:>10,} {r['sim_s']:>7.2f} {r['cpu_s']:>7.2f} {r['requests_per_s']:>8,.0f} "
            f"{r['requests'] / r['cpu_s']:>9,.0f} "
            f"{r['events'] / r['sim_s']:>9,.0f} {spans_per_s:>9,.0f} {r['peak_rss_mb']:>8.0f}"
        )
    for r in results:
        if "times" in r:
            lines.append("")
            lines.append(f"{r['workload']}: wall seconds by phase (every span kept)")
            total = sum(r["times"].values())
            for phase, seconds in r["times"].items():
                size = r["sizes"].get(phase.removeprefix("export "))
                extra = f"  {size / 2**20:8.1f} MiB" if size is not None else ""
                lines.append(
                    f"  {phase:<16} {seconds:8.2f} s  {100 * seconds / total:5.1f} %{extra}"
                )
            lines.append(f"  {'total':<16} {total:8.2f} s")
    return "\n".join(lines)


def main() -> None:
    """Parse the options; run the workloads or, with ``--child``, one of them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, default=FIVE_HOP_RATE, help="5-hop requests/s")
    parser.add_argument("--seconds", type=float, default=FIVE_HOP_SECONDS, help="5-hop duration")
    parser.add_argument("--netflix-rate", type=float, default=NETFLIX_RATE)
    parser.add_argument("--netflix-seconds", type=float, default=NETFLIX_SECONDS)
    parser.add_argument("--repeat", type=int, default=3, help="runs per 5-hop workload")
    parser.add_argument(
        "--only",
        choices=("netflixoss", "5hop", "5hop-unprotected", "5hop+telemetry", "engine-floor"),
        action="append",
    )
    parser.add_argument("--profile", default="", help="write a cProfile of the 5-hop run here")
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    workloads = args.only or [
        "engine-floor",
        "5hop",
        "5hop-unprotected",
        "5hop+telemetry",
        "netflixoss",
    ]
    print(
        f"Python {sys.version.split()[0]}; 5-hop: {args.rate:,.0f} requests/s for "
        f"{args.seconds:g} s; netflixoss: {args.netflix_rate:,.0f} requests/s for "
        f"{args.netflix_seconds:g} s",
        flush=True,
    )
    results = []
    for workload in workloads:
        repeat = 1 if workload == "netflixoss" else max(1, args.repeat)
        runs = [measure(workload, args) for _ in range(repeat)]
        results.append(min(runs, key=lambda r: r["sim_s"]))
    print(table(results))


if __name__ == "__main__":
    main()
