"""Materials & suppliers: were the lots made with materials qualified for the use, and did supplier changes go
through change control? Reagents used because they are familiar, not because they are qualified, are a
common early-phase CMC issue; a lot made with an unqualified material cannot be remade.
"""

from __future__ import annotations

import pandas as pd

from ..findings import Finding, make, rule
from .ahead import Questions
from .lens import LensResult, records, rows_by_program, share

LENS = "materials"
TABLES = ("programs", "phase_history", "batches", "changes", "materials", "material_usage")
DATA_TABLES = ("materials", "material_usage")  # optional: without them a program is not assessed
EXPECTATION = "material_gmp_from_tier"
TIERS = (1, 2, 3, 4)
STATES = ("qualified", "lapsed", "not_qualified")  # a material's qualification on a day, best first
SUPPLIER_CHANGE_TYPES = ("supplier", "raw_material")
LEFT_QA = ("released", "administered")  # a lot past QA release: the gap reached, or may reach, a patient

_USP_1043 = "USP <1043> Ancillary Materials for Cell, Gene, and Tissue-Engineered Products"
_QUALIFIED = ("Every material that goes into a GMP lot (clinical or PPQ) is qualified for that use before the lot "
              "is made, to an extent set by its risk tier, and requalified by its requalify-by date.")
_QUALIFIED_REF = (f"{_USP_1043}; FDA, Chemistry, Manufacturing, and Control (CMC) Information for Human Gene "
                  "Therapy INDs (2020), reagents and materials used in manufacture; 21 CFR 211.84 at BLA")

MT001 = rule(
    "MT001", LENS, "GMP lot made with a material not yet qualified", "medium", _QUALIFIED, _QUALIFIED_REF,
    "A clinical or PPQ lot was made with a material that had no qualification on its manufacture date "
    "(`qualified_on` empty or later). One finding per material, listing the lots. High when any of those lots "
    "has been released or administered, else medium. Qualifying the material later does not clear it: "
    "those lots were made with an unqualified material.")
MT002 = rule(
    "MT002", LENS, "Material in use below the grade the phase expects", "medium",
    "From the tier the phase sets (expectation `material_gmp_from_tier`), a material is GMP-grade or qualified.",
    _USP_1043,
    "A material of risk tier at or above the threshold of the phase in force is neither GMP-grade nor "
    "qualified on the as-of date, yet went into a clinical or PPQ lot made in that phase. Severity and "
    "threshold come from the expectation row of the phase. It clears once the material is qualified or "
    "replaced; the lots already made stay under MT001.")
MT003 = rule(
    "MT003", LENS, "Material used after its requalify-by date", "medium", _QUALIFIED, _QUALIFIED_REF,
    "A clinical or PPQ lot was made after the material's `requalify_by` date. One finding per material, "
    "listing the lots.")
MT004 = rule(
    "MT004", LENS, "Supplier changed without an approved change record", "medium",
    "A new supplier of a material is brought in through change control: a supplier or raw-material change "
    "approved before the first GMP lot made with it.",
    "ICH Q10 (2008), 3.2.3 change management; FDA, Manufacturing Changes and Comparability for Human Cellular "
    "and Gene Therapy Products, draft guidance (2023); 21 CFR 211.100",
    "The same material (same name in a program) comes from a new supplier, and the material's `change_id` "
    "names no change of type supplier or raw_material approved on or before the first clinical or PPQ lot "
    "made with it. High when a lot made with it before approval has been released or administered, else medium.")


def questions(ctx) -> Questions:
    """The questions asked ahead; the uses a finding may cite are asked once the new suppliers are known."""
    params = {"as_of": ctx.as_of, "program_id": ctx.program_id}
    return {"materials": ("materials_on_date", params), "switches": ("new_supplier_materials", params),
            "months": ("qualified_gmp_lots_by_month", params)}


