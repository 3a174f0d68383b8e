"""Tests of monkeyhouse.model.packages: spigo's thirteen package names."""

from __future__ import annotations

import dataclasses

import pytest

from monkeyhouse.model.packages import BUILTIN_PACKAGES, PackageSpec

# spigo.md section 3.1 and the brief: the thirteen names, and which forward requests.
SPIGO_PACKAGES = {
    "eureka", "pirate", "elb", "denominator", "zuul", "karyon", "monolith",
    "staash", "priamCassandra", "store", "riak", "volume", "cache",
}  # fmt: skip
FORWARDING = {"elb", "denominator", "zuul", "karyon", "monolith", "staash"}


def test_the_thirteen_spigo_names() -> None:
    assert set(BUILTIN_PACKAGES) == SPIGO_PACKAGES
    assert len(BUILTIN_PACKAGES) == 13


@pytest.mark.parametrize("name", sorted(SPIGO_PACKAGES))
def test_forwarding_flag(name: str) -> None:
    spec = BUILTIN_PACKAGES[name]
    assert spec.name == name
    assert spec.forwards_requests is (name in FORWARDING)
    assert spec.description


def test_specs_and_mapping_are_read_only() -> None:
    spec = BUILTIN_PACKAGES["karyon"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.forwards_requests = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        BUILTIN_PACKAGES["x"] = PackageSpec("x", False, "")  # type: ignore[index]
