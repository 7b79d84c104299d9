"""Potency charts: every cell, bar and line carries its word; colours (Okabe-Ito) only repeat it."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..lens_tables.potency import BATCH_STATE_LABELS, CELL_STATES, NO_ASSAY, STAGE_LABELS

_PAD = {"top": 24, "left": 5, "right": 5, "bottom": 5}
_CELL_COLOURS = dict(zip((words for _, words in CELL_STATES.values()), ("#009E73", "#E69F00", "#D55E00", "#DDDDDD")))
_STAGE_COLOURS = dict(zip(STAGE_LABELS.values(), ("#D55E00", "#E69F00", "#56B4E9", "#009E73")))
_BATCH_COLOURS = dict(zip(BATCH_STATE_LABELS.values(), ("#009E73", "#F0E442", "#D55E00", "#E69F00", "#BBBBBB")))


def _legend_scale(colours: dict) -> alt.Scale:
    return alt.Scale(domain=list(colours), range=list(colours.values()))


def coverage_matrix(frame: pd.DataFrame, program: str, stage_expected: str | None) -> alt.LayerChart:
    """Mechanism elements x assays: each cell says the assay's stage and readout; an element no assay reads
    out has a cell in the "No assay" column."""
    assays = [a for a in dict.fromkeys(frame["assay"]) if a != NO_ASSAY] + (
        [NO_ASSAY] if (frame["assay"] == NO_ASSAY).any() else [])
    expected = f"the phase expects {stage_expected}" if stage_expected else "no stage expected yet at this phase"
    base = alt.Chart(frame).encode(
        x=alt.X("assay:N", sort=assays, title="Assay (id)",
                axis=alt.Axis(orient="top", labelAngle=0, labelLimit=160, labelOverlap=False)),
        y=alt.Y("mechanism:N", title="Element of the mechanism of action", axis=alt.Axis(labelLimit=260)),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("state:N", title="Cell", scale=_legend_scale(_CELL_COLOURS),
                        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0)),
        tooltip=[alt.Tooltip("mechanism:N", title="Element"), alt.Tooltip("assay:N", title="Assay"),
                 alt.Tooltip("category:N", title="Category"), alt.Tooltip("readout:N", title="Readout"),
                 alt.Tooltip("stage:N", title="Stage on the as-of date"), alt.Tooltip("state:N", title="Cell")],
    )
    labels = base.mark_text(fontSize=12).encode(text="label:N")
    return (cells + labels).properties(
        title=alt.Title("Which assay reads out which element of the mechanism of action",
                        subtitle=f"{program}. Each cell: the assay's stage and readout on the as-of date; {expected}."),
        height=alt.Step(40), padding=_PAD)


def stage_timeline(segments: pd.DataFrame, phases: pd.DataFrame, program: str, as_of: str) -> alt.LayerChart:
    """Each assay's lifecycle stage over time, with the program's phase changes as labelled rules."""
    bars = alt.Chart(segments).mark_bar(height=22).encode(
        x=alt.X("from:T", title="Date"),
        x2="to:T",
        y=alt.Y("assay:N", title="Assay (id)"),
        color=alt.Color("label:N", title="Stage", scale=_legend_scale(_STAGE_COLOURS),
                        legend=alt.Legend(orient="bottom", labelLimit=0)),
        tooltip=[alt.Tooltip("assay:N", title="Assay"), alt.Tooltip("label:N", title="Stage"),
                 alt.Tooltip("from:T", title="From", format="%Y-%m-%d"),
                 alt.Tooltip("to:T", title="Until", format="%Y-%m-%d")],
    )
    words = alt.Chart(segments).mark_text(align="left", dx=4, fontSize=11).encode(
        x="from:T", y="assay:N", text="stage:N")
    rules = alt.Chart(phases).mark_rule(strokeDash=[4, 3], color="#000000").encode(
        x="started_on:T", tooltip=[alt.Tooltip("label:N", title="Phase")])
    rule_labels = alt.Chart(phases).mark_text(align="left", baseline="bottom", dx=3, dy=-2, fontSize=11,
                                              angle=0).encode(x="started_on:T", y=alt.value(0), text="label:N")
    return (bars + words + rules + rule_labels).properties(
        title=alt.Title("Assay lifecycle stage over time",
                        subtitle=f"{program}, up to {as_of}. Dashed rules: the program's phase changes."),
        height=alt.Step(34), padding={**_PAD, "top": 40})


def batch_coverage(frame: pd.DataFrame, scope: str) -> alt.Chart:
    """Stacked bars, batches with a quantitative result at the bottom; the legend sits to the right, as one
    below the plot would take the height Streamlit gives the chart."""
    return alt.Chart(frame, title=alt.Title(
        "Potency results on clinical batches, by month of manufacture",
        subtitle=f"{scope}. Each batch counted once, by its best valid potency result on the as-of date.",
    )).mark_bar().encode(
        x=alt.X("month:O", title="Month of manufacture (YYYY-MM)"),
        y=alt.Y("batches:Q", title="Clinical batches (count)", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("state:N", title="Potency result", scale=_legend_scale(_BATCH_COLOURS),
                        legend=alt.Legend(orient="right", labelLimit=0)),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("month:O", title="Month"), alt.Tooltip("state:N", title="Potency"),
                 alt.Tooltip("batches:Q", title="Batches")],
    ).properties(padding=_PAD)


def potency_trend(points: pd.DataFrame, label: str) -> alt.LayerChart:
    """One point per batch, oldest first, with the specification limits drawn and named."""
    unit = points["unit"].dropna().iloc[0] if points["unit"].notna().any() else "as reported"
    attribute = points["attribute"].iloc[0]
    line = alt.Chart(points).mark_line(point=True, color="#0072B2").encode(
        x=alt.X("manufactured_on:T", title="Date of manufacture"),
        y=alt.Y("value:Q", title=f"{attribute} ({unit})", scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("batch_id:N", title="Batch"),
                 alt.Tooltip("manufactured_on:T", title="Made", format="%Y-%m-%d"),
                 alt.Tooltip("value:Q", title=f"Value ({unit})")],
    )
    limits = pd.concat([
        points[["lower_limit"]].dropna().drop_duplicates().rename(columns={"lower_limit": "limit"}).assign(
            which="lower specification limit"),
        points[["upper_limit"]].dropna().drop_duplicates().rename(columns={"upper_limit": "limit"}).assign(
            which="upper specification limit"),
    ], ignore_index=True)
    limits = limits.assign(label=[f"{w}: {v:g}" for w, v in zip(limits["which"], limits["limit"])])
    rules = alt.Chart(limits).mark_rule(color="#D55E00", strokeDash=[6, 3]).encode(y="limit:Q")
    rule_labels = alt.Chart(limits).mark_text(align="left", baseline="bottom", dy=-3, color="#D55E00").encode(
        y="limit:Q", x=alt.value(4), text="label:N")
    note = "Dashed: specification limits." if len(limits) else "No specification limit in the data plan."
    return (line + rules + rule_labels).properties(
        title=alt.Title(f"Potency trend: {label}", subtitle=f"Valid results on clinical batches. {note}"),
        height=320, padding=_PAD)
