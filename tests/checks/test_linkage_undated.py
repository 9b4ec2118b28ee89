"""POSSIBLE_DUPLICATE and rows without a usable birth date (``WardData.undated``).

A row whose only problem is its birth date (empty, unreadable, empty under both Nam and Nữ) stays an
UNREADABLE_ROW finding, and POSSIBLE_DUPLICATE also asks whether it is a listed person again: its
birth date compares as missing (weight 0), so name, sex and address/household must carry the pair.
The model's parameters are estimated on the readable lines alone, so readable pairs score exactly as
without the undated rows. Read through the real loader from CSV and from an office-layout workbook.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from audit_toolkit import load_ward
from audit_toolkit.audit import run_audit
from audit_toolkit.checks.linkage import find_cross_ward_possible_duplicates, possible_duplicate_frame

_HEADER = ["Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Địa chỉ", "Mã hộ", "Đối tượng", "Hệ số"]
_FAMILY = ["Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
_GIVEN = ["Bảo", "Cường", "Duy", "Giang", "Khánh", "Long", "Minh", "Nga", "Oanh", "Phong", "Quý"]
_META = 'ward_code: "{code}"\nward_name: "{name}"\nprovince_code: "06"\nprovince_name: "Bắc Kạn"\n'


def _fillers(n: int = 22) -> list[list[str]]:
    """Clean, distinct people (they never pair with the lines under test)."""
    rows = []
    for i in range(n):
        name = f"{_FAMILY[i % len(_FAMILY)]} Thị {_GIVEN[(i * 7 + i // len(_FAMILY)) % len(_GIVEN)]}"
        birth = f"{1 + (i * 5) % 28:02d}/{1 + i % 12:02d}/{1940 + i}"
        rows.append([name, birth, "Nữ", "", f"Tổ {i + 20}", f"F{i}", "K6", "2"])
    return rows


def _row(name: str = "Nguyễn Văn Thanh", birth: str = "10/05/1950", **over: str) -> list[str]:
    base = {"sex": "Nam", "id": "", "address": "Tổ 3, phường Phùng Chí Kiên", "household": "H001"}
    base.update(over)
    return [name, birth, base["sex"], base["id"], base["address"], base["household"], "K6", "2"]


def _ward(tmp: Path, rows: list[list[str]], *, code: str = "01843", name: str = "Phùng Chí Kiên") -> Path:
    folder = tmp / code
    folder.mkdir()
    (folder / "ward.yml").write_text(_META.format(code=code, name=name), encoding="utf-8")
    pd.DataFrame(rows, columns=_HEADER).to_csv(folder / "beneficiaries.csv", index=False)
    return folder


def _audit(folder: Path) -> pd.DataFrame:
    result = run_audit(
        load_ward(folder),
        as_of="2023-02-28",
        period_from="2022-01",
        only={"POSSIBLE_DUPLICATE", "UNREADABLE_ROW", "DUPLICATE_PERSON"},
        quality=False,
    )
    return result.findings


@pytest.mark.parametrize("birth", ["", "31/02/1950", "không rõ"])
def test_undated_copy_of_a_listed_person_is_asked_about(tmp_path: Path, birth: str) -> None:
    # Row 2: the listed person; row 3: the same name, sex, address and household, no usable birth date.
    folder = _ward(tmp_path, [_row(), _row(birth=birth), *_fillers()])
    ward = load_ward(folder)
    assert ward.undated is not None and ward.undated["_row"].tolist() == [3]
    found = _audit(folder)
    assert found.loc[found["check_id"] == "UNREADABLE_ROW", "source"].tolist() == ["beneficiaries:3"]
    pd_rows = found.loc[found["check_id"] == "POSSIBLE_DUPLICATE"]
    assert len(pd_rows) == 1
    assert pd_rows["source"].iloc[0] == "beneficiaries:2;beneficiaries:3"
    evidence = json.loads(pd_rows["evidence"].iloc[0])
    fields = {f["field"]: f for f in evidence["pairs"][0]["fields"]}
    assert fields["birth"]["level"] == "missing" and fields["birth"]["weight"] == 0
    assert pd_rows["amount_vnd"].iloc[0] == 0


@pytest.mark.parametrize(
    "other",
    [
        # another given name in the same household (a sibling): vetoed
        _row(name="Nguyễn Văn Tuấn", birth=""),
        # the same common name elsewhere, nothing else in common: no evidence of one person
        _row(birth="", address="Tổ 9, phường Đức Xuân", household="H777"),
        # the same name, another sex: two people
        _row(birth="", sex="Nữ", household="H002"),
    ],
)
def test_undated_row_of_another_person_is_left_alone(tmp_path: Path, other: list[str]) -> None:
    found = _audit(_ward(tmp_path, [_row(), other, *_fillers()]))
    assert found.loc[found["check_id"] == "UNREADABLE_ROW", "source"].tolist() == ["beneficiaries:3"]
    assert (found["check_id"] == "POSSIBLE_DUPLICATE").sum() == 0


def test_rows_with_other_problems_are_not_compared(tmp_path: Path) -> None:
    # No name, or an unknown category besides the missing date: not an undated line.
    no_name = _row(name="", birth="")
    bad_category = _row(birth="")
    bad_category[6] = "Diện không có"
    folder = _ward(tmp_path, [_row(), no_name, bad_category, *_fillers()])
    assert load_ward(folder).undated is not None
    assert load_ward(folder).undated.empty  # type: ignore[union-attr]
    found = _audit(folder)
    assert sorted(found.loc[found["check_id"] == "UNREADABLE_ROW", "source"]) == [
        "beneficiaries:3",
        "beneficiaries:4",
    ]
    assert (found["check_id"] == "POSSIBLE_DUPLICATE").sum() == 0


def test_two_undated_pairs_stay_two_findings(tmp_path: Path) -> None:
    # Neither undated row has a person key: each finding keeps its own lines.
    other = _row(name="Trần Thị Lan", birth="02/03/1948", sex="Nữ", household="H050", address="Tổ 7")
    rows = [_row(), _row(birth=""), other, [*other[:1], "", *other[2:]], *_fillers()]
    found = _audit(_ward(tmp_path, rows))
    pairs = sorted(found.loc[found["check_id"] == "POSSIBLE_DUPLICATE", "source"])
    assert pairs == ["beneficiaries:2;beneficiaries:3", "beneficiaries:4;beneficiaries:5"]


def test_readable_pairs_score_as_without_undated_rows(tmp_path: Path) -> None:
    # A readable near duplicate (day and month swapped) scores the same with or without undated rows.
    base = [_row(), _row(birth="05/10/1950"), *_fillers()]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    alone = _audit(_ward(tmp_path / "a", base))
    undated = _row(name="Trần Thị Lan", birth="", sex="Nữ", household="H050", address="Tổ 7")
    both = _audit(_ward(tmp_path / "b", [*base, undated]))
    pick = ["source", "detail", "amount_vnd"]
    a = alone.loc[alone["check_id"] == "POSSIBLE_DUPLICATE", pick].reset_index(drop=True)
    b = both.loc[both["check_id"] == "POSSIBLE_DUPLICATE", pick].reset_index(drop=True)
    assert len(a) == 1
    pd.testing.assert_frame_equal(a, b)


def test_office_layout_row_empty_under_nam_and_nu(tmp_path: Path) -> None:
    # The printed form: birth year under Nam / Nữ; a row with both empty is undated (sex unknown too).
    folder = tmp_path / "01843"
    folder.mkdir()
    (folder / "ward.yml").write_text(_META.format(code="01843", name="Phùng Chí Kiên"), encoding="utf-8")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "beneficiaries"
    ws.append(["STT", "Họ và tên", "Năm sinh", None, "Địa chỉ", "Mã hộ", "Hệ số"])
    ws.append([None, None, "Nam", "Nữ", None, None, None])
    ws.append(["I", "Người khuyết tật nặng", None, None, None, None, None])
    ws.append([1, "Nguyễn Văn Thanh", 1950, None, "Tổ 3, phường Phùng Chí Kiên", "H001", 2])
    ws.append([2, "Nguyễn Văn Thanh", None, None, "Tổ 3, phường Phùng Chí Kiên", "H001", 2])
    for i, (name, birth, *_rest) in enumerate(_fillers(), start=3):
        ws.append([i, name, None, int(birth[-4:]), f"Tổ {i + 20}", f"F{i}", 2])
    ws.merge_cells("C1:D1")
    wb.save(folder / "beneficiaries.xlsx")
    ward = load_ward(folder)
    assert ward.undated is not None and ward.undated["_row"].tolist() == [5]
    found = _audit(folder)
    assert found.loc[found["check_id"] == "UNREADABLE_ROW", "source"].tolist() == ["beneficiaries:5"]
    assert found.loc[found["check_id"] == "POSSIBLE_DUPLICATE", "source"].tolist() == [
        "beneficiaries:4;beneficiaries:5"
    ]


def test_cross_ward_undated_row(tmp_path: Path) -> None:
    # Listed in ward A with a birth date, in ward B without one (another address: household differs).
    a = _ward(tmp_path, [_row(), *_fillers(10)])
    b = _ward(
        tmp_path,
        [_row(birth="", address="Tổ 3, phường Phùng Chí Kiên cũ", household="H001"), *_fillers(5)],
        code="01840",
        name="Đức Xuân",
    )
    results = [
        run_audit(load_ward(w), as_of="2023-02-28", period_from="2022-01", only=set(), quality=False)
        for w in (a, b)
    ]
    frames = [possible_duplicate_frame(r.context) for r in results]
    assert frames[1]["undated"].tolist() == [False] * 5 + [True]
    raw = find_cross_ward_possible_duplicates(frames, stackable=results[0].context.rules.stackable)
    assert len(raw) == 1
    assert set(raw["sources"].iloc[0]) == {"01843/beneficiaries:2", "01840/beneficiaries:2"}
