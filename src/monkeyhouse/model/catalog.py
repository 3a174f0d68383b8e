"""The bundled catalog of architectures, and spigo's rule for what ``-a NAME`` means.

The catalog is the native YAML files in ``monkeyhouse/model/catalog/``; a file's name is its
catalog name (``netflixoss.yaml`` is ``-a netflixoss``; ``migration0.yaml`` to
``migration9.yaml`` are the steps of ``-a migration -s N``). An optional top-level ``x-order``
whole number sorts the listing; files without one follow, by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from monkeyhouse.errors import UsageError
from monkeyhouse.model.architecture import Architecture
from monkeyhouse.model.loader import load_architecture
from monkeyhouse.model.scaling import instance_count
from monkeyhouse.model.validate import did_you_mean

#: The ``-a`` name whose steps (``-s``) are catalog entries ``migration0`` .. ``migration9``.
MIGRATION = "migration"

#: The steps of ``-a migration``.
MIGRATION_STEPS = range(10)

_SUFFIX = ".yaml"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_ORDER = re.compile(r"^x-order:\s*(-?\d+)\s*(?:#.*)?$", re.MULTILINE)
_FILE_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One catalog architecture, as the listing shows it.

    Attributes:
        name: The catalog name (the ``-a`` value).
        description: The architecture's description.
        services: How many services it has.
        instances: How many nodes it makes at ``-p 100 -w 1`` (registries not counted).

    """

    name: str
    description: str
    services: int
    instances: int


def _catalog_dir() -> Path:
    return Path(str(resources.files("monkeyhouse.model").joinpath("catalog")))


def _order_of(path: Path) -> int | None:
    """Read the file's top-level ``x-order`` without parsing the whole file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    match = _ORDER.search(text)
    return int(match.group(1)) if match else None


def catalog_names() -> list[str]:
    """Return the catalog names: by ``x-order`` where files give one, then by name."""
    directory = _catalog_dir()
    if not directory.is_dir():
        return []
    files = [p for p in directory.iterdir() if p.suffix == _SUFFIX and _NAME.match(p.stem)]
    keyed = []
    for path in files:
        order = _order_of(path)
        keyed.append(((0, order, path.stem) if order is not None else (1, 0, path.stem), path))
    return [path.stem for _, path in sorted(keyed)]


def _unknown(name: str, names: list[str]) -> UsageError:
    known = ", ".join(names) if names else "(the catalog is empty)"
    return UsageError(
        f"-a {name}: no such architecture: not a file, not json_arch/{name}_arch.json and not "
        f"in the catalog (known: {known}; {did_you_mean(name, names)}give a catalog name or "
        "the path of an architecture file)"
    )


def catalog_path(name: str) -> Path:
    """Return the path of catalog entry ``name``.

    Raises:
        UsageError: when there is no such entry (the message lists the catalog).

    """
    path = _catalog_dir() / f"{name}{_SUFFIX}"
    if not _NAME.match(name) or not path.is_file():
        raise _unknown(name, catalog_names())
    return path


def load_catalog(name: str) -> Architecture:
    """Load and validate catalog entry ``name`` (its ``arch`` is the file's own).

    Its ``source`` is ``catalog:NAME``, the same wherever monkeyhouse is installed.
    """
    return replace(load_architecture(catalog_path(name), name=name), source=f"catalog:{name}")


def catalog_entries() -> list[CatalogEntry]:
    """Return every catalog entry, in :func:`catalog_names` order."""
    entries = []
    for name in catalog_names():
        arch = load_catalog(name)
        entries.append(
            CatalogEntry(
                name=name,
                description=arch.description,
                services=len(arch.services),
                instances=instance_count(arch, 100, 1),
            )
        )
    return entries


def _looks_like_path(value: str) -> bool:
    return "/" in value or "\\" in value or value.lower().endswith(_FILE_SUFFIXES)


def resolve_architecture(name_or_path: str, *, cwd: Path, step: int = 0) -> Architecture:
    """Find the architecture ``-a name_or_path`` means, as spigo does, and load it.

    In order: an existing file, or anything that looks like a path, is loaded as a file;
    then ``cwd/json_arch/NAME_arch.json``; then, for ``migration``, catalog entry
    ``migration{step}``; then catalog entry ``NAME``.

    Args:
        name_or_path: The ``-a`` value.
        cwd: The directory relative paths and ``json_arch/`` are looked up in.
        step: The ``-s`` value; chooses the migration step (0 to 9).

    Returns:
        The architecture, its ``arch`` set to the name node names and outputs begin with: the
        ``-a`` value, or for a file path the file name without extension and ``_arch``.

    Raises:
        UsageError: for an unknown name or a migration step out of range.
        ArchitectureError: for a problem in the file found.

    """
    if not name_or_path:
        raise UsageError("-a: the architecture name is empty (give a catalog name or a file path)")
    candidate = cwd / name_or_path
    if candidate.is_file() or _looks_like_path(name_or_path):
        arch = load_architecture(candidate)
        stem = Path(name_or_path).stem
        return replace(arch, arch=stem[: -len("_arch")] if stem.endswith("_arch") else stem)
    spigo_file = cwd / "json_arch" / f"{name_or_path}_arch.json"
    if spigo_file.is_file():
        return replace(load_architecture(spigo_file), arch=name_or_path)
    if name_or_path == MIGRATION:
        if step not in MIGRATION_STEPS:
            raise UsageError(
                f"-s {step}: migration has steps {MIGRATION_STEPS.start} to "
                f"{MIGRATION_STEPS.stop - 1} (use -s 0 to -s {MIGRATION_STEPS.stop - 1})"
            )
        return replace(load_catalog(f"{MIGRATION}{step}"), arch=MIGRATION)
    names = catalog_names()
    if name_or_path in names:
        return replace(load_catalog(name_or_path), arch=name_or_path)
    raise _unknown(name_or_path, names)
