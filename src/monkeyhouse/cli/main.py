"""The ``monkeyhouse`` command.

Subcommands: ``run`` (simulate an architecture and write its run folder; spigo's flags work,
single dash as in Go, long forms too; ``run FILE`` also runs a scenario file, one with a
top-level ``architecture`` key, whose settings come from the file: only ``--out`` and ``-q``
apply), ``list`` (the bundled catalog), ``schema`` (the native format's JSON Schema),
``validate`` (check architecture files), ``render`` (draw a run's graph, or with ``--html``
write its replay as one offline page), ``experiment`` (run a Chaos Toolkit experiment against
a simulation; exit status 0 when the steady state held, 1 when it deviated, 2 when the
experiment failed) and ``serve`` (the web UI on 127.0.0.1: live, or replaying a run folder;
loaded through the ``monkeyhouse.ui`` plug-in group, as the layers forbid importing the web
layer). ``monkeyhouse -a netflixoss -d 10``
with no subcommand runs, as spigo does.

User mistakes print one line on stderr and exit with status 2; there is no traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from monkeyhouse.cli.durations import parse_duration
from monkeyhouse.cli.progress import ProgressLine, format_summary
from monkeyhouse.errors import MonkeyhouseError, UsageError
from monkeyhouse.model import (
    architecture_schema,
    catalog_entries,
    load_architecture,
    resolve_architecture,
)
from monkeyhouse.model.architecture import Architecture
from monkeyhouse.model.scaling import instance_count, zero_count_warnings
from monkeyhouse.model.scenario import is_scenario_file, load_scenario, scenario_schema
from monkeyhouse.plugins import live_outputs, ui
from monkeyhouse.scenarios import runfolder
from monkeyhouse.scenarios.paced import LiveOutput, PacedDriver
from monkeyhouse.scenarios.run import SPAN_FORMATS, RunResult, TelemetryOptions, run_to_folder
from monkeyhouse.scenarios.simulation import RunOptions

SUBCOMMANDS = ("run", "list", "schema", "validate", "render", "experiment", "serve")
BOOL_FLAGS = {"-j", "-g", "-f", "-m", "-r", "-c"}
MAX_REGIONS = 6
MAX_INSTANCES = 20_000_000
_ARCH_NAME = re.compile(r"^[A-Za-z0-9_-]+$")

#: spigo flags monkeyhouse does not take, and what to do instead
UNSUPPORTED = {
    "-n": "Neo4j output needs a running Neo4j server; write GraphML with -g and import that",
    "-k": "Kafka output needs a Kafka cluster; spans arrive as files with the telemetry work",
    "-config": "configuration files are not read; give the flags on the command line",
    "-saveconfig": "configuration files are not written; run.json records every option used",
    "-cpus": "Go's GOMAXPROCS has no meaning here: the simulation runs on one core",
    "-cpuprofile": "Go profiles have no meaning here; use python -m cProfile -m monkeyhouse",
}


def _spigo_style(argv: Sequence[str]) -> list[str]:
    """Accept Go's ``-flag=value`` and ``-flag=true/false`` spellings."""
    out: list[str] = []
    for token in argv:
        flag = token.split("=", 1)[0]
        if flag in UNSUPPORTED:
            raise UsageError(f"{flag}: spigo's flag is not supported ({UNSUPPORTED[flag]})")
        match = re.fullmatch(r"(-{1,2}[A-Za-z][\w-]*)=(.*)", token)
        if match is None:
            out.append(token)
            continue
        flag, value = match.groups()
        if flag in BOOL_FLAGS:
            if value.lower() in ("true", "1", "t"):
                out.append(flag)
            elif value.lower() not in ("false", "0", "f"):
                raise UsageError(f"{flag}: {value!r} is not true or false")
        else:
            out.extend((flag, value))
    return out


