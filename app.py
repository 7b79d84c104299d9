"""Entry point: navigation, the shared sidebar (program, as-of) and a guard so no stack trace reaches a user."""

import logging
from datetime import date

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from readiness.ui import data, view

st.set_page_config(page_title="CMC readiness", page_icon="🧬", layout="wide")

PAGES = [
    st.Page("pages/portfolio.py", title="Portfolio", icon="📊", url_path="portfolio", default=True),
    st.Page("pages/baseline.py", title="Baseline & batch records", icon="🧾", url_path="baseline"),
    st.Page("pages/potency.py", title="Potency & methods", icon="🎯", url_path="potency"),
    st.Page("pages/changes.py", title="Changes & comparability", icon="🔀", url_path="changes"),
    st.Page("pages/process_control.py", title="Process control", icon="📈", url_path="process-control"),
    st.Page("pages/materials.py", title="Materials & suppliers", icon="🧪", url_path="materials"),
    st.Page("pages/weekly_brief.py", title="Weekly brief", icon="🗓️", url_path="weekly-brief"),
    st.Page("pages/data_health.py", title="Data health", icon="🩺", url_path="data-health"),
]

page = st.navigation(PAGES)
try:
    ds = data.dataset()
    view.sidebar(data.program_names(ds), date.today())
    st.sidebar.caption(f"Data: {ds.location}  \nUse your own: set READINESS_DATA to a folder of Parquet files "
                       "(see docs/data-contract.md).")
    page.run()
except ScriptControlException:
    raise
except Exception:
    logging.getLogger("readiness").exception("page failed")
    st.error("This view could not be computed. The details are in the server log; the other pages still work.",
             icon="⛔")
