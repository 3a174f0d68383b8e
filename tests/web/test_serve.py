"""``monkeyhouse serve``: what each target means, its checks, and Ctrl-C."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from ui_helpers import TIMEOUT, fake_assets

from monkeyhouse.cli.main import main
from monkeyhouse.errors import UsageError
from monkeyhouse.web.serve import DEFAULT_DURATION, make_server


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    return fake_assets(tmp_path / "static")


def test_no_target_is_netflixoss_live_for_an_hour(assets: Path) -> None:
    server = make_server(None, assets=assets)
    assert server.mode == "live" and server.live is not None
    assert server.live.arch.arch == "netflixoss"
    assert server.live.duration == DEFAULT_DURATION == 3600.0
    assert server.host == "127.0.0.1" and server.port == 0


def test_an_architecture_with_duration_and_seed(assets: Path) -> None:
    server = make_server("lamp", assets=assets, duration=20.0, seed=4, speed=3.0)
    assert server.live is not None
    assert server.live.arch.arch == "lamp"
    assert server.live.options.duration == 20.0 and server.live.options.seed == 4
    assert server.live.driver.speed == 3.0


def test_a_scenario_file_brings_its_own_settings_and_chaos(assets: Path) -> None:
    scenario = Path("examples/chaos-day.yaml").resolve()
    server = make_server(str(scenario), assets=assets)
    assert server.live is not None
    assert server.live.duration == 120.0
    assert len(server.live.simulation.chaos_actions) == 5
    with pytest.raises(UsageError, match="sets its own duration and seed"):
        make_server(str(scenario), assets=assets, duration=10.0)


def test_a_run_folder_is_replayed(assets: Path, netflixoss_run: Path, tmp_path: Path) -> None:
    server = make_server(str(netflixoss_run), assets=assets)
    assert server.mode == "replay" and server.live is None
    with pytest.raises(UsageError, match=r"without graph\.json is not a run folder"):
        make_server(str(tmp_path), assets=assets)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"port": 70000}, "--port: 70000 is not a port"),
        ({"speed": 0.0}, "--speed: 0 is out of range"),
        ({"speed": float("nan")}, "--speed: nan is out of range"),
        ({"duration": -1.0}, "-d: -1 must be a positive number"),
        ({"host": ""}, "--host: empty"),
    ],
)
def test_bad_options(assets: Path, options: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        make_server(None, assets=assets, **options)  # type: ignore[arg-type]


def test_without_a_built_front_end_serve_says_how_to_build_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import monkeyhouse.web.app as app

    monkeypatch.setattr(app, "default_assets", lambda: tmp_path / "nothing")
    out, err = io.StringIO(), io.StringIO()
    assert main(["serve", "-d", "5"], out, err) == 2
    assert "make build-ui" in err.getvalue() and "npm ci && npm run build" in err.getvalue()


def test_serve_prints_the_url_and_ctrl_c_stops_it(assets: Path) -> None:
    script = (
        "import sys\nfrom pathlib import Path\nimport monkeyhouse.web.app as app\n"
        f"app.default_assets = lambda: Path({str(assets)!r})\n"
        "from monkeyhouse.cli.main import main\n"
        "sys.exit(main(['serve', '--port', '0', '--speed', '5', '-d', '600']))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "monkeyhouse web UI (live): http://127.0.0.1:" in line, line
        url = line.split(": ", 1)[1].split()[0]
        deadline = time.monotonic() + TIMEOUT
        with urllib.request.urlopen(url + "api/session", timeout=TIMEOUT) as response:
            assert json.load(response)["mode"] == "live"
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=max(deadline - time.monotonic(), 5.0))
        assert status == 0
        assert process.stderr is not None
        assert "the web UI stopped" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=TIMEOUT)
