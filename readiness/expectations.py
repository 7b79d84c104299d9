"""The phase-expectation matrix: a human-editable TOML yardstick, checked like data and never half-applied."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .contract import CATEGORIES, DEVIATION_SEVERITIES, MODALITIES, PHASES, RISKS, phase_rank
from .findings import SEVERITIES
from .problems import Problem

DEFAULT_FILE = Path(__file__).with_name("expectations.toml")
EXPECTATIONS_ENV = "READINESS_EXPECTATIONS"
STAGES = ("exploratory", "developing", "qualified", "validated")

# What kind of threshold each key holds: the checker of a row's value, and how it reads in a sentence.
_KINDS = {
    "share": (lambda v: _is_number(v) and 0 <= v <= 1, "a share between 0 and 1"),
    "categories": (lambda v: isinstance(v, list) and v and all(c in CATEGORIES for c in v),
                   f"a list of categories from {', '.join(CATEGORIES)}"),
    "stage": (lambda v: v in STAGES, f"one of {', '.join(STAGES)}"),
    "flag": (lambda v: isinstance(v, bool), "true or false"),
    "count": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, "a whole number of at least 1"),
    "ratio": (lambda v: _is_number(v) and v > 0, "a positive number"),
    "tier": (lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4, "a tier from 1 to 4"),
    "days_by_risk": (lambda v: _days_map(v, RISKS), f"a table of days per risk ({', '.join(RISKS)})"),
    "days_by_severity": (lambda v: _days_map(v, DEVIATION_SEVERITIES),
                         f"a table of days per severity ({', '.join(DEVIATION_SEVERITIES)})"),
}
# Each key, the kind of threshold it holds and the finding code it drives (fixed: the checks emit it).
KEYS = {
    "baseline_completeness_min": ("share", "BL004"),
    "required_categories": ("categories", "BL003"),
    "potency_stage_min": ("stage", "PT003"),
    "quantitative_potency_required": ("flag", "PT005"),
    "comparability_min_lots": ("count", "CP002"),
    "open_change_max_days": ("days_by_risk", "CC003"),
    "deviation_max_open_days": ("days_by_severity", "DV002"),
    "control_limits_min_lots": ("count", "PC004"),
    "capability_min_ppk": ("ratio", "PC003"),
    "material_gmp_from_tier": ("tier", "MT002"),
}
SETTINGS = {
    "quality_range_k": "ratio",
    "quality_range_min_share": "share",
    "tost_margin_factor": "ratio",
    "control_baseline_lots": "count",
    "control_min_lots": "count",
    "nelson_rules": "rules",
    "nelson_rule2_run": "count",
    "capability_min_lots": "count",
}
_TEXT_FIELDS = ("code", "title", "unit", "rationale", "reference")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _days_map(v, names) -> bool:
    return isinstance(v, dict) and set(v) == set(names) and all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in v.values())


@dataclass(frozen=True)
class Row:
    phase: str
    threshold: object
    severity: str


@dataclass(frozen=True)
class Expectation:
    """One key of the matrix: what it drives, why, and its rows per modality (`all` for the default)."""

    key: str
    code: str
    title: str
    unit: str
    rationale: str
    reference: str
    rows: dict[str, tuple[Row, ...]]

    def at(self, phase: str, modality: str) -> Row | None:
        """The row in force at `phase`: the latest row at or before it, from the modality's rows if any."""
        rows = self.rows[modality] if modality in self.rows else self.rows.get("all", ())
        in_force = [r for r in rows if phase_rank(r.phase) <= phase_rank(phase)]
        return max(in_force, key=lambda r: phase_rank(r.phase)) if in_force else None


@dataclass
class Expectations:
    items: dict[str, Expectation]
    settings: dict[str, object]
    source: str
    problems: list[Problem] = field(default_factory=list)

    def at(self, key: str, phase: str, modality: str) -> Row | None:
        return self.items[key].at(phase, modality)


def load_expectations(path: str | os.PathLike | None = None) -> Expectations:
    """The built-in matrix, with the keys of `path` (or $READINESS_EXPECTATIONS) replacing their defaults.

    An override with any problem is ignored whole and its problems are returned: a half-read yardstick
    would move every status without anyone noticing.
    """
    defaults = _parse(tomllib.loads(DEFAULT_FILE.read_text()), str(DEFAULT_FILE))
    if defaults.problems:  # the shipped file is tested, so this is a packaging bug, not a user's mistake
        raise RuntimeError(f"built-in {DEFAULT_FILE.name} is invalid: {defaults.problems[0].message}")
    path = path or os.environ.get(EXPECTATIONS_ENV)
    if not path:
        return defaults
    shown = str(path)
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _rejected(defaults, shown, None, f"{shown} does not exist")
    except (OSError, UnicodeDecodeError) as exc:
        return _rejected(defaults, shown, None, f"{shown} could not be read ({exc})")
    except tomllib.TOMLDecodeError as exc:
        return _rejected(defaults, shown, None, f"{shown} is not valid TOML ({exc})")
    override = _parse(raw, shown)
    if override.problems:
        defaults.problems = override.problems
        return defaults
    return Expectations({**defaults.items, **override.items}, {**defaults.settings, **override.settings},
                        f"{DEFAULT_FILE.name} with {shown}")


