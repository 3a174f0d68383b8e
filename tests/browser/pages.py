"""Helpers of the browser tests: Chromium's path and flags, screenshots, a served UI."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
URL = re.compile(r"http://127\.0\.0\.1:\d+/")
#: Chromium's flags for a closed network: no background connections, no sandbox as root
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Debian's Chromium (or ``MONKEYHOUSE_CHROMIUM``); a failure naming what to install."""
    named = os.environ.get("MONKEYHOUSE_CHROMIUM")
    found = named or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found or not os.access(found, os.X_OK):
        pytest.fail(
            "the browser tests need Chromium: `sudo apt-get install chromium` (Debian, Ubuntu; "
            "`make test` does it when run as root), or set MONKEYHOUSE_CHROMIUM to a Chromium "
            "or Chrome binary",
            pytrace=False,
        )
    return found


def shot(page: Page, name: str) -> Path:
    """Keep a screenshot of ``page`` as a test artifact; its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


class Served:
    """A ``monkeyhouse serve`` subprocess and the URL it printed."""

    def __init__(self, args: list[str]) -> None:
        command = [sys.executable, "-m", "monkeyhouse", "serve", *args, "--port", "0"]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
        )
        self.lines: list[str] = []
        found = threading.Event()
        self.url = ""

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.lines.append(line)
                match = URL.search(line)
                if match and not found.is_set():
                    self.url = match.group(0)
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(60):
            self.stop()
            raise AssertionError(f"`{' '.join(command)}` printed no URL: {''.join(self.lines)}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
