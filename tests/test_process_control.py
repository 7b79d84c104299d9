"""Process control (PC001-PC004) on hand-made programs whose every limit, signal and Ppk is computed by hand.

The settings are shrunk to a baseline of 5 lots (limits from 3, Ppk from 5) so the arithmetic fits in a comment:
the baseline lots 80, 82, 81, 83, 79 have mean 81, moving ranges 2, 1, 2, 4 (MR-bar 2.25), sigma 2.25 / 1.128,
limits 81 ± 3 sigma = 75.0160 to 86.9840, and an MR limit of 3.267 × 2.25 = 7.35075.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import D, TODAY, minimal_tables, write_tables
from test_cli import run_cli
from readiness.checks.lens import SHARED_FROM, column_records, records, rows_by_program
from readiness.checks.process_control import Settings
from readiness.dataset import load_dataset
from readiness.expectations import load_expectations
from readiness.lens_tables.process_control import UnknownAttribute, chart_frame, chart_records
from readiness.report import build_report

BASE = [80.0, 82.0, 81.0, 83.0, 79.0]
SIGMA = 2.25 / 1.128
UCL, LCL = 81 + 3 * SIGMA, 81 - 3 * SIGMA
MR_UCL = 3.267 * 2.25
START = D(2025, 1, 1)  # lot n is made on START + 10·(n − 1) days: B01 Jan 1, B07 Mar 2, B09 Mar 22
SMALL = "[settings]\ncontrol_baseline_lots = 5\ncontrol_min_lots = 3\ncapability_min_lots = 5\n"


def made(n: int):
    return START + timedelta(days=10 * (n - 1))


def pc_tables(values, versions=None, phase="phase_1", lower=70.0, upper=None, dispositions=None):
    """P1 with one CQA, viability, measured once per lot (tested the day after it is made)."""
    n = len(values)
    versions = versions or ["v1"] * n
    dispositions = dispositions or ["administered"] * n
    t = minimal_tables()
    t["programs"]["phase"] = [phase]
    t["attributes"] = {"program_id": ["P1"], "attribute": ["viability"], "kind": ["cqa"], "category": ["viability"],
                       "unit": ["%"], "lower_limit": [lower], "upper_limit": [upper], "required_from": ["phase_1"]}
    ids = [f"B{i:02d}" for i in range(1, n + 1)]
    t["batches"] = {"batch_id": ids, "program_id": ["P1"] * n, "purpose": ["clinical"] * n,
                    "process_version": versions, "manufactured_on": [made(i) for i in range(1, n + 1)],
                    "disposition": dispositions,
                    "disposition_on": [made(i) + timedelta(days=5) for i in range(1, n + 1)]}
    t["results"] = {"batch_id": ids, "attribute": ["viability"] * n, "value": list(values),
                    "tested_on": [made(i) + timedelta(days=1) for i in range(1, n + 1)]}
    return t


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return load_expectations(path)


@pytest.fixture
def judge(tmp_path, small):
    """`judge(tables, as_of=TODAY)` -> (process-control figures, process-control findings) of P1."""
    def run(tables, as_of=TODAY, expectations=None, name="data"):
        ds = load_dataset(write_tables(tmp_path / name, tables), TODAY)
        assert ds.problems == []
        program = build_report(ds, as_of, "P1", expectations or small, trend=False)["programs"][0]
        return program["lenses"]["process_control"], [f for f in program["findings"] if f["lens"] == "process_control"]
    return run


def attribute(figures, name="viability"):
    return next(a for a in figures["attributes"] if a["attribute"] == name)


def codes(found):
    return [(f["code"], f["severity"], f["subject"]) for f in found]


# --- limits ----------------------------------------------------------------------------------------------------

def test_limits_come_from_the_first_lots_of_the_version_and_are_frozen(judge):
    figures, found = judge(pc_tables(BASE + [81.0, 80.0, 84.0, 82.0, 80.5]))
    a = attribute(figures)
    assert a["limits"] == {"source": "baseline", "centre": pytest.approx(81.0), "lcl": pytest.approx(LCL),
                           "ucl": pytest.approx(UCL), "sigma": pytest.approx(SIGMA), "mr_ucl": pytest.approx(MR_UCL),
                           "baseline_lots": 5, "approved_on": None, "reason": None, "wider_than_baseline": None}
    assert (a["lots"], a["provisional"], a["limits_note"], a["state"]) == (10, False, None, "in control")
    assert found == []
    later, _ = judge(pc_tables(BASE + [81.0, 80.0, 84.0, 82.0, 80.5, 60.0, 99.0]), name="later")
    assert attribute(later)["limits"]["ucl"] == pytest.approx(UCL)  # new lots never move the limits


def test_provisional_below_the_baseline_and_none_below_the_minimum(judge):
    a = attribute(judge(pc_tables(BASE[:4]))[0])  # 80, 82, 81, 83: mean 81.5, MR-bar 5/3
    assert a["provisional"] and a["limits_note"] == "provisional limits, n = 4"
    assert a["limits"]["centre"] == pytest.approx(81.5) and a["limits"]["ucl"] == pytest.approx(81.5 + 5 / 1.128)
    assert a["state"] == "in control"
    none = attribute(judge(pc_tables(BASE[:2]), name="two")[0])
    assert none["limits"]["source"] is None and none["state"] == "too few lots"
    assert none["limits_note"] == "no limits: not enough lots (n = 2, need 3)"


def test_each_process_version_starts_its_own_baseline(judge):
    """v2 runs 5.6 lower than v1: against v1's limits that is a signal; against its own baseline it is not."""
    shifted = [75.0, 76.0, 74.0, 75.0, 77.0]  # mean 75.4, MR-bar 1.5
    t = pc_tables(BASE + shifted, versions=["v1"] * 5 + ["v2"] * 5)
    t["changes"] = {"change_id": ["C2"], "program_id": ["P1"], "title": ["New medium"], "change_type": ["process"],
                    "risk": ["high"], "opened_on": [D(2025, 1, 5)], "to_process_version": ["v2"],
                    "comparability_required": [True]}
    figures, found = judge(t)
    a = attribute(figures)
    assert (figures["current_process_version"], a["process_version"], a["lots"]) == ("v2", "v2", 5)
    assert a["limits"]["centre"] == pytest.approx(75.4) and a["limits"]["sigma"] == pytest.approx(1.5 / 1.128)
    assert found == [] and a["state"] == "in control"
    assert figures["versions"] == [
        {"process_version": "v1", "first_made_on": "2025-01-01", "lots": 5, "is_current": False, "introduced_by": None},
        {"process_version": "v2", "first_made_on": "2025-02-20", "lots": 5, "is_current": True, "introduced_by": "C2"}]
    _, found = judge(pc_tables(BASE + shifted), name="one_version")
    assert ("PC002", "medium", "viability") in codes(found)


