"""The baseline lens on hand-made programs whose every number is counted by hand: completeness and
BL001-BL005, and the deviation checks DV001/DV002 it carries."""

from __future__ import annotations

import pytest

from conftest import D, TODAY, minimal_tables, write_tables
from readiness.dataset import load_dataset
from readiness.expectations import load_expectations
from readiness.report import build_report

BL_GAPS = ("BL001", "BL002")
# The fixtures' data plans cover only safety and viability: this override keeps BL003 out of the tests that are
# about gaps (the built-in matrix wants identity, strength and potency too from Phase 1; BL003 has its own tests).
SAFETY_AND_VIABILITY = """
[expectations.required_categories]
code = "BL003"
title = "Attribute categories the data plan must require"
unit = "categories"
rationale = "test"
reference = "test"
all.phase_1 = { threshold = ["safety", "viability"], severity = "high" }
"""


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


@pytest.fixture(scope="module")
def yardstick(tmp_path_factory):
    path = tmp_path_factory.mktemp("yardstick") / "safety_and_viability.toml"
    path.write_text(SAFETY_AND_VIABILITY)
    expectations = load_expectations(path)
    assert expectations.problems == []
    return expectations


def program(ds, as_of, expectations=None):
    return build_report(ds, as_of, "P1", expectations, trend=False)["programs"][0]


def found(p, codes=None):
    """The baseline lens's findings (other lenses judge the same fixture too), optionally of some codes only."""
    return [f for f in p["findings"] if f["lens"] == "baseline" and (codes is None or f["code"] in codes)]


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
        "results_invalidated_not_retested": 1,  # B7 viability
        "completeness_by_month": [
            {"month": "2026-01", "expected": 2, "present": 1, "completeness": 0.5,
             "cumulative_expected": 2, "cumulative_present": 1, "cumulative_completeness": 0.5},
            {"month": "2026-02", "expected": 2, "present": 1, "completeness": 0.5,
             "cumulative_expected": 4, "cumulative_present": 2, "cumulative_completeness": 0.5},
            {"month": "2026-05", "expected": 2, "present": 1, "completeness": 0.5,
             "cumulative_expected": 6, "cumulative_present": 3, "cumulative_completeness": 0.5},
            {"month": "2026-09", "expected": 2, "present": 1, "completeness": 0.5,
             "cumulative_expected": 8, "cumulative_present": 4, "cumulative_completeness": 0.5},
            {"month": "2026-11", "expected": 0, "present": 0, "completeness": None,  # only pending results
             "cumulative_expected": 8, "cumulative_present": 4, "cumulative_completeness": 0.5},
        ],
        "by_attribute": [
            {"attribute": "sterility", "category": "safety", "expected": 4, "present": 2, "missing": 2,
             "invalidated": 0, "pending": 1, "completeness": 0.5},  # B2, B7 present; B1, B4 missing; B3 pending
            {"attribute": "viability", "category": "viability", "expected": 4, "present": 2, "missing": 2,
             "invalidated": 1, "pending": 1, "completeness": 0.5},  # B1, B4 present; B2 missing; B7 invalidated
        ],
        "by_batch": [  # oldest first
            batch_row("B1", "2026-01-10", "administered", "2026-02-01", 1, 1, 0, 0,
                      {"sterility": "missing", "viability": "present"}),
            batch_row("B2", "2026-02-10", "released", "2026-03-01", 1, 1, 0, 0,
                      {"sterility": "present", "viability": "missing"}),
            batch_row("B7", "2026-05-01", "administered", "2026-06-01", 1, 1, 1, 0,
                      {"sterility": "present", "viability": "invalidated"}),
            batch_row("B4", "2026-09-01", "in_process", None, 1, 1, 0, 0,
                      {"sterility": "missing", "viability": "present"}),
            batch_row("B3", "2026-11-10", "in_process", None, 0, 0, 0, 2,
                      {"sterility": "pending", "viability": "pending"}),
        ],
        "completeness_min": 0.9,  # phase_1 row of baseline_completeness_min
        "open_deviations": [],  # no deviations table: nothing to judge, and the lens is not unknown
        "deviations_open": 0,
        "deviations_overdue": 0,
        "batches_disposed_with_open_deviation": 0,
    }


def batch_row(batch_id, made, disposition, disposition_on, present, missing, invalidated, pending, states):
    return {"batch_id": batch_id, "manufactured_on": made, "process_version": "v1", "disposition": disposition,
            "disposition_on": disposition_on, "expected": present + missing, "present": present,
            "missing": missing, "invalidated": invalidated, "pending": pending,
            "completeness": round(present / (present + missing), 4) if present + missing else None,
            "states": states}


