"""Who may see which programs: the access file, the data scope that enforces it, and the access log.

The access file maps exact e-mail addresses and `@domain`s to program ids or "*". A reader's programs are
enforced in the query layer: `restrict` gives every query of a dataset a DuckDB schema of views that hold
only those programs' rows, so a page, chart, download, brief or roll-up cannot reach another program.
Anything wrong with the file means nothing is visible, never everything.

`python -m readiness.access FILE [EMAIL ...]` checks a file and says what each e-mail would see.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import sys
import threading
import tomllib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from .contract import TABLES
from .dataset import Dataset, q
from .problems import Problem
from .source import REPO_ROOT, is_remote

ACCESS_FILE_ENV = "READINESS_ACCESS_FILE"
ACCESS_LOG_ENV = "READINESS_ACCESS_LOG"
DEFAULT_ACCESS_FILE = Path(".streamlit") / "access.toml"
DEFAULT_ACCESS_LOG = REPO_ROOT / ".cache" / "access.log.jsonl"
ALL = None  # every program: what a "*" rule grants, and what local mode (no sign-in) sees
DEFAULT_CONTACT = "Ask whoever runs this dashboard to add you to its access file."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_DOMAIN = re.compile(r"^@[^@\s]+$")


class AccessFileError(ValueError):
    """The access file is missing or malformed; the message says where and what, for whoever runs the app."""


@dataclass(frozen=True)
class Rules:
    """`by_email` keys are lower-case addresses; `by_domain` keys are lower-case domains without the `@`."""

    by_email: dict[str, frozenset[str] | None]
    by_domain: dict[str, frozenset[str] | None]
    contact: str = DEFAULT_CONTACT
    source: str = ""


def parse_rules(text: str, source: str = "access file") -> Rules:
    """Reads the TOML text of an access file; any problem raises AccessFileError naming the key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AccessFileError(f"{source} is not valid TOML ({exc})") from None
    unknown = sorted(set(raw) - {"contact", "rules"})
    if unknown:
        raise AccessFileError(f"{source}: {', '.join(unknown)} is not a key of an access file "
                              "(only `contact` and the [rules] table)")
    contact = raw.get("contact", DEFAULT_CONTACT)
    if not isinstance(contact, str) or not contact.strip():
        raise AccessFileError(f"{source}: `contact` must be a sentence saying whom to ask for access")
    rules = raw.get("rules")
    if not isinstance(rules, dict):
        raise AccessFileError(f"{source}: a [rules] table is required (e-mail or @domain = [program ids] or \"*\")")
    by_email: dict[str, frozenset[str] | None] = {}
    by_domain: dict[str, frozenset[str] | None] = {}
    for key, value in rules.items():
        who = key.strip().lower()
        if _DOMAIN.match(who):
            target, name = by_domain, who[1:]
        elif _EMAIL.match(who):
            target, name = by_email, who
        else:
            raise AccessFileError(f"{source}: rule {key!r} is neither an e-mail address nor an @domain")
        if name in target:
            raise AccessFileError(f"{source}: rule {key!r} is listed twice (rules ignore upper/lower case)")
        target[name] = _programs(value, key, source)
    return Rules(by_email, by_domain, contact.strip(), source)


def _programs(value, key: str, source: str) -> frozenset[str] | None:
    if value == "*":
        return ALL
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() and v.strip() != "*" for v in value):
        return frozenset(v.strip() for v in value)
    raise AccessFileError(f"{source}: rule {key!r} must be \"*\" or a list of program ids such as "
                          "[\"CAR19-201\"] (\"*\" stands alone, never inside a list)")


def load_rules(path: str | os.PathLike) -> Rules:
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AccessFileError(f"the access file {shown} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AccessFileError(f"the access file {shown} could not be read ({exc})") from None
    return parse_rules(text, shown)


def allowed_programs(email: str | None, rules: Rules) -> frozenset[str] | None:
    """The exact e-mail rule if there is one, else the rule for its domain, else nothing (an empty set).

    Returns ALL (None) for "*". Matching ignores case; `@x.example` does not cover `@lab.x.example`.
    """
    who = (email or "").strip().lower()
    if not _EMAIL.match(who):
        return frozenset()
    if who in rules.by_email:
        return rules.by_email[who]
    return rules.by_domain.get(who.rsplit("@", 1)[1], frozenset())


# --- the data scope ---------------------------------------------------------------------------------------------

_scope_lock = threading.Lock()


def restrict(ds: Dataset, allowed: frozenset[str] | None) -> Dataset:
    """The same dataset seen through the reader's programs; ALL returns it unchanged.

    Every query of the result runs with a search path that starts at a schema of views over the clean tables:
    a table with `program_id` keeps the allowed programs' rows, a table linked to such a table keeps the rows
    whose links point at visible rows (a row linked to nothing is dropped), and a table with neither would be
    shared reference data (the contract has none; a test says so). Validation problems lose their row
    examples and details, which may name any program.
    """
    if allowed is ALL:
        return ds
    schema = "scope_" + hashlib.sha256("\n".join(sorted(allowed)).encode()).hexdigest()[:16]
    with _scope_lock:
        if not _exists(ds, schema):
            try:
                _create_scope(ds, schema, allowed)
            except duckdb.Error:
                if not _exists(ds, schema):  # else another thread made it first (a module reload renews the lock)
                    raise
    return dataclasses.replace(ds, scope=schema, problems=[_redacted(p) for p in ds.problems])


def _exists(ds: Dataset, schema: str) -> bool:
    return ds.con.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = $s",
                          {"s": schema}).fetchone()[0] > 0


