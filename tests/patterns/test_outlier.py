"""Outlier ejection: Envoy's consecutive-5xx rule, sweeps, ejection times and the ejection cap.

Sweeps run every 10 s from 0; expected return times are worked out by hand from the rule "an
ejected host returns at the first sweep at least its ejection time after its ejection".
"""

from __future__ import annotations

import pytest

from monkeyhouse.errors import UsageError
from monkeyhouse.patterns.outlier import OutlierDetector, OutlierSettings


def hosts(count: int) -> list[str]:
    return [f"h{i}" for i in range(count)]


def fail(detector: OutlierDetector, host: str, now: float, times: int) -> list[bool]:
    return [detector.record(host, now, ok=False) for _ in range(times)]


def test_defaults_are_envoys() -> None:
    settings = OutlierSettings()
    assert settings.consecutive_5xx == 5
    assert settings.interval == 10.0
    assert settings.base_ejection_time == 30.0
    assert settings.max_ejection_time == 300.0
    assert settings.max_ejection_percent == 10.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"consecutive_5xx": 0},
        {"interval": 0},
        {"base_ejection_time": -1},
        {"base_ejection_time": 60, "max_ejection_time": 30},
        {"max_ejection_percent": 101},
    ],
)
def test_invalid_settings_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(UsageError, match="outlier detection"):
        OutlierSettings(**kwargs)  # type: ignore[arg-type]


def test_ejected_at_the_fifth_consecutive_5xx_not_the_fourth() -> None:
    detector = OutlierDetector(hosts=hosts(10))
    assert fail(detector, "h0", 1.0, 4) == [False] * 4
    assert not detector.ejected("h0", 1.0)
    assert detector.record("h0", 1.5, ok=False)  # the fifth
    assert detector.ejected("h0", 1.5)  # at that very instant, not at the next sweep
    assert detector.eligible(hosts(10), 1.5) == hosts(10)[1:]
    stats = detector.statistics()
    assert (stats.ejections_active, stats.ejections_enforced, stats.ejected) == (1, 1, ("h0",))


def test_a_success_resets_the_count() -> None:
    detector = OutlierDetector(hosts=hosts(10))
    fail(detector, "h0", 1.0, 4)
    detector.record("h0", 1.0, ok=True)
    assert fail(detector, "h0", 1.0, 4) == [False] * 4
    assert not detector.ejected("h0", 1.0)
    assert detector.record("h0", 1.0, ok=False)  # five in a row since the success


def test_alternating_failures_never_eject() -> None:
    detector = OutlierDetector(hosts=hosts(10))
    for step in range(200):
        detector.record("h0", step * 0.1, ok=step % 2 == 1)
    assert not detector.ejected("h0", 20.0)
    assert detector.statistics().ejections_detected == 0


def test_failures_of_other_hosts_do_not_add_up() -> None:
    detector = OutlierDetector(hosts=hosts(10))
    for step in range(20):
        detector.record(f"h{step % 4}", 1.0, ok=False)  # five failures each, interleaved
    assert detector.statistics().ejections_detected == 4
    # the first to reach five is ejected; the others find the 10 % cap full
    assert detector.statistics().ejected == ("h0",)


def test_return_happens_at_a_sweep() -> None:
    detector = OutlierDetector(hosts=hosts(10))
    fail(detector, "h0", 12.0, 5)
    # 30 s later is 42 s, between sweeps; the sweep at 40 s is too early (28 s)
    assert detector.ejected("h0", 42.0)
    assert detector.ejected("h0", 49.999)
    assert not detector.ejected("h0", 50.0)
    assert detector.statistics().unejections == 1


def test_ejection_time_doubles_on_the_second_ejection() -> None:
    detector = OutlierDetector(hosts=hosts(10))
    assert detector.ejection_duration("h0") == 30.0
    fail(detector, "h0", 20.0, 5)
    assert detector.ejection_duration("h0") == 30.0
    assert detector.ejected("h0", 49.99)
    assert not detector.ejected("h0", 50.0)  # 30 s
    assert fail(detector, "h0", 50.0, 5)[-1]  # fails again at once
    assert detector.ejection_duration("h0") == 60.0
    assert detector.ejected("h0", 109.99)
    assert not detector.ejected("h0", 110.0)  # 60 s
    assert detector.ejection_count("h0") == 2


