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
from .lens import Groups, LensResult, records

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


def evaluate(ctx) -> dict[str, LensResult]:
    params = dict(as_of=ctx.as_of, program_id=ctx.program_id)
    assays = Groups(ctx.ds.query("potency_assay_stages", **params))
    mechanisms = Groups(ctx.ds.query("program_mechanisms", program_id=ctx.program_id))
    batches = Groups(ctx.ds.query("batch_potency", **params))
    trend = Groups(ctx.ds.query("potency_trend", **params))
    phases = Groups(ctx.ds.query("phase_changes", **params))
    out = {}
    for program in ctx.programs.itertuples():
        pid = program.program_id
        mine = _Program(pid, program.phase, program.modality, ctx, assays[pid], mechanisms[pid], batches[pid])
        out[pid] = LensResult(mine.figures(trend[pid], phases[pid]), mine.findings())
    return out


def _rank(stage: str) -> int:
    return STAGES.index(stage)


def _most_mature_first(assays: pd.DataFrame) -> pd.DataFrame:
    ranked = assays.assign(rank=assays["stage"].map(_rank).astype("int64"))
    return ranked.sort_values(["rank", "assay_id"], ascending=[False, True])


class _Program:
    """One program's potency evidence on the as-of date, and the expectation rows in force at its phase."""

    def __init__(self, pid, phase, modality, ctx, assays, mechanisms, batches):
        self.pid, self.phase, self.as_of = pid, phase, ctx.as_of
        self.assays = assays.reset_index(drop=True)
        self.mechanisms = list(mechanisms["mechanism"])
        self.batches = batches
        self.stage_row = ctx.expectations.at("potency_stage_min", phase, modality)
        self.quant_row = ctx.expectations.at("quantitative_potency_required", phase, modality)
        self.stage_item = ctx.expectations.items["potency_stage_min"]
        self.quant_item = ctx.expectations.items["quantitative_potency_required"]
        self.potency = self.assays[self.assays["category"] == "potency"]
        self.quantitative = self.potency[self.potency["readout"] == "quantitative"]
        ranked = _most_mature_first(self.assays)  # once, then cut per mechanism: a sort per mechanism cost more
        counting = self.counts(ranked)
        self.read_by, self.counting = {}, {}
        for m in self.mechanisms:
            mine = ranked["mechanism"] == m
            self.read_by[m], self.counting[m] = ranked[mine], counting[mine]

    @property
    def stage_expected(self) -> str | None:
        return self.stage_row.threshold if self.stage_row else None

    def counts(self, assays: pd.DataFrame) -> pd.Series:
        """Which assays cover their element: quantitative, at (or past) the stage the phase expects, if any."""
        floor = _rank(self.stage_expected) if self.stage_expected else 0
        return (assays["readout"] == "quantitative") & (assays["stage"].map(_rank) >= floor)

    def covered(self, mechanism: str) -> bool:
        return bool(self.counting[mechanism].any())

    def figures(self, trend: pd.DataFrame, phases: pd.DataFrame) -> dict:
        covered = sum(self.covered(m) for m in self.mechanisms)
        counts = self.batches["state"].value_counts()
        clinical = len(self.batches)
        quantitative = int(counts.get("quantitative", 0))
        by_month = Counter(zip(self.batches["month"], self.batches["state"]))
        return {
            "potency_stage_expected": self.stage_expected,
            "quantitative_potency_required": bool(self.quant_row and self.quant_row.threshold is True),
            "mechanisms": len(self.mechanisms),
            "mechanisms_covered": covered,
            "mechanism_coverage": round(covered / len(self.mechanisms), 4) if self.mechanisms else None,
            "mechanism_detail": [{
                "mechanism": m,
                "assays": [{**a, "counts": bool(c)} for a, c in zip(
                    records(self.read_by[m], ["assay_id", "category", "readout", "stage"]),
                    self.counting[m])],
                "best_stage": None if self.read_by[m].empty else self.read_by[m]["stage"].iloc[0],
                "covered": self.covered(m),
            } for m in self.mechanisms],
            "potency_assays": len(self.potency),
            "quantitative_potency_assays": len(self.quantitative),
            "assays": records(self.assays, ["assay_id", "name", "category", "mechanism", "readout", "stage",
                                           "first_result_on", "qualified_on", "validated_on", "results"]),
            "phase_changes": records(phases, ["phase", "started_on"]),
            "clinical_batches": clinical,
            "batches_with_quantitative_potency": quantitative,
            "quantitative_potency_batch_share": round(quantitative / clinical, 4) if clinical else None,
            "batches_by_potency": {s: int(counts.get(s, 0)) for s in BATCH_STATES},
            "batches_by_month": [{"month": month, **{s: by_month[(month, s)] for s in BATCH_STATES}}
                                 for month in sorted({month for month, _ in by_month})],
            "trend": records(trend, ["assay_id", "attribute", "unit", "batch_id", "manufactured_on", "value",
                                    "lower_limit", "upper_limit"]),
        }

    def findings(self) -> list[Finding]:
        return [*self._quantitative(), *self._uncovered(), *self._behind(), *self._unmeasured()]

    def _quantitative(self) -> list[Finding]:
        if not self.quantitative.empty:
            return []
        evidence = records(self.potency, ["assay_id", "name", "mechanism", "readout", "stage"])
        if self.quant_row and self.quant_row.threshold is True and not self.potency.empty:
            ids = ", ".join(self.potency["assay_id"])
            return [make(PT005, self.pid, "potency readout",
                         f"Every potency assay of {self.pid} reads out pass/fail only ({ids}); at "
                         f"{PHASE_WORDS[self.phase]} a quantitative readout is expected.", evidence,
                         severity=self.quant_row.severity,
                         expectation=f"At {PHASE_WORDS[self.phase]} at least one potency assay has a quantitative "
                                     f"readout ({self.quant_item.title.lower()}).",
                         reference=self.quant_item.reference)]
        if self.potency.empty:
            message = f"{self.pid} has no potency assay at all."
        else:
            listed = ", ".join(f"{a.assay_id} ({a.readout})" for a in self.potency.itertuples())
            message = f"{self.pid} has no potency assay with a quantitative readout; its potency assays: {listed}."
        return [make(PT001, self.pid, "quantitative potency assay", message, evidence,
                     severity="low" if self.phase == "preclinical" else "high")]

    def _uncovered(self) -> list[Finding]:
        return [make(PT002, self.pid, m, f"“{m}”, an element of the mechanism of action of {self.pid}, is read out "
                                         "by no assay.", [{"program_id": self.pid, "mechanism": m}])
                for m in self.mechanisms if self.read_by[m].empty]

    def _behind(self) -> list[Finding]:
        if not self.stage_expected:
            return []
        floor = _rank(self.stage_expected)
        judged = {m: named for m, named in self.read_by.items() if not named.empty} or {
            "potency assays": _most_mature_first(self.potency)}
        out = []
        for subject, named in judged.items():
            if named.empty or named["rank"].iloc[0] >= floor:
                continue
            best = named.iloc[0]
            what = f"“{subject}”" if subject in self.mechanisms else "the program's potency"
            out.append(make(
                PT003, self.pid, subject,
                f"The most mature assay reading out {what} is {best['assay_id']}, {best['stage']} on "
                f"{self.as_of.isoformat()}; at {PHASE_WORDS[self.phase]} it is expected to be {self.stage_expected}.",
                records(named, ["assay_id", "name", "mechanism", "readout", "stage", "first_result_on",
                               "qualified_on", "validated_on"]),
                severity=self.stage_row.severity,
                expectation=f"At {PHASE_WORDS[self.phase]} the assay reading out each mechanism element is at least "
                            f"{self.stage_expected} ({' < '.join(STAGES)}).",
                reference=self.stage_item.reference))
        return out

    def _unmeasured(self) -> list[Finding]:
        out = []
        for disposition, severity, tail in (
                ("administered", "high", "their potency can never be measured now"),
                ("released", "medium", "test their retained samples before they go to a patient")):
            rows = self.batches[self.batches["state"] == f"none_{disposition}"]
            if rows.empty:
                continue
            voided = rows[rows["invalidated"]]
            note = (f" ({', '.join(voided['batch_id'])}: potency result invalidated, never repeated)"
                    if not voided.empty else "")
            noun = "batch was" if len(rows) == 1 else "batches were"
            out.append(make(
                PT004, self.pid, f"{disposition} batches",
                f"{len(rows)} clinical {noun} {disposition} without a valid potency result: "
                f"{', '.join(rows['batch_id'])}{note}; {tail}.",
                records(rows, ["batch_id", "process_version", "manufactured_on", "disposition", "disposition_on",
                              "invalidated"]),
                severity=severity))
        return out
