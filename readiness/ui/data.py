"""One validated dataset per process, and reports cached on the data files' fingerprint.

Reports are cached, not the query results behind them: the Portfolio's trend runs its questions for
twelve past days, and keeping those frames held gigabytes at 50 programs for no later use.

Every cached result is also keyed on the reader's data scope (`ds.scope`, see readiness.access): two readers
with different programs never share an entry.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future
from datetime import date

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from .. import access
from ..dataset import Dataset, load_dataset
from ..expectations import EXPECTATIONS_ENV, Expectations, load_expectations
from ..brief import build_brief
from ..brief_html import render_html
from ..report import build_lens_report, build_report, build_trend, day_portfolio, day_scores
from ..source import DATA_ENV, SAMPLE_DATA, DataSource
from . import auth


def _secret(name: str) -> str | None:
    try:
        value = st.secrets.get(name)
    except StreamlitSecretNotFoundError:
        return None
    return str(value) if value else None


def data_location() -> str:
    """`READINESS_DATA`, else `data_dir` in .streamlit/secrets.toml, else the bundled sample."""
    return os.environ.get(DATA_ENV) or _secret("data_dir") or str(SAMPLE_DATA)


def _yardstick_key() -> tuple[str | None, int]:
    """`READINESS_EXPECTATIONS`, else `expectations_file` in secrets, else the built-in matrix; and its mtime."""
    path = os.environ.get(EXPECTATIONS_ENV) or _secret("expectations_file")
    try:
        return path, os.stat(path).st_mtime_ns if path else 0
    except OSError:
        return path, -1


def expectations() -> Expectations:
    """Re-read when the file is edited, without a restart."""
    return _expectations(*_yardstick_key())


@st.cache_resource(show_spinner=False, max_entries=4)
def _expectations(path: str | None, stamp: int) -> Expectations:
    return load_expectations(path)


class _StartRead:
    """The data read as the server starts, held for the first reader to take rather than read a second time.

    A read starts only while no reader has asked for data: a browser tab reconnecting to a restarted server can
    ask first, and a read begun after that would hold a second copy of the data that nobody takes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._asked = False
        self._pending: tuple[tuple, Future] | None = None

    def begin(self, key: tuple) -> Future | None:
        """The future to fill with the data of `key`, or None when a reader came first."""
        with self._lock:
            if self._asked or self._pending:
                return None
            self._pending = key, Future()
            return self._pending[1]

    def take(self, key: tuple) -> Future | None:
        """The start read of `key` (done or under way); None when there is none or it read other files."""
        with self._lock:
            self._asked = True
            pending, self._pending = self._pending, None
        return pending[1] if pending and pending[0] == key else None


_START = _StartRead()


def _data_key(location: str) -> tuple[str, str, date]:
    source = DataSource(location)
    return location, source.fingerprint(source.all_parquet_files()), date.today()


def read_at_start() -> None:
    """serve.py runs this on its own thread as the server starts, so the first reader finds the data read (or
    half read) instead of starting the read: about 1.5 s of a cold start at 50 programs (docs/performance.md)."""
    location = data_location()
    key = _data_key(location)
    read = _START.begin(key)
    if read is None:
        return
    try:
        read.set_result(load_dataset(location, key[2]))
    except Exception as exc:  # the reader who takes it meets it, as their own read would have raised it
        read.set_exception(exc)


@st.cache_resource(show_spinner="Reading and validating the data…", max_entries=2)
def _load(location: str, fingerprint: str, today: date) -> Dataset:
    started = _START.take((location, fingerprint, today))
    return started.result() if started else load_dataset(location, today)


def dataset() -> Dataset:
    """Re-reads the data when a file changed (new fingerprint) or the day turned, without a restart.

    Seen through the signed-in reader's programs: every query, report and brief made from it holds only those.
    """
    return access.restrict(_load(*_data_key(data_location())), auth.allowed())


