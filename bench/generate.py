"""Benchmark data at a sponsor's or CDMO's volume, made from the sample programs' own model.

Each benchmark program is a clone of one of the six sample programs (its phase history, data plan, assays,
changes, deviations, materials and control limits, with ids suffixed), whose lots are repeated until the
program has `batches_per_program` lots, with fresh noise on every numeric result, and whose data plan is
widened with in-process controls measured on every lot until a lot carries `results_per_batch` results.
The findings each template program carries (its story) therefore recur across the clones, as they would
in a real portfolio, and every table passes validation. Vectorised with numpy, one program at a time, so
scale L (10 million results) is written in about a minute and never held in memory whole.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import math
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent


def _sample_model():
    """sample_data/generate.py is a script, not a package: loaded by path so there is one model, not two."""
    spec = importlib.util.spec_from_file_location("sample_generate", ROOT / "sample_data" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("sample_generate", module)
    spec.loader.exec_module(module)
    return module


model = _sample_model()


@dataclass(frozen=True)
class Scale:
    programs: int
    batches_per_program: int
    results_per_batch: int

    @property
    def batches(self) -> int:
        return self.programs * self.batches_per_program

    @property
    def results(self) -> int:
        return self.batches * self.results_per_batch


# S is the bundled sample itself (6 programs, 394 batches, 4,601 results), written by its own script.
SCALES = {"S": None, "M": Scale(50, 400, 50), "L": Scale(200, 500, 100)}
EXTRA_PREFIX = "ipc_"  # the widened data plan's in-process controls: ipc_001, ipc_002, ...
SAMPLE_WRITTEN = ("programs", "phase_history", "batches", "attributes", "assays", "mechanisms", "changes",
                  "deviations", "materials", "material_usage", "control_limits")


def write(scale_name: str, out: Path, anchor: dt.date = model.SAMPLE_ANCHOR, seed: int = model.SEED,
          scale: Scale | None = None) -> dict:
    """Replaces `out` with the data of one scale; returns what was written (also saved as out/bench.json)."""
    started = time.perf_counter()
    shutil.rmtree(out, ignore_errors=True)
    scale = scale or SCALES[scale_name]
    if scale is None:
        counts = model.write(model.build(anchor, seed), out)
    else:
        counts = _write_clones(scale, out, anchor, seed)
    meta = {"scale": scale_name, "anchor": anchor.isoformat(), "seed": seed,
            "shape": asdict(scale) if scale else None, "rows": counts,
            "seconds": round(time.perf_counter() - started, 1)}
    (out / "bench.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return meta


def _templates(anchor: dt.date, seed: int) -> dict[str, pd.DataFrame]:
    sample = model.build(anchor, seed)
    return {name: pa.Table.from_pylist(rows, schema=pa.schema(list(model.SCHEMAS[name].items()))).to_pandas()
            for name, rows in sample.rows.items()}


def _write_clones(scale: Scale, out: Path, anchor: dt.date, seed: int) -> dict[str, int]:
    tables = _templates(anchor, seed)
    template_ids = list(tables["programs"]["program_id"])
    rng = np.random.default_rng(seed)
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in SAMPLE_WRITTEN}
    results_written = 0
    (out / "results").mkdir(parents=True)
    for k in range(scale.programs):
        template = template_ids[k % len(template_ids)]
        clone = _clone(tables, template, k, scale, anchor, rng)
        for name in SAMPLE_WRITTEN:
            parts[name].append(clone[name])
        results = clone["results"]
        part = out / "results" / f"program_id={clone['programs']['program_id'].iloc[0]}"
        part.mkdir()
        pq.write_table(pa.Table.from_pandas(results, schema=_schema("results", drop="program_id"),
                                            preserve_index=False), part / "part-0.parquet")
        results_written += len(results)
    counts = {}
    for name in SAMPLE_WRITTEN:
        frame = pd.concat(parts[name], ignore_index=True)
        pq.write_table(pa.Table.from_pandas(frame, schema=_schema(name), preserve_index=False),
                       out / f"{name}.parquet")
        counts[name] = len(frame)
    counts["results"] = results_written
    return counts


def _schema(name: str, drop: str | None = None) -> pa.Schema:
    return pa.schema([(c, t) for c, t in model.SCHEMAS[name].items() if c != drop])


def _clone(tables: dict[str, pd.DataFrame], template: str, k: int, scale: Scale, anchor: dt.date,
           rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    sfx = f"-{k:03d}"
    pid = template + sfx

    def own(name: str) -> pd.DataFrame:
        frame = tables[name]
        return frame[frame["program_id"] == template].copy().assign(program_id=pid) \
            if "program_id" in frame else frame

    def suffixed(series: pd.Series) -> pd.Series:
        return series.where(series.isna(), series.astype("object") + sfx)

    out = {}
    programs = own("programs")
    programs["name"] = programs["name"] + f" (bench {k:03d})"
    out["programs"] = programs
    out["phase_history"] = own("phase_history")
    out["mechanisms"] = own("mechanisms")
    out["control_limits"] = own("control_limits")
    assays = own("assays")
    assays["assay_id"] = suffixed(assays["assay_id"])
    out["assays"] = assays
    changes = own("changes")
    changes["change_id"] = suffixed(changes["change_id"])
    out["changes"] = changes

    template_batches = own("batches")
    lot_map = _replicas(template_batches["batch_id"], scale.batches_per_program, sfx)
    batches = template_batches.merge(lot_map, left_on="batch_id", right_on="template_batch")
    batches["batch_id"] = batches["new_batch"]
    out["batches"] = batches[list(model.SCHEMAS["batches"])].reset_index(drop=True)

    deviations = own("deviations")
    deviations["deviation_id"] = suffixed(deviations["deviation_id"])
    deviations["batch_id"] = suffixed(deviations["batch_id"])  # the first copy of a lot is the template's lot
    kept = deviations["batch_id"].isna() | deviations["batch_id"].isin(out["batches"]["batch_id"])
    out["deviations"] = deviations[kept]  # a program cut to fewer lots than its template loses their deviations
    materials = own("materials")
    materials["material_id"] = suffixed(materials["material_id"])
    materials["change_id"] = suffixed(materials["change_id"])
    out["materials"] = materials
    usage = tables["material_usage"].merge(lot_map, left_on="batch_id", right_on="template_batch")
    usage = usage[usage["template_batch"].isin(template_batches["batch_id"])]
    usage = usage.assign(batch_id=usage["new_batch"], material_id=suffixed(usage["material_id"]))
    out["material_usage"] = usage[list(model.SCHEMAS["material_usage"])].reset_index(drop=True)

    attributes = own("attributes")
    replicated = _replicated_results(tables["results"][tables["results"]["program_id"] == template], lot_map, sfx,
                                     rng)
    measured_lots = int((out["batches"]["disposition"] != "failed").sum())
    extra = max(0, math.ceil((scale.results_per_batch * scale.batches_per_program - len(replicated))
                             / max(measured_lots, 1)))
    out["attributes"] = pd.concat([attributes, _extra_attributes(pid, extra)], ignore_index=True)
    out["results"] = pd.concat([replicated, _extra_results(out["batches"], extra, anchor, rng)], ignore_index=True)
    return out


def _replicas(batch_ids: pd.Series, wanted: int, sfx: str) -> pd.DataFrame:
    """template_batch -> new_batch: every template lot repeated in turn until the program has `wanted` lots;
    copy 0 keeps the template's id (plus the program suffix), so deviations still point at a real lot."""
    ids = batch_ids.to_numpy(dtype=object)
    copies = np.arange(wanted) // len(ids)
    template = ids[np.arange(wanted) % len(ids)]
    new = [f"{t}{sfx}" if c == 0 else f"{t}{sfx}.{c}" for t, c in zip(template, copies)]
    return pd.DataFrame({"template_batch": template, "new_batch": new})


