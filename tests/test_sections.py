"""find_sections on small grids: a tidy list (no candidate row), subtotals alone, and sections."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit_toolkit.contract import load_category_table
from audit_toolkit.io.sections import find_sections
from audit_toolkit.normalize import normalize_text

# Grid columns: 0 STT, 1 name, 2 birth year, 3 amount.
PERSON = [2]  # birth year (the name column is not a person column here: a label may sit there)
MONEY = [3]


def _grid(rows: list[list[str | None]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    data = pd.DataFrame(rows, columns=range(4), dtype="str", index=pd.RangeIndex(5, 5 + len(rows)))
    present = data.notna() & data.apply(lambda c: c.str.strip().ne("")).fillna(False)
    return data, present.astype(bool)


def _sections(rows: list[list[str | None]]):  # type: ignore[no-untyped-def]
    data, present = _grid(rows)
    return find_sections(
        data,
        present,
        person_cols=PERSON,
        name_cols=[1],
        money_cols=MONEY,
        categories=load_category_table(),
    )


def test_a_tidy_list_has_no_section_and_every_label_missing() -> None:
    found = _sections([["1", "Nguyễn Văn A", "1940", "500000"], ["2", "Trần Thị B", "1938", "500000"]])
    assert found.count == 0 and found.labels == []
    assert not found.section_rows.any() and not found.subtotal_rows.any() and not found.mapped.any()
    assert found.label.isna().all() and found.path.isna().all()
    # The same missing label as cleaning a missing section label gives (what the full path computes).
    expected = normalize_text(pd.Series([None], dtype="object")).values.astype("str")
    assert found.label.dtype == expected.dtype == found.path.dtype
    assert list(found.label.index) == [5, 6]


def test_a_row_with_only_an_amount_is_a_subtotal_without_any_section() -> None:
    found = _sections(
        [
            ["1", "Nguyễn Văn A", "1940", "500000"],
            [None, None, None, "500000"],
            ["2", "Trần Thị B", "1938", "1"],
        ]
    )
    assert found.subtotal_rows.tolist() == [False, True, False]
    assert found.count == 0 and not found.section_rows.any()


def test_a_section_row_labels_the_rows_below_it() -> None:
    found = _sections(
        [
            ["I", "Người cao tuổi từ đủ 80 tuổi trở lên", None, None],
            ["1", "Nguyễn Văn A", "1940", "500000"],
            ["Cộng", None, None, "500000"],
        ]
    )
    assert found.section_rows.tolist() == [True, False, False]
    assert found.subtotal_rows.tolist() == [False, False, True]
    assert found.count == 1
    assert found.mapped.tolist() == [True, True, True]
    assert found.label.notna().all() and not np.any(found.path.isna())
