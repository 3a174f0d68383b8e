"""Tests of the loader and validation for the optional keys of time: typed values and errors."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from monkeyhouse.errors import ArchitectureError
from monkeyhouse.model.architecture import Architecture, Dependency, Service
from monkeyhouse.model.catalog import catalog_names, load_catalog
from monkeyhouse.model.distributions import Exponential, Fixed, Gamma, Histogram, LogNormal
from monkeyhouse.model.loader import load_architecture
from monkeyhouse.model.timing import (
    DEFAULT_CALLS,
    REGION_PAIR_LATENCY,
    UNSET,
    CallSettings,
    NetworkSettings,
    TrafficSpec,
)
from monkeyhouse.model.validate import validate
from spigo_data import SPIGO

DOCS = Path(__file__).resolve().parents[2] / "docs" / "architecture-format.md"

EVERY_KEY = """\
format: monkeyhouse/1
arch: timed
network:
  same_zone: 0.0002
  cross_zone: 0.001
  cross_region: 0.09
  regions: {us-east-1/us-west-2: 0.035, eu-west-1/us-east-1: 0.04, x-note: 1}
  bandwidth: 1.25e+8
traffic:
  - {source: www, pattern: constant, rate: 50, arrivals: poisson, mix: {get: 1, put: 3}}
  - {pattern: poisson, rate: 20}
  - {pattern: ramp, rate: 10, to_rate: 100, over: 60, start: 5}
  - {pattern: step, rate: 10, steps: [[10, 20], [20.5, 5]]}
  - {pattern: diurnal, rate: 100, amplitude: 0.25, period: 600}
  - {pattern: spike, rate: 1, peak: 900, at: 30, duration: 2.5, arrivals: uniform}
  - {pattern: replay, csv: rates.csv}
services:
  - name: db
    package: store
    service_time: {percentiles: {p50: 0.002, p99: 0.025}}
    threads: 50
    queue: 0
    on_full: reject
    dispatch: leaf
  - name: cache
    package: cache
    service_time: 0.0003
    queue: null
  - name: app
    package: karyon
    service_time: {histogram: [[0.001, 0.002, 3], [0.002, 0.004, 1]]}
    dependencies:
      - cache
      - {service: cache, mode: parallel, probability: 0.25, calls: 3, weight: 2.5,
         request_bytes: 100, response_bytes: 4096}
      - {service: db, x-k: 1}
  - name: www
    package: denominator
    service_time: {gamma: {shape: 2, mean: 0.004}}
    dependencies: [app]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def every_key_file(tmp_path: Path) -> Path:
    write(tmp_path, "rates.csv", "time,rate\n0,10\n30,40\n")
    return write(tmp_path, "timed.yaml", EVERY_KEY)


def test_every_new_key_loads_typed(tmp_path: Path) -> None:
    arch = load_architecture(every_key_file(tmp_path))
    db, cache, app, www = arch.services
    assert db.service_time == LogNormal.from_percentiles(0.002, 0.025)
    assert (db.threads, db.queue, db.on_full, db.dispatch) == (50, 0, "reject", "leaf")
    assert cache.service_time == Fixed(0.0003)
    assert (cache.threads, cache.queue, cache.on_full, cache.dispatch) == (None, None, None, None)
    assert app.service_time == Histogram(((0.001, 0.002, 3.0), (0.002, 0.004, 1.0)))
    assert app.queue is UNSET
    assert www.service_time == Gamma(2.0, 0.002)
    assert app.dependencies == (
        Dependency("cache"),
        Dependency("cache", {}, CallSettings("parallel", 0.25, 3, 2.5, 100, 4096)),
        Dependency("db", {"x-k": 1}),
    )
    assert app.dependencies[2].calls is DEFAULT_CALLS
    net = arch.network
    assert (net.same_zone, net.cross_zone, net.cross_region, net.bandwidth) == (
        0.0002,
        0.001,
        0.09,
        1.25e8,
    )
    assert net.region_latency("us-west-2", "us-east-1") == 0.035
    assert net.region_latency("us-east-1", "eu-west-1") == 0.04
    assert net.region_latency("eu-west-1", "eu-central-1") == 0.012  # default kept
    constant, poisson, ramp, step, diurnal, spike, replay = arch.traffic
    assert constant == TrafficSpec(
        source="www", rate=50.0, arrivals="poisson", mix={"get": 1.0, "put": 3.0}
    )
    assert poisson == TrafficSpec(pattern="poisson", rate=20.0)
    assert ramp == TrafficSpec(pattern="ramp", rate=10.0, to_rate=100.0, over=60.0, start=5.0)
    assert step.steps == ((10.0, 20.0), (20.5, 5.0))
    assert (diurnal.amplitude, diurnal.period) == (0.25, 600.0)
    assert (spike.peak, spike.at, spike.duration, spike.arrival_process) == (
        900.0,
        30.0,
        2.5,
        "uniform",
    )
    assert replay.csv == "rates.csv"
    assert replay.points == ((0.0, 10.0), (30.0, 40.0))


