"""Architectures: the data model, loaders for spigo and native files, validation, catalog."""

from monkeyhouse.model.architecture import Architecture, Dependency, Service, Topology
from monkeyhouse.model.catalog import CatalogEntry, catalog_entries, resolve_architecture
from monkeyhouse.model.loader import load_architecture
from monkeyhouse.model.packages import BUILTIN_PACKAGES, PackageSpec
from monkeyhouse.model.scaling import instance_count
from monkeyhouse.model.schema import architecture_schema
from monkeyhouse.model.validate import validate

__all__ = [
    "BUILTIN_PACKAGES",
    "Architecture",
    "CatalogEntry",
    "Dependency",
    "PackageSpec",
    "Service",
    "Topology",
    "architecture_schema",
    "catalog_entries",
    "instance_count",
    "load_architecture",
    "resolve_architecture",
    "validate",
]
