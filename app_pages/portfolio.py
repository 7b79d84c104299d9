"""Portfolio: every program, worst first, with what drives its status."""

import streamlit as st

from readiness import tables
from readiness.ui import data, view, widgets

v = view.current()
ds = data.dataset()
report = data.report(ds, v.as_of, v.program)

st.title("Portfolio")
widgets.notices(v)
widgets.about(ds, v)

counts = tables.status_counts(report)
cols = st.columns(4)
for col, status in zip(cols, tables.STATUS_ORDER):
    col.metric(tables.STATUS_LABELS[status], counts[status])

st.subheader("Programs, worst first")
st.caption("Status today is set by the worst open finding: any high finding is off track, any medium one at risk.")
portfolio = tables.portfolio(report)
st.dataframe(
    portfolio, hide_index=True, width="stretch",
    column_config={
        "baseline_completeness_pct": st.column_config.NumberColumn("Baseline completeness (%)", format="%.1f"),
        "irrecoverable_gaps": st.column_config.NumberColumn("Irrecoverable gaps (results)"),
        "high_findings": st.column_config.NumberColumn("High findings"),
        "all_findings": st.column_config.NumberColumn("All findings"),
        "top_finding": st.column_config.TextColumn("Top finding", width="large"),
    },
)
st.download_button("Download this table (CSV)", portfolio.to_csv(index=False), "portfolio.csv", "text/csv")
st.caption("Pick a program in the sidebar to open its lenses; the link in the address bar keeps the view.")
