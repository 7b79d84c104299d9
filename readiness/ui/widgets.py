"""Pieces every page shows the same way: the data caption, finding lists, plain notes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from .. import tables
from ..dataset import Dataset
from .view import View


def about(ds: Dataset, view: View) -> None:
    """The one line that says what a page was computed from."""
    program = view.program or "all programs"
    st.caption(f"About this data: {ds.location} · as of {view.as_of.isoformat()} · {program} · "
               f"{ds.excluded_summary()} (see Data health) · data fingerprint {ds.fingerprint}")


def notices(view: View) -> None:
    for text in view.notices:
        st.warning(text, icon="⚠️")


def findings(found: list[dict], empty: str, name: str | None = None) -> None:
    """Findings first, most severe first; each opens onto its evidence, expectation and guidance."""
    if not found:
        st.success(empty, icon="✅")
        return
    st.dataframe(tables.findings_table(found), hide_index=True, width="stretch")
    name = name or (found[0]["lens"] if len({f["lens"] for f in found}) == 1 else "all")
    download(tables.findings_flat(found), f"findings_{name}.csv", "Download these findings with evidence (CSV)")
    for f in found:
        label = f"{tables.SEVERITY_LABELS[f['severity']]} · {f['code']} · {f['program_id']} · {f['subject']}"
        with st.expander(label):
            st.markdown(f"**{f['message']}**")
            st.markdown(f"*Expected:* {f['expectation']}  \n*Guidance:* {f['reference']}")
            st.dataframe(pd.DataFrame(f["evidence"]), hide_index=True, width="stretch")


def expectation_problems(report: dict) -> None:
    """A broken expectations file is said on every page that scores, not only on Data health."""
    for problem in report["expectations"]["problems"]:
        st.error(f"Expectations file {problem['file']} · {problem['column'] or 'file'}: {problem['message']}",
                 icon="⛔")


def download(frame: pd.DataFrame, filename: str, label: str = "Download this table (CSV)") -> None:
    st.download_button(label, frame.to_csv(index=False), filename, "text/csv", key=f"download_{filename}")
