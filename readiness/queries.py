"""Loads the SQL in `queries/` by name; parameters are always bound, never formatted into the text."""

from __future__ import annotations

import functools
import re
import warnings
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

QUERY_DIR = Path(__file__).resolve().parent.parent / "queries"
_NAME = re.compile(r"^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)?$")


class UnknownQuery(LookupError):
    pass


@functools.cache
def load_sql(name: str) -> str:
    """Names are code constants; the pattern keeps even a mistaken one inside `queries/`."""
    if not _NAME.match(name):
        raise UnknownQuery(f"not a query name: {name!r}")
    path = QUERY_DIR / f"{name}.sql"
    if not path.is_file():
        raise UnknownQuery(f"no query file queries/{name}.sql")
    return path.read_text(encoding="utf-8")


def run(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None,
        scope: str | None = None) -> pd.DataFrame:
    return _answer(con, name, params, scope, frame)


# The DuckDB types whose Arrow columns become exactly the frame `.df()` makes; an answer with another type (a list,
# a decimal, an interval) is made by `.df()`.
_ARROW_TYPES = {"VARCHAR", "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER",
                "UBIGINT", "FLOAT", "DOUBLE", "DATE", "TIMESTAMP"}
# `.df()` gives an integer or boolean column with a missing value pandas' nullable type.
_WITH_GAPS = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
              pa.int64(): pd.Int64Dtype(), pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(),
              pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype(), pa.bool_(): pd.BooleanDtype()}


def frame(result: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The answer of an executed cursor as the frame DuckDB's `.fetchdf()` makes, through Arrow: `.fetchdf()` makes
    a Python object per text cell on the way, about 2 s of a CDMO's report (a million material uses take 1.1 s that
    way, 0.5 s this way)."""
    names = [column[0] for column in result.description]
    if len(set(names)) < len(names) or any(str(column[1]) not in _ARROW_TYPES for column in result.description):
        return result.fetchdf()
    with warnings.catch_warnings():  # of a copy, which costs less than binding the query twice (see _answer)
        warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)
        table = result.to_arrow_table()
    return pd.DataFrame({name: _series(column) for name, column in zip(names, table.columns)}, copy=False)


def _series(column: pa.ChunkedArray) -> pd.Series:
    if pa.types.is_date32(column.type):
        column = column.cast(pa.timestamp("us"))
    if pa.types.is_string(column.type) and column.null_count == len(column):
        return pd.Series([None] * len(column), dtype=object)  # `.df()` types text without a value as objects
    if column.null_count and column.type in _WITH_GAPS:
        return column.to_pandas(types_mapper=_WITH_GAPS.get)
    return column.to_pandas()


def run_numbers(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None,
                scope: str | None = None) -> dict[str, np.ndarray]:
    """`run` for a question that answers in numbers and dates only, without gaps, as one array per column: a
    control chart's ten million points are wanted as arrays, and a frame made on the way cost a quarter of the
    question's time. Dates come as datetime64."""
    return _answer(con, name, params, scope, lambda result: _arrays(name, result.fetchnumpy()))


def _arrays(name: str, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """DuckDB masks a column's missing values; an array has no gaps, so a question that answers one is a bug."""
    for column, values in columns.items():
        if np.ma.is_masked(values):
            raise ValueError(f"queries/{name}.sql answered a missing value in column {column}")
    return {column: np.ma.getdata(values) for column, values in columns.items()}


def _answer(con, name: str, params: dict | None, scope: str | None, take):
    """Each call gets its own cursor: Streamlit serves sessions from several threads. The query is executed on it,
    not made a relation (`cursor.sql`), which binds the query once more before it runs: 1 to 5 ms a question, a
    tenth of a one-program page.

    `scope` (a schema made by access.restrict) comes first on the cursor's search path, so the query's tables
    resolve to views holding only the reader's programs.
    """
    cursor = con.cursor()
    try:
        if scope is not None:
            cursor.execute("SET search_path = $search_path", {"search_path": f"{scope},main"})
        return take(cursor.execute(load_sql(name), params or None))
    finally:
        cursor.close()
