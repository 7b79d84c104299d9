"""Writes the six synthetic sample programs as Parquet, deterministically, anchored to one date.

Every date is an offset from the anchor, so `--anchor 2030-01-01` writes the same story three years
later: the sample looks current whatever today is. Nothing dated after the anchor is written (a result
not yet tested does not exist yet), except planned dates: each program's next milestone and the
materials' requalify-by dates.

The story, as of the anchor:
- AAV9-SMN-301 (AAV, Phase 3): clean records, validated assays, changes closed with comparability,
  every material qualified before its first lot; a process in statistical control, capable against its
  specifications, with full-capsid control limits approved after PPQ.
- CAR19-201 (autologous CAR-T, Phase 2): warnings. A few lots lack a result they can still get from
  retained sample; viability shifted down after the serum-free medium change (process v3) yet stays
  in specification; comparability for that change was completed after the change was implemented;
  an equipment change has been open for months; the first lots of an automated-harvest change
  (v3.1) are too few yet for a comparability verdict; the specific-lysis potency assay, required since
  Phase 2, is still not qualified; the activation beads are still used a month past their
  requalify-by date. Process control: the rejected lot C19-0124 (viability 64%) and this week's newest
  lot are out of specification, C19-0124 also beyond 3 sigma of the v3 baseline; the v3 shift itself
  is not a signal, since v3 starts its own baseline; v3.1 has too few lots yet for control limits.
- BCMA-101 (autologous CAR-T, Phase 1): in trouble. Administered lots without potency or vector copy
  number results, and a run of lots whose contract-lab safety results never reached LIMS, which puts
  baseline completeness under the Phase 1 90%; an invalidated potency result never retested; lots made under process v2.1, which
  no change record introduces; a vector-supplier change implemented before approval with comparability
  outstanding; lots administered while a major or critical deviation on them was open; potency read out only as a
  qualitative pass/fail, and cytokine release, part of the mechanism, read out by no assay; the second
  vector supplier's lots used for two months before that vector was qualified; a research-grade IL-7
  in every lot since process v2, never qualified.
- LV-HSC-102 (lentiviral-vector-transduced autologous HSC, Phase 1): warnings. Enzyme-activity potency
  assay not yet qualified and behind on testing; engraftment, part of the mechanism, read out by no
  assay; a vector-lot change without its comparability data; a research-grade transduction enhancer
  tried on the newest lot (still in process) before its qualification.
- NK-ALLO-103 (allogeneic iPSC-derived NK, Phase 1): off track on one gap. Potency (cytotoxicity) is
  measured but not in the data plan as required (a high finding at Phase 1); otherwise warnings:
  IFN-gamma secretion, part of the mechanism, read out by no assay; a major deviation open for more
  than six months (its lot held meanwhile); purity after the feeder-free change not shown equivalent.
- TIL-MEL-301 (autologous tumour-infiltrating lymphocytes, Phase 3): complete, well-controlled records,
  but its only potency readout is a pass/fail ELISpot in pivotal lots, and viability runs so close to
  its 70% limit that its capability is below what pivotal manufacture needs.
- The last week before the anchor (for the weekly brief): a CAR19-201 lot becomes overdue for its vector
  copy number, NK-ALLO-103's missing mycoplasma result is recorded, CAR19-201's newest lot is out of
  specification, LV-HSC-102 opens and approves a change, CAR19-201 opens a deviation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SAMPLE_ANCHOR = dt.date(2026, 11, 24)
SEED = 20261124
HERE = Path(__file__).resolve().parent

TEXT, DOUBLE, DATE, BOOL = pa.string(), pa.float64(), pa.date32(), pa.bool_()
SCHEMAS = {
    "programs": {"program_id": TEXT, "name": TEXT, "modality": TEXT, "phase": TEXT, "indication": TEXT,
                 "next_milestone": TEXT, "next_milestone_on": DATE},
    "phase_history": {"program_id": TEXT, "phase": TEXT, "started_on": DATE},
    "batches": {"batch_id": TEXT, "program_id": TEXT, "purpose": TEXT, "process_version": TEXT, "site": TEXT,
                "manufactured_on": DATE, "disposition": TEXT, "disposition_on": DATE},
    "attributes": {"program_id": TEXT, "attribute": TEXT, "kind": TEXT, "category": TEXT, "unit": TEXT,
                   "lower_limit": DOUBLE, "upper_limit": DOUBLE, "required_from": TEXT},
    "assays": {"assay_id": TEXT, "program_id": TEXT, "name": TEXT, "category": TEXT, "mechanism": TEXT,
               "readout": TEXT, "qualified_on": DATE, "validated_on": DATE},
    "results": {"batch_id": TEXT, "attribute": TEXT, "value": DOUBLE, "text_value": TEXT, "tested_on": DATE,
                "assay_id": TEXT, "status": TEXT, "program_id": TEXT},
    "mechanisms": {"program_id": TEXT, "mechanism": TEXT},
    "changes": {"change_id": TEXT, "program_id": TEXT, "title": TEXT, "change_type": TEXT, "risk": TEXT,
                "opened_on": DATE, "approved_on": DATE, "implemented_on": DATE, "closed_on": DATE,
                "to_process_version": TEXT, "comparability_required": BOOL, "comparability_completed_on": DATE},
    "deviations": {"deviation_id": TEXT, "program_id": TEXT, "batch_id": TEXT, "severity": TEXT,
                   "opened_on": DATE, "closed_on": DATE, "title": TEXT},
    "materials": {"material_id": TEXT, "program_id": TEXT, "name": TEXT, "supplier": TEXT, "kind": TEXT,
                  "risk_tier": DOUBLE, "grade": TEXT, "qualified_on": DATE, "requalify_by": DATE, "change_id": TEXT},
    "material_usage": {"batch_id": TEXT, "material_id": TEXT, "material_lot": TEXT},
    "control_limits": {"program_id": TEXT, "attribute": TEXT, "process_version": TEXT, "center": DOUBLE,
                       "lower": DOUBLE, "upper": DOUBLE, "approved_on": DATE, "reason": TEXT},
}


@dataclass
class Lot:
    """What a result generator may depend on: the lot's process version and whether it went wrong."""

    batch_id: str
    process_version: str
    made: int  # days before the anchor
    purpose: str
    outcome: str = "ok"  # ok | rejected (out of specification) | failed (manufacturing failure)


@dataclass
class Attr:
    name: str
    kind: str
    category: str
    unit: str | None
    lower: float | None
    upper: float | None
    required_from: str | None
    make: Callable[[random.Random, Lot], float | str]
    lag: tuple[int, int]  # days from manufacture to the result
    assay_id: str | None = None
    development: bool = False  # also tested on development and engineering lots
    since: int | None = None  # tested only on lots made at most this many days before the anchor


@dataclass
class Sample:
    anchor: dt.date
    rows: dict[str, list[dict]] = field(default_factory=lambda: {name: [] for name in SCHEMAS})

    def day(self, days_before: int | None) -> dt.date | None:
        return None if days_before is None else self.anchor - dt.timedelta(days=days_before)

    def add(self, table: str, **values) -> None:
        self.rows[table].append(values)


def gauss(mean: float, sd: float, lo: float | None = None, hi: float | None = None, digits: int = 1):
    def draw(rng: random.Random, lot: Lot) -> float:
        value = rng.gauss(mean, sd)
        value = max(lo, value) if lo is not None else value
        value = min(hi, value) if hi is not None else value
        return float(round(value, digits))
    return draw


def steady(stream: str, mean: float, sd: float, lo: float | None = None, hi: float | None = None, digits: int = 1):
    """Like `gauss`, for a process in statistical control: no run-rule pattern by chance.

    An in-control series of 30 lots breaks one of the Western Electric rules by chance about half the time,
    and the clean program must not show such a false alarm. So, per process version, a draw that would start
    a pattern (beyond 2.5 sigma; 6 in a row on one side; on one side 2 of 3 beyond 1.8 sigma or 3 of 5 beyond
    1 sigma) is drawn again from the attribute's own stream. The shared stream advances exactly as `gauss`
    advances it, so no other value in the sample moves.
    """
    own = random.Random(stream)
    seen: dict[str, list[float]] = {}

    def draw(rng: random.Random, lot: Lot) -> float:
        rng.gauss(0.0, 1.0)
        history = seen.setdefault(lot.process_version, [])
        z = own.gauss(0.0, 1.0)
        while _starts_pattern(history + [z]):
            z = own.gauss(0.0, 1.0)
        history.append(z)
        value = mean + sd * z
        value = max(lo, value) if lo is not None else value
        value = min(hi, value) if hi is not None else value
        return float(round(value, digits))
    return draw


