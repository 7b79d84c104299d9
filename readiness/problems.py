"""A problem found in the input data: what the validator reports and the Data health page lists."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class RowRef:
    """One offending row: the file it came from, its 1-based row number there and its key values."""

    file: str
    row: int
    key: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        key = ", ".join(f"{k}={v}" for k, v in self.key.items())
        where = f"{self.file} row {self.row}"
        return f"{key} ({where})" if key else where


@dataclass(frozen=True)
class Problem:
    """`error` means the table (or file) cannot be used; `warning` means only the rows listed were excluded."""

    severity: str
    table: str
    column: str | None
    message: str
    row_count: int = 0
    examples: tuple[RowRef, ...] = ()
    file: str | None = None
    code: str = ""

    def to_dict(self) -> dict:
        out = asdict(self)
        out["examples"] = [str(r) for r in self.examples]
        return out

    def describe(self) -> str:
        """One line for a terminal: severity, where, the sentence, then the rows."""
        where = self.table + (f".{self.column}" if self.column else "")
        if self.file:
            where += f" [{self.file}]"
        text = f"{self.severity.upper():7} {where}: {self.message}"
        if self.row_count:
            shown = "; ".join(str(r) for r in self.examples)
            more = f" and {self.row_count - len(self.examples)} more" if self.row_count > len(self.examples) else ""
            text += f" Rows ({self.row_count}): {shown}{more}."
        return text
