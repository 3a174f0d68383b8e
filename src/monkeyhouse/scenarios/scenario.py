"""Running a scenario file: the job behind ``monkeyhouse run SCENARIO.yaml``.

The scenario (:mod:`monkeyhouse.model.scenario`) gives the architecture, the traffic, the
duration, the seed, spigo's options by their long names, the chaos actions and the outputs;
this turns them into a run folder exactly as ``monkeyhouse run`` with the same settings would,
plus ``chaos.json`` and the scenario's settings in ``run.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monkeyhouse.model.scenario import Scenario
from monkeyhouse.scenarios import runfolder
from monkeyhouse.scenarios.run import RunResult, TelemetryOptions, run_to_folder
from monkeyhouse.scenarios.simulation import Progress, RunOptions


def scenario_options(scenario: Scenario) -> RunOptions:
    """The run options a scenario stands for."""
    options = scenario.options
    return RunOptions(
        duration=scenario.duration,
        percent=options.population,
        regions=options.regions,
        seed=scenario.seed,
        reduce=options.reduce,
        poll=options.poll,
        chaos=options.victim,
        resilience=options.resilience,
    )


def scenario_telemetry(scenario: Scenario) -> TelemetryOptions:
    """The instruments a scenario's outputs ask for."""
    outputs = scenario.outputs
    return TelemetryOptions(
        spans=bool(outputs.spans) or outputs.report,
        sample=outputs.sample,
        span_formats=outputs.spans,
        metrics=outputs.metrics,
        interval=outputs.interval,
        report=outputs.report,
    )


def scenario_folder(scenario: Scenario, base: Path = Path("runs")) -> Path:
    """Where a scenario's run goes: its ``outputs.folder``, else ``runs/<name>-N``."""
    if scenario.outputs.folder:
        return Path(scenario.outputs.folder)
    return runfolder.next_run_dir(base, scenario.name)


def run_scenario(
    scenario: Scenario,
    out: Path | None = None,
    *,
    command: str = "",
    progress: Progress | None = None,
    message_stream: Any = None,
) -> RunResult:
    """Run ``scenario`` into ``out`` (default :func:`scenario_folder`)."""
    target = out if out is not None else scenario_folder(scenario)
    outputs = scenario.outputs
    return run_to_folder(
        scenario.architecture,
        scenario_options(scenario),
        target,
        graph_json=outputs.graph,
        graphml=outputs.graphml and outputs.graph,
        telemetry=scenario_telemetry(scenario),
        command=command,
        progress=progress,
        message_stream=message_stream,
        chaos=scenario.chaos,
        scenario=scenario.to_json(),
    )
