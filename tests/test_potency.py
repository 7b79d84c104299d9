"""The potency lens on a hand-made program whose every figure is counted by hand, and each finding's twin."""

from __future__ import annotations

import pyarrow as pa
import pytest

from conftest import D, TODAY, minimal_tables, write_tables
from readiness.dataset import load_dataset
from readiness.expectations import load_expectations
from readiness.lens_tables import potency as lens_tables
from readiness.report import build_report


def potency_tables():
    """P1, autologous CAR-T, in Phase 2 since 2026-06-01 (Phase 1 from 2025-01-01).

    Mechanism elements: antigen recognition (A-FLOW, identity, quantitative, validated 2026-09-01),
    cytokine release (A-IFNG, potency, quantitative, qualified), killing (A-KILL, potency, pass/fail, run
    since 2025-12-05 but never qualified; A-NEW, potency, quantitative, never run), persistence (no assay).

    Clinical batches and their potency:
    B1 administered, A-IFNG 2000 pg/mL                   -> quantitative
    B2 administered, A-KILL "pass"                       -> qualitative only
    B3 administered, A-IFNG result invalidated           -> none, administered (PT004 high)
    B4 released, no potency result                       -> none, released (PT004 medium)
    B5 in process, no potency result yet                 -> none, not released
    B6 failed                                            -> left out
    B7 administered, potency_score 7 with no assay named -> qualitative only (readout unknown)
    E1 engineering: A-KILL and A-IFNG results            -> not clinical; makes A-KILL developing
    """
    t = minimal_tables()
    t["phase_history"] = {"program_id": ["P1"] * 3, "phase": ["preclinical", "phase_1", "phase_2"],
                          "started_on": [D(2024, 1, 1), D(2025, 1, 1), D(2026, 6, 1)]}
    t["mechanisms"] = {"program_id": ["P1"] * 4,
                       "mechanism": ["antigen recognition", "cytokine release", "killing", "persistence"]}
    t["assays"] = {
        "assay_id": ["A-FLOW", "A-IFNG", "A-KILL", "A-NEW", "A-STER"],
        "program_id": ["P1"] * 5,
        "name": ["CAR expression (flow)", "IFN-g release (ELISA)", "Killing (visual)", "Killing (impedance)",
                 "Sterility"],
        "category": ["identity", "potency", "potency", "potency", "safety"],
        "mechanism": ["antigen recognition", "cytokine release", "killing", "killing", None],
        "readout": ["quantitative", "quantitative", "qualitative", "quantitative", "qualitative"],
        "qualified_on": [D(2025, 2, 1), D(2025, 3, 1), None, None, D(2025, 1, 1)],
        "validated_on": [D(2026, 9, 1), None, None, None, None],
    }
    t["attributes"] = {
        "program_id": ["P1"] * 5,
        "attribute": ["car_expression", "ifng", "killing", "potency_score", "sterility"],
        "kind": ["cqa"] * 5,
        "category": ["identity", "potency", "potency", "potency", "safety"],
        "unit": ["%", "pg/mL", None, "score", None],
        "lower_limit": [10.0, 500.0, None, None, None],
        "upper_limit": [None, None, None, None, None],
        "required_from": [None] * 5,
    }
    t["batches"] = {
        "batch_id": ["B1", "B2", "B3", "B4", "B5", "B6", "B7", "E1"],
        "program_id": ["P1"] * 8,
        "purpose": ["clinical"] * 7 + ["engineering"],
        "process_version": ["v1"] * 8,
        "manufactured_on": [D(2026, 1, 10), D(2026, 2, 10), D(2026, 3, 10), D(2026, 4, 10), D(2026, 11, 10),
                            D(2026, 5, 10), D(2026, 6, 10), D(2025, 12, 1)],
        "disposition": ["administered", "administered", "administered", "released", "in_process", "failed",
                        "administered", "released"],
        "disposition_on": [D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1), D(2026, 5, 1), None, D(2026, 5, 20),
                           D(2026, 7, 1), D(2025, 12, 20)],
    }
    rows = [
        ("B1", "ifng", 2000.0, None, D(2026, 1, 18), "A-IFNG", "valid"),
        ("B1", "car_expression", 40.0, None, D(2026, 1, 12), "A-FLOW", "valid"),
        ("B2", "killing", None, "pass", D(2026, 2, 18), "A-KILL", "valid"),
        ("B3", "ifng", 300.0, None, D(2026, 3, 18), "A-IFNG", "invalidated"),
        ("B4", "sterility", None, "no growth", D(2026, 4, 25), "A-STER", "valid"),
        ("B7", "potency_score", 7.0, None, D(2026, 6, 20), None, "valid"),
        ("E1", "killing", None, "pass", D(2025, 12, 5), "A-KILL", "valid"),
        ("E1", "ifng", 2500.0, None, D(2025, 12, 6), "A-IFNG", "valid"),
    ]
    t["results"] = dict(zip(["batch_id", "attribute", "value", "text_value", "tested_on", "assay_id", "status"],
                            map(list, zip(*rows))))
    return t


