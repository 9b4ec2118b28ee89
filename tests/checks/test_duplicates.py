"""DUPLICATE_ID, DUPLICATE_PERSON and the batch CROSS_WARD_DUPLICATE (docs/check-semantics.md).

Default context: as_of 2023-02-28, period 01/2022..02/2023 (14 months), standard level 360,000 VND.
"""

from __future__ import annotations

import random
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_toolkit.checks.duplicates import (
    find_cross_ward_duplicates,
    find_duplicate_ids,
    find_duplicate_people,
)
from audit_toolkit.checks.identity import find_id_conflicts, find_invalid_ids
from tests.factories import context, month_range, payments_for, person, ward

STD = 360_000.0


def _k5c(**over: Any) -> dict[str, Any]:
    return person(category="K5c", coefficient=1.0, **over)


def _k6(base: dict[str, Any], **over: Any) -> dict[str, Any]:
    line = dict(base, category="K6", disability_level="severe", coefficient=2.0, start_month="2022-06")
    line.update(over)
    return line


# -------------------------------------------------------------------------------------- DUPLICATE_ID


def test_duplicate_id_amount_from_payments_and_sources() -> None:
    a = _k5c()
    b = _k6(a)
    pays = payments_for(a, month_range("2022-01", "2023-02"), STD) + payments_for(
        b, month_range("2022-06", "2023-02"), 2 * STD
    )
    raw = find_duplicate_ids(context(ward(beneficiaries=[a, b], payments=pays), lang="vi"))
    assert len(raw) == 1
    # K5c (lower) paid 360,000 in each of the 9 months 06/2022..02/2023 where both lines are active.
    assert raw["amount_vnd"].iloc[0] == 9 * STD
    assert raw["person_key"].iloc[0] == "id:" + a["national_id"]
    # both lines, and the payments of both lines in the overlapping months (rows 7..24)
    expected = {"beneficiaries:2", "beneficiaries:3"} | {f"payments:{r}" for r in range(7, 25)}
    assert set(raw["sources"].iloc[0]) == expected
    # Coefficients as every check writes them (checks.common.coef_text, "1,0"): the duplicates'
    # own copy of the formatter wrote "1" (issue 10, one formatter).
    assert raw["detail"].iloc[0] == (
        f"Nguyễn Văn An (số định danh {a['national_id']}) có 2 dòng hưởng không được hưởng đồng thời nhưng "
        "cùng đang hưởng: K5c, hệ số 1,0, từ tháng 01/2020 (beneficiaries:2); K6, hệ số 2,0, từ tháng 06/2022 "
        "(beneficiaries:3). Chỉ được hưởng một mức cao nhất; số tiền đã chi cho các dòng thấp hơn trong "
        "9 tháng trùng: 3.240.000 đ."
    )


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # K5c + K6 without payments: due amounts of the lower line, 9 overlapping months
        (lambda: [a := _k5c(), _k6(a)], 9 * STD),
        # same category twice: the copy's due for all 14 months
        (lambda: [a := _k5c(), dict(a)], 14 * STD),
        # K5c suspended (no end month: from 02/2023): 8 payable overlapping months
        (lambda: [a := _k5c(status="suspended"), _k6(a, status="active")], 8 * STD),
        # K4 + K6 stack (K4 exception): no finding
        (lambda: [a := person(category="K4", coefficient=1.0), _k6(a)], None),
        # K6 + C2 (monthly + care support) stack: no finding
        (lambda: [a := _k6(person(), start_month="2020-01"), dict(a, category="C2", coefficient=1.0)], None),
        # K5c ended 03/2022 (first month not active), K6 from 06/2022: never active together
        (lambda: [a := _k5c(status="ended", end_month="2022-03"), _k6(a)], None),
        # an end before the period: not active in P
        (
            lambda: [
                a := _k5c(end_month="2021-06", status="ended"),
                dict(a, end_month=None, status="active"),
            ],
            None,
        ),
        # one ID, two people (ID_CONFLICT's business) is still two lines of one ID: duplicate
        (lambda: [a := _k5c(), dict(a, full_name="Lê Thị Hoa")], 14 * STD),
        # a 9-digit CMND on two lines of the same category
        (lambda: [a := _k5c(national_id="123456789"), dict(a)], 14 * STD),
    ],
)
def test_duplicate_id_cases(lines: Any, expected: float | None) -> None:
    raw = find_duplicate_ids(context(ward(beneficiaries=lines())))
    if expected is None:
        assert raw.empty
    else:
        assert raw["amount_vnd"].tolist() == [expected]


