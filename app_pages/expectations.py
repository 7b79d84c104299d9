"""What we expect at each phase: the yardstick every finding rests on, shown so a reviewer can challenge it."""

import streamlit as st

from readiness import tables
from readiness.ui import data, view, widgets

v = view.current()
ds = data.dataset()
yardstick = data.expectations()

st.title("What we expect at each phase")
widgets.notices(v)
widgets.about(ds, v)
for problem in yardstick.problems:
    st.error(f"{problem.file} · {problem.column or 'file'}: {problem.message}", icon="⛔")
st.caption(f"Source: {yardstick.source}. A row holds from its phase until a later phase replaces it; a modality "
           "row replaces the all-modalities row. Severity in brackets. Change it with READINESS_EXPECTATIONS "
           "(a TOML file whose keys replace these); see docs/scoring.md.")
matrix = tables.expectation_matrix(yardstick)
st.dataframe(matrix, hide_index=True, width="stretch", column_config={
    "rationale": st.column_config.TextColumn("Why", width="large"),
    "reference": st.column_config.TextColumn("Guidance", width="large"),
})
widgets.download(matrix, "expectations.csv")
st.subheader("Settings")
settings = tables.settings_table(yardstick)
st.dataframe(settings, hide_index=True)
widgets.download(settings, "expectation_settings.csv")
