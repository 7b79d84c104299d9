"""The brief as one self-contained HTML file: inline CSS and SVG, no network needed, printable on A4 or Letter."""

from __future__ import annotations

import html

import altair as alt
import pandas as pd
import vl_convert

from .brief import ACTIVITY, provenance
from .findings import sort_key
from .tables import STATUS_LABELS

_CSS = """
@page { margin: 12mm; }
body { font: 10pt/1.4 "Helvetica Neue", Arial, sans-serif; color: #1b1b1b; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 17pt; margin: 0 0 2mm; } h2 { font-size: 13pt; margin: 6mm 0 2mm; border-bottom: 1px solid #bbb; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; }
.meta { color: #555; font-size: 8.5pt; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; margin: 1mm 0 3mm; }
th, td { border: 1px solid #ccc; padding: 1mm 1.5mm; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; font-size: 8.5pt; }
th { background: #f2f2f2; }
tr, li, svg { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
.tiles { display: flex; gap: 3mm; flex-wrap: wrap; }
.tile { border: 1px solid #ccc; padding: 2mm 3mm; min-width: 28mm; }
.tile b { display: block; font-size: 15pt; }
ul { margin: 1mm 0 2mm 5mm; padding: 0; }
svg { max-width: 100%; height: auto; }
"""


def render_html(brief: dict) -> str:
    programs = brief["programs"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>CMC weekly brief {brief['since']} to {brief['as_of']}</title><style>{_CSS}</style></head><body>",
        f"<h1>CMC weekly brief: {_e(brief['since'])} → {_e(brief['as_of'])}</h1>",
        f"<p class='meta'>{_e(provenance(brief))}</p>",
        _tiles(brief["totals"]),
        "<h2>Needs a decision</h2>", _decisions(programs),
        "<h2>Programs</h2>", _table(_program_rows(programs)),
        _score_chart(programs, brief["since"], brief["as_of"]),
        "<h2>New findings</h2>", _findings(programs, "new_findings", "No new findings."),
        "<h2>Resolved findings</h2>", _findings(programs, "resolved_findings", "No findings resolved."),
        "<h2>What happened in between</h2>",
    ]
    for name, title in ACTIVITY.items():
        rows = brief["activity"][name]
        parts.append(f"<h3>{_e(title)} ({len(rows)})</h3>")
        parts.append(_table(pd.DataFrame(rows)) if rows else "<p>None.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _e(text) -> str:
    return html.escape("" if text is None else str(text))


def _tiles(totals: dict) -> str:
    shown = [("New findings", totals["new_findings"]), ("New high", totals["new_high_findings"]),
             ("Resolved", totals["resolved_findings"]), ("Need a decision", totals["needs_decision"]),
             ("Batches made", totals["batches_made_between"]),
             ("Out-of-spec results", totals["out_of_spec_results_between"])]
    return "<div class='tiles'>" + "".join(f"<div class='tile'>{_e(label)}<b>{n}</b></div>"
                                           for label, n in shown) + "</div>"


def _status(status) -> str:
    return STATUS_LABELS[status] if status else "—"


def _program_rows(programs: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{
        "Program": f"{p['program_id']} · {p['name']}", "Phase": p["phase"],
        "Status then": _status(p["status_then"]), "Status now": _status(p["status_now"]),
        "Score then": p["score_then"], "Score now": p["score_now"],
        "Change": "" if p["score_delta"] is None else f"{p['score_delta']:+d}",
        "New": len(p["new_findings"]), "Resolved": len(p["resolved_findings"]),
    } for p in programs])


def _decisions(programs: list[dict]) -> str:
    items = [f"<li><b>{_e(p['program_id'])}</b>: {_e(line)}</li>" for p in programs for line in p["needs_decision"]]
    return f"<ul>{''.join(items)}</ul>" if items else "<p>Nothing needs a decision this week.</p>"


def _findings(programs: list[dict], key: str, empty: str) -> str:
    out = []
    for p in programs:
        found = sorted(p[key], key=sort_key)
        if not found:
            continue
        out.append(f"<h3>{_e(p['program_id'])} · {_e(p['name'])}</h3><ul>")
        for f in found:
            out.append(f"<li><b>{_e(f['severity'].upper())} {_e(f['code'])}</b> {_e(f['message'])}"
                       f"<br><span class='meta'>Expected: {_e(f['expectation'])} Guidance: {_e(f['reference'])}"
                       f"</span>{_table(pd.DataFrame(f['evidence'])) if f['evidence'] else ''}</li>")
        out.append("</ul>")
    return "".join(out) or f"<p>{_e(empty)}</p>"


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{_e('' if pd.isna(v) else v)}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def score_change_chart(programs: list[dict], since: str, as_of: str) -> alt.LayerChart:
    """Each program's score on the two days: a line from then to now, the day named in the legend."""
    rows = [{"program": p["program_id"], "day": f"{label} ({day})", "score": p[key]}
            for p in programs for label, day, key in (("then", since, "score_then"), ("now", as_of, "score_now"))
            if p[key] is not None]
    frame = pd.DataFrame(rows, columns=["program", "day", "score"])
    base = alt.Chart(frame).encode(
        y=alt.Y("program:N", title="Program", sort=[p["program_id"] for p in programs]),
        x=alt.X("score:Q", title="Readiness score (0-100)", scale=alt.Scale(domain=[0, 100])))
    line = base.mark_line(color="#777777").encode(detail="program:N")
    points = base.mark_point(size=90, filled=True).encode(
        shape=alt.Shape("day:N", title="Day"),
        color=alt.Color("day:N", title="Day", scale=alt.Scale(range=["#999999", "#0072B2"])))
    return (line + points).properties(title=f"Readiness score, {since} and {as_of}", width=520)


def _score_chart(programs: list[dict], since: str, as_of: str) -> str:
    if not any(p["score_now"] is not None for p in programs):
        return ""
    return vl_convert.vegalite_to_svg(score_change_chart(programs, since, as_of).to_json())
