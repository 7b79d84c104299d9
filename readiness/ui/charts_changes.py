"""Change-control and comparability charts: every colour (Okabe-Ito) comes with a shape, a word or a legend."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..lens_tables.changes import AGE_STATES, MONTH_EVENTS

_PAD = {"top": 24, "left": 5, "right": 5, "bottom": 5}
_OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
_SHAPES = ("circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "wedge", "stroke")
_AGE_COLOURS = dict(zip(AGE_STATES.values(), ("#D55E00", "#009E73", "#999999")))
_MONTH_COLOURS = dict(zip(MONTH_EVENTS.values(), ("#0072B2", "#009E73")))
_POSITION_COLOURS = {"inside the range": "#009E73", "outside the range": "#D55E00", "no range": "#999999"}
_POSITION_SHAPES = {"inside the range": "circle", "outside the range": "triangle-up", "no range": "square"}


def _scale(mapping: dict) -> alt.Scale:
    return alt.Scale(domain=list(mapping), range=list(mapping.values()))


def open_change_ages(frame: pd.DataFrame, scope: str) -> alt.LayerChart:
    """One bar per open change, its age; a black tick marks the age its risk allows at the program's phase."""
    frame = frame.assign(change=frame["program_id"] + " · " + frame["change_id"] + " (" + frame["risk"] + " risk)")
    order = list(frame["change"])
    base = alt.Chart(frame).encode(y=alt.Y("change:N", sort=order, title="Open change (program · id, risk)",
                                           axis=alt.Axis(labelLimit=320)))
    bars = base.mark_bar().encode(
        x=alt.X("age_days:Q", title="Days open on the as-of date"),
        color=alt.Color("age_status:N", title=None, scale=_scale(
                            {s: c for s, c in _AGE_COLOURS.items() if s in set(frame["age_status"])}),
                        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0)),
        tooltip=[alt.Tooltip("change_id:N", title="Change"), alt.Tooltip("title:N", title="Title"),
                 alt.Tooltip("risk:N", title="Risk"), alt.Tooltip("opened_on:N", title="Opened"),
                 alt.Tooltip("age_days:Q", title="Days open"), alt.Tooltip("allowed_days:Q", title="Days allowed")],
    )
    ticks = base.mark_tick(color="#000000", thickness=3, size=24).encode(x="allowed_days:Q")
    words = base.mark_text(align="left", dx=6, fontSize=11).encode(
        x="allowed_days:Q", text=alt.Text("allowed_days:Q", format="d"))
    return (bars + ticks + words).properties(
        title=alt.Title("Age of each open change against the age its risk allows",
                        subtitle=f"{scope}. Black tick and number: days its risk level allows at the program's "
                                 "phase (expectation open_change_max_days)."),
        height=alt.Step(28), padding=_PAD)


def version_timeline(batches: pd.DataFrame, events: pd.DataFrame, program: str) -> alt.LayerChart:
    """Batches on a time axis, one lane per process version (colour and shape), with change approvals and
    implementations as labelled rules: a version whose lots start before any approval outran change control."""
    versions = list(dict.fromkeys(batches["process_version"]))
    colours = alt.Scale(domain=versions, range=[_OKABE_ITO[i % len(_OKABE_ITO)] for i in range(len(versions))])
    shapes = alt.Scale(domain=versions, range=[_SHAPES[i % len(_SHAPES)] for i in range(len(versions))])
    x = alt.X("manufactured_on:T", title="Date of manufacture", axis=alt.Axis(format="%Y-%m"))
    y = alt.Y("process_version:N", sort=versions, title="Process version")
    points = alt.Chart(batches).mark_point(filled=True, size=70, opacity=0.85).encode(
        x=x, y=y,
        color=alt.Color("process_version:N", title="Process version", scale=colours,
                        legend=alt.Legend(orient="bottom")),
        shape=alt.Shape("process_version:N", title="Process version", scale=shapes),
        tooltip=[alt.Tooltip("batch_id:N", title="Batch"), alt.Tooltip("process_version:N", title="Version"),
                 alt.Tooltip("purpose:N", title="Purpose"),
                 alt.Tooltip("manufactured_on:T", title="Made", format="%Y-%m-%d"),
                 alt.Tooltip("disposition:N", title="Disposition"),
                 alt.Tooltip("change_control:N", title="Change control")],
    )
    rings = alt.Chart(batches[batches["change_control"].str.startswith("⛔")]).mark_point(
        shape="circle", size=260, filled=False, color="#000000", strokeWidth=1.5).encode(x=x, y=y)
    layers = [points, rings]
    if not events.empty:
        rules = alt.Chart(events).mark_rule(strokeWidth=1.5, color="#444444").encode(
            x=alt.X("on:T"),
            strokeDash=alt.StrokeDash("event:N", title="Change", scale=alt.Scale(
                domain=["approved", "implemented"], range=[[1, 0], [6, 4]]), legend=alt.Legend(orient="bottom")),
            tooltip=[alt.Tooltip("label:N", title="Event"), alt.Tooltip("title:N", title="Change"),
                     alt.Tooltip("on:T", title="On", format="%Y-%m-%d")],
        )
        labels = alt.Chart(events).mark_text(angle=270, align="right", baseline="bottom", dx=-4, fontSize=10).encode(
            x=alt.X("on:T"), y=alt.value(0), text="label:N")
        layers += [rules, labels]
    return alt.layer(*layers).resolve_scale(color="shared", shape="shared").properties(
        title=alt.Title("Process versions in use, against change approvals and implementations",
                        subtitle=f"{program}. One point per batch; solid rule: change approved, dashed: implemented. "
                                 "Black rings: clinical or PPQ lots made with no approved change for their version."),
        # Streamlit fits title, axis and legend (about 200 px) inside the height; the lanes keep room for the labels
        height=max(70 * len(versions), 240) + 200, padding=_PAD)


