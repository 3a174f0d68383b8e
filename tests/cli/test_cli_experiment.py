"""``monkeyhouse experiment``: exit statuses, the journal, the run folder, one-line errors."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from monkeyhouse.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "experiments"


def invoke(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(args, out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def one_line_error(status: int, stderr: str, *needles: str) -> None:
    assert status == 2, stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    for needle in needles:
        assert needle in stderr, (needle, stderr)


def small(tmp_path: Path, tolerance: Any = 18, **changes: Any) -> Path:
    data: dict[str, Any] = {
        "version": "1.0.0",
        "title": "small",
        "description": "d",
        "configuration": {
            "monkeyhouse_architecture": "lamp",
            "monkeyhouse_duration": 30,
            "monkeyhouse_warmup": 2,
            "monkeyhouse_rate": 20,
        },
        "steady-state-hypothesis": {
            "title": "h",
            "probes": [
                {
                    "type": "probe",
                    "name": "webservers",
                    "tolerance": tolerance,
                    "provider": {
                        "type": "python",
                        "module": "monkeyhouse.chaostoolkit",
                        "func": "live_instances",
                        "arguments": {"service": "webserver"},
                    },
                }
            ],
        },
        "method": [
            {
                "type": "action",
                "name": "kill-two",
                "provider": {
                    "type": "python",
                    "module": "monkeyhouse.chaostoolkit",
                    "func": "kill_instances",
                    "arguments": {"service": "webserver", "count": 2},
                },
            }
        ],
    }
    data.update(changes)
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(data))
    return path


def test_held_writes_the_journal_in_the_current_folder_and_the_run_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = invoke(["experiment", str(small(tmp_path, [16, 18]))])
    assert (status, err) == (0, "")
    assert "the steady state held" in out
    journal = json.loads((tmp_path / "journal.json").read_text())
    assert (journal["status"], journal["deviated"]) == ("completed", False)
    manifest = json.loads((tmp_path / "runs" / "lamp-1" / "run.json").read_text())
    assert manifest["command"].startswith("monkeyhouse experiment ")
    assert len(manifest["summary"]["chaos_victims"]) == 2
    chaos = json.loads((tmp_path / "runs" / "lamp-1" / "chaos.json").read_text())
    assert [r["action"] for r in chaos["log"]] == ["chaos-monkey", "chaos-monkey"]
    assert journal["monkeyhouse"]["run_folder"] == str(Path("runs") / "lamp-1")


def test_deviated_exits_1(tmp_path: Path) -> None:
    journal = tmp_path / "j" / "deviated.json"
    journal.parent.mkdir()
    status, out, err = invoke(
        [
            "experiment",
            str(small(tmp_path)),
            "--journal",
            str(journal),
            "--out",
            str(tmp_path / "run"),
            "-q",
        ]
    )
    assert (status, out, err) == (1, "", "")
    data = json.loads(journal.read_text())
    assert (data["status"], data["deviated"]) == ("completed", True)
    assert data["steady_states"]["after"]["probes"][0]["output"] == 16
    assert (tmp_path / "run" / "report.html").is_file()


def test_not_met_before_exits_2_with_one_line(tmp_path: Path) -> None:
    journal = tmp_path / "journal.json"
    status, _, err = invoke(
        [
            "experiment",
            str(small(tmp_path, 17)),
            "--journal",
            str(journal),
            "--out",
            str(tmp_path / "r"),
        ]
    )
    one_line_error(status, err, "exp.json: experiment failed", "before the method", "gave 18")
    assert json.loads(journal.read_text())["status"] == "failed"


def test_the_examples_hold_and_deviate(tmp_path: Path) -> None:
    for name, expected in (("lamp-lose-a-third.json", 0), ("lamp-lose-every-webserver.yaml", 1)):
        status, _, err = invoke(
            [
                "experiment",
                str(EXAMPLES / name),
                "--journal",
                str(tmp_path / f"{name}.journal.json"),
                "--out",
                str(tmp_path / name),
                "-q",
            ]
        )
        assert (status, err) == (expected, ""), name


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["experiment", "missing.json"], ["missing.json: no such experiment file"]),
        (["experiment"], ["the following arguments are required: path"]),
        (
            ["experiment", "{exp}", "--journal", "{tmp}/no/such/folder/j.json"],
            ["--journal: folder", "does not exist"],
        ),
        (["experiment", "{exp}", "--journal", "{tmp}"], ["--journal:", "is a folder"]),
    ],
)
def test_usage_errors_are_one_line(tmp_path: Path, args: list[str], needles: list[str]) -> None:
    exp = small(tmp_path)
    filled = [a.format(exp=exp, tmp=tmp_path) for a in args]
    status, _, err = invoke(filled)
    one_line_error(status, err, *needles)


def test_a_mistake_in_the_experiment_is_one_line(tmp_path: Path) -> None:
    path = small(tmp_path, 0.5)
    status, _, err = invoke(["experiment", str(path), "--journal", str(tmp_path / "j.json")])
    one_line_error(
        status, err, "exp.json: steady-state-hypothesis.probes[0].tolerance: 0.5", "give a range"
    )
    assert not (tmp_path / "j.json").exists()
