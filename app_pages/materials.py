"""Materials & suppliers: not built yet; the page says what it will show and shows no numbers."""

import streamlit as st

from readiness.ui import data, view, widgets

v = view.current()
ds = data.dataset()

st.title("Materials & suppliers")
widgets.notices(v)
widgets.about(ds, v)
widgets.planned("materials by risk tier and qualification state, batches made with unqualified or research-grade materials, and supplier changes without change control.")
