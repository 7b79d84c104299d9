"""The report: per program its phase, per-lens figures, findings and roll-up, as of one date.

Pages, exports and the CLI all read it. The 12-month trend is this same report computed at earlier
month ends, so a past point always equals `report --as-of` of that day.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

import pandas as pd

from . import __version__
from .checks import LENS_MODULES
from .checks.ahead import Ahead, Questions
from .checks.lens import records
from .expectations import Expectations, load_expectations
from .findings import sort_key
from .gc_pause import full_collections_paused
from .score_store import MONTH_END_SCORES, PORTFOLIO, remembered
from .scoring import STATUSES, program_rollup

TREND_MONTHS = 12
LENSES_BY_NAME = {m.LENS: m for m in LENS_MODULES}
# Evaluated before the others: its control-chart question and points are a report's largest passing need; built
# while no other lens's figures are held yet, they do not add to them.
BUILT_FIRST = "process_control"


class UnknownProgram(LookupError):
    """A program id that is not in the data (or not valid); the message never echoes more than the id."""


class UnknownLens(LookupError):
    """A lens name that is not one of the five."""


@dataclass(frozen=True)
class Context:
    """What a lens needs to judge programs on one day."""

    ds: object
    as_of: date
    program_id: str | None
    programs: pd.DataFrame  # program_id, modality, phase (in force on as_of), ...
    expectations: Expectations
    ahead: Ahead

    def answers(self, questions: Questions) -> dict[str, pd.DataFrame]:
        return self.ahead.answers(questions)


def build_report(ds, as_of: date, program_id: str | None = None, expectations: Expectations | None = None,
                 trend: bool = True) -> dict:
    expectations = expectations or load_expectations()
    # The month ends first: each is a whole report that only its scores outlive, so none is built while the
    # day's report (evidence and all) is held (at L, 4.6 GB at the peak the other way round).
    history = build_trend(ds, as_of, program_id, expectations) if trend else None
    programs = _snapshot(ds, as_of, program_id, expectations)
    report = {**_header(ds, as_of, expectations), "summary": summary(programs, as_of),
              "programs": sorted(programs, key=worst_first)}
    return with_trend(report, history) if trend else report


def _header(ds, as_of: date, expectations: Expectations) -> dict:
    """What a report was computed from: the day, the code, the data and the yardstick."""
    return {
        "as_of": as_of.isoformat(),
        "product_version": __version__,
        "data": {
            "location": ds.location,
            "fingerprint": ds.fingerprint,
            "rows_excluded": ds.rows_excluded,
            "errors": len(ds.errors),
            "warnings": len(ds.problems) - len(ds.errors),
        },
        "expectations": {"source": expectations.source,
                         "problems": [p.to_dict() for p in expectations.problems]},
    }


def build_trend(ds, as_of: date, program_id: str | None = None, expectations: Expectations | None = None,
                scores_on=None) -> dict[str, list[dict]]:
    """Each program's status and score at the 12 month ends before `as_of`, oldest first: twelve more reports.

    Kept apart from the day's report so a page can show that report at once and add the trend when it is ready.
    `scores_on(day)` gives a day's `day_scores`; the app passes a cached one, so a month end is computed once
    per data version whichever day a reader looks at (every day of a month shares its twelve month ends).
    """
    expectations = expectations or load_expectations()
    scores_on = scores_on or (lambda day: day_scores(ds, day, program_id, expectations))
    history: dict[str, list[dict]] = {}
    for day in trend_dates(as_of)[:-1]:
        for pid, point in scores_on(day).items():
            history.setdefault(pid, []).append({"as_of": day.isoformat(), **point})
    return history


def day_scores(ds, day: date, program_id: str | None, expectations: Expectations) -> dict[str, dict]:
    """Each program's status and score on `day`: one point of the trend. Read from the score store when this
    data version's point was computed before (by any process, e.g. `python -m readiness precompute`)."""
    return remembered(ds, MONTH_END_SCORES, day, program_id, expectations, lambda: {
        p["program_id"]: {"status": p["status"], "score": p["score"]}
        for p in _snapshot(ds, day, program_id, expectations)})


def day_portfolio(ds, as_of: date, expectations: Expectations, full_report=None) -> dict:
    """The day's `portfolio_digest`, from the score store when this data version's was made before; else made
    from `full_report()` (the day's report for all programs; the app passes its cached one) and stored."""
    full_report = full_report or (lambda: build_report(ds, as_of, None, expectations, trend=False))
    return remembered(ds, PORTFOLIO, as_of, None, expectations, lambda: portfolio_digest(full_report()))


PORTFOLIO_FIELDS = ("program_id", "name", "modality", "phase", "status", "score", "lens_status", "next_milestone",
                    "next_milestone_on", "days_to_milestone")


def portfolio_digest(report: dict) -> dict:
    """What the Portfolio shows of every program (its table, grid and tiles), without the findings' evidence and
    the lens figures: small enough to store per day, so the page neither waits for nor holds the whole report."""
    programs = []
    for p in report["programs"]:
        base = p["lenses"]["baseline"]
        programs.append({
            **{name: p[name] for name in PORTFOLIO_FIELDS},
            "baseline_completeness": base["baseline_completeness"],
            "irrecoverable_gaps": base["irrecoverable_gaps"],
            "high_findings": sum(f["severity"] == "high" for f in p["findings"]),
            "top_finding": p["findings"][0]["message"] if p["findings"] else "",
            **({"trend": p["trend"]} if "trend" in p else {}),
        })
    return {**{name: value for name, value in report.items() if name != "programs"}, "programs": programs}


