"""Shapes the report into the tables pages and exports show, so a page only draws and the CLI agrees."""

from __future__ import annotations

import json

import pandas as pd

from .contract import PHASES
from .findings import LENSES, RULES, sort_key
from .scoring import STATUS_WORDS, STATUSES

STATUS_ICONS = {"off_track": "⛔", "unknown": "❔", "at_risk": "⚠️", "on_track": "✅", "not_assessed": "➖"}
STATUS_LABELS = {s: f"{STATUS_ICONS[s]} {STATUS_WORDS[s]}" for s in STATUSES}
SEVERITY_LABELS = {"high": "⛔ High", "medium": "⚠️ Medium", "low": "ℹ️ Low"}
STATUS_ORDER = STATUSES


def portfolio(digest: dict) -> pd.DataFrame:
    """One row per program of a `portfolio_digest`, worst first: overall and per-lens status, score and trend."""
    rows = []
    for p in digest["programs"]:
        rows.append({
            "program_id": p["program_id"],
            "program": p["name"],
            "modality": p["modality"],
            "phase": p["phase"],
            "status": STATUS_LABELS[p["status"]],
            "score": p["score"],
            "score_trend": [t["score"] for t in p.get("trend", []) if t["score"] is not None],
            **{f"lens_{lens}": STATUS_LABELS[v["status"]] for lens, v in p["lens_status"].items()},
            "baseline_completeness_pct": None if p["baseline_completeness"] is None
            else round(100 * p["baseline_completeness"], 1),
            "irrecoverable_gaps": p["irrecoverable_gaps"],
            "high_findings": p["high_findings"],
            "top_finding": p["top_finding"],
            "next_milestone": p["next_milestone"],
            "next_milestone_on": p["next_milestone_on"],
            "days_to_milestone": p["days_to_milestone"],
        })
    columns = ["program_id", "program", "modality", "phase", "status", "score", "score_trend",
               *(f"lens_{lens}" for lens in LENSES), "baseline_completeness_pct", "irrecoverable_gaps",
               "high_findings", "top_finding", "next_milestone", "next_milestone_on", "days_to_milestone"]
    return pd.DataFrame(rows, columns=columns)


def status_grid(digest: dict) -> pd.DataFrame:
    """Programs x lenses of a `portfolio_digest` (or a report), one labelled cell each, worst program first."""
    return pd.DataFrame([{
        "program": p["program_id"], "lens": LENSES[lens], "status": STATUS_WORDS[v["status"]],
        "label": STATUS_LABELS[v["status"]] + ("" if v["score"] is None else f" · {v['score']}"),
        "score": v["score"], "program_order": i, "lens_order": j,
    } for i, p in enumerate(digest["programs"]) for j, (lens, v) in enumerate(p["lens_status"].items())],
        columns=["program", "lens", "status", "label", "score", "program_order", "lens_order"])


def lens_breakdown(program: dict) -> pd.DataFrame:
    """Why a program has its status: each lens's status, score and open findings by severity."""
    return pd.DataFrame([{
        "lens": LENSES[lens], "status": STATUS_LABELS[v["status"]], "score": v["score"],
        "high": v["findings"]["high"], "medium": v["findings"]["medium"], "low": v["findings"]["low"],
    } for lens, v in program["lens_status"].items()],
        columns=["lens", "status", "score", "high", "medium", "low"])


def expectation_matrix(expectations) -> pd.DataFrame:
    """The yardstick as a reviewer reads it: one row per expectation and modality, one column per phase."""
    rows = []
    for item in expectations.items.values():
        for modality in item.rows:
            row = {"expectation": item.title, "modality": modality, "finding": item.code,
                   "checked": "✅ yes" if item.code in RULES else "➖ not yet"}
            for phase in PHASES:
                found = item.at(phase, modality)
                row[phase] = "—" if found is None else f"{_threshold_text(found.threshold)} ({found.severity})"
            row.update({"unit": item.unit, "rationale": item.rationale, "reference": item.reference})
            rows.append(row)
    return pd.DataFrame(rows, columns=["expectation", "modality", "finding", "checked", *PHASES, "unit",
                                       "rationale", "reference"])


