"""Setuptools hook: build the web UI's front end into the package before its files are copied.

Everything else about the package is in ``pyproject.toml``. The bundle
(``src/monkeyhouse/web/static``) comes from ``frontend/`` through ``tools/build_ui.py``
(``npm ci`` and ``npm run build``); it is never committed.
"""

from __future__ import annotations

import runpy
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithUI(build_py):
    """``build_py`` that first builds the front end (when its sources are here)."""

    def run(self) -> None:
        """Build the bundle if stale, then copy the package's files as usual."""
        if (HERE / "frontend" / "package.json").is_file():
            tool = runpy.run_path(str(HERE / "tools" / "build_ui.py"))
            tool["build"]()
        super().run()


setup(cmdclass={"build_py": BuildPyWithUI})
