"""The changes lens's report figures shaped into the tables and chart frames its page draws and exports."""

from __future__ import annotations

import pandas as pd

from ..stats.comparability import EQUIVALENT, INSUFFICIENT, NOT_SHOWN

AGE_STATES = {"over": "⛔ Older than its risk allows", "within": "✅ Within the age its risk allows",
              "none": "➖ No age limit at this phase"}
VERDICT_LABELS = {EQUIVALENT: "✅ equivalent", NOT_SHOWN: "⛔ not shown", INSUFFICIENT: "❔ insufficient lots",
                  None: "❔ no verdict"}
EVENT_LABELS = {"approved_on": "approved", "implemented_on": "implemented"}
MONTH_EVENTS = {"opened": "Opened", "closed": "Closed"}
COVERED = {True: "✅ covered by an approved change", False: "⛔ no approved change when made"}


def lens(program: dict) -> dict:
    return program["lenses"]["changes"]


def comparability_label(change: dict) -> str:
    status = change["comparability_status"]
    if status == "completed":
        late = " (after implementation)" if change["completed_after_implementation"] else ""
        return f"✅ completed {change['comparability_completed_on']}{late}"
    return "⚠️ outstanding" if status == "outstanding" else "➖ not required"


def figures(report: dict) -> pd.DataFrame:
    """The lens's headline figures, one row per program."""
    return pd.DataFrame([{
        "program_id": p["program_id"], "phase": p["phase"], "changes": lens(p)["changes"],
        "open_changes": lens(p)["open_changes"], "open_over_allowed_age": lens(p)["open_over_allowed_age"],
        **{f"open_{risk}_risk": n for risk, n in lens(p)["open_by_risk"].items()},
        "comparability_exercises": len(lens(p)["comparability"]),
    } for p in report["programs"]])


def open_changes(report: dict) -> pd.DataFrame:
    """Every change open on the as-of date, oldest first, with the age its risk allows at the program's phase."""
    rows = []
    for p in report["programs"]:
        for c in lens(p)["change_list"]:
            if not c["is_open"]:
                continue
            allowed = c["allowed_days"]
            state = "none" if allowed is None else "over" if c["age_days"] > allowed else "within"
            rows.append({
                "program_id": p["program_id"], "change_id": c["change_id"], "title": c["title"],
                "change_type": c["change_type"], "risk": c["risk"], "opened_on": c["opened_on"],
                "age_days": c["age_days"], "allowed_days": allowed, "age_status": AGE_STATES[state],
                "approved_on": c["approved_on"], "implemented_on": c["implemented_on"],
                "process_version": c["to_process_version"], "comparability": comparability_label(c),
            })
    columns = ["program_id", "change_id", "title", "change_type", "risk", "opened_on", "age_days", "allowed_days",
               "age_status", "approved_on", "implemented_on", "process_version", "comparability"]
    return pd.DataFrame(rows, columns=columns).sort_values(["age_days", "change_id"], ascending=[False, True],
                                                            ignore_index=True)


def comparability_changes(report: dict) -> pd.DataFrame:
    """Every change that requires comparability, open or closed, with where its comparability stands."""
    rows = [{
        "program_id": p["program_id"], "change_id": c["change_id"], "title": c["title"], "risk": c["risk"],
        "process_version": c["to_process_version"], "implemented_on": c["implemented_on"],
        "comparability": comparability_label(c), "change_open": c["is_open"],
    } for p in report["programs"] for c in lens(p)["change_list"] if c["comparability_required"]]
    return pd.DataFrame(rows, columns=["program_id", "change_id", "title", "risk", "process_version",
                                       "implemented_on", "comparability", "change_open"])


def by_month(report: dict) -> pd.DataFrame:
    """Changes opened and closed per month, summed over the programs in view (long: one row per month and event)."""
    rows = [{"month": m["month"], "event": MONTH_EVENTS[event], "changes": m[event]}
            for p in report["programs"] for m in lens(p)["by_month"] for event in MONTH_EVENTS]
    frame = pd.DataFrame(rows, columns=["month", "event", "changes"])
    return frame.groupby(["month", "event"], as_index=False, sort=True)["changes"].sum()


def version_batches(program: dict) -> pd.DataFrame:
    """One program's batches on the time axis, each with its process version and whether change control covered it."""
    frame = pd.DataFrame(lens(program)["batches"],
                         columns=["batch_id", "purpose", "process_version", "manufactured_on", "disposition",
                                  "covered"])
    regulated = frame["purpose"].isin(["clinical", "ppq"])
    frame["change_control"] = [COVERED[bool(c)] if r else "➖ not checked (development or engineering lot)"
                               for c, r in zip(frame["covered"], regulated)]
    return frame.drop(columns=["covered"])


