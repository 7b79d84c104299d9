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
