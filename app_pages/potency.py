"""Potency & methods: is the mechanism of action measured, quantitatively, by assays mature enough for the phase?"""

import streamlit as st

from readiness import tables
from readiness.lens_tables import potency as lens
from readiness.ui import charts_potency as charts
from readiness.ui import data, view, widgets

v = view.current()
ds = data.dataset()
report = data.lens_report(ds, v.as_of, "potency", v.program)

st.title("Potency & methods")
widgets.notices(v)
widgets.about(ds, v)
widgets.expectation_problems(report)

st.subheader("Findings")
widgets.findings(tables.findings(report, "potency"),
                 "No potency findings: every mechanism element is read out, by assays mature enough for the phase.")

figures = lens.figures(report)
if v.program:
    f = lens.lens(report["programs"][0])
    row = figures.iloc[0]
    cols = st.columns(4)
    cols[0].metric("Mechanism elements covered", row["mechanisms_covered"],
                   help="Elements read out by a quantitative assay at the stage the phase expects.")
    cols[1].metric("Stage the phase expects", row["stage_expected"])
    cols[2].metric("Quantitative potency assays", f"{row['quantitative_potency_assays']} of {row['potency_assays']}")
    share = row["quantitative_potency_batch_pct"]
    cols[3].metric("Clinical batches with a quantitative potency result",
                   "no clinical batches" if share is None else f"{share:.1f}%",
                   help=f"{row['batches_with_quantitative_potency']} of {row['clinical_batches']} clinical batches "
                        "made by the as-of date and not failed.")

    st.subheader("Mechanism of action × assays")
    matrix = lens.coverage_matrix(f)
    if matrix.empty:
        st.info("No mechanism elements are listed and no assay names one.")
    else:
        st.altair_chart(charts.coverage_matrix(matrix, v.program, f["potency_stage_expected"]), width="stretch")
        st.dataframe(matrix, hide_index=True, width="stretch")
        widgets.download(matrix, f"potency_matrix_{v.program}.csv")

    st.subheader("Assay lifecycle")
    assays = lens.assay_table(f)
    if assays.empty:
        st.info("This program has no potency assay and no assay that names a mechanism element.")
    else:
        st.altair_chart(charts.stage_timeline(lens.stage_timeline(f, report["as_of"]), lens.phase_rules(f),
                                              v.program, report["as_of"]), width="stretch",
                        alt="Timeline of each assay's lifecycle stage with the program's phase changes; "
                            "the table below lists the dates.")
        st.dataframe(assays, hide_index=True, width="stretch")
        widgets.download(assays, f"potency_assays_{v.program}.csv")
else:
    st.dataframe(figures, hide_index=True, width="stretch")
    widgets.download(figures, "potency_figures.csv")
    st.info("Pick a program in the sidebar to see its mechanism × assay matrix and its assays' lifecycle.", icon="👈")

st.subheader("Potency results on clinical batches")
coverage = lens.batches_by_month(report)
if coverage["batches"].any():
    st.altair_chart(charts.batch_coverage(coverage, v.program or "All programs"), width="stretch",
                    alt="Stacked bars of clinical batches per month of manufacture by potency result.")
    widgets.download(coverage, "potency_batches_by_month.csv")
else:
    st.info("No clinical batches made by the as-of date.")

st.subheader("Potency trend")
options = lens.trend_options(report)
wanted = view.url_param("assay")
if wanted is not None and wanted not in options:
    st.warning(f"There is no quantitative potency trend for assay “{wanted}” in this view"
               + (f"; showing {next(iter(options))}." if options else "."), icon="⚠️")
    view.set_url_param("assay", None)
    wanted = None
if options:
    st.session_state["potency_assay"] = wanted or next(iter(options))
    st.selectbox("Assay", list(options), key="potency_assay", format_func=options.get,
                 on_change=lambda: view.set_url_param("assay", st.session_state["potency_assay"]))
    chosen = st.session_state["potency_assay"]
    points = lens.trend(report, chosen)
    st.altair_chart(charts.potency_trend(points, options[chosen]), width="stretch",
                    alt="Line chart of potency results per batch with specification limits; the table below lists them.")
    st.dataframe(points, hide_index=True, width="stretch")
    widgets.download(points, f"potency_trend_{chosen}.csv")
else:
    st.info("No quantitative potency results on clinical batches in this view.")
