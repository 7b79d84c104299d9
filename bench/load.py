"""Many viewers at once: N browser sessions open the Portfolio and one program's page on a single server.

The sessions start together on a freshly started server: one computes each report while the others wait on
the same cache entry (Streamlit's per-key compute lock), so the timings show what N simultaneous readers of
a new deployment see, and the server's peak resident set shows whether N sessions multiply memory or share it.
The data is first precomputed (`python -m readiness precompute`, as a deployment runs it after each data load)
into an empty score store the servers then read. Servers are launched as `make run` does (`streamlit run
serve.py`). Cold start is from launching a server to the first Portfolio content on screen for one reader
alone: the median of three launches after precompute, and one launch with nothing precomputed. The browsers
run on the same cores as the server: the server's CPU seconds next to the wall time say how much of the
sessions' wait was the server's work.

    python -m bench.load --data DIR [--sessions 10] [--program ID] [--port 8765]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pyarrow.parquet as pq
from playwright.async_api import Browser, Locator, Page, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from readiness.score_store import STORE_ENV

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"  # Debian's build: Playwright's own browser download does not work here
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
START_TIMEOUT_S = 120
RENDER_TIMEOUT_S = 900  # at scale M the Portfolio's trend takes minutes on 2 cores (docs/performance.md)
COLD_START_LAUNCHES = 3  # one launch on a shared 2-core machine can be seconds off; the median of three is not
FAILED_VIEW = "This view could not be computed"  # app.py's guard shows this instead of a stack trace


def program_ids(data_dir: Path) -> list[str]:
    return sorted(pq.read_table(data_dir / "programs.parquet", columns=["program_id"]).column("program_id").to_pylist())


def _port_free(port: int) -> bool:
    """Another server on the port would answer the health check and be measured instead of ours."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a stopped server's closing connections are no server
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def streamlit_server(data_dir: Path, port: int, store: Path | None = None) -> Iterator[subprocess.Popen]:
    """The app as a reader meets it, on the given data (and score store); always stopped, also when the check
    fails."""
    if not _port_free(port):
        raise RuntimeError(f"port {port} is already in use")
    env = {**os.environ, "READINESS_DATA": str(data_dir), **({STORE_ENV: str(store)} if store else {})}
    command = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
               "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: an unread pipe would block a chatty server
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not _healthy(f"http://127.0.0.1:{port}"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    tail = log.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(f"streamlit did not become healthy within {START_TIMEOUT_S} s:\n{tail}")
                time.sleep(0.3)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def peak_rss_mb(pid: int) -> float:
    """VmHWM is the kernel's high-water mark of the resident set: the peak, without sampling."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 2)
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")


def _ms_left(start: float) -> float:
    """One budget per page, from its navigation on."""
    return max(1.0, RENDER_TIMEOUT_S - (time.monotonic() - start)) * 1000


async def _timed_render(page: Page, url: str, ready: Locator) -> tuple[float, float]:
    """Seconds from navigation to the page's own element (first content a reader can use), and to a finished
    run: the script is no longer running, so later elements such as charts (and the Portfolio's trend) are
    drawn too."""
    main = page.locator("[data-testid='stMain']")
    failed = page.locator("[data-testid='stException']").or_(
        main.locator("[data-testid='stAlertContentError']").filter(has_text=FAILED_VIEW))
    start = time.monotonic()
    await page.goto(url, timeout=RENDER_TIMEOUT_S * 1000)
    await ready.or_(failed).first.wait_for(state="visible", timeout=_ms_left(start))
    first = time.monotonic() - start
    await page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(
        state="attached", timeout=_ms_left(start))
    elapsed = time.monotonic() - start
    shown = await failed.count()
    if shown:
        raise RuntimeError(f"{shown} exception(s) shown")
    return first, elapsed


def _portfolio_heading(page: Page) -> Locator:
    """The Portfolio's first content: the heading over its table."""
    return page.locator("[data-testid='stMain']").get_by_role("heading", name="Programs, worst first")


async def _session(browser: Browser, base: str, program_id: str) -> dict:
    """One reader: the Portfolio, then a deep link to one program's Baseline page, as a shared link opens it."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    main = page.locator("[data-testid='stMain']")
    steps = {
        "portfolio_s": (f"{base}/", _portfolio_heading(page)),
        "program_page_s": (f"{base}/baseline?program={quote(program_id)}",
                           main.locator("[data-testid='stMetric']").filter(has_text="Baseline completeness")),
    }
    result: dict = {"errors": []}
    try:
        for name, (url, ready) in steps.items():
            try:
                first, result[name] = (round(t, 2) for t in await _timed_render(page, url, ready))
                result[name.replace("_s", "_first_s")] = first
            except PlaywrightTimeout:
                result[name] = result[name.replace("_s", "_first_s")] = None
                result["errors"].append(f"{name}: not rendered within {RENDER_TIMEOUT_S} s ({url})")
            except (PlaywrightError, RuntimeError) as error:
                result[name] = result[name.replace("_s", "_first_s")] = None
                result["errors"].append(f"{name}: {str(error).splitlines()[0]} ({url})")
    finally:
        await context.close()
    return result


async def _sessions(base: str, sessions: int, program_id: str) -> list[dict]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return await asyncio.gather(*(_session(browser, base, program_id) for _ in range(sessions)))
        finally:
            await browser.close()


async def _first_portfolio(base: str) -> float:
    """Seconds from opening the Portfolio to its first content, for one reader alone."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            first, _ = await _timed_render(page, f"{base}/", _portfolio_heading(page))
            return first
        finally:
            await browser.close()


def cold_start(data: Path, port: int, store: Path) -> float:
    """Server launch to the first Portfolio content on screen, for one reader alone on a fresh server."""
    spawned = time.monotonic()
    with streamlit_server(data, port, store):
        started = time.monotonic()
        return round(started - spawned + asyncio.run(_first_portfolio(f"http://127.0.0.1:{port}")), 2)


def server_cpu_s(pid: int) -> float:
    """CPU seconds the server process has used (user + system, all threads): with the wall time it shows how
    much of the sessions' wait was the server's work and how much the browsers' own on the same cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 2)


def precompute(data: Path, store: Path) -> float:
    """`python -m readiness precompute` into `store`, timed as the step after a data load."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "readiness", "precompute", "--data", str(data)], cwd=ROOT,
                          env={**os.environ, STORE_ENV: str(store)}, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"precompute failed: {done.stderr.strip()}")
    return round(time.monotonic() - started, 2)


def summary(values: list[float]) -> dict:
    """Median, p95 and max of the sessions that rendered; None when none did."""
    if not values:
        return {"median": None, "p95": None, "max": None}
    p95 = statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) >= 2 else values[0]
    return {"median": round(statistics.median(values), 2), "p95": round(p95, 2), "max": round(max(values), 2)}


