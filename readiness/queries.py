"""Loads the SQL in `queries/` by name; parameters are always bound, never formatted into the text."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

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
    return _answer(con, name, params, scope, lambda result: result.df())


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
    """Each call gets its own cursor: Streamlit serves sessions from several threads.

    `scope` (a schema made by access.restrict) comes first on the cursor's search path, so the query's tables
    resolve to views holding only the reader's programs.
    """
    cursor = con.cursor()
    try:
        if scope is not None:
            cursor.execute(f"SET search_path = '{scope},main'")  # a generated schema name, never user input
        return take(cursor.execute(load_sql(name), params or {}))
    finally:
        cursor.close()
