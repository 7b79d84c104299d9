"""Changes & comparability: did every process change go through change control, and is the product still the same?

Undocumented process versions are read from the batch records themselves, not from the change log: a
process change that outran change control leaves no change record, only batches made a new way.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..contract import CHANGE_TYPES, PHASE_WORDS, RISKS
from ..findings import Finding, make, rule
from ..stats.comparability import EQUIVALENT, INSUFFICIENT, NOT_SHOWN, quality_range, tost_equivalence
from .ahead import Questions
from .lens import Groups, LensResult, grouped, records, rows_by_program, without

LENS = "changes"
TABLES = ("programs", "phase_history", "batches", "attributes", "results", "changes")
EXPOSED = ("released", "administered")  # a lot available to, or given to, a patient
REGULATED = ("clinical", "ppq")  # lots whose process version change control must cover
DEFAULT_MIN_LOTS = 3  # lots per side before a verdict, when no phase row sets it (before Phase 1)

_CHANGE_CONTROL = ("ICH Q10 (2008), section 3.2.3 change management; 21 CFR 211.100(a) (changes to procedures "
                   "drafted, reviewed and approved by the quality unit)")
_COMPARABILITY = ("FDA, Manufacturing Changes and Comparability for Human Cellular and Gene Therapy Products, draft "
                  "guidance (2023); ICH Q5E (2004)")

CC001 = rule(
    "CC001", LENS, "Undocumented process change: lots made with a process version no approved change introduces",
    "high",
    "Every clinical or PPQ lot is made with the program's first process version or with a version introduced by a "
    "change approved on or before the lot's manufacture date.", _CHANGE_CONTROL,
    "Clinical or PPQ lots were made with a process version that is not the program's first (the version of its "
    "earliest batch) and that no change approved on or before their manufacture date introduces "
    "(`to_process_version`). One finding per version, listing its lots; read from the batch records, so it "
    "finds process changes that never reached change control.")
CC002 = rule(
    "CC002", LENS, "Change implemented before it was approved", "medium",
    "A change is approved before it is implemented.", _CHANGE_CONTROL,
    "A change was implemented and, on the as-of date, was either not approved or approved after its "
    "implementation. High when clinical or PPQ lots made under it before approval (lots of its process version, "
    "or for a change without one every lot made since its implementation) were released or administered.")
CC003 = rule(
    "CC003", LENS, "Open change older than its risk level allows", "medium",
    "A change closes within the days its risk level allows at the program's phase (expectation "
    "`open_change_max_days`).", "ICH Q10 (2008), section 3.2.3 change management; 21 CFR 211.100",
    "A change open on the as-of date has been open longer than the phase expectation allows for its risk "
    "level; severity and days come from the expectation row in force.")
CC004 = rule(
    "CC004", LENS, "Comparability required but not completed while lots of the changed process reached patients",
    "high",
    "When a change requires comparability, it is completed before lots made under the change are released.",
    _COMPARABILITY,
    "A change requires comparability, none is recorded as completed on the as-of date, and clinical or PPQ lots "
    "made under it (lots of its process version, or for a change without one every lot made since its "
    "implementation) were released or administered. High for a high-risk change; medium for a low- or "
    "medium-risk one, whose own risk assessment says less evidence is needed.")
CP001 = rule(
    "CP001", LENS, "Post-change lots outside the pre-change quality range", "medium",
    "At least the set share (settings `quality_range_min_share`) of post-change lots falls inside the pre-change "
    "mean ± k·SD (settings `quality_range_k`) for every numeric CQA.", _COMPARABILITY,
    "For a numeric CQA of a change's comparability exercise, with enough lots on each side, fewer post-change "
    "lots than the set share (90% by default) fall inside the pre-change quality range.")
CP002 = rule(
    "CP002", LENS, "Too few lots for a comparability exercise", "medium",
    "A comparability exercise has at least the phase's number of lots on each side (expectation "
    "`comparability_min_lots`).", _COMPARABILITY,
    "A change that requires comparability has been implemented (or lots of its process version exist), and "
    "fewer lots with CQA results than the phase expects exist before or after it: no verdict can be given. "
    "Severity and lot count come from the expectation row in force.")
CP003 = rule(
    "CP003", LENS, "Equivalence of means not shown", "medium",
    "The 90% confidence interval of the difference of means (post − pre) of every numeric CQA lies within "
    "± the margin (settings `tost_margin_factor` × pre-change SD, 1.5 by default), shown by two one-sided t-tests.",
    "FDA biosimilar tier-1 equivalence practice (±1.5σ); " + _COMPARABILITY,
    "For a numeric CQA of a change's comparability exercise, with enough lots on each side, the 90% CI of the "
    "difference of means reaches beyond the equivalence margin.")


def questions(ctx) -> Questions:
    params = dict(as_of=ctx.as_of, program_id=ctx.program_id)
    return {"changes": ("changes_on_date", params), "months": ("changes_by_month", params),
            "batches": ("process_version_batches", params), "exposure": ("change_exposure", params),
            "series": ("comparability_lots", params)}


def evaluate(ctx) -> dict[str, LensResult]:
    answers = ctx.answers(questions(ctx))
    # plain rows made once for every program and split by program: a frame, then rows, per program cost more
    changes, months, batches = (rows_by_program(answers[name]) for name in ("changes", "months", "batches"))
    exposure = Groups(answers["exposure"], "change_id")  # change ids are unique
    series = lot_series(answers["series"])
    settings = ctx.expectations.settings
    out = {}
    for program in records(ctx.programs):
        pid = program["program_id"]
        judge = _Judge(ctx, program, settings)
        mine, made = changes.get(pid, []), batches.get(pid, [])
        exercises = [judge.exercise(change, series.get(change["change_id"], _NO_LOTS))
                     for change in mine if change["to_process_version"] is not None]
        figures = {
            **open_change_figures(mine, judge),
            "by_month": [{"month": m["month"][:7], "opened": m["opened"], "closed": m["closed"]}
                         for m in months.get(pid, [])],
            "process_versions": process_versions(made),
            "batches": [{k: b[k] for k in ("batch_id", "purpose", "process_version", "manufactured_on",
                                           "disposition", "covered")} for b in made],
            "comparability": exercises,
        }
        found = (undocumented(pid, made)
                 + judge.change_findings(mine, exposure)
                 + [f for e in exercises for f in judge.comparability_findings(e)])
        out[pid] = LensResult(figures, found)
    return out


_NO_LOTS = {"from_version": None, "cut_on": None, "lots_pre": 0, "lots_post": 0, "cqas": {}}


def lot_series(lots: pd.DataFrame) -> dict[str, dict]:
    """Per change: the replaced version, the cut-off, lot counts per side and, per CQA, each side's lots and values."""
    out: dict[str, dict] = {}
    sides: dict[tuple[str, str], set] = {}
    for row in lots.itertuples(index=False):
        exercise = out.setdefault(row.change_id, {
            "from_version": row.from_version,
            "cut_on": None if pd.isna(row.cut_on) else row.cut_on.date().isoformat(),
            "lots_pre": 0, "lots_post": 0, "cqas": {}})
        cqa = exercise["cqas"].setdefault(row.attribute, {"unit": None if pd.isna(row.unit) else row.unit,
                                                          "pre": ([], []), "post": ([], [])})
        cqa[row.side] = (row.batch_ids, row.lot_values)
        sides.setdefault((row.change_id, row.side), set()).update(row.batch_ids)
    for (change_id, side), batch_ids in sides.items():
        out[change_id][f"lots_{side}"] = len(batch_ids)
    return out


