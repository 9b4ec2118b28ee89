"""findings.xlsx: formula-proof cells, VND numbers, dates as dates, IDs as text, one sheet per check."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from audit_toolkit.report.xlsx import DATE_FORMAT, VND_FORMAT, sheet_title, write_xlsx
from tests.report.helpers import HOSTILE, finding, make_result


def _workbook(tmp_path: Path, **kwargs: object) -> openpyxl.Workbook:
    findings = [
        finding(
            "DECEASED_ACTIVE",
            "high",
            national_id="001234567890",
            full_name="Nguyễn Văn An",
            detail="=1+1",
            amount_vnd=4860000,
            source="beneficiaries:2;payments:7",
        ),
        finding(
            "DECEASED_ACTIVE",
            "high",
            national_id="006080001234",
            full_name="+84 912",
            detail="-2 tháng",
            amount_vnd=540000,
        ),
        finding(
            "UNPAID_MONTHS",
            "medium",
            national_id='=HYPERLINK("http://x")',
            full_name=HOSTILE,
            detail="@SUM(A1)",
            amount_vnd=-1080000,
        ),
    ]
    path = write_xlsx(make_result(findings=findings, **kwargs), tmp_path / "findings.xlsx")  # type: ignore[arg-type]
    return openpyxl.load_workbook(path)


def test_one_sheet_per_check_with_findings(tmp_path: Path) -> None:
    wb = _workbook(tmp_path)
    assert wb.sheetnames == ["Tổng hợp", "DECEASED_ACTIVE", "UNPAID_MONTHS", "Mẫu xác minh"]
    ws = wb["DECEASED_ACTIVE"]
    assert ws.max_row == 3
    header = [c.value for c in ws[1]]
    assert header[-3:] == ["Kết quả xác minh", "Biện pháp khắc phục", "Ngày hoàn thành"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:N3"


@pytest.mark.parametrize(
    ("sheet", "row", "col", "expected"),
    [
        ("DECEASED_ACTIVE", 2, 8, "'=1+1"),  # detail that would be a formula
        ("DECEASED_ACTIVE", 3, 5, "'+84 912"),  # a name starting with +
        ("DECEASED_ACTIVE", 3, 8, "'-2 tháng"),  # a detail starting with -
        ("UNPAID_MONTHS", 2, 8, "'@SUM(A1)"),  # a detail starting with @
        ("UNPAID_MONTHS", 2, 4, '\'=HYPERLINK("http://x")'),  # an ID cell that would be a link formula
        ("UNPAID_MONTHS", 2, 5, HOSTILE),  # markup is just text in a workbook
    ],
)
def test_no_data_becomes_a_formula(tmp_path: Path, sheet: str, row: int, col: int, expected: str) -> None:
    cell = _workbook(tmp_path)[sheet].cell(row, col)
    assert cell.value == expected
    assert cell.data_type == "s"


def test_amounts_are_vnd_numbers_and_ids_text(tmp_path: Path) -> None:
    wb = _workbook(tmp_path)
    ws = wb["DECEASED_ACTIVE"]
    amount = ws.cell(2, 9)
    assert amount.value == 4860000 and amount.data_type == "n"
    assert amount.number_format == VND_FORMAT
    assert wb["UNPAID_MONTHS"].cell(2, 9).value == -1080000
    nid = ws.cell(2, 4)
    assert nid.value == "001234567890"  # leading zeros kept, not masked: the ward's working file
    assert nid.data_type == "s" and nid.number_format == "@"
    assert ws.cell(2, 14).number_format == DATE_FORMAT  # the ward types its completion date here


def test_summary_sheet_counts_money_and_checks_not_run(tmp_path: Path) -> None:
    ws = _workbook(tmp_path)["Tổng hợp"]
    values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    facts = {row[0]: row[1] for row in values if row[0]}
    assert facts["Mã phường/xã"] == "01843"
    assert facts["Ngày chốt số liệu"] == dt.datetime(2023, 2, 28)
    assert facts["Tổng số phát hiện"] == 3
    assert facts["Chi sai, chi thừa"] == 5400000
    assert facts["Chi thiếu, còn nợ đối tượng"] == 1080000
    by_id: dict[str, tuple[object, ...]] = {}
    for row in values:  # the first table (by check); the not-run list below repeats some ids
        if row[1] and str(row[1]).isupper():
            by_id.setdefault(str(row[1]), tuple(row))
    assert by_id["DECEASED_ACTIVE"][4] == 2
    assert by_id["MISSED_ELDERLY"][3] == "Không kiểm tra: Thiếu bảng dữ liệu “Dân cư”"
    not_run = values[[r[0] for r in values].index("Nội dung không kiểm tra được") + 2 :]
    assert [r[1] for r in not_run] == ["CROSS_WARD_DUPLICATE", "MISSED_ELDERLY", "WRONG_COEFFICIENT"]
    link = next(
        c for c in ws["A"] if c.value == "Người đã chết vẫn còn trong danh sách hoặc vẫn được chi trả"
    )
    assert link.hyperlink is not None and link.hyperlink.location == "'DECEASED_ACTIVE'!A1"


def test_english_workbook(tmp_path: Path) -> None:
    wb = _workbook(tmp_path, lang="en")
    assert wb.sheetnames[0] == "Summary" and wb.sheetnames[-1] == "Field visits"
    assert [c.value for c in wb["UNPAID_MONTHS"][1]][-3:] == [
        "Verification result",
        "Corrective action",
        "Date completed",
    ]


def test_sample_sheet_has_dates_as_dates(tmp_path: Path) -> None:
    ws = _workbook(tmp_path)["Mẫu xác minh"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 9  # nine active people, sample size 10
    born = {r[2]: r[3] for r in rows}
    assert born["Nguyễn Văn An"] == dt.datetime(1935, 3, 1)
    assert born["Trần Thị Bình"] == 1938  # a year-only birth date stays a year
    assert {r[4] for r in rows} == {"Nam", "Nữ"}


def test_every_sample_row_is_formatted_like_the_first_of_its_kind(tmp_path: Path) -> None:
    # Rows after the first of each kind (birth date as a date, or as a year) get copied styles.
    ws = _workbook(tmp_path)["Mẫu xác minh"]
    kinds = set()
    for r in range(2, ws.max_row + 1):
        born = ws.cell(r, 4)
        kinds.add(isinstance(born.value, dt.datetime))
        assert born.number_format == (DATE_FORMAT if isinstance(born.value, dt.datetime) else "0")
        assert ws.cell(r, 2).number_format == "@" and ws.cell(r, 7).number_format == "@"
        assert ws.cell(r, 13).number_format == DATE_FORMAT
        for c in (6, 10, 11):
            assert ws.cell(r, c).alignment.wrap_text and ws.cell(r, c).alignment.vertical == "top"
        assert ws.cell(r, 3).alignment.wrap_text is not True
    assert kinds == {True, False}
    assert ws.max_row == 10


@pytest.mark.parametrize(
    ("text", "taken", "expected"),
    [
        ("DECEASED_ACTIVE", [], "DECEASED_ACTIVE"),  # a check id is already a fine name
        ("A/B:C?[D]*'E", [], "A_B_C__D___E"),  # characters Excel refuses
        ("X" * 40, [], "X" * 31),  # at most 31 characters
        ("Tổng hợp", ["tổng hợp"], "Tổng hợp~2"),  # unique, ignoring case
        ("Y" * 31, ["Y" * 31], "Y" * 29 + "~2"),  # the suffix still fits in 31
    ],
)
def test_sheet_title(text: str, taken: list[str], expected: str) -> None:
    assert sheet_title(text, taken) == expected


def test_write_is_atomic_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "findings.xlsx"
    target.write_bytes(b"old")
    write_xlsx(make_result(findings=[]), target)
    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames == ["Tổng hợp", "Mẫu xác minh"]
    assert [p.name for p in tmp_path.iterdir()] == ["findings.xlsx"]  # no temporary file left behind


def test_header_rows_are_bold_wrapped_and_the_response_columns_stand_out(tmp_path: Path) -> None:
    wb = _workbook(tmp_path)
    for title in ("DECEASED_ACTIVE", "Mẫu xác minh"):
        ws = wb[title]
        fills = []
        for cell in ws[1]:
            assert cell.font.bold and cell.alignment.wrap_text and cell.alignment.vertical == "top"
            assert cell.fill.fill_type == "solid"
            fills.append(cell.fill.start_color.rgb)
        # The ward's response columns (from the 12th) on their own colour, the others on the header's.
        assert set(fills[11:]) == {"FFFFF8E1"} and set(fills[:11]) == {"FFE4E7EC"} and len(fills) > 11
        assert not ws.cell(2, 1).font.bold  # the rows below keep the default style
