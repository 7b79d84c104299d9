"""The score store (readiness/score_store.py): a stored day equals the computed one, every input that can change a
score changes its key, it is never written into the data directory, and a broken store only costs time."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, TODAY, clean_program_tables, write_tables
from test_cli import run_cli
from readiness import report as report_module
from readiness import tables
from readiness.dataset import load_dataset
from readiness.expectations import load_expectations
from readiness.report import build_report, build_trend, day_portfolio, portfolio_digest, trend_dates
from readiness.brief import build_brief, program_brief
from readiness.score_store import MONTH_END_SCORES, PORTFOLIO, STORE_ENV, WEEKLY_BRIEF, ScoreStore, refusal, store_root

SAMPLE = ROOT / "sample_data"


@pytest.fixture
def counted(monkeypatch):
    """The days a report was computed for (each month end of a trend is one)."""
    days = []
    real = report_module._snapshot

    def snapshot(ds, as_of, program_id, expectations):
        days.append(as_of)
        return real(ds, as_of, program_id, expectations)

    monkeypatch.setattr(report_module, "_snapshot", snapshot)
    return days


def stored_files(store, kind=MONTH_END_SCORES) -> list:
    return sorted((store / kind).glob("*.json"))


def test_month_ends_are_computed_once_per_data_version_and_read_back_equal(score_store, counted):
    ds, yardstick = load_dataset(SAMPLE, TODAY), load_expectations()
    first = build_trend(ds, TODAY, None, yardstick)
    assert counted == trend_dates(TODAY)[:-1]
    assert len(stored_files(score_store)) == 12
    counted.clear()
    assert build_trend(ds, TODAY, None, yardstick) == first
    assert counted == []
    again = load_dataset(SAMPLE, TODAY)  # another process loading the same files finds them too
    assert build_trend(again, TODAY, None, yardstick) == first and counted == []


def test_the_report_with_a_stored_trend_is_byte_identical_to_one_computed_without_a_store(monkeypatch, score_store):
    ds = load_dataset(SAMPLE, TODAY)
    monkeypatch.setenv(STORE_ENV, "off")
    computed = json.dumps(build_report(ds, TODAY), indent=2)
    monkeypatch.setenv(STORE_ENV, str(score_store))
    assert json.dumps(build_report(ds, TODAY), indent=2) == computed  # computed, then stored
    assert len(stored_files(score_store)) == 12
    assert json.dumps(build_report(ds, TODAY), indent=2) == computed  # read back


def test_every_input_of_a_score_is_in_its_key(tmp_path):
    ds, yardstick = load_dataset(SAMPLE, TODAY), load_expectations()
    override = tmp_path / "stricter.toml"
    override.write_text('[settings]\ncapability_min_lots = 30\n')
    stricter = load_expectations(override)
    assert not stricter.problems
    store = ScoreStore(tmp_path, MONTH_END_SCORES)
    day = date(2026, 10, 31)
    key = store.key(ds, day, None, yardstick)
    assert store.key(load_dataset(SAMPLE, TODAY), day, None, load_expectations()) == key
    assert store.key(load_dataset(SAMPLE, date(2026, 11, 30)), day, None, yardstick) == key  # loaded days later
    variants = {
        "another data version": store.key(dataclasses.replace(ds, fingerprint="0" * 16), day, None, yardstick),
        "other rows kept by validation": store.key(dataclasses.replace(ds, tables={
            **ds.tables, "results": dataclasses.replace(ds.tables["results"], rows_excluded=1)}), day, None, yardstick),
        "another reader's scope": store.key(dataclasses.replace(ds, scope="scope_abc"), day, None, yardstick),
        "one program": store.key(ds, day, "CAR19-201", yardstick),
        "another yardstick": store.key(ds, day, None, stricter),
        "another day": store.key(ds, date(2026, 9, 30), None, yardstick),
        "a brief's earlier day": store.key(ds, day, None, yardstick, date(2026, 10, 24)),
    }
    assert key not in variants.values() and len(set(variants.values())) == len(variants)


def test_a_changed_data_file_is_a_new_data_version(make_data, counted):
    folder = make_data()
    build_trend(load_dataset(folder, TODAY), TODAY)
    counted.clear()
    write_tables(folder, {"results": clean_program_tables()["results"]})  # a lab adds results
    build_trend(load_dataset(folder, TODAY), TODAY)
    assert counted == trend_dates(TODAY)[:-1]


def test_the_store_is_never_inside_the_data_directory(make_data, monkeypatch, counted):
    folder = make_data()
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    monkeypatch.setenv(STORE_ENV, str(folder / "store"))
    ds = load_dataset(folder, TODAY)
    assert refusal(ds) == (f"the store ({folder / 'store'}) lies inside the data directory ({folder}), "
                           "which is never written to")
    assert ScoreStore.for_dataset(ds, MONTH_END_SCORES) is None
    build_trend(ds, TODAY)
    build_trend(ds, TODAY)
    assert len(counted) == 24  # computed each time, stored nowhere
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before


def test_off_and_object_storage_are_not_stored(monkeypatch, tmp_path):
    monkeypatch.setenv(STORE_ENV, "off")
    assert store_root() is None
    assert refusal(load_dataset(SAMPLE, TODAY)) == f"{STORE_ENV} is off"
    monkeypatch.setenv(STORE_ENV, str(tmp_path))
    remote = SimpleNamespace(source=SimpleNamespace(remote=True), location="s3://bucket/cmc")
    assert refusal(remote) == "data on object storage is fingerprinted by its URI only, so its scores are not stored"
    monkeypatch.delenv(STORE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert store_root() == tmp_path / "cache" / "cgt-readiness"


def test_an_unreadable_stored_file_is_computed_again_and_rewritten(score_store, counted):
    ds = load_dataset(SAMPLE, TODAY)
    first = build_trend(ds, TODAY)
    broken = stored_files(score_store)[0]
    broken.write_text('{"key": "trunc')
    counted.clear()
    assert build_trend(ds, TODAY) == first
    assert len(counted) == 1
    assert json.loads(broken.read_text())["key"] == broken.stem


def test_a_store_that_cannot_be_written_only_costs_time(monkeypatch, tmp_path, counted):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(STORE_ENV, str(blocker / "store"))
    ds = load_dataset(SAMPLE, TODAY)
    assert build_trend(ds, TODAY) == build_trend(ds, TODAY)
    assert len(counted) == 24
    assert blocker.read_text() == "not a folder"


def test_the_portfolio_digest_holds_what_the_report_says(score_store, counted):
    ds, yardstick = load_dataset(SAMPLE, TODAY), load_expectations()
    full = build_report(ds, TODAY, trend=False)
    counted.clear()
    digest = day_portfolio(ds, TODAY, yardstick)
    assert digest == portfolio_digest(full) and len(counted) == 1
    assert day_portfolio(ds, TODAY, yardstick) == digest and len(counted) == 1  # read back from the store
    assert len(stored_files(score_store, PORTFOLIO)) == 1
    assert digest["summary"] == full["summary"]
    first = digest["programs"][0]
    assert (first["program_id"], first["high_findings"], first["baseline_completeness"]) == (
        "BCMA-101", sum(f["severity"] == "high" for f in full["programs"][0]["findings"]),
        full["programs"][0]["lenses"]["baseline"]["baseline_completeness"])
    assert first["top_finding"] == full["programs"][0]["findings"][0]["message"]
    assert "findings" not in first and "lenses" not in first
    shown = tables.portfolio(digest)
    assert list(shown["program_id"]) == [p["program_id"] for p in full["programs"]]
    assert list(shown["high_findings"]) == [sum(f["severity"] == "high" for f in p["findings"])
                                            for p in full["programs"]]


def test_precompute_stores_the_month_ends_and_the_days_portfolio(make_data, score_store, monkeypatch):
    folder = make_data()
    code, out, err = run_cli("precompute", "--data", str(folder), "--as-of", "2026-11-24")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("2025-11-30  month end scores: computed in ")
    assert lines[11].startswith("2026-10-31  month end scores: computed in ")
    assert lines[12].startswith("2026-11-24  portfolio: computed in ")
    assert lines[13].startswith("2026-11-24  weekly brief since 2026-11-17 (all programs, then each of the 1 on its "
                                "own): computed in ")
    assert lines[14].startswith(f"Stored in {score_store} for {folder} (data fingerprint ")
    assert len(stored_files(score_store)) == 12 and len(stored_files(score_store, PORTFOLIO)) == 1
    assert len(stored_files(score_store, WEEKLY_BRIEF)) == 2  # every program's, and P1's
    code, out, _ = run_cli("precompute", "--data", str(folder), "--as-of", "2026-11-24")
    assert code == 0 and out.splitlines()[0] == "2025-11-30  month end scores: already stored"
    assert out.splitlines()[12] == "2026-11-24  portfolio: already stored"
    assert out.splitlines()[13] == ("2026-11-24  weekly brief since 2026-11-17 (all programs, then each of the 1 on "
                                    "its own): already stored")
    monkeypatch.setenv(STORE_ENV, "off")
    code, out, err = run_cli("precompute", "--data", str(folder))
    assert (code, out, err) == (2, "", f"error: nothing stored: {STORE_ENV} is off\n")


def test_a_precomputed_portfolio_opens_without_computing_any_report(make_data, monkeypatch, counted):
    """What `precompute` stores after a data load is what the first reader of the day is shown."""
    folder = make_data()
    assert run_cli("precompute", "--data", str(folder))[0] == 0  # today: the app's default day
    from readiness.ui import data
    data._portfolio.clear()
    data._day_scores.clear()
    monkeypatch.setenv("READINESS_DATA", str(folder))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Portfolio"]
    assert counted == []
    shown = at.dataframe[0].value
    assert list(shown["program_id"]) == ["P1"] and len(shown["score_trend"].iloc[0]) == 13  # 12 month ends and the day
    data._portfolio.clear()
    data._day_scores.clear()


def test_a_brief_is_computed_once_per_data_version_and_read_back_byte_identical(monkeypatch, score_store, counted):
    ds, yardstick = load_dataset(SAMPLE, TODAY), load_expectations()
    since = TODAY - timedelta(days=7)
    monkeypatch.setenv(STORE_ENV, "off")
    computed = json.dumps(build_brief(ds, since, TODAY, None, yardstick), indent=2)
    monkeypatch.setenv(STORE_ENV, str(score_store))
    counted.clear()
    assert json.dumps(build_brief(ds, since, TODAY, None, yardstick), indent=2) == computed  # computed, then stored
    assert counted == [TODAY, since] and len(stored_files(score_store, WEEKLY_BRIEF)) == 1
    counted.clear()
    again = load_dataset(SAMPLE, TODAY)  # another process loading the same files
    assert json.dumps(build_brief(again, since, TODAY, None, yardstick), indent=2) == computed
    assert counted == []
    build_brief(ds, since - timedelta(days=1), TODAY, None, yardstick)  # another earlier day is another brief
    assert counted == [TODAY, since - timedelta(days=1)] and len(stored_files(score_store, WEEKLY_BRIEF)) == 2


def test_after_precompute_a_programs_brief_is_read_not_computed(monkeypatch, score_store, counted):
    """Each program's stored brief is its cut of every program's: equal to the one computed for it alone."""
    assert run_cli("precompute", "--data", str(SAMPLE), "--as-of", TODAY.isoformat())[0] == 0
    ds, yardstick, since = load_dataset(SAMPLE, TODAY), load_expectations(), TODAY - timedelta(days=7)
    programs = sorted(ds.con.execute("SELECT program_id FROM programs").fetchall())
    assert len(stored_files(score_store, WEEKLY_BRIEF)) == 1 + len(programs)
    counted.clear()
    stored = {pid: build_brief(ds, since, TODAY, pid, yardstick) for (pid,) in programs}
    assert counted == []
    monkeypatch.setenv(STORE_ENV, "off")
    assert stored == {pid: build_brief(ds, since, TODAY, pid, yardstick) for (pid,) in programs}
    assert len(counted) == 2 * len(programs)


def test_a_programs_cut_of_every_programs_brief_is_its_own_brief(monkeypatch):
    """Over a long period, where the programs have new and resolved findings and activity to cut."""
    monkeypatch.setenv(STORE_ENV, "off")
    ds, yardstick, since = load_dataset(SAMPLE, TODAY), load_expectations(), date(2025, 6, 30)
    every = build_brief(ds, since, TODAY, None, yardstick)
    assert [(p["program_id"], len(p["new_findings"]), len(p["resolved_findings"])) for p in every["programs"]] == [
        ("BCMA-101", 29, 1), ("NK-ALLO-103", 4, 0), ("TIL-MEL-301", 1, 0), ("CAR19-201", 13, 6), ("LV-HSC-102", 8, 1),
        ("AAV9-SMN-301", 0, 3)]
    for p in every["programs"]:
        own = build_brief(ds, since, TODAY, p["program_id"], yardstick)
        assert program_brief(every, p["program_id"]) == own
        assert own["totals"]["new_findings"] == len(p["new_findings"])
    assert sum(program_brief(every, p["program_id"])["totals"]["batches_made_between"]
               for p in every["programs"]) == every["totals"]["batches_made_between"] > 0