def test_single_traffic_mapping_and_json(tmp_path: Path) -> None:
    document = {
        "traffic": {"pattern": "poisson", "rate": 7},
        "network": {"bandwidth": 1e9},
        "services": [{"name": "www", "package": "denominator", "threads": 3}],
    }
    arch = load_architecture(write(tmp_path, "a.json", json.dumps(document)))
    assert arch.traffic == (TrafficSpec(pattern="poisson", rate=7.0),)
    assert arch.network.bandwidth == 1e9
    assert arch.network.region_pairs == REGION_PAIR_LATENCY
    assert arch.services[0].threads == 3


def test_files_without_time_keep_their_meaning() -> None:
    for name in catalog_names():
        arch = load_catalog(name)
        assert arch.traffic == ()
        assert arch.network == NetworkSettings()
        for service in arch.services:
            assert service.service_time is None
            assert service.threads is None
            assert service.queue is UNSET
            assert all(dep.calls is DEFAULT_CALLS for dep in service.dependencies)
    for path in sorted((SPIGO / "json_arch").glob("*_arch.json")):
        arch = load_architecture(path)
        assert arch.traffic == ()
        assert all(s.service_time is None for s in arch.services)


def docs_example() -> str:
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"### A worked example\n\n```yaml\n(.*?)```", text, re.S)
    assert match is not None
    return match.group(1)


def test_the_documented_worked_example_means_what_the_docs_say(tmp_path: Path) -> None:
    arch = load_architecture(write(tmp_path, "timed.yaml", docs_example()))
    diurnal, spike = arch.traffic
    assert diurnal.rate_at(0) == pytest.approx(160) and diurnal.rate_at(1800) == pytest.approx(640)
    assert dict(diurnal.mix) == {"get": 9, "put": 1}
    assert spike.rate_at(1800) == 2000 and spike.rate_at(1830) == 0
    cart = arch.service("cart")
    assert cart.service_time == LogNormal.from_median(0.004, 0.5)
    cache_calls, db_calls = (dep.calls for dep in cart.dependencies)
    assert (cache_calls.mode, cache_calls.calls) == ("parallel", 2)
    assert db_calls.probability == 0.2
    assert (cart.threads, cart.queue, cart.on_full) == (100, 50, "reject")
    db = arch.service("db")
    assert db.service_time is not None
    assert db.service_time.quantile(0.99) == pytest.approx(0.025)
    weights = [dep.calls.weight for dep in arch.service("elb").dependencies]
    assert [w / sum(weights) for w in weights] == [0.75, 0.25]
    assert arch.service("search").queue is None
    assert arch.service("cache").service_time == Exponential(0.0002)
    assert arch.network.transfer_time(4096) == pytest.approx(32.768e-6)


