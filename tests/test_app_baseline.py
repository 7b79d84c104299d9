"""The Baseline & batch records page through AppTest, opened from links, against the report's own figures."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from readiness.dataset import load_dataset
from readiness.lens_tables import baseline as lt
from readiness.report import build_report

SAMPLE = ROOT / "sample_data"
AS_OF = "2026-11-24"
PAGE = "app_pages/baseline.py"


@pytest.fixture(scope="module")
def sample():
    return load_dataset(SAMPLE)


@pytest.fixture(scope="module")
def bcma(sample):
    return build_report(sample, date.fromisoformat(AS_OF), "BCMA-101", trend=False)["programs"][0]


def open_page(monkeypatch, **params) -> AppTest:
    """As test_app.open_app, but the link's parameters are there from the first run, as when a link is opened
    (the shell's first page then computes the as-of day's report, which the cache keeps for the other tests)."""
    monkeypatch.setenv("READINESS_DATA", str(SAMPLE))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    for key, value in {"as_of": AS_OF, **params}.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart(at, title: str) -> tuple[dict, list]:
    """A chart's spec and its datasets (as frames), found by its title."""
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if spec.get("title", {}).get("text") == title:
            frames = [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in element.proto.datasets]
            return spec, frames
    raise AssertionError(f"no chart titled {title!r}")


