"""Metrics tables as Parquet files that pandas, DuckDB and Arrow read directly.

Each table of :meth:`monkeyhouse.telemetry.metrics.MetricsCollector.tables` becomes one file,
with the column types of :data:`~monkeyhouse.telemetry.metrics.TABLE_SCHEMAS` made explicit
(float64, int64, string; undefined figures are nulls):

==================  =================================
table               file
==================  =================================
service_metrics     ``metrics_service.parquet``
instance_metrics    ``metrics_instance.parquet``
edge_metrics        ``metrics_edge.parquet``
totals              ``metrics_totals.parquet``
instance_totals     ``metrics_instance_totals.parquet``
edge_totals         ``metrics_edge_totals.parquet``
==================  =================================

A file is written under ``<name>.part`` and renamed into place, so a reader never sees half a
file. The same tables give byte-identical files (no timestamps; one pyarrow version).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

from monkeyhouse.telemetry.commands import COMMAND_SCHEMA, TIMELINE_SCHEMA
from monkeyhouse.telemetry.metrics import TABLE_SCHEMAS

#: every table's columns: the metrics' and the commands'
SCHEMAS = {
    **TABLE_SCHEMAS,
    "command_metrics": COMMAND_SCHEMA,
    "breaker_timeline": TIMELINE_SCHEMA,
}

#: The file each table is written to.
FILE_NAMES: dict[str, str] = {
    "service_metrics": "metrics_service.parquet",
    "instance_metrics": "metrics_instance.parquet",
    "edge_metrics": "metrics_edge.parquet",
    "totals": "metrics_totals.parquet",
    "instance_totals": "metrics_instance_totals.parquet",
    "edge_totals": "metrics_edge_totals.parquet",
    "command_metrics": "metrics_commands.parquet",
    "breaker_timeline": "breaker_timeline.parquet",
}

_TYPES = {"float64": pa.float64(), "int64": pa.int64(), "string": pa.string()}


def arrow_schema(table: str) -> Any:
    """The :class:`pyarrow.Schema` of ``table`` (a key of ``TABLE_SCHEMAS``)."""
    return pa.schema([pa.field(name, _TYPES[kind]) for name, kind in SCHEMAS[table]])


def arrow_table(table: str, columns: Mapping[str, Sequence[Any]]) -> Any:
    """``columns`` (column name -> values) as a :class:`pyarrow.Table` with ``table``'s schema.

    Every column of the schema must be present (extra ones are refused) and of equal length.
    """
    schema = arrow_schema(table)
    names = [field.name for field in schema]
    if set(columns) != set(names):
        missing = sorted(set(names) - set(columns))
        extra = sorted(set(columns) - set(names))
        raise ValueError(f"table {table}: missing columns {missing}, unknown columns {extra}")
    arrays = [pa.array(list(columns[field.name]), type=field.type) for field in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def write_parquet_atomic(path: Path, table: Any) -> Path:
    """Write a :class:`pyarrow.Table` to ``path`` via ``<path>.part`` and a rename."""
    temp = path.with_name(path.name + ".part")
    try:
        pq.write_table(table, str(temp), compression="zstd")
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    os.replace(temp, path)
    return path


def write_tables(directory: Path, tables: Mapping[str, Mapping[str, Sequence[Any]]]) -> list[Path]:
    """Write every table of ``tables`` known to :data:`FILE_NAMES` into ``directory``.

    Returns the paths written, in :data:`FILE_NAMES` order.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, file_name in FILE_NAMES.items():
        if name in tables:
            written.append(
                write_parquet_atomic(directory / file_name, arrow_table(name, tables[name]))
            )
    return written
