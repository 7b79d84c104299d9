"""Sign-in and the reader's programs, for the app shell.

With `[auth]` in the secrets every page requires Streamlit's OIDC sign-in (st.login / st.user / st.logout)
and the access file decides which programs the reader sees; without it the app runs open, as on a laptop.
The programs are enforced in the data layer (readiness.access.restrict via data.dataset()); this module
only decides who the reader is, and writes the access log.

A deep link survives sign-in through a short-lived cookie: the provider's callback always returns to the
app's root in a new session, so the sign-in screen stores the requested link in the browser first, and
the first signed-in run takes the reader there (through the same checks as any link).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from .. import access

RETURN_COOKIE = "readiness_return"
RETURN_SECONDS = 600  # how long a requested link waits for its sign-in
FRESH_SIGN_IN_SECONDS = 600  # a token issued longer ago is a returning reader, not a sign-in
_READER = "_reader"
_RETURN_DONE = "_return_done"
_DENIAL_LOGGED = "_denial_logged"
log = logging.getLogger("readiness.access")


@dataclass(frozen=True)
class Reader:
    email: str | None
    allowed: frozenset[str] | None  # access.ALL (None) = every program


def _secret(name: str) -> str | None:
    try:
        value = st.secrets.get(name)
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        return None
    return str(value) if value else None


def enabled() -> bool:
    """Sign-in is on exactly when the secrets have an [auth] section."""
    try:
        return "auth" in st.secrets
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        return False


def signed_in() -> bool:
    return bool(st.user.to_dict().get("is_logged_in"))


def navigation_position() -> str:
    """A signed-out visitor sees no page list, only the sign-in screen."""
    return "hidden" if enabled() and not signed_in() else "sidebar"


def allowed() -> frozenset[str] | None:
    """The reader's programs for this run: every program in local mode, nothing until the gate has passed."""
    if not enabled():
        return access.ALL
    reader = st.session_state.get(_READER)
    return reader.allowed if reader is not None else frozenset()


def access_file() -> str:
    return os.environ.get(access.ACCESS_FILE_ENV) or _secret("access_file") or str(access.DEFAULT_ACCESS_FILE)


def log_path() -> Path:
    from .data import data_location  # data imports this module; the location is needed only here

    path = os.environ.get(access.ACCESS_LOG_ENV) or _secret("access_log") or str(access.DEFAULT_ACCESS_LOG)
    return access.check_log_path(path, data_location())


def gate(page, pages: list) -> None:
    """Runs before any data is read: decides the reader, or stops the run with the sign-in or no-access screen."""
    if not enabled():
        st.session_state.pop(_READER, None)
        st.sidebar.caption("local mode: no sign-in")
        return
    st.session_state[_READER] = Reader(None, frozenset())  # until this run has decided otherwise
    if not signed_in():
        _sign_in_screen(page)
    claims = st.user.to_dict()
    email = claims.get("email") if claims.get("email_verified") is not False else None
    try:
        journal = log_path()
    except access.AccessLogError as exc:
        _refuse_all(f"access log: {exc}", "The access log cannot be written, so nothing is shown until whoever "
                                          "runs this dashboard fixes it (the details are in the server log).")
    target = _return_target(page, pages)
    _note_sign_in(journal, claims, email, target or (page, st.query_params.to_dict()))
    _sidebar(email)
    try:
        rules = access.load_rules(access_file())
    except access.AccessFileError as exc:
        _deny_once(journal, email, page, "access_file_error")
        _refuse_all(f"access file: {exc}", "The access rules could not be read, so no program is shown. Whoever "
                                          "runs this dashboard can see why in the server log.")
    reader = Reader(email, access.allowed_programs(email, rules))
    st.session_state[_READER] = reader
    if reader.allowed == frozenset():
        _deny_once(journal, email, page, "no_access")
        who = (f"You are signed in as {email}, and no program of this dashboard is shared with you." if email else
               "Your sign-in gave no verified e-mail address, so no program of this dashboard can be shared with you.")
        st.title("No programs shared with you")
        st.warning(f"{who} {rules.contact}", icon="🔒")
        st.stop()
    if target is not None:
        st.switch_page(target[0], query_params=target[1])


def record_refusal(view, page) -> None:
    """A link naming a program the reader may not see (or one that does not exist: they look the same)."""
    if enabled() and view.refused is not None:
        reader = st.session_state.get(_READER)
        _write(log_path(), reader.email if reader else None, page, view.refused, "denied", "program_not_available")