def _rejected(defaults: Expectations, file: str, key: str | None, sentence: str) -> Expectations:
    defaults.problems = [_problem(file, key, sentence)]
    return defaults


def _problem(file: str, key: str | None, sentence: str) -> Problem:
    return Problem("error", "expectations", key, f"{sentence}; the built-in expectations stay in force.",
                   file=file, code="invalid_expectations")


def _parse(raw: dict, file: str) -> Expectations:
    problems: list[Problem] = []
    unknown_sections = set(raw) - {"expectations", "settings"}
    for name in sorted(unknown_sections):
        problems.append(_problem(file, name, f"[{name}] is not a section of an expectations file "
                                             "(only [expectations.<key>] and [settings])"))
    sections = {}
    for name in ("expectations", "settings"):
        sections[name] = raw.get(name, {})
        if not isinstance(sections[name], dict):
            problems.append(_problem(file, name, f"`{name}` must be a table ([{name}...])"))
            sections[name] = {}
    items = {}
    for key, body in sections["expectations"].items():
        parsed = _parse_key(key, body, file, problems)
        if parsed:
            items[key] = parsed
    settings = {}
    for name, value in sections["settings"].items():
        kind = SETTINGS.get(name)
        if kind is None:
            problems.append(_problem(file, f"settings.{name}", f"settings.{name} is not a known setting "
                                                               f"(known: {', '.join(SETTINGS)})"))
        elif kind == "rules":
            if not (isinstance(value, list)
                    and all(isinstance(r, int) and not isinstance(r, bool) and 1 <= r <= 8 for r in value)):
                problems.append(_problem(file, f"settings.{name}",
                                         f"settings.{name} must be a list of Nelson rule numbers 1 to 8"))
            settings[name] = value
        elif not _KINDS[kind][0](value):
            problems.append(_problem(file, f"settings.{name}", f"settings.{name} must be {_KINDS[kind][1]}"))
        else:
            settings[name] = value
    return Expectations(items, settings, file, problems)


def _parse_key(key: str, body, file: str, problems: list[Problem]) -> Expectation | None:
    if key not in KEYS:
        problems.append(_problem(file, key, f"`{key}` is not an expectation this product checks "
                                            f"(known: {', '.join(KEYS)})"))
        return None
    if not isinstance(body, dict):
        problems.append(_problem(file, key, f"`{key}` must be a table"))
        return None
    texts = {}
    for name in _TEXT_FIELDS:
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(_problem(file, key, f"`{key}` needs a `{name}` (text)"))
            value = None
        texts[name] = value
    kind, code = KEYS[key]
    if texts["code"] is not None and texts["code"] != code:
        problems.append(_problem(file, key, f"`{key}` drives finding {code}, not {texts['code']}"))
        texts["code"] = None
    check, words = _KINDS[kind]
    rows: dict[str, tuple[Row, ...]] = {}
    for modality, phases in body.items():
        if modality in _TEXT_FIELDS:
            continue
        if modality != "all" and modality not in MODALITIES:
            problems.append(_problem(file, f"{key}.{modality}", f"`{modality}` is not a modality "
                                                                f"(use all, {', '.join(MODALITIES)})"))
            continue
        if not isinstance(phases, dict):
            problems.append(_problem(file, f"{key}.{modality}", f"`{key}.{modality}` must map phases to rows"))
            continue
        found = []
        for phase, row in phases.items():
            where = f"{key}.{modality}.{phase}"
            if phase not in PHASES:
                problems.append(_problem(file, where, f"`{phase}` is not a phase (use {', '.join(PHASES)})"))
                continue
            if not isinstance(row, dict) or set(row) != {"threshold", "severity"}:
                problems.append(_problem(file, where, "a row is { threshold = ..., severity = ... }"))
                continue
            if row["severity"] not in SEVERITIES:
                problems.append(_problem(file, where, f"severity must be one of {', '.join(SEVERITIES)} "
                                                      f"(found {row['severity']!r})"))
                continue
            if not check(row["threshold"]):
                problems.append(_problem(file, where, f"threshold must be {words} (found {row['threshold']!r})"))
                continue
            found.append(Row(phase, row["threshold"], row["severity"]))
        if found or not phases:
            rows[modality] = tuple(sorted(found, key=lambda r: phase_rank(r.phase)))
        if not phases:
            problems.append(_problem(file, f"{key}.{modality}", f"`{key}.{modality}` has no rows"))
    if not any(rows.values()) and not any(p.code == "invalid_expectations" and p.column and
                                          p.column.startswith(f"{key}.") for p in problems):
        problems.append(_problem(file, key, f"`{key}` has no rows (e.g. all.phase_1 = {{ threshold = ..., "
                                            "severity = \"medium\" }})"))
    if any(v is None for v in texts.values()):
        return None
    return Expectation(key, texts["code"], texts["title"], texts["unit"], texts["rationale"], texts["reference"],
                       rows)