def _starts_pattern(z: list[float]) -> bool:
    if abs(z[-1]) > 2.5:
        return True
    if len(z) >= 6 and (all(v > 0 for v in z[-6:]) or all(v < 0 for v in z[-6:])):
        return True
    return any(sum(side * v > 1.8 for v in z[-3:]) >= 2 or sum(side * v > 1.0 for v in z[-5:]) >= 3
               for side in (1, -1))


def lognormal(median: float, sigma: float, digits: int = 3):
    def draw(rng: random.Random, lot: Lot) -> float:
        return float(f"{median * rng.lognormvariate(0, sigma):.{digits}g}")
    return draw


def text(value: str):
    return lambda rng, lot: value


def by_version(draws: dict[str, Callable], default: Callable):
    return lambda rng, lot: draws.get(lot.process_version, default)(rng, lot)


def rejected_low(draw: Callable, low: Callable):
    """Rejected lots are the ones that missed specification on this attribute."""
    return lambda rng, lot: low(rng, lot) if lot.outcome == "rejected" else draw(rng, lot)


def safety(prefix: str, required_from: str, endotoxin_limit: float, rcl: bool = True) -> list[Attr]:
    out = [
        Attr("sterility", "cqa", "safety", None, None, None, required_from, text("no growth"), (14, 15),
             f"{prefix}-STER"),
        Attr("endotoxin", "cqa", "safety", "EU/mL", None, endotoxin_limit, required_from,
             gauss(endotoxin_limit / 8, endotoxin_limit / 25, lo=0.05, digits=2), (1, 3), f"{prefix}-ENDO"),
        Attr("mycoplasma", "cqa", "safety", None, None, None, required_from, text("negative"), (2, 4),
             f"{prefix}-MYCO"),
    ]
    if rcl:
        out.append(Attr("replication_competent_lentivirus", "cqa", "safety", None, None, None, required_from,
                        text("not detected"), (15, 19), f"{prefix}-RCL"))
    return out


def safety_assays(sample: Sample, program_id: str, prefix: str, qualified: int, validated: int | None,
                  rcl: bool = True) -> None:
    names = [("STER", "Sterility (BacT/ALERT, 14 days)"), ("ENDO", "Endotoxin (kinetic chromogenic LAL)"),
             ("MYCO", "Mycoplasma (qPCR)")] + ([("RCL", "Replication-competent lentivirus (qPCR, VSV-G)")]
                                               if rcl else [])
    for code, name in names:
        sample.add("assays", assay_id=f"{prefix}-{code}", program_id=program_id, name=name, category="safety",
                   mechanism=None, readout="qualitative" if code != "ENDO" else "quantitative",
                   qualified_on=sample.day(qualified), validated_on=sample.day(validated))


def add_attributes(sample: Sample, program_id: str, attrs: list[Attr]) -> None:
    for a in attrs:
        sample.add("attributes", program_id=program_id, attribute=a.name, kind=a.kind, category=a.category,
                   unit=a.unit, lower_limit=a.lower, upper_limit=a.upper, required_from=a.required_from)


def add_results(sample: Sample, rng: random.Random, program_id: str, lot: Lot, attrs: list[Attr],
                skip: set[str] = frozenset(), invalidate: set[str] = frozenset(),
                extra_lag: dict[str, int] | None = None) -> None:
    """Results tested by the anchor; `skip` leaves gaps, `invalidate` records a result then voids it."""
    if lot.outcome == "failed":
        return
    for a in attrs:
        if a.name in skip or (lot.purpose in ("development", "engineering") and not a.development):
            continue
        if a.since is not None and lot.made > a.since:
            continue
        value = a.make(rng, lot)
        tested = lot.made - rng.randint(*a.lag) - (extra_lag or {}).get(a.name, 0)
        if tested < 0:
            continue
        numeric = isinstance(value, float)
        sample.add("results", batch_id=lot.batch_id, attribute=a.name, value=value if numeric else None,
                   text_value=None if numeric else value, tested_on=sample.day(tested), assay_id=a.assay_id,
                   status="invalidated" if a.name in invalidate else "valid", program_id=program_id)


def autologous_disposition(lot: Lot, release_after: int = 14, infuse_after: int = 21) -> tuple[str, int | None]:
    """A patient's lot: in process, then released, then administered (rejected and failed lots stop)."""
    age = lot.made
    if lot.outcome == "failed":
        return "failed", lot.made - 9 if age >= 9 else None
    if age < release_after:
        return "in_process", None
    if lot.outcome == "rejected":
        return "rejected", lot.made - release_after
    if age < infuse_after:
        return "released", lot.made - release_after
    return "administered", lot.made - infuse_after


def add_batch(sample: Sample, program_id: str, lot: Lot, site: str, disposition: str, on: int | None) -> None:
    sample.add("batches", batch_id=lot.batch_id, program_id=program_id, purpose=lot.purpose,
               process_version=lot.process_version, site=site, manufactured_on=sample.day(lot.made),
               disposition=disposition, disposition_on=sample.day(on))


def program(sample: Sample, program_id: str, name: str, modality: str, phase: str, indication: str,
            milestone: str, milestone_in: int, history: list[tuple[str, int]]) -> None:
    sample.add("programs", program_id=program_id, name=name, modality=modality, phase=phase, indication=indication,
               next_milestone=milestone, next_milestone_on=sample.anchor + dt.timedelta(days=milestone_in))
    for phase_name, started in history:
        sample.add("phase_history", program_id=program_id, phase=phase_name, started_on=sample.day(started))


def change(sample: Sample, program_id: str, change_id: str, title: str, change_type: str, risk: str,
           opened: int, approved: int | None, implemented: int | None, closed: int | None,
           to_version: str | None, comparability: bool, completed: int | None) -> None:
    sample.add("changes", change_id=change_id, program_id=program_id, title=title, change_type=change_type,
               risk=risk, opened_on=sample.day(opened), approved_on=sample.day(approved),
               implemented_on=sample.day(implemented), closed_on=sample.day(closed), to_process_version=to_version,
               comparability_required=comparability, comparability_completed_on=sample.day(completed))


def deviation(sample: Sample, program_id: str, deviation_id: str, batch_id: str | None, severity: str,
              opened: int, closed: int | None, title: str) -> None:
    sample.add("deviations", deviation_id=deviation_id, program_id=program_id, batch_id=batch_id,
               severity=severity, opened_on=sample.day(opened), closed_on=sample.day(closed), title=title)


def routine_deviations(sample: Sample, rng: random.Random, program_id: str, lots: list[Lot], prefix: str,
                       every: int) -> None:
    """Minor deviations closed within a month: the ordinary texture of a manufacturing record."""
    titles = ["Label reprint after print defect", "Late temperature-log review", "Cleanroom particle excursion",
              "Operator gowning observation", "Incubator door alarm, 2 minutes", "Missing second-person check"]
    for n, lot in enumerate(lots[::every], start=1):
        opened = max(lot.made - rng.randint(0, 3), 0)
        closed = opened - rng.randint(7, 30)
        deviation(sample, program_id, f"{prefix}-{n:03d}", lot.batch_id, "minor", opened,
                  closed if closed >= 0 else None, rng.choice(titles))


@dataclass
class Material:
    """One material from one supplier (USP <1043> risk tier 1 lowest to 4 highest) and the lots it went into."""

    material_id: str
    name: str
    supplier: str
    kind: str
    tier: int
    grade: str
    qualified: int | None  # days before the anchor
    requalify_by: int | None  # days before the anchor; negative: a planned date after it
    used: Callable[[Lot], bool]
    change_id: str | None = None
    lot_days: int = 90  # a supplier lot lasts about this long


def every_lot(lot: Lot) -> bool:
    return True


def in_versions(*versions: str) -> Callable[[Lot], bool]:
    return lambda lot: lot.process_version in versions


def made_within(newest: int, oldest: int) -> Callable[[Lot], bool]:
    """Lots made between `oldest` and `newest` days before the anchor (inclusive)."""
    return lambda lot: newest <= lot.made <= oldest


