"""Change control (CC001-CC004) and comparability (CP001-CP003) on hand-made programs counted by hand."""

from __future__ import annotations

import datetime as dt
import statistics

import pyarrow as pa
import pytest
from statsmodels.stats.weightstats import CompareMeans

from conftest import D, TODAY, minimal_tables, write_tables
from readiness.dataset import load_dataset
from readiness.report import build_report
from readiness.stats.comparability import quality_range, tost_equivalence

PRE = [88.0, 89.0, 90.0, 91.0, 92.0]  # mean 90, SD sqrt(2.5) = 1.5811: range 90 ± 4.743 = [85.257, 94.743]
SIMILAR = [89.0, 90.0, 91.0, 90.0, 90.0]  # all inside; 90% CI of the difference ±1.44 inside ±2.372: equivalent
SHIFTED = [84.0, 85.0, 86.0, 87.0, 85.0]  # 84, 85, 85 outside; difference -4.6, beyond ±2.372: not shown
V1_MADE = [D(2026, 1, 5), D(2026, 1, 12), D(2026, 1, 19), D(2026, 1, 26), D(2026, 2, 2)]
V2_MADE = [D(2026, 3, 2), D(2026, 3, 9), D(2026, 3, 16), D(2026, 3, 23), D(2026, 3, 30)]

CHANGE_SCHEMA = pa.schema([
    ("change_id", pa.string()), ("program_id", pa.string()), ("title", pa.string()), ("change_type", pa.string()),
    ("risk", pa.string()), ("opened_on", pa.date32()), ("approved_on", pa.date32()), ("implemented_on", pa.date32()),
    ("closed_on", pa.date32()), ("to_process_version", pa.string()), ("comparability_required", pa.bool_()),
    ("comparability_completed_on", pa.date32()),
])


def change(change_id="C2", **fields) -> dict:
    """C2, the well-run change to v2: approved before implementation, comparability done first, closed."""
    row = {"change_id": change_id, "program_id": "P1", "title": "Closed system", "change_type": "process",
           "risk": "high", "opened_on": D(2026, 2, 1), "approved_on": D(2026, 2, 10),
           "implemented_on": D(2026, 2, 20), "closed_on": D(2026, 4, 30), "to_process_version": "v2",
           "comparability_required": True, "comparability_completed_on": D(2026, 2, 25)}
    return row | fields


def lot(batch_id, version, made, viability, disposition="administered", purpose="clinical") -> tuple:
    return batch_id, version, made, viability, disposition, purpose


def tables(lots: list[tuple], changes: list[dict], phase_history=None) -> dict:
    """P1, autologous, Phase 1; one numeric CQA (viability), tested the day after manufacture.

    Released, administered and rejected lots are so 21 days after manufacture; the others stay in process.
    """
    t = minimal_tables()
    t["batches"] = {
        "batch_id": [x[0] for x in lots], "program_id": ["P1"] * len(lots), "purpose": [x[5] for x in lots],
        "process_version": [x[1] for x in lots], "manufactured_on": [x[2] for x in lots],
        "disposition": [x[4] for x in lots],
        "disposition_on": [x[2] + dt.timedelta(days=21) if x[4] != "in_process" else None for x in lots],
    }
    measured = [x for x in lots if x[3] is not None]
    t["results"] = {"batch_id": [x[0] for x in measured], "attribute": ["viability"] * len(measured),
                    "value": [x[3] for x in measured], "text_value": [None] * len(measured),
                    "tested_on": [x[2] + dt.timedelta(days=1) for x in measured]}
    t["changes"] = pa.Table.from_pylist(changes, schema=CHANGE_SCHEMA)
    if phase_history:
        t["phase_history"] = phase_history
    return t


def base_lots(post=SIMILAR, made=V2_MADE) -> list[tuple]:
    return ([lot(f"B0{i + 1}", "v1", m, v) for i, (m, v) in enumerate(zip(V1_MADE, PRE))]
            + [lot(f"B{i + 6:02d}", "v2", m, v) for i, (m, v) in enumerate(zip(made, post))])


