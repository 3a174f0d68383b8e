"""Build the web UI's front end into the Python package (``src/monkeyhouse/web/static``).

The front end lives in ``frontend/``: TypeScript and the npm packages its ``package.json`` and
lock file declare. This script runs ``npm ci`` when ``node_modules`` is missing or older than
the lock file, then ``npm run build`` when the bundle is missing or older than any source.
``setup.py`` calls it when the package is built (a wheel, or ``pip install -e .``) and the
Makefile calls it before running or testing, so the bundle is never pasted in by hand and never
stale. Usage: ``python tools/build_ui.py [--force]``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRONTEND = ROOT / "frontend"
STATIC = ROOT / "src" / "monkeyhouse" / "web" / "static"
BUNDLE = STATIC / "index.html"
SOURCES = (
    "src",
    "index.html",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "vite.config.ts",
)


class BuildError(RuntimeError):
    """The front end could not be built; the message says what to install or fix."""


def _newest(paths: list[Path]) -> float:
    times = [p.stat().st_mtime for p in paths if p.is_file()]
    return max(times, default=0.0)


def _sources() -> list[Path]:
    found: list[Path] = []
    for name in SOURCES:
        path = FRONTEND / name
        if path.is_dir():
            found.extend(p for p in path.rglob("*") if p.is_file())
        else:
            found.append(path)
    return found


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError(
            "the web UI needs Node.js 20.19 or newer and npm to build (frontend/package.json): "
            "install Debian's `nodejs` and `npm` packages (apt-get install nodejs npm) or "
            "Node.js from nodejs.org, then run `make` again"
        )
    return npm


def _run(args: list[str]) -> None:
    print(f"build_ui: {' '.join(args)} (in frontend/)", file=sys.stderr)
    done = subprocess.run(args, cwd=FRONTEND, check=False)
    if done.returncode != 0:
        raise BuildError(f"`{' '.join(args)}` in frontend/ failed (exit {done.returncode})")


def build(force: bool = False) -> bool:
    """Build the bundle if it is missing or stale; True when it was (re)built."""
    if not (FRONTEND / "package.json").is_file():
        raise BuildError(
            f"{FRONTEND}/package.json is missing: the front end's sources are not here"
        )
    lock = FRONTEND / "package-lock.json"
    installed = FRONTEND / "node_modules" / ".package-lock.json"
    npm = _npm()
    if force or not installed.is_file() or installed.stat().st_mtime < lock.stat().st_mtime:
        _run([npm, "ci", "--no-audit", "--no-fund"])
    if not force and BUNDLE.is_file() and BUNDLE.stat().st_mtime >= _newest(_sources()):
        return False
    _run([npm, "run", "build"])
    if not BUNDLE.is_file():
        raise BuildError(f"`npm run build` did not write {BUNDLE}")
    BUNDLE.touch()
    return True


def main(argv: list[str]) -> int:
    """Command line: ``--force`` rebuilds whatever the times say."""
    try:
        built = build(force="--force" in argv)
    except BuildError as error:
        print(f"build_ui: error: {error}", file=sys.stderr)
        return 1
    print(
        f"build_ui: {'built' if built else 'up to date'}: {BUNDLE.relative_to(ROOT)}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
