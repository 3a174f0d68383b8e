"""Metrics tables as Parquet, read back by pandas and by DuckDB (two independent readers)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd  # type: ignore[import-untyped, unused-ignore]
import pytest

from metrics_fakes import known_run
from monkeyhouse.exporters.tables import FILE_NAMES, arrow_table, write_tables
from monkeyhouse.telemetry.metrics import TABLE_SCHEMAS


def sql(query: str) -> duckdb.DuckDBPyRelation:
    relation = duckdb.sql(query)
    assert relation is not None
    return relation


DUCK_TYPES = {"float64": "DOUBLE", "int64": "BIGINT", "string": "VARCHAR"}


def same(a: Any, b: Any) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return bool(a == b)


def test_pandas_and_duckdb_read_the_same_numbers(tmp_path: Path) -> None:
    _, metrics = known_run()
    tables = metrics.tables()
    paths = write_tables(tmp_path, tables)
    # the metrics' tables (an unprotected run has no command tables)
    written = [FILE_NAMES[name] for name in FILE_NAMES if name in tables]
    assert [p.name for p in paths] == written == list(FILE_NAMES.values())[:6]
    assert not list(tmp_path.glob("*.part"))
    for name, file_name in FILE_NAMES.items():
        if name not in tables:
            continue
        path = tmp_path / file_name
        expected = tables[name]
        frame = pd.read_parquet(path)
        assert list(frame.columns) == [column for column, _ in TABLE_SCHEMAS[name]]
        duck = sql(f"select * from '{path}'")
        described = dict(zip(duck.columns, duck.types, strict=True))
        rows = duck.fetchall()
        assert len(frame) == len(rows) == len(next(iter(expected.values())))
        for index, (column, kind) in enumerate(TABLE_SCHEMAS[name]):
            assert str(described[column]) == DUCK_TYPES[kind], (name, column)
            if kind == "float64":
                assert str(frame[column].dtype) == "float64"
            elif kind == "int64":
                assert str(frame[column].dtype) == "int64"
            for want, from_pandas, row in zip(
                expected[column], frame[column].tolist(), rows, strict=True
            ):
                assert same(want, from_pandas), (name, column, want, from_pandas)
                assert same(want, row[index]), (name, column, want, row[index])


def test_sql_over_the_files_gives_hand_computed_figures(tmp_path: Path) -> None:
    _, metrics = known_run()
    write_tables(tmp_path, metrics.tables())
    service = tmp_path / "metrics_service.parquet"
    total = sql(
        f"select sum(count), sum(errors) from '{service}' where service = 'api'"
    ).fetchall()[0]
    assert total == (4, 1)
    per_time = sql(
        f"select time, utilization from '{service}' where service = 'api' order by time"
    ).fetchall()
    assert per_time == [(1.0, pytest.approx((1.0 + 0.5) / 4)), (2.0, pytest.approx(0.5 / 4))]
    edge = sql(
        f"select count, max from '{tmp_path / 'metrics_edge.parquet'}' order by time"
    ).fetchall()
    assert [row[0] for row in edge] == [2, 1]
    assert edge[1][1] == pytest.approx(0.0075)
    instance = pd.read_parquet(tmp_path / "metrics_instance.parquet")
    assert instance.groupby("instance")["count"].sum().to_dict() == {
        "api0": 3,
        "api1": 1,
        "db0": 3,
    }
    # an interval without requests has null latency (NULL in SQL, NaN in pandas)
    nulls = sql(
        f"select count(*) from '{tmp_path / 'metrics_instance.parquet'}' where p50 is null"
    ).fetchall()[0]
    assert nulls == (1,)


def test_same_tables_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    write_tables(first, known_run()[1].tables())
    write_tables(second, known_run()[1].tables())
    for file_name in list(FILE_NAMES.values())[:6]:
        assert (first / file_name).read_bytes() == (second / file_name).read_bytes()


def test_columns_must_match_the_schema() -> None:
    with pytest.raises(ValueError, match="missing columns"):
        arrow_table("totals", {"service": ["a"]})


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    tables = known_run()[1].tables()
    tables["totals"]["count"][0] = "not a number"
    with pytest.raises(Exception):  # noqa: B017 (pyarrow's own error type)
        write_tables(tmp_path, tables)
    assert not list(tmp_path.glob("metrics_totals*"))
