"""Materials & suppliers: MT001-MT004 and the lens figures on hand-made programs counted by hand."""

from __future__ import annotations

import json

import pytest

from conftest import D, TODAY, minimal_tables, write_tables
from test_cli import run_cli
from readiness.checks.lens import LensResult, records
from readiness.dataset import load_dataset
from readiness.lens_tables.materials import UnknownMaterial, batch_tiers, material_lots
from readiness.report import UnknownProgram, build_report

BATCHES = {  # P1, phase 1, autologous: B1 administered, B2 released, B3 and B4 in process, E1 engineering
    "batch_id": ["B1", "B2", "B3", "B4", "E1"],
    "program_id": ["P1"] * 5,
    "purpose": ["clinical", "clinical", "clinical", "clinical", "engineering"],
    "process_version": ["v1"] * 5,
    "manufactured_on": [D(2026, 1, 10), D(2026, 3, 10), D(2026, 6, 10), D(2026, 9, 10), D(2025, 12, 1)],
    "disposition": ["administered", "released", "in_process", "in_process", "released"],
    "disposition_on": [D(2026, 2, 1), D(2026, 4, 1), None, None, D(2025, 12, 20)],
}
CHANGES = {
    "change_id": ["C1", "C2"], "program_id": ["P1", "P1"], "title": ["Closed system", "Second vector supplier"],
    "change_type": ["process", "supplier"], "risk": ["medium", "high"], "opened_on": [D(2025, 6, 1), D(2026, 5, 1)],
    "approved_on": [D(2025, 7, 1), D(2026, 6, 15)], "comparability_required": [False, True],
}


def material(material_id, **fields) -> dict:
    """A clean material: tier 2, GMP-grade, qualified long before the first lot, never lapsing."""
    return {"material_id": material_id, "program_id": "P1", "name": material_id, "supplier": "Acme",
            "kind": "ancillary", "risk_tier": 2.0, "grade": "gmp", "qualified_on": D(2025, 11, 1),
            "requalify_by": None, "change_id": None} | fields


def tables(materials: list[dict], uses: dict[str, list[str]], **overrides) -> dict:
    """The minimal tables with BATCHES, CHANGES, the materials, and uses as {material_id: [batch_id, ...]}."""
    t = minimal_tables() | {"batches": BATCHES, "changes": CHANGES}
    t["materials"] = {k: [m[k] for m in materials] for k in materials[0]}
    pairs = [(b, m) for m, batches in uses.items() for b in batches]
    t["material_usage"] = {"batch_id": [b for b, _ in pairs], "material_id": [m for _, m in pairs],
                           "material_lot": [f"{m}-L1" for _, m in pairs]}
    return t | overrides


@pytest.fixture
def load(tmp_path):
    def build(t, name="data"):
        ds = load_dataset(write_tables(tmp_path / name, t), TODAY)
        assert ds.problems == []
        return ds
    return build


def program(ds, as_of=TODAY):
    return build_report(ds, as_of, "P1", trend=False)["programs"][0]


def found(ds, as_of=TODAY):
    return [(f["code"], f["severity"], f["subject"]) for f in program(ds, as_of)["findings"] if f["lens"] == "materials"]


def figures_tables():
    """MA clean; MB tier 4 qualified 2026-02-01 (after B1) lapsing 2026-08-01 (before B4); MC research-grade tier 3,
    never qualified, in B3; MD never used nor qualified."""
    return tables(
        [material("MA"), material("MB", risk_tier=4.0, kind="vector", qualified_on=D(2026, 2, 1),
                                  requalify_by=D(2026, 8, 1)),
         material("MC", risk_tier=3.0, grade="research", qualified_on=None),
         material("MD", risk_tier=1.0, kind="consumable", qualified_on=None)],
        {"MA": ["B1", "B2", "B3", "B4", "E1"], "MB": ["B1", "B2", "B4"], "MC": ["B3"]})


