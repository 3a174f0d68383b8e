"""Circuit breakers against Hystrix's and resilience4j's documented semantics, by hand."""

from __future__ import annotations

import dataclasses

import pytest

from monkeyhouse.errors import UsageError
from monkeyhouse.patterns.breaker import (
    CountBreaker,
    CountBreakerSettings,
    HystrixBreaker,
    HystrixEvent,
    HystrixSettings,
)

S = HystrixEvent.SUCCESS
F = HystrixEvent.FAILURE

#: the idealised variant that checks the health after every event
IMMEDIATE = HystrixSettings(health_snapshot_interval_ms=0)


def feed(breaker: HystrixBreaker, now: float, successes: int, failures: int) -> None:
    for _ in range(successes):
        breaker.record(now, S)
    for _ in range(failures):
        breaker.record(now, F)


def tripped_at_1_5() -> HystrixBreaker:
    """A default breaker fed 10 successes and 10 failures at 1.1 s: it opens at 1.5 s."""
    breaker = HystrixBreaker()
    feed(breaker, 1.1, 10, 10)
    assert breaker.state(1.5) == "open"
    assert breaker.statistics(1.5).opened_at == 1.5
    return breaker


# -- Hystrix: settings ------------------------------------------------------------------


def test_hystrix_defaults_are_hystrix_s() -> None:
    settings = HystrixSettings()
    assert settings.rolling_window_ms == 10_000
    assert settings.rolling_buckets == 10
    assert settings.request_volume_threshold == 20
    assert settings.error_threshold_percentage == 50
    assert settings.sleep_window_ms == 5_000
    assert settings.force_open is False
    assert settings.force_closed is False
    assert settings.health_snapshot_interval_ms == 500
    assert settings.enabled is True


@pytest.mark.parametrize(
    "changes",
    [
        {"rolling_buckets": 3},
        {"rolling_window_ms": 0},
        {"health_snapshot_interval_ms": 300},
        {"health_snapshot_interval_ms": -1},
        {"error_threshold_percentage": 101},
        {"sleep_window_ms": -5},
        {"request_volume_threshold": -1},
    ],
)
def test_hystrix_bad_settings_raise_usage_error(changes: dict[str, int]) -> None:
    with pytest.raises(UsageError):
        HystrixSettings(**changes)  # type: ignore[arg-type]


# -- Hystrix: tripping -------------------------------------------------------------------


def test_twenty_requests_ten_failures_trips_at_the_next_health_snapshot() -> None:
    breaker = HystrixBreaker()
    feed(breaker, 1.1, 10, 10)
    # 20 >= 20 and int(10 / 20 * 100) = 50 >= 50, seen by the snapshot at 1.5 s
    assert breaker.state(1.49) == "closed"
    assert breaker.allow(1.49)
    assert breaker.state(1.5) == "open"
    assert not breaker.allow(1.6)
    stats = breaker.statistics(1.6)
    assert stats.opened_at == 1.5
    assert stats.request_volume == 20
    assert stats.error_count == 10
    assert stats.error_percentage == 50
    assert stats.times_opened == 1


def test_twenty_requests_ten_failures_trips_at_once_without_snapshots() -> None:
    breaker = HystrixBreaker(IMMEDIATE)
    feed(breaker, 1.1, 10, 9)
    assert breaker.state(1.1) == "closed"
    breaker.record(1.2, F)
    assert breaker.state(1.2) == "open"
    assert breaker.statistics(1.2).opened_at == 1.2


@pytest.mark.parametrize("settings", [HystrixSettings(), IMMEDIATE])
def test_nineteen_failures_of_nineteen_do_not_trip(settings: HystrixSettings) -> None:
    breaker = HystrixBreaker(settings)
    feed(breaker, 1.1, 0, 19)
    assert breaker.state(3.0) == "closed"
    assert breaker.allow(3.0)
    stats = breaker.statistics(3.0)
    assert (stats.request_volume, stats.error_percentage) == (19, 100)


@pytest.mark.parametrize("settings", [HystrixSettings(), IMMEDIATE])
def test_twenty_requests_nine_failures_do_not_trip(settings: HystrixSettings) -> None:
    breaker = HystrixBreaker(settings)
    feed(breaker, 1.1, 11, 9)
    assert breaker.state(3.0) == "closed"
    assert breaker.statistics(3.0).error_percentage == 45


