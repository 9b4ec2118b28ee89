"""Fact: what a line is due in a month — its coefficient × the level that coefficient multiplies.

:func:`due_amounts` is the one pricing rule: the standard level of the month, or the social-pension
level for categories whose coefficient multiplies it (HTXH; ``base`` in ``coefficients.yml``), read
by ``AuditContext.due_amount`` (WRONG_AMOUNT, UNPAID_MONTHS, INELIGIBLE, transitions) and by the
DUPLICATE_* checks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_toolkit.rules import RuleSet

__all__ = ["due_amounts"]


def due_amounts(
    rules: RuleSet,
    categories: pd.Series,
    months: pd.Series,
    coefficients: np.ndarray,
    province_code: str | None,
) -> np.ndarray:
    """Due VND per (line category, month): ``coefficient × base level`` (NaN where either is unknown).

    Example:
        >>> due_amounts(rules, pd.Series(["K6"]), pd.Series([24307]), np.array([2.0]), None)  # doctest: +SKIP
    """
    level = rules.base_level(categories, months, province_code).to_numpy(dtype="float64")
    due: np.ndarray = np.asarray(coefficients, dtype="float64") * level
    return due