def test_the_documented_error_example_is_real(tmp_path: Path) -> None:
    wrong = docs_example().replace(
        "{percentiles: {p50: 0.002, p99: 0.025}}", "{lognormal: {median: 0.002, sigam: 0.5}}"
    )
    path = write(tmp_path, "timed.yaml", wrong)
    with pytest.raises(ArchitectureError) as caught:
        load_architecture(path)
    shown = str(caught.value).replace(str(path), "timed.yaml")
    assert f"$ monkeyhouse validate timed.yaml\n{shown}\n" in DOCS.read_text(encoding="utf-8")


# -- errors, with positions ---------------------------------------------------------------------

BASE = """\
services:
  - name: db
    package: store
    SERVICE
  - name: www
    package: denominator
    dependencies:
      - DEPENDENCY
TOP
"""


def position(text: str, needle: str) -> tuple[int, int]:
    index = text.index(needle)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


CASES = [
    # (service line, dependency, top, field, needle, words)
    ("service_tme: 0.1", "db", "", "services[0].service_tme", "service_tme",
     "did you mean 'service_time'?"),
    ("service_time: {lognormal: {median: 0.005, sigam: 1}}", "db", "",
     "services[0].service_time.lognormal.sigam", "sigam", "did you mean 'sigma'?"),
    ("service_time: {exponental: {mean: 1}}", "db", "", "services[0].service_time.exponental",
     "exponental", "did you mean 'exponential'?"),
    ("service_time: {exponential: {mean: -1}}", "db", "",
     "services[0].service_time.exponential.mean", "-1", "must be more than 0"),
    ("service_time: {percentiles: {p50: 0.03, p99: 0.004}}", "db", "",
     "services[0].service_time.percentiles.p99", "0.004", "must be more than p50"),
    ("service_time: {histogram: []}", "db", "", "services[0].service_time.histogram", "[]",
     "non-empty list"),
    ("threads: '200'", "db", "", "services[0].threads", "'200'", "expected a whole number"),
    ("threads: 0", "db", "", "services[0].threads", "0", "threads must be 1 or more"),
    ("queue: -1", "db", "", "services[0].queue", "-1", "queue must be 0 or more"),
    ("queue: 2.5", "db", "", "services[0].queue", "2.5", "expected a whole number"),
    ("on_full: drop", "db", "", "services[0].on_full", "drop", "unknown on_full 'drop'"),
    ("dispatch: fan", "db", "", "services[0].dispatch", "fan", "did you mean 'fanout'?"),
    ("count: 1", "{service: db, probability: 1.5}", "",
     "services[1].dependencies[0].probability", "1.5", "between 0 and 1"),
    ("count: 1", "{service: db, calls: 0}", "", "services[1].dependencies[0].calls", "0}",
     "calls must be between 1"),
    ("count: 1", "{service: db, weight: 0}", "", "services[1].dependencies[0].weight", "0}",
     "weight must be more than 0"),
    ("count: 1", "{service: db, mode: paralel}", "", "services[1].dependencies[0].mode",
     "paralel", "did you mean 'parallel'?"),
    ("count: 1", "{service: db, request_bytes: -1}", "",
     "services[1].dependencies[0].request_bytes", "-1}", "0 or more"),
    ("count: 1", "{service: db, probabilty: 1}", "", "services[1].dependencies[0].probabilty",
     "probabilty", "did you mean 'probability'?"),
    ("count: 1", "db", "traffic: {source: dbb}", "traffic.source", "dbb",
     "did you mean 'db'?"),
    ("count: 1", "db", "traffic: [{rate: 1}, {source: web}]", "traffic[1].source", "web",
     "is not a service"),
    ("count: 1", "db", "traffic: {pattern: ramp, to_rate: 5, over: 1, peak: 3}", "traffic.peak",
     "peak", "belongs to pattern spike, not ramp"),
    ("count: 1", "db", "traffic: {pattern: ramp, to_rate: 5}", "traffic.over", "{pattern: ramp",
     "missing required key 'over'"),
    ("count: 1", "db", "traffic: {pattern: spiky}", "traffic.pattern", "spiky",
     "did you mean 'spike'?"),
    ("count: 1", "db", "traffic: {rate: -3}", "traffic.rate", "-3", "rate must be 0 or more"),
    ("count: 1", "db", "traffic: {rate: 1e3}", "traffic.rate", "1e3", "the text '1e3'"),
    ("count: 1", "db", "traffic: {pattern: diurnal, amplitude: 1.5}", "traffic.amplitude",
     "1.5", "between 0 and 1"),
    ("count: 1", "db", "traffic: {pattern: spike, peak: 9, at: 1, duration: 0}",
     "traffic.duration", "0}", "more than 0"),
    ("count: 1", "db", "traffic: {pattern: step, steps: [[5, 1], [2, 3]]}",
     "traffic.steps[1][0]", "2, 3", "not after"),
    ("count: 1", "db", "traffic: {pattern: replay, csv: nothere.csv}", "traffic.csv",
     "nothere", "not found"),
    ("count: 1", "db", "traffic: {pattern: replay, csv: r.csv, rate: 5}", "traffic.rate",
     "rate: 5", "takes its rates from the CSV"),
    ("count: 1", "db", "traffic: {mix: {get: 1, post: 1}}", "traffic.mix.post", "post",
     "unknown key 'post'"),
    ("count: 1", "db", "traffic: {mix: {get: 0, put: 0}}", "traffic.mix", "{get: 0",
     "no positive weight"),
    ("count: 1", "db", "traffic: []", "traffic", "[]", "non-empty list"),
    ("count: 1", "db", "traffic: {arrivals: regular}", "traffic.arrivals", "regular",
     "unknown arrivals"),
    ("count: 1", "db", "network: {regions: {us-east-1/us-wst-2: 0.1}}",
     "network.regions.us-east-1/us-wst-2", "us-east-1/", "did you mean 'us-west-2'?"),
    ("count: 1", "db", "network: {regions: {us-east-1: 0.1}}", "network.regions.us-east-1",
     "us-east-1", "joined by '/'"),
    ("count: 1", "db", "network: {regions: {a/b: 1, b/a: 2}}", "network.regions.a/b", "a/b",
     "unknown region 'a'"),
    ("count: 1", "db", "network: {same_zone: -0.1}", "network.same_zone", "-0.1",
     "0 or more"),
    ("count: 1", "db", "network: {bandwidth: 0}", "network.bandwidth", "0}",
     "more than 0"),
    ("count: 1", "db", "network: {latency: 1}", "network.latency", "latency",
     "unknown key 'latency' in the network"),
]  # fmt: skip


