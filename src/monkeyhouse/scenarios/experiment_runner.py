"""Running a Chaos Toolkit experiment against a simulation, as ``chaos run`` would, in sim time.

The order is chaostoolkit-lib's: the steady-state hypothesis (if it is not met, the method is
skipped and the experiment has ``failed``), the method's activities in order, the hypothesis
again (not met: ``deviated``, the status stays ``completed`` unless one of its probes failed
outright), then the rollbacks as ``runtime.rollbacks.strategy`` says (``default``: unless the
experiment failed or was interrupted; ``always``; ``never``; ``deviated``: only then). A failed
rollback does not stop the others. A failed activity of the method is recorded and the method
goes on, as in Chaos Toolkit.

What differs, because the system is a simulation:

- time is simulated. The simulation warms up for ``monkeyhouse_warmup`` seconds first; pauses
  (``pauses.before``/``after``) let simulated time pass; every ``start``/``end`` in the journal
  is simulated time from the fixed epoch (so the same experiment gives the same journal) and
  every ``duration`` is simulated seconds.
- ``background`` activities run in order like the others (their pauses pass simulated time
  before the next one starts); the journal notes it. Simulated time only moves when an
  activity or pause moves it, so nothing could run "beside" them anyway.
- python activities run in this process. Those of :data:`~.experiment.PROVIDER_MODULE` act on
  this run's simulation; any other module is imported and its function called with the
  activity's arguments (``configuration`` and ``secrets`` passed to functions that name them).
  ``process`` activities run the program and give ``{"status", "stdout", "stderr"}``.

The journal has chaostoolkit-lib's keys (``chaoslib-version`` is null: no chaoslib ran) plus a
``monkeyhouse`` entry: version, architecture, seed, warm-up, run folder and notes.
"""

from __future__ import annotations

import copy
import inspect
import json
import platform
import shlex
import subprocess
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from monkeyhouse.errors import UsageError
from monkeyhouse.scenarios.experiment import (
    PROVIDER_MODULE,
    Experiment,
    ExperimentFieldError,
    find_function,
    substitute,
)
from monkeyhouse.scenarios.run import RunResult, TelemetryOptions
from monkeyhouse.scenarios.session import SimulationSession, using_session
from monkeyhouse.scenarios.simulation import RunSummary
from monkeyhouse.scenarios.tolerance import within_tolerance
from monkeyhouse.telemetry.timestamps import EPOCH, TimestampFormatter

Log = Callable[[str], None]

#: Exit statuses of ``monkeyhouse experiment``.
EXIT_HELD = 0
EXIT_DEVIATED = 1
EXIT_FAILED = 2
EXIT_INTERRUPTED = 130


@dataclass(frozen=True, slots=True)
class ExperimentOutcome:
    """A finished experiment: its journal, the run's summary and its run folder (if any)."""

    journal: dict[str, Any]
    summary: RunSummary
    result: RunResult | None

    @property
    def status(self) -> str:
        """``completed``, ``failed`` or ``interrupted``."""
        return str(self.journal["status"])

    @property
    def deviated(self) -> bool:
        """Whether the hypothesis was not met after the method."""
        return bool(self.journal["deviated"])

    @property
    def exit_status(self) -> int:
        """0 held, 1 deviated, 2 failed, 130 interrupted."""
        if self.status == "interrupted":
            return EXIT_INTERRUPTED
        if self.status != "completed":
            return EXIT_FAILED
        return EXIT_DEVIATED if self.deviated else EXIT_HELD

    def explanation(self) -> str:
        """One line saying how it ended and, when it did not hold, which probe said so."""
        states = self.journal["steady_states"]
        if self.status == "interrupted":
            return "interrupted"
        if self.status == "completed" and not self.deviated:
            return "completed: the steady state held before and after the method"
        phase = "after" if self.deviated or states.get("after") else "before"
        state = states.get(phase) or {}
        probes = state.get("probes") or []
        why = ""
        if probes:
            last = probes[-1]
            name = last["activity"].get("name", "?")
            if last["status"] == "failed":
                why = f"probe {name!r} failed: {''.join(last.get('exception', [])).strip()}"
            else:
                tolerance = json.dumps(last["activity"].get("tolerance"), default=str)
                output = json.dumps(last["output"], default=str)
                why = f"probe {name!r} gave {output}, outside its tolerance {tolerance}"
        if self.status == "completed":
            return f"deviated: the steady state was not met after the method ({why})"
        if phase == "before":
            return (
                f"failed: the steady state was not met before the method ({why}); "
                "the method did not run"
            )
        return f"failed: {why}"


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return json.loads(json.dumps(value, default=repr))
    return value