def _create_scope(ds: Dataset, schema: str, allowed: frozenset[str]) -> None:
    cursor = ds.con.cursor()
    try:
        cursor.execute("BEGIN TRANSACTION")
        cursor.execute(f"CREATE SCHEMA {q(schema)}")
        cursor.execute(f"CREATE TABLE {q(schema)}._allowed (program_id VARCHAR)")
        if allowed:
            cursor.executemany(f"INSERT INTO {q(schema)}._allowed VALUES ($p)", [{"p": p} for p in sorted(allowed)])
        tables = {t.name: t for t in TABLES if t.name in ds.tables}
        reach = {name for name, t in tables.items() if _has_program(t)}
        while grown := {name for name, t in tables.items()
                        if name not in reach and any(ref.table in reach for ref in t.references)}:
            reach |= grown  # tables that reach a program through a link, however many steps away
        created: set[str] = set()
        while reach - created:
            ready = [name for name in sorted(reach - created)
                     if all(ref.table in created for ref in tables[name].references if ref.table in reach)
                     or _has_program(tables[name])]
            if not ready:
                raise RuntimeError(f"the contract's links among {sorted(reach - created)} form a cycle")
            for name in ready:
                cursor.execute(f"CREATE VIEW {q(schema)}.{q(name)} AS SELECT * FROM main.{q(name)} t "
                               f"WHERE {_scope_condition(schema, tables[name], reach)}")
                created.add(name)
        cursor.execute("COMMIT")
    except Exception:
        with contextlib.suppress(duckdb.Error):
            cursor.execute("ROLLBACK")
        raise
    finally:
        cursor.close()


def _has_program(table) -> bool:
    return any(c.name == "program_id" for c in table.columns)


def _scope_condition(schema: str, table, reach: set[str]) -> str:
    if _has_program(table):
        return f"t.program_id IN (SELECT program_id FROM {q(schema)}._allowed)"
    links = [ref for ref in table.references if ref.table in reach]
    unlinked = " AND ".join(f"t.{q(c)} IS NULL" for ref in links for c in ref.columns)
    return " AND ".join(_link_condition(schema, ref) for ref in links) + f" AND NOT ({unlinked})"


def _link_condition(schema: str, ref) -> str:
    nulls = " AND ".join(f"t.{q(c)} IS NULL" for c in ref.columns)
    match = " AND ".join(f"p.{q(tc)} = t.{q(c)}" for c, tc in zip(ref.columns, ref.target))
    return f"(({nulls}) OR EXISTS (SELECT 1 FROM {q(schema)}.{q(ref.table)} p WHERE {match}))"


def _redacted(problem: Problem) -> Problem:
    """Keeps what kind of problem it is and how many rows; drops the sentence, files and rows, which name data."""
    if problem.row_count:
        noun = "row" if problem.row_count == 1 else "rows"
        message = f"{problem.row_count:,} {noun} excluded ({problem.code})."
    else:
        message = f"This table cannot be used ({problem.code})."
    return dataclasses.replace(problem, message=message + " The details are shown to readers of every program.",
                               examples=(), file=None)


# --- the access log ---------------------------------------------------------------------------------------------

class AccessLogError(OSError):
    """The access log cannot be written where it is configured; signing in must not go unrecorded."""


_log_lock = threading.Lock()


def check_log_path(path: str | os.PathLike, data_location: str) -> Path:
    """The log must never sit in the data directory: that folder is the customers' export, only ever read."""
    log = Path(path).expanduser().resolve()
    if not is_remote(data_location):
        data_dir = Path(data_location.removeprefix("file://")).expanduser().resolve()
        if log == data_dir or data_dir in log.parents:
            raise AccessLogError(f"the access log {log} is inside the data directory {data_dir}; "
                                 f"set {ACCESS_LOG_ENV} (or `access_log` in secrets) to a path outside it")
    return log


def write_log(path: Path, user: str | None, page: str, program: str | None, outcome: str,
              reason: str | None = None) -> dict:
    """Appends one JSON line (time, user, page, program, outcome, reason); never rewrites earlier lines."""
    entry = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "user": user, "page": page,
             "program": program, "outcome": outcome, "reason": reason}
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with _log_lock:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write(line)
        except OSError as exc:
            raise AccessLogError(f"the access log {path} cannot be written ({exc.strerror or exc})") from None
    return entry


def main(argv: list[str]) -> int:
    """Checks an access file and prints what each given e-mail would see; exit 1 when the file is broken."""
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m readiness.access FILE [EMAIL ...]")
        return 0 if argv else 2
    try:
        rules = load_rules(argv[0])
    except AccessFileError as exc:
        print(f"error: {exc}; with this file nobody sees any program", file=sys.stderr)
        return 1
    print(f"{rules.source}: {len(rules.by_email)} e-mail rule(s), {len(rules.by_domain)} domain rule(s)")
    print(f"contact: {rules.contact}")
    for email in argv[1:]:
        allowed = allowed_programs(email, rules)
        shown = "every program" if allowed is ALL else (", ".join(sorted(allowed)) or "nothing")
        print(f"{email}: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
