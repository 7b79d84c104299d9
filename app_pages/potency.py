"""Potency & methods: not built yet; the page says what it will show and shows no numbers."""

import streamlit as st

from readiness.ui import data, view, widgets

v = view.current()
ds = data.dataset()

st.title("Potency & methods")
widgets.notices(v)
widgets.about(ds, v)
widgets.planned("the mechanisms of action covered by a quantitative potency assay, each assay's lifecycle stage (exploratory → developing → qualified → validated) on the as-of date, potency coverage of clinical batches and potency trends against specification limits.")