def dataset(tmp_path, tables, name="data"):
    ds = load_dataset(write_tables(tmp_path / name, tables), TODAY)
    assert ds.problems == []
    return ds


@pytest.fixture
def ds(tmp_path):
    return dataset(tmp_path, potency_tables())


def program(ds, as_of=TODAY, expectations=None):
    return build_report(ds, as_of, "P1", expectations, trend=False)["programs"][0]


def found(p, codes=None):
    """The potency lens's findings (other lenses judge the same fixture too)."""
    return [f for f in p["findings"] if f["lens"] == "potency" and (codes is None or f["code"] in codes)]


def codes(p):
    return [(f["code"], f["severity"], f["subject"]) for f in found(p)]


def assay(assay_id, name, category, mechanism, readout, stage, first, qualified, validated, results):
    return {"assay_id": assay_id, "name": name, "category": category, "mechanism": mechanism, "readout": readout,
            "stage": stage, "first_result_on": first, "qualified_on": qualified, "validated_on": validated,
            "results": results}


def cell(assay_id, category, readout, stage, counts):
    return {"assay_id": assay_id, "category": category, "readout": readout, "stage": stage, "counts": counts}


def test_figures_count_by_hand(ds):
    figures = program(ds)["lenses"]["potency"]
    assert figures == {
        "potency_stage_expected": "qualified",  # potency_stage_min at phase_2
        "quantitative_potency_required": True,
        "mechanisms": 4,
        "mechanisms_covered": 2,  # antigen recognition and cytokine release; killing only pass/fail or never run
        "mechanism_coverage": 0.5,
        "mechanism_detail": [  # alphabetical; each element's assays most mature first
            {"mechanism": "antigen recognition", "assays": [cell("A-FLOW", "identity", "quantitative", "validated",
                                                                 True)],
             "best_stage": "validated", "covered": True},
            {"mechanism": "cytokine release", "assays": [cell("A-IFNG", "potency", "quantitative", "qualified", True)],
             "best_stage": "qualified", "covered": True},
            {"mechanism": "killing", "assays": [cell("A-KILL", "potency", "qualitative", "developing", False),
                                                cell("A-NEW", "potency", "quantitative", "exploratory", False)],
             "best_stage": "developing", "covered": False},
            {"mechanism": "persistence", "assays": [], "best_stage": None, "covered": False},
        ],
        "potency_assays": 3,  # A-IFNG, A-KILL, A-NEW (A-FLOW is identity; A-STER names no element)
        "quantitative_potency_assays": 2,  # A-IFNG, A-NEW
        "assays": [
            assay("A-FLOW", "CAR expression (flow)", "identity", "antigen recognition", "quantitative", "validated",
                  "2026-01-12", "2025-02-01", "2026-09-01", 1),
            assay("A-IFNG", "IFN-g release (ELISA)", "potency", "cytokine release", "quantitative", "qualified",
                  "2025-12-06", "2025-03-01", None, 3),
            assay("A-KILL", "Killing (visual)", "potency", "killing", "qualitative", "developing", "2025-12-05",
                  None, None, 2),
            assay("A-NEW", "Killing (impedance)", "potency", "killing", "quantitative", "exploratory", None, None,
                  None, 0),
        ],
        "phase_changes": [{"phase": "preclinical", "started_on": "2024-01-01"},
                          {"phase": "phase_1", "started_on": "2025-01-01"},
                          {"phase": "phase_2", "started_on": "2026-06-01"}],
        "clinical_batches": 6,  # B1-B5, B7 (B6 failed, E1 engineering)
        "batches_with_quantitative_potency": 1,  # B1
        "quantitative_potency_batch_share": 0.1667,
        "batches_by_potency": {"quantitative": 1, "qualitative_only": 2, "none_administered": 1, "none_released": 1,
                               "none_not_released": 1},
        "batches_by_month": [
            month("2026-01", quantitative=1), month("2026-02", qualitative_only=1),
            month("2026-03", none_administered=1), month("2026-04", none_released=1),
            month("2026-06", qualitative_only=1), month("2026-11", none_not_released=1),
        ],
        "trend": [{"assay_id": "A-IFNG", "attribute": "ifng", "unit": "pg/mL", "batch_id": "B1",
                   "manufactured_on": "2026-01-10", "value": 2000.0, "lower_limit": 500.0, "upper_limit": None}],
    }


