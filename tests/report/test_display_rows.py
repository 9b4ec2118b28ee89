"""Display helpers of the report: rows for the templates, money totals, masked IDs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit_toolkit.report.files import mask_id, mask_ids
from audit_toolkit.report.html import display_records, money_totals


def test_display_records_are_what_a_frame_gives() -> None:
    columns = {"no": [1, 2, 3], "name": ["A", "B", ""], "amount": [0, -5, 7]}
    assert display_records(columns) == pd.DataFrame(columns).to_dict("records")
    assert display_records({"no": [], "name": []}) == []


def test_display_records_refuse_columns_of_unequal_length() -> None:
    with pytest.raises(ValueError):
        display_records({"no": [1, 2], "name": ["A"]})


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        ([1_000, -250, np.nan, 0], (1_000, 250)),  # NaN counts as nothing
        (["2000", "x", -1], (2_000, 1)),  # text read as numbers, unreadable as nothing
        ([], (0, 0)),
        ([9_007_199_254_740, 1], (9_007_199_254_741, 0)),  # province-size sums stay exact
    ],
)
def test_money_totals(amounts: list[object], expected: tuple[int, int]) -> None:
    findings = pd.DataFrame({"amount_vnd": pd.Series(amounts, dtype="object")})
    assert money_totals(findings) == expected


def test_mask_ids_masks_each_value_as_mask_id_does() -> None:
    values = pd.Series(["006123451234", None, "123", "006123451234", "12345678"], index=[5, 6, 7, 8, 9])
    masked = mask_ids(values)
    assert masked.tolist() == ["006*****1234", "", "***", "006*****1234", "123*5678"]
    assert masked.tolist() == [mask_id(v) for v in values]
    assert list(masked.index) == [5, 6, 7, 8, 9]


def test_mask_ids_of_no_ids_is_empty() -> None:
    assert mask_ids(pd.Series([], dtype="str")).tolist() == []
