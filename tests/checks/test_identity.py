"""UNREADABLE_ROW, ID_INVALID, ID_MISMATCH, ID_CONFLICT (docs/check-semantics.md)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from audit_toolkit.checks.identity import (
    find_id_conflicts,
    find_id_mismatches,
    find_invalid_ids,
    find_unreadable_rows,
)
from tests.factories import context, person, ward


class _RulesWithCmnd:
    """The packaged rules plus the CMND validity date (not yet in the RuleSet: see the report)."""

    def __init__(self, rules: Any, until: str) -> None:
        self._rules = rules
        self.cmnd_valid_until = pd.Timestamp(until)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rules, name)


def _unreadable(**over: Any) -> dict[str, Any]:
    row = {
        "table": "beneficiaries",
        "file": "danh_sach.xlsx",
        "sheet": "DS",
        "row": 7,
        "column": "birth_date",
        "value": "31/02/1950",
        "reason": "birth_date: cannot read date '31/02/1950'",
    }
    row.update(over)
    return row


# ------------------------------------------------------------------------------------ UNREADABLE_ROW


@pytest.mark.parametrize(
    ("rows", "lang", "expected_keys", "expected_detail"),
    [
        # a workbook row: sheet named, reason translated, value verbatim
        (
            [_unreadable()],
            "vi",
            ["row:beneficiaries:7"],
            "Không đọc được dòng 7 của tệp danh_sach.xlsx, trang tính “DS”, cột birth_date: giá trị "
            "“31/02/1950” (birth_date: không đọc được ngày “31/02/1950”). Sửa ô này trong tệp rồi chạy lại kiểm tra.",
        ),
        # a CSV row: no sheet; English
        (
            [
                _unreadable(
                    file="payments.csv",
                    sheet="",
                    table="payments",
                    row=12,
                    column="amount",
                    value="abc",
                    reason="amount: cannot read amount 'abc'",
                )
            ],
            "en",
            ["row:payments:12"],
            "Row 12 of payments.csv, column amount, could not be read: value “abc” (amount: cannot read "
            "amount “abc”). Correct the cell in the file and run the audit again.",
        ),
        # an unknown reason is kept verbatim, never guessed
        (
            [_unreadable(reason="something odd happened")],
            "vi",
            ["row:beneficiaries:7"],
            "Không đọc được dòng 7 của tệp danh_sach.xlsx, trang tính “DS”, cột birth_date: giá trị "
            "“31/02/1950” (something odd happened). Sửa ô này trong tệp rồi chạy lại kiểm tra.",
        ),
    ],
)
def test_unreadable_row_detail(
    rows: list[dict[str, Any]], lang: str, expected_keys: list[str], expected_detail: str
) -> None:
    w = ward(beneficiaries=[person()])
    w.unreadable = pd.DataFrame(rows)
    raw = find_unreadable_rows(context(w, lang=lang))
    assert raw["person_key"].tolist() == expected_keys
    assert raw["detail"].iloc[0] == expected_detail
    assert raw["amount_vnd"].tolist() == [0.0]


def test_unreadable_rows_one_finding_per_row_with_sources_and_raw_identity() -> None:
    w = ward(beneficiaries=[person()])
    w.unreadable = pd.DataFrame(
        [
            _unreadable(row=3, national_id="006150001234", full_name="Lê Văn Cường"),
            _unreadable(
                row=9,
                column="category, sex",
                value="Người nghèo | X",
                reason="category: unknown category label 'Người nghèo'; sex: unknown sex value 'X'",
                national_id=None,
                full_name=None,
            ),
        ]
    )
    raw = find_unreadable_rows(context(w, lang="vi"))
    assert raw["sources"].tolist() == [["beneficiaries:3"], ["beneficiaries:9"]]
    assert raw["national_id"].tolist() == ["006150001234", ""]
    assert raw["full_name"].tolist() == ["Lê Văn Cường", ""]
    assert (
        "category: nhóm đối tượng không xác định “Người nghèo”; sex: giá trị sex không có trong danh mục “X”"
        in (raw["detail"].iloc[1])
    )


def test_no_unreadable_rows_no_findings() -> None:
    assert find_unreadable_rows(context(ward(beneficiaries=[person()]))).empty


# ---------------------------------------------------------------------------------------- ID_INVALID


@pytest.mark.parametrize(
    ("national_id", "expected"),
    [
        ("006150001234", None),  # valid 12-digit, known province 006: passes
        ("001080000077", None),  # Hà Nội 001, leading zeros kept: passes
        (None, "missing"),  # no ID
        ("00615000123", "format"),  # 11 digits
        ("00615000123A", "format"),  # a letter
        ("999150001234", "province"),  # 12 digits, province code 999 does not exist
        ("123456789", None),  # 9-digit CMND: valid before 2025 (as_of 2023-02-28)
    ],
)
def test_id_invalid_cases(national_id: str | None, expected: str | None) -> None:
    line = person(full_name="Nguyễn Văn An", national_id=national_id)
    raw = find_invalid_ids(context(ward(beneficiaries=[line]), lang="en"))
    if expected is None:
        assert raw.empty
        return
    assert len(raw) == 1
    assert raw["sources"].iloc[0] == ["beneficiaries:2"]
    assert raw["severity"].iloc[0] == ""
    words = {"missing": "has no personal ID", "format": "not 12 digits", "province": "province code “999”"}
    assert words[expected] in raw["detail"].iloc[0]


@pytest.mark.parametrize(
    ("as_of", "until", "severity"),
    [
        ("2025-02-28", "2024-12-31", "low"),  # CMND after its last valid day: low, outdated
        ("2024-12-31", "2024-12-31", None),  # on the last valid day: still valid
    ],
)
def test_outdated_cmnd_is_low(as_of: str, until: str, severity: str | None) -> None:
    ctx = context(
        ward(beneficiaries=[person(national_id="123456789", start_month="2020-01")]),
        as_of=as_of,
        period_from="2024-06",
        lang="vi",
    )
    ctx.rules = _RulesWithCmnd(ctx.rules, until)  # type: ignore[assignment]
    raw = find_invalid_ids(ctx)
    if severity is None:
        assert raw.empty
    else:
        assert raw["severity"].tolist() == [severity]
        assert raw["detail"].iloc[0] == (
            "Nguyễn Văn An (sinh 10/05/1950) vẫn ghi số CMND 9 chữ số 123456789, hết giá trị sử dụng sau ngày "
            "31/12/2024: cập nhật số định danh cá nhân 12 chữ số."
        )


def test_id_invalid_one_finding_per_person_severity_not_lowered_by_a_cmnd_line() -> None:
    # Same person (name + birth date), one line without ID, one with a CMND: one finding, medium.
    lines = [person(national_id=None, category="K5c"), person(national_id="123456789", category="C2")]
    ctx = context(ward(beneficiaries=lines), as_of="2025-02-28", period_from="2024-06", lang="vi")
    ctx.rules = _RulesWithCmnd(ctx.rules, "2024-12-31")  # type: ignore[assignment]
    raw = find_invalid_ids(ctx)
    assert len(raw) == 1
    assert raw["sources"].iloc[0] == ["beneficiaries:2", "beneficiaries:3"]
    assert raw["severity"].iloc[0] == ""
    assert raw["category"].iloc[0] == "C2, K5c"
    assert raw["national_id"].iloc[0] == "123456789"


# --------------------------------------------------------------------------------------- ID_MISMATCH


@pytest.mark.parametrize(
    ("national_id", "sex", "birth", "parts"),
    [
        ("006050001234", "M", "1950-05-10", None),  # digit 0 = male 1900s, 50 = 1950: passes
        ("006150001234", "M", "1950-05-10", ["sex"]),  # digit 1 = female
        ("006060001234", "M", "1950-05-10", ["year"]),  # 1960 in the ID
        ("006160001234", "M", "1950-05-10", ["sex", "year"]),  # both wrong
        ("006050001234", "M", "1950", None),  # year-only birth date still has the year: passes
        ("006050001234", "M", "1951", ["year"]),  # year-only, wrong year
        ("006050001234", None, "1950-05-10", None),  # no sex recorded: only the year is compared
        ("006315001234", "F", "2015-03-01", None),  # digit 3 = female 2000s: passes
        ("006115001234", "F", "2015-03-01", ["year"]),  # digit 1 = 1900s: 1915 ≠ 2015
        ("12345678", "M", "1950-05-10", None),  # not 12 digits: ID_INVALID's business
    ],
)
def test_id_mismatch_cases(national_id: str, sex: str | None, birth: str, parts: list[str] | None) -> None:
    raw = find_id_mismatches(
        context(ward(beneficiaries=[person(national_id=national_id, sex=sex, birth_date=birth)]), lang="en")
    )
    if parts is None:
        assert raw.empty
        return
    assert len(raw) == 1
    detail = raw["detail"].iloc[0]
    assert ("belongs to a" in detail) == ("sex" in parts)
    assert ("gives birth year" in detail) == ("year" in parts)
    assert raw["person_key"].iloc[0] == f"id:{national_id}"


def test_id_mismatch_detail_both_languages_and_one_per_person() -> None:
    lines = [
        person(national_id="006160001234", sex="M", category="K5c"),
        person(national_id="006160001234", sex="M", category="C2"),
    ]
    vi = find_id_mismatches(context(ward(beneficiaries=lines), lang="vi"))
    en = find_id_mismatches(context(ward(beneficiaries=lines), lang="en"))
    assert len(vi) == 1 and vi["sources"].iloc[0] == ["beneficiaries:2", "beneficiaries:3"]
    assert vi["detail"].iloc[0] == (
        "Nguyễn Văn An: số định danh 006160001234 là của người nữ nhưng danh sách ghi giới tính nam; "
        "số định danh 006160001234 cho biết năm sinh 1960 nhưng danh sách ghi năm sinh 1950. "
        "Đối chiếu thẻ căn cước và sửa thông tin sai."
    )
    assert en["detail"].iloc[0] == (
        "Nguyễn Văn An: ID 006160001234 belongs to a female person but the list records sex male; "
        "ID 006160001234 gives birth year 1960 but the list records 1950. Check the ID card and correct "
        "whichever is wrong."
    )


# --------------------------------------------------------------------------------------- ID_CONFLICT

_ID = "006050001234"


@pytest.mark.parametrize(
    ("resident", "conflict"),
    [
        ({"full_name": "Nguyễn Văn An", "birth_date": "1950-05-10"}, False),  # same person
        ({"full_name": "NGUYEN VAN AN", "birth_date": "1950-05-10"}, False),  # same name_key
        ({"full_name": "Nguyễn Văn Ân", "birth_date": "1950-05-10"}, False),  # diacritics only
        ({"full_name": "Nguyễn Văn Anh", "birth_date": "1950-05-10"}, False),  # one edit: a typo
        ({"full_name": "Nguyễn Văn Bình", "birth_date": "1950-05-10"}, True),  # another name
        ({"full_name": "Nguyễn Văn An", "birth_date": "1950-05-11"}, True),  # another full birth date
        ({"full_name": "Nguyễn Văn An", "birth_date": "1950"}, False),  # year-only, same year
        ({"full_name": "Nguyễn Văn An", "birth_date": "1951"}, True),  # year-only, another year
        ({"full_name": None, "birth_date": None}, False),  # nothing to compare
    ],
)
def test_id_conflict_against_residents(resident: dict[str, Any], conflict: bool) -> None:
    line = person(national_id=_ID)
    w = ward(beneficiaries=[line], residents=[{"national_id": _ID, **resident}])
    raw = find_id_conflicts(context(w))
    assert (len(raw) == 1) == conflict
    if conflict:
        assert raw["sources"].iloc[0] == ["beneficiaries:2", "residents:2"]
        assert raw["person_key"].iloc[0] == f"id:{_ID}"
        assert raw["national_id"].iloc[0] == _ID
        assert raw["full_name"].iloc[0] == "Nguyễn Văn An"


def test_id_conflict_across_every_register_one_finding_with_all_rows() -> None:
    w = ward(
        beneficiaries=[person(national_id=_ID), person(national_id=_ID, category="C2")],
        deaths=[
            {
                "national_id": _ID,
                "full_name": "Trần Thị Bình",
                "birth_date": "1962-03-12",
                "death_date": "2022-05-01",
            }
        ],
        pensions=[{"national_id": _ID, "full_name": "Nguyễn Văn An", "benefit": "pension"}],
        disability_certificates=[
            {
                "national_id": _ID,
                "full_name": "Nguyễn Văn An",
                "birth_date": "1950-05-10",
                "disability_level": "severe",
                "issue_date": "2020-01-01",
            }
        ],
    )
    vi = find_id_conflicts(context(w, lang="vi"))
    assert len(vi) == 1
    assert vi["sources"].iloc[0] == [
        "beneficiaries:2",
        "beneficiaries:3",
        "deaths:2",
        "disability_certificates:2",
        "pensions:2",
    ]
    assert vi["detail"].iloc[0] == (
        f"Số định danh {_ID} được ghi cho những người khác nhau: Nguyễn Văn An (sinh 10/05/1950; danh sách "
        "hưởng trợ cấp dòng 2, danh sách hưởng trợ cấp dòng 3, danh sách giấy xác nhận khuyết tật dòng 2); "
        "Trần Thị Bình (sinh 12/03/1962; danh sách khai tử dòng 2); Nguyễn Văn An (sinh ?; danh sách hưởng "
        "lương hưu/BHXH dòng 2). Xác định người mang đúng số định danh này và sửa các bản ghi còn lại."
    )
    en = find_id_conflicts(context(w, lang="en"))
    assert en["detail"].iloc[0].startswith(f"ID {_ID} is recorded for different people: Nguyễn Văn An (born")


@pytest.mark.parametrize(
    ("beneficiaries", "residents", "expected"),
    [
        # two beneficiary lines with one ID and two different names: conflict inside the list
        ([person(national_id=_ID), person(national_id=_ID, full_name="Lê Thị Hoa", sex="F")], None, 1),
        # conflict only among residents, no beneficiary carries the ID: outside the audited list
        (
            [person()],
            [{"national_id": _ID, "full_name": "A B"}, {"national_id": _ID, "full_name": "C D E"}],
            0,
        ),
        # a 9-digit CMND shared by two people is a conflict too
        ([person(national_id="123456789"), person(national_id="123456789", full_name="Lê Thị Hoa")], None, 1),
        # an unusable ID (too short) is not compared
        ([person(national_id="12345"), person(national_id="12345", full_name="Lê Thị Hoa")], None, 0),
    ],
)
def test_id_conflict_scope(
    beneficiaries: list[dict[str, Any]], residents: list[dict[str, Any]] | None, expected: int
) -> None:
    raw = find_id_conflicts(context(ward(beneficiaries=beneficiaries, residents=residents)))
    assert len(raw) == expected


def test_id_conflict_judges_each_id_apart() -> None:
    """Many IDs at once: each is judged on its own records (names and dates compared within the ID)."""
    ids = ["006050001231", "006050001232", "006050001233", "006050001234", "006050001235"]
    beneficiaries = [person(national_id=i, full_name="Nguyễn Văn An", birth_date="1950-05-10") for i in ids]
    residents = [
        {"national_id": ids[0], "full_name": "Nguyễn Văn An", "birth_date": "1950-05-10"},  # same person
        {"national_id": ids[1], "full_name": "Nguyễn Văn An", "birth_date": "1950-05-12"},  # other date
        {"national_id": ids[2], "full_name": "Nguyễn Văn Bình", "birth_date": "1950-05-10"},  # other name
        {"national_id": ids[3], "full_name": "Nguyễn Văn Anh", "birth_date": "1950"},  # typo, year-only
        {"national_id": ids[4], "full_name": "Nguyễn Văn An", "birth_date": "1949"},  # other year
        {"national_id": ids[2], "full_name": "Nguyễn Văn An", "birth_date": "1950-05-10"},  # same person
    ]
    raw = find_id_conflicts(context(ward(beneficiaries=beneficiaries, residents=residents)))
    assert sorted(raw["national_id"]) == [ids[1], ids[2], ids[4]]
