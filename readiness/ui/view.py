"""The view a link names: program and as-of date live in the URL, so a copied link opens the same view.

Streamlit drops query parameters when a sidebar navigation link is clicked; the session keeps the
last view and puts it back into the URL at the top of every run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import streamlit as st

SHARED_KEYS = ("program", "as_of")
_STORE = "_shared_view"
_PROGRAM_WIDGET = "program_picker"
_AS_OF_WIDGET = "as_of_picker"
_ALL_PROGRAMS = ""  # the picker's "All programs" entry (a None option would show as an empty picker)
EARLIEST = date(1990, 1, 1)


@dataclass
class View:
    program: str | None
    as_of: date
    notices: list[str] = field(default_factory=list)
    refused: str | None = None  # a program the link named that this reader cannot open (for the access log)


def _store() -> dict:
    return st.session_state.setdefault(_STORE, {})


def _set(key: str, value: str | None) -> None:
    store = _store()
    if value is None:
        store.pop(key, None)
        if key in st.query_params:
            del st.query_params[key]
    else:
        store[key] = value
        st.query_params[key] = value


def sync_url() -> dict:
    """The URL wins (someone opened a link); otherwise the session restores what navigation dropped."""
    store = _store()
    for key in SHARED_KEYS:
        if key in st.query_params:
            store[key] = st.query_params[key]
        elif key in store:
            st.query_params[key] = store[key]
    return store


def resolve(programs: dict[str, str], today: date, private: bool = False) -> View:
    """Reads and checks the shared view; a bad value in a link becomes a plain notice, never an error page.

    `programs` holds only what the reader may see; with `private` (sign-in on) a program outside it gets the
    same sentence whether it exists or not, so a link cannot probe for programs.
    """
    store = sync_url()
    notices = []
    as_of = today
    raw = store.get("as_of")
    if raw:
        try:
            as_of = date.fromisoformat(raw)
        except ValueError:
            notices.append(f"The link's as-of date “{raw}” is not a date (YYYY-MM-DD); showing {today.isoformat()}.")
        else:
            if not EARLIEST <= as_of <= today:
                notices.append(f"The link's as-of date {raw} is outside 1990-01-01 … today; "
                               f"showing {today.isoformat()}.")
                as_of = today
    _set("as_of", as_of.isoformat())  # always in the link: it opens this day's view, whenever it is opened
    program = store.get("program")
    refused = None
    if program is not None and program not in programs:
        notices.append(f"Program “{program}” is not available to you." if private
                       else f"There is no program “{program}” in this data; showing all programs.")
        refused, program = program, None
        _set("program", None)
    return View(program, as_of, notices, refused)


def sidebar(programs: dict[str, str], today: date, private: bool = False) -> View:
    """Program picker and as-of date, both mirrored into the URL."""
    view = resolve(programs, today, private)
    st.session_state[_PROGRAM_WIDGET] = view.program or _ALL_PROGRAMS
    st.session_state[_AS_OF_WIDGET] = view.as_of
    st.sidebar.selectbox(
        "Program", [_ALL_PROGRAMS, *programs], key=_PROGRAM_WIDGET,
        format_func=lambda pid: "All programs" if pid == _ALL_PROGRAMS else f"{pid} · {programs[pid]}",
        on_change=lambda: _set("program", st.session_state[_PROGRAM_WIDGET] or None),
    )
    st.sidebar.date_input(
        "As of", key=_AS_OF_WIDGET, min_value=EARLIEST, max_value=today, format="YYYY-MM-DD",
        help="Every figure is computed as the records stood on this day.",
        on_change=lambda: _set("as_of", (st.session_state[_AS_OF_WIDGET] or today).isoformat()),
    )
    st.session_state["_view"] = view
    return view


def pick_program_from_table() -> None:
    """Selecting a row of the Portfolio table opens that program, as the sidebar picker would."""
    rows = st.session_state["portfolio_table"].selection.rows
    table = st.session_state.get("_portfolio_ids", [])
    if rows and rows[0] < len(table):
        _set("program", table[rows[0]])


def current() -> View:
    """The view the app shell resolved for this run."""
    return st.session_state["_view"]


def url_param(key: str, default: str | None = None) -> str | None:
    """A page-specific filter kept in the URL, so links carry it too."""
    return st.query_params.get(key, default)


def date_param(key: str, default: date, latest: date) -> tuple[date, str | None]:
    """A page's own date from the URL, checked like the as-of date: a bad one is a notice, never an error."""
    raw = url_param(key)
    if raw is None:
        return default, None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        return default, f"The link's {key} date “{raw}” is not a date (YYYY-MM-DD); showing {default.isoformat()}."
    if not EARLIEST <= value < latest:
        return default, (f"The link's {key} date {raw} must be between {EARLIEST.isoformat()} and the day before "
                         f"{latest.isoformat()}; showing {default.isoformat()}.")
    return value, None


def set_url_param(key: str, value: str | None) -> None:
    if value is None:
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = value
