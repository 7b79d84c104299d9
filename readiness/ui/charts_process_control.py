"""Control charts: every point's colour is repeated by its shape and named in the legend (Okabe-Ito colours)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..checks.process_control import NO_LIMITS_POINT, NO_RULE
from ..lens_tables.process_control import POINT_LABELS

_PAD = {"top": 24, "left": 5, "right": 5, "bottom": 5}
# (colour, shape) per point category; rules by their Nelson number.
_QUIET = {NO_RULE: ("#999999", "circle"), NO_LIMITS_POINT: ("#56B4E9", "diamond")}
_RULE_MARKS = {1: ("#D55E00", "triangle-up"), 2: ("#E69F00", "square"), 3: ("#009E73", "triangle-down"),
               4: ("#0072B2", "triangle-right"), 5: ("#CC79A7", "cross"), 6: ("#000000", "triangle-left"),
               7: ("#F0E442", "wedge"), 8: ("#8C564B", "arrow")}
_OVERVIEW_MARKS = dict(zip(POINT_LABELS.values(), (("#D55E00", "triangle-up"), ("#E69F00", "square"),
                                                   ("#999999", "circle"))))
_MR_MARKS = {"Above the moving-range limit": ("#D55E00", "triangle-up"), "Within the limit": ("#999999", "circle")}
# Plain numbers, and powers of ten for titres (2.2e+13 vg/mL) that would otherwise print fourteen digits.
_VALUE_AXIS = alt.Axis(labelExpr="abs(datum.value) >= 1e5 ? format(datum.value, '.2~e') : format(datum.value, '~r')")
_VERSION_LABEL = ("datum.process_version + ' · ' + (isValid(datum.introduced_by) ? datum.introduced_by "
                  ": 'no change record')")


def _scales(marks: dict[str, tuple[str, str]]) -> tuple[alt.Scale, alt.Scale]:
    domain = list(marks)
    return (alt.Scale(domain=domain, range=[c for c, _ in marks.values()]),
            alt.Scale(domain=domain, range=[s for _, s in marks.values()]))


def _point_marks(rules: list[int], rule_labels: list[str]) -> dict[str, tuple[str, str]]:
    return {**_QUIET, **{label: _RULE_MARKS[rule] for rule, label in zip(rules, rule_labels)}}


def _lot_axis() -> alt.X:
    return alt.X("lot:Q", title="Lot, in order of manufacture (number)", axis=alt.Axis(tickMinStep=1, format="d"))


def _version_markers(base: alt.Chart) -> alt.LayerChart:
    """A dotted vertical line where each later process version starts, labelled with the change behind it, and
    one where approved limits take over inside a version."""
    starts = base.transform_filter("datum.version_start && datum.lot > 1").transform_calculate(
        version_label=_VERSION_LABEL)
    rule = starts.mark_rule(color="#0072B2", strokeDash=[2, 3], strokeWidth=1.5).encode(x="lot:Q")
    text = starts.mark_text(align="left", baseline="top", dx=4, dy=2, color="#0072B2", fontSize=11).encode(
        x="lot:Q", y=alt.value(0), text="version_label:N")
    approved = base.transform_filter("datum.segment_start && !datum.version_start").transform_calculate(
        limits_label="'approved limits from ' + slice(datum.segment, -10)")
    limits_rule = approved.mark_rule(color="#009E73", strokeDash=[1, 2], strokeWidth=1.5).encode(x="lot:Q")
    limits_text = approved.mark_text(align="left", baseline="top", dx=4, dy=16, color="#009E73",
                                     fontSize=11).encode(x="lot:Q", y=alt.value(0), text="limits_label:N")
    return rule + text + limits_rule + limits_text


def individuals(frame: pd.DataFrame, attribute: str, unit: str | None, rules: list[int],
                rule_labels: list[str], program: str) -> alt.LayerChart:
    """The I chart: each lot's value, the limits of its process version, specification limits, version changes."""
    unit_text = unit or "no unit"
    title = f"{attribute} ({unit_text})"
    marks = _point_marks(rules, rule_labels)
    colour, shape = _scales(marks)
    base = alt.Chart(frame)
    limits = base.transform_fold(["ucl", "centre", "lcl"], as_=["line", "limit"]).transform_filter(
        "isValid(datum.limit)").mark_line(color="#444444", strokeWidth=1.2, interpolate="step-after").encode(
        x=_lot_axis(), y=alt.Y("limit:Q", title=title), detail=["segment:N", "line:N"])
    specs = base.transform_fold(["lower_spec", "upper_spec"], as_=["side", "spec"]).transform_filter(
        "isValid(datum.spec)").transform_aggregate(spec="min(spec)", groupby=["side"]).mark_rule(
        color="#444444", strokeDash=[6, 4], strokeWidth=1.2).encode(y=alt.Y("spec:Q", title=title))
    points = base.mark_point(filled=True, size=70, opacity=0.95).encode(
        x=_lot_axis(),
        y=alt.Y("value:Q", title=title, scale=alt.Scale(zero=False), axis=_VALUE_AXIS),
        color=alt.Color("signal:N", title="Point", scale=colour, legend=alt.Legend(orient="right", labelLimit=0)),
        shape=alt.Shape("signal:N", title="Point", scale=shape),
        tooltip=[alt.Tooltip("lot:Q", title="Lot"), alt.Tooltip("batch_id:N", title="Batch"),
                 alt.Tooltip("process_version:N", title="Process version"),
                 alt.Tooltip("manufactured_on:N", title="Made on"),
                 alt.Tooltip("value:Q", title=f"Value ({unit_text})", format=".4g"),
                 alt.Tooltip("rules:N", title="Rules broken"), alt.Tooltip("signal:N", title="Point"),
                 alt.Tooltip("out_of_spec:N", title="Out of specification"),
                 alt.Tooltip("segment:N", title="Limits"), alt.Tooltip("disposition:N", title="Disposition")],
    )
    return (limits + specs + _version_markers(base) + points).properties(
        title=alt.Title(
            f"{attribute}: individuals chart, {program}",
            subtitle=["Solid lines: centre and ±3σ limits of each process version (approved limits where in force).",
                      "Dashed: specification limits. Dotted vertical: a new process version and the change that "
                      "introduced it, or approved limits taking over."]),
        height=420, padding=_PAD)  # Streamlit fits title and legend inside the height


