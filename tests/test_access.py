"""The access rules, the data scope that enforces them, and the access log, without a browser."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from conftest import ROOT, D, TODAY, minimal_tables, write_tables
from readiness import access
from readiness.access import ALL, AccessFileError, AccessLogError, allowed_programs, parse_rules
from readiness.brief import build_brief
from readiness.contract import TABLES
from readiness.dataset import load_dataset
from readiness.report import UnknownProgram, build_report, summary

RULES = """
contact = "Ask Dana Reyes, CMC data steward (dana.reyes@x-bio.example)."

[rules]
"@x-bio.example" = ["CAR19-201", "BCMA-101"]
"Carol@X-Bio.example" = "*"
"dave@x-bio.example" = []
"bob@partner.example" = ["AAV9-SMN-301"]
"""


@pytest.fixture(scope="module")
def rules():
    return parse_rules(RULES, "access.toml")


def test_an_exact_user_gets_the_programs_of_their_rule(rules):
    assert allowed_programs("bob@partner.example", rules) == {"AAV9-SMN-301"}


def test_a_domain_rule_covers_everyone_at_that_domain_and_not_its_subdomains(rules):
    assert allowed_programs("alice@x-bio.example", rules) == {"CAR19-201", "BCMA-101"}
    assert allowed_programs("ALICE@X-BIO.EXAMPLE ", rules) == {"CAR19-201", "BCMA-101"}
    assert allowed_programs("eve@lab.x-bio.example", rules) == frozenset()


def test_wildcard_is_every_program_and_an_exact_rule_wins_over_the_domain(rules):
    assert allowed_programs("carol@x-bio.example", rules) is ALL
    assert allowed_programs("dave@x-bio.example", rules) == frozenset()  # narrowed below the domain's rule


def test_no_match_and_no_address_see_nothing(rules):
    assert allowed_programs("mallory@elsewhere.example", rules) == frozenset()
    assert allowed_programs(None, rules) == frozenset()
    assert allowed_programs("", rules) == frozenset()
    assert allowed_programs("not-an-address", rules) == frozenset()
    assert rules.contact == "Ask Dana Reyes, CMC data steward (dana.reyes@x-bio.example)."


@pytest.mark.parametrize("text, says", [
    ("[rules\n", "is not valid TOML"),
    ("contact = 'Ask Dana.'\n", "a [rules] table is required"),
    ("[rules]\n'alice' = ['P1']\n", "rule 'alice' is neither an e-mail address nor an @domain"),
    ("[rules]\n'@x.example' = ['P1', '*']\n", "\"*\" stands alone"),
    ("[rules]\n'@x.example' = 'P1'\n", "must be \"*\" or a list of program ids"),
    ("[rules]\n'@x.example' = [1]\n", "must be \"*\" or a list of program ids"),
    ("[rules]\n'a@x.example' = ['P1']\n'A@x.example' = ['P2']\n", "is listed twice"),
    ("[rules]\n'@x.example' = ['P1']\n[users]\n", "users is not a key of an access file"),
    ("contact = ''\n[rules]\n", "`contact` must be a sentence"),
])
def test_a_malformed_file_is_a_clear_error(text, says):
    with pytest.raises(AccessFileError) as caught:
        parse_rules(text, "access.toml")
    assert says in str(caught.value) and str(caught.value).startswith("access.toml")


def test_a_missing_file_is_an_error_not_an_open_door(tmp_path):
    with pytest.raises(AccessFileError, match="does not exist"):
        access.load_rules(tmp_path / "access.toml")


def test_the_checker_says_what_each_address_sees_and_fails_on_a_broken_file(tmp_path, capsys):
    good = tmp_path / "access.toml"
    good.write_text(RULES)
    assert access.main([str(good), "alice@x-bio.example", "carol@x-bio.example", "zed@nowhere.example"]) == 0
    out = capsys.readouterr().out
    assert "alice@x-bio.example: BCMA-101, CAR19-201" in out
    assert "carol@x-bio.example: every program" in out and "zed@nowhere.example: nothing" in out
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules]\n'@x.example' = ['P1', '*']\n")
    assert access.main([str(bad), "a@x.example"]) == 1
    assert "with this file nobody sees any program" in capsys.readouterr().err


# --- the data scope ---------------------------------------------------------------------------------------------

def two_programs() -> dict:
    """P1 from the minimal tables, and P2 with one clinical batch whose required result is missing."""
    t = minimal_tables()
    t["programs"] = {"program_id": ["P1", "P2"], "name": ["Test CAR-T", "Secret AAV"],
                     "modality": ["autologous_cell", "aav"], "phase": ["phase_1", "phase_1"]}
    t["batches"] = {k: v + [w] for (k, v), w in zip(t["batches"].items(), [
        "S1", "P2", "clinical", "v1", D(2026, 3, 10), "administered", D(2026, 4, 1)])}
    t["attributes"] = {k: v + [w] for (k, v), w in zip(t["attributes"].items(), [
        "P2", "viability", "cqa", "viability", "%", 70.0, None, "phase_1"])}
    t["changes"] = {k: v + [w] for (k, v), w in zip(t["changes"].items(), [
        "C2", "P2", "Secret site move", "site", "high", D(2026, 11, 1), False])}
    return t


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    return load_dataset(write_tables(tmp_path_factory.mktemp("two") / "data", two_programs()), TODAY)


def test_a_reader_of_everything_gets_the_dataset_itself(ds):
    assert access.restrict(ds, ALL) is ds


def test_the_report_holds_only_the_readers_programs(ds):
    full = build_report(ds, TODAY)
    assert [p["program_id"] for p in full["programs"]] == ["P2", "P1"]  # P2's administered gap: off track
    p1 = next(p for p in full["programs"] if p["program_id"] == "P1")
    mine = build_report(access.restrict(ds, frozenset({"P1"})), TODAY)
    assert [p["program_id"] for p in mine["programs"]] == ["P1"]
    assert mine["programs"][0] == p1  # the same figures, findings and trend as in everyone's report
    assert mine["summary"] == summary([p1], TODAY)  # the roll-up counts P1 alone
    assert sum(mine["summary"]["programs_by_status"].values()) == 1
    assert "P2" not in json.dumps(mine) and "Secret" not in json.dumps(mine)


def test_a_forbidden_program_looks_exactly_like_one_that_does_not_exist(ds):
    scoped = access.restrict(ds, frozenset({"P1"}))
    with pytest.raises(UnknownProgram) as forbidden:
        build_report(scoped, TODAY, "P2")
    with pytest.raises(UnknownProgram) as missing:
        build_report(scoped, TODAY, "NOPE")
    assert str(forbidden.value) == "P2" and str(missing.value) == "NOPE"


def test_linked_tables_and_every_query_are_scoped(ds):
    scoped = access.restrict(ds, frozenset({"P2"}))
    cells = scoped.query("required_results", as_of=TODAY, program_id=None, phases=["phase_1"], due_days=21)
    assert set(cells["program_id"]) == {"P2"}
    results = scoped.con.cursor().execute(f"SELECT batch_id FROM {scoped.scope}.results").fetchall()
    assert results == []  # P2's only batch has no results; P1's four are out of scope
    assert len(ds.query("program_phases", as_of=TODAY, program_id=None)) == 2  # the unscoped view is unchanged


def test_nothing_allowed_is_nothing_visible(ds):
    report = build_report(access.restrict(ds, frozenset()), TODAY)
    assert report["programs"] == [] and report["summary"]["open_high_findings"] == 0


def test_the_brief_and_its_activity_are_scoped(ds):
    brief = build_brief(access.restrict(ds, frozenset({"P1"})), date(2025, 1, 1), TODAY)
    assert [p["program_id"] for p in brief["programs"]] == ["P1"]
    rows = [row for rows in brief["activity"].values() for row in rows]
    assert rows and {row["program_id"] for row in rows} == {"P1"}
    assert "Secret" not in json.dumps(brief)


def test_the_same_programs_share_one_scope_and_problems_lose_their_rows(make_data):
    tables = minimal_tables()
    tables["batches"]["purpose"] = ["clinical", "Clinical"]
    data = load_dataset(make_data({"batches": tables["batches"]}), TODAY)
    first, second = access.restrict(data, frozenset({"P1"})), access.restrict(data, frozenset({"P1"}))
    assert first.scope == second.scope and first.scope != access.restrict(data, frozenset({"P9"})).scope
    assert data.problems[0].examples and "B2" in str(data.problems[0].examples[0])
    shown = first.problems[0]
    assert shown.examples == () and shown.file is None and shown.row_count == data.problems[0].row_count
    assert shown.message == ("1 row excluded (unknown_value). The details are shown to readers of every program.")


def test_every_contract_table_is_scoped(ds):
    """A new table without a link to a program would be visible to every reader: this makes adding one a decision."""
    scoped = access.restrict(ds, frozenset({"P1"}))
    views = {r[0] for r in ds.con.execute("SELECT view_name FROM duckdb_views() WHERE schema_name = $s",
                                          {"s": scoped.scope}).fetchall()}
    assert views == {t.name for t in TABLES}


def test_no_query_can_step_around_the_scope():
    """The scope works through the search path: a query naming `main.` or reading files directly would escape it."""
    offenders = [p.relative_to(ROOT).as_posix() for p in (ROOT / "queries").rglob("*.sql")
                 if p.parent.name != "validation"
                 and re.search(r"\bmain\.|read_parquet|parquet_scan|'[^']*\.parquet'", p.read_text(), re.I)]
    assert offenders == []
    pages = [p.relative_to(ROOT).as_posix() for p in [*(ROOT / "app_pages").glob("*.py"),
                                                       *(ROOT / "readiness" / "ui").glob("*.py")]
             if re.search(r"\.con\b", p.read_text()) and p.name != "data.py"]
    assert pages == []


# --- the access log ---------------------------------------------------------------------------------------------

def test_the_log_appends_one_json_line_per_event(tmp_path):
    path = tmp_path / "logs" / "access.log.jsonl"
    access.write_log(path, "alice@x-bio.example", "/", None, "signed_in")
    access.write_log(path, "bob@partner.example", "/baseline", "CAR19-201", "denied", "program_not_available")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(e["user"], e["page"], e["program"], e["outcome"], e["reason"]) for e in lines] == [
        ("alice@x-bio.example", "/", None, "signed_in", None),
        ("bob@partner.example", "/baseline", "CAR19-201", "denied", "program_not_available")]
    assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$", e["time"]) for e in lines)


def test_the_log_is_never_in_the_data_directory(tmp_path):
    with pytest.raises(AccessLogError, match="inside the data directory"):
        access.check_log_path(tmp_path / "data" / "access.log.jsonl", str(tmp_path / "data"))
    assert access.check_log_path(tmp_path / "logs" / "a.jsonl", str(tmp_path / "data")) == \
        (tmp_path / "logs" / "a.jsonl").resolve()
    assert access.check_log_path(tmp_path / "a.jsonl", "s3://bucket/exports").name == "a.jsonl"


def test_an_unwritable_log_is_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(AccessLogError, match="cannot be written"):
        access.write_log(blocker / "access.log.jsonl", "a@x.example", "/", None, "signed_in")
