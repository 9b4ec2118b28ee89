"""Findings about payments read from month sheets name the sheet in their sources (data contract:
the officer must be able to open the row): ``payments:T1-2023!3``, not ``payments:3`` (every month
sheet has a row 3). Built as a ward office keeps it: one payments workbook, one sheet per month.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from audit_toolkit.audit import run_audit

MONTHS = ["T11-2022", "T12-2022", "T1-2023", "T2-2023"]
BEN_HEAD = [
    "record_id",
    "full_name",
    "birth_date",
    "sex",
    "national_id",
    "address",
    "category",
    "coefficient",
]
BEN_HEAD += ["monthly_amount", "start_month", "status", "end_month"]
# A: died 15/10/2022, still paid. B: line ended 12/2022, paid in 01/2023. C: paid 400,000 of 540,000.
BEN = [
    [
        "A1",
        "Hoàng Văn Tâm",
        "1935-03-02",
        "M",
        "006035001234",
        "Tổ 5",
        "K5c",
        1.5,
        540000,
        "2020-01",
        "active",
        None,
    ],
    [
        "B1",
        "Ma Thị Sen",
        "1938-06-07",
        "F",
        "006138004321",
        "Tổ 6",
        "K5c",
        1.5,
        540000,
        "2020-01",
        "ended",
        "2022-12",
    ],
    [
        "C1",
        "Lý Văn Đức",
        "1936-09-11",
        "M",
        "006036007777",
        "Tổ 7",
        "K5c",
        1.5,
        540000,
        "2020-01",
        "active",
        None,
    ],
]
PAY_HEAD = ["national_id", "full_name", "birth_date", "amount"]


def _pay_rows(month: str) -> list[list[object]]:
    rows: list[list[object]] = [["006035001234", "Hoàng Văn Tâm", "1935-03-02", 540000]]
    if month in ("T1-2023", "T2-2023"):
        rows.append(["006138004321", "Ma Thị Sen", "1938-06-07", 540000])
    rows.append(["006036007777", "Lý Văn Đức", "1936-09-11", 400000])
    return rows


def _write(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    ward = tmp_path_factory.mktemp("ward")
    (ward / "ward.yml").write_text(
        'ward_code: "01834"\nward_name: "Phường Thử"\nprovince_code: "06"\nprovince_name: "Bắc Kạn"\n',
        encoding="utf-8",
    )
    _write(ward / "beneficiaries.xlsx", {"DS": [BEN_HEAD, *BEN]})
    # Title row first, as offices keep it: data rows start at row 3 on every sheet.
    _write(
        ward / "payments.xlsx",
        {m: [["DANH SÁCH CHI TRẢ"], PAY_HEAD, *_pay_rows(m)] for m in MONTHS},
    )
    _write(
        ward / "deaths.xlsx",
        {
            "Khai tử": [
                ["national_id", "full_name", "birth_date", "death_date"],
                ["006035001234", "Hoàng Văn Tâm", "1935-03-02", "2022-10-15"],
            ]
        },
    )
    result = run_audit(ward, as_of="2023-02-28", period_from="2022-11", quality=False)
    return result.findings


def _sources(findings: pd.DataFrame, check_id: str, name: str) -> list[str]:
    rows = findings.loc[(findings["check_id"] == check_id) & (findings["full_name"] == name)]
    assert len(rows) == 1, findings[["check_id", "full_name", "source"]]
    return str(rows.iloc[0]["source"]).split(";")


@pytest.mark.parametrize(
    ("check_id", "name", "expected"),
    [
        # died 10/2022, paid every month of the period: each month sheet's row 3
        ("DECEASED_ACTIVE", "Hoàng Văn Tâm", [f"payments:{m}!3" for m in MONTHS]),
        # line ended 12/2022, paid in 01 and 02/2023: row 4 of those two sheets
        ("PAID_AFTER_END", "Ma Thị Sen", ["payments:T1-2023!4", "payments:T2-2023!4"]),
        # paid 400,000 of 540,000 every month: row 4 of Nov/Dec, row 5 once Sen is on the sheet
        (
            "WRONG_AMOUNT",
            "Lý Văn Đức",
            ["payments:T11-2022!4", "payments:T12-2022!4", "payments:T1-2023!5", "payments:T2-2023!5"],
        ),
    ],
)
def test_payment_sources_name_the_month_sheet(findings, check_id, name, expected):
    sources = [s.strip() for s in _sources(findings, check_id, name)]
    pay = [s for s in sources if s.startswith("payments:")]
    assert sorted(pay) == sorted(expected)
    assert any(s.startswith("beneficiaries:") for s in sources)  # the line itself is still named


def test_no_finding_names_a_bare_payment_row_when_payments_came_in_month_sheets(findings):
    bare = findings["source"].astype(str).str.contains(r"payments:\d", regex=True)
    assert not bare.any(), findings.loc[bare, ["check_id", "source"]]