def add_materials(sample: Sample, program_id: str, lots: list[Lot], materials: list[Material]) -> None:
    """The materials and the bill of materials of each lot; supplier lot numbers follow the calendar."""
    for m in materials:
        sample.add("materials", material_id=m.material_id, program_id=program_id, name=m.name, supplier=m.supplier,
                   kind=m.kind, risk_tier=float(m.tier), grade=m.grade, qualified_on=sample.day(m.qualified),
                   requalify_by=sample.day(m.requalify_by), change_id=m.change_id)
        code = m.material_id.split("-", 2)[-1]
        for lot in lots:
            if m.used(lot):
                sample.add("material_usage", batch_id=lot.batch_id, material_id=m.material_id,
                           material_lot=f"{code}-{(5000 - lot.made) // m.lot_days:03d}")


APHERESIS = "Apheresis collection set (Spectra Optia)"
CRYOSTOR = "Cryopreservation medium (CryoStor CS10)"
# Per program: what its lots are made with. Suppliers named in a finding are fictional.
CAR19_MATERIALS = [
    Material("C19-M-APH", APHERESIS, "Terumo BCT", "consumable", 1, "gmp", 1130, -400, every_lot, lot_days=30),
    Material("C19-M-LV", "Lentiviral vector, anti-CD19 CAR", "Meridian Viral Vectors", "vector", 4, "gmp", 1120,
             -250, every_lot, lot_days=180),
    Material("C19-M-IL2", "IL-2 (aldesleukin, licensed)", "Hospital pharmacy (licensed product)", "ancillary", 1,
             "gmp", 1130, -300, in_versions("v1", "v2")),
    Material("C19-M-BEADS", "Anti-CD3/CD28 activation beads (GMP grade)", "Halcyon Cell Reagents", "ancillary", 2,
             "gmp", 1130, 30, every_lot),  # requalification overdue, still in use: MT003
    Material("C19-M-ABS", "Human AB serum", "Cascade Serum Co.", "ancillary", 4, "other", 1125, 150,
             in_versions("v1", "v2")),
    Material("C19-M-XVIVO", "T-cell medium (X-VIVO 15)", "Lonza", "ancillary", 2, "gmp", 1130, -60,
             in_versions("v1", "v2")),
    Material("C19-M-PRODIGY", "Closed processing kit (CliniMACS Prodigy TS520)", "Miltenyi Biotec", "consumable", 1,
             "gmp", 880, -300, lambda lot: lot.process_version != "v1", change_id="CC-C19-001"),
    Material("C19-M-SFM", "Serum-free T-cell medium (CTS OpTmizer)", "Thermo Fisher Scientific", "ancillary", 2,
             "gmp", 235, -300, in_versions("v3", "v3.1"), change_id="CC-C19-002"),
    Material("C19-M-IL7", "IL-7 and IL-15 (GMP grade)", "Miltenyi Biotec", "ancillary", 2, "gmp", 225, -300,
             in_versions("v3", "v3.1"), change_id="CC-C19-002"),
    Material("C19-M-WASH", "Automated harvest and wash kit", "Alder Bioprocess", "consumable", 1, "gmp", 20, -700,
             in_versions("v3.1"), change_id="CC-C19-007"),
    Material("C19-M-CRYO", CRYOSTOR, "BioLife Solutions", "excipient", 2, "gmp", 1130, -200, every_lot),
    Material("C19-M-BAG", "Cryopreservation bag (CryoMACS 250)", "Miltenyi Biotec", "consumable", 1, "gmp", 1130,
             -200, every_lot),
]
BCMA_VECTOR = "Lentiviral vector, anti-BCMA CAR"
BCMA_MATERIALS = [
    Material("BC-M-APH", APHERESIS, "Terumo BCT", "consumable", 1, "gmp", 385, -300, every_lot, lot_days=30),
    Material("BC-M-LV1", BCMA_VECTOR, "Harborview Vector Services", "vector", 4, "gmp", 378, -100,
             lambda lot: lot.made > 84, lot_days=180),
    # The second vector supplier (CC-BC-002, never approved) was used from day 84, qualified only on day 30:
    # MT001 and MT004, on lots already administered.
    Material("BC-M-LV2", BCMA_VECTOR, "Northbridge Biologics", "vector", 4, "gmp", 30, -335,
             lambda lot: lot.made <= 84, change_id="CC-BC-002", lot_days=180),
    Material("BC-M-IL2", "IL-2 (aldesleukin, licensed)", "Hospital pharmacy (licensed product)", "ancillary", 1,
             "gmp", 385, -300, every_lot),
    # A research-grade cytokine the lab was used to, never qualified: MT001 and MT002.
    Material("BC-M-IL7", "Recombinant human IL-7 (research grade)", "Peak Reagents", "ancillary", 3, "research",
             None, None, lambda lot: lot.process_version in ("v2", "v2.1")),
    Material("BC-M-BEADS", "Anti-CD3/CD28 activation beads (Dynabeads CTS)", "Thermo Fisher Scientific", "ancillary",
             2, "gmp", 385, -200, every_lot),
    Material("BC-M-MED", "T-cell medium (TexMACS GMP)", "Miltenyi Biotec", "ancillary", 2, "gmp", 385, -200,
             every_lot),
    Material("BC-M-ABS", "Human AB serum", "Cascade Serum Co.", "ancillary", 4, "other", 382, -100, every_lot),
    Material("BC-M-BAG", "Static culture bag (290 mL)", "Westfield Medical", "consumable", 1, "gmp", 385, 250,
             in_versions("v1")),
    Material("BC-M-GREX", "Gas-permeable culture vessel (G-Rex 100M-CS)", "Wilson Wolf", "consumable", 1, "gmp",
             288, -400, lambda lot: lot.process_version in ("v2", "v2.1"), change_id="CC-BC-001"),
    Material("BC-M-CRYO", CRYOSTOR, "BioLife Solutions", "excipient", 2, "gmp", 385, -200, every_lot),
]
AAV9_MATERIALS = [
    Material("AAV-M-HEKA", "HEK293 master cell bank (adherent)", "In-house cell bank", "starting", 4, "gmp", 1860,
             None, in_versions("P1"), lot_days=2000),
    Material("AAV-M-HEKS", "HEK293 master cell bank (suspension-adapted)", "In-house cell bank", "starting", 4,
             "gmp", 1000, None, in_versions("P2"), change_id="CC-AAV-001", lot_days=2000),
    Material("AAV-M-PGOI", "Transgene plasmid pAAV-CB-SMN1 (GMP)", "Aldevron", "starting", 2, "gmp", 1860, -180,
             every_lot, lot_days=365),
    Material("AAV-M-PRC", "Rep/Cap plasmid pRep2Cap9 (GMP)", "Aldevron", "starting", 2, "gmp", 1860, -180, every_lot,
             lot_days=365),
    Material("AAV-M-PHLP", "Adenovirus helper plasmid (GMP)", "Aldevron", "starting", 2, "gmp", 1860, -180,
             every_lot, lot_days=365),
    Material("AAV-M-PEI", "Transfection reagent (PEIpro GMP)", "Polyplus", "ancillary", 2, "gmp", 1860, -120,
             every_lot, lot_days=180),
    Material("AAV-M-BNZ", "Endonuclease (Benzonase, GMP grade)", "Merck", "ancillary", 2, "gmp", 1860, -120,
             every_lot, lot_days=180),
    Material("AAV-M-FBS", "Fetal bovine serum, gamma-irradiated", "Cascade Serum Co.", "ancillary", 4, "other", 1860,
             900, in_versions("P1")),
    Material("AAV-M-MED", "Chemically defined HEK293 suspension medium (GMP)", "Thermo Fisher Scientific",
             "ancillary", 2, "gmp", 1000, -150, in_versions("P2"), change_id="CC-AAV-001"),
    Material("AAV-M-P188", "Poloxamer 188 (multi-compendial)", "BASF", "excipient", 1, "gmp", 1860, -300, every_lot,
             lot_days=365),
    Material("AAV-M-VIAL", "Cyclic olefin polymer vial (2 mL)", "West Pharmaceutical Services", "consumable", 1, "gmp",
             1860, -300, every_lot, lot_days=365),
]
LV_VECTOR = "Lentiviral vector, ARSA"
LV_CYTOKINES = "Cytokines SCF, TPO and FLT3-L (GMP grade)"
LV_HSC_MATERIALS = [
    Material("LV-M-APH", "Mobilized apheresis collection set (Spectra Optia)", "Terumo BCT", "consumable", 1, "gmp",
             335, -400, every_lot, lot_days=30),
    Material("LV-M-CD34", "CD34 selection reagent (CliniMACS CD34)", "Miltenyi Biotec", "ancillary", 1, "gmp", 335,
             -300, every_lot),
    Material("LV-M-VA", LV_VECTOR, "Meridian Viral Vectors", "vector", 4, "gmp", 335, -100, in_versions("v1"),
             lot_days=180),
    Material("LV-M-VB", LV_VECTOR, "Kestrel Bioprocessing", "vector", 4, "gmp", 125, -600,
             in_versions("v1-vectorB"), change_id="CC-LV-001", lot_days=180),
    Material("LV-M-CYT1", LV_CYTOKINES, "CellGenix", "ancillary", 2, "gmp", 335, -100, lambda lot: lot.made > 230),
    Material("LV-M-CYT2", LV_CYTOKINES, "Sagebrush Biologics", "ancillary", 2, "gmp", 233, -500,
             lambda lot: lot.made <= 230, change_id="CC-LV-002"),
    Material("LV-M-MED", "Serum-free stem-cell medium (SCGM, GMP)", "CellGenix", "ancillary", 2, "gmp", 335, -200,
             every_lot),
    Material("LV-M-PS", "Protamine sulfate (licensed)", "Fresenius Kabi", "ancillary", 1, "gmp", 335, -300, every_lot),
    # A research-grade transduction enhancer tried on the newest lot before its qualification: MT001 and MT002,
    # medium while that lot is still in process.
    Material("LV-M-TE", "Transduction enhancer (poloxamer-based, research grade)", "Peak Reagents", "ancillary", 3,
             "research", None, None, made_within(0, 15)),
    Material("LV-M-CRYO", CRYOSTOR, "BioLife Solutions", "excipient", 2, "gmp", 335, -200, every_lot),
    Material("LV-M-BAG", "Cryopreservation bag (CryoMACS 50)", "Miltenyi Biotec", "consumable", 1, "gmp", 335, -200,
             every_lot),
]
NK_BAG = "Cryopreservation bag (250 mL, EVA)"
NK_ALLO_MATERIALS = [
    Material("NK-M-MCB", "iPSC master cell bank (clone NK-7)", "In-house cell bank", "starting", 4, "gmp", 450, None,
             every_lot, lot_days=2000),
    Material("NK-M-FEED", "Irradiated K562 feeder cells (mbIL-21, 4-1BBL)", "In-house cell bank", "ancillary", 4,
             "other", 320, 160, in_versions("v1")),
    Material("NK-M-DIFF", "Hematopoietic differentiation cytokines (GMP grade)", "Sagebrush Biologics", "ancillary",
             2, "gmp", 320, -200, every_lot),
    Material("NK-M-IL15", "IL-15 (GMP grade)", "CellGenix", "ancillary", 2, "gmp", 320, -200, every_lot),
    Material("NK-M-MED", "NK expansion medium (serum-free, GMP)", "Halcyon Cell Reagents", "ancillary", 2, "gmp", 320,
             -200, every_lot),
    Material("NK-M-HSA", "Human serum albumin 25% (licensed)", "Grifols", "excipient", 1, "gmp", 320, -300,
             every_lot),
    Material("NK-M-CRYO", CRYOSTOR, "BioLife Solutions", "excipient", 2, "gmp", 320, -200, every_lot),
    Material("NK-M-BAG1", NK_BAG, "Westfield Medical", "consumable", 1, "gmp", 320, -200, lambda lot: lot.made > 50),
    Material("NK-M-BAG2", NK_BAG, "Alder Bioprocess", "consumable", 1, "gmp", 52, -700, lambda lot: lot.made <= 50,
             change_id="CC-NK-002"),
]


