"""The main flow once more in a real headless Chromium: a shared deep link opens exactly its view."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import ROOT
from test_cli import run_cli

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), \
        f"{CHROMIUM} is missing: install Debian's chromium (make test and .ci/run do)"
    port = free_port()
    env = {**os.environ, "READINESS_DATA": str(ROOT / "sample_data")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail(f"streamlit did not start: {proc.stdout.read().decode()[-2000:]}")
    yield url
    proc.terminate()
    log = proc.communicate(timeout=10)[0].decode()
    # serve.py reads the data on a thread of its own as the server starts: quietly, or the log says why not
    for sign in ("Traceback", "missing ScriptRunContext", "reading the data as the server started failed"):
        assert sign not in log, log[-3000:]


@pytest.fixture(scope="module")
def page(server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield tab
        browser.close()


def test_deep_link_opens_the_program_view_and_keeps_it_across_pages(server, page):
    page.goto(f"{server}/baseline?program=BCMA-101&as_of=2026-11-24")
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("Baseline completeness", exact=True)).to_be_visible(timeout=60_000)
    expect(main.get_by_text("as of 2026-11-24 · BCMA-101", exact=False)).to_be_visible()
    metric = page.locator("[data-testid='stMetric']").filter(has_text="Baseline completeness")
    expect(metric.locator("[data-testid='stMetricValue']")).to_have_text(_completeness("BCMA-101"))
    expect(main.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    page.wait_for_timeout(1000)  # let Vega finish drawing before the screenshot
    page.screenshot(path=str(ARTIFACTS / "baseline-deep-link.png"), full_page=True)

    page.get_by_role("link", name="Data health").click()
    expect(main.get_by_role("heading", name="Data health")).to_be_visible(timeout=30_000)
    expect(page).to_have_url(f"{server}/data-health?program=BCMA-101&as_of=2026-11-24")
    page.screenshot(path=str(ARTIFACTS / "data-health.png"), full_page=True)


def test_portfolio_lists_the_programs(server, page):
    page.goto(f"{server}/?as_of=2026-11-24")
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_role("heading", name="Portfolio")).to_be_visible(timeout=60_000)
    expect(main.locator("[data-testid='stDataFrame']")).to_be_visible()
    expect(main.get_by_text("⛔ Off track").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "portfolio.png"), full_page=True)


def test_the_full_report_download_is_made_on_click_and_equals_the_cli_report(server, page, tmp_path):
    """The Portfolio holds only its digest; the report with every finding's evidence is made when asked for."""
    page.goto(f"{server}/?as_of=2026-11-24")
    button = page.locator("[data-testid='stMain']").get_by_role("button", name="Download the full report (JSON)")
    expect(button).to_be_visible(timeout=90_000)
    with page.expect_download(timeout=90_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "cmc-report-2026-11-24.json"
    download.save_as(tmp_path / "report.json")
    code, out, err = run_cli("report", "--data", str(ROOT / "sample_data"), "--as-of", "2026-11-24")
    assert code == 0, err
    downloaded, cli = json.loads((tmp_path / "report.json").read_text()), json.loads(out)
    assert downloaded["programs"] == cli["programs"]
    assert sum(len(f["evidence"]) for p in downloaded["programs"] for f in p["findings"]) > 0
    assert all(len(p["trend"]) == 13 for p in downloaded["programs"])


def test_picking_a_program_rewrites_the_link_and_the_next_page_keeps_it(server, page):
    page.goto(f"{server}/?as_of=2026-11-24")
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_role("heading", name="Portfolio")).to_be_visible(timeout=60_000)
    picker = page.get_by_role("combobox", name="Program")
    expect(picker).to_have_value("All programs")
    picker.click()
    page.get_by_role("option", name="CAR19-201 · Autologous anti-CD19 CAR-T").click()
    expect(page).to_have_url(re.compile(r"program=CAR19-201"))
    expect(main.get_by_text("as of 2026-11-24 · CAR19-201", exact=False)).to_be_visible(timeout=30_000)

    page.get_by_role("link", name="Baseline & batch records").click()
    expect(main.get_by_role("heading", name="Baseline & batch records")).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"/baseline\?.*program=CAR19-201"))
    metric = page.locator("[data-testid='stMetric']").filter(has_text="Baseline completeness")
    expect(metric.locator("[data-testid='stMetricValue']")).to_have_text(_completeness("CAR19-201"))
    expect(page.locator("[data-testid='stSidebar']").get_by_text("As of", exact=True)).to_be_visible()


def _completeness(program_id: str) -> str:
    from datetime import date

    from readiness.dataset import load_dataset
    from readiness.report import build_report
    report = build_report(load_dataset(ROOT / "sample_data"), date(2026, 11, 24), program_id)
    return f"{report['programs'][0]['lenses']['baseline']['baseline_completeness']:.1%}"
