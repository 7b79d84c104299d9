"""Every page through Streamlit's AppTest, on the bundled sample and on broken data, with link parameters."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, clean_program_tables, write_tables
from test_cli import run_cli
from readiness import tables
from readiness.findings import LENSES
from readiness.dataset import load_dataset
from readiness.report import build_report

SAMPLE = ROOT / "sample_data"
AS_OF = "2026-11-24"
PAGES = {
    "app_pages/portfolio.py": "Portfolio",
    "app_pages/baseline.py": "Baseline & batch records",
    "app_pages/potency.py": "Potency & methods",
    "app_pages/changes.py": "Changes & comparability",
    "app_pages/process_control.py": "Process control",
    "app_pages/materials.py": "Materials & suppliers",
    "app_pages/weekly_brief.py": "Weekly brief",
    "app_pages/expectations.py": "What we expect at each phase",
    "app_pages/data_health.py": "Data health",
}


@pytest.fixture(scope="module")
def sample_report():
    from datetime import date
    return build_report(load_dataset(SAMPLE), date.fromisoformat(AS_OF))


def open_app(monkeypatch, data=SAMPLE, page=None, **params) -> AppTest:
    monkeypatch.setenv("READINESS_DATA", str(data))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()  # registers the pages; then the link's parameters arrive as when it is opened
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(page or "app_pages/portfolio.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def caption_text(at) -> str:
    return " ".join(c.value for c in at.caption)


@pytest.mark.parametrize("page, title", PAGES.items())
def test_every_page_renders_with_a_link(monkeypatch, page, title):
    at = open_app(monkeypatch, page=page, program="BCMA-101", as_of=AS_OF)
    assert [t.value for t in at.title] == [title]
    about = caption_text(at)
    assert f"as of {AS_OF}" in about and "BCMA-101" in about and str(SAMPLE) in about
    assert "rows excluded by validation" in about
    assert at.query_params["program"] == "BCMA-101" and at.query_params["as_of"] == AS_OF
    assert not at.error


def test_portfolio_tells_the_sample_story_with_the_cli_numbers(monkeypatch):
    """The page and `python -m readiness report` must show identical statuses and scores."""
    code, out, _ = run_cli("report", "--data", str(SAMPLE), "--as-of", AS_OF)
    assert code == 0
    cli = json.loads(out)
    at = open_app(monkeypatch, as_of=AS_OF)
    tiles = {m.label: m.value for m in at.metric}
    summary = cli["summary"]
    assert tiles == {
        "⛔ Off track": str(summary["programs_by_status"]["off_track"]),
        "⚠️ At risk": str(summary["programs_by_status"]["at_risk"]),
        "✅ On track": str(summary["programs_by_status"]["on_track"]),
        "Open high findings": str(summary["open_high_findings"]),
        f"Lost results, {summary['quarter']}": str(summary["irrecoverable_gaps_this_quarter"]),
    }
    assert tiles["⛔ Off track"] == "3" and tiles["Open high findings"] == "28"
    shown = at.dataframe[0].value
    assert list(shown["program_id"]) == [p["program_id"] for p in cli["programs"]]
    assert list(shown["status"]) == [tables.STATUS_LABELS[p["status"]] for p in cli["programs"]]
    assert list(shown["score"]) == [p["score"] for p in cli["programs"]]
    assert list(shown["lens_baseline"]) == [tables.STATUS_LABELS[p["lens_status"]["baseline"]["status"]]
                                            for p in cli["programs"]]
    assert [list(t) for t in shown["score_trend"]] == [[t["score"] for t in p["trend"]] for p in cli["programs"]]
    first = shown.iloc[0]
    assert (first["program_id"], first["status"]) == ("BCMA-101", "⛔ Off track")
    assert first["top_finding"].startswith("Batch BC-011 was administered on 2026-02-14 without a valid result")
    assert shown["program_id"].iloc[-1] == "AAV9-SMN-301" and shown["status"].iloc[-1] == "✅ On track"


def test_portfolio_status_grid_names_every_cell(monkeypatch, sample_report):
    at = open_app(monkeypatch, as_of=AS_OF)
    chart = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert chart["title"]["text"] == "CMC readiness by program and lens"
    cells = pa.ipc.open_stream(at.get("vega_lite_chart")[0].proto.datasets[0].data.data).read_all().to_pandas()
    assert len(cells) == 6 * 5
    expected = {(p["program_id"], LENSES[lens]): tables.STATUS_LABELS[v["status"]] + f" · {v['score']}"
                for p in sample_report["programs"] for lens, v in p["lens_status"].items()}
    assert dict(zip(zip(cells["program"], cells["lens"]), cells["label"])) == expected
    assert expected[("BCMA-101", "Batch records & baseline")] == "⛔ Off track · 0"
    assert expected[("AAV9-SMN-301", "Materials & suppliers")] == "✅ On track · 100"


def test_a_program_link_opens_its_breakdown_on_the_portfolio(monkeypatch, sample_report):
    at = open_app(monkeypatch, program="CAR19-201", as_of=AS_OF)
    assert at.subheader[1].value == "CAR19-201 · Autologous anti-CD19 CAR-T: why ⚠️ At risk"
    breakdown = at.dataframe[1].value
    baseline = breakdown[breakdown["lens"] == "Batch records & baseline"].iloc[0]
    assert (baseline["status"], baseline["score"], baseline["medium"]) == ("⚠️ At risk", 64, 4)  # 79 - 3 x 5
    labels = [e.label for e in at.expander]
    assert "⚠️ At risk · Batch records & baseline · 4 finding(s)" in labels
    assert "⚠️ At risk · Process control · 4 finding(s)" in labels


def test_what_we_expect_page_renders_the_matrix(monkeypatch):
    at = open_app(monkeypatch, page="app_pages/expectations.py", as_of=AS_OF)
    matrix = at.dataframe[0].value
    assert list(matrix.columns[:9]) == ["expectation", "modality", "finding", "checked", "preclinical", "phase_1",
                                        "phase_2", "phase_3", "bla"]
    row = matrix[matrix["finding"] == "PT003"].iloc[0]
    assert (row["phase_1"], row["phase_3"], row["bla"]) == ("developing (medium)", "qualified (high)",
                                                            "validated (high)")


def test_a_broken_expectations_file_is_said_and_defaults_stay(monkeypatch, tmp_path):
    bad = tmp_path / "mine.toml"
    bad.write_text('[expectations.potency_stage_min]\ncode = "PT003"\ntitle = "t"\nunit = "u"\n'
                   'rationale = "r"\nreference = "x"\nall.phase_1 = { threshold = "excellent", severity = "medium" }\n')
    monkeypatch.setenv("READINESS_EXPECTATIONS", str(bad))
    at = open_app(monkeypatch, page="app_pages/expectations.py", as_of=AS_OF)
    assert at.error[0].value.startswith(f"{bad} · potency_stage_min.all.phase_1: threshold must be one of "
                                        "exploratory, developing, qualified, validated (found 'excellent')")
    row = at.dataframe[0].value.query("finding == 'PT003'").iloc[0]
    assert row["phase_1"] == "developing (medium)"
    at.switch_page("app_pages/portfolio.py").run()
    assert "the built-in expectations stay in force" in at.error[0].value


def test_baseline_page_shows_the_cli_figures_for_the_linked_program(monkeypatch, sample_report):
    at = open_app(monkeypatch, page="app_pages/baseline.py", program="BCMA-101", as_of=AS_OF)
    figures = next(p for p in sample_report["programs"] if p["program_id"] == "BCMA-101")["lenses"]["baseline"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Baseline completeness"] == f"{figures['baseline_completeness']:.1%}"
    assert metrics["Irrecoverable gaps"] == str(figures["irrecoverable_gaps"])
    chart = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert chart["title"]["text"] == "Required results missing on clinical batches, by month of manufacture"
    assert chart["encoding"]["x"]["title"] == "Month of manufacture (YYYY-MM)"
    assert chart["encoding"]["y"]["title"] == "Missing required results (count)"
    bars = pa.ipc.open_stream(at.get("vega_lite_chart")[0].proto.datasets[0].data.data).read_all().to_pandas()
    assert bars.groupby("state")["results"].sum().to_dict() == {tables.GAP_STATES["recoverable"]: figures["required_results_missing"]
                        - figures["irrecoverable_gaps"],
                        tables.GAP_STATES["irrecoverable"]: figures["irrecoverable_gaps"]}
    listed = at.dataframe[0].value
    assert set(listed["program_id"]) == {"BCMA-101"}
    assert "BL002" in set(listed["code"])
    assert listed["severity"].iloc[0] == "⛔ High"


def test_the_view_survives_page_navigation(monkeypatch):
    at = open_app(monkeypatch, program="CAR19-201", as_of="2026-06-30")
    for page in ("app_pages/baseline.py", "app_pages/data_health.py", "app_pages/portfolio.py"):
        at.switch_page(page).run()
        assert at.query_params["program"] == "CAR19-201" and at.query_params["as_of"] == "2026-06-30"
        assert "as of 2026-06-30 · CAR19-201" in caption_text(at)


def test_picking_a_program_puts_it_in_the_link(monkeypatch):
    at = open_app(monkeypatch, as_of=AS_OF)
    picker = at.sidebar.selectbox[0]
    assert picker.options[0] == "All programs" and picker.index == 0
    picker.select("AAV9-SMN-301").run()
    assert at.query_params["program"] == "AAV9-SMN-301"
    at.date_input(key="as_of_picker").set_value("2026-05-01").run()
    assert at.query_params["as_of"] == "2026-05-01"
    assert "as of 2026-05-01 · AAV9-SMN-301" in caption_text(at)
    at.selectbox(key="program_picker").select("").run()
    assert "program" not in at.query_params
    assert "as of 2026-05-01 · all programs" in caption_text(at)


@pytest.mark.parametrize("params, notice", [
    ({"program": "NOPE-1"}, "There is no program “NOPE-1” in this data; showing all programs."),
    ({"as_of": "yesterday"}, "The link's as-of date “yesterday” is not a date (YYYY-MM-DD); showing "),
    ({"as_of": "1970-01-01"}, "The link's as-of date 1970-01-01 is outside 1990-01-01 … today; showing "),
])
def test_a_bad_link_gets_a_plain_notice(monkeypatch, params, notice):
    at = open_app(monkeypatch, page="app_pages/baseline.py", **params)
    assert at.warning[0].value.startswith(notice)
    assert [t.value for t in at.title] == ["Baseline & batch records"]


def test_broken_data_is_reported_and_the_app_keeps_working(monkeypatch, tmp_path):
    t = clean_program_tables()
    t["batches"]["purpose"] = ["clinical", "Clinical"]
    t.pop("changes")
    data = write_tables(tmp_path / "broken", t)
    at = open_app(monkeypatch, data=data, page="app_pages/data_health.py", as_of=AS_OF)
    assert {m.label: m.value for m in at.metric} == {
        "⛔ Errors (table or file not usable)": "1", "⚠️ Warnings (rows excluded)": "2", "Rows excluded": "6"}  # B2 and its 5 results
    assert "Table `changes` was not found" in at.error[0].value
    assert "batch_id=B2 (batches.parquet row 2)" in at.warning[0].value
    assert [b.proto.label for b in at.get("download_button")] == ["Download this table (CSV)",
                                                                  "Download the problems (CSV)"]
    at.switch_page("app_pages/portfolio.py").run()
    assert not at.exception
    assert "6 rows excluded by validation; table not usable: changes" in caption_text(at)
    assert at.dataframe[0].value["status"].iloc[0] == "❔ Unknown (data not usable)"


def _rendered(at: AppTest) -> list:
    """What a reader sees of a page: every table's values, metric and heading, in order."""
    return ([d.value.to_json(orient="split", date_format="iso") for d in at.dataframe]
            + [(m.label, m.value) for m in at.metric] + [t.value for t in at.title] + [h.value for h in at.subheader])


@pytest.mark.parametrize("page", [p for p in PAGES if p not in ("app_pages/expectations.py",
                                                                "app_pages/data_health.py")])
@pytest.mark.parametrize("program", ["CAR19-201", None])
def test_a_second_reader_sees_what_the_first_saw(monkeypatch, page, program):
    """Reports are shared between sessions as one object: a page that changed it would show the next reader
    something else."""
    params = {"as_of": AS_OF, **({"program": program} if program else {})}
    first = _rendered(open_app(monkeypatch, page=page, **params))
    assert first == _rendered(open_app(monkeypatch, page=page, **params))