def with_trend(report: dict, history: dict[str, list[dict]]) -> dict:
    """The report with each program's `trend`: its month-end points, then the report's own day."""
    programs = [{**p, "trend": [*history.get(p["program_id"], []),
                                {"as_of": report["as_of"], "status": p["status"], "score": p["score"]}]}
                for p in report["programs"]]
    return {**report, "programs": programs}


def _judged(ds, as_of: date, program_id: str | None, expectations: Expectations, modules) -> list[tuple]:
    """Each program's row, its findings (most severe first), its roll-up and its figures, from `modules` only."""
    with full_collections_paused():  # why: readiness/gc_pause.py
        frame = ds.query("program_phases", as_of=as_of, program_id=program_id)
        if program_id is not None and frame.empty:
            raise UnknownProgram(program_id)
        ordered = sorted(modules, key=lambda m: m.LENS != BUILT_FIRST)
        evaluated = {}
        with Ahead(ds) as ahead:
            ctx = Context(ds, as_of, program_id, frame, expectations, ahead)
            for lens, following in zip(ordered, [*ordered[1:], None]):
                # asked while this lens judges (readiness/checks/ahead.py), but not while the lens built first
                # charts: its points are a report's largest need, and a question's working memory would add to them
                if following is not None and lens.LENS != BUILT_FIRST:
                    ahead.ask(following.questions(ctx))
                evaluated[lens.LENS] = lens.evaluate(ctx)
        results = {m.LENS: evaluated[m.LENS] for m in modules}
        blocked_tables = {name for name, t in ds.tables.items() if t.status == "blocked"}
        blocked = {m.LENS for m in modules if blocked_tables & set(m.TABLES)}
        out = []
        for program in records(frame):
            pid = program["program_id"]
            found = [f.to_dict() for f in sorted((f for r in results.values() for f in r[pid].findings), key=sort_key)]
            assessed = {name for name, r in results.items() if r[pid].assessed}
            rollup = program_rollup(found, assessed, blocked, data_blocked=bool(blocked_tables))
            milestone = program["next_milestone_on"]
            program["days_to_milestone"] = (date.fromisoformat(milestone) - as_of).days if milestone else None
            out.append((program, found, rollup, {name: r[pid].figures for name, r in results.items()}))
        return out


def _snapshot(ds, as_of: date, program_id: str | None, expectations: Expectations) -> list[dict]:
    return [{**program, "status": rollup["status"], "score": rollup["score"], "lens_status": rollup["lenses"],
             "lenses": figures, "findings": found}
            for program, found, rollup, figures in _judged(ds, as_of, program_id, expectations, LENS_MODULES)]


def build_lens_report(ds, as_of: date, lens: str, program_id: str | None = None,
                      expectations: Expectations | None = None) -> dict:
    """One lens of the report, what that lens's page shows: the same figures, findings and lens status as
    `build_report`, computed by that lens alone. A program's overall status needs every lens, so it is not here;
    programs come worst first in this lens. At a CDMO's volume a lens page waits for one lens, not five."""
    if lens not in LENSES_BY_NAME:
        raise UnknownLens(lens)
    expectations = expectations or load_expectations()
    programs = [{**program, "lens_status": {lens: rollup["lenses"][lens]}, "lenses": figures, "findings": found}
                for program, found, rollup, figures in _judged(ds, as_of, program_id, expectations,
                                                               (LENSES_BY_NAME[lens],))]
    return {**_header(ds, as_of, expectations), "lens": lens,
            "programs": sorted(programs, key=lambda p: _worst(p["lens_status"][lens]) + (p["program_id"],))}


def worst_first(program: dict) -> tuple:
    return _worst(program) + (program["program_id"],)


def _worst(judged: dict) -> tuple:
    """A status and score (a program's or a lens's) as a sort key, worst first."""
    return STATUSES.index(judged["status"]), judged["score"] if judged["score"] is not None else -1


def trend_dates(as_of: date, months: int = TREND_MONTHS) -> list[date]:
    """The last `months` month ends before `as_of`, oldest first, then `as_of` itself."""
    ends = []
    year, month = as_of.year, as_of.month
    for _ in range(months):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        ends.append(date(year, month, calendar.monthrange(year, month)[1]))
    return sorted(ends) + [as_of]


def summary(programs: list[dict], as_of: date) -> dict:
    """The Portfolio's headline figures."""
    quarter_start = date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    lost = [row for p in programs for f in p["findings"] if f["code"] == "BL002" for row in f["evidence"]
            if row.get("disposition_on") and quarter_start <= date.fromisoformat(row["disposition_on"]) <= as_of]
    return {
        "programs_by_status": {s: sum(p["status"] == s for p in programs) for s in STATUSES},
        "open_high_findings": sum(f["severity"] == "high" for p in programs for f in p["findings"]),
        "irrecoverable_gaps_this_quarter": len(lost),
        "quarter": f"{as_of.year}-Q{(as_of.month - 1) // 3 + 1}",
        "quarter_start": quarter_start.isoformat(),
    }