def _failure(error: BaseException) -> list[str]:
    return traceback.format_exception_only(type(error), error)


class _Conductor:
    """Runs one experiment's activities against one session and writes its journal."""

    def __init__(self, experiment: Experiment, session: SimulationSession, log: Log) -> None:
        self.experiment = experiment
        self.session = session
        self.log = log
        self.stamp = TimestampFormatter()
        self.notes: list[str] = []

    # -- activities ------------------------------------------------------------------------
    def _pause(self, seconds: Any, when: str, name: str) -> None:
        if seconds:
            self.log(f"pausing {when} {name!r} for {float(seconds):g} simulated seconds")
            self.session.advance(seconds)

    def execute(self, activity: dict[str, Any], show: bool = True) -> tuple[dict[str, Any], Any]:
        """Run one activity with its pauses; its journal entry and its raw output."""
        name = activity.get("name", "?")
        pauses = activity.get("pauses") or {}
        run: dict[str, Any] = {"activity": copy.deepcopy(activity), "output": None}
        output: Any = None
        start = self.session.now
        try:
            self._pause(pauses.get("before"), "before", name)
            start = self.session.now
            label = f"{str(activity['type']).title()}: {name}"
            if activity.get("background"):
                label += " [background: run in order]"
            self.log(label)
            output = self.call(activity)
            run["output"] = _jsonable(output)
            run["status"] = "succeeded"
            if show and output is not None:
                text = json.dumps(run["output"], default=str)
                self.log(f"  => {text if len(text) <= 80 else text[:77] + '...'}")
        except Exception as error:
            run["status"] = "failed"
            run["exception"] = _failure(error)
            self.log(f"  => failed: {''.join(run['exception']).strip()}")
        end = self.session.now
        run["start"] = self.stamp.format(start)
        run["end"] = self.stamp.format(end)
        run["duration"] = round(end - start, 9)
        try:
            self._pause(pauses.get("after"), "after", name)
        except Exception as error:
            if run["status"] == "succeeded":
                run["status"] = "failed"
                run["exception"] = _failure(error)
                self.log(f"  => failed: {''.join(run['exception']).strip()}")
        return run, output

    def call(self, activity: dict[str, Any], extra: dict[str, Any] | None = None) -> Any:
        """Apply the activity's provider; its output."""
        experiment = self.experiment
        provider = activity["provider"]
        arguments = provider.get("arguments")
        if provider["type"] == "process":
            return self._process(provider, activity.get("timeout"))
        arguments = dict(arguments or {})
        arguments = substitute(arguments, experiment.configuration, experiment.secrets)
        arguments.update(extra or {})
        try:
            func = find_function(provider["module"], provider["func"], "provider")
        except ExperimentFieldError as error:
            raise UsageError(str(error)) from None
        try:
            parameters = inspect.signature(func).parameters
        except (TypeError, ValueError):
            parameters = {}  # type: ignore[assignment]
        if "configuration" in parameters:
            arguments["configuration"] = dict(experiment.configuration)
        if "secrets" in parameters and provider.get("secrets") is not None:
            scopes = provider["secrets"]
            merged: dict[str, Any] = {}
            for scope in [scopes] if isinstance(scopes, str) else scopes:
                merged.update(experiment.secrets.get(scope, {}))
            arguments["secrets"] = merged
        return func(**arguments)

    def _process(self, provider: dict[str, Any], timeout: Any) -> dict[str, Any]:
        raw = substitute(
            provider.get("arguments"), self.experiment.configuration, self.experiment.secrets
        )
        if raw is None:
            args: list[str] = []
        elif isinstance(raw, str):
            args = shlex.split(raw)
        elif isinstance(raw, list):
            args = [str(a) for a in raw]
        else:
            args = []
            for key, value in raw.items():
                args.append(str(key))
                if value != "":
                    args.append(str(value))
        limit = provider.get("timeout", timeout)
        completed = subprocess.run(
            [str(provider["path"]), *args],
            capture_output=True,
            text=True,
            timeout=float(limit) if limit is not None else None,
            check=False,
        )
        return {
            "status": completed.returncode,
            "stdout": completed.stdout,
            "stderr": completed.stderr,
        }

    # -- the hypothesis --------------------------------------------------------------------
    def _tolerance_probe(self, tolerance: dict[str, Any], value: Any) -> bool:
        try:
            return bool(self.call(tolerance, {"value": value}))
        except Exception as error:
            self.log(f"  tolerance probe {tolerance.get('name', '?')!r} failed: {error}")
            return False

    def hypothesis(self) -> dict[str, Any]:
        """Check the steady-state hypothesis now; its journal entry."""
        experiment = self.experiment
        hypothesis = experiment.hypothesis
        self.log(f"Steady state hypothesis: {hypothesis['title']}")
        state: dict[str, Any] = {"steady_state_met": None, "probes": []}
        for probe in hypothesis["probes"]:
            activity = experiment.resolve(probe)
            tolerance = probe.get("tolerance", activity.get("tolerance"))
            if "tolerance" not in activity:
                activity = {**activity, "tolerance": tolerance}
            run, output = self.execute(activity, show=False)
            state["probes"].append(run)
            if run["status"] == "failed":
                run["tolerance_met"] = False
                state["steady_state_met"] = False
                self.log("  => the probe failed, so its tolerance could not be checked")
                return state
            tolerance = substitute(tolerance, experiment.configuration, experiment.secrets)
            met = within_tolerance(tolerance, output, probe=self._tolerance_probe)
            run["tolerance_met"] = met
            self.log(
                f"  => {json.dumps(run['output'], default=str)}: "
                f"{'within' if met else 'NOT within'} tolerance "
                f"{json.dumps(tolerance, default=str)}"
            )
            if not met:
                state["steady_state_met"] = False
                return state
        state["steady_state_met"] = True
        self.log("Steady state hypothesis is met")
        return state

    # -- the whole experiment --------------------------------------------------------------
    def conduct(self, journal: dict[str, Any]) -> None:
        """Hypothesis, method, hypothesis, rollbacks: fill ``journal`` as it goes."""
        experiment = self.experiment
        strategy = experiment.hypothesis_strategy
        journal["status"] = "completed"
        try:
            if strategy in ("default", "before-method-only"):
                before = self.hypothesis()
                journal["steady_states"]["before"] = before
                if not before["steady_state_met"]:
                    journal["status"] = "failed"
            if journal["status"] == "completed":
                self.log("Playing the method")
                if any(experiment.resolve(a).get("background") for a in experiment.method):
                    self.notes.append(
                        "background activities ran in order, each after the one before, in "
                        "simulated time"
                    )
                for item in experiment.method:
                    run, _ = self.execute(experiment.resolve(item))
                    journal["run"].append(run)
                if strategy in ("default", "after-method-only"):
                    after = self.hypothesis()
                    journal["steady_states"]["after"] = after
                    if not after["steady_state_met"]:
                        journal["deviated"] = True
                        if any(p["status"] != "succeeded" for p in after["probes"]):
                            journal["status"] = "failed"
        except KeyboardInterrupt:
            journal["status"] = "interrupted"
            self.log("Interrupted")
        self.rollbacks(journal)

    def rollbacks(self, journal: dict[str, Any]) -> None:
        """Play the rollbacks if the strategy says so; each one whatever the others did."""
        strategy = self.experiment.rollback_strategy
        status, deviated = journal["status"], journal["deviated"]
        play = (
            strategy == "always"
            or (strategy == "default" and status not in ("failed", "interrupted"))
            or (strategy == "deviated" and deviated)
        )
        if not self.experiment.rollbacks:
            return
        if not play:
            self.notes.append(f"rollbacks not played (strategy {strategy}, status {status})")
            self.log(f"Rollbacks not played (strategy {strategy})")
            return
        self.log("Rolling back")
        try:
            for item in self.experiment.rollbacks:
                run, _ = self.execute(self.experiment.resolve(item))
                journal["rollbacks"].append(run)
        except KeyboardInterrupt:
            journal["status"] = "interrupted"


