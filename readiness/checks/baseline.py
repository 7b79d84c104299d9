"""Batch records & baseline: are the results every later comparability argument stands on all there?

The lens also judges the deviations on those records (DV001, DV002): a batch record is not complete
while an investigation on it is open.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from ..contract import PHASES, PHASE_WORDS, phase_rank
from ..findings import Finding, make, rule
from .ahead import Questions
from .lens import LensResult, grouped, plain_column, rows_by_program, share, without

LENS = "baseline"
TABLES = ("programs", "phase_history", "batches", "attributes", "results", "deviations")  # unusable: unknown
RESULTS_DUE_DAYS = 21  # release testing (sterility takes 14 days) has this long before a gap counts

_COMPLETE_RECORDS = ("Every result the data plan requires at the batch's phase is recorded on every clinical batch "
                     "(complete batch records from Phase 1: they are the baseline for later comparability).")
_GUIDANCE = ("FDA, Chemistry, Manufacturing, and Control (CMC) Information for Human Gene Therapy INDs (2020), "
             "batch analyses; 21 CFR 211.188 and 211.192 at BLA")
_OOS_GUIDANCE = ("FDA, Investigating Out-of-Specification (OOS) Test Results for Pharmaceutical Production (2022), "
                 "invalidation and retesting; 21 CFR 211.192")
_DEVIATION_GUIDANCE = ("21 CFR 211.192 (unexplained discrepancies investigated before release); FDA, Current Good "
                       "Manufacturing Practice for Phase 1 Investigational Drugs (2008)")
_UNDER_BASELINE = ("Deviations are listed under the Batch records & baseline lens: an open investigation leaves the "
                   "batch record incomplete.")

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
BL003 = rule(
    "BL003", LENS, "Data plan lacks an attribute category the phase expects", "high",
    "At each phase the data plan requires, on every clinical batch, an attribute of each category the expectation "
    "`required_categories` lists for the program's modality.",
    "FDA, CMC Information for Human Gene Therapy INDs (2020), drug product specifications; 21 CFR 610.10 (potency)",
    "A category counts when an attribute of that category has a `required_from` at or before the program's phase "
    "in force; an attribute that is measured but never required does not count. One finding per program, listing "
    "the missing categories; the severity is the expectation row's (low before Phase 1, high from Phase 1 in the "
    "built-in matrix).")
BL004 = rule(
    "BL004", LENS, "Baseline completeness below the phase threshold", "medium",
    "The share of required results present on clinical batches is at least the expectation "
    "`baseline_completeness_min` at the program's phase.",
    "FDA, CMC Information for Human Gene Therapy INDs (2020), section on batch analyses; FDA statement on flexible "
    "CMC (Jan 2026)",
    "Baseline completeness (valid required results recorded / required results due, pending ones left out) is "
    "below the threshold of the phase in force. The severity is the expectation row's; the evidence lists the "
    "attributes with gaps.")
BL005 = rule(
    "BL005", LENS, "Result invalidated and never replaced by a valid retest", "medium",
    "A required result invalidated for an assignable cause is replaced by a valid retest.", _OOS_GUIDANCE,
    "A clinical batch has only invalidated results for an attribute required at the phase it was made in, and "
    "its testing window is over. One finding per batch, listing the attributes. Always medium: on an administered "
    "batch the same result is already a BL002 (high), and it is not counted twice as high; BL005 says that a "
    "voided result was never followed up.")
DV001 = rule(
    "DV001", LENS, "Batch released or administered while a major or critical deviation on it was open", "high",
    "No batch is released or administered while a major or critical deviation on it is open.", _DEVIATION_GUIDANCE,
    "A clinical or PPQ batch was released or administered on a day when a major or critical deviation on it had "
    "been opened (on or before that day) and not closed. The batch holds only its latest disposition, so that "
    "one is judged; one without a date is judged on the as-of date. One finding per batch. Needs the optional "
    f"`deviations` table: without it there is nothing to judge. {_UNDER_BASELINE}")
DV002 = rule(
    "DV002", LENS, "Deviation open longer than its severity allows", "medium",
    "A deviation closes within the days the expectation `deviation_max_open_days` allows for its severity.",
    "21 CFR 211.192 (production record review); FDA, Investigating Out-of-Specification Test Results (2022)",
    "A deviation open on the as-of date (opened on or before it, not closed by then) has been open longer than "
    "the phase's limit for its severity. One finding per deviation; the severity is the expectation row's. "
    f"{_UNDER_BASELINE}")

# Each required result on the heatmap is in one of these states; 'invalidated' is a missing result whose
# only records were invalidated (its testing window is over, no valid retest).
CELL_STATES = ("present", "missing", "invalidated", "pending")


def questions(ctx) -> Questions:
    on_day = dict(as_of=ctx.as_of, program_id=ctx.program_id)
    return {
        "cells": ("required_results", dict(on_day, phases=list(PHASES), due_days=RESULTS_DUE_DAYS)),
        "plan": ("data_plan_categories", dict(program_id=ctx.program_id, phases=list(PHASES))),
        "open_devs": ("open_deviations", on_day),
        "at_disposition": ("deviations_at_disposition", on_day),
    }


def evaluate(ctx) -> dict[str, LensResult]:
    answers = ctx.answers(questions(ctx))
    cells = _Cells(answers.pop("cells"))
    # a few rows for a whole portfolio: plain rows made once, not a frame per program
    plan = rows_by_program(answers["plan"])
    open_devs, at_disposition = rows_by_program(answers["open_devs"]), rows_by_program(answers["at_disposition"])
    out = {}
    for program in ctx.programs.itertuples(index=False):
        pid, phase, modality = program.program_id, program.phase, program.modality
        gaps, voided = cells.gaps.get(pid, []), cells.voided.get(pid, [])
        completeness_row = ctx.expectations.at("baseline_completeness_min", phase, modality)
        deviation_row = ctx.expectations.at("deviation_max_open_days", phase, modality)
        devs = overdue(open_devs.get(pid, []), deviation_row)
        disposed = at_disposition.get(pid, [])
        figs = figures(cells.columns(pid), cells.batches.get(pid, []), gaps)
        figs.update(
            completeness_min=completeness_row.threshold if completeness_row else None,
            open_deviations=[without(d, "program_id") for d in devs],
            deviations_open=len(devs),
            deviations_overdue=sum(d["overdue"] for d in devs),
            batches_disposed_with_open_deviation=len({d["batch_id"] for d in disposed if d["batch_id"] is not None}),
        )
        found = findings(pid, gaps)
        found += category_findings(pid, phase, modality, plan.get(pid, []), ctx.expectations)
        found += completeness_findings(pid, phase, figs, completeness_row)
        found += invalidated_findings(pid, voided)
        found += disposition_findings(pid, disposed)
        found += overdue_findings(pid, phase, devs, deviation_row)
        out[pid] = LensResult(figs, found)
    return out


_BATCH_KEYS = ["batch_id", "manufactured_on", "process_version", "disposition", "disposition_on"]
_GAP_EVIDENCE = ["batch_id", "attribute", "category", "manufactured_on", "disposition", "disposition_on",
                 "process_version"]
_VOIDED_EVIDENCE = ["batch_id", "attribute", "category", "invalidated_on", "manufactured_on", "disposition",
                    "disposition_on"]


class _Cells:
    """Every program's required results, counted as plain columns of which a program's rows are one slice.

    At a CDMO's volume a plain row, or a frame, per program and result cost most of the lens's time. Only a
    batch's row and the rows a finding lists become plain rows. The query returns the rows by program.
    """

    def __init__(self, cells: pd.DataFrame):
        cells = cells.assign(cell=cell_states(cells))
        self._columns = {name: plain_column(cells[name]) for name in ("batch_id", "attribute", "category", "state",
                                                                      "cell")}
        self._columns.update(month=_months(cells["manufactured_on"]), bucket=plain_column(_buckets(cells)))
        self._spans = {pid: (rows[0], rows[-1] + 1)
                       for pid, rows in cells.groupby("program_id", sort=False).indices.items()}
        self.batches = rows_by_program(cells.drop_duplicates("batch_id"), _BATCH_KEYS)
        self.gaps = rows_by_program(cells[cells["state"] == "missing"], _GAP_EVIDENCE)
        self.voided = rows_by_program(cells[cells["cell"] == "invalidated"], _VOIDED_EVIDENCE)

    def columns(self, program_id: str) -> dict[str, list]:
        start, end = self._spans.get(program_id, (0, 0))
        return {name: column[start:end] for name, column in self._columns.items()}


def _months(made: pd.Series) -> list[str]:
    """Each row's month of manufacture as text, one object per month: a portfolio's results span a few dozen."""
    codes, months = pd.factorize(made.to_numpy().astype("datetime64[M]").view("int64"))
    return np.datetime_as_string(months.view("datetime64[M]"), unit="M").astype(object)[codes].tolist()


def cell_states(cells: pd.DataFrame) -> pd.Series:
    """present / missing / invalidated / pending for each required result."""
    voided = (cells["state"] == "missing") & cells["invalidated"].astype(bool)
    return cells["state"].where(~voided, "invalidated")


def _buckets(cells: pd.DataFrame) -> pd.Series:
    lost = np.where(cells["disposition"] == "administered", "irrecoverable", "recoverable")
    return cells["state"].where(cells["state"] != "missing", lost)


def figures(cells: dict[str, list], batches: list[dict], gaps: list[dict]) -> dict:
    counts = Counter(cells["state"])
    present, missing = counts["present"], counts["missing"]
    months = by_month(cells)
    return {
        "required_results_expected": present + missing,
        "required_results_present": present,
        "required_results_missing": missing,
        "required_results_pending": counts["pending"],
        "baseline_completeness": share(present, present + missing),
        "clinical_batches": len(batches),
        "batches_with_gaps": len({g["batch_id"] for g in gaps}),
        "irrecoverable_gaps": sum(g["disposition"] == "administered" for g in gaps),
        "results_invalidated_not_retested": cells["cell"].count("invalidated"),
        "by_month": months,
        "completeness_by_month": completeness_by_month(months),
        "by_attribute": by_attribute(cells),
        "by_batch": by_batch(cells, batches),
    }


def by_month(cells: dict[str, list]) -> list[dict]:
    """Required results per month of manufacture, so a reviewer sees when the gaps were made."""
    counts = Counter(zip(cells["month"], cells["bucket"]))
    return [{"month": month, **{b: counts[(month, b)] for b in MONTH_BUCKETS}}
            for month in sorted({month for month, _ in counts})]


# Each required result falls in one bucket: recorded; missing but testable from retained sample;
# missing on an administered batch; or not yet due.
MONTH_BUCKETS = ("present", "recoverable", "irrecoverable", "pending")


def completeness_by_month(months: list[dict]) -> list[dict]:
    """Completeness of the batches made each month, and of all batches made up to that month's end.

    The cumulative share at the last month equals `baseline_completeness`, the figure BL004 judges.
    """
    out, total_present, total_due = [], 0, 0
    for m in months:
        due = m["present"] + m["recoverable"] + m["irrecoverable"]
        total_present, total_due = total_present + m["present"], total_due + due
        out.append({"month": m["month"], "expected": due, "present": m["present"],
                    "completeness": share(m["present"], due), "cumulative_expected": total_due,
                    "cumulative_present": total_present,
                    "cumulative_completeness": share(total_present, total_due)})
    return out


def _state_counts(count) -> dict:
    """Counts as the lens reports them (`count(state)` results in a state): `missing` includes the invalidated
    ones, `expected` leaves pending out."""
    present, pending, invalidated = count("present"), count("pending"), count("invalidated")
    missing = count("missing") + invalidated
    return {"expected": present + missing, "present": present, "missing": missing, "invalidated": invalidated,
            "pending": pending, "completeness": share(present, present + missing)}


def by_attribute(cells: dict[str, list]) -> list[dict]:
    """Required results per attribute, so the attribute that drags completeness down stands out."""
    category = dict(zip(cells["attribute"], cells["category"]))  # one per attribute: the data plan's key
    counts = Counter(zip(cells["attribute"], cells["cell"]))
    return [{"attribute": a, "category": category[a], **_state_counts(lambda s, a=a: counts[(a, s)])}
            for a in sorted(category)]


def by_batch(cells: dict[str, list], batches: list[dict]) -> list[dict]:
    """Required results per clinical batch, oldest first, with each attribute's state (the heatmap's rows).

    A batch's cells are one run (the query orders them by batch, an attribute once per batch), so each batch's
    states are made from its run at once: a dict entry per cell was an eighth of the lens for every program."""
    ids, attributes, cells_of = cells["batch_id"], cells["attribute"], cells["cell"]
    starts = [i for i in range(1, len(ids)) if ids[i] != ids[i - 1]]
    states = {ids[start]: dict(zip(attributes[start:stop], cells_of[start:stop]))
              for start, stop in zip([0, *starts], [*starts, len(ids)]) if start < stop}
    return [{**batch, **_state_counts(list(states[batch["batch_id"]].values()).count),
             "states": states[batch["batch_id"]]} for batch in batches]


def findings(program_id: str, gaps: list[dict]) -> list[Finding]:
    out = []
    for batch_id, rows in sorted(grouped(gaps, "batch_id").items()):
        first = rows[0]
        attrs = ", ".join(r["attribute"] for r in rows)
        if first["disposition"] == "administered":
            when = f" on {first['disposition_on']}" if first["disposition_on"] is not None else ""
            message = (f"Batch {batch_id} was administered{when} without a valid result for {attrs}; "
                       "it can never be measured now.")
            out.append(make(BL002, program_id, batch_id, message, rows))
        else:
            state = _disposition_words(first["disposition"])
            message = (f"Batch {batch_id} ({state}, made {first['manufactured_on']}) has no valid result "
                       f"for {attrs}; test it from retained sample before it goes to a patient.")
            out.append(make(BL001, program_id, batch_id, message, rows))
    return out


def _disposition_words(disposition: str) -> str:
    return "in process" if disposition == "in_process" else disposition


def category_findings(program_id: str, phase: str, modality: str, plan: list[dict], expectations) -> list[Finding]:
    """BL003: the categories the phase expects that no attribute required by now covers."""
    row = expectations.at("required_categories", phase, modality)
    if row is None:
        return []
    required = {r["category"] for r in plan
                if r["required_from"] is not None and phase_rank(r["required_from"]) <= phase_rank(phase)}
    lacking = [c for c in row.threshold if c not in required]
    if not lacking:
        return []
    by_category = {r["category"]: r for r in plan}
    evidence, notes = [], []
    for category in lacking:
        known = by_category.get(category)
        attributes = known["attributes"] if known else None
        evidence.append({"category": category, "attributes_in_plan": attributes,
                         "required_from": known["required_from"] if known else None})
        if attributes:
            since = (f"required only from {PHASE_WORDS[known['required_from']]}" if known["required_from"]
                     else "never required")
            notes.append(f"{category}: {attributes} is in the plan but {since}")
    when = PHASE_WORDS[phase]
    message = (f"At {when} the data plan requires no {_either(lacking)} attribute on clinical batches"
               + (f" ({'; '.join(notes)})." if notes else "."))
    expectation = (f"At {when} ({modality.replace('_', ' ')}) the data plan requires, on every clinical batch, an "
                   f"attribute of each category: {', '.join(row.threshold)}.")
    return [make(BL003, program_id, "data plan", message, evidence, severity=row.severity,
                 expectation=expectation, reference=expectations.items["required_categories"].reference)]


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _percent(share: float) -> str:
    return f"{100 * share:g}%"


def completeness_findings(program_id: str, phase: str, figs: dict, row) -> list[Finding]:
    """BL004: the program's baseline completeness against the phase threshold."""
    completeness = figs["baseline_completeness"]
    if row is None or completeness is None or completeness >= row.threshold:
        return []
    when = PHASE_WORDS[phase]
    message = (f"{figs['required_results_present']:,} of {figs['required_results_expected']:,} required results "
               f"are recorded on clinical batches ({completeness:.1%}), below the {_percent(row.threshold)} "
               f"expected at {when}.")
    evidence = [{k: a[k] for k in ("attribute", "category", "expected", "present", "missing", "completeness")}
                for a in figs["by_attribute"] if a["missing"]]
    expectation = (f"At {when}, at least {_percent(row.threshold)} of the required results due on clinical "
                   "batches are present.")
    return [make(BL004, program_id, "required results", message, evidence, severity=row.severity,
                 expectation=expectation)]