def _sidebar(email: str | None) -> None:
    st.sidebar.caption(f"Signed in as {email or 'an account without a verified e-mail'}")
    if st.sidebar.button("Sign out", key="sign_out"):
        st.logout()
    if _stored_link() is not None:
        st.sidebar.html(_cookie_script("", 0), unsafe_allow_javascript=True)


def _sign_in_screen(page) -> None:
    link = _link(page, st.query_params.to_dict())
    st.title("CMC readiness")
    st.write("These CMC records are confidential. Sign in with your company account to see the programs "
             "shared with you.")
    if link:
        st.caption("After signing in you will land on the view your link named.")
    st.html(_cookie_script(link, RETURN_SECONDS), unsafe_allow_javascript=True)
    if st.button("Sign in", type="primary", key="sign_in"):
        st.login()
    st.stop()


def _link(page, params: dict) -> str:
    query = urlencode(params)
    return page.url_path + (f"?{query}" if query else "")


def _cookie_script(link: str, max_age: int) -> str:
    """Sets (or, with max_age 0, clears) the cookie that carries a requested link across the sign-in; Secure when
    the page came over HTTPS (a proxy's `proxy_cookie_flags` never sees a cookie set in the browser)."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    attributes = f"; path=/{base}; max-age={max_age}; SameSite=Lax"
    value = json.dumps(link).replace("<", "\\u003c")
    return (f"<script>document.cookie = {json.dumps(RETURN_COOKIE + '=')} + encodeURIComponent({value}) + "
            f"{json.dumps(attributes)} + (location.protocol === 'https:' ? '; Secure' : '');</script>")


def _return_target(page, pages: list) -> tuple | None:
    """The link stored before sign-in, once per session, when the run landed on the bare root as the callback does."""
    stored = _stored_link()
    if stored is None or st.session_state.get(_RETURN_DONE):
        return None
    st.session_state[_RETURN_DONE] = True
    if page.url_path or st.query_params.to_dict():
        return None  # the reader opened a link of their own: it wins
    path, _, query = stored.partition("?")
    match = next((p for p in pages if p.url_path == path), None)
    params = dict(parse_qsl(query))
    if match is None or (match.url_path == page.url_path and not params):
        return None
    return match, params


def _stored_link() -> str | None:
    """The link the sign-in screen stored in this browser, if any (read from the session's opening request)."""
    stored = st.context.cookies.get(RETURN_COOKIE)
    return unquote(stored) if isinstance(stored, str) else None


@st.cache_resource(show_spinner=False)
def _sign_ins() -> tuple[set, threading.Lock]:
    """Tokens already logged, in Streamlit's resource cache: it outlives the module reloads a file edit causes."""
    return set(), threading.Lock()


def _note_sign_in(journal: Path, claims: dict, email: str | None, landing: tuple) -> None:
    """One log line per sign-in: the first run that sees a freshly issued token (not a returning reader's)."""
    issued = claims.get("auth_time") or claims.get("iat")
    if isinstance(issued, (int, float)) and time.time() - issued > FRESH_SIGN_IN_SECONDS:
        return
    key = (claims.get("iss"), claims.get("sub"), issued)
    logged, lock = _sign_ins()
    with lock:
        if key in logged:
            return
        logged.add(key)
    page, params = landing
    _write(journal, email, page, params.get("program"), "signed_in")


def _deny_once(journal: Path, email: str | None, page, reason: str) -> None:
    """A reader who may see nothing is logged once per visit, not on every click."""
    if st.session_state.get(_DENIAL_LOGGED) == reason:
        return
    st.session_state[_DENIAL_LOGGED] = reason
    _write(journal, email, page, st.query_params.get("program"), "denied", reason)


def _write(journal: Path, email: str | None, page, program: str | None, outcome: str, reason: str | None = None):
    try:
        access.write_log(journal, email, "/" + page.url_path, program, outcome, reason)
    except access.AccessLogError as exc:
        _refuse_all(f"access log: {exc}", "The access log cannot be written, so nothing is shown until whoever "
                                          "runs this dashboard fixes it (the details are in the server log).")


def _refuse_all(detail: str, message: str) -> None:
    """Fails closed: the reader sees nothing, the server log says why."""
    log.error("access refused to everyone: %s", detail)
    st.session_state[_READER] = Reader(None, frozenset())
    st.error(message, icon="⛔")
    st.stop()
