"""Baseline completeness and BL001/BL002 on a hand-made program whose every number is counted by hand."""

from __future__ import annotations

import pytest

from conftest import D, TODAY, minimal_tables, write_tables
from readiness.dataset import load_dataset
from readiness.report import build_report


def baseline_tables():
    """P1 (phase 1): viability and sterility required from phase 1, potency only from phase 2, cd3 never.

    B1 administered, sterility missing           -> BL002 (irrecoverable)
    B2 released, viability missing               -> BL001
    B3 in process, 14 days old, nothing recorded -> pending, not yet due
    B4 in process, 84 days old, sterility missing -> BL001 (viability tested 2026-10-20)
    B5 engineering, nothing recorded             -> not a clinical batch
    B6 clinical but failed                       -> nothing to release, left out
    B7 administered, viability only invalidated  -> BL002
    """
    t = minimal_tables()
    t["attributes"] = {
        "program_id": ["P1"] * 4, "attribute": ["viability", "sterility", "potency", "cd3"],
        "kind": ["cqa"] * 4, "category": ["viability", "safety", "potency", "identity"],
        "required_from": ["phase_1", "phase_1", "phase_2", None],
    }
    t["batches"] = {
        "batch_id": ["B1", "B2", "B3", "B4", "B5", "B6", "B7"],
        "program_id": ["P1"] * 7,
        "purpose": ["clinical", "clinical", "clinical", "clinical", "engineering", "clinical", "clinical"],
        "process_version": ["v1"] * 7,
        "manufactured_on": [D(2026, 1, 10), D(2026, 2, 10), D(2026, 11, 10), D(2026, 9, 1), D(2026, 3, 1),
                            D(2026, 4, 1), D(2026, 5, 1)],
        "disposition": ["administered", "released", "in_process", "in_process", "released", "failed",
                        "administered"],
        "disposition_on": [D(2026, 2, 1), D(2026, 3, 1), None, None, None, D(2026, 4, 20), D(2026, 6, 1)],
    }
    rows = [
        ("B1", "viability", 85.0, None, D(2026, 1, 12), "valid"),
        ("B1", "cd3", 91.0, None, D(2026, 1, 12), "valid"),
        ("B2", "sterility", None, "no growth", D(2026, 2, 24), "valid"),
        ("B4", "viability", 80.0, None, D(2026, 10, 20), "valid"),
        ("B7", "viability", 40.0, None, D(2026, 5, 3), "invalidated"),
        ("B7", "sterility", None, "no growth", D(2026, 5, 15), None),
    ]
    t["results"] = dict(zip(["batch_id", "attribute", "value", "text_value", "tested_on", "status"],
                            map(list, zip(*rows))))
    return t


@pytest.fixture
def ds(tmp_path):
    data = load_dataset(write_tables(tmp_path / "data", baseline_tables()), TODAY)
    assert data.problems == []
    return data


def program(ds, as_of):
    return build_report(ds, as_of, "P1")["programs"][0]


def test_completeness_figures_count_by_hand(ds):
    figures = program(ds, TODAY)["lenses"]["baseline"]
    assert figures == {
        "required_results_expected": 8,  # B1, B2, B4, B7 x (viability, sterility)
        "required_results_present": 4,
        "required_results_missing": 4,
        "required_results_pending": 2,  # B3, still inside the testing window
        "baseline_completeness": 0.5,
        "clinical_batches": 5,
        "batches_with_gaps": 4,
        "irrecoverable_gaps": 2,
        "by_month": [  # by month of manufacture; one batch a month here
            {"month": "2026-01", "present": 1, "recoverable": 0, "irrecoverable": 1, "pending": 0},  # B1
            {"month": "2026-02", "present": 1, "recoverable": 1, "irrecoverable": 0, "pending": 0},  # B2
            {"month": "2026-05", "present": 1, "recoverable": 0, "irrecoverable": 1, "pending": 0},  # B7
            {"month": "2026-09", "present": 1, "recoverable": 1, "irrecoverable": 0, "pending": 0},  # B4
            {"month": "2026-11", "present": 0, "recoverable": 0, "irrecoverable": 0, "pending": 2},  # B3
        ],
    }


