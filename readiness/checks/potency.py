"""Potency & analytical methods: is the mechanism of action measured, quantitatively, by assays mature enough?

Two kinds of assay are told apart. A *potency assay* has category `potency`: it is the functional,
lot-release measure of biological activity. The *potency matrix* adds every assay that names the element
of the mechanism of action it reads out (a CAR-expression flow assay filed under identity, say): such an
assay covers its element, but cannot stand in for a potency assay (FDA's CAR T guidance, 2024).
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from ..contract import PHASE_WORDS
from ..expectations import STAGES
from ..findings import Finding, make, rule
from .ahead import Questions
from .lens import LensResult, rows_by_program, share

LENS = "potency"
TABLES = ("programs", "phase_history", "batches", "attributes", "assays", "results", "mechanisms")

_GUIDANCE = "FDA, Potency Assurance for Cellular and Gene Therapy Products, draft guidance (Dec 2023)"
_STAGE_WORDS = ("validated if validated_on is on or before the as-of date; else qualified if qualified_on is; "
                "else developing if the assay has produced a result (any status, any batch) tested on or before "
                "it; else exploratory (defined, never run)")

PT001 = rule(
    "PT001", LENS, "No quantitative potency assay", "high",
    "From Phase 1 on, a program has at least one potency assay with a quantitative readout linked to the "
    "mechanism of action: a pass/fail can show activity, not consistency.",
    f"{_GUIDANCE}; FDA, Considerations for the Development of Chimeric Antigen Receptor (CAR) T Cell Products "
    "(2024); 21 CFR 610.10",
    "The program has no assay of category `potency` with readout `quantitative` (assays of other categories "
    "that read out a mechanism element, such as CAR expression, support the matrix but are not a potency assay). "
    "High from Phase 1, low while preclinical. Where `quantitative_potency_required` is in force and the "
    "program has qualitative potency assays, PT005 reports it instead, with that expectation's severity.")
PT002 = rule(
    "PT002", LENS, "Mechanism element read out by no assay", "medium",
    "Every element of the proposed mechanism of action is read out by at least one assay of the potency "
    "matrix; where one assay cannot cover the mechanism, a matrix of assays does.",
    _GUIDANCE,
    "An element listed in `mechanisms` is named by no assay of the program (`assays.mechanism`). Any assay "
    "naming it counts, whatever its category, readout or stage: those are judged by PT003, PT001/PT005 and "
    "the mechanism-coverage figure.")
PT003 = rule(
    "PT003", LENS, "Potency assay behind the lifecycle stage the phase expects", "medium",
    "A potency assay matures with the program (`potency_stage_min`): developing at Phase 1, qualified before "
    "Phase 2 and pivotal lots, validated for licensure.",
    f"{_GUIDANCE}; ICH Q2(R2) (2023)",
    "For each mechanism element read out by at least one assay, the most mature of those assays is below "
    "`potency_stage_min` at the program's phase on the as-of date (an assay in development beside a mature "
    "one is not a gap); a program none of whose listed elements is read out by an assay (or that lists none) "
    f"is judged on its most mature potency assay. Stage on the as-of date: {_STAGE_WORDS}. Severity from the expectation row.")
PT004 = rule(
    "PT004", LENS, "Clinical batch released or administered without a valid potency result", "medium",
    "Every clinical lot carries a valid measure of biological activity before it is released (21 CFR 610.10; "
    "at Phase 1, some measure of activity and retained samples).",
    f"{_GUIDANCE}; 21 CFR 610.10",
    "Clinical batches that are released or administered on the as-of date have no valid potency result tested "
    "on or before it: no valid result from an assay of category `potency` nor for an attribute of category "
    "`potency`, whatever the data plan requires (BL001/BL002 judge the data plan). One finding per program "
    "and disposition: high for administered batches (a patient's lot can never be measured now), medium for "
    "released ones (still testable from retained sample).")
PT005 = rule(
    "PT005", LENS, "Only qualitative potency readouts past Phase 1", "high",
    "Past Phase 1 (`quantitative_potency_required`), at least one potency assay has a quantitative readout.",
    f"{_GUIDANCE}, section IV",
    "At a phase where `quantitative_potency_required` is in force (Phase 2 on by default), the program has "
    "potency assays but every one reads out pass/fail (`qualitative`). Severity from the expectation row. A "
    "program without any potency assay gets PT001.")

BATCH_STATES = ("quantitative", "qualitative_only", "none_administered", "none_released", "none_not_released")
_ASSAY_COLUMNS = ["assay_id", "name", "category", "mechanism", "readout", "stage", "first_result_on", "qualified_on",
                  "validated_on", "results"]
_BATCH_COLUMNS = ["batch_id", "process_version", "manufactured_on", "disposition", "disposition_on", "invalidated"]
_TREND_COLUMNS = ["assay_id", "attribute", "unit", "batch_id", "manufactured_on", "value", "lower_limit", "upper_limit"]
_UNMEASURED = (("administered", "high", "their potency can never be measured now"),
               ("released", "medium", "test their retained samples before they go to a patient"))


def questions(ctx) -> Questions:
    params = dict(as_of=ctx.as_of, program_id=ctx.program_id)
    return {"assays": ("potency_assay_stages", params),
            "mechanisms": ("program_mechanisms", dict(program_id=ctx.program_id)),
            "batches": ("batch_potency", params),
            "trend": ("potency_trend", params),
            "phases": ("phase_changes", params)}


def evaluate(ctx) -> dict[str, LensResult]:
    answers = ctx.answers(questions(ctx))
    assays = rows_by_program(answers["assays"], _ASSAY_COLUMNS)
    mechanisms = rows_by_program(answers["mechanisms"], ["mechanism"])
    batches = answers["batches"]
    months = _months(batches)
    unmeasured = {disposition: rows_by_program(batches[batches["state"] == f"none_{disposition}"], _BATCH_COLUMNS)
                  for disposition, _, _ in _UNMEASURED}
    trend = rows_by_program(answers["trend"], _TREND_COLUMNS)
    phases = rows_by_program(answers["phases"], ["phase", "started_on"])
    out = {}
    for program in ctx.programs.itertuples():
        pid = program.program_id
        mine = _Program(pid, program.phase, program.modality, ctx, assays.get(pid, []),
                        [row["mechanism"] for row in mechanisms.get(pid, [])], months.get(pid, Counter()),
                        {disposition: rows.get(pid, []) for disposition, rows in unmeasured.items()})
        out[pid] = LensResult(mine.figures(trend.get(pid, []), phases.get(pid, [])), mine.findings())
    return out


def _months(batches: pd.DataFrame) -> dict[str, Counter]:
    """Each program's clinical batches counted by (month, state), in one pass: every other batch figure is a sum
    of these counts, and a row per batch was never needed."""
    out: dict[str, Counter] = {}
    keys = zip(batches["program_id"].tolist(), batches["month"].tolist(), batches["state"].tolist())
    for (pid, month, state), n in Counter(keys).items():
        out.setdefault(pid, Counter())[month, state] = n
    return out


def _rank(stage: str) -> int:
    return STAGES.index(stage)


def _most_mature_first(assays: list[dict]) -> list[dict]:
    return sorted(assays, key=lambda a: (-_rank(a["stage"]), a["assay_id"]))


def _pick(row: dict, columns: list[str]) -> dict:
    return {name: row[name] for name in columns}


class _Program:
    """One program's potency evidence on the as-of date, and the expectation rows in force at its phase.

    `assays` are rows of _ASSAY_COLUMNS in assay order, `by_month` its batches counted by (month, state) and
    `unmeasured` its rows of _BATCH_COLUMNS without a valid potency result, by disposition.
    """

    def __init__(self, pid, phase, modality, ctx, assays, mechanisms, by_month, unmeasured):
        self.pid, self.phase, self.as_of = pid, phase, ctx.as_of
        self.assays, self.mechanisms, self.by_month, self.unmeasured = assays, mechanisms, by_month, unmeasured
        self.stage_row = ctx.expectations.at("potency_stage_min", phase, modality)
        self.quant_row = ctx.expectations.at("quantitative_potency_required", phase, modality)
        self.stage_item = ctx.expectations.items["potency_stage_min"]
        self.quant_item = ctx.expectations.items["quantitative_potency_required"]
        self.floor = _rank(self.stage_expected) if self.stage_expected else 0
        self.potency = [a for a in assays if a["category"] == "potency"]
        self.quantitative = [a for a in self.potency if a["readout"] == "quantitative"]
        ranked = _most_mature_first(assays)  # once, then cut per mechanism: a sort per mechanism cost more
        self.read_by = {m: [a for a in ranked if a["mechanism"] == m] for m in mechanisms}

    @property
    def stage_expected(self) -> str | None:
        return self.stage_row.threshold if self.stage_row else None

    def counts(self, assay: dict) -> bool:
        """Whether an assay covers its element: quantitative, at (or past) the stage the phase expects, if any."""
        return assay["readout"] == "quantitative" and _rank(assay["stage"]) >= self.floor

    def covered(self, mechanism: str) -> bool:
        return any(self.counts(a) for a in self.read_by[mechanism])

    def figures(self, trend: list[dict], phases: list[dict]) -> dict:
        covered = sum(self.covered(m) for m in self.mechanisms)
        states = Counter()
        for (_, state), n in self.by_month.items():
            states[state] += n
        clinical = sum(states.values())
        quantitative = states["quantitative"]
        return {
            "potency_stage_expected": self.stage_expected,
            "quantitative_potency_required": bool(self.quant_row and self.quant_row.threshold is True),
            "mechanisms": len(self.mechanisms),
            "mechanisms_covered": covered,
            "mechanism_coverage": share(covered, len(self.mechanisms)),
            "mechanism_detail": [{
                "mechanism": m,
                "assays": [{**_pick(a, ["assay_id", "category", "readout", "stage"]), "counts": self.counts(a)}
                           for a in self.read_by[m]],
                "best_stage": self.read_by[m][0]["stage"] if self.read_by[m] else None,
                "covered": self.covered(m),
            } for m in self.mechanisms],
            "potency_assays": len(self.potency),
            "quantitative_potency_assays": len(self.quantitative),
            "assays": self.assays,
            "phase_changes": phases,
            "clinical_batches": clinical,
            "batches_with_quantitative_potency": quantitative,
            "quantitative_potency_batch_share": share(quantitative, clinical),
            "batches_by_potency": {s: states[s] for s in BATCH_STATES},
            "batches_by_month": [{"month": month, **{s: self.by_month[(month, s)] for s in BATCH_STATES}}
                                 for month in sorted({month for month, _ in self.by_month})],
            "trend": trend,
        }

    def findings(self) -> list[Finding]:
        return [*self._quantitative(), *self._uncovered(), *self._behind(), *self._unmeasured()]

    def _quantitative(self) -> list[Finding]:
        if self.quantitative:
            return []
        evidence = [_pick(a, ["assay_id", "name", "mechanism", "readout", "stage"]) for a in self.potency]
        if self.quant_row and self.quant_row.threshold is True and self.potency:
            ids = ", ".join(a["assay_id"] for a in self.potency)
            return [make(PT005, self.pid, "potency readout",
                         f"Every potency assay of {self.pid} reads out pass/fail only ({ids}); at "
                         f"{PHASE_WORDS[self.phase]} a quantitative readout is expected.", evidence,
                         severity=self.quant_row.severity,
                         expectation=f"At {PHASE_WORDS[self.phase]} at least one potency assay has a quantitative "
                                     f"readout ({self.quant_item.title.lower()}).",
                         reference=self.quant_item.reference)]
        if not self.potency:
            message = f"{self.pid} has no potency assay at all."
        else:
            listed = ", ".join(f"{a['assay_id']} ({a['readout']})" for a in self.potency)
            message = f"{self.pid} has no potency assay with a quantitative readout; its potency assays: {listed}."
        return [make(PT001, self.pid, "quantitative potency assay", message, evidence,
                     severity="low" if self.phase == "preclinical" else "high")]

    def _uncovered(self) -> list[Finding]:
        return [make(PT002, self.pid, m, f"“{m}”, an element of the mechanism of action of {self.pid}, is read out "
                                         "by no assay.", [{"program_id": self.pid, "mechanism": m}])
                for m in self.mechanisms if not self.read_by[m]]

    def _behind(self) -> list[Finding]:
        if not self.stage_expected:
            return []
        judged = {m: named for m, named in self.read_by.items() if named} or {
            "potency assays": _most_mature_first(self.potency)}
        out = []
        for subject, named in judged.items():
            if not named or _rank(named[0]["stage"]) >= self.floor:
                continue
            best = named[0]
            what = f"“{subject}”" if subject in self.mechanisms else "the program's potency"
            out.append(make(
                PT003, self.pid, subject,
                f"The most mature assay reading out {what} is {best['assay_id']}, {best['stage']} on "
                f"{self.as_of.isoformat()}; at {PHASE_WORDS[self.phase]} it is expected to be {self.stage_expected}.",
                [_pick(a, ["assay_id", "name", "mechanism", "readout", "stage", "first_result_on", "qualified_on",
                           "validated_on"]) for a in named],
                severity=self.stage_row.severity,
                expectation=f"At {PHASE_WORDS[self.phase]} the assay reading out each mechanism element is at least "
                            f"{self.stage_expected} ({' < '.join(STAGES)}).",
                reference=self.stage_item.reference))
        return out

    def _unmeasured(self) -> list[Finding]:
        out = []
        for disposition, severity, tail in _UNMEASURED:
            rows = self.unmeasured[disposition]
            if not rows:
                continue
            voided = [row["batch_id"] for row in rows if row["invalidated"]]
            note = f" ({', '.join(voided)}: potency result invalidated, never repeated)" if voided else ""
            noun = "batch was" if len(rows) == 1 else "batches were"
            out.append(make(
                PT004, self.pid, f"{disposition} batches",
                f"{len(rows)} clinical {noun} {disposition} without a valid potency result: "
                f"{', '.join(row['batch_id'] for row in rows)}{note}; {tail}.",
                rows, severity=severity))
        return out
