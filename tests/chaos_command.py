"""Running the real ``chaos`` command in tests: no settings, no log file, no version check,
and a guard that refuses (and records) every connection that is not to this machine."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

#: the chaos console script of the chaostoolkit package (a test extra), beside this Python
CHAOS = Path(sys.executable).parent / "chaos"

GUARD = """
import socket

_LOG = {log!r}
_LOCAL = ("127.0.0.1", "::1", "localhost")
_connect = socket.socket.connect
_getaddrinfo = socket.getaddrinfo


def _refuse(what):
    with open(_LOG, "a") as log:
        log.write(repr(what) + "\\n")
    raise OSError("network access refused by the monkeyhouse test")


def connect(self, address):
    if isinstance(address, tuple) and address[0] not in _LOCAL:
        _refuse(address)
    return _connect(self, address)


def getaddrinfo(host, *args, **kwargs):
    if host not in _LOCAL and host is not None:
        _refuse(host)
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect = connect
socket.getaddrinfo = getaddrinfo
"""


def chaos_run(
    tmp_path: Path, experiment: Path | str, journal: Path | str, *, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``chaos run EXPERIMENT`` in ``cwd`` (default ``tmp_path``); assert no network use."""
    assert CHAOS.is_file(), f"no chaos command at {CHAOS}: install the test extras (.[test])"
    guard = tmp_path / "guard"
    guard.mkdir(exist_ok=True)
    refused = tmp_path / "refused.log"
    (guard / "sitecustomize.py").write_text(textwrap.dedent(GUARD.format(log=str(refused))))
    settings = tmp_path / "settings.yaml"
    settings.write_text("{}\n")
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(guard), env.get("PYTHONPATH", "")]).rstrip(
                os.pathsep
            ),
            "HOME": str(tmp_path),
            "NO_COLOR": "1",
        }
    )
    done = subprocess.run(
        [
            str(CHAOS),
            "--no-version-check",
            "--no-log-file",
            "--settings",
            str(settings),
            "run",
            "--journal-path",
            str(journal),
            str(experiment),
        ],
        cwd=cwd or tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert not refused.exists(), f"chaos tried the network: {refused.read_text()}"
    return done