def test_chart_frame_by_hand(tmp_path, small):
    ds = load_dataset(write_tables(tmp_path / "d", pc_tables(BASE + [81.0, 80.0, 90.0])), TODAY)
    frame = chart_frame(ds, TODAY, "P1", "viability", small)
    assert list(frame["batch_id"]) == [f"B{i:02d}" for i in range(1, 9)]
    assert list(frame["lot"]) == list(range(1, 9))
    assert list(frame["in_baseline"]) == [True] * 5 + [False] * 3
    assert list(frame["recent"]) == [False] * 3 + [True] * 5
    assert list(frame["rules"]) == [""] * 7 + ["1"]
    assert list(frame["signal"]) == ["No rule broken"] * 7 + ["Rule 1: 1 point beyond 3σ"]
    assert math.isnan(frame["moving_range"].iloc[0]) and frame["moving_range"].iloc[7] == pytest.approx(10.0)
    assert list(frame["mr_beyond"]) == [False] * 7 + [True]
    assert frame["ucl"].tolist() == pytest.approx([UCL] * 8) and frame["mr_ucl"].tolist() == pytest.approx([MR_UCL] * 8)
    assert set(frame["segment"]) == {"v1 · baseline limits"} and set(frame["limits_source"]) == {"baseline"}
    assert list(frame["version_start"]) == [True] + [False] * 7
    assert frame["manufactured_on"].iloc[7] == "2025-03-12" and frame["lower_spec"].iloc[0] == 70.0


# --- PC002 ------------------------------------------------------------------------------------------------------

