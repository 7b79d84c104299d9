"""Sign-in end to end: headless Chromium, the app with [auth] on, and a real OIDC provider on 127.0.0.1.

The provider is the `oidc-provider-mock` package: its authorize page takes any subject, which becomes the
e-mail address the app sees. The secrets, access file and access log live in a temporary folder; the repo's
.streamlit/ is never written.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import ROOT
from test_browser import ARTIFACTS, CHROMIUM, FLAGS, free_port
from test_cli import run_cli

AS_OF = "2026-11-24"
RENDER = 300_000  # ms: a first report for a new reader is computed, not cached; CI machines may be busy
ALICE, BOB = "alice@x-bio.example", "bob@partner.example"
ALICE_PROGRAMS = {"CAR19-201", "BCMA-101"}
ACCESS = """
contact = "Ask Dana Reyes, CMC data steward (dana.reyes@x-bio.example)."

[rules]
"@x-bio.example" = ["CAR19-201", "BCMA-101"]
"bob@partner.example" = ["AAV9-SMN-301"]
"""


def _serve(command: list[str], ready_url: str, env: dict, output) -> subprocess.Popen:
    """Starts a server whose output goes to a file (a pipe nobody reads would fill and stall it)."""
    with output.open("wb") as sink:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(ready_url, timeout=2) as response:
                if response.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    pytest.fail(f"{command[2]} did not start: {output.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The provider, then the app pointed at it; yields the app's URL and the access log's path."""
    assert shutil.which(CHROMIUM) or os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: install Debian's chromium"
    folder = tmp_path_factory.mktemp("signin")
    idp_port, app_port = free_port(), free_port()
    metadata = f"http://127.0.0.1:{idp_port}/.well-known/openid-configuration"
    idp = _serve([sys.executable, "-m", "oidc_provider_mock", "--port", str(idp_port)], metadata, dict(os.environ),
                 folder / "provider.log")
    secrets = folder / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        'cookie_secret = "test-only-cookie-secret-4f1c2a9e7b"\n'
        'client_id = "cmc-readiness"\n'
        'client_secret = "not-checked-by-the-mock"\n'
        f'server_metadata_url = "{metadata}"\n')
    (folder / "access.toml").write_text(ACCESS)
    log = folder / "logs" / "access.log.jsonl"
    env = {**os.environ, "READINESS_DATA": str(ROOT / "sample_data"),
           "READINESS_ACCESS_FILE": str(folder / "access.toml"), "READINESS_ACCESS_LOG": str(log)}
    url = f"http://127.0.0.1:{app_port}"
    started = [idp]
    try:
        started.append(_serve([sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(app_port),
                               "--server.address", "127.0.0.1", "--server.headless", "true",
                               "--browser.gatherUsageStats", "false", "--secrets.files", str(secrets)],
                              f"{url}/_stcore/health", env, folder / "streamlit.log"))
        yield url, log
    finally:
        for proc in started:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


def sign_in(page, email: str) -> None:
    """From the app's sign-in screen through the provider's authorize form and back."""
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/oauth2/authorize"), timeout=RENDER)
    page.locator("input[name='sub']").fill(email)
    page.get_by_role("button", name="Authorize").click()


def log_entries(log, since: int = 0) -> list[tuple]:
    lines = log.read_text().splitlines() if log.exists() else []
    return [(e["user"], e["page"], e["program"], e["outcome"], e["reason"]) for e in map(json.loads, lines[since:])]


def log_length(log) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def tiles(page) -> dict[str, str]:
    out = {}
    for metric in page.locator("[data-testid='stMetric']").all():
        out[metric.locator("[data-testid='stMetricLabel']").inner_text().strip()] = \
            metric.locator("[data-testid='stMetricValue']").inner_text().strip()
    return out


def download_portfolio(page, tmp_path) -> list[dict]:
    with page.expect_download(timeout=RENDER) as done:
        page.get_by_role("button", name="Download this table (CSV)").first.click()
    target = tmp_path / done.value.suggested_filename
    done.value.save_as(target)
    with target.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def cli_tiles(programs: set[str]) -> dict[str, int]:
    """What the Portfolio tiles must say: the CLI's report for each visible program, added up."""
    totals = {"off_track": 0, "at_risk": 0, "on_track": 0, "open_high_findings": 0}
    for program in sorted(programs):
        code, out, err = run_cli("report", "--data", str(ROOT / "sample_data"), "--as-of", AS_OF, "--program", program)
        assert code == 0, err
        summary = json.loads(out)["summary"]
        for status in ("off_track", "at_risk", "on_track"):
            totals[status] += summary["programs_by_status"][status]
        totals["open_high_findings"] += summary["open_high_findings"]
    return totals


