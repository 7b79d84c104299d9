"""Python's cycle collector paused while a report is built.

A report for a CDMO's portfolio builds millions of lists and dicts (figures and evidence rows) and frees them
when it is done. Each full collection walks every object alive, and the heap grows enough during a report to
set off about a dozen of them: at L, 2.5 to 3 s of a 26 s report. A report makes almost no reference cycles
(a few hundred objects per report, from pandas), so they wait for the collector to resume.

The collector is per process and the app builds reports on several threads at once: it resumes when the last
report being built is done, and stays off if something else had turned it off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_building = 0
_resume = False


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    global _building, _resume
    with _lock:
        if _building == 0:
            _resume = gc.isenabled()
            gc.disable()
        _building += 1
    try:
        yield
    finally:
        with _lock:
            _building -= 1
            if _building == 0 and _resume:
                gc.enable()
