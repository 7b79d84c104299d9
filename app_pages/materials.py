"""Materials & suppliers: were the lots made with qualified materials, and did supplier changes go through change
control?"""

import streamlit as st

from readiness import tables
from readiness.lens_tables import materials as lens
from readiness.ui import charts_materials as charts
from readiness.ui import data, view, widgets

v = view.current()
ds = data.dataset()
report = data.lens_report(ds, v.as_of, "materials", v.program)

st.title("Materials & suppliers")
widgets.notices(v)
widgets.about(ds, v)
widgets.expectation_problems(report)

st.subheader("Findings")
widgets.findings(tables.findings(report, "materials"),
                 "No materials findings: every GMP lot was made with qualified materials, in date, from approved "
                 "suppliers.")

NO_DATA = ("No material data: this lens is not assessed and does not count towards the status. Provide "
           "materials.parquet and material_usage.parquet (see docs/data-contract.md).")
figures = lens.figures(report)
if v.program:
    f = lens.lens(report["programs"][0])
    if f["material_data"]:
        cols = st.columns(4)
        cols[0].metric("Materials", f["materials"], help="Known on the as-of date: used in a lot or qualified.")
        cols[1].metric("Not qualified", f["materials_not_qualified"])
        cols[2].metric("Past their requalify-by date", f["materials_lapsed"])
        share = f["share_gmp_batches_all_qualified"]
        cols[3].metric("GMP lots made entirely with qualified materials",
                       "no GMP lots" if share is None else f"{share:.1%}",
                       help=f"{f['gmp_batches_all_qualified']} of {f['gmp_batches']} clinical and PPQ lots made by "
                            "the as-of date: every material qualified, and in date, on the manufacture date.")
    else:
        st.info(NO_DATA, icon="➖")
else:
    st.dataframe(figures, hide_index=True, width="stretch")
    widgets.download(figures, "materials_figures.csv")
    if not (figures["material_data"] != lens.NO_DATA).any():
        st.info(NO_DATA, icon="➖")

materials = lens.materials_table(report)
if not materials.empty:
    st.subheader("Materials, highest risk tier first")
    st.caption("Risk tier per USP <1043>, 1 (lowest) to 4 (highest). State on the as-of date; a qualification "
               "dated after it is not shown.")
    st.dataframe(materials, hide_index=True, width="stretch")
    widgets.download(materials, "materials.csv")
    tiers = lens.tier_counts(report)
    st.dataframe(tiers, hide_index=True, width="stretch")
    widgets.download(tiers, "materials_by_tier.csv")

    months = lens.qualified_lots_by_month(report)
    if not months.empty:
        if v.program:
            st.subheader("GMP lots by material risk tier")
            st.altair_chart(charts.batch_tiers(lens.batch_tiers(ds, v.as_of, v.program), v.program),
                            width="stretch",
                            alt="Each GMP lot by manufacture date and material risk tier, marked qualified, past its "
                                "requalify-by date or not qualified; the table below counts them by month.")
        else:
            st.subheader("GMP lots by month")
            st.caption("Pick a program to see each of its GMP lots by material risk tier.")
        st.dataframe(months, hide_index=True, width="stretch")
        widgets.download(months, "materials_qualified_lots_by_month.csv")

    st.subheader("One material's lots")
    options = lens.material_options(report)
    wanted = view.url_param("material")
    if wanted is not None and wanted not in options:
        st.warning(f"There is no material “{wanted}” in this view ({v.program or 'all programs'}, as of "
                   f"{v.as_of.isoformat()}); pick one below.", icon="⚠️")
        view.set_url_param("material", None)
        wanted = None
    st.session_state["materials_material"] = wanted
    st.selectbox("Material", list(options), key="materials_material", format_func=options.get,
                 placeholder="Pick a material to list the lots it went into",
                 on_change=lambda: view.set_url_param("material", st.session_state["materials_material"]))
    chosen = st.session_state["materials_material"]
    if chosen:
        m = lens.material_row(report, chosen)
        st.markdown(f"**{m['name']}** from {m['supplier']} · {m['program_id']} · tier {m['risk_tier']}, "
                    f"{m['grade']} grade · {lens.STATE_LABELS[m['state']]} · qualified on "
                    f"{m['qualified_on'] or '—'} · requalify by {m['requalify_by'] or '—'}")
        lots = lens.material_lots(ds, v.as_of, chosen)
        st.dataframe(lots, hide_index=True, width="stretch")
        widgets.download(lots, f"material_{chosen}_lots.csv")
