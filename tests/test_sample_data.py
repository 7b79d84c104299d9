"""The bundled sample: current with its generator, clean, and telling the story the README promises."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import ROOT
from readiness.contract import TABLES
from readiness.dataset import load_dataset
from readiness.findings import RULES
from readiness.report import build_report

SAMPLE = ROOT / "sample_data"
ANCHOR = dt.date(2026, 11, 24)
PLANNED_DATES = {c.name for t in TABLES for c in t.columns if c.future_ok}  # milestones, requalify-by dates


def _generator():
    spec = importlib.util.spec_from_file_location("sample_generate", SAMPLE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def parquet_files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*.parquet"))}


@pytest.fixture(scope="module")
def report():
    ds = load_dataset(SAMPLE, ANCHOR)
    assert ds.problems == []
    return build_report(ds, ANCHOR)


def test_committed_files_are_what_the_generator_writes(tmp_path):
    """Same seed, same anchor, same bytes: the committed sample cannot drift from its script."""
    _generator().main(["--out", str(tmp_path)])
    assert parquet_files(tmp_path) == parquet_files(SAMPLE)


def test_sample_validates_clean_with_every_table_present():
    ds = load_dataset(SAMPLE, ANCHOR)
    assert ds.problems == [] and ds.rows_excluded == 0
    assert {name: t.status for name, t in ds.tables.items()} == dict.fromkeys(ds.tables, "ok")
    rows = {name: t.rows_read for name, t in ds.tables.items()}
    assert rows["programs"] == 6 and rows["batches"] >= 300 and rows["results"] >= 4000


def test_results_are_hive_partitioned_by_program():
    folders = sorted(p.name for p in (SAMPLE / "results").iterdir())
    assert folders == ["program_id=AAV9-SMN-301", "program_id=BCMA-101", "program_id=CAR19-201",
                       "program_id=LV-HSC-102", "program_id=NK-ALLO-103", "program_id=TIL-MEL-301"]


def test_nothing_is_dated_after_the_anchor_but_planned_milestones():
    for path in SAMPLE.rglob("*.parquet"):
        table = pq.read_table(path)
        for name in table.column_names:
            if str(table.schema.field(name).type) == "date32[day]" and name not in PLANNED_DATES:
                dates = [d for d in table.column(name).to_pylist() if d is not None]
                assert max(dates, default=ANCHOR) <= ANCHOR, (path.name, name)


def test_six_programs_across_modalities_and_phases(report):
    assert {(p["program_id"], p["modality"], p["phase"]) for p in report["programs"]} == {
        ("CAR19-201", "autologous_cell", "phase_2"),
        ("BCMA-101", "autologous_cell", "phase_1"),
        ("AAV9-SMN-301", "aav", "phase_3"),
        ("LV-HSC-102", "lentiviral_vector", "phase_1"),
        ("NK-ALLO-103", "allogeneic_cell", "phase_1"),
        ("TIL-MEL-301", "autologous_cell", "phase_3"),
    }


def test_the_story_one_clean_one_in_trouble_the_rest_with_warnings(report):
    status = {p["program_id"]: p["status"] for p in report["programs"]}
    assert status == {"AAV9-SMN-301": "on_track", "BCMA-101": "off_track", "CAR19-201": "at_risk",
                      "LV-HSC-102": "at_risk", "NK-ALLO-103": "off_track", "TIL-MEL-301": "off_track"}
    assert report["programs"][0]["program_id"] == "BCMA-101" and report["programs"][0]["score"] == 0
    highs = {p["program_id"]: {f["code"] for f in p["findings"] if f["severity"] == "high"}
             for p in report["programs"]}
    assert highs["NK-ALLO-103"] == {"BL003"} and highs["TIL-MEL-301"] == {"PT005"}
    assert highs["CAR19-201"] == highs["LV-HSC-102"] == set()
    clean = next(p for p in report["programs"] if p["program_id"] == "AAV9-SMN-301")
    assert clean["findings"] == [] and clean["lenses"]["baseline"]["baseline_completeness"] == 1.0


def test_every_finding_code_has_a_true_instance(report):
    found = {f["code"] for p in report["programs"] for f in p["findings"]}
    assert set(RULES) <= found


def test_re_anchoring_shifts_the_dates_and_keeps_the_story(tmp_path):
    """`make run` re-anchors the sample to today; the same report must come out, every date shifted."""
    later = dt.date(2030, 3, 1)
    _generator().main(["--anchor", later.isoformat(), "--out", str(tmp_path)])
    moved = load_dataset(tmp_path, later)
    assert moved.problems == []
    original = build_report(load_dataset(SAMPLE, ANCHOR), ANCHOR)
    shifted = build_report(moved, later)
    def story(report):
        """Months regroup and dates move when dates shift by a number of days; the scalar figures, the
        per-attribute counts and the per-state totals do not."""
        return [(p["program_id"], p["status"], {k: v for k, v in p["lenses"]["baseline"].items()
                                                if k == "by_attribute" or not isinstance(v, list)},
                 {state: sum(m[state] for m in p["lenses"]["baseline"]["by_month"])
                  for state in ("present", "recoverable", "irrecoverable", "pending")})
                for p in report["programs"]]
    assert story(shifted) == story(original)
    assert [f["subject"] for p in shifted["programs"] for f in p["findings"]] == \
        [f["subject"] for p in original["programs"] for f in p["findings"]]
