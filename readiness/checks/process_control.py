"""Process control: can the monitoring tell biological lot-to-lot variability from a drifting process?

One result per lot, on an individuals and moving-range (I-MR) chart per attribute and process version. The
limits a lot is judged against never follow the data: they are the frozen baseline of its process version
(its first `control_baseline_lots` lots; provisional below that, none below `control_min_lots`), or approved
limits (`control_limits`) for lots made from their approval date on. A new process version starts its own
baseline, so a shift at a version change is a comparability question (the changes lens), not a signal here.

Findings look at the recent lots only, the last `control_baseline_lots` lots with a result for the attribute,
whatever their version (each judged against its own version's limits): counted in lots rather than months, so a
CAR-T program making a lot a week and an AAV program making one a month are both judged on a comparable stretch
of their process, and a version started last week does not hide the signals of the lots made just before it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..findings import Finding, make, rule
from ..stats.control import BASELINE, FIXED, IMRLimits, control_chart_columns, imr_limits, ppk
from .lens import LensResult, records

LENS = "process_control"
# `changes` only labels where a version starts on the chart; without it the markers lose their label, nothing else.
TABLES = ("programs", "phase_history", "batches", "attributes", "results", "control_limits")
EXPOSED = ("released", "administered")  # a lot available to, or given to, a patient
CONFIDENCE = 0.95
SHOWN_LOTS = 6  # lots named in a PC002 sentence; the evidence lists them all

IN_CONTROL, SIGNAL, OUT_OF_SPEC, TOO_FEW, NO_LIMITS = "in control", "signal", "out of spec", "too few lots", "no limits"
STATES = (OUT_OF_SPEC, SIGNAL, TOO_FEW, NO_LIMITS, IN_CONTROL)  # worst first
PHASE_WORDS = {"preclinical": "preclinical", "phase_1": "Phase 1", "phase_2": "Phase 2", "phase_3": "Phase 3",
               "bla": "BLA"}
RULE_WORDS = {1: "1 point beyond 3σ", 2: "{run} in a row on one side of the centre", 3: "6 in a row trending",
              4: "14 in a row alternating", 5: "2 of 3 beyond 2σ, same side", 6: "4 of 5 beyond 1σ, same side",
              7: "15 in a row within 1σ", 8: "8 in a row beyond 1σ, either side"}
NO_RULE, NO_LIMITS_POINT = "No rule broken", "No limits yet"

_PV = "FDA, Process Validation: General Principles and Practices (2011), stage 3 (continued process verification)"
_RULES_REF = ("Western Electric, Statistical Quality Control Handbook (1956); Nelson, J Qual Technol 16:237 (1984); "
              "ICH Q10 (2008), section 3.2.1")
_WINDOW = ("the recent lots (the last `control_baseline_lots` clinical, engineering or PPQ lots with a result for "
           "the attribute, whatever their process version)")
_LIMITS = ("the limits in force when the lot was made: approved limits (`control_limits`) from their approval date, "
           "otherwise its process version's frozen baseline (its first `control_baseline_lots` lots; provisional "
           "below that, none below `control_min_lots`)")

PC001 = rule(
    "PC001", LENS, "Recent result out of specification", "medium",
    "Every lot meets its specification; a result outside it is investigated and the lot is not released on it.",
    "FDA, Investigating Out-of-Specification (OOS) Test Results for Pharmaceutical Production (2022); "
    "21 CFR 211.165 and 211.192",
    f"Among {_WINDOW}, a lot's valid result lies strictly outside the attribute's specification limits "
    "(`lower_limit`, `upper_limit`). One finding per attribute, listing the lots: high when one of them is released "
    "or administered on the as-of date, medium otherwise (rejected, failed or still in process).")
PC002 = rule(
    "PC002", LENS, "Special-cause signal on a control chart", "medium",
    "A process in control shows only common-cause variation: no lot breaks a run rule in force against the limits "
    "of its process version.",
    f"{_PV}; {_RULES_REF}",
    f"Among {_WINDOW}, lots break a run rule in force (settings `nelson_rules`, Nelson numbering; rule 2's run is "
    f"`nelson_rule2_run` lots) against {_LIMITS}. Rules restart where limits change, and each process version "
    "starts its own baseline, so a shift at a version change is left to comparability. One finding per attribute, "
    "listing the lots and the rules.")
PC003 = rule(
    "PC003", LENS, "CQA not capable against its specification", "medium",
    "The lower 95% confidence bound of Ppk of every CQA with specification limits meets the phase's minimum "
    "(expectation `capability_min_ppk`).",
    f"{_PV}; ICH Q8(R2) (2009); Bissell, J Appl Stat 17:481 (1990)",
    "A CQA with specification limits has at least `capability_min_lots` lots in the current process version and "
    "the lower bound of the two-sided 95% confidence interval of its Ppk (overall SD, Bissell's approximation) is "
    "below the `capability_min_ppk` threshold of the program's phase. Severity and threshold from the expectation "
    "row; not checked before its first row.")
PC004 = rule(
    "PC004", LENS, "Too few lots to set control limits", "low",
    "Control limits of every charted attribute rest on at least the phase's number of lots of the current process "
    "version (expectation `control_limits_min_lots`), or on approved limits.",
    "FDA, Process Validation: General Principles and Practices (2011), stages 1 and 3",
    "Charted attributes (kind cqa, cpp or ipc, with numeric results) have fewer lots with a valid result in the "
    "current process version than the `control_limits_min_lots` threshold of the program's phase, and no approved "
    "limits for that version: their limits are provisional, or there are none. One finding per process version, "
    "listing the attributes (a version that has just started would otherwise raise one per attribute). Severity "
    "and threshold from the expectation row; not checked before its first row.")


@dataclass(frozen=True)
class Settings:
    """The control-chart settings of the yardstick, made safe for the statistics (a moving range needs 2 lots)."""

    baseline_n: int
    min_n: int
    rules: tuple[int, ...]
    rule2_run: int
    capability_min_n: int

    @classmethod
    def of(cls, settings: dict) -> Settings:
        baseline = max(2, int(settings["control_baseline_lots"]))
        return cls(baseline, min(baseline, max(2, int(settings["control_min_lots"]))),
                   tuple(sorted(set(settings["nelson_rules"]))), int(settings["nelson_rule2_run"]),
                   max(2, int(settings["capability_min_lots"])))

    @property
    def params(self) -> dict:
        return {2: {"run": self.rule2_run}}

    def rule_label(self, number: int) -> str:
        return f"Rule {number}: {RULE_WORDS[number].format(run=self.rule2_run)}"

    def as_dict(self) -> dict:
        return {"baseline_lots": self.baseline_n, "min_lots": self.min_n, "rules": list(self.rules),
                "rule_labels": [self.rule_label(r) for r in self.rules], "rule2_run": self.rule2_run,
                "capability_min_lots": self.capability_min_n, "recent_lots": self.baseline_n,
                "confidence": CONFIDENCE}


@dataclass
class Chart:
    """One attribute of one program: its per-lot frame and what is in force for the current version now."""

    attribute: str
    kind: str
    unit: str | None
    lower_spec: float | None
    upper_spec: float | None
    current_version: str | None
    frame: pd.DataFrame  # one row per lot, in lot order (see CHART_COLUMNS)
    baseline: IMRLimits  # the current version's baseline limits
    limits: IMRLimits  # in force now for the current version: approved, else the baseline
    approval: dict | None  # the approved row behind `limits`, if any


CHART_COLUMNS = [
    "lot", "batch_id", "process_version", "manufactured_on", "purpose", "disposition", "tested_on", "value",
    "moving_range", "segment", "limits_source", "in_baseline", "centre", "lcl", "ucl", "mr_ucl", "mr_beyond",
    "rules", "signal", "out_of_spec", "lower_spec", "upper_spec", "version_start", "segment_start", "introduced_by",
    "recent",
]


def charts(ds, as_of, program_id: str | None, settings: Settings, attribute: str | None = None) -> dict:
    """Every charted attribute, {(program_id, attribute): Chart}; the lens and the chart page share it."""
    lots = ds.query("control_chart_lots", as_of=as_of, program_id=program_id, attribute=attribute)
    approved = ds.query("approved_control_limits", as_of=as_of, program_id=program_id, attribute=attribute)
    versions = records(ds.query("control_process_versions", as_of=as_of, program_id=program_id))
    approvals: dict[tuple, list[dict]] = {}
    for row in records(approved):  # oldest first
        approvals.setdefault((row["program_id"], row["attribute"]), []).append(row)
    introduced = {(r["program_id"], r["process_version"]): r["introduced_by"] for r in versions}
    current = {r["program_id"]: r["process_version"] for r in versions if r["is_current"]}
    columns = {name: lots[name].to_numpy(dtype=object) for name in LOT_COLUMNS}
    columns["value"] = lots["value"].to_numpy(float)
    columns["manufactured_on"] = lots["manufactured_on"].to_numpy("datetime64[D]")
    columns["tested_on"] = lots["tested_on"].to_numpy("datetime64[D]")
    by_program: dict[str, dict] = {}
    for (p, v), by in introduced.items():
        by_program.setdefault(p, {})[v] = by
    out = {}
    for start, stop in _groups(columns["program_id"], columns["attribute"]):
        pid, name = columns["program_id"][start], columns["attribute"][start]
        out[(pid, name)] = attribute_chart({k: c[start:stop] for k, c in columns.items()},
                                           approvals.get((pid, name), []), by_program.get(pid, {}),
                                           current.get(pid), settings)
    return out


LOT_COLUMNS = ("program_id", "attribute", "kind", "unit", "lower_limit", "upper_limit", "batch_id", "purpose",
               "process_version", "disposition")


def _groups(*keys: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of equal keys; the query returns the lots sorted by them."""
    n = len(keys[0])
    if n == 0:
        return []
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    starts = np.flatnonzero(change)
    return list(zip(starts.tolist(), [*starts[1:].tolist(), n]))