def program(tmp_path, lots, changes, as_of=TODAY, phase_history=None, name="data") -> dict:
    ds = load_dataset(write_tables(tmp_path / name, tables(lots, changes, phase_history)), TODAY)
    assert ds.problems == []
    return build_report(ds, as_of, "P1", trend=False)["programs"][0]


def found(p: dict) -> list[tuple]:
    return [(f["code"], f["severity"], f["subject"]) for f in p["findings"] if f["lens"] == "changes"]


def by_code(p: dict, code: str) -> dict:
    return next(f for f in p["findings"] if f["code"] == code)


def test_the_well_run_change_is_silent(tmp_path):
    p = program(tmp_path, base_lots(), [change()])
    assert found(p) == []
    assert p["lens_status"]["changes"] == {"status": "on_track", "score": 100,
                                           "findings": {"high": 0, "medium": 0, "low": 0}}


# --- CC001: undocumented process version ------------------------------------------------------------------------

def test_cc001_lots_of_a_version_no_change_introduces(tmp_path):
    p = program(tmp_path, base_lots(), [])
    assert found(p) == [("CC001", "high", "v2")]
    f = by_code(p, "CC001")
    assert f["message"] == ("5 lots made with process version v2 (2026-03-02 to 2026-03-30: B06, B07, B08, B09, B10), "
                            "and no change record introduces it; 5 of them released or administered.")
    assert [e["batch_id"] for e in f["evidence"]] == ["B06", "B07", "B08", "B09", "B10"]
    assert f["evidence"][0] == {"batch_id": "B06", "purpose": "clinical", "process_version": "v2",
                                "manufactured_on": "2026-03-02", "disposition": "administered",
                                "disposition_on": "2026-03-23", "introduced_by": None,
                                "introduced_approved_on": None}
    versions = {v["process_version"]: v for v in p["lenses"]["changes"]["process_versions"]}
    assert versions["v1"]["first_version"] and versions["v1"]["undocumented_batches"] == 0
    assert (versions["v2"]["introduced_by"], versions["v2"]["undocumented_batches"]) == (None, 5)


def test_cc001_the_first_version_needs_no_change_and_development_lots_are_not_checked(tmp_path):
    lots = [lot("DEV1", "v0", D(2025, 12, 1), None, "released", "development")] + base_lots()
    first_clinical = change("C1", to_process_version="v1", opened_on=D(2025, 12, 10), approved_on=D(2025, 12, 20),
                            implemented_on=None, comparability_required=False, comparability_completed_on=None)
    p = program(tmp_path, lots, [first_clinical, change()])
    assert found(p) == []  # v0 is the first version (earliest batch); v1 and v2 both introduced in time
    lots = base_lots() + [lot("DEV2", "v3", D(2026, 4, 6), None, "released", "development")]
    assert found(program(tmp_path, lots, [change()], name="dev")) == []


def test_cc001_a_lot_made_before_its_version_was_approved_stays_flagged_after_approval(tmp_path):
    late = change(approved_on=D(2026, 3, 20), implemented_on=None)  # B06-B08 made before, B09-B10 after
    p = program(tmp_path, base_lots(), [late])
    f = by_code(p, "CC001")
    assert [e["batch_id"] for e in f["evidence"]] == ["B06", "B07", "B08"]
    assert f["message"] == ("3 lots made with process version v2 (2026-03-02 to 2026-03-16: B06, B07, B08), and C2 "
                            "introduces it but was approved only on 2026-03-20, after these lots were made; 3 of "
                            "them released or administered.")


def test_cc001_a_change_approved_after_the_as_of_date_does_not_cover_a_lot(tmp_path):
    late = change(approved_on=D(2026, 3, 20), implemented_on=None)
    p = program(tmp_path, base_lots(), [late], as_of=D(2026, 3, 18))
    f = by_code(p, "CC001")
    assert [e["batch_id"] for e in f["evidence"]] == ["B06", "B07", "B08"]
    assert f["message"].startswith("3 lots made with process version v2 (2026-03-02 to 2026-03-16: B06, B07, B08), "
                                   "and C2 introduces it but is not approved; 0 of them released")
    assert {e["introduced_approved_on"] for e in f["evidence"]} == {None}  # the approval is not known yet


# --- CC002: implemented before approval -------------------------------------------------------------------------

