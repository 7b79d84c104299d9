"""The report: per program its phase, per-lens figures and findings, as of one date. Pages and CLI both read it."""

from __future__ import annotations

from datetime import date

from . import __version__
from .checks import LENS_MODULES
from .checks.lens import records
from .findings import sort_key

STATUS_WORDS = {"off_track": "Off track", "at_risk": "At risk", "on_track": "On track", "unknown": "Unknown"}


class UnknownProgram(LookupError):
    """A program id that is not in the data (or not valid); the message never echoes more than the id."""


def program_status(findings: list[dict], data_blocked: bool = False) -> str:
    """Interim roll-up: the worst open finding decides (high: off track, medium: at risk).

    With a required table unusable nothing can be called on track, so the status is unknown.
    """
    severities = {f["severity"] for f in findings}
    if "high" in severities:
        return "off_track"
    if "medium" in severities:
        return "at_risk"
    return "unknown" if data_blocked else "on_track"


def build_report(ds, as_of: date, program_id: str | None = None) -> dict:
    programs = ds.query("program_phases", as_of=as_of, program_id=program_id)
    if program_id is not None and programs.empty:
        raise UnknownProgram(program_id)
    ids = list(programs["program_id"])
    blocked = any(t.status == "blocked" for t in ds.tables.values())
    lens_results = {m.LENS: m.evaluate(ds, as_of, ids, program_id) for m in LENS_MODULES}
    out = []
    for program in records(programs):
        pid = program["program_id"]
        found = sorted((f for lens in lens_results.values() for f in lens[pid].findings), key=sort_key)
        finding_dicts = [f.to_dict() for f in found]
        out.append({
            **program,
            "status": program_status(finding_dicts, blocked),
            "score": None,
            "lenses": {name: result[pid].figures for name, result in lens_results.items()},
            "findings": finding_dicts,
        })
    return {
        "as_of": as_of.isoformat(),
        "product_version": __version__,
        "data": {
            "location": ds.location,
            "fingerprint": ds.fingerprint,
            "rows_excluded": ds.rows_excluded,
            "errors": len(ds.errors),
            "warnings": len(ds.problems) - len(ds.errors),
        },
        "programs": out,
    }
