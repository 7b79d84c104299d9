"""Where a data directory's tables live: a local folder or an object-store URI, read-only."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO_ROOT / "sample_data"
DATA_ENV = "READINESS_DATA"


def default_location() -> str:
    """`READINESS_DATA` when set, else the bundled sample programs."""
    return os.environ.get(DATA_ENV) or str(SAMPLE_DATA)


def is_remote(location: str) -> bool:
    return "://" in location and not location.startswith("file://")


@dataclass(frozen=True)
class TableFiles:
    """The Parquet files found for one table, and whether they form a hive-partitioned folder."""

    table: str
    files: tuple[str, ...]
    hive: bool
    ambiguous: bool = False  # both `<table>.parquet` and `<table>/` exist


class DataSource:
    """Finds each table's files; never opens anything for writing."""

    def __init__(self, location: str | os.PathLike):
        text = str(location)
        if text.startswith("file://"):
            text = text[len("file://"):]
        self.location = text.rstrip("/") or "/"
        self.remote = is_remote(self.location)

    def exists(self) -> bool:
        return self.remote or Path(self.location).is_dir()

    def table_files(self, table: str, glob=None) -> TableFiles:
        """`glob` lists remote files (DuckDB's `glob()`); local folders are walked directly."""
        if self.remote:
            single = tuple(glob(f"{self.location}/{table}.parquet")) if glob else ()
            folder = tuple(sorted(glob(f"{self.location}/{table}/**/*.parquet"))) if glob else ()
        else:
            root = Path(self.location)
            single = (f"{self.location}/{table}.parquet",) if (root / f"{table}.parquet").is_file() else ()
            folder_path = root / table
            folder = tuple(sorted(f"{self.location}/{p.relative_to(root).as_posix()}"
                                  for p in folder_path.rglob("*.parquet") if p.is_file())) \
                if folder_path.is_dir() else ()
        prefix = f"{self.location}/{table}/"
        # Partition folders are those inside the table's folder; an `=` higher up is part of the location.
        hive = any("=" in part for f in folder for part in f.removeprefix(prefix).split("/")[:-1])
        if single and folder:
            return TableFiles(table, single + folder, hive, ambiguous=True)
        return TableFiles(table, single or folder, hive if folder else False)

    def display(self, file: str) -> str:
        """A file's path relative to the data directory, as users name it."""
        prefix = self.location + "/"
        return file[len(prefix):] if file.startswith(prefix) else file

    def fingerprint(self, files: list[str]) -> str:
        """Changes when any file is added, removed, resized or touched, so caches see new data without a restart."""
        digest = hashlib.sha256(self.location.encode())
        for f in sorted(files):
            digest.update(f.encode())
            if not self.remote:
                try:
                    st = os.stat(f)
                except OSError:
                    continue
                digest.update(f":{st.st_size}:{st.st_mtime_ns}".encode())
        return digest.hexdigest()[:16]

    def all_parquet_files(self) -> list[str]:
        """Local files only: an object store is fingerprinted by its URI, so its changes need a restart."""
        if self.remote or not self.exists():
            return []
        return sorted(str(p) for p in Path(self.location).rglob("*.parquet") if p.is_file())
