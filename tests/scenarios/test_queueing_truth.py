"""The simulation tells the truth: the full simulator against the closed forms of queueing theory.

Independent truth: Erlang C for M/M/c queues, Little's law, Jackson's theorem for tandem
queues and the tail-at-scale formula 1 - (1 - p)^n, all from ``monkeyhouse.analysis.queueing``
(tested on its own against textbook values and brute force). Every case is a real architecture
file run by the real simulator: a denominator entry sends Poisson traffic over a network with
no latency to a server with exponential service times, unbounded threads and ``c`` cores (an
M/M/c station). Response times are measured per request from spans, after a warm-up of 5 % of
the run.

Each statistical check proves its own precision: the 95 % confidence interval of the mean from
30 batch means (Student's t, 29 degrees of freedom) must be narrower than the tolerance, and
the measured mean must lie within the tolerance of the closed form. Sample sizes follow the
relaxation time of each queue (the relative asymptotic variance of the mean response, about 10
for M/M/1 at ρ = 0.5 and 380 at ρ = 0.9), sized for a half-width near 1.5 % so that the 2 %
tolerance is not a coin toss. Each case has a seed of its own, so the cases are independent
evidence. The heaviest cases (millions of requests, 30 s to 2 minutes each) are marked
``slow``: ``make test`` runs them, ``pytest -m 'not slow'`` leaves them out.
"""

from __future__ import annotations

import math
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from scipy import stats

from monkeyhouse.analysis.queueing import fan_out_slow_share, mmc, tandem_response
from monkeyhouse.behaviours.spans import CLIENT, SERVER, Span
from monkeyhouse.model import load_architecture
from monkeyhouse.patterns.queueing import StationStatistics
from monkeyhouse.scenarios.simulation import RunOptions, RunSummary, Simulation

#: the mean service time of every M/M/c server, in seconds
SERVICE = 0.01
#: the share of each run's time (and so of its requests) left out as warm-up
WARMUP = 0.05
#: batches for the batch-means confidence interval
BATCHES = 30
#: Student's t for a two-sided 95 % interval with BATCHES - 1 degrees of freedom (2.045)
T95 = float(stats.t.ppf(0.975, BATCHES - 1))

NO_LATENCY = "network: {same_zone: 0, cross_zone: 0, cross_region: 0}"

MMC = f"""
arch: mmc
{NO_LATENCY}
traffic: {{source: www, pattern: poisson, rate: RATE, mix: {{get: 1}}}}
services:
  - name: server
    package: store
    count: 1
    regions: 1
    service_time: {{exponential: {{mean: {SERVICE}}}}}
    threads: 1000000
    cores: CORES
    queue: null
    on_full: wait
  - {{name: www, package: denominator, count: 0, regions: 0, dependencies: [server]}}
"""


class Responses:
    """A span observer keeping the response times of one kind of span after the warm-up.

    ``service`` names the service whose spans count; ``roots`` keeps only the traffic source's
    root CLIENT spans (the end-to-end time of each request).
    """

    def __init__(self, service: str, kind: int, warmup: float, roots: bool = False) -> None:
        self.service = service
        self.kind = kind
        self.warmup = warmup
        self.roots = roots
        self.times = array("d")
        self.queued = 0.0
        self.worked = 0.0

    def __call__(self, span: Span) -> None:
        if (
            span.kind == self.kind
            and span.start >= self.warmup
            and span.instance.service.name == self.service
            and not (self.roots and span.parent)
        ):
            self.times.append(span.end - span.start)
            self.queued += span.queued
            self.worked += span.service


@dataclass(frozen=True)
class Estimate:
    """A mean with its 95 % confidence half-width from batch means."""

    mean: float
    half_width: float
    samples: int

    @property
    def relative_half_width(self) -> float:
        return self.half_width / self.mean

    def error(self, truth: float) -> float:
        """Relative distance from ``truth``."""
        return abs(self.mean - truth) / truth


def batch_means(times: array[float], batches: int = BATCHES) -> Estimate:
    """The mean of ``times`` and its 95 % half-width from ``batches`` contiguous batch means."""
    size = len(times) // batches
    assert size >= 100, f"too few samples for {batches} batches: {len(times)}"
    means = [math.fsum(times[k * size : (k + 1) * size]) / size for k in range(batches)]
    grand = math.fsum(means) / batches
    variance = math.fsum((m - grand) ** 2 for m in means) / (batches - 1)
    return Estimate(grand, T95 * math.sqrt(variance / batches), size * batches)


def simulate(
    tmp_path: Path,
    text: str,
    duration: float,
    observer: Responses,
    seed: int,
    on_built: Callable[[Simulation], object] | None = None,
) -> tuple[RunSummary, Simulation, float]:
    """Write ``text`` as an architecture file, run it for ``duration``, give the wall time.

    Calls go unprotected (no timeouts, retries or pools), as the closed forms assume.
    """
    path = tmp_path / "arch.yaml"
    path.write_text(text)
    simulation = Simulation(
        load_architecture(path),
        RunOptions(duration=duration, seed=seed, chaos=False, resilience=False),
        span_observers=[observer],
    )
    started = time.perf_counter()
    summary = simulation.run(on_built=on_built)
    return summary, simulation, time.perf_counter() - started