def test_duplicate_id_same_category_ambiguous_payments() -> None:
    # Two K5c lines, one ID, payments with ID + category only: the linking is ambiguous; one payment
    # per month is lawful, the second is overpaid.
    a = _k5c()
    pays = payments_for(a, month_range("2022-01", "2023-02"), STD) * 2
    raw = find_duplicate_ids(context(ward(beneficiaries=[a, dict(a)], payments=pays), lang="en"))
    assert raw["amount_vnd"].tolist() == [14 * STD]
    assert len([s for s in raw["sources"].iloc[0] if s.startswith("payments:")]) == 28
    assert (
        raw["detail"].iloc[0].endswith("paid on the lower lines in 14 overlapping month(s): 5,040,000 VND.")
    )


def test_duplicate_id_paid_only_on_the_higher_line_costs_nothing() -> None:
    # The ward paid only the K6 line: nothing was received on the lower line.
    a = _k5c()
    b = _k6(a)
    pays = payments_for(b, month_range("2022-06", "2023-02"), 2 * STD)
    raw = find_duplicate_ids(context(ward(beneficiaries=[a, b], payments=pays)))
    assert raw["amount_vnd"].tolist() == [0.0]


def test_duplicate_id_social_pension_with_monthly_allowance() -> None:
    # From 07/2025 the social pension (HTXH) does not stack with a monthly allowance.
    a = person(category="K5c", coefficient=1.0, birth_date="1940-01-01", start_month="2025-07")
    b = dict(a, category="HTXH", coefficient=1.0)
    raw = find_duplicate_ids(context(ward(beneficiaries=[a, b]), as_of="2025-12-31", period_from="2025-07"))
    assert raw["amount_vnd"].tolist() == [6 * 500_000.0]


def test_duplicate_id_three_lines_one_finding() -> None:
    a = _k5c()
    lines = [a, _k6(a), dict(a, category="K5a", coefficient=1.5, start_month="2022-12")]
    raw = find_duplicate_ids(context(ward(beneficiaries=lines)))
    assert len(raw) == 1
    # K5c loses 9 months to K6 (06/2022..02/2023); K5a loses 3 months (12/2022..02/2023) to K6.
    assert raw["amount_vnd"].iloc[0] == 9 * STD + 3 * 1.5 * STD
    assert raw["sources"].iloc[0] == ["beneficiaries:2", "beneficiaries:3", "beneficiaries:4"]


# ---------------------------------------------------------------------------------- DUPLICATE_PERSON


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        # a copy without ID, same name and full birth date
        ({"national_id": None}, 14 * STD),
        # another (valid) ID: different IDs, same person
        ({"national_id": "006050999999"}, 14 * STD),
        # name differs by one letter, written without diacritics
        ({"national_id": None, "full_name": "NGUYEN VAN ANH"}, 14 * STD),
        # two edits: another person
        ({"national_id": None, "full_name": "Nguyễn Văn Anhh"}, None),
        # another full birth date
        ({"national_id": None, "birth_date": "1950-05-11"}, None),
        # same ID: DUPLICATE_ID's business, not this check's
        ({}, None),
        # K5c + C2 stack
        ({"national_id": None, "category": "C2"}, None),
        # not active in a common month of the period
        ({"national_id": None, "start_month": "2023-03"}, None),
    ],
)
def test_duplicate_person_full_dates(second: dict[str, Any], expected: float | None) -> None:
    a = _k5c()
    b = dict(a, **second)
    raw = find_duplicate_people(context(ward(beneficiaries=[a, b])))
    if expected is None:
        assert raw.empty
    else:
        assert raw["amount_vnd"].tolist() == [expected]
        assert raw["sources"].iloc[0] == ["beneficiaries:2", "beneficiaries:3"]
        assert raw["person_key"].iloc[0] == "id:" + a["national_id"]


