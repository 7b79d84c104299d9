"""One lens's report (what a lens page and `report --lens` show): the full report's figures, findings and lens status
for that lens, computed by that lens alone, programs worst first in the lens."""

from __future__ import annotations

import json
from datetime import date

import pytest

from conftest import TODAY, clean_program_tables, write_tables
from test_app import AS_OF, SAMPLE, open_app
from readiness import queries
from readiness.cli import main
from readiness.dataset import load_dataset
from readiness.report import LENSES_BY_NAME, UnknownLens, build_lens_report, build_report


def three_programs() -> dict:
    """P0 and P1 clean; P2 the same program, but its administered lot B1 has no viability result (BL002, high)."""
    base = clean_program_tables()
    out = {name: {column: [] for column in columns} for name, columns in base.items()}
    for pid in ("P0", "P1", "P2"):
        def renamed(column, value):
            if value is None or column not in ("program_id", "batch_id", "assay_id", "change_id"):
                return value
            return pid if column == "program_id" else f"{pid}-{value}"
        for name, columns in base.items():
            rows = list(zip(*columns.values()))
            if pid == "P2" and name == "results":
                rows = [r for r in rows if (r[0], r[1]) != ("B1", "viability")]
            for row in rows:
                for column, value in zip(columns, row):
                    out[name][column].append(renamed(column, value))
    return out


@pytest.fixture(scope="module")
def sample():
    ds = load_dataset(SAMPLE)
    return ds, build_report(ds, date.fromisoformat(AS_OF), trend=False)


@pytest.mark.parametrize("lens", list(LENSES_BY_NAME))
def test_a_lens_report_says_of_its_lens_exactly_what_the_full_report_says(sample, lens):
    ds, full = sample
    report = build_lens_report(ds, date.fromisoformat(AS_OF), lens)
    assert report["lens"] == lens
    assert {k: v for k, v in report.items() if k not in ("lens", "programs")} == \
        {k: v for k, v in full.items() if k not in ("summary", "programs")}
    by_id = {p["program_id"]: p for p in full["programs"]}
    assert sorted(by_id) == sorted(p["program_id"] for p in report["programs"])
    for p in report["programs"]:
        whole = by_id[p["program_id"]]
        assert "status" not in p and "score" not in p and "trend" not in p
        assert p["lenses"] == {lens: whole["lenses"][lens]}
        assert p["lens_status"] == {lens: whole["lens_status"][lens]}
        assert p["findings"] == [f for f in whole["findings"] if f["lens"] == lens]
        assert {k: p[k] for k in ("name", "phase", "modality", "days_to_milestone")} == \
            {k: whole[k] for k in ("name", "phase", "modality", "days_to_milestone")}


def test_programs_come_worst_first_in_the_lens_then_by_score_and_id(tmp_path):
    ds = load_dataset(write_tables(tmp_path / "data", three_programs()), TODAY)
    report = build_lens_report(ds, TODAY, "baseline")
    assert [(p["program_id"], p["lens_status"]["baseline"]["status"], p["lens_status"]["baseline"]["score"])
            for p in report["programs"]] == [("P2", "off_track", 49), ("P0", "on_track", 100), ("P1", "on_track", 100)]
    assert [(f["code"], f["subject"]) for f in report["programs"][0]["findings"]] == [("BL002", "P2-B1")]
    one = build_lens_report(ds, TODAY, "baseline", "P1")
    assert [p["program_id"] for p in one["programs"]] == ["P1"]


def test_a_lens_report_asks_only_its_own_lens_questions(tmp_path, monkeypatch):
    ds = load_dataset(write_tables(tmp_path / "data", three_programs()), TODAY)
    asked = []
    run = queries.run
    monkeypatch.setattr(queries, "run", lambda con, name, params=None, scope=None: asked.append(name) or
                        run(con, name, params, scope))
    build_lens_report(ds, TODAY, "materials")
    assert sorted(asked) == ["gmp_uses_to_cite", "materials_on_date", "new_supplier_materials", "program_phases",
                             "qualified_gmp_lots_by_month"]


def test_an_unknown_lens_is_refused(tmp_path):
    ds = load_dataset(write_tables(tmp_path / "data", three_programs()), TODAY)
    with pytest.raises(UnknownLens):
        build_lens_report(ds, TODAY, "supply_chain")


def test_report_lens_on_the_command_line(tmp_path, capsys):
    data = write_tables(tmp_path / "data", three_programs())
    assert main(["report", "--data", str(data), "--as-of", TODAY.isoformat(), "--lens", "baseline"]) == 0
    printed = json.loads(capsys.readouterr().out)
    ds = load_dataset(data)
    assert printed == json.loads(json.dumps(build_lens_report(ds, TODAY, "baseline")))
    assert main(["report", "--data", str(data), "--as-of", TODAY.isoformat(), "--lens", "baseline",
                 "--program", "P2", "--format", "text"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (f"CMC readiness as of {TODAY}, Batch records & baseline only - data: {data} "
                        "(0 rows excluded by validation)")
    assert lines[3:5] == ["P2  Test CAR-T  [phase_1]  OFF TRACK 49/100",
                          f"  HIGH   BL002  {printed['programs'][0]['findings'][0]['message']}"]
    with pytest.raises(SystemExit) as refused:
        main(["report", "--data", str(data), "--lens", "supply_chain"])
    assert refused.value.code == 2 and "invalid choice: 'supply_chain'" in capsys.readouterr().err


def test_a_lens_page_never_waits_for_the_other_lenses(monkeypatch):
    def every_lens(*_, **__):
        raise AssertionError("a lens page computed the report of every lens")
    monkeypatch.setattr("readiness.ui.data.build_report", every_lens)
    at = open_app(monkeypatch, page="app_pages/materials.py", as_of=AS_OF)
    assert [t.value for t in at.title] == ["Materials & suppliers"] and not at.exception and not at.error
    assert set(at.dataframe[0].value["lens"]) == {"Materials & suppliers"}
