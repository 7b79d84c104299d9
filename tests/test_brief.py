"""The weekly brief: new and resolved findings between two days, the activity in between, and its exports."""

from __future__ import annotations

import json
import os

import pytest
from playwright.sync_api import sync_playwright

from conftest import D, minimal_tables, write_tables
from readiness.brief import build_brief, finding_key
from readiness.dataset import load_dataset
from readiness.report import build_report
from test_app import open_app
from test_browser import CHROMIUM, FLAGS
from test_cli import run_cli

SINCE, AS_OF = D(2026, 9, 20), D(2026, 11, 10)


def brief_tables():
    """B2 (made after SINCE) becomes overdue for sterility -> a new BL001; B3's late viability result,
    out of specification, resolves its BL001; change C1 is approved in between."""
    t = minimal_tables()
    t["batches"] = {
        "batch_id": ["B1", "B2", "B3"], "program_id": ["P1"] * 3, "purpose": ["clinical"] * 3,
        "process_version": ["v1"] * 3, "manufactured_on": [D(2026, 1, 10), D(2026, 10, 1), D(2026, 8, 1)],
        "disposition": ["administered", "in_process", "in_process"],
        "disposition_on": [D(2026, 2, 1), None, None],
    }
    rows = [
        ("B1", "viability", 85.0, None, D(2026, 1, 12)),
        ("B1", "sterility", None, "no growth", D(2026, 1, 24)),
        ("B2", "viability", 88.0, None, D(2026, 10, 2)),
        ("B3", "sterility", None, "no growth", D(2026, 8, 15)),
        ("B3", "viability", 60.0, None, D(2026, 11, 1)),  # late, and below the 70% limit
    ]
    t["results"] = dict(zip(["batch_id", "attribute", "value", "text_value", "tested_on"], map(list, zip(*rows))))
    t["changes"]["approved_on"] = [D(2026, 10, 5)]
    return t


@pytest.fixture
def data(tmp_path):
    return write_tables(tmp_path / "data", brief_tables())


@pytest.fixture
def ds(data):
    loaded = load_dataset(data, D(2026, 11, 24))
    assert loaded.problems == []
    return loaded


def keys(found):
    return [finding_key(f) for f in found]


def test_one_finding_appears_and_one_is_resolved(ds):
    brief = build_brief(ds, SINCE, AS_OF)
    [p1] = brief["programs"]
    assert [k for k in keys(p1["new_findings"]) if k[1].startswith("BL")] == [("P1", "BL001", "B2")]
    assert [k for k in keys(p1["resolved_findings"]) if k[1].startswith("BL")] == [("P1", "BL001", "B3")]


def test_new_and_resolved_are_the_difference_of_the_two_reports(ds):
    """One code path: the brief is two reports compared, whatever checks exist."""
    now = {finding_key(f) for p in build_report(ds, AS_OF, trend=False)["programs"] for f in p["findings"]}
    then = {finding_key(f) for p in build_report(ds, SINCE, trend=False)["programs"] for f in p["findings"]}
    brief = build_brief(ds, SINCE, AS_OF)
    assert set(keys(f for p in brief["programs"] for f in p["new_findings"])) == now - then
    assert set(keys(f for p in brief["programs"] for f in p["resolved_findings"])) == then - now
    assert brief["totals"]["new_findings"] == len(now - then)
    assert brief["totals"]["resolved_findings"] == len(then - now)


def test_activity_in_between(ds):
    brief = build_brief(ds, SINCE, AS_OF)
    assert [(r["batch_id"], r["manufactured_on"]) for r in brief["activity"]["batches_made_between"]] == \
        [("B2", "2026-10-01")]
    assert [(r["batch_id"], r["attribute"], r["value"], r["lower_limit"])
            for r in brief["activity"]["out_of_spec_results_between"]] == [("B3", "viability", 60.0, 70.0)]
    assert [(r["change_id"], r["event"], r["event_on"]) for r in brief["activity"]["change_events_between"]] == \
        [("C1", "approved", "2026-10-05")]
    assert brief["activity"]["batch_dispositions_between"] == []
    assert brief["totals"]["out_of_spec_results_between"] == 1


def test_status_and_score_then_and_now(ds):
    brief = build_brief(ds, SINCE, AS_OF)
    [p1] = brief["programs"]
    now, then = build_report(ds, AS_OF, trend=False)["programs"][0], build_report(ds, SINCE, trend=False)["programs"][0]
    assert (p1["status_then"], p1["score_then"], p1["status_now"], p1["score_now"]) == \
        (then["status"], then["score"], now["status"], now["score"])
    assert p1["score_delta"] == now["score"] - then["score"]


def test_the_earlier_day_must_come_first(data):
    code, out, err = run_cli("brief", "--data", str(data), "--since", "2026-11-10", "--as-of", "2026-11-10")
    assert (code, out) == (2, "")
    assert err == "error: the 'since' day (2026-11-10) must be before the as-of day (2026-11-10)\n"


def test_cli_json_and_page_show_the_same_counts(data, monkeypatch):
    code, out, _ = run_cli("brief", "--data", str(data), "--since", SINCE.isoformat(), "--as-of",
                           AS_OF.isoformat())
    assert code == 0
    totals = json.loads(out)["totals"]
    at = open_app(monkeypatch, data=data, page="app_pages/weekly_brief.py", as_of=AS_OF.isoformat(),
                  since=SINCE.isoformat())
    assert {m.label: m.value for m in at.metric} == {
        "New findings": str(totals["new_findings"]), "New high findings": str(totals["new_high_findings"]),
        "Resolved findings": str(totals["resolved_findings"]), "Need a decision": str(totals["needs_decision"]),
        "Batches manufactured": str(totals["batches_made_between"])}
    assert at.query_params["since"] == SINCE.isoformat()


def test_a_bad_since_in_a_link_is_a_notice(data, monkeypatch):
    at = open_app(monkeypatch, data=data, page="app_pages/weekly_brief.py", as_of=AS_OF.isoformat(),
                  since="last week")
    assert at.warning[0].value == ("The link's since date “last week” is not a date (YYYY-MM-DD); "
                                   "showing 2026-11-03.")


def test_html_brief_is_self_contained_and_says_what_it_was_computed_from(data, tmp_path):
    out = tmp_path / "brief.html"
    code, stdout, _ = run_cli("brief", "--data", str(data), "--since", SINCE.isoformat(), "--as-of",
                              AS_OF.isoformat(), "--out", str(out))
    assert code == 0 and stdout.startswith(f"Wrote {out}: ")
    html = out.read_text()
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org/", "")
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing"
    requests = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.goto(out.as_uri())
        text = page.inner_text("body")
        browser.close()
    assert requests and all(u.startswith(("file://", "data:")) for u in requests), requests
    assert "CMC weekly brief: 2026-09-20 → 2026-11-10" in text
    assert "P1 · Test CAR-T" in text
    assert f"fingerprint {load_dataset(data).fingerprint}" in text and "readiness 0.1.0" in text
    assert "Batch B2 (in process, made 2026-10-01) has no valid result for sterility" in text
    assert "Results out of specification (1)" in text


def test_the_page_offers_the_brief_as_html_and_json(monkeypatch):
    at = open_app(monkeypatch, page="app_pages/weekly_brief.py", as_of="2026-11-24", since="2026-10-24")
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[-2:] == ["Download the brief (HTML, prints to PDF)", "Download the brief (JSON)"]
    assert at.get("download_button")[-2].proto.url.endswith(".html")