def test_figures_count_by_hand(load):
    ds = load(figures_tables())
    figures = program(ds)["lenses"]["materials"]
    assert {k: v for k, v in figures.items() if k != "material_list"} == {
        "material_data": True,
        "materials": 4,
        "materials_not_qualified": 2,  # MC, MD
        "materials_lapsed": 1,  # MB, past 2026-08-01
        "materials_by_tier": [
            {"risk_tier": 1, "qualified": 0, "lapsed": 0, "not_qualified": 1},
            {"risk_tier": 2, "qualified": 1, "lapsed": 0, "not_qualified": 0},
            {"risk_tier": 3, "qualified": 0, "lapsed": 0, "not_qualified": 1},
            {"risk_tier": 4, "qualified": 0, "lapsed": 1, "not_qualified": 0},
        ],
        "gmp_batches": 4,  # E1 is an engineering lot
        "gmp_batches_all_qualified": 1,  # B2 only: B1 had MB unqualified, B3 MC, B4 MB lapsed
        "share_gmp_batches_all_qualified": 0.25,
        "qualified_batches_by_month": [
            {"month": "2026-01", "batches": 1, "all_qualified": 0, "share": 0.0},
            {"month": "2026-03", "batches": 1, "all_qualified": 1, "share": 1.0},
            {"month": "2026-06", "batches": 1, "all_qualified": 0, "share": 0.0},
            {"month": "2026-09", "batches": 1, "all_qualified": 0, "share": 0.0},
        ],
    }
    assert [(m["material_id"], m["state"], m["batches"], m["gmp_batches"], m["first_used"], m["last_used"])
            for m in figures["material_list"]] == [  # highest tier first
        ("MB", "lapsed", 3, 3, "2026-01-10", "2026-09-10"),
        ("MC", "not_qualified", 1, 1, "2026-06-10", "2026-06-10"),
        ("MA", "qualified", 5, 4, "2025-12-01", "2026-09-10"),
        ("MD", "not_qualified", 0, 0, None, None),
    ]
    assert [tuple(r.values()) for r in records(batch_tiers(ds, TODAY, "P1"))] == [  # highest tier first, by date
        ("B1", "2026-01-10", "Tier 4", 1, "⛔ Not qualified"),
        ("B2", "2026-03-10", "Tier 4", 1, "✅ Qualified"),
        ("B4", "2026-09-10", "Tier 4", 1, "⚠️ Past its requalify-by date"),
        ("B3", "2026-06-10", "Tier 3", 1, "⛔ Not qualified"),
        ("B1", "2026-01-10", "Tier 2", 1, "✅ Qualified"),
        ("B2", "2026-03-10", "Tier 2", 1, "✅ Qualified"),
        ("B3", "2026-06-10", "Tier 2", 1, "✅ Qualified"),
        ("B4", "2026-09-10", "Tier 2", 1, "✅ Qualified"),
    ]
    assert [(r["batch_id"], r["risk_tier"], r["state"]) for r in records(batch_tiers(ds, D(2026, 3, 31), "P1"))] == [
        ("B1", "Tier 4", "⛔ Not qualified"), ("B2", "Tier 4", "✅ Qualified"),
        ("B1", "Tier 2", "✅ Qualified"), ("B2", "Tier 2", "✅ Qualified")]  # B3 and B4 not made yet
    assert list(batch_tiers(ds, D(2025, 12, 15), "P1").columns) == ["batch_id", "manufactured_on", "risk_tier",
                                                                    "materials", "state"]
    assert batch_tiers(ds, D(2025, 12, 15), "P1").empty  # only the engineering lot E1 made by then
    with pytest.raises(UnknownProgram):
        batch_tiers(ds, TODAY, "NOPE")
    assert records(material_lots(ds, TODAY, "MB")) == [
        {"batch_id": "B1", "purpose": "clinical", "manufactured_on": "2026-01-10", "disposition": "administered",
         "material_lot": "MB-L1", "qualification_when_made": "⛔ Not qualified"},
        {"batch_id": "B2", "purpose": "clinical", "manufactured_on": "2026-03-10", "disposition": "released",
         "material_lot": "MB-L1", "qualification_when_made": "✅ Qualified"},
        {"batch_id": "B4", "purpose": "clinical", "manufactured_on": "2026-09-10", "disposition": "in_process",
         "material_lot": "MB-L1", "qualification_when_made": "⚠️ Past its requalify-by date"}]
    assert [(r["batch_id"], r["disposition"]) for r in records(material_lots(ds, D(2026, 3, 31), "MB"))] == [
        ("B1", "administered"), ("B2", "in_process")]  # as of 31 March: B4 not made, B2 released on 1 April
    assert material_lots(ds, TODAY, "MD").empty  # known, never used
    with pytest.raises(UnknownMaterial):
        material_lots(ds, TODAY, "NOPE")
    with pytest.raises(UnknownMaterial):
        material_lots(ds, D(2025, 10, 1), "MA")  # neither used nor qualified yet on that day


