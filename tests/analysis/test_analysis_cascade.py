"""Call depths and the cascade verdict on small hand-made graphs and series."""

from __future__ import annotations

import math

import pytest

from monkeyhouse.analysis.cascade import (
    ServiceErrors,
    call_depths,
    cascade_order,
    cascade_verdict,
    front_door_errors,
)

# www -> proxy -> {login, home}; login -> db; home -> db; home -> cache
EDGES = [
    ("www", "proxy"),
    ("proxy", "login"),
    ("proxy", "home"),
    ("login", "db"),
    ("home", "db"),
    ("home", "cache"),
]
DEPTHS = {"www": 0, "proxy": 1, "login": 2, "home": 2, "db": 3, "cache": 3}


def rows(errors: list[float], count: float = 100.0) -> ServiceErrors:
    return ServiceErrors([1.0, 2.0, 3.0], [count] * 3, errors)


def test_depths_are_shortest_distances_from_the_source() -> None:
    assert call_depths(EDGES) == DEPTHS
    # a shortcut from the proxy straight to db makes db depth 2
    assert call_depths([*EDGES, ("proxy", "db")])["db"] == 2
    # a cycle without a source starts from the first caller by name
    assert call_depths([("b", "a"), ("a", "b")]) == {"a": 0, "b": 1}
    assert call_depths([]) == {}


def test_order_goes_from_the_front_door_down() -> None:
    order = cascade_order(["db", "cache", "home", "login", "proxy", "lost"], DEPTHS)
    assert order == ["proxy", "home", "login", "cache", "db", "lost"]


def test_errors_that_reach_the_front_door() -> None:
    services = {
        "proxy": rows([0, 30, 2]),  # 30 % in the interval ending at 2 s
        "login": rows([0, 60, 0]),
        "db": rows([0, 90, 0]),
        "cache": rows([0, 0, 0]),
    }
    verdict = cascade_verdict(services, DEPTHS)
    assert verdict.outcome == "reached"
    assert verdict.front_door == ("proxy",)
    assert verdict.front_peak == pytest.approx(0.3)
    assert verdict.front_peak_time == 2.0
    assert [name for name, _, _ in verdict.failed] == ["db", "login", "proxy"]
    assert verdict.text == (
        "Errors reached the front door: proxy's error share peaked at 30 % in the interval "
        "ending at 2 s; the deepest failing service was db."
    )


def test_errors_contained_below_the_front_door() -> None:
    # db fails hard, login a little (1.5 %), the proxy exactly 1 % (at the threshold: not above)
    services = {
        "proxy": rows([0, 1, 0]),
        "login": rows([0, 1.5, 0]),
        "db": rows([50, 50, 0]),
    }
    verdict = cascade_verdict(services, DEPTHS)
    assert verdict.outcome == "contained"
    assert verdict.text == (
        "Errors stayed below the front door: db (50 %) and login (1.5 %) went above 1 % in "
        "some interval, but proxy's error share stayed at or below 1 % (peak 1.0 %)."
    )


def test_quiet_and_unknown() -> None:
    quiet = cascade_verdict({"proxy": rows([0, 0, 0]), "db": rows([1, 0, 0])}, DEPTHS)
    assert quiet.outcome == "quiet"
    assert quiet.text == (
        "No service's error share went above 1 % in any interval; the front door (proxy) "
        "peaked at 0 %."
    )
    unknown = cascade_verdict({"db": rows([5, 0, 0])}, {})
    assert unknown.outcome == "unknown"
    assert "db (5.0 %)" in unknown.text
    # a front door with no requests at all tells nothing either
    empty = cascade_verdict({"proxy": rows([0, 0, 0], count=0)}, DEPTHS)
    assert empty.outcome == "unknown" and math.isnan(empty.front_peak)


def test_the_front_door_sums_every_depth_one_service() -> None:
    depths = {"www": 0, "a": 1, "b": 1}
    services = {
        "a": ServiceErrors([1.0, 2.0], [100, 100], [0, 3]),
        "b": ServiceErrors([1.0, 2.0], [300, 100], [0, 0]),
    }
    door, summed = front_door_errors(services, depths)
    assert door == ("a", "b")
    assert list(summed.counts) == [400, 200]
    assert list(summed.errors) == [0, 3]
    # 3 errors of 200 requests: 1.5 % > 1 %; a alone peaked at 3 %
    verdict = cascade_verdict(services, depths)
    assert verdict.outcome == "reached"
    assert verdict.front_peak == pytest.approx(0.015)
    assert verdict.text.endswith("ending at 2 s.")