def open_change_figures(changes: list[dict], judge: _Judge) -> dict:
    rows = [without(change, "program_id") for change in changes]
    for row in rows:
        row["allowed_days"] = judge.allowed_days(row["risk"]) if row["is_open"] else None
        row["completed_after_implementation"] = bool(
            row["comparability_completed_on"] and row["implemented_on"]
            and row["comparability_completed_on"] > row["implemented_on"])
    open_rows = [r for r in rows if r["is_open"]]
    return {
        "changes": len(rows),
        "open_changes": len(open_rows),
        "open_by_risk": {risk: sum(r["risk"] == risk for r in open_rows) for risk in RISKS},
        "open_by_type": {t: n for t in CHANGE_TYPES if (n := sum(r["change_type"] == t for r in open_rows))},
        "open_over_allowed_age": sum(r["allowed_days"] is not None and r["age_days"] > r["allowed_days"]
                                     for r in open_rows),
        "change_list": rows,
    }


def process_versions(batches: list[dict]) -> list[dict]:
    """Each process version in use: its lots, and the change that covered it (or that none did)."""
    out = []
    for version, rows in grouped(batches, "process_version").items():
        first = rows[0]
        out.append({
            "process_version": version,
            "first_made": first["manufactured_on"],
            "last_made": max(r["manufactured_on"] for r in rows),
            "batches": len(rows),
            "first_version": version == first["first_version"],
            "introduced_by": first["introduced_by"],
            "approved_on": first["introduced_approved_on"],
            "undocumented_batches": sum(r["purpose"] in REGULATED and not r["covered"] for r in rows),
        })
    return sorted(out, key=lambda v: v["first_made"])