def test_cli_material_lots_lists_what_the_page_lists(tmp_path):
    data = write_tables(tmp_path / "d", figures_tables())
    args = ["material-lots", "--data", str(data), "--material", "MB", "--as-of", TODAY.isoformat()]
    code, out, _ = run_cli(*args)
    assert code == 0
    assert json.loads(out) == records(material_lots(load_dataset(data), TODAY, "MB"))
    assert [row["qualification_when_made"] for row in json.loads(out)] == [
        "⛔ Not qualified", "✅ Qualified", "⚠️ Past its requalify-by date"]
    code, out, _ = run_cli(*args, "--format", "csv")
    assert code == 0 and out.splitlines() == [
        "batch_id,purpose,manufactured_on,disposition,material_lot,qualification_when_made",
        "B1,clinical,2026-01-10,administered,MB-L1,⛔ Not qualified",
        "B2,clinical,2026-03-10,released,MB-L1,✅ Qualified",
        "B4,clinical,2026-09-10,in_process,MB-L1,⚠️ Past its requalify-by date"]
    code, _, err = run_cli(*args[:4], "NOPE", "--as-of", TODAY.isoformat())
    assert code == 2 and err.strip() == f"error: no material 'NOPE' known on {TODAY.isoformat()} in {data}"


def test_cli_lot_tiers_lists_what_the_page_charts(tmp_path):
    data = write_tables(tmp_path / "d", figures_tables())
    args = ["lot-tiers", "--data", str(data), "--program", "P1", "--as-of", "2026-03-31"]
    code, out, _ = run_cli(*args)
    assert code == 0
    assert json.loads(out) == records(batch_tiers(load_dataset(data), D(2026, 3, 31), "P1"))
    code, out, _ = run_cli(*args, "--format", "csv")
    assert code == 0 and out.splitlines() == [
        "batch_id,manufactured_on,risk_tier,materials,state",
        "B1,2026-01-10,Tier 4,1,⛔ Not qualified",
        "B2,2026-03-10,Tier 4,1,✅ Qualified",
        "B1,2026-01-10,Tier 2,1,✅ Qualified",
        "B2,2026-03-10,Tier 2,1,✅ Qualified"]
    code, _, err = run_cli(*args[:4], "NOPE")
    assert code == 2 and err.strip() == f"error: no program 'NOPE' in {data}"


def test_every_code_fires_on_the_figures_fixture(load):
    assert found(load(figures_tables())) == [
        ("MT001", "high", "MB"),  # B1 made before MB was qualified, and administered
        ("MT001", "medium", "MC"),  # B3 still in process
        ("MT002", "medium", "MC"),  # research-grade tier 3, unqualified, in a Phase 1 lot: threshold tier 3
        ("MT003", "medium", "MB"),  # B4 made after MB's requalify-by date
    ]


def test_mt001_message_and_evidence(load):
    f = next(f for f in program(load(figures_tables()))["findings"] if f["code"] == "MT001" and f["subject"] == "MB")
    assert f["message"] == ("MB from Acme (material MB, tier 4) went into 1 GMP lot made on 2026-01-10 before it was "
                            "qualified; it was qualified on 2026-02-01, after that lot, and 1 has been released or "
                            "administered.")
    assert f["evidence"] == [{"batch_id": "B1", "purpose": "clinical", "manufactured_on": "2026-01-10",
                              "disposition": "administered", "disposition_on": "2026-02-01", "material_lot": "MB-L1",
                              "qualified_on": "2026-02-01"}]
    assert "USP <1043>" in f["reference"]


def test_a_clean_program_has_no_materials_findings(load):
    ds = load(tables([material("MA"), material("MB", risk_tier=4.0, requalify_by=D(2027, 6, 1))],
                     {"MA": ["B1", "B2", "B3", "B4"], "MB": ["B1", "B2", "B3", "B4"]}))
    assert found(ds) == []
    p = program(ds)
    assert p["lens_status"]["materials"]["status"] == "on_track"
    assert p["lenses"]["materials"]["share_gmp_batches_all_qualified"] == 1.0


