"""The potency lens's report figures shaped into the tables and chart frames its page draws and exports."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from ..checks.potency import BATCH_STATES, PHASE_WORDS
from ..expectations import STAGES

STAGE_LABELS = {"exploratory": "exploratory (defined, never run)", "developing": "developing (in use)",
                "qualified": "qualified", "validated": "validated"}
BATCH_STATE_LABELS = dict(zip(BATCH_STATES, (
    "Quantitative potency result",
    "Qualitative (pass/fail) potency only",
    "No potency result, administered",
    "No potency result, released",
    "No potency result yet (in process or rejected)",
)))
CELL_STATES = {
    "counts": ("✅", "Covers its element (quantitative, at the stage expected)"),
    "below": ("⚠️", "Reads it out, but qualitative or below the stage expected"),
    "none": ("⛔", "Element read out by no assay"),
    "unlisted": ("➖", "Not a listed mechanism element"),
}
NO_ASSAY = "No assay"


def lens(program: dict) -> dict:
    return program["lenses"]["potency"]


def figures(report: dict) -> pd.DataFrame:
    """The lens's headline figures, one row per program."""
    rows = []
    for p in report["programs"]:
        f = lens(p)
        rows.append({
            "program_id": p["program_id"], "phase": p["phase"],
            "stage_expected": f["potency_stage_expected"] or "none yet",
            "mechanisms_covered": f"{f['mechanisms_covered']} of {f['mechanisms']}",
            "mechanism_coverage_pct": _pct(f["mechanism_coverage"]),
            "potency_assays": f["potency_assays"], "quantitative_potency_assays": f["quantitative_potency_assays"],
            "clinical_batches": f["clinical_batches"],
            "batches_with_quantitative_potency": f["batches_with_quantitative_potency"],
            "quantitative_potency_batch_pct": _pct(f["quantitative_potency_batch_share"]),
            "administered_without_potency": f["batches_by_potency"]["none_administered"],
            "released_without_potency": f["batches_by_potency"]["none_released"],
        })
    return pd.DataFrame(rows, columns=[
        "program_id", "phase", "stage_expected", "mechanisms_covered", "mechanism_coverage_pct", "potency_assays",
        "quantitative_potency_assays", "clinical_batches", "batches_with_quantitative_potency",
        "quantitative_potency_batch_pct", "administered_without_potency", "released_without_potency"])


def _pct(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


def coverage_matrix(f: dict) -> pd.DataFrame:
    """Mechanism element x assay, one labelled cell per assay that reads the element out.

    An element no assay reads out gets a cell in the "No assay" column; matrix assays naming no listed
    element are kept on their own rows, so nothing the data says is hidden.
    """
    rows = []
    for m in f["mechanism_detail"]:
        for a in m["assays"]:
            rows.append(_cell(m["mechanism"], a, "counts" if a["counts"] else "below"))
        if not m["assays"]:
            rows.append(_cell(m["mechanism"], None, "none"))
    listed = {m["mechanism"] for m in f["mechanism_detail"]}
    for a in f["assays"]:
        if a["mechanism"] not in listed:
            element = (f"{a['mechanism']} (not in the mechanisms list)" if a["mechanism"]
                       else "(names no mechanism element)")
            rows.append(_cell(element, a, "unlisted"))
    return pd.DataFrame(rows, columns=["mechanism", "assay", "category", "readout", "stage", "state", "label"])


def _cell(mechanism: str, assay: dict | None, state: str) -> dict:
    icon, words = CELL_STATES[state]
    if assay is None:
        return {"mechanism": mechanism, "assay": NO_ASSAY, "category": None, "readout": None, "stage": None,
                "state": words, "label": f"{icon} read out by no assay"}
    return {"mechanism": mechanism, "assay": assay["assay_id"], "category": assay["category"],
            "readout": assay["readout"], "stage": assay["stage"], "state": words,
            "label": f"{icon} {assay['stage']} · {assay['readout']}"}


def assay_table(f: dict) -> pd.DataFrame:
    """Each assay of the potency matrix with its stage on the as-of date and the dates that set it."""
    frame = pd.DataFrame(f["assays"], columns=["assay_id", "name", "category", "mechanism", "readout", "stage",
                                               "first_result_on", "qualified_on", "validated_on", "results"])
    return frame.assign(stage=frame["stage"].map(STAGE_LABELS))


def stage_timeline(f: dict, as_of: str) -> pd.DataFrame:
    """Each assay's stage as time segments up to the as-of date, from the dates the report gives.

    The stage on a day is the most mature one whose date has passed (first result: developing; qualified_on;
    validated_on), as the lens defines it; before the first of them an assay is exploratory.
    """
    end = date.fromisoformat(as_of)
    events = [(a["assay_id"], stage, date.fromisoformat(a[key])) for a in f["assays"]
              for stage, key in (("developing", "first_result_on"), ("qualified", "qualified_on"),
                                 ("validated", "validated_on")) if a[key]]
    starts = [d for _, _, d in events] + [date.fromisoformat(p["started_on"]) for p in f["phase_changes"]]
    start = min(starts, default=end - timedelta(days=365))
    rows = []
    for a in f["assays"]:
        mine = sorted((d, STAGES.index(s)) for i, s, d in events if i == a["assay_id"])
        changes, best = [(start, 0)], 0
        for day, rank in mine:
            if rank > best:
                best = rank
                changes.append((day, rank))
        for (begin, rank), following in zip(changes, [*changes[1:], (end, None)]):
            if following[0] > begin:
                rows.append({"assay": a["assay_id"], "stage": STAGES[rank], "label": STAGE_LABELS[STAGES[rank]],
                             "from": begin.isoformat(), "to": following[0].isoformat()})
    return pd.DataFrame(rows, columns=["assay", "stage", "label", "from", "to"])


def phase_rules(f: dict) -> pd.DataFrame:
    return pd.DataFrame([{"phase": PHASE_WORDS[p["phase"]], "started_on": p["started_on"],
                          "label": f"{PHASE_WORDS[p['phase']]} from {p['started_on']}"} for p in f["phase_changes"]],
                        columns=["phase", "started_on", "label"])


def batches_by_month(report: dict) -> pd.DataFrame:
    """Clinical batches per month of manufacture and potency state, summed over the report's programs."""
    rows = [{"month": m["month"], "state": BATCH_STATE_LABELS[s], "order": i, "batches": m[s]}
            for p in report["programs"] for m in lens(p)["batches_by_month"] for i, s in enumerate(BATCH_STATES)]
    frame = pd.DataFrame(rows, columns=["month", "state", "order", "batches"])
    return frame.groupby(["month", "state", "order"], as_index=False, sort=True)["batches"].sum()


def trend_options(report: dict) -> dict[str, str]:
    """Assays with quantitative potency points to trend, id → label, in the report's program order."""
    out = {}
    for p in report["programs"]:
        names = {a["assay_id"]: a["name"] for a in lens(p)["assays"]}
        for point in lens(p)["trend"]:
            aid = point["assay_id"]
            out.setdefault(aid, f"{aid} · {names.get(aid, point['attribute'])} ({p['program_id']})")
    return out


def trend(report: dict, assay_id: str) -> pd.DataFrame:
    """The assay's points, oldest batch first, with the specification limits in force for the attribute."""
    rows = [point for p in report["programs"] for point in lens(p)["trend"] if point["assay_id"] == assay_id]
    return pd.DataFrame(rows, columns=["assay_id", "attribute", "unit", "batch_id", "manufactured_on", "value",
                                       "lower_limit", "upper_limit"])