def moving_range(frame: pd.DataFrame, attribute: str, unit: str | None) -> alt.LayerChart:
    """The MR chart under the I chart: |difference| between consecutive lots of one process version."""
    unit_text = unit or "no unit"
    colour, shape = _scales(_MR_MARKS)
    base = alt.Chart(frame).transform_filter("isValid(datum.moving_range)").transform_calculate(
        mr_state="datum.mr_beyond ? 'Above the moving-range limit' : 'Within the limit'")
    limit = alt.Chart(frame).transform_filter("isValid(datum.mr_ucl)").mark_line(
        color="#444444", strokeWidth=1.2, interpolate="step-after").encode(
        x=_lot_axis(), y=alt.Y("mr_ucl:Q", title=f"Moving range ({unit_text})"), detail="segment:N")
    points = base.mark_point(filled=True, size=50).encode(
        x=_lot_axis(),
        y=alt.Y("moving_range:Q", title=f"Moving range ({unit_text})"),
        color=alt.Color("mr_state:N", title="Moving range", scale=colour,
                        legend=alt.Legend(orient="right", labelLimit=0)),
        shape=alt.Shape("mr_state:N", title="Moving range", scale=shape),
        tooltip=[alt.Tooltip("lot:Q", title="Lot"), alt.Tooltip("batch_id:N", title="Batch"),
                 alt.Tooltip("moving_range:Q", title=f"Moving range ({unit_text})", format=".4g"),
                 alt.Tooltip("mr_ucl:Q", title="Limit", format=".4g")],
    )
    return (limit + _version_markers(alt.Chart(frame)) + points).properties(
        title=alt.Title(f"{attribute}: moving-range chart",
                        subtitle=["Solid line: the moving-range limit (3.267 × the average moving range of the "
                                  "version's baseline).", "The first lot of each version has no moving range."]),
        height=260, padding=_PAD)


def overview(frame: pd.DataFrame, program: str, recent_lots: int) -> alt.FacetChart:
    """Small multiples: every CQA's recent lots, each panel titled with the CQA's state in words."""
    colour, shape = _scales(_OVERVIEW_MARKS)
    base = alt.Chart().encode(x=alt.X("recent_lot:Q", title="Recent lot (oldest first)",
                                      axis=alt.Axis(tickMinStep=1, format="d")))
    line = base.mark_line(color="#BBBBBB").encode(y=alt.Y("value:Q", title="Value (unit in the tooltip)",
                                                          scale=alt.Scale(zero=False), axis=_VALUE_AXIS))
    points = base.mark_point(filled=True, size=45).encode(
        y="value:Q",
        color=alt.Color("point:N", title="Point", scale=colour, legend=alt.Legend(orient="bottom")),
        shape=alt.Shape("point:N", title="Point", scale=shape),
        tooltip=[alt.Tooltip("attribute:N", title="CQA"), alt.Tooltip("batch_id:N", title="Batch"),
                 alt.Tooltip("process_version:N", title="Process version"),
                 alt.Tooltip("value:Q", title="Value", format=".4g"), alt.Tooltip("unit:N", title="Unit"),
                 alt.Tooltip("point:N", title="Point")],
    )
    return alt.layer(line, points, data=frame).properties(width=220, height=110).facet(
        facet=alt.Facet("panel:N", title=None, header=alt.Header(labelFontSize=12, labelLimit=260)), columns=3,
    ).resolve_scale(y="independent").properties(
        title=alt.Title(f"Every CQA's last {recent_lots} lots, {program}",
                        subtitle="Each panel's title says the CQA's state; a point's shape and colour say whether "
                                 "it breaks a run rule or its specification."),
        padding=_PAD)
