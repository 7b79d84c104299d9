"""`make bench`: every page's computation at one scale against its budget, the floor and pandas; then the load check.

Each page is measured in fresh processes (bench/measure.py) with a time limit, so one slow page cannot stall
the run; a page over the limit is reported as such. Writes a Markdown table to stdout and
bench/results/latest.json (also kept as <scale>.json, with <scale>.md, the table docs/performance.md quotes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from . import generate
from .pages import PAGES

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"

# The issue's budgets, judged on the warm computation at scale L (reported at every scale, binding at L).
PORTFOLIO_BUDGET_S = 1.5
PROGRAM_PAGE_BUDGET_S = 0.5
FULL_REPORT_BUDGET_S = 20.0
PEAK_BUDGET_MB = 3 * 1024
FLOOR_RATIO_MAX = 5.0
PANDAS_SPEEDUP_MIN = 5.0
COLD_START_BUDGET_S = 5.0  # scale M


def budget(page: str, scope: str) -> float | None:
    if page == "Portfolio":
        return PORTFOLIO_BUDGET_S
    if page == "Full report (CLI)":
        return FULL_REPORT_BUDGET_S
    return PROGRAM_PAGE_BUDGET_S if scope == "one" else None


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return {"cpu": model, "cores": len(os.sched_getaffinity(0)), "memory_gb": round(mem_kb / 1024 ** 2, 1),
            "python": platform.python_version(), "duckdb": duckdb.__version__, "os": platform.platform()}


def data_for(scale: str, data: Path | None) -> Path:
    """The scale's data in .cache/bench/<scale>, generated when missing (the sample's own files for S)."""
    if data is not None:
        return data
    if scale == "S":
        return ROOT / "sample_data"
    folder = ROOT / ".cache" / "bench" / scale
    meta = folder / "bench.json"
    if not meta.exists() or json.loads(meta.read_text())["shape"] != vars(generate.SCALES[scale]):
        print(f"Generating scale {scale} in {folder} …", file=sys.stderr)
        generate.write(scale, folder)
    return folder


def first_program(data: Path) -> str:
    """The program the single-program pages are measured on: the first id, a clone of CAR19-201 (the largest)."""
    ids = pq.read_table(data / "programs.parquet", columns=["program_id"]).column(0).to_pylist()
    return sorted(ids)[0]


def _run(args: list[str], timeout: float) -> dict:
    cmd = [sys.executable, "-m", "bench.measure", *args]
    try:
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"over the {timeout:.0f} s limit"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_pages(data: Path, as_of: date, program: str, timeout: float, only: list[str] | None,
                  scope_only: str | None) -> list[dict]:
    rows = []
    for page, (_, scopes) in PAGES.items():
        if only and page not in only:
            continue
        for scope in scopes:
            if scope_only and scope != scope_only and scope_only in scopes:
                continue
            common = ["--data", str(data), "--page", page, "--as-of", as_of.isoformat()]
            if scope == "one":
                common += ["--program", program]
            print(f"  {page} ({'one program' if scope == 'one' else 'all programs'}) …", file=sys.stderr)
            app = _run([*common, "--what", "app", "--warm-limit", str(timeout / 3)], timeout)
            pandas = _run([*common, "--what", "pandas"], timeout)
            rows.append(_row(page, scope, app, pandas))
    return rows


def _row(page: str, scope: str, app: dict, pandas: dict) -> dict:
    warm = app.get("warm_s")
    row = {"page": page, "scope": scope, "app": app, "pandas": pandas, "budget_s": budget(page, scope)}
    if warm is not None:
        row["floor_ratio"] = warm / app["floor_s"] if app.get("floor_s") else None
        row["pandas_speedup"] = pandas["warm_s"] / warm if "warm_s" in pandas else None
        row["within_budget"] = None if row["budget_s"] is None else warm <= row["budget_s"]
    return row


def verdicts(rows: list[dict], load: dict | None, scale: str) -> dict:
    """Each of the issue's budgets, met or not, from this run (binding at L, cold start and load at M)."""
    timed = [r for r in rows if r["app"].get("warm_s") is not None]
    every_page = len(timed) == len(rows)
    out = {
        "pages_within_budget": every_page and all(r["within_budget"] is not False for r in timed),
        "within_5x_floor": every_page and all(r["floor_ratio"] <= FLOOR_RATIO_MAX for r in timed),
        "5x_faster_than_pandas": every_page and all((r["pandas_speedup"] or 0) >= PANDAS_SPEEDUP_MIN
                                                    for r in timed),
        "peak_memory_within_budget": all(r["app"].get("peak_mb", float("inf")) <= PEAK_BUDGET_MB for r in rows),
    }
    if load is not None:
        out["load_check_without_errors"] = not load["errors"]
        out["cold_start_within_budget"] = load.get("cold_start_s") is not None and \
            load["cold_start_s"] <= COLD_START_BUDGET_S
    return {"scale": scale, **out}


