"""Process control: can the monitoring tell biological lot-to-lot variability from a drifting process?

One result per lot, on an individuals and moving-range (I-MR) chart per attribute and process version. The
limits a lot is judged against never follow the data: they are the frozen baseline of its process version
(its first `control_baseline_lots` lots; provisional below that, none below `control_min_lots`), or approved
limits (`control_limits`) for lots made from their approval date on. A new process version starts its own
baseline, so a shift at a version change is a comparability question (the changes lens), not a signal here.

Findings look at the recent lots only, the last `control_baseline_lots` lots with a result for the attribute,
whatever their version (each judged against its own version's limits): counted in lots rather than months, so a
CAR-T program making a lot a week and an AAV program making one a month are both judged on a comparable stretch
of their process, and a version started last week does not hide the signals of the lots made just before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..contract import PHASE_WORDS
from ..findings import Finding, make, rule
from ..stats.control import (
    BASELINE, FIXED, NELSON_RULES, Capability, IMRLimits, imr_limits, imr_limits_of_series, nelson_marks,
    pattern_span, ppk_of_series, rules_of,
)
from .ahead import Questions
from .lens import Groups, LensResult, column_records, records

LENS = "process_control"
# `changes` only labels where a version starts on the chart; without it the markers lose their label, nothing else.
TABLES = ("programs", "phase_history", "batches", "attributes", "results", "control_limits")
EXPOSED = ("released", "administered")  # a lot available to, or given to, a patient
CONFIDENCE = 0.95
SHOWN_LOTS = 6  # lots named in a PC002 sentence; the evidence lists them all

IN_CONTROL, SIGNAL, OUT_OF_SPEC, TOO_FEW, NO_LIMITS = "in control", "signal", "out of spec", "too few lots", "no limits"
STATES = (OUT_OF_SPEC, SIGNAL, TOO_FEW, NO_LIMITS, IN_CONTROL)  # worst first
RULE_WORDS = {1: "1 point beyond 3σ", 2: "{run} in a row on one side of the centre", 3: "6 in a row trending",
              4: "14 in a row alternating", 5: "2 of 3 beyond 2σ, same side", 6: "4 of 5 beyond 1σ, same side",
              7: "15 in a row within 1σ", 8: "8 in a row beyond 1σ, either side"}
NO_RULE, NO_LIMITS_POINT = "No rule broken", "No limits yet"

_PV = "FDA, Process Validation: General Principles and Practices (2011), stage 3 (continued process verification)"
_RULES_REF = ("Western Electric, Statistical Quality Control Handbook (1956); Nelson, J Qual Technol 16:237 (1984); "
              "ICH Q10 (2008), section 3.2.1")
_WINDOW = ("the recent lots (the last `control_baseline_lots` clinical, engineering or PPQ lots with a result for "
           "the attribute, whatever their process version)")
_LIMITS = ("the limits in force when the lot was made: approved limits (`control_limits`) from their approval date, "
           "otherwise its process version's frozen baseline (its first `control_baseline_lots` lots; provisional "
           "below that, none below `control_min_lots`)")

PC001 = rule(
    "PC001", LENS, "Recent result out of specification", "medium",
    "Every lot meets its specification; a result outside it is investigated and the lot is not released on it.",
    "FDA, Investigating Out-of-Specification (OOS) Test Results for Pharmaceutical Production (2022); "
    "21 CFR 211.165 and 211.192",
    f"Among {_WINDOW}, a lot's valid result lies strictly outside the attribute's specification limits "
    "(`lower_limit`, `upper_limit`). One finding per attribute, listing the lots: high when one of them is released "
    "or administered on the as-of date, medium otherwise (rejected, failed or still in process).")
PC002 = rule(
    "PC002", LENS, "Special-cause signal on a control chart", "medium",
    "A process in control shows only common-cause variation: no lot breaks a run rule in force against the limits "
    "of its process version.",
    f"{_PV}; {_RULES_REF}",
    f"Among {_WINDOW}, lots break a run rule in force (settings `nelson_rules`, Nelson numbering; rule 2's run is "
    f"`nelson_rule2_run` lots) against {_LIMITS}. Rules restart where limits change, and each process version "
    "starts its own baseline, so a shift at a version change is left to comparability. One finding per attribute, "
    "listing the lots and the rules.")
PC003 = rule(
    "PC003", LENS, "CQA not capable against its specification", "medium",
    "The lower 95% confidence bound of Ppk of every CQA with specification limits meets the phase's minimum "
    "(expectation `capability_min_ppk`).",
    f"{_PV}; ICH Q8(R2) (2009); Bissell, J Appl Stat 17:481 (1990)",
    "A CQA with specification limits has at least `capability_min_lots` lots in the current process version and "
    "the lower bound of the two-sided 95% confidence interval of its Ppk (overall SD, Bissell's approximation) is "
    "below the `capability_min_ppk` threshold of the program's phase. Severity and threshold from the expectation "
    "row; not checked before its first row.")
PC004 = rule(
    "PC004", LENS, "Too few lots to set control limits", "low",
    "Control limits of every charted attribute rest on at least the phase's number of lots of the current process "
    "version (expectation `control_limits_min_lots`), or on approved limits.",
    "FDA, Process Validation: General Principles and Practices (2011), stages 1 and 3",
    "Charted attributes (kind cqa, cpp or ipc, with numeric results) have fewer lots with a valid result in the "
    "current process version than the `control_limits_min_lots` threshold of the program's phase, and no approved "
    "limits for that version: their limits are provisional, or there are none. One finding per process version, "
    "listing the attributes (a version that has just started would otherwise raise one per attribute). Severity "
    "and threshold from the expectation row; not checked before its first row.")


@dataclass(frozen=True)
class Settings:
    """The control-chart settings of the yardstick, made safe for the statistics (a moving range needs 2 lots)."""

    baseline_n: int
    min_n: int
    rules: tuple[int, ...]
    rule2_run: int
    capability_min_n: int

    @classmethod
    def of(cls, settings: dict) -> Settings:
        baseline = max(2, int(settings["control_baseline_lots"]))
        return cls(baseline, min(baseline, max(2, int(settings["control_min_lots"]))),
                   tuple(sorted(set(settings["nelson_rules"]))), int(settings["nelson_rule2_run"]),
                   max(2, int(settings["capability_min_lots"])))

    @property
    def params(self) -> dict:
        return {2: {"run": self.rule2_run}}

    def rule_label(self, number: int) -> str:
        return f"Rule {number}: {RULE_WORDS[number].format(run=self.rule2_run)}"

    def as_dict(self) -> dict:
        return {"baseline_lots": self.baseline_n, "min_lots": self.min_n, "rules": list(self.rules),
                "rule_labels": [self.rule_label(r) for r in self.rules], "rule2_run": self.rule2_run,
                "capability_min_lots": self.capability_min_n, "recent_lots": self.baseline_n,
                "confidence": CONFIDENCE}


@dataclass
class Chart:
    """One attribute of one program: its per-lot points and what is in force for the current version now."""

    attribute: str
    kind: str
    unit: str | None
    lower_spec: float | None
    upper_spec: float | None
    current_version: str | None
    points: _ChartPoints  # one entry per lot, in lot order, for each of CHART_COLUMNS
    baseline: IMRLimits  # the current version's baseline limits
    limits: IMRLimits  # in force now for the current version: approved, else the baseline
    approval: dict | None  # the approved row behind `limits`, if any

    @property
    def recent(self) -> _ChartPoints:
        """The points of the recent lots only, which is all the findings look at: a chart has hundreds of lots."""
        return self.points.last(self.points.table.recent_n)

    @property
    def frame(self) -> pd.DataFrame:
        """The points as a frame, made on demand: most of a portfolio's charts are only summarised, never drawn."""
        return pd.DataFrame({name: self.points[name] for name in CHART_COLUMNS})