def version_events(program: dict) -> pd.DataFrame:
    """Approval and implementation dates of the changes that matter on the timeline: those introducing a process
    version and those implemented before approval (finding CC002)."""
    early = {f["subject"] for f in program["findings"] if f["code"] == "CC002"}
    rows = []
    for c in lens(program)["change_list"]:
        if c["to_process_version"] is None and c["change_id"] not in early:
            continue
        target = f" → {c['to_process_version']}" if c["to_process_version"] else ""
        for column, event in EVENT_LABELS.items():
            if c[column]:
                rows.append({"change_id": c["change_id"], "event": event, "on": c[column],
                             "label": f"{c['change_id']} {event}{target}", "title": c["title"]})
    return pd.DataFrame(rows, columns=["change_id", "event", "on", "label", "title"])


def process_versions(program: dict) -> pd.DataFrame:
    return pd.DataFrame([{
        "process_version": v["process_version"], "first_made": v["first_made"], "last_made": v["last_made"],
        "batches": v["batches"],
        "introduced_by": "first version of the program" if v["first_version"] else (v["introduced_by"] or "no change"),
        "approved_on": v["approved_on"], "lots_without_approved_change": v["undocumented_batches"],
    } for v in lens(program)["process_versions"]],
        columns=["process_version", "first_made", "last_made", "batches", "introduced_by", "approved_on",
                 "lots_without_approved_change"])


def exercises(report: dict) -> dict[str, str]:
    """change_id → a label naming it, for the comparability picker (most recent change of each program first)."""
    out = {}
    for p in report["programs"]:
        for e in reversed(lens(p)["comparability"]):
            out[e["change_id"]] = (f"{e['change_id']} · {p['program_id']} · {e['from_version'] or '?'} → "
                                   f"{e['to_process_version']} · {e['title']}")
    return out


def exercise(report: dict, change_id: str) -> dict | None:
    return next((e for p in report["programs"] for e in lens(p)["comparability"] if e["change_id"] == change_id),
                None)


def verdict_label(cqa: dict) -> str:
    label = VERDICT_LABELS[cqa["verdict"]]
    return f"{label} ({cqa['note']})" if cqa["note"] else label


def comparability_table(ex: dict) -> pd.DataFrame:
    """One row per numeric CQA: lots, means and SDs, the quality range and its share inside, the TOST CI and verdict."""
    rows = []
    for c in ex["cqas"]:
        inside = None if c["n_inside"] is None or not c["n_post"] else f"{c['n_inside']} of {c['n_post']}"
        rows.append({
            "attribute": c["attribute"], "unit": c["unit"], "n_pre": c["n_pre"], "n_post": c["n_post"],
            "pre_mean": c["pre_mean"], "pre_sd": c["pre_sd"], "post_mean": c["post_mean"], "post_sd": c["post_sd"],
            "range_low": c["range_low"], "range_high": c["range_high"], "inside": inside,
            "share_inside": c["share_inside"], "difference": c["difference"], "ci_low": c["ci_low"],
            "ci_high": c["ci_high"], "margin": c["margin"], "verdict": verdict_label(c),
        })
    return pd.DataFrame(rows, columns=["attribute", "unit", "n_pre", "n_post", "pre_mean", "pre_sd", "post_mean",
                                       "post_sd", "range_low", "range_high", "inside", "share_inside", "difference",
                                       "ci_low", "ci_high", "margin", "verdict"])


def side_labels(ex: dict) -> dict[str, str]:
    return {"pre": f"Before ({ex['from_version'] or 'no lots'})", "post": f"After ({ex['to_process_version']})"}


def comparability_points(ex: dict, attribute: str) -> pd.DataFrame:
    """One CQA's lots before and after the change, each with the quality range it is judged against."""
    cqa = next(c for c in ex["cqas"] if c["attribute"] == attribute)
    sides = side_labels(ex)
    rows = []
    for side in ("pre", "post"):
        for batch_id, value in cqa["values"][side]:
            inside = None if cqa["range_low"] is None else cqa["range_low"] <= value <= cqa["range_high"]
            rows.append({"batch_id": batch_id, "side": sides[side], "value": value,
                         "position": "no range" if inside is None else "inside the range" if inside
                         else "outside the range"})
    return pd.DataFrame(rows, columns=["batch_id", "side", "value", "position"])