def test_a_signed_out_deep_link_signs_in_and_lands_on_the_linked_view(app, browser):
    url, log = app
    before = log_length(log)
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{url}/data-health?program=CAR19-201&as_of={AS_OF}")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=RENDER)
    expect(page.get_by_text("After signing in you will land on the view your link named.")).to_be_visible()
    assert "Data health" not in main_text(page) and not page.locator("[data-testid='stMetric']").count()
    page.screenshot(path=str(ARTIFACTS / "sign-in.png"), full_page=True)

    sign_in(page, ALICE)
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_role("heading", name="Data health")).to_be_visible(timeout=RENDER)
    expect(page).to_have_url(f"{url}/data-health?program=CAR19-201&as_of={AS_OF}", timeout=RENDER)
    expect(main.get_by_text(f"as of {AS_OF} · CAR19-201", exact=False)).to_be_visible()
    sidebar = page.locator("[data-testid='stSidebar']")
    expect(sidebar.get_by_text(f"Signed in as {ALICE}")).to_be_visible()
    expect(page.get_by_role("combobox", name="Program")).to_have_value(re.compile(r"^CAR19-201 · "))
    assert log_entries(log, before) == [(ALICE, "/data-health", "CAR19-201", "signed_in", None)]
    page.context.close()


def test_a_reader_sees_only_their_domains_programs_on_the_portfolio_and_in_the_csv(app, browser, tmp_path):
    url, log = app
    before = log_length(log)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{url}/?as_of={AS_OF}")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=RENDER)
    sign_in(page, ALICE)
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_role("heading", name="Portfolio")).to_be_visible(timeout=RENDER)
    expect(page).to_have_url(f"{url}/?as_of={AS_OF}", timeout=RENDER)
    expect(page.locator("[data-testid='stMetric']").first).to_be_visible(timeout=RENDER)
    expected = cli_tiles(ALICE_PROGRAMS)
    shown = tiles(page)
    assert (shown["⛔ Off track"], shown["⚠️ At risk"], shown["✅ On track"], shown["Open high findings"]) == (
        str(expected["off_track"]), str(expected["at_risk"]), str(expected["on_track"]),
        str(expected["open_high_findings"]))
    rows = download_portfolio(page, tmp_path)
    assert {row["program_id"] for row in rows} == ALICE_PROGRAMS
    page.get_by_role("combobox", name="Program").click()
    options = [o.strip().split(" · ")[0] for o in page.get_by_role("option").all_inner_texts()]
    assert options == ["All programs", "BCMA-101", "CAR19-201"]
    page.keyboard.press("Escape")
    page.screenshot(path=str(ARTIFACTS / "portfolio-signed-in.png"), full_page=True)
    assert log_entries(log, before) == [(ALICE, "/", None, "signed_in", None)]

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click(timeout=RENDER)  # the provider's logout form
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=RENDER)
    context.close()


def test_another_reader_gets_not_available_on_a_link_to_a_program_not_shared(app, browser, tmp_path):
    url, log = app
    before = log_length(log)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{url}/?program=CAR19-201&as_of={AS_OF}")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=RENDER)
    sign_in(page, BOB)
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text("Program “CAR19-201” is not available to you.")).to_be_visible(timeout=RENDER)
    expect(main.get_by_role("heading", name="Portfolio")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "not-available.png"), full_page=True)
    assert {row["program_id"] for row in download_portfolio(page, tmp_path)} == {"AAV9-SMN-301"}

    page.goto(f"{url}/data-health?program=NO-SUCH-9&as_of={AS_OF}")  # signed in already: a new visit, no new sign-in
    expect(main.get_by_text("Program “NO-SUCH-9” is not available to you.")).to_be_visible(timeout=RENDER)
    assert log_entries(log, before) == [
        (BOB, "/", "CAR19-201", "signed_in", None),
        (BOB, "/", "CAR19-201", "denied", "program_not_available"),
        (BOB, "/data-health", "NO-SUCH-9", "denied", "program_not_available"),
    ]
    context.close()
