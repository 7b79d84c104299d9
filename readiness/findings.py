"""Findings, the unit of the product: like a linter's, each has a stable code, a severity and its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field

SEVERITIES = ("high", "medium", "low")

LENSES = {
    "baseline": "Batch records & baseline",
    "process_control": "Process control",
    "changes": "Changes & comparability",
    "materials": "Materials & suppliers",
    "potency": "Potency & analytical methods",
}


@dataclass(frozen=True)
class Rule:
    """A finding code as catalogued in docs/findings.md: what it means and what it rests on."""

    code: str
    lens: str
    title: str
    severity: str
    expectation: str
    reference: str
    detail: str


@dataclass
class Finding:
    code: str
    severity: str
    program_id: str
    subject: str
    message: str
    evidence: list[dict] = field(default_factory=list)
    expectation: str = ""
    reference: str = ""

    @property
    def lens(self) -> str:
        return RULES[self.code].lens

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "lens": self.lens,
            "program_id": self.program_id,
            "subject": self.subject,
            "message": self.message,
            "evidence": self.evidence,
            "expectation": self.expectation,
            "reference": self.reference,
        }


RULES: dict[str, Rule] = {}


def rule(code, lens, title, severity, expectation, reference, detail) -> Rule:
    if code in RULES:
        raise ValueError(f"finding code {code} defined twice")
    if severity not in SEVERITIES or lens not in LENSES:
        raise ValueError(f"finding code {code}: unknown severity or lens")
    RULES[code] = Rule(code, lens, title, severity, expectation, reference, detail)
    return RULES[code]


def make(rule_: Rule, program_id: str, subject: str, message: str, evidence: list[dict],
         severity: str | None = None, expectation: str | None = None, reference: str | None = None) -> Finding:
    """A finding of `rule_`; a threshold check passes the severity and wording of the expectation row in force."""
    return Finding(rule_.code, severity or rule_.severity, program_id, subject, message, evidence,
                   expectation or rule_.expectation, reference or rule_.reference)


def sort_key(finding: Finding | dict) -> tuple:
    """Most severe first, then by program, code and subject, so every listing (report, page, brief) is stable."""
    get = finding.get if isinstance(finding, dict) else lambda name: getattr(finding, name)
    return SEVERITIES.index(get("severity")), get("program_id"), get("code"), get("subject")