def attribute_chart(lots: dict[str, np.ndarray], approvals: list[dict], introduced: dict, current: str | None,
                    settings: Settings) -> Chart:
    """The I-MR chart of one attribute across its process versions, each version with its own limits.

    Within a version each lot is judged against the approval (`approvals`, oldest first) in force on its manufacture
    day, else the version's baseline; run rules restart at each change of limits, moving ranges run across the
    whole version. `introduced` maps a version to the changes that introduce it.
    """
    first = {name: column[0] for name, column in lots.items()}
    lower, upper = _number(first["lower_limit"]), _number(first["upper_limit"])
    values = lots["value"]
    versions = lots["process_version"]
    made = lots["manufactured_on"]
    n = len(values)
    out = {name: np.full(n, np.nan) for name in ("moving_range", "centre", "lcl", "ucl", "mr_ucl")}
    out.update({name: np.zeros(n, dtype=bool) for name in ("in_baseline", "out_of_spec", "version_start",
                                                            "segment_start")})
    out.update({name: np.empty(n, dtype=object) for name in ("segment", "limits_source", "rules", "signal",
                                                             "introduced_by")})
    for version in dict.fromkeys(versions):
        rows = np.flatnonzero(versions == version)
        baseline = imr_limits(values[rows], settings.baseline_n, settings.min_n)
        out["moving_range"][rows[1:]] = np.abs(np.diff(values[rows]))
        out["version_start"][rows[0]] = True
        out["introduced_by"][rows] = introduced.get(version)
        if baseline.sufficient:
            out["in_baseline"][rows[:baseline.n]] = True
        mine = [a for a in approvals if a["process_version"] == version]
        in_force = np.full(len(rows), -1)
        for i, approval in enumerate(mine):
            in_force[made[rows] >= np.datetime64(approval["approved_on"], "D")] = i
        for key in dict.fromkeys(in_force):
            where = rows[in_force == key]
            if key < 0:
                limits, segment = baseline, f"{version} · baseline limits"
            else:
                limits = _fixed(mine[key], settings)
                segment = f"{version} · approved limits from {mine[key]['approved_on']}"
            chart = control_chart_columns(values[where], limits, lower_spec=lower, upper_spec=upper,
                                          rules=settings.rules, params=settings.params)
            for name in ("centre", "lcl", "ucl", "mr_ucl", "out_of_spec"):
                out[name][where] = chart[name]
            out["segment"][where] = segment
            out["segment_start"][where[0]] = True
            out["limits_source"][where] = _source(limits)
            found = list(chart["rules"])
            out["rules"][where] = [", ".join(str(r) for r in sorted(f)) for f in found]
            quiet = NO_RULE if limits.sufficient else NO_LIMITS_POINT
            out["signal"][where] = [settings.rule_label(min(f)) if f else quiet for f in found]
    frame = pd.DataFrame({
        "lot": np.arange(1, n + 1),
        "batch_id": lots["batch_id"],
        "process_version": versions,
        "manufactured_on": made,
        "purpose": lots["purpose"],
        "disposition": lots["disposition"],
        "tested_on": lots["tested_on"],
        "value": values,
        **out,
        "mr_beyond": out["moving_range"] > out["mr_ucl"],
        "lower_spec": np.full(n, np.nan if lower is None else lower),
        "upper_spec": np.full(n, np.nan if upper is None else upper),
        "recent": np.arange(n) >= n - settings.baseline_n,
    })
    now = values[versions == current]
    baseline = imr_limits(now, settings.baseline_n, settings.min_n)
    mine = [a for a in approvals if a["process_version"] == current]
    approval = mine[-1] if mine else None
    limits = _fixed(approval, settings) if approval else baseline
    return Chart(first["attribute"], first["kind"], _text(first["unit"]), lower, upper, current,
                 frame[CHART_COLUMNS], baseline, limits, approval)