def test_ejection_time_shrinks_back_while_healthy() -> None:
    detector = OutlierDetector(hosts=hosts(10))
    fail(detector, "h0", 20.0, 5)
    assert not detector.ejected("h0", 50.0)
    # healthy through the sweep at 60 s, one interval after its return: back to 30 s
    detector.record("h0", 65.0, ok=True)
    assert detector.ejection_duration("h0") == 30.0
    fail(detector, "h0", 70.0, 5)
    assert detector.ejected("h0", 99.99)
    assert not detector.ejected("h0", 100.0)


def test_ejection_time_is_capped_at_max_ejection_time() -> None:
    detector = OutlierDetector(hosts=hosts(10))
    now = 0.0
    durations = []
    for _ in range(13):
        assert fail(detector, "h0", now, 5)[-1]
        ejected_at = now
        while detector.ejected("h0", now):
            now += 10.0  # sweep by sweep
        durations.append(now - ejected_at)
    expected = [30.0 * k for k in range(1, 11)] + [300.0] * 3
    assert durations == expected


def test_max_ejection_percent_with_ten_hosts() -> None:
    detector = OutlierDetector(hosts=hosts(10))
    assert fail(detector, "h0", 1.0, 5)[-1]
    assert fail(detector, "h1", 2.0, 5) == [False] * 5  # 2 of 10 would be 20 %
    stats = detector.statistics()
    assert (stats.ejections_detected, stats.ejections_overflow, stats.ejections_active) == (2, 1, 1)
    # the overflowed count restarted: h1 needs five more failures once h0 is back (at 40 s)
    assert not detector.ejected("h0", 40.0)
    assert fail(detector, "h1", 41.0, 4) == [False] * 4
    assert detector.record("h1", 41.0, ok=False)


def test_max_ejection_percent_with_twenty_hosts() -> None:
    detector = OutlierDetector(hosts=hosts(20))
    results = [fail(detector, host, 1.0, 5)[-1] for host in ("h0", "h1", "h2", "h3")]
    assert results == [True, True, False, False]  # 10 % of 20 is 2
    assert detector.eligible(hosts(20), 1.0) == hosts(20)[2:]


def test_one_host_may_always_be_ejected_unless_told_otherwise() -> None:
    small = OutlierDetector(hosts=hosts(5))
    assert fail(small, "h0", 1.0, 5)[-1]  # 20 % > 10 %, but the first ejection is allowed
    assert not fail(small, "h1", 1.0, 5)[-1]
    strict = OutlierDetector(OutlierSettings(always_eject_one_host=False), hosts=hosts(5))
    assert not fail(strict, "h0", 1.0, 5)[-1]  # newer Envoy's default: 1 of 5 is over 10 %
    assert strict.statistics().ejections_overflow == 1


def test_every_host_may_go_at_100_percent() -> None:
    detector = OutlierDetector(OutlierSettings(max_ejection_percent=100), hosts=hosts(3))
    for host in hosts(3):
        fail(detector, host, 1.0, 5)
    assert detector.eligible(hosts(3), 1.0) == []


def test_results_while_ejected_are_ignored_and_the_count_restarts_on_return() -> None:
    detector = OutlierDetector(hosts=hosts(10))
    fail(detector, "h0", 1.0, 5)
    assert fail(detector, "h0", 2.0, 20) == [False] * 20  # in-flight answers after ejection
    assert detector.statistics().ejections_detected == 1
    assert not detector.ejected("h0", 40.0)
    assert fail(detector, "h0", 40.0, 4) == [False] * 4
    assert not detector.ejected("h0", 40.0)


def test_unknown_hosts_join_and_removed_hosts_free_their_ejection() -> None:
    detector = OutlierDetector()
    for name in hosts(10):
        detector.add_host(name)
    detector.record("new", 0.5, ok=True)
    assert detector.hosts == 11
    fail(detector, "h0", 1.0, 5)
    detector.remove_host("h0")
    assert detector.statistics().ejections_active == 0
    assert fail(detector, "h1", 1.0, 5)[-1]


def test_time_only_moves_forward_and_sweeps_are_counted() -> None:
    detector = OutlierDetector(hosts=hosts(2), start=5.0)
    assert detector.next_sweep() == 15.0
    detector.advance(44.0)
    assert detector.statistics().sweeps == 3  # 15, 25, 35
    with pytest.raises(ValueError):
        detector.ejected("h0", 43.0)
