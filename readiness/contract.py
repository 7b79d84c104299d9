"""The data contract as data, so the loader, the validator and docs/data-contract.md cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass, field

PHASES = ("preclinical", "phase_1", "phase_2", "phase_3", "bla")
PHASE_WORDS = {"preclinical": "preclinical", "phase_1": "Phase 1", "phase_2": "Phase 2", "phase_3": "Phase 3",
               "bla": "BLA"}  # as sentences and charts name them
MODALITIES = ("autologous_cell", "allogeneic_cell", "aav", "lentiviral_vector", "other")
PURPOSES = ("clinical", "engineering", "development", "ppq")
DISPOSITIONS = ("in_process", "released", "administered", "rejected", "failed")
ATTRIBUTE_KINDS = ("cqa", "cpp", "ipc")
CATEGORIES = ("identity", "potency", "purity", "safety", "strength", "viability", "process")
RESULT_STATUSES = ("valid", "invalidated")
READOUTS = ("quantitative", "qualitative")
CHANGE_TYPES = (
    "process", "raw_material", "equipment", "site", "analytical_method", "specification", "supplier", "other",
)
RISKS = ("low", "medium", "high")
DEVIATION_SEVERITIES = ("minor", "major", "critical")
MATERIAL_KINDS = ("starting", "raw", "ancillary", "vector", "excipient", "consumable")
MATERIAL_GRADES = ("gmp", "research", "other")

EARLIEST_DATE = "1990-01-01"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # one of: text, double, date, bool
    required: bool = True
    enum: tuple[str, ...] | None = None
    future_ok: bool = False  # a planned date (a milestone) may lie after today
    doc: str = ""
    default: str | None = None  # what an empty optional value means, per the contract


@dataclass(frozen=True)
class Reference:
    """`columns` of this table must match a row of `table` (checked only when the columns are not null)."""

    columns: tuple[str, ...]
    table: str
    target: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    optional: bool = False
    label: tuple[str, ...] = field(default=())  # columns that name a row in a message

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def row_label(self) -> tuple[str, ...]:
        return self.label or self.key


def _c(name, type_="text", required=True, enum=None, future_ok=False, doc="", default=None):
    return Column(name, type_, required, tuple(enum) if enum else None, future_ok, doc, default)


TABLES: tuple[Table, ...] = (
    Table(
        "programs",
        "One row per development program.",
        (
            _c("program_id"),
            _c("name"),
            _c("modality", enum=MODALITIES),
            _c("phase", enum=PHASES, doc="the current phase, used when there is no phase_history"),
            _c("indication", required=False),
            _c("next_milestone", required=False, doc="free text, e.g. 'End-of-Phase 2 meeting'"),
            _c("next_milestone_on", "date", required=False, future_ok=True),
        ),
        key=("program_id",),
    ),
    Table(
        "phase_history",
        "When each program entered each phase; the phase in force on a date is the latest started on or before it.",
        (_c("program_id"), _c("phase", enum=PHASES), _c("started_on", "date")),
        key=("program_id", "phase"),
        references=(Reference(("program_id",), "programs", ("program_id",)),),
        optional=True,
    ),
    Table(
        "batches",
        "One row per manufactured lot (in autologous therapy: one patient's lot).",
        (
            _c("batch_id"),
            _c("program_id"),
            _c("purpose", enum=PURPOSES),
            _c("process_version"),
            _c("site", required=False),
            _c("manufactured_on", "date"),
            _c("disposition", enum=DISPOSITIONS),
            _c("disposition_on", "date", required=False),
        ),
        key=("batch_id",),
        references=(Reference(("program_id",), "programs", ("program_id",)),),
    ),
    Table(
        "attributes",
        "The data plan: what is measured on a program's batches, and from which phase it is required.",
        (
            _c("program_id"),
            _c("attribute"),
            _c("kind", enum=ATTRIBUTE_KINDS),
            _c("category", enum=CATEGORIES),
            _c("unit", required=False),
            _c("lower_limit", "double", required=False),
            _c("upper_limit", "double", required=False),
            _c("required_from", required=False, enum=PHASES,
               doc="from this phase on the attribute must be recorded on every clinical batch"),
        ),
        key=("program_id", "attribute"),
        references=(Reference(("program_id",), "programs", ("program_id",)),),
    ),
    Table(
        "assays",
        "Analytical methods, with the dates they were qualified and validated.",
        (
            _c("assay_id"),
            _c("program_id"),
            _c("name"),
            _c("category", enum=CATEGORIES),
            _c("mechanism", required=False, doc="the element of the mechanism of action a potency assay reads out"),
            _c("readout", enum=READOUTS),
            _c("qualified_on", "date", required=False),
            _c("validated_on", "date", required=False),
        ),
        key=("assay_id",),
        references=(Reference(("program_id",), "programs", ("program_id",)),),
    ),
    Table(
        "results",
        "One row per test result on a batch.",
        (
            _c("batch_id"),
            _c("attribute"),
            _c("value", "double", required=False),
            _c("text_value", required=False),
            _c("tested_on", "date"),
            _c("assay_id", required=False),
            _c("status", required=False, enum=RESULT_STATUSES, doc="empty means valid", default="valid"),
        ),
        references=(
            Reference(("batch_id",), "batches", ("batch_id",)),
            Reference(("assay_id",), "assays", ("assay_id",)),
        ),
        label=("batch_id", "attribute"),
    ),
    Table(
        "mechanisms",
        "The elements of the proposed mechanism of action that the potency strategy must cover.",
        (_c("program_id"), _c("mechanism")),
        key=("program_id", "mechanism"),
        references=(Reference(("program_id",), "programs", ("program_id",)),),
    ),
    Table(
        "changes",
        "Change-control records.",
        (
            _c("change_id"),
            _c("program_id"),
            _c("title"),
            _c("change_type", enum=CHANGE_TYPES),
            _c("risk", enum=RISKS),
            _c("opened_on", "date"),
            _c("approved_on", "date", required=False),
            _c("implemented_on", "date", required=False),
            _c("closed_on", "date", required=False),
            _c("to_process_version", required=False, doc="the process version the change introduces"),
            _c("comparability_required", "bool"),
            _c("comparability_completed_on", "date", required=False),
        ),
        key=("change_id",),
        references=(Reference(("program_id",), "programs", ("program_id",)),),
    ),
    Table(
        "deviations",
        "Deviations raised against a program, usually on one batch.",
        (
            _c("deviation_id"),
            _c("program_id"),
            _c("batch_id", required=False),
            _c("severity", enum=DEVIATION_SEVERITIES),
            _c("opened_on", "date"),
            _c("closed_on", "date", required=False),
            _c("title"),
        ),
        key=("deviation_id",),
        references=(
            Reference(("program_id",), "programs", ("program_id",)),
            Reference(("batch_id",), "batches", ("batch_id",)),
        ),
        optional=True,
    ),
    Table(
        "materials",
        "The materials a program's batches are made with: one row per material and supplier, with its risk tier "
        "and qualification. The same name from two suppliers is a supplier change.",
        (
            _c("material_id"),
            _c("program_id"),
            _c("name"),
            _c("supplier"),
            _c("kind", enum=MATERIAL_KINDS, doc="`starting`: cell bank, plasmid; `ancillary`: in contact with "
               "the product but not meant to stay in it (USP <1043>)"),
            _c("risk_tier", "double", doc="USP <1043> risk tier, a whole number from 1 (lowest) to 4 (highest)"),
            _c("grade", enum=MATERIAL_GRADES),
            _c("qualified_on", "date", required=False,
               doc="the day this material from this supplier was first qualified for GMP use"),
            _c("requalify_by", "date", required=False, future_ok=True,
               doc="the day the current qualification lapses unless renewed"),
            _c("change_id", required=False,
               doc="the change record that introduced this material or supplier"),
        ),
        key=("material_id",),
        references=(
            Reference(("program_id",), "programs", ("program_id",)),
            Reference(("change_id",), "changes", ("change_id",)),
        ),
        optional=True,
    ),
    Table(
        "material_usage",
        "Which material lots went into which batch (from the batch record's bill of materials).",
        (
            _c("batch_id"),
            _c("material_id"),
            _c("material_lot", required=False, doc="the supplier's lot number"),
        ),
        references=(
            Reference(("batch_id",), "batches", ("batch_id",)),
            Reference(("material_id",), "materials", ("material_id",)),
        ),
        optional=True,
        label=("batch_id", "material_id"),
    ),
    Table(
        "control_limits",
        "Approved control limits for an attribute of one process version: from `approved_on` on they replace the "
        "limits computed from the version's first lots, for lots made on or after that day.",
        (
            _c("program_id"),
            _c("attribute"),
            _c("process_version"),
            _c("center", "double", doc="the centre line, midway between `lower` and `upper` (the run-rule zones "
               "are sixths of the band)"),
            _c("lower", "double", doc="lower control limit (not the specification limit)"),
            _c("upper", "double", doc="upper control limit"),
            _c("approved_on", "date"),
            _c("reason", required=False, doc="the justification, e.g. 'PPQ lots 1-30, approved by QA'"),
        ),
        key=("program_id", "attribute", "process_version", "approved_on"),
        references=(
            Reference(("program_id",), "programs", ("program_id",)),
            Reference(("program_id", "attribute"), "attributes", ("program_id", "attribute")),
        ),
        optional=True,
        label=("program_id", "attribute", "process_version", "approved_on"),
    ),
)

TABLES_BY_NAME = {t.name: t for t in TABLES}

# Dates that place a record in time: on day D a record exists if this date is on or before D.
EXISTS_FROM = {
    "phase_history": "started_on",
    "batches": "manufactured_on",
    "results": "tested_on",
    "changes": "opened_on",
    "deviations": "opened_on",
    "control_limits": "approved_on",
}


def phase_rank(phase: str) -> int:
    return PHASES.index(phase)