def test_findings_name_the_batch_and_the_missing_attributes(ds):
    gaps = found(program(ds, TODAY), BL_GAPS)
    assert [(f["code"], f["severity"], f["subject"]) for f in gaps] == [
        ("BL002", "high", "B1"), ("BL002", "high", "B7"), ("BL001", "medium", "B2"), ("BL001", "medium", "B4"),
    ]
    b1 = gaps[0]
    assert b1["message"] == ("Batch B1 was administered on 2026-02-01 without a valid result for sterility; "
                             "it can never be measured now.")
    assert b1["evidence"] == [{"batch_id": "B1", "attribute": "sterility", "category": "safety",
                               "manufactured_on": "2026-01-10", "disposition": "administered",
                               "disposition_on": "2026-02-01", "process_version": "v1"}]
    assert b1["lens"] == "baseline" and "Human Gene Therapy INDs" in b1["reference"]
    assert b1["expectation"].startswith("Every result the data plan requires")
    assert gaps[3]["message"] == ("Batch B4 (in process, made 2026-09-01) has no valid result for sterility; "
                                   "test it from retained sample before it goes to a patient.")


def test_an_invalidated_result_does_not_count_as_present(ds):
    b7 = next(f for f in found(program(ds, TODAY), BL_GAPS) if f["subject"] == "B7")
    assert [e["attribute"] for e in b7["evidence"]] == ["viability"]


def test_a_result_tested_after_the_as_of_date_does_not_count(ds):
    b4 = next(f for f in found(program(ds, D(2026, 10, 15)), BL_GAPS) if f["subject"] == "B4")
    assert [e["attribute"] for e in b4["evidence"]] == ["sterility", "viability"]


@pytest.mark.parametrize("as_of, expected", [
    (D(2026, 1, 25), []),  # 15 days after manufacture: both results still pending
    (D(2026, 1, 31), [("BL001", "B1")]),  # testing window over, not yet administered: can still be tested
    (D(2026, 2, 1), [("BL002", "B1")]),  # administered that day: the gap is now irrecoverable
])
def test_a_gap_escalates_when_the_batch_is_administered(ds, as_of, expected):
    assert [(f["code"], f["subject"]) for f in found(program(ds, as_of), BL_GAPS)] == expected


def test_requirement_follows_the_phase_the_batch_was_made_in(tmp_path):
    t = baseline_tables()
    t["phase_history"] = {"program_id": ["P1", "P1"], "phase": ["phase_1", "phase_2"],
                          "started_on": [D(2025, 1, 1), D(2026, 4, 15)]}
    ds = load_dataset(write_tables(tmp_path / "data", t), TODAY)
    p = program(ds, TODAY)
    assert p["phase"] == "phase_2"
    b7 = next(f for f in found(p, BL_GAPS) if f["subject"] == "B7")  # made 2026-05-01, in phase 2: potency required
    assert [e["attribute"] for e in b7["evidence"]] == ["potency", "viability"]
    b1 = next(f for f in found(p, BL_GAPS) if f["subject"] == "B1")  # made in phase 1: potency not required
    assert [e["attribute"] for e in b1["evidence"]] == ["sterility"]
    assert p["lenses"]["baseline"]["required_results_expected"] == 10  # B4 and B7 now carry potency too


def test_lens_status_follows_the_worst_finding(ds, yardstick):
    def status(as_of):
        return program(ds, as_of, yardstick)["lens_status"]["baseline"]["status"]
    assert status(TODAY) == "off_track"
    assert status(D(2026, 1, 31)) == "at_risk"  # BL001 on B1 (and BL004: 1 of 2 results present)
    assert status(D(2026, 1, 25)) == "on_track"  # nothing due yet


def test_report_for_all_programs_equals_the_one_program_report(ds):
    assert build_report(ds, TODAY)["programs"] == build_report(ds, TODAY, "P1")["programs"]


# BL003: the data plan against the categories the phase expects


def plan_program(tmp_path, attributes, history=None):
    """The minimal program (autologous, Phase 1; viability and sterility required) with `attributes` added."""
    t = minimal_tables()
    for name, category, required_from in attributes:
        for column, value in (("program_id", "P1"), ("attribute", name), ("kind", "cqa"), ("category", category),
                              ("unit", None), ("lower_limit", None), ("upper_limit", None),
                              ("required_from", required_from)):
            t["attributes"][column].append(value)
    if history:
        t["phase_history"] = history
    data = load_dataset(write_tables(tmp_path / "plan", t), TODAY)
    assert data.problems == []
    return data


