"""Month arithmetic on plain integers.

A month is ``year * 12 + (month - 1)``: 2023-02 is 24277. Integers vectorise, join and compare
fast; ``pd.Period`` objects do not.

Example:
    >>> m = month_num(2023, 2)
    >>> month_iso(m), month_label(m), month_iso(m + 11)
    ('2023-02', '02/2023', '2024-01')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "age_in_month",
    "month_iso",
    "month_label",
    "month_num",
    "month_of",
    "month_start",
    "month_end",
    "months_between",
]


def month_num(year: int, month: int) -> int:
    """Month number of ``year``-``month``."""
    return year * 12 + (month - 1)


def month_of(values: pd.Series | pd.Timestamp) -> pd.Series | int:
    """Month number of a timestamp, or of each value of a datetime Series (``Int64``, NA kept)."""
    if isinstance(values, pd.Timestamp):
        return month_num(values.year, values.month)
    s = pd.to_datetime(values)
    arr = s.to_numpy()
    if arr.dtype.kind != "M":  # timezone-aware: pandas' own fields
        out = s.dt.year * 12 + s.dt.month - 1
        return out.astype("Int64")
    # One cast to calendar months (counted from 1970-01) instead of two field extractions and
    # arithmetic on Series: the same numbers, NA where the date is missing.
    months = arr.astype("datetime64[M]").astype(np.int64) + 1970 * 12
    return pd.Series(pd.arrays.IntegerArray(months, np.isnat(arr)), index=s.index, name=s.name)


def month_iso(m: int) -> str:
    """``'YYYY-MM'`` of a month number."""
    y, mo = divmod(int(m), 12)
    return f"{y:04d}-{mo + 1:02d}"


def month_label(m: int) -> str:
    """``'MM/YYYY'`` (the Vietnamese way of writing a month) of a month number."""
    y, mo = divmod(int(m), 12)
    return f"{mo + 1:02d}/{y:04d}"


def month_start(m: int) -> pd.Timestamp:
    """First day of month ``m``."""
    y, mo = divmod(int(m), 12)
    return pd.Timestamp(year=y, month=mo + 1, day=1)


def month_end(m: int) -> pd.Timestamp:
    """Last day of month ``m``."""
    return month_start(m) + pd.offsets.MonthEnd(0)


def months_between(start: int, end: int) -> np.ndarray:
    """All month numbers from ``start`` to ``end`` inclusive."""
    return np.arange(int(start), int(end) + 1, dtype=np.int64)


def age_in_month(birth_month: pd.Series, m: pd.Series | int) -> pd.Series:
    """Age in completed years on the last day of month ``m`` (checks.md "Age in a month").

    Only the birth *month* matters: whoever has a birthday in ``m`` has already reached the new age
    in ``m``. A year-only birth date is 1 January, i.e. its birth month is January.

    Args:
        birth_month: month numbers of the birth dates (``Int64``; NA gives NA).
        m: month number(s) at which to measure.

    Example:
        >>> age_in_month(pd.Series([month_num(2019, 6)], dtype="Int64"), month_num(2023, 6)).tolist()
        [4]
    """
    diff = pd.Series(m, index=birth_month.index) - birth_month if isinstance(m, int) else m - birth_month
    return (diff // 12).astype("Int64")
