"""The roll-up rule (readiness/scoring.py, docs/scoring.md): findings -> lens status and score -> program status."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import D, ROOT, TODAY, write_tables
from readiness.dataset import load_dataset
from readiness.findings import LENSES
from readiness.report import build_report, build_trend, day_scores, trend_dates
from readiness.scoring import BANDS, STATUSES, lens_status, program_rollup
from readiness.checks import baseline as baseline_lens
from test_baseline import baseline_tables


@pytest.fixture(autouse=True)
def only_the_baseline_lens(monkeypatch, tmp_path):
    """The roll-up is tested on findings counted by hand: the fixture's baseline findings only, every other lens
    left out (not assessed), and a data plan that needs only what the fixture records (no BL003)."""
    monkeypatch.setattr("readiness.report.LENS_MODULES", (baseline_lens,))
    override = tmp_path / "expectations.toml"
    override.write_text('[expectations.required_categories]\ncode = "BL003"\ntitle = "t"\nunit = "u"\n'
                        'rationale = "r"\nreference = "x"\n'
                        'all.phase_1 = { threshold = ["safety", "viability"], severity = "high" }\n')
    monkeypatch.setenv("READINESS_EXPECTATIONS", str(override))


# --- one lens ------------------------------------------------------------------------------------------------

def test_bands_are_the_documented_ones():
    """The hand arithmetic below is done from this table; if it moves, every expected score must be redone."""
    assert BANDS == {
        "off_track": (49, 0, {"high": 8, "medium": 2, "low": 1}),
        "at_risk": (79, 50, {"high": 0, "medium": 5, "low": 1}),
        "on_track": (100, 80, {"high": 0, "medium": 0, "low": 3}),
    }


@pytest.mark.parametrize("severities, expected", [
    ([], ("on_track", 100)),  # top of the on-track band
    (["low"], ("on_track", 97)),  # 100 - 1x3
    (["low"] * 6, ("on_track", 82)),  # 100 - 6x3
    (["low"] * 7, ("on_track", 80)),  # 100 - 7x3 = 79, floored at the band's bottom 80
    (["medium"], ("at_risk", 79)),  # the medium that sets the status is the top, 79
    (["medium"] * 3, ("at_risk", 69)),  # 79 - 2x5
    (["medium", "low", "low"], ("at_risk", 77)),  # 79 - 0x5 - 2x1
    (["medium"] * 7, ("at_risk", 50)),  # 79 - 6x5 = 49, floored at 50: never reads as off track
    (["high"], ("off_track", 49)),  # the high that sets the status is the top, 49
    (["high"] * 7, ("off_track", 1)),  # 49 - 6x8
    (["high"] * 8, ("off_track", 0)),  # 49 - 7x8 = -7, floored at 0
    (["high"] * 20, ("off_track", 0)),  # 49 - 19x8 = -103, floored at 0
    (["high", "medium", "medium", "low", "low", "low"], ("off_track", 42)),  # 49 - 0x8 - 2x2 - 3x1
    (["low", "high", "medium"], ("off_track", 46)),  # order does not matter: 49 - 1x2 - 1x1
])
def test_lens_status_and_score(severities, expected):
    assert lens_status(severities) == expected


def test_a_lens_not_assessed_or_blocked_has_no_score():
    assert lens_status([], assessed=False) == ("not_assessed", None)
    assert lens_status(["high"], assessed=False) == ("not_assessed", None)
    assert lens_status([], blocked=True) == ("unknown", None)
    assert lens_status(["high"], blocked=True) == ("unknown", None)  # what was read cannot be trusted either


# --- one program -------------------------------------------------------------------------------------------

ALL = set(LENSES)


def f(lens, severity):
    return {"lens": lens, "severity": severity}


def overall(findings, assessed=ALL, blocked=frozenset(), data_blocked=False):
    r = program_rollup(findings, set(assessed), set(blocked), data_blocked)
    return r["status"], r["score"]


def test_rollup_lists_every_lens_with_its_counts():
    r = program_rollup([f("baseline", "high"), f("baseline", "low"), f("changes", "medium")],
                       {"baseline", "changes"}, set())
    assert r["lenses"]["baseline"] == {"status": "off_track", "score": 48, "findings": {"high": 1, "medium": 0,
                                                                                         "low": 1}}  # 49 - 1
    assert r["lenses"]["changes"] == {"status": "at_risk", "score": 79, "findings": {"high": 0, "medium": 1,
                                                                                     "low": 0}}
    assert r["lenses"]["potency"] == {"status": "not_assessed", "score": None,
                                      "findings": {"high": 0, "medium": 0, "low": 0}}
    assert set(r["lenses"]) == ALL
    assert (r["status"], r["score"]) == ("off_track", 48)


def test_the_worst_lens_sets_the_program():
    assert overall([]) == ("on_track", 100)
    assert overall([f("baseline", "low"), f("changes", "low"), f("changes", "low")]) == ("on_track", 94)  # 100-2x3
    assert overall([f("baseline", "medium"), f("changes", "low")]) == ("at_risk", 79)
    # two at-risk lenses: the lower score wins (79 - 2x5 = 69 below 79)
    assert overall([f("baseline", "medium"), *[f("changes", "medium")] * 3]) == ("at_risk", 69)


def test_an_off_track_lens_beats_an_at_risk_one_whatever_the_scores():
    """The bands do not overlap: the best off-track score (49) is below the worst at-risk one (50)."""
    worst_at_risk = lens_status(["medium"] * 20)
    best_off_track = lens_status(["high"])
    assert worst_at_risk == ("at_risk", 50) and best_off_track == ("off_track", 49)
    assert overall([*[f("changes", "medium")] * 20, f("baseline", "high")]) == ("off_track", 49)


def test_lenses_not_assessed_do_not_count():
    # a high finding in a lens without checks yet (it cannot happen today, but must not move the status)
    assert overall([f("potency", "high"), f("baseline", "low")], assessed={"baseline"}) == ("on_track", 97)


def test_no_lens_assessed_means_the_program_is_not_assessed():
    assert overall([f("baseline", "high")], assessed=set()) == ("not_assessed", None)
    assert overall([], assessed=set(), data_blocked=True) == ("not_assessed", None)


@pytest.mark.parametrize("baseline, expected", [
    ([], ("unknown", None)),  # on track elsewhere: unknown is worse
    (["medium"], ("unknown", None)),  # at risk elsewhere: unknown is worse
    (["high"], ("off_track", 49)),  # off track is known to be bad, whatever the unreadable lens holds
])
def test_an_unknown_lens_outranks_at_risk_and_on_track_but_not_off_track(baseline, expected):
    found = [f("baseline", s) for s in baseline]
    assert overall(found, assessed={"baseline", "changes"}, blocked={"changes"}) == expected


@pytest.mark.parametrize("baseline, expected", [
    ([], ("unknown", None)),
    (["low"], ("unknown", None)),
    (["medium"], ("at_risk", 79)),
    (["high"], ("off_track", 49)),
])
def test_an_unusable_table_stops_a_program_being_called_on_track(baseline, expected):
    found = [f("baseline", s) for s in baseline]
    assert overall(found, assessed={"baseline"}, data_blocked=True) == expected


# --- the report on the hand-made program of test_baseline.py -----------------------------------------------

@pytest.fixture
def ds(tmp_path):
    data = load_dataset(write_tables(tmp_path / "data", baseline_tables()), TODAY)
    assert data.problems == []
    return data


def test_program_status_and_score_on_the_fixture(ds):
    p = build_report(ds, TODAY, trend=False)["programs"][0]
    # 2 BL002 (high: B1, B7); 4 medium: BL001 B2 and B4, BL004 (4/8 present < 90%), BL005 (B7's viability only
    # invalidated): 49 - 1x8 - 4x2 = 33
    assert (p["program_id"], p["status"], p["score"]) == ("P1", "off_track", 33)
    assert p["lens_status"]["baseline"] == {"status": "off_track", "score": 33,
                                            "findings": {"high": 2, "medium": 4, "low": 0}}
    others = {k: v for k, v in p["lens_status"].items() if k != "baseline"}
    assert set(others) == set(LENSES) - {"baseline"}
    assert all(v == {"status": "not_assessed", "score": None, "findings": {"high": 0, "medium": 0, "low": 0}}
               for v in others.values())


@pytest.mark.parametrize("as_of, high, lost, quarter, start", [
    (TODAY, 2, 0, "2026-Q4", "2026-10-01"),  # B1 (Feb) and B7 (Jun) were administered in earlier quarters
    (D(2026, 6, 15), 2, 1, "2026-Q2", "2026-04-01"),  # B7 administered 2026-06-01; B1 in Q1 does not count
    (D(2026, 6, 1), 2, 1, "2026-Q2", "2026-04-01"),  # administered on the as-of day itself counts
    (D(2026, 5, 31), 1, 0, "2026-Q2", "2026-04-01"),  # B7 not yet administered: BL001, not lost
    (D(2026, 2, 15), 1, 1, "2026-Q1", "2026-01-01"),  # B1 administered 2026-02-01
])
def test_summary(ds, as_of, high, lost, quarter, start):
    assert build_report(ds, as_of, trend=False)["summary"] == {
        "programs_by_status": {"off_track": 1, "unknown": 0, "at_risk": 0, "on_track": 0, "not_assessed": 0},
        "open_high_findings": high,
        "irrecoverable_gaps_this_quarter": lost,
        "quarter": quarter,
        "quarter_start": start,
    }


def test_summary_counts_every_status(ds):
    assert list(build_report(ds, TODAY, trend=False)["summary"]["programs_by_status"]) == list(STATUSES)


# --- trend -----------------------------------------------------------------------------------------------------

def test_trend_dates_are_the_last_twelve_month_ends_then_the_day():
    assert trend_dates(date(2026, 3, 15)) == [
        date(2025, 3, 31), date(2025, 4, 30), date(2025, 5, 31), date(2025, 6, 30), date(2025, 7, 31),
        date(2025, 8, 31), date(2025, 9, 30), date(2025, 10, 31), date(2025, 11, 30), date(2025, 12, 31),
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 15),
    ]


def test_trend_dates_know_leap_years_and_month_ends():
    assert date(2024, 2, 29) in trend_dates(date(2024, 3, 10))
    assert date(2024, 2, 29) in trend_dates(date(2025, 1, 1))
    assert trend_dates(date(2026, 1, 31))[-2:] == [date(2025, 12, 31), date(2026, 1, 31)]  # no duplicate day
    assert len(trend_dates(date(2026, 1, 31))) == 13


def assert_trend_reproducible(ds, as_of):
    """Each trend point is `report --as-of` of that day (the same computation, not a second one)."""
    report = build_report(ds, as_of)
    assert report["programs"]
    for p in report["programs"]:
        assert [t["as_of"] for t in p["trend"]] == [d.isoformat() for d in trend_dates(as_of)]
        for point in p["trend"]:
            then = build_report(ds, date.fromisoformat(point["as_of"]), trend=False)
            match = next(q for q in then["programs"] if q["program_id"] == p["program_id"])
            assert (point["status"], point["score"]) == (match["status"], match["score"]), point["as_of"]
        assert (p["trend"][-1]["status"], p["trend"][-1]["score"]) == (p["status"], p["score"])


def test_trend_is_reproducible_on_the_fixture(ds):
    assert_trend_reproducible(ds, TODAY)
    trend = build_report(ds, TODAY, "P1")["programs"][0]["trend"]
    # 2026-01-31: B1 untested past 21 days, not administered -> BL001 and BL004 (1/2 present): 79 - 5 = 74;
    # 2026-02-28: B1 administered -> BL002, BL004 still: 49 - 2 = 47
    assert [(t["as_of"], t["status"], t["score"]) for t in trend[2:4]] == [
        ("2026-01-31", "at_risk", 74), ("2026-02-28", "off_track", 47)]


def test_trend_is_reproducible_on_the_sample_data():
    assert_trend_reproducible(load_dataset(ROOT / "sample_data", TODAY), TODAY)


def test_the_app_computes_each_month_end_once_whatever_day_is_viewed(ds, monkeypatch):
    """Two days of one month share their twelve month ends; a day of the next month adds only one."""
    from readiness.ui import data
    asked = []

    def counted(ds_, day, program_id, yardstick):
        asked.append(day)
        return day_scores(ds_, day, program_id, yardstick)

    monkeypatch.setattr(data, "day_scores", counted)
    data._day_scores.clear()
    march = data.trend(ds, date(2026, 3, 10))
    assert data.trend(ds, date(2026, 3, 25)) == march
    assert asked == trend_dates(date(2026, 3, 10))[:-1]
    data.trend(ds, date(2026, 4, 2))
    assert asked[12:] == [date(2026, 3, 31)]
    assert march == build_trend(ds, date(2026, 3, 10), None, data.expectations())  # what the CLI prints
    data._day_scores.clear()


# --- a table that cannot be read ----------------------------------------------------------------------------------

def test_a_blocked_table_makes_a_clean_program_unknown(make_data):
    """`changes` is not read by the baseline lens, so that lens is still scored; the program is not on track."""
    ds = load_dataset(make_data({"changes": None}), TODAY)
    assert ds.tables["changes"].status == "blocked"
    p = build_report(ds, TODAY, trend=False)["programs"][0]
    assert (p["status"], p["score"]) == ("unknown", None)
    assert p["lens_status"]["baseline"] == {"status": "on_track", "score": 100,
                                            "findings": {"high": 0, "medium": 0, "low": 0}}
    assert build_report(ds, TODAY, trend=False)["summary"]["programs_by_status"]["unknown"] == 1