def test_versions_made_side_by_side_keep_their_own_moving_ranges(tmp_path, small):
    """Two sites making v1 and v2 lots in turn: each version's moving range runs from its own previous lot."""
    t = pc_tables([80.0, 60.0, 82.0, 63.0, 81.0], versions=["v1", "v2", "v1", "v2", "v1"])
    frame = chart_frame(load_dataset(write_tables(tmp_path / "d", t), TODAY), TODAY, "P1", "viability", small)
    assert list(frame["process_version"]) == ["v1", "v2", "v1", "v2", "v1"]
    assert frame["moving_range"].tolist()[2:] == [2.0, 3.0, 1.0]
    assert frame["moving_range"].isna().tolist() == [True, True, False, False, False]
    assert list(frame["version_start"]) == [True, True, False, False, False]
    assert list(frame["segment"]) == ["v1 · baseline limits", "v2 · baseline limits"] * 2 + ["v1 · baseline limits"]
    assert list(frame["limits_source"]) == ["provisional baseline", "none", "provisional baseline", "none",
                                            "provisional baseline"]  # v1 has 3 lots (the minimum), v2 only 2
    assert frame["centre"].tolist()[::2] == pytest.approx([81.0] * 3)  # v1: mean of 80, 82, 81


def test_pc002_fires_on_a_recent_signal_and_not_on_its_twin(judge):
    figures, found = judge(pc_tables(BASE + [81.0, 80.0, 90.0]))  # 90 > UCL 86.98
    assert codes(found) == [("PC002", "medium", "viability")]
    assert found[0]["message"] == ("viability: 1 recent lot breaks a run rule against the limits in force: B08 "
                                   "(rule 1). Rule 1: 1 point beyond 3σ. Look for a special cause.")
    assert found[0]["evidence"] == [{"batch_id": "B08", "process_version": "v1", "manufactured_on": "2025-03-12",
                                     "value": 90.0, "limits_source": "baseline", "centre": pytest.approx(81.0),
                                     "lcl": pytest.approx(LCL), "ucl": pytest.approx(UCL), "rules": "1"}]
    a = attribute(figures)
    assert (a["state"], a["signals"], a["rules_broken"], a["signal_lots"]) == ("signal", 1, [1], ["B08"])
    # 84 is beyond 2 sigma (84.989)? No: below it, and B04 (83) is the only other point beyond 1 sigma (82.995).
    assert judge(pc_tables(BASE + [81.0, 80.0, 84.0]), name="twin")[1] == []


def test_pc002_looks_at_the_recent_lots_only(judge):
    """95 at lot 6 breaks rule 1, but the last 5 lots (7 to 11) are all within 1 sigma."""
    figures, found = judge(pc_tables(BASE + [95.0, 81.0, 80.0, 82.0, 81.0, 80.0]))
    assert found == [] and attribute(figures)["state"] == "in control"


def test_rule_2_run_length_and_rules_come_from_the_settings(judge, tmp_path):
    run = BASE + [81.5, 82.0, 81.2, 81.8, 82.5]  # five in a row above the centre 81
    assert judge(pc_tables(run))[1] == []
    path = tmp_path / "run5.toml"
    path.write_text(SMALL + "nelson_rule2_run = 5\n")
    figures, found = judge(pc_tables(run), expectations=load_expectations(path), name="run5")
    assert codes(found) == [("PC002", "medium", "viability")]
    assert attribute(figures)["signal_lots"] == ["B06", "B07", "B08", "B09", "B10"]
    assert figures["settings"]["rule_labels"][1] == "Rule 2: 5 in a row on one side of the centre"
    path.write_text(SMALL + "nelson_rule2_run = 5\nnelson_rules = [1]\n")
    assert judge(pc_tables(run), expectations=load_expectations(path), name="rule1")[1] == []


def test_a_run_that_began_before_the_recent_lots_marks_them(judge, tmp_path, small):
    """Eight in a row above the centre, lots 6 to 13: the lens judges the recent lots 9 to 13 only, and still sees
    that they close a run of 8 (five of them alone would not break rule 2)."""
    t = pc_tables(BASE + [81.5, 81.2, 81.8, 81.4, 81.6, 81.3, 81.7, 81.5])  # centre 81, within 1 sigma (1.995)
    figures, found = judge(t)
    assert attribute(figures)["signal_lots"] == ["B09", "B10", "B11", "B12", "B13"]
    assert found[0]["evidence"][0]["rules"] == "2"
    frame = chart_frame(load_dataset(write_tables(tmp_path / "chart", t), TODAY), TODAY, "P1", "viability", small)
    assert list(frame["rules"]) == [""] * 5 + ["2"] * 8


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rules_of_the_recent_lots_alone_are_those_of_the_whole_chart(tmp_path, small, seed):
    """Charts judged for their recent lots only (as the lens judges) mark those lots exactly as the whole chart
    does, with every rule on, versions made side by side and approved limits from mid-chart."""
    from readiness.checks.process_control import charts

    rng = np.random.default_rng(seed)
    n = 60
    versions = ["v1"] * 3 + ["v2"] * 44 + [rng.choice(["v1", "v2"]) for _ in range(n - 47)]  # v1 comes back
    t = pc_tables((81 + rng.normal(0, 2, n) + np.linspace(0, 4, n)).round(2).tolist(), versions=versions)
    t["control_limits"] = fixed(made(45))
    ds = load_dataset(write_tables(tmp_path / "d", t), TODAY)
    marked = 0
    for run in (3, 8):
        settings = Settings.of({**small.settings, "control_baseline_lots": 12, "nelson_rules": list(range(1, 9)),
                                "nelson_rule2_run": run})
        whole = charts(ds, TODAY, "P1", settings)[("P1", "viability")]
        recent = charts(ds, TODAY, "P1", settings, recent_only=True)[("P1", "viability")]
        assert list(recent.recent["rules"]) == list(whole.recent["rules"]) == list(whole.points["rules"][-12:])
        marked += int((whole.recent["rules"] != "").sum())
        with pytest.raises(RuntimeError, match="recent lots only"):
            recent.points["rules"]
    assert marked > 0