def test_bl003_lists_the_categories_no_required_attribute_covers(tmp_path):
    data = plan_program(tmp_path, [("cd3", "identity", None), ("ifng_release", "potency", "phase_2")])
    [bl003] = found(program(data, TODAY), ["BL003"])
    assert (bl003["severity"], bl003["subject"]) == ("high", "data plan")  # the autologous_cell phase_1 row
    assert bl003["message"] == (
        "At Phase 1 the data plan requires no identity, strength or potency attribute on clinical batches "
        "(identity: cd3 is in the plan but never required; potency: ifng_release is in the plan but required "
        "only from Phase 2).")
    assert bl003["evidence"] == [
        {"category": "identity", "attributes_in_plan": "cd3", "required_from": None},
        {"category": "strength", "attributes_in_plan": None, "required_from": None},
        {"category": "potency", "attributes_in_plan": "ifng_release", "required_from": "phase_2"},
    ]
    assert bl003["expectation"] == ("At Phase 1 (autologous cell) the data plan requires, on every clinical batch, "
                                    "an attribute of each category: safety, identity, strength, potency, viability.")
    assert "21 CFR 610.10" in bl003["reference"]


def test_bl003_is_silent_when_every_expected_category_is_required(tmp_path):
    data = plan_program(tmp_path, [("car_expression", "identity", "phase_1"), ("dose", "strength", "phase_1"),
                                   ("ifng_release", "potency", "preclinical")])
    assert found(program(data, TODAY), ["BL003"]) == []


def test_bl003_judges_the_phase_in_force_on_the_as_of_date(tmp_path):
    """Preclinical until 2026-01-01: then only safety is expected (low), and sterility is required only from
    Phase 1, so nothing required covers it yet."""
    data = plan_program(tmp_path, [("car_expression", "identity", "phase_1"), ("dose", "strength", "phase_1"),
                                   ("ifng_release", "potency", "phase_1")],
                        history={"program_id": ["P1", "P1"], "phase": ["preclinical", "phase_1"],
                                 "started_on": [D(2025, 1, 1), D(2026, 1, 1)]})
    [early] = found(program(data, D(2025, 12, 31)), ["BL003"])
    assert (early["severity"], early["message"]) == (
        "low", "At preclinical the data plan requires no safety attribute on clinical batches (safety: sterility "
               "is in the plan but required only from Phase 1).")
    assert found(program(data, TODAY), ["BL003"]) == []


# BL004: completeness against the phase threshold


def test_bl004_fires_below_the_phase_threshold_with_the_attributes_behind_it(ds, yardstick):
    [bl004] = found(program(ds, TODAY, yardstick), ["BL004"])
    assert (bl004["severity"], bl004["subject"]) == ("medium", "required results")
    assert bl004["message"] == ("4 of 8 required results are recorded on clinical batches (50.0%), below the 90% "
                                "expected at Phase 1.")
    assert bl004["expectation"] == ("At Phase 1, at least 90% of the required results due on clinical batches "
                                    "are present.")
    assert bl004["evidence"] == [
        {"attribute": "sterility", "category": "safety", "expected": 4, "present": 2, "missing": 2,
         "completeness": 0.5},
        {"attribute": "viability", "category": "viability", "expected": 4, "present": 2, "missing": 2,
         "completeness": 0.5},
    ]


def test_bl004_is_silent_at_or_above_the_threshold(ds, make_data, tmp_path):
    complete = load_dataset(make_data(), TODAY)  # every required result present: 100%
    assert found(program(complete, TODAY), ["BL004"]) == []
    exactly = tmp_path / "half.toml"  # 50% is not below a threshold of 50%
    exactly.write_text(SAFETY_AND_VIABILITY + '''
[expectations.baseline_completeness_min]
code = "BL004"
title = "t"
unit = "u"
rationale = "r"
reference = "x"
all.phase_1 = { threshold = 0.5, severity = "high" }
''')
    half = load_expectations(exactly)
    assert half.problems == []
    assert program(ds, TODAY, half)["lenses"]["baseline"]["baseline_completeness"] == 0.5
    assert found(program(ds, TODAY, half), ["BL004"]) == []


