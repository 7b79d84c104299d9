"""The query layer: names stay inside queries/, parameters are bound, every SQL file says what it takes."""

from __future__ import annotations

import re
import warnings

import duckdb
import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, D, TODAY, minimal_tables
from readiness import access, queries
from readiness.contract import PHASES
from readiness.dataset import load_dataset
from readiness.queries import QUERY_DIR, UnknownQuery, frame, load_sql, run, run_numbers
from readiness.report import build_report

SAMPLE = ROOT / "sample_data"

SQL_FILES = sorted(QUERY_DIR.rglob("*.sql"))
HOSTILE = ["P1' OR 1=1 --", "x'; DROP TABLE batches; --", "P1\" OR \"1\"=\"1"]


def rows(frame: pd.DataFrame) -> list[tuple]:
    """A query's rows as plain Python values: missing values as None, timestamps as dates."""
    def plain(v):
        if v is None or (not isinstance(v, (list, tuple)) and pd.isna(v)):
            return None
        return v.date() if isinstance(v, pd.Timestamp) else v
    return [tuple(plain(v) for v in r) for r in frame.itertuples(index=False)]


# load_sql


@pytest.mark.parametrize("name", ["../x", "a;b", "Program phases", "program_phases.sql", "/etc/passwd",
                                  "validation/../program_phases", "a/b/c", ""])
def test_load_sql_rejects_names_outside_the_pattern(name):
    with pytest.raises(UnknownQuery, match=re.escape(f"not a query name: {name!r}")):
        load_sql(name)


def test_load_sql_says_when_a_well_formed_name_has_no_file():
    with pytest.raises(UnknownQuery, match=re.escape("no query file queries/no_such_query.sql")):
        load_sql("no_such_query")
    with pytest.raises(UnknownQuery, match=re.escape("no query file queries/validation/nothing.sql")):
        load_sql("validation/nothing")


def test_load_sql_reads_nested_names():
    assert load_sql("validation/results_without_value").startswith("-- Results that carry neither")


# bound parameters


def required_results(ds, program_id):
    return run(ds.con, "required_results",
               {"as_of": TODAY, "program_id": program_id, "phases": list(PHASES), "due_days": 30})


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_program_id_is_only_a_value(make_data, hostile):
    ds = load_dataset(make_data(), TODAY)
    assert len(required_results(ds, "P1")) == 4  # B1, B2 x viability, sterility: the query does return rows
    assert required_results(ds, hostile).empty
    assert run(ds.con, "program_phases", {"as_of": TODAY, "program_id": hostile}).empty
    assert ds.con.execute("SELECT batch_id FROM batches ORDER BY 1").fetchall() == [("B1",), ("B2",)]


# the SQL files themselves


def header_and_body(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    n = next((i for i, line in enumerate(lines) if not line.startswith("--")), len(lines))
    return "\n".join(lines[:n]), "\n".join(lines[n:])


def test_there_are_sql_files_to_check():
    names = {p.relative_to(QUERY_DIR).as_posix() for p in SQL_FILES}
    assert {"program_phases.sql", "required_results.sql", "validation/results_without_value.sql"} <= names


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: p.relative_to(QUERY_DIR).as_posix())
def test_sql_file_documents_its_parameters_in_a_comment_header(path):
    header, body = header_and_body(path)
    assert header.startswith("-- "), "starts with a -- comment header"
    assert "Returns:" in header and "Parameters:" in header
    used = set(re.findall(r"\$[a-z_]+", body))
    undocumented = {p for p in used if not re.search(re.escape(p) + r"\b", header)}
    assert undocumented == set()
    if not used:
        assert "Parameters: none" in header


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda p: p.relative_to(QUERY_DIR).as_posix())
def test_sql_file_has_no_format_placeholders(path):
    text = path.read_text(encoding="utf-8")
    assert "{" not in text and "}" not in text


# program_phases