def test_cc002_high_when_lots_made_before_approval_were_released(tmp_path):
    early = change(approved_on=D(2026, 3, 20))  # implemented 2026-02-20
    p = program(tmp_path, base_lots(), [early])
    assert ("CC002", "high", "C2") in found(p)
    f = by_code(p, "CC002")
    assert f["message"] == ("C2 (Closed system) was implemented on 2026-02-20 and was approved only on 2026-03-20; "
                            "3 lots made under it before approval were released or administered (B06, B07, B08).")
    assert [e["batch_id"] for e in f["evidence"]] == ["B06", "B07", "B08"]
    assert f["evidence"][0]["implemented_on"] == "2026-02-20" and f["evidence"][0]["approved_on"] == "2026-03-20"


def test_cc002_medium_while_nothing_made_under_it_reached_release(tmp_path):
    early = change(approved_on=D(2026, 3, 20))
    p = program(tmp_path, base_lots(), [early], as_of=D(2026, 3, 10))  # B06, B07 still in process
    f = by_code(p, "CC002")
    assert (f["severity"], f["subject"]) == ("medium", "C2")
    assert f["message"] == ("C2 (Closed system) was implemented on 2026-02-20 and is not approved; no lot made "
                            "under it before approval was released or administered.")


def test_cc002_a_change_without_a_process_version_covers_every_lot_made_since_implementation(tmp_path):
    supplier = change("S1", title="Second vector supplier", change_type="supplier", to_process_version=None,
                      opened_on=D(2026, 3, 1), approved_on=None, implemented_on=D(2026, 3, 10), closed_on=None,
                      comparability_required=False, comparability_completed_on=None)
    p = program(tmp_path, base_lots(), [change(), supplier])
    f = by_code(p, "CC002")
    assert (f["severity"], f["subject"]) == ("high", "S1")
    assert [e["batch_id"] for e in f["evidence"]] == ["B08", "B09", "B10"]


def test_cc002_silent_when_approved_first(tmp_path):
    p = program(tmp_path, base_lots(), [change(approved_on=D(2026, 2, 20))])  # same day counts as in time
    assert "CC002" not in [c for c, _, _ in found(p)]


# --- CC003: open too long ---------------------------------------------------------------------------------------

def incubator(opened: dt.date, risk="medium", closed=None) -> dict:
    return change("E1", title="New incubators", change_type="equipment", risk=risk, opened_on=opened,
                  approved_on=None, implemented_on=None, closed_on=closed, to_process_version=None,
                  comparability_required=False, comparability_completed_on=None)


def test_cc003_open_longer_than_its_risk_allows(tmp_path):
    p = program(tmp_path, base_lots(), [change(), incubator(TODAY - dt.timedelta(days=121))])
    assert found(p) == [("CC003", "medium", "E1")]
    f = by_code(p, "CC003")
    assert f["message"] == ("E1 (New incubators, medium risk) has been open 121 days since 2026-07-26; at Phase 1 a "
                            "medium-risk change should close within 120 days.")
    assert f["expectation"] == ("A medium-risk change closes within 120 days at Phase 1 (the Phase 1 row: low 180, "
                                "medium 120, high 90 days).")
    assert f["reference"].startswith("ICH Q10 (2008)")
    assert f["evidence"][0]["age_days"] == 121 and f["evidence"][0]["allowed_days"] == 120


@pytest.mark.parametrize("opened, closed", [
    (TODAY - dt.timedelta(days=120), None),  # exactly the age allowed
    (TODAY - dt.timedelta(days=300), TODAY - dt.timedelta(days=1)),  # closed
])
def test_cc003_silent_within_age_or_closed(tmp_path, opened, closed):
    assert found(program(tmp_path, base_lots(), [change(), incubator(opened, closed=closed)])) == []


def test_cc003_takes_days_and_severity_from_the_phase_row(tmp_path):
    history = {"program_id": ["P1", "P1"], "phase": ["phase_1", "phase_3"],
               "started_on": [D(2025, 1, 1), D(2026, 6, 1)]}
    p = program(tmp_path, base_lots(), [change(), incubator(TODAY - dt.timedelta(days=91))], phase_history=history)
    assert found(p) == [("CC003", "high", "E1")]  # Phase 3: a medium-risk change closes within 90 days
    open_row = next(c for c in p["lenses"]["changes"]["change_list"] if c["change_id"] == "E1")
    assert (open_row["age_days"], open_row["allowed_days"]) == (91, 90)