def settings_table(expectations) -> pd.DataFrame:
    return pd.DataFrame([{"setting": k, "value": str(v)} for k, v in expectations.settings.items()],
                        columns=["setting", "value"])


def _threshold_text(value) -> str:
    if isinstance(value, bool):
        return "required" if value else "not required"
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {v} d" for k, v in value.items())
    if isinstance(value, float) and value <= 1:
        return f"{value:.0%}"
    return str(value)


def status_counts(report: dict) -> dict[str, int]:
    return dict(report["summary"]["programs_by_status"])


def findings(report: dict, lens: str | None = None) -> list[dict]:
    """Every finding of the report (one lens, or all), most severe first, each with its program's name."""
    out = []
    for p in report["programs"]:
        for f in p["findings"]:
            if lens is None or f["lens"] == lens:
                out.append({**f, "program": p["name"]})
    return sorted(out, key=sort_key)


def findings_table(found: list[dict]) -> pd.DataFrame:
    """The findings as one flat table, for listing and CSV download."""
    return pd.DataFrame([{
        "severity": SEVERITY_LABELS[f["severity"]], "code": f["code"], "lens": LENSES[f["lens"]],
        "program_id": f["program_id"], "subject": f["subject"], "message": f["message"],
        "evidence_rows": len(f["evidence"]),
    } for f in found], columns=["severity", "code", "lens", "program_id", "subject", "message", "evidence_rows"])


def findings_flat(found: list[dict]) -> pd.DataFrame:
    """One row per evidence row, with its finding's columns, for a CSV a reviewer can filter."""
    rows = []
    for f in found:
        head = {"severity": f["severity"], "code": f["code"], "lens": LENSES[f["lens"]], "program_id": f["program_id"],
                "subject": f["subject"], "message": f["message"], "expectation": f["expectation"],
                "reference": f["reference"]}
        rows += [{**head, **{f"evidence.{k}": v for k, v in e.items()}} for e in f["evidence"]] or [head]
    return pd.DataFrame(rows)


def as_json(payload: dict) -> str:
    return json.dumps(payload, indent=2)


def brief_programs(brief: dict) -> pd.DataFrame:
    return pd.DataFrame([{
        "program_id": p["program_id"], "program": p["name"], "phase": p["phase"],
        "status then": STATUS_LABELS[p["status_then"]] if p["status_then"] else "—",
        "status now": STATUS_LABELS[p["status_now"]],
        "score then": p["score_then"], "score now": p["score_now"], "score change": p["score_delta"],
        "new findings": len(p["new_findings"]), "resolved findings": len(p["resolved_findings"]),
    } for p in brief["programs"]])


def brief_findings(brief: dict, key: str) -> list[dict]:
    """New or resolved findings of every program, most severe first, in the shape findings lists take."""
    found = [{**f, "program": p["name"]} for p in brief["programs"] for f in p[key]]
    return sorted(found, key=sort_key)


def brief_decisions(brief: dict) -> pd.DataFrame:
    return pd.DataFrame([{"program_id": p["program_id"], "needs a decision": line}
                         for p in brief["programs"] for line in p["needs_decision"]],
                        columns=["program_id", "needs a decision"])


def baseline_figures(report: dict) -> pd.DataFrame:
    """The baseline lens's scalar figures per program (its lists are drawn as charts and tables)."""
    return pd.DataFrame([{"program_id": p["program_id"], "phase": p["phase"],
                          **{k: v for k, v in p["lenses"]["baseline"].items() if not isinstance(v, list)}}
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


def problems_table(problems) -> pd.DataFrame:
    """Validation problems as rows, with the example rows joined, for a CSV the data owner can work through."""
    return pd.DataFrame([{**p.to_dict(), "examples": "; ".join(p.to_dict()["examples"])} for p in problems])


TABLE_STATES = {"ok": "✅ read", "absent": "➖ not provided (optional)", "blocked": "⛔ not usable"}


def table_states(ds) -> pd.DataFrame:
    """What was read of each contract table."""
    return pd.DataFrame([{
        "table": t.name, "status": TABLE_STATES[t.status], "files": len(t.files), "rows read": t.rows_read,
        "rows excluded": t.rows_excluded, "rows used": t.rows_used,
    } for t in ds.tables.values()])
