"""Running experiments: the order and outcomes chaostoolkit-lib documents, in simulated time.

Expected outcomes come from the Chaos Toolkit specification and chaostoolkit-lib's run
semantics (hypothesis before, method, hypothesis after, rollbacks by strategy; a failed
rollback does not stop the others), and from simulated time computed by hand from the
experiment (warm-up + pauses + advances). The deviation case kills every webserver of the
LAMP stack, after which no user request can succeed (error rate 1 by construction).
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from monkeyhouse.errors import UsageError
from monkeyhouse.scenarios.experiment import check_experiment
from monkeyhouse.scenarios.experiment_runner import ExperimentOutcome, run_experiment

MODULE = "monkeyhouse.chaostoolkit"
WARMUP = 2.0
JOURNAL_KEYS = {
    "chaoslib-version",
    "platform",
    "node",
    "experiment",
    "start",
    "end",
    "duration",
    "status",
    "deviated",
    "steady_states",
    "run",
    "rollbacks",
    "monkeyhouse",
}
RUN_KEYS = {"activity", "output", "status", "start", "end", "duration"}


def call(func: str, kind: str = "action", name: str | None = None, **arguments: Any) -> Any:
    return {
        "type": kind,
        "name": name or func,
        "provider": {"type": "python", "module": MODULE, "func": func, "arguments": arguments},
    }


def probe(func: str, tolerance: Any, name: str | None = None, **arguments: Any) -> Any:
    return call(func, "probe", name, **arguments) | {"tolerance": tolerance}


def experiment(
    probes: list[Any], method: list[Any], rollbacks: list[Any] | None = None, **extra: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": "1.0.0",
        "title": "test",
        "description": "a test experiment",
        "configuration": {
            "monkeyhouse_architecture": "lamp",
            "monkeyhouse_duration": 60,
            "monkeyhouse_warmup": WARMUP,
            "monkeyhouse_rate": 50,
        },
        "steady-state-hypothesis": {"title": "normal", "probes": probes},
        "method": method,
        "rollbacks": rollbacks or [],
    }
    data.update(extra)
    return data


def run(data: dict[str, Any], **kwargs: Any) -> ExperimentOutcome:
    return run_experiment(check_experiment(data, "test.json"), **kwargs)


def stamp(seconds: float) -> str:
    whole, frac = divmod(round(seconds * 1e9), 1_000_000_000)
    text = f"2016-12-19T00:{whole // 60:02d}:{whole % 60:02d}"
    return text + (("." + f"{frac:09d}".rstrip("0")) if frac else "") + "Z"


def test_the_journal_has_chaostoolkit_keys_and_simulated_times() -> None:
    outcome = run(
        experiment(
            [probe("simulated_time", [0, 100], name="clock")],
            [call("advance", seconds=2) | {"pauses": {"before": 1, "after": 3}}],
        )
    )
    journal = outcome.journal
    assert set(journal) == JOURNAL_KEYS
    assert journal["chaoslib-version"] is None
    assert (journal["status"], journal["deviated"], outcome.exit_status) == ("completed", False, 0)
    assert journal["experiment"]["title"] == "test"
    assert set(journal["steady_states"]) == {"before", "after", "during"}
    assert journal["steady_states"]["during"] == []
    # warm-up 2, pause 1, advance 2, pause 3: the method's action ran from 3 to 5
    (action,) = journal["run"]
    assert set(action) == RUN_KEYS
    assert (action["start"], action["end"], action["duration"]) == (stamp(3), stamp(5), 2.0)
    assert action["output"] == 5.0
    before = journal["steady_states"]["before"]
    after = journal["steady_states"]["after"]
    assert before["steady_state_met"] and after["steady_state_met"]
    assert set(before["probes"][0]) == RUN_KEYS | {"tolerance_met"}
    assert (before["probes"][0]["output"], after["probes"][0]["output"]) == (2.0, 8.0)
    assert (journal["start"], journal["end"], journal["duration"]) == (stamp(2), stamp(8), 6.0)
    assert journal["monkeyhouse"]["arch"] == "lamp"
    json.dumps(journal)  # all of it is JSON


def test_killing_every_webserver_deviates_and_the_rollback_restores_them() -> None:
    probes = [
        probe("error_rate", [0, 0.01], name="users-see-no-errors", service="www", window=3),
        probe("live_instances", 18, name="webservers", service="webserver"),
    ]
    method = [call("kill_instances", service="webserver", share=1.0), call("advance", seconds=5)]
    outcome = run(experiment(probes, method, [call("restore", service="webserver")]))
    journal = outcome.journal
    assert (journal["status"], journal["deviated"], outcome.exit_status) == ("completed", True, 1)
    killed = journal["run"][0]["output"]
    assert len(killed) == 18 and all(".webserver" in name for name in killed)
    after = journal["steady_states"]["after"]
    assert after["steady_state_met"] is False
    assert after["probes"][0]["output"] == 1.0  # nothing can serve a user
    assert after["probes"][0]["tolerance_met"] is False
    assert len(after["probes"]) == 1  # the first probe out of tolerance ends the hypothesis
    (rollback,) = journal["rollbacks"]  # default strategy: played, the experiment completed
    assert rollback["status"] == "succeeded" and len(rollback["output"]) == 18
    assert "deviated" in outcome.explanation() and "users-see-no-errors" in outcome.explanation()


def test_a_hypothesis_not_met_before_skips_the_method() -> None:
    data = experiment(
        [probe("live_instances", 17, name="seventeen", service="webserver")],
        [call("advance", seconds=5)],
        [call("advance", name="undo", seconds=1)],
    )
    outcome = run(data)
    journal = outcome.journal
    assert (journal["status"], journal["deviated"], outcome.exit_status) == ("failed", False, 2)
    assert journal["run"] == [] and journal["steady_states"]["after"] is None
    assert journal["rollbacks"] == []  # default strategy: not after a failure
    assert journal["end"] == stamp(WARMUP)
    assert "before the method" in outcome.explanation() and "gave 18" in outcome.explanation()
    data["runtime"] = {"rollbacks": {"strategy": "always"}}
    assert [r["activity"]["name"] for r in run(data).journal["rollbacks"]] == ["undo"]


@pytest.mark.parametrize(
    ("strategy", "deviate", "played"),
    [
        ("default", False, True),
        ("default", True, True),
        ("never", True, False),
        ("always", False, True),
        ("deviated", False, False),
        ("deviated", True, True),
    ],
)
def test_rollback_strategies(strategy: str, deviate: bool, played: bool) -> None:
    limit = WARMUP + (0 if deviate else 10)
    data = experiment(
        [probe("simulated_time", [0, limit], name="clock")],
        [call("advance", seconds=1)],
        [call("advance", name="undo", seconds=1)],
        runtime={"rollbacks": {"strategy": strategy}},
    )
    journal = run(data).journal
    assert journal["deviated"] is deviate
    assert bool(journal["rollbacks"]) is played


def test_a_failed_rollback_does_not_stop_the_others_nor_a_failed_action_the_method() -> None:
    outcome = run(
        experiment(
            [probe("live_instances", 18, service="webserver")],
            [call("advance", name="too-far", seconds=1000), call("advance", seconds=1)],
            [call("advance", name="bad", seconds=-1), call("advance", name="good", seconds=1)],
        )
    )
    journal = outcome.journal
    assert [r["status"] for r in journal["run"]] == ["failed", "succeeded"]
    assert "raise monkeyhouse_duration" in "".join(journal["run"][0]["exception"])
    assert [(r["activity"]["name"], r["status"]) for r in journal["rollbacks"]] == [
        ("bad", "failed"),
        ("good", "succeeded"),
    ]
    assert (journal["status"], outcome.exit_status) == ("completed", 0)


def test_a_probe_that_fails_outright_fails_the_hypothesis() -> None:
    outcome = run(
        experiment(
            [probe("error_rate", [0, 1], service="www", window=10_000)],
            [call("advance", seconds=1)],
        )
    )
    before = outcome.journal["steady_states"]["before"]
    assert before["probes"][0]["status"] == "failed"
    assert before["probes"][0]["tolerance_met"] is False
    assert "monkeyhouse_window_limit" in "".join(before["probes"][0]["exception"])
    assert outcome.status == "failed"


def test_unknown_services_are_refused_before_anything_runs() -> None:
    data = experiment([], [call("kill_instances", service="webservers")])
    where = r"^test\.json: method\[0\]\.provider\.arguments\.service: 'webservers' is not"
    with pytest.raises(UsageError, match=where):
        run(data)
    data = experiment([], [call("fail_zone", region="us-east-1", zone="zoneZ")])
    with pytest.raises(UsageError, match=r"arguments\.zone: 'zoneZ' is not a zone of this run"):
        run(data)


def test_other_modules_probe_tolerances_process_refs_and_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ctk_helpers.py").write_text(
        textwrap.dedent(
            """
            def seen(label, configuration=None):
                return {"label": label, "arch": configuration["monkeyhouse_architecture"]}

            def above(limit, value):
                return value > limit
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    helper = {"type": "python", "module": "ctk_helpers"}
    probes = [
        {
            "type": "probe",
            "name": "configured",
            "provider": helper | {"func": "seen", "arguments": {"label": "${greeting}"}},
            "tolerance": {"type": "jsonpath", "path": "$.label", "expect": "hello"},
        },
        probe(
            "live_instances",
            {
                "type": "probe",
                "name": "more-than-ten",
                "provider": helper | {"func": "above", "arguments": {"limit": 10}},
            },
            name="many-webservers",
            service="webserver",
        ),
        {
            "type": "probe",
            "name": "a-process",
            "provider": {
                "type": "process",
                "path": sys.executable,
                "arguments": ["-c", "print('welcome=hello')"],
            },
            "tolerance": {"type": "regex", "pattern": "^welcome=hello$", "target": "stdout"},
        },
    ]
    data = experiment(
        probes,
        [call("advance", seconds=1) | {"background": True}, {"ref": "configured"}],
    )
    data["configuration"]["greeting"] = "hello"
    outcome = run(data)
    journal = outcome.journal
    assert outcome.exit_status == 0, outcome.explanation()
    before = journal["steady_states"]["before"]
    assert before["probes"][0]["output"] == {"label": "hello", "arch": "lamp"}
    assert before["probes"][1]["output"] == 18
    assert before["probes"][2]["output"]["status"] == 0
    assert journal["run"][1]["activity"]["name"] == "configured"
    assert any("background" in note for note in journal["monkeyhouse"]["notes"])


def test_the_same_experiment_gives_the_same_journal(tmp_path: Path) -> None:
    data = experiment(
        [probe("latency_percentile", [0, 1], service="www", percentile=99, window=2)],
        [call("kill_instances", service="webserver", count=3), call("advance", seconds=3)],
    )
    first = run(data, out=tmp_path / "a").journal
    second = run(data, out=tmp_path / "b").journal
    for journal in (first, second):
        journal["monkeyhouse"].pop("run_folder")
    assert first == second
    assert (tmp_path / "a" / "run.json").is_file() and (tmp_path / "a" / "graph.json").is_file()