# Reports, trends and briefs are kept once per process and handed to every session as the same object
# (cache_resource): a copy per session (cache_data) cost each reader a private copy of a portfolio's report
# (about 1 GB at 50 programs) and the time to unpickle it on every rerun. Pages only read them.
@st.cache_resource(show_spinner="Computing the report…", max_entries=256)
def _report(_ds: Dataset, fingerprint: str, scope: str | None, as_of: date, program_id: str | None,
            _yardstick: Expectations, yardstick_key: tuple) -> dict:
    return build_report(_ds, as_of, program_id, _yardstick, trend=False)


def report(ds: Dataset, as_of: date, program_id: str | None = None) -> dict:
    """One day's report, every lens: the Portfolio's program breakdown and its download."""
    return _report(ds, ds.fingerprint, ds.scope, as_of, program_id, expectations(), _yardstick_key())


@st.cache_resource(show_spinner="Computing this lens…", max_entries=256)
def _lens_report(_ds: Dataset, fingerprint: str, scope: str | None, as_of: date, lens: str, program_id: str | None,
                 _yardstick: Expectations, yardstick_key: tuple) -> dict:
    return build_lens_report(_ds, as_of, lens, program_id, _yardstick)


def lens_report(ds: Dataset, as_of: date, lens: str, program_id: str | None = None) -> dict:
    """One day's report of one lens: what a lens page starts from, without waiting for the other four."""
    return _lens_report(ds, ds.fingerprint, ds.scope, as_of, lens, program_id, expectations(), _yardstick_key())


@st.cache_resource(show_spinner="Computing the Portfolio…", max_entries=64)
def _portfolio(_ds: Dataset, fingerprint: str, scope: str | None, as_of: date, _yardstick: Expectations,
               yardstick_key: tuple) -> dict:
    return day_portfolio(_ds, as_of, _yardstick, full_report=lambda: _report(
        _ds, fingerprint, scope, as_of, None, _yardstick, yardstick_key))


def portfolio(ds: Dataset, as_of: date) -> dict:
    """The day's Portfolio digest: from the score store when `precompute` (or an earlier reader) made it, so
    the first page a reader opens does not wait for every program's findings."""
    return _portfolio(ds, ds.fingerprint, ds.scope, as_of, expectations(), _yardstick_key())


@st.cache_resource(show_spinner=False, max_entries=512)  # the Portfolio says it is computing the trend
def _day_scores(_ds: Dataset, fingerprint: str, scope: str | None, day: date, program_id: str | None,
                _yardstick: Expectations, yardstick_key: tuple) -> dict:
    return day_scores(_ds, day, program_id, _yardstick)


def trend(ds: Dataset, as_of: date, program_id: str | None = None) -> dict[str, list[dict]]:
    """The Portfolio's 12 month-end points, asked for after the day's report is on screen. Each month end is
    kept on its own (statuses and scores only): moving the as-of day within a month recomputes none of them."""
    yardstick, key = expectations(), _yardstick_key()
    return build_trend(ds, as_of, program_id, yardstick, scores_on=lambda day: _day_scores(
        ds, ds.fingerprint, ds.scope, day, program_id, yardstick, key))


@st.cache_resource(show_spinner="Comparing the two days…", max_entries=64)
def _brief(_ds: Dataset, fingerprint: str, scope: str | None, since: date, as_of: date, program_id: str | None,
           _yardstick: Expectations, yardstick_key: tuple) -> dict:
    return build_brief(_ds, since, as_of, program_id, _yardstick)


def brief(ds: Dataset, since: date, as_of: date, program_id: str | None = None) -> dict:
    return _brief(ds, ds.fingerprint, ds.scope, since, as_of, program_id, expectations(), _yardstick_key())


@st.cache_data(show_spinner="Writing the HTML brief…", max_entries=16)
def brief_html(brief_: dict) -> str:
    return render_html(brief_)


def program_names(ds: Dataset) -> dict[str, str]:
    """program_id → name, for the picker."""
    frame = ds.query("program_phases", as_of=date.today(), program_id=None)
    return dict(zip(frame["program_id"], frame["name"]))