def test_failures_eleven_seconds_old_have_rolled_out() -> None:
    breaker = HystrixBreaker()
    feed(breaker, 0.2, 0, 10)
    feed(breaker, 11.2, 0, 10)
    # the snapshot at 11.5 s sums [1.5 s, 11.5 s): only the later 10 failures
    assert breaker.state(11.5) == "closed"
    stats = breaker.statistics(11.5)
    assert stats.request_volume == 10
    assert stats.rolling[F] == 10
    assert stats.cumulative[F] == 20


def test_failures_nine_seconds_old_still_count() -> None:
    breaker = HystrixBreaker()
    feed(breaker, 0.2, 0, 10)
    feed(breaker, 9.2, 0, 10)
    # the snapshot at 9.5 s sums [-0.5 s, 9.5 s): all 20 failures
    assert breaker.state(9.5) == "open"
    assert breaker.statistics(9.5).opened_at == 9.5


def test_rolling_counter_buckets_roll_out_one_second_at_a_time() -> None:
    breaker = HystrixBreaker(IMMEDIATE)
    feed(breaker, 0.2, 3, 0)
    feed(breaker, 9.9, 2, 0)
    # the current 1-s bucket and the nine before it
    assert breaker.statistics(9.99).rolling[S] == 5
    assert breaker.statistics(10.0).rolling[S] == 2
    assert breaker.statistics(20.0).rolling[S] == 0
    assert breaker.statistics(20.0).cumulative[S] == 5


def test_short_circuits_and_fallbacks_are_not_requests() -> None:
    breaker = HystrixBreaker()
    for event in (
        HystrixEvent.SHORT_CIRCUITED,
        HystrixEvent.FALLBACK_SUCCESS,
        HystrixEvent.FALLBACK_FAILURE,
    ):
        for _ in range(30):
            breaker.record(1.0, event)
    feed(breaker, 1.0, 0, 10)
    assert breaker.state(2.0) == "closed"
    stats = breaker.statistics(2.0)
    assert stats.request_volume == 10
    assert stats.rolling[HystrixEvent.SHORT_CIRCUITED] == 30


def test_timeouts_and_rejections_are_errors() -> None:
    breaker = HystrixBreaker()
    feed(breaker, 1.0, 10, 0)
    for event in (
        HystrixEvent.TIMEOUT,
        HystrixEvent.THREAD_POOL_REJECTED,
        HystrixEvent.SEMAPHORE_REJECTED,
    ):
        for _ in range(4):
            breaker.record(1.0, event)
    # 22 requests, 12 errors: int(54.54...) = 54 >= 50
    assert breaker.statistics(1.5).error_percentage == 54
    assert breaker.state(1.5) == "open"


# -- Hystrix: sleep window and the single trial ---------------------------------------------


def test_no_trial_at_exactly_the_end_of_the_sleep_window() -> None:
    breaker = tripped_at_1_5()
    # isAfterSleepWindow: now > opened_at + sleepWindow, strictly
    assert not breaker.allow(6.5)
    assert breaker.state(6.5) == "open"
    assert breaker.statistics(6.5).trials == 0


def test_first_trial_goes_just_after_the_sleep_window() -> None:
    breaker = tripped_at_1_5()
    assert not breaker.allow(4.0)
    assert breaker.allow(6.501)
    assert breaker.state(6.501) == "half_open"
    assert breaker.statistics(6.501).trials == 1


def test_only_one_trial_at_a_time() -> None:
    breaker = tripped_at_1_5()
    assert breaker.allow(6.6)
    assert not breaker.allow(6.6)
    assert not breaker.allow(7.0)
    assert not breaker.allow(60.0)
    # fallbacks and short circuits do not end the trial
    breaker.record(60.0, HystrixEvent.SHORT_CIRCUITED)
    breaker.record(60.0, HystrixEvent.FALLBACK_SUCCESS)
    assert breaker.state(60.0) == "half_open"
    assert breaker.statistics(60.0).trials == 1


