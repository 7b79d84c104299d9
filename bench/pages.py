"""The computation each page does, through the same functions the page calls (minus Streamlit's result cache).

A page's time here is what a viewer waits for on a warm connection before the first chart can be drawn;
drawing is the browser's part, measured by the load check (bench/load.py).
"""

from __future__ import annotations

from datetime import date, timedelta

from readiness import tables
from readiness.brief import DEFAULT_DAYS, build_brief
from readiness.lens_tables import baseline, changes, materials, potency, process_control
from readiness.report import build_lens_report, build_report, build_trend, day_portfolio, with_trend


def portfolio_first(ds, as_of: date, program_id: str | None, expectations) -> None:
    """What the Portfolio draws first: the day's digest, its table and grid, before the trend column."""
    digest = day_portfolio(ds, as_of, expectations)
    tables.portfolio(digest)
    tables.status_grid(digest)


def portfolio(ds, as_of: date, program_id: str | None, expectations) -> None:
    """The whole Portfolio: the day's digest, then the 12 month-end trend."""
    digest = day_portfolio(ds, as_of, expectations)
    tables.status_grid(digest)
    tables.portfolio(with_trend(digest, build_trend(ds, as_of, None, expectations)))


def baseline_page(ds, as_of, program_id, expectations) -> None:
    report = build_lens_report(ds, as_of, "baseline", program_id, expectations)
    baseline.attribute_bars(report)
    baseline.irrecoverable_gaps(report)
    baseline.open_deviations(report)
    if program_id:
        program = report["programs"][0]
        baseline.completeness_line(program)
        baseline.heatmap(program)
    tables.findings(report, "baseline")


def potency_page(ds, as_of, program_id, expectations) -> None:
    report = build_lens_report(ds, as_of, "potency", program_id, expectations)
    potency.figures(report)
    potency.batches_by_month(report)
    options = potency.trend_options(report)
    if options:
        potency.trend(report, next(iter(options)))
    if program_id:
        f = potency.lens(report["programs"][0])
        potency.coverage_matrix(f)
        potency.assay_table(f)
        potency.stage_timeline(f, report["as_of"])
    tables.findings(report, "potency")


def changes_page(ds, as_of, program_id, expectations) -> None:
    report = build_lens_report(ds, as_of, "changes", program_id, expectations)
    changes.figures(report)
    changes.open_changes(report)
    changes.by_month(report)
    changes.comparability_changes(report)
    exercises = changes.exercises(report)
    if exercises:
        changes.comparability_table(changes.exercise(report, next(iter(exercises))))
    if program_id:
        program = report["programs"][0]
        changes.version_batches(program)
        changes.version_events(program)
    tables.findings(report, "changes")


def materials_page(ds, as_of, program_id, expectations) -> None:
    report = build_lens_report(ds, as_of, "materials", program_id, expectations)
    materials.figures(report)
    materials.materials_table(report)
    materials.tier_counts(report)
    materials.qualified_lots_by_month(report)
    if program_id:
        materials.batch_tiers(ds, as_of, program_id)
    options = materials.material_options(report)
    if options:
        materials.material_lots(ds, as_of, next(iter(options)))
    tables.findings(report, "materials")


def process_control_page(ds, as_of, program_id, expectations) -> None:
    report = build_lens_report(ds, as_of, "process_control", program_id, expectations)
    if program_id is None:
        process_control.programs_table(report)
        return
    program = report["programs"][0]
    process_control.overview(program)
    process_control.attribute_table(program)
    charted = process_control.attributes(program)
    if charted:
        process_control.chart_frame(ds, as_of, program_id, charted[0], expectations)
    tables.findings(report, "process_control")


def weekly_brief(ds, as_of, program_id, expectations) -> None:
    brief = build_brief(ds, as_of - timedelta(days=DEFAULT_DAYS), as_of, program_id, expectations)
    tables.brief_decisions(brief)
    tables.brief_programs(brief)


def full_report(ds, as_of, program_id, expectations) -> None:
    """`python -m readiness report` for every program: one snapshot and the 12 month-end trend."""
    build_report(ds, as_of, None, expectations, trend=True)


# page -> (work, scopes it is measured at). The Portfolio and the full report exist only for all programs.
PAGES = {
    "Portfolio": (portfolio, ("all",)),
    "Portfolio, first content": (portfolio_first, ("all",)),
    "Baseline & deviations": (baseline_page, ("one", "all")),
    "Process control": (process_control_page, ("one", "all")),
    "Changes & comparability": (changes_page, ("one", "all")),
    "Materials & suppliers": (materials_page, ("one", "all")),
    "Potency & methods": (potency_page, ("one", "all")),
    "Weekly brief": (weekly_brief, ("one", "all")),
    "Full report (CLI)": (full_report, ("all",)),
}
