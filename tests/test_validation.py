"""Validation of a data directory: each bad input gets its own small hand-made fixture and exact expectations."""

from __future__ import annotations

import datetime as dt
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import D, TODAY, minimal_tables, write_tables
from readiness.contract import TABLES
from readiness.dataset import load_dataset
from readiness.problems import RowRef

OPTIONAL = {t.name for t in TABLES if t.optional}
CLEAN_ROWS = {"programs": 1, "batches": 2, "attributes": 2, "assays": 1, "results": 4, "mechanisms": 1, "changes": 1}


def summary(problem):
    """The parts of a problem a test pins down, with the examples as (file, row, key)."""
    return (problem.code, problem.severity, problem.table, problem.column, problem.row_count,
            [(r.file, r.row, r.key) for r in problem.examples])


def only(ds, code):
    """The single problem with `code`."""
    found = [p for p in ds.problems if p.code == code]
    assert len(found) == 1, ds.problems
    return found[0]


def clean(ds, sql):
    return ds.con.execute(sql).fetchall()


def batch_ids(ds):
    return [r[0] for r in clean(ds, "SELECT batch_id FROM batches ORDER BY 1")]


def result_keys(ds):
    return clean(ds, "SELECT batch_id, attribute FROM results ORDER BY 1, 2")


def status(ds):
    return {name: t.status for name, t in ds.tables.items()}


def assert_others_ok(ds, *blocked):
    """Every required table but `blocked` still loads; the optional ones are absent."""
    for table in TABLES:
        expected = "blocked" if table.name in blocked else "absent" if table.name in OPTIONAL else "ok"
        assert ds.tables[table.name].status == expected, table.name


def with_batches(**extra):
    """The minimal tables with one batch B3 (of P1, no results) appended; `extra` overrides B3's fields."""
    t = minimal_tables()
    b3 = {"batch_id": "B3", "program_id": "P1", "purpose": "clinical", "process_version": "v1",
          "manufactured_on": D(2026, 3, 10), "disposition": "released", "disposition_on": D(2026, 4, 1)} | extra
    for column, value in b3.items():
        t["batches"][column] = t["batches"][column] + [value]
    return t


# 1. clean data


def test_clean_minimal_data_has_no_problems(make_data):
    ds = load_dataset(make_data(), TODAY)
    assert ds.problems == []
    assert_others_ok(ds)
    for name, rows in CLEAN_ROWS.items():
        state = ds.tables[name]
        assert (state.files, state.rows_read, state.rows_excluded, state.rows_used) == \
            ((f"{name}.parquet",), rows, 0, rows)
        assert clean(ds, f"SELECT count(*) FROM {name}") == [(rows,)]
    assert ds.rows_excluded == 0


def test_absent_optional_tables_are_empty_tables_not_errors(make_data):
    ds = load_dataset(make_data(), TODAY)
    for name in OPTIONAL:
        assert (ds.tables[name].status, ds.tables[name].files, ds.tables[name].rows_read) == ("absent", (), 0)
        assert clean(ds, f"SELECT count(*) FROM {name}") == [(0,)]
    assert ds.excluded_summary() == "0 rows excluded by validation"


# 2. missing required table


def test_missing_required_table_is_one_error_not_a_flood_of_dangling_rows(make_data):
    data = make_data({"batches": None})
    ds = load_dataset(data, TODAY)
    assert [summary(p) for p in ds.problems] == [("missing_table", "error", "batches", None, 0, [])]
    assert ds.problems[0].message == (
        f"Table `batches` was not found: expected batches.parquet or a folder batches/ of Parquet files in {data}.")
    assert_others_ok(ds, "batches")
    assert batch_ids(ds) == []
    # results that name batches are neither flagged dangling nor checked against the data plan: all kept
    assert ds.tables["results"].rows_excluded == 0
    assert len(result_keys(ds)) == 4


# 3. unreadable files


def _garbage(path):
    path.write_bytes(b"this is not parquet at all")


