"""``monkeyhouse serve``: the web UI on 127.0.0.1, live or replaying a run folder.

The target picks the mode: none (the bundled ``netflixoss``, live), an architecture (a catalog
name or a file, live), a scenario file (live, with its own duration, seed and chaos schedule)
or a run folder (a folder with a ``graph.json``: replay). Registered as the ``serve`` plug-in
of the ``monkeyhouse.ui`` entry point group, which the command line loads (the layers forbid
it to import this module).
"""

from __future__ import annotations

import asyncio
import math
import sys
import webbrowser
from pathlib import Path
from typing import TextIO

from monkeyhouse.errors import UsageError
from monkeyhouse.model import resolve_architecture
from monkeyhouse.model.architecture import Architecture
from monkeyhouse.model.chaosaction import ChaosAction
from monkeyhouse.model.scenario import is_scenario_file, load_scenario
from monkeyhouse.scenarios.scenario import scenario_options
from monkeyhouse.scenarios.simulation import RunOptions
from monkeyhouse.web.app import UiServer
from monkeyhouse.web.live import DEFAULT_PUSH_INTERVAL, LiveSession
from monkeyhouse.web.protocol import MAX_SPEED, MIN_SPEED
from monkeyhouse.web.replay import is_run_folder

#: a live architecture's simulated duration unless told otherwise (an hour)
DEFAULT_DURATION = 3600.0
DEFAULT_TARGET = "netflixoss"


def live_session(
    target: str | None,
    *,
    speed: float = 1.0,
    duration: float | None = None,
    seed: int | None = None,
    push_interval: float = DEFAULT_PUSH_INTERVAL,
    cwd: Path | None = None,
) -> LiveSession:
    """The live session ``target`` (an architecture or a scenario file) stands for."""
    here = cwd or Path.cwd()
    chaos: tuple[ChaosAction, ...] = ()
    if target is not None and is_scenario_file(here / target):
        scenario = load_scenario(here / target)
        if duration is not None or seed is not None:
            raise UsageError(
                f"{target}: -d and --seed cannot be used with a scenario file, which sets its "
                "own duration and seed (change them in the file)"
            )
        arch: Architecture = scenario.architecture
        options = scenario_options(scenario)
        chaos = scenario.chaos
        source = str(target)
    else:
        name = target or DEFAULT_TARGET
        arch = resolve_architecture(name, cwd=here)
        length = DEFAULT_DURATION if duration is None else duration
        if not (math.isfinite(length) and length > 0):
            raise UsageError(f"-d: {length:g} must be a positive number of simulated seconds")
        options = RunOptions(duration=length, seed=1 if seed is None else seed)
        source = arch.source or name
    return LiveSession(
        arch, options, chaos=chaos, speed=speed, push_interval=push_interval, source=source
    )


def _check(host: str, port: int, speed: float) -> None:
    if not 0 <= port <= 65535:
        raise UsageError(f"--port: {port} is not a port (0 to 65535; 0 picks a free one)")
    if not (math.isfinite(speed) and MIN_SPEED <= speed <= MAX_SPEED):
        raise UsageError(
            f"--speed: {speed:g} is out of range ({MIN_SPEED:g} to {MAX_SPEED:g} simulated "
            "seconds per wall second; 1 is real time)"
        )
    if not host:
        raise UsageError("--host: empty (give an address such as 127.0.0.1)")


def make_server(
    target: str | None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    speed: float = 1.0,
    duration: float | None = None,
    seed: int | None = None,
    assets: Path | None = None,
    push_interval: float = DEFAULT_PUSH_INTERVAL,
) -> UiServer:
    """The server for ``target`` (not started)."""
    _check(host, port, speed)
    from monkeyhouse.web.app import find_assets

    folder = find_assets(assets)
    if target is not None and Path(target).is_dir():
        run_dir = Path(target)
        if not is_run_folder(run_dir):
            raise UsageError(
                f"{target}: a folder without graph.json is not a run folder (give a folder "
                "`monkeyhouse run` wrote, an architecture or a scenario file)"
            )
        return UiServer(assets=folder, replay_dir=run_dir, host=host, port=port)
    session = live_session(
        target, speed=speed, duration=duration, seed=seed, push_interval=push_interval
    )
    return UiServer(assets=folder, live=session, host=host, port=port)


async def _serve(server: UiServer, out: TextIO, open_browser: bool) -> None:
    url = await server.start()
    try:
        what = "replaying" if server.mode == "replay" else "live"
        out.write(f"monkeyhouse web UI ({what}): {url}  (Ctrl-C stops)\n")
        out.flush()
        if open_browser:
            webbrowser.open(url)
        await asyncio.Event().wait()
    finally:
        await server.stop()


def serve(
    target: str | None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    speed: float = 1.0,
    duration: float | None = None,
    seed: int | None = None,
    open_browser: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Serve the web UI for ``target`` until Ctrl-C; returns the exit status (0)."""
    out = out or sys.stdout
    err = err or sys.stderr
    server = make_server(target, host=host, port=port, speed=speed, duration=duration, seed=seed)
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.write(
            f"warning: listening on {host}: anyone who can reach this address can run chaos "
            "on the simulation\n"
        )
    try:
        asyncio.run(_serve(server, out, open_browser))
    except KeyboardInterrupt:
        err.write("monkeyhouse: the web UI stopped\n")
    return 0