def test_successful_trial_closes_and_resets_the_health() -> None:
    breaker = tripped_at_1_5()
    assert breaker.allow(6.6)
    breaker.record(6.7, S)
    assert breaker.state(6.7) == "closed"
    assert breaker.allow(6.7)
    stats = breaker.statistics(7.0)
    assert stats.opened_at is None
    # the health starts empty again; the dashboard's rolling counters do not
    assert stats.request_volume == 0
    assert stats.rolling[F] == 10
    # the old failures, still inside 10 s, do not trip it again
    assert breaker.state(10.0) == "closed"


def test_failed_trial_reopens_with_a_new_sleep_window() -> None:
    breaker = tripped_at_1_5()
    assert breaker.allow(6.6)
    breaker.record(6.8, HystrixEvent.TIMEOUT)
    assert breaker.state(6.8) == "open"
    stats = breaker.statistics(6.8)
    assert stats.opened_at == 6.8
    assert stats.times_opened == 1
    assert not breaker.allow(11.8)
    assert breaker.allow(11.81)
    assert breaker.statistics(11.81).trials == 2


@pytest.mark.parametrize(
    "event",
    [HystrixEvent.FAILURE, HystrixEvent.THREAD_POOL_REJECTED, HystrixEvent.SEMAPHORE_REJECTED],
)
def test_every_health_error_fails_the_trial(event: HystrixEvent) -> None:
    breaker = tripped_at_1_5()
    assert breaker.allow(7.0)
    breaker.record(7.2, event)
    assert breaker.state(7.2) == "open"
    assert breaker.statistics(7.2).opened_at == 7.2


def test_retrips_after_closing_when_failures_go_on() -> None:
    breaker = tripped_at_1_5()
    assert breaker.allow(7.0)
    breaker.record(7.0, S)
    feed(breaker, 7.1, 0, 20)
    assert breaker.state(7.49) == "closed"
    assert breaker.state(7.5) == "open"
    assert breaker.statistics(7.5).times_opened == 2


# -- Hystrix: forcing, disabling, snapshots ---------------------------------------------------


def test_forced_open_rejects_everything() -> None:
    breaker = HystrixBreaker(HystrixSettings(force_open=True))
    assert breaker.state(0.0) == "open"
    assert not any(breaker.allow(t / 10) for t in range(200))
    stats = breaker.statistics(20.0)
    assert stats.forced_open
    assert stats.trials == 0


def test_forced_open_wins_over_forced_closed() -> None:
    breaker = HystrixBreaker(HystrixSettings(force_open=True, force_closed=True))
    assert not breaker.allow(1.0)
    assert breaker.state(1.0) == "open"


def test_forced_closed_allows_everything_and_still_counts() -> None:
    breaker = HystrixBreaker(HystrixSettings(force_closed=True))
    for step in range(40):
        now = 1.0 + step / 100
        assert breaker.allow(now)
        breaker.record(now, F)
    assert breaker.state(2.0) == "closed"
    assert breaker.allow(2.0)
    stats = breaker.statistics(2.0)
    assert stats.cumulative[F] == 40
    assert stats.rolling[F] == 40
    assert stats.request_volume == 40
    assert stats.error_percentage == 100
    assert stats.forced_closed


def test_lifting_forced_closed_reveals_the_circuit_underneath() -> None:
    # Hystrix 1.5's health subscription runs regardless of forcing
    breaker = HystrixBreaker(HystrixSettings(force_closed=True))
    feed(breaker, 1.1, 0, 20)
    assert breaker.state(1.5) == "closed"
    breaker.force_closed = False
    assert breaker.state(1.5) == "open"
    assert breaker.statistics(1.5).opened_at == 1.5


def test_error_percentage_truncates_like_java_doubles() -> None:
    breaker = HystrixBreaker(HystrixSettings(error_threshold_percentage=29))
    feed(breaker, 1.1, 71, 29)
    # (int) (29.0 / 100 * 100) is 28 in IEEE doubles: below 29, so no trip
    assert breaker.statistics(1.5).error_percentage == 28
    assert breaker.state(1.5) == "closed"


def test_forcing_can_change_during_a_run() -> None:
    breaker = HystrixBreaker()
    breaker.force_open = True
    assert not breaker.allow(1.0)
    breaker.force_open = False
    assert breaker.allow(1.0)