# --- approved limits ----------------------------------------------------------------------------------------------

def fixed(approved_on, center=81.0, lower=78.0, upper=84.0):
    return {"program_id": ["P1"], "attribute": ["viability"], "process_version": ["v1"], "center": [center],
            "lower": [lower], "upper": [upper], "approved_on": [approved_on], "reason": ["PPQ report"]}


def test_approved_limits_win_from_their_approval_date(judge):
    """84.5 (B08) is inside the baseline limits (UCL 86.98) but above the approved 84, in force from B07."""
    values = BASE + [81.0, 80.0, 84.5, 80.0]
    t = pc_tables(values)
    t["control_limits"] = fixed(D(2025, 3, 1))
    figures, found = judge(t, as_of=D(2025, 4, 1))
    assert codes(found) == [("PC002", "medium", "viability")]
    assert found[0]["evidence"][0]["batch_id"] == "B08" and found[0]["evidence"][0]["limits_source"] == "approved"
    a = attribute(figures)
    assert a["limits"] == {"source": "approved", "centre": 81.0, "lcl": 78.0, "ucl": 84.0, "sigma": 1.0,
                           "mr_ucl": pytest.approx(3.267 * 1.128), "baseline_lots": 5, "approved_on": "2025-03-01",
                           "reason": "PPQ report", "wider_than_baseline": False}
    # Before the approval exists the baseline judges every lot; an approval after the last lot judges none yet.
    assert judge(t, as_of=D(2025, 2, 28), name="before")[1] == []
    assert attribute(judge(t, as_of=D(2025, 2, 28), name="before2")[0])["limits"]["source"] == "baseline"
    t["control_limits"] = fixed(D(2025, 3, 25))
    later, found = judge(t, as_of=D(2025, 4, 1), name="after_last")
    assert found == [] and attribute(later)["limits"]["source"] == "approved"


def test_chart_segments_follow_the_approval(tmp_path, small):
    t = pc_tables(BASE + [81.0, 80.0, 84.5, 80.0])
    t["control_limits"] = fixed(D(2025, 3, 1))
    ds = load_dataset(write_tables(tmp_path / "d", t), TODAY)
    frame = chart_frame(ds, D(2025, 4, 1), "P1", "viability", small)
    assert list(frame["limits_source"]) == ["baseline"] * 6 + ["approved"] * 3
    assert list(frame["segment_start"]) == [True] + [False] * 5 + [True, False, False]
    assert frame["segment"].iloc[6] == "v1 · approved limits from 2025-03-01"
    assert list(frame["ucl"].iloc[6:]) == [84.0] * 3 and list(frame["rules"]) == [""] * 7 + ["1", ""]
    assert frame["moving_range"].iloc[6] == pytest.approx(1.0)  # moving ranges run across the approval


def test_approved_limits_wider_than_the_baseline_are_said(judge):
    t = pc_tables(BASE + [81.0])
    t["control_limits"] = fixed(D(2025, 1, 1), lower=66.0, upper=96.0)
    assert attribute(judge(t)[0])["limits"]["wider_than_baseline"] is True


def test_approved_limits_not_centred_are_excluded_with_a_warning(tmp_path):
    t = pc_tables(BASE)
    t["control_limits"] = fixed(D(2025, 3, 1), center=82.0)  # 78 to 84 is centred on 81
    ds = load_dataset(write_tables(tmp_path / "d", t), TODAY)
    (problem,) = ds.problems
    assert (problem.table, problem.code, problem.column, problem.row_count) == ("control_limits",
                                                                                "limits_not_centred", "center", 1)
    assert ds.tables["control_limits"].rows_used == 0