def evaluate(ctx) -> dict[str, LensResult]:
    answers = ctx.answers(questions(ctx))
    provided = all(ctx.ds.tables[name].status != "absent" for name in DATA_TABLES)
    unusable = any(ctx.ds.tables[name].status == "blocked" for name in DATA_TABLES)  # then unknown, not unassessed
    materials = rows_by_program(answers["materials"])
    switches = rows_by_program(answers["switches"])
    switched = {switch["material_id"] for rows in switches.values() for switch in rows}
    lots = _gmp_lots(ctx.ds.query("gmp_uses_to_cite", as_of=ctx.as_of, program_id=ctx.program_id,
                                  new_suppliers=sorted(switched)))
    months = rows_by_program(answers.pop("months"), _MONTH_COLUMNS)
    out = {}
    for program in ctx.programs.itertuples():
        pid = program.program_id
        mine = materials.get(pid, [])
        if not provided or not mine:
            out[pid] = LensResult(figures([], [], False), [], assessed=unusable)
            continue
        cited = lots.get(pid, {})
        by_id = {material["material_id"]: material for material in mine}
        found = (unqualified_lots(pid, by_id, cited) + below_phase_grade(ctx, program, mine)
                 + lapsed_lots(pid, by_id, cited) + unapproved_suppliers(pid, switches.get(pid, []), cited))
        out[pid] = LensResult(figures(mine, months.get(pid, []), True), found)
    return out


# query answers as plain rows

_MATERIAL_COLUMNS = ["material_id", "name", "supplier", "kind", "risk_tier", "grade", "qualified_on", "requalify_by",
                     "change_id", "state", "batches", "gmp_batches", "first_used", "last_used"]
_MONTH_COLUMNS = ["month", "batches", "all_qualified"]
_LOT_COLUMNS = ["batch_id", "purpose", "manufactured_on", "disposition", "disposition_on", "material_lot"]


def _gmp_lots(uses: pd.DataFrame) -> dict[str, dict[str, list[tuple[str, dict]]]]:
    """Per program and material, the (state, evidence row) of each GMP use a finding may cite."""
    out: dict[str, dict[str, list[tuple[str, dict]]]] = {}
    for pid, material_id, state, row in zip(uses["program_id"].tolist(), uses["material_id"].tolist(),
                                            uses["state"].tolist(), records(uses, _LOT_COLUMNS)):
        out.setdefault(pid, {}).setdefault(material_id, []).append((state, row))
    return out


# figures


def figures(materials: list[dict], months: list[dict], material_data: bool) -> dict:
    """What the page shows: materials by tier and state, and how many GMP lots were made with qualified ones
    (`months`: rows of _MONTH_COLUMNS in month order)."""
    counts = {(t, s): 0 for t in TIERS for s in STATES}
    for material in materials:
        counts[(int(material["risk_tier"]), material["state"])] += 1
    states = [material["state"] for material in materials]
    batches = sum(month["batches"] for month in months)
    all_qualified = sum(month["all_qualified"] for month in months)
    return {
        "material_data": material_data,
        "materials": len(materials),
        "materials_not_qualified": states.count("not_qualified"),
        "materials_lapsed": states.count("lapsed"),
        "materials_by_tier": [{"risk_tier": t, **{s: counts[(t, s)] for s in STATES}} for t in TIERS],
        "gmp_batches": batches,
        "gmp_batches_all_qualified": all_qualified,
        "share_gmp_batches_all_qualified": share(all_qualified, batches),
        "qualified_batches_by_month": [{"month": m["month"], "batches": m["batches"],
                                        "all_qualified": m["all_qualified"],
                                        "share": share(m["all_qualified"], m["batches"])} for m in months],
        "material_list": [{name: material[name] for name in _MATERIAL_COLUMNS} for material in materials],
    }


# findings


def _named(material) -> str:
    return f"{material['name']} from {material['supplier']} (material {material['material_id']}, tier " \
           f"{material['risk_tier']})"


def _lots(n: int) -> str:
    return f"{n} GMP lot{'s' if n != 1 else ''}"


def _span(days: list[str]) -> str:
    first, last = min(days), max(days)
    return f"on {first}" if first == last else f"from {first} to {last}"


def _left_qa(n: int) -> str:
    return "none has been released or administered yet" if n == 0 else \
        f"{n} {'has' if n == 1 else 'have'} been released or administered"


def _in_state(lots: dict[str, list[tuple[str, dict]]], state: str) -> dict[str, list[dict]]:
    """Each material's lots made while it was in `state`, materials in id order: one finding per material."""
    out = {}
    for material_id in sorted(lots):
        rows = [row for made_in, row in lots[material_id] if made_in == state]
        if rows:
            out[material_id] = rows
    return out


def _batches(rows: list[dict]) -> list[dict]:
    """The first row of each lot: a lot made with two lots of one material counts once."""
    first: dict[str, dict] = {}
    for row in rows:
        first.setdefault(row["batch_id"], row)
    return list(first.values())


def _released(batches: list[dict]) -> int:
    return sum(batch["disposition"] in LEFT_QA for batch in batches)