def test_disabled_breaker_never_trips_and_ignores_forcing() -> None:
    breaker = HystrixBreaker(HystrixSettings(enabled=False, force_open=True))
    feed(breaker, 1.0, 0, 50)
    assert breaker.allow(2.0)
    assert breaker.state(2.0) == "closed"
    assert breaker.statistics(2.0).cumulative[F] == 50


def test_long_idle_gaps_are_cheap_and_exact() -> None:
    breaker = HystrixBreaker()
    feed(breaker, 0.0, 0, 5)
    assert breaker.state(1e9) == "closed"
    feed(breaker, 1e9 + 0.1, 0, 20)
    assert breaker.state(1e9 + 0.5) == "open"
    assert breaker.statistics(1e9 + 0.5).request_volume == 20


def test_same_inputs_give_the_same_statistics() -> None:
    def run() -> object:
        breaker = HystrixBreaker()
        for step in range(500):
            now = step * 0.037
            if breaker.allow(now):
                breaker.record(now, F if step % 3 else S)
            else:
                breaker.record(now, HystrixEvent.SHORT_CIRCUITED)
        return breaker.statistics(500 * 0.037)

    assert run() == run()


def test_hystrix_statistics_are_frozen_snapshots() -> None:
    breaker = HystrixBreaker()
    feed(breaker, 1.0, 3, 2)
    before = breaker.statistics(1.0)
    feed(breaker, 1.2, 5, 5)
    assert before.rolling[S] == 3
    assert before.cumulative[F] == 2
    assert breaker.statistics(1.2).rolling[S] == 8
    with pytest.raises(dataclasses.FrozenInstanceError):
        before.trials = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        before.rolling[S] = 0  # type: ignore[index]


# -- resilience4j count-based ------------------------------------------------------------------


def small(**changes: float) -> CountBreakerSettings:
    """A window of 10 calls that needs them all, with 1-s waits and 1-s slow calls."""
    base: dict[str, float] = {
        "sliding_window_size": 10,
        "minimum_number_of_calls": 10,
        "wait_duration_in_open_state": 1.0,
        "permitted_number_of_calls_in_half_open_state": 4,
        "slow_call_duration_threshold": 1.0,
    }
    base.update(changes)
    return CountBreakerSettings(**base)  # type: ignore[arg-type]


def calls(breaker: CountBreaker, now: float, successes: int, failures: int) -> None:
    for _ in range(successes):
        breaker.record(now, True, 0.01)
    for _ in range(failures):
        breaker.record(now, False, 0.01)


def opened_at_1() -> CountBreaker:
    breaker = CountBreaker(small())
    calls(breaker, 1.0, 5, 5)
    assert breaker.state(1.0) == "open"
    return breaker


def test_count_defaults_are_resilience4j_s() -> None:
    settings = CountBreakerSettings()
    assert settings.failure_rate_threshold == 50
    assert settings.slow_call_rate_threshold == 100
    assert settings.slow_call_duration_threshold == 60.0
    assert settings.sliding_window_size == 100
    assert settings.minimum_number_of_calls == 100
    assert settings.wait_duration_in_open_state == 60.0
    assert settings.permitted_number_of_calls_in_half_open_state == 10
    assert settings.automatic_transition_from_open_to_half_open_enabled is False
    assert settings.max_wait_duration_in_half_open_state == 0.0


@pytest.mark.parametrize(
    "changes",
    [
        {"failure_rate_threshold": 0},
        {"slow_call_rate_threshold": 101},
        {"sliding_window_size": 0},
        {"minimum_number_of_calls": 0},
        {"wait_duration_in_open_state": 0},
        {"permitted_number_of_calls_in_half_open_state": 0},
        {"max_wait_duration_in_half_open_state": -1},
    ],
)
def test_count_bad_settings_raise_usage_error(changes: dict[str, float]) -> None:
    with pytest.raises(UsageError):
        CountBreakerSettings(**changes)  # type: ignore[arg-type]


def test_default_needs_one_hundred_calls() -> None:
    breaker = CountBreaker()
    calls(breaker, 1.0, 0, 99)
    assert breaker.state(1.0) == "closed"
    assert breaker.statistics(1.0).failure_rate == -1.0
    calls(breaker, 1.0, 0, 1)
    assert breaker.state(1.0) == "open"


