"""The phase-expectation matrix: the built-in file, lookup by phase and modality, overrides and rejected files."""

from __future__ import annotations

import tomllib

import pytest

from readiness.expectations import (DEFAULT_FILE, EXPECTATIONS_ENV, KEYS, SETTINGS, Row, load_expectations)
from readiness.problems import Problem

STAY = "; the built-in expectations stay in force."


@pytest.fixture(autouse=True)
def no_override_in_env(monkeypatch):
    """A READINESS_EXPECTATIONS set in the shell must not change what these tests call the defaults."""
    monkeypatch.delenv(EXPECTATIONS_ENV, raising=False)


def key_toml(key: str, rows: str = 'all.phase_1 = { threshold = 3, severity = "medium" }', code: str | None = None,
             drop: str | None = None) -> str:
    """One complete [expectations.<key>] table; `drop` leaves out one text field."""
    fields = {"code": code or KEYS[key][1], "title": "T", "unit": "U", "rationale": "R", "reference": "Ref"}
    fields.pop(drop, None)
    return f"[expectations.{key}]\n" + "".join(f'{k} = "{v}"\n' for k, v in fields.items()) + rows + "\n"


def write(tmp_path, text: str):
    path = tmp_path / "override.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problem(path, column, sentence) -> Problem:
    return Problem("error", "expectations", column, sentence + STAY, file=str(path), code="invalid_expectations")


def assert_defaults(loaded):
    defaults = load_expectations()
    assert loaded.items == defaults.items
    assert loaded.settings == defaults.settings
    assert loaded.source == str(DEFAULT_FILE)


# --- the built-in file -------------------------------------------------------------------------------

def test_built_in_file_is_complete_and_clean():
    e = load_expectations()
    assert e.problems == []
    assert e.source == str(DEFAULT_FILE)
    assert set(e.items) == set(KEYS)
    assert {k: item.code for k, item in e.items.items()} == {k: code for k, (_, code) in KEYS.items()}
    assert set(e.settings) == set(SETTINGS)
    assert all(v is not None for v in e.settings.values())


# --- lookup -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key, phase, modality, expected", [
    ("potency_stage_min", "preclinical", "aav", None),  # before the first row nothing is expected
    ("potency_stage_min", "phase_1", "aav", Row("phase_1", "developing", "medium")),
    ("potency_stage_min", "phase_2", "aav", Row("phase_2", "qualified", "medium")),
    ("potency_stage_min", "phase_3", "aav", Row("phase_3", "qualified", "high")),
    ("potency_stage_min", "bla", "aav", Row("bla", "validated", "high")),
    ("comparability_min_lots", "phase_2", "aav", Row("phase_1", 3, "medium")),  # the phase 1 row still holds
    ("capability_min_ppk", "phase_2", "aav", None),
    ("quantitative_potency_required", "bla", "other", Row("phase_2", True, "high")),
])
def test_a_row_holds_from_its_phase_until_a_later_row_replaces_it(key, phase, modality, expected):
    assert load_expectations().at(key, phase, modality) == expected


@pytest.mark.parametrize("modality, expected", [
    ("autologous_cell", Row("phase_1", ["safety", "identity", "strength", "potency", "viability"], "high")),
    ("allogeneic_cell", Row("phase_1", ["safety", "identity", "strength", "potency", "viability"], "high")),
    ("aav", Row("phase_1", ["safety", "identity", "strength", "potency"], "high")),  # from `all`
    ("lentiviral_vector", Row("phase_1", ["safety", "identity", "strength", "potency"], "high")),
])
def test_a_modality_table_replaces_all_for_that_modality(modality, expected):
    row = load_expectations().at("required_categories", "phase_2", modality)
    assert row == expected
    assert ("viability" in row.threshold) == modality.endswith("_cell")


# --- overrides -------------------------------------------------------------------------------------------

OVERRIDE = key_toml("potency_stage_min", 'all.phase_1 = { threshold = "qualified", severity = "high" }') + \
    "[settings]\nquality_range_k = 2.5\n"