def test_bl004_needs_results_due(ds, yardstick):
    """On 2026-01-11 B1, made the day before, has no result yet and both are pending: nothing to judge."""
    p = program(ds, D(2026, 1, 11), yardstick)
    assert p["lenses"]["baseline"]["baseline_completeness"] is None and found(p, ["BL004"]) == []


# BL005: invalidated results never replaced


def test_bl005_names_the_batch_whose_result_was_only_invalidated(ds):
    [bl005] = found(program(ds, TODAY), ["BL005"])
    assert (bl005["severity"], bl005["subject"]) == ("medium", "B7")  # medium even though B7 was administered
    assert bl005["message"] == ("Batch B7 (administered) has only an invalidated result for viability (last "
                                "invalidated 2026-05-03); no valid retest was recorded.")
    assert bl005["evidence"] == [{"batch_id": "B7", "attribute": "viability", "category": "viability",
                                  "invalidated_on": "2026-05-03", "manufactured_on": "2026-05-01",
                                  "disposition": "administered", "disposition_on": "2026-06-01"}]
    assert "Out-of-Specification" in bl005["reference"]


def test_bl005_is_silent_once_a_valid_retest_exists_or_while_the_window_is_open(tmp_path):
    t = baseline_tables()
    rows = [("B7", "viability", 82.0, None, D(2026, 5, 10), "valid"),  # B7's retest
            ("B3", "viability", 30.0, None, D(2026, 11, 12), "invalidated")]  # B3: in process, 14 days old
    for row in rows:
        for column, value in zip(["batch_id", "attribute", "value", "text_value", "tested_on", "status"], row):
            t["results"][column].append(value)
    p = program(load_dataset(write_tables(tmp_path / "retest", t), TODAY), TODAY)
    assert found(p, ["BL005"]) == []
    b3 = next(b for b in p["lenses"]["baseline"]["by_batch"] if b["batch_id"] == "B3")
    assert b3["states"] == {"sterility": "pending", "viability": "pending"}
    assert p["lenses"]["baseline"]["results_invalidated_not_retested"] == 0


# DV001 / DV002: deviations on the batch records


def deviations_data(tmp_path, rows, name="devs"):
    """The minimal program (B1 administered 2026-02-01, B2 released 2026-03-01) with these deviations."""
    t = minimal_tables()
    t["deviations"] = dict(zip(["deviation_id", "program_id", "batch_id", "severity", "opened_on", "closed_on",
                                "title"], map(list, zip(*rows))))
    data = load_dataset(write_tables(tmp_path / name, t), TODAY)
    assert data.problems == []
    return data


DEVIATIONS = [
    ("D1", "P1", "B1", "major", D(2026, 1, 20), D(2026, 2, 5), "Bag leak at harvest"),  # open when B1 administered
    ("D2", "P1", "B2", "minor", D(2026, 2, 20), None, "Label reprint"),  # minor: not DV001's business
    ("D3", "P1", "B2", "major", D(2026, 2, 15), D(2026, 3, 1), "Incubator alarm"),  # closed the day B2 was released
    ("D4", "P1", "B2", "critical", D(2026, 3, 2), D(2026, 3, 20), "Found after release"),  # opened after release
]


def test_dv001_fires_when_a_major_deviation_was_open_on_the_disposition_day(tmp_path):
    p = program(deviations_data(tmp_path, DEVIATIONS), TODAY)
    [dv001] = found(p, ["DV001"])
    assert (dv001["severity"], dv001["subject"], dv001["lens"]) == ("high", "B1", "baseline")
    assert dv001["message"] == ("Batch B1 was administered on 2026-02-01 while major deviation D1 (Bag leak at "
                                "harvest, opened 2026-01-20) was open.")
    assert dv001["evidence"] == [{"batch_id": "B1", "disposition": "administered", "disposition_on": "2026-02-01",
                                  "judged_on": "2026-02-01", "deviation_id": "D1", "severity": "major",
                                  "title": "Bag leak at harvest", "opened_on": "2026-01-20",
                                  "closed_on": "2026-02-05"}]
    assert p["lenses"]["baseline"]["batches_disposed_with_open_deviation"] == 1


def test_dv001_is_silent_before_the_disposition_and_without_the_deviations_table(tmp_path, make_data):
    data = deviations_data(tmp_path, DEVIATIONS)
    assert found(program(data, D(2026, 1, 31)), ["DV001"]) == []  # B1 not administered yet on that day
    without = load_dataset(make_data(), TODAY)  # the optional table is absent
    assert without.tables["deviations"].status == "absent"
    p = program(without, TODAY)
    assert found(p, ["DV001", "DV002"]) == [] and p["lens_status"]["baseline"]["status"] != "unknown"