def test_minimum_calls_below_the_window() -> None:
    breaker = CountBreaker(small(minimum_number_of_calls=5))
    calls(breaker, 1.0, 0, 4)
    assert breaker.state(1.0) == "closed"
    calls(breaker, 1.0, 0, 1)
    assert breaker.state(1.0) == "open"


def test_minimum_calls_are_capped_by_the_window_size() -> None:
    breaker = CountBreaker(small(minimum_number_of_calls=100))
    calls(breaker, 1.0, 5, 4)
    assert breaker.state(1.0) == "closed"
    calls(breaker, 1.0, 0, 1)
    # 10 buffered calls reach min(100, 10); 5 / 10 = 50 % >= 50 %
    assert breaker.state(1.0) == "open"


def test_failure_rate_just_below_the_threshold_stays_closed() -> None:
    breaker = CountBreaker(small())
    calls(breaker, 1.0, 6, 4)
    assert breaker.state(1.0) == "closed"
    assert breaker.statistics(1.0).failure_rate == 40.0


def test_the_window_forgets_the_oldest_calls() -> None:
    breaker = CountBreaker(small())
    calls(breaker, 1.0, 0, 4)
    calls(breaker, 1.0, 10, 0)
    stats = breaker.statistics(1.0)
    assert (stats.buffered_calls, stats.failed_calls) == (10, 0)
    calls(breaker, 1.0, 0, 4)
    assert breaker.state(1.0) == "closed"  # 4 of the last 10
    calls(breaker, 1.0, 0, 1)
    assert breaker.state(1.0) == "open"  # 5 of the last 10


def test_slow_calls_are_strictly_longer_than_the_threshold() -> None:
    breaker = CountBreaker(small(slow_call_rate_threshold=50))
    for _ in range(5):
        breaker.record(1.0, True, 1.0)  # exactly the threshold: not slow
    for _ in range(4):
        breaker.record(1.0, True, 1.5)
    breaker.record(1.0, True, 0.1)
    assert breaker.state(1.0) == "closed"
    assert breaker.statistics(1.0).slow_call_rate == 40.0
    breaker.record(1.0, False, 1.0001)
    stats = breaker.statistics(1.0)
    assert stats.state == "open"
    assert (stats.slow_calls, stats.slow_failed_calls) == (5, 1)


def test_default_slow_threshold_needs_every_call_slow() -> None:
    breaker = CountBreaker(small(slow_call_duration_threshold=60.0))
    for _ in range(9):
        breaker.record(100.0, True, 61.0)
    breaker.record(100.0, True, 59.0)
    assert breaker.state(100.0) == "closed"  # 90 % < 100 %
    breaker.record(100.0, True, 61.0)
    assert breaker.state(100.0) == "closed"  # still 9 of the last 10
    for _ in range(9):
        breaker.record(100.0, True, 61.0)
    assert breaker.state(100.0) == "open"  # 10 of 10


def test_open_rejects_until_strictly_after_the_wait() -> None:
    breaker = opened_at_1()
    assert not breaker.allow(1.5)
    assert not breaker.allow(2.0)
    assert breaker.state(2.0) == "open"
    assert breaker.statistics(2.0).not_permitted_calls == 2
    assert breaker.allow(2.001)
    assert breaker.state(2.001) == "half_open"


def test_open_stays_open_until_asked_without_automatic_transition() -> None:
    breaker = opened_at_1()
    assert breaker.state(100.0) == "open"


def test_automatic_transition_happens_at_the_wait() -> None:
    breaker = CountBreaker(small(automatic_transition_from_open_to_half_open_enabled=True))
    calls(breaker, 1.0, 5, 5)
    assert breaker.state(1.999) == "open"
    assert breaker.state(2.0) == "half_open"
    assert breaker.statistics(2.0).half_open_permits_left == 4


def test_half_open_permits_a_fixed_number_of_calls() -> None:
    breaker = opened_at_1()
    assert [breaker.allow(3.0) for _ in range(6)] == [True] * 4 + [False] * 2
    assert breaker.statistics(3.0).half_open_permits_left == 0


