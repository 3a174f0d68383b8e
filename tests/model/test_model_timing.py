"""Tests of monkeyhouse.model.timing: package defaults, overrides, network and traffic shapes."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
from scipy import integrate

from monkeyhouse.errors import ArchitectureError
from monkeyhouse.model.architecture import Architecture, Dependency, Service
from monkeyhouse.model.distributions import Exponential, Fixed, LogNormal
from monkeyhouse.model.packages import BUILTIN_PACKAGES
from monkeyhouse.model.timing import (
    DEFAULT_CALLS,
    PACKAGE_TIMING,
    REGION_PAIR_LATENCY,
    UNBOUNDED_THREADS,
    UNSET,
    CallSettings,
    NetworkSettings,
    ServiceTiming,
    TrafficSpec,
    calls_of,
    read_rate_csv,
    timing_of,
)
from monkeyhouse.topology import network as topology_network

# -- services -----------------------------------------------------------------------------------


def test_every_builtin_package_has_timing() -> None:
    assert set(PACKAGE_TIMING) == set(BUILTIN_PACKAGES)


@pytest.mark.parametrize(
    ("package", "median", "sigma", "threads", "queue", "on_full", "dispatch"),
    [
        ("zuul", 0.001, 0.5, 200, 100, "reject", "route"),
        ("karyon", 0.005, 0.6, 200, 100, "reject", "fanout"),
        ("monolith", 0.020, 0.8, 150, None, "wait", "fanout"),
        ("staash", 0.001, 0.5, 200, 100, "reject", "tiers"),
        ("priamCassandra", 0.001, 0.7, 32, None, "wait", "leaf"),
        ("riak", 0.001, 0.7, 32, None, "wait", "leaf"),
        ("store", 0.002, 0.7, 151, None, "wait", "leaf"),
        ("volume", 0.004, 0.5, 32, None, "wait", "leaf"),
    ],
)
def test_lognormal_package_defaults(
    package: str,
    median: float,
    sigma: float,
    threads: int,
    queue: int | None,
    on_full: str,
    dispatch: str,
) -> None:
    timing = PACKAGE_TIMING[package]
    assert isinstance(timing.service_time, LogNormal)
    assert timing.service_time.median == pytest.approx(median, rel=1e-12)
    assert timing.service_time.sigma == sigma
    assert (timing.threads, timing.queue, timing.on_full, timing.dispatch) == (
        threads,
        queue,
        on_full,
        dispatch,
    )


def test_other_package_defaults() -> None:
    assert PACKAGE_TIMING["denominator"] == ServiceTiming(
        Fixed(0.0), UNBOUNDED_THREADS, None, "wait", "route"
    )
    assert PACKAGE_TIMING["elb"].service_time == Fixed(0.0001)
    assert PACKAGE_TIMING["elb"].unbounded
    assert PACKAGE_TIMING["cache"] == ServiceTiming(Exponential(0.0002), 4, None, "wait", "leaf", 4)
    assert PACKAGE_TIMING["eureka"] == ServiceTiming(Fixed(0.001), 200, None, "wait", "leaf", 2)
    assert PACKAGE_TIMING["karyon"].cores == 4
    assert PACKAGE_TIMING["priamCassandra"].cores == 8
    assert PACKAGE_TIMING["denominator"].cores == UNBOUNDED_THREADS
    assert PACKAGE_TIMING["pirate"].dispatch == "leaf"
    assert PACKAGE_TIMING["pirate"].service_time.mean == 0.0
    assert UNBOUNDED_THREADS == 1_000_000


def test_timing_of_without_overrides_is_the_package_default() -> None:
    assert timing_of(Service("a", "karyon")) is PACKAGE_TIMING["karyon"]
    plugin = timing_of(Service("p", "someplugin"))
    assert plugin.service_time == Fixed(0.0)
    assert plugin.unbounded


def test_timing_of_overrides_what_the_service_sets() -> None:
    service = Service(
        "a", "karyon", service_time=Fixed(0.01), threads=8, queue=None, on_full="wait"
    )
    timing = timing_of(service)
    assert timing == ServiceTiming(Fixed(0.01), 8, None, "wait", "fanout", 4)
    assert timing_of(Service("e", "karyon", cores=2)).cores == 2
    assert timing_of(Service("b", "zuul", queue=0)).queue == 0
    assert timing_of(Service("c", "zuul", dispatch="leaf")).dispatch == "leaf"
    assert Service("d", "zuul").queue is UNSET
    assert repr(UNSET) == "UNSET"


def test_describe_service_timing() -> None:
    text = PACKAGE_TIMING["zuul"].describe()
    assert text.startswith("lognormal median 1 ms")
    assert text.endswith("200 threads on 4 cores, queue 100, reject when full, route")
    assert "unbounded threads, unbounded queue" in PACKAGE_TIMING["elb"].describe()


def test_call_settings_defaults() -> None:
    assert calls_of(Dependency("db")) == CallSettings("sequence", 1.0, 1, 1.0, 0, 0)
    assert calls_of(Dependency("db")) is DEFAULT_CALLS
    settings = CallSettings(mode="parallel", probability=0.5, calls=3)
    assert calls_of(Dependency("db", {}, settings)) is settings


# -- network ------------------------------------------------------------------------------------


def test_region_table_is_the_topology_table() -> None:
    assert dict(REGION_PAIR_LATENCY) == topology_network.REGION_PAIR_LATENCY
    assert len(REGION_PAIR_LATENCY) == 15  # every pair of spigo's six regions


def test_network_latencies() -> None:
    net = NetworkSettings()
    assert net.region_latency("us-east-1", "us-west-2") == 0.033
    assert net.region_latency("us-west-2", "us-east-1") == 0.033
    assert net.region_latency("us-east-1", "mars-1") == 0.060
    assert net.region_latency("us-east-1", "us-east-1") == 0.0005
    assert net.between("eu-west-1", "zoneA", "eu-central-1", "zoneB") == 0.012
    assert net.between("eu-west-1", "zoneA", "eu-west-1", "zoneA") == 0.0001
    assert net.between("eu-west-1", "zoneA", "eu-west-1", "zoneB") == 0.0005
    assert net.between("*", "*", "eu-west-1", "zoneB") == 0.0001
    assert net.between("eu-west-1", "*", "eu-west-1", "zoneB") == 0.0001
    assert net.transfer_time(1_250_000) == pytest.approx(0.001)  # 10 Gbit/s: 1.25 MB in 1 ms


def test_network_matches_the_topology_latency_model_by_default() -> None:
    model = topology_network.LatencyModel()
    net = NetworkSettings()
    places = [("us-east-1", "zoneA"), ("us-east-1", "zoneB"), ("ap-southeast-2", "zoneC"),
              ("*", "*"), ("eu-west-1", "*"), ("mars", "zoneA")]  # fmt: skip
    for a in places:
        for b in places:
            assert net.between(*a, *b) == model.between(*a, *b), (a, b)


# -- traffic shapes -----------------------------------------------------------------------------


def numeric_integral(spec: TrafficSpec, t0: float, t1: float) -> float:
    corners = [spec.at, spec.at + spec.duration, spec.start, spec.start + spec.over]
    breaks = sorted({t0, t1, *(t for t, _ in spec.steps), *(t for t, _ in spec.points), *corners})
    total = 0.0
    for low, high in itertools.pairwise(breaks):
        if t0 <= low and high <= t1:
            total += integrate.quad(spec.rate_at, low, high, limit=200, epsabs=1e-10)[0]
    return total


SPECS = {
    "constant": TrafficSpec(rate=250.0),
    "poisson": TrafficSpec(pattern="poisson", rate=40.0),
    "ramp": TrafficSpec(pattern="ramp", rate=100.0, to_rate=1000.0, over=30.0, start=10.0),
    "ramp-down": TrafficSpec(pattern="ramp", rate=500.0, to_rate=0.0, over=20.0),
    "jump": TrafficSpec(pattern="ramp", rate=10.0, to_rate=20.0, over=0.0, start=5.0),
    "step": TrafficSpec(pattern="step", rate=100.0, steps=((10.0, 500.0), (30.0, 0.0), (40, 50))),
    "diurnal": TrafficSpec(pattern="diurnal", rate=300.0, amplitude=0.6, period=40.0),
    "spike": TrafficSpec(pattern="spike", rate=100.0, peak=2000.0, at=20.0, duration=5.0),
    "replay": TrafficSpec(pattern="replay", points=((5.0, 100.0), (15.0, 300.0), (25.0, 0.0))),
}


@pytest.mark.parametrize("name", SPECS)
def test_cumulative_is_the_integral_of_rate_at(name: str) -> None:
    spec = SPECS[name]
    for t0, t1 in ((0.0, 60.0), (3.0, 17.5), (12.0, 41.0), (25.0, 25.0)):
        assert spec.expected_count(t0, t1) == pytest.approx(
            numeric_integral(spec, t0, t1), rel=1e-7, abs=1e-6
        ), (t0, t1)


def test_rate_shapes_by_hand() -> None:
    ramp = SPECS["ramp"]
    assert [ramp.rate_at(t) for t in (0, 10, 25, 40, 100)] == [100, 100, 550, 1000, 1000]
    assert ramp.cumulative(40) == pytest.approx(100 * 10 + 550 * 30)
    jump = SPECS["jump"]
    assert (jump.rate_at(4.999), jump.rate_at(5.0)) == (10.0, 20.0)
    step = SPECS["step"]
    assert [step.rate_at(t) for t in (0, 9.9, 10, 29, 30, 45)] == [100, 100, 500, 500, 0, 50]
    assert step.cumulative(50) == pytest.approx(100 * 10 + 500 * 20 + 0 + 50 * 10)
    diurnal = SPECS["diurnal"]
    assert diurnal.rate_at(0) == pytest.approx(120.0)  # 300 * (1 - 0.6)
    assert diurnal.rate_at(20) == pytest.approx(480.0)  # half the period: 300 * 1.6
    assert diurnal.cumulative(40) == pytest.approx(300 * 40)  # a whole cycle averages rate
    spike = SPECS["spike"]
    assert [spike.rate_at(t) for t in (19.9, 20, 24.9, 25)] == [100, 2000, 2000, 100]
    assert spike.cumulative(60) == pytest.approx(100 * 55 + 2000 * 5)
    replay = SPECS["replay"]
    assert [replay.rate_at(t) for t in (0, 4.9, 5, 15, 100)] == [0, 0, 100, 300, 0]


@pytest.mark.parametrize("name", SPECS)
def test_max_rate_bounds_a_dense_grid_exactly(name: str) -> None:
    spec = SPECS[name]
    for since, horizon in ((0.0, 60.0), (0.0, 8.0), (12.0, 18.0), (21.0, 22.0), (26.0, 33.0)):
        grid = [since + (horizon - since) * i / 4000 for i in range(4001)]
        highest = max(spec.rate_at(t) for t in grid)
        bound = spec.max_rate(horizon, since)
        assert bound >= highest - 1e-9
        assert bound == pytest.approx(highest, rel=1e-3, abs=1e-9), (since, horizon)


def test_rate_is_never_negative() -> None:
    spec = TrafficSpec(pattern="ramp", rate=-5.0, to_rate=-1.0, over=3.0)
    assert all(spec.rate_at(t / 10) == 0.0 for t in range(100))


@pytest.mark.parametrize("name", SPECS)
def test_arrival_time_inverts_cumulative(name: str) -> None:
    spec = SPECS[name]
    total = spec.cumulative(60.0)
    for share in (0.001, 0.25, 0.5, 0.77, 1.0):
        target = total * share
        time = spec.arrival_time(target, 0.0, 60.0)
        assert time is not None
        assert spec.cumulative(time) == pytest.approx(target, rel=1e-9, abs=1e-6)
    assert spec.arrival_time(total + 1, 0.0, 60.0) is None


def test_arrival_process_defaults() -> None:
    assert TrafficSpec().arrival_process == "uniform"
    assert TrafficSpec(pattern="poisson").arrival_process == "poisson"
    assert TrafficSpec(pattern="ramp").arrival_process == "poisson"
    assert TrafficSpec(pattern="ramp", arrivals="uniform").arrival_process == "uniform"
    assert dict(TrafficSpec().mix) == {"get": 2.0, "put": 1.0}
    assert TrafficSpec().rate == 100.0


def test_architecture_traffic_sources_default_to_spigo() -> None:
    arch = Architecture("a", (Service("db", "store"), Service("www", "denominator")))
    (spec,) = arch.traffic_sources
    assert spec == TrafficSpec()
    assert arch.traffic_source_service(spec).name == "www"
    other = TrafficSpec(source="db")
    assert arch.traffic_source_service(other).name == "db"


# -- replay files -------------------------------------------------------------------------------


def test_read_rate_csv(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("\ufefftime, rate ,note\n0,100,start\n\n60,400,\n120.5,0,off\n", "utf-8")
    assert read_rate_csv(path) == ((0.0, 100.0), (60.0, 400.0), (120.5, 0.0))
    path.write_text("rate,time\n5,1\n", "utf-8")
    assert read_rate_csv(path) == ((1.0, 5.0),)


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        ("time,rates\n0,1\n", 1, "", "no 'rate' column"),
        ("time,rate\n0,100\n10,lots\n", 3, "rate", "got 'lots'"),
        ("time,rate\n0,100\n-1,5\n", 3, "time", "got '-1'"),
        ("time,rate\n0,100\n10\n", 3, "rate", "no 'rate' value"),
        ("time,rate\n10,100\n10,5\n", 3, "time", "not after"),
        ("time,rate\n0,nan\n", 2, "rate", "got 'nan'"),
        ("time,rate\n", None, "", "no rows"),
        ("", None, "", "empty"),
    ],
)
def test_read_rate_csv_errors_name_file_line_and_value(
    tmp_path: Path, text: str, line: int | None, field: str, words: str
) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(text, "utf-8")
    with pytest.raises(ArchitectureError) as caught:
        read_rate_csv(path)
    error = caught.value
    assert error.file == str(path)
    assert error.line == line
    assert error.field == field
    assert words in str(error)
    assert error.fix
    if line is not None:
        assert str(error).startswith(f"{path}:{line}: ")


def test_read_rate_csv_limits(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("time,rate\n" + "".join(f"{i},1\n" for i in range(100)), "utf-8")
    with pytest.raises(ArchitectureError, match="more than the limit"):
        read_rate_csv(path, max_bytes=100)
    with pytest.raises(ArchitectureError, match="cannot read"):
        read_rate_csv(tmp_path / "missing.csv")
    assert math.isfinite(read_rate_csv(path)[-1][0])
