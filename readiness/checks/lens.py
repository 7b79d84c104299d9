"""What every lens hands the report: its figures and its findings for one program."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from ..findings import Finding


@dataclass
class LensResult:
    """`assessed` is False when the program has no data for the lens (an optional table not given): it is then
    not assessed rather than on track."""

    figures: dict
    findings: list[Finding] = field(default_factory=list)
    assessed: bool = True


def records(frame: pd.DataFrame) -> list[dict]:
    """Evidence rows as plain JSON values: ISO dates, None for missing."""
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: _plain(v) for k, v in row.items()})
    return out


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
