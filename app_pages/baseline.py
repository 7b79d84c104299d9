"""Batch records & baseline: required results present on clinical batches, the gaps that cannot be closed,
and the deviations still open on those records."""

import streamlit as st

from readiness import tables
from readiness.lens_tables import baseline as lt
from readiness.ui import charts, charts_baseline, data, view, widgets

v = view.current()
ds = data.dataset()
report = data.lens_report(ds, v.as_of, "baseline", v.program)
scope = v.program or "All programs"

st.title("Baseline & batch records")
widgets.notices(v)
widgets.about(ds, v)
widgets.expectation_problems(report)


def picked(key: str, options: list[str], what: str) -> str | None:
    """A selection from the link; one not in this view is a plain notice and is dropped from the link."""
    value = view.url_param(key)
    if value is not None and value not in options:
        where = v.program or "any program"
        st.warning(f"There is no {what} “{value}” in {where} as of {v.as_of.isoformat()}; showing all.", icon="⚠️")
        view.set_url_param(key, None)
        return None
    return value


attribute = picked("attribute", lt.attribute_options(report), "required attribute")
batch = picked("batch", lt.batch_options(report), "clinical batch")

figures = tables.baseline_figures(report)
if v.program:
    row = figures.iloc[0]
    completeness, threshold = row["baseline_completeness"], row["completeness_min"]
    cols = st.columns(3)
    cols[0].metric("Baseline completeness", "no results due yet" if completeness is None else f"{completeness:.1%}",
                   help="Valid required results recorded / required results due on clinical batches. "
                        + ("No threshold at this phase." if threshold is None
                           else f"The phase expects at least {threshold:.0%} (BL004)."))
    cols[1].metric("Required results present", f"{row['required_results_present']:,} of "
                   f"{row['required_results_expected']:,}")
    cols[2].metric("Irrecoverable gaps", f"{row['irrecoverable_gaps']:,}",
                   help="Required results missing on batches already administered.")
    cols = st.columns(3)
    cols[0].metric("Pending (testing window)", f"{row['required_results_pending']:,}")
    cols[1].metric("Invalidated, no valid retest", f"{row['results_invalidated_not_retested']:,}")
    cols[2].metric("Open deviations (past their limit)", f"{row['deviations_open']:,} "
                   f"({row['deviations_overdue']:,})")
else:
    st.dataframe(figures, hide_index=True, width="stretch")
    widgets.download(figures, "baseline_figures.csv")

st.subheader("Findings")
widgets.findings(tables.findings(report, "baseline"),
                 "No baseline findings: every required result due is recorded and no deviation is overdue.")

st.subheader("Batches and attributes")
attributes, batches = lt.attribute_options(report), lt.batch_options(report)
st.session_state["baseline_attribute"] = attribute or ""
st.session_state["baseline_batch"] = batch or ""
left, right = st.columns(2)
left.selectbox("Attribute", ["", *attributes], key="baseline_attribute",
               format_func=lambda a: a or "All required attributes",
               on_change=lambda: view.set_url_param("attribute", st.session_state["baseline_attribute"] or None))
right.selectbox("Batch", ["", *batches], key="baseline_batch", format_func=lambda b: b or "All clinical batches",
                on_change=lambda: view.set_url_param("batch", st.session_state["baseline_batch"] or None))

gaps = tables.baseline_gaps_by_month(report)
if gaps["results"].any():
    st.altair_chart(charts.baseline_gaps_by_month(gaps, scope), width="stretch",
                    alt="Bar chart of missing required results per month of manufacture; the findings list them.")

if v.program:
    program = report["programs"][0]
    line = lt.completeness_line(program)
    if not line.empty:
        st.altair_chart(charts_baseline.completeness_line(line, v.program, lt.PHASE_WORDS[program["phase"]]),
                        width="stretch", alt="Line chart of baseline completeness per month of manufacture "
                                             "against the phase threshold; the table of figures holds the values.")
    newest_first = st.radio("Batches", ["Newest first", "Oldest first"], horizontal=True,
                            key="baseline_sort", help="Order of the heatmap's rows, by date of manufacture.") \
        == "Newest first"
    cells, note = lt.heatmap(program, attribute, batch, newest_first)
    if cells.empty:
        st.info("No required results on clinical batches in this selection.", icon="ℹ️")
    else:
        st.altair_chart(charts_baseline.heatmap(cells, v.program, note, newest_first), width="stretch",
                        alt="Heatmap of required results by batch and attribute; the table below lists each cell.")
        with st.expander("The heatmap's cells as a table"):
            shown = cells.drop(columns=["glyph", "batch_order"])
            st.dataframe(shown, hide_index=True, width="stretch")
            widgets.download(shown, f"baseline_heatmap_{v.program}.csv")
    bars = lt.attribute_bars(report)
    if not bars.empty:
        st.altair_chart(charts_baseline.attribute_bars(bars, v.program), width="stretch",
                        alt="Stacked bars of required results per attribute by state.")
else:
    st.caption("Pick a program in the sidebar to see its completeness by month against the phase threshold, "
               "its batch × attribute heatmap and its results per attribute.")

st.subheader("Irrecoverable gaps")
st.caption("Required results missing on batches already administered: they can never be measured now.")
lost = lt.irrecoverable_gaps(report, attribute, batch)
if lost.empty:
    st.success("No irrecoverable gap in this selection.", icon="✅")
else:
    st.dataframe(lost, hide_index=True, width="stretch")
    widgets.download(lost, "baseline_irrecoverable_gaps.csv")

st.subheader("Open deviations")
st.caption("Deviations open on the as-of date, oldest first, with their age against the phase's limit for "
           "their severity and the batch they touch.")
devs = lt.open_deviations(report, batch)
if devs.empty:
    st.success("No deviation open in this selection.", icon="✅")
else:
    st.dataframe(devs, hide_index=True, width="stretch")
    widgets.download(devs, "baseline_open_deviations.csv")
