"""Small hand-made data directories: each test writes exactly the rows it reasons about."""

from __future__ import annotations

import datetime as dt
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


def write_tables(directory: Path, tables: dict[str, dict[str, list] | pa.Table]) -> Path:
    """Writes each table as `<name>.parquet`; pyarrow infers types from the Python values given."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, columns in tables.items():
        table = columns if isinstance(columns, pa.Table) else pa.table(columns)
        pq.write_table(table, directory / f"{name}.parquet")
    return directory


@pytest.fixture
def make_data(tmp_path):
    """`make_data(changes)`: the minimal tables with `changes` applied ({table: {column: values}} or None to drop)."""
    def build(overrides: dict | None = None, name: str = "data") -> Path:
        tables = minimal_tables()
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
