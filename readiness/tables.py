"""Shapes the report into the tables pages and exports show, so a page only draws and the CLI agrees."""

from __future__ import annotations

import pandas as pd

from .findings import LENSES

STATUS_LABELS = {"off_track": "⛔ Off track", "at_risk": "⚠️ At risk", "on_track": "✅ On track",
                 "unknown": "❔ Unknown (data not usable)"}
SEVERITY_LABELS = {"high": "⛔ High", "medium": "⚠️ Medium", "low": "ℹ️ Low"}
STATUS_ORDER = ("off_track", "unknown", "at_risk", "on_track")


def portfolio(report: dict) -> pd.DataFrame:
    """One row per program, worst status first."""
    rows = []
    for p in report["programs"]:
        base = p["lenses"]["baseline"]
        rows.append({
            "program_id": p["program_id"],
            "program": p["name"],
            "modality": p["modality"],
            "phase": p["phase"],
            "status": STATUS_LABELS[p["status"]],
            "baseline_completeness_pct": None if base["baseline_completeness"] is None
            else round(100 * base["baseline_completeness"], 1),
            "irrecoverable_gaps": base["irrecoverable_gaps"],
            "high_findings": sum(f["severity"] == "high" for f in p["findings"]),
            "all_findings": len(p["findings"]),
            "top_finding": p["findings"][0]["message"] if p["findings"] else "",
            "next_milestone": p["next_milestone"],
            "next_milestone_on": p["next_milestone_on"],
            "_order": STATUS_ORDER.index(p["status"]),
        })
    frame = pd.DataFrame(rows, columns=[
        "program_id", "program", "modality", "phase", "status", "baseline_completeness_pct", "irrecoverable_gaps",
        "high_findings", "all_findings", "top_finding", "next_milestone", "next_milestone_on", "_order"])
    return frame.sort_values(["_order", "high_findings", "program_id"], ascending=[True, False, True]) \
        .drop(columns="_order").reset_index(drop=True)


def status_counts(report: dict) -> dict[str, int]:
    counts = {status: 0 for status in STATUS_ORDER}
    for p in report["programs"]:
        counts[p["status"]] += 1
    return counts


def findings(report: dict, lens: str | None = None) -> list[dict]:
    """Every finding of the report (one lens, or all), most severe first, each with its program's name."""
    out = []
    for p in report["programs"]:
        for f in p["findings"]:
            if lens is None or f["lens"] == lens:
                out.append({**f, "program": p["name"]})
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(out, key=lambda f: (order[f["severity"]], f["program_id"], f["code"], f["subject"]))


def findings_table(found: list[dict]) -> pd.DataFrame:
    """The findings as one flat table, for listing and CSV download."""
    return pd.DataFrame([{
        "severity": SEVERITY_LABELS[f["severity"]], "code": f["code"], "lens": LENSES[f["lens"]],
        "program_id": f["program_id"], "subject": f["subject"], "message": f["message"],
        "evidence_rows": len(f["evidence"]),
    } for f in found], columns=["severity", "code", "lens", "program_id", "subject", "message", "evidence_rows"])


def baseline_figures(report: dict) -> pd.DataFrame:
    """The baseline lens's scalar figures per program."""
    return pd.DataFrame([{"program_id": p["program_id"], "phase": p["phase"],
                          **{k: v for k, v in p["lenses"]["baseline"].items() if k != "by_month"}}
                         for p in report["programs"]])


GAP_STATES = {
    "recoverable": "Missing, batch not administered (test retained sample)",
    "irrecoverable": "Missing, batch administered (can never be measured)",
}


def baseline_gaps_by_month(report: dict) -> pd.DataFrame:
    """Missing required results per month of manufacture, summed over the report's programs.

    Every month with required results is kept (with zeros), so the timeline shows the clean months too.
    """
    rows = [{"month": m["month"], "state": label, "results": m[state], "required": sum(
                m[k] for k in ("present", "recoverable", "irrecoverable", "pending"))}
            for p in report["programs"] for m in p["lenses"]["baseline"]["by_month"]
            for state, label in GAP_STATES.items()]
    frame = pd.DataFrame(rows, columns=["month", "state", "results", "required"])
    return frame.groupby(["month", "state"], as_index=False, sort=True)[["results", "required"]].sum()


TABLE_STATES = {"ok": "✅ read", "absent": "➖ not provided (optional)", "blocked": "⛔ not usable"}


def table_states(ds) -> pd.DataFrame:
    """What was read of each contract table."""
    return pd.DataFrame([{
        "table": t.name, "status": TABLE_STATES[t.status], "files": len(t.files), "rows read": t.rows_read,
        "rows excluded": t.rows_excluded, "rows used": t.rows_used,
    } for t in ds.tables.values()])
