"""The process-control lens shaped for its page and the CLI: report figures as tables, and one attribute's chart.

The report carries per attribute only its summary and recent points; the full chart of one attribute comes from
`chart_frame`, computed by the same code the lens judges with, so the page and `python -m readiness chart` agree.
"""

from __future__ import annotations

import pandas as pd

from ..checks.lens import records
from ..checks.process_control import (
    NO_LIMITS, OUT_OF_SPEC, SIGNAL, STATES, TOO_FEW, Settings, charts, spec_text,
)
from ..report import UnknownProgram

STATE_LABELS = {OUT_OF_SPEC: "⛔ out of spec", SIGNAL: "⚠️ signal", TOO_FEW: "❔ too few lots",
                NO_LIMITS: "❔ no limits", "in control": "✅ in control"}
POINT_LABELS = {OUT_OF_SPEC: "Out of specification", SIGNAL: "Breaks a run rule", "": "No signal"}
KIND_WORDS = {"cqa": "CQA", "cpp": "CPP", "ipc": "IPC"}


class UnknownAttribute(LookupError):
    """An attribute with no chart in the program (not in its data plan, or without numeric results)."""

    def __init__(self, attribute: str, charted: list[str]):
        super().__init__(attribute)
        self.attribute = attribute
        self.charted = charted


def chart_frame(ds, as_of, program_id: str, attribute: str, expectations) -> pd.DataFrame:
    """One attribute's control chart, one row per lot (columns: checks.process_control.CHART_COLUMNS).

    Dates are ISO text so the page, the JSON and the CSV carry the same values.
    """
    settings = Settings.of(expectations.settings)
    chart = charts(ds, as_of, program_id, settings, attribute).get((program_id, attribute))
    if chart is None:  # only then is the program looked up: a page asks for a chart it has just listed
        if ds.query("program_phases", as_of=as_of, program_id=program_id).empty:
            raise UnknownProgram(program_id)
        raise UnknownAttribute(attribute, sorted(name for _, name in charts(ds, as_of, program_id, settings)))
    frame = chart.frame.copy()
    for name in ("manufactured_on", "tested_on"):
        frame[name] = pd.to_datetime(frame[name]).dt.strftime("%Y-%m-%d")
    return frame


def chart_records(frame: pd.DataFrame) -> list[dict]:
    """The chart as JSON-plain rows (missing numbers as None)."""
    return records(frame)


def lens(program: dict) -> dict:
    return program["lenses"]["process_control"]


def attributes(program: dict) -> list[str]:
    """The charted attributes, CQAs first, for the picker."""
    found = lens(program)["attributes"]
    return [a["attribute"] for a in sorted(found, key=lambda a: (a["kind"] != "cqa", a["attribute"]))]


def attribute_table(program: dict) -> pd.DataFrame:
    """Per charted attribute: its state, limits, signals and capability, worst state first."""
    rows = []
    for a in lens(program)["attributes"]:
        cap = a["capability"]
        rows.append({
            "attribute": a["attribute"], "kind": KIND_WORDS[a["kind"]], "unit": a["unit"],
            "state": STATE_LABELS[a["state"]], "process_version": a["process_version"], "lots": a["lots"],
            "limits": limits_text(a), "provisional": "provisional" if a["provisional"] else "",
            "recent_signals": a["signals"], "recent_out_of_spec": a["out_of_spec"],
            "ppk": _round(cap["ppk"]), "ppk_ci_low": _round(cap["ci_low"]), "ppk_ci_high": _round(cap["ci_high"]),
            "capability": capability_text(cap),
            "specification": spec_text(a["lower_spec"], a["upper_spec"], a["unit"]),
            "_order": STATES.index(a["state"]),
        })
    columns = ["attribute", "kind", "unit", "state", "process_version", "lots", "limits", "provisional",
               "recent_signals", "recent_out_of_spec", "ppk", "ppk_ci_low", "ppk_ci_high", "capability",
               "specification"]
    frame = pd.DataFrame(rows, columns=[*columns, "_order"])
    return frame.sort_values(["_order", "attribute"], kind="stable")[columns].reset_index(drop=True)


def limits_text(a: dict) -> str:
    """The limits in force for the current version, in a reviewer's words."""
    limits = a["limits"]
    if limits["source"] is None:
        return a["limits_note"]
    band = f"centre {_num(limits['centre'])}, {_num(limits['lcl'])} to {_num(limits['ucl'])}"
    if limits["source"] == "approved":
        return f"approved {limits['approved_on']}: {band}"
    return f"baseline of {limits['baseline_lots']} lots: {band}"


def capability_text(cap: dict) -> str:
    if cap["ppk"] is None:
        return cap["reason"]
    return f"Ppk {cap['ppk']:.2f} (95% CI {cap['ci_low']:.2f} to {cap['ci_high']:.2f}, n = {cap['n']})"


def overview(program: dict) -> pd.DataFrame:
    """Every CQA's recent lots, one row per point, for small multiples titled with the CQA's state."""
    rows = []
    for a in lens(program)["attributes"]:
        if a["kind"] != "cqa":
            continue
        title = f"{a['attribute']} · {STATE_LABELS[a['state']]}"
        for i, (batch_id, version, value, flag) in enumerate(a["recent"], start=1):
            rows.append({"panel": title, "attribute": a["attribute"], "state": a["state"], "unit": a["unit"] or "",
                         "recent_lot": i, "batch_id": batch_id, "process_version": version, "value": value,
                         "point": POINT_LABELS[flag]})
    return pd.DataFrame(rows, columns=["panel", "attribute", "state", "unit", "recent_lot", "batch_id",
                                       "process_version", "value", "point"])


def signals(frame: pd.DataFrame) -> pd.DataFrame:
    """The lots of a chart that break a run rule or their specification, newest first."""
    hits = frame[(frame["rules"] != "") | frame["out_of_spec"] | frame["mr_beyond"]]
    out = hits[["lot", "batch_id", "process_version", "manufactured_on", "disposition", "value", "limits_source",
                "centre", "lcl", "ucl", "rules", "signal", "out_of_spec", "mr_beyond", "recent"]]
    return out.iloc[::-1].reset_index(drop=True)


def version_starts(frame: pd.DataFrame) -> pd.DataFrame:
    """Where each process version starts on the chart, and the change that introduced it."""
    starts = frame[frame["version_start"]]
    return pd.DataFrame({
        "process_version": starts["process_version"], "first_lot": starts["batch_id"],
        "manufactured_on": starts["manufactured_on"],
        "introduced_by": starts["introduced_by"].fillna("no change record names it"),
    }).reset_index(drop=True)


def programs_table(report: dict) -> pd.DataFrame:
    """Every program's charted attributes counted by state, for the all-programs view."""
    rows = []
    for p in report["programs"]:
        f = lens(p)
        rows.append({"program_id": p["program_id"], "phase": p["phase"],
                     "current_process_version": f["current_process_version"],
                     "attributes_charted": f["attributes_charted"],
                     **{STATE_LABELS[s]: n for s, n in f["attributes_by_state"].items()}})
    return pd.DataFrame(rows, columns=["program_id", "phase", "current_process_version", "attributes_charted",
                                       *(STATE_LABELS[s] for s in STATES)])


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _num(value: float) -> str:
    return f"{value:.4g}"