def changes_by_month(frame: pd.DataFrame, scope: str) -> alt.Chart:
    return alt.Chart(frame, title=alt.Title("Change records opened and closed per month",
                                            subtitle=f"{scope}. Months without bars had no change opened or closed.")
                     ).mark_bar().encode(
        x=alt.X("month:O", title="Month (YYYY-MM)"),
        xOffset=alt.XOffset("event:N", sort=list(_MONTH_COLOURS)),
        y=alt.Y("changes:Q", title="Change records (count)", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("event:N", title=None, scale=_scale(_MONTH_COLOURS), legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("month:O", title="Month"), alt.Tooltip("event:N", title="Event"),
                 alt.Tooltip("changes:Q", title="Changes")],
    ).properties(padding=_PAD)


def comparability_strip(points: pd.DataFrame, cqa: dict, sides: dict[str, str], change_id: str,
                        verdict: str) -> alt.LayerChart:
    """One CQA before and after a change: box and lots per side, with the pre-change quality range drawn."""
    unit = f" ({cqa['unit']})" if cqa["unit"] else ""
    order = [sides["pre"], sides["post"]]
    x = alt.X("side:N", sort=order, title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y("value:Q", title=f"{cqa['attribute']}{unit}", scale=alt.Scale(zero=False))
    boxes = alt.Chart(points).mark_boxplot(extent="min-max", opacity=0.35, color="#999999", size=50).encode(x=x, y=y)
    dots = alt.Chart(points).mark_point(filled=True, size=45).encode(
        x=x, y=y, xOffset=alt.XOffset("jitter:Q", scale=alt.Scale(domain=[-1, 2])),
        color=alt.Color("position:N", title="Lot", scale=_scale(_POSITION_COLOURS), legend=alt.Legend(orient="bottom")),
        shape=alt.Shape("position:N", title="Lot", scale=_scale(_POSITION_SHAPES)),
        tooltip=[alt.Tooltip("batch_id:N", title="Batch"), alt.Tooltip("side:N", title="Side"),
                 alt.Tooltip("value:Q", title=f"Value{unit}", format=".4g"),
                 alt.Tooltip("position:N", title="Quality range")],
    ).transform_calculate(jitter="random()")
    layers = [boxes, dots]
    if cqa["range_low"] is not None:
        bounds = pd.DataFrame({"bound": [f"range low {cqa['range_low']:.4g}", f"range high {cqa['range_high']:.4g}"],
                               "value": [cqa["range_low"], cqa["range_high"]]})
        layers.append(alt.Chart(bounds).mark_rule(strokeDash=[6, 4], color="#000000").encode(
            y="value:Q", tooltip=[alt.Tooltip("bound:N", title="Quality range")]))
        layers.append(alt.Chart(bounds).mark_text(align="right", x="width", dy=-6, fontSize=10).encode(
            y="value:Q", text="bound:N"))
    k = f"{cqa['k']:g}"
    return alt.layer(*layers).properties(
        title=alt.Title(f"{cqa['attribute']}: before and after {change_id}",
                        subtitle=f"Dashed: pre-change mean ± {k} SD. Equivalence of means: {verdict}."),
        height=420, padding=_PAD)  # Streamlit fits title and legend inside the height