def _truncated(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _data_pages_overwritten(path):
    """The footer still parses, so the file passes the metadata check and fails only when its rows are read."""
    data = bytearray(path.read_bytes())
    data[4:200] = b"\xff" * 196
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_garbage, _truncated, _data_pages_overwritten])
def test_unreadable_file_blocks_its_table_only(make_data, damage):
    data = make_data()
    damage(data / "batches.parquet")
    ds = load_dataset(data, TODAY)
    problem = only(ds, "unreadable_file")
    assert [summary(p) for p in ds.problems] == [("unreadable_file", "error", "batches", None, 0, [])]
    assert problem.file == "batches.parquet"
    assert problem.message.startswith("batches.parquet could not be read as Parquet (")
    assert problem.message.endswith("); its rows are left out.")
    assert str(data) not in problem.message  # named as the user names it, relative to the data directory
    assert_others_ok(ds, "batches")
    assert batch_ids(ds) == []
    assert len(result_keys(ds)) == 4


def test_unreadable_file_in_a_folder_leaves_the_other_files_usable(make_data):
    t = minimal_tables()
    batches = pa.table(t.pop("batches"))
    data = make_data({"batches": None})
    (data / "batches").mkdir()
    pq.write_table(batches, data / "batches" / "part-0.parquet")
    _garbage(data / "batches" / "part-1.parquet")
    ds = load_dataset(data, TODAY)
    assert [summary(p) for p in ds.problems] == [("unreadable_file", "error", "batches", None, 0, [])]
    assert ds.problems[0].file == "batches/part-1.parquet"
    assert ds.tables["batches"].files == ("batches/part-0.parquet",)
    assert_others_ok(ds)
    assert batch_ids(ds) == ["B1", "B2"]


# 4. folders of files, hive partitions


def _results_in_two_files(data, second_file_text_values):
    """results/part-0.parquet holds rows 1-2 of the minimal results, part-1.parquet rows 3-4."""
    t = minimal_tables()
    results = pa.table(t["results"])
    (data / "results").mkdir()
    pq.write_table(results.slice(0, 2), data / "results" / "part-0.parquet")
    second = results.slice(2, 2).to_pydict() | {"text_value": second_file_text_values}
    pq.write_table(pa.table(second), data / "results" / "part-1.parquet")


def test_folder_of_files_loads_the_same_rows_as_one_file(make_data):
    single = load_dataset(make_data(name="single"), TODAY)
    data = make_data({"results": None}, name="folder")
    _results_in_two_files(data, [None, "no growth"])
    ds = load_dataset(data, TODAY)
    assert ds.problems == []
    assert ds.tables["results"].files == ("results/part-0.parquet", "results/part-1.parquet")
    assert ds.tables["results"].rows_read == 4
    everything = "SELECT * FROM results ORDER BY batch_id, attribute"
    assert clean(ds, everything) == clean(single, everything)


def test_bad_row_in_second_file_is_named_by_that_file_and_its_own_row(make_data):
    data = make_data({"results": None})
    _results_in_two_files(data, [None, None])  # B2 sterility: 2nd row of part-1, no value at all
    ds = load_dataset(data, TODAY)
    assert [summary(p) for p in ds.problems] == [
        ("no_value", "warning", "results", "value", 1,
         [("results/part-1.parquet", 2, {"batch_id": "B2", "attribute": "sterility"})])]
    assert result_keys(ds) == [("B1", "sterility"), ("B1", "viability"), ("B2", "viability")]


def test_hive_partitioned_folder_loads_the_same_rows_as_one_file(make_data):
    single = load_dataset(make_data(name="single"), TODAY)
    data = make_data({"results": None}, name="hive")
    (data / "results" / "program_id=P1").mkdir(parents=True)
    pq.write_table(pa.table(minimal_tables()["results"]), data / "results" / "program_id=P1" / "part-0.parquet")
    ds = load_dataset(data, TODAY)
    assert ds.problems == []
    assert ds.tables["results"].files == ("results/program_id=P1/part-0.parquet",)
    everything = "SELECT * FROM results ORDER BY batch_id, attribute"
    assert clean(ds, everything) == clean(single, everything)
    # the partition column is not a results column, so the clean table does not carry it
    assert [r[0] for r in clean(ds, "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' "
                                    "AND table_name = 'results' ORDER BY column_index")] == \
        ["batch_id", "attribute", "value", "text_value", "tested_on", "assay_id", "status"]


def test_equals_sign_in_the_data_directory_path_is_not_a_partition(tmp_path):
    """Only folders inside the table's folder are partitions; the data directory's own path is the user's."""
    t = minimal_tables()
    results = pa.table(t.pop("results"))
    data = write_tables(tmp_path / "attribute=x" / "data", t)
    (data / "results").mkdir()
    pq.write_table(results, data / "results" / "part-0.parquet")
    ds = load_dataset(data, TODAY)
    assert ds.problems == []
    assert result_keys(ds) == [("B1", "sterility"), ("B1", "viability"), ("B2", "sterility"), ("B2", "viability")]