def _fixed(row: dict, settings: Settings) -> IMRLimits:
    return imr_limits([], settings.baseline_n, settings.min_n, fixed=(row["center"], row["lower"], row["upper"]))


def _source(limits: IMRLimits) -> str:
    if limits.source == FIXED:
        return "approved"
    if not limits.sufficient:
        return "none"
    return "provisional baseline" if limits.provisional else BASELINE


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _text(value) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


# --- the lens ----------------------------------------------------------------------------------------------------

def evaluate(ctx) -> dict[str, LensResult]:
    settings = Settings.of(ctx.expectations.settings)
    found = charts(ctx.ds, ctx.as_of, ctx.program_id, settings)
    versions = ctx.ds.query("control_process_versions", as_of=ctx.as_of, program_id=ctx.program_id)
    out = {}
    for program in records(ctx.programs):
        pid = program["program_id"]
        mine = [chart for (p, _), chart in found.items() if p == pid]
        judged = [(chart, summary(chart, settings)) for chart in mine]
        out[pid] = LensResult(figures(versions[versions["program_id"] == pid], judged, settings),
                              findings(ctx, program, judged, settings))
    return out


def summary(chart: Chart, settings: Settings) -> dict:
    """One attribute's figures: limits and state of its current version, recent signals, capability."""
    frame = chart.frame
    batch, version, value = (frame[c].to_numpy(object) for c in ("batch_id", "process_version", "value"))
    rules, recent = frame["rules"].to_numpy(object), frame["recent"].to_numpy(bool)
    current = frame["value"].to_numpy(float)[version == chart.current_version]
    signals = np.flatnonzero(recent & (rules != ""))
    out_of_spec = np.flatnonzero(recent & frame["out_of_spec"].to_numpy(bool))
    limits = chart.limits
    try:
        capability = ppk(current, chart.lower_spec, chart.upper_spec, settings.capability_min_n, CONFIDENCE)
        cap = {"n": capability.n, "mean": capability.mean, "sd": capability.sd, "ppk": capability.ppk,
               "ci_low": capability.ci_low, "ci_high": capability.ci_high, "confidence": CONFIDENCE,
               "reason": capability.reason}
    except ValueError as exc:  # e.g. equal lower and upper specification limits
        cap = {"n": len(current), "mean": None, "sd": None, "ppk": None, "ci_low": None, "ci_high": None,
               "confidence": CONFIDENCE, "reason": str(exc)}
    if len(out_of_spec):
        state = OUT_OF_SPEC
    elif len(signals):
        state = SIGNAL
    elif not limits.sufficient:
        state = TOO_FEW if limits.reason.startswith("not enough lots") else NO_LIMITS
    else:
        state = IN_CONTROL
    approval = chart.approval
    wider = None
    if approval and chart.baseline.sufficient:
        wider = bool(limits.ucl - limits.lcl > chart.baseline.ucl - chart.baseline.lcl)
    flags = np.where(frame["out_of_spec"].to_numpy(bool), OUT_OF_SPEC, np.where(rules != "", SIGNAL, ""))
    return {
        "attribute": chart.attribute,
        "unit": chart.unit,
        "kind": chart.kind,
        "lower_spec": chart.lower_spec,
        "upper_spec": chart.upper_spec,
        "process_version": chart.current_version,
        "lots": len(current),
        "lots_all_versions": len(frame),
        "limits": {
            "source": "approved" if approval else (BASELINE if limits.sufficient else None),
            "centre": limits.centre, "lcl": limits.lcl, "ucl": limits.ucl, "sigma": limits.sigma,
            "mr_ucl": limits.mr_ucl, "baseline_lots": chart.baseline.n,
            "approved_on": approval["approved_on"] if approval else None,
            "reason": approval["reason"] if approval else None,
            "wider_than_baseline": wider,
        },
        "provisional": bool(limits.sufficient and limits.provisional),
        "limits_note": limits_note(limits),
        "state": state,
        "signals": len(signals),
        "rules_broken": sorted({int(r) for i in signals for r in rules[i].split(", ")}),
        "signal_lots": [str(batch[i]) for i in signals],
        "out_of_spec": len(out_of_spec),
        "out_of_spec_lots": [str(batch[i]) for i in out_of_spec],
        "capability": cap,
        "recent": [[str(batch[i]), str(version[i]), float(value[i]), str(flags[i])] for i in np.flatnonzero(recent)],
    }