def mmc_architecture(utilization: float, cores: int) -> tuple[str, float]:
    """The M/M/c architecture at ``utilization`` with ``cores`` servers, and its arrival rate."""
    rate = utilization * cores / SERVICE
    return MMC.replace("RATE", repr(rate)).replace("CORES", str(cores)), rate


# -- M/M/c against Erlang C ------------------------------------------------------------------

#: (cores, utilization, requests measured). The relative asymptotic variance v of the mean
#: response (n × variance of the mean / mean², measured by batch means: about 10, 90 and 380
#: for c = 1 at ρ = 0.5, 0.8, 0.9; 5, 75 and 250 for c = 2; 1.2, 18 and 125 for c = 10) sets the
#: size: n ≈ v (2.045 / 0.015)² ≈ 18,600 v gives a 95 % half-width near 1.5 %. At about
#: 55,000 requests/s the ρ = 0.9 cases and M/M/1 at 0.8 take 30 s to 2 minutes each: slow.
MMC_CASES = [
    pytest.param(1, 0.5, 250_000, id="c1-rho0.5"),
    pytest.param(1, 0.8, 1_800_000, id="c1-rho0.8", marks=pytest.mark.slow),
    pytest.param(1, 0.9, 7_000_000, id="c1-rho0.9", marks=pytest.mark.slow),
    pytest.param(2, 0.5, 120_000, id="c2-rho0.5"),
    pytest.param(2, 0.8, 1_300_000, id="c2-rho0.8"),
    pytest.param(2, 0.9, 4_500_000, id="c2-rho0.9", marks=pytest.mark.slow),
    pytest.param(10, 0.5, 40_000, id="c10-rho0.5"),
    pytest.param(10, 0.8, 400_000, id="c10-rho0.8"),
    pytest.param(10, 0.9, 2_300_000, id="c10-rho0.9", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("cores", "utilization", "requests"), MMC_CASES)
def test_mmc_mean_response_is_erlang_c(
    tmp_path: Path, cores: int, utilization: float, requests: int
) -> None:
    text, rate = mmc_architecture(utilization, cores)
    duration = requests / rate / (1 - WARMUP)
    responses = Responses("server", SERVER, WARMUP * duration)
    # one seed per case: with a common seed every case would draw the same service times and
    # gaps, and their errors would move together instead of being independent evidence
    seed = 100 * cores + round(10 * utilization)
    _, _, wall = simulate(tmp_path, text, duration, responses, seed=seed)
    truth = mmc(rate, 1 / SERVICE, cores).mean_response
    estimate = batch_means(responses.times)
    print(
        f"M/M/{cores} rho={utilization}: simulated {estimate.mean * 1000:.4f} ms, "
        f"Erlang C {truth * 1000:.4f} ms, error {estimate.error(truth):.2%}, "
        f"95% half-width {estimate.relative_half_width:.2%}, {estimate.samples} requests, "
        f"{wall:.1f} s ({estimate.samples / wall:,.0f} requests/s)"
    )
    assert estimate.samples >= 0.99 * requests
    assert estimate.relative_half_width < 0.02
    assert estimate.error(truth) < 0.02


# -- Little's law ------------------------------------------------------------------------------


def test_littles_law_holds_for_the_station(tmp_path: Path) -> None:
    """L = λW three ways: in the system, waiting for a core, and working (the utilization).

    The counts come from the station's time integrals over the measured window, the times from
    the spans of the requests that arrived in it; on one sample path the two sides differ only
    by the few requests that straddle the window's edges.
    """
    cores, utilization = 2, 0.8
    text, rate = mmc_architecture(utilization, cores)
    duration = 200_000 / rate / (1 - WARMUP)
    warmup = WARMUP * duration
    responses = Responses("server", SERVER, warmup)
    snapshots: list[StationStatistics] = []

    def watch(simulation: Simulation) -> None:
        runtime = next(s for s in simulation.services if s.name == "server")
        station = runtime.instances[0].station
        assert station is not None
        simulation.env.schedule_at(warmup, lambda _: snapshots.append(station.statistics()))

    _, simulation, _ = simulate(tmp_path, text, duration, responses, seed=21, on_built=watch)
    (first,) = snapshots
    station = next(s for s in simulation.services if s.name == "server").instances[0].station
    assert station is not None
    last = station.statistics()
    elapsed = simulation.env.now - warmup
    assert elapsed == pytest.approx(duration - warmup)

    throughput = (last.completed - first.completed) / elapsed
    count = len(responses.times)
    in_system = (last.held_time - first.held_time) / elapsed
    in_queue = (last.queue_time - first.queue_time) / elapsed
    busy = (last.busy_time - first.busy_time) / elapsed
    response = math.fsum(responses.times) / count
    print(
        f"Little: L={in_system:.4f} X*W={throughput * response:.4f}, "
        f"Lq={in_queue:.4f} X*Wq={throughput * responses.queued / count:.4f}, "
        f"busy={busy:.4f} X*S={throughput * responses.worked / count:.4f}, {count} requests"
    )
    assert count > 190_000
    assert in_system == pytest.approx(throughput * response, rel=0.01)
    assert in_queue == pytest.approx(throughput * responses.queued / count, rel=0.01)
    assert busy == pytest.approx(throughput * responses.worked / count, rel=0.01)
    # and the closed form agrees with what was measured (a looser, statistical check)
    truth = mmc(rate, 1 / SERVICE, cores)
    assert busy == pytest.approx(truth.offered_load, rel=0.02)


# -- tandem queues -----------------------------------------------------------------------------

TANDEM = f"""
arch: tandem
{NO_LATENCY}
traffic: {{source: www, pattern: poisson, rate: RATE, mix: {{get: 1}}}}
services:
  - name: b
    package: store
    count: 1
    regions: 1
    service_time: {{exponential: {{mean: MEAN_B}}}}
    threads: 1000000
    cores: 1
    queue: null
    on_full: wait
  - name: a
    package: karyon
    count: 1
    regions: 1
    service_time: {{exponential: {{mean: MEAN_A}}}}
    threads: 1000000
    cores: 1
    queue: null
    on_full: wait
    dispatch: fanout
    dependencies: [b]
  - {{name: www, package: denominator, count: 0, regions: 0, dependencies: [a]}}
"""


def test_tandem_end_to_end_is_the_sum_of_mm1_responses(tmp_path: Path) -> None:
    """A then B, each one core: A frees its core before calling B, so each is an M/M/1."""
    rate, mean_a, mean_b = 60.0, 0.01, 0.0125  # ρ_A = 0.6, ρ_B = 0.75
    text = (
        TANDEM.replace("RATE", repr(rate))
        .replace("MEAN_A", repr(mean_a))
        .replace("MEAN_B", repr(mean_b))
    )
    requests = 450_000
    duration = requests / rate / (1 - WARMUP)
    responses = Responses("www", CLIENT, WARMUP * duration, roots=True)
    _, _, wall = simulate(tmp_path, text, duration, responses, seed=31)
    truth = tandem_response(rate, [1 / mean_a, 1 / mean_b])
    estimate = batch_means(responses.times)
    print(
        f"tandem: simulated {estimate.mean * 1000:.4f} ms, Jackson {truth * 1000:.4f} ms, "
        f"error {estimate.error(truth):.2%}, "
        f"95% half-width {estimate.relative_half_width:.2%}, {estimate.samples} requests, "
        f"{wall:.1f} s"
    )
    assert estimate.samples >= 0.99 * requests
    assert estimate.relative_half_width < 0.02
    assert estimate.error(truth) < 0.025


# -- the tail at scale -------------------------------------------------------------------------

FAN_OUT = f"""
arch: tail
{NO_LATENCY}
traffic: {{source: www, pattern: poisson, rate: 20, mix: {{get: 1}}}}
services:
  - name: leaf
    package: store
    count: 1
    regions: 1
    service_time: {{histogram: [[0.001, 0.001, 99], [1.0, 1.0, 1]]}}
    threads: 1000000
    cores: 1000000
    queue: null
    on_full: wait
  - name: front
    package: karyon
    count: 1
    regions: 1
    service_time: 0
    threads: 1000000
    queue: null
    on_full: wait
    dispatch: fanout
    dependencies:
      - {{service: leaf, mode: parallel, calls: 100}}
  - {{name: www, package: denominator, count: 0, regions: 0, dependencies: [front]}}
"""


def test_a_request_fanning_out_to_100_leaves_is_slow_63_percent_of_the_time(
    tmp_path: Path,
) -> None:
    """Each leaf call takes 1 ms, or 1 s one time in 100; ample cores, so nothing queues."""
    requests = 8_000
    duration = requests / 20 / (1 - WARMUP)
    responses = Responses("www", CLIENT, WARMUP * duration, roots=True)
    _, _, wall = simulate(tmp_path, FAN_OUT, duration, responses, seed=41)
    # requests still out at the end of the run made no span: at most a few are missing
    times = responses.times
    assert len(times) > 0.95 * requests  # a Poisson count: 8,000 ± 89
    slow = sum(1 for t in times if t > 0.5)
    share = slow / len(times)
    fast = [t for t in times if t <= 0.5]
    truth = fan_out_slow_share(100, 0.01)
    half_width = 1.96 * math.sqrt(truth * (1 - truth) / len(times))
    print(
        f"tail at scale: {share:.2%} slow, expected {truth:.2%}, "
        f"95% half-width {half_width:.2%}, {len(times)} requests, {wall:.1f} s"
    )
    # with no queueing a request takes exactly 1 ms or exactly 1 s
    assert max(fast) == pytest.approx(0.001)
    assert min(t for t in times if t > 0.5) == pytest.approx(1.0)
    assert half_width < 0.015
    assert share == pytest.approx(truth, abs=0.015)