def phases_data(make_data, history=True):
    """P1 is phase_2 in `programs` and has a history (phase_1 from 2025-01-01, phase_2 from 2026-06-01);
    P2 has no history and stays at its phase_3."""
    t = minimal_tables()
    t["programs"] = {"program_id": ["P1", "P2"], "name": ["Test CAR-T", "Test AAV"],
                     "modality": ["autologous_cell", "aav"], "phase": ["phase_2", "phase_3"],
                     "indication": ["DLBCL", None], "next_milestone": ["End-of-Phase 2 meeting", None],
                     "next_milestone_on": [D(2027, 3, 1), None]}
    if history:
        t["phase_history"] = {"program_id": ["P1", "P1"], "phase": ["phase_1", "phase_2"],
                              "started_on": [D(2025, 1, 1), D(2026, 6, 1)]}
    ds = load_dataset(make_data(t), TODAY)
    assert ds.problems == []
    return ds


def phases(ds, as_of, program_id=None):
    frame = run(ds.con, "program_phases", {"as_of": as_of, "program_id": program_id})
    return list(zip(frame["program_id"], frame["phase"]))


def test_program_phases_returns_the_documented_columns(make_data):
    frame = run(phases_data(make_data).con, "program_phases", {"as_of": TODAY, "program_id": None})
    assert list(frame.columns) == ["program_id", "name", "modality", "indication", "next_milestone",
                                   "next_milestone_on", "phase"]
    assert rows(frame) == [
        ("P1", "Test CAR-T", "autologous_cell", "DLBCL", "End-of-Phase 2 meeting", D(2027, 3, 1), "phase_2"),
        ("P2", "Test AAV", "aav", None, None, None, "phase_3"),
    ]


@pytest.mark.parametrize("as_of, p1_phase", [
    (D(2024, 12, 31), "preclinical"),  # before the first started_on: a program with a history was preclinical
    (D(2025, 1, 1), "phase_1"),       # exactly on a started_on date: that phase is in force
    (D(2026, 5, 31), "phase_1"),
    (D(2026, 6, 1), "phase_2"),
    (TODAY, "phase_2"),
])
def test_phase_in_force_follows_phase_history(make_data, as_of, p1_phase):
    ds = phases_data(make_data)
    assert phases(ds, as_of) == [("P1", p1_phase), ("P2", "phase_3")]


@pytest.mark.parametrize("as_of", [D(2024, 12, 31), D(2025, 1, 1), TODAY])
def test_without_phase_history_the_programs_phase_holds_on_every_date(make_data, as_of):
    ds = phases_data(make_data, history=False)
    assert ds.tables["phase_history"].status == "absent"
    assert phases(ds, as_of) == [("P1", "phase_2"), ("P2", "phase_3")]


def test_program_phases_for_one_program(make_data):
    ds = phases_data(make_data)
    assert phases(ds, D(2025, 1, 1), "P1") == [("P1", "phase_1")]
    assert phases(ds, D(2025, 1, 1), "P2") == [("P2", "phase_3")]
    assert phases(ds, D(2025, 1, 1), "P9") == []


# answers in numbers


def test_run_numbers_gives_as_arrays_what_run_gives_as_a_frame(make_data):
    ds = load_dataset(make_data(), TODAY)
    params = {"as_of": TODAY, "program_id": None, "attribute": None}
    frame = run(ds.con, "control_chart_points", params)
    arrays = run_numbers(ds.con, "control_chart_points", params)
    assert list(arrays) == ["chart", "lot", "tested_on", "value"] == list(frame.columns)
    assert all(type(column) is np.ndarray for column in arrays.values())  # not masked: the question has no gaps
    assert len(frame) == 2  # viability of B1 and B2
    assert arrays["chart"].tolist() == frame["chart"].tolist()
    assert arrays["lot"].tolist() == frame["lot"].tolist()
    assert arrays["value"].tolist() == frame["value"].tolist()
    assert arrays["tested_on"].astype("datetime64[D]").tolist() == [d.date() for d in frame["tested_on"]]


