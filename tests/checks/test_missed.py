"""Missed-eligible-people checks: MISSED_ELDERLY, MISSED_DISABILITY, MISSED_CARE.

Default audit: as_of 2023-02-28 (rule: ≥ 80), period 01/2022 .. 02/2023.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from audit_toolkit.checks import missed
from audit_toolkit.checks.base import IMPLEMENTATIONS
from tests.factories import context, new_id, person, ward


def _run(func: Any, *, as_of: str = "2023-02-28", lang: str = "vi", **tables: Any) -> pd.DataFrame:
    return func(context(ward(**tables), as_of=as_of, lang=lang))


def _one(raw: pd.DataFrame) -> pd.Series:
    assert len(raw) == 1, raw
    return raw.iloc[0]


def _resident(birth: str, **fields: Any) -> dict[str, Any]:
    sex = fields.get("sex", "F")
    rec = {
        "national_id": new_id(sex=sex, birth_year=int(birth[:4])),
        "full_name": "Nguyễn Thị Lan",
        "birth_date": birth,
        "sex": sex,
        "residence_status": "permanent",
    }
    rec.update(fields)
    return rec


def test_registered() -> None:
    assert IMPLEMENTATIONS["MISSED_ELDERLY"] is missed.find_missed_elderly
    assert IMPLEMENTATIONS["MISSED_DISABILITY"] is missed.find_missed_disability
    assert IMPLEMENTATIONS["MISSED_CARE"] is missed.find_missed_care


# ---------------------------------------------------------------------------------------------- MISSED_ELDERLY
@pytest.mark.parametrize(
    ("as_of", "birth", "poverty", "expect"),
    [
        # before 07/2025 the rule is 80: an 82-year-old with nothing is missed
        ("2023-02-28", "1940-05-01", None, True),
        # 79 turning 80 in the as-of month: already 80 in that month
        ("2023-02-28", "1943-02-25", None, True),
        # turns 80 the month after as_of: still 79
        ("2023-02-28", "1943-03-01", None, False),
        # year-only birth date = 1 January: "1943" is 80 in 02/2023
        ("2023-02-28", "1943", None, True),
        # year-only "1944" is 79
        ("2023-02-28", "1944", None, False),
        # before 07/2025 poverty does not lower the age: 78 and poor is not missed
        ("2025-06-30", "1947-01-01", "poor", False),
        # from 07/2025: 75 is enough
        ("2025-08-31", "1950-03-01", None, True),
        # from 07/2025: 74 without poverty is not
        ("2025-08-31", "1950-09-01", None, False),
        # from 07/2025: 72 in a poor household
        ("2025-08-31", "1953-01-01", "poor", True),
        # from 07/2025: 72 in a near-poor household
        ("2025-08-31", "1953-01-01", "near_poor", True),
        # from 07/2025: 69 in a poor household is below 70
        ("2025-08-31", "1956-01-01", "poor", False),
        # from 07/2025: turning 70 in the as-of month, poor
        ("2025-08-31", "1955-08-31", "poor", True),
    ],
)
def test_missed_elderly_thresholds(as_of: str, birth: str, poverty: str | None, expect: bool) -> None:
    res = _resident(birth, poverty_status=poverty)
    raw = _run(missed.find_missed_elderly, as_of=as_of, residents=[res], pensions=[])
    assert (len(raw) == 1) is expect
    if expect:
        assert raw.iloc[0]["person_key"] == "id:" + res["national_id"]
        assert raw.iloc[0]["amount_vnd"] == 0


@pytest.mark.parametrize(
    ("pension", "expect"),
    [
        # a pension paid at as_of: not missed
        ({"benefit": "pension", "start_month": "2010-01"}, False),
        # a monthly social-insurance benefit at as_of
        ({"benefit": "social_insurance"}, False),
        # a social pension at as_of
        ({"benefit": "social_pension", "start_month": "2023-02"}, False),
        # the pension ended before as_of (end_month = first month not paid)
        ({"benefit": "pension", "start_month": "2010-01", "end_month": "2023-01"}, True),
        # the pension starts after as_of
        ({"benefit": "pension", "start_month": "2023-03"}, True),
        # the pension ends from the month after as_of: still paid at as_of
        ({"benefit": "pension", "end_month": "2023-03"}, False),
    ],
)
def test_missed_elderly_pensions(pension: dict[str, Any], expect: bool) -> None:
    res = _resident("1935-05-05")
    rec = {"national_id": res["national_id"], "full_name": res["full_name"], **pension}
    raw = _run(missed.find_missed_elderly, residents=[res], pensions=[rec])
    assert (len(raw) == 1) is expect


@pytest.mark.parametrize(
    ("variant", "expect"),
    [
        # moved out of the ward: not this ward's to enrol
        ("moved_out", False),
        # in the death register
        ("dead", False),
        # a temporary resident counts as living here
        ("temporary", True),
        # an active K5c line under the same ID
        ("active_line", False),
        # an active line without ID, same name and birth date
        ("active_line_by_name", False),
        # a line that ended before as_of does not count
        ("ended_line", True),
        # an active line of any category (here K6) is enough to be "on a list"
        ("active_k6", False),
    ],
)
def test_missed_elderly_exclusions(variant: str, expect: bool) -> None:
    status = {"moved_out": "moved_out", "temporary": "temporary"}.get(variant, "permanent")
    res = _resident("1935-05-05", residence_status=status, full_name="Trần Thị Hoa")
    tables: dict[str, Any] = {"residents": [res], "pensions": []}
    same = {"full_name": "Trần Thị Hoa", "birth_date": "1935-05-05", "sex": "F"}
    if variant == "dead":
        tables["deaths"] = [
            {"national_id": res["national_id"], "full_name": "Trần Thị Hoa", "death_date": "2022-11-01"}
        ]
    elif variant == "active_line":
        tables["beneficiaries"] = [person(national_id=res["national_id"], **same)]
    elif variant == "active_line_by_name":
        tables["beneficiaries"] = [person(national_id=None, **same)]
    elif variant == "ended_line":
        tables["beneficiaries"] = [
            person(national_id=res["national_id"], status="ended", end_month="2022-06", **same)
        ]
    elif variant == "active_k6":
        tables["beneficiaries"] = [
            person(national_id=res["national_id"], category="K6", disability_level="severe", **same)
        ]
    raw = _run(missed.find_missed_elderly, **tables)
    assert (len(raw) == 1) is expect


def test_missed_elderly_detail_and_one_finding_per_person() -> None:
    res = _resident("1940-05-01", full_name="Nguyễn Thị Lan")
    twin_row = dict(res, address="Tổ 3")  # the same person listed twice in the register extract
    tables: dict[str, Any] = {"residents": [res, twin_row], "pensions": []}
    row = _one(_run(missed.find_missed_elderly, **tables))
    assert row["sources"] == ["residents:2", "residents:3"]
    assert row["category"] == "K5c"
    assert row["detail"] == (
        "Bà Nguyễn Thị Lan (sinh 01/05/1940, 82 tuổi tại tháng 02/2023) không có lương hưu, trợ cấp BHXH hay trợ cấp "
        "hằng tháng nào và không có tên trong danh sách hưởng: cần rà soát, hướng dẫn lập hồ sơ hưởng trợ cấp xã "
        "hội hằng tháng cho người từ đủ 80 tuổi"
    )
    en = _one(_run(missed.find_missed_elderly, lang="en", **tables))
    assert en["detail"] == (
        "Ms Nguyễn Thị Lan (born 01/05/1940, aged 82 in 02/2023) has no pension, social-insurance benefit or monthly "
        "allowance and is on no beneficiary list: review and help them apply for the monthly social allowance for "
        "people aged 80 or over"
    )


def test_missed_elderly_social_pension_detail() -> None:
    res = _resident("1953", sex="M", full_name="Lý Văn Tài", poverty_status="near_poor")
    row = _one(_run(missed.find_missed_elderly, as_of="2025-08-31", residents=[res], pensions=[]))
    assert row["category"] == "HTXH"
    assert row["detail"] == (
        "Ông Lý Văn Tài (sinh 1953, 72 tuổi tại tháng 08/2025, thuộc hộ cận nghèo) không có lương hưu, trợ cấp BHXH "
        "hay trợ cấp hằng tháng nào và không có tên trong danh sách hưởng: cần rà soát, hướng dẫn lập hồ sơ hưởng "
        "trợ cấp hưu trí xã hội"
    )
    en = _one(_run(missed.find_missed_elderly, as_of="2025-08-31", lang="en", residents=[res], pensions=[]))
    assert en["detail"] == (
        "Mr Lý Văn Tài (born 1953, aged 72 in 08/2025, near-poor household) has no pension, social-insurance benefit "
        "or monthly allowance and is on no beneficiary list: review and help them apply for the social pension"
    )


# ---------------------------------------------------------------------------------------------- MISSED_DISABILITY
def _cert(res: dict[str, Any], level: str, issued: str) -> dict[str, Any]:
    return {
        "national_id": res["national_id"],
        "full_name": res["full_name"],
        "birth_date": res["birth_date"],
        "disability_level": level,
        "issue_date": issued,
    }


@pytest.mark.parametrize(
    ("certs", "expect"),
    [
        # severe, issued 31 days before as_of (28/01/2023)
        ([("severe", "2023-01-28")], True),
        # exactly 30 days before: "at least 30 days"
        ([("especially_severe", "2023-01-29")], True),
        # 29 days before: the ward still has time
        ([("severe", "2023-01-30")], False),
        # mild: no K6 entitlement
        ([("mild", "2021-06-01")], False),
        # severe, then re-assessed as mild: the latest certificate counts
        ([("severe", "2020-01-01"), ("mild", "2022-06-01")], False),
        # mild, then severe: the latest certificate counts
        ([("mild", "2020-01-01"), ("severe", "2022-06-01")], True),
        # only a certificate issued after as_of: unknown at the audit date
        ([("severe", "2023-04-01")], False),
        # two certificates on one day disagree: the milder one counts
        ([("severe", "2022-06-01"), ("mild", "2022-06-01")], False),
    ],
)
def test_missed_disability_certificates(certs: list[tuple[str, str]], expect: bool) -> None:
    res = _resident("1980-04-04", sex="M", full_name="Mai Văn Sơn")
    raw = _run(
        missed.find_missed_disability,
        residents=[res],
        disability_certificates=[_cert(res, lv, d) for lv, d in certs],
    )
    assert (len(raw) == 1) is expect


@pytest.mark.parametrize(
    ("variant", "expect"),
    [
        # an active K6 line: enrolled
        ("active_k6", False),
        # an active K6 line without ID, same name and birth date
        ("active_k6_by_name", False),
        # the K6 line ended before as_of
        ("ended_k6", True),
        # an active line of another category does not cover the disability
        ("active_k5c", True),
        # moved out
        ("moved_out", False),
        # dead
        ("dead", False),
    ],
)
def test_missed_disability_exclusions(variant: str, expect: bool) -> None:
    res = _resident(
        "1980-04-04",
        sex="M",
        full_name="Mai Văn Sơn",
        residence_status="moved_out" if variant == "moved_out" else "permanent",
    )
    same = {"full_name": "Mai Văn Sơn", "birth_date": "1980-04-04", "sex": "M"}
    tables: dict[str, Any] = {
        "residents": [res],
        "disability_certificates": [_cert(res, "severe", "2022-01-10")],
    }
    if variant == "active_k6":
        tables["beneficiaries"] = [person(national_id=res["national_id"], category="K6", **same)]
    elif variant == "active_k6_by_name":
        tables["beneficiaries"] = [person(national_id=None, category="K6", **same)]
    elif variant == "ended_k6":
        tables["beneficiaries"] = [
            person(national_id=res["national_id"], category="K6", status="ended", end_month="2022-10", **same)
        ]
    elif variant == "active_k5c":
        tables["beneficiaries"] = [person(national_id=res["national_id"], category="K5c", **same)]
    elif variant == "dead":
        tables["deaths"] = [
            {"national_id": res["national_id"], "full_name": "Mai Văn Sơn", "death_date": "2022-12-01"}
        ]
    raw = _run(missed.find_missed_disability, **tables)
    assert (len(raw) == 1) is expect


def test_missed_disability_detail_and_sources() -> None:
    res = _resident("1980-04-04", sex="M", full_name="Mai Văn Sơn")
    tables: dict[str, Any] = {
        "residents": [_resident("1950-01-01"), res],
        "disability_certificates": [
            _cert(res, "mild", "2019-01-01"),
            _cert(res, "especially_severe", "2022-01-10"),
        ],
    }
    row = _one(_run(missed.find_missed_disability, **tables))
    assert row["sources"] == ["disability_certificates:3", "residents:3"]
    assert row["category"] == "K6"
    assert row["detail"] == (
        "Ông Mai Văn Sơn có giấy xác nhận khuyết tật mức đặc biệt nặng cấp ngày 10/01/2022 nhưng không có dòng trợ "
        "cấp người khuyết tật (K6) nào còn hiệu lực tại tháng 02/2023: cần rà soát, hướng dẫn lập hồ sơ"
    )
    en = _one(_run(missed.find_missed_disability, lang="en", **tables))
    assert en["detail"] == (
        "Mr Mai Văn Sơn holds a disability certificate at level especially severe issued on 10/01/2022 but has no "
        "disability allowance line (K6) active in 02/2023: review and help them apply"
    )


# ---------------------------------------------------------------------------------------------- MISSED_CARE
def _k6(**fields: Any) -> dict[str, Any]:
    base = {
        "full_name": "Phan Thị Ngọc",
        "sex": "F",
        "birth_date": "1975-09-09",
        "category": "K6",
        "disability_level": "especially_severe",
        "household_id": "HK-01",
        "national_id": "006175000555",
    }
    base.update(fields)
    return person(**base)


@pytest.mark.parametrize(
    ("others", "k6_fields", "expect"),
    [
        # no care line at all: ask
        ([], {}, True),
        # a C2 line beside the K6 line on the person's own record
        (
            [
                {
                    "category": "C2",
                    "national_id": "006175000555",
                    "full_name": "Phan Thị Ngọc",
                    "birth_date": "1975-09-09",
                }
            ],
            {},
            False,
        ),
        # a C3 caregiver elsewhere whose cared_for_id is this person
        (
            [
                {
                    "category": "C3",
                    "full_name": "Lê Văn Tư",
                    "birth_date": "1970-01-01",
                    "household_id": "HK-77",
                    "cared_for_id": "006175000555",
                }
            ],
            {},
            False,
        ),
        # a C3 line held by a member of the same household
        (
            [
                {
                    "category": "C3",
                    "full_name": "Phan Văn Ba",
                    "birth_date": "1972-02-02",
                    "household_id": "HK-01",
                }
            ],
            {},
            False,
        ),
        # same household, but the C3 line is for another disabled person
        (
            [
                {
                    "category": "C3",
                    "full_name": "Phan Văn Ba",
                    "birth_date": "1972-02-02",
                    "household_id": "HK-01",
                    "cared_for_id": "006199000999",
                }
            ],
            {},
            True,
        ),
        # a C2 line in another household
        (
            [
                {
                    "category": "C2",
                    "full_name": "Lê Văn Tư",
                    "birth_date": "1970-01-01",
                    "household_id": "HK-77",
                }
            ],
            {},
            True,
        ),
        # the person's C2 line ended before as_of
        (
            [
                {
                    "category": "C2",
                    "national_id": "006175000555",
                    "full_name": "Phan Thị Ngọc",
                    "birth_date": "1975-09-09",
                    "status": "ended",
                    "end_month": "2022-12",
                }
            ],
            {},
            True,
        ),
        # a C1 line is not care for an especially severe disability
        (
            [
                {
                    "category": "C1",
                    "national_id": "006175000555",
                    "full_name": "Phan Thị Ngọc",
                    "birth_date": "1975-09-09",
                }
            ],
            {},
            True,
        ),
        # level "severe" (not especially severe): no care support expected
        ([], {"disability_level": "severe"}, False),
        # the K6 line itself ended before as_of
        ([], {"status": "ended", "end_month": "2022-06"}, False),
    ],
)
def test_missed_care(others: list[dict[str, Any]], k6_fields: dict[str, Any], expect: bool) -> None:
    raw = _run(missed.find_missed_care, beneficiaries=[_k6(**k6_fields), *[person(**o) for o in others]])
    assert (len(raw) == 1) is expect


def test_missed_care_detail_one_per_person_and_deaths() -> None:
    # two K6 lines for one person (a duplicate, reported elsewhere): one question, both rows as sources
    lines = [_k6(), _k6()]
    row = _one(_run(missed.find_missed_care, beneficiaries=lines))
    assert row["sources"] == ["beneficiaries:2", "beneficiaries:3"]
    assert row["amount_vnd"] == 0
    assert row["detail"] == (
        "Bà Phan Thị Ngọc là người khuyết tật đặc biệt nặng đang hưởng trợ cấp K6 nhưng tại tháng 02/2023 không thấy "
        "dòng hỗ trợ kinh phí chăm sóc (C2/C3) nào cho người này: gia đình hoặc người nhận chăm sóc có đang được hỗ "
        "trợ kinh phí chăm sóc không?"
    )
    en = _one(_run(missed.find_missed_care, lang="en", beneficiaries=lines))
    assert en["detail"] == (
        "Ms Phan Thị Ngọc has an especially severe disability and an active K6 line, but in 02/2023 no care support "
        "line (C2/C3) was found for them: does the family or caregiver receive care support?"
    )
    # found in the death register: DECEASED_ACTIVE's business, no question about care
    death = {"national_id": "006175000555", "full_name": "Phan Thị Ngọc", "death_date": "2022-10-10"}
    assert _run(missed.find_missed_care, beneficiaries=lines, deaths=[death]).empty
