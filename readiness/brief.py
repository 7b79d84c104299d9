"""The weekly CMC meeting brief: what changed between two days, and what needs a decision.

New and resolved findings come from comparing two reports built by the same code path
(`build_report` at `since` and at `as_of`), never from a second implementation of the checks.
"""

from __future__ import annotations

import json
from datetime import date

from . import __version__
from .checks.lens import records
from .expectations import Expectations, load_expectations
from .report import build_report
from .score_store import WEEKLY_BRIEF, ScoreStore, remembered

DEFAULT_DAYS = 7  # a brief's earlier day, unless asked otherwise: the weekly meeting's week
ACTIVITY = {  # query name -> what the brief calls it
    "batches_made_between": "Batches manufactured",
    "batch_dispositions_between": "Batch dispositions",
    "out_of_spec_results_between": "Results out of specification",
    "change_events_between": "Change-control events",
    "deviation_events_between": "Deviation events",
    "assay_stage_changes_between": "Analytical methods that moved stage",
}
# Findings that ask the meeting for a decision whenever they are open, new or not.
DECISION_CODES = {
    "CC003": "overdue change",
    "CC004": "comparability outstanding while product goes to patients",
}


class BadPeriod(ValueError):
    """`since` must be before `as_of`: the brief compares an earlier day with a later one."""


def finding_key(finding: dict) -> tuple[str, str, str]:
    """A finding is the same finding on two days when its program, code and subject are."""
    return finding["program_id"], finding["code"], finding["subject"]


def build_brief(ds, since: date, as_of: date, program_id: str | None = None,
                expectations: Expectations | None = None, later: str | None = None) -> dict:
    """Read from the score store when this data version's brief for these days was made before (by `precompute`
    after a data load, or by an earlier reader in any process): the meeting's readers do not each wait for two
    reports. `later` is the as-of day's report as `held_day` keeps it, when the caller has made that report
    already."""
    if since >= as_of:
        raise BadPeriod(f"the 'since' day ({since}) must be before the as-of day ({as_of})")
    expectations = expectations or load_expectations()
    return remembered(ds, WEEKLY_BRIEF, as_of, program_id, expectations,
                      lambda: _compared(ds, since, as_of, program_id, expectations, later), since=since)


def _compared(ds, since: date, as_of: date, program_id: str | None, expectations: Expectations,
              later: str | None) -> dict:
    held = later or held_day(build_report(ds, as_of, program_id, expectations, trend=False))
    then = day_judgements(build_report(ds, since, program_id, expectations, trend=False))
    now = json.loads(held)
    then_by_id = {p["program_id"]: p for p in then["programs"]}
    programs = []
    for p in now["programs"]:
        before = then_by_id.get(p["program_id"], {"status": None, "score": None, "findings": []})
        before_keys = {finding_key(f) for f in before["findings"]}
        now_keys = {finding_key(f) for f in p["findings"]}
        new = [f for f in p["findings"] if finding_key(f) not in before_keys]
        resolved = [f for f in before["findings"] if finding_key(f) not in now_keys]
        programs.append({
            "program_id": p["program_id"],
            "name": p["name"],
            "phase": p["phase"],
            "status_then": before["status"],
            "status_now": p["status"],
            "score_then": before["score"],
            "score_now": p["score"],
            "score_delta": None if p["score"] is None or before["score"] is None else p["score"] - before["score"],
            "new_findings": new,
            "resolved_findings": resolved,
            "needs_decision": needs_decision(new, p["findings"]),
        })
    activity = {name: records(ds.query(name, since=since, as_of=as_of, program_id=program_id))
                for name in ACTIVITY}
    return {
        "since": since.isoformat(),
        "as_of": as_of.isoformat(),
        "product_version": __version__,
        "data": now["data"],
        "expectations": now["expectations"],
        "totals": _totals(programs, activity),
        "programs": programs,
        "activity": activity,
    }


def held_day(report: dict) -> str:
    """The as-of day's `day_judgements` as JSON text, as it is held while the earlier day's report is built: at
    a CDMO's volume its findings take 36 MB as text and about 250 MB as objects, on top of that report's peak."""
    return json.dumps(day_judgements(report))


def day_judgements(report: dict) -> dict:
    """What the brief reads of a day's report: its header and each program's status, score and findings. The lens
    figures are dropped as soon as each day is built, so the two days' figures are never held together."""
    return {**report, "programs": [{name: p[name] for name in ("program_id", "name", "phase", "status", "score",
                                                                "findings")} for p in report["programs"]]}


def _totals(programs: list[dict], activity: dict[str, list[dict]]) -> dict:
    return {
        "new_findings": sum(len(p["new_findings"]) for p in programs),
        "new_high_findings": sum(f["severity"] == "high" for p in programs for f in p["new_findings"]),
        "resolved_findings": sum(len(p["resolved_findings"]) for p in programs),
        "needs_decision": sum(len(p["needs_decision"]) for p in programs),
        **{name: len(rows) for name, rows in activity.items()},
    }


def program_brief(brief: dict, program_id: str) -> dict:
    """One program's brief cut from every program's, equal to `build_brief` for that program (a program's report
    and activity are its rows of every program's): `precompute` stores each program's at the cost of one brief."""
    programs = [p for p in brief["programs"] if p["program_id"] == program_id]
    activity = {name: [row for row in rows if row["program_id"] == program_id]
                for name, rows in brief["activity"].items()}
    return {**brief, "totals": _totals(programs, activity), "programs": programs, "activity": activity}


def store_program_briefs(ds, brief: dict, expectations: Expectations) -> int:
    """Each program's cut of every program's `brief`, stored as `build_brief` for that program would store it;
    how many were stored (none when `ds`'s results are not stored)."""
    store = ScoreStore.for_dataset(ds, WEEKLY_BRIEF)
    if store is None:
        return 0
    since, as_of = date.fromisoformat(brief["since"]), date.fromisoformat(brief["as_of"])
    return sum(store.put(store.key(ds, as_of, p["program_id"], expectations, since), as_of,
                         program_brief(brief, p["program_id"])) for p in brief["programs"])


def needs_decision(new: list[dict], open_now: list[dict]) -> list[str]:
    """New high findings, and every open finding of a kind that always needs the meeting's decision."""
    lines = [f"New {f['code']}: {f['message']}" for f in new if f["severity"] == "high"]
    lines += [f"{f['code']} ({DECISION_CODES[f['code']]}): {f['message']}" for f in open_now
              if f["code"] in DECISION_CODES]
    return lines


def provenance(brief: dict) -> str:
    """The one line that lets a reader tell exactly what an export was computed from."""
    return (f"Data {brief['data']['location']} (fingerprint {brief['data']['fingerprint']}, "
            f"{brief['data']['rows_excluded']:,} rows excluded by validation) · {brief['since']} → {brief['as_of']} · "
            f"expectations {brief['expectations']['source']} · readiness {__version__}")