def _activities(experiment: Experiment) -> list[tuple[str, dict[str, Any]]]:
    """Every activity with its JSON path (tolerance probes included; refs resolved)."""
    found: list[tuple[str, dict[str, Any]]] = []
    groups = (
        ("steady-state-hypothesis.probes", experiment.hypothesis["probes"]),
        ("method", experiment.method),
        ("rollbacks", experiment.rollbacks),
    )
    for where, activities in groups:
        for index, item in enumerate(activities):
            found.append((f"{where}[{index}]", experiment.resolve(item)))
            tolerance = item.get("tolerance")
            if isinstance(tolerance, dict) and tolerance.get("type") == "probe":
                found.append((f"{where}[{index}].tolerance", tolerance))
    return found


def preflight(experiment: Experiment, session: SimulationSession) -> None:
    """Refuse, before anything runs, provider calls that name services the run does not have."""
    for where, activity in _activities(experiment):
        provider = activity.get("provider") or {}
        if provider.get("type") != "python" or provider.get("module") != PROVIDER_MODULE:
            continue
        arguments = substitute(
            dict(provider.get("arguments") or {}), experiment.configuration, experiment.secrets
        )
        problem = session.check_arguments(arguments)
        if problem is not None:
            argument, text = problem
            raise UsageError(f"{experiment.source}: {where}.provider.arguments.{argument}: {text}")


