"""Day results kept on disk (each program's scores at a month end, the day's Portfolio digest, the weekly brief
between two days), so they are computed once per data version rather than once per process and reader.

A day's results depend only on the data (its files' fingerprint, and the rows validation kept), the reader's
data scope, the program asked for, the yardstick, this code and, for a brief, its earlier day. The key holds
all of them, so a stored result is never stale: any change makes a new key and the old file is simply unused.

The store lives in $READINESS_STORE (default: the user's cache directory; `off` turns it off), never in the
data directory. Data on object storage is fingerprinted by its URI only, so its scores are not stored: a
change there would go unseen.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from datetime import date
from pathlib import Path

STORE_ENV = "READINESS_STORE"
PACKAGE = Path(__file__).resolve().parent
QUERIES = PACKAGE.parent / "queries"


def store_root() -> Path | None:
    """$READINESS_STORE, else $XDG_CACHE_HOME/cgt-readiness, else ~/.cache/cgt-readiness; None when `off`."""
    chosen = os.environ.get(STORE_ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off") else Path(chosen).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "cgt-readiness"


@functools.cache
def code_identity() -> str:
    """Every file that decides a score: a changed check or query must not read scores the old code stored."""
    digest = hashlib.sha256()
    files = [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.toml"), *QUERIES.rglob("*.sql")]
    for path in sorted(files):
        digest.update(path.relative_to(PACKAGE.parent).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def yardstick_identity(expectations) -> str:
    """The expectations in force, whichever file they came from."""
    text = repr((sorted(expectations.items.items()), sorted(expectations.settings.items())))
    return hashlib.sha256(text.encode()).hexdigest()


def validated_rows(ds) -> str:
    """Which rows validation kept. For the same files only the load day can change them (a row dated after it is
    excluded), and then the count of excluded rows drops, so a day later the key is the same unless it did."""
    return ";".join(f"{name}:{t.status}:{t.rows_excluded}" for name, t in sorted(ds.tables.items()))


def refusal(ds) -> str | None:
    """Why `ds`'s scores are not stored, in a sentence; None when they are."""
    root = store_root()
    if root is None:
        return f"{STORE_ENV} is off"
    if ds.source.remote:
        return "data on object storage is fingerprinted by its URI only, so its scores are not stored"
    data, resolved = Path(ds.location).resolve(), root.resolve()
    if resolved == data or data in resolved.parents:
        return f"the store ({root}) lies inside the data directory ({ds.location}), which is never written to"
    return None


MONTH_END_SCORES, PORTFOLIO, WEEKLY_BRIEF = "month_end_scores", "portfolio", "weekly_brief"


class ScoreStore:
    """One JSON file per (data version, scope, program, yardstick, code, day, earlier day), one folder per kind of
    result."""

    def __init__(self, root: Path, kind: str):
        self.folder = root / kind

    @classmethod
    def for_dataset(cls, ds, kind: str) -> ScoreStore | None:
        return None if refusal(ds) else cls(store_root(), kind)

    def key(self, ds, day: date, program_id: str | None, expectations, since: date | None = None) -> str:
        parts = (code_identity(), ds.fingerprint, validated_rows(ds), ds.scope or "", program_id or "",
                 yardstick_identity(expectations), day.isoformat(), since.isoformat() if since else "")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> dict | None:
        """A stored result; None when absent or unreadable (it is then computed and written again)."""
        try:
            stored = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return stored.get("result") if isinstance(stored, dict) and stored.get("key") == key else None

    def put(self, key: str, day: date, result: dict) -> bool:
        """Written whole or not at all (a temporary file renamed), so a reader never sees half a file. A store
        that cannot be written only costs the time to compute again: False, never an error."""
        temporary = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({"key": key, "day": day.isoformat(), "result": result}, out)
            os.replace(temporary, self._path(key))
        except OSError:
            if temporary:
                Path(temporary).unlink(missing_ok=True)
            return False
        return True


def remembered(ds, kind: str, day: date, program_id: str | None, expectations, compute, since: date | None = None):
    """`compute()`'s result for this key: read when this data version's was stored before, else computed and
    stored (when `ds`'s results may be stored at all)."""
    store = ScoreStore.for_dataset(ds, kind)
    key = store.key(ds, day, program_id, expectations, since) if store else None
    stored = store.get(key) if store else None
    if stored is not None:
        return stored
    result = compute()
    if store:
        store.put(key, day, result)
    return result
