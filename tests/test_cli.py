"""The CLI: exit codes, the JSON shape, and that it says what is wrong without a stack trace."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT, clean_program_tables, minimal_tables, write_tables
from readiness.cli import main


def run_cli(*args):
    done = subprocess.run([sys.executable, "-m", "readiness", *args], cwd=ROOT, capture_output=True, text=True)
    return done.returncode, done.stdout, done.stderr


def test_validate_exits_0_on_clean_data_and_1_on_errors(make_data, capsys):
    assert main(["validate", "--data", str(make_data())]) == 0
    assert "0 errors, 0 warnings; 0 rows excluded by validation." in capsys.readouterr().out
    assert main(["validate", "--data", str(make_data({"results": None}, name="broken"))]) == 1
    out = capsys.readouterr().out
    assert "ERROR   results: Table `results` was not found" in out
    assert "1 error, 0 warnings; 0 rows excluded by validation; table not usable: results." in out


def test_validate_warnings_pass_unless_strict(make_data, capsys):
    tables = minimal_tables()
    tables["batches"]["purpose"] = ["clinical", "Clinical"]
    data = make_data({"batches": tables["batches"]})
    assert main(["validate", "--data", str(data)]) == 0
    assert main(["validate", "--data", str(data), "--strict"]) == 1
    # B2's results go too: their batch was excluded
    assert "0 errors, 2 warnings; 3 rows excluded by validation." in capsys.readouterr().out


def test_validate_json_lists_tables_and_problems(make_data, capsys):
    tables = minimal_tables()
    tables["batches"]["purpose"] = ["clinical", "Clinical"]
    main(["validate", "--data", str(make_data({"batches": tables["batches"]})), "--format", "json"])
    payload = json.loads(capsys.readouterr().out)
    assert payload["tables"]["batches"] == {"status": "ok", "files": ["batches.parquet"], "rows_read": 2,
                                            "rows_excluded": 1}
    [problem] = [p for p in payload["problems"] if p["table"] == "batches"]
    assert (problem["severity"], problem["column"], problem["code"], problem["row_count"]) == \
        ("warning", "purpose", "unknown_value", 1)
    assert problem["examples"] == ["batch_id=B2 (batches.parquet row 2)"]


def test_usage_errors_exit_2_with_one_line():
    code, out, err = run_cli("report", "--data", "/nonexistent/dir")
    assert (code, out, err) == (2, "", "error: data directory not found: /nonexistent/dir\n")
    code, _, err = run_cli("report", "--as-of", "2026-02-30")
    assert (code, err) == (2, "error: not a date: '2026-02-30' (expected YYYY-MM-DD)\n")
    code, _, err = run_cli("report", "--format", "yaml")
    assert code == 2 and "invalid choice: 'yaml'" in err and "Traceback" not in err


def test_report_json_shape(make_data, capsys):
    data = make_data(base=clean_program_tables)
    assert main(["report", "--data", str(data), "--as-of", "2026-11-24"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["as_of"] == "2026-11-24"
    assert report["data"]["location"] == str(data) and report["data"]["rows_excluded"] == 0
    [program] = report["programs"]
    assert {"program_id", "phase", "status", "score", "lenses", "findings"} <= program.keys()
    assert (program["program_id"], program["phase"], program["status"]) == ("P1", "phase_1", "on_track")
    assert program["lenses"]["baseline"]["baseline_completeness"] == 1.0
    assert program["findings"] == []


def test_report_for_one_program_and_an_unknown_one(tmp_path, capsys):
    tables = minimal_tables()
    tables["programs"] = {"program_id": ["P1", "P2"], "name": ["A", "B"], "modality": ["aav", "aav"],
                          "phase": ["phase_1", "phase_3"]}
    tables["results"] = {k: v[1:] for k, v in tables["results"].items()}  # B1 administered without viability
    data = write_tables(tmp_path / "data", tables)
    assert main(["report", "--data", str(data), "--program", "P1", "--as-of", "2026-11-24"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [p["program_id"] for p in report["programs"]] == ["P1"]
    assert [(f["code"], f["subject"]) for f in report["programs"][0]["findings"] if f["code"] in ("BL001", "BL002")] \
        == [("BL002", "B1")]
    assert main(["report", "--data", str(data), "--program", "P9"]) == 2
    assert capsys.readouterr().err == f"error: no program 'P9' in {data}\n"


def test_report_text_format(make_data, capsys):
    main(["report", "--data", str(make_data(base=clean_program_tables)), "--as-of", "2026-11-24", "--format", "text"])
    out = capsys.readouterr().out
    assert "P1  Test CAR-T  [phase_1]  ON TRACK" in out
    assert "baseline: 100.0% complete (10/10 required results), 0 irrecoverable, 0 pending" in out


def test_report_as_of_reproduces_a_past_day(make_data, capsys):
    data = str(make_data())
    main(["report", "--data", data, "--as-of", "2026-01-20"])
    past = json.loads(capsys.readouterr().out)["programs"][0]["lenses"]["baseline"]
    # B1 was made 2026-01-10: viability was tested on the 12th, sterility (tested on the 24th) is still pending
    assert (past["required_results_present"], past["required_results_pending"]) == (1, 1)


def test_an_internal_failure_is_one_line_not_a_trace(make_data, monkeypatch, capsys):
    def boom(*_, **__):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr("readiness.cli.build_report", boom)
    assert main(["report", "--data", str(make_data())]) == 3
    assert capsys.readouterr().err == "internal error: RuntimeError: disk on fire\n"


def test_generated_docs_match_the_code():
    code, out, _ = run_cli("docs", "--check")
    assert (code, out) == (0, "")
