"""Sign-in and per-program access through Streamlit's AppTest: local mode, the sign-in screen, what a reader sees.

AppTest sets `st.user` directly; the real OIDC round trip is in test_auth_browser.py.
"""

from __future__ import annotations

import itertools
import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from test_app import AS_OF, SAMPLE, open_app

ACCESS = """
contact = "Ask Dana Reyes, CMC data steward (dana.reyes@x-bio.example)."

[rules]
"@x-bio.example" = ["CAR19-201", "BCMA-101"]
"bob@partner.example" = ["AAV9-SMN-301"]
"""
AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "a-test-cookie-secret-0123",
                 "client_id": "dashboard", "client_secret": "not-checked",
                 "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}}
_issuer = itertools.count()


@pytest.fixture
def signed(monkeypatch, tmp_path):
    """`open_as(email or None, page, **link)`: the app with sign-in on, as that reader; and the access log's path."""
    access_file = tmp_path / "access.toml"
    access_file.write_text(ACCESS)
    log = tmp_path / "logs" / "access.log.jsonl"
    monkeypatch.setenv("READINESS_DATA", str(SAMPLE))
    monkeypatch.setenv("READINESS_ACCESS_FILE", str(access_file))
    monkeypatch.setenv("READINESS_ACCESS_LOG", str(log))

    def open_as(email: str | None, page: str = "app_pages/portfolio.py", **params) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
        at.secrets = AUTH
        at.user = {"is_logged_in": False} if email is None else {
            "is_logged_in": True, "email": email, "sub": email, "iss": f"test-{next(_issuer)}", "iat": int(time.time())}
        at.run()
        for key, value in params.items():
            at.query_params[key] = value
        at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_as, access_file, log


def log_lines(log) -> list[tuple]:
    if not log.exists():
        return []
    return [(e["user"], e["page"], e["program"], e["outcome"], e["reason"])
            for e in map(json.loads, log.read_text().splitlines())]


def test_local_mode_says_so_in_the_sidebar(monkeypatch):
    at = open_app(monkeypatch, as_of=AS_OF)
    assert "local mode: no sign-in" in [c.value for c in at.sidebar.caption]
    assert len(at.dataframe[0].value) == 6  # every program: nobody to restrict


def test_a_signed_out_visitor_sees_only_the_sign_in_screen(signed):
    open_as, _, log = signed
    at = open_as(None, "app_pages/baseline.py", program="BCMA-101", as_of=AS_OF)
    assert [t.value for t in at.title] == ["CMC readiness"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert "After signing in you will land on the view your link named." in [c.value for c in at.caption]
    assert not at.metric and not at.dataframe and not at.sidebar.selectbox
    assert log_lines(log) == []


def test_a_reader_sees_only_their_programs_and_the_sign_in_is_logged_once(signed):
    open_as, _, log = signed
    at = open_as("alice@x-bio.example", as_of=AS_OF)
    assert set(at.dataframe[0].value["program_id"]) == {"BCMA-101", "CAR19-201"}
    assert sum(int(m.value) for m in at.metric[:3]) == 2  # off track + at risk + on track: two programs
    assert [o.split(" · ")[0] for o in at.sidebar.selectbox[0].options] == ["All programs", "BCMA-101", "CAR19-201"]
    assert "Signed in as alice@x-bio.example" in [c.value for c in at.sidebar.caption]
    assert [b.label for b in at.sidebar.button] == ["Sign out"]
    at.switch_page("app_pages/data_health.py").run()
    assert log_lines(log) == [("alice@x-bio.example", "/", None, "signed_in", None)]


def test_a_link_to_a_program_not_shared_says_so_the_same_way_whether_it_exists_or_not(signed):
    open_as, _, log = signed
    at = open_as("bob@partner.example", "app_pages/data_health.py", program="CAR19-201", as_of=AS_OF)
    assert [w.value for w in at.warning] == ["Program “CAR19-201” is not available to you."]
    assert "program" not in at.query_params
    at.query_params["program"] = "NOPE-1"
    at.run()
    assert [w.value for w in at.warning] == ["Program “NOPE-1” is not available to you."]
    bob = "bob@partner.example"
    assert log_lines(log)[1:] == [(bob, "/data-health", "CAR19-201", "denied", "program_not_available"),
                                  (bob, "/data-health", "NOPE-1", "denied", "program_not_available")]


def test_the_weekly_brief_holds_only_the_readers_programs(signed):
    open_as, _, _ = signed
    at = open_as("bob@partner.example", "app_pages/weekly_brief.py", as_of=AS_OF)
    frames = [f.value for f in at.dataframe if "program_id" in f.value.columns]
    assert frames and all(set(f["program_id"]) <= {"AAV9-SMN-301"} for f in frames)


def test_a_reader_without_a_rule_sees_nothing_and_whom_to_ask(signed):
    open_as, _, log = signed
    at = open_as("mallory@elsewhere.example", as_of=AS_OF)
    assert [t.value for t in at.title] == ["No programs shared with you"]
    assert at.warning[0].value == ("You are signed in as mallory@elsewhere.example, and no program of this dashboard "
                                   "is shared with you. Ask Dana Reyes, CMC data steward (dana.reyes@x-bio.example).")
    assert not at.metric and not at.dataframe and not at.sidebar.selectbox
    at.run()
    assert [line[3:] for line in log_lines(log)] == [("signed_in", None), ("denied", "no_access")]


def test_a_malformed_access_file_shows_nothing_to_anyone(signed):
    open_as, access_file, log = signed
    access_file.write_text('[rules]\n"@x-bio.example" = ["CAR19-201", "*"]\n')
    at = open_as("alice@x-bio.example", as_of=AS_OF)
    assert at.error[0].value.startswith("The access rules could not be read, so no program is shown.")
    assert not at.metric and not at.dataframe
    assert log_lines(log) == [("alice@x-bio.example", "/", None, "signed_in", None),
                              ("alice@x-bio.example", "/", None, "denied", "access_file_error")]


def test_a_missing_access_file_shows_nothing(signed):
    open_as, access_file, _ = signed
    access_file.unlink()
    at = open_as("alice@x-bio.example", as_of=AS_OF)
    assert at.error[0].value.startswith("The access rules could not be read")
    assert not at.metric and not at.dataframe


def test_an_unverified_address_is_not_trusted(signed):
    open_as, _, _ = signed
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.secrets = AUTH
    at.user = {"is_logged_in": True, "email": "alice@x-bio.example", "email_verified": False, "iss": "test-unverified",
               "sub": "alice", "iat": int(time.time())}
    at.run()
    assert [t.value for t in at.title] == ["No programs shared with you"]
    assert not at.dataframe
