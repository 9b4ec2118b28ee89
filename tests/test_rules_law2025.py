"""Rule rows of the 2025 law used by the checks: categories ended by NĐ 176/2025 (``category_ends``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit_toolkit.errors import RuleError
from audit_toolkit.months import month_num
from audit_toolkit.rules import PACKAGED_DIR, load_rules


@pytest.fixture
def rule_dir(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    target.mkdir()
    for path in PACKAGED_DIR.glob("*.yml"):
        shutil.copy(path, target / path.name)
    return target


def test_k5b_and_k5c_end_in_2025_07_with_a_citation() -> None:
    rules = load_rules()
    ends = rules.category_end_month(pd.Series(["K5b", "K5c", "K6", "HTXH"])).tolist()
    assert ends[:2] == [month_num(2025, 7), month_num(2025, 7)]
    assert np.isnan(ends[2]) and np.isnan(ends[3])  # categories that go on
    table = rules.category_ends
    assert set(table["replaced_by"]) == {"HTXH"}
    assert table["legal_basis"].str.contains("176/2025").all()
    assert set(table["confidence"]) == {"L"}  # the domain file: transition article not verified
    cites = rules.citations()
    assert set(cites.loc[cites["table"] == "category_ends", "key"]) == {"K5b", "K5c"}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "{category: K5b, ends:",
            "{category: K9, ends:",
            "category 'K9' is not a known category code",
        ),  # unknown code
        (  # no citation
            'legal_basis: "NĐ 176/2025/NĐ-CP (điều khoản chuyển tiếp: đối tượng NĐ 20/2021/NĐ-CP Điều 5 khoản 5 '
            'điểm b chuyển sang hưởng trợ cấp hưu trí xã hội)"',
            'legal_basis: ""',
            "legal_basis is missing",
        ),
        ("{category: K5c, ends:", "{category: K5b, ends:", "category 'K5b' ends twice"),  # two rows
        ("{category: K5b, ends: 2025-07-01,", "{category: K5b, ends: null,", "ends is missing"),  # no date
    ],
)
def test_bad_category_ends_rows_are_rule_errors(rule_dir: Path, old: str, new: str, message: str) -> None:
    path = rule_dir / "social_pension.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RuleError, match=message):
        load_rules(rule_dir)


def test_category_ends_round_trip_through_dump(tmp_path: Path) -> None:
    rules = load_rules()
    rules.dump(tmp_path)
    again = load_rules(tmp_path)
    pd.testing.assert_frame_equal(
        again.category_ends.reset_index(drop=True), rules.category_ends.reset_index(drop=True)
    )