def limits_note(limits: IMRLimits) -> str | None:
    if not limits.sufficient:
        return f"no limits: {limits.reason}"
    if limits.provisional:
        return f"provisional limits, n = {limits.n}"
    return None


def figures(versions: pd.DataFrame, judged: list[tuple[Chart, dict]], settings: Settings) -> dict:
    current = versions.loc[versions["is_current"], "process_version"]
    attributes = [s for _, s in judged]
    return {
        "current_process_version": current.iloc[0] if len(current) else None,
        "settings": settings.as_dict(),
        "versions": records(versions[["process_version", "first_made_on", "lots", "is_current", "introduced_by"]]),
        "attributes_charted": len(attributes),
        "attributes_by_state": {s: sum(a["state"] == s for a in attributes) for s in STATES},
        "attributes": attributes,
    }


# --- findings ----------------------------------------------------------------------------------------------------

def findings(ctx, program: dict, judged: list[tuple[Chart, dict]], settings: Settings) -> list[Finding]:
    pid, phase, modality = program["program_id"], program["phase"], program["modality"]
    capability_row = ctx.expectations.at("capability_min_ppk", phase, modality)
    lots_row = ctx.expectations.at("control_limits_min_lots", phase, modality)
    out = []
    for chart, s in judged:
        out += _out_of_spec(pid, chart, s)
        out += _signals(pid, chart, s, settings)
        if capability_row and chart.kind == "cqa":
            out += _not_capable(pid, s, capability_row, phase)
    if lots_row:
        out += _too_few(pid, [s for _, s in judged], lots_row, phase)
    return out


