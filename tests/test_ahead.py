"""Questions answered ahead: each lens reads exactly what it declares, once; errors and early exits behave."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pandas as pd
import pytest

from conftest import ROOT, TODAY
from readiness.checks import LENS_MODULES
from readiness.checks.ahead import Ahead
from readiness.dataset import load_dataset
from readiness.expectations import load_expectations
from readiness.report import Context, build_report

SAMPLE = ROOT / "sample_data"


class Counting:
    """A dataset that counts the questions asked of it by name."""

    def __init__(self, ds):
        self.ds, self.asked = ds, Counter()

    def query(self, name, **params):
        self.asked[name] += 1
        return self.ds.query(name, **params)

    def __getattr__(self, name):
        return getattr(self.ds, name)


@pytest.fixture(scope="module")
def sample():
    return load_dataset(str(SAMPLE), TODAY)


@pytest.mark.parametrize("lens", LENS_MODULES, ids=lambda m: m.LENS)
def test_a_lens_reads_what_it_declares_and_asks_nothing_twice(sample, lens):
    """Asked ahead, then judged: every declared question is asked once (one the lens read with other parameters
    than it declared would be asked a second time), and the figures are those of a lens asked nothing ahead."""
    counting = Counting(sample)
    programs = sample.query("program_phases", as_of=TODAY, program_id=None)
    expectations = load_expectations()
    with Ahead(counting) as ahead:
        ctx = Context(counting, TODAY, None, programs, expectations, ahead)
        declared = lens.questions(ctx)
        ahead.ask(declared)
        judged = lens.evaluate(ctx)
    names = [name for name, _ in declared.values()]
    assert {name: counting.asked[name] for name in names} == dict.fromkeys(names, 1)
    with Ahead(sample) as now:  # nothing asked ahead: every question asked when read
        alone = lens.evaluate(Context(sample, TODAY, None, programs, expectations, now))
    assert {pid: r.figures for pid, r in judged.items()} == {pid: r.figures for pid, r in alone.items()}


class Slow:
    """A dataset whose questions take a while, and fail when their name says so."""

    def __init__(self):
        self.started = []

    def query(self, name, **params):
        self.started.append(name)
        time.sleep(0.2)
        if name == "broken":
            raise RuntimeError("the question failed")
        return pd.DataFrame({"name": [name], "params": [repr(params)]})


def test_an_answer_asked_ahead_is_the_one_read_and_its_error_is_raised_when_read():
    slow = Slow()
    with Ahead(slow) as ahead:
        ahead.ask({"a": ("first", {"x": [1, 2]}), "b": ("broken", {})})
        answers = ahead.answers({"a": ("first", {"x": [1, 2]})})
        assert answers["a"].to_dict("list") == {"name": ["first"], "params": ["{'x': [1, 2]}"]}
        with pytest.raises(RuntimeError, match="the question failed"):
            ahead.answers({"b": ("broken", {})})
        later = ahead.answers({"c": ("first", {"x": [3]})})  # not asked ahead: asked now
        assert later["c"]["params"].tolist() == ["{'x': [3]}"]
    assert slow.started == ["first", "broken", "first"]


def test_leaving_early_drops_the_questions_not_started_and_leaves_no_thread():
    slow = Slow()
    with Ahead(slow) as ahead:
        ahead.ask({name: (name, {}) for name in ("q1", "q2", "q3", "q4")})
    assert len(slow.started) < 4
    assert not [t for t in threading.enumerate() if t.name.startswith("readiness-ahead")]


def test_a_lens_that_fails_fails_the_report_and_leaves_no_thread(sample, monkeypatch):
    from readiness.checks import changes

    def fail(ctx):
        raise RuntimeError("a lens failed")

    monkeypatch.setattr(changes, "evaluate", fail)
    with pytest.raises(RuntimeError, match="a lens failed"):
        build_report(sample, TODAY, trend=False)
    assert not [t for t in threading.enumerate() if t.name.startswith("readiness-ahead")]