def test_an_unusable_control_limits_table_makes_the_lens_unknown(tmp_path):
    t = pc_tables(BASE)
    t["control_limits"] = {"program_id": ["P1"], "attribute": ["viability"]}  # required columns missing
    ds = load_dataset(write_tables(tmp_path / "d", t), TODAY)
    program = build_report(ds, TODAY, "P1", trend=False)["programs"][0]
    assert program["lens_status"]["process_control"]["status"] == "unknown"


# --- PC001 ------------------------------------------------------------------------------------------------------

def test_pc001_medium_for_a_rejected_lot_high_once_released_silent_in_spec(judge):
    values = BASE + [81.0, 65.0, 80.0]
    rejected = pc_tables(values, dispositions=["administered"] * 6 + ["rejected", "administered"])
    _, found = judge(rejected)
    (pc001,) = [f for f in found if f["code"] == "PC001"]
    assert (pc001["severity"], pc001["subject"]) == ("medium", "viability")
    assert pc001["message"] == ("viability: 1 recent lot out of specification (specification ≥ 70 %): "
                                "B07 at 65 % (rejected).")
    assert pc001["evidence"] == [{"batch_id": "B07", "process_version": "v1", "manufactured_on": "2025-03-02",
                                  "tested_on": "2025-03-03", "value": 65.0, "lower_spec": 70.0, "upper_spec": None,
                                  "disposition": "rejected"}]
    _, found = judge(pc_tables(values), name="administered")
    (pc001,) = [f for f in found if f["code"] == "PC001"]
    assert pc001["severity"] == "high" and pc001["message"].endswith("B07 reached release or a patient.")
    assert not [f for f in judge(pc_tables(BASE + [81.0, 75.5, 80.0]), name="in_spec")[1] if f["code"] == "PC001"]


def test_pc001_needs_specification_limits(judge):
    _, found = judge(pc_tables(BASE + [81.0, 65.0, 80.0], lower=None))
    assert [f["code"] for f in found] == ["PC002"]  # still beyond the control limits


def test_pc001_state_and_window(judge):
    figures, _ = judge(pc_tables(BASE + [81.0, 65.0, 80.0]))
    a = attribute(figures)
    assert (a["state"], a["out_of_spec"], a["out_of_spec_lots"]) == ("out of spec", 1, ["B07"])
    _, found = judge(pc_tables([65.0] + BASE + [81.0]), name="old")  # lot 1 is not among the last 5
    assert not [f for f in found if f["code"] == "PC001"]


# --- PC003 ------------------------------------------------------------------------------------------------------

def bissell_low(value, n):
    return value - stats.norm.ppf(0.975) * math.sqrt(1 / (9 * n) + value ** 2 / (2 * (n - 1)))


def test_pc003_fires_at_phase_3_when_the_lower_bound_of_ppk_is_below_1(judge):
    # Mean 81, s = sqrt(10 / 4); against 78: Ppk = 3 / (3 s) = 0.6325, lower bound far below 1.0.
    figures, found = judge(pc_tables(BASE, phase="phase_3", lower=78.0))
    s = math.sqrt(10 / 4)
    cap = attribute(figures)["capability"]
    assert cap["ppk"] == pytest.approx(3 / (3 * s)) and cap["n"] == 5
    assert cap["ci_low"] == pytest.approx(bissell_low(3 / (3 * s), 5))
    (pc003,) = [f for f in found if f["code"] == "PC003"]
    assert (pc003["severity"], pc003["subject"]) == ("medium", "viability")
    assert pc003["message"].startswith("viability (v1): Ppk 0.63 (95% CI ")
    assert pc003["message"].endswith("against specification ≥ 78 %; Phase 3 expects the lower bound to reach 1.0.")
    assert "at least 1.0" in pc003["expectation"]


def test_pc003_silent_when_capable_or_before_phase_3(judge):
    # Against 60: Ppk = 21 / (3 s) = 4.427, lower bound 1.35 >= 1.0.
    figures, found = judge(pc_tables(BASE, phase="phase_3", lower=60.0))
    assert bissell_low(attribute(figures)["capability"]["ppk"], 5) >= 1.0
    assert not [f for f in found if f["code"] == "PC003"]
    assert not [f for f in judge(pc_tables(BASE, phase="phase_2", lower=78.0), name="p2")[1] if f["code"] == "PC003"]


