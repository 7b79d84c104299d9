"""Chart specifications: titles, units and axis labels a reviewer understands, colours never alone."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..tables import GAP_STATES

# Okabe-Ito orange and vermillion (told apart with the common colour-vision deficiencies); the legend names them.
_GAP_COLOURS = dict(zip(GAP_STATES.values(), ("#E69F00", "#D55E00")))


def baseline_gaps_by_month(frame: pd.DataFrame, scope: str) -> alt.Chart:
    return alt.Chart(frame, title=alt.Title(
        "Required results missing on clinical batches, by month of manufacture",
        subtitle=f"{scope}. Months without a bar have every required result recorded (or not yet due).",
    )).mark_bar().encode(
        x=alt.X("month:O", title="Month of manufacture (YYYY-MM)"),
        y=alt.Y("results:Q", title="Missing required results (count)", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("state:N", title=None, scale=alt.Scale(domain=list(_GAP_COLOURS),
                                                               range=list(_GAP_COLOURS.values())),
                        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0)),
        tooltip=[alt.Tooltip("month:O", title="Month"), alt.Tooltip("state:N", title="Result"),
                 alt.Tooltip("results:Q", title="Missing"),
                 alt.Tooltip("required:Q", title="Required that month")],
    ).properties(padding={"top": 24, "left": 5, "right": 5, "bottom": 5})


# Status colours (Okabe-Ito based) always drawn with the status word in the cell.
_STATUS_COLOURS = {"Off track": "#D55E00", "Unknown (data not usable)": "#999999", "At risk": "#E69F00",
                   "On track": "#009E73", "Not assessed yet": "#EEEEEE"}


def status_grid(frame: pd.DataFrame, as_of: str) -> alt.LayerChart:
    """Programs x lenses: a board member reads each cell's word; the colour only repeats it."""
    programs = list(dict.fromkeys(frame.sort_values("program_order")["program"]))
    lenses = list(dict.fromkeys(frame.sort_values("lens_order")["lens"]))
    base = alt.Chart(frame).encode(
        x=alt.X("lens:N", sort=lenses, title="Lens (CMC failure pattern)",
                axis=alt.Axis(orient="top", labelAngle=0, labelLimit=170, labelOverlap=False, labelFontSize=11)),
        y=alt.Y("program:N", sort=programs, title="Program"),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("status:N", title="Status", scale=alt.Scale(domain=list(_STATUS_COLOURS),
                                                                    range=list(_STATUS_COLOURS.values())),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("program:N", title="Program"), alt.Tooltip("lens:N", title="Lens"),
                 alt.Tooltip("status:N", title="Status"), alt.Tooltip("score:Q", title="Score (0-100)")],
    )
    labels = base.mark_text(fontSize=12).encode(text="label:N")
    return (cells + labels).properties(
        title=alt.Title("CMC readiness by program and lens",
                        subtitle=f"As of {as_of}. Each cell: status and score (0-100); worst program at the top."),
        height=alt.Step(36), padding={"top": 24, "left": 5, "right": 5, "bottom": 5})