def run_experiment(
    experiment: Experiment,
    *,
    out: Path | Callable[[str], Path] | None = None,
    command: str = "",
    telemetry: TelemetryOptions | None = None,
    cwd: Path | None = None,
    log: Log | None = None,
) -> ExperimentOutcome:
    """Build the experiment's simulation, run the experiment and end the run.

    With ``out`` (a folder, or a function from the architecture's name to one) the run's usual
    outputs are written there; the caller writes the journal where it wants it.
    """
    session = SimulationSession(
        experiment.settings, out=out, cwd=cwd, command=command, telemetry=telemetry
    )
    try:
        preflight(experiment, session)
    except BaseException:
        if session.recording is not None:
            session.recording.abandon()
        raise
    write = log or (lambda _text: None)

    def timed(text: str) -> None:
        write(f"[t={session.now:9.3f}s] {text}")

    conductor = _Conductor(experiment, session, timed)
    settings = experiment.settings
    interrupted = False
    with using_session(session):
        try:
            session.start()
        except KeyboardInterrupt:
            interrupted = True
        begin = session.now
        journal: dict[str, Any] = {
            "chaoslib-version": None,
            "platform": platform.platform(),
            "node": platform.node(),
            "experiment": copy.deepcopy(experiment.data),
            "start": conductor.stamp.format(begin),
            "status": None,
            "deviated": False,
            "steady_states": {"before": None, "after": None, "during": []},
            "run": [],
            "rollbacks": [],
        }
        if interrupted:
            journal["status"] = "interrupted"
        else:
            timed(f"Running experiment: {experiment.title}")
            conductor.conduct(journal)
        summary = session.close(interrupted=journal["status"] == "interrupted")
    end = float(summary.simulated_seconds)
    journal["end"] = conductor.stamp.format(end)
    journal["duration"] = round(end - begin, 9)
    if experiment.data.get("controls"):
        conductor.notes.append("controls are not run by monkeyhouse experiment")
    journal["monkeyhouse"] = {
        "version": version("monkeyhouse"),
        "arch": session.arch.arch,
        "seed": settings.seed,
        "epoch": EPOCH.isoformat().replace("+00:00", "Z"),
        "time": "simulated",
        "warmup": settings.warmup,
        "run_folder": str(session.result.out) if session.result is not None else None,
        "notes": conductor.notes,
    }
    outcome = ExperimentOutcome(journal, summary, session.result)
    write(f"Experiment ended: {outcome.explanation()}")
    return outcome