def check_override(e, path):
    defaults = load_expectations()
    assert e.problems == []
    assert e.source == f"expectations.toml with {path}"
    assert e.at("potency_stage_min", "phase_1", "aav") == Row("phase_1", "qualified", "high")
    assert e.at("potency_stage_min", "bla", "aav") == Row("phase_1", "qualified", "high")  # the key is replaced whole
    assert e.items["potency_stage_min"].title == "T"
    assert {k: v for k, v in e.items.items() if k != "potency_stage_min"} == \
        {k: v for k, v in defaults.items.items() if k != "potency_stage_min"}
    assert e.settings == {**defaults.settings, "quality_range_k": 2.5}


def test_an_override_replaces_only_its_keys(tmp_path):
    path = write(tmp_path, OVERRIDE)
    check_override(load_expectations(path), path)


def test_the_environment_variable_names_the_override_when_no_path_is_given(tmp_path, monkeypatch):
    path = write(tmp_path, OVERRIDE)
    monkeypatch.setenv(EXPECTATIONS_ENV, str(path))
    check_override(load_expectations(), path)


# --- rejected files: one mistake each, reported exactly, defaults in force ----------------------------------

def test_a_missing_file_is_reported(tmp_path):
    path = tmp_path / "nowhere.toml"
    e = load_expectations(path)
    assert e.problems == [problem(path, None, f"{path} does not exist")]
    assert_defaults(e)


def test_a_file_that_is_not_toml_is_reported(tmp_path):
    text = "[expectations.potency_stage_min\ncode = 'PT003'\n"
    path = write(tmp_path, text)
    with pytest.raises(tomllib.TOMLDecodeError) as exc:
        tomllib.loads(text)
    e = load_expectations(path)
    assert e.problems == [problem(path, None, f"{path} is not valid TOML ({exc.value})")]
    assert_defaults(e)


B = "baseline_completeness_min"
ALL = 'all.phase_1 = { threshold = 0.9, severity = "medium" }'

INVALID = {
    "unknown section": (
        "[thresholds]\nx = 1\n", "thresholds",
        "[thresholds] is not a section of an expectations file (only [expectations.<key>] and [settings])"),
    "unknown key": (
        key_toml(B).replace(B, "batch_size_min"), "batch_size_min",
        "`batch_size_min` is not an expectation this product checks (known: " + ", ".join(KEYS) + ")"),
    "unknown modality": (
        key_toml(B, ALL + '\nadenovirus.phase_1 = { threshold = 0.9, severity = "medium" }'), f"{B}.adenovirus",
        "`adenovirus` is not a modality (use all, autologous_cell, allogeneic_cell, aav, lentiviral_vector, other)"),
    "unknown phase": (
        key_toml(B, 'all.phase_4 = { threshold = 0.9, severity = "medium" }'), f"{B}.all.phase_4",
        "`phase_4` is not a phase (use preclinical, phase_1, phase_2, phase_3, bla)"),
    "bad severity": (
        key_toml(B, 'all.phase_1 = { threshold = 0.9, severity = "critical" }'), f"{B}.all.phase_1",
        "severity must be one of high, medium, low (found 'critical')"),
    "share 1.5": (
        key_toml(B, 'all.phase_1 = { threshold = 1.5, severity = "medium" }'), f"{B}.all.phase_1",
        "threshold must be a share between 0 and 1 (found 1.5)"),
    "unknown category": (
        key_toml("required_categories", 'all.phase_1 = { threshold = ["safety", "sterility"], severity = "high" }'),
        "required_categories.all.phase_1",
        "threshold must be a list of categories from identity, potency, purity, safety, strength, viability, process "
        "(found ['safety', 'sterility'])"),
    "stage excellent": (
        key_toml("potency_stage_min", 'all.phase_1 = { threshold = "excellent", severity = "medium" }'),
        "potency_stage_min.all.phase_1",
        "threshold must be one of exploratory, developing, qualified, validated (found 'excellent')"),
    "flag yes": (
        key_toml("quantitative_potency_required", 'all.phase_2 = { threshold = "yes", severity = "high" }'),
        "quantitative_potency_required.all.phase_2", "threshold must be true or false (found 'yes')"),
    "count 0": (
        key_toml("comparability_min_lots", 'all.phase_1 = { threshold = 0, severity = "medium" }'),
        "comparability_min_lots.all.phase_1", "threshold must be a whole number of at least 1 (found 0)"),
    "ratio -1": (
        key_toml("capability_min_ppk", 'all.phase_3 = { threshold = -1, severity = "medium" }'),
        "capability_min_ppk.all.phase_3", "threshold must be a positive number (found -1)"),
    "tier 5": (
        key_toml("material_gmp_from_tier", 'all.phase_1 = { threshold = 5, severity = "medium" }'),
        "material_gmp_from_tier.all.phase_1", "threshold must be a tier from 1 to 4 (found 5)"),
    "days_by_risk without high": (
        key_toml("open_change_max_days", 'all.phase_1 = { threshold = { low = 180, medium = 120 }, severity = "medium" }'),
        "open_change_max_days.all.phase_1",
        "threshold must be a table of days per risk (low, medium, high) (found {'low': 180, 'medium': 120})"),
    "row with an extra field": (
        key_toml(B, 'all.phase_1 = { threshold = 0.9, severity = "medium", note = "x" }'), f"{B}.all.phase_1",
        "a row is { threshold = ..., severity = ... }"),
    "wrong code": (
        key_toml(B, ALL, code="BL003"), B, f"`{B}` drives finding BL004, not BL003"),
    "missing rationale": (
        key_toml(B, ALL, drop="rationale"), B, f"`{B}` needs a `rationale` (text)"),
    "unknown setting": (
        "[settings]\nquality_range = 3.0\n", "settings.quality_range",
        "settings.quality_range is not a known setting (known: " + ", ".join(SETTINGS) + ")"),
    "nelson rule 9": (
        "[settings]\nnelson_rules = [1, 2, 9]\n", "settings.nelson_rules",
        "settings.nelson_rules must be a list of Nelson rule numbers 1 to 8"),
}