def month(name, **counts):
    return {"month": name, **{s: counts.get(s, 0) for s in ("quantitative", "qualitative_only", "none_administered",
                                                            "none_released", "none_not_released")}}


def test_findings_on_the_fixture(ds):
    p = program(ds)
    assert codes(p) == [("PT004", "high", "administered batches"), ("PT002", "medium", "persistence"),
                        ("PT003", "medium", "killing"), ("PT004", "medium", "released batches")]
    by_code = {(f["code"], f["subject"]): f for f in found(p)}
    b3 = by_code[("PT004", "administered batches")]
    assert b3["message"] == ("1 clinical batch was administered without a valid potency result: B3 (B3: potency "
                             "result invalidated, never repeated); their potency can never be measured now.")
    assert b3["evidence"] == [{"batch_id": "B3", "process_version": "v1", "manufactured_on": "2026-03-10",
                               "disposition": "administered", "disposition_on": "2026-04-01", "invalidated": True}]
    assert by_code[("PT004", "released batches")]["message"] == (
        "1 clinical batch was released without a valid potency result: B4; test their retained samples before "
        "they go to a patient.")
    killing = by_code[("PT003", "killing")]
    assert killing["message"] == ("The most mature assay reading out “killing” is A-KILL, developing on 2026-11-24; "
                                  "at Phase 2 it is expected to be qualified.")
    assert killing["expectation"] == ("At Phase 2 the assay reading out each mechanism element is at least qualified "
                                      "(exploratory < developing < qualified < validated).")
    assert "Potency Assurance" in killing["reference"]
    assert [e["assay_id"] for e in killing["evidence"]] == ["A-KILL", "A-NEW"]
    assert by_code[("PT002", "persistence")]["message"] == (
        "“persistence”, an element of the mechanism of action of P1, is read out by no assay.")


@pytest.mark.parametrize("as_of, stages", [
    (D(2025, 12, 4), {"A-FLOW": "qualified", "A-IFNG": "qualified", "A-KILL": "exploratory", "A-NEW": "exploratory"}),
    (D(2025, 12, 5), {"A-FLOW": "qualified", "A-IFNG": "qualified", "A-KILL": "developing", "A-NEW": "exploratory"}),
    # validated on 2026-09-01: on an earlier as-of date the assay is only qualified
    (D(2026, 8, 31), {"A-FLOW": "qualified", "A-IFNG": "qualified", "A-KILL": "developing", "A-NEW": "exploratory"}),
    (D(2026, 9, 1), {"A-FLOW": "validated", "A-IFNG": "qualified", "A-KILL": "developing", "A-NEW": "exploratory"}),
    (D(2025, 2, 15), {"A-FLOW": "qualified", "A-IFNG": "exploratory", "A-KILL": "exploratory",
                      "A-NEW": "exploratory"}),
])
def test_stage_on_the_as_of_date(ds, as_of, stages):
    assays = program(ds, as_of)["lenses"]["potency"]["assays"]
    assert {a["assay_id"]: a["stage"] for a in assays} == stages


def test_a_date_after_the_as_of_date_is_not_shown(ds):
    flow = next(a for a in program(ds, D(2026, 8, 31))["lenses"]["potency"]["assays"] if a["assay_id"] == "A-FLOW")
    assert (flow["validated_on"], flow["first_result_on"], flow["results"]) == (None, "2026-01-12", 1)