def _replicated_results(results: pd.DataFrame, lot_map: pd.DataFrame, sfx: str,
                        rng: np.random.Generator) -> pd.DataFrame:
    """Each copy of a lot gets its template lot's results, numeric ones re-drawn around them with the
    attribute's own lot-to-lot spread (so control charts and capability stay meaningful)."""
    frame = results.merge(lot_map, left_on="batch_id", right_on="template_batch")
    spread = results.groupby("attribute")["value"].std().fillna(0.0)
    sd = frame["attribute"].map(spread).fillna(0.0).to_numpy()
    value = frame["value"].to_numpy(dtype=float)
    copy = frame["new_batch"] != frame["batch_id"] + sfx
    noise = np.where(copy, rng.normal(0.0, 1.0, len(frame)) * sd * 0.5, 0.0)
    frame["value"] = np.where(np.isnan(value), np.nan, np.round(value + noise, 4))
    frame["batch_id"] = frame["new_batch"]
    frame["assay_id"] = frame["assay_id"].where(frame["assay_id"].isna(), frame["assay_id"].astype("object") + sfx)
    return frame[list(c for c in model.SCHEMAS["results"] if c != "program_id")]


def _extra_attributes(pid: str, n: int) -> pd.DataFrame:
    names = [f"{EXTRA_PREFIX}{i:03d}" for i in range(1, n + 1)]
    return pd.DataFrame({"program_id": pid, "attribute": names, "kind": "ipc", "category": "process",
                         "unit": "%", "lower_limit": 70.0, "upper_limit": 130.0, "required_from": None})


