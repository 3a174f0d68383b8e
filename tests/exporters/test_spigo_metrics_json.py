"""<arch>_metrics.json: spigo's keys and shape (from its recorded file), as valid JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from metrics_fakes import KNOWN_SERVER, known_run
from monkeyhouse.exporters.spigo_metrics import render_spigo_metrics, write_spigo_metrics
from spigo_data import SPIGO

SUFFIXES = ("Max", "Min", "P50", "P75", "P90", "P95", "P99", "P999")


def spigo_reference() -> tuple[dict[str, int], dict[str, int]]:
    """spigo's recorded netflixoss metrics, with the comma it lacks put back."""
    text = (SPIGO / "json_metrics" / "netflixoss_metrics.json").read_text()
    lines = text.splitlines()
    assert lines[1].startswith('"counters":{') and not lines[1].endswith(",")
    with_comma = "\n".join([lines[0], lines[1] + ",", *lines[2:]])
    data = json.loads(with_comma)
    return data["counters"], data["gauges"]


def test_same_shape_and_key_grammar_as_spigo(tmp_path: Path) -> None:
    ref_counters, ref_gauges = spigo_reference()
    assert {key.rsplit(":", 1)[1] for key in ref_counters} == {"msgcount"}
    assert {key.rsplit(".", 1)[1] for key in ref_gauges} == set(SUFFIXES)
    _, metrics = known_run()
    path = write_spigo_metrics(tmp_path, "arch", metrics.statistics())
    assert path.name == "arch_metrics.json"
    text = path.read_text()
    lines = text.splitlines()
    assert lines[0] == "{" and lines[3] == "}" and len(lines) == 4
    assert lines[1].startswith('"counters":{') and lines[1].endswith("},")
    assert lines[2].startswith('"gauges":{')
    data = json.loads(text)  # valid JSON, unlike spigo's
    assert list(data) == ["counters", "gauges"]
    counters, gauges = data["counters"], data["gauges"]
    assert list(counters) == sorted(counters) and list(gauges) == sorted(gauges)
    name = re.compile(r"^arch\.us-east-1\.zone[A-C]\.\w+\.\.\.\.\w+\.\w+$")
    for key in counters:
        assert name.match(key.rsplit(":", 1)[0])
    for key, value in gauges.items():
        assert name.match(key.rsplit(".", 1)[0]) and key.rsplit(".", 1)[1] in SUFFIXES
        assert isinstance(value, int)
    assert counters == {
        "arch.us-east-1.zoneA.api0....api.karyon:msgcount": 3,
        "arch.us-east-1.zoneB.api1....api.karyon:msgcount": 1,
        "arch.us-east-1.zoneA.db0....db.staash:msgcount": 3,
    }
    # nanoseconds: min and max exact, percentiles within the histogram's 0.1 %
    values = [d for part in KNOWN_SERVER["api0"] for d in part]
    prefix = "arch.us-east-1.zoneA.api0....api.karyon"
    assert gauges[f"{prefix}.Min"] == 12_000_000 and gauges[f"{prefix}.Max"] == 210_000_000
    for suffix, q in (("P50", 50), ("P75", 75), ("P90", 90), ("P99", 99), ("P999", 99.9)):
        expected = float(np.percentile(values, q)) * 1e9
        assert abs(gauges[f"{prefix}.{suffix}"] - expected) <= expected * 1e-3


def test_same_run_same_text() -> None:
    assert render_spigo_metrics(known_run()[1].statistics()) == render_spigo_metrics(
        known_run()[1].statistics()
    )