def car19(sample: Sample, rng: random.Random) -> None:
    pid = "CAR19-201"
    program(sample, pid, "Autologous anti-CD19 CAR-T", "autologous_cell", "phase_2",
            "Relapsed/refractory large B-cell lymphoma", "End-of-Phase 2 meeting", 120,
            [("preclinical", 1460), ("phase_1", 1100), ("phase_2", 420)])
    serum_free = gauss(83.5, 2.6, hi=97)  # viability shifts down with the serum-free medium (v3 on)
    attrs = [
        Attr("viability", "cqa", "viability", "%", 70.0, None, "phase_1",
             rejected_low(by_version({"v3": serum_free, "v3.1": serum_free}, gauss(88.5, 2.6, hi=98)),
                          gauss(64.0, 3.0)), (0, 1), "C19-FLOW-VIA", True),
        Attr("car_expression", "cqa", "identity", "% CAR+", 15.0, None, "phase_1", gauss(42, 8, lo=18),
             (1, 2), "C19-FLOW-CAR", True),
        Attr("cd3_purity", "cqa", "purity", "% CD3+", 80.0, None, "phase_1", gauss(95, 2, hi=99.6), (1, 2),
             "C19-FLOW-CAR", True),
        Attr("dose", "cqa", "strength", "x10^8 CAR+ viable T cells", 0.6, 6.0, "phase_1",
             gauss(2.8, 0.9, lo=0.8, digits=2), (1, 2), "C19-FLOW-CAR"),
        Attr("vector_copy_number", "cqa", "safety", "copies/cell", None, 5.0, "phase_1",
             gauss(2.1, 0.5, lo=0.6, digits=2), (8, 12), "C19-VCN", True),
        *safety("C19", "phase_1", 5.0),
        Attr("ifng_release", "cqa", "potency", "pg/mL", 500.0, None, "phase_1",
             lognormal(2600, 0.35), (6, 9), "C19-IFNG"),
        Attr("specific_lysis", "cqa", "potency", "% lysis at E:T 10:1", 20.0, None, "phase_2",
             gauss(48, 9, lo=22), (7, 10), "C19-CTX", since=445),
        Attr("transduction_moi", "cpp", "process", "TU/cell", 2.0, 6.0, None, gauss(4.0, 0.3, digits=2), (0, 0),
             None, True),
        Attr("culture_days", "cpp", "process", "days", 7.0, 12.0, None,
             lambda r, lot: float(r.choice([8, 9, 9, 10, 10, 10, 11])), (0, 0), None, True),
        Attr("fold_expansion", "cpp", "process", "fold", 10.0, None, None, lognormal(38, 0.3), (0, 0), None, True),
        Attr("viable_cell_density_day3", "ipc", "process", "x10^6 cells/mL", None, None, None,
             gauss(0.9, 0.15, lo=0.3, digits=2), (0, 0), None, True),
        Attr("viable_cell_density_day6", "ipc", "process", "x10^6 cells/mL", None, None, None,
             gauss(2.1, 0.3, lo=0.8, digits=2), (0, 0), None, True),
    ]
    add_attributes(sample, pid, attrs)
    safety_assays(sample, pid, "C19", qualified=1180, validated=430)
    for assay_id, name, category, mechanism, readout, qualified, validated in [
        ("C19-FLOW-VIA", "Viability (7-AAD flow cytometry)", "viability", None, "quantitative", 1150, 430),
        ("C19-FLOW-CAR", "CAR expression and T-cell phenotype (flow cytometry)", "identity",
         "CD19 antigen recognition", "quantitative", 1150, 430),
        ("C19-VCN", "Vector copy number (ddPCR)", "safety", None, "quantitative", 1120, 430),
        ("C19-IFNG", "IFN-gamma release on CD19+ target co-culture (ELISA)", "potency",
         "T-cell activation and cytokine release", "quantitative", 1060, 400),
        ("C19-CTX", "Specific lysis of CD19+ targets (impedance)", "potency", "Target-cell killing",
         "quantitative", None, None),  # qualification still open 14 months into Phase 2: PT003
    ]:
        sample.add("assays", assay_id=assay_id, program_id=pid, name=name, category=category, mechanism=mechanism,
                   readout=readout, qualified_on=sample.day(qualified), validated_on=sample.day(validated))
    for mechanism in ("CD19 antigen recognition", "T-cell activation and cytokine release", "Target-cell killing"):
        sample.add("mechanisms", program_id=pid, mechanism=mechanism)

    lots: list[Lot] = []
    for n, made in enumerate(range(1230, 1100, -22), start=1):
        lots.append(Lot(f"C19-E{n:02d}", "v1", made, "engineering"))
    made, n = 1085, 0
    while made >= 2:
        n += 1
        version = "v1" if made > 860 else "v2" if made > 200 else "v3" if made > 12 else "v3.1"
        outcome = rng.choices(["ok", "rejected", "failed"], [0.95, 0.03, 0.02])[0]
        lots.append(Lot(f"C19-{n:04d}", version, made, "clinical", outcome))
        made -= rng.randint(6, 9)
        if made in range(500, 520) or made in range(230, 240):
            lots.append(Lot(f"C19-D{made:04d}", version, made, "development"))
    # Recent lots held in process for a late required result, still testable from retained sample: BL001.
    held = [lot for lot in lots if lot.purpose == "clinical" and lot.outcome == "ok" and 25 <= lot.made <= 75][:3]
    gaps = {lot.batch_id: {attr} for lot, attr in
            zip(held, ("vector_copy_number", "specific_lysis", "ifng_release"))}
    for lot in lots:
        disposition, on = autologous_disposition(lot)
        if lot.batch_id in gaps:
            disposition, on = "in_process", None
        if lot.purpose != "clinical":
            disposition, on = "released", lot.made - 14
        site = "Philadelphia, PA (in-house)" if lot.made > 600 else rng.choice(
            ["Philadelphia, PA (in-house)", "Durham, NC (CDMO)"])
        add_batch(sample, pid, lot, site, disposition, on)
        add_results(sample, rng, pid, lot, attrs, skip=gaps.get(lot.batch_id, set()))

    change(sample, pid, "CC-C19-001", "Closed automated manufacturing platform", "process", "high",
           900, 880, 862, 780, "v2", True, 870)
    change(sample, pid, "CC-C19-002", "Serum-free medium replaces human AB serum", "raw_material", "high",
           260, 232, 202, 120, "v3", True, 150)
    change(sample, pid, "CC-C19-003", "IFN-gamma ELISA transferred to QC laboratory", "analytical_method", "low",
           160, 150, 140, 110, None, False, None)
    change(sample, pid, "CC-C19-004", "Replacement CO2 incubators in suite 2", "equipment", "medium",
           215, 205, None, None, None, False, None)
    change(sample, pid, "CC-C19-005", "Second site: Durham CDMO for clinical lots", "site", "high",
           700, 660, 600, 480, None, True, 610)
    change(sample, pid, "CC-C19-006", "Tighten viability specification to 75%", "specification", "low",
           40, None, None, None, None, False, None)
    change(sample, pid, "CC-C19-007", "Automated harvest and wash", "process", "medium",
           45, 30, 12, None, "v3.1", True, None)  # too few v3.1 lots yet for a comparability verdict: CP002
    clinical = [lot for lot in lots if lot.purpose == "clinical"]
    routine_deviations(sample, rng, pid, clinical, "DV-C19", 9)
    add_materials(sample, pid, lots, CAR19_MATERIALS)
    deviation(sample, pid, "DV-C19-900", clinical[60].batch_id, "major", clinical[60].made - 1,
              clinical[60].made - 20, "Transduction MOI outside range; impact assessment: no impact")