@pytest.mark.parametrize(("service", "dependency", "top", "field", "needle", "words"), CASES)
def test_mistakes_name_file_position_field_value_and_fix(
    tmp_path: Path, service: str, dependency: str, top: str, field: str, needle: str, words: str
) -> None:
    write(tmp_path, "r.csv", "time,rate\n0,1\n")
    text = BASE.replace("SERVICE", service).replace("DEPENDENCY", dependency).replace("TOP", top)
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(ArchitectureError) as caught:
        load_architecture(path)
    error = caught.value
    line, column = position(text, needle)
    message = str(error)
    assert error.field == field, message
    assert (error.line, error.column) == (line, column), message
    assert message.startswith(f"{path}:{line}:{column}: {field}: "), message
    assert words in message
    assert error.fix and f"({error.fix})" in message


def test_region_pair_given_twice(tmp_path: Path) -> None:
    text = (
        BASE.replace("SERVICE", "count: 1")
        .replace("DEPENDENCY", "db")
        .replace("TOP", "network: {regions: {us-east-1/us-west-2: 1, us-west-2/us-east-1: 2}}")
    )
    with pytest.raises(ArchitectureError, match="same pair as 'us-east-1/us-west-2'"):
        load_architecture(write(tmp_path, "twice.yaml", text))


