"""Loads the SQL in `queries/` by name; parameters are always bound, never formatted into the text."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import duckdb
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
    """Each call gets its own cursor: Streamlit serves sessions from several threads.

    `scope` (a schema made by access.restrict) comes first on the cursor's search path, so the query's tables
    resolve to views holding only the reader's programs.
    """
    cursor = con.cursor()
    try:
        if scope is not None:
            cursor.execute(f"SET search_path = '{scope},main'")  # a generated schema name, never user input
        answer = cursor.sql(load_sql(name), params=params or {})
        if any(str(kind) == "VARCHAR" for kind in answer.types):
            return _frame(answer.to_arrow_table())
        return answer.df()  # numbers only: written straight into NumPy, with nothing held in between
    finally:
        cursor.close()


def _frame(table: pa.Table) -> pd.DataFrame:
    """An answer with text, as a frame through Arrow: DuckDB's own `df()` hands text over as one Python string per
    cell, and turning those back into pandas' Arrow-backed text was seconds of a CDMO's report. Columns get the
    types `df()` gives them, which every lens was written against: dates as datetime64[us], whole numbers with
    gaps as nullable integers."""
    dates = [field.name for field in table.schema if pa.types.is_date(field.type)]
    with_gaps = {field.name: table.column(i).to_pandas(types_mapper={field.type: _nullable(field.type)}.get)
                 for i, field in enumerate(table.schema)
                 if pa.types.is_integer(field.type) and table.column(i).null_count}
    frame = table.to_pandas(date_as_object=False)
    for name in dates:
        frame[name] = frame[name].astype("datetime64[us]")
    for name, column in with_gaps.items():
        frame[name] = column
    return frame


def _nullable(kind: pa.DataType) -> pd.api.extensions.ExtensionDtype:
    return pd.api.types.pandas_dtype(f"{'U' if pa.types.is_unsigned_integer(kind) else ''}Int{kind.bit_width}")