@pytest.mark.parametrize(
    ("first", "second", "found"),
    [
        # year-only birth dates, same year and household
        ({"household_id": "HH1"}, {"household_id": "HH1"}, True),
        # year-only, same year, other household, no address
        ({"household_id": "HH1"}, {"household_id": "HH2"}, False),
        # year-only on one side only, same household
        ({"household_id": "HH1"}, {"household_id": "HH1", "birth_date": "1940-07-01"}, True),
        # year-only, same address once normalised (case, diacritics, spaces)
        ({"address": "Tổ 5, phường Đức Xuân"}, {"address": "to 5,  PHUONG DUC XUAN"}, True),
        # year-only, different address
        ({"address": "Tổ 5, phường Đức Xuân"}, {"address": "Tổ 6, phường Đức Xuân"}, False),
        # year-only, another year, same household
        ({"household_id": "HH1"}, {"household_id": "HH1", "birth_date": "1941"}, False),
    ],
)
def test_duplicate_person_year_only(first: dict[str, Any], second: dict[str, Any], found: bool) -> None:
    base = {
        "full_name": "Lê Thị Bình",
        "birth_date": "1940",
        "sex": "F",
        "category": "K5c",
        "coefficient": 1.0,
    }
    a = person(**base, **first)
    b = person(**{**base, "national_id": None, **second})
    raw = find_duplicate_people(context(ward(beneficiaries=[a, b]), lang="en"))
    assert (len(raw) == 1) == found
    if found:
        assert raw["amount_vnd"].iloc[0] == 14 * STD
        assert (
            "Probably one person on 2 active lines under different or missing IDs: Lê Thị Bình"
            in (raw["detail"].iloc[0])
        )


def test_duplicate_person_detail_vi_and_no_double_count_with_duplicate_id() -> None:
    # a and b share an ID (DUPLICATE_ID counts the K5c line's 9 months); c is a copy of a without ID.
    a = _k5c()
    b = _k6(a)
    c = dict(a, national_id=None, full_name="Nguyen Van Anh")
    ctx = context(ward(beneficiaries=[a, b, c]), lang="vi")
    assert find_duplicate_ids(ctx)["amount_vnd"].tolist() == [9 * STD]
    raw = find_duplicate_people(ctx)
    assert len(raw) == 1
    # c loses to a (tie on level: a comes first) for 14 months; a's months lost to b are DUPLICATE_ID's.
    assert raw["amount_vnd"].iloc[0] == 14 * STD
    assert raw["sources"].iloc[0] == ["beneficiaries:2", "beneficiaries:3", "beneficiaries:4"]
    # coefficient "1,0": checks.common.coef_text, as every check writes it (issue 10, one formatter)
    assert (
        raw["detail"]
        .iloc[0]
        .startswith(
            "Có thể là cùng một người trên 3 dòng hưởng với số định danh khác nhau hoặc không có: Nguyễn Văn An, "
            f"{a['national_id']}, sinh 10/05/1950: K5c, hệ số 1,0, từ tháng 01/2020 (beneficiaries:2);"
        )
    )
    assert "Nguyen Van Anh, không có số định danh, sinh 10/05/1950" in raw["detail"].iloc[0]


# ------------------------------------------------------------------------------ CROSS_WARD_DUPLICATE


def _ctx(lines: list[dict[str, Any]], ward_id: str, name: str, **tables: Any) -> Any:
    w = ward(beneficiaries=lines, **tables)
    w.ward_id = w.ward_code = ward_id
    w.ward_name = name
    return context(w, lang="vi")


def test_cross_ward_same_id_later_ward_pays_back() -> None:
    a = _k5c(start_month="2020-01")
    moved = dict(a, start_month="2022-09")  # listed again after a move, the old ward never stopped
    pays = payments_for(moved, month_range("2022-09", "2023-02"), STD)
    first = _ctx([a], "01843", "Phùng Chí Kiên")
    second = _ctx([person(full_name="Hà Văn Dũng"), moved], "01840", "Đức Xuân", payments=pays)
    raw = find_cross_ward_duplicates([first, second])
    assert len(raw) == 1
    assert raw["check_id"].iloc[0] == "CROSS_WARD_DUPLICATE"
    assert raw["amount_vnd"].iloc[0] == 6 * STD  # what Đức Xuân paid for 09/2022..02/2023
    assert set(raw["sources"].iloc[0]) == {"01843/beneficiaries:2", "01840/beneficiaries:3"} | {
        f"01840/payments:{r}" for r in range(2, 8)
    }
    detail = raw["detail"].iloc[0]
    assert "Phùng Chí Kiên (01843)" in detail and "Đức Xuân (01840)" in detail
    assert detail.startswith(f"Nguyễn Văn An ({a['national_id']}) đang hưởng cùng thời gian ở 2 phường/xã")


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        # the person rule across wards: no ID in the second ward (from 06/2022), same name and birth
        # date; the first ward started earlier (03/2022): the second's 9 months are overpaid
        ({"national_id": None, "start_month": "2022-06"}, 9 * STD),
        # same start month in both wards: the ward id decides (01840 kept), 01843 pays back 12 months
        ({}, 12 * STD),
        # the second ward started earlier: the first ward is the one that pays back (12 months from 03/2022)
        ({"start_month": "2019-01"}, 12 * STD),
        # stacking lines across wards (K5c here, C2 there) are not a duplicate
        ({"category": "C2", "start_month": "2022-01"}, None),
        # no common month
        ({"start_month": "2023-03"}, None),
    ],
)
def test_cross_ward_cases(second: dict[str, Any], expected: float | None) -> None:
    a = _k5c(start_month="2022-03")
    raw = find_cross_ward_duplicates(
        [_ctx([a], "01843", "Phùng Chí Kiên"), _ctx([dict(a, **second)], "01840", "Đức Xuân")]
    )
    if expected is None:
        assert raw.empty
    else:
        assert raw["amount_vnd"].tolist() == [expected]


