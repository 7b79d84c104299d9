"""Batch records & baseline: required results present on clinical batches, and the gaps that cannot be closed."""

import streamlit as st

from readiness import tables
from readiness.ui import charts, data, view, widgets

v = view.current()
ds = data.dataset()
report = data.report(ds, v.as_of, v.program)

st.title("Baseline & batch records")
widgets.notices(v)
widgets.about(ds, v)

figures = tables.baseline_figures(report)
if v.program:
    row = figures.iloc[0]
    cols = st.columns(4)
    completeness = row["baseline_completeness"]
    cols[0].metric("Baseline completeness", "no results due yet" if completeness is None else f"{completeness:.1%}",
                   help="Valid required results recorded / required results due on clinical batches.")
    cols[1].metric("Required results present", f"{row['required_results_present']:,} of "
                   f"{row['required_results_expected']:,}")
    cols[2].metric("Irrecoverable gaps", f"{row['irrecoverable_gaps']:,}",
                   help="Required results missing on batches already administered.")
    cols[3].metric("Pending (testing window)", f"{row['required_results_pending']:,}")
else:
    st.dataframe(figures, hide_index=True, width="stretch")

gaps = tables.baseline_gaps_by_month(report)
if gaps["results"].any():
    st.altair_chart(charts.baseline_gaps_by_month(gaps, v.program or "All programs"), width="stretch",
                    alt="Bar chart of missing required results per month of manufacture; the findings below list them.")

st.subheader("Findings")
widgets.findings(tables.findings(report, "baseline"), "No baseline findings: every required result due is recorded.")
widgets.planned("a batch × attribute completeness heatmap, completeness against the phase threshold, "
                "results invalidated without a valid retest, and open deviations with their age.")
