"""Baseline charts: every cell and bar carries its state's word or glyph; colours (Okabe-Ito) only repeat it."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..lens_tables.baseline import CELL_LABELS, LINE_SERIES

_PAD = {"top": 24, "left": 5, "right": 5, "bottom": 5}
_STATE_COLOURS = dict(zip(CELL_LABELS.values(), ("#009E73", "#D55E00", "#CC79A7", "#56B4E9")))
_SERIES_COLOURS = dict(zip(LINE_SERIES.values(), ("#0072B2", "#E69F00")))


def _scale(colours: dict) -> alt.Scale:
    return alt.Scale(domain=list(colours), range=list(colours.values()))


def _legend() -> alt.Legend:
    return alt.Legend(orient="bottom", direction="vertical", labelLimit=0)


def completeness_line(frame: pd.DataFrame, program: str, phase: str) -> alt.LayerChart:
    """Completeness per month of manufacture; the phase threshold is a labelled rule, not a colour."""
    threshold = frame["threshold_pct"].dropna()
    lowest = min([frame["completeness_pct"].min(), *threshold]) if not frame.empty else 0
    y_scale = alt.Scale(domain=[max(0, 5 * int((lowest - 5) // 5)), 100])
    line = alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("month:O", title="Month of manufacture (YYYY-MM)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("completeness_pct:Q", title="Required results present (%)", scale=y_scale),
        color=alt.Color("series:N", title=None, scale=_scale(_SERIES_COLOURS),
                        legend=alt.Legend(orient="top", labelLimit=0)),
        strokeDash=alt.StrokeDash("series:N", title=None, legend=None),
        tooltip=[alt.Tooltip("month:O", title="Month"), alt.Tooltip("series:N", title="Share of"),
                 alt.Tooltip("completeness_pct:Q", title="Present (%)")],
    )
    layers = [line]
    if not threshold.empty:
        value = float(threshold.iloc[0])
        rule_frame = pd.DataFrame({"threshold_pct": [value],
                                   "label": [f"{phase} expectation: at least {value:g}%"]})
        layers.append(alt.Chart(rule_frame).mark_rule(color="#000000", strokeDash=[6, 4]).encode(
            y="threshold_pct:Q", tooltip=[alt.Tooltip("label:N", title="Threshold")]))
        layers.append(alt.Chart(rule_frame).mark_text(align="left", baseline="top", dx=4, dy=4).encode(
            y="threshold_pct:Q", x=alt.value(0), text="label:N"))
    return alt.layer(*layers).properties(
        title=alt.Title("Baseline completeness by month of manufacture",
                        subtitle=f"{program}. Valid required results recorded / required results due (pending "
                                 "ones left out); the dashed rule is the phase threshold BL004 judges the "
                                 "all-batches figure against."),
        height=420, padding=_PAD)


def heatmap(frame: pd.DataFrame, program: str, note: str, newest_first: bool = True) -> alt.LayerChart:
    """Batches (rows, in the order given) x required attributes: each cell's glyph says its state."""
    batches = list(dict.fromkeys(frame.sort_values("batch_order")["batch_id"]))
    base = alt.Chart(frame).encode(
        x=alt.X("attribute:N", title="Required attribute",
                axis=alt.Axis(orient="top", labelAngle=-35, labelLimit=200, labelOverlap=False)),
        y=alt.Y("batch_id:N", sort=batches,
                title=f"Clinical batch ({'newest' if newest_first else 'oldest'} made first)",
                axis=alt.Axis(labelOverlap=False, labelFontSize=10)),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("state:N", title="Required result", scale=_scale(_STATE_COLOURS), legend=_legend()),
        tooltip=[alt.Tooltip("batch_id:N", title="Batch"), alt.Tooltip("manufactured_on:N", title="Made on"),
                 alt.Tooltip("process_version:N", title="Process version"),
                 alt.Tooltip("disposition:N", title="Disposition"),
                 alt.Tooltip("disposition_on:N", title="Disposition on"),
                 alt.Tooltip("attribute:N", title="Attribute"), alt.Tooltip("state:N", title="Result")],
    )
    glyphs = base.mark_text(fontSize=11, color="#000000").encode(text="glyph:N")
    subtitle = f"{program}. Each cell: the state of a required result on a batch (✓ ✗ ⊘ … as in the legend)."
    return (cells + glyphs).properties(
        title=alt.Title("Required results by batch and attribute",
                        subtitle=[subtitle, note] if note else subtitle),
        height=alt.Step(16), padding=_PAD)


def attribute_bars(frame: pd.DataFrame, scope: str) -> alt.Chart:
    """Required results per attribute, stacked by state, so the attribute behind the gaps stands out."""
    return alt.Chart(frame, title=alt.Title(
        "Required results by attribute", subtitle=f"{scope}. Clinical batches made by the as-of date.",
    )).mark_bar().encode(
        y=alt.Y("attribute:N", title="Required attribute", sort="ascending", axis=alt.Axis(labelLimit=240)),
        x=alt.X("results:Q", title="Required results (count)", axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("state:N", title="Required result", scale=_scale(_STATE_COLOURS), legend=_legend()),
        order=alt.Order("state_order:Q"),
        tooltip=[alt.Tooltip("attribute:N", title="Attribute"), alt.Tooltip("state:N", title="Result"),
                 alt.Tooltip("results:Q", title="Count")],
    ).properties(height=alt.Step(22), padding=_PAD)