def _times(per_session: list[dict], key: str) -> list[float]:
    return [r[key] for r in per_session if r[key] is not None]


def run_load_check(data_dir: str | Path, sessions: int = 10, program_id: str | None = None,
                   port: int = 8765) -> dict:
    """Starts one server on `data_dir`, lets `sessions` browsers read it at once, and reports their timings."""
    data = Path(data_dir).resolve()
    known = program_ids(data)
    program_id = program_id or known[0]
    if program_id not in known:  # an unknown id would show all programs, and the check would wait for nothing
        raise ValueError(f"no program {program_id!r} in {data / 'programs.parquet'}")
    # Each server on its own port: the next one starts right after the last has stopped.
    with tempfile.TemporaryDirectory(prefix="bench-store-") as empty:
        unstored = cold_start(data, port + 1, Path(empty))
    with tempfile.TemporaryDirectory(prefix="bench-store-") as store:
        precompute_s = precompute(data, Path(store))
        launches = [cold_start(data, port + 2 + n, Path(store)) for n in range(COLD_START_LAUNCHES)]
        started = time.monotonic()
        with streamlit_server(data, port, Path(store)) as server:
            per_session = asyncio.run(_sessions(f"http://127.0.0.1:{port}", sessions, program_id))
            peak_mb, cpu_s = peak_rss_mb(server.pid), server_cpu_s(server.pid)
        wall_s = round(time.monotonic() - started, 2)
    for number, result in enumerate(per_session, 1):
        result["session"] = number
    return {
        "sessions": sessions,
        "data": str(data_dir),
        "program_id": program_id,
        "portfolio_first_s": summary(_times(per_session, "portfolio_first_s")),
        "portfolio_s": summary(_times(per_session, "portfolio_s")),
        "program_page_first_s": summary(_times(per_session, "program_page_first_s")),
        "program_page_s": summary(_times(per_session, "program_page_s")),
        "cold_start_s": statistics.median(launches),
        "cold_start_launches_s": launches,
        "precompute_s": precompute_s,
        "cold_start_without_store_s": unstored,
        "server_cpu_s": cpu_s,
        "wall_s": wall_s,
        "errors": [f"session {r['session']}: {e}" for r in per_session for e in r["errors"]],
        "server_peak_mb": peak_mb,
        "per_session": per_session,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="data directory of Parquet files (docs/data-contract.md)")
    parser.add_argument("--sessions", type=int, default=10, help="browser sessions at once (default 10)")
    parser.add_argument("--program", help="program whose page each session opens (default: the first id)")
    parser.add_argument("--port", type=int, default=8765, help="port of the server started for the check")
    args = parser.parse_args()
    print(json.dumps(run_load_check(args.data, args.sessions, args.program, args.port), indent=2))


if __name__ == "__main__":
    main()
