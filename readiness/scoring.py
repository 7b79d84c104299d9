"""From findings to a status and a 0-100 score per lens and per program: the rule of docs/scoring.md.

The status comes from the findings alone (the worst open severity decides); the score places a program
inside its status band, so a score never contradicts a status: off track 0-49, at risk 50-79, on track
80-100. The overall status and score are those of the worst lens.
"""

from __future__ import annotations

from .findings import LENSES

STATUSES = ("off_track", "unknown", "at_risk", "on_track", "not_assessed")  # worst first
STATUS_WORDS = {"off_track": "Off track", "at_risk": "At risk", "on_track": "On track",
                "unknown": "Unknown (data not usable)", "not_assessed": "Not assessed yet"}

# status: (top of band, bottom of band, points off per finding by severity)
BANDS = {
    "off_track": (49, 0, {"high": 8, "medium": 2, "low": 1}),
    "at_risk": (79, 50, {"high": 0, "medium": 5, "low": 1}),
    "on_track": (100, 80, {"high": 0, "medium": 0, "low": 3}),
}


def lens_status(severities: list[str], assessed: bool = True, blocked: bool = False) -> tuple[str, int | None]:
    """Status and score of one lens from the severities of its open findings.

    A lens with no checks yet is not assessed; one whose tables could not be read is unknown: neither
    is ever called on track.
    """
    if not assessed:
        return "not_assessed", None
    if blocked:
        return "unknown", None
    counts = {s: severities.count(s) for s in ("high", "medium", "low")}
    status = "off_track" if counts["high"] else "at_risk" if counts["medium"] else "on_track"
    top, bottom, points = BANDS[status]
    # the finding that set the status is the band's top; every further finding takes points off
    worst = {"off_track": "high", "at_risk": "medium", "on_track": None}[status]
    penalty = sum(points[s] * (n - (1 if s == worst else 0)) for s, n in counts.items())
    return status, max(bottom, top - penalty)


def program_rollup(findings: list[dict], assessed: set[str], blocked: set[str], data_blocked: bool = False) -> dict:
    """Per lens status and score, and the program's overall ones (the worst lens).

    With any contract table unusable (`data_blocked`) a program is never called on track: what cannot be
    read may hold the finding that matters.
    """
    lenses = {}
    for lens in LENSES:
        mine = [f["severity"] for f in findings if f["lens"] == lens]
        status, score = lens_status(mine, lens in assessed, lens in blocked)
        lenses[lens] = {"status": status, "score": score,
                        "findings": {s: mine.count(s) for s in ("high", "medium", "low")}}
    judged = [v for v in lenses.values() if v["status"] != "not_assessed"]
    if not judged:
        return {"status": "not_assessed", "score": None, "lenses": lenses}
    worst = min(judged, key=lambda v: (STATUSES.index(v["status"]), v["score"] if v["score"] is not None else -1))
    if data_blocked and worst["status"] == "on_track":
        return {"status": "unknown", "score": None, "lenses": lenses}
    return {"status": worst["status"], "score": worst["score"], "lenses": lenses}
