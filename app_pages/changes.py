"""Changes & comparability: did every process change go through change control, and is the product still the same?"""

import streamlit as st

from readiness import tables
from readiness.lens_tables import changes as lens
from readiness.ui import charts_changes as charts
from readiness.ui import data, view, widgets

v = view.current()
ds = data.dataset()
report = data.lens_report(ds, v.as_of, "changes", v.program)
scope = v.program or "All programs"

st.title("Changes & comparability")
widgets.notices(v)
widgets.about(ds, v)
widgets.expectation_problems(report)

st.subheader("Findings")
widgets.findings(tables.findings(report, "changes"),
                 "No change-control or comparability findings: every lot was made under an approved change, "
                 "open changes are within age and comparability holds.")

st.subheader("Open changes")
figures = lens.figures(report)
if v.program:
    row = figures.iloc[0]
    cols = st.columns(4)
    cols[0].metric("Open changes", row["open_changes"])
    cols[1].metric("Older than their risk allows", row["open_over_allowed_age"],
                   help="Open longer than the phase expectation open_change_max_days allows for their risk.")
    cols[2].metric("Open high-risk changes", row["open_high_risk"])
    cols[3].metric("Comparability exercises", row["comparability_exercises"],
                   help="Changes that introduce a process version: their lots are compared below.")
else:
    st.dataframe(figures, hide_index=True, width="stretch")
    widgets.download(figures, "changes_figures.csv")
opened = lens.open_changes(report)
if opened.empty:
    st.info("No change is open on the as-of date.")
else:
    st.altair_chart(charts.open_change_ages(opened, scope), width="stretch",
                    alt="Bar chart of each open change's age with the age its risk allows; the table lists them.")
    st.dataframe(opened, hide_index=True, width="stretch")
    widgets.download(opened, "open_changes.csv")

st.subheader("Process versions in use")
if v.program:
    program = report["programs"][0]
    batches = lens.version_batches(program)
    if batches.empty:
        st.info("No batch was made by the as-of date.")
    else:
        st.altair_chart(charts.version_timeline(batches, lens.version_events(program), v.program), width="stretch",
                        alt="Timeline of batches by process version with change approvals and implementations; "
                            "the table below lists each version and the change that introduced it.")
        versions = lens.process_versions(program)
        st.dataframe(versions, hide_index=True, width="stretch")
        widgets.download(versions, f"process_versions_{v.program}.csv")
else:
    st.info("Pick a program in the sidebar to see its process versions against its change approvals.", icon="👈")

st.subheader("Changes opened and closed per month")
months = lens.by_month(report)
if months.empty:
    st.info("No change record exists on the as-of date.")
else:
    st.altair_chart(charts.changes_by_month(months, scope), width="stretch",
                    alt="Bar chart of change records opened and closed per month.")
    widgets.download(months, "changes_by_month.csv")

st.subheader("Comparability")
required = lens.comparability_changes(report)
if required.empty:
    st.info("No change in this view requires comparability.")
else:
    st.dataframe(required, hide_index=True, width="stretch")
    widgets.download(required, "changes_requiring_comparability.csv")
options = lens.exercises(report)
wanted = view.url_param("change")
if wanted is not None and wanted not in options:
    st.warning(f"There is no comparability exercise for change “{wanted}” in this view"
               + (f"; showing {next(iter(options))}." if options else "."), icon="⚠️")
    view.set_url_param("change", None)
    wanted = None
if options:
    st.session_state["comparability_change"] = wanted or next(iter(options))
    st.selectbox("Change (introduces a process version)", list(options), key="comparability_change",
                 format_func=options.get,
                 on_change=lambda: view.set_url_param("change", st.session_state["comparability_change"]))
    chosen = lens.exercise(report, st.session_state["comparability_change"])
    sides = lens.side_labels(chosen)
    st.caption(f"{sides['pre']}: {chosen['lots_pre']} lots made before {chosen['cut_on'] or 'the change'}; "
               f"{sides['post']}: {chosen['lots_post']} lots by the as-of date; a verdict needs "
               f"{chosen['min_lots']} on each side. Comparability: {chosen['comparability_status']}.")
    cqas = lens.comparability_table(chosen)
    if cqas.empty:
        st.info("No numeric CQA result on the lots of this change yet.")
    else:
        st.dataframe(cqas, hide_index=True, width="stretch")
        widgets.download(cqas, f"comparability_{chosen['change_id']}.csv")
        columns = st.columns(2)
        for i, cqa in enumerate(chosen["cqas"]):
            columns[i % 2].altair_chart(
                charts.comparability_strip(lens.comparability_points(chosen, cqa["attribute"]), cqa, sides,
                                           chosen["change_id"], lens.verdict_label(cqa)),
                width="stretch", alt=f"Strip and box chart of {cqa['attribute']} before and after the change, "
                                     "with the pre-change quality range; the table above lists the numbers.")
else:
    st.info("No change in this view introduces a process version, so there is nothing to compare.")
