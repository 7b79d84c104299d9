"""Process control: control charts per attribute and process version, run-rule signals, and capability."""

import streamlit as st

from readiness import tables
from readiness.lens_tables import process_control as lens
from readiness.ui import charts_process_control as charts
from readiness.ui import data, view, widgets

v = view.current()
ds = data.dataset()
report = data.lens_report(ds, v.as_of, "process_control", v.program)

st.title("Process control")
widgets.notices(v)
widgets.about(ds, v)
widgets.expectation_problems(report)

st.subheader("Findings")
widgets.findings(tables.findings(report, "process_control"),
                 "No process-control findings: recent lots meet their specification and break no run rule.")


def program_view(program: dict) -> None:
    """One program: its CQAs at a glance, every attribute's state, and one attribute's charts (kept in the URL)."""
    figures = lens.lens(program)
    settings = figures["settings"]
    names = lens.attributes(program)
    if not names:
        st.info("No attribute of this program has numeric results on clinical, engineering or PPQ lots by the "
                "as-of date, so there is nothing to chart.")
        return
    st.subheader("Every CQA at a glance")
    glance = lens.overview(program)
    if glance.empty:
        st.info("This program has no CQA with numeric results; its process parameters are in the table below.")
    else:
        st.altair_chart(charts.overview(glance, v.program, settings["recent_lots"]),
                        alt="Small multiples of each CQA's recent lots, each titled with its state; the table below "
                            "lists every attribute's state.")
    states = lens.attribute_table(program)
    st.dataframe(states, hide_index=True, width="stretch")
    widgets.download(states, f"process_control_attributes_{v.program}.csv")
    st.caption(f"Current process version {figures['current_process_version']}. Limits: the first "
               f"{settings['baseline_lots']} lots of each process version (provisional below that, none below "
               f"{settings['min_lots']}), or approved limits from their approval date. Run rules in force: "
               f"{'; '.join(settings['rule_labels']) or 'none'}. Findings look at the last "
               f"{settings['recent_lots']} lots. Ppk needs {settings['capability_min_lots']} lots of the current "
               "version.")

    st.subheader("Control chart")
    wanted = view.url_param("attribute")
    if wanted is not None and wanted not in names:
        st.warning(f"There is no control chart for “{wanted}” in {v.program}; showing {names[0]}.", icon="⚠️")
        wanted = None
    chosen = wanted or names[0]
    view.set_url_param("attribute", chosen)
    st.session_state["process_control_attribute"] = chosen
    st.selectbox("Attribute", names, key="process_control_attribute",
                 on_change=lambda: view.set_url_param("attribute", st.session_state["process_control_attribute"]))
    attribute_view(next(a for a in figures["attributes"] if a["attribute"] == chosen), settings)


def attribute_view(summary: dict, settings: dict) -> None:
    """One attribute: its state, the limits in force, the I-MR charts and the lots that signal."""
    chosen = summary["attribute"]
    frame = lens.chart_frame(ds, v.as_of, v.program, chosen, data.expectations())
    cols = st.columns(4)
    cols[0].metric("State", lens.STATE_LABELS[summary["state"]])
    cols[1].metric(f"Lots in {summary['process_version']}", summary["lots"])
    cols[2].metric("Recent lots breaking a rule", summary["signals"])
    cols[3].metric("Ppk (current version)", "—" if summary["capability"]["ppk"] is None
                   else f"{summary['capability']['ppk']:.2f}", help=lens.capability_text(summary["capability"]))
    st.markdown(f"**Limits now:** {lens.limits_text(summary)}"
                + (f" ({summary['limits_note']})" if summary["provisional"] else ""))
    if summary["limits"]["source"] == "approved":
        st.markdown(f"**Approved limits:** {summary['limits']['reason'] or 'no reason recorded'}")
        if summary["limits"]["wider_than_baseline"]:
            st.warning("The approved limits are wider than the limits the version's own baseline lots give: a wider "
                       "band signals less. Check that the approval justifies it.", icon="⚠️")
    st.altair_chart(charts.individuals(frame, chosen, summary["unit"], settings["rules"], settings["rule_labels"],
                                       v.program), width="stretch",
                    alt=f"Individuals chart of {chosen} per lot with control and specification limits and process-"
                        "version changes; the signals table below lists every lot that breaks a rule.")
    st.altair_chart(charts.moving_range(frame, chosen, summary["unit"]), width="stretch",
                    alt=f"Moving-range chart of {chosen} per lot with its limit.")
    versions = lens.version_starts(frame)
    st.dataframe(versions, hide_index=True, width="stretch")
    widgets.download(versions, f"process_versions_{v.program}_{chosen}.csv")

    st.subheader("Signals")
    hits = lens.signals(frame)
    if hits.empty:
        st.success(f"No lot of {chosen} breaks a run rule, its specification or its moving-range limit.", icon="✅")
    else:
        st.dataframe(hits, hide_index=True, width="stretch")
        widgets.download(hits, f"control_signals_{v.program}_{chosen}.csv")
    widgets.download(frame, f"control_chart_{v.program}_{chosen}.csv", "Download every point of this chart (CSV)")


if v.program:
    program_view(report["programs"][0])
else:
    programs = lens.programs_table(report)
    st.dataframe(programs, hide_index=True, width="stretch")
    widgets.download(programs, "process_control_programs.csv")
    st.info("Pick a program in the sidebar to see its control charts.", icon="👈")
