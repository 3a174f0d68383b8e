"""The Chaos Toolkit provider module, called in-process and by the real ``chaos run``.

The real command is the ``chaos`` console script of the chaostoolkit package (a test extra),
run in a temporary folder with an empty settings file, no log file, no version check and a
guard that refuses (and records) every connection that is not to this machine: the test
asserts the guard saw none. Outcomes are judged against what the experiments do to the LAMP
stack: 18 webservers (the catalog's count), and none left after killing all of them, so that
every user request fails.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

import monkeyhouse.chaostoolkit as provider
from chaos_command import GUARD, chaos_run
from monkeyhouse.errors import UsageError
from monkeyhouse.scenarios.session import close_shared, shared_session

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "experiments"
LAMP = {"monkeyhouse_architecture": "lamp", "monkeyhouse_warmup": 5, "monkeyhouse_duration": 60}


@pytest.fixture(autouse=True)
def fresh_session() -> Iterator[None]:
    close_shared()
    yield
    close_shared()


def test_every_function_takes_the_configuration_and_is_documented() -> None:
    for name in provider.__all__:
        func = getattr(provider, name)
        assert inspect.isfunction(func), name
        assert "configuration" in inspect.signature(func).parameters, name
        assert func.__doc__ and func.__doc__.strip(), name


def test_functions_act_on_one_simulation_built_from_the_first_configuration() -> None:
    assert provider.simulated_time(LAMP) == 5.0
    assert provider.live_instances("webserver", LAMP) == 18
    assert provider.error_rate("www", 5, LAMP) == 0.0
    killed = provider.kill_instances("webserver", count=4, configuration=LAMP)
    assert len(killed) == 4
    assert provider.live_instances("webserver") == 14  # the same simulation, no configuration
    assert provider.advance(5) == 10.0
    assert sorted(provider.restore("webserver")) == sorted(
        r["detail"].split()[1] for r in provider.chaos_log() if r["action"] == "replace"
    )
    assert provider.live_instances("webserver") == 18
    fault = provider.add_latency("webserver", latency=0.2, configuration=LAMP)
    assert fault["action"] == "latency-monkey" and fault["ended"] is None
    provider.advance(5)
    slow = provider.latency_percentile("www", 50, 3)
    assert slow is not None and slow > 0.2  # every request waits 0.2 s more on its way in
    (removed,) = provider.remove_faults()
    assert removed["ended"] == 15.0 and removed["delayed"] > 0
    provider.advance(5)
    fast = provider.latency_percentile("www", 50, 3)
    assert fast is not None and fast < 0.2
    with pytest.raises(UsageError, match=r"service: 'nope' is not a service of lamp"):
        provider.throughput("nope")


def test_a_zone_outage_and_its_end() -> None:
    health = provider.service_health("webserver", 5, LAMP)
    assert health["live_instances"] == 18
    fault = provider.fail_zone("us-east-1", "zoneA")
    assert len([n for n in fault["killed"] if ".webserver" in n]) == 6  # 18 over zones A, B, C
    assert provider.live_instances("webserver") == 12
    provider.advance(2)
    (removed,) = provider.remove_faults()
    assert len(removed["replacements"]) == len(fault["killed"])
    assert provider.live_instances("webserver") == 18


def test_calls_from_several_threads_take_turns() -> None:
    """chaostoolkit-lib runs background activities in threads; the simulation takes turns."""
    provider.simulated_time(LAMP)
    with ThreadPoolExecutor(4) as pool:
        times = list(pool.map(lambda _: provider.advance(0.5), range(20)))
    assert sorted(times) == [5.0 + 0.5 * k for k in range(1, 21)]
    assert provider.simulated_time() == 15.0


def write_experiment(source: Path, target: Path, out: Path) -> Path:
    """The example as JSON, writing its run folder to ``out`` when the process ends."""
    text = source.read_text()
    data: dict[str, Any] = yaml.safe_load(text) if source.suffix == ".yaml" else json.loads(text)
    data["configuration"]["monkeyhouse_out"] = str(out)
    target.write_text(json.dumps(data, indent=2))
    return target


def test_the_guard_refuses_the_network(tmp_path: Path) -> None:
    guard = tmp_path / "guard"
    guard.mkdir()
    refused = tmp_path / "refused.log"
    (guard / "sitecustomize.py").write_text(textwrap.dedent(GUARD.format(log=str(refused))))
    done = subprocess.run(
        [sys.executable, "-c", "import socket; socket.getaddrinfo('pypi.org', 443)"],
        env=dict(os.environ, PYTHONPATH=str(guard)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0 and "refused by the monkeyhouse test" in done.stderr
    assert refused.read_text().strip() == "'pypi.org'"


def test_the_real_chaos_run_sees_the_simulation_hold(tmp_path: Path) -> None:
    experiment = write_experiment(
        EXAMPLES / "lamp-lose-a-third.json", tmp_path / "third.json", tmp_path / "run"
    )
    journal_path = tmp_path / "journal.json"
    done = chaos_run(tmp_path, experiment, journal_path)
    assert done.returncode == 0, done.stdout + done.stderr
    journal = json.loads(journal_path.read_text())
    assert (journal["status"], journal["deviated"]) == ("completed", False)
    assert journal["chaoslib-version"]  # this journal is chaostoolkit-lib's own
    killed = journal["run"][0]["output"]
    assert len(killed) == 6 and all(".webserver" in name for name in killed)  # ceil(0.33 * 18)
    assert journal["run"][1]["output"] == 20.0  # warm-up 10 + 10 simulated seconds
    assert journal["run"][2]["output"] == 12  # webservers left
    for phase in ("before", "after"):
        (errors, p99) = journal["steady_states"][phase]["probes"]
        assert errors["output"] == 0.0
        assert 0 < p99["output"] < 0.3
    (rollback,) = journal["rollbacks"]
    assert len(rollback["output"]) == 6
    manifest = json.loads((tmp_path / "run" / "run.json").read_text())  # written at exit
    assert manifest["status"] == "complete"
    assert manifest["summary"]["simulated_seconds"] == 20.0
    assert len(manifest["summary"]["chaos_victims"]) == 6


def test_the_real_chaos_run_sees_the_simulation_deviate(tmp_path: Path) -> None:
    experiment = write_experiment(
        EXAMPLES / "lamp-lose-every-webserver.yaml", tmp_path / "all.json", tmp_path / "run"
    )
    journal_path = tmp_path / "journal.json"
    done = chaos_run(tmp_path, experiment, journal_path)
    assert done.returncode == 1, done.stdout + done.stderr  # chaos exits 1 when deviated
    journal = json.loads(journal_path.read_text())
    assert (journal["status"], journal["deviated"]) == ("completed", True)
    before = journal["steady_states"]["before"]["probes"]
    assert before[0]["output"] == 0.0
    assert before[1]["output"]["live_instances"] == 18  # chaostoolkit-lib's jsonpath agrees
    assert before[1]["tolerance_met"] is True
    after = journal["steady_states"]["after"]["probes"]
    assert after[0]["output"] == 1.0 and after[0]["tolerance_met"] is False
    assert len(journal["rollbacks"][0]["output"]) == 18


def test_breakers_open_counts_the_open_breakers_on_an_edge() -> None:
    """netflixoss: subscriber goes away, and the breakers open up the chain.

    Each homepage instance has its own breaker on subscriber; with no subscriber to call,
    every call fails at once (no server available, as Ribbon inside a Hystrix command), and a
    breaker opens at the health snapshot after its 20th call. Homepage then answers errors, so
    zuul's breakers on homepage open too (no fallback is set), which shields homepage from
    more calls: some of its breakers never see 20 calls.
    """
    netflixoss = {
        "monkeyhouse_architecture": "netflixoss",
        "monkeyhouse_rate": 400,
        "monkeyhouse_warmup": 2,
        "monkeyhouse_duration": 30,
    }
    assert provider.breakers_open("homepage", "subscriber", configuration=netflixoss) == 0
    provider.kill_instances("subscriber", count=6)
    provider.advance(5.0)
    session = shared_session()
    now = session.simulation.env.now
    for caller, dependency, instances in (
        ("homepage", "subscriber", 24),
        ("wwwproxy", "homepage", 6),
    ):
        opened = provider.breakers_open(caller, dependency)
        behaviour = session.service(caller).behaviour
        group = next(g for g in behaviour.groups if g is not None and g.dependency == dependency)
        states = [command.breaker.state(now) for command in group.commands.values()]
        assert 0 < opened == states.count("open") <= instances
    assert provider.breakers_open("www", "www-elb") == 0  # a denominator has no breaker