# --- CC004: comparability outstanding with lots released --------------------------------------------------------

@pytest.mark.parametrize("risk, severity", [("high", "high"), ("medium", "medium"), ("low", "medium")])
def test_cc004_comparability_outstanding_with_lots_administered(tmp_path, risk, severity):
    p = program(tmp_path, base_lots(), [change(risk=risk, comparability_completed_on=None)])
    assert found(p) == [("CC004", severity, "C2")]
    assert by_code(p, "CC004")["message"] == (
        "C2 (Closed system) requires comparability, none is completed, and 5 lots of process version v2 were "
        "released or administered (B06, B07, B08, B09, B10).")


@pytest.mark.parametrize("completed, as_of", [
    (D(2026, 4, 1), TODAY),  # completed (late, but completed)
    (None, D(2026, 3, 22)),  # v2 lots made, none released yet
])
def test_cc004_silent_when_completed_or_nothing_released(tmp_path, completed, as_of):
    p = program(tmp_path, base_lots(), [change(comparability_completed_on=completed)], as_of=as_of)
    assert "CC004" not in [c for c, _, _ in found(p)]


def test_cc004_completed_after_the_as_of_date_is_still_outstanding(tmp_path):
    p = program(tmp_path, base_lots(), [change(comparability_completed_on=D(2026, 6, 1))], as_of=D(2026, 5, 1))
    assert ("CC004", "high", "C2") in found(p)
    listed = p["lenses"]["changes"]["change_list"][0]
    assert (listed["comparability_status"], listed["comparability_completed_on"]) == ("outstanding", None)


# --- comparability: CP001, CP002, CP003 -------------------------------------------------------------------------

def cqa(p: dict, change_id="C2", attribute="viability") -> dict:
    exercise = next(e for e in p["lenses"]["changes"]["comparability"] if e["change_id"] == change_id)
    return next(c for c in exercise["cqas"] if c["attribute"] == attribute)


def test_cp001_and_cp003_fire_on_a_shifted_cqa(tmp_path):
    p = program(tmp_path, base_lots(post=SHIFTED), [change()])
    assert found(p) == [("CP001", "medium", "C2 · viability"), ("CP003", "medium", "C2 · viability")]
    cp001, cp003 = by_code(p, "CP001"), by_code(p, "CP003")
    assert cp001["message"] == ("3 of 5 lots made after C2 have viability outside the pre-change range 85.26 to "
                                "94.74 % (mean ± 3 SD of 5 lots); 40% inside, 90% expected.")
    assert [(e["batch_id"], e["value"]) for e in cp001["evidence"]] == [("B06", 84.0), ("B07", 85.0), ("B10", 85.0)]
    assert cp003["message"] == ("Equivalence of viability before and after C2 is not shown: the difference of means "
                                "is -4.6 % (90% CI -6.221 to -2.979), beyond the margin ±2.372 (1.5 × pre-change SD; "
                                "5 lots before, 5 after).")


def test_comparability_numbers_equal_the_statistics_module_and_statsmodels(tmp_path):
    c = cqa(program(tmp_path, base_lots(post=SHIFTED), [change()]))
    qr = quality_range(PRE, SHIFTED, k=3.0)
    eq = tost_equivalence(PRE, SHIFTED, margin_factor=1.5, min_lots=3)
    assert (c["n_pre"], c["n_post"], c["n_inside"]) == (qr.n_pre, qr.n_post, qr.n_inside) == (5, 5, 2)
    assert (c["range_low"], c["range_high"], c["share_inside"]) == (qr.low, qr.high, qr.share_inside)
    assert (c["pre_mean"], c["pre_sd"]) == (qr.pre_mean, qr.pre_sd)
    assert c["pre_sd"] == pytest.approx(statistics.stdev(PRE), abs=1e-12)
    assert c["post_mean"] == pytest.approx(statistics.fmean(SHIFTED), abs=1e-12)
    assert (c["margin"], c["difference"], c["ci_low"], c["ci_high"], c["p_value"], c["verdict"]) == (
        eq.margin, eq.difference, eq.ci_low, eq.ci_high, eq.p_value, eq.verdict)
    ci_low, ci_high = CompareMeans.from_data(SHIFTED, PRE).tconfint_diff(alpha=0.1, usevar="pooled")
    assert (c["ci_low"], c["ci_high"]) == (pytest.approx(ci_low, abs=1e-10), pytest.approx(ci_high, abs=1e-10))
    assert c["confidence"] == pytest.approx(0.9)
    assert c["values"] == {"pre": [[f"B0{i + 1}", v] for i, v in enumerate(PRE)],
                           "post": [[f"B{i + 6:02d}", v] for i, v in enumerate(SHIFTED)]}


