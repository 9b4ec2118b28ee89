"""Exceptions raised by audit_toolkit.

Findings are data, never exceptions; an exception means the toolkit cannot go on::

    AuditToolkitError
     ├── InputError    an input file, sheet, column or argument cannot be used (CLI exit 2)
     ├── RuleError     a rule file is malformed or inconsistent
     └── ExportError   an output could not be written
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["AuditToolkitError", "ExportError", "InputError", "RuleError"]


class AuditToolkitError(Exception):
    """Base class of every error raised by audit_toolkit."""


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
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.sheet:
            where.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        text = self.message
        if where:
            text += " (" + ", ".join(where) + ")"
        if self.fix:
            text += f"\nFix: {self.fix}"
        return text


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
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.section:
            where.append(f"section {self.section!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        text = self.message
        if where:
            text += " (" + ", ".join(where) + ")"
        if self.fix:
            text += f"\nFix: {self.fix}"
        return text


class ExportError(AuditToolkitError):
    """An output file could not be written."""
