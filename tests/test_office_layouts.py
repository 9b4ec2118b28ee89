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


def write_xlsx(
    path: Path, sheets: dict[str, list[list[object]]], merges: dict[str, list[str]] | None = None
) -> Path:
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


def person(
    stt: int, name: str, year: object, sex: str = "M", amount: object = 720000, note: str | None = None
):
    return [stt, name, year if sex == "M" else None, year if sex == "F" else None, "Tổ 5", amount, note]


def load_form(
    tmp_path: Path, body: list, sheet: str = "Danh sách đối tượng"
) -> tuple[pd.DataFrame, pd.DataFrame]:
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
        (
            [
                person(1, "Hoàng Văn Tâm", 1970),
                section("I. NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG", 6),
                person(1, "Hà Văn Long", 1975),
            ],
            5,
            "record above any section row",
        ),
        # a section label that maps to no category: every record under it, naming the label
        (
            [
                section("I. NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG", 5),
                person(1, "Hà Văn Long", 1975),
                section("II. HỖ TRỢ ĐỘT XUẤT", 7),
                person(1, "Hoàng Văn Tâm", 1970),
            ],
            8,
            "section label 'HỖ TRỢ ĐỘT XUẤT' maps to no category",
        ),
        # a nested label that maps to nothing does not borrow its parent's category
        (
            [
                section("I. NGƯỜI KHUYẾT TẬT", 5),
                section("1. Hỗ trợ đột xuất", 6),
                person(1, "Hoàng Văn Tâm", 1970),
                section("2. Đặc biệt nặng", 8),
                person(1, "Hà Văn Long", 1975),
            ],
            7,
            "section label 'NGƯỜI KHUYẾT TẬT › Hỗ trợ đột xuất' maps to no category",
        ),
        # same under a parent that maps by itself (with no level to add)
        (
            [
                section("I. NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG", 5),
                person(1, "Hà Văn Long", 1975),
                section("II. NGƯỜI CAO TUỔI TỪ ĐỦ 80 TUỔI", 7),
                section("1. Hỗ trợ đột xuất", 8),
                person(1, "Hoàng Văn Tâm", 1935),
            ],
            9,
            "maps to no category",
        ),
    ],
)
def test_sections_broken(tmp_path, body, row, reason):
    ben, bad = load_form(tmp_path, body)
    assert bad["row"].tolist() == [row]
    assert reason in bad["reason"].iloc[0]
    assert bad["column"].tolist() == ["category"]
    assert len(ben) == 1 and ben["category"].tolist() == ["K6"]


def test_a_name_alone_in_capitals_is_a_broken_record_not_a_section(tmp_path):
    ben, bad = load_form(
        tmp_path,
        [
            section("I. NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG", 5),
            [None, "HOÀNG VĂN TÂM", None, None, None, None, None],  # row 6: no birth date, nothing else
            person(2, "Hà Văn Long", 1975),  # row 7: still under section I
        ],
    )
    assert bad["row"].tolist() == [6] and "birth_date" in bad["reason"].iloc[0]
    assert ben["_row"].tolist() == [7] and ben["category"].tolist() == ["K6"]


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
    rows: list[list[object]] = [
        ["STT", "Họ và tên", header, None, "Đối tượng"],
        [None, None, "Nam", "Nữ", None],
    ]
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
    return {
        name: [["DANH SÁCH " + name.upper()], CAT_HEADER, cells] for name, (cells, _, _) in CAT_SHEETS.items()
    }


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


# ---------------------------------------------------------------------------------------------
# Payments, one sheet per month

PAY_HEADER = ["STT", "Họ và tên", "Năm sinh", "Số tiền", "Ký nhận", "Ghi chú"]
BEN_TIDY = [
    ["STT", "Họ và tên", "Năm sinh", "Giới tính", "Đối tượng", "Mức hưởng"],
    [1, "Hoàng Văn Tâm", 1970, "Nam", "NKT ĐBN", 720000],
    [2, "Ma Văn Sơn", 1935, "Nam", "K5c", 540000],
]


def pay_sheet(title: str | None, rows: list[list[object]]) -> list[list[object]]:
    return ([[title]] if title else [["UBND PHƯỜNG HUYỀN TỤNG"]]) + [PAY_HEADER, *rows]