def test_similar_lots_are_equivalent_and_silent(tmp_path):
    p = program(tmp_path, base_lots(post=SIMILAR), [change()])
    c = cqa(p)
    assert (c["verdict"], c["n_inside"], c["share_inside"]) == ("equivalent", 5, 1.0)
    # pooled variance (4 × 2.5 + 4 × 0.5) / 8 = 1.5; SE = sqrt(1.5 × (1/5 + 1/5)) = 0.7746; t(0.95, 8) = 1.8595
    assert (c["ci_low"], c["ci_high"]) == (pytest.approx(-1.4404, abs=1e-4), pytest.approx(1.4404, abs=1e-4))
    assert found(p) == []


def test_cp002_too_few_post_change_lots_and_never_a_verdict(tmp_path):
    lots = base_lots(post=SHIFTED[:2], made=V2_MADE[:2])
    p = program(tmp_path, lots, [change()])
    assert found(p) == [("CP002", "medium", "C2")]
    f = by_code(p, "CP002")
    assert f["message"] == ("The comparability exercise for C2 (Closed system) has 5 pre-change lots and 2 "
                            "post-change lots with CQA results; Phase 1 expects 3 on each side, so no verdict can be "
                            "given (1 more post-change lot needed).")
    assert f["evidence"] == [{"change_id": "C2", "side": "pre", "lots": 5, "needed": 3, "short_by": 0},
                             {"change_id": "C2", "side": "post", "lots": 2, "needed": 3, "short_by": 1}]
    assert f["expectation"] == "At least 3 lots on each side of a comparability exercise at Phase 1 (the Phase 1 row)."
    c = cqa(p)  # both post lots lie outside the range, yet two lots give no verdict and no CP001
    assert (c["verdict"], c["needed_pre"], c["needed_post"], c["note"]) == (
        "insufficient lots", 0, 1, "1 more post-change lot needed")
    assert (c["n_inside"], c["ci_low"], c["p_value"]) == (0, None, None)


def test_cp002_silent_when_comparability_is_not_required_or_not_implemented(tmp_path):
    lots = base_lots(post=SHIFTED[:2], made=V2_MADE[:2])
    assert found(program(tmp_path, lots, [change(comparability_required=False, comparability_completed_on=None)])) == []
    planned = change(opened_on=D(2026, 11, 1), approved_on=D(2026, 11, 10), implemented_on=None, closed_on=None,
                     comparability_completed_on=None)
    p = program(tmp_path, base_lots()[:5], [planned], name="planned")  # no v2 lot yet
    assert found(p) == []
    assert p["lenses"]["changes"]["comparability"][0]["lots_post"] == 0


def test_pre_change_lots_are_the_replaced_version_released_before_the_cut(tmp_path):
    """v1 -> v2 -> v3: the v3 exercise compares with v2 only; a rejected v2 lot is no reference; the cut is the
    implementation (2026-04-10), so the v2 lot made after it is on neither side."""
    lots = base_lots() + [lot("B11", "v2", D(2026, 4, 6), 60.0, "rejected"),
                          lot("B12", "v2", D(2026, 4, 13), 90.0),
                          *[lot(f"B{13 + i}", "v3", D(2026, 5, 4) + dt.timedelta(days=7 * i), v)
                            for i, v in enumerate([90.0, 91.0, 89.0])]]
    v3 = change("C3", to_process_version="v3", opened_on=D(2026, 3, 25), approved_on=D(2026, 4, 1),
                implemented_on=D(2026, 4, 10), closed_on=D(2026, 6, 1), comparability_completed_on=D(2026, 4, 5))
    p = program(tmp_path, lots, [change(), v3])
    exercise = p["lenses"]["changes"]["comparability"][1]
    assert (exercise["change_id"], exercise["from_version"], exercise["cut_on"]) == ("C3", "v2", "2026-04-10")
    assert (exercise["lots_pre"], exercise["lots_post"]) == (5, 3)
    c = cqa(p, "C3")
    assert [b for b, _ in c["values"]["pre"]] == ["B06", "B07", "B08", "B09", "B10"]
    assert c["pre_mean"] == pytest.approx(statistics.fmean(SIMILAR))