def _out_of_spec(pid: str, chart: Chart, s: dict) -> list[Finding]:
    if not s["out_of_spec"]:
        return []
    frame = chart.frame
    lots = frame[frame["recent"] & frame["out_of_spec"]]
    exposed = lots[lots["disposition"].isin(EXPOSED)]
    unit = f" {s['unit']}" if s["unit"] else ""
    listed = ", ".join(f"{r['batch_id']} at {_num(r['value'])}{unit} ({r['disposition'].replace('_', ' ')})"
                       for r in records(lots))
    message = (f"{s['attribute']}: {_count(len(lots), 'recent lot')} out of specification "
               f"({spec_text(s['lower_spec'], s['upper_spec'], s['unit'])}): {listed}.")
    if len(exposed):
        message += f" {' and '.join(exposed['batch_id'])} reached release or a patient."
    evidence = records(lots[["batch_id", "process_version", "manufactured_on", "tested_on", "value", "lower_spec",
                             "upper_spec", "disposition"]])
    return [make(PC001, pid, s["attribute"], message, evidence, severity="high" if len(exposed) else "medium")]


def _signals(pid: str, chart: Chart, s: dict, settings: Settings) -> list[Finding]:
    if not s["signals"]:
        return []
    frame = chart.frame
    lots = frame[frame["recent"] & (frame["rules"] != "")]
    listed = ", ".join(f"{r['batch_id']} (rule{'s' if ',' in r['rules'] else ''} {r['rules']})"
                       for r in records(lots.head(SHOWN_LOTS)))
    if len(lots) > SHOWN_LOTS:
        listed += f" and {len(lots) - SHOWN_LOTS} more (see the evidence)"
    rules = "; ".join(settings.rule_label(r) for r in s["rules_broken"])
    message = (f"{s['attribute']}: {_count(len(lots), 'recent lot')} "
               f"{'breaks' if len(lots) == 1 else 'break'} a run rule against the limits in force: {listed}. "
               f"{rules}. Look for a special cause.")
    evidence = records(lots[["batch_id", "process_version", "manufactured_on", "value", "limits_source", "centre",
                             "lcl", "ucl", "rules"]])
    return [make(PC002, pid, s["attribute"], message, evidence)]


