"""Fact: money by the month it is FOR (a catch-up lump spread over its months).

:func:`allocate_payments` is behind ``AuditContext.payments_linked``, so every payment check reads
the same month-allocated money (data contract §1a, checks.md "Payment month").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_toolkit.checks.base import AuditContext

__all__ = ["allocate_payments"]


def allocate_payments(ctx: AuditContext, linked: pd.DataFrame) -> pd.DataFrame:
    """Payment rows → one row per (payment row, month it is for), the money split over those months.

    A row's own ``amount`` covers ``for_from .. for_to`` (its month, unless the row is a catch-up
    lump); a separate ``arrears_amount`` covers ``extra_from .. extra_to``; a ``recovered_amount``
    (truy thu) is negative received money for ``recov_from .. recov_to`` (see
    :mod:`audit_toolkit.payment_months`). A lump is split equally over its months in units of the
    month's level (standard level, or social-pension level for HTXH lines): equal shares when the
    levels are equal, and a correct lump across a level change gives every month exactly its due.

    The result keeps every column of ``linked``; ``m`` is the month the money is for, ``amount`` the
    share, ``paid_m`` the row's own month, ``part`` (``own``/``arrears``/``recovered``), ``lump``
    (True for money that was not the month's own payment) and ``src_idx`` (the row's position in
    ``linked``); ``pay_idx`` is renumbered (0..n-1) and ``_row``/``source`` still name the source row.
    """
    p = linked.reset_index(drop=True)
    n = len(p)
    if not n or "for_from" not in p or not _has_lumps(p):
        # Every row pays its own month (the usual list): no copy of the frame, same columns.
        out = p
        out["paid_m"] = out["m"]
        out["part"] = "own"
        out["lump"] = False
        out["src_idx"] = np.arange(n, dtype=np.int64)
        return out
    m = p["m"].to_numpy(dtype="float64", na_value=np.nan)
    parts = []
    amount = p["amount"].to_numpy(dtype="float64", na_value=np.nan)
    specs = (
        ("own", "for_from", "for_to", amount, 1.0),
        ("arrears", "extra_from", "extra_to", _values(p, "arrears_amount"), 1.0),
        ("recovered", "recov_from", "recov_to", np.abs(_values(p, "recovered_amount")), -1.0),
    )
    for part, c_from, c_to, money, sign in specs:
        lo = p[c_from].to_numpy(dtype="float64", na_value=np.nan)
        hi = p[c_to].to_numpy(dtype="float64", na_value=np.nan)
        if part == "own":
            lo, hi = np.where(np.isnan(lo), m, lo), np.where(np.isnan(hi), m, hi)
            use = np.ones(n, dtype=bool)  # every row keeps its own amount (NaN stays NaN)
        else:
            use = ~np.isnan(lo) & ~np.isnan(hi) & ~np.isnan(money) & (money != 0)
        rows = np.flatnonzero(use)
        count = np.where(np.isnan(lo[rows]) | np.isnan(hi[rows]), 1, hi[rows] - lo[rows] + 1).astype(np.int64)
        src = np.repeat(rows, count)
        offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        month = np.repeat(lo[rows], count) + offset
        parts.append(
            pd.DataFrame(
                {
                    "src_idx": src,
                    "m_for": month,
                    "money": np.repeat(money[rows], count) * sign,
                    "count": np.repeat(count, count),
                    "part": part,
                }
            )
        )
    alloc = pd.concat(parts, ignore_index=True)
    alloc["share"] = _shares(ctx, p, alloc)
    # In source-row order (own money, then the row's arrears, then its recovered money), so the frame
    # is as stable as the input: one take of the wide frame, not two.
    alloc = alloc.iloc[np.argsort(alloc["src_idx"].to_numpy(), kind="stable")].reset_index(drop=True)
    out = p.take(alloc["src_idx"].to_numpy()).reset_index(drop=True)
    out["paid_m"] = out["m"]
    month = alloc["m_for"].to_numpy(dtype="float64")
    unknown = np.isnan(month)
    out["m"] = pd.arrays.IntegerArray(np.where(unknown, 0, month).astype(np.int64), unknown)
    out["amount"] = alloc["share"].to_numpy(dtype="float64")
    out["part"] = alloc["part"].to_numpy(dtype=object)
    out["lump"] = ((alloc["count"] > 1) | (alloc["part"] != "own")).to_numpy(dtype=bool)
    out["src_idx"] = alloc["src_idx"].to_numpy(dtype=np.int64)
    out["pay_idx"] = np.arange(len(out), dtype=np.int64)
    return out


def _has_lumps(p: pd.DataFrame) -> bool:
    """Whether any row covers other months than its own (a catch-up lump or recovered money)."""
    m = p["m"].to_numpy(dtype="float64", na_value=np.nan)
    own_from = p["for_from"].to_numpy(dtype="float64", na_value=np.nan)
    own_to = p["for_to"].to_numpy(dtype="float64", na_value=np.nan)
    other = (own_from != m) | (own_to != m)
    other &= ~(np.isnan(own_from) & np.isnan(m))
    separate = p["extra_from"].notna().to_numpy() | p["recov_from"].notna().to_numpy()
    return bool(other.any() or separate.any())


def _values(p: pd.DataFrame, column: str) -> np.ndarray:
    if column not in p:
        return np.full(len(p), np.nan)
    values: np.ndarray = p[column].to_numpy(dtype="float64", na_value=np.nan)
    return values


def _shares(ctx: AuditContext, p: pd.DataFrame, alloc: pd.DataFrame) -> np.ndarray:
    """Each month's share of its lump: money × level(m) / Σ level over the lump's months.

    The level is the base level of the paid line's category (the payment's own category when the
    payment is tied to no line); where a level is unknown for any month of the lump, equal shares.
    """
    money = alloc["money"].to_numpy(dtype="float64")
    count = alloc["count"].to_numpy(dtype="float64")
    equal: np.ndarray = money / count
    multi = count > 1
    if not multi.any():
        return equal
    src = alloc["src_idx"].to_numpy(dtype=np.int64)
    sub = np.flatnonzero(multi)
    # Only the lump rows' categories are needed (reading a million text cells costs more than the split).
    rows, at = np.unique(src[sub], return_inverse=True)
    cats = (
        p["category"].take(rows).astype("object").to_numpy()
        if "category" in p
        else np.full(len(rows), None, dtype=object)
    )
    if "line_idx" in p:
        li = p["line_idx"].take(rows).to_numpy(dtype="float64", na_value=np.nan)
        line_cat = ctx.lines["category"].astype("object").to_numpy()
        has = ~np.isnan(li)
        cats = cats.copy()
        cats[has] = line_cat[li[has].astype(np.int64)]
    level = ctx.rules.base_level(
        pd.Series(cats[at], dtype=object),
        pd.Series(alloc["m_for"].to_numpy()[sub], dtype="float64"),
        ctx.ward.province_code,
    ).to_numpy(dtype="float64")
    lump_key = pd.factorize(pd.MultiIndex.from_arrays([src[sub], alloc["part"].to_numpy()[sub]]))[0]
    total = np.bincount(lump_key, weights=np.nan_to_num(level, nan=0.0))
    unknown = np.bincount(lump_key, weights=np.isnan(level).astype(float)) > 0
    weighted = (
        money[sub] * np.nan_to_num(level, nan=0.0) / np.where(total[lump_key] > 0, total[lump_key], 1.0)
    )
    ok = ~unknown[lump_key] & (total[lump_key] > 0)
    out: np.ndarray = equal.copy()
    out[sub] = np.where(ok, weighted, equal[sub])
    return out
