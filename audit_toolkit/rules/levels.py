"""Which standard and social-pension levels an audit applied, month range by month range.

A committee must see at once which levels the amounts were judged against and how sure the toolkit
is of each: the report section "Mức chuẩn đã áp dụng" / "Levels applied" and ``manifest.json`` list
them from :func:`levels_applied`. The choice per month is the one :meth:`RuleSet.standard_level`
makes: ``rates.yml`` if it covers the month, else the provincial row when it is at least the national
one, else the national row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from audit_toolkit.errors import InputError
from audit_toolkit.months import month_iso

if TYPE_CHECKING:
    from audit_toolkit.rules.ruleset import RuleSet

__all__ = ["LEVEL_COLUMNS", "check_rates_not_below_national", "levels_applied"]

#: Columns of :func:`levels_applied`.
LEVEL_COLUMNS = [
    "level",
    "month_from",
    "month_to",
    "amount",
    "legal_basis",
    "confidence",
    "source",
    "source_file",
    "scope",
]
#: Report name of each level → its rule table.
_LEVELS = {"standard_level": "standard_level", "social_pension": "social_pension_level"}


def _covering(frame: pd.DataFrame, positions: np.ndarray, months: np.ndarray) -> np.ndarray:
    """For each month, the position (in ``frame``) of the row among ``positions`` in force, or -1."""
    from audit_toolkit.rules.ruleset import month_bounds

    out = np.full(len(months), -1, dtype=np.int64)
    if not len(positions):
        return out
    start, end = month_bounds(frame.iloc[positions])
    for pos, s, e in zip(positions, start, end, strict=True):
        out[(months >= s) & (months < e)] = pos
    return out


def _scope(frame: pd.DataFrame, scope: str | None) -> np.ndarray:
    if scope is None:
        return np.empty(0, dtype=np.int64)
    return np.flatnonzero((frame["scope"] == scope).to_numpy())


def levels_applied(rules: RuleSet, period_start: int, period_end: int) -> pd.DataFrame:
    """See :meth:`RuleSet.levels_applied`."""
    months = np.arange(int(period_start), int(period_end) + 1, dtype=float)
    extra_names = {p.name for p in rules.extra_files}
    old, new, merged_from = rules.province_scopes()
    records: list[dict[str, object]] = []
    for level, table in _LEVELS.items():
        frame = rules.tables[table].reset_index(drop=True)
        amounts = frame["amount"].to_numpy(dtype=float)
        nat = _covering(frame, _scope(frame, "national"), months)
        loc = _covering(frame, _scope(frame, old), months)
        if new is not None:
            after = _covering(frame, _scope(frame, new), months)
            loc = np.where((months >= merged_from) & (after >= 0), after, loc)
        nat_amount = np.where(nat >= 0, amounts[np.maximum(nat, 0)], np.nan)
        loc_amount = np.where(loc >= 0, amounts[np.maximum(loc, 0)], np.nan)
        use_loc = (loc >= 0) & ((nat < 0) | (loc_amount >= nat_amount))
        chosen = np.where(use_loc, loc, nat)
        rates = rules.rates.frames.get(table) if rules.rates is not None else None
        from_rates = np.full(len(months), -1, dtype=np.int64)
        if rates is not None and len(rates):
            from_rates = _covering(rates, np.arange(len(rates)), months)
        # One key per month: (which frame, row position); consecutive equal keys form one range.
        keys = [(1, int(r)) if r >= 0 else (0, int(c)) for r, c in zip(from_rates, chosen, strict=True)]
        i = 0
        while i < len(keys):
            j = i
            while j + 1 < len(keys) and keys[j + 1] == keys[i]:
                j += 1
            kind, pos = keys[i]
            if pos >= 0:
                row = (rates if kind == 1 else frame).iloc[pos]  # type: ignore[union-attr]
                if kind == 1:
                    source = "rates"
                elif row["file"] in extra_names:
                    source = "extra"
                else:
                    source = "national" if row["scope"] == "national" else "province"
                records.append(
                    {
                        "level": level,
                        "month_from": month_iso(int(months[i])),
                        "month_to": month_iso(int(months[j])),
                        "amount": float(row["amount"]),
                        "legal_basis": str(row["legal_basis"]),
                        "confidence": str(row["confidence"] or "M"),
                        "source": source,
                        "source_file": str(row["file"]),
                        "scope": str(row["scope"]),
                    }
                )
            i = j + 1
    return pd.DataFrame.from_records(records, columns=LEVEL_COLUMNS)


def check_rates_not_below_national(rules: RuleSet) -> None:
    """Raise when a ``rates.yml`` row is below the national level of a month it covers.

    A province may only pay more than the national level (NĐ 20/2021/NĐ-CP Điều 4 khoản 3).

    Raises:
        InputError: naming the file, the line, the month and both amounts.
    """
    from audit_toolkit.rules.ruleset import month_bounds

    rates = rules.rates
    if rates is None:
        return
    for level, table in _LEVELS.items():
        frame = rates.frames.get(table)
        if frame is None or not len(frame):
            continue
        national = rules.tables[table]
        nat_start, _ = month_bounds(national[national["scope"] == "national"])
        horizon = float(np.max(nat_start[np.abs(nat_start) < 1e17], initial=0.0))
        start, end = month_bounds(frame)
        for pos, (s, e, amount) in enumerate(zip(start, end, frame["amount"], strict=True)):
            last = e - 1 if abs(e) < 1e17 else max(s, horizon)
            months = np.arange(s, last + 1, dtype=float)
            floor = rules._lookup_scope(table, "national", months)
            below = np.flatnonzero(~np.isnan(floor) & (float(amount) < floor))
            if len(below):
                k = int(below[0])
                line = rates.lines.get((table, pos))
                raise InputError(
                    f"rates.yml: {level} {float(amount):,.0f} VND (line {line}) is below the national level "
                    f"{floor[k]:,.0f} VND of {month_iso(int(months[k]))}",
                    file=rates.path,
                    fix="a province may only set a higher level (NĐ 20/2021/NĐ-CP Điều 4 khoản 3): "
                    "correct the amount or end the row before that month",
                )
