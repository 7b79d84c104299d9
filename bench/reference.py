"""The two reference points each page is reported against, measured in the same run.

The floor: DuckDB scanning only the columns the page's lens reads, on the same warm connection, with no
logic at all; no design can be faster than that. The pandas reference: the page's headline figures the way
a team would write them without this design, with `pd.read_parquet` and groupby: per program, the lens's
main measure (completeness, control-limit breaches, potency coverage, open changes, qualified use).
It is simpler than the product (no evidence rows, no run rules, no phase-at-manufacture), so it is a
generous bar: a page slower than it spends its time on something other than the data.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from readiness.brief import DEFAULT_DAYS
from readiness.checks import LENS_MODULES
from readiness.contract import TABLES
from readiness.report import trend_dates


LENS_TABLES = {m.LENS: m.TABLES for m in LENS_MODULES}
PAGE_LENSES = {
    "Baseline & deviations": ("baseline",),
    "Process control": ("process_control",),
    "Changes & comparability": ("changes",),
    "Materials & suppliers": ("materials",),
    "Potency & methods": ("potency",),
}
ALL_LENSES = tuple(LENS_TABLES)


def lenses_of(page: str) -> tuple[str, ...]:
    return PAGE_LENSES.get(page, ALL_LENSES)


def dates_of(page: str, as_of: date) -> list[date]:
    """The as-of days the page judges: the trend's 13 for the Portfolio and the report, two for the brief."""
    if page in ("Portfolio", "Full report (CLI)"):
        return trend_dates(as_of)
    if page == "Weekly brief":
        return [as_of - timedelta(days=DEFAULT_DAYS), as_of]
    return [as_of]


def floor(con, page: str, program_id: str | None) -> None:
    """count(*) and a hash of every contract column of every table the page's lenses read, once."""
    columns = {t.name: [c.name for c in t.columns] for t in TABLES}
    names = sorted({t for lens in lenses_of(page) for t in LENS_TABLES[lens]})
    cursor = con.cursor()
    try:
        for name in names:  # identifiers from the contract (DuckDB cannot bind them); the program id is bound
            hashed = ", ".join(f'"{c}"' for c in columns[name])
            where = ""
            if program_id is not None:
                if "program_id" in columns[name]:
                    where = "WHERE program_id = $p"
                elif "batch_id" in columns[name]:
                    where = "WHERE batch_id IN (SELECT batch_id FROM main.batches WHERE program_id = $p)"
            params = {"p": program_id} if "$p" in where else {}
            cursor.execute(f'SELECT count(*), sum(hash({hashed})) FROM main."{name}" {where}', params).fetchall()
    finally:
        cursor.close()


def read_tables(data: Path, page: str, program_id: str | None) -> dict[str, pd.DataFrame]:
    """What a pandas app would hold in memory; results only for the program's partition when one is asked."""
    names = sorted({t for lens in lenses_of(page) for t in LENS_TABLES[lens]})
    frames = {}
    for name in names:
        if name == "results":
            filters = [("program_id", "==", program_id)] if program_id else None
            frames[name] = pd.read_parquet(data / "results", filters=filters)
            frames[name]["program_id"] = frames[name]["program_id"].astype(str)
        elif (data / f"{name}.parquet").exists():
            frames[name] = pd.read_parquet(data / f"{name}.parquet")
    for name, frame in frames.items():
        for column in frame.columns:
            if column.endswith(("_on", "_by")):  # the contract's date columns (requalify_by included)
                frame[column] = pd.to_datetime(frame[column])
        if program_id is not None and "program_id" in frame and name != "results":
            frames[name] = frame[frame["program_id"] == program_id]
    if "material_usage" in frames and "batches" in frames:
        frames["material_usage"] = frames["material_usage"][
            frames["material_usage"]["batch_id"].isin(frames["batches"]["batch_id"])]
    return frames


def compute(frames: dict[str, pd.DataFrame], page: str, as_of: date) -> dict[str, pd.DataFrame]:
    out = {}
    for day in dates_of(page, as_of):
        stamp = pd.Timestamp(day)
        for lens in lenses_of(page):
            out[f"{day}:{lens}"] = FIGURES[lens](frames, stamp)
    return out


def _lots(frames, day, purposes=("clinical",)) -> pd.DataFrame:
    b = frames["batches"]
    return b[b["purpose"].isin(purposes) & (b["manufactured_on"] <= day)]


def _valid(frames, day) -> pd.DataFrame:
    r = frames["results"]
    return r[(r["tested_on"] <= day) & (r["status"].fillna("valid") == "valid")]


