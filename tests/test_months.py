"""Month numbers (``year * 12 + month - 1``) of dates, as every check counts months."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit_toolkit.months import month_iso, month_num, month_of


@pytest.mark.parametrize(
    "dates",
    [
        pd.Series(
            pd.to_datetime(["2023-01-31", "1899-12-01", None, "2100-07-15"]), index=[5, 3, 9, 1], name="d"
        ),
        pd.Series(np.array(["1500-03-01", "2023-05-02"], dtype="datetime64[s]")),  # beyond nanoseconds' range
        pd.Series(np.array(["1969-12-31T23:00", "1970-01-01T00:30"], dtype="datetime64[m]")),
        pd.Series(["2023-01-05", None, "1950-12-31"]),  # text, read as dates
        pd.Series(pd.to_datetime(["2023-01-31 23:30"]).tz_localize("Asia/Ho_Chi_Minh")),
        pd.Series([], dtype="datetime64[ns]"),
    ],
)
def test_month_of_counts_each_dates_calendar_month(dates: pd.Series) -> None:
    got = month_of(dates)
    assert isinstance(got, pd.Series) and str(got.dtype) == "Int64"
    assert got.index.equals(dates.index) and got.name == dates.name
    parsed = pd.to_datetime(dates)
    for value, when in zip(got.tolist(), parsed.tolist(), strict=True):
        if pd.isna(when):
            assert value is pd.NA  # a missing date stays missing
        else:
            assert value == month_num(when.year, when.month)
            assert month_iso(value) == f"{when.year:04d}-{when.month:02d}"


def test_month_of_a_timestamp() -> None:
    assert month_of(pd.Timestamp("2025-07-01")) == 2025 * 12 + 6
