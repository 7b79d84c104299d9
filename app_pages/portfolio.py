"""Portfolio: which programs are at risk of a CMC hold, why, and whether it is getting better or worse."""

import streamlit as st

from readiness import tables
from readiness.findings import LENSES
from readiness.report import with_trend
from readiness.ui import charts, data, view, widgets

v = view.current()
ds = data.dataset()
digest = data.portfolio(ds, v.as_of)

st.title("Portfolio")
widgets.notices(v)
widgets.about(ds, v)
widgets.expectation_problems(digest)

summary = digest["summary"]
counts = summary["programs_by_status"]
tiles = st.columns(5)
tiles[0].metric(tables.STATUS_LABELS["off_track"], counts["off_track"])
tiles[1].metric(tables.STATUS_LABELS["at_risk"], counts["at_risk"])
tiles[2].metric(tables.STATUS_LABELS["on_track"], counts["on_track"])
tiles[3].metric("Open high findings", summary["open_high_findings"])
tiles[4].metric(f"Lost results, {summary['quarter']}", summary["irrecoverable_gaps_this_quarter"],
                help=f"Irrecoverable gaps: required results missing on batches administered since "
                     f"{summary['quarter_start']} (BL002). They can never be measured now.")
if counts["unknown"]:
    st.warning(f"{counts['unknown']} program(s) cannot be judged: a table they need is not usable "
               "(see Data health).", icon="❔")

st.subheader("Programs, worst first")
st.caption("Select a row to open that program. Status comes from the open findings (docs/scoring.md): any high "
           "finding is off track, any medium one at risk; the program takes its worst lens.")
COLUMNS = {
    "program_id": st.column_config.TextColumn("Program", pinned=True),
    "program": st.column_config.TextColumn("Name"),
    "modality": st.column_config.TextColumn("Modality"),
    "phase": st.column_config.TextColumn("Phase"),
    "status": st.column_config.TextColumn("Status"),
    "score": st.column_config.ProgressColumn("Score (0-100)", min_value=0, max_value=100, format="%d"),
    "score_trend": st.column_config.LineChartColumn("Score at the last 12 month ends", y_min=0, y_max=100),
    **{f"lens_{lens}": st.column_config.TextColumn(name) for lens, name in LENSES.items()},
    "baseline_completeness_pct": st.column_config.NumberColumn("Baseline completeness (%)", format="%.1f"),
    "irrecoverable_gaps": st.column_config.NumberColumn("Irrecoverable gaps (results)"),
    "high_findings": st.column_config.NumberColumn("High findings"),
    "top_finding": st.column_config.TextColumn("Top finding", width="large"),
    "next_milestone": st.column_config.TextColumn("Next milestone"),
    "next_milestone_on": st.column_config.TextColumn("Milestone date"),
    "days_to_milestone": st.column_config.NumberColumn("Days to milestone"),
}
# The day's Portfolio is drawn at once; the 12 month-end trend (twelve more days) fills in when it is ready.
table = st.empty()
table.dataframe(tables.portfolio(digest), hide_index=True, width="stretch", column_config=COLUMNS)
downloads = st.empty()
downloads.caption("⏳ Computing the scores at the last 12 month ends for the trend column…")

st.altair_chart(charts.status_grid(tables.status_grid(digest), digest["as_of"]), width="stretch",
                alt="Grid of programs by lens; each cell names the status and score.")

if v.program:
    program = data.report(ds, v.as_of, v.program)["programs"][0]
    st.subheader(f"{program['program_id']} · {program['name']}: why {tables.STATUS_LABELS[program['status']]}")
    breakdown = tables.lens_breakdown(program)
    st.dataframe(breakdown, hide_index=True, width="stretch")
    widgets.download(breakdown, f"{program['program_id']}_lenses.csv")
    for lens, name in LENSES.items():
        found = [f for f in program["findings"] if f["lens"] == lens]
        state = program["lens_status"][lens]
        with st.expander(f"{tables.STATUS_LABELS[state['status']]} · {name} · {len(found)} finding(s)"):
            if state["status"] == "not_assessed":
                st.write("Not assessed: there is no data for this lens (for example no material records), so it "
                         "does not count towards the status.")
            elif not found:
                st.write("No open findings.")
            else:
                st.dataframe(tables.findings_table(found), hide_index=True, width="stretch")
else:
    st.caption("Select a program (row or sidebar) to see which findings drive its status.")

history = data.trend(ds, v.as_of)
portfolio = tables.portfolio(with_trend(digest, history))
st.session_state["_portfolio_ids"] = list(portfolio["program_id"])
table.dataframe(portfolio, hide_index=True, width="stretch", key="portfolio_table",
                on_select=view.pick_program_from_table, selection_mode="single-row", column_config=COLUMNS)
with downloads.container():
    cols = st.columns(2)
    with cols[0]:
        widgets.download(portfolio, "portfolio.csv")
    # Every finding with its evidence: made only when asked for (on its own thread), not for every reader.
    cols[1].download_button("Download the full report (JSON)",
                            lambda: tables.as_json(with_trend(data.report(ds, v.as_of), history)),
                            f"cmc-report-{digest['as_of']}.json", "application/json", key="report_json")
