"""Changes & comparability: not built yet; the page says what it will show and shows no numbers."""

import streamlit as st

from readiness.ui import data, view, widgets

v = view.current()
ds = data.dataset()

st.title("Changes & comparability")
widgets.notices(v)
widgets.about(ds, v)
widgets.planned("open changes by risk and age, process versions in use against change approvals (undocumented process changes), and pre/post-change comparability statistics per critical quality attribute.")