def bcma(sample: Sample, rng: random.Random) -> None:
    pid = "BCMA-101"
    program(sample, pid, "Autologous anti-BCMA CAR-T", "autologous_cell", "phase_1",
            "Relapsed/refractory multiple myeloma", "Phase 1 dose-escalation complete", 75,
            [("preclinical", 700), ("phase_1", 380)])
    attrs = [
        Attr("viability", "cqa", "viability", "%", 70.0, None, "phase_1",
             rejected_low(gauss(86, 3.5, hi=97), gauss(62, 4)), (0, 1), "BC-FLOW", True),
        Attr("car_expression", "cqa", "identity", "% CAR+", 10.0, None, "phase_1", gauss(35, 9, lo=12), (1, 2),
             "BC-FLOW", True),
        Attr("cd3_purity", "cqa", "purity", "% CD3+", 80.0, None, "phase_1", gauss(93, 3, hi=99.5), (1, 2),
             "BC-FLOW", True),
        Attr("dose", "cqa", "strength", "x10^8 CAR+ viable T cells", 1.5, 4.5, "phase_1",
             gauss(3.0, 0.5, lo=1.6, digits=2), (1, 2), "BC-FLOW"),
        Attr("vector_copy_number", "cqa", "safety", "copies/cell", None, 5.0, "phase_1",
             gauss(2.8, 0.7, lo=0.8, digits=2), (9, 12), "BC-VCN", True),
        *safety("BC", "phase_1", 5.0),
        Attr("cytotoxicity", "cqa", "potency", None, None, None, "phase_1",
             lambda r, lot: "pass", (6, 8), "BC-CTX"),
        Attr("transduction_moi", "cpp", "process", "TU/cell", 1.0, 5.0, None, gauss(3.0, 0.3, digits=2), (0, 0),
             None, True),
        Attr("culture_days", "cpp", "process", "days", 7.0, 14.0, None,
             lambda r, lot: float(r.choice([9, 10, 10, 11, 12])), (0, 0), None, True),
    ]
    add_attributes(sample, pid, attrs)
    safety_assays(sample, pid, "BC", qualified=420, validated=None)
    for assay_id, name, category, mechanism, readout, qualified in [
        ("BC-FLOW", "Viability, CAR expression and CD3 (flow cytometry)", "identity", "BCMA antigen recognition",
         "quantitative", 400),
        ("BC-VCN", "Vector copy number (qPCR)", "safety", None, "quantitative", 390),
        ("BC-CTX", "Cytotoxicity against BCMA+ cells (visual pass/fail)", "potency", "Target-cell killing",
         "qualitative", None),
    ]:
        sample.add("assays", assay_id=assay_id, program_id=pid, name=name, category=category, mechanism=mechanism,
                   readout=readout, qualified_on=sample.day(qualified), validated_on=None)
    for mechanism in ("BCMA antigen recognition", "T-cell activation and cytokine release", "Target-cell killing"):
        sample.add("mechanisms", program_id=pid, mechanism=mechanism)

    lots = [Lot(f"BC-E{n:02d}", "v1", made, "engineering") for n, made in enumerate((440, 415, 395), start=1)]
    made, n = 362, 0
    while made >= 1:
        n += 1
        version = "v1" if made > 280 else "v2" if made > 120 else "v2.1"
        outcome = rng.choices(["ok", "rejected", "failed"], [0.92, 0.04, 0.04])[0]
        lots.append(Lot(f"BC-{n:03d}", version, made, "clinical", outcome))
        made -= rng.randint(5, 7)
    gaps = {  # administered without the result: BL002, irrecoverable
        "BC-011": {"cytotoxicity"}, "BC-017": {"cytotoxicity"}, "BC-023": {"vector_copy_number"},
        "BC-029": {"cytotoxicity", "replication_competent_lentivirus"}, "BC-036": {"vector_copy_number"},
        "BC-044": {"cytotoxicity"},
    }
    invalidated = {"BC-032": {"cytotoxicity"}}  # result voided (assay control failed), never repeated
    for lot in lots:
        if lot.batch_id in gaps or lot.batch_id in invalidated:
            lot.outcome = "ok"
    for lot in lots:
        disposition, on = autologous_disposition(lot)
        if lot.purpose != "clinical":
            disposition, on = "released", lot.made - 14
        add_batch(sample, pid, lot, "Cambridge, MA (in-house)", disposition, on)
        add_results(sample, rng, pid, lot, attrs, skip=gaps.get(lot.batch_id, set()),
                    invalidate=invalidated.get(lot.batch_id, set()))
    # The contract lab's safety panel for the lots made 150-230 days ago never reached LIMS (the lots were
    # administered on e-mailed certificates): BL002 on each, and completeness below the Phase 1 90% (BL004).
    unrecorded = {lot.batch_id for lot in lots if lot.purpose == "clinical" and 150 <= lot.made <= 230}
    panel = {"sterility", "endotoxin", "mycoplasma", "replication_competent_lentivirus", "vector_copy_number"}
    sample.rows["results"][:] = [r for r in sample.rows["results"]
                                 if not (r["batch_id"] in unrecorded and r["attribute"] in panel)]

    change(sample, pid, "CC-BC-001", "Expansion in G-Rex vessels replaces static bags", "process", "high",
           300, 290, 281, 200, "v2", True, 230)
    change(sample, pid, "CC-BC-002", "Second lentiviral vector supplier", "supplier", "high",
           90, None, 84, None, None, True, None)
    change(sample, pid, "CC-BC-003", "Flow panel reagent lot change", "raw_material", "low",
           150, 148, 146, 130, None, False, None)
    clinical = [lot for lot in lots if lot.purpose == "clinical"]
    routine_deviations(sample, rng, pid, clinical, "DV-BC", 7)
    add_materials(sample, pid, lots, BCMA_MATERIALS)
    released = next(lot for lot in reversed(clinical) if lot.outcome == "ok" and 40 <= lot.made <= 60)
    deviation(sample, pid, "DV-BC-900", released.batch_id, "major", released.made - 2, None,
              "Apheresis material received outside temperature range")
    deviation(sample, pid, "DV-BC-901", clinical[20].batch_id, "critical", clinical[20].made - 1,
              clinical[20].made - 45, "Chain-of-identity label mismatch caught at infusion")