def test_half_open_closes_after_the_permitted_calls_succeed() -> None:
    breaker = opened_at_1()
    for _ in range(4):
        assert breaker.allow(3.0)
    calls(breaker, 3.1, 3, 1)  # 25 % < 50 %
    assert breaker.state(3.1) == "closed"
    stats = breaker.statistics(3.1)
    assert stats.buffered_calls == 0  # a fresh window
    assert stats.opened_at is None


def test_half_open_waits_for_every_permitted_call() -> None:
    breaker = opened_at_1()
    for _ in range(4):
        assert breaker.allow(3.0)
    calls(breaker, 3.1, 0, 3)
    assert breaker.state(3.1) == "half_open"
    calls(breaker, 3.2, 0, 1)
    assert breaker.state(3.2) == "open"
    stats = breaker.statistics(3.2)
    assert stats.opened_at == 3.2
    assert stats.times_opened == 2
    assert not breaker.allow(4.2)
    assert breaker.allow(4.3)


def test_half_open_reopens_at_the_failure_threshold() -> None:
    breaker = opened_at_1()
    for _ in range(4):
        assert breaker.allow(3.0)
    calls(breaker, 3.1, 2, 2)  # 50 % >= 50 %
    assert breaker.state(3.1) == "open"


def test_half_open_minimum_is_capped_by_minimum_calls() -> None:
    breaker = CountBreaker(
        small(minimum_number_of_calls=2, permitted_number_of_calls_in_half_open_state=4)
    )
    calls(breaker, 1.0, 1, 1)
    assert breaker.state(1.0) == "open"
    assert breaker.allow(2.5)
    calls(breaker, 2.6, 2, 0)  # min(2, 4) calls decide
    assert breaker.state(2.6) == "closed"


def test_max_wait_in_half_open_reopens() -> None:
    breaker = CountBreaker(small(max_wait_duration_in_half_open_state=3.0))
    calls(breaker, 1.0, 5, 5)
    assert breaker.allow(2.5)
    assert breaker.state(5.49) == "half_open"
    assert breaker.state(5.5) == "open"
    assert breaker.statistics(5.5).opened_at == 5.5


def test_release_gives_a_permit_back() -> None:
    breaker = opened_at_1()
    for _ in range(4):
        assert breaker.allow(3.0)
    assert not breaker.allow(3.0)
    breaker.release(3.0)
    assert breaker.allow(3.0)


def test_calls_ending_while_open_are_recorded_without_transition() -> None:
    breaker = opened_at_1()
    calls(breaker, 1.5, 10, 0)
    stats = breaker.statistics(1.5)
    assert stats.state == "open"
    assert stats.failed_calls == 0


def test_forced_open_disabled_and_metrics_only() -> None:
    breaker = CountBreaker(small())
    breaker.transition_to_forced_open(0.0)
    assert not any(breaker.allow(t) for t in (0.0, 100.0, 1e6))
    assert breaker.state(1e6) == "forced_open"

    breaker.transition_to_disabled(1e6)
    calls(breaker, 1e6, 0, 50)
    assert breaker.allow(1e6)
    stats = breaker.statistics(1e6)
    assert (stats.state, stats.buffered_calls, stats.total_failed_calls) == ("disabled", 0, 50)

    breaker.transition_to_metrics_only(1e6)
    calls(breaker, 1e6, 0, 50)
    assert breaker.allow(1e6)
    stats = breaker.statistics(1e6)
    assert (stats.state, stats.buffered_calls, stats.failure_rate) == ("metrics_only", 10, 100.0)

    breaker.reset(1e6)
    assert breaker.state(1e6) == "closed"
    assert breaker.statistics(1e6).not_permitted_calls == 0


def test_count_statistics_are_frozen_snapshots() -> None:
    breaker = CountBreaker(small())
    calls(breaker, 1.0, 3, 1)
    before = breaker.statistics(1.0)
    calls(breaker, 1.0, 0, 6)
    assert (before.state, before.buffered_calls, before.failed_calls) == ("closed", 4, 1)
    assert breaker.statistics(1.0).state == "open"
    with pytest.raises(dataclasses.FrozenInstanceError):
        before.state = "open"  # type: ignore[misc]