@pytest.mark.parametrize(
    ("sheet", "title", "month"),
    [
        ("T1-2023", None, (2023, 1)),
        ("T01.2023", None, (2023, 1)),
        ("Tháng 3-2023", None, (2023, 3)),
        ("Thang 04 nam 2023", None, (2023, 4)),
        ("05-2023", None, (2023, 5)),
        ("2023-07", None, (2023, 7)),  # ISO: the year first
        (
            "Sheet6",
            "DANH SÁCH CHI TRẢ TRỢ CẤP XÃ HỘI THÁNG 06 NĂM 2023",
            (2023, 6),
        ),  # month in a title row only
    ],
)
def test_month_sheet_names_and_title_rows(tmp_path, sheet, title, month):
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": BEN_TIDY})
    rows = pay_sheet(title, [[1, "Hoàng Văn Tâm", 1970, 720000, None, None]])
    other = pay_sheet(None, [[1, "Ma Văn Sơn", 1935, 540000, None, None]])
    write_xlsx(tmp_path / "Danh sách chi trả.xlsx", {sheet: rows, "T12-2022": other})
    ward = load_ward(tmp_path)
    pay = ward.tables["payments"]
    assert pay["month"].tolist() == [month_num(*month), month_num(2022, 12)]
    assert pay["_ref"].tolist() == [f"{sheet}!3", "T12-2022!3"]
    assert pay["paid"].tolist() == [True, True]  # an empty Ký nhận says nothing: received
    assert "2 month sheets" in ward.sources[-1].layout


def test_month_sheets_inside_the_ward_workbook_mixed_with_other_tables(tmp_path):
    sheets = {
        "Danh sách đối tượng": BEN_TIDY,
        "T1-2023": pay_sheet(None, [[1, "Hoàng Văn Tâm", 1970, 720000, None, None]]),
        "Dân cư": [["Họ và tên", "Ngày sinh", "Số CCCD"], ["Hoàng Văn Tâm", "1970", "006070001234"]],
        "T2-2023": pay_sheet(
            None,
            [[1, "Hoàng Văn Tâm", 1970, 720000, None, None], [2, "Ma Văn Sơn", 1935, 540000, None, None]],
        ),
    }
    write_xlsx(tmp_path / "ward.xlsx", sheets)
    ward = load_ward(tmp_path / "ward.xlsx")
    pay = ward.tables["payments"]
    assert pay["month"].tolist() == [month_num(2023, 1), month_num(2023, 2), month_num(2023, 2)]
    assert pay["_sheet"].tolist() == ["T1-2023", "T2-2023", "T2-2023"]
    assert len(ward.tables["residents"]) == 1


@pytest.mark.parametrize(
    "title",
    [
        "DANH SÁCH CHI TRẢ TRỢ CẤP XÃ HỘI",  # no month anywhere
        None,  # no title at all
    ],
)
def test_month_sheet_without_a_findable_month_is_an_error_naming_it(tmp_path, title):
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": BEN_TIDY})
    write_xlsx(
        tmp_path / "Danh sách chi trả.xlsx",
        {
            "T1-2023": pay_sheet(None, [[1, "Hoàng Văn Tâm", 1970, 720000, None, None]]),
            "Bảng kê": pay_sheet(title, [[1, "Ma Văn Sơn", 1935, 540000, None, None]]),
        },
    )
    with pytest.raises(InputError) as err:
        load_ward(tmp_path)
    assert err.value.sheet == "Bảng kê" and "month cannot be found" in err.value.message


def test_signature_and_note_mark_money_not_received(tmp_path):
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": BEN_TIDY})
    rows = [
        [1, "Hoàng Văn Tâm", 1970, 720000, None, None],  # row 3: empty signature → received
        [2, "Ma Văn Sơn", 1935, 540000, "vắng", None],  # row 4: not received
        [3, "Hoàng Văn Tâm", 1970, 720000, None, "Chưa lĩnh"],  # row 5: the note says not received
        [4, "Ma Văn Sơn", 1935, 540000, "Sơn", None],  # row 6: a signature → says nothing
        [5, "Hoàng Văn Tâm", 1970, 720000, "chưa nhận", None],  # row 7
        [6, "Ma Văn Sơn", 1935, 540000, None, "không nhận, đi viện"],  # row 8
    ]
    write_xlsx(tmp_path / "payments.xlsx", {"T1-2023": pay_sheet(None, rows)})
    ward = load_ward(tmp_path)
    assert ward.tables["payments"]["paid"].tolist() == [True, False, False, True, False, False]
    assert ward.unreadable.empty
    assert "signature" in ward.sources[-1].layout


