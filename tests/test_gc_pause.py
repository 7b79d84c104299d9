"""Full cycle collections are paused while a report is built, and resume when the last report being built is
done; young collections go on."""

from __future__ import annotations

import gc
import weakref

import pytest

from conftest import TODAY
from readiness.checks import baseline
from readiness.dataset import load_dataset
from readiness.gc_pause import NEVER, full_collections_paused
from readiness.report import build_lens_report

BEFORE = (700, 10, 10)


@pytest.fixture(autouse=True)
def python_defaults():
    kept = gc.get_threshold()
    gc.set_threshold(*BEFORE)
    yield
    gc.set_threshold(*kept)


def test_paused_inside_and_put_back_after():
    with full_collections_paused():
        assert gc.get_threshold() == (700, 10, NEVER) and gc.isenabled()
    assert gc.get_threshold() == BEFORE


def test_put_back_after_a_failure():
    with pytest.raises(ZeroDivisionError), full_collections_paused():
        1 / 0
    assert gc.get_threshold() == BEFORE


def test_overlapping_reports_put_it_back_when_the_last_one_is_done():
    first, second = full_collections_paused(), full_collections_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold() == (700, 10, NEVER)  # the second report is still being built
    second.__exit__(None, None, None)
    assert gc.get_threshold() == BEFORE


def test_thresholds_set_by_someone_else_are_kept():
    gc.set_threshold(5000, 20, 30)
    with full_collections_paused():
        assert gc.get_threshold() == (5000, 20, NEVER)
    assert gc.get_threshold() == (5000, 20, 30)


class Node:
    pass


def test_young_cycles_are_still_collected_while_paused():
    with full_collections_paused():
        node = Node()
        node.me = node
        gone = weakref.ref(node)
        del node
        made = [[] for _ in range(10_000)]  # enough new objects to set off young collections
        assert gone() is None and len(made) == 10_000


def test_a_report_is_built_with_full_collections_paused(make_data, monkeypatch):
    seen = []
    evaluate = baseline.evaluate
    monkeypatch.setattr(baseline, "evaluate", lambda ctx: (seen.append(gc.get_threshold()[2]), evaluate(ctx))[1])
    report = build_lens_report(load_dataset(make_data(), TODAY), TODAY, "baseline")
    assert seen == [NEVER] and gc.get_threshold() == BEFORE
    assert [p["program_id"] for p in report["programs"]] == ["P1"]
