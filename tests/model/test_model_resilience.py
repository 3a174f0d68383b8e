"""Resilience keys: how they load, merge with package defaults, and fail with clear errors."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from monkeyhouse.errors import ArchitectureError, UsageError
from monkeyhouse.model.loader import load_architecture
from monkeyhouse.model.resilience import (
    HYSTRIX,
    NO_RESILIENCE,
    BudgetSettings,
    BulkheadSettings,
    CountBreakerSettings,
    FallbackSettings,
    HystrixSettings,
    OutlierSettings,
    Resilience,
    RetryPolicy,
    package_resilience,
    resilience_of,
    unprotected,
)
from monkeyhouse.model.schema import architecture_schema

ARCH = """\
arch: guarded
services:
  - {name: db, package: store, count: 1}
  - {name: spare, package: store, count: 1}
  - name: api
    package: karyon
    count: 2
    resilience: {timeout: 0.25, retries: 2}
    dependencies:
      - service: db
        breaker: {kind: hystrix, sleep_window_ms: 2000, request_volume_threshold: 10}
        bulkhead: {kind: semaphore, size: 4}
        fallback: {kind: call, service: spare}
        outlier: envoy
      - {service: spare, probability: 0, breaker: count, timeout: none}
  - name: edge
    package: zuul
    count: 1
    dependencies: [api]
  - {name: plain, package: karyon, count: 1, resilience: none, dependencies: [db]}
  - name: www
    package: denominator
    dependencies:
      - service: edge
        retries: {retries: 3, jitter: equal, retry_on: [connect-failure, "503"],
                  budget: {percent: 10, minimum: 1}}
"""


def load(tmp_path: Path, text: str = ARCH) -> object:
    path = tmp_path / "guarded.yaml"
    path.write_text(text)
    return load_architecture(path)


def protection(arch: object, service: str, dependency: str) -> Resilience:
    spec = arch.service(service)  # type: ignore[attr-defined]
    dep = next(d for d in spec.dependencies if d.service == dependency)
    return resilience_of(spec, dep)


def test_keys_load_typed_and_change_the_package_defaults(tmp_path: Path) -> None:
    arch = load(tmp_path)
    db = protection(arch, "api", "db")
    # the service's timeout and retries, the edge's own breaker, bulkhead, fallback, balancer
    assert db.timeout == 0.25
    assert db.retry == RetryPolicy(retries=2)
    assert db.breaker == HystrixSettings(sleep_window_ms=2000, request_volume_threshold=10)
    assert db.bulkhead == BulkheadSettings("semaphore", 4, 0)
    assert db.fallback == FallbackSettings("call", "", "spare")
    assert db.outlier == OutlierSettings()
    spare = protection(arch, "api", "spare")
    assert spare.timeout is None  # switched off on this edge only
    assert spare.breaker == CountBreakerSettings()
    assert spare.bulkhead == HYSTRIX.bulkhead  # karyon's default remains
    assert protection(arch, "edge", "api") == package_resilience("zuul")
    assert protection(arch, "plain", "db") == NO_RESILIENCE
    www = protection(arch, "www", "edge")
    assert www.retry == RetryPolicy(
        retries=3, jitter="equal", retry_on=frozenset({"connect-failure", "503"})
    )
    assert www.budget == BudgetSettings(10.0, 1)
    assert www.breaker is None  # a denominator has no default protection


def test_package_defaults_are_hystrix_for_the_netflixoss_tiers() -> None:
    for package in ("karyon", "staash"):
        assert package_resilience(package) == Resilience(
            timeout=1.0, breaker=HystrixSettings(), bulkhead=BulkheadSettings("threadpool", 10)
        )
    zuul = package_resilience("zuul")
    assert zuul.retry is not None and zuul.retry.retries == 1
    assert zuul.retry.retry_on == frozenset({"connect-failure"})
    for package in ("store", "priamCassandra", "denominator", "elb", "monolith"):
        assert package_resilience(package) == NO_RESILIENCE


def test_unprotected_switches_everything_off(tmp_path: Path) -> None:
    arch = unprotected(load(tmp_path))  # type: ignore[arg-type]
    for service in arch.services:
        for dep in service.dependencies:
            assert not resilience_of(service, dep).active


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        ("resilience: {timeout: 0.25", "resilience: {timeout: -1", "timeout"),
        ("sleep_window_ms: 2000", "sleep_window: 2000", "did you mean 'sleep_window_ms'"),
        ("{kind: semaphore, size: 4}", "{kind: semaphore, size: 4, queue: 2}", "no queue"),
        ("{kind: call, service: spare}", "{kind: call}", "needs a service"),
        ("jitter: equal", "jitter: wild", "jitter must be one of"),
        ("percent: 10", "percent: 120", "between 0 and 100"),
        ("breaker: count", "breaker: sometimes", "breaker"),
        ("retries: 2}", "retries: two}", "retries"),
    ],
)
def test_mistakes_name_the_field_and_the_fix(
    tmp_path: Path, change: str, where: str, words: str
) -> None:
    assert change in ARCH
    with pytest.raises(ArchitectureError) as caught:
        load(tmp_path, ARCH.replace(change, where, 1))
    message = str(caught.value)
    assert "guarded.yaml" in message
    assert words in message
    assert "services[" in message


def test_a_call_fallback_must_name_a_dependency(tmp_path: Path) -> None:
    from monkeyhouse.scenarios.simulation import RunOptions, Simulation

    arch = load(tmp_path, ARCH.replace("{kind: call, service: spare}", "{kind: call, service: x}"))
    with pytest.raises(UsageError, match="fallback calls 'x', which is not one of"):
        Simulation(arch, RunOptions(duration=1))  # type: ignore[arg-type]


def test_the_schema_accepts_the_keys_and_refuses_unknown_ones() -> None:
    schema = architecture_schema()
    validator = jsonschema.Draft202012Validator(schema)
    document = yaml.safe_load(ARCH)
    validator.validate(document)
    document["services"][2]["dependencies"][0]["bulkhead"]["pool"] = 3
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(document)
