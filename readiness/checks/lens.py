"""What every lens hands the report: its figures and its findings for one program."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from ..findings import Finding


@dataclass
class LensResult:
    """`assessed` is False when the program has no data for the lens (an optional table not given): it is then
    not assessed rather than on track."""

    figures: dict
    findings: list[Finding] = field(default_factory=list)
    assessed: bool = True


SHARED_FROM = 256  # rows from which a text or date column's repeats share one object (`_shared`)


def records(frame: pd.DataFrame, columns: list[str] | None = None) -> list[dict]:
    """Evidence rows as plain JSON values: ISO dates, None for missing; of `columns` only when given.

    Converted a column at a time: at a CDMO's volume the lenses turn millions of cells into rows, and a
    per-cell conversion was most of a report's time. `columns` are read where they are: selecting them as a
    frame first copied every cell once more, per program.
    """
    if columns is None:
        names = tuple(frame.columns)
        plain = [plain_column(frame.iloc[:, i]) for i in range(len(names))]
    else:
        names = tuple(columns)
        plain = [plain_column(frame[name]) for name in names]
    return _rows_of(names)(zip(*plain)) if names else [{} for _ in range(len(frame))]


class Groups:
    """A frame's rows split once by a key column, the program by default: filtering the frame for each program
    would scan every program's rows once per program. A key without rows gets an empty frame of the same
    columns."""

    def __init__(self, frame: pd.DataFrame, key: str = "program_id"):
        self.empty = frame.iloc[0:0]
        self._parts = dict(tuple(frame.groupby(key, sort=False))) if len(frame) else {}

    def __getitem__(self, value: str) -> pd.DataFrame:
        return self._parts.get(value, self.empty)


def grouped(rows: list[dict], key: str) -> dict[object, list[dict]]:
    """Plain rows grouped by one key, groups in the order their key first appears, rows in their order."""
    out: dict[object, list[dict]] = {}
    for row in rows:
        out.setdefault(row[key], []).append(row)
    return out


def share(part: int, whole: int) -> float | None:
    """A share as every lens reports it: four decimals, None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


def rows_by_program(frame: pd.DataFrame, columns: list[str] | None = None) -> dict[str, list[dict]]:
    """Each program's plain rows (of `columns` when given), converted once for every program and then cut per
    program: a frame, then rows, per program cost more than the rows at a CDMO's hundreds of programs. The
    queries order their answers by program, so a program's rows are one run and a cut is a slice."""
    rows = records(frame, columns)
    codes, programs = pd.factorize(frame["program_id"])
    starts = (np.flatnonzero(np.diff(codes)) + 1).tolist()
    if len(programs) and len(starts) == len(programs) - 1:
        bounds = [0, *starts, len(rows)]
        return {pid: rows[start:stop] for pid, start, stop in zip(programs.tolist(), bounds, bounds[1:])}
    out: dict[str, list[dict]] = {}
    for pid, row in zip(frame["program_id"].tolist(), rows):
        out.setdefault(pid, []).append(row)
    return out


def without(row: dict, *names: str) -> dict:
    """A plain row without `names`: a program's rows carry the program id they are filed under."""
    return {k: v for k, v in row.items() if k not in names}


def column_records(columns: dict[str, np.ndarray]) -> list[dict]:
    """`records` of plain arrays: a finding's few rows cut from a control chart's points, where a frame per
    finding cost more than the finding."""
    plain = [_plain_array(column) for column in columns.values()]
    return _rows_of(tuple(columns))(zip(*plain))


@functools.cache
def _rows_of(names: tuple[str, ...]):
    """A function making a dict per row of values, written out for these names as `collections.namedtuple` writes
    its class: a dict display per row takes half the time of `dict(zip(names, row))`, and a report at a CDMO's
    volume makes millions of rows. A name is written as its `repr`: a string literal, whatever the text holds."""
    if not names or not all(type(name) is str for name in names):
        return lambda rows: [dict(zip(names, row)) for row in rows]
    values = [f"v{i}" for i in range(len(names))]
    display = ", ".join(f"{name!r}: {value}" for name, value in zip(names, values))
    return eval(f"lambda rows: [{{{display}}} for {', '.join(values)}, in rows]")


def plain_column(series: pd.Series) -> list:
    """A column as plain JSON values, as `records` makes them."""
    dtype = series.dtype
    if pd.api.types.is_datetime64_dtype(dtype):
        return _plain_array(series.to_numpy(dtype="datetime64[D]"))
    if isinstance(dtype, np.dtype) and dtype.kind in "biufO":
        return _plain_array(series.to_numpy())
    if pd.api.types.is_string_dtype(dtype) and not isinstance(dtype, np.dtype):  # text or a missing value
        if len(series) < SHARED_FROM:
            return series.to_numpy(dtype=object, na_value=None).tolist()
        codes, texts = pd.factorize(series)
        return _shared(codes, texts.to_numpy(dtype=object))
    return [_plain(v) for v in series.to_numpy(dtype=object).tolist()]


def _shared(codes: np.ndarray, values: np.ndarray) -> list:
    """Each row's value, one object per distinct value (None for code -1): a report repeats the same batch ids,
    attributes and days over millions of cells, and a string object per cell was most of its memory. Columns
    shorter than SHARED_FROM are converted cell by cell, which costs less than finding their distinct values."""
    return np.append(values, None)[codes].tolist()


def _plain_array(array: np.ndarray) -> list:
    kind = array.dtype.kind
    if kind == "M" and len(array) < SHARED_FROM:
        text = np.datetime_as_string(array.astype("datetime64[D]"), unit="D").tolist()
        return [None if t == "NaT" else t for t in text]
    if kind == "M":  # factorized as day numbers: hashing them takes a twentieth of the time sorting them took
        codes, days = pd.factorize(array.astype("datetime64[D]").view("int64"))
        days = days.view("datetime64[D]")
        text = np.datetime_as_string(days, unit="D").astype(object)
        text[np.isnat(days)] = None
        return _shared(codes, text)
    if kind in "biu":
        return array.tolist()
    if kind == "f":
        return [None if v != v else v for v in array.tolist()]
    values = array.tolist()
    if all(v is None or type(v) is str for v in values):  # text, as nearly always: plain as it is
        return values
    return [_plain(v) for v in values]


def _plain(value):
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value