def baseline(frames, day) -> pd.DataFrame:
    lots = _lots(frames, day)
    lots = lots[lots["disposition"] != "failed"]
    plan = frames["attributes"].dropna(subset=["required_from"])[["program_id", "attribute"]]
    expected = lots[["program_id", "batch_id"]].merge(plan, on="program_id")
    present = _valid(frames, day)[["batch_id", "attribute"]].drop_duplicates().assign(present=True)
    cells = expected.merge(present, on=["batch_id", "attribute"], how="left")
    figures = cells.groupby("program_id").agg(required=("attribute", "size"), present=("present", "count"))
    figures["completeness"] = figures["present"] / figures["required"]
    d = frames["deviations"]
    open_ = d[(d["opened_on"] <= day) & (d["closed_on"].isna() | (d["closed_on"] > day))]
    return figures.join(open_.groupby("program_id").size().rename("open_deviations"), how="left")


def process_control(frames, day) -> pd.DataFrame:
    lots = _lots(frames, day, ("clinical", "engineering", "ppq"))
    r = _valid(frames, day).dropna(subset=["value"])
    r = r[r["tested_on"] == r.groupby(["batch_id", "attribute"])["tested_on"].transform("max")]
    per_lot = r.groupby(["batch_id", "attribute"], as_index=False)["value"].mean()
    points = per_lot.merge(lots[["batch_id", "program_id", "process_version", "manufactured_on"]], on="batch_id")
    points = points.merge(frames["attributes"][["program_id", "attribute", "lower_limit", "upper_limit"]],
                          on=["program_id", "attribute"])
    points = points.sort_values(["program_id", "attribute", "process_version", "manufactured_on", "batch_id"])
    keys = ["program_id", "attribute", "process_version"]
    grouped = points.groupby(keys)["value"]
    points["mr"] = grouped.diff().abs()
    points["centre"] = grouped.transform("mean")
    points["mr_bar"] = points.groupby(keys)["mr"].transform("mean")
    half = 2.66 * points["mr_bar"]
    points["beyond"] = (points["value"] > points["centre"] + half) | (points["value"] < points["centre"] - half)
    points["oos"] = (points["value"] < points["lower_limit"]) | (points["value"] > points["upper_limit"])
    sd = grouped.transform("std")
    points["ppk"] = np.minimum(points["upper_limit"] - points["centre"], points["centre"] - points["lower_limit"]) \
        / (3 * sd)
    return points.groupby("program_id").agg(points=("value", "size"), beyond=("beyond", "sum"),
                                            oos=("oos", "sum"), worst_ppk=("ppk", "min"))


def potency(frames, day) -> pd.DataFrame:
    lots = _lots(frames, day)
    a = frames["attributes"]
    potency_attrs = a[a["category"] == "potency"][["program_id", "attribute"]]
    tested = _valid(frames, day).merge(potency_attrs, on=["program_id", "attribute"])["batch_id"].unique()
    lots = lots.assign(tested=lots["batch_id"].isin(tested))
    figures = lots.groupby("program_id").agg(batches=("batch_id", "size"), with_potency=("tested", "sum"))
    figures["coverage"] = figures["with_potency"] / figures["batches"]
    s = frames["assays"]
    s = s[s["category"] == "potency"]
    stages = s.assign(qualified=s["qualified_on"] <= day, validated=s["validated_on"] <= day)
    return figures.join(stages.groupby("program_id")[["qualified", "validated"]].sum(), how="left")


def changes(frames, day) -> pd.DataFrame:
    c = frames["changes"]
    c = c[c["opened_on"] <= day]
    figures = pd.DataFrame({
        "program_id": c["program_id"],
        "open": c["closed_on"].isna() | (c["closed_on"] > day),
        "before_approval": (c["implemented_on"] <= day) & (c["approved_on"].isna() | (c["implemented_on"]
                                                                                      < c["approved_on"])),
        "comparability_due": c["comparability_required"].fillna(False).astype(bool)
        & (c["comparability_completed_on"].isna() | (c["comparability_completed_on"] > day)),
    }).groupby("program_id").sum()
    lots = _lots(frames, day, ("clinical", "engineering", "ppq"))
    return figures.join(lots.groupby("program_id")["process_version"].nunique().rename("versions"), how="outer")


def materials(frames, day) -> pd.DataFrame:
    lots = _lots(frames, day, ("clinical", "engineering", "ppq", "development"))
    uses = frames["material_usage"].merge(lots[["batch_id", "program_id", "manufactured_on"]], on="batch_id")
    uses = uses.merge(frames["materials"][["material_id", "grade", "risk_tier", "qualified_on", "requalify_by"]],
                      on="material_id")
    uses["qualified"] = uses["qualified_on"] <= uses["manufactured_on"]
    uses["research"] = uses["grade"] == "research"
    uses["lapsed"] = uses["requalify_by"] < uses["manufactured_on"]
    return uses.groupby("program_id").agg(uses=("batch_id", "size"), qualified=("qualified", "mean"),
                                          research=("research", "sum"), lapsed=("lapsed", "sum"))


FIGURES = {"baseline": baseline, "process_control": process_control, "potency": potency, "changes": changes,
           "materials": materials}