def _s(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _x(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}×"


def _pair(times: dict) -> str:
    return f"{_s(times['median'])} / {_s(times['p95'])}"


def markdown(result: dict) -> str:
    m, shape = result["machine"], result["data"]["rows"]
    lines = [
        f"### Scale {result['scale']}: {shape['programs']:,} programs, {shape['batches']:,} batches, "
        f"{shape['results']:,} results",
        "",
        f"{m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}, DuckDB {m['duckdb']}; "
        f"as of {result['as_of']}; run {result['started']}, {result['seconds']:.0f} s"
        + (f" (the load check; the pages were measured {result['pages_started']})." if "pages_started" in result
           else "."),
        "",
        "| Page | Programs | Cold (s) | Warm (s) | Budget (s) | Floor (s) | Warm ÷ floor | pandas (s) "
        "| pandas ÷ warm | Peak (MB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["pages"]:
        app, pandas = r["app"], r["pandas"]
        scope = result["program"] if r["scope"] == "one" else "all"
        if "error" in app:
            lines.append(f"| {r['page']} | {scope} | {app['error']} | | {_s(r['budget_s'])} | | | "
                         f"{_s(pandas.get('warm_s'))} | | |")
            continue
        mark = "" if r.get("within_budget") is None else (" ✅" if r["within_budget"] else " ❌ over")
        lines.append(
            f"| {r['page']} | {scope} | {_s(app['cold_s'])} | {_s(app['warm_s'])}{mark} | {_s(r['budget_s'])} "
            f"| {_s(app['floor_s'])} | {_x(r.get('floor_ratio'))} | {_s(pandas.get('warm_s'))} "
            f"| {_x(r.get('pandas_speedup'))} | {app['peak_mb']:,.0f} |")
    loads = [r["app"]["load_s"] for r in result["pages"] if "load_s" in r["app"]]
    if loads:
        lines += ["", f"Reading and validating the data (every process, before its first page): median "
                      f"{statistics.median(loads):.1f} s."]
    load = result.get("load")
    if load:
        lines += ["", f"Load check, {load['sessions']} browser sessions at once on one freshly started server "
                      f"(median / p95 seconds from opening the link): Portfolio first content "
                      f"{_pair(load['portfolio_first_s'])}, complete with its trend {_pair(load['portfolio_s'])}; "
                      f"a program page (Baseline) {_pair(load['program_page_s'])}; {len(load['errors'])} errors; "
                      f"server peak {load['server_peak_mb']:,.0f} MB; the server used {_s(load['server_cpu_s'])} "
                      f"CPU seconds in {_s(load['wall_s'])} s (the browsers share its {m['cores']} cores). "
                      f"Cold start (server launch to the first Portfolio content, one reader; median of "
                      f"{len(load['cold_start_launches_s'])} launches, "
                      f"{' / '.join(_s(t) for t in load['cold_start_launches_s'])} s): "
                      f"{_s(load['cold_start_s'])} s after `precompute` ({_s(load['precompute_s'])} s, once per "
                      f"data load), {_s(load['cold_start_without_store_s'])} s with nothing precomputed."]
    if result.get("note"):
        lines += ["", result["note"]]
    lines += ["", "Budgets met in this run: " + ", ".join(
        f"{name.replace('_', ' ')}: {'yes' if ok else 'NO'}" for name, ok in result["verdicts"].items()
        if name != "scale")]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(generate.SCALES), default="S")
    parser.add_argument("--data", type=Path, help="measure this directory instead of the scale's generated data")
    parser.add_argument("--as-of", type=date.fromisoformat, default=generate.model.SAMPLE_ANCHOR)
    parser.add_argument("--timeout", type=float, default=900, help="time limit per measurement (seconds)")
    parser.add_argument("--sessions", type=int, default=10, help="browser sessions in the load check (0: none)")
    parser.add_argument("--page", action="append", help="measure only this page (repeatable)")
    parser.add_argument("--scope", choices=("one", "all"),
                        help="of the pages with both views, measure only this one (the Portfolio and the full "
                             "report exist only for all programs and are always measured)")
    parser.add_argument("--load-only", action="store_true",
                        help="run only the load check and merge it into the scale's earlier results in --out")
    parser.add_argument("--merge", action="store_true",
                        help="replace only the measured pages' rows in the scale's earlier results in --out")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data = data_for(args.scale, args.data)
    program = first_program(data)
    rows_written = json.loads((data / "bench.json").read_text())["rows"] if (data / "bench.json").exists() \
        else {name: pq.ParquetDataset(data / name if (data / name).is_dir() else data / f"{name}.parquet")
              .read(columns=[]).num_rows for name in ("programs", "batches", "results")}
    result = {"scale": args.scale, "as_of": args.as_of.isoformat(), "program": program,
              "started": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(),
              "data": {"location": str(data), "rows": rows_written}}
    print(f"Scale {args.scale} from {data}", file=sys.stderr)
    if args.load_only:
        earlier = json.loads((args.out / f"{args.scale}.json").read_text())
        result["pages"], result["pages_started"] = earlier["pages"], earlier.get("pages_started", earlier["started"])
    else:
        result["pages"] = measure_pages(data, args.as_of, program, args.timeout, args.page, args.scope)
    if args.merge:
        earlier = json.loads((args.out / f"{args.scale}.json").read_text())
        fresh = {(r["page"], r["scope"]): r for r in result["pages"]}
        result["note"] = (f"Rerun {result['started']} with a {args.timeout:.0f} s limit per measurement: "
                          f"{', '.join(sorted({page for page, _ in fresh}))}; the other rows are from the run of "
                          f"{earlier['started']}.")
        result["pages"] = [fresh.pop((r["page"], r["scope"]), r) for r in earlier["pages"]] + list(fresh.values())
        if not args.sessions and "load" in earlier:
            result["load"] = earlier["load"]
    if args.sessions:
        from .load import run_load_check
        print(f"  load check: {args.sessions} sessions …", file=sys.stderr)
        result["load"] = run_load_check(data, sessions=args.sessions, program_id=program)
    result["verdicts"] = verdicts(result["pages"], result.get("load"), args.scale)
    result["seconds"] = time.perf_counter() - started
    args.out.mkdir(parents=True, exist_ok=True)
    for name in ("latest.json", f"{args.scale}.json"):
        (args.out / name).write_text(json.dumps(result, indent=2), encoding="utf-8")
    table = markdown(result)
    (args.out / f"{args.scale}.md").write_text(table + "\n", encoding="utf-8")
    print(table)
    failed = [r for r in result["pages"] if "error" in r["app"] and "limit" not in r["app"]["error"]]
    errors = result.get("load", {}).get("errors")
    return 1 if failed or errors else 0