def test_ppk_needs_the_minimum_lots(judge):
    cap = attribute(judge(pc_tables(BASE[:4], phase="phase_3", lower=78.0))[0])["capability"]
    assert cap["ppk"] is None and cap["reason"] == "not enough lots (n = 4, need 5)"


# --- PC004 ------------------------------------------------------------------------------------------------------

def test_pc004_one_finding_per_version_at_phase_2(judge):
    _, found = judge(pc_tables(BASE, phase="phase_2"))
    assert codes(found) == [("PC004", "low", "v1")]
    assert found[0]["message"] == ("Process v1: 1 charted attribute (viability) has only 5 lots with a valid result "
                                   "and no approved limits; Phase 2 expects control limits from at least 10 lots "
                                   "per attribute.")
    assert found[0]["evidence"] == [{"attribute": "viability", "kind": "cqa", "process_version": "v1", "lots": 5,
                                     "needed": 10, "limits": None}]
    _, found = judge(pc_tables(BASE, phase="phase_3"), name="p3")
    assert ("PC004", "medium", "v1") in codes(found)


def test_pc004_silent_at_phase_1_with_enough_lots_or_approved_limits(judge):
    assert judge(pc_tables(BASE, phase="phase_1"))[1] == []
    assert judge(pc_tables(BASE * 2, phase="phase_2"), name="ten")[1] == []
    t = pc_tables(BASE, phase="phase_2")
    t["control_limits"] = fixed(D(2024, 12, 1))
    assert judge(t, name="approved")[1] == []


# --- as of ------------------------------------------------------------------------------------------------------

def test_as_of_lots_results_retests_and_purposes(judge):
    t = pc_tables(BASE + [81.0])
    t["batches"]["purpose"][5] = "development"  # B06 is an experiment, not the process
    t["batches"]["purpose"][4] = "engineering"  # B05 counts
    rows = list(zip(t["results"]["batch_id"], t["results"]["value"], t["results"]["tested_on"]))
    rows += [("B03", 60.0, D(2025, 1, 21)),  # an earlier result; the retest of Jan 22 (81) wins once tested
             ("B02", 40.0, D(2025, 1, 12))]  # same day as B02's 82: averaged to 61
    t["results"] = {"batch_id": [r[0] for r in rows], "attribute": ["viability"] * len(rows),
                    "value": [r[1] for r in rows], "tested_on": [r[2] for r in rows],
                    "status": ["valid"] * len(rows)}
    t["results"]["batch_id"].append("B04")
    t["results"]["attribute"].append("viability")
    t["results"]["value"].append(10.0)
    t["results"]["tested_on"].append(D(2025, 2, 1))
    t["results"]["status"].append("invalidated")  # never counts
    figures, _ = judge(t)
    a = attribute(figures)
    assert a["lots"] == 5  # B01-B05; the development lot is not charted
    assert [r[2] for r in a["recent"]] == [80.0, 61.0, 81.0, 83.0, 79.0]
    early, _ = judge(t, as_of=D(2025, 1, 21), name="early")  # B03 made Jan 21, only its first result exists
    assert [r[2] for r in attribute(early)["recent"]] == [80.0, 61.0, 60.0]


def test_a_program_without_numeric_results_has_nothing_to_chart(judge):
    t = pc_tables(BASE)
    t["results"] = {"batch_id": ["B01"], "attribute": ["viability"], "value": [None], "text_value": ["pass"],
                    "tested_on": [D(2025, 1, 2)]}
    figures, found = judge(t)
    assert (figures["attributes"], figures["attributes_charted"], found) == ([], 0, [])
    assert figures["current_process_version"] == "v1"


def test_settings_are_made_safe_for_the_statistics():
    s = Settings.of({"control_baseline_lots": 1, "control_min_lots": 1, "nelson_rules": [6, 1, 1],
                     "nelson_rule2_run": 8, "capability_min_lots": 1})
    assert (s.baseline_n, s.min_n, s.rules, s.capability_min_n) == (2, 2, (1, 6), 2)


def test_figures_are_json_plain(judge):
    figures, found = judge(pc_tables(BASE + [81.0, 65.0, 80.0]))
    assert json.loads(json.dumps(figures)) == figures
    assert json.loads(json.dumps(found)) == found