def test_a_constant_pre_change_cqa_gives_no_verdict_and_no_error(tmp_path):
    lots = ([lot(f"B0{i + 1}", "v1", m, 90.0) for i, m in enumerate(V1_MADE)]
            + [lot(f"B{i + 6:02d}", "v2", m, v) for i, (m, v) in enumerate(zip(V2_MADE, SIMILAR))])
    p = program(tmp_path, lots, [change()])
    c = cqa(p)
    assert (c["verdict"], c["note"]) == (None, "no lot-to-lot variation before the change: no equivalence margin")
    assert found(p) == []


# --- figures ----------------------------------------------------------------------------------------------------

def test_open_change_figures_count_by_hand(tmp_path):
    def supplier(change_id, opened):
        return change(change_id, change_type="supplier", to_process_version=None, opened_on=opened, approved_on=None,
                      implemented_on=None, closed_on=None, comparability_required=False,
                      comparability_completed_on=None)
    changes = [change(), incubator(D(2026, 7, 1)), incubator(D(2026, 10, 1), risk="low") | {"change_id": "E2"},
               supplier("S1", D(2026, 10, 20)), supplier("S2", D(2026, 11, 2))]  # S2: opened after the as-of date
    f = program(tmp_path, base_lots(), changes, as_of=D(2026, 11, 1))["lenses"]["changes"]
    assert (f["changes"], f["open_changes"], f["open_over_allowed_age"]) == (4, 3, 1)
    assert f["open_by_risk"] == {"low": 1, "medium": 1, "high": 1}
    assert f["open_by_type"] == {"equipment": 2, "supplier": 1}
    assert [(c["change_id"], c["is_open"], c["age_days"], c["allowed_days"]) for c in f["change_list"]] == [
        ("C2", False, None, None), ("E1", True, 123, 120), ("E2", True, 31, 180), ("S1", True, 12, 90)]
    assert [m for m in f["by_month"] if m["opened"] or m["closed"]] == [
        {"month": "2026-02", "opened": 1, "closed": 0}, {"month": "2026-04", "opened": 0, "closed": 1},
        {"month": "2026-07", "opened": 1, "closed": 0}, {"month": "2026-10", "opened": 2, "closed": 0}]
    assert [m["month"] for m in f["by_month"]] == [f"2026-{m:02d}" for m in range(2, 12)]  # quiet months too


def test_completed_after_implementation_is_marked(tmp_path):
    f = program(tmp_path, base_lots(), [change(comparability_completed_on=D(2026, 3, 1))])["lenses"]["changes"]
    assert f["change_list"][0]["completed_after_implementation"] is True


def test_the_lens_is_unknown_when_the_changes_table_cannot_be_read(tmp_path):
    t = tables(base_lots(), [change()])
    t.pop("changes")
    ds = load_dataset(write_tables(tmp_path / "broken", t), TODAY)
    p = build_report(ds, TODAY, "P1", trend=False)["programs"][0]
    assert p["lens_status"]["changes"]["status"] == "unknown"


def test_an_infinite_result_is_left_out_not_a_crash(tmp_path):
    lots = base_lots(post=SIMILAR)
    lots[0] = lot("B01", "v1", V1_MADE[0], float("inf"))
    ds = load_dataset(write_tables(tmp_path / "inf", tables(lots, [change()])), TODAY)
    c = cqa(build_report(ds, TODAY, "P1", trend=False)["programs"][0])
    assert c["n_pre"] == 4 and c["pre_mean"] == pytest.approx(statistics.fmean(PRE[1:]))