# 5. ambiguous table


def test_file_and_folder_for_one_table_is_an_error(make_data):
    data = make_data()
    (data / "batches").mkdir()
    shutil.copy(data / "batches.parquet", data / "batches" / "part-0.parquet")
    ds = load_dataset(data, TODAY)
    assert [summary(p) for p in ds.problems] == [("ambiguous_table", "error", "batches", None, 0, [])]
    assert ds.problems[0].message == ("Both batches.parquet and a folder batches/ exist; keep one so it is clear "
                                      "which records are meant.")
    assert (ds.tables["batches"].status, ds.tables["batches"].files) == ("blocked", ())
    assert_others_ok(ds, "batches")
    assert batch_ids(ds) == []
    assert ds.tables["results"].rows_excluded == 0


# 6. columns missing or extra


def test_missing_required_column_blocks_the_table(make_data):
    t = minimal_tables()
    del t["batches"]["disposition"]
    ds = load_dataset(make_data({"batches": t["batches"]}), TODAY)
    assert [summary(p) for p in ds.problems] == [("missing_column", "error", "batches", "disposition", 0, [])]
    assert ds.problems[0].message == ("Required column `disposition` is missing from `batches`; the table cannot be "
                                      "used until it is added.")
    assert ds.tables["batches"].status == "blocked"
    assert_others_ok(ds, "batches")
    assert batch_ids(ds) == []
    assert ds.tables["results"].rows_excluded == 0


def test_extra_unknown_columns_are_ignored(make_data):
    t = minimal_tables()
    t["batches"]["operator"] = ["ann", "bob"]
    t["results"]["comment"] = ["", "retest", None, None]
    ds = load_dataset(make_data({"batches": t["batches"], "results": t["results"]}), TODAY)
    assert ds.problems == []
    assert batch_ids(ds) == ["B1", "B2"]
    assert "operator" not in [r[0] for r in clean(ds, "SELECT column_name FROM duckdb_columns() "
                                                      "WHERE schema_name = 'main' AND table_name = 'batches'")]


@pytest.mark.parametrize("column", ["_file", "_row", "filename"])
def test_extra_column_named_like_the_loaders_bookkeeping_is_ignored(make_data, column):
    """An export may carry any extra column; the loader's own bookkeeping columns must not clash with it."""
    t = minimal_tables()
    t["batches"][column] = ["x", "y"]
    t["batches"]["manufactured_on"] = ["2026-01-10", "not a date"]
    ds = load_dataset(make_data({"batches": t["batches"]}), TODAY)
    assert [summary(p) for p in ds.problems if p.table == "batches"] == [
        ("bad_type", "warning", "batches", "manufactured_on", 1, [("batches.parquet", 2, {"batch_id": "B2"})])]
    assert batch_ids(ds) == ["B1"]


@pytest.mark.parametrize("column", ["file_row_number", "file_index"])
def test_the_loaders_two_reserved_column_names_are_a_clear_error(make_data, column):
    """DuckDB fixes the row-number name; the export gets a clear error rather than a crash."""
    t = minimal_tables()
    t["batches"][column] = [1, 2]
    ds = load_dataset(make_data({"batches": t["batches"]}), TODAY)
    assert [summary(p) for p in ds.problems] == [("reserved_column", "error", "batches", column, 0, [])]
    assert ds.problems[0].message == (f"`batches` has a column named `{column}`, a name the loader reserves "
                                      "to number rows in messages; rename or drop it in the export.")
    assert ds.tables["batches"].status == "blocked"


# 7. uncastable columns


@pytest.mark.parametrize("table, column, values, source_type, words", [
    ("batches", "manufactured_on", [[D(2026, 1, 10)], [D(2026, 2, 10)]], "DATE[]", "a date (YYYY-MM-DD)"),
    ("batches", "manufactured_on", [{"y": 2026}, {"y": 2026}], "STRUCT(y BIGINT)", "a date (YYYY-MM-DD)"),
    ("batches", "manufactured_on", [20260110, 20260210], "BIGINT", "a date (YYYY-MM-DD)"),
    ("results", "value", [[85.0], None, [90.0], None], "DOUBLE[]", "a number"),
])
def test_uncastable_column_blocks_the_table(make_data, table, column, values, source_type, words):
    t = minimal_tables()
    t[table][column] = values
    ds = load_dataset(make_data({table: t[table]}), TODAY)
    assert [summary(p) for p in ds.problems] == [("uncastable_column", "error", table, column, 0, [])]
    assert ds.problems[0].message == (f"Column `{column}` holds values of type {source_type}, which cannot be read "
                                      f"as {words}; the table cannot be used.")
    assert_others_ok(ds, table)
    assert clean(ds, f"SELECT count(*) FROM {table}") == [(0,)]