def test_stage_expected_follows_the_phase_on_the_as_of_date(ds):
    """In Phase 1 (until 2026-06-01) a developing assay is enough; PT003 appears with Phase 2."""
    assert found(program(ds, D(2026, 5, 31)), {"PT003"}) == []
    assert [f["subject"] for f in found(program(ds, D(2026, 6, 1)), {"PT003"})] == ["killing"]


def test_pt003_is_silent_when_the_best_assay_is_mature_enough(tmp_path):
    t = potency_tables()
    t["assays"]["qualified_on"][2] = D(2026, 5, 1)  # A-KILL qualified: the element's best assay is now enough
    assert found(program(dataset(tmp_path, t)), {"PT003"}) == []


def test_pt003_severity_comes_from_the_expectation_row(ds, tmp_path):
    override = tmp_path / "mine.toml"
    override.write_text(
        '[expectations.potency_stage_min]\ncode = "PT003"\ntitle = "t"\nunit = "u"\nrationale = "r"\n'
        'reference = "my SOP"\nall.phase_2 = { threshold = "validated", severity = "high" }\n')
    expectations = load_expectations(override)
    assert expectations.problems == []
    p = program(ds, TODAY, expectations)
    behind = found(p, {"PT003"})
    # validated expected: antigen recognition (validated) passes; cytokine release and killing are behind
    assert [(f["subject"], f["severity"], f["reference"]) for f in behind] == [
        ("cytokine release", "high", "my SOP"), ("killing", "high", "my SOP")]
    assert p["lenses"]["potency"]["mechanisms_covered"] == 1


def test_pt002_is_silent_when_every_element_is_read_out(tmp_path):
    t = potency_tables()
    t["mechanisms"] = {"program_id": ["P1"] * 3, "mechanism": ["antigen recognition", "cytokine release", "killing"]}
    assert found(program(dataset(tmp_path, t)), {"PT002"}) == []


def test_pt004_is_silent_when_every_released_batch_has_a_potency_result(tmp_path):
    t = potency_tables()
    for batch in ("B3", "B4"):
        for column, value in zip(["batch_id", "attribute", "value", "text_value", "tested_on", "assay_id", "status"],
                                 [batch, "killing", None, "pass", D(2026, 4, 28), "A-KILL", "valid"]):
            t["results"][column].append(value)
    assert found(program(dataset(tmp_path, t)), {"PT004"}) == []


@pytest.mark.parametrize("as_of, expected", [
    (D(2026, 3, 31), []),  # B3 is in process until its disposition date
    (D(2026, 4, 1), [("PT004", "high", "administered batches")]),
    (D(2026, 4, 30), [("PT004", "high", "administered batches")]),  # B4 made, not yet released
    (D(2026, 5, 1), [("PT004", "high", "administered batches"), ("PT004", "medium", "released batches")]),
])
def test_pt004_counts_a_disposition_from_its_date(ds, as_of, expected):
    assert [c for c in codes(program(ds, as_of)) if c[0] == "PT004"] == expected


def qualitative_only(phase_history):
    """Only the pass/fail killing assay is a potency assay; the program is at the phase history's last phase."""
    t = potency_tables()
    t["assays"]["category"][1] = "strength"  # A-IFNG no longer a potency assay
    t["assays"]["category"][3] = "strength"  # nor A-NEW
    t["phase_history"] = phase_history
    return t


@pytest.mark.parametrize("history, expected", [
    ({"program_id": ["P1"], "phase": ["preclinical"], "started_on": [D(2024, 1, 1)]}, ("PT001", "low")),
    ({"program_id": ["P1"], "phase": ["phase_1"], "started_on": [D(2025, 1, 1)]}, ("PT001", "high")),
    ({"program_id": ["P1"], "phase": ["phase_2"], "started_on": [D(2025, 1, 1)]}, ("PT005", "high")),
])
def test_no_quantitative_potency_assay_by_phase(tmp_path, history, expected):
    p = program(dataset(tmp_path, qualitative_only(history)))
    quantitative = [(f["code"], f["severity"]) for f in found(p, {"PT001", "PT005"})]
    assert quantitative == [expected]