def test_cross_ward_ignores_duplicates_inside_one_ward_and_needs_two_wards() -> None:
    a = _k5c()
    lone = _ctx([a, dict(a)], "01843", "Phùng Chí Kiên")
    assert find_cross_ward_duplicates([lone]).empty
    assert find_cross_ward_duplicates(
        [lone, _ctx([person(full_name="Hà Văn Dũng")], "01840", "Đức Xuân")]
    ).empty


# ------------------------------------------------------------------------------------------ properties

_NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em", "Đỗ Thị Giang"]
_CATS = ["K1", "K5a", "K5c", "K6", "C2"]


@st.composite
def _rosters(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(min_value=1, max_value=6))
    lines = []
    for i in range(n):
        year = draw(st.integers(min_value=1930, max_value=2015))
        yo = draw(st.booleans())
        lines.append(
            person(
                full_name=_NAMES[i],
                birth_date=str(year)
                if yo
                else f"{year}-0{draw(st.integers(1, 9))}-1{draw(st.integers(0, 9))}",
                category=draw(st.sampled_from(_CATS)),
                coefficient=draw(st.sampled_from([1.0, 1.5, 2.0])),
                disability_level="severe",
                household_id=f"HH{i}",
                start_month=draw(st.sampled_from(["2019-01", "2022-01", "2022-07", "2023-02"])),
                national_id=draw(st.sampled_from([None, "valid"])),
            )
        )
    for line in lines:
        if line["national_id"] == "valid":
            line.pop("national_id")
            line.update(person(**line))
    return lines


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(roster=_rosters(), pick=st.integers(min_value=0, max_value=5))
def test_copied_row_always_yields_a_duplicate(roster: list[dict[str, Any]], pick: int) -> None:
    original = roster[pick % len(roster)]
    raw_ids = find_duplicate_ids(context(ward(beneficiaries=[*roster, dict(original)])))
    raw_people = find_duplicate_people(context(ward(beneficiaries=[*roster, dict(original)])))
    copy_row = f"beneficiaries:{len(roster) + 2}"
    found = raw_ids if original.get("national_id") else raw_people
    assert any(copy_row in sources for sources in found["sources"])


def _finding_set(lines: list[dict[str, Any]]) -> set[tuple[str, str, float]]:
    pays = [
        p
        for line in lines
        if line.get("national_id")
        for p in payments_for(line, ["2022-08", "2023-01"], STD)
    ]
    ctx = context(ward(beneficiaries=lines, payments=pays))
    frames = [
        f(ctx) for f in (find_duplicate_ids, find_duplicate_people, find_invalid_ids, find_id_conflicts)
    ]
    raw = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else None
    if raw is None:
        return set()
    return set(zip(raw["check_id"], raw["person_key"], raw["amount_vnd"].round(2), strict=True))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    roster=_rosters(), copies=st.lists(st.integers(min_value=0, max_value=5), max_size=3), seed=st.integers()
)
def test_shuffling_rows_does_not_change_findings(
    roster: list[dict[str, Any]], copies: list[int], seed: int
) -> None:
    lines = roster + [dict(roster[c % len(roster)]) for c in copies]
    shuffled = list(lines)
    random.Random(seed).shuffle(shuffled)
    assert _finding_set(lines) == _finding_set(shuffled)
