"""The Process control page through AppTest: a deep link opens one attribute's chart, and every point it draws is
what `python -m readiness chart` prints."""

from __future__ import annotations

import json
import math
from datetime import date

import pyarrow as pa
import pytest

from test_app import AS_OF, SAMPLE, open_app
from test_cli import run_cli
from readiness.dataset import load_dataset
from readiness.lens_tables import process_control as lens
from readiness.report import build_report

PAGE = "app_pages/process_control.py"


@pytest.fixture(scope="module")
def car19():
    report = build_report(load_dataset(SAMPLE), date.fromisoformat(AS_OF), "CAR19-201", trend=False)
    return report["programs"][0]


def charts(at) -> dict[str, tuple[dict, list]]:
    """Each chart on the page by title: its spec and the rows of its data, as plain values."""
    out = {}
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        frame = pa.ipc.open_stream(element.proto.datasets[0].data.data).read_all().to_pandas()
        out[spec["title"]["text"]] = (spec, [{k: _plain(v) for k, v in row.items()}
                                             for row in frame.to_dict(orient="records")])
    return out


def _plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def test_a_deep_link_draws_the_cli_chart_of_its_attribute(monkeypatch, car19):
    at = open_app(monkeypatch, page=PAGE, program="CAR19-201", as_of=AS_OF, attribute="viability")
    assert [t.value for t in at.title] == ["Process control"] and not at.warning
    assert at.query_params["attribute"] == "viability"
    code, out, _ = run_cli("chart", "--data", str(SAMPLE), "--program", "CAR19-201", "--attribute", "viability",
                           "--as-of", AS_OF)
    assert code == 0
    cli = json.loads(out)
    drawn = charts(at)
    spec, points = drawn["viability: individuals chart, CAR19-201"]
    assert points == cli
    assert drawn["viability: moving-range chart"][1] == cli
    assert spec["layer"][-1]["encoding"]["y"]["title"] == "viability (%)"
    assert spec["layer"][-1]["encoding"]["shape"]["field"] == "signal"  # colour and shape both name the rule
    # The story: viability fell with v3 (a new baseline, not a signal); the rejected lot C19-0124 breaks rule 1.
    starts = {p["process_version"]: p["introduced_by"] for p in cli if p["version_start"]}
    assert starts == {"v1": None, "v2": "CC-C19-001", "v3": "CC-C19-002", "v3.1": "CC-C19-007"}
    signals = [p["batch_id"] for p in cli if p["recent"] and p["rules"]]
    assert signals == ["C19-0124"]


def test_the_page_shows_the_report_figures_and_findings(monkeypatch, car19):
    at = open_app(monkeypatch, page=PAGE, program="CAR19-201", as_of=AS_OF, attribute="viability")
    summary = next(a for a in lens.lens(car19)["attributes"] if a["attribute"] == "viability")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"State": lens.STATE_LABELS[summary["state"]], f"Lots in {summary['process_version']}":
                       str(summary["lots"]), "Recent lots breaking a rule": str(summary["signals"]),
                       "Ppk (current version)": "—"}
    assert metrics["State"] == "⛔ out of spec"
    listed = at.dataframe[0].value
    assert set(listed["code"]) == {f["code"] for f in car19["findings"] if f["lens"] == "process_control"}
    assert {"PC001", "PC002", "PC004"} <= set(listed["code"])
    table = next(d.value for d in at.dataframe if "recent_signals" in d.value.columns)
    assert list(table["attribute"]) == list(lens.attribute_table(car19)["attribute"])
    assert table.set_index("attribute").loc["viability", "state"] == "⛔ out of spec"
    _, rows = charts(at)["Every CQA's last 20 lots, CAR19-201"]
    cqas = {a["attribute"]: a["state"] for a in lens.lens(car19)["attributes"] if a["kind"] == "cqa"}
    assert {r["panel"] for r in rows} == {f"{a} · {lens.STATE_LABELS[s]}" for a, s in cqas.items()}


def test_picking_an_attribute_puts_it_in_the_link(monkeypatch):
    at = open_app(monkeypatch, page=PAGE, program="AAV9-SMN-301", as_of=AS_OF)
    assert at.query_params["attribute"] == "aggregates"  # the first CQA when the link names none
    at.selectbox(key="process_control_attribute").select("full_capsid").run()
    assert at.query_params["attribute"] == "full_capsid"
    assert "Approved limits:" in " ".join(m.value for m in at.markdown)
    assert at.success[0].value.startswith("No process-control findings")


def test_an_unknown_attribute_in_a_link_gets_a_plain_notice(monkeypatch):
    at = open_app(monkeypatch, page=PAGE, program="CAR19-201", as_of=AS_OF, attribute="nope")
    assert at.warning[0].value == "There is no control chart for “nope” in CAR19-201; showing car_expression."
    assert at.query_params["attribute"] == "car_expression"


def test_without_a_program_every_program_is_summarised(monkeypatch):
    at = open_app(monkeypatch, page=PAGE, as_of=AS_OF)
    assert at.info[-1].value == "Pick a program in the sidebar to see its control charts."
    programs = at.dataframe[-1].value
    assert len(programs) == 6 and "current_process_version" in programs.columns