def test_evidence_cut_from_chart_points_reads_like_evidence_from_a_frame():
    """PC001/PC002 evidence comes from the chart's arrays, not a frame: the same plain values either way."""
    columns = {"batch_id": np.array(["B01", None], dtype=object),
               "manufactured_on": np.array(["2025-01-01", "NaT"], dtype="datetime64[D]"),
               "value": np.array([81.5, np.nan]), "lot": np.array([1, 2]), "recent": np.array([True, False])}
    rows = [{"batch_id": "B01", "manufactured_on": "2025-01-01", "value": 81.5, "lot": 1, "recent": True},
            {"batch_id": None, "manufactured_on": None, "value": None, "lot": 2, "recent": False}]
    assert column_records(columns) == rows
    assert records(pd.DataFrame(columns)) == rows


def test_rows_of_named_columns_hold_those_columns_in_that_order():
    """Evidence of some of a frame's columns is read in place; the rows are those of the narrower frame."""
    frame = pd.DataFrame({"program_id": ["P1", "P1"], "batch_id": ["B1", None],
                          "made": np.array(["2025-01-01", "NaT"], dtype="datetime64[us]"), "value": [1.5, np.nan]})
    assert records(frame, ["value", "batch_id"]) == [{"value": 1.5, "batch_id": "B1"},
                                                      {"value": None, "batch_id": None}]
    assert records(frame, ["value", "batch_id"]) == records(frame[["value", "batch_id"]])
    assert records(frame.iloc[0:0], ["batch_id"]) == []


def test_rows_are_cut_by_program_whatever_the_order():
    """An answer ordered by program is cut into slices; one that is not is grouped row by row, in row order."""
    frame = pd.DataFrame({"program_id": ["P1", "P1", "P2", "P3"], "x": [1, 2, 3, 4]})
    expected = {"P1": [{"x": 1}, {"x": 2}], "P2": [{"x": 3}], "P3": [{"x": 4}]}
    assert rows_by_program(frame, ["x"]) == expected
    shuffled = rows_by_program(frame.iloc[[0, 2, 3, 1]], ["x"])
    assert shuffled == expected and list(shuffled) == ["P1", "P2", "P3"]
    assert rows_by_program(frame.iloc[[2, 0, 1]], ["x"]) == {"P2": [{"x": 3}], "P1": [{"x": 1}, {"x": 2}]}
    assert rows_by_program(frame.iloc[0:0]) == {}
    assert rows_by_program(frame.iloc[[3]]) == {"P3": [{"program_id": "P3", "x": 4}]}


def test_a_long_columns_equal_values_are_one_object_each():
    """From SHARED_FROM rows on, a text or date column's repeats share one object; the values are unchanged."""
    n = SHARED_FROM
    days = np.array(["2025-01-01", "NaT", "2024-12-31"] * n, dtype="datetime64[D]")
    frame = pd.DataFrame({"batch_id": pd.array(["B2", None, "B1"] * n, dtype="str"), "made": days})
    rows = records(frame)
    assert rows[:4] == [{"batch_id": "B2", "made": "2025-01-01"}, {"batch_id": None, "made": None},
                        {"batch_id": "B1", "made": "2024-12-31"}, {"batch_id": "B2", "made": "2025-01-01"}]
    assert rows == records(frame.iloc[:3]) * n  # a short column, converted cell by cell, gives the same values
    assert len({id(row["batch_id"]) for row in rows}) == len({id(row["made"]) for row in rows}) == 3
    assert len({id(row["made"]) for row in column_records({"made": days})}) == 3


@pytest.mark.parametrize("names", [
    ("batch_id",),  # one column
    ("it's", 'a "quote"', "x'}]; import os #", "line\nbreak"),  # names that are not identifiers stay text
    ("a", "a"),  # a name twice: the later value, as dict(zip(...)) gives
    ("a", 1),  # a name that is not text
], ids=["one", "odd-text", "twice", "not-text"])
def test_rows_have_the_columns_names_as_keys_whatever_they_hold(names):
    values = [np.array([1, 2]), np.array([3.5, np.nan]), np.array([5, 6]), np.array([7, 8])][:len(names)]
    expected = [dict(zip(names, row)) for row in zip(*([1, 2], [3.5, None], [5, 6], [7, 8])[:len(names)])]
    assert records(pd.DataFrame(dict(enumerate(values))).set_axis(list(names), axis=1)) == expected
    if len(set(names)) == len(names):
        assert column_records(dict(zip(names, values))) == expected


# --- the CLI prints the chart the page draws ----------------------------------------------------------------------