def aav9(sample: Sample, rng: random.Random) -> None:
    pid = "AAV9-SMN-301"
    program(sample, pid, "AAV9 SMN1 gene replacement", "aav", "phase_3", "Spinal muscular atrophy type 1",
            "Pre-BLA meeting", 150, [("preclinical", 2300), ("phase_1", 1800), ("phase_2", 1200), ("phase_3", 560)])
    attrs = [
        # Numeric results come from a process in statistical control (`steady`), with spreads that keep the
        # lower 95% bound of each CQA's Ppk above the Phase 3 minimum of 1.0.
        Attr("vector_genome_titer", "cqa", "strength", "vg/mL", 1.5e13, 3.0e13, "phase_1",
             steady("AAV9:vg", 2.2e13, 1.3e12, digits=-10), (3, 6), "AAV-DDPCR", True),
        Attr("full_capsid", "cqa", "purity", "% full capsids", 60.0, None, "phase_1",
             steady("AAV9:full", 78, 2.5), (4, 8), "AAV-AUC", True),
        Attr("relative_potency", "cqa", "potency", "% of reference", 50.0, 150.0, "phase_1",
             steady("AAV9:potency", 98, 8), (8, 14), "AAV-POT"),
        Attr("smn_expression", "cqa", "potency", "% of reference", 50.0, 150.0, "phase_2",
             steady("AAV9:smn", 101, 9), (8, 14), "AAV-SMN", since=1240),
        Attr("aggregates", "cqa", "purity", "% HMW species", None, 5.0, "phase_1",
             steady("AAV9:aggregates", 1.6, 0.4, lo=0.4), (3, 6), "AAV-SEC"),
        Attr("residual_host_cell_dna", "cqa", "purity", "ng/dose", None, 10.0, "phase_1",
             steady("AAV9:hcdna", 3.2, 0.9, lo=0.8, digits=2), (5, 9), "AAV-HCD"),
        Attr("identity", "cqa", "identity", None, None, None, "phase_1", text("conforms"), (3, 6), "AAV-ID"),
        Attr("sterility", "cqa", "safety", None, None, None, "phase_1", text("no growth"), (14, 15), "AAV-STER"),
        Attr("endotoxin", "cqa", "safety", "EU/mL", None, 0.5, "phase_1",
             steady("AAV9:endotoxin", 0.08, 0.03, lo=0.01, digits=3), (2, 4), "AAV-ENDO"),
        Attr("replication_competent_aav", "cqa", "safety", None, None, None, "phase_1", text("not detected"),
             (12, 18), "AAV-RCAAV"),
        Attr("cell_density_at_transfection", "cpp", "process", "x10^6 cells/mL", 1.5, 2.5, None,
             steady("AAV9:density", 2.0, 0.12, digits=2), (0, 0), None, True),
        Attr("harvest_time", "cpp", "process", "h", 48.0, 64.0, None, steady("AAV9:harvest", 56, 2.0), (0, 0),
             None, True),
    ]
    add_attributes(sample, pid, attrs)
    for assay_id, name, category, mechanism, readout, qualified, validated in [
        ("AAV-DDPCR", "Vector genome titer (ddPCR)", "strength", None, "quantitative", 1850, 600),
        ("AAV-AUC", "Full/empty capsid ratio (analytical ultracentrifugation)", "purity", None, "quantitative",
         1850, 600),
        ("AAV-POT", "Relative potency: SMN protein in transduced cells vs reference", "potency",
         "SMN protein expression", "quantitative", 1820, 610),
        ("AAV-SMN", "Functional potency: motor-neuron survival rescue (cell-based)", "potency",
         "Motor-neuron survival", "quantitative", 1250, 590),
        ("AAV-SEC", "Aggregates (SEC-MALS)", "purity", None, "quantitative", 1850, 600),
        ("AAV-HCD", "Residual host-cell DNA (qPCR)", "purity", None, "quantitative", 1850, 600),
        ("AAV-ID", "Identity (capsid and transgene sequence)", "identity", None, "qualitative", 1850, 600),
        ("AAV-STER", "Sterility (USP <71>)", "safety", None, "qualitative", 1850, 600),
        ("AAV-ENDO", "Endotoxin (kinetic chromogenic LAL)", "safety", None, "quantitative", 1850, 600),
        ("AAV-RCAAV", "Replication-competent AAV (cell-based qPCR)", "safety", None, "qualitative", 1850, 600),
    ]:
        sample.add("assays", assay_id=assay_id, program_id=pid, name=name, category=category, mechanism=mechanism,
                   readout=readout, qualified_on=sample.day(qualified), validated_on=sample.day(validated))
    for mechanism in ("SMN protein expression", "Motor-neuron survival"):
        sample.add("mechanisms", program_id=pid, mechanism=mechanism)

    lots = []
    made, n = 1900, 0
    while made >= 3:
        n += 1
        version = "P1" if made > 950 else "P2"
        purpose = ("development" if made > 1820 else "engineering" if 985 > made > 950
                   else "ppq" if 330 >= made >= 310 else "clinical")
        lots.append(Lot(f"AAV-{n:03d}", version, made, purpose))
        made -= 8 if purpose == "ppq" else rng.randint(24, 34)
    for lot in lots:
        disposition, on = ("in_process", None) if lot.made < 21 else ("released", lot.made - 21)
        add_batch(sample, pid, lot, "Durham, NC (200 L suspension)" if lot.process_version == "P2"
                  else "Durham, NC (50 L adherent)", disposition, on)
        add_results(sample, rng, pid, lot, attrs)
    change(sample, pid, "CC-AAV-001", "Scale-up: 50 L adherent to 200 L suspension HEK293", "process", "high",
           1010, 990, 955, 850, "P2", True, 960)
    change(sample, pid, "CC-AAV-002", "Full/empty method moved from AEX-HPLC to AUC", "analytical_method",
           "medium", 1300, 1280, 1270, 1200, None, True, 1275)
    change(sample, pid, "CC-AAV-003", "Commercial specification for full capsids (60%)", "specification", "low",
           420, 410, 400, 390, None, False, None)
    change(sample, pid, "CC-AAV-004", "Replacement depth filter housing", "equipment", "low",
           18, 12, None, None, None, False, None)
    routine_deviations(sample, rng, pid, [lot for lot in lots if lot.made >= 40], "DV-AAV", 6)
    add_materials(sample, pid, lots, AAV9_MATERIALS)
    # Full-capsid limits approved after PPQ: from then on they, not the P2 baseline, judge each lot.
    sample.add("control_limits", program_id=pid, attribute="full_capsid", process_version="P2", center=78.0,
               lower=70.5, upper=85.5, approved_on=sample.day(300),
               reason="P2 baseline and PPQ lots; approved by Quality with the PPQ report")


