"""Small hand-made data directories: each test writes exactly the rows it reasons about."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

D = dt.date
TODAY = D(2026, 11, 24)


def minimal_tables() -> dict[str, dict[str, list]]:
    """One clean program: two clinical batches, two required attributes, every result present."""
    return {
        "programs": {"program_id": ["P1"], "name": ["Test CAR-T"], "modality": ["autologous_cell"],
                     "phase": ["phase_1"]},
        "batches": {"batch_id": ["B1", "B2"], "program_id": ["P1", "P1"], "purpose": ["clinical", "clinical"],
                    "process_version": ["v1", "v1"], "manufactured_on": [D(2026, 1, 10), D(2026, 2, 10)],
                    "disposition": ["administered", "released"],
                    "disposition_on": [D(2026, 2, 1), D(2026, 3, 1)]},
        "attributes": {"program_id": ["P1", "P1"], "attribute": ["viability", "sterility"], "kind": ["cqa", "cqa"],
                       "category": ["viability", "safety"], "unit": ["%", None], "lower_limit": [70.0, None],
                       "upper_limit": [None, None], "required_from": ["phase_1", "phase_1"]},
        "results": {"batch_id": ["B1", "B1", "B2", "B2"], "attribute": ["viability", "sterility"] * 2,
                    "value": [85.0, None, 90.0, None], "text_value": [None, "no growth", None, "no growth"],
                    "tested_on": [D(2026, 1, 12), D(2026, 1, 24), D(2026, 2, 12), D(2026, 2, 24)]},
        "assays": {"assay_id": ["A1"], "program_id": ["P1"], "name": ["IFN-g release"], "category": ["potency"],
                   "readout": ["quantitative"]},
        "mechanisms": {"program_id": ["P1"], "mechanism": ["cytokine release"]},
        "changes": {"change_id": ["C1"], "program_id": ["P1"], "title": ["Closed system"],
                    "change_type": ["process"], "risk": ["medium"], "opened_on": [D(2025, 6, 1)],
                    "comparability_required": [False]},
    }


def clean_program_tables() -> dict[str, dict[str, list]]:
    """The minimal program made clean for every lens: the data plan covers the categories Phase 1 expects, a
    quantitative potency assay reads out the mechanism on both batches, and the one change is closed."""
    t = minimal_tables()
    extra = [("car_expression", "identity", "% CAR+", 10.0), ("dose", "strength", "x10^8 cells", 0.5),
             ("ifng_release", "potency", "pg/mL", 500.0)]
    attributes = t["attributes"]
    for name, category, unit, lower in extra:
        for column, value in (("program_id", "P1"), ("attribute", name), ("kind", "cqa"), ("category", category),
                              ("unit", unit), ("lower_limit", lower), ("upper_limit", None),
                              ("required_from", "phase_1")):
            attributes[column].append(value)
    results = {k: list(v) for k, v in t["results"].items()}
    results["assay_id"] = [None] * len(results["batch_id"])
    for batch, day in (("B1", D(2026, 1, 20)), ("B2", D(2026, 2, 20))):
        for name, value in (("car_expression", 40.0), ("dose", 2.0), ("ifng_release", 2400.0)):
            for column, item in (("batch_id", batch), ("attribute", name), ("value", value), ("text_value", None),
                                 ("tested_on", day), ("assay_id", "A1" if name == "ifng_release" else None)):
                results[column].append(item)
    t["results"] = results
    t["assays"]["mechanism"] = ["cytokine release"]
    t["assays"]["qualified_on"] = [D(2025, 12, 1)]
    t["changes"]["approved_on"] = [D(2025, 6, 10)]
    t["changes"]["closed_on"] = [D(2025, 7, 1)]
    return t


def write_tables(directory: Path, tables: dict[str, dict[str, list] | pa.Table]) -> Path:
    """Writes each table as `<name>.parquet`; pyarrow infers types from the Python values given."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, columns in tables.items():
        table = columns if isinstance(columns, pa.Table) else pa.table(columns)
        pq.write_table(table, directory / f"{name}.parquet")
    return directory


@pytest.fixture(scope="session", autouse=True)
def session_score_store(tmp_path_factory):
    """Module fixtures and test servers store into a temporary folder, never the user's cache."""
    from readiness.score_store import STORE_ENV
    os.environ[STORE_ENV] = str(tmp_path_factory.mktemp("score_store"))


@pytest.fixture(autouse=True)
def score_store(tmp_path, monkeypatch) -> Path:
    """Each test starts from its own empty score store: a result one test stored must not answer another's."""
    from readiness.score_store import STORE_ENV
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "score_store"))
    return tmp_path / "score_store"


@pytest.fixture
def make_data(tmp_path):
    """`make_data(changes)`: the minimal tables with `changes` applied ({table: {column: values}} or None to drop)."""
    def build(overrides: dict | None = None, name: str = "data", base=minimal_tables) -> Path:
        tables = base()
        for table, columns in (overrides or {}).items():
            if columns is None:
                tables.pop(table, None)
            else:
                tables[table] = columns
        return write_tables(tmp_path / name, tables)
    return build


def pytest_sessionfinish(session, exitstatus):
    """A skipped test is a test that did not run: CI must fail, not pass quietly without the browser test."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if exitstatus == 0 and reporter is not None and reporter.stats.get("skipped"):
        reporter.write_line("FAILED: tests were skipped; every test must run (see the skip reasons above).",
                            red=True)
        session.exitstatus = 1