def test_cli_chart_is_the_lens_chart(tmp_path, small):
    data = write_tables(tmp_path / "d", pc_tables(BASE + [81.0, 80.0, 90.0]))
    settings = tmp_path / "small.toml"
    settings.write_text(SMALL)
    args = ["chart", "--data", str(data), "--program", "P1", "--attribute", "viability", "--as-of", "2025-06-01",
            "--expectations", str(settings)]
    code, out, _ = run_cli(*args)
    assert code == 0
    expected = chart_records(chart_frame(load_dataset(data), D(2025, 6, 1), "P1", "viability", small))
    assert json.loads(out) == expected
    assert expected[7]["rules"] == "1" and expected[0]["moving_range"] is None
    code, out, _ = run_cli(*args, "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("lot,batch_id,process_version,manufactured_on,")
    assert len(out.splitlines()) == 9
    code, _, err = run_cli(*args[:6], "sterility", "--as-of", "2025-06-01")
    assert code == 2 and err.strip() == ("error: P1 has no control chart for 'sterility' on 2025-06-01 "
                                         "(charted: viability)")
    code, _, err = run_cli("chart", "--data", str(data), "--program", "NOPE", "--attribute", "viability")
    assert code == 2 and "no program 'NOPE'" in err


def test_chart_frame_refuses_an_unknown_attribute(tmp_path, small):
    ds = load_dataset(write_tables(tmp_path / "d", pc_tables(BASE)), TODAY)
    with pytest.raises(UnknownAttribute) as caught:
        chart_frame(ds, TODAY, "P1", "potency", small)
    assert caught.value.charted == ["viability"]


def test_charts_worked_through_in_slices_give_the_same_report(monkeypatch):
    """The sample's charts one at a time (a slice per chart), then all in one slice: the same lens, to the byte."""
    from readiness.checks import process_control
    from test_app import SAMPLE

    ds = load_dataset(SAMPLE)
    sliced = [process_control._slices(np.array([0, 0, 0, 1, 1, 2, 3, 3]), size) for size in (1, 3, 4, 100)]
    assert sliced == [[(0, 3), (3, 5), (5, 6), (6, 8)], [(0, 3), (3, 6), (6, 8)], [(0, 5), (5, 8)], [(0, 8)]]
    assert process_control._slices(np.zeros(0, dtype=np.int64), 10) == [(0, 0)]
    whole = json.dumps(build_report(ds, TODAY, None, trend=False))
    monkeypatch.setattr(process_control, "SLICE_POINTS", 1)
    assert json.dumps(build_report(ds, TODAY, None, trend=False)) == whole


def test_a_lots_point_is_its_latest_days_mean_and_lot_numbers_are_looked_up():
    """Results in the question's order (chart, lot, day) become one point per chart and lot; the numbers the
    question gives are found among those its companion questions return, or the lens stops."""
    from readiness.checks import process_control

    day = np.array(["2025-01-05", "2025-01-09", "2025-01-09", "2025-01-06", "2025-01-06", "2025-01-07"],
                   dtype="datetime64[D]")
    chart, lot = np.array([0, 0, 0, 0, 2, 2]), np.array([4, 4, 4, 7, 4, 9])
    value = np.array([10.0, 81.0, 82.0, 50.0, 1.5, 2.5])
    got = process_control._latest_days(chart, lot, day, value)
    assert [a.tolist() for a in got[:2]] == [[0, 0, 2, 2], [4, 7, 4, 9]]
    assert np.datetime_as_string(got[2]).tolist() == ["2025-01-09", "2025-01-06", "2025-01-06", "2025-01-07"]
    assert got[3].tolist() == [81.5, 50.0, 1.5, 2.5]  # Jan 5's 10 is older; Jan 9's retests are averaged
    once = (chart[[0, 3, 4]], lot[[0, 3, 4]], day[[0, 3, 4]], value[[0, 3, 4]])
    assert all(a is b for a, b in zip(process_control._latest_days(*once), once))  # nothing to collapse
    empty = np.zeros(0, dtype=np.int64)
    assert [len(a) for a in process_control._latest_days(empty, empty, empty.astype("datetime64[D]"),
                                                         empty.astype(float))] == [0, 0, 0, 0]

    numbers = pd.Series([0, 3, 4, 9])
    assert process_control._rows_of(numbers, np.array([9, 0, 4, 4, 3])).tolist() == [3, 0, 2, 2, 1]
    assert process_control._rows_of(numbers, empty).tolist() == []
    for unknown in ([5], [12], [-1]):
        with pytest.raises(RuntimeError, match="companion queries"):
            process_control._rows_of(numbers, np.array(unknown))