def test_pt001_and_pt005_messages(tmp_path):
    phase_1 = {"program_id": ["P1"], "phase": ["phase_1"], "started_on": [D(2025, 1, 1)]}
    pt001 = found(program(dataset(tmp_path, qualitative_only(phase_1), "p1")), {"PT001"})[0]
    assert pt001["message"] == "P1 has no potency assay with a quantitative readout; its potency assays: A-KILL (qualitative)."
    assert pt001["evidence"] == [{"assay_id": "A-KILL", "name": "Killing (visual)", "mechanism": "killing",
                                  "readout": "qualitative", "stage": "developing"}]
    phase_2 = {"program_id": ["P1"], "phase": ["phase_2"], "started_on": [D(2025, 1, 1)]}
    pt005 = found(program(dataset(tmp_path, qualitative_only(phase_2), "p2")), {"PT005"})[0]
    assert pt005["message"] == ("Every potency assay of P1 reads out pass/fail only (A-KILL); at Phase 2 a "
                                "quantitative readout is expected.")
    assert pt005["expectation"].startswith("At Phase 2 at least one potency assay has a quantitative readout")


def test_no_potency_assay_at_all_is_pt001_even_past_phase_1(tmp_path):
    t = qualitative_only({"program_id": ["P1"], "phase": ["phase_2"], "started_on": [D(2025, 1, 1)]})
    t["assays"]["category"][2] = "identity"  # A-KILL no longer a potency assay either
    pt = found(program(dataset(tmp_path, t)), {"PT001", "PT005"})
    assert [(f["code"], f["severity"], f["message"]) for f in pt] == [
        ("PT001", "high", "P1 has no potency assay at all.")]


def test_pt001_and_pt005_are_silent_with_a_quantitative_potency_assay(ds):
    assert found(program(ds), {"PT001", "PT005"}) == []


@pytest.mark.parametrize("mechanisms", [[], ["persistence"]])
def test_without_a_read_out_element_the_best_potency_assay_is_judged(tmp_path, mechanisms):
    """No element listed, or none read out by any assay: PT003 still judges the program's potency assays."""
    t = potency_tables()
    t["mechanisms"] = pa.table({"program_id": pa.array(["P1"] * len(mechanisms), pa.string()),
                                "mechanism": pa.array(mechanisms, pa.string())})
    for i in (1, 3):
        t["assays"]["qualified_on"][i] = None  # no potency assay qualified: the best is A-IFNG or A-KILL, developing
    behind = found(program(dataset(tmp_path, t)), {"PT003"})
    assert [(f["subject"], f["message"]) for f in behind] == [(
        "potency assays", "The most mature assay reading out the program's potency is A-IFNG, developing on "
                          "2026-11-24; at Phase 2 it is expected to be qualified.")]


def test_lens_tables_shape_the_matrix_and_the_timeline(ds):
    report = build_report(ds, TODAY, "P1", trend=False)
    f = report["programs"][0]["lenses"]["potency"]
    matrix = lens_tables.coverage_matrix(f)
    assert list(zip(matrix["mechanism"], matrix["assay"], matrix["label"])) == [
        ("antigen recognition", "A-FLOW", "✅ validated · quantitative"),
        ("cytokine release", "A-IFNG", "✅ qualified · quantitative"),
        ("killing", "A-KILL", "⚠️ developing · qualitative"),
        ("killing", "A-NEW", "⚠️ exploratory · quantitative"),
        ("persistence", "No assay", "⛔ read out by no assay"),
    ]
    timeline = lens_tables.stage_timeline(f, report["as_of"])
    assert timeline[timeline["assay"] == "A-KILL"][["stage", "from", "to"]].values.tolist() == [
        ["exploratory", "2024-01-01", "2025-12-05"], ["developing", "2025-12-05", "2026-11-24"]]
    assert timeline[timeline["assay"] == "A-FLOW"][["stage", "from", "to"]].values.tolist() == [
        ["exploratory", "2024-01-01", "2025-02-01"], ["qualified", "2025-02-01", "2026-09-01"],
        ["validated", "2026-09-01", "2026-11-24"]]  # first result (2026-01-12) came after qualification
    assert lens_tables.phase_rules(f)["label"].tolist() == [
        "preclinical from 2024-01-01", "Phase 1 from 2025-01-01", "Phase 2 from 2026-06-01"]
    assert lens_tables.trend_options(report) == {"A-IFNG": "A-IFNG · IFN-g release (ELISA) (P1)"}
