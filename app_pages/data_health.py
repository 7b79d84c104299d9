"""Data health: what was read, what was excluded and why, file by file and row by row."""

import streamlit as st

from readiness import tables
from readiness.ui import data, view, widgets

v = view.current()
ds = data.dataset()

st.title("Data health")
widgets.notices(v)
widgets.about(ds, v)

errors, warnings = len(ds.errors), len(ds.problems) - len(ds.errors)
cols = st.columns(3)
cols[0].metric("⛔ Errors (table or file not usable)", errors)
cols[1].metric("⚠️ Warnings (rows excluded)", warnings)
cols[2].metric("Rows excluded", f"{ds.rows_excluded:,}")

st.subheader("Tables")
states = tables.table_states(ds)
st.dataframe(states, hide_index=True, width="stretch")
widgets.download(states, "tables.csv")

st.subheader("Problems")
yardstick = data.expectations()
for problem in yardstick.problems:
    st.error(f"**Error** · expectations · {problem.column or 'file'} · file {problem.file}  \n{problem.message}",
             icon="⛔")
if not ds.problems:
    st.success("Every table matches the data contract; no row was excluded.", icon="✅")
for p in ds.problems:
    icon = "⛔" if p.severity == "error" else "⚠️"
    where = p.table + (f" · column {p.column}" if p.column else "") + (f" · file {p.file}" if p.file else "")
    text = f"**{p.severity.capitalize()}** · {where}  \n{p.message}"
    if p.examples:
        text += "  \nRows: " + "; ".join(str(r) for r in p.examples)
        if p.row_count > len(p.examples):
            text += f" and {p.row_count - len(p.examples):,} more"
    (st.error if p.severity == "error" else st.warning)(text, icon=icon)
if ds.problems:
    widgets.download(tables.problems_table(ds.problems), "problems.csv", "Download the problems (CSV)")
st.caption("The same list comes from `python -m readiness validate --data DIR`. Excluded rows are left out of "
           "every figure; the files themselves are never changed.")