def test_mt001_ignores_lots_that_are_not_gmp(load):
    ds = load(tables([material("MA", qualified_on=D(2026, 1, 1))], {"MA": ["E1", "B1"]}))
    assert found(ds) == []  # E1, an engineering lot made before qualification, is not a GMP lot


@pytest.mark.parametrize("as_of, expected", [
    (D(2026, 1, 20), [("MT001", "medium", "MB")]),  # B1 made, not qualified, not yet administered
    (D(2026, 2, 1), [("MT001", "high", "MB")]),  # administered, and MB qualified that very day: still flagged
    (TODAY, [("MT001", "high", "MB")]),  # qualifying the material afterwards never clears the lot
])
def test_qualification_after_the_lot_was_made_still_flags_it(load, as_of, expected):
    ds = load(tables([material("MA"), material("MB", qualified_on=D(2026, 2, 1))], {"MA": ["B1"], "MB": ["B1"]}))
    assert found(ds, as_of) == expected
    f = next(f for f in program(ds, as_of)["findings"] if f["code"] == "MT001")
    assert ("still not qualified" in f["message"]) == (as_of < D(2026, 2, 1))


def test_a_material_is_known_from_its_first_use_or_qualification(load):
    figures = program(load(figures_tables()), D(2026, 3, 1))["lenses"]["materials"]
    # MC is first used on 2026-06-10 and never qualified: not known yet; MD has no date at all: always listed
    assert [(m["material_id"], m["state"]) for m in figures["material_list"]] == [
        ("MB", "qualified"), ("MA", "qualified"), ("MD", "not_qualified")]
    assert figures["gmp_batches"] == 1
    assert (figures["gmp_batches_all_qualified"], figures["qualified_batches_by_month"]) == (  # MB qualified after B1
        0, [{"month": "2026-01", "batches": 1, "all_qualified": 0, "share": 0.0}])
    # what a known material went into counts only the lots made by that day (B1 and E1; B2 to B4 come later)
    assert [(m["material_id"], m["batches"], m["gmp_batches"], m["first_used"],
             m["last_used"]) for m in figures["material_list"]] == [
        ("MB", 1, 1, "2026-01-10", "2026-01-10"),
        ("MA", 2, 1, "2025-12-01", "2026-01-10"),
        ("MD", 0, 0, None, None)]


@pytest.mark.parametrize("fields, expected", [
    ({"risk_tier": 3.0, "grade": "research"}, [("MT001", "medium", "MX"), ("MT002", "medium", "MX")]),
    ({"risk_tier": 2.0, "grade": "research"}, [("MT001", "medium", "MX")]),  # below the Phase 1 tier threshold
    ({"risk_tier": 4.0, "grade": "gmp"}, [("MT001", "medium", "MX")]),  # GMP-grade satisfies MT002
    ({"risk_tier": 4.0, "grade": "other", "qualified_on": D(2026, 5, 1)}, []),  # qualified before B3 was made
])
def test_mt002_threshold_grade_and_qualification(load, fields, expected):
    ds = load(tables([material("MA"), material("MX", qualified_on=None) | fields], {"MA": ["B3"], "MX": ["B3"]}))
    assert found(ds) == expected


def test_mt002_takes_threshold_and_severity_from_the_phase_row(load):
    t = tables([material("MA"), material("MX", risk_tier=1.0, grade="research", qualified_on=None)],
               {"MA": ["B3"], "MX": ["B3"]})
    t["programs"] = t["programs"] | {"phase": ["phase_3"]}
    ds = load(t)
    assert found(ds) == [("MT002", "high", "MX"), ("MT001", "medium", "MX")]  # Phase 3: every tier, high
    f = next(f for f in program(ds)["findings"] if f["code"] == "MT002")
    assert f["expectation"].startswith("At Phase 3, every material of risk tier 1 or higher is GMP-grade or "
                                       "qualified (threshold: tier 1, high).")
    assert f["message"] == ("MX from Acme (material MX, tier 1) is research-grade and not qualified, yet went into "
                            "1 GMP lot in Phase 3; at Phase 3 a material of tier 1 or higher must be GMP-grade or "
                            "qualified. Qualify or replace it before the next lot.")