def invalidated_findings(program_id: str, voided: list[dict]) -> list[Finding]:
    """BL005: per batch, the required results whose only records were invalidated."""
    out = []
    for batch_id, rows in sorted(grouped(voided, "batch_id").items()):
        attrs = ", ".join(r["attribute"] for r in rows)
        last = max(r["invalidated_on"] for r in rows)
        message = (f"Batch {batch_id} ({_disposition_words(rows[0]['disposition'])}) has only an invalidated "
                   f"result for {attrs} (last invalidated {last}); no valid retest was recorded.")
        out.append(make(BL005, program_id, batch_id, message, rows))
    return out


def disposition_findings(program_id: str, disposed: list[dict]) -> list[Finding]:
    """DV001: per batch, the major or critical deviations open on the day it was released or administered."""
    out = []
    for batch_id, rows in sorted(grouped(disposed, "batch_id").items()):
        first = rows[0]
        on = f"on {first['disposition_on']}" if first["disposition_on"] is not None else "(date not recorded)"
        open_ones = "; ".join(f"{d['severity']} deviation {d['deviation_id']} ({d['title']}, opened {d['opened_on']})"
                              for d in rows)
        message = f"Batch {batch_id} was {first['disposition']} {on} while {open_ones} was open."
        out.append(make(DV001, program_id, batch_id, message, [without(d, "program_id") for d in rows]))
    return out


