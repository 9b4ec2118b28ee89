"""Fact: what a line is due in a month — its coefficient × the level that coefficient multiplies.

:func:`due_amounts` is the one pricing rule: the standard level of the month, or the social-pension
level for categories whose coefficient multiplies it (HTXH; ``base`` in ``coefficients.yml``), read
by ``AuditContext.due_amount`` (WRONG_AMOUNT, UNPAID_MONTHS, INELIGIBLE, transitions) and by the
DUPLICATE_* checks. :func:`expected_coefficients` is the rules' coefficient for each (line, month)
at the age of :func:`~audit_toolkit.checks.facts.care.coefficient_birth_months`;
:func:`due_coefficients` the coefficient a month is due at (recorded, else the rules'); and
:func:`line_dues` the due VND of each (line, month).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext
from audit_toolkit.checks.facts.cache import fact_cache
from audit_toolkit.checks.facts.care import coefficient_birth_months
from audit_toolkit.rules import RuleSet

__all__ = ["due_amounts", "due_coefficients", "expected_coefficients", "line_dues"]


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


def expected_coefficients(ctx: AuditContext, line_idx: np.ndarray, m: np.ndarray) -> pd.DataFrame:
    """The rules' answer for each (line, month): ``expected``, ``allowed``, ``per_child_unit``, ``ruled``.

    Asked once per distinct (category, level, age, month), not once per row: a province has far
    fewer of those than line-months. ``ruled`` is False where no rule row matched.
    """
    coef_birth_m = coefficient_birth_months(ctx)
    cat_codes, cat_values = _roster_codes(ctx, "category")
    lvl_codes, lvl_values = _roster_codes(ctx, "disability_level")
    li = np.asarray(line_idx, dtype=np.int64)
    mm = np.asarray(m, dtype=np.int64)
    age = np.floor((mm - coef_birth_m[li]) / 12)
    # One int64 key per (category, level, age, month): category and level codes are small, ages
    # are shifted to be non-negative (unknown = 0), months fit in 20 bits.
    age_code = np.where(np.isnan(age), 0, np.clip(age, -1, 1000) + 2).astype(np.int64)
    key = (((cat_codes[li] * 8 + lvl_codes[li] + 1) * 2048 + age_code) << 20) + mm
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    pick = li[first]
    ages = pd.Series(age[first], dtype="Float64")
    answer = ctx.rules.allowed_coefficients(
        pd.Series(cat_values[cat_codes[pick]], dtype=object),
        pd.Series(lvl_values[lvl_codes[pick]], dtype=object),
        ages,
        pd.Series(mm[first], dtype="int64"),
    )
    allowed = answer["allowed"].to_numpy(dtype=object)
    lo = np.array([min(a) if isinstance(a, tuple) else np.nan for a in allowed], dtype="float64")
    hi = np.array([max(a) if isinstance(a, tuple) else np.nan for a in allowed], dtype="float64")
    return pd.DataFrame(
        {
            "expected": answer["expected"].to_numpy(dtype="float64")[inverse],
            "allowed": allowed[inverse],
            "allowed_lo": lo[inverse],
            "allowed_hi": hi[inverse],
            "per_child_unit": answer["per_child_unit"].to_numpy(dtype="float64")[inverse],
            "ruled": answer["legal_basis"].notna().to_numpy()[inverse],
        }
    )


def _roster_codes(ctx: AuditContext, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a roster column (-1 = missing) and the values they stand for (cached)."""
    cache = fact_cache(ctx)
    key = f"codes:{column}"
    if key not in cache:
        codes, values = pd.factorize(ctx.lines[column].astype("object"), use_na_sentinel=True)
        cache[key] = (codes.astype(np.int64), np.asarray([*values, None], dtype=object))
    result: tuple[np.ndarray, np.ndarray] = cache[key]
    return result


def due_coefficients(ctx: AuditContext, line_idx: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Coefficient a payment is due at: the recorded one, else the one the rules give (NaN if none)."""
    recorded = ctx.lines["coefficient"].to_numpy(dtype="float64", na_value=np.nan)[line_idx]
    need = np.isnan(recorded)
    if not need.any():
        return np.asarray(recorded, dtype="float64")
    out = recorded.copy()
    out[need] = expected_coefficients(ctx, line_idx[need], m[need])["expected"].to_numpy(dtype="float64")
    return np.asarray(out, dtype="float64")


def line_dues(ctx: AuditContext, line_idx: np.ndarray, m: np.ndarray, coefficient: np.ndarray) -> np.ndarray:
    """Due VND of each (line, month) at ``coefficient`` (:meth:`AuditContext.due_amount`)."""
    if len(line_idx) == 0:
        return np.zeros(0)
    return ctx.due_amount(
        pd.Series(line_idx, dtype="int64"),
        pd.Series(m, dtype="int64"),
        pd.Series(coefficient, dtype="float64"),
    ).to_numpy(dtype="float64")
