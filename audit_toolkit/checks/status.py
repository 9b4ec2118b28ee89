"""Why a check did not run: a small typed value, one machine code for files, one sentence for people.

A :class:`NotRunReason` holds a code (:class:`ReasonCode`) and, for the codes that need them, the
missing table and column. ``str(reason)`` is the stable machine code written to ``manifest.json``
(``missing_table:payments``, ``missing_column:beneficiaries.coefficient``, ``batch_only``…);
:meth:`NotRunReason.text` is the sentence from the message catalogue that every page shows. Nothing
parses the machine code back except :meth:`NotRunReason.parse` (for codes read from older manifests
or written as text by a caller).

Example:
    >>> r = NotRunReason.missing_table("payments")
    >>> str(r)
    'missing_table:payments'
    >>> r.text("en")
    'The table “Payments” was not supplied'
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from audit_toolkit.messages import t

__all__ = ["NotRunReason", "ReasonCode"]


class ReasonCode(StrEnum):
    """The reasons a catalogue check can be "not run" (the manifest's machine codes)."""

    MISSING_TABLE = "missing_table"
    MISSING_COLUMN = "missing_column"
    NOT_IMPLEMENTED = "not_implemented"
    BATCH_ONLY = "batch_only"
    NOT_SELECTED = "not_selected"
    FEWER_THAN_TWO_WARDS = "fewer_than_two_wards"


_CODES = frozenset(code.value for code in ReasonCode)


@dataclass(frozen=True, eq=False)
class NotRunReason:
    """Why one check was not run: a code, and the table/column it lacked when that is the reason."""

    code: ReasonCode | str  # a str only for a code this version does not know (read back from a file)
    table: str = ""
    column: str = ""

    @classmethod
    def missing_table(cls, table: str) -> NotRunReason:
        """The check needs ``table`` and the ward did not supply it."""
        return cls(ReasonCode.MISSING_TABLE, table)

    @classmethod
    def missing_column(cls, table: str, column: str) -> NotRunReason:
        """The check needs values in ``table.column`` and that column is absent or empty."""
        return cls(ReasonCode.MISSING_COLUMN, table, column)

    @classmethod
    def parse(cls, code: str) -> NotRunReason:
        """The reason written as its machine code (``missing_column:payments.amount``, ``batch_only``).

        A code this version does not know (a newer manifest, a check added elsewhere) is kept as
        text: it stays the manifest's code, and :meth:`text` says in words that the check did not run
        (the catalogue's ``report.reason.<code>`` when there is one).
        """
        head, _, arg = code.partition(":")
        kind: ReasonCode | str = ReasonCode(head) if head in _CODES else head
        if kind is ReasonCode.MISSING_COLUMN:
            table, _, column = arg.partition(".")
            return cls(kind, table, column)
        return cls(kind, arg)

    def __str__(self) -> str:
        code = str(self.code)
        if self.code is ReasonCode.MISSING_COLUMN:
            return f"{code}:{self.table}.{self.column}"
        if self.code is ReasonCode.MISSING_TABLE or self.table:
            return f"{code}:{self.table}"
        return code

    def __eq__(self, other: object) -> bool:
        # Equal to another reason with the same fields, or to its machine code: tests and callers
        # that compare with the manifest's text keep working.
        if isinstance(other, NotRunReason):
            return str(self) == str(other)
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    def startswith(self, prefix: str) -> bool:
        """Whether the machine code starts with ``prefix`` (as ``str.startswith``)."""
        return str(self).startswith(prefix)

    def text(self, lang: str = "vi") -> str:
        """The reason as a sentence of the message catalogue, in ``lang``."""
        if self.code is ReasonCode.MISSING_TABLE:
            return t("report.reason.missing_table", lang, table=_table_label(self.table, lang))
        if self.code is ReasonCode.MISSING_COLUMN:
            return t(
                "report.reason.missing_column",
                lang,
                table=_table_label(self.table, lang),
                column=_column_label(self.column, lang),
            )
        key = f"report.reason.{self.code}"
        text = t(key, lang)
        # Never a raw code on a page: an unknown one reads as "not run in this version".
        return text if text != key else t("display.reason.unknown", lang)


def _table_label(table: str, lang: str) -> str:
    key = f"report.table.{table}"
    text = t(key, lang)
    return table if text == key else text


def _column_label(column: str, lang: str) -> str:
    # The report's column headings name the common columns; other columns keep the contract's name,
    # which is also the header the data contract tells the ward to use.
    key = f"report.col.{column}"
    text = t(key, lang)
    return column if text == key else text