def _not_capable(pid: str, s: dict, row, phase: str) -> list[Finding]:
    cap = s["capability"]
    if cap["ppk"] is None or (s["lower_spec"] is None and s["upper_spec"] is None) or cap["ci_low"] >= row.threshold:
        return []
    message = (f"{s['attribute']} ({s['process_version']}): Ppk {cap['ppk']:.2f} (95% CI {cap['ci_low']:.2f} to "
               f"{cap['ci_high']:.2f}, n = {cap['n']}) against {spec_text(s['lower_spec'], s['upper_spec'], s['unit'])}"
               f"; {PHASE_WORDS[phase]} expects the lower bound to reach {row.threshold}.")
    expectation = (f"At {PHASE_WORDS[phase]}, the lower 95% confidence bound of Ppk of every CQA with specification "
                   f"limits is at least {row.threshold} (the {PHASE_WORDS[row.phase]} row of `capability_min_ppk`).")
    evidence = [{"attribute": s["attribute"], "process_version": s["process_version"], "lots": cap["n"],
                 "mean": cap["mean"], "sd": cap["sd"], "lower_spec": s["lower_spec"], "upper_spec": s["upper_spec"],
                 "ppk": cap["ppk"], "ci_low": cap["ci_low"], "ci_high": cap["ci_high"], "threshold": row.threshold}]
    return [make(PC003, pid, s["attribute"], message, evidence, severity=row.severity, expectation=expectation)]


def _too_few(pid: str, attributes: list[dict], row, phase: str) -> list[Finding]:
    short = [s for s in attributes if s["limits"]["source"] != "approved" and s["lots"] < row.threshold]
    if not short:
        return []
    version = short[0]["process_version"]
    names = [s["attribute"] for s in short]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    fewest, most = min(s["lots"] for s in short), max(s["lots"] for s in short)
    span = f"{fewest}" if fewest == most else f"{fewest} to {most}"
    message = (f"Process {version}: {_count(len(short), 'charted attribute')} ({shown}) "
               f"{'has' if len(short) == 1 else 'have'} only {span} lot{'' if most == 1 else 's'} with a valid "
               f"result and no approved limits; {PHASE_WORDS[phase]} expects control limits from at least "
               f"{row.threshold} lots per attribute.")
    expectation = (f"At {PHASE_WORDS[phase]}, control limits rest on at least {row.threshold} lots per attribute and "
                   f"process version, or on approved limits (the {PHASE_WORDS[row.phase]} row of "
                   "`control_limits_min_lots`).")
    evidence = [{"attribute": s["attribute"], "kind": s["kind"], "process_version": s["process_version"],
                 "lots": s["lots"], "needed": row.threshold, "limits": s["limits_note"]} for s in short]
    return [make(PC004, pid, version, message, evidence, severity=row.severity, expectation=expectation)]


def spec_text(lower: float | None, upper: float | None, unit: str | None) -> str:
    """The specification as a reviewer writes it: '≥ 70 %', '≤ 5 EU/mL', '0.6 to 6 x10^8 cells'."""
    unit = f" {unit}" if unit else ""
    if lower is not None and upper is not None:
        return f"specification {_num(lower)} to {_num(upper)}{unit}"
    if lower is not None:
        return f"specification ≥ {_num(lower)}{unit}"
    if upper is not None:
        return f"specification ≤ {_num(upper)}{unit}"
    return "no specification limits"


def _num(value: float) -> str:
    return f"{value:.4g}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