def test_mt002_looks_only_at_lots_of_the_phase_in_force(load):
    t = tables([material("MA"), material("MX", risk_tier=3.0, grade="research", qualified_on=None)],
               {"MA": ["B3", "B4"], "MX": ["B3"]})
    t["phase_history"] = {"program_id": ["P1", "P1"], "phase": ["phase_1", "phase_2"],
                          "started_on": [D(2025, 1, 1), D(2026, 7, 1)]}
    ds = load(t)
    assert found(ds) == [("MT001", "medium", "MX")]  # MX went only into B3, made in Phase 1
    assert found(ds, D(2026, 6, 30)) == [("MT001", "medium", "MX"), ("MT002", "medium", "MX")]


def test_mt002_counts_the_lots_made_by_the_day(load):
    ds = load(tables([material("MA"), material("MX", risk_tier=3.0, grade="research", qualified_on=None)],
                     {"MA": ["B1", "B4"], "MX": ["B1", "B4"]}))
    messages = {day: [f["message"] for f in program(ds, day)["findings"] if f["code"] == "MT002"]
                for day in (D(2026, 6, 30), TODAY)}
    assert messages == {day: [f"MX from Acme (material MX, tier 3) is research-grade and not qualified, yet went into "
                              f"{lots} in Phase 1; at Phase 1 a material of tier 3 or higher must be GMP-grade or "
                              "qualified. Qualify or replace it before the next lot."]
                        for day, lots in ((D(2026, 6, 30), "1 GMP lot"), (TODAY, "2 GMP lots"))}  # B4: 2026-09-10


@pytest.mark.parametrize("requalify_by, as_of, expected", [
    (D(2026, 5, 1), TODAY, [("MT003", "medium", "MA")]),  # B3 and B4 made after 2026-05-01
    (D(2026, 5, 1), D(2026, 4, 30), []),  # nothing made after it yet
    (D(2026, 9, 10), TODAY, []),  # B4 made on the requalify-by day itself: still in date
    (D(2027, 6, 1), TODAY, []),
])
def test_mt003_lots_made_after_the_requalify_by_date(load, requalify_by, as_of, expected):
    ds = load(tables([material("MA", requalify_by=requalify_by)], {"MA": ["B1", "B2", "B3", "B4"]}))
    assert found(ds, as_of) == expected


def test_mt003_lists_the_lots_made_after_the_date(load):
    ds = load(tables([material("MA", requalify_by=D(2026, 5, 1))], {"MA": ["B1", "B2", "B3", "B4"]}))
    f = next(f for f in program(ds)["findings"] if f["code"] == "MT003")
    assert [e["batch_id"] for e in f["evidence"]] == ["B3", "B4"]
    assert f["message"] == ("MA from Acme (material MA, tier 2) was past its requalify-by date (2026-05-01) when "
                            "2 GMP lots were made with it, the latest on 2026-09-10; requalify it or stop using it.")


def supplier_tables(new_vector: dict, uses=None):
    """The vector from S1 in B1 and B2, then from S2 (`new_vector`'s fields) in B3 and B4."""
    return tables([material("V1", name="Vector", supplier="S1", kind="vector", risk_tier=4.0),
                   material("V2", name="VECTOR ", supplier="S2", kind="vector", risk_tier=4.0) | new_vector],
                  uses or {"V1": ["B1", "B2"], "V2": ["B3", "B4"]})


@pytest.mark.parametrize("new_vector, expected", [
    ({"change_id": "C2"}, [("MT004", "medium", "V2")]),  # C2 approved 2026-06-15, after B3 (2026-06-10)
    ({}, [("MT004", "medium", "V2")]),  # no change record named at all
    ({"change_id": "C1"}, [("MT004", "medium", "V2")]),  # a process change is not a supplier change
    ({"supplier": "s1 ", "change_id": None}, []),  # the same supplier, spelt differently: not a change
])
def test_mt004_fires_without_a_supplier_change_approved_in_time(load, new_vector, expected):
    assert found(load(supplier_tables(new_vector))) == expected


def test_mt004_fine_twin_approved_before_the_first_lot(load):
    t = supplier_tables({"change_id": "C2"})
    t["changes"] = CHANGES | {"approved_on": [D(2025, 7, 1), D(2026, 6, 10)]}  # approved the day B3 was made
    assert found(load(t)) == []


