"""Exceptions raised by audit_toolkit.

Findings are data, never exceptions; an exception means the toolkit cannot go on::

    AuditToolkitError
     ├── InputError    an input file, sheet, column or argument cannot be used (CLI exit 2)
     ├── RuleError     a rule file is malformed or inconsistent
     └── ExportError   an output could not be written
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["AuditToolkitError", "ExportError", "InputError", "RuleError"]


class AuditToolkitError(Exception):
    """Base class of every error raised by audit_toolkit."""


def _explain(message: str, where: Sequence[tuple[str, object, bool]], fix: str | None) -> str:
    """``message (file …, sheet '…', row n)`` then ``Fix: …`` on its own line: one shape for every error.

    ``where`` holds ``(label, value, quoted)``; empty values are left out, quoted ones shown with repr.
    """
    parts = [
        f"{label} {value!r}" if quoted else f"{label} {value}"
        for label, value, quoted in where
        if value not in (None, "")
    ]
    text = message + (" (" + ", ".join(parts) + ")" if parts else "")
    return text + (f"\nFix: {fix}" if fix else "")


class InputError(AuditToolkitError):
    """An input cannot be used. The message says what, where, and how to fix it.

    Example:
        >>> raise InputError("Required column 'category' not found", file="ds.xlsx", sheet="DS",
        ...                  fix="Rename a header to 'Đối tượng' or map it in columns.yml")
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.sheet = sheet
        self.row = row
        self.column = column
        self.fix = fix
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = [
            ("file", self.file, False),
            ("sheet", self.sheet, True),
            ("row", self.row, False),
            ("column", self.column, True),
        ]
        return _explain(self.message, where, self.fix)


class RuleError(AuditToolkitError):
    """A rule table is malformed or inconsistent (overlapping periods, unknown category, …).

    Like :class:`InputError`, the message says what, where (rule file, section, row) and how to
    fix it; each part is also an attribute, so a caller can show or test it on its own.

    Example:
        >>> str(RuleError("legal_basis is missing", file="levels.yml", section="national", row=2,
        ...               fix="add legal_basis to the row"))
        "legal_basis is missing (file levels.yml, section 'national', row 2)\nFix: add legal_basis to the row"
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        section: str | None = None,
        row: int | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.section = section
        self.row = row
        self.fix = fix
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = [("file", self.file, False), ("section", self.section, True), ("row", self.row, False)]
        return _explain(self.message, where, self.fix)


class ExportError(AuditToolkitError):
    """An output file could not be written."""
