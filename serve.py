"""How the app is served: `streamlit run serve.py` (what `make run` does) serves app.py, and reads and validates
the data on its own thread as the server starts, so the first reader does not wait for that read
(docs/performance.md). `streamlit run app.py` serves the same app without the head start."""

import logging
import threading
from contextlib import asynccontextmanager

import streamlit as st


def _read_data() -> None:
    try:
        from readiness.ui import data  # imported here, not above: the server answers while these modules load

        data.read_at_start()
    except Exception:  # the first reader then reads the data itself, and meets the error where pages show it
        logging.getLogger("readiness").exception("reading the data as the server started failed")


@asynccontextmanager
async def _read_data_as_the_server_starts(_app):
    threading.Thread(target=_read_data, name="read-data-at-start", daemon=True).start()
    yield


app = st.App("app.py", lifespan=_read_data_as_the_server_starts)