class _Parser(argparse.ArgumentParser):
    """argparse that raises UsageError (one line on stderr, status 2) instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="monkeyhouse",
        description="Model, simulate, visualize and break microservice architectures.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="simulate an architecture and write its run folder")
    run.add_argument(
        "path",
        nargs="?",
        help="an architecture file to run (instead of -a), or a scenario file "
        "(a file with an 'architecture:' key; see docs/chaos.md)",
    )
    run.add_argument(
        "-a",
        "--arch",
        default="netflixoss",
        help="architecture: catalog name, or json_arch/NAME_arch.json if present "
        "(default netflixoss)",
    )
    run.add_argument(
        "-d",
        "--duration",
        type=float,
        default=10.0,
        help="simulated seconds (default 10); chaos monkey strikes at half time",
    )
    run.add_argument(
        "-p",
        "--population",
        type=int,
        default=100,
        help="scale percentage (fsm: pirate count), default 100",
    )
    run.add_argument(
        "-w",
        "--regions",
        type=int,
        default=1,
        help=f"regions to replicate into, 1 to {MAX_REGIONS} (default 1)",
    )
    run.add_argument(
        "-j",
        "--json",
        action="store_true",
        help="write graph.json (always written; kept for spigo compatibility)",
    )
    run.add_argument("-g", "--graphml", action="store_true", help="also write graph.graphml")
    run.add_argument(
        "-f",
        "--reduce",
        action="store_true",
        help="collapse instances of a service in a zone into one graph node",
    )
    run.add_argument(
        "-s",
        "--step",
        type=int,
        default=0,
        help="step number: chooses the migration step 0..9 (-a migration)",
    )
    run.add_argument(
        "-u",
        "--poll",
        default="1s",
        help="Eureka polling interval, a Go duration such as 1s or 30s",
    )
    run.add_argument(
        "-kv",
        "--kv",
        default="",
        help="one key:value setting; 'chat:10ms' sets the traffic interval",
    )
    run.add_argument(
        "-m", "--messages", action="store_true", help="log every delivered message to stdout"
    )
    run.add_argument(
        "-c",
        "--collect",
        action="store_true",
        help="spigo's collect flag: accepted; flows and metrics are not written yet",
    )
    run.add_argument(
        "-r",
        "--reload",
        action="store_true",
        help="rebuild from json/ARCH[STEP].json (a graph JSON) instead of the architecture",
    )
    run.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    run.add_argument(
        "--out", type=Path, default=None, help="run folder to write (default runs/ARCH-N)"
    )
    run.add_argument(
        "--no-graph", action="store_true", help="write no graph files (for very large runs)"
    )
    run.add_argument("--no-chaos", action="store_true", help="do not run chaos monkey")
    run.add_argument(
        "--no-resilience",
        action="store_true",
        help="call without timeouts, retries, breakers or bulkheads (spigo's calls)",
    )
    traffic = run.add_argument_group("traffic (overrides the architecture's)")
    traffic.add_argument(
        "--rate",
        type=float,
        default=None,
        help="requests per second at the root (default: the architecture's "
        "traffic, else spigo's 100/s)",
    )
    traffic.add_argument(
        "--traffic",
        default="constant",
        choices=["constant", "poisson"],
        help="arrivals for --rate: evenly spaced or Poisson (default constant)",
    )
    telemetry = run.add_argument_group("telemetry")
    telemetry.add_argument(
        "--sample",
        type=float,
        default=1.0,
        help="share of traces whose spans are kept, 0 to 1 (default 1)",
    )
    telemetry.add_argument(
        "--spans",
        default=",".join(SPAN_FORMATS),
        help="span files to write: zipkin, otlp, jaeger, spigo, or none (default all)",
    )
    telemetry.add_argument(
        "--otlp-url",
        default=None,
        help="also push the spans to an OTLP/HTTP collector, e.g. http://127.0.0.1:4318/v1/traces",
    )
    telemetry.add_argument(
        "--no-metrics",
        action="store_true",
        help="no metrics tables, summary.json or Prometheus file",
    )
    telemetry.add_argument(
        "--interval",
        type=float,
        default=1.0,
        help="metrics interval in simulated seconds (default 1)",
    )
    telemetry.add_argument("--no-report", action="store_true", help="no report.html")
    live = run.add_argument_group("live (a paced run: simulated time follows the wall clock)")
    live.add_argument(
        "--pace",
        type=float,
        default=None,
        metavar="SPEED",
        help="run paced, SPEED simulated seconds per wall second (1 = real time); "
        "Ctrl-C ends the run and still writes its folder",
    )
    live.add_argument(
        "--hystrix-stream",
        nargs="?",
        const="0",
        default=None,
        metavar="PORT",
        help="serve http://127.0.0.1:PORT/hystrix.stream for the Hystrix dashboard during "
        "the run (no PORT or 0: a free one; the URL is printed on stderr); implies --pace 1 "
        "unless --pace is given",
    )
    live.add_argument(
        "--stream-host",
        default="127.0.0.1",
        metavar="HOST",
        help="address the stream listens on (default 127.0.0.1; 0.0.0.0 for a dashboard "
        "in a container)",
    )
    live.add_argument(
        "--push-interval",
        type=float,
        default=0.5,
        metavar="SECONDS",
        help="wall seconds between two pushes of the live stream (default 0.5)",
    )
    live.add_argument(
        "--stream-wall-clock",
        action="store_true",
        help="stamp stream events with the wall clock (default: the run's epoch plus "
        "simulated time)",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no progress and no summary")

    sub.add_parser("list", help="list the bundled architectures")
    schema = sub.add_parser(
        "schema", help="print the JSON Schema of the native architecture format"
    )
    schema.add_argument(
        "--scenario", action="store_true", help="print the scenario file's JSON Schema instead"
    )
    validate = sub.add_parser("validate", help="check architecture and scenario files")
    validate.add_argument("files", nargs="+", type=Path)

    render = sub.add_parser("render", help="draw a run folder's dependency graph (SVG and PNG)")
    render.add_argument("run_dir", type=Path, help="a run folder (with graph.json)")
    render.add_argument(
        "--instances",
        action="store_true",
        help="draw every instance grouped by region and zone "
        "(default: services collapsed; see also --both)",
    )
    render.add_argument("--both", action="store_true", help="draw both views")
    render.add_argument("--format", default="svg,png", help="comma-separated: svg, png")
    render.add_argument(
        "--html",
        action="store_true",
        help="write the run's replay as one self-contained HTML page instead (works offline)",
    )
    render.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="with --html: the page to write (default DIR/replay.html)",
    )

    serve = sub.add_parser(
        "serve",
        help="the web UI on http://127.0.0.1: watch and break a live simulation, or replay a run",
    )
    serve.add_argument(
        "target",
        nargs="?",
        default=None,
        help="an architecture (catalog name or file), a scenario file, or a run folder to "
        "replay (default: netflixoss, live)",
    )
    serve.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per wall second, 0.1 to 100 (default 1: real time)",
    )
    serve.add_argument(
        "-d",
        "--duration",
        type=float,
        default=None,
        help="simulated seconds of a live architecture (default 3600; a scenario sets its own)",
    )
    serve.add_argument("--seed", type=int, default=None, help="random seed (default 1)")
    serve.add_argument("--open", action="store_true", help="open the page in a browser")

    experiment = sub.add_parser(
        "experiment",
        help="run a Chaos Toolkit experiment against a simulation "
        "(exit 0: steady state held, 1: deviated, 2: failed)",
    )
    experiment.add_argument("path", type=Path, help="the experiment file (JSON, or YAML)")
    experiment.add_argument(
        "--journal",
        type=Path,
        default=Path("journal.json"),
        help="where to write the Chaos Toolkit journal (default ./journal.json)",
    )
    experiment.add_argument(
        "--out", type=Path, default=None, help="run folder to write (default runs/ARCH-N)"
    )
    experiment.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    return parser


def _check_arch_name(name: str) -> None:
    if not _ARCH_NAME.match(name):
        raise UsageError(
            f"-a: {name!r} cannot name a run (node names begin with it): use letters, digits, "
            "'-' and '_' only"
        )


def _resolve(args: argparse.Namespace) -> Architecture:
    cwd = Path.cwd()
    if args.reload:
        from monkeyhouse.importers.graphjson import architecture_from_graph

        suffix = str(args.step) if args.step else ""
        path = cwd / "json" / f"{args.arch}{suffix}.json"
        _check_arch_name(args.arch)
        return architecture_from_graph(path, args.arch)
    if args.path:
        return resolve_architecture(args.path, cwd=cwd, step=args.step)
    _check_arch_name(args.arch)
    return resolve_architecture(args.arch, cwd=cwd, step=args.step)


def _options(args: argparse.Namespace, arch: Architecture) -> RunOptions:
    if not math.isfinite(args.duration) or args.duration < 0:
        raise UsageError(
            f"-d: {args.duration:g} is not a duration (give simulated seconds, 0 or more, "
            "e.g. -d 10)"
        )
    if args.population < 1:
        raise UsageError(
            f"-p: {args.population} must be at least 1 (a percentage, or fsm's pirate count)"
        )
    if not 1 <= args.regions <= MAX_REGIONS:
        raise UsageError(
            f"-w: {args.regions} regions is out of range (1 to {MAX_REGIONS}: "
            "us-east-1, us-west-2, eu-west-1, eu-central-1, ap-southeast-1, "
            "ap-southeast-2)"
        )
    if arch.topology.population and args.population < 2:
        raise UsageError(f"-p: fsm needs at least 2 pirates, got {args.population}")
    total = instance_count(arch, args.population, args.regions)
    if total > MAX_INSTANCES:
        raise UsageError(
            f"-p: {args.population} makes {total:,} instances of {arch.arch}, more than the "
            f"{MAX_INSTANCES:,} monkeyhouse simulates (lower -p or -w)"
        )
    poll = parse_duration(args.poll, "-u")
    if poll <= 0:
        raise UsageError(f"-u: {args.poll!r} must be longer than zero (e.g. 1s)")
    chat = 0.01
    if args.kv:
        parts = args.kv.split(":")
        if len(parts) != 2:
            raise UsageError(f"-kv: {args.kv!r} must be one key:value pair, e.g. chat:100ms")
        key, value = parts
        if key != "chat":
            raise UsageError(
                f"-kv: unknown key {key!r} (the only key is 'chat', the traffic "
                "interval, e.g. chat:100ms)"
            )
        chat = parse_duration(value, "-kv chat")
        if not 0.001 <= chat <= 3600:
            raise UsageError(f"-kv: chat interval {value!r} must be between 1ms and 1h")
    if args.rate is not None and not (math.isfinite(args.rate) and args.rate > 0):
        raise UsageError(f"--rate: {args.rate:g} must be a positive number of requests per second")
    return RunOptions(
        rate=args.rate,
        pattern=args.traffic,
        duration=args.duration,
        percent=args.population,
        regions=args.regions,
        seed=args.seed,
        reduce=args.reduce,
        poll=poll,
        chat=chat,
        message_log=args.messages,
        step=args.step,
        chaos=not args.no_chaos,
        resilience=not args.no_resilience,
    )


def _command_line(argv: Sequence[str]) -> str:
    return "monkeyhouse " + " ".join(shlex.quote(a) for a in argv)


def _telemetry(args: argparse.Namespace) -> TelemetryOptions:
    if not (math.isfinite(args.sample) and 0 <= args.sample <= 1):
        raise UsageError(f"--sample: {args.sample:g} must be a share between 0 and 1")
    if not (math.isfinite(args.interval) and args.interval > 0):
        raise UsageError(f"--interval: {args.interval:g} must be a positive number of seconds")
    formats = tuple(f.strip().lower() for f in args.spans.split(",") if f.strip())
    if formats == ("none",):
        formats = ()
    unknown = [f for f in formats if f not in SPAN_FORMATS]
    if unknown:
        raise UsageError(
            f"--spans: unknown format {unknown[0]!r} (choose from {', '.join(SPAN_FORMATS)}, "
            "comma-separated, or none)"
        )
    keep = bool(formats) or args.otlp_url is not None or not args.no_report
    return TelemetryOptions(
        spans=keep,
        sample=args.sample,
        span_formats=formats,
        otlp_url=args.otlp_url,
        metrics=not args.no_metrics,
        interval=args.interval,
        report=not args.no_report,
    )


def _ended(
    result: RunResult, target: Path, progress: ProgressLine | None, quiet: bool, out: TextIO
) -> int:
    """A run is over: close its progress line, print its summary; its exit status."""
    if progress is not None:
        progress.finish()
    if not quiet:
        commands = result.metrics.get("commands")
        out.write(format_summary(result.summary, str(target), commands) + "\n")
    return 0 if result.summary.status == "complete" else 130


#: the ``run`` options a scenario file takes from the command line
_SCENARIO_FLAGS = frozenset({"command", "path", "out", "quiet"})


def _refuse_run_flags(args: argparse.Namespace) -> None:
    """A scenario file holds its run's settings: refuse the other ``run`` options given."""
    defaults = _parser().parse_args(["run", args.path])
    run_parser = next(
        action.choices["run"]
        for action in _parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    flags = {a.dest: a.option_strings[-1] for a in run_parser._actions if a.option_strings}
    given = sorted(
        flags.get(name, name)
        for name, value in vars(args).items()
        if name not in _SCENARIO_FLAGS and value != getattr(defaults, name, value)
    )
    if given:
        raise UsageError(
            f"{args.path}: {', '.join(given)} cannot be used with a scenario file, which sets "
            "its own duration, seed, traffic, options and outputs (change them in the file, "
            "see docs/chaos.md; only --out and -q apply)"
        )


def cmd_run_scenario(
    args: argparse.Namespace, argv: Sequence[str], out: TextIO, err: TextIO
) -> int:
    """``monkeyhouse run SCENARIO``: the file's settings; ``--out`` and ``-q`` apply."""
    from monkeyhouse.scenarios.scenario import run_scenario, scenario_folder

    _refuse_run_flags(args)
    scenario = load_scenario(Path(args.path))
    target = args.out if args.out is not None else scenario_folder(scenario)
    progress = None
    if not args.quiet and err.isatty():
        progress = ProgressLine(err, scenario.name)
    result = run_scenario(
        scenario, target, command=_command_line(argv), progress=progress, message_stream=out
    )
    return _ended(result, target, progress, args.quiet, out)


def _registered(plugins: Mapping[str, Any], name: str, what: str, kind: str) -> Any:
    """The plug-in ``name`` of a group, or a usage error for ``what`` saying how to get it."""
    plugin = plugins.get(name)
    if plugin is None:
        raise UsageError(
            f"{what}: {kind} is not registered (reinstall monkeyhouse with `pip install -e .`)"
        )
    return plugin


def _stream_port(value: str | None) -> int | None:
    """``--hystrix-stream``'s PORT (None: no stream)."""
    if value is None:
        return None
    try:
        port = int(value)
    except ValueError:
        raise UsageError(
            f"--hystrix-stream: {value!r} is not a port (give 0 to 65535, or 0 for a free one; "
            "put an architecture file before --hystrix-stream)"
        ) from None
    if not 0 <= port <= 65535:
        raise UsageError(f"--hystrix-stream: {port} is not a port (0 to 65535, 0 for a free one)")
    return port


def _live(
    args: argparse.Namespace, progress: ProgressLine | None
) -> tuple[PacedDriver | None, LiveOutput | None]:
    """The paced driver and the live stream the options ask for (none for a plain run)."""
    port = _stream_port(args.hystrix_stream)
    if args.pace is None and port is None:
        return None, None
    if not (math.isfinite(args.push_interval) and args.push_interval > 0):
        raise UsageError(
            f"--push-interval: {args.push_interval:g} must be a positive number of seconds"
        )
    speed = 1.0 if args.pace is None else args.pace
    if not (math.isfinite(speed) and speed > 0):
        raise UsageError(
            f"--pace: {speed:g} must be a positive speed (simulated seconds per wall second, "
            "1 = real time)"
        )
    stream: LiveOutput | None = None
    if port is not None:
        factory = _registered(
            live_outputs(), "hystrix", "--hystrix-stream", "the hystrix live output"
        )
        stream = factory(
            port=port,
            interval=args.push_interval,
            wall=args.stream_wall_clock,
            host=args.stream_host,
        )
    driver = PacedDriver(
        speed,
        push_interval=args.push_interval,
        on_push=stream.push if stream is not None else None,
        progress=progress,
    )
    return driver, stream


def cmd_run(args: argparse.Namespace, argv: Sequence[str], out: TextIO, err: TextIO) -> int:
    """``monkeyhouse run``."""
    if args.path and not args.reload and is_scenario_file(Path(args.path)):
        return cmd_run_scenario(args, argv, out, err)
    arch = _resolve(args)
    options = _options(args, arch)
    telemetry = _telemetry(args)
    if not arch.topology.population:
        for warning in zero_count_warnings(arch, options.percent):
            err.write(f"warning: {warning}\n")
    if args.collect and not args.quiet:
        err.write(
            "note: -c is accepted for spigo compatibility; this version writes no flow "
            "or metrics files yet\n"
        )
    target = args.out if args.out is not None else runfolder.next_run_dir(Path("runs"), arch.arch)
    progress = None
    if not args.quiet and err.isatty():
        progress = ProgressLine(err, arch.arch)
    driver, stream = _live(args, progress)
    try:
        if stream is not None:
            stream.start()
            err.write(f"hystrix.stream: {stream.url}\n")
            err.flush()
        result = run_to_folder(
            arch,
            options,
            target,
            graph_json=not args.no_graph,
            graphml=args.graphml and not args.no_graph,
            telemetry=telemetry,
            command=_command_line(argv),
            progress=progress,
            message_stream=out,
            driver=driver,
        )
    finally:
        if stream is not None:
            stream.close()
    return _ended(result, target, progress, args.quiet, out)


def cmd_list(out: TextIO) -> int:
    """``monkeyhouse list``."""
    entries = catalog_entries()
    width = max(len(e.name) for e in entries)
    out.write(f"{'name':<{width}}  services  instances  description\n")
    for entry in entries:
        out.write(
            f"{entry.name:<{width}}  {entry.services:>8}  {entry.instances:>9}  "
            f"{entry.description}\n"
        )
    return 0


def cmd_validate(files: Sequence[Path], out: TextIO, err: TextIO) -> int:
    """``monkeyhouse validate``: every file, each error on its own line."""
    status = 0
    for path in files:
        try:
            if is_scenario_file(path):
                scenario = load_scenario(path)
                out.write(
                    f"{path}: ok (scenario {scenario.name}: {scenario.architecture.arch}, "
                    f"{len(scenario.chaos)} chaos actions)\n"
                )
                continue
            arch = load_architecture(path)
        except MonkeyhouseError as error:
            err.write(f"{error}\n")
            status = 2
            continue
        out.write(f"{path}: ok ({len(arch.services)} services)\n")
    return status


def _ui_plugin(name: str, what: str) -> Any:
    return _registered(ui(), name, what, f"the web UI's {name!r} plug-in")


def cmd_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``monkeyhouse serve [TARGET]``."""
    serve = _ui_plugin("serve", "serve")
    status: int = serve(
        args.target,
        host=args.host,
        port=args.port,
        speed=args.speed,
        duration=args.duration,
        seed=args.seed,
        open_browser=args.open,
        out=out,
        err=err,
    )
    return status


def cmd_render(args: argparse.Namespace, out: TextIO) -> int:
    """``monkeyhouse render DIR``."""
    if args.html:
        write_page = _ui_plugin("page", "render --html")
        out.write(f"{write_page(args.run_dir, args.output)}\n")
        return 0
    if args.output is not None:
        raise UsageError("-o: only with --html (the pictures go next to the run's graph)")
    from monkeyhouse.exporters.picture import render

    formats = [f.strip().lower() for f in args.format.split(",") if f.strip()]
    bad = [f for f in formats if f not in ("svg", "png")]
    if bad or not formats:
        raise UsageError(f"--format: {args.format!r}: choose from svg, png (comma-separated)")
    views = (
        ["services", "instances"]
        if args.both
        else (["instances"] if args.instances else ["services"])
    )
    for view in views:
        for path in render(args.run_dir, view=view, formats=formats):  # type: ignore[arg-type]
            out.write(f"{path}\n")
    return 0


def cmd_experiment(args: argparse.Namespace, argv: Sequence[str], out: TextIO, err: TextIO) -> int:
    """``monkeyhouse experiment FILE``: run it, write the journal and the run folder."""
    from monkeyhouse.scenarios.experiment import read_experiment
    from monkeyhouse.scenarios.experiment_runner import EXIT_FAILED, run_experiment

    journal_path: Path = args.journal
    if journal_path.is_dir():
        raise UsageError(
            f"--journal: {journal_path} is a folder (give a file path, e.g. "
            f"{journal_path / 'journal.json'})"
        )
    parent = journal_path.parent
    if not parent.is_dir():
        raise UsageError(
            f"--journal: folder {parent} does not exist (create it or choose another path)"
        )
    experiment = read_experiment(args.path)

    def log(text: str) -> None:
        if not args.quiet:
            out.write(text + "\n")

    target = (
        args.out
        if args.out is not None
        else (lambda arch: runfolder.next_run_dir(Path("runs"), arch))
    )
    outcome = run_experiment(experiment, out=target, command=_command_line(argv), log=log)
    try:
        runfolder.write_json_atomic(journal_path, outcome.journal)
    except OSError as error:
        raise UsageError(
            f"--journal: cannot write {journal_path}: {error.strerror} (choose another path)"
        ) from None
    if not args.quiet:
        folder = outcome.result.out if outcome.result is not None else None
        out.write(f"journal: {journal_path}\n")
        if folder is not None:
            out.write(f"run folder: {folder}\n")
    if outcome.exit_status == EXIT_FAILED:
        err.write(f"monkeyhouse: {args.path}: experiment {outcome.explanation()}\n")
    return outcome.exit_status


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Entry point; returns the exit status."""
    raw = list(sys.argv[1:] if argv is None else argv)
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        tokens = _spigo_style(raw)
        if tokens and tokens[0].startswith("-") and tokens[0] not in ("-h", "--help"):
            tokens = ["run", *tokens]
        parser = _parser()
        args = parser.parse_args(tokens)
        if args.command is None:
            parser.print_help(out)
            return 0
        if args.command == "run":
            return cmd_run(args, raw, out, err)
        if args.command == "list":
            return cmd_list(out)
        if args.command == "schema":
            schema = scenario_schema() if args.scenario else architecture_schema()
            out.write(json.dumps(schema, indent=2) + "\n")
            return 0
        if args.command == "validate":
            return cmd_validate(args.files, out, err)
        if args.command == "experiment":
            return cmd_experiment(args, raw, out, err)
        if args.command == "serve":
            return cmd_serve(args, out, err)
        return cmd_render(args, out)
    except MonkeyhouseError as error:
        err.write(f"monkeyhouse: {error}\n")
        return error.exit_status
    except KeyboardInterrupt:
        err.write("monkeyhouse: interrupted\n")
        return 130
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): stop quietly, as command-line tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    raise SystemExit(main())
