"""`python -m readiness`: the same numbers the app shows, for scripts, CI and people who prefer a terminal."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from . import __version__
from .brief import DEFAULT_DAYS, BadPeriod, build_brief, held_day, store_program_briefs
from .brief_html import render_html
from .dataset import load_dataset
from .expectations import load_expectations
from .findings import LENSES, RULES
from .report import UnknownProgram, build_lens_report, build_report, day_portfolio, day_scores, trend_dates
from .scoring import STATUS_WORDS
from . import docs, score_store
from .source import DataSource, default_location

EXIT_OK, EXIT_DATA_ERRORS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class UsageError(Exception):
    pass


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m readiness", description=__doc__)
    parser.add_argument("--version", action="version", version=f"readiness {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    data_help = "data directory or s3:// URI (default: $READINESS_DATA, else the bundled sample_data/)"

    validate = sub.add_parser("validate", help="check a data directory against the data contract")
    validate.add_argument("--data", default=None, help=data_help)
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.add_argument("--strict", action="store_true", help="exit 1 on warnings (excluded rows) too")
    validate.add_argument("--expectations", default=None, help="also check this expectations TOML file")

    report = sub.add_parser("report", help="findings and figures per program, as of a date")
    report.add_argument("--data", default=None, help=data_help)
    report.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: today)")
    report.add_argument("--program", default=None, help="one program_id (default: all)")
    report.add_argument("--format", choices=("json", "text"), default="json")
    report.add_argument("--expectations", default=None,
                        help="TOML file whose keys replace the built-in phase expectations "
                             "(default: $READINESS_EXPECTATIONS, else readiness/expectations.toml)")
    report.add_argument("--no-trend", action="store_true", help="skip the 12 month-end scores (faster)")
    report.add_argument("--lens", choices=tuple(LENSES), default=None,
                        help="only this lens, as its page shows it: its figures, findings and lens status, without "
                             "the overall status, score and trend (which need every lens)")

    precompute = sub.add_parser("precompute", help="compute and store the day's Portfolio, the trend's 12 "
                                "month-end scores and the weekly brief of the week before for this data version "
                                "(run after each data load, so no reader waits for them)")
    precompute.add_argument("--data", default=None, help=data_help)
    precompute.add_argument("--as-of", default=None, help="YYYY-MM-DD: the month ends before it (default: today)")
    precompute.add_argument("--expectations", default=None, help="TOML file whose keys replace the built-in ones")

    brief = sub.add_parser("brief", help="the weekly brief: what changed between two days (HTML or JSON)")
    brief.add_argument("--data", default=None, help=data_help)
    brief.add_argument("--as-of", default=None, help="YYYY-MM-DD, the later day (default: today)")
    brief.add_argument("--since", default=None, help="YYYY-MM-DD, the earlier day (default: 7 days before --as-of)")
    brief.add_argument("--program", default=None, help="one program_id (default: all)")
    brief.add_argument("--expectations", default=None, help="TOML file whose keys replace the built-in ones")
    brief.add_argument("--out", default=None, help="write a self-contained HTML file here (default: JSON to stdout)")

    chart = sub.add_parser("chart", help="one attribute's control chart, one row per lot (as the Process control "
                                         "page draws it)")
    chart.add_argument("--data", default=None, help=data_help)
    chart.add_argument("--program", required=True, help="the program_id")
    chart.add_argument("--attribute", required=True, help="the attribute, as in the data plan")
    chart.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: today)")
    chart.add_argument("--format", choices=("json", "csv"), default="json")
    chart.add_argument("--expectations", default=None,
                       help="TOML file whose keys replace the built-in ones (control-chart settings)")

    lots = sub.add_parser("material-lots", help="the lots one material went into, with its qualification when "
                                                "each was made (as the Materials page lists them)")
    lots.add_argument("--data", default=None, help=data_help)
    lots.add_argument("--material", required=True, help="the material_id")
    lots.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: today)")
    lots.add_argument("--format", choices=("json", "csv"), default="json")

    tiers = sub.add_parser("lot-tiers", help="one program's GMP lots by material risk tier, with the worst "
                                             "qualification of the tier when each was made (as the Materials page "
                                             "charts them)")
    tiers.add_argument("--data", default=None, help=data_help)
    tiers.add_argument("--program", required=True, help="the program_id")
    tiers.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: today)")
    tiers.add_argument("--format", choices=("json", "csv"), default="json")

    catalogue = sub.add_parser("findings", help="the catalogue of finding codes (as in docs/findings.md)")
    catalogue.add_argument("--format", choices=("markdown", "json"), default="markdown")

    regenerate = sub.add_parser("docs", help="rewrite the generated parts of docs/ from the code")
    regenerate.add_argument("--check", action="store_true", help="only report stale files (exit 1 if any)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # a user gets one sentence, never a stack trace; READINESS_DEBUG=1 shows it
        if os.environ.get("READINESS_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


def _dataset(args):
    location = args.data or default_location()
    if not DataSource(location).exists():
        raise UsageError(f"data directory not found: {location}")
    return load_dataset(location)


def cmd_validate(args) -> int:
    ds = _dataset(args)
    yardstick = load_expectations(args.expectations)
    problems = yardstick.problems + ds.problems
    if args.format == "json":
        print(json.dumps({
            "data": ds.location,
            "expectations": yardstick.source,
            "tables": {name: {"status": t.status, "files": list(t.files), "rows_read": t.rows_read,
                              "rows_excluded": t.rows_excluded} for name, t in ds.tables.items()},
            "problems": [p.to_dict() for p in problems],
        }, indent=2))
    else:
        print(f"Data: {ds.location}")
        for t in ds.tables.values():
            print(f"  {t.name:14} {t.status:8} {t.rows_read:>9,} rows read, {t.rows_excluded:,} excluded")
        for p in problems:
            print(p.describe())
        errors = len(ds.errors) + len(yardstick.problems)
        print(f"{plural(errors, 'error')}, {plural(len(ds.problems) - len(ds.errors), 'warning')}; "
              f"{ds.excluded_summary()}.")
    if ds.errors or yardstick.problems or (args.strict and ds.problems):
        return EXIT_DATA_ERRORS
    return EXIT_OK


def cmd_report(args) -> int:
    as_of = parse_date(args.as_of) if args.as_of else date.today()
    ds = _dataset(args)
    yardstick = load_expectations(args.expectations)
    try:
        if args.lens:
            report = build_lens_report(ds, as_of, args.lens, args.program, yardstick)
        else:
            report = build_report(ds, as_of, args.program, yardstick, trend=not args.no_trend)
    except UnknownProgram:
        raise UsageError(f"no program {args.program!r} in {ds.location}") from None
    if args.format == "json":
        print(json.dumps(report, indent=2))
    elif args.lens:
        print(render_lens_text(report, ds.excluded_summary()))
    else:
        print(render_text(report, ds.excluded_summary()))
    return EXIT_OK


def cmd_precompute(args) -> int:
    as_of = parse_date(args.as_of) if args.as_of else date.today()
    ds = _dataset(args)
    if (why := score_store.refusal(ds)) is not None:
        raise UsageError(f"nothing stored: {why}")
    yardstick = load_expectations(args.expectations)
    made = []  # the day's report, when the Portfolio's digest is computed: the brief's later day as well

    def day_report() -> dict:
        made.append(build_report(ds, as_of, None, yardstick, trend=False))
        return made[-1]

    days = [(day, score_store.MONTH_END_SCORES) for day in trend_dates(as_of)[:-1]] + [(as_of, score_store.PORTFOLIO)]
    for day, kind in days:
        started, known = time.perf_counter(), _already_stored(ds, kind, day, yardstick)
        if kind == score_store.PORTFOLIO:
            day_portfolio(ds, day, yardstick, full_report=day_report)
        else:
            day_scores(ds, day, None, yardstick)
        print(f"{day}  {kind.replace('_', ' ')}: {_done(known, started)}")
    since = as_of - timedelta(days=DEFAULT_DAYS)
    started, known = time.perf_counter(), _already_stored(ds, score_store.WEEKLY_BRIEF, as_of, yardstick, since)
    later = held_day(made.pop()) if made else None  # as text: the report itself is freed here
    programs = store_program_briefs(ds, build_brief(ds, since, as_of, None, yardstick, later), yardstick)
    print(f"{as_of}  weekly brief since {since} (all programs, then each of the {programs} on its own): "
          f"{_done(known, started)}")
    print(f"Stored in {score_store.store_root()} for {ds.location} (data fingerprint {ds.fingerprint})")
    return EXIT_OK


def _already_stored(ds, kind: str, day: date, yardstick, since: date | None = None) -> bool:
    store = score_store.ScoreStore.for_dataset(ds, kind)
    return store.get(store.key(ds, day, None, yardstick, since)) is not None


def _done(known: bool, started: float) -> str:
    return "already stored" if known else f"computed in {time.perf_counter() - started:.1f} s"


def render_text(report: dict, excluded: str) -> str:
    summary = report["summary"]
    counts = ", ".join(f"{n} {STATUS_WORDS[s].lower()}" for s, n in summary["programs_by_status"].items() if n)
    lines = [f"CMC readiness as of {report['as_of']} - data: {report['data']['location']} ({excluded})",
             f"Programs: {counts}; {plural(summary['open_high_findings'], 'open high finding')}; "
             f"{plural(summary['irrecoverable_gaps_this_quarter'], 'irrecoverable gap')} in {summary['quarter']}",
             f"Expectations: {report['expectations']['source']}"]
    lines += [f"  {p['message']}" for p in report["expectations"]["problems"]]
    for p in report["programs"]:
        lines += ["", _program_line(p, p)]
        lines.append("  lenses: " + "; ".join(
            f"{LENSES[lens]} {STATUS_WORDS[v['status']].lower()}" + ("" if v["score"] is None else f" {v['score']}")
            for lens, v in p["lens_status"].items()))
        if p.get("trend"):
            lines.append("  score at month ends: " + " ".join(
                "-" if t["score"] is None else str(t["score"]) for t in p["trend"]))
        base = p["lenses"]["baseline"]
        if base["baseline_completeness"] is None:
            lines.append("  baseline: no required results expected yet")
        else:
            lines.append(f"  baseline: {base['baseline_completeness']:.1%} complete "
                         f"({base['required_results_present']}/{base['required_results_expected']} required results), "
                         f"{base['irrecoverable_gaps']} irrecoverable, {base['required_results_pending']} pending")
        lines += _finding_lines(p)
    return "\n".join(lines)


def render_lens_text(report: dict, excluded: str) -> str:
    lens = report["lens"]
    lines = [f"CMC readiness as of {report['as_of']}, {LENSES[lens]} only - data: {report['data']['location']} "
             f"({excluded})", f"Expectations: {report['expectations']['source']}"]
    lines += [f"  {p['message']}" for p in report["expectations"]["problems"]]
    for p in report["programs"]:
        lines += ["", _program_line(p, p["lens_status"][lens]), *_finding_lines(p)]
    return "\n".join(lines)


def _program_line(program: dict, judged: dict) -> str:
    """A program's heading line with a status and score: its own, or one lens's."""
    score = "" if judged["score"] is None else f" {judged['score']}/100"
    return f"{program['program_id']}  {program['name']}  [{program['phase']}]  " \
           f"{STATUS_WORDS[judged['status']].upper()}{score}"


def _finding_lines(program: dict) -> list[str]:
    return [f"  {f['severity'].upper():6} {f['code']}  {f['message']}" for f in program["findings"]]


def cmd_brief(args) -> int:
    as_of = parse_date(args.as_of) if args.as_of else date.today()
    since = parse_date(args.since) if args.since else as_of - timedelta(days=DEFAULT_DAYS)
    ds = _dataset(args)
    try:
        result = build_brief(ds, since, as_of, args.program, load_expectations(args.expectations))
    except BadPeriod as exc:
        raise UsageError(str(exc)) from None
    except UnknownProgram:
        raise UsageError(f"no program {args.program!r} in {ds.location}") from None
    if args.out:
        Path(args.out).write_text(render_html(result), encoding="utf-8")
        totals = result["totals"]
        print(f"Wrote {args.out}: {plural(totals['new_findings'], 'new finding')}, "
              f"{plural(totals['resolved_findings'], 'resolved finding')}, "
              f"{totals['needs_decision']} needing a decision, {since} → {as_of}.")
    else:
        print(json.dumps(result, indent=2))
    return EXIT_OK


def cmd_findings(args) -> int:
    if args.format == "json":
        print(json.dumps([vars(r) for r in RULES.values()], indent=2))
    else:
        print(docs.findings_markdown(), end="")
    return EXIT_OK


def cmd_chart(args) -> int:
    from .lens_tables.process_control import UnknownAttribute, chart_frame

    as_of = parse_date(args.as_of) if args.as_of else date.today()
    ds = _dataset(args)
    try:
        frame = chart_frame(ds, as_of, args.program, args.attribute, load_expectations(args.expectations))
    except UnknownProgram:
        raise UsageError(f"no program {args.program!r} in {ds.location}") from None
    except UnknownAttribute as exc:
        raise UsageError(f"{args.program} has no control chart for {args.attribute!r} on {as_of} (charted: "
                         f"{', '.join(exc.charted) or 'none'})") from None
    _print_rows(frame, args.format)
    return EXIT_OK


def cmd_material_lots(args) -> int:
    from .lens_tables.materials import UnknownMaterial, material_lots

    as_of = parse_date(args.as_of) if args.as_of else date.today()
    ds = _dataset(args)
    try:
        frame = material_lots(ds, as_of, args.material)
    except UnknownMaterial:
        raise UsageError(f"no material {args.material!r} known on {as_of} in {ds.location}") from None
    _print_rows(frame, args.format)
    return EXIT_OK


def cmd_lot_tiers(args) -> int:
    from .lens_tables.materials import batch_tiers

    as_of = parse_date(args.as_of) if args.as_of else date.today()
    ds = _dataset(args)
    try:
        frame = batch_tiers(ds, as_of, args.program)
    except UnknownProgram:
        raise UsageError(f"no program {args.program!r} in {ds.location}") from None
    _print_rows(frame, args.format)
    return EXIT_OK


def _print_rows(frame, fmt: str) -> None:
    """A page's table as JSON rows (ISO dates, null for missing) or as the CSV the page downloads."""
    from .checks.lens import records

    if fmt == "json":
        print(json.dumps(records(frame), indent=2))
    else:
        print(frame.to_csv(index=False), end="")


def cmd_docs(args) -> int:
    changed = docs.stale() if args.check else docs.refresh()
    for path in changed:
        print(f"{'stale' if args.check else 'rewrote'}: {path.relative_to(docs.REPO_ROOT)}")
    return EXIT_DATA_ERRORS if args.check and changed else EXIT_OK


COMMANDS = {"validate": cmd_validate, "report": cmd_report, "brief": cmd_brief, "precompute": cmd_precompute,
            "findings": cmd_findings, "docs": cmd_docs, "chart": cmd_chart,
            "material-lots": cmd_material_lots, "lot-tiers": cmd_lot_tiers}
