"""The Potency & methods page through AppTest: deep links show the report's matrix, stages and trends."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest

from test_app import AS_OF, SAMPLE, open_app
from readiness.dataset import load_dataset
from readiness.lens_tables import potency as lens
from readiness.report import build_report

PAGE = "app_pages/potency.py"


@pytest.fixture(scope="module")
def reports():
    ds = load_dataset(SAMPLE, date.fromisoformat(AS_OF))
    return {pid: build_report(ds, date.fromisoformat(AS_OF), pid, trend=False)
            for pid in ("LV-HSC-102", "CAR19-201")}


def charts(at) -> dict[str, tuple[dict, list]]:
    """Each chart by title: its spec and its datasets as frames."""
    out = {}
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        out[spec["title"]["text"]] = (spec, [pa.ipc.open_stream(d.data.data).read_all().to_pandas()
                                             for d in chart.proto.datasets])
    return out


def table_with(at, *columns):
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def test_a_program_link_shows_its_coverage_matrix_from_the_report(monkeypatch, reports):
    figures = reports["LV-HSC-102"]["programs"][0]["lenses"]["potency"]
    at = open_app(monkeypatch, page=PAGE, program="LV-HSC-102", as_of=AS_OF)
    assert [t.value for t in at.title] == ["Potency & methods"]
    assert not at.warning and not at.error

    listed = at.dataframe[0].value  # findings first
    assert list(zip(listed["code"], listed["subject"])) == [("PT002", "Engraftment of corrected HSC")]
    assert {m.label: m.value for m in at.metric} == {
        "Mechanism elements covered": "2 of 3",
        "Stage the phase expects": "developing",
        "Quantitative potency assays": "1 of 1",
        "Clinical batches with a quantitative potency result":
            f"{100 * figures['quantitative_potency_batch_share']:.1f}%",
    }

    spec, (cells,) = charts(at)["Which assay reads out which element of the mechanism of action"]
    assert spec["layer"][1]["encoding"]["text"]["field"] == "label"
    expected = [("ARSA enzyme expression", "LV-ARSA", "✅ developing · quantitative"),
                ("ARSA gene insertion", "LV-VCN", "✅ qualified · quantitative"),
                ("Engraftment of corrected HSC", "No assay", "⛔ read out by no assay")]
    assert list(zip(cells["mechanism"], cells["assay"], cells["label"])) == expected
    assert list(zip(*(lens.coverage_matrix(figures)[c] for c in ("mechanism", "assay", "label")))) == expected
    matrix = table_with(at, "mechanism", "assay", "label")
    assert list(zip(matrix["mechanism"], matrix["assay"], matrix["label"])) == expected

    _, (segments, phases) = charts(at)["Assay lifecycle stage over time"]
    assert phases["label"].tolist() == ["preclinical from 2024-08-26", "Phase 1 from 2025-12-29"]
    assert segments[segments["assay"] == "LV-ARSA"]["stage"].tolist() == ["exploratory", "developing"]
    stages = table_with(at, "assay_id", "stage", "qualified_on")
    assert dict(zip(stages["assay_id"], stages["stage"])) == {"LV-ARSA": "developing (in use)",
                                                               "LV-VCN": "qualified"}

    _, (bars,) = charts(at)["Potency results on clinical batches, by month of manufacture"]
    by_state = bars.groupby("state")["batches"].sum().to_dict()
    assert by_state[lens.BATCH_STATE_LABELS["quantitative"]] == figures["batches_with_quantitative_potency"] == 31
    assert sum(by_state.values()) == figures["clinical_batches"]

    assert at.selectbox(key="potency_assay").value == "LV-ARSA"  # the program's only trended assay
    assert "assay" not in at.query_params


def test_an_assay_link_opens_its_trend_with_the_limits(monkeypatch, reports):
    figures = reports["CAR19-201"]["programs"][0]["lenses"]["potency"]
    at = open_app(monkeypatch, page=PAGE, program="CAR19-201", as_of=AS_OF, assay="C19-CTX")
    assert not at.warning
    assert at.selectbox(key="potency_assay").value == "C19-CTX"
    title = "Potency trend: C19-CTX · Specific lysis of CD19+ targets (impedance) (CAR19-201)"
    spec, (points, limits) = charts(at)[title]
    assert spec["layer"][0]["encoding"]["y"]["title"] == "specific_lysis (% lysis at E:T 10:1)"
    expected = [p for p in figures["trend"] if p["assay_id"] == "C19-CTX"]
    assert len(points) == len(expected) > 0
    assert points["batch_id"].tolist() == [p["batch_id"] for p in expected]
    assert limits["label"].tolist() == ["lower specification limit: 20"]
    assert table_with(at, "batch_id", "value", "lower_limit")["value"].tolist() == [p["value"] for p in expected]

    at.selectbox(key="potency_assay").select("C19-IFNG").run()
    assert at.query_params["assay"] == "C19-IFNG"
    assert "Potency trend: C19-IFNG · IFN-gamma release on CD19+ target co-culture (ELISA) (CAR19-201)" in charts(at)


def test_an_unknown_assay_in_a_link_gets_a_plain_warning(monkeypatch):
    at = open_app(monkeypatch, page=PAGE, program="CAR19-201", as_of=AS_OF, assay="NOPE-9")
    assert at.warning[0].value == ("There is no quantitative potency trend for assay “NOPE-9” in this view; "
                                   "showing C19-CTX.")
    assert "assay" not in at.query_params
    assert at.selectbox(key="potency_assay").value == "C19-CTX"


def test_all_programs_list_the_figures_and_ask_for_a_program(monkeypatch):
    at = open_app(monkeypatch, page=PAGE, as_of=AS_OF)
    figures = table_with(at, "program_id", "mechanisms_covered", "stage_expected")
    assert dict(zip(figures["program_id"], figures["mechanisms_covered"])) == {
        "BCMA-101": "1 of 3", "CAR19-201": "2 of 3", "NK-ALLO-103": "1 of 2", "LV-HSC-102": "2 of 3",
        "AAV9-SMN-301": "2 of 2", "TIL-MEL-301": "0 of 1"}  # TIL's only potency readout is pass/fail
    assert at.info[0].value.startswith("Pick a program in the sidebar")
    listed = at.dataframe[0].value
    assert {"PT001", "PT002", "PT003", "PT004", "PT005"} <= set(listed["code"])
    assert "AAV9-SMN-301" not in set(listed["program_id"])
