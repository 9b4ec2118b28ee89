"""Entitlement checks: is the person entitled to the line, at the right coefficient and amount, and paid?

Four checks (docs/check-semantics.md):

- ``INELIGIBLE``: a line active at ``as_of`` whose person does not meet its category (a level the
  rules give nothing for, such as K6 ``mild``; under the category's minimum age; started before
  reaching it; a child's line started at its age limit; K5c with a pension; K6 started before the
  disability certificate);
- ``WRONG_COEFFICIENT``: a recorded coefficient the rules do not give for the category, level and
  age at ``month(as_of)``; the money is summed month by month against the expected coefficient;
- ``WRONG_AMOUNT``: a roster ``monthly_amount`` or a received payment that differs from
  standard level × coefficient of its month (e.g. the 2024-07 raise not applied);
- ``UNPAID_MONTHS``: months of the period in which an active, payable line received nothing.

Rates, coefficients, ages and dates all come from the ``RuleSet``. Money is never counted twice
across checks: months whose payment another check counts as wholly overpaid (after a death, a
move, an age limit, ``end_month``, during a suspension, or in a month INELIGIBLE counts) are left
out of WRONG_COEFFICIENT and WRONG_AMOUNT, and are not "owed" for UNPAID_MONTHS. Everything is
computed over whole frames; the only per-row Python work formats the sentence of each finding.

One module per check: ``eligibility.py``, ``coefficients.py``, ``amounts.py``, ``unpaid.py``; what
they share is ``entitlement_common.py``. This module re-exports the four functions (and the constants
older code imported from here).

Example:
    >>> raw = find_wrong_coefficients(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from audit_toolkit.checks.amounts import find_wrong_amounts
from audit_toolkit.checks.coefficients import find_wrong_coefficients
from audit_toolkit.checks.eligibility import find_ineligible
from audit_toolkit.checks.unpaid import find_unpaid_months
from audit_toolkit.rules import load_rules

__all__ = [
    "find_ineligible",
    "find_unpaid_months",
    "find_wrong_amounts",
    "find_wrong_coefficients",
]

# SUSPEND_AFTER_UNPAID_MONTHS (TT 02/2021 Art. 2(3)(a)), NO_PENSION_CATEGORIES (NĐ 20/2021 Art. 5(5)(c))
# and CERTIFICATE_CATEGORIES (NĐ 20/2021 Art. 8(1)(đ)) are rule rows with citations
# (rules/data/constants.yml); the checks read them from ctx.rules. The module names stay for code that
# imported them: they read the PACKAGED rules on first use (no rule loading at import).
_COMPAT = {
    "SUSPEND_AFTER_UNPAID_MONTHS": "suspend_after_unpaid_months",
    "NO_PENSION_CATEGORIES": "no_pension_categories",
    "CERTIFICATE_CATEGORIES": "certificate_categories",
}


def __getattr__(name: str) -> Any:
    if name in _COMPAT:
        return getattr(load_rules(), _COMPAT[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
