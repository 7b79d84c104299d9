"""Python's full cycle collections paused while a report is built.

A report for a CDMO's portfolio builds millions of lists and dicts (figures and evidence rows) and frees them
when it is done. A full collection walks every object alive, and the heap grows enough during a report to set
off about a dozen of them: at L, 2.5 to 3 s of a 26 s report. Young collections go on, so the few cycles a
report makes (the named tuples pandas makes per `itertuples`) are freed as before; a cycle that lives long
enough to reach the oldest generation waits for the report to end.

The collector's thresholds are per process and the app builds reports on several threads at once: they are
put back when the last report being built is done.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

NEVER = 1 << 30  # young collections between two full ones: more than a report makes
_lock = threading.Lock()
_building = 0
_thresholds = gc.get_threshold()


@contextmanager
def full_collections_paused() -> Iterator[None]:
    global _building, _thresholds
    with _lock:
        if _building == 0:
            _thresholds = gc.get_threshold()
            gc.set_threshold(_thresholds[0], _thresholds[1], NEVER)
        _building += 1
    try:
        yield
    finally:
        with _lock:
            _building -= 1
            if _building == 0:
                gc.set_threshold(*_thresholds)
