"""The baseline lens's report figures shaped into the tables and chart frames its page draws and exports."""

from __future__ import annotations

import pandas as pd

from ..checks.baseline import CELL_STATES as STATES, PHASE_WORDS

HEATMAP_BATCHES = 60  # a heatmap taller than this stops being readable; older batches with a gap are kept

# Each state: the glyph drawn in the heatmap cell and the words of the legend (colour only repeats them).
CELL_STATES = dict(zip(STATES, (
    ("✓", "Present: valid result recorded"),
    ("✗", "Missing: no result"),
    ("⊘", "Invalidated, no valid retest"),
    ("…", "Pending: testing window still open"),
)))
CELL_LABELS = {state: f"{glyph} {words}" for state, (glyph, words) in CELL_STATES.items()}
LINE_SERIES = {"completeness": "Batches made that month", "cumulative_completeness": "All batches made to date"}


def lens(program: dict) -> dict:
    return program["lenses"]["baseline"]


def attribute_options(report: dict) -> list[str]:
    """The required attributes of the programs in view, for the attribute picker."""
    return sorted({a["attribute"] for p in report["programs"] for a in lens(p)["by_attribute"]})


def batch_options(report: dict) -> list[str]:
    """The clinical batches of the programs in view, newest first, for the batch picker."""
    rows = [(b["manufactured_on"], b["batch_id"]) for p in report["programs"] for b in lens(p)["by_batch"]]
    return [batch for _, batch in sorted(rows, reverse=True)]


def heatmap(program: dict, attribute: str | None = None, batch: str | None = None, newest_first: bool = True,
            limit: int = HEATMAP_BATCHES) -> tuple[pd.DataFrame, str]:
    """Batch x attribute cells of one program, narrowed by the selection, and a note on what is left out.

    Past `limit` batches only the most recent are kept, plus every older batch with a missing or
    invalidated result in the columns shown, so no gap is hidden by the cut.
    """
    batches = [b for b in lens(program)["by_batch"] if batch is None or b["batch_id"] == batch]
    batches.sort(key=lambda b: (b["manufactured_on"], b["batch_id"]))
    note = ""
    if len(batches) > limit:
        recent, older = batches[-limit:], batches[:-limit]
        gapped = [b for b in older if any(state in ("missing", "invalidated") for a, state in b["states"].items()
                                          if attribute is None or a == attribute)]
        note = (f"Showing the {limit} most recent of {len(batches)} batches"
                + (f", and the {len(gapped)} older ones with a gap" if gapped else "")
                + "; pick a batch to see any other.")
        batches = gapped + recent
    if newest_first:
        batches = batches[::-1]
    rows = [{"batch_id": b["batch_id"], "manufactured_on": b["manufactured_on"], "disposition": b["disposition"],
             "disposition_on": b["disposition_on"], "process_version": b["process_version"], "attribute": a,
             "state": CELL_LABELS[state], "glyph": CELL_STATES[state][0], "batch_order": i}
            for i, b in enumerate(batches) for a, state in b["states"].items()
            if attribute is None or a == attribute]
    columns = ["batch_id", "manufactured_on", "disposition", "disposition_on", "process_version", "attribute",
               "state", "glyph", "batch_order"]
    return pd.DataFrame(rows, columns=columns), note


def attribute_bars(report: dict) -> pd.DataFrame:
    """Required results per attribute and state, summed over the programs in view (the per-attribute bar)."""
    order = list(CELL_STATES)
    rows = []
    for p in report["programs"]:
        for a in lens(p)["by_attribute"]:
            split = {"present": a["present"], "missing": a["missing"] - a["invalidated"],
                     "invalidated": a["invalidated"], "pending": a["pending"]}
            rows += [{"attribute": a["attribute"], "state": CELL_LABELS[s], "results": split[s],
                      "state_order": order.index(s)} for s in order]
    frame = pd.DataFrame(rows, columns=["attribute", "state", "results", "state_order"])
    return frame.groupby(["attribute", "state", "state_order"], as_index=False, sort=True)["results"].sum()


def completeness_line(program: dict) -> pd.DataFrame:
    """Completeness by month of manufacture (made that month, and cumulative) in percent, with the threshold."""
    threshold = lens(program)["completeness_min"]
    rows = [{"month": m["month"], "series": label, "completeness_pct": round(100 * m[key], 1),
             "threshold_pct": None if threshold is None else round(100 * threshold, 1)}
            for m in lens(program)["completeness_by_month"] for key, label in LINE_SERIES.items()
            if m[key] is not None]
    return pd.DataFrame(rows, columns=["month", "series", "completeness_pct", "threshold_pct"])


def irrecoverable_gaps(report: dict, attribute: str | None = None, batch: str | None = None) -> pd.DataFrame:
    """Required results missing on administered batches, from the BL002 findings' evidence."""
    rows = [{"program_id": p["program_id"], "batch_id": e["batch_id"], "attribute": e["attribute"],
             "category": e["category"], "manufactured_on": e["manufactured_on"],
             "administered_on": e["disposition_on"], "process_version": e["process_version"]}
            for p in report["programs"] for f in p["findings"] if f["code"] == "BL002" for e in f["evidence"]
            if (attribute is None or e["attribute"] == attribute) and (batch is None or e["batch_id"] == batch)]
    return pd.DataFrame(rows, columns=["program_id", "batch_id", "attribute", "category", "manufactured_on",
                                       "administered_on", "process_version"])


DEVIATION_OVERDUE = {True: "⛔ past its limit", False: "within its limit"}


def open_deviations(report: dict, batch: str | None = None) -> pd.DataFrame:
    """Deviations open on the as-of date, oldest first, with their age against the phase's limit."""
    rows = [{"program_id": p["program_id"], "deviation_id": d["deviation_id"], "severity": d["severity"],
             "age_days": d["age_days"], "max_open_days": d["max_open_days"],
             "limit_status": "no limit at this phase" if d["max_open_days"] is None
             else DEVIATION_OVERDUE[d["overdue"]],
             "opened_on": d["opened_on"], "batch_id": d["batch_id"],
             "batch_disposition": d["batch_disposition"], "title": d["title"]}
            for p in report["programs"] for d in lens(p)["open_deviations"]
            if batch is None or d["batch_id"] == batch]
    frame = pd.DataFrame(rows, columns=["program_id", "deviation_id", "severity", "age_days", "max_open_days",
                                        "limit_status", "opened_on", "batch_id", "batch_disposition", "title"])
    return frame.sort_values(["age_days", "deviation_id"], ascending=[False, True], ignore_index=True)
