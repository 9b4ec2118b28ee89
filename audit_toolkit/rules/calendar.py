"""Vietnamese working-day calendar (vectorised).

Working days are Monday-Friday, minus the public holidays of the ``holidays`` package
(``holidays.country_holidays("VN")``: Tết Dương lịch, Tết Nguyên Đán with the 29/30 Tết and observed
days, Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh and the government's announced day swaps), minus the
extra non-working days of ``deadlines.yml``, plus the make-up Saturdays the package knows
(``weekend_workdays``) and the extra working days of ``deadlines.yml``.

Example:
    >>> import pandas as pd
    >>> s = pd.Series(pd.to_datetime(["2023-01-19"])); e = pd.Series(pd.to_datetime(["2023-01-27"]))
    >>> int(working_days_between(s, e, weekmask="Mon Tue Wed Thu Fri").iloc[0])  # Tết 20-26/1/2023
    1
"""

from __future__ import annotations

import functools

import holidays
import numpy as np
import pandas as pd

__all__ = ["package_days", "working_days_between"]

_NO_DAYS = np.array([], dtype="datetime64[D]")


@functools.lru_cache(maxsize=32)
def package_days(first_year: int, last_year: int) -> tuple[np.ndarray, np.ndarray]:
    """Public holidays and make-up working days of the ``holidays`` package for a span of years.

    Returns:
        ``(holidays, weekend_workdays)``, both sorted ``datetime64[D]`` arrays.
    """
    years = range(first_year, last_year + 1)
    calendar = holidays.country_holidays("VN", years=years, observed=True)
    days = np.array(sorted(calendar.keys()), dtype="datetime64[D]")
    # weekend_workdays: Saturdays worked in exchange for a bridge day off (e.g. 04/5/2024 for 29/4/2024).
    workdays = np.array(
        sorted(d for d in getattr(calendar, "weekend_workdays", ()) if first_year <= d.year <= last_year),
        dtype="datetime64[D]",
    )
    return days, workdays


def _days(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``datetime64[D]`` values and a validity mask of a datetime-like Series."""
    stamps = pd.to_datetime(values)
    valid = stamps.notna().to_numpy()
    days = stamps.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return days, valid


def working_days_between(
    start_dates: pd.Series,
    end_dates: pd.Series,
    *,
    weekmask: str = "Mon Tue Wed Thu Fri",
    extra_non_working: np.ndarray = _NO_DAYS,
    extra_working: np.ndarray = _NO_DAYS,
) -> pd.Series:
    """Working days in ``(start, end]`` for each pair of dates (``Int64``; NA where a date is missing).

    The start day itself is not counted (the day the file is received); the end day is. When ``end``
    is before ``start`` the count is negative.

    Args:
        start_dates: e.g. application dates.
        end_dates: e.g. decision dates, aligned with ``start_dates``.
        weekmask: numpy weekmask of working weekdays.
        extra_non_working: further days off (``datetime64[D]``).
        extra_working: further weekend days that were worked (``datetime64[D]``).

    Returns:
        Working-day counts, indexed like ``start_dates``.
    """
    start, ok_start = _days(start_dates)
    end, ok_end = _days(end_dates)
    valid = ok_start & ok_end
    out = np.zeros(len(start), dtype=np.int64)
    if valid.any():
        s = start[valid] + np.timedelta64(1, "D")
        e = end[valid] + np.timedelta64(1, "D")
        first = int(min(s.min(), e.min()).astype("datetime64[Y]").astype(int)) + 1970
        last = int(max(s.max(), e.max()).astype("datetime64[Y]").astype(int)) + 1970
        public, made_up = package_days(first, last)
        off = np.union1d(public, np.asarray(extra_non_working, dtype="datetime64[D]"))
        worked = np.setdiff1d(np.union1d(made_up, np.asarray(extra_working, dtype="datetime64[D]")), off)
        counts = np.busday_count(s, e, weekmask=weekmask, holidays=off)
        # Make-up Saturdays in [s, e) are working days busday_count skipped as weekend.
        counts += np.searchsorted(worked, e) - np.searchsorted(worked, s)
        out[valid] = counts
    index = start_dates.index if isinstance(start_dates, pd.Series) else None
    return pd.Series(pd.array(np.where(valid, out, 0), dtype="Int64"), index=index).mask(~valid)
