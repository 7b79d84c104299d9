"""Evidence rows as plain JSON values, whatever the column holds: the report and every finding are made of them."""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd

from readiness.checks.lens import SHARED_FROM, column_records, records


def test_object_columns_become_plain_json_values():
    frame = pd.DataFrame({
        "text": np.array(["B1", None, "B3", "B4"], dtype=object),
        "mixed": np.array([pd.Timestamp("2026-01-10 08:00"), date(2026, 2, 1), np.int64(7), float("nan")],
                          dtype=object),
        "more": np.array(["x", datetime(2026, 3, 4, 5, 6), None, np.float64(2.5)], dtype=object),
    })
    assert records(frame) == [
        {"text": "B1", "mixed": "2026-01-10", "more": "x"},
        {"text": None, "mixed": "2026-02-01", "more": "2026-03-04"},
        {"text": "B3", "mixed": 7, "more": None},
        {"text": "B4", "mixed": None, "more": 2.5},
    ]
    rows = column_records({"rules": np.array(["1, 5", "", None], dtype=object),
                           "lot": np.array([np.str_("B1"), "B2", "B3"], dtype=object)})
    assert rows == [{"rules": "1, 5", "lot": "B1"}, {"rules": "", "lot": "B2"}, {"rules": None, "lot": "B3"}]
    assert [type(row["lot"]) for row in rows] == [str, str, str]  # a NumPy string too becomes plain text
    json.dumps(rows)


def test_long_columns_convert_as_short_ones_do():
    n = SHARED_FROM + 4
    made = pd.Series(pd.to_datetime(["2026-01-10", None] * (n // 2)))
    frame = pd.DataFrame({"made": made, "lot": pd.Series(["B1", None] * (n // 2), dtype="string"),
                          "value": [1.5, float("nan")] * (n // 2)})
    assert records(frame) == [{"made": "2026-01-10", "lot": "B1", "value": 1.5},
                              {"made": None, "lot": None, "value": None}] * (n // 2)
