"""The Python API: the command line's power as three functions.

>>> import monkeyhouse
>>> arch = monkeyhouse.load("netflixoss")
>>> result = monkeyhouse.run(arch, duration=2, seed=1, out="runs/api-demo")
>>> result.summary.instances
65
"""

from __future__ import annotations

from pathlib import Path

from monkeyhouse.model import resolve_architecture
from monkeyhouse.model.architecture import Architecture
from monkeyhouse.scenarios import runfolder
from monkeyhouse.scenarios.run import RunResult, run_to_folder
from monkeyhouse.scenarios.simulation import RunOptions


def load(name_or_path: str | Path, *, step: int = 0, cwd: str | Path | None = None) -> Architecture:
    """An architecture by catalog name, spigo ``-a`` name or file path (validated)."""
    return resolve_architecture(str(name_or_path), cwd=Path(cwd or Path.cwd()), step=step)


def run(
    arch: Architecture | str,
    *,
    duration: float = 10.0,
    percent: int = 100,
    regions: int = 1,
    seed: int = 1,
    reduce: bool = False,
    poll: float = 1.0,
    chat: float = 0.01,
    out: str | Path | None = None,
    graphml: bool = False,
) -> RunResult:
    """Simulate ``arch`` and write its run folder (default ``runs/<arch>-<n>``)."""
    if isinstance(arch, str):
        arch = load(arch)
    options = RunOptions(
        duration=duration,
        percent=percent,
        regions=regions,
        seed=seed,
        reduce=reduce,
        poll=poll,
        chat=chat,
    )
    target = Path(out) if out is not None else runfolder.next_run_dir(Path("runs"), arch.arch)
    return run_to_folder(arch, options, target, graphml=graphml, command="api")


__all__ = ["RunResult", "load", "run"]