def lv_hsc(sample: Sample, rng: random.Random) -> None:
    pid = "LV-HSC-102"
    program(sample, pid, "Lentiviral ARSA-transduced autologous HSC", "lentiviral_vector", "phase_1",
            "Metachromatic leukodystrophy", "Phase 1 interim readout", 200, [("preclinical", 820), ("phase_1", 330)])
    attrs = [
        Attr("viability", "cqa", "viability", "%", 70.0, None, "phase_1", gauss(90, 3, hi=98), (0, 1), "LV-FLOW",
             True),
        Attr("cd34_purity", "cqa", "purity", "% CD34+", 80.0, None, "phase_1", gauss(92, 3, hi=99), (1, 2),
             "LV-FLOW", True),
        Attr("cell_dose", "cqa", "strength", "x10^6 CD34+ cells/kg", 2.0, None, "phase_1",
             gauss(9.5, 2.5, lo=3.0), (1, 2), "LV-FLOW"),
        Attr("vector_copy_number", "cqa", "safety", "copies/cell", 0.5, 5.0, "phase_1", gauss(2.4, 0.6, lo=0.7,
                                                                                          digits=2),
             (10, 14), "LV-VCN", True),
        Attr("transduction_efficiency", "cqa", "identity", "% LV+ colonies", 50.0, None, "phase_1",
             gauss(82, 7, hi=100), (12, 15), "LV-CFU"),
        Attr("arsa_activity", "cqa", "potency", "nmol/mg/h", None, None, "phase_1", lognormal(480, 0.3),
             (12, 18), "LV-ARSA"),
        *safety("LV", "phase_1", 5.0),
        Attr("transduction_moi", "cpp", "process", "TU/cell", 50.0, 150.0, None, gauss(100, 6, digits=0), (0, 0),
             None, True),
    ]
    add_attributes(sample, pid, attrs)
    safety_assays(sample, pid, "LV", qualified=360, validated=None)
    for assay_id, name, category, mechanism, readout, qualified in [
        ("LV-FLOW", "Viability and CD34+ phenotype (flow cytometry)", "purity", None, "quantitative", 350),
        ("LV-VCN", "Vector copy number (ddPCR)", "safety", "ARSA gene insertion", "quantitative", 345),
        ("LV-CFU", "Transduction efficiency (colony-forming unit PCR)", "identity", None, "quantitative", 340),
        ("LV-ARSA", "ARSA enzyme activity in transduced cells", "potency", "ARSA enzyme expression",
         "quantitative", None),
    ]:
        sample.add("assays", assay_id=assay_id, program_id=pid, name=name, category=category, mechanism=mechanism,
                   readout=readout, qualified_on=sample.day(qualified), validated_on=None)
    for mechanism in ("ARSA gene insertion", "ARSA enzyme expression", "Engraftment of corrected HSC"):
        sample.add("mechanisms", program_id=pid, mechanism=mechanism)

    lots = [Lot(f"LV-D{n:02d}", "v1", made, "development") for n, made in enumerate((400, 372), start=1)]
    made, n = 322, 0
    while made >= 2:
        n += 1
        version = "v1" if made > 120 else "v1-vectorB"
        outcome = rng.choices(["ok", "failed"], [0.95, 0.05])[0]
        lots.append(Lot(f"LV-{n:03d}", version, made, "clinical", outcome))
        made -= rng.randint(7, 11)
    late = [lot for lot in lots if lot.purpose == "clinical" and 30 <= lot.made <= 60 and lot.outcome == "ok"][:2]
    for lot in lots:
        backlog = lot in late
        disposition, on = autologous_disposition(lot, release_after=16, infuse_after=24)
        if backlog:
            disposition, on = "in_process", None  # held: the ARSA test queue is weeks behind
        if lot.purpose != "clinical":
            disposition, on = "released", lot.made - 16
        add_batch(sample, pid, lot, "Boston, MA (academic GMP facility)", disposition, on)
        add_results(sample, rng, pid, lot, attrs, skip={"arsa_activity"} if backlog else set())
    change(sample, pid, "CC-LV-001", "Lentiviral vector lots from a second CDMO", "supplier", "medium",
           150, 138, 121, None, "v1-vectorB", True, None)
    change(sample, pid, "CC-LV-002", "Cytokine cocktail supplier change (same grade)", "raw_material", "low",
           240, 236, 230, 200, None, False, None)
    routine_deviations(sample, rng, pid, [lot for lot in lots if lot.purpose == "clinical"], "DV-LV", 8)
    add_materials(sample, pid, lots, LV_HSC_MATERIALS)


def nk_allo(sample: Sample, rng: random.Random) -> None:
    pid = "NK-ALLO-103"
    program(sample, pid, "Allogeneic iPSC-derived NK cells", "allogeneic_cell", "phase_1",
            "Acute myeloid leukemia (relapsed)", "Dose-expansion cohort start", 45,
            [("preclinical", 900), ("phase_1", 300)])
    attrs = [
        Attr("viability", "cqa", "viability", "%", 70.0, None, "phase_1", gauss(87, 3, hi=97), (0, 1), "NK-FLOW",
             True),
        Attr("nk_purity", "cqa", "purity", "% CD56+CD3-", 85.0, None, "phase_1", gauss(94, 2.5, hi=99.5), (1, 2),
             "NK-FLOW", True),
        Attr("residual_t_cells", "cqa", "safety", "% CD3+", None, 0.5, "phase_1", gauss(0.05, 0.02, lo=0.0,
                                                                                      digits=3),
             (1, 2), "NK-FLOW", True),
        Attr("residual_ipsc", "cqa", "safety", "% TRA-1-60+", None, 0.01, "phase_1",
             gauss(0.002, 0.001, lo=0.0, digits=4), (2, 4), "NK-FLOW"),
        Attr("identity_hla", "cqa", "identity", None, None, None, "phase_1", text("matches master cell bank"),
             (3, 6), "NK-HLA"),
        Attr("cells_per_vial", "cqa", "strength", "x10^8 viable cells", 0.9, 1.1, "phase_1",
             gauss(1.0, 0.03, digits=3), (1, 2), "NK-FLOW"),
        *safety("NK", "phase_1", 5.0, rcl=False),
        Attr("k562_cytotoxicity", "cqa", "potency", "% lysis at E:T 5:1", None, None, None,
             gauss(62, 8, lo=30), (5, 8), "NK-CTX", True),
        Attr("fold_expansion", "cpp", "process", "fold", 100.0, None, None, lognormal(420, 0.25), (0, 0), None,
             True),
    ]
    add_attributes(sample, pid, attrs)
    safety_assays(sample, pid, "NK", qualified=330, validated=None, rcl=False)
    for assay_id, name, category, mechanism, readout, qualified in [
        ("NK-FLOW", "Viability, NK phenotype and residual cells (flow cytometry)", "purity", None, "quantitative",
         340),
        ("NK-HLA", "HLA typing (NGS)", "identity", None, "qualitative", 340),
        ("NK-CTX", "Cytotoxicity against K562 cells (flow-based killing)", "potency", "Target-cell killing",
         "quantitative", 280),
    ]:
        sample.add("assays", assay_id=assay_id, program_id=pid, name=name, category=category, mechanism=mechanism,
                   readout=readout, qualified_on=sample.day(qualified), validated_on=None)
    for mechanism in ("Target-cell killing", "Cytokine secretion (IFN-gamma)"):
        sample.add("mechanisms", program_id=pid, mechanism=mechanism)

    lots = [Lot(f"NK-E{n:02d}", "v1", made, "engineering") for n, made in enumerate((430, 400, 370, 340), start=1)]
    made, n = 296, 0
    while made >= 4:
        n += 1
        outcome = rng.choices(["ok", "failed"], [0.95, 0.05])[0]
        lots.append(Lot(f"NK-{n:03d}", "v1" if made > 170 else "v2", made, "clinical", outcome))
        made -= rng.randint(8, 12)
    clinical = [lot for lot in lots if lot.purpose == "clinical"]
    no_myco = next(lot for lot in clinical if lot.outcome == "ok" and 30 <= lot.made <= 60)
    for lot in lots:
        if lot.outcome == "failed":
            disposition, on = "failed", lot.made - 10
        else:
            disposition, on = ("in_process", None) if lot.made < 20 else ("released", lot.made - 20)
        if lot is clinical[8]:
            disposition, on = "in_process", None  # quarantined while its deviation DV-NK-900 is investigated
        add_batch(sample, pid, lot, "San Diego, CA (in-house)", disposition, on)
        add_results(sample, rng, pid, lot, attrs, skip={"mycoplasma"} if lot is no_myco else set())
    change(sample, pid, "CC-NK-001", "Feeder-free differentiation protocol", "process", "medium",
           200, 190, 172, 100, "v2", True, 110)
    change(sample, pid, "CC-NK-002", "Cryopreservation bag supplier change", "supplier", "low",
           60, 55, 50, 30, None, False, None)
    routine_deviations(sample, rng, pid, clinical, "DV-NK", 6)
    add_materials(sample, pid, lots, NK_ALLO_MATERIALS)
    deviation(sample, pid, "DV-NK-900", clinical[8].batch_id, "major", clinical[8].made - 1, None,
              "Master cell bank vial thaw viability below expectation; investigation open")


