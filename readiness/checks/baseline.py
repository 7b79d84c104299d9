"""Batch records & baseline: are the results every later comparability argument stands on all there?"""

from __future__ import annotations

import pandas as pd

from ..contract import PHASES
from ..findings import Finding, make, rule
from .lens import LensResult, records

LENS = "baseline"
TABLES = ("programs", "phase_history", "batches", "attributes", "results")  # unusable: the lens is unknown
RESULTS_DUE_DAYS = 21  # release testing (sterility takes 14 days) has this long before a gap counts

_COMPLETE_RECORDS = ("Every result the data plan requires at the batch's phase is recorded on every clinical batch "
                     "(complete batch records from Phase 1: they are the baseline for later comparability).")
_GUIDANCE = ("FDA, Chemistry, Manufacturing, and Control (CMC) Information for Human Gene Therapy INDs (2020), "
             "batch analyses; 21 CFR 211.188 and 211.192 at BLA")

BL001 = rule(
    "BL001", LENS, "Required result missing on a batch not yet administered", "medium", _COMPLETE_RECORDS, _GUIDANCE,
    "A clinical batch that is released, rejected, or in process for more than "
    f"{RESULTS_DUE_DAYS} days lacks a valid result for an attribute required at the phase it was made in. "
    "It has not been administered, so it can still be tested from retained sample.")
BL002 = rule(
    "BL002", LENS, "Required result missing on an administered batch (irrecoverable)", "high", _COMPLETE_RECORDS,
    _GUIDANCE,
    "A clinical batch was administered without a valid result for an attribute required at the phase it was "
    "made in. In autologous therapy the lot is one patient's cells: the result can never be captured now.")


def evaluate(ctx) -> dict[str, LensResult]:
    cells = ctx.ds.query("required_results", as_of=ctx.as_of, program_id=ctx.program_id, phases=list(PHASES),
                         due_days=RESULTS_DUE_DAYS)
    out = {}
    for pid in ctx.programs["program_id"]:
        mine = cells[cells["program_id"] == pid]
        out[pid] = LensResult(figures(mine), findings(pid, mine))
    return out


def figures(cells: pd.DataFrame) -> dict:
    counts = cells["state"].value_counts()
    present, missing = int(counts.get("present", 0)), int(counts.get("missing", 0))
    gaps = cells[cells["state"] == "missing"]
    return {
        "required_results_expected": present + missing,
        "required_results_present": present,
        "required_results_missing": missing,
        "required_results_pending": int(counts.get("pending", 0)),
        "baseline_completeness": round(present / (present + missing), 4) if present + missing else None,
        "clinical_batches": int(cells["batch_id"].nunique()),
        "batches_with_gaps": int(gaps["batch_id"].nunique()),
        "irrecoverable_gaps": int((gaps["disposition"] == "administered").sum()),
        "by_month": by_month(cells),
    }


def by_month(cells: pd.DataFrame) -> list[dict]:
    """Required results per month of manufacture, so a reviewer sees when the gaps were made."""
    if cells.empty:
        return []
    frame = cells.assign(
        month=pd.to_datetime(cells["manufactured_on"]).dt.strftime("%Y-%m"),
        bucket=cells["state"].where(cells["state"] != "missing",
                                    cells["disposition"].map(lambda d: "irrecoverable" if d == "administered"
                                                             else "recoverable")))
    counts = frame.pivot_table(index="month", columns="bucket", values="attribute", aggfunc="count", fill_value=0)
    return [{"month": month, **{b: int(counts.loc[month].get(b, 0)) for b in MONTH_BUCKETS}}
            for month in counts.index]


# Each required result falls in one bucket: recorded; missing but testable from retained sample;
# missing on an administered batch; or not yet due.
MONTH_BUCKETS = ("present", "recoverable", "irrecoverable", "pending")


def findings(program_id: str, cells: pd.DataFrame) -> list[Finding]:
    gaps = cells[cells["state"] == "missing"]
    out = []
    for batch_id, rows in gaps.groupby("batch_id", sort=True):
        first = rows.iloc[0]
        attrs = ", ".join(rows["attribute"])
        evidence = records(rows[["batch_id", "attribute", "category", "manufactured_on", "disposition",
                                 "disposition_on", "process_version"]])
        if first["disposition"] == "administered":
            when = f" on {first['disposition_on']:%Y-%m-%d}" if pd.notna(first["disposition_on"]) else ""
            message = (f"Batch {batch_id} was administered{when} without a valid result for {attrs}; "
                       "it can never be measured now.")
            out.append(make(BL002, program_id, batch_id, message, evidence))
        else:
            state = "in process" if first["disposition"] == "in_process" else first["disposition"]
            message = (f"Batch {batch_id} ({state}, made {first['manufactured_on']:%Y-%m-%d}) has no valid result "
                       f"for {attrs}; test it from retained sample before it goes to a patient.")
            out.append(make(BL001, program_id, batch_id, message, evidence))
    return out
