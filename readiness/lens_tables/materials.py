"""The materials lens's report figures shaped into the tables and chart frames its page draws and exports."""

from __future__ import annotations

from datetime import date

import pandas as pd

from ..checks.lens import records
from ..checks.materials import LENS, STATES
from ..report import UnknownProgram

STATE_LABELS = dict(zip(STATES, ("✅ Qualified", "⚠️ Past its requalify-by date", "⛔ Not qualified")))
NO_DATA = "➖ No material data (not assessed)"


def lens(program: dict) -> dict:
    return program["lenses"][LENS]


def _pct(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


def _tier(tier: int) -> str:
    return f"Tier {tier}"


def figures(report: dict) -> pd.DataFrame:
    """The lens's headline figures, one row per program."""
    rows = []
    for p in report["programs"]:
        f = lens(p)
        rows.append({
            "program_id": p["program_id"], "phase": p["phase"],
            "material_data": "✅ yes" if f["material_data"] else NO_DATA,
            "materials": f["materials"], "not_qualified": f["materials_not_qualified"],
            "past_requalify_by": f["materials_lapsed"], "gmp_lots": f["gmp_batches"],
            "gmp_lots_all_qualified": f["gmp_batches_all_qualified"],
            "gmp_lots_all_qualified_pct": _pct(f["share_gmp_batches_all_qualified"]),
        })
    return pd.DataFrame(rows, columns=["program_id", "phase", "material_data", "materials", "not_qualified",
                                       "past_requalify_by", "gmp_lots", "gmp_lots_all_qualified",
                                       "gmp_lots_all_qualified_pct"])


MATERIAL_COLUMNS = ["program_id", "material_id", "name", "risk_tier", "grade", "supplier", "kind", "state",
                    "qualified_on", "requalify_by", "last_used", "batches", "gmp_batches", "change_id"]


def materials_table(report: dict) -> pd.DataFrame:
    """Every material known on the as-of date, highest risk tier first within each program."""
    rows = [{**m, "program_id": p["program_id"], "risk_tier": _tier(m["risk_tier"]),
             "state": STATE_LABELS[m["state"]]}
            for p in report["programs"] for m in lens(p)["material_list"]]
    return pd.DataFrame(rows, columns=MATERIAL_COLUMNS)


def tier_counts(report: dict) -> pd.DataFrame:
    """Materials per risk tier and qualification state on the as-of date, one row per program and tier."""
    rows = [{"program_id": p["program_id"], "risk_tier": _tier(t["risk_tier"]),
             **{STATE_LABELS[s]: t[s] for s in STATES}}
            for p in report["programs"] if lens(p)["material_data"] for t in lens(p)["materials_by_tier"]]
    return pd.DataFrame(rows, columns=["program_id", "risk_tier", *STATE_LABELS.values()])


def qualified_lots_by_month(report: dict) -> pd.DataFrame:
    """GMP lots per month of manufacture and the share made entirely with qualified materials."""
    rows = [{"program_id": p["program_id"], "month": m["month"], "gmp_lots": m["batches"],
             "all_qualified": m["all_qualified"], "all_qualified_pct": _pct(m["share"])}
            for p in report["programs"] for m in lens(p)["qualified_batches_by_month"]]
    return pd.DataFrame(rows, columns=["program_id", "month", "gmp_lots", "all_qualified", "all_qualified_pct"])


TIER_COLUMNS = ["batch_id", "manufactured_on", "risk_tier", "materials", "state"]


def batch_tiers(ds, as_of: date, program_id: str) -> pd.DataFrame:
    """One point per GMP lot of the program and risk tier: the worst qualification state among that tier's
    materials when the lot was made. Asked for when the page draws one program's chart: the report counts the
    lots by month instead, as a chart of every program's lots would hold hundreds of thousands of points.

    In the question's order (highest tier first, then by manufacture date). Dates are ISO text so the page, the
    JSON and the CSV carry the same values.
    """
    points = ds.query("material_tiers_by_batch", as_of=as_of, program_id=program_id)
    if points.empty and ds.query("program_phases", as_of=as_of, program_id=program_id).empty:
        raise UnknownProgram(program_id)
    rows = [{"batch_id": b["batch_id"], "manufactured_on": b["manufactured_on"], "risk_tier": _tier(b["risk_tier"]),
             "materials": b["materials"], "state": STATE_LABELS[b["state"]]} for b in records(points)]
    return pd.DataFrame(rows, columns=TIER_COLUMNS)


def material_options(report: dict) -> dict[str, str]:
    """material_id → a label naming the material, its supplier and program, for the picker."""
    return {m["material_id"]: f"{m['material_id']} · {m['name']} ({m['supplier']}, {p['program_id']})"
            for p in report["programs"] for m in lens(p)["material_list"]}


class UnknownMaterial(LookupError):
    """The material is not in the materials table, or not yet known on the as-of date."""


LOT_COLUMNS = ["batch_id", "purpose", "manufactured_on", "disposition", "material_lot", "qualification_when_made"]


def material_lots(ds, as_of: date, material_id: str) -> pd.DataFrame:
    """The lots one material went into by the as-of date, any purpose, with its qualification state when each
    was made: asked for the material picked, as the report holds only the uses its findings cite.

    Dates are ISO text so the page, the JSON and the CSV carry the same values.
    """
    lots = ds.query("material_lots", as_of=as_of, material_id=material_id)
    if lots.empty:  # known but never used, or not known that day
        known = ds.query("materials_on_date", as_of=as_of, program_id=None)["material_id"]
        if material_id not in set(known):
            raise UnknownMaterial(material_id)
    rows = [{name: lot[name] for name in LOT_COLUMNS[:-1]} | {"qualification_when_made": STATE_LABELS[lot["state"]]}
            for lot in records(lots)]
    return pd.DataFrame(rows, columns=LOT_COLUMNS)


def material_row(report: dict, material_id: str) -> dict | None:
    return next(({**m, "program_id": p["program_id"]} for p in report["programs"] for m in lens(p)["material_list"]
                 if m["material_id"] == material_id), None)