def unqualified_lots(program_id: str, materials: dict[str, dict], lots: dict) -> list[Finding]:
    out = []
    for material_id, rows in _in_state(lots, "not_qualified").items():
        material = materials[material_id]
        batches = _batches(rows)
        left = _released(batches)
        since = (f"it was qualified on {material['qualified_on']}, "
                 f"after {'that lot' if len(batches) == 1 else 'those lots'}"
                 if material["qualified_on"] is not None else "it is still not qualified")
        message = (f"{_named(material)} went into {_lots(len(batches))} made "
                   f"{_span([b['manufactured_on'] for b in batches])} before it was qualified; {since}, and "
                   f"{_left_qa(left)}.")
        evidence = [{**row, "qualified_on": material["qualified_on"]} for row in rows]
        out.append(make(MT001, program_id, material_id, message, evidence, severity="high" if left else "medium"))
    return out


def below_phase_grade(ctx, program, materials: list[dict]) -> list[Finding]:
    row = ctx.expectations.at(EXPECTATION, program.phase, program.modality)
    if row is None:
        return []
    item = ctx.expectations.items[EXPECTATION]
    phase = _phase_words(program.phase)
    expectation = (f"At {phase}, every material of risk tier {row.threshold} or higher is GMP-grade or qualified "
                   f"(threshold: tier {row.threshold}, {row.severity}). {item.rationale}")
    bad = [m for m in materials if m["risk_tier"] >= row.threshold and m["grade"] != "gmp"
           and m["state"] == "not_qualified" and m["current_phase_gmp_batches"] > 0]
    out = []
    for material in bad:
        message = (f"{_named(material)} is {material['grade']}-grade and not qualified, yet went into "
                   f"{_lots(material['current_phase_gmp_batches'])} in {phase}; at {phase} a material of tier "
                   f"{row.threshold} or higher must be GMP-grade or qualified. Qualify or replace it before the "
                   "next lot.")
        evidence = [{k: material[k] for k in ("material_id", "name", "supplier", "kind", "risk_tier", "grade",
                                              "qualified_on", "current_phase_gmp_batches", "last_used")}]
        out.append(make(MT002, program.program_id, material["material_id"], message, evidence,
                        severity=row.severity, expectation=expectation, reference=item.reference))
    return out


def lapsed_lots(program_id: str, materials: dict[str, dict], lots: dict) -> list[Finding]:
    out = []
    for material_id, rows in _in_state(lots, "lapsed").items():
        material = materials[material_id]
        batches = _batches(rows)
        message = (f"{_named(material)} was past its requalify-by date ({material['requalify_by']}) when "
                   f"{_lots(len(batches))} were made with it, the latest on "
                   f"{max(b['manufactured_on'] for b in batches)}; requalify it or stop using it.")
        evidence = [{**row, "requalify_by": material["requalify_by"]} for row in rows]
        out.append(make(MT003, program_id, material_id, message, evidence))
    return out


def unapproved_suppliers(program_id: str, switches: list[dict], lots: dict) -> list[Finding]:
    out = []
    for switch in switches:
        fit = switch["change_type"] in SUPPLIER_CHANGE_TYPES
        approved = switch["approved_on"] if fit else None
        if approved is not None and approved <= switch["first_gmp_use"]:
            continue
        rows = [row for _, row in lots.get(switch["material_id"], [])
                if approved is None or row["manufactured_on"] < approved]
        batches = _batches(rows)
        left = _released(batches)
        if switch["change_id"] is None:
            record = "no change record names it"
        elif not fit:
            record = f"its change {switch['change_id']} is a {switch['change_type']} change, not a supplier change"
        elif approved is None:
            record = f"change {switch['change_id']} ({switch['change_title']}) is not approved"
        else:
            record = f"change {switch['change_id']} ({switch['change_title']}) was only approved on {approved}"
        message = (f"{switch['name']} from {switch['supplier']} (material {switch['material_id']}) replaced "
                   f"{switch['previous_suppliers']} from {switch['first_gmp_use']}, but {record}. "
                   f"{_lots(len(batches))} {'was' if len(batches) == 1 else 'were'} made with it before an approved supplier change; {_left_qa(left)}.")
        evidence = [{**row, "previous_suppliers": switch["previous_suppliers"], "change_id": switch["change_id"],
                     "approved_on": approved} for row in rows]
        out.append(make(MT004, program_id, switch["material_id"], message, evidence,
                        severity="high" if left else "medium"))
    return out


def _phase_words(phase: str) -> str:
    return {"preclinical": "preclinical", "bla": "BLA"}.get(phase, phase.replace("_", " ").capitalize())