def test_dv001_judges_an_undated_disposition_on_the_as_of_date(tmp_path):
    t = minimal_tables()
    t["batches"]["disposition_on"] = [D(2026, 2, 1), None]  # B2 released, date not recorded
    t["deviations"] = {"deviation_id": ["D9"], "program_id": ["P1"], "batch_id": ["B2"], "severity": ["critical"],
                       "opened_on": [D(2026, 10, 1)], "closed_on": [D(2026, 11, 1)], "title": ["Open question"]}
    data = load_dataset(write_tables(tmp_path / "undated", t), TODAY)
    [dv001] = found(program(data, D(2026, 10, 15)), ["DV001"])
    assert dv001["message"] == ("Batch B2 was released (date not recorded) while critical deviation D9 (Open "
                                "question, opened 2026-10-01) was open.")
    assert found(program(data, TODAY), ["DV001"]) == []  # closed by the as-of date


def test_dv002_fires_past_the_limit_for_the_deviations_severity(tmp_path):
    data = deviations_data(tmp_path, [
        ("D5", "P1", "B2", "major", D(2026, 9, 1), None, "Open investigation"),  # 84 days > 60
        ("D6", "P1", None, "minor", D(2026, 9, 1), None, "Room log gap"),  # 84 days <= 90
        ("D7", "P1", "B1", "major", D(2026, 9, 25), None, "Exactly at the limit"),  # 60 days, not longer
    ])
    p = program(data, TODAY)
    [dv002] = found(p, ["DV002"])
    assert (dv002["severity"], dv002["subject"]) == ("medium", "D5")  # the phase_1 row's severity
    assert dv002["message"] == ("Deviation D5, major on batch B2 (released), has been open 84 days since 2026-09-01 "
                                "(Open investigation); at Phase 1 a major deviation closes within 60 days.")
    assert dv002["expectation"] == ("At Phase 1 a deviation closes within minor 90 days, major 60 days, "
                                    "critical 30 days.")
    figures = p["lenses"]["baseline"]
    assert (figures["deviations_open"], figures["deviations_overdue"]) == (3, 1)
    assert figures["open_deviations"] == [
        {"deviation_id": "D5", "severity": "major", "title": "Open investigation", "opened_on": "2026-09-01",
         "age_days": 84, "batch_id": "B2", "batch_disposition": "released", "batch_disposition_on": "2026-03-01",
         "max_open_days": 60, "overdue": True},
        {"deviation_id": "D6", "severity": "minor", "title": "Room log gap", "opened_on": "2026-09-01",
         "age_days": 84, "batch_id": None, "batch_disposition": None, "batch_disposition_on": None,
         "max_open_days": 90, "overdue": False},
        {"deviation_id": "D7", "severity": "major", "title": "Exactly at the limit", "opened_on": "2026-09-25",
         "age_days": 60, "batch_id": "B1", "batch_disposition": "administered", "batch_disposition_on": "2026-02-01",
         "max_open_days": 60, "overdue": False},
    ]


def test_a_deviation_closed_after_the_as_of_date_is_still_open_on_it(tmp_path):
    data = deviations_data(tmp_path, [("D8", "P1", "B2", "major", D(2026, 6, 1), D(2026, 11, 1), "Late closure")])
    assert found(program(data, TODAY), ["DV002"]) == []  # closed on 2026-11-01
    earlier = program(data, D(2026, 10, 1))
    [dv002] = found(earlier, ["DV002"])
    assert dv002["subject"] == "D8" and "open 122 days since 2026-06-01" in dv002["message"]
    assert [(d["deviation_id"], d["age_days"]) for d in earlier["lenses"]["baseline"]["open_deviations"]] == [
        ("D8", 122)]
    assert found(program(data, D(2026, 5, 31)), ["DV002"]) == []  # not opened yet


def test_an_unusable_deviations_table_makes_the_lens_unknown(tmp_path):
    t = minimal_tables()
    t["deviations"] = {"deviation_id": ["D1"], "program_id": ["P1"]}  # required columns missing
    data = load_dataset(write_tables(tmp_path / "broken", t), TODAY)
    assert data.tables["deviations"].status == "blocked"
    assert program(data, TODAY)["lens_status"]["baseline"]["status"] == "unknown"
