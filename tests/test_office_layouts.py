"""Office layouts (data contract §1a), each built in openpyxl as ward offices keep them, and broken in
the ways the contract names: what is read (category, level, sex, month, amount, paid, rows) and the
errors / UNREADABLE_ROWs."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from audit_toolkit.errors import InputError
from audit_toolkit.io import load_ward
from audit_toolkit.months import month_num

TITLE = ["UBND PHƯỜNG NGUYỄN THỊ MINH KHAI"]
FORM_TITLE = ["DANH SÁCH ĐỐI TƯỢNG BẢO TRỢ XÃ HỘI HƯỞNG TRỢ CẤP HẰNG THÁNG"]
# Two header rows: "Năm sinh" merged over "Nam" | "Nữ" (columns C:D); the other headers merged down.
HEAD1 = ["STT", "Họ và tên", "Năm sinh", None, "Địa chỉ", "Mức hưởng", "Ghi chú"]
HEAD2 = [None, None, "Nam", "Nữ", None, None, None]
HEAD_MERGES = ["A3:A4", "B3:B4", "C3:D3", "E3:E4", "F3:F4", "G3:G4"]


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]], merges: dict[str, list[str]] | None = None) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
    wb.save(path)
    return path


def section(text: str, row: int) -> tuple[list[object], str]:
    """A section row with its label merged across A:G."""
    return [text], f"A{row}:G{row}"


def form(body: list[list[object] | tuple[list[object], str]]) -> tuple[list[list[object]], list[str]]:
    """Title rows + two header rows + ``body`` (section rows as ``(cells, merge)``); rows start at 5."""
    rows: list[list[object]] = [TITLE, FORM_TITLE, HEAD1, HEAD2]
    merges = list(HEAD_MERGES)
    for item in body:
        if isinstance(item, tuple):
            cells, rng = item
            rows.append(cells)
            merges.append(rng)
        else:
            rows.append(item)
    return rows, merges


def person(stt: int, name: str, year: object, sex: str = "M", amount: object = 720000, note: str | None = None):
    return [stt, name, year if sex == "M" else None, year if sex == "F" else None, "Tổ 5", amount, note]


def load_form(tmp_path: Path, body: list, sheet: str = "Danh sách đối tượng") -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, merges = form(body)
    write_xlsx(tmp_path / "Danh sách đối tượng.xlsx", {sheet: rows}, {sheet: merges})
    ward = load_ward(tmp_path)
    return ward.tables["beneficiaries"], ward.unreadable


# ---------------------------------------------------------------------------------------------
# Category sections


def test_sections_give_category_level_and_sex(tmp_path):
    ben, bad = load_form(
        tmp_path,
        [
            section("I. NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG", 5),  # row 5
            person(1, "Hoàng Văn Tâm", 1970),  # row 6
            person(2, "Nông Thị Hoa", "12/05/1980", "F"),  # row 7
            ["Cộng mục I", None, None, None, None, 1440000, None],  # row 8: subtotal
            section("II. NGƯỜI CAO TUỔI TỪ ĐỦ 80 TUỔI TRỞ LÊN", 9),  # row 9
            person(1, "Ma Văn Sơn", 1935, amount=540000),  # row 10: STT restarts
            person(2, "Lường Thị Hà", 1938, "F", amount=540000),  # row 11
            ["Cộng: 2 người", None, None, None, None, None, None],  # row 12: subtotal
            [None, None, None, None, None, 1080000, None],  # row 13: only a number in the amount column
            ["Tổng cộng", None, None, None, None, 2520000, None],  # row 14
            [None, "Người lập biểu", None, None, "Chủ tịch UBND", None, None],  # row 15: signatures
        ],
    )
    assert bad.empty
    assert ben["_row"].tolist() == [6, 7, 10, 11]
    assert ben["category"].tolist() == ["K6", "K6", "K5c", "K5c"]
    assert ben["disability_level"].tolist()[:2] == ["especially_severe"] * 2
    assert ben["sex"].tolist() == ["M", "F", "M", "F"]
    assert ben["birth_date"].dt.year.tolist() == [1970, 1980, 1935, 1938]
    assert ben["birth_date_year_only"].tolist() == [True, False, True, True]
    assert ben["monthly_amount"].tolist() == [720000, 720000, 540000, 540000]


def test_nested_sections_join_labels_outer_to_inner(tmp_path):
    ben, bad = load_form(
        tmp_path,
        [
            section("I. NGƯỜI KHUYẾT TẬT", 5),
            section("1. Đặc biệt nặng", 6),
            person(1, "Hoàng Văn Tâm", 1970),  # row 7: K6 especially severe
            section("2. Nặng", 8),
            person(1, "Hà Văn Long", 1975),  # row 9: K6 severe (STT restarts)
            section("II. NGƯỜI CAO TUỔI", 10),
            section("1. Người cao tuổi cô đơn", 11),
            person(1, "Đàm Thị Mai", 1950, "F"),  # row 12: K5a
            section("2. Từ đủ 80 tuổi trở lên", 13),
            person(1, "Bàn Văn Nam", 1936),  # row 14: K5c
            section("III. TRẺ EM", 15),
            section("a) Trẻ mồ côi", 16),
            person(1, "Lý Văn Bình", "03/04/2015"),  # row 17: K1
        ],
    )
    assert bad.empty
    assert ben["category"].tolist() == ["K6", "K6", "K5a", "K5c", "K1"]
    assert ben["disability_level"].tolist()[:2] == ["especially_severe", "severe"]
    assert ben["_row"].tolist() == [7, 9, 12, 14, 17]


def test_letter_outer_roman_inner_and_label_in_the_name_column(tmp_path):
    # "A." outside "I." (the other common order), and the numbering in STT with the label beside it
    ben, bad = load_form(
        tmp_path,
        [
            section("A. TRỢ CẤP XÃ HỘI HẰNG THÁNG", 5),
            ["I", "NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG", None, None, None, None, None],  # row 6
            person(1, "Hoàng Văn Tâm", 1970),  # row 7
            ["II", "NGƯỜI ĐƠN THÂN NGHÈO ĐANG NUÔI CON", None, None, None, None, None],  # row 8
            person(1, "Nông Thị Hoa", 1990, "F"),  # row 9
            section("B. KINH PHÍ CHĂM SÓC", 10),
            person(1, "Ma Thị Lan", 1968, "F"),  # row 11: C2
        ],
    )
    assert bad.empty
    assert ben["category"].tolist() == ["K6", "K4", "C2"]


@pytest.mark.parametrize(
    ("body", "row", "reason"),
    [
        # a record above any section row
        ([person(1, "Hoàng Văn Tâm", 1970), section("I. NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG", 6), person(1, "Hà Văn Long", 1975)],
         5, "record above any section row"),
        # a section label that maps to no category: every record under it, naming the label
        ([section("I. NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG", 5), person(1, "Hà Văn Long", 1975),
          section("II. HỖ TRỢ ĐỘT XUẤT", 7), person(1, "Hoàng Văn Tâm", 1970)],
         8, "section label 'HỖ TRỢ ĐỘT XUẤT' maps to no category"),
        # a nested label that maps to nothing does not borrow its parent's category
        ([section("I. NGƯỜI KHUYẾT TẬT", 5), section("1. Hỗ trợ đột xuất", 6), person(1, "Hoàng Văn Tâm", 1970),
          section("2. Đặc biệt nặng", 8), person(1, "Hà Văn Long", 1975)],
         7, "section label 'NGƯỜI KHUYẾT TẬT › Hỗ trợ đột xuất' maps to no category"),
    ],
)
def test_sections_broken(tmp_path, body, row, reason):
    ben, bad = load_form(tmp_path, body)
    assert bad["row"].tolist() == [row]
    assert reason in bad["reason"].iloc[0]
    assert bad["column"].tolist() == ["category"]
    assert len(ben) == 1 and ben["category"].tolist() == ["K6"]


def test_category_column_wins_over_sections(tmp_path):
    head1 = [*HEAD1[:6], "Đối tượng"]
    rows: list[list[object]] = [TITLE, FORM_TITLE, head1, HEAD2]
    rows += [
        ["I. NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG"],  # row 5
        [1, "Hoàng Văn Tâm", 1970, None, "Tổ 5", 720000, "K5a"],  # row 6: the column says K5a
        [2, "Hà Văn Long", 1975, None, "Tổ 5", 720000, None],  # row 7: empty column → the section
    ]
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": rows}, {"DS": [*HEAD_MERGES, "A5:G5"]})
    ben = load_ward(tmp_path).tables["beneficiaries"]
    assert ben["category"].tolist() == ["K5a", "K6"]


# ---------------------------------------------------------------------------------------------
# Birth date split by sex


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ([1970, 1971], "filled under both Nam and Nữ"),  # both
        ([None, None], "empty under both Nam and Nữ"),  # neither
    ],
)
def test_nam_nu_both_or_neither_is_unreadable(tmp_path, cells, reason):
    ben, bad = load_form(
        tmp_path,
        [
            section("I. NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG", 5),
            person(1, "Hoàng Văn Tâm", 1970),  # row 6: good
            [2, "Hà Văn Long", *cells, "Tổ 5", 720000, None],  # row 7
        ],
    )
    assert ben["_row"].tolist() == [6]
    assert bad["row"].tolist() == [7] and reason in bad["reason"].iloc[0]
    assert bad["column"].iloc[0] == "birth_date"


@pytest.mark.parametrize("header", ["Năm sinh", "Ngày sinh", "Ngày, tháng, năm sinh"])
def test_nam_nu_under_each_birth_header(tmp_path, header):
    rows: list[list[object]] = [["STT", "Họ và tên", header, None, "Đối tượng"], [None, None, "Nam", "Nữ", None]]
    rows += [[1, "Hoàng Văn Tâm", "05/06/1940", None, "K5c"], [2, "Nông Thị Hoa", None, "1941", "K5c"]]
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": rows}, {"DS": ["C1:D1", "A1:A2", "B1:B2", "E1:E2"]})
    ward = load_ward(tmp_path)
    ben = ward.tables["beneficiaries"]
    assert ben["sex"].tolist() == ["M", "F"]
    assert ben["birth_date"].dt.year.tolist() == [1940, 1941]
    assert "Nam/Nữ → sex" in ward.sources[0].layout


# ---------------------------------------------------------------------------------------------
# One sheet per category


CAT_HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Mức hưởng"]
CAT_SHEETS = {
    "NKT ĐBN": ([1, "Hoàng Văn Tâm", "1970", "Nam", 720000], "K6", "especially_severe"),
    "NCT trên 80": ([1, "Ma Văn Sơn", "1935", "Nam", 540000], "K5c", None),
    "Trẻ mồ côi": ([1, "Lý Văn Bình", "03/04/2015", "Nam", 540000], "K1", None),
    "Diện hộ chăm sóc": ([1, "Ma Thị Lan", "1968", "Nữ", 360000], "C2", None),
}


def _category_sheets() -> dict[str, list[list[object]]]:
    return {name: [["DANH SÁCH " + name.upper()], CAT_HEADER, cells] for name, (cells, _, _) in CAT_SHEETS.items()}


def test_one_sheet_per_category_in_a_beneficiaries_workbook(tmp_path):
    write_xlsx(tmp_path / "Danh sách đối tượng.xlsx", _category_sheets())
    ward = load_ward(tmp_path)
    ben = ward.tables["beneficiaries"]
    assert ben["category"].tolist() == [c for _, c, _ in CAT_SHEETS.values()]
    assert ben["_sheet"].tolist() == list(CAT_SHEETS)
    assert ben["disability_level"].iloc[0] == "especially_severe"
    assert ben["_ref"].tolist() == [f"{s}!3" for s in CAT_SHEETS]
    assert len(ward.sources) == 1 and "4 sheets, one per category" in ward.sources[0].layout


def test_one_sheet_per_category_in_a_ward_workbook(tmp_path):
    sheets = {"ward": [["ward_code", "99901"]], **_category_sheets()}
    write_xlsx(tmp_path / "ward.xlsx", sheets)
    ward = load_ward(tmp_path / "ward.xlsx")
    assert ward.tables["beneficiaries"]["category"].tolist() == [c for _, c, _ in CAT_SHEETS.values()]
    assert ward.unreadable.empty
