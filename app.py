"""Entry point: navigation, sign-in (readiness/ui/auth.py), the shared sidebar (program, as-of) and a guard so no
stack trace reaches a user.

Pages live in app_pages/, not pages/: Streamlit treats a pages/ folder beside this script as a legacy
multipage app until st.navigation has run once in the process, so a fresh server's first deep link
would run the page without this shell.
"""

import logging
from datetime import date

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from readiness.ui import auth, data, view

st.set_page_config(page_title="CMC readiness", page_icon="🧬", layout="wide")

PAGES = [
    st.Page("app_pages/portfolio.py", title="Portfolio", icon="📊", url_path="portfolio", default=True),
    st.Page("app_pages/baseline.py", title="Baseline & batch records", icon="🧾", url_path="baseline"),
    st.Page("app_pages/potency.py", title="Potency & methods", icon="🎯", url_path="potency"),
    st.Page("app_pages/changes.py", title="Changes & comparability", icon="🔀", url_path="changes"),
    st.Page("app_pages/process_control.py", title="Process control", icon="📈", url_path="process-control"),
    st.Page("app_pages/materials.py", title="Materials & suppliers", icon="🧪", url_path="materials"),
    st.Page("app_pages/weekly_brief.py", title="Weekly brief", icon="🗓️", url_path="weekly-brief"),
    st.Page("app_pages/expectations.py", title="What we expect", icon="📏", url_path="expectations"),
    st.Page("app_pages/data_health.py", title="Data health", icon="🩺", url_path="data-health"),
]

page = st.navigation(PAGES, position=auth.navigation_position())
try:
    auth.gate(page, PAGES)  # sign-in and the reader's programs, before any data is read
    ds = data.dataset()
    auth.record_refusal(view.sidebar(data.program_names(ds), date.today(), private=auth.enabled()), page)
    st.sidebar.caption(f"Data: {ds.location}  \nUse your own: set READINESS_DATA to a folder of Parquet files "
                       "(see docs/data-contract.md).")
    page.run()
except ScriptControlException:
    raise
except Exception:
    logging.getLogger("readiness").exception("page failed")
    st.error("This view could not be computed. The details are in the server log; the other pages still work.",
             icon="⛔")