_LOT_EVIDENCE = ("batch_id", "purpose", "process_version", "manufactured_on", "disposition", "disposition_on",
                 "introduced_by", "introduced_approved_on")


def undocumented(program_id: str, batches: list[dict]) -> list[Finding]:
    """CC001: one finding per process version with clinical or PPQ lots no approved change covered."""
    bad = grouped([b for b in batches if b["purpose"] in REGULATED and not b["covered"]], "process_version")
    out = []
    for version, rows in sorted(bad.items()):
        first = rows[0]
        ids = [r["batch_id"] for r in rows]
        made = [r["manufactured_on"] for r in rows]
        span = f"{min(made)} to {max(made)}" if len(ids) > 1 else min(made)
        if first["introduced_by"] is None:
            why = "no change record introduces it"
        elif first["introduced_approved_on"] is None:
            why = f"{first['introduced_by']} introduces it but is not approved"
        else:
            why = (f"{first['introduced_by']} introduces it but was approved only on "
                   f"{first['introduced_approved_on']}, after these lots were made")
        reached = sum(r["disposition"] in EXPOSED for r in rows)
        message = (f"{_count(len(ids), 'lot')} made with process version {version} ({span}: {_listing(ids)}), "
                   f"and {why}; {reached} of them released or administered.")
        evidence = [{k: r[k] for k in _LOT_EVIDENCE} for r in rows]
        out.append(make(CC001, program_id, version, message, evidence))
    return out