# 8. values of the wrong type, row by row


def test_iso_date_strings_are_dates_and_others_exclude_their_row(make_data):
    t = with_batches()
    t["batches"]["manufactured_on"] = ["2026-01-10", "2026-02-10", "12/03/2024"]
    ds = load_dataset(make_data({"batches": t["batches"]}), TODAY)
    assert [summary(p) for p in ds.problems] == [
        ("bad_type", "warning", "batches", "manufactured_on", 1, [("batches.parquet", 3, {"batch_id": "B3"})])]
    assert ds.problems[0].message == "1 row excluded: the value is not a date (YYYY-MM-DD); found '12/03/2024'."
    assert clean(ds, "SELECT batch_id, manufactured_on FROM batches ORDER BY 1") == [
        ("B1", D(2026, 1, 10)), ("B2", D(2026, 2, 10))]
    assert (ds.tables["batches"].rows_read, ds.tables["batches"].rows_excluded) == (3, 1)


def test_parquet_timestamps_are_read_as_their_date(make_data):
    t = minimal_tables()
    t["batches"]["manufactured_on"] = [dt.datetime(2026, 1, 10, 23, 59), dt.datetime(2026, 2, 10, 0, 0)]
    ds = load_dataset(make_data({"batches": t["batches"]}), TODAY)
    assert ds.problems == []
    assert clean(ds, "SELECT batch_id, manufactured_on FROM batches ORDER BY 1") == [
        ("B1", D(2026, 1, 10)), ("B2", D(2026, 2, 10))]


def test_numeric_strings_in_value_are_numbers(make_data):
    """'85.5' and ' 90 ' are read as numbers; 'abc' is a bad value, reported once (not also as 'no value')."""
    t = minimal_tables()
    t["results"]["value"] = ["85.5", None, " 90 ", "abc"]
    t["results"]["text_value"] = [None, "no growth", None, None]
    ds = load_dataset(make_data({"results": t["results"]}), TODAY)
    row4 = [("results.parquet", 4, {"batch_id": "B2", "attribute": "sterility"})]
    assert [summary(p) for p in ds.problems] == [
        ("bad_type", "warning", "results", "value", 1, row4),
    ]
    assert ds.problems[0].message == "1 row excluded: the value is not a number; found 'abc'."
    assert ds.tables["results"].rows_excluded == 1
    assert clean(ds, "SELECT batch_id, attribute, value FROM results ORDER BY 1, 2") == [
        ("B1", "sterility", None), ("B1", "viability", 85.5), ("B2", "viability", 90.0)]


# 9. unknown enumeration values


def test_unknown_enumeration_values_exclude_their_rows_and_quote_the_value(make_data):
    t = with_batches(disposition="Released")
    t["programs"] = {"program_id": ["P1", "P2"], "name": ["Test CAR-T", "Gene therapy"],
                     "modality": ["autologous_cell", "AAV"], "phase": ["phase_1", "phase_1"]}
    ds = load_dataset(make_data({"programs": t["programs"], "batches": t["batches"]}), TODAY)
    assert [summary(p) for p in ds.problems] == [
        ("unknown_value", "warning", "programs", "modality", 1, [("programs.parquet", 2, {"program_id": "P2"})]),
        ("unknown_value", "warning", "batches", "disposition", 1, [("batches.parquet", 3, {"batch_id": "B3"})]),
    ]
    assert [p.message for p in ds.problems] == [
        "1 row excluded: the value is not one of autologous_cell, allogeneic_cell, aav, lentiviral_vector, other"
        "; found 'AAV'.",
        "1 row excluded: the value is not one of in_process, released, administered, rejected, failed"
        "; found 'Released'.",
    ]
    assert clean(ds, "SELECT program_id FROM programs") == [("P1",)]
    assert batch_ids(ds) == ["B1", "B2"]
    assert len(result_keys(ds)) == 4


# 10. duplicate keys


