"""Reads a data directory into an in-memory DuckDB, checks it against the contract, keeps the rows that pass.

The user's Parquet files are only ever read. Each contract table ends up as a clean, typed table in
DuckDB's `main` schema (empty when the table is missing or blocked), so every query can rely on it.
The statements here are built from the contract's own identifiers, never from user input; values
(file lists, dates, allowed enumerations) are bound as parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from . import queries
from .contract import EARLIEST_DATE, TABLES, Column, Table
from .problems import MAX_EXAMPLES, Problem, RowRef
from .source import DataSource

SQL_TYPES = {"text": "VARCHAR", "double": "DOUBLE", "date": "DATE", "bool": "BOOLEAN"}
TYPE_WORDS = {"text": "text", "double": "a number", "date": "a date (YYYY-MM-DD)", "bool": "true/false"}
_NUMERIC = re.compile(r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT"
                      r"|FLOAT|DOUBLE|DECIMAL.*)$")
_NESTED = re.compile(r"(\[\]$|^STRUCT|^MAP|^UNION|^BLOB|^VARIANT)")

# Checks whose logic is a real question about the data, kept as SQL files; each returns `_file`, `_row`.
# Each: (code, query, reason, column, tables it needs usable).
TABLE_CHECKS = {
    "results": (
        ("no_value", "validation/results_without_value", "neither `value` nor `text_value` is given",
         "value", ()),
        ("unknown_attribute", "validation/results_unknown_attribute",
         "the attribute is not in the data plan (`attributes`) of the batch's program, or was excluded there",
         "attribute",
         ("batches", "attributes")),
    ),
    "attributes": (
        ("limits_reversed", "validation/attributes_limits_reversed",
         "`lower_limit` is greater than `upper_limit`", "lower_limit", ()),
    ),
    "control_limits": (
        ("limits_not_centred", "validation/control_limits_not_centred",
         "`center` is not midway between `lower` and `upper` (or `lower` is not below `upper`)", "center", ()),
    ),
    "materials": (
        ("risk_tier_out_of_range", "validation/materials_risk_tier_out_of_range",
         "risk_tier must be a whole number from 1 to 4", "risk_tier", ()),
    ),
    "material_usage": (
        ("material_of_another_program", "validation/material_usage_other_program",
         "the material belongs to another program than the batch", "material_id", ("batches", "materials")),
    ),
}


def q(identifier: str) -> str:
    """Quotes a contract identifier for DuckDB."""
    return '"' + identifier.replace('"', '""') + '"'


@dataclass
class TableState:
    name: str
    status: str  # ok, absent (optional and not given), blocked (an error stops it)
    files: tuple[str, ...] = ()
    rows_read: int = 0
    rows_excluded: int = 0

    @property
    def rows_used(self) -> int:
        return self.rows_read - self.rows_excluded


@dataclass
class Dataset:
    """One validated data directory; queries run on fresh cursors so threads can share it."""

    source: DataSource
    con: duckdb.DuckDBPyConnection
    today: date
    tables: dict[str, TableState]
    problems: list[Problem]
    fingerprint: str
    scope: str | None = None  # schema of views limited to one reader's programs (access.restrict); None: all

    @property
    def location(self) -> str:
        return self.source.location

    @property
    def rows_excluded(self) -> int:
        return sum(t.rows_excluded for t in self.tables.values())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def query(self, name: str, **params) -> pd.DataFrame:
        return queries.run(self.con, name, params, self.scope)

    def numbers(self, name: str, **params) -> dict[str, np.ndarray]:
        return queries.run_numbers(self.con, name, params, self.scope)

    def excluded_summary(self) -> str:
        """The one line every page and report carries about rows left out."""
        blocked = [t.name for t in self.tables.values() if t.status == "blocked"]
        text = f"{self.rows_excluded:,} row{'s' if self.rows_excluded != 1 else ''} excluded by validation"
        if blocked:
            text += f"; table{'s' if len(blocked) > 1 else ''} not usable: {', '.join(blocked)}"
        return text


def load_dataset(location, today: date | None = None) -> Dataset:
    """`today` bounds plausible dates; it is a parameter so a check can be reproduced on any day."""
    today = today or date.today()
    source = DataSource(location)
    con = duckdb.connect(":memory:")
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE SCHEMA typed")
    con.execute("CREATE TABLE excluded_rows (tbl VARCHAR, _file UBIGINT, _row BIGINT, code VARCHAR)")
    con.execute(queries.load_sql("macros/as_of_rules"))  # the as-of rules every question shares
    loader = _Loader(con, source, today)
    if not source.exists():
        loader.problems.append(Problem(
            "error", "(all)", None,
            f"The data directory {source.location} does not exist or is not a folder; no table can be read.",
            code="missing_directory"))
    for table in TABLES:
        loader.load(table)
    fingerprint = source.fingerprint(source.all_parquet_files())
    return Dataset(source, con, today, loader.tables, loader.problems, fingerprint)


class _Loader:
    def __init__(self, con: duckdb.DuckDBPyConnection, source: DataSource, today: date):
        self.con = con
        self.source = source
        self.today = today
        self.tables: dict[str, TableState] = {}
        self.problems: list[Problem] = []

    def _glob(self, pattern: str) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT file FROM glob($p)", {"p": pattern}).fetchall()]

    def _problem(self, severity, table, column, message, code, file=None, row_count=0, examples=()):
        self.problems.append(Problem(severity, table.name, column, message, row_count, tuple(examples), file, code))

    def load(self, table: Table) -> None:
        found = self.source.table_files(table.name, glob=self._glob if self.source.remote else None) \
            if self.source.exists() else None
        state = TableState(table.name, "blocked")
        self.tables[table.name] = state
        if found is None:
            return self._create_empty(table)
        if found.ambiguous:
            self._problem("error", table, None,
                          f"Both {table.name}.parquet and a folder {table.name}/ exist; keep one so it is clear "
                          "which records are meant.", "ambiguous_table")
            return self._create_empty(table)
        if not found.files:
            if table.optional:
                state.status = "absent"
            else:
                self._problem("error", table, None,
                              f"Table `{table.name}` was not found: expected {table.name}.parquet or a folder "
                              f"{table.name}/ of Parquet files in {self.source.location}.", "missing_table")
            return self._create_empty(table)
        files = self._readable(table, found.files)
        state.files = tuple(self.source.display(f) for f in files)
        if not files or not self._read_raw(table, files, found.hive):
            return self._create_empty(table)
        source_types = dict(self.con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = $t",
            {"t": table.name}).fetchall())
        casts = self._cast_expressions(table, source_types)
        if casts is None:
            self.con.execute(f"DROP TABLE raw.{q(table.name)}")
            return self._create_empty(table)
        state.rows_read = self.con.execute(f"SELECT count(*) FROM raw.{q(table.name)}").fetchone()[0]
        self._create_typed(table, casts)
        self._check_raw_values(table, source_types, casts)
        self.con.execute(f"DROP TABLE raw.{q(table.name)}")
        self._check_typed_values(table)
        self._check_rows(table)
        self._create_clean(table)
        state.status = "ok"
        state.rows_excluded = self.con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT _file, _row FROM excluded_rows WHERE tbl = $t)",
            {"t": table.name}).fetchone()[0]

    def _readable(self, table: Table, files: tuple[str, ...]) -> list[str]:
        good = []
        for f in files:
            try:
                self.con.execute("SELECT count(*) FROM parquet_metadata($f)", {"f": f}).fetchone()
                good.append(f)
            except duckdb.Error as exc:
                self._unreadable(table, f, exc)
        return good

    def _unreadable(self, table: Table, file: str, exc: Exception) -> None:
        reason = str(exc).split("\n")[0].replace(file, self.source.display(file))
        self._problem("error", table, None,
                      f"{self.source.display(file)} could not be read as Parquet ({reason}); its rows are left out.",
                      "unreadable_file", file=self.source.display(file))

    def _read_raw(self, table: Table, files: list[str], hive: bool) -> bool:
        """raw.<table>: the contract columns as found, plus `_file` (the file's position in the table's `files`)
        and the 1-based `_row` of each row. A position, not a path: at ten million rows a path per row was a
        gigabyte of memory."""
        try:
            reserved = [c for c in self._columns(files, hive) if c in (_ROW_NUMBER, _FILE_COLUMN)]
        except duckdb.Error:
            reserved = []  # reading the files one by one below says which one is broken
        if reserved:
            self._problem("error", table, reserved[0],
                          f"`{table.name}` has a column named `{reserved[0]}`, a name the loader reserves to "
                          "number rows in messages; rename or drop it in the export.", "reserved_column")
            return False
        try:
            return self._create_raw(table, files, hive)
        except duckdb.Error as exc:
            failure = exc
        good = self._files_whose_data_reads(table, files)
        if good and len(good) < len(files):
            try:
                return self._create_raw(table, good, hive)
            except duckdb.Error as exc:
                failure = exc
        if good:
            self._problem("error", table, None,
                          f"The files of `{table.name}` cannot be read together ({str(failure).splitlines()[0]}); "
                          "check that every file has the same column types.", "incompatible_files")
        return False

    def _columns(self, files: list[str], hive: bool) -> list[str]:
        return [r[0] for r in self.con.execute(
            f"DESCRIBE SELECT * FROM {_SCAN.format(options='')}", {"files": files, "hive": hive}).fetchall()]

    def _create_raw(self, table: Table, files: list[str], hive: bool) -> bool:
        """Only contract columns are kept, so an extra column named like the bookkeeping ones cannot clash."""
        contract = {c.name for c in table.columns}
        columns = "".join(f"{q(c)}, " for c in self._columns(files, hive) if c in contract)
        options = ", file_row_number = true"
        self.con.execute(
            f"CREATE OR REPLACE TABLE raw.{q(table.name)} AS SELECT {columns}{_FILE_COLUMN} AS _file, "
            f"{_ROW_NUMBER} + 1 AS _row FROM {_SCAN.format(options=options)}", {"files": files, "hive": hive})
        self.tables[table.name].files = tuple(self.source.display(f) for f in files)
        return True

    def _files_whose_data_reads(self, table: Table, files: list[str]) -> list[str]:
        """A file whose footer parsed but whose data did not: found by reading the files one at a time."""
        good = []
        for f in files:
            try:
                self.con.execute("CREATE OR REPLACE TEMP TABLE probe AS SELECT * FROM read_parquet($f)", {"f": f})
                good.append(f)
            except duckdb.Error as exc:
                self._unreadable(table, f, exc)
        self.con.execute("DROP TABLE IF EXISTS probe")
        return good

    def _cast_expressions(self, table: Table, source_types: dict[str, str]) -> dict[str, str] | None:
        """The typed expression of each contract column, or None when the table cannot be used."""
        casts, usable = {}, True
        for col in table.columns:
            source = source_types.get(col.name)
            if source is None:
                if col.required:
                    self._problem("error", table, col.name,
                                  f"Required column `{col.name}` is missing from `{table.name}`; the table cannot "
                                  "be used until it is added.", "missing_column")
                    usable = False
                casts[col.name] = f"CAST(NULL AS {SQL_TYPES[col.type]})"
                continue
            expr = _cast(q(col.name), source, col.type)
            if expr is None:
                self._problem("error", table, col.name,
                              f"Column `{col.name}` holds values of type {source}, which cannot be read as "
                              f"{TYPE_WORDS[col.type]}; the table cannot be used.", "uncastable_column")
                usable = False
                continue
            casts[col.name] = expr
        return casts if usable else None

    def _create_typed(self, table: Table, casts: dict[str, str]) -> None:
        columns = []
        for col in table.columns:
            expr = casts[col.name]
            if col.type == "text":  # a blank text is no value: an empty optional field means its default
                expr = f"CASE WHEN trim({expr}) = '' THEN NULL ELSE {expr} END"
            if col.default is not None:
                expr = f"coalesce({expr}, '{col.default}')"
            columns.append(f"{expr} AS {q(col.name)}")
        self.con.execute(f"CREATE TABLE typed.{q(table.name)} AS SELECT _file, _row, "
                         f"{', '.join(columns)} FROM raw.{q(table.name)}")

    def _check_raw_values(self, table: Table, source_types: dict[str, str], casts: dict[str, str]) -> None:
        for col in table.columns:
            source = source_types.get(col.name)
            if source is None:
                continue
            blank = f" OR trim({q(col.name)}) = ''" if source == "VARCHAR" else ""
            if col.required:
                self._flag(table, col, "missing_value", f"{q(col.name)} IS NULL{blank}", {}, "raw",
                           f"no value in required column `{col.name}`")
            if casts[col.name] != q(col.name):
                empty_ok = f" AND trim({q(col.name)}) <> ''" if source == "VARCHAR" else ""
                self._flag(table, col, "bad_type",
                           f"{q(col.name)} IS NOT NULL{empty_ok} AND {casts[col.name]} IS NULL", {}, "raw",
                           f"the value is not {TYPE_WORDS[col.type]}", show_values=True)

    def _check_typed_values(self, table: Table) -> None:
        for col in table.columns:
            if col.enum:
                self._flag(table, col, "unknown_value",
                           f"{q(col.name)} IS NOT NULL AND NOT list_contains($allowed, {q(col.name)})",
                           {"allowed": list(col.enum)}, "typed",
                           f"the value is not one of {', '.join(col.enum)}", show_values=True)
            if col.type == "date":
                condition = f"{q(col.name)} < $earliest"
                sentence = f"the date is before {EARLIEST_DATE}"
                params = {"earliest": date.fromisoformat(EARLIEST_DATE)}
                if not col.future_ok:
                    condition += f" OR {q(col.name)} > $today"
                    sentence += f" or after today ({self.today.isoformat()})"
                    params["today"] = self.today
                self._flag(table, col, "date_out_of_range", condition, params, "typed", sentence, show_values=True)
        for code, name, sentence, column, needs in TABLE_CHECKS.get(table.name, ()):
            if all(self.tables[n].status == "ok" for n in needs):
                self._flag_rows(table, column, code, queries.load_sql(name), {}, sentence)

    def _check_rows(self, table: Table) -> None:
        """Key and reference checks look only at rows that passed the value checks."""
        if table.key:
            keys = ", ".join(q(k) for k in table.key)
            self._flag_rows(table, None, "duplicate_key",
                            f"SELECT _file, _row FROM (SELECT _file, _row, count(*) OVER (PARTITION BY {keys}) AS n "
                            f"FROM typed.{q(table.name)} t WHERE {_KEPT}) WHERE n > 1",
                            {"t": table.name},
                            f"the key ({', '.join(table.key)}) appears more than once, and every copy is left out "
                            "because the right one cannot be told")
        for ref in table.references:
            if self.tables[ref.table].status != "ok":
                continue  # the parent's own error says why; flagging every child row would bury it
            match = " AND ".join(f"p.{q(tc)} = t.{q(c)}" for c, tc in zip(ref.columns, ref.target))
            present = " AND ".join(f"t.{q(c)} IS NOT NULL" for c in ref.columns)
            self._flag_rows(table, ref.columns[0], "dangling_reference",
                            f"SELECT _file, _row FROM typed.{q(table.name)} t WHERE {_KEPT} AND {present} "
                            f"AND NOT EXISTS (SELECT 1 FROM main.{q(ref.table)} p WHERE {match})",
                            {"t": table.name},
                            f"the {', '.join(ref.columns)} is not in `{ref.table}` (or was excluded there)")

    def _flag(self, table, col: Column, code, condition, params, schema, sentence, show_values=False):
        statement = f"SELECT _file, _row FROM {schema}.{q(table.name)} WHERE {condition}"
        self._flag_rows(table, col.name, code, statement, params, sentence,
                        value_column=col.name if show_values else None, value_schema=schema)

    def _flag_rows(self, table, column, code, statement, params, sentence, value_column=None, value_schema="typed"):
        """Records the rows a check returns as excluded, and one problem describing them."""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE hits AS {statement}", params)
        count = self.con.execute("SELECT count(*) FROM hits").fetchone()[0]
        if not count:
            return
        self.con.execute("INSERT INTO excluded_rows SELECT $t, _file, _row, $code FROM hits",
                         {"t": table.name, "code": code})
        labels = table.row_label
        label_sql = ", ".join(f"CAST(t.{q(c)} AS VARCHAR)" for c in labels) or "NULL"
        rows = self.con.execute(
            f"SELECT h._file, h._row, {label_sql} FROM hits h JOIN typed.{q(table.name)} t "
            f"USING (_file, _row) ORDER BY h._file, h._row LIMIT {MAX_EXAMPLES}").fetchall()
        files = self.tables[table.name].files
        examples = [RowRef(files[r[0]], int(r[1]),
                           {c: v for c, v in zip(labels, r[2:]) if v is not None} if labels else {})
                    for r in rows]
        if value_column:
            source = f"raw.{q(table.name)}" if value_schema == "raw" else f"typed.{q(table.name)}"
            values = [r[0] for r in self.con.execute(
                f"SELECT DISTINCT CAST(s.{q(value_column)} AS VARCHAR) AS v FROM {source} s "
                f"JOIN hits h ON h._file = s._file AND h._row = s._row ORDER BY v LIMIT 5").fetchall()]
            shown = ", ".join(repr(v) for v in values if v is not None)
            if shown:
                sentence += f"; found {shown}"
        noun = "row" if count == 1 else "rows"
        self._problem("warning", table, column, f"{count:,} {noun} excluded: {sentence}.", code,
                      row_count=count, examples=examples)

    def _create_empty(self, table: Table) -> None:
        columns = ", ".join(f"{q(c.name)} {SQL_TYPES[c.type]}" for c in table.columns)
        self.con.execute(f"CREATE TABLE main.{q(table.name)} ({columns})")

    def _create_clean(self, table: Table) -> None:
        columns = ", ".join(q(c.name) for c in table.columns)
        self.con.execute(f"CREATE TABLE main.{q(table.name)} AS SELECT {columns} FROM typed.{q(table.name)} t "
                         f"WHERE {_KEPT}", {"t": table.name})
        self.con.execute(f"DROP TABLE typed.{q(table.name)}")


_SCAN = "read_parquet($files, union_by_name = true, hive_partitioning = $hive{options})"
_FILE_COLUMN = "file_index"  # DuckDB's virtual column: the file's position in the list read
_ROW_NUMBER = "file_row_number"  # fixed by DuckDB's read_parquet option

_KEPT = "NOT EXISTS (SELECT 1 FROM excluded_rows e WHERE e.tbl = $t AND e._file = t._file AND e._row = t._row)"


def _cast(column: str, source: str, target: str) -> str | None:
    """How a source column becomes the contract type; None when no value of that type could."""
    if _NESTED.search(source):
        return None
    if source == '"NULL"':
        return f"CAST({column} AS {SQL_TYPES[target]})"
    if target == "text":
        return column if source == "VARCHAR" else f"CAST({column} AS VARCHAR)"
    if target == "double":
        if _NUMERIC.match(source):
            return column if source == "DOUBLE" else f"CAST({column} AS DOUBLE)"
        return f"TRY_CAST({column} AS DOUBLE)" if source == "VARCHAR" else None
    if target == "date":
        if source == "DATE":
            return column
        if source.startswith("TIMESTAMP"):
            return f"CAST({column} AS DATE)"
        return f"CAST(TRY_STRPTIME({column}, '%Y-%m-%d') AS DATE)" if source == "VARCHAR" else None
    if target == "bool":
        if source == "BOOLEAN":
            return column
        if source == "VARCHAR" or _NUMERIC.match(source):
            return f"TRY_CAST({column} AS BOOLEAN)"
    return None