def table(at, column: str):
    """The first table on the page with this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_a_link_with_an_attribute_narrows_the_heatmap_and_the_gaps(monkeypatch, bcma):
    at = open_page(monkeypatch, program="BCMA-101", attribute="cytotoxicity")
    assert at.selectbox(key="baseline_attribute").value == "cytotoxicity"
    assert at.query_params["attribute"] == "cytotoxicity" and not at.warning
    spec, [cells] = chart(at, "Required results by batch and attribute")
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == list(lt.CELL_LABELS.values())
    figures = bcma["lenses"]["baseline"]
    expected = {b["batch_id"]: lt.CELL_LABELS[b["states"]["cytotoxicity"]] for b in figures["by_batch"]
                if "cytotoxicity" in b["states"]}
    assert set(cells["attribute"]) == {"cytotoxicity"}
    assert dict(zip(cells["batch_id"], cells["state"])) == expected
    assert expected["BC-032"] == "⊘ Invalidated, no valid retest" and expected["BC-011"] == "✗ Missing: no result"
    newest = max(figures["by_batch"], key=lambda b: b["manufactured_on"])["batch_id"]
    assert cells.sort_values("batch_order")["batch_id"].iloc[0] == newest  # newest first by default
    lost = table(at, "administered_on")
    assert list(lost["batch_id"]) == ["BC-011", "BC-017", "BC-029", "BC-032", "BC-044"]
    assert set(lost["attribute"]) == {"cytotoxicity"}
    assert list(lost["administered_on"]) == [
        e["disposition_on"] for f in bcma["findings"] if f["code"] == "BL002" for e in f["evidence"]
        if e["attribute"] == "cytotoxicity"]


def test_the_figures_and_the_threshold_line_come_from_the_report(monkeypatch, bcma):
    at = open_page(monkeypatch, program="BCMA-101")
    figures = bcma["lenses"]["baseline"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Baseline completeness"] == f"{figures['baseline_completeness']:.1%}" == "88.4%"
    assert metrics["Invalidated, no valid retest"] == str(figures["results_invalidated_not_retested"]) == "1"
    assert metrics["Open deviations (past their limit)"] == "1 (0)"
    listed = table(at, "code")
    assert {"BL002", "BL004", "BL005", "DV001"} <= set(listed["code"])
    spec, frames = chart(at, "Baseline completeness by month of manufacture")
    line = next(f for f in frames if "series" in f.columns)
    cumulative = line[line["series"] == lt.LINE_SERIES["cumulative_completeness"]]
    assert cumulative["completeness_pct"].iloc[-1] == round(100 * figures["baseline_completeness"], 1)
    assert list(cumulative["month"]) == [m["month"] for m in figures["completeness_by_month"]]
    rule = next(f for f in frames if "label" in f.columns)
    assert rule.to_dict("records") == [{"threshold_pct": 90.0, "label": "Phase 1 expectation: at least 90%"}]
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Required results present (%)"
    _, [bars] = chart(at, "Required results by attribute")
    vcn = bars[bars["attribute"] == "vector_copy_number"].set_index("state")["results"].to_dict()
    counts = next(a for a in figures["by_attribute"] if a["attribute"] == "vector_copy_number")
    assert vcn == {lt.CELL_LABELS["present"]: counts["present"], lt.CELL_LABELS["missing"]: counts["missing"],
                   lt.CELL_LABELS["invalidated"]: 0, lt.CELL_LABELS["pending"]: counts["pending"]}


def test_a_batch_link_narrows_the_heatmap_and_the_open_deviations(monkeypatch, bcma):
    at = open_page(monkeypatch, program="BCMA-101", batch="BC-053")
    assert at.selectbox(key="baseline_batch").value == "BC-053"
    _, [cells] = chart(at, "Required results by batch and attribute")
    b053 = next(b for b in bcma["lenses"]["baseline"]["by_batch"] if b["batch_id"] == "BC-053")
    assert set(cells["batch_id"]) == {"BC-053"}
    assert dict(zip(cells["attribute"], cells["state"])) == {a: lt.CELL_LABELS[s] for a, s in b053["states"].items()}
    devs = table(at, "limit_status")
    assert devs[["deviation_id", "severity", "age_days", "max_open_days", "batch_id"]].to_dict("records") == [
        {"deviation_id": "DV-BC-900", "severity": "major", "age_days": 42, "max_open_days": 60, "batch_id": "BC-053"}]
    assert [s.value for s in at.success] == ["No irrecoverable gap in this selection."]


@pytest.mark.parametrize("params, notice", [
    ({"attribute": "potency"}, "There is no required attribute “potency” in BCMA-101 as of 2026-11-24; showing all."),
    ({"batch": "NK-009"}, "There is no clinical batch “NK-009” in BCMA-101 as of 2026-11-24; showing all."),
])
def test_an_unknown_selection_in_a_link_is_a_plain_notice(monkeypatch, params, notice):
    at = open_page(monkeypatch, program="BCMA-101", **params)
    assert [w.value for w in at.warning] == [notice]
    assert not set(params) & set(at.query_params)
    _, [cells] = chart(at, "Required results by batch and attribute")
    assert cells["attribute"].nunique() == 10 and cells["batch_id"].nunique() == 58


def test_picking_an_attribute_puts_it_in_the_link(monkeypatch):
    at = open_page(monkeypatch, program="BCMA-101")
    at.selectbox(key="baseline_attribute").select("vector_copy_number").run()
    assert at.query_params["attribute"] == "vector_copy_number"
    _, [cells] = chart(at, "Required results by batch and attribute")
    assert set(cells["attribute"]) == {"vector_copy_number"}
    at.selectbox(key="baseline_attribute").select("").run()
    assert "attribute" not in at.query_params


def test_a_program_with_many_batches_shows_the_most_recent_with_a_note(monkeypatch, sample):
    car19 = build_report(sample, date.fromisoformat(AS_OF), "CAR19-201", trend=False)["programs"][0]
    batches = car19["lenses"]["baseline"]["by_batch"]
    assert len(batches) > lt.HEATMAP_BATCHES
    at = open_page(monkeypatch, program="CAR19-201")
    spec, [cells] = chart(at, "Required results by batch and attribute")
    recent = {b["batch_id"] for b in sorted(batches, key=lambda b: b["manufactured_on"])[-lt.HEATMAP_BATCHES:]}
    assert set(cells["batch_id"]) == recent  # CAR19-201's gaps are all on recent lots
    assert spec["title"]["subtitle"][1] == (f"Showing the 60 most recent of {len(batches)} batches; pick a batch "
                                            "to see any other.")
    at.radio(key="baseline_sort").set_value("Oldest first").run()
    _, [cells] = chart(at, "Required results by batch and attribute")
    first = cells.sort_values("batch_order")["batch_id"].iloc[0]
    assert first == min((b for b in batches if b["batch_id"] in recent), key=lambda b: b["manufactured_on"])[
        "batch_id"]


def test_all_programs_lists_figures_and_deviations_and_asks_for_a_program(monkeypatch, sample):
    at = open_page(monkeypatch)
    report = build_report(sample, date.fromisoformat(AS_OF), trend=False)
    assert any(c.value.startswith("Pick a program in the sidebar") for c in at.caption)
    figures = table(at, "baseline_completeness")
    assert sorted(figures["program_id"]) == sorted(p["program_id"] for p in report["programs"])
    devs = table(at, "limit_status")
    assert sorted(devs["deviation_id"]) == sorted(
        d["deviation_id"] for p in report["programs"] for d in p["lenses"]["baseline"]["open_deviations"])
    assert devs.iloc[0]["deviation_id"] == "DV-NK-900" and devs.iloc[0]["limit_status"] == "⛔ past its limit"