def test_duplicate_key_excludes_every_copy(make_data):
    t = minimal_tables()
    t["batches"] = {column: [values[0]] + values for column, values in t["batches"].items()}  # B1, B1, B2
    ds = load_dataset(make_data({"batches": t["batches"]}), TODAY)
    assert [summary(p) for p in ds.problems] == [
        ("duplicate_key", "warning", "batches", None, 2,
         [("batches.parquet", 1, {"batch_id": "B1"}), ("batches.parquet", 2, {"batch_id": "B1"})]),
        ("dangling_reference", "warning", "results", "batch_id", 2,
         [("results.parquet", 1, {"batch_id": "B1", "attribute": "viability"}),
          ("results.parquet", 2, {"batch_id": "B1", "attribute": "sterility"})]),
    ]
    assert ds.problems[0].message == ("2 rows excluded: the key (batch_id) appears more than once, and every copy "
                                      "is left out because the right one cannot be told.")
    assert batch_ids(ds) == ["B2"]
    assert (ds.tables["batches"].rows_excluded, ds.tables["results"].rows_excluded) == (2, 2)


# 11. references


def test_batch_of_unknown_program(make_data):
    t = with_batches(program_id="P9")
    ds = load_dataset(make_data({"batches": t["batches"]}), TODAY)
    assert [summary(p) for p in ds.problems] == [
        ("dangling_reference", "warning", "batches", "program_id", 1, [("batches.parquet", 3, {"batch_id": "B3"})])]
    assert ds.problems[0].message == "1 row excluded: the program_id is not in `programs` (or was excluded there)."
    assert batch_ids(ds) == ["B1", "B2"]


def _results_plus(batch_id="B1", attribute="viability", assay_id=None):
    t = minimal_tables()
    row = {"batch_id": batch_id, "attribute": attribute, "value": 80.0, "text_value": None,
           "tested_on": D(2026, 3, 1), "assay_id": assay_id}
    results = t["results"] | {"assay_id": [None, None, None, "A1"]}
    return {column: values + [row[column]] for column, values in results.items()}


def test_result_of_unknown_batch(make_data):
    ds = load_dataset(make_data({"results": _results_plus(batch_id="B9")}), TODAY)
    assert [summary(p) for p in ds.problems] == [
        ("dangling_reference", "warning", "results", "batch_id", 1,
         [("results.parquet", 5, {"batch_id": "B9", "attribute": "viability"})])]
    assert ds.problems[0].message == "1 row excluded: the batch_id is not in `batches` (or was excluded there)."
    assert len(result_keys(ds)) == 4


def test_result_of_attribute_outside_the_data_plan(make_data):
    ds = load_dataset(make_data({"results": _results_plus(attribute="potency")}), TODAY)
    assert [summary(p) for p in ds.problems] == [
        ("unknown_attribute", "warning", "results", "attribute", 1,
         [("results.parquet", 5, {"batch_id": "B1", "attribute": "potency"})])]
    assert ds.problems[0].message == ("1 row excluded: the attribute is not in the data plan (`attributes`) of the "
                                      "batch's program, or was excluded there.")
    assert ("B1", "potency") not in result_keys(ds)


def test_result_with_unknown_assay(make_data):
    ds = load_dataset(make_data({"results": _results_plus(assay_id="A9")}), TODAY)
    assert [summary(p) for p in ds.problems] == [
        ("dangling_reference", "warning", "results", "assay_id", 1,
         [("results.parquet", 5, {"batch_id": "B1", "attribute": "viability"})])]
    assert ds.problems[0].message == "1 row excluded: the assay_id is not in `assays` (or was excluded there)."
    assert clean(ds, "SELECT assay_id FROM results WHERE assay_id IS NOT NULL") == [("A1",)]


def test_excluded_batch_takes_its_results_with_it(make_data):
    t = minimal_tables()
    t["batches"]["purpose"] = ["clinical", "Clinical"]
    ds = load_dataset(make_data({"batches": t["batches"]}), TODAY)
    assert [summary(p) for p in ds.problems] == [
        ("unknown_value", "warning", "batches", "purpose", 1, [("batches.parquet", 2, {"batch_id": "B2"})]),
        ("dangling_reference", "warning", "results", "batch_id", 2,
         [("results.parquet", 3, {"batch_id": "B2", "attribute": "viability"}),
          ("results.parquet", 4, {"batch_id": "B2", "attribute": "sterility"})]),
    ]
    assert batch_ids(ds) == ["B1"]
    assert result_keys(ds) == [("B1", "sterility"), ("B1", "viability")]
    assert ds.rows_excluded == 3