TIL_MATERIALS = [
    Material("TIL-M-TUM", "Tumour resection transport kit", "Northway Surgical Supply", "consumable", 1, "gmp", 760,
             -300, every_lot, lot_days=60),
    Material("TIL-M-IL2", "IL-2 (aldesleukin, licensed)", "Hospital pharmacy (licensed product)", "ancillary", 1,
             "gmp", 760, -300, every_lot),
    Material("TIL-M-OKT3", "Anti-CD3 antibody (OKT3, GMP grade)", "Halcyon Cell Reagents", "ancillary", 3, "gmp", 760,
             -300, every_lot),
    Material("TIL-M-FEED", "Irradiated allogeneic PBMC feeder cells", "Regional blood centre (qualified donors)",
             "ancillary", 4, "gmp", 760, -300, every_lot),
    Material("TIL-M-MED", "T-cell medium (AIM-V, GMP)", "Thermo Fisher Scientific", "ancillary", 2, "gmp", 760, -300,
             every_lot),
    Material("TIL-M-CRYO", CRYOSTOR, "BioLife Solutions", "excipient", 2, "gmp", 760, -300, every_lot),
]


def til_mel(sample: Sample, rng: random.Random) -> None:
    """A pivotal TIL program whose potency readout is pass/fail and whose viability barely meets its limit."""
    pid = "TIL-MEL-301"
    program(sample, pid, "Autologous tumour-infiltrating lymphocytes", "autologous_cell", "phase_3",
            "Advanced melanoma after anti-PD-1", "Pivotal cohort fully enrolled", 90,
            [("preclinical", 1500), ("phase_1", 1250), ("phase_2", 900), ("phase_3", 420)])
    attrs = [
        # the process runs close to the 70% release limit: capability below what pivotal lots need (PC003)
        Attr("viability", "cqa", "viability", "%", 70.0, None, "phase_1", steady("til-viability", 78.5, 2.6),
             (0, 1), "TIL-FLOW", True),
        Attr("cd3_purity", "cqa", "identity", "% CD3+", 80.0, None, "phase_1", steady("til-cd3", 95.0, 1.5, hi=99.8),
             (1, 2), "TIL-FLOW", True),
        Attr("dose", "cqa", "strength", "x10^9 viable cells", 5.0, 150.0, "phase_1",
             steady("til-dose", 48.0, 12.0, digits=1), (1, 2), "TIL-FLOW"),
        *safety("TIL", "phase_1", 5.0, rcl=False),
        Attr("ifng_elispot", "cqa", "potency", None, None, None, "phase_1", text("reactive"), (6, 8), "TIL-ELISPOT"),
    ]
    add_attributes(sample, pid, attrs)
    safety_assays(sample, pid, "TIL", qualified=1200, validated=500, rcl=False)
    for assay_id, name, category, mechanism, readout, qualified, validated in [
        ("TIL-FLOW", "Viability and T-cell phenotype (flow cytometry)", "identity", None, "quantitative", 1200, 500),
        ("TIL-ELISPOT", "IFN-gamma ELISpot on autologous tumour co-culture (reactive / non-reactive)", "potency",
         "Tumour-antigen recognition", "qualitative", 1100, None),
    ]:
        sample.add("assays", assay_id=assay_id, program_id=pid, name=name, category=category, mechanism=mechanism,
                   readout=readout, qualified_on=sample.day(qualified), validated_on=sample.day(validated))
    sample.add("mechanisms", program_id=pid, mechanism="Tumour-antigen recognition")

    lots = []
    made, n = 415, 0
    while made >= 25:
        n += 1
        lots.append(Lot(f"TIL-{n:03d}", "v1", made, "clinical"))
        made -= rng.randint(9, 13)
    for lot in lots:
        disposition, on = autologous_disposition(lot, release_after=16, infuse_after=24)
        add_batch(sample, pid, lot, "Tampa, FL (in-house)", disposition, on)
        add_results(sample, rng, pid, lot, attrs)
    add_materials(sample, pid, lots, TIL_MATERIALS)


def last_week(sample: Sample) -> None:
    """The week before the anchor, for the weekly brief: one finding appears, one is resolved, a result is out
    of specification, a change is opened and approved, a deviation is opened."""
    day = sample.day
    batches = sample.rows["batches"]
    results = sample.rows["results"]

    def lot(program_id: str, oldest: int, youngest: int, disposition: str | None = None) -> dict:
        return next(b for b in sorted(batches, key=lambda b: b["manufactured_on"])
                    if b["program_id"] == program_id and b["purpose"] == "clinical"
                    and day(oldest) <= b["manufactured_on"] <= day(youngest)
                    and (disposition is None or b["disposition"] == disposition))

    # CAR19-201: a lot that passed its 21-day testing window this week without its vector copy number,
    # held in process for it (a new BL001).
    held = lot("CAR19-201", 27, 22, "administered")
    held.update(disposition="in_process", disposition_on=None)
    results[:] = [r for r in results
                  if not (r["batch_id"] == held["batch_id"] and r["attribute"] == "vector_copy_number")]
    # CAR19-201: this week's newest lot tested below the 70% viability limit.
    newest = lot("CAR19-201", 6, 0)
    viability = next(r for r in results if r["batch_id"] == newest["batch_id"] and r["attribute"] == "viability")
    viability["value"] = 66.4
    # NK-ALLO-103: the mycoplasma result missing on a released lot was recorded this week (a resolved BL001).
    released = {b["batch_id"] for b in batches if b["program_id"] == "NK-ALLO-103" and b["disposition"] == "released"}
    tested = {r["batch_id"] for r in results if r["attribute"] == "mycoplasma"}
    late = sorted(released - tested)[0]
    sample.add("results", batch_id=late, attribute="mycoplasma", value=None, text_value="negative",
               tested_on=day(3), assay_id="NK-MYCO", status="valid", program_id="NK-ALLO-103")
    change(sample, "LV-HSC-102", "CC-LV-003", "Larger cryopreservation bag for high-dose patients", "equipment",
           "low", 6, 2, None, None, None, False, None)
    deviation(sample, "CAR19-201", "DV-C19-901", newest["batch_id"], "minor", 1, None,
              "Viability below specification at harvest; investigation opened")


def build(anchor: dt.date, seed: int = SEED) -> Sample:
    sample = Sample(anchor)
    for n, make_program in enumerate((car19, bcma, aav9, lv_hsc, nk_allo, til_mel)):
        make_program(sample, random.Random(seed + n))
    last_week(sample)
    return sample


def write(sample: Sample, out: Path) -> dict[str, int]:
    """Replaces the Parquet tables in `out` (only the files this script writes); results are hive-partitioned."""
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, schema in SCHEMAS.items():
        rows = sample.rows[name]
        table = pa.Table.from_pylist(rows, schema=pa.schema(list(schema.items())))
        counts[name] = table.num_rows
        if name == "results":
            folder = out / "results"
            shutil.rmtree(folder, ignore_errors=True)
            for program_id in sorted({r["program_id"] for r in rows}):
                part = folder / f"program_id={program_id}"
                part.mkdir(parents=True)
                mine = table.filter(pc.equal(table["program_id"], program_id)).drop_columns(["program_id"])
                pq.write_table(mine, part / "part-0.parquet")
        else:
            pq.write_table(table, out / f"{name}.parquet")
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anchor", type=dt.date.fromisoformat, default=SAMPLE_ANCHOR,
                        help=f"the 'today' of the story, YYYY-MM-DD (default {SAMPLE_ANCHOR})")
    parser.add_argument("--out", type=Path, default=HERE, help="directory to write (default: sample_data/)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    counts = write(build(args.anchor, args.seed), args.out)
    print(f"Wrote {args.out} anchored at {args.anchor}: "
          + ", ".join(f"{n} {name}" for name, n in counts.items()))


if __name__ == "__main__":
    main()