def overdue(devs: list[dict], row) -> list[dict]:
    """The open deviations with the phase's limit for their severity, and whether they are past it."""
    out = []
    for d in devs:
        limit = row.threshold[d["severity"]] if row else None
        limit = None if limit is None else int(limit)
        out.append({**d, "max_open_days": limit, "overdue": limit is not None and d["age_days"] > limit})
    return out


def overdue_findings(program_id: str, phase: str, devs: list[dict], row) -> list[Finding]:
    """DV002: one finding per open deviation past its severity's limit."""
    out = []
    for d in devs:
        if not d["overdue"]:
            continue
        batch = (f" on batch {d['batch_id']} ({_disposition_words(d['batch_disposition'])})"
                 if d["batch_id"] is not None else "")
        message = (f"Deviation {d['deviation_id']}, {d['severity']}{batch}, has been open {d['age_days']} days "
                   f"since {d['opened_on']} ({d['title']}); at {PHASE_WORDS[phase]} a {d['severity']} deviation "
                   f"closes within {d['max_open_days']} days.")
        limits = ", ".join(f"{k} {v} days" for k, v in row.threshold.items())
        expectation = f"At {PHASE_WORDS[phase]} a deviation closes within {limits}."
        evidence = [without(e, "program_id", "overdue") for e in devs if e["deviation_id"] == d["deviation_id"]]
        out.append(make(DV002, program_id, d["deviation_id"], message, evidence, severity=row.severity,
                        expectation=expectation))
    return out
