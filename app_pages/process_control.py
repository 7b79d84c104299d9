"""Process control: not built yet; the page says what it will show and shows no numbers."""

import streamlit as st

from readiness.ui import data, view, widgets

v = view.current()
ds = data.dataset()

st.title("Process control")
widgets.notices(v)
widgets.about(ds, v)
widgets.planned("individuals and moving-range control charts per attribute and process version, run-rule signals, and capability (Ppk) against specification limits.")
