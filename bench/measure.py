"""One measurement in a fresh process, so "cold" means cold and the peak memory is this work's own.

`--what app` loads the data the way the app does, then times the page's work twice (cold, then warm on the
same connection) and the DuckDB scan floor. The score store starts empty in every process: cold computes
every day the page shows, warm reads what cold stored, as a second reader of the same data version would.
`--what pandas` times the pandas reference (read, then compute twice). The result is one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path


def _timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def peak_mb() -> float:
    """Linux reports ru_maxrss in KiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_app(data: Path, page: str, program_id: str | None, as_of: date, warm_limit: float) -> dict:
    from readiness.dataset import load_dataset
    from readiness.expectations import load_expectations

    from . import reference
    from .pages import PAGES

    started = time.perf_counter()
    ds = load_dataset(str(data), as_of)
    load_s = time.perf_counter() - started
    expectations = load_expectations()
    work = PAGES[page][0]
    cold = _timed(work, ds, as_of, program_id, expectations)
    warm = _timed(work, ds, as_of, program_id, expectations) if cold <= warm_limit else None
    floor = min(_timed(reference.floor, ds.con, page, program_id) for _ in range(3))
    return {"load_s": load_s, "cold_s": cold, "warm_s": warm, "floor_s": floor, "peak_mb": peak_mb()}


def measure_pandas(data: Path, page: str, program_id: str | None, as_of: date) -> dict:
    from . import reference

    started = time.perf_counter()
    frames = reference.read_tables(data, page, program_id)
    read_s = time.perf_counter() - started
    cold = _timed(reference.compute, frames, page, as_of)
    warm = _timed(reference.compute, frames, page, as_of)
    return {"read_s": read_s, "cold_s": cold, "warm_s": warm, "peak_mb": peak_mb()}


def main(argv: list[str] | None = None) -> None:
    from readiness.score_store import STORE_ENV

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--page", required=True)
    parser.add_argument("--program")
    parser.add_argument("--as-of", type=date.fromisoformat, required=True)
    parser.add_argument("--what", choices=("app", "pandas"), required=True)
    parser.add_argument("--warm-limit", type=float, default=120.0,
                        help="skip the warm repeat when the cold run took longer than this (seconds)")
    args = parser.parse_args(argv)
    if args.what == "app":
        store = tempfile.mkdtemp(prefix="bench-store-")
        os.environ[STORE_ENV] = store
        try:
            result = measure_app(args.data, args.page, args.program, args.as_of, args.warm_limit)
        finally:
            shutil.rmtree(store, ignore_errors=True)
    else:
        result = measure_pandas(args.data, args.page, args.program, args.as_of)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