def test_mt004_lists_lots_made_before_approval(load):
    ds = load(supplier_tables({"change_id": "C2"}))
    f = next(f for f in program(ds)["findings"] if f["code"] == "MT004")
    assert f["message"] == ("VECTOR from S2 (material V2) replaced S1 from 2026-06-10, but change C2 (Second vector "
                            "supplier) was only approved on 2026-06-15. 1 GMP lot was made with it before an approved "
                            "supplier change; none has been released or administered yet.")
    assert [(e["batch_id"], e["change_id"], e["approved_on"], e["previous_suppliers"]) for e in f["evidence"]] == [
        ("B3", "C2", "2026-06-15", "S1")]
    # before the approval the change is not approved yet, and every lot with the new vector counts
    early = next(f for f in program(ds, D(2026, 6, 12))["findings"] if f["code"] == "MT004")
    assert "change C2 (Second vector supplier) is not approved" in early["message"]


def test_mt004_is_high_when_a_lot_with_the_new_supplier_left_qa(load):
    ds = load(supplier_tables({}, {"V1": ["B1"], "V2": ["B2", "B3"]}))
    assert found(ds) == [("MT004", "high", "V2")]  # B2 was released


def test_mt004_counts_only_gmp_lots(load):
    ds = load(supplier_tables({"change_id": "C2"}, {"V1": ["B1", "B2"], "V2": ["E1", "B4"]}))
    assert found(ds) == []  # E1 (engineering) used the new vector first; its first GMP lot B4 follows approval


def test_without_material_tables_the_lens_is_not_assessed(load):
    p = program(load(minimal_tables()))
    assert p["lens_status"]["materials"] == {"status": "not_assessed", "score": None,
                                             "findings": {"high": 0, "medium": 0, "low": 0}}
    figures = p["lenses"]["materials"]
    assert figures["material_data"] is False and figures["materials"] == 0 and figures["material_list"] == []


def test_a_program_without_materials_is_not_assessed_while_another_is(load):
    t = figures_tables()
    t["programs"] = {"program_id": ["P1", "P2"], "name": ["Test CAR-T", "Other"],
                     "modality": ["autologous_cell", "aav"], "phase": ["phase_1", "phase_1"]}
    report = build_report(load(t), TODAY, trend=False)
    status = {p["program_id"]: p["lens_status"]["materials"]["status"] for p in report["programs"]}
    assert status == {"P1": "off_track", "P2": "not_assessed"}


def test_only_materials_without_usage_is_not_assessed(load):
    t = figures_tables()
    del t["material_usage"]
    assert program(load(t))["lens_status"]["materials"]["status"] == "not_assessed"


def test_an_unusable_materials_table_makes_the_lens_unknown(tmp_path):
    t = figures_tables()
    del t["materials"]["grade"]
    ds = load_dataset(write_tables(tmp_path / "data", t), TODAY)
    assert [p.code for p in ds.problems] == ["missing_column"]
    assert program(ds)["lens_status"]["materials"]["status"] == "unknown"


def test_without_material_tables_a_broken_changes_table_leaves_the_lens_not_assessed(load, tmp_path):
    t = minimal_tables()
    del t["changes"]
    ds = load_dataset(write_tables(tmp_path / "data", t), TODAY)
    assert ds.tables["changes"].status == "blocked"
    assert program(ds)["lens_status"]["materials"]["status"] == "not_assessed"


def test_lens_result_is_assessed_by_default():
    assert LensResult({}).assessed is True


def test_risk_tier_must_be_a_whole_number_from_1_to_4(tmp_path):
    t = tables([material(f"M{n}", risk_tier=tier) for n, tier in enumerate([1.0, 4.0, 2.5, 0.0, 5.0])], {"M0": ["B1"]})
    ds = load_dataset(write_tables(tmp_path / "data", t), TODAY)
    [problem] = ds.problems
    assert (problem.code, problem.severity, problem.table, problem.column, problem.row_count) == (
        "risk_tier_out_of_range", "warning", "materials", "risk_tier", 3)
    assert problem.message == "3 rows excluded: risk_tier must be a whole number from 1 to 4."
    assert [(r.row, r.key) for r in problem.examples] == [(3, {"material_id": "M2"}), (4, {"material_id": "M3"}),
                                                          (5, {"material_id": "M4"})]
    assert ds.con.execute("SELECT material_id FROM materials ORDER BY 1").fetchall() == [("M0",), ("M1",)]