CHART_COLUMNS = [
    "lot", "batch_id", "process_version", "manufactured_on", "purpose", "disposition", "tested_on", "value",
    "moving_range", "segment", "limits_source", "in_baseline", "centre", "lcl", "ucl", "mr_ucl", "mr_beyond",
    "rules", "signal", "out_of_spec", "lower_spec", "upper_spec", "version_start", "segment_start", "introduced_by",
    "recent",
]
LOT_COLUMNS = ("batch_id", "purpose", "process_version", "disposition")


def charts(ds, as_of, program_id: str | None, settings: Settings, attribute: str | None = None,
           versions: pd.DataFrame | None = None, recent_only: bool = False) -> dict:
    """Every charted attribute, {(program_id, attribute): Chart}; the lens and the chart page share it.
    `versions` is the `control_process_versions` answer, when the caller has asked it already. With
    `recent_only`, run rules are checked for each chart's recent lots only (`Chart.recent`), all the lens judges:
    a chart drawn needs them for every lot, a portfolio's ten million points do not.

    The points of all charts are computed together, column by column, and come from the database as numbers:
    a CDMO's portfolio has thousands of charts and millions of points, and a pass per chart, or a text value
    per point, was most of a report's time and memory.
    """
    found = ds.numbers("control_chart_points", as_of=as_of, program_id=program_id, attribute=attribute)
    lots = ds.query("control_chart_lots", as_of=as_of, program_id=program_id)
    attributes = ds.query("control_chart_attributes", program_id=program_id, attribute=attribute)
    approved = ds.query("approved_control_limits", as_of=as_of, program_id=program_id, attribute=attribute)
    if versions is None:
        versions = ds.query("control_process_versions", as_of=as_of, program_id=program_id)
    versions = records(versions)
    approvals: dict[tuple, list[dict]] = {}
    for row in records(approved):  # oldest first
        approvals.setdefault((row["program_id"], row["attribute"], row["process_version"]), []).append(row)
    introduced = {(r["program_id"], r["process_version"]): r["introduced_by"] for r in versions}
    current = {r["program_id"]: r["process_version"] for r in versions if r["is_current"]}
    chart, lot, tested_on, value = _latest_days(
        found["chart"].astype("int64", copy=False), found["lot"].astype("int64", copy=False),
        found["tested_on"].astype("datetime64[D]"), found["value"].astype(float, copy=False))
    del found  # every result's columns, no longer needed once the points are taken from them
    lot = _rows_of(lots["lot"], lot)
    chart = _rows_of(attributes["chart"], chart)
    columns = {name: lots[name].to_numpy(dtype=object) for name in LOT_COLUMNS}
    columns["manufactured_on"] = lots["manufactured_on"].to_numpy("datetime64[D]")
    columns["version"], version_names = pd.factorize(columns["process_version"], use_na_sentinel=False)
    meta = {name: attributes[name].to_numpy(dtype=object) for name in ("program_id", "attribute", "kind", "unit")}
    lower, upper = _spec(attributes["lower_limit"]), _spec(attributes["upper_limit"])
    table, version_limits = _points(value, tested_on, lot, columns, chart, meta, lower, upper, approvals, introduced,
                                    settings, recent_only)
    version_code = {name: code for code, name in enumerate(version_names)}
    out = {}
    for start, stop in _groups(chart):
        row = chart[start]
        pid, name = meta["program_id"][row], meta["attribute"][row]
        version = current.get(pid)
        baseline = version_limits.get((pid, name, version)) or imr_limits([], settings.baseline_n, settings.min_n)
        mine = approvals.get((pid, name, version), [])
        approval = mine[-1] if mine else None
        out[(pid, name)] = Chart(name, meta["kind"][row], _text(meta["unit"][row]), _number(lower[row]),
                                 _number(upper[row]), version,
                                 _ChartPoints(table, start, stop, version=version_code.get(version, -1)), baseline,
                                 _fixed(approval, settings) if approval else baseline, approval)
    return out


