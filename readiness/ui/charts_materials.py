"""Materials charts: each point's state is named in the legend and drawn with its own shape; colours (Okabe-Ito)
only repeat it."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..lens_tables.materials import STATE_LABELS

_STATE_COLOURS = dict(zip(STATE_LABELS.values(), ("#009E73", "#E69F00", "#D55E00")))
_STATE_SHAPES = dict(zip(STATE_LABELS.values(), ("circle", "triangle-up", "square")))


def batch_tiers(frame: pd.DataFrame, program_id: str) -> alt.Chart:
    """One program's GMP lots over time (x) by material risk tier (rows): was every material of that tier
    qualified?"""
    rows = list(dict.fromkeys(frame["risk_tier"]))
    return alt.Chart(frame, title=alt.Title(
        "Were each GMP lot's materials qualified when it was made? By risk tier",
        subtitle=f"{program_id}. One mark per lot and USP <1043> risk tier (4 = highest): the worst state among "
                 "that tier's materials on the manufacture date.",
    )).mark_point(filled=True, size=70, opacity=0.9).encode(
        x=alt.X("manufactured_on:T", title="Manufacture date of the lot (YYYY-MM-DD)",
                axis=alt.Axis(format="%Y-%m-%d", labelAngle=0)),
        y=alt.Y("risk_tier:N", sort=rows, title="Material risk tier"),
        color=alt.Color("state:N", title="Qualification when the lot was made",
                        scale=alt.Scale(domain=list(_STATE_COLOURS), range=list(_STATE_COLOURS.values())),
                        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0, titleLimit=0)),
        shape=alt.Shape("state:N", title="Qualification when the lot was made",  # same title: one legend
                        scale=alt.Scale(domain=list(_STATE_SHAPES), range=list(_STATE_SHAPES.values()))),
        tooltip=[alt.Tooltip("batch_id:N", title="Lot"),
                 alt.Tooltip("manufactured_on:T", title="Made", format="%Y-%m-%d"),
                 alt.Tooltip("risk_tier:N", title="Risk tier"),
                 alt.Tooltip("materials:Q", title="Materials of the tier"),
                 alt.Tooltip("state:N", title="Qualification")],
    ).properties(height=alt.Step(34), padding={"top": 24, "left": 5, "right": 5, "bottom": 5})
