"""Weekly brief: not built yet; the page says what it will show and shows no numbers."""

import streamlit as st

from readiness.ui import data, view, widgets

v = view.current()
ds = data.dataset()

st.title("Weekly brief")
widgets.notices(v)
widgets.about(ds, v)
widgets.planned("what changed between two dates: new and resolved findings, batches made and dispositioned, changes and deviations opened and closed, and what needs a decision.")
