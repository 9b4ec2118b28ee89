"""Fact: the month a line reaches its category's age limit, with the continuation while studying.

:func:`age_limits` reads ``age_limits.yml``: a K1 line whose holder is studying (the row's
``continues_when`` flag) continues to the limit of the category it continues as (K2). AGE_OUT,
INELIGIBLE and the entitlement months all read the limit month from here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext
from audit_toolkit.checks.facts.cache import fact_cache

__all__ = ["age_limits"]


def age_limits(ctx: AuditContext) -> pd.DataFrame:
    """Per line of ``ctx.lines`` (same index): its age limit and the month it is reached.

    Columns: ``limit`` (float; NaN = the category has no age limit), ``continues_as`` (the category
    the line continues as while its holder meets ``continues_when``, else None), ``continues_limit``
    (that category's limit; NaN = none), ``continues`` (the holder meets the condition, so ``limit``
    is the continued one) and ``limit_m`` (birth month + 12 × limit; NaN without a birth date).

    Example:
        >>> age_limits(ctx).loc[0, ["limit", "continues", "limit_m"]]  # doctest: +SKIP
    """
    cache = fact_cache(ctx)
    rules = ctx.rules
    # Keyed by the rule set: a context audited again under other rules recomputes its limits.
    hit = cache.get("age_limits")
    if hit is not None and hit[0] is rules:
        cached: pd.DataFrame = hit[1]
        return cached
    lines = ctx.lines
    # Only the age_limits table is read (category, age, continues_as, continues_when).
    table = rules.age_limits.drop_duplicates("category").set_index("category")
    ages = table["age"].astype("float64")
    # Per distinct category, then spread by code: no Series.map over the (text) roster column.
    codes, uniques = pd.factorize(lines["category"].astype("object"))
    cats = pd.Index(uniques, dtype=object)

    def per_line(values: pd.Series, fill: object) -> np.ndarray:
        looked = values.reindex(cats).to_numpy(dtype=object)
        out: np.ndarray = np.append(looked, np.array([fill], dtype=object))[
            np.where(codes < 0, len(cats), codes)
        ]
        out[pd.isna(out)] = fill
        return out

    limit = per_line(ages, np.nan).astype("float64")
    continues_as = (
        per_line(table["continues_as"].astype("object"), None)
        if "continues_as" in table
        else np.full(len(lines), None, dtype=object)
    )
    continues_when = (
        per_line(table["continues_when"].astype("object"), None)
        if "continues_when" in table
        else np.full(len(lines), None, dtype=object)
    )
    further = ages.reindex(pd.Index(continues_as, dtype=object)).to_numpy(dtype="float64")
    continues_limit = np.where(pd.isna(continues_as), np.nan, further)
    continues = np.zeros(len(lines), dtype=bool)
    for flag in pd.unique(continues_when[~pd.isna(continues_when)]):
        if str(flag) not in lines:  # the roster does not say it: the condition is unknown, not met
            continue
        on = continues_when == flag
        continues |= on & lines[str(flag)].fillna(False).astype(bool).to_numpy(dtype=bool)
    continues &= ~np.isnan(continues_limit)
    limit = np.where(continues, continues_limit, limit)
    birth_m = lines["birth_m"].to_numpy(dtype="float64", na_value=np.nan)
    frame = pd.DataFrame(
        {
            "limit": limit,
            "continues_as": continues_as,
            "continues_limit": continues_limit,
            "continues": continues,
            "limit_m": birth_m + 12 * limit,
        },
        index=lines.index,
    )
    cache["age_limits"] = (rules, frame)
    return frame