# ---------------------------------------------------------------------------------------------
# Payments, one column per month


@pytest.mark.parametrize(
    ("headers", "sheet", "title"),
    [
        (["T1", "T2", "T3"], "Chi trả", "NĂM 2023"),  # year in a title row
        (["Tháng 1", "Tháng 2", "Tháng 3"], "Chi trả 2023", None),  # year in the sheet name
        (["01/2023", "02/2023", "03/2023"], "Chi trả", None),  # year in the header
    ],
)
def test_month_columns(tmp_path, headers, sheet, title):
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": BEN_TIDY})
    rows: list[list[object]] = [
        [title or "UBND PHƯỜNG HUYỀN TỤNG"],
        ["STT", "Họ và tên", "Năm sinh", *headers, "Tổng tiền"],
    ]
    rows += [
        [1, "Hoàng Văn Tâm", 1970, 720000, None, "720.000", 1440000],  # row 3: Jan and Mar
        [2, "Ma Văn Sơn", 1935, 540000, 540000, 540000, 1620000],  # row 4: all three
        [None, "Tổng cộng", None, 1260000, 540000, 1260000, 3060000],  # row 5: total
    ]
    write_xlsx(tmp_path / "payments.xlsx", {sheet: rows})
    ward = load_ward(tmp_path)
    pay = ward.tables["payments"]
    jan, feb, mar = (month_num(2023, m) for m in (1, 2, 3))
    assert list(zip(pay["_row"], pay["month"], pay["amount"], strict=True)) == [
        (3, jan, 720000),
        (3, mar, 720000),
        (4, jan, 540000),
        (4, feb, 540000),
        (4, mar, 540000),
    ]
    assert ward.unreadable.empty
    assert "3 month columns" in ward.sources[-1].layout


def test_month_columns_bad_amount_is_unreadable_and_no_year_is_an_error(tmp_path):
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": BEN_TIDY})
    rows: list[list[object]] = [["NĂM 2023"], ["STT", "Họ và tên", "Năm sinh", "T1", "T2"]]
    rows += [[1, "Hoàng Văn Tâm", 1970, 720000, "bảy trăm"]]
    write_xlsx(tmp_path / "payments.xlsx", {"Chi trả": rows})
    ward = load_ward(tmp_path)
    assert ward.tables["payments"]["amount"].tolist() == [720000]
    assert ward.unreadable["row"].tolist() == [3] and "amount" in ward.unreadable["reason"].iloc[0]
    rows[0] = ["BẢNG KÊ CHI TRẢ"]
    write_xlsx(tmp_path / "payments.xlsx", {"Chi trả": rows})
    with pytest.raises(InputError) as err:
        load_ward(tmp_path)
    assert err.value.column == "T1" and err.value.sheet == "Chi trả"


# ---------------------------------------------------------------------------------------------
# No national ID anywhere: payments link to their line by name + birth date or year


def test_no_ids_payments_link_by_name_and_birth(tmp_path):
    from audit_toolkit.audit import run_audit

    ben = [
        ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Đối tượng", "Mức hưởng"],
        [1, "Hoàng Văn Tâm", "05/06/1970", "Nam", "NKT ĐBN", 720000],  # line 0
        [2, "Hoàng Văn Tâm", "1950", "Nam", "K5a", 540000],  # line 1: same name, other person
        [3, "Ma Văn Sơn", "1935", "Nam", "K5c", 540000],  # line 2
        [4, "Ma Văn Sơn", "1935", "Nam", "C2", 360000],  # line 3: his second line
    ]
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": ben})
    rows = [
        [1, "Hoàng Văn Tâm", "05/06/1970", 720000, None, None],  # full date → line 0
        [2, "HOÀNG VĂN TÂM", "1950", 540000, None, None],  # year, other case → line 1
        [3, "Ma Văn Sơn", "1935", 540000, None, None],  # two lines for this person: not linked
        [4, "Lê Thị Lạ", "1940", 540000, None, None],  # nobody
    ]
    write_xlsx(tmp_path / "payments.xlsx", {"T1-2023": pay_sheet(None, rows)})
    result = run_audit(tmp_path, as_of="2023-02-28", period_from="2023-01", quality=False)
    linked = result.context.payments_linked
    assert linked["line_idx"].tolist() == [0, 1, pd.NA, pd.NA]
    assert linked["name_linked"].tolist() == [True, True, False, False]
    assert linked["source"].tolist()[0] == "payments:3"  # one sheet: the plain table:row