# 12. dates out of range


def test_dates_after_today_or_before_1990_are_excluded(make_data):
    t = with_batches(manufactured_on=D(2026, 12, 1), disposition="in_process", disposition_on=None)
    for batch_id, made in (("B4", D(1985, 5, 1)), ("B5", TODAY), ("B6", D(1990, 1, 1))):
        for column, value in {"batch_id": batch_id, "program_id": "P1", "purpose": "clinical",
                              "process_version": "v1", "manufactured_on": made, "disposition": "in_process",
                              "disposition_on": None}.items():
            t["batches"][column].append(value)
    ds = load_dataset(make_data({"batches": t["batches"]}), TODAY)
    assert [summary(p) for p in ds.problems] == [
        ("date_out_of_range", "warning", "batches", "manufactured_on", 2,
         [("batches.parquet", 3, {"batch_id": "B3"}), ("batches.parquet", 4, {"batch_id": "B4"})])]
    assert ds.problems[0].message == ("2 rows excluded: the date is before 1990-01-01 or after today (2026-11-24)"
                                      "; found '1985-05-01', '2026-12-01'.")
    assert batch_ids(ds) == ["B1", "B2", "B5", "B6"]  # today and 1990-01-01 themselves are in range


def test_next_milestone_may_lie_in_the_future(make_data):
    t = minimal_tables()
    t["programs"] |= {"next_milestone": ["End-of-Phase 1 meeting"], "next_milestone_on": [D(2027, 6, 30)]}
    ds = load_dataset(make_data({"programs": t["programs"]}), TODAY)
    assert ds.problems == []
    assert clean(ds, "SELECT next_milestone_on FROM programs") == [(D(2027, 6, 30),)]


# 13-15. row checks


def test_result_with_neither_value_nor_text(make_data):
    t = minimal_tables()
    t["results"]["text_value"] = [None, "  ", None, None]
    ds = load_dataset(make_data({"results": t["results"]}), TODAY)
    assert [summary(p) for p in ds.problems] == [
        ("no_value", "warning", "results", "value", 2,
         [("results.parquet", 2, {"batch_id": "B1", "attribute": "sterility"}),
          ("results.parquet", 4, {"batch_id": "B2", "attribute": "sterility"})])]
    assert ds.problems[0].message == "2 rows excluded: neither `value` nor `text_value` is given."
    assert result_keys(ds) == [("B1", "viability"), ("B2", "viability")]


def test_reversed_limits_exclude_the_attribute_and_its_results(make_data):
    t = minimal_tables()
    t["attributes"] = {"program_id": ["P1", "P1", "P1"], "attribute": ["viability", "sterility", "cd3"],
                       "kind": ["cqa"] * 3, "category": ["viability", "safety", "identity"],
                       "lower_limit": [70.0, None, 5.0], "upper_limit": [50.0, None, 5.0],
                       "required_from": ["phase_1", "phase_1", None]}
    ds = load_dataset(make_data({"attributes": t["attributes"]}), TODAY)
    assert [summary(p) for p in ds.problems] == [
        ("limits_reversed", "warning", "attributes", "lower_limit", 1,
         [("attributes.parquet", 1, {"program_id": "P1", "attribute": "viability"})]),
        ("unknown_attribute", "warning", "results", "attribute", 2,
         [("results.parquet", 1, {"batch_id": "B1", "attribute": "viability"}),
          ("results.parquet", 3, {"batch_id": "B2", "attribute": "viability"})]),
    ]
    assert ds.problems[0].message == "1 row excluded: `lower_limit` is greater than `upper_limit`."
    assert clean(ds, "SELECT attribute FROM attributes ORDER BY 1") == [("cd3",), ("sterility",)]


@pytest.mark.parametrize("blank", [None, "  "])
def test_blank_required_value(make_data, blank):
    t = minimal_tables()
    t["batches"]["batch_id"] = [blank, "B2"]
    ds = load_dataset(make_data({"batches": t["batches"]}), TODAY)
    assert [summary(p) for p in ds.problems] == [
        ("missing_value", "warning", "batches", "batch_id", 1, [("batches.parquet", 1, {})]),
        ("dangling_reference", "warning", "results", "batch_id", 2,
         [("results.parquet", 1, {"batch_id": "B1", "attribute": "viability"}),
          ("results.parquet", 2, {"batch_id": "B1", "attribute": "sterility"})]),
    ]
    assert ds.problems[0].message == "1 row excluded: no value in required column `batch_id`."
    assert batch_ids(ds) == ["B2"]


