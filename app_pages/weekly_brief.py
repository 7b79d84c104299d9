"""Weekly brief: what changed since last week, and what needs a decision."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from readiness import tables
from readiness.brief import ACTIVITY, DEFAULT_DAYS, provenance
from readiness.ui import data, view, widgets

v = view.current()
ds = data.dataset()

st.title("Weekly brief")
widgets.notices(v)
widgets.about(ds, v)

since, notice = view.date_param("since", v.as_of - timedelta(days=DEFAULT_DAYS), v.as_of)
if notice:
    st.warning(notice, icon="⚠️")
st.session_state["since_picker"] = since
st.date_input("Since", key="since_picker", min_value=view.EARLIEST, max_value=v.as_of - timedelta(days=1),
              format="YYYY-MM-DD", help="The earlier day; the later day is the as-of date in the sidebar.",
              on_change=lambda: view.set_url_param("since", st.session_state["since_picker"].isoformat()))
view.set_url_param("since", since.isoformat())

brief = data.brief(ds, since, v.as_of, v.program)
widgets.expectation_problems(brief)
st.caption(f"From {brief['since']} to {brief['as_of']} (events after the first day, up to and including the "
           "second). " + provenance(brief))

totals = brief["totals"]
tiles = st.columns(5)
tiles[0].metric("New findings", totals["new_findings"])
tiles[1].metric("New high findings", totals["new_high_findings"])
tiles[2].metric("Resolved findings", totals["resolved_findings"])
tiles[3].metric("Need a decision", totals["needs_decision"])
tiles[4].metric("Batches manufactured", totals["batches_made_between"])

st.subheader("Needs a decision")
decisions = tables.brief_decisions(brief)
if decisions.empty:
    st.success("Nothing needs a decision this week.", icon="✅")
else:
    st.dataframe(decisions, hide_index=True, width="stretch")

st.subheader("Programs: then and now")
programs = tables.brief_programs(brief)
st.dataframe(programs, hide_index=True, width="stretch")
widgets.download(programs, "brief_programs.csv")

for key, title, empty in (("new_findings", "New findings", "No new findings since then."),
                          ("resolved_findings", "Resolved findings", "No findings resolved since then.")):
    st.subheader(title)
    widgets.findings(tables.brief_findings(brief, key), empty, name=key)

st.subheader("What happened in between")
for name, title in ACTIVITY.items():
    rows = brief["activity"][name]
    with st.expander(f"{title} ({len(rows)})"):
        if rows:
            frame = pd.DataFrame(rows)
            st.dataframe(frame, hide_index=True, width="stretch")
            widgets.download(frame, f"{name}.csv")
        else:
            st.write("None.")

st.subheader("Take it away")
cols = st.columns(2)
cols[0].download_button("Download the brief (HTML, prints to PDF)", data.brief_html(brief),
                        f"cmc-brief-{brief['since']}-to-{brief['as_of']}.html", "text/html", key="brief_html")
cols[1].download_button("Download the brief (JSON)", tables.as_json(brief),
                        f"cmc-brief-{brief['since']}-to-{brief['as_of']}.json", "application/json", key="brief_json")
