"""The Materials & suppliers page through AppTest: a deep link to one material, the figures of the report."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest

from conftest import minimal_tables, write_tables
from test_materials import figures_tables
from test_app import AS_OF, SAMPLE, open_app
from readiness.dataset import load_dataset
from readiness.lens_tables import materials as lens
from readiness.report import build_report

PAGE = "app_pages/materials.py"


@pytest.fixture(scope="module")
def bcma():
    report = build_report(load_dataset(SAMPLE), date.fromisoformat(AS_OF), "BCMA-101")
    return report, report["programs"][0]["lenses"]["materials"]


def table_with(at, column):
    """The first table on the page with `column` (finding evidence tables come before the lens's own)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def chart_data(at, n=0):
    chart = at.get("vega_lite_chart")[n]
    return json.loads(chart.proto.spec), pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_all().to_pandas()


def test_a_material_link_opens_its_lots_with_the_report_figures(monkeypatch, bcma):
    report, figures = bcma
    at = open_app(monkeypatch, page=PAGE, program="BCMA-101", as_of=AS_OF, material="BC-M-LV2")
    assert [t.value for t in at.title] == ["Materials & suppliers"]
    assert not at.warning and not at.error
    assert at.query_params["material"] == "BC-M-LV2"

    listed = at.dataframe[0].value  # findings first, most severe first
    assert listed["severity"].iloc[0] == "⛔ High"
    assert {("MT001", "BC-M-LV2"), ("MT004", "BC-M-LV2"), ("MT002", "BC-M-IL7")} <= set(zip(listed["code"],
                                                                                              listed["subject"]))
    assert set(listed["lens"]) == {"Materials & suppliers"}

    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {
        "Materials": str(figures["materials"]),
        "Not qualified": str(figures["materials_not_qualified"]),
        "Past their requalify-by date": str(figures["materials_lapsed"]),
        "GMP lots made entirely with qualified materials": f"{figures['share_gmp_batches_all_qualified']:.1%}",
    }

    shown = table_with(at, "gmp_batches")
    assert list(shown["material_id"]) == [m["material_id"] for m in figures["material_list"]]
    lv2 = shown[shown["material_id"] == "BC-M-LV2"].iloc[0]
    assert (lv2["risk_tier"], lv2["grade"], lv2["supplier"], lv2["state"]) == (
        "Tier 4", "gmp", "Northbridge Biologics", "✅ Qualified")

    assert at.selectbox(key="materials_material").value == "BC-M-LV2"
    lots = table_with(at, "qualification_when_made")
    expected = lens.material_lots(load_dataset(SAMPLE), date.fromisoformat(AS_OF), "BC-M-LV2")
    assert lots.to_dict("records") == expected.to_dict("records")
    assert lots["batch_id"].nunique() == lv2["batches"]  # as counted by the materials question
    assert (lots["qualification_when_made"] == "⛔ Not qualified").sum() > 0
    assert any("Northbridge Biologics" in m.value for m in at.markdown)


def test_the_chart_marks_each_gmp_lot_by_tier(monkeypatch, bcma):
    _, figures = bcma
    at = open_app(monkeypatch, page=PAGE, program="BCMA-101", as_of=AS_OF)
    spec, points = chart_data(at)
    assert spec["title"]["text"] == "Were each GMP lot's materials qualified when it was made? By risk tier"
    assert spec["encoding"]["x"]["title"] == "Manufacture date of the lot (YYYY-MM-DD)"
    assert spec["encoding"]["y"]["title"] == "Material risk tier"
    assert spec["encoding"]["color"]["title"] == spec["encoding"]["shape"]["title"]  # one legend: word, colour, shape
    expected = lens.batch_tiers(load_dataset(SAMPLE), date.fromisoformat(AS_OF), "BCMA-101")
    assert points.to_dict("records") == expected.to_dict("records")
    assert list(dict.fromkeys(points["risk_tier"])) == ["Tier 4", "Tier 3", "Tier 2", "Tier 1"]
    # the chart's lots are the ones the report counts, from its own question
    assert points["batch_id"].nunique() == figures["gmp_batches"]
    qualified = points.groupby("batch_id")["state"].agg(lambda states: set(states) == {"✅ Qualified"})
    assert qualified.sum() == figures["gmp_batches_all_qualified"] < figures["gmp_batches"]
    assert at.selectbox(key="materials_material").value is None


def test_an_unknown_material_in_a_link_is_a_plain_warning(monkeypatch):
    at = open_app(monkeypatch, page=PAGE, program="BCMA-101", as_of=AS_OF, material="NOPE-9")
    assert at.warning[0].value.startswith("There is no material “NOPE-9” in this view (BCMA-101, as of 2026-11-24)")
    assert "material" not in at.query_params
    assert [t.value for t in at.title] == ["Materials & suppliers"] and not at.exception


def test_a_material_of_another_program_is_unknown_in_that_programs_view(monkeypatch):
    at = open_app(monkeypatch, page=PAGE, program="AAV9-SMN-301", as_of=AS_OF, material="BC-M-LV2")
    assert at.warning[0].value.startswith("There is no material “BC-M-LV2” in this view (AAV9-SMN-301")
    assert at.success[0].value.startswith("No materials findings")


def test_all_programs_list_every_programs_figures(monkeypatch, tmp_path):
    """A small hand-made portfolio (the sample's all-programs report is slow to compute): P1 with materials,
    P2 without any, so not assessed."""
    t = figures_tables()
    t["programs"] = {"program_id": ["P1", "P2"], "name": ["Test CAR-T", "Other"],
                     "modality": ["autologous_cell", "aav"], "phase": ["phase_1", "phase_1"]}
    data = write_tables(tmp_path / "two", t)
    at = open_app(monkeypatch, data=data, page=PAGE, as_of=AS_OF)
    report = build_report(load_dataset(data), date.fromisoformat(AS_OF))
    figures = table_with(at, "material_data")
    assert list(figures["program_id"]) == [p["program_id"] for p in report["programs"]]
    assert dict(zip(figures["program_id"], figures["material_data"])) == {"P1": "✅ yes", "P2": lens.NO_DATA}
    assert dict(zip(figures["program_id"], figures["materials"])) == {"P1": 4, "P2": 0}
    assert list(table_with(at, "gmp_batches")["material_id"]) == ["MB", "MC", "MA", "MD"]
    assert not at.get("vega_lite_chart")  # every program's lots would be hundreds of thousands of points
    assert "GMP lots by month" in [h.value for h in at.subheader]
    assert "Pick a program to see each of its GMP lots by material risk tier." in [c.value for c in at.caption]
    months = table_with(at, "all_qualified_pct")
    assert months.to_dict("records") == lens.qualified_lots_by_month(report).to_dict("records")
    assert list(months["program_id"]) == ["P1"] * 4
    assert not at.metric


def test_picking_a_material_puts_it_in_the_link(monkeypatch):
    at = open_app(monkeypatch, page=PAGE, program="CAR19-201", as_of=AS_OF)
    at.selectbox(key="materials_material").select("C19-M-BEADS").run()
    assert at.query_params["material"] == "C19-M-BEADS"
    lots = table_with(at, "qualification_when_made")
    assert "⚠️ Past its requalify-by date" in set(lots["qualification_when_made"])


def test_without_material_tables_the_page_says_not_assessed(monkeypatch, tmp_path):
    data = write_tables(tmp_path / "plain", minimal_tables())
    at = open_app(monkeypatch, data=data, page=PAGE, program="P1", as_of=AS_OF)
    assert at.info[0].value.startswith("No material data: this lens is not assessed")
    assert not at.metric and not at.get("vega_lite_chart")