@pytest.mark.parametrize("text, column, sentence", INVALID.values(), ids=INVALID.keys())
def test_an_invalid_file_is_reported_exactly_and_ignored_whole(tmp_path, text, column, sentence):
    path = write(tmp_path, text)
    e = load_expectations(path)
    assert e.problems == [problem(path, column, sentence)]
    assert_defaults(e)


def test_every_problem_in_a_file_is_reported(tmp_path):
    path = write(tmp_path, "[thresholds]\nx = 1\n"
                 + key_toml(B, 'all.phase_1 = { threshold = 2.0, severity = "medium" }')
                 + key_toml("potency_stage_min", 'all.phase_1 = { threshold = "qualified", severity = "urgent" }')
                 + "[settings]\nnelson_rules = [0]\ncontrol_min_lots = 0\n")
    e = load_expectations(path)
    assert [(p.column, p.message.split(" (")[0].split(";")[0]) for p in e.problems] == [
        ("thresholds", "[thresholds] is not a section of an expectations file"),
        (f"{B}.all.phase_1", "threshold must be a share between 0 and 1"),
        ("potency_stage_min.all.phase_1", "severity must be one of high, medium, low"),
        ("settings.nelson_rules", "settings.nelson_rules must be a list of Nelson rule numbers 1 to 8"),
        ("settings.control_min_lots", "settings.control_min_lots must be a whole number of at least 1"),
    ]
    assert_defaults(e)


# --- invalid files whose shape is wrong at the top level

@pytest.mark.parametrize("text", ["expectations = 5\n", 'settings = "strict"\n'])
def test_a_section_that_is_not_a_table_is_reported_not_raised(tmp_path, text):
    """A section that is not a table is a reported mistake, not a crash."""
    path = write(tmp_path, text)
    e = load_expectations(path)
    assert len(e.problems) == 1 and e.problems[0].code == "invalid_expectations"
    assert_defaults(e)


def test_nelson_rules_must_be_numbers_not_booleans(tmp_path):
    """`nelson_rules = [true]` is refused: a boolean is not a rule number (bool passes isinstance(int))."""
    path = write(tmp_path, "[settings]\nnelson_rules = [true]\n")
    e = load_expectations(path)
    assert e.problems == [problem(path, "settings.nelson_rules",
                                  "settings.nelson_rules must be a list of Nelson rule numbers 1 to 8")]
    assert_defaults(e)


def test_a_key_whose_only_modality_table_is_empty_has_no_rows(tmp_path):
    """`aav = {}` would silently switch the expectation off for that modality: it is refused."""
    path = write(tmp_path, key_toml("potency_stage_min", "aav = {}"))
    e = load_expectations(path)
    assert [p.column for p in e.problems] == ["potency_stage_min.aav"]
    assert e.problems[0].message == ("`potency_stage_min.aav` has no rows; the built-in expectations stay in "
                                     "force.")
    assert_defaults(e)