def test_replay_csv_errors_name_the_csv_file_and_line(tmp_path: Path) -> None:
    csv_path = write(tmp_path, "rates.csv", "time,rate\n0,100\n60,lots\n")
    text = (
        BASE.replace("SERVICE", "count: 1")
        .replace("DEPENDENCY", "db")
        .replace("TOP", "traffic: {pattern: replay, csv: rates.csv}")
    )
    with pytest.raises(ArchitectureError) as caught:
        load_architecture(write(tmp_path, "replay.yaml", text))
    assert str(caught.value).startswith(f"{csv_path}:3: rate: ")
    assert "'lots'" in str(caught.value)


def test_replay_csv_path_is_relative_to_the_architecture_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "arch"
    folder.mkdir()
    write(folder, "rates.csv", "time,rate\n0,5\n")
    text = (
        BASE.replace("SERVICE", "count: 1")
        .replace("DEPENDENCY", "db")
        .replace("TOP", "traffic: {pattern: replay, csv: rates.csv}")
    )
    write(folder, "a.yaml", text)
    monkeypatch.chdir(tmp_path)
    arch = load_architecture("arch/a.yaml")
    assert arch.traffic[0].points == ((0.0, 5.0),)
    absolute = text.replace("csv: rates.csv", f"csv: {folder / 'rates.csv'}")
    assert load_architecture(write(tmp_path, "b.yaml", absolute)).traffic[0].points == ((0.0, 5.0),)


def test_json_positions_for_new_keys(tmp_path: Path) -> None:
    text = (
        '{"services": [{"name": "www", "package": "denominator",\n'
        '  "service_time": {"gamma": {"shape": 0, "mean": 1}}}]}'
    )
    with pytest.raises(ArchitectureError) as caught:
        load_architecture(write(tmp_path, "g.json", text))
    assert (caught.value.line, caught.value.column) == (2, 39)
    assert caught.value.field == "services[0].service_time.gamma.shape"


# -- validate on hand-built architectures -----------------------------------------------------


def build(**changes: object) -> Architecture:
    db = Service("db", "store")
    www = Service("www", "denominator", dependencies=(Dependency("db"),))
    arch = Architecture("hand", (db, www))
    from dataclasses import replace

    return replace(arch, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arch", "field"),
    [
        (build(services=(Service("db", "store", threads=0),)), "services[0].threads"),
        (build(services=(Service("db", "store", queue=-2),)), "services[0].queue"),
        (build(services=(Service("db", "store", on_full="drop"),)), "services[0].on_full"),  # type: ignore[arg-type]
        (build(services=(Service("w", "elb", dependencies=(
            Dependency("w", {}, CallSettings(probability=math.nan)),)),)),
         "services[0].dependencies[0].probability"),
        (build(network=NetworkSettings(region_pairs={frozenset(("a", "b")): -1.0})),
         "network.regions.a/b"),
        (build(network=NetworkSettings(cross_region=math.inf)), "network.cross_region"),
        (build(traffic=(TrafficSpec(), TrafficSpec(source="nope"))), "traffic[1].source"),
        (build(traffic=(TrafficSpec(pattern="replay"),)), "traffic[0].csv"),
        (build(traffic=(TrafficSpec(pattern="step", steps=((1.0, -5.0),)),)),
         "traffic[0].steps[0][1]"),
        (build(traffic=(TrafficSpec(pattern="diurnal", period=0.0),)), "traffic[0].period"),
        (build(traffic=(TrafficSpec(mix={"get": -1.0}),)), "traffic[0].mix.get"),
        (build(traffic=(TrafficSpec(pattern="wave"),)), "traffic[0].pattern"),  # type: ignore[arg-type]
    ],
)  # fmt: skip
def test_validate_checks_hand_built_time_settings(arch: Architecture, field: str) -> None:
    with pytest.raises(ArchitectureError) as caught:
        validate(arch)
    assert caught.value.field == field
    assert caught.value.fix


def test_validate_accepts_good_hand_built_time_settings() -> None:
    validate(
        build(
            traffic=(TrafficSpec(pattern="replay", points=((0.0, 1.0),)), TrafficSpec("db")),
            services=(
                Service("db", "store"),
                Service("p", "pirate", service_time=Fixed(0.1), threads=1, queue=0),
            ),
        )
    )
