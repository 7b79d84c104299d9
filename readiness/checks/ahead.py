"""A lens's questions answered ahead, while the lens before it judges.

A lens asks DuckDB its questions, then judges the answers in Python. DuckDB lets go of the GIL while it works,
so the next lens's questions can run on a second thread while this lens judges: at a CDMO's volume the
questions are a quarter of a report's time, and most of it is then hidden behind the judging. A lens says
what it will ask in `questions(ctx)` (label -> query name and parameters) and takes its answers from
`Ahead.answers`, so what is asked ahead is what the lens reads, by construction. Only one lens is asked ahead:
its answers wait in memory until it runs.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import pandas as pd

Questions = dict[str, tuple[str, dict]]  # label -> (query name, parameters)


def _key(name: str, params: dict) -> tuple:
    return name, repr(sorted(params.items()))  # parameters hold lists: repr makes them a key


class Ahead:
    """Questions asked on one worker thread, answered in the order asked; a question not asked ahead is asked
    when its answer is wanted. Used as a context manager: a question not yet started is dropped on the way
    out, so a lens that fails leaves nothing running for long."""

    def __init__(self, ds):
        self._ds = ds
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readiness-ahead")
        self._asked: dict[tuple, Future] = {}

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._asked.clear()

    def ask(self, questions: Questions) -> None:
        for name, params in questions.values():
            key = _key(name, params)
            if key not in self._asked:
                self._asked[key] = self._pool.submit(self._ds.query, name, **params)

    def answers(self, questions: Questions) -> dict[str, pd.DataFrame]:
        """Each question's answer, by label: the one asked ahead if it was (its error, if it failed, is raised
        here, as if asked now), else asked now."""
        out = {}
        for label, (name, params) in questions.items():
            asked = self._asked.pop(_key(name, params), None)
            out[label] = asked.result() if asked is not None else self._ds.query(name, **params)
        return out