def test_no_ids_payments_with_category_pick_the_line(tmp_path):
    from audit_toolkit.audit import run_audit

    ben = [
        ["STT", "Họ và tên", "Năm sinh", "Đối tượng"],
        [1, "Ma Văn Sơn", "1935", "K5c"],
        [2, "Ma Văn Sơn", "1935", "C2"],
    ]
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": ben})
    pay = [
        ["Họ và tên", "Năm sinh", "Đối tượng", "Tháng", "Số tiền"],
        ["Ma Văn Sơn", "1935", "C2", "01/2023", 360000],
    ]
    write_xlsx(tmp_path / "payments.xlsx", {"DS": pay})
    result = run_audit(tmp_path, as_of="2023-02-28", period_from="2023-01", quality=False)
    assert result.context.payments_linked["line_idx"].tolist() == [1]


# ---------------------------------------------------------------------------------------------
# Error hints


def test_missing_category_hint_never_suggests_stt_and_names_the_office_layouts(tmp_path):
    rows = [["STT", "Họ và tên", "Năm sinh", "Địa chỉ"], [1, "Hoàng Văn Tâm", 1970, "Tổ 5"]]
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": rows})
    with pytest.raises(InputError) as err:
        load_ward(tmp_path)
    fix = err.value.fix or ""
    assert '"STT": category' not in fix and '"Họ và tên": category' not in fix
    assert "closest headers in the file: 'STT'" not in err.value.message
    assert "section rows" in fix and "one sheet per category" in fix