def test_findings_name_the_batch_and_the_missing_attributes(ds):
    found = program(ds, TODAY)["findings"]
    assert [(f["code"], f["severity"], f["subject"]) for f in found] == [
        ("BL002", "high", "B1"), ("BL002", "high", "B7"), ("BL001", "medium", "B2"), ("BL001", "medium", "B4"),
    ]
    b1 = found[0]
    assert b1["message"] == ("Batch B1 was administered on 2026-02-01 without a valid result for sterility; "
                             "it can never be measured now.")
    assert b1["evidence"] == [{"batch_id": "B1", "attribute": "sterility", "category": "safety",
                               "manufactured_on": "2026-01-10", "disposition": "administered",
                               "disposition_on": "2026-02-01", "process_version": "v1"}]
    assert b1["lens"] == "baseline" and "Human Gene Therapy INDs" in b1["reference"]
    assert b1["expectation"].startswith("Every result the data plan requires")
    assert found[3]["message"] == ("Batch B4 (in process, made 2026-09-01) has no valid result for sterility; "
                                   "test it from retained sample before it goes to a patient.")


def test_an_invalidated_result_does_not_count_as_present(ds):
    b7 = next(f for f in program(ds, TODAY)["findings"] if f["subject"] == "B7")
    assert [e["attribute"] for e in b7["evidence"]] == ["viability"]


def test_a_result_tested_after_the_as_of_date_does_not_count(ds):
    b4 = next(f for f in program(ds, D(2026, 10, 15))["findings"] if f["subject"] == "B4")
    assert [e["attribute"] for e in b4["evidence"]] == ["sterility", "viability"]


@pytest.mark.parametrize("as_of, expected", [
    (D(2026, 1, 25), []),  # 15 days after manufacture: both results still pending
    (D(2026, 1, 31), [("BL001", "B1")]),  # testing window over, not yet administered: can still be tested
    (D(2026, 2, 1), [("BL002", "B1")]),  # administered that day: the gap is now irrecoverable
])
def test_a_gap_escalates_when_the_batch_is_administered(ds, as_of, expected):
    found = program(ds, as_of)["findings"]
    assert [(f["code"], f["subject"]) for f in found] == expected


def test_requirement_follows_the_phase_the_batch_was_made_in(tmp_path):
    t = baseline_tables()
    t["phase_history"] = {"program_id": ["P1", "P1"], "phase": ["phase_1", "phase_2"],
                          "started_on": [D(2025, 1, 1), D(2026, 4, 15)]}
    ds = load_dataset(write_tables(tmp_path / "data", t), TODAY)
    p = program(ds, TODAY)
    assert p["phase"] == "phase_2"
    b7 = next(f for f in p["findings"] if f["subject"] == "B7")  # made 2026-05-01, in phase 2: potency required
    assert [e["attribute"] for e in b7["evidence"]] == ["potency", "viability"]
    b1 = next(f for f in p["findings"] if f["subject"] == "B1")  # made in phase 1: potency not required
    assert [e["attribute"] for e in b1["evidence"]] == ["sterility"]
    assert p["lenses"]["baseline"]["required_results_expected"] == 10  # B4 and B7 now carry potency too


def test_status_follows_the_worst_finding(ds):
    assert program(ds, TODAY)["status"] == "off_track"
    assert program(ds, D(2026, 1, 31))["status"] == "at_risk"
    assert program(ds, D(2026, 1, 25))["status"] == "on_track"


def test_report_for_all_programs_equals_the_one_program_report(ds):
    assert build_report(ds, TODAY)["programs"] == build_report(ds, TODAY, "P1")["programs"]