def test_a_material_of_another_program_cannot_go_into_a_batch(tmp_path):
    t = tables([material("MA"), material("MZ", program_id="P2")], {"MA": ["B1"], "MZ": ["B2"]})
    t["programs"] = {"program_id": ["P1", "P2"], "name": ["Test CAR-T", "Other"],
                     "modality": ["autologous_cell", "aav"], "phase": ["phase_1", "phase_1"]}
    ds = load_dataset(write_tables(tmp_path / "data", t), TODAY)
    [problem] = ds.problems
    assert (problem.code, problem.table, problem.column, problem.row_count) == (
        "material_of_another_program", "material_usage", "material_id", 1)
    assert problem.examples[0].key == {"batch_id": "B2", "material_id": "MZ"}


def test_report_for_all_programs_equals_the_one_program_report(load):
    ds = load(figures_tables())
    assert build_report(ds, TODAY, trend=False)["programs"] == build_report(ds, TODAY, "P1", trend=False)["programs"]


def test_each_program_of_a_portfolio_gets_its_own_materials_figures_and_findings(load):
    """The lens converts each answer once for every program and cuts it by program: a second program, a copy
    of the first under other ids, gets its own rows and findings, as in its one-program report."""
    t = figures_tables()
    renamed = {"batches": ("batch_id",), "changes": ("change_id",), "materials": ("material_id",),
               "material_usage": ("batch_id", "material_id", "material_lot")}
    for name, keys in renamed.items():
        copy = {k: ["P2" if k == "program_id" else f"{v}-2" if k in keys else v for v in values]
                for k, values in t[name].items()}
        t[name] = {k: values + copy[k] for k, values in t[name].items()}
    t["programs"] = {"program_id": ["P1", "P2"], "name": ["Test CAR-T", "Copy"],
                     "modality": ["autologous_cell", "autologous_cell"], "phase": ["phase_1", "phase_1"]}
    ds = load(t)
    both = {p["program_id"]: p for p in build_report(ds, TODAY, trend=False)["programs"]}
    for pid in ("P1", "P2"):
        alone = build_report(ds, TODAY, pid, trend=False)["programs"][0]
        assert both[pid]["lenses"]["materials"] == alone["lenses"]["materials"]
        assert [f for f in both[pid]["findings"] if f["lens"] == "materials"] == \
            [f for f in alone["findings"] if f["lens"] == "materials"]
    assert [m["material_id"] for m in both["P2"]["lenses"]["materials"]["material_list"]] == [
        "MB-2", "MC-2", "MA-2", "MD-2"]
    assert [r["batch_id"] for r in records(material_lots(ds, TODAY, "MA-2"))] == ["E1-2", "B1-2", "B2-2", "B3-2",
                                                                                  "B4-2"]
    assert [(f["code"], f["subject"]) for f in both["P2"]["findings"] if f["lens"] == "materials"] == [
        ("MT001", "MB-2"), ("MT001", "MC-2"), ("MT002", "MC-2"), ("MT003", "MB-2")]



def test_a_lot_made_with_two_lots_of_one_material_counts_once(load):
    """The counts are of batches and of materials, not of bill-of-materials rows: B1 took MB from two lots."""
    t = figures_tables()
    for column, value in (("batch_id", "B1"), ("material_id", "MB"), ("material_lot", "MB-L2")):
        t["material_usage"][column] = t["material_usage"][column] + [value]
    ds = load(t)
    figures = program(ds)["lenses"]["materials"]
    mb = next(m for m in figures["material_list"] if m["material_id"] == "MB")
    assert (mb["batches"], mb["gmp_batches"]) == (3, 3)
    assert [(r["batch_id"], r["risk_tier"], r["materials"]) for r in records(batch_tiers(ds, TODAY, "P1"))
            if r["batch_id"] == "B1"] == [("B1", "Tier 4", 1), ("B1", "Tier 2", 1)]
    assert figures["qualified_batches_by_month"][0] == {"month": "2026-01", "batches": 1, "all_qualified": 0,
                                                         "share": 0.0}
    assert [(r["batch_id"], r["material_lot"]) for r in records(material_lots(ds, TODAY, "MB"))] == [
        ("B1", "MB-L1"), ("B1", "MB-L2"), ("B2", "MB-L1"), ("B4", "MB-L1")]