def _latest_days(chart: np.ndarray, lot: np.ndarray, tested_on: np.ndarray,
                 value: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One point per chart and lot from its results (sorted by chart, lot, day): the latest day's, the mean of
    that day's results when it has several (a retest the same day)."""
    if _starts(chart, lot).all():  # one result per lot and chart, as nearly always: taken as they are
        return chart, lot, tested_on, value
    days = np.flatnonzero(_starts(chart, lot, tested_on))
    means = np.add.reduceat(value, days) / np.diff(np.append(days, len(value)))
    chart, lot = chart[days], lot[days]
    latest = np.ones(len(days), dtype=bool)  # a lot's latest day: followed by another lot or chart, or by none
    latest[:-1] = _starts(chart, lot)[1:]
    return chart[latest], lot[latest], tested_on[days][latest], means[latest]


def _rows_of(numbers: pd.Series, wanted: np.ndarray) -> np.ndarray:
    """The rows holding `wanted` in `numbers` (distinct, from 0): how a point finds its lot and its chart.
    Looked up in a table as long as the largest number: a search per point was a second of a CDMO's report."""
    numbers = numbers.to_numpy("int64")
    row_of = np.full(max(numbers.max(initial=-1), wanted.max(initial=-1)) + 1, -1, dtype=np.int64)
    row_of[numbers] = np.arange(len(numbers))
    rows = row_of[wanted]
    if len(wanted) and (wanted.min() < 0 or rows.min() < 0):
        raise RuntimeError("control_chart_points numbers a lot or chart its companion queries do not return")
    return rows


def _groups(*keys: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of equal keys; the query returns the lots sorted by them."""
    starts = np.flatnonzero(_starts(*keys))
    return list(zip(starts.tolist(), [*starts[1:].tolist(), len(keys[0])]))


def _starts(*keys: np.ndarray) -> np.ndarray:
    """True where a run of equal keys begins."""
    change = np.zeros(len(keys[0]), dtype=bool)
    change[:1] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return change


SLICE_POINTS = 1_000_000  # points worked on at once (whole charts): bounds a portfolio's temporaries


def _points(value: np.ndarray, tested_on: np.ndarray, lot: np.ndarray, lots: dict[str, np.ndarray],
            chart: np.ndarray, meta: dict[str, np.ndarray], lower: np.ndarray, upper: np.ndarray,
            approvals: dict[tuple, list[dict]], introduced: dict, settings: Settings,
            recent_only: bool) -> tuple[_PointTable, dict]:
    """The I-MR points of every chart, and each version's baseline limits {(program, attribute, version): limits}.

    A point has its `value`, `tested_on`, the row of `lots` (one entry per lot) it was measured on and the row
    of `meta`, `lower` and `upper` (one entry per chart) it belongs to. Charts share nothing, so they are worked
    through in slices of whole charts (`SLICE_POINTS`): the temporaries of 10 million points held at once were
    most of a portfolio report's peak memory. A slice's columns come back in the order of its points, so a
    point's value, day and lot are stored as given, not copied (230 MB at a CDMO's volume).
    """
    stored, segments, version_limits = {"value": value, "tested_on": tested_on, "lot": lot}, [], {}
    for start, stop in _slices(chart, SLICE_POINTS):
        part, mine = _slice_points(value[start:stop], lot[start:stop], lots, chart[start:stop], meta, approvals,
                                   introduced, settings, version_limits, recent_only)
        part["segment"] += len(segments)
        segments += mine
        for name, column in part.items():  # filled in place: the slices and their concatenation never coexist
            if name not in stored:
                stored[name] = np.empty(len(chart), dtype=column.dtype)
            stored[name][start:stop] = column
    drawn, judged = _drawn(segments)
    return _PointTable(stored, lots, segments, drawn, judged, chart, lower, upper, settings, recent_only), \
        version_limits


def _slices(chart: np.ndarray, size: int) -> list[tuple[int, int]]:
    """[start, stop) slices of about `size` points that never cut a chart (`chart` is sorted); at least one."""
    starts = np.flatnonzero(_starts(chart))
    bounds = [0]
    while (i := int(np.searchsorted(starts, bounds[-1] + size))) < len(starts):
        bounds.append(int(starts[i]))
    return list(zip(bounds, [*bounds[1:], len(chart)]))


def _drawn(segments: list[tuple]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Each segment's limits as arrays (NaN where none), and whether it has limits to judge against."""
    drawn = {name: np.array([np.nan if getattr(s[2], name) is None else getattr(s[2], name) for s in segments],
                            dtype=float) for name in ("centre", "sigma", "lcl", "ucl", "mr_ucl")}
    return drawn, np.array([s[2].sufficient for s in segments], dtype=bool)


def _slice_points(value: np.ndarray, lot: np.ndarray, lots: dict[str, np.ndarray],
                  chart: np.ndarray, meta: dict[str, np.ndarray], approvals: dict[tuple, list[dict]],
                  introduced: dict, settings: Settings, version_limits: dict,
                  recent_only: bool) -> tuple[dict, list[tuple]]:
    """The points of whole charts: their stored columns (`segment` counted from 0) and their segments, adding each
    version's baseline to `version_limits`.

    Within a chart each process version has its own moving ranges and baseline; within a version each lot is
    judged against the approval (`approvals`, oldest first) in force on its manufacture day, else the version's
    baseline, and run rules restart at each change of limits. `introduced` maps a version to the changes that
    introduce it. Work happens in version order (each version's lots together, in lot order, versions in order of
    their first lot) and is put back in lot order at the end.
    """
    n = len(value)
    version = lots["version"][lot]
    key = pd.factorize(chart * (version.max(initial=0) + 1) + version, sort=False)[0]
    in_order = bool((np.diff(key) >= 0).all())  # no chart with versions made side by side: nothing to move
    order = np.arange(n) if in_order else np.argsort(key, kind="stable")
    x, made = value[order], lots["manufactured_on"][lot[order]]
    version_start = _starts(key[order])
    moving_range = np.full(n, np.nan)
    moving_range[1:] = np.abs(np.diff(x))
    moving_range[version_start] = np.nan
    in_baseline = np.zeros(n, dtype=bool)
    segment_start = version_start.copy()
    segments = []  # (start, stop, limits, label, introduced_by)
    versions = _groups(key[order])
    baselines = imr_limits_of_series(x, versions, settings.baseline_n, settings.min_n)
    for (start, stop), baseline in zip(versions, baselines):
        row = order[start]
        pid, attribute = meta["program_id"][chart[row]], meta["attribute"][chart[row]]
        name = lots["process_version"][lot[row]]
        version_limits[(pid, attribute, name)] = baseline
        by = introduced.get((pid, name))
        if baseline.sufficient:
            in_baseline[start:start + baseline.n] = True
        mine = approvals.get((pid, attribute, name))
        if not mine:
            segments.append((start, stop, baseline, f"{name} · baseline limits", by))
            continue
        approved_on = np.array([np.datetime64(a["approved_on"], "D") for a in mine], dtype="datetime64[D]")
        in_force = np.searchsorted(approved_on, made[start:stop], side="right") - 1
        for first_lot, last_lot in _groups(in_force):
            if in_force[first_lot] < 0:
                limits, label = baseline, f"{name} · baseline limits"
            else:
                approval = mine[in_force[first_lot]]
                limits, label = _fixed(approval, settings), f"{name} · approved limits from {approval['approved_on']}"
            segments.append((start + first_lot, start + last_lot, limits, label, by))
            segment_start[start + first_lot] = True
    segment = np.repeat(np.arange(len(segments)), [stop - start for start, stop, *_ in segments])
    drawn, judged = _drawn(segments)
    marks = np.zeros(n, dtype=np.int16)
    where = judged[segment]
    if recent_only:
        where &= _near_recent(chart, order, settings.baseline_n, pattern_span(settings.rules, settings.params))
    marks[where] = nelson_marks(x[where], drawn["centre"][segment[where]], drawn["sigma"][segment[where]],
                                segment_start[where], settings.rules, settings.params)
    stored = {"moving_range": moving_range, "in_baseline": in_baseline, "version_start": version_start,
              "segment_start": segment_start, "segment": segment, "marks": marks}
    if not in_order:
        in_lot_order = np.empty(n, dtype=np.int64)
        in_lot_order[order] = np.arange(n)
        stored = {name: column[in_lot_order] for name, column in stored.items()}
    return stored, segments


def _near_recent(chart: np.ndarray, order: np.ndarray, recent_n: int, span: int) -> np.ndarray:
    """In `order`, the points within `span` - 1 of a recent lot (the last `recent_n` of its chart in lot order;
    `chart` is in lot order). A point's run rules depend on no point further away (`pattern_span`), so the recent
    lots' marks are exact when only these points are checked, even where the points checked skip some."""
    n, starts = len(chart), _starts(chart)
    stop_of = np.append(np.flatnonzero(starts)[1:], n)[np.cumsum(starts) - 1]  # where each point's chart ends
    recent = (stop_of - np.arange(n) <= recent_n)[order]
    seen = np.concatenate(([0], np.cumsum(recent)))
    at = np.arange(n)
    return seen[np.minimum(at + span, n)] > seen[np.maximum(at - span + 1, 0)]


class _PointTable:
    """Every chart's points as numbers and codes, one entry per point in lot order, with the per-lot,
    per-segment and per-chart values the codes point to. A chart's columns are made when read: a CDMO's
    portfolio has millions of points, and most columns are only ever read for the one chart a page draws."""

    STORED = ("value", "moving_range", "in_baseline", "version_start", "segment_start", "tested_on")
    PER_LOT = (*LOT_COLUMNS, "manufactured_on")
    PER_SEGMENT = ("centre", "lcl", "ucl", "mr_ucl", "segment", "limits_source", "introduced_by")

    def __init__(self, stored: dict[str, np.ndarray], lots: dict[str, np.ndarray], segments: list[tuple],
                 drawn: dict[str, np.ndarray], judged: np.ndarray, chart: np.ndarray, lower: np.ndarray,
                 upper: np.ndarray, settings: Settings, recent_only: bool):
        self.stored, self.lots, self.judged, self.chart, self.recent_only = stored, lots, judged, chart, recent_only
        self.lower, self.upper, self.recent_n = lower, upper, settings.baseline_n
        self.per_segment = {
            **{name: drawn[name] for name in ("centre", "lcl", "ucl", "mr_ucl")},
            "segment": np.array([s[3] for s in segments], dtype=object),
            "limits_source": np.array([_source(s[2]) for s in segments], dtype=object),
            "introduced_by": np.array([s[4] for s in segments], dtype=object),
        }
        self.rules, self.signal = _rule_words(stored["marks"], settings)

    def column(self, name: str, first: int, start: int, stop: int) -> np.ndarray:
        """One of CHART_COLUMNS for the points start..stop of the chart whose points are first..stop."""
        if name in self.STORED:
            return self.stored[name][start:stop]
        if name in self.PER_LOT:
            return self.lots[name][self.stored["lot"][start:stop]]
        segment = self.stored["segment"][start:stop]
        if name in self.PER_SEGMENT:
            return self.per_segment[name][segment]
        if name == "lot":
            return np.arange(start - first + 1, stop - first + 1)
        if name == "recent":
            return np.arange(start, stop) >= stop - self.recent_n
        if name == "mr_beyond":
            return self.stored["moving_range"][start:stop] > self.per_segment["mr_ucl"][segment]
        if name in ("rules", "signal") and self.recent_only and start < stop - self.recent_n:
            raise RuntimeError("run rules were checked for each chart's recent lots only (charts(recent_only=True))")
        if name == "rules":
            return self.rules[self.stored["marks"][start:stop]]
        if name == "signal":
            signal = self.signal[self.stored["marks"][start:stop]]
            signal[~self.judged[segment]] = NO_LIMITS_POINT
            return signal
        lower, upper = self.lower[self.chart[start]], self.upper[self.chart[start]]
        if name == "lower_spec":
            return np.full(stop - start, lower)
        if name == "upper_spec":
            return np.full(stop - start, upper)
        if name == "out_of_spec":
            values = self.stored["value"][start:stop]
            return (values < lower) | (values > upper)
        raise KeyError(name)


class _ChartPoints(Mapping):
    """One chart's columns (CHART_COLUMNS), or those of its last lots (`last`), each made from the point table
    when read. `version` is the code (`lots["version"]`) of the chart's current process version."""

    def __init__(self, table: _PointTable, first: int, stop: int, version: int, start: int | None = None):
        self.table, self.first, self.stop, self.version = table, first, stop, version
        self.start = first if start is None else start

    def __getitem__(self, name: str) -> np.ndarray:
        return self.table.column(name, self.first, self.start, self.stop)

    @property
    def lot_count(self) -> int:
        return self.stop - self.start

    def last(self, n: int) -> _ChartPoints:
        return _ChartPoints(self.table, self.first, self.stop, self.version, max(self.start, self.stop - n))

    def current_values(self) -> np.ndarray:
        """The values of the lots of the current process version, compared as codes: a chart has hundreds of
        lots, and comparing their version names was a tenth of a portfolio's process-control time."""
        table, span = self.table, slice(self.start, self.stop)
        return table.stored["value"][span][table.lots["version"][table.stored["lot"][span]] == self.version]

    def __iter__(self):
        return iter(CHART_COLUMNS)

    def __len__(self) -> int:
        return len(CHART_COLUMNS)


def _rule_words(marks: np.ndarray, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """For each combination of rules a point can break (its `nelson_marks` bits): the rules ("1, 5") and the
    label of the first (`NO_RULE` for none); a portfolio has millions of points but only a few combinations."""
    combinations = 1 << (max(NELSON_RULES) + 1)
    rules, labels = np.empty(combinations, dtype=object), np.empty(combinations, dtype=object)
    for combination in np.flatnonzero(np.bincount(marks, minlength=1)).tolist():
        found = sorted(rules_of(combination))
        rules[combination] = ", ".join(str(r) for r in found)
        labels[combination] = settings.rule_label(found[0]) if found else NO_RULE
    return rules, labels


def _spec(column: np.ndarray) -> np.ndarray:
    """A specification limit as floats, NaN where there is none (comparisons with NaN are False)."""
    return np.array([_number(v) for v in column], dtype=float)


def _fixed(row: dict, settings: Settings) -> IMRLimits:
    return imr_limits([], settings.baseline_n, settings.min_n, fixed=(row["center"], row["lower"], row["upper"]))


def _source(limits: IMRLimits) -> str:
    if limits.source == FIXED:
        return "approved"
    if not limits.sufficient:
        return "none"
    return "provisional baseline" if limits.provisional else BASELINE


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _text(value) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


# --- the lens ----------------------------------------------------------------------------------------------------

def questions(ctx) -> Questions:
    """The chart points are asked by `charts`, which the chart page shares; the versions can be asked ahead."""
    return {"versions": ("control_process_versions", dict(as_of=ctx.as_of, program_id=ctx.program_id))}


def evaluate(ctx) -> dict[str, LensResult]:
    settings = Settings.of(ctx.expectations.settings)
    versions = ctx.answers(questions(ctx))["versions"]
    found = charts(ctx.ds, ctx.as_of, ctx.program_id, settings, versions=versions, recent_only=True)
    by_program: dict[str, list[tuple[Chart, Capability]]] = {}
    for (pid, _), chart, capability in zip(found, found.values(), _capabilities(list(found.values()), settings)):
        by_program.setdefault(pid, []).append((chart, capability))
    versions_of = Groups(versions)
    out = {}
    for program in records(ctx.programs):
        pid = program["program_id"]
        judged = [(chart, summary(chart, capability)) for chart, capability in by_program.get(pid, [])]
        out[pid] = LensResult(figures(versions_of[pid], judged, settings),
                              findings(ctx, program, judged, settings))
    return out


def _capabilities(charts: list[Chart], settings: Settings) -> list[Capability]:
    """Ppk of each chart's current version, all in one call: a portfolio has tens of thousands of charts."""
    current = [chart.points.current_values() for chart in charts]
    stops = np.cumsum([len(values) for values in current], dtype=np.int64).tolist()
    return ppk_of_series(np.concatenate(current) if current else np.empty(0), list(zip([0, *stops[:-1]], stops)),
                         [chart.lower_spec for chart in charts], [chart.upper_spec for chart in charts],
                         settings.capability_min_n, CONFIDENCE)


def summary(chart: Chart, capability: Capability) -> dict:
    """One attribute's figures: limits and state of its current version, recent signals, capability."""
    recent = chart.recent
    batch, version, value = recent["batch_id"], recent["process_version"], recent["value"]
    rules, beyond_spec = recent["rules"], recent["out_of_spec"]
    signals = np.flatnonzero(rules != "")
    out_of_spec = np.flatnonzero(beyond_spec)
    limits = chart.limits
    cap = {"n": capability.n, "mean": capability.mean, "sd": capability.sd, "ppk": capability.ppk,
           "ci_low": capability.ci_low, "ci_high": capability.ci_high, "confidence": CONFIDENCE,
           "reason": capability.reason}
    if len(out_of_spec):
        state = OUT_OF_SPEC
    elif len(signals):
        state = SIGNAL
    elif not limits.sufficient:
        state = TOO_FEW if limits.reason.startswith("not enough lots") else NO_LIMITS
    else:
        state = IN_CONTROL
    approval = chart.approval
    wider = None
    if approval and chart.baseline.sufficient:
        wider = bool(limits.ucl - limits.lcl > chart.baseline.ucl - chart.baseline.lcl)
    flags = np.where(beyond_spec, OUT_OF_SPEC, np.where(rules != "", SIGNAL, ""))
    return {
        "attribute": chart.attribute,
        "unit": chart.unit,
        "kind": chart.kind,
        "lower_spec": chart.lower_spec,
        "upper_spec": chart.upper_spec,
        "process_version": chart.current_version,
        "lots": capability.n,
        "lots_all_versions": chart.points.lot_count,
        "limits": {
            "source": "approved" if approval else (BASELINE if limits.sufficient else None),
            "centre": limits.centre, "lcl": limits.lcl, "ucl": limits.ucl, "sigma": limits.sigma,
            "mr_ucl": limits.mr_ucl, "baseline_lots": chart.baseline.n,
            "approved_on": approval["approved_on"] if approval else None,
            "reason": approval["reason"] if approval else None,
            "wider_than_baseline": wider,
        },
        "provisional": bool(limits.sufficient and limits.provisional),
        "limits_note": limits_note(limits),
        "state": state,
        "signals": len(signals),
        "rules_broken": sorted({int(r) for i in signals for r in rules[i].split(", ")}),
        "signal_lots": [str(batch[i]) for i in signals],
        "out_of_spec": len(out_of_spec),
        "out_of_spec_lots": [str(batch[i]) for i in out_of_spec],
        "capability": cap,
        "recent": [list(row) for row in  # lot and version are text, the value a float: already plain
                   zip(batch.tolist(), version.tolist(), value.tolist(), flags.tolist())],
    }


def limits_note(limits: IMRLimits) -> str | None:
    if not limits.sufficient:
        return f"no limits: {limits.reason}"
    if limits.provisional:
        return f"provisional limits, n = {limits.n}"
    return None


def figures(versions: pd.DataFrame, judged: list[tuple[Chart, dict]], settings: Settings) -> dict:
    current = versions.loc[versions["is_current"], "process_version"]
    attributes = [s for _, s in judged]
    return {
        "current_process_version": current.iloc[0] if len(current) else None,
        "settings": settings.as_dict(),
        "versions": records(versions, ["process_version", "first_made_on", "lots", "is_current", "introduced_by"]),
        "attributes_charted": len(attributes),
        "attributes_by_state": {s: sum(a["state"] == s for a in attributes) for s in STATES},
        "attributes": attributes,
    }


# --- findings ----------------------------------------------------------------------------------------------------

def findings(ctx, program: dict, judged: list[tuple[Chart, dict]], settings: Settings) -> list[Finding]:
    pid, phase, modality = program["program_id"], program["phase"], program["modality"]
    capability_row = ctx.expectations.at("capability_min_ppk", phase, modality)
    lots_row = ctx.expectations.at("control_limits_min_lots", phase, modality)
    out = []
    for chart, s in judged:
        out += _out_of_spec(pid, chart, s)
        out += _signals(pid, chart, s, settings)
        if capability_row and chart.kind == "cqa":
            out += _not_capable(pid, s, capability_row, phase)
    if lots_row:
        out += _too_few(pid, [s for _, s in judged], lots_row, phase)
    return out


def _out_of_spec(pid: str, chart: Chart, s: dict) -> list[Finding]:
    if not s["out_of_spec"]:
        return []
    recent = chart.recent
    lots = _rows(recent, recent["out_of_spec"],
                 ("batch_id", "process_version", "manufactured_on", "tested_on", "value", "lower_spec", "upper_spec",
                  "disposition"))
    exposed = [r["batch_id"] for r in lots if r["disposition"] in EXPOSED]
    unit = f" {s['unit']}" if s["unit"] else ""
    listed = ", ".join(f"{r['batch_id']} at {_num(r['value'])}{unit} ({r['disposition'].replace('_', ' ')})"
                       for r in lots)
    message = (f"{s['attribute']}: {_count(len(lots), 'recent lot')} out of specification "
               f"({spec_text(s['lower_spec'], s['upper_spec'], s['unit'])}): {listed}.")
    if exposed:
        message += f" {' and '.join(exposed)} reached release or a patient."
    return [make(PC001, pid, s["attribute"], message, lots, severity="high" if exposed else "medium")]


def _signals(pid: str, chart: Chart, s: dict, settings: Settings) -> list[Finding]:
    if not s["signals"]:
        return []
    recent = chart.recent
    lots = _rows(recent, recent["rules"] != "",
                 ("batch_id", "process_version", "manufactured_on", "value", "limits_source", "centre", "lcl", "ucl",
                  "rules"))
    listed = ", ".join(f"{r['batch_id']} (rule{'s' if ',' in r['rules'] else ''} {r['rules']})"
                       for r in lots[:SHOWN_LOTS])
    if len(lots) > SHOWN_LOTS:
        listed += f" and {len(lots) - SHOWN_LOTS} more (see the evidence)"
    rules = "; ".join(settings.rule_label(r) for r in s["rules_broken"])
    message = (f"{s['attribute']}: {_count(len(lots), 'recent lot')} "
               f"{'breaks' if len(lots) == 1 else 'break'} a run rule against the limits in force: {listed}. "
               f"{rules}. Look for a special cause.")
    return [make(PC002, pid, s["attribute"], message, lots)]


def _rows(points: _ChartPoints, where: np.ndarray, names: tuple[str, ...]) -> list[dict]:
    """Evidence rows: the lots at `where`, only the columns a finding shows."""
    return column_records({name: points[name][where] for name in names})


def _not_capable(pid: str, s: dict, row, phase: str) -> list[Finding]:
    cap = s["capability"]
    if cap["ppk"] is None or (s["lower_spec"] is None and s["upper_spec"] is None) or cap["ci_low"] >= row.threshold:
        return []
    message = (f"{s['attribute']} ({s['process_version']}): Ppk {cap['ppk']:.2f} (95% CI {cap['ci_low']:.2f} to "
               f"{cap['ci_high']:.2f}, n = {cap['n']}) against {spec_text(s['lower_spec'], s['upper_spec'], s['unit'])}"
               f"; {PHASE_WORDS[phase]} expects the lower bound to reach {row.threshold}.")
    expectation = (f"At {PHASE_WORDS[phase]}, the lower 95% confidence bound of Ppk of every CQA with specification "
                   f"limits is at least {row.threshold} (the {PHASE_WORDS[row.phase]} row of `capability_min_ppk`).")
    evidence = [{"attribute": s["attribute"], "process_version": s["process_version"], "lots": cap["n"],
                 "mean": cap["mean"], "sd": cap["sd"], "lower_spec": s["lower_spec"], "upper_spec": s["upper_spec"],
                 "ppk": cap["ppk"], "ci_low": cap["ci_low"], "ci_high": cap["ci_high"], "threshold": row.threshold}]
    return [make(PC003, pid, s["attribute"], message, evidence, severity=row.severity, expectation=expectation)]


def _too_few(pid: str, attributes: list[dict], row, phase: str) -> list[Finding]:
    short = [s for s in attributes if s["limits"]["source"] != "approved" and s["lots"] < row.threshold]
    if not short:
        return []
    version = short[0]["process_version"]
    names = [s["attribute"] for s in short]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    fewest, most = min(s["lots"] for s in short), max(s["lots"] for s in short)
    span = f"{fewest}" if fewest == most else f"{fewest} to {most}"
    message = (f"Process {version}: {_count(len(short), 'charted attribute')} ({shown}) "
               f"{'has' if len(short) == 1 else 'have'} only {span} lot{'' if most == 1 else 's'} with a valid "
               f"result and no approved limits; {PHASE_WORDS[phase]} expects control limits from at least "
               f"{row.threshold} lots per attribute.")
    expectation = (f"At {PHASE_WORDS[phase]}, control limits rest on at least {row.threshold} lots per attribute and "
                   f"process version, or on approved limits (the {PHASE_WORDS[row.phase]} row of "
                   "`control_limits_min_lots`).")
    evidence = [{"attribute": s["attribute"], "kind": s["kind"], "process_version": s["process_version"],
                 "lots": s["lots"], "needed": row.threshold, "limits": s["limits_note"]} for s in short]
    return [make(PC004, pid, version, message, evidence, severity=row.severity, expectation=expectation)]


def spec_text(lower: float | None, upper: float | None, unit: str | None) -> str:
    """The specification as a reviewer writes it: '≥ 70 %', '≤ 5 EU/mL', '0.6 to 6 x10^8 cells'."""
    unit = f" {unit}" if unit else ""
    if lower is not None and upper is not None:
        return f"specification {_num(lower)} to {_num(upper)}{unit}"
    if lower is not None:
        return f"specification ≥ {_num(lower)}{unit}"
    if upper is not None:
        return f"specification ≤ {_num(upper)}{unit}"
    return "no specification limits"


def _num(value: float) -> str:
    return f"{value:.4g}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