# 16. missing directory


def test_missing_directory_is_an_error_not_an_exception(tmp_path):
    where = tmp_path / "nowhere"
    ds = load_dataset(where, TODAY)
    assert [summary(p) for p in ds.problems] == [("missing_directory", "error", "(all)", None, 0, [])]
    assert ds.problems[0].message == (f"The data directory {where} does not exist or is not a folder; "
                                      "no table can be read.")
    assert set(status(ds).values()) == {"blocked"}
    for table in TABLES:
        assert clean(ds, f"SELECT count(*) FROM {table.name}") == [(0,)]
    assert not where.exists()


# 17. read only


def test_loading_never_writes_into_the_data_directory(make_data):
    """Bad rows, a folder table, an unreadable file and a stray file: nothing is changed, nothing is added."""
    t = minimal_tables()
    t["batches"]["purpose"] = ["clinical", "Clinical"]
    data = make_data({"batches": t["batches"], "results": None})
    _results_in_two_files(data, [None, None])
    _garbage(data / "deviations.parquet")
    (data / "README.txt").write_text("exported 2026-11-24")

    def snapshot():
        return {str(p.relative_to(data)): (p.read_bytes(), p.stat().st_mtime_ns) if p.is_file() else "folder"
                for p in data.rglob("*")}

    before = snapshot()
    ds = load_dataset(data, TODAY)
    assert {p.code for p in ds.problems} == {"unknown_value", "dangling_reference", "no_value", "unreadable_file"}
    assert snapshot() == before


# 18. results.status


@pytest.mark.parametrize("empty", [None, ""])
def test_empty_result_status_means_valid(make_data, empty):
    """The contract says an empty status means valid; the clean table carries 'valid'."""
    t = minimal_tables()
    t["results"]["status"] = [empty, "valid", empty, "invalidated"]
    ds = load_dataset(make_data({"results": t["results"]}), TODAY)
    assert ds.problems == []
    assert clean(ds, "SELECT batch_id, attribute, status FROM results ORDER BY 1, 2") == [
        ("B1", "sterility", "valid"), ("B1", "viability", "valid"),
        ("B2", "sterility", "invalidated"), ("B2", "viability", "valid")]


# 19. excluded_summary


def test_excluded_summary_counts_rows_and_names_blocked_tables(make_data):
    assert load_dataset(make_data(name="clean"), TODAY).excluded_summary() == "0 rows excluded by validation"

    one = minimal_tables()["results"]
    one["text_value"] = [None, None, None, "no growth"]
    assert load_dataset(make_data({"results": one}, name="one"), TODAY).excluded_summary() == \
        "1 row excluded by validation"

    many = {"batch_id": ["B1"] * 1000, "attribute": ["viability"] * 1000, "value": [None] * 1000,
            "text_value": [None] * 1000, "tested_on": [D(2026, 1, 12)] * 1000}
    ds = load_dataset(make_data({"results": many}, name="many"), TODAY)
    assert ds.problems[0].message == "1,000 rows excluded: neither `value` nor `text_value` is given."
    assert ds.excluded_summary() == "1,000 rows excluded by validation"

    assert load_dataset(make_data({"batches": None}, name="blocked1"), TODAY).excluded_summary() == \
        "0 rows excluded by validation; table not usable: batches"
    assert load_dataset(make_data({"batches": None, "assays": None}, name="blocked2"), TODAY).excluded_summary() \
        == "0 rows excluded by validation; tables not usable: batches, assays"


def test_rowref_and_problem_read_as_one_line(make_data):
    """What the CLI prints for a warning: where, the sentence, then the rows."""
    t = minimal_tables()
    t["batches"]["purpose"] = ["clinical", "Clinical"]
    ds = load_dataset(make_data({"batches": t["batches"]}), TODAY)
    assert str(RowRef("batches.parquet", 2, {"batch_id": "B2"})) == "batch_id=B2 (batches.parquet row 2)"
    assert ds.problems[0].describe() == (
        "WARNING batches.purpose: 1 row excluded: the value is not one of clinical, engineering, development, ppq"
        "; found 'Clinical'. Rows (1): batch_id=B2 (batches.parquet row 2).")