# ---------------------------------------------------------------------------------------------
# Property: under sections, no record row is lost and each takes its section's category

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SECTION_LABELS = {
    "NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG": "K6",
    "Người cao tuổi từ đủ 80 tuổi trở lên": "K5c",
    "TRẺ EM MỒ CÔI": "K1",
    "HỖ TRỢ ĐỘT XUẤT": None,  # maps to nothing
}
items = st.lists(
    st.one_of(
        st.tuples(
            st.just("section"),
            st.sampled_from(sorted(SECTION_LABELS)),
            st.sampled_from(["I.", "2.", "C.", "b)"]),
        ),
        st.tuples(st.just("record"), st.sampled_from(["good", "bad_date"]), st.just("")),
        st.tuples(st.just("subtotal"), st.sampled_from(["Cộng", "Cộng: 3 người", "amount"]), st.just("")),
    ),
    min_size=1,
    max_size=20,
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(spec=items)
def test_sections_never_lose_a_row(tmp_path_factory, spec):
    tmp = tmp_path_factory.mktemp("sections")
    body: list = []
    expected: dict[int, str | None] = {}  # row → category, or None: unreadable
    current: str | None = None
    seen_section = False
    for i, (kind, what, token) in enumerate(spec):
        row = 5 + i
        if kind == "section":
            body.append(section(f"{token} {what}", row))
            current, seen_section = SECTION_LABELS[what], True
        elif kind == "subtotal":
            body.append([None, None, None, None, None, 100, None] if what == "amount" else [what])
        else:
            year = 1950 if what == "good" else "31/02/1950"
            body.append(person(i, f"Người {i}", year))
            expected[row] = current if (seen_section and what == "good") else None
    if not seen_section and not expected:
        return
    try:
        ben, bad = load_form(tmp, body)
    except InputError:
        # No section row at all: the list has no category, which is an input error, not a lost row.
        assert not seen_section
        return
    read = dict(zip(ben["_row"].tolist(), ben["category"].tolist(), strict=True))
    assert sorted([*read, *bad["row"].tolist()]) == sorted(expected)  # every record row exactly once
    for row, cat in expected.items():
        assert read.get(row) == cat


# ---------------------------------------------------------------------------------------------
# What the loader recognised is visible: manifest inputs, the report's input table, the CLI lines


def test_layout_read_is_in_manifest_report_inputs_and_cli_lines(tmp_path):
    from audit_toolkit.audit import run_audit
    from audit_toolkit.cli import _layout_lines
    from audit_toolkit.report.html import _inputs
    from audit_toolkit.report.tables import manifest

    body = [section("I. NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG", 5), person(1, "Hoàng Văn Tâm", 1970)]
    rows, merges = form(body)
    write_xlsx(tmp_path / "Danh sách đối tượng.xlsx", {"DS": rows}, {"DS": merges})
    pay = {f"T{m}-2023": pay_sheet(None, [[1, "Hoàng Văn Tâm", 1970, 720000, None, None]]) for m in (1, 2)}
    write_xlsx(tmp_path / "Danh sách chi trả.xlsx", pay)
    result = run_audit(tmp_path, as_of="2023-02-28", period_from="2023-01", quality=False, lang="en")
    inputs = {i["table"]: i for i in manifest(result)["inputs"]}
    assert inputs["beneficiaries"]["layout"] == "sections → category; Nam/Nữ → sex"
    assert inputs["payments"]["layout"].startswith("2 month sheets (2023-01 … 2023-02)")
    assert inputs["payments"]["sheets"] == ["T1-2023", "T2-2023"]
    assert [r["layout"] for r in _inputs(result)] == [
        inputs["beneficiaries"]["layout"],
        inputs["payments"]["layout"],
    ]
    # the report and the CLI speak the audit's language
    from audit_toolkit.io.layouts import layout_text

    assert (
        layout_text(result.ward.sources[0].layout_notes, "vi")
        == "dòng mục → diện đối tượng; cột Nam/Nữ → giới tính"
    )
    lines = _layout_lines(result).splitlines()
    assert len(lines) == 2 and "sections → category" in lines[0] and "2 month sheets" in lines[1]
    assert result.context.payments_linked["source"].tolist() == ["payments:T1-2023!3", "payments:T2-2023!3"]


def test_payments_one_file_per_month_in_a_ward_folder(tmp_path):
    # "Chi trả T1-2023.xlsx", "Chi trả T2-2023.xlsx": each names the payments table and its month
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": BEN_TIDY})
    for m in (1, 2):
        rows = pay_sheet(None, [[1, "Hoàng Văn Tâm", 1970, 720000, None, None]])
        write_xlsx(tmp_path / f"Chi trả T{m}-2023.xlsx", {"Sheet1": rows})
    ward = load_ward(tmp_path)
    pay = ward.tables["payments"]
    assert pay["month"].tolist() == [month_num(2023, 1), month_num(2023, 2)]
    assert pay["_file"].tolist() == ["Chi trả T1-2023.xlsx", "Chi trả T2-2023.xlsx"]
    assert pay["_ref"].tolist() == ["Chi trả T1-2023.xlsx!3", "Chi trả T2-2023.xlsx!3"]  # the file to open
    layouts = [s.layout for s in ward.sources if s.table == "payments"]
    assert [t.split(";")[0] for t in layouts] == [f"month 2023-0{m} from the file name" for m in (1, 2)]


# ---------------------------------------------------------------------------------------------
# Variants seen in ward forms


def test_section_variants_counts_bullets_dotted_numbers_and_a_subtotal_beside_the_label(tmp_path):
    ben, bad = load_form(
        tmp_path,
        [
            section("I. NGƯỜI KHUYẾT TẬT (3 người)", 5),  # a count after the label
            section("1.1 Đặc biệt nặng", 6),  # dotted numbering
            person(1, "Hoàng Văn Tâm", 1970),  # row 7: K6 especially severe
            section("1.2 Nặng", 8),
            person(1, "Hà Văn Long", 1975),  # row 9: K6 severe
            ["II. NGƯỜI CAO TUỔI", None, None, None, None, 1080000, None],  # row 10: label + its total
            section("- Cô đơn, thuộc hộ nghèo", 11),  # bullets
            person(1, "Đàm Thị Mai", 1950, "F"),  # row 12: K5a
            section("- Từ đủ 80 tuổi", 13),
            person(1, "Ma Văn Sơn", 1935),  # row 14: K5c
            section("Trẻ mồ côi: 1 trẻ", 15),  # no numbering, a label that maps, with a count
            person(1, "Lý Văn Bình", "03/04/2015"),  # row 16: K1
        ],
    )
    assert bad.empty
    assert ben["category"].tolist() == ["K6", "K6", "K5a", "K5c", "K1"]
    assert ben["disability_level"].tolist()[:2] == ["especially_severe", "severe"]


def test_month_sheet_named_by_a_bare_month_with_the_year_in_the_title(tmp_path):
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": BEN_TIDY})
    rows = pay_sheet("BẢNG CHI TRẢ TRỢ CẤP NĂM 2023", [[1, "Hoàng Văn Tâm", 1970, 720000, None, None]])
    write_xlsx(tmp_path / "payments.xlsx", {"T1": rows, "Tháng 02": rows})
    pay = load_ward(tmp_path).tables["payments"]
    assert pay["month"].tolist() == [month_num(2023, 1), month_num(2023, 2)]


@pytest.mark.parametrize("header", ["Ký nhận", "Người nhận ký", "Chữ ký người nhận"])
def test_signature_headers(tmp_path, header):
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": BEN_TIDY})
    rows = [["THÁNG 01 NĂM 2023"], ["Họ và tên", "Năm sinh", "Số tiền", header]]
    rows += [["Hoàng Văn Tâm", 1970, 720000, "Tâm"], ["Ma Văn Sơn", 1935, 540000, "Vắng"]]
    write_xlsx(tmp_path / "payments.xlsx", {"DS": rows})
    assert load_ward(tmp_path).tables["payments"]["paid"].tolist() == [True, False]


def test_month_columns_under_a_merged_group_header(tmp_path):
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": BEN_TIDY})
    rows: list[list[object]] = [["BẢNG KÊ CHI TRẢ NĂM 2023"]]
    rows += [
        ["STT", "Họ và tên", "Năm sinh", "Số tiền chi trả các tháng", None],
        [None, None, None, "T1", "T2"],
    ]
    rows += [[1, "Hoàng Văn Tâm", 1970, 720000, 720000]]
    write_xlsx(tmp_path / "payments.xlsx", {"DS": rows}, {"DS": ["D2:E2", "A2:A3", "B2:B3", "C2:C3"]})
    pay = load_ward(tmp_path).tables["payments"]
    assert pay["month"].tolist() == [month_num(2023, 1), month_num(2023, 2)]
    assert pay["_row"].tolist() == [4, 4]


def test_a_summary_sheet_beside_the_month_sheets_is_not_read_and_said(tmp_path):
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": BEN_TIDY})
    month = pay_sheet(None, [[1, "Hoàng Văn Tâm", 1970, 720000, None, None]])
    summary = pay_sheet(None, [[1, "Hoàng Văn Tâm", 1970, 1440000, None, None]])
    write_xlsx(tmp_path / "payments.xlsx", {"T1-2023": month, "T2-2023": month, "Tổng hợp": summary})
    ward = load_ward(tmp_path)
    assert ward.tables["payments"]["amount"].tolist() == [720000, 720000]
    assert any("Tổng hợp" in w and "not read" in w for w in ward.warnings)


def test_column_map_names_both_nam_nu_sub_columns(tmp_path):
    ben, _ = load_form(
        tmp_path, [section("I. NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG", 5), person(1, "Hoàng Văn Tâm", 1970)]
    )
    column_map = load_ward(tmp_path).sources[0].column_map
    assert (
        column_map["Năm sinh › Nam"] == "birth_date (Nam)"
        and column_map["Năm sinh › Nữ"] == "birth_date (Nữ)"
    )


def test_two_payment_inputs_without_months_still_clash(tmp_path):
    # payments.csv beside "Danh sách chi trả.xlsx": two copies of one table, not month parts
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": BEN_TIDY})
    (tmp_path / "payments.csv").write_text(
        "Họ và tên,Tháng,Số tiền\nMa Văn Sơn,01/2023,540000\n", encoding="utf-8"
    )
    write_xlsx(
        tmp_path / "Danh sách chi trả.xlsx", {"T1-2023": pay_sheet(None, [[1, "Ma Văn Sơn", 1935, 540000]])}
    )
    with pytest.raises(InputError, match="Two inputs claim table 'payments'"):
        load_ward(tmp_path)


def test_section_row_with_count_and_amount_cells_and_a_numbers_only_subtotal(tmp_path):
    ben, bad = load_form(
        tmp_path,
        [
            ["I. NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG", None, None, None, "2 người", 1440000, None],  # row 5
            person(1, "Hoàng Văn Tâm", 1970),  # row 6
            person(2, "Hà Văn Long", 1975),  # row 7
            [2, None, None, None, None, 1440000, None],  # row 8: a count in STT and the amount
            ["II. NGƯỜI CAO TUỔI TỪ ĐỦ 80 TUỔI", None, None, None, "1 người", 540000, None],  # row 9
            person(1, "Ma Văn Sơn", 1935),  # row 10
        ],
    )
    assert bad.empty
    assert list(zip(ben["_row"], ben["category"], strict=True)) == [(6, "K6"), (7, "K6"), (10, "K5c")]
