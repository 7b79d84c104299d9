"""The Changes & comparability page through AppTest: a deep link opens its change, with the report's numbers."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest

from streamlit.testing.v1 import AppTest

from conftest import ROOT
from test_app import AS_OF, SAMPLE
from readiness.dataset import load_dataset
from readiness.lens_tables import changes as lens
from readiness.report import build_report

PAGE = "app_pages/changes.py"


def open_page(monkeypatch, **params) -> AppTest:
    """test_app's pattern, with room for the all-programs report (12 month-ends of every lens) on a busy machine."""
    monkeypatch.setenv("READINESS_DATA", str(SAMPLE))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def car19():
    return build_report(load_dataset(SAMPLE), date.fromisoformat(AS_OF), "CAR19-201", trend=False)


def chart_data(element):
    return pa.ipc.open_stream(element.proto.datasets[0].data.data).read_all().to_pandas()


def chart_titles(at) -> list[str]:
    return [json.loads(c.proto.spec)["title"]["text"] for c in at.get("vega_lite_chart")]


def test_a_deep_link_opens_the_named_change_with_the_report_numbers(monkeypatch, car19):
    at = open_page(monkeypatch, program="CAR19-201", as_of=AS_OF, change="CC-C19-002")
    assert [t.value for t in at.title] == ["Changes & comparability"] and not at.warning
    assert at.query_params["change"] == "CC-C19-002"
    assert at.selectbox(key="comparability_change").value == "CC-C19-002"

    exercise = lens.exercise(car19, "CC-C19-002")
    shown = at.dataframe[-1].value
    expected = lens.comparability_table(exercise)
    assert list(shown["attribute"]) == list(expected["attribute"]) == [
        "car_expression", "cd3_purity", "dose", "endotoxin", "ifng_release", "specific_lysis", "vector_copy_number",
        "viability"]
    viability = shown.set_index("attribute").loc["viability"]
    report_row = next(c for c in exercise["cqas"] if c["attribute"] == "viability")
    for column in ("n_pre", "n_post", "pre_mean", "pre_sd", "post_mean", "post_sd", "range_low", "range_high",
                   "share_inside", "difference", "ci_low", "ci_high", "margin"):
        assert viability[column] == report_row[column], column
    assert viability["inside"] == f"{report_row['n_inside']} of {report_row['n_post']}"
    assert viability["verdict"] == "⛔ not shown"
    assert set(shown["verdict"]) == {"✅ equivalent", "⛔ not shown"}
    assert "Before (v2): 84 lots made before 2026-05-06; After (v3): 24 lots" in " ".join(c.value for c in at.caption)

    strips = [c for c in at.get("vega_lite_chart")
              if json.loads(c.proto.spec)["title"]["text"].endswith("before and after CC-C19-002")]
    assert len(strips) == len(exercise["cqas"])
    viability_chart = next(c for c in strips if json.loads(c.proto.spec)["title"]["text"].startswith("viability"))
    spec = json.loads(viability_chart.proto.spec)
    assert spec["layer"][1]["encoding"]["y"]["title"] == "viability (%)"
    assert "not shown" in spec["title"]["subtitle"]
    points = chart_data(viability_chart)
    assert len(points) == report_row["n_pre"] + report_row["n_post"]
    assert (points["position"] == "outside the range").sum() == report_row["n_post"] - report_row["n_inside"]


def test_findings_first_then_open_changes_timeline_and_months(monkeypatch, car19):
    at = open_page(monkeypatch, program="CAR19-201", as_of=AS_OF)
    assert [s.value for s in at.subheader] == ["Findings", "Open changes", "Process versions in use",
                                               "Changes opened and closed per month", "Comparability"]
    listed = at.dataframe[0].value
    codes = {f["code"] for f in car19["programs"][0]["findings"] if f["lens"] == "changes"}
    assert set(listed["code"]) == codes == {"CC003", "CP001", "CP002", "CP003"}
    metrics = {m.label: m.value for m in at.metric}
    figures = car19["programs"][0]["lenses"]["changes"]
    assert metrics["Open changes"] == str(figures["open_changes"]) == "3"
    assert metrics["Older than their risk allows"] == "1"
    opened = next(d.value for d in at.dataframe if "age_status" in d.value.columns)
    first = opened.iloc[0]
    assert (first["change_id"], first["age_days"], first["allowed_days"], first["age_status"]) == (
        "CC-C19-004", 215, 120, "⛔ Older than its risk allows")
    titles = chart_titles(at)
    assert titles[:3] == ["Age of each open change against the age its risk allows",
                          "Process versions in use, against change approvals and implementations",
                          "Change records opened and closed per month"]
    timeline = json.loads(at.get("vega_lite_chart")[1].proto.spec)
    points = timeline["layer"][0]["encoding"]
    assert points["color"]["field"] == points["shape"]["field"] == "process_version"  # colour AND shape
    assert points["x"]["title"] == "Date of manufacture"
    assert len(chart_data(at.get("vega_lite_chart")[1])) == len(figures["batches"])
    required = next(d.value for d in at.dataframe if "change_open" in d.value.columns)
    assert list(required["change_id"]) == ["CC-C19-001", "CC-C19-005", "CC-C19-002", "CC-C19-007"]
    assert required.set_index("change_id").loc["CC-C19-002", "comparability"] == \
        "✅ completed 2026-06-27 (after implementation)"
    # the default exercise is the program's latest change: too few v3.1 lots for a verdict
    assert at.query_params.get("change") is None
    assert set(at.dataframe[-1].value["verdict"].str.startswith("❔ insufficient lots")) == {True}


def test_the_picked_change_goes_into_the_link(monkeypatch):
    at = open_page(monkeypatch, program="CAR19-201", as_of=AS_OF)
    at.selectbox(key="comparability_change").select("CC-C19-001").run()
    assert at.query_params["change"] == "CC-C19-001"
    lysis = at.dataframe[-1].value.set_index("attribute").loc["specific_lysis"]
    assert lysis["verdict"] == "❔ insufficient lots (3 more pre-change lots needed)"


@pytest.mark.parametrize("program, change", [("CAR19-201", "CC-NOPE-9"), ("BCMA-101", "CC-C19-002")])
def test_an_unknown_change_in_a_link_gets_a_plain_notice(monkeypatch, program, change):
    at = open_page(monkeypatch, program=program, as_of=AS_OF, change=change)
    assert at.warning[0].value.startswith(f"There is no comparability exercise for change “{change}” in this view")
    assert "change" not in at.query_params
    assert not at.exception


def test_all_programs_show_every_open_change_and_ask_for_a_program_for_the_timeline(monkeypatch):
    at = open_page(monkeypatch, as_of=AS_OF)
    opened = next(d.value for d in at.dataframe if "age_status" in d.value.columns)
    assert {"CAR19-201", "LV-HSC-102", "BCMA-101"} <= set(opened["program_id"])
    assert any(i.value.startswith("Pick a program in the sidebar") for i in at.info)
    assert "CC001" in set(at.dataframe[0].value["code"])
