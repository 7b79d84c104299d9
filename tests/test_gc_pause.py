"""The cycle collector is paused while a report is built and resumes when the last report being built is done."""

from __future__ import annotations

import gc

import pytest

from conftest import TODAY
from readiness.checks import baseline
from readiness.dataset import load_dataset
from readiness.gc_pause import cycle_collection_paused
from readiness.report import build_lens_report


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_paused_inside_and_resumed_after():
    with cycle_collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_resumed_after_a_failure():
    with pytest.raises(ZeroDivisionError), cycle_collection_paused():
        1 / 0
    assert gc.isenabled()


def test_overlapping_reports_resume_it_when_the_last_one_is_done():
    first, second = cycle_collection_paused(), cycle_collection_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second report is still being built
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_left_off_when_something_else_had_turned_it_off():
    gc.disable()
    with cycle_collection_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_a_report_is_built_with_the_collector_paused(make_data, monkeypatch):
    seen = []
    evaluate = baseline.evaluate
    monkeypatch.setattr(baseline, "evaluate", lambda ctx: (seen.append(gc.isenabled()), evaluate(ctx))[1])
    report = build_lens_report(load_dataset(make_data(), TODAY), TODAY, "baseline")
    assert seen == [False] and gc.isenabled()
    assert [p["program_id"] for p in report["programs"]] == ["P1"]