def test_run_numbers_of_a_scoped_dataset_holds_only_the_readers_programs(make_data):
    ds = load_dataset(make_data(), TODAY)
    params = {"as_of": TODAY, "program_id": None, "attribute": None}
    assert len(ds.numbers("control_chart_points", **params)["value"]) == 2
    assert len(access.restrict(ds, frozenset({"P9"})).numbers("control_chart_points", **params)["value"]) == 0


def test_run_numbers_refuses_an_answer_with_a_gap(make_data, monkeypatch):
    ds = load_dataset(make_data(), TODAY)
    monkeypatch.setattr("readiness.queries.load_sql", lambda name: "SELECT 1::BIGINT AS n UNION ALL SELECT NULL")
    with pytest.raises(ValueError, match=r"queries/gappy\.sql answered a missing value in column n"):
        run_numbers(ds.con, "gappy")


# answers as frames


class Watched:
    """An executed cursor that notes which of its methods were used: `frame` must not fall back to `.fetchdf()`
    unseen."""

    def __init__(self, result):
        self.result, self.used = result, []

    def __getattr__(self, name):
        self.used.append(name)
        return getattr(self.result, name)


@pytest.fixture
def typed():
    """`filled`: one row with a value of every type `frame` takes through Arrow; `gappy`: that row and one of gaps."""
    con = duckdb.connect()
    con.execute("CREATE TABLE filled AS SELECT * FROM (VALUES ('a', 1::BIGINT, 2::INTEGER, 3::SMALLINT, 4::TINYINT, "
                "5::UBIGINT, 6::UINTEGER, 1.5::DOUBLE, 2.5::FLOAT, true, DATE '2026-11-24', "
                "TIMESTAMP '2026-11-24 10:30:00')) t(s, i64, i32, i16, i8, u64, u32, f64, f32, b, d, ts)")
    con.execute("CREATE TABLE gappy AS SELECT * FROM filled UNION ALL "
                "SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL")
    return con


@pytest.mark.parametrize("sql", [
    "SELECT * FROM filled",  # no gaps: plain numpy types
    "SELECT * FROM gappy",  # gaps: nullable integers and booleans, NaN, NaT
    "SELECT * FROM gappy WHERE s IS NULL",  # only gaps: text without a value is objects
    "SELECT * FROM filled WHERE false",  # no rows
], ids=["values", "gaps", "only-gaps", "no-rows"])
def test_frame_through_arrow_is_the_frame_duckdb_makes(typed, sql):
    con = typed
    result = Watched(con.cursor().execute(sql))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # DuckDB warns that Arrow from an executed cursor copies: expected, not shown
        made = frame(result)
    assert "fetchdf" not in result.used and "to_arrow_table" in result.used
    pd.testing.assert_frame_equal(made, con.sql(sql).df(), check_dtype=True, check_index_type=True)
    assert made.dtypes.astype(str).tolist() == con.sql(sql).df().dtypes.astype(str).tolist()


@pytest.mark.parametrize("sql", ["SELECT [1, 2] AS l", "SELECT 1.25::DECIMAL(4, 2) AS m", "SELECT 1 AS a, 2 AS a"],
                         ids=["list", "decimal", "same-name"])
def test_frame_leaves_other_answers_to_duckdb(sql):
    con = duckdb.connect()
    result = Watched(con.cursor().execute(sql))
    made = frame(result)
    assert "fetchdf" in result.used and "to_arrow_table" not in result.used
    pd.testing.assert_frame_equal(made, con.sql(sql).df())


def test_every_answer_of_a_report_is_the_frame_duckdb_makes(monkeypatch):
    ds = load_dataset(str(SAMPLE), TODAY)
    asked = []
    answer = queries._answer
    monkeypatch.setattr(queries, "_answer", lambda con, name, params, scope, take:
                        asked.append((name, params)) or answer(con, name, params, scope, take))
    build_report(ds, TODAY, trend=False)
    monkeypatch.undo()
    assert len({name for name, _ in asked}) == 24
    for name, params in asked:
        expected = ds.con.cursor().sql(load_sql(name), params=params).df()
        pd.testing.assert_frame_equal(run(ds.con, name, params), expected, check_dtype=True, obj=name)
