"""The benchmark works: its generator reuses the sample's model, and a scale-S run measures every page.

A smoke run, as CI runs it: it checks what was measured, never how fast (timings live in docs/performance.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import date

import pyarrow.parquet as pq
import pytest

from bench import generate
from bench.pages import PAGES
from readiness.dataset import load_dataset
from readiness.report import build_report
from conftest import ROOT

AS_OF = date(2026, 11, 24)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Seven clones of 36 lots (CAR19-201 cut down from 155, TIL-MEL-301 whole), widened to 40 results a lot."""
    out = tmp_path_factory.mktemp("bench") / "data"
    meta = generate.write("custom", out, scale=generate.Scale(7, 36, 40))
    return out, meta


def test_the_generator_writes_the_shape_asked_for(small):
    out, meta = small
    batches = pq.read_table(out / "batches.parquet").to_pandas()
    assert Counter(batches["program_id"]) == {pid: 36 for pid in (
        "CAR19-201-000", "BCMA-101-001", "AAV9-SMN-301-002", "LV-HSC-102-003", "NK-ALLO-103-004", "TIL-MEL-301-005",
        "CAR19-201-006")}
    assert batches["batch_id"].is_unique
    results = pq.read_table(out / "results").to_pandas()
    per_program = results.groupby("program_id", observed=True).size()
    # Enough in-process controls per measured lot to reach 40 results a lot, and less than one more per lot.
    assert ((per_program >= 40 * 36) & (per_program < 41 * 36)).all()
    assert meta["rows"]["results"] == len(results)
    assert sorted(p.name for p in (out / "results").iterdir()) == sorted(f"program_id={p}" for p in per_program.index)


def test_generated_data_passes_validation_whole(small):
    ds = load_dataset(small[0], AS_OF)
    assert ds.problems == []
    assert ds.rows_excluded == 0


def test_a_clone_tells_its_template_program_s_story(tmp_path):
    """Same lots and the same data plan (no in-process controls added): the same findings as the sample program."""
    generate.write("custom", tmp_path, scale=generate.Scale(6, 36, 0))
    clone = build_report(load_dataset(tmp_path, AS_OF), AS_OF, "TIL-MEL-301-005", trend=False)["programs"][0]
    sample = build_report(load_dataset(ROOT / "sample_data", AS_OF), AS_OF, "TIL-MEL-301", trend=False)["programs"][0]
    assert sorted(f["code"] for f in clone["findings"]) == sorted(f["code"] for f in sample["findings"])
    assert clone["status"] == sample["status"] == "off_track"


def test_a_scale_s_run_measures_every_page_and_the_load_check(tmp_path):
    done = subprocess.run([sys.executable, "-m", "bench", "--scale", "S", "--sessions", "2", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads((tmp_path / "latest.json").read_text())
    assert result["data"]["rows"]["results"] == 4601
    assert [(r["page"], r["scope"]) for r in result["pages"]] == [
        (page, scope) for page, (_, scopes) in PAGES.items() for scope in scopes]
    for row in result["pages"]:
        assert row["app"]["warm_s"] > 0 and row["app"]["floor_s"] > 0 and row["pandas"]["warm_s"] > 0
        assert row["floor_ratio"] == row["app"]["warm_s"] / row["app"]["floor_s"]
    load = result["load"]
    assert load["errors"] == [] and load["sessions"] == 2
    assert load["portfolio_s"]["max"] >= load["portfolio_first_s"]["max"] > 0
    assert load["precompute_s"] > 0 and load["cold_start_without_store_s"] > 0
    assert len(load["cold_start_launches_s"]) == 3 and all(t > 0 for t in load["cold_start_launches_s"])
    assert load["cold_start_s"] == sorted(load["cold_start_launches_s"])[1]
    assert 0 < load["server_cpu_s"] and 0 < load["wall_s"]
    assert "once per data load" in (tmp_path / "S.md").read_text()
    assert set(result["verdicts"]) == {"scale", "pages_within_budget", "within_5x_floor", "5x_faster_than_pandas",
                                       "peak_memory_within_budget", "load_check_without_errors",
                                       "cold_start_within_budget"}
    assert (tmp_path / "S.md").read_text().startswith("### Scale S: 6 programs, 394 batches, 4,601 results")
    assert "| Portfolio | all |" in done.stdout