def _extra_results(batches: pd.DataFrame, n: int, anchor: dt.date, rng: np.random.Generator) -> pd.DataFrame:
    """One in-process result per control per lot, tested the day after manufacture (never after the anchor)."""
    made = batches[batches["disposition"] != "failed"]
    lots = len(made)
    tested = (pd.to_datetime(made["manufactured_on"]) + pd.Timedelta(days=1)).clip(upper=pd.Timestamp(anchor))
    centre = rng.normal(100.0, 2.0, n)  # capable against 70-130: their findings are chance run-rule signals
    return pd.DataFrame({
        "batch_id": np.repeat(made["batch_id"].to_numpy(dtype=object), n),
        "attribute": np.tile(np.array([f"{EXTRA_PREFIX}{i:03d}" for i in range(1, n + 1)], dtype=object), lots),
        "value": np.round(np.tile(centre, lots) + rng.normal(0.0, 3.0, lots * n), 2),
        "text_value": None,
        "tested_on": np.repeat(tested.dt.date.to_numpy(), n),
        "assay_id": None,
        "status": "valid",
    })


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="S",
                        help="S = the sample; M = 50 programs, 20,000 batches, 1M results; "
                             "L = 200 programs, 100,000 batches, 10M results")
    parser.add_argument("--programs", type=int, help="override the scale's number of programs")
    parser.add_argument("--batches-per-program", type=int, help="override the scale's lots per program")
    parser.add_argument("--results-per-batch", type=int, help="override the scale's results per lot")
    parser.add_argument("--anchor", type=dt.date.fromisoformat, default=model.SAMPLE_ANCHOR)
    parser.add_argument("--out", type=Path, required=True, help="directory to (re)write")
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    overrides = (args.programs, args.batches_per_program, args.results_per_batch)
    if any(v is not None for v in overrides):
        base = scale or Scale(6, 66, 12)
        scale = Scale(*(v if v is not None else d for v, d in zip(overrides, (base.programs, base.batches_per_program,
                                                                               base.results_per_batch))))
    meta = write(args.scale, args.out, args.anchor, scale=scale)
    print(f"Wrote scale {args.scale} to {args.out} in {meta['seconds']} s: "
          + ", ".join(f"{n:,} {name}" for name, n in meta["rows"].items()))


if __name__ == "__main__":
    main()
