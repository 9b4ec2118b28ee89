"""The roster summary: what the report, the notebook views and the field-visit sample know of the roster.

Readers of an audit (``report/``, ``views.py``, ``sampling.py``, ``compare.py``) read the
findings plus this small, documented summary — never ``AuditContext.lines``,
``line_months`` or ``payments_linked``, which are the checks' working frames and change with them.
The summary is built once per audit from the :class:`~audit_toolkit.checks.base.AuditContext`
(on first use, then cached with the result) and is frozen.

Example:
    >>> summary = roster_summary(result)  # doctest: +SKIP
    >>> summary.people_active, summary.lines_without_id  # doctest: +SKIP
    (412, 3)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from audit_toolkit.audit import AuditResult

__all__ = ["LINE_COLUMNS", "PERSON_FIELDS", "RosterSummary", "roster_summary"]

#: Who a line is about, as written on the roster (the field-visit sample shows these).
PERSON_FIELDS = (
    "national_id",
    "full_name",
    "birth_date",
    "birth_date_year_only",
    "sex",
    "address",
    "household_id",
)

#: Columns of :attr:`RosterSummary.lines`, one row per roster line in roster order.
LINE_COLUMNS = (
    "person_key",  # the person the line is about ("id:…" when matched on a valid ID, else name + birth)
    "category",  # category code (K1…, C1…, HTXH), NA when unreadable
    "disability_level",  # as listed (NA when not given)
    "kind",  # K (monthly allowance) / C (care support) / HTXH (social pension)
    "active_asof",  # the line is active in month(as_of) (checks.md "Active line"), bool
    "age_asof",  # whole years at month(as_of) (Int64, NA when the birth date is unknown)
    "monthly_amount",  # the monthly amount as listed (NA when not given)
    "ward",  # the ward as written in findings (its code, else its name)
    "source",  # "beneficiaries:<row>" (or the month sheet's reference)
    *PERSON_FIELDS,
)


@dataclass(frozen=True)
class RosterSummary:
    """The roster as the report and the views see it.

    Attributes:
        lines: one row per roster line, columns :data:`LINE_COLUMNS` (missing roster columns are NA).
        paid_by_month: VND received per month paid for, over the audit period (index: month
            number, every month of the period, 0 when nothing was paid); ``None`` when the ward
            gave no payments table.
        period_start: first month of the audit period (month number).
        period_end: last month of the audit period (month number, = month(as_of)).
    """

    lines: pd.DataFrame
    paid_by_month: pd.Series | None
    period_start: int
    period_end: int

    @property
    def active(self) -> pd.DataFrame:
        """The lines active at ``as_of``."""
        return self.lines.loc[self.lines["active_asof"]]

    @property
    def people_active(self) -> int:
        """Distinct people with a line active at ``as_of``."""
        return int(self.active["person_key"].nunique())

    @property
    def lines_without_id(self) -> int:
        """Lines whose person is matched on name + birth date (no valid ID)."""
        return int((~self.lines["person_key"].str.startswith("id:").fillna(False)).sum())

    @property
    def active_by_category(self) -> pd.Series:
        """Distinct people active at ``as_of`` per category code (categories with none are absent)."""
        active = self.active
        return active.groupby("category")["person_key"].nunique()


def _build(result: AuditResult) -> RosterSummary:
    ctx = result.context
    lines = ctx.lines
    slim = lines.reindex(columns=[c for c in LINE_COLUMNS if c != "ward"])
    slim["active_asof"] = slim["active_asof"].fillna(False).astype(bool)
    slim.insert(LINE_COLUMNS.index("ward"), "ward", result.ward_label)
    paid: pd.Series | None = None
    if ctx.has("payments"):
        pay = ctx.payments_linked
        months = np.arange(result.period_start, result.period_end + 1)
        inside = pay.loc[pay["received"] & pay["m"].isin(months)]
        per_month = (
            pd.to_numeric(inside["amount"], errors="coerce").groupby(inside["m"].astype("int64")).sum()
        )
        paid = per_month.reindex(months, fill_value=0.0)
    return RosterSummary(
        lines=slim, paid_by_month=paid, period_start=result.period_start, period_end=result.period_end
    )


_KEY = "roster_summary"


def roster_summary(result: AuditResult) -> RosterSummary:
    """The roster summary of one ward's audit, built on first use and cached with the audit.

    Args:
        result: the ward's audit (:func:`audit_toolkit.audit.run_audit`).

    Returns:
        The frozen :class:`RosterSummary`; the same object on every call for the same result.
    """
    # Cached in the context's extras dict: it lives exactly as long as the audit it summarises.
    extras = result.context.extras
    cached = extras.get(_KEY)
    if not isinstance(cached, RosterSummary):
        cached = _build(result)
        extras[_KEY] = cached
    return cached
