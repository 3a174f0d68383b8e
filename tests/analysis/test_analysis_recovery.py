"""Recovery times on synthetic series, each worked out by hand in the test's comment."""

from __future__ import annotations

import math

import pytest

from monkeyhouse.analysis.recovery import Recovery, healthy_intervals, recoveries, recovery

TIMES = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]


def test_recovery_is_the_first_of_three_healthy_intervals_after_the_event() -> None:
    # the event at 3.5 s; errors per 100 requests: intervals ending 4..6 fail (50, 20, 2 %),
    # 7 is healthy (1 % is allowed), 8 fails again (5 %), 9 and 10 are healthy: only 2 in a
    # row. Then the first run of three healthy intervals after 3.5 never happens.
    errors = [0, 0, 0, 50, 20, 2, 1, 5, 0, 0]
    result = recovery(3.5, TIMES, [100] * 10, errors)
    assert result == Recovery(3.5, None)
    assert result.seconds is None
    assert result.describe() == "did not recover within the run"
    # without the blip at 8 s: 7, 8, 9 are healthy from 7 s on, so 7 - 3.5 = 3.5 s
    errors[7] = 0
    result = recovery(3.5, TIMES, [100] * 10, errors)
    assert result.recovered_at == 7.0
    assert result.seconds == 3.5
    assert result.describe() == "recovered after 3.5 s"


def test_the_interval_ending_at_the_event_is_before_it() -> None:
    # the event at exactly 4 s: the interval ending at 4 s lies before it, so the first
    # candidate is 5 s; all healthy: 5 - 4 = 1 s
    result = recovery(4.0, TIMES, [10] * 10, [0] * 10)
    assert result.seconds == 1.0


def test_intervals_without_requests_are_not_healthy() -> None:
    # 5 and 6 answer nothing (the front door is down); 7, 8, 9 answer: recovered at 7 s
    counts = [10, 10, 10, 10, 0, 0, 10, 10, 10, 10]
    assert recovery(4.2, TIMES, counts, [0] * 10).recovered_at == 7.0
    assert healthy_intervals([0, 5, math.nan], [0, 0, 0]) == [False, True, False]


def test_a_healthy_run_cut_short_by_the_end_does_not_count() -> None:
    errors = [0] * 7 + [9, 0, 0]  # 9 and 10 healthy, but only two intervals remain
    assert recovery(7.5, TIMES, [10] * 10, errors).recovered_at is None


def test_threshold_and_hold_are_parameters() -> None:
    errors = [0, 0, 0, 3, 3, 3, 3, 3, 3, 3]  # 3 % from 4 s on
    assert recovery(3.0, TIMES, [100] * 10, errors).recovered_at is None
    assert recovery(3.0, TIMES, [100] * 10, errors, threshold=0.03).recovered_at == 4.0
    # hold 1: the first healthy interval after 3.2 is the one ending at 4
    assert recovery(3.2, TIMES, [100] * 10, [0] * 10, hold=1).seconds == pytest.approx(0.8)


def test_each_event_gets_its_own_recovery() -> None:
    errors = [0, 100, 100, 0, 0, 0, 100, 0, 0, 0]
    got = recoveries([1.5, 6.5], TIMES, [100] * 10, errors)
    # after 1.5: 2 and 3 fail, 4, 5, 6 healthy -> 4 - 1.5 = 2.5; after 6.5: 7 fails, 8-10 -> 1.5
    assert [r.seconds for r in got] == [2.5, 1.5]


@pytest.mark.parametrize(
    ("times", "counts", "errors", "options", "words"),
    [
        ([1.0, 2.0], [1], [0], {}, "differ in length"),
        ([1.0, 2.0], [1, 1], [0], {}, "differ in length"),
        ([2.0, 1.0], [1, 1], [0, 0], {}, "increase"),
        ([1.0], [1], [0], {"hold": 0}, "hold"),
        ([1.0], [1], [0], {"threshold": 2.0}, "threshold"),
    ],
)
def test_bad_input_is_refused(
    times: list[float],
    counts: list[float],
    errors: list[float],
    options: dict[str, float],
    words: str,
) -> None:
    with pytest.raises(ValueError, match=words):
        recovery(0.0, times, counts, errors, **options)  # type: ignore[arg-type]