class _Judge:
    """One program's yardstick on the as-of date: the phase rows and the comparability settings."""

    def __init__(self, ctx, program: dict, settings: dict):
        self.program_id, self.phase = program["program_id"], PHASE_WORDS[program["phase"]]
        self.age_row = ctx.expectations.at("open_change_max_days", program["phase"], program["modality"])
        self.lots_row = ctx.expectations.at("comparability_min_lots", program["phase"], program["modality"])
        self.age_reference = ctx.expectations.items["open_change_max_days"].reference
        self.lots_reference = ctx.expectations.items["comparability_min_lots"].reference
        self.k = float(settings["quality_range_k"])
        self.min_share = float(settings["quality_range_min_share"])
        self.margin_factor = float(settings["tost_margin_factor"])
        # a t-test needs two lots a side, whatever the row says
        self.min_lots = max(2, int(self.lots_row.threshold)) if self.lots_row else DEFAULT_MIN_LOTS

    def allowed_days(self, risk: str) -> int | None:
        return int(self.age_row.threshold[risk]) if self.age_row else None

    # --- change control -----------------------------------------------------------------------------------

    def change_findings(self, changes: list[dict], exposure: Groups) -> list[Finding]:
        out = []
        for change in changes:
            under = exposure[change["change_id"]]
            out += self._implemented_early(change, under)
            out += self._too_old(change)
            out += self._comparability_outstanding(change, under)
        return out

    def _implemented_early(self, change: dict, under: pd.DataFrame) -> list[Finding]:
        implemented, approved = change["implemented_on"], change["approved_on"]
        if implemented is None or (approved is not None and approved <= implemented):
            return []
        early = under[under["before_approval"]]
        exposed = early[early["disposition"].isin(EXPOSED)]
        when = "is not approved" if approved is None else f"was approved only on {approved}"
        message = f"{change['change_id']} ({change['title']}) was implemented on {implemented} and {when}"
        if len(exposed):
            message += (f"; {_count(len(exposed), 'lot')} made under it before approval "
                        f"{'was' if len(exposed) == 1 else 'were'} released or administered "
                        f"({_listing(list(exposed['batch_id']))}).")
        else:
            message += "; no lot made under it before approval was released or administered."
        evidence = self._change_rows(change, early)
        return [make(CC002, self.program_id, change["change_id"], message, evidence,
                     severity="high" if len(exposed) else CC002.severity)]

    def _too_old(self, change: dict) -> list[Finding]:
        allowed = self.allowed_days(change["risk"]) if change["is_open"] else None
        if allowed is None or change["age_days"] <= allowed:
            return []
        message = (f"{change['change_id']} ({change['title']}, {change['risk']} risk) has been open "
                   f"{change['age_days']} days since {change['opened_on']}; at {self.phase} a {change['risk']}-risk "
                   f"change should close within {allowed} days.")
        expectation = (f"A {change['risk']}-risk change closes within {allowed} days at {self.phase} "
                       f"(the {PHASE_WORDS[self.age_row.phase]} row: low {self.age_row.threshold['low']}, medium "
                       f"{self.age_row.threshold['medium']}, high {self.age_row.threshold['high']} days).")
        evidence = [{k: change[k] for k in ("change_id", "title", "change_type", "risk", "opened_on", "approved_on",
                                            "implemented_on", "age_days")} | {"allowed_days": allowed}]
        return [make(CC003, self.program_id, change["change_id"], message, evidence, severity=self.age_row.severity,
                     expectation=expectation, reference=self.age_reference)]

    def _comparability_outstanding(self, change: dict, under: pd.DataFrame) -> list[Finding]:
        if change["comparability_status"] != "outstanding":
            return []
        exposed = under[under["disposition"].isin(EXPOSED)]
        if exposed.empty:
            return []
        made = (f"of process version {change['to_process_version']}" if change["to_process_version"]
                else f"made since its implementation on {change['implemented_on']}")
        message = (f"{change['change_id']} ({change['title']}) requires comparability, none is completed, and "
                   f"{_count(len(exposed), 'lot')} {made} {'was' if len(exposed) == 1 else 'were'} "
                   f"released or administered ({_listing(list(exposed['batch_id']))}).")
        return [make(CC004, self.program_id, change["change_id"], message, self._change_rows(change, exposed),
                     severity="high" if change["risk"] == "high" else "medium")]

    @staticmethod
    def _change_rows(change: dict, lots: pd.DataFrame) -> list[dict]:
        head = {k: change[k] for k in ("change_id", "risk", "approved_on", "implemented_on", "to_process_version")}
        if lots.empty:
            return [head]
        return [head | row for row in records(lots, ["batch_id", "process_version", "manufactured_on",
                                                    "disposition", "disposition_on"])]

    # --- comparability -----------------------------------------------------------------------------------

    def exercise(self, change: dict, series: dict) -> dict:
        """Quality range and TOST per numeric CQA of one change, with the lots behind them."""
        return {
            "change_id": change["change_id"],
            "title": change["title"],
            "to_process_version": change["to_process_version"],
            "from_version": series["from_version"],
            "cut_on": series["cut_on"],
            "implemented": change["implemented_on"] is not None or series["lots_post"] > 0,
            "comparability_required": change["comparability_required"],
            "comparability_status": change["comparability_status"],
            "lots_pre": series["lots_pre"],
            "lots_post": series["lots_post"],
            "min_lots": self.min_lots,
            "cqas": [self.cqa(attribute, cqa) for attribute, cqa in series["cqas"].items()],
        }

    def cqa(self, attribute: str, series: dict) -> dict:
        (pre_ids, pre), (post_ids, post) = series["pre"], series["post"]
        pre_v, post_v = np.asarray(pre, dtype=float), np.asarray(post, dtype=float)
        qr = quality_range(pre_v, post_v, k=self.k)
        out = {
            "attribute": attribute,
            "unit": series["unit"],
            "n_pre": len(pre_v), "n_post": len(post_v),
            "pre_mean": _num(pre_v.mean()) if len(pre_v) else None,
            "pre_sd": _num(pre_v.std(ddof=1)) if len(pre_v) > 1 else None,
            "post_mean": _num(post_v.mean()) if len(post_v) else None,
            "post_sd": _num(post_v.std(ddof=1)) if len(post_v) > 1 else None,
            "k": self.k, "range_low": qr.low, "range_high": qr.high, "n_inside": qr.n_inside,
            "share_inside": qr.share_inside, "min_share": self.min_share,
            "margin": None, "difference": None, "ci_low": None, "ci_high": None, "confidence": None,
            "p_value": None, "verdict": INSUFFICIENT, "needed_pre": 0, "needed_post": 0, "note": None,
            # finite, or quality_range would have refused them: plain floats as they are
            "values": {"pre": [[b, v] for b, v in zip(pre_ids, pre_v.tolist())],
                       "post": [[b, v] for b, v in zip(post_ids, post_v.tolist())]},
        }
        needed_pre, needed_post = max(0, self.min_lots - len(pre_v)), max(0, self.min_lots - len(post_v))
        if needed_pre or needed_post:
            out.update(needed_pre=needed_pre, needed_post=needed_post, note=_needed(needed_pre, needed_post))
        elif not qr.pre_sd > 0:  # a margin of 0 × SD cannot be met: say so rather than fail
            out.update(verdict=None, note="no lot-to-lot variation before the change: no equivalence margin")
        else:
            eq = tost_equivalence(pre_v, post_v, margin_factor=self.margin_factor, min_lots=self.min_lots)
            out.update(margin=eq.margin, difference=eq.difference, ci_low=eq.ci_low, ci_high=eq.ci_high,
                       confidence=eq.confidence, p_value=eq.p_value, verdict=eq.verdict)
        return out

    def comparability_findings(self, exercise: dict) -> list[Finding]:
        out = []
        cid = exercise["change_id"]
        short_pre = max(0, self.min_lots - exercise["lots_pre"])
        short_post = max(0, self.min_lots - exercise["lots_post"])
        if (self.lots_row and exercise["comparability_required"] and exercise["implemented"]
                and (short_pre or short_post)):
            message = (f"The comparability exercise for {cid} ({exercise['title']}) has "
                       f"{_count(exercise['lots_pre'], 'pre-change lot')} and "
                       f"{_count(exercise['lots_post'], 'post-change lot')} with CQA results; {self.phase} expects "
                       f"{self.min_lots} on each side, so no verdict can be given "
                       f"({_needed(short_pre, short_post)}).")
            evidence = [{"change_id": cid, "side": side, "lots": exercise[f"lots_{side}"], "needed": self.min_lots,
                         "short_by": short} for side, short in (("pre", short_pre), ("post", short_post))]
            expectation = (f"At least {self.min_lots} lots on each side of a comparability exercise at "
                           f"{self.phase} (the {PHASE_WORDS[self.lots_row.phase]} row).")
            out.append(make(CP002, self.program_id, cid, message, evidence, severity=self.lots_row.severity,
                            expectation=expectation, reference=self.lots_reference))
        for cqa in exercise["cqas"]:
            if cqa["verdict"] not in (EQUIVALENT, NOT_SHOWN):
                continue  # too few lots, or no variation: never a verdict from too little data
            subject = f"{cid} · {cqa['attribute']}"
            unit = f" {cqa['unit']}" if cqa["unit"] else ""
            if cqa["share_inside"] < self.min_share:
                outside = [(b, v) for b, v in cqa["values"]["post"]
                           if not cqa["range_low"] <= v <= cqa["range_high"]]
                message = (f"{len(outside)} of {cqa['n_post']} lots made after {cid} have {cqa['attribute']} outside "
                           f"the pre-change range {_g(cqa['range_low'])} to {_g(cqa['range_high'])}{unit} "
                           f"(mean ± {_g(self.k)} SD of {cqa['n_pre']} lots); {cqa['share_inside']:.0%} inside, "
                           f"{self.min_share:.0%} expected.")
                evidence = [{"change_id": cid, "attribute": cqa["attribute"], "batch_id": b, "value": v,
                             "range_low": cqa["range_low"], "range_high": cqa["range_high"]} for b, v in outside]
                out.append(make(CP001, self.program_id, subject, message, evidence))
            if cqa["verdict"] == NOT_SHOWN:
                message = (f"Equivalence of {cqa['attribute']} before and after {cid} is not shown: the difference "
                           f"of means is {_g(cqa['difference'])}{unit} (90% CI {_g(cqa['ci_low'])} to "
                           f"{_g(cqa['ci_high'])}), beyond the margin ±{_g(cqa['margin'])} "
                           f"({_g(self.margin_factor)} × pre-change SD; {cqa['n_pre']} lots before, "
                           f"{cqa['n_post']} after).")
                evidence = [{k: cqa[k] for k in ("attribute", "n_pre", "n_post", "pre_mean", "pre_sd", "post_mean",
                                                 "post_sd", "difference", "ci_low", "ci_high", "margin",
                                                 "p_value")} | {"change_id": cid}]
                out.append(make(CP003, self.program_id, subject, message, evidence))
        return out


def _num(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _g(value: float) -> str:
    """Four significant digits: enough to check by hand, short enough to read."""
    return f"{value:.4g}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _listing(ids: list[str], most: int = 6) -> str:
    return ", ".join(ids) if len(ids) <= most else ", ".join(ids[:most]) + f" and {len(ids) - most} more"


def _needed(pre: int, post: int) -> str:
    parts = [f"{n} more {side}-change lot{'' if n == 1 else 's'}" for side, n in (("pre", pre), ("post", post)) if n]
    return " and ".join(parts) + " needed"
