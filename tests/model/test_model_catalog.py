"""Tests of monkeyhouse.model.catalog: listing, loading, and spigo's ``-a`` rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from monkeyhouse.errors import ArchitectureError, UsageError
from monkeyhouse.model import catalog
from monkeyhouse.model.catalog import (
    CatalogEntry,
    catalog_entries,
    catalog_names,
    catalog_path,
    load_catalog,
    resolve_architecture,
)
from monkeyhouse.model.scaling import instance_count
from spigo_data import SPIGO

FIXTURES = SPIGO
needs_fixtures = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"spigo reference data not found at {FIXTURES}"
)

# spigo.md section 6.11: nodes per migration step at -p 100 -w 1.
MIGRATION_NODES = [13, 14, 23, 31, 40, 52, 50, 99, 99, 148]

# spigo.md section 7 (catalog names as listed there).
SPIGO_INSTANCES = {
    "netflixoss": 65, "lamp": 23, "cassandra": 32, "netflix": 98, "riak": 51, "yogi": 34,
    "container": 22, "storage": 6, "edge": 83, "composeV2": 16, "simpleV2": 10,
    "aws_ac_ra_web": 25,
}  # fmt: skip


def entry_text(arch: str, *, order: int | None = None, description: str = "d") -> str:
    head = f"x-order: {order}\n" if order is not None else ""
    return (
        f"{head}arch: {arch}\ndescription: {description}\nservices:\n"
        "  - {name: db, package: store, count: 2, regions: 1}\n"
        "  - {name: www, package: denominator, dependencies: [db]}\n"
    )


@pytest.fixture
def fake_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "catalog"
    directory.mkdir()
    (directory / "zeta.yaml").write_text(entry_text("zeta", order=1), encoding="utf-8")
    (directory / "alpha.yaml").write_text(entry_text("alpha"), encoding="utf-8")
    (directory / "beta.yaml").write_text(entry_text("beta", order=2), encoding="utf-8")
    (directory / "gamma.yaml").write_text(entry_text("gamma"), encoding="utf-8")
    (directory / "notes.txt").write_text("not an entry", encoding="utf-8")
    for step in range(10):
        text = entry_text("migration", order=10 + step, description=f"step {step}")
        (directory / f"migration{step}.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(catalog, "_catalog_dir", lambda: directory)
    return directory


def test_names_sorted_by_x_order_then_name(fake_catalog: Path) -> None:
    assert catalog_names() == [
        "zeta", "beta", *(f"migration{s}" for s in range(10)), "alpha", "gamma",
    ]  # fmt: skip


def test_entries(fake_catalog: Path) -> None:
    entries = catalog_entries()
    assert entries[0] == CatalogEntry("zeta", "d", 2, 3)
    assert [e.name for e in entries] == catalog_names()


def test_catalog_path_and_load(fake_catalog: Path) -> None:
    assert catalog_path("alpha") == fake_catalog / "alpha.yaml"
    arch = load_catalog("alpha")
    assert arch.arch == "alpha"
    assert arch.source == "catalog:alpha"


@pytest.mark.parametrize("name", ["nosuch", "../alpha", "alpha.yaml", ""])
def test_catalog_path_of_unknown_name(fake_catalog: Path, name: str) -> None:
    with pytest.raises(UsageError, match="known: zeta, beta"):
        catalog_path(name)


def test_empty_catalog_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog, "_catalog_dir", lambda: tmp_path / "absent")
    assert catalog_names() == []
    with pytest.raises(UsageError, match="catalog is empty"):
        resolve_architecture("netflixoss", cwd=tmp_path)


# -- resolve_architecture: spigo's -a rule ----------------------------------------------------


def test_existing_file_is_loaded_and_named_after_its_stem(
    fake_catalog: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    (work / "designs").mkdir(parents=True)
    (work / "designs" / "shop_arch.json").write_text(
        '{"arch": "inside", "services": [{"name": "w", "package": "elb"}]}', encoding="utf-8"
    )
    arch = resolve_architecture("designs/shop_arch.json", cwd=work)
    assert arch.arch == "shop"
    assert arch.source == str(work / "designs" / "shop_arch.json")
    absolute = resolve_architecture(str(work / "designs" / "shop_arch.json"), cwd=tmp_path)
    assert absolute.arch == "shop"


def test_existing_file_without_separator_or_suffix(fake_catalog: Path, tmp_path: Path) -> None:
    (tmp_path / "alpha").write_text(entry_text("from-file"), encoding="utf-8")
    arch = resolve_architecture("alpha", cwd=tmp_path)
    assert arch.arch == "alpha"
    assert arch.source == str(tmp_path / "alpha")


def test_path_that_does_not_exist(fake_catalog: Path, tmp_path: Path) -> None:
    with pytest.raises(ArchitectureError) as caught:
        resolve_architecture("designs/none.yaml", cwd=tmp_path)
    assert "file not found" in str(caught.value)
    assert "none.yaml" in str(caught.value)
    assert "check the path" in str(caught.value)


@needs_fixtures
def test_json_arch_directory_wins_over_the_catalog(fake_catalog: Path, tmp_path: Path) -> None:
    (tmp_path / "json_arch").mkdir()
    shutil.copy(
        FIXTURES / "json_arch" / "lamp_arch.json", tmp_path / "json_arch" / "alpha_arch.json"
    )
    arch = resolve_architecture("alpha", cwd=tmp_path)
    assert arch.arch == "alpha"
    assert [s.name for s in arch.services][-1] == "www"
    assert len(arch.services) == 5


def test_migration_step(fake_catalog: Path, tmp_path: Path) -> None:
    arch = resolve_architecture("migration", cwd=tmp_path, step=4)
    assert arch.arch == "migration"
    assert arch.description == "step 4"
    assert resolve_architecture("migration", cwd=tmp_path).description == "step 0"


@pytest.mark.parametrize("step", [-1, 10])
def test_migration_step_out_of_range(fake_catalog: Path, tmp_path: Path, step: int) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_architecture("migration", cwd=tmp_path, step=step)
    message = str(caught.value)
    assert f"-s {step}" in message
    assert "0 to 9" in message


def test_catalog_entry_is_named_after_the_argument(fake_catalog: Path, tmp_path: Path) -> None:
    (fake_catalog / "renamed.yaml").write_text(entry_text("other"), encoding="utf-8")
    assert load_catalog("renamed").arch == "other"
    assert resolve_architecture("renamed", cwd=tmp_path).arch == "renamed"


def test_unknown_name_lists_the_catalog(fake_catalog: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_architecture("zeat", cwd=tmp_path)
    message = str(caught.value)
    assert message.startswith("-a zeat: ")
    assert "known: zeta, beta, migration0" in message
    assert "did you mean 'zeta'?" in message


def test_empty_name(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="-a"):
        resolve_architecture("", cwd=tmp_path)


# -- the real bundled catalog (whatever exists of it) ---------------------------------------


REAL = catalog_names()


@pytest.mark.skipif(not REAL, reason="no bundled catalog files yet")
def test_real_catalog_entries_load_and_count() -> None:
    entries = {entry.name: entry for entry in catalog_entries()}
    for name, instances in SPIGO_INSTANCES.items():
        if name in entries:
            assert entries[name].instances == instances, name


@pytest.mark.skipif(
    not all(f"migration{s}" in REAL for s in range(10)), reason="migration steps not bundled"
)
@pytest.mark.parametrize("step", range(10))
def test_real_migration_steps(step: int, tmp_path: Path) -> None:
    arch = resolve_architecture("migration", cwd=tmp_path, step=step)
    assert arch.arch == "migration"
    assert instance_count(arch) == MIGRATION_NODES[step]


@pytest.mark.skipif("netflixoss" not in REAL, reason="netflixoss not bundled")
def test_real_netflixoss_by_name(tmp_path: Path) -> None:
    arch = resolve_architecture("netflixoss", cwd=tmp_path)
    assert arch.arch == "netflixoss"
    assert arch.victim == "homepage"
