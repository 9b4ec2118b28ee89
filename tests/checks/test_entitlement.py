"""Entitlement checks: INELIGIBLE, WRONG_COEFFICIENT, WRONG_AMOUNT, UNPAID_MONTHS.

Default audit: as_of 2023-02-28, period 01/2022 .. 02/2023 (14 months), standard level 360,000.
Audits in 2024 cross the 07/2024 raise to 500,000.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit_toolkit.checks import entitlement as ent
from audit_toolkit.checks import run_checks
from audit_toolkit.checks.base import IMPLEMENTATIONS
from audit_toolkit.checks.entitlement_common import drop_pairs, keep_pairs
from audit_toolkit.findings import RAW_COLUMNS
from tests.factories import context, month_range, payments_for, person, ward

PERIOD = month_range("2022-01", "2023-02")
STD = 360_000


def _run(
    func: Any, *, as_of: str = "2023-02-28", period_from: str = "2022-01", lang: str = "vi", **tables: Any
) -> pd.DataFrame:
    out = func(context(ward(**tables), as_of=as_of, period_from=period_from, lang=lang))
    assert list(out.columns[: len(RAW_COLUMNS)]) == RAW_COLUMNS
    return out


def _one(raw: pd.DataFrame) -> pd.Series:
    assert len(raw) == 1, raw
    return raw.iloc[0]


def test_registered() -> None:
    for check_id, func in (
        ("INELIGIBLE", ent.find_ineligible),
        ("WRONG_COEFFICIENT", ent.find_wrong_coefficients),
        ("WRONG_AMOUNT", ent.find_wrong_amounts),
        ("UNPAID_MONTHS", ent.find_unpaid_months),
    ):
        assert IMPLEMENTATIONS[check_id] is func


# ---------------------------------------------------------------------------------------------- INELIGIBLE
_MILD = {"category": "K6", "disability_level": "mild", "coefficient": 1.5, "birth_date": "1980-04-02"}


@pytest.mark.parametrize(
    ("line", "paid", "amount", "expected"),
    [
        # K6 with a mild disability, paid 540,000 every month: every payment of the period is overpaid
        (_MILD, (PERIOD, 540_000), 14 * 540_000, True),
        # K6 severe adult at 1.5: eligible
        ({**_MILD, "disability_level": "severe"}, (PERIOD, 540_000), None, False),
        # K5c aged 79 at as_of (born 05/1943), paid the whole period: all overpaid
        ({"category": "K5c", "birth_date": "1943-05-01", "coefficient": 1.0}, (PERIOD, STD), 14 * STD, True),
        # K5c with a year-only birth date 1943: 80 from 01/2023, started 01/2023: eligible
        (
            {"category": "K5c", "birth_date": "1943", "start_month": "2023-01"},
            (month_range("2023-01", "2023-02"), STD),
            None,
            False,
        ),
        # the same person started 06/2022: paid 06..12/2022 before turning 80 (7 months)
        (
            {"category": "K5c", "birth_date": "1943", "start_month": "2022-06"},
            (month_range("2022-06", "2023-02"), STD),
            7 * STD,
            True,
        ),
        # birthday in the as-of month: 80 on 20/02/2023, started 02/2023: eligible
        (
            {"category": "K5c", "birth_date": "1943-02-20", "start_month": "2023-02"},
            (["2023-02"], STD),
            None,
            False,
        ),
        # born 03/1943: still 79 in 02/2023
        (
            {"category": "K5c", "birth_date": "1943-03-01", "start_month": "2023-02"},
            (["2023-02"], STD),
            STD,
            True,
        ),
        # K5a under 60 (58 at as_of), paid 1.5 the whole period
        (
            {"category": "K5a", "birth_date": "1965-01-01", "coefficient": 1.5},
            (PERIOD, 540_000),
            14 * 540_000,
            True,
        ),
        # K5a at 61: eligible
        (
            {"category": "K5a", "birth_date": "1962-01-01", "coefficient": 1.5, "start_month": "2022-01"},
            (PERIOD, 540_000),
            None,
            False,
        ),
        # K1 started in the month the child turned 16 (03/2022): only the limit month is INELIGIBLE's,
        # later months are AGE_OUT's
        (
            {"category": "K1", "birth_date": "2006-03-01", "start_month": "2022-03", "coefficient": 1.5},
            (month_range("2022-03", "2023-02"), 540_000),
            540_000,
            True,
        ),
        # K1 started at 15: eligible here (turning 16 later is AGE_OUT's business)
        (
            {
                "category": "K1",
                "birth_date": "2006-03-01",
                "start_month": "2022-01",
                "coefficient": 1.5,
                "end_month": "2022-04",
            },
            (month_range("2022-01", "2022-03"), 540_000),
            None,
            False,
        ),
        # an ended K6 mild line is not judged at as_of
        (
            {**_MILD, "status": "ended", "end_month": "2022-05"},
            (month_range("2022-01", "2022-04"), 540_000),
            None,
            False,
        ),
        # K2 at 17: fine
        (
            {"category": "K2", "birth_date": "2006-01-01", "coefficient": 1.5, "studying": True},
            (PERIOD, 540_000),
            None,
            False,
        ),
        # K2 at 15: a continuation category, not an entitlement age (a K1 child mislabelled at the same 1.5)
        (
            {"category": "K2", "birth_date": "2007-12-01", "coefficient": 1.5, "studying": True},
            (PERIOD, 540_000),
            None,
            False,
        ),
        # K5a who turned 60 in 06/2022 but was listed from 01/2022: 01..05/2022 paid before the age
        (
            {"category": "K5a", "birth_date": "1962-06-30", "coefficient": 1.5, "start_month": "2022-01"},
            (PERIOD, 540_000),
            5 * 540_000,
            True,
        ),
    ],
)
def test_ineligible(
    line: dict[str, Any], paid: tuple[list[str], float], amount: float | None, expected: bool
) -> None:
    rec = person(full_name="Hoàng Văn Nam", **line)
    out = _run(ent.find_ineligible, beneficiaries=[rec], payments=payments_for(rec, paid[0], paid[1]))
    assert len(out) == (1 if expected else 0)
    if expected:
        row = _one(out)
        assert row["amount_vnd"] == amount
        assert row["discriminator"] == line["category"] and row["category"] == line["category"]
        assert row["sources"][0] == "beneficiaries:2"


def test_ineligible_detail_both_languages() -> None:
    rec = person(full_name="Hoàng Văn Nam", **_MILD)
    pays = payments_for(rec, PERIOD, 540_000)
    vi = _one(_run(ent.find_ineligible, beneficiaries=[rec], payments=pays))
    assert vi["detail"] == (
        "Ông Hoàng Văn Nam (diện K6): mức độ khuyết tật nhẹ không thuộc diện hưởng trợ cấp xã hội hằng tháng. "
        "Đã chi trả cho các tháng không đủ điều kiện trong kỳ: 7.560.000 đ."
    )
    assert vi["sources"] == ["beneficiaries:2"] + [f"payments:{r}" for r in range(2, 16)]
    en = _one(_run(ent.find_ineligible, lang="en", beneficiaries=[rec], payments=pays))
    assert en["detail"] == (
        "Mr Hoàng Văn Nam (category K6): a mild disability does not qualify for the monthly social allowance. "
        "Paid for the months without entitlement in the period: 7,560,000 VND."
    )


def test_ineligible_under_age_detail() -> None:
    rec = person(full_name="Trần Văn Bảy", category="K5c", birth_date="1943-05-01")
    row = _one(_run(ent.find_ineligible, beneficiaries=[rec], payments=payments_for(rec, PERIOD, STD)))
    assert row["detail"].startswith("Ông Trần Văn Bảy (diện K5c): 79 tuổi tại tháng 02/2023, chưa đủ 80 tuổi")
    en = _one(_run(ent.find_ineligible, lang="en", beneficiaries=[rec]))
    assert en["detail"].startswith("Mr Trần Văn Bảy (category K5c): aged 79 in 02/2023, under the age of 80")


@pytest.mark.parametrize(
    ("pension", "amount"),
    [
        # a retirement pension from 07/2022, open: 07/2022..02/2023 overpaid (8 months)
        ({"benefit": "pension", "start_month": "2022-07"}, 8 * STD),
        # a monthly social-insurance benefit with no dates: active all period
        ({"benefit": "social_insurance"}, 14 * STD),
        # a pension that ended before the period (last month 12/2021): eligible
        ({"benefit": "pension", "start_month": "2015-01", "end_month": "2022-01"}, None),
    ],
)
def test_ineligible_k5c_with_a_pension(pension: dict[str, Any], amount: float | None) -> None:
    rec = person(full_name="Vũ Thị Tư", sex="F", category="K5c", birth_date="1935-01-01")
    pens = [{"national_id": rec["national_id"], "full_name": rec["full_name"], **pension}]
    out = _run(
        ent.find_ineligible, beneficiaries=[rec], payments=payments_for(rec, PERIOD, STD), pensions=pens
    )
    if amount is None:
        assert out.empty
        return
    row = _one(out)
    assert row["amount_vnd"] == amount
    assert "pensions:2" in row["sources"]
    assert "trong khi diện này chỉ dành cho người không có lương hưu" in row["detail"]


@pytest.mark.parametrize(
    ("issue", "amount"),
    [
        # certificate issued 10/05/2022, line paid from 01/2022: 01..04/2022 overpaid
        ("2022-05-10", 4 * 540_000),
        # certificate issued before the start: eligible
        ("2021-11-20", None),
    ],
)
def test_ineligible_k6_before_certificate(issue: str, amount: float | None) -> None:
    rec = person(
        full_name="Lý Văn Sáu",
        category="K6",
        disability_level="severe",
        birth_date="1980-01-01",
        start_month="2022-01",
        coefficient=1.5,
    )
    certs = [
        {
            "national_id": rec["national_id"],
            "full_name": rec["full_name"],
            "birth_date": "1980-01-01",
            "disability_level": "mild",
            "issue_date": "2020-01-05",
        },
        {
            "national_id": rec["national_id"],
            "full_name": rec["full_name"],
            "birth_date": "1980-01-01",
            "disability_level": "severe",
            "issue_date": issue,
        },
    ]
    out = _run(
        ent.find_ineligible,
        beneficiaries=[rec],
        payments=payments_for(rec, PERIOD, 540_000),
        disability_certificates=certs,
    )
    if amount is None:
        assert out.empty
        return
    row = _one(out)
    assert row["amount_vnd"] == amount
    assert "disability_certificates:3" in row["sources"] and "disability_certificates:2" not in row["sources"]
    assert "trước tháng được cấp giấy xác nhận khuyết tật nặng hoặc đặc biệt nặng (05/2022)" in row["detail"]


def test_ineligible_leaves_months_after_death_to_deceased_active() -> None:
    rec = person(full_name="Hà Văn Nhẹ", **_MILD)
    deaths = [{"national_id": rec["national_id"], "full_name": rec["full_name"], "death_date": "2022-10-15"}]
    row = _one(
        _run(
            ent.find_ineligible,
            beneficiaries=[rec],
            payments=payments_for(rec, PERIOD, 540_000),
            deaths=deaths,
        )
    )
    assert row["amount_vnd"] == 10 * 540_000  # 01..10/2022; 11/2022.. are DECEASED_ACTIVE's


def test_ineligible_without_payments_counts_the_amounts_due() -> None:
    rec = person(full_name="Hà Văn Nhẹ", **_MILD)
    row = _one(_run(ent.find_ineligible, beneficiaries=[rec]))
    assert row["amount_vnd"] == 14 * 540_000
    assert "Số tiền theo danh sách cho các tháng không đủ điều kiện trong kỳ: 7.560.000 đ." in row["detail"]


def test_ineligible_one_finding_per_person_and_category() -> None:
    a = person(full_name="Hà Văn Nhẹ", **_MILD)
    b = dict(a, start_month="2021-01")  # the same person listed twice on K6
    c = dict(a, category="K5a", disability_level=None, birth_date="1980-04-02")  # and on K5a, under 60
    out = _run(ent.find_ineligible, beneficiaries=[a, b, c])
    assert sorted(out["discriminator"]) == ["K5a", "K6"]
    k6 = out.loc[out["discriminator"] == "K6"].iloc[0]
    assert k6["sources"] == ["beneficiaries:2", "beneficiaries:3"]
    assert k6["detail"].count("mức độ khuyết tật nhẹ") == 1


# ---------------------------------------------------------------------------------------------- WRONG_COEFFICIENT
@pytest.mark.parametrize(
    ("line", "as_of", "period_from", "amount"),
    [
        # child turned 4 on 15/06/2022, still at 2.5: 06/2022..02/2023 = 9 months × 1.0 × 360,000
        (
            {"category": "K1", "birth_date": "2018-06-15", "coefficient": 2.5},
            "2023-02-28",
            "2022-01",
            9 * STD,
        ),
        # child still 3 at as_of: 2.5 is right
        ({"category": "K1", "birth_date": "2019-06-15", "coefficient": 2.5}, "2023-02-28", "2022-01", None),
        # birthday in the as-of month (4 on 10/02/2023): one month
        ({"category": "K1", "birth_date": "2019-02-10", "coefficient": 2.5}, "2023-02-28", "2022-01", STD),
        # K5a elder turned 80 on 01/09/2022, still at 1.5: underpaid 0.5 × 360,000 × 6 months
        (
            {"category": "K5a", "birth_date": "1942-09-01", "coefficient": 1.5},
            "2023-02-28",
            "2022-01",
            -6 * 180_000,
        ),
        # K5a elder 75 at 1.5: right
        ({"category": "K5a", "birth_date": "1948-01-01", "coefficient": 1.5}, "2023-02-28", "2022-01", None),
        # K4 at 2.0: two children, lawful
        ({"category": "K4", "birth_date": "1985-01-01", "coefficient": 2.0}, "2023-02-28", "2022-01", None),
        # K4 at 1.5: not a whole number of children; 1 or 2 children cannot be told: flagged, no amount
        ({"category": "K4", "birth_date": "1985-01-01", "coefficient": 1.5}, "2023-02-28", "2022-01", 0.0),
        # K4 at 0.5: below one child: at least 0.5 × 360,000 × 14 underpaid
        (
            {"category": "K4", "birth_date": "1985-01-01", "coefficient": 0.5},
            "2023-02-28",
            "2022-01",
            -14 * 180_000,
        ),
        # C1 at 2.0: in the allowed set
        ({"category": "C1", "birth_date": "1990-01-01", "coefficient": 2.0}, "2023-02-28", "2022-01", None),
        # C1 at 3.0: above the highest lawful 2.0
        (
            {"category": "C1", "birth_date": "1990-01-01", "coefficient": 3.0},
            "2023-02-28",
            "2022-01",
            14 * STD,
        ),
        # K6 especially severe, 60 in 10/2022, still at 2.0: 10/2022..02/2023 underpaid 0.5 each
        (
            {
                "category": "K6",
                "disability_level": "especially_severe",
                "birth_date": "1962-10-01",
                "coefficient": 2.0,
            },
            "2023-02-28",
            "2022-01",
            -5 * 180_000,
        ),
        # across the 07/2024 raise: child 4 in 03/2024 at 2.5: 03..06/2024 at 360,000 and 07..09/2024 at 500,000
        (
            {"category": "K1", "birth_date": "2020-03-05", "coefficient": 2.5},
            "2024-09-30",
            "2024-01",
            4 * STD + 3 * 500_000,
        ),
        # a line suspended at as_of (no date: from 02/2023): the suspended month is not money at stake
        (
            {"category": "K1", "birth_date": "2018-06-15", "coefficient": 2.5, "status": "suspended"},
            "2023-02-28",
            "2022-01",
            8 * STD,
        ),
        # line ended before as_of: not judged
        (
            {
                "category": "K1",
                "birth_date": "2018-06-15",
                "coefficient": 2.5,
                "status": "ended",
                "end_month": "2022-12",
            },
            "2023-02-28",
            "2022-01",
            None,
        ),
    ],
)
def test_wrong_coefficient(line: dict[str, Any], as_of: str, period_from: str, amount: float | None) -> None:
    rec = person(full_name="Lò Văn Bé", **line)
    out = _run(ent.find_wrong_coefficients, as_of=as_of, period_from=period_from, beneficiaries=[rec])
    assert len(out) == (0 if amount is None else 1)
    if amount is not None:
        row = _one(out)
        assert row["amount_vnd"] == pytest.approx(amount)
        assert row["sources"] == ["beneficiaries:2"]
        assert row["discriminator"] == line["category"]


def test_wrong_coefficient_detail_both_languages() -> None:
    rec = person(full_name="Lò Văn Bé", category="K1", birth_date="2018-06-15", coefficient=2.5)
    vi = _one(_run(ent.find_wrong_coefficients, beneficiaries=[rec]))
    assert vi["detail"] == (
        "Lò Văn Bé (diện K1): hệ số ghi 2,5, quy định tại tháng 02/2023 là 1,5 (4 tuổi). "
        "Chênh lệch trong kỳ: 3.240.000 đ."
    )
    en = _one(_run(ent.find_wrong_coefficients, lang="en", beneficiaries=[rec]))
    assert en["detail"] == (
        "Lò Văn Bé (category K1): recorded coefficient 2.5, the rules give 1.5 in 02/2023 (aged 4). "
        "Difference over the period: 3,240,000 VND."
    )
    k4 = person(full_name="Đơn Thị Thân", sex="F", category="K4", birth_date="1985-01-01", coefficient=1.5)
    row = _one(_run(ent.find_wrong_coefficients, beneficiaries=[k4]))
    assert "hệ số ghi 1,5, quy định tại tháng 02/2023 là bội số nguyên của 1,0 (mỗi con 1,0)" in row["detail"]
    c1 = person(full_name="Mai Thị Một", sex="F", category="C1", birth_date="1990-01-01", coefficient=3.0)
    row = _one(_run(ent.find_wrong_coefficients, lang="en", beneficiaries=[c1]))
    assert "recorded coefficient 3.0, the rules give 1.5 or 2.0 in 02/2023" in row["detail"]


@pytest.mark.parametrize(
    ("cared_birth", "recorded", "amount", "note"),
    [
        # C3 caring for an especially severe child of 13: 2.5 is due, 1.5 recorded: underpaid all period
        ("2010-01-01", 1.5, -14 * STD, "(người được chăm sóc 13 tuổi)"),
        # the cared-for person turned 16 in 07/2022, C3 still at 2.5: 07/2022..02/2023 overpaid 1.0 each
        ("2006-07-01", 2.5, 8 * STD, "(người được chăm sóc 16 tuổi)"),
        # cared-for adult at 1.5: right
        ("1990-01-01", 1.5, None, ""),
    ],
)
def test_wrong_coefficient_c3_uses_the_cared_for_age(
    cared_birth: str, recorded: float, amount: float | None, note: str
) -> None:
    cared = person(
        full_name="Ngô Văn Con",
        category="K6",
        disability_level="especially_severe",
        birth_date=cared_birth,
        coefficient=2.5 if cared_birth > "2007" else 2.0,
    )
    carer = person(
        full_name="Ngô Thị Mẹ",
        sex="F",
        category="C3",
        birth_date="1975-01-01",
        coefficient=recorded,
        cared_for_id=cared["national_id"],
    )
    out = _run(ent.find_wrong_coefficients, beneficiaries=[cared, carer])
    out = out.loc[out["category"] == "C3"]
    if amount is None:
        assert out.empty
        return
    row = _one(out)
    assert row["amount_vnd"] == amount and note in row["detail"]


def test_wrong_coefficient_leaves_months_after_death_out() -> None:
    rec = person(full_name="Lò Văn Bé", category="K1", birth_date="2018-06-15", coefficient=2.5)
    deaths = [{"national_id": rec["national_id"], "full_name": rec["full_name"], "death_date": "2022-09-03"}]
    row = _one(_run(ent.find_wrong_coefficients, beneficiaries=[rec], deaths=deaths))
    assert row["amount_vnd"] == 4 * STD  # 06..09/2022


def test_wrong_coefficient_not_run_without_coefficients() -> None:
    ctx = context(ward(beneficiaries=[person(category="K5c", birth_date="1930-01-01")]))
    _, statuses = run_checks(ctx, only={"WRONG_COEFFICIENT"})
    status = next(s for s in statuses if s.check_id == "WRONG_COEFFICIENT")
    assert status.status == "not_run" and status.reason == "missing_column:beneficiaries.coefficient"


# ---------------------------------------------------------------------------------------------- WRONG_AMOUNT
P2024 = month_range("2024-01", "2024-09")


def _k5c(**fields: Any) -> dict[str, Any]:
    return person(full_name="Đinh Thị Năm", sex="F", category="K5c", birth_date="1935-01-01", **fields)


def _paid(line: dict[str, Any], amounts: dict[str, float]) -> list[dict[str, Any]]:
    return [p for mo, amt in amounts.items() for p in payments_for(line, [mo], amt)]


_RAISED = {mo: (STD if mo < "2024-07" else 500_000) for mo in P2024}


@pytest.mark.parametrize(
    ("line", "amounts", "extra", "amount"),
    [
        # the raise applied from 07/2024: clean
        ({"coefficient": 1.0, "monthly_amount": 500_000}, _RAISED, {}, None),
        # 360,000 paid for 07/2024 where 500,000 is due: -140,000
        ({"coefficient": 1.0, "monthly_amount": 500_000}, {**_RAISED, "2024-07": STD}, {}, -140_000),
        # the raise never applied: 07..09/2024 underpaid
        ({"coefficient": 1.0}, {mo: STD for mo in P2024}, {}, -3 * 140_000),
        # no coefficient recorded: due by the expected one (K5c: 1.0)
        ({}, {**_RAISED, "2024-08": STD}, {}, -140_000),
        # the roster still says 360,000 at as_of; payments right: a finding with no amount
        ({"coefficient": 1.0, "monthly_amount": STD}, _RAISED, {}, 0.0),
        # a month paid twice: +500,000
        ({"coefficient": 1.0}, _RAISED, {"dup": "2024-08"}, 500_000),
        # a month paid in two instalments of 250,000: one payment of 500,000, clean
        ({"coefficient": 1.0}, {**_RAISED, "2024-08": 250_000}, {"dup": "2024-08"}, None),
        # a payment marked not received does not count
        ({"coefficient": 1.0}, _RAISED, {"unreceived": "2024-08"}, None),
        # a wrong payment for a suspended month is PAID_AFTER_END's
        (
            {"coefficient": 1.0, "status": "suspended", "end_month": "2024-09"},
            {**_RAISED, "2024-09": STD},
            {},
            None,
        ),
        # a wrong payment after end_month likewise
        (
            {"coefficient": 1.0, "status": "ended", "end_month": "2024-09"},
            {**_RAISED, "2024-09": STD},
            {},
            None,
        ),
    ],
)
def test_wrong_amount(
    line: dict[str, Any], amounts: dict[str, float], extra: dict[str, str], amount: float | None
) -> None:
    rec = _k5c(**line)
    pays = _paid(rec, amounts)
    if "dup" in extra:
        pays += _paid(rec, {extra["dup"]: amounts[extra["dup"]]})
    if "unreceived" in extra:
        pays += [dict(p, paid=False) for p in _paid(rec, {extra["unreceived"]: 1_000_000})]
    out = _run(
        ent.find_wrong_amounts, as_of="2024-09-30", period_from="2024-01", beneficiaries=[rec], payments=pays
    )
    assert len(out) == (0 if amount is None else 1)
    if amount is not None:
        row = _one(out)
        assert row["amount_vnd"] == amount
        assert row["sources"][0] == "beneficiaries:2"


def test_wrong_amount_detail_and_sources() -> None:
    rec = _k5c(coefficient=1.0, monthly_amount=STD)
    pays = _paid(rec, {**_RAISED, "2024-07": STD, "2024-08": STD})
    ctx_args = {"as_of": "2024-09-30", "period_from": "2024-01", "beneficiaries": [rec], "payments": pays}
    row = _one(_run(ent.find_wrong_amounts, **ctx_args))
    assert row["amount_vnd"] == -280_000
    assert row["sources"] == ["beneficiaries:2", "payments:8", "payments:9"]
    assert row["detail"] == (
        "Bà Đinh Thị Năm (diện K5c): danh sách ghi mức hưởng 360.000 đ/tháng, nhưng mức chuẩn 500.000 đ × hệ số 1,0 "
        "= 500.000 đ (tháng 09/2024). 2 tháng chi trả khác số phải trả (tháng 07/2024: đã chi 360.000 đ, "
        "phải trả 500.000 đ); chênh lệch -280.000 đ."
    )
    en = _one(_run(ent.find_wrong_amounts, lang="en", **ctx_args))
    assert en["detail"] == (
        "Ms Đinh Thị Năm (category K5c): the list gives 360,000 VND a month, but standard level 500,000 VND × "
        "coefficient 1.0 = 500,000 VND (in 09/2024). 2 month(s) paid a different amount than due (in 07/2024: "
        "paid 360,000 VND, due 500,000 VND); difference -280,000 VND."
    )


@pytest.mark.parametrize(
    ("register", "amount"),
    [
        # died 10/07/2024: 07/2024 (the death month) is judged, 08..09 are DECEASED_ACTIVE's
        ({"deaths": [{"death_date": "2024-07-10"}]}, -140_000),
        # moved out 05/08/2024: 07 and 08 judged
        (
            {
                "residents": [
                    {
                        "birth_date": "1935-01-01",
                        "residence_status": "moved_out",
                        "moved_out_date": "2024-08-05",
                    }
                ]
            },
            -280_000,
        ),
    ],
)
def test_wrong_amount_leaves_stale_months_out(
    register: dict[str, list[dict[str, Any]]], amount: float
) -> None:
    rec = _k5c(coefficient=1.0)
    tables = {
        name: [{"national_id": rec["national_id"], "full_name": rec["full_name"], **r} for r in rows]
        for name, rows in register.items()
    }
    pays = _paid(rec, {mo: STD for mo in P2024})
    row = _one(
        _run(
            ent.find_wrong_amounts,
            as_of="2024-09-30",
            period_from="2024-01",
            beneficiaries=[rec],
            payments=pays,
            **tables,
        )
    )
    assert row["amount_vnd"] == amount


def test_wrong_amount_leaves_ineligible_months_to_ineligible() -> None:
    # K6 mild paid 360,000 at coefficient 1.5: INELIGIBLE counts the whole payment, not WRONG_AMOUNT
    rec = person(full_name="Hà Văn Nhẹ", **_MILD)
    out = _run(ent.find_wrong_amounts, beneficiaries=[rec], payments=payments_for(rec, PERIOD, STD))
    assert out.empty


def test_wrong_amount_ambiguous_payments_are_not_judged() -> None:
    # two lines (K6 + C1), payments without a category: which line they pay cannot be told
    k6 = person(
        full_name="Mai Thị Một",
        sex="F",
        category="K6",
        disability_level="severe",
        birth_date="1990-01-01",
        coefficient=1.5,
    )
    c1 = dict(k6, category="C1", disability_level=None, coefficient=1.5)
    pays = [dict(p, category=None) for p in payments_for(k6, PERIOD, 100_000)]
    assert _run(ent.find_wrong_amounts, beneficiaries=[k6, c1], payments=pays).empty


# ---------------------------------------------------------------------------------------------- UNPAID_MONTHS
def _filler() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A person paid every month of the period: the payment list covers the whole period."""
    rec = person(full_name="Người Đủ Tháng", category="K5c", birth_date="1930-01-01")
    return rec, payments_for(rec, PERIOD, STD)


def _unpaid(line: dict[str, Any], months: list[str], *, lang: str = "vi", **tables: Any) -> pd.DataFrame:
    filler, fill_pays = _filler()
    out = _run(
        ent.find_unpaid_months,
        lang=lang,
        beneficiaries=[filler, line],
        payments=fill_pays + payments_for(line, months, STD),
        **tables,
    )
    return out.loc[out["person_key"] != "id:" + filler["national_id"]]


def _without(*months: str) -> list[str]:
    return [m for m in PERIOD if m not in months]


@pytest.mark.parametrize(
    ("line", "paid", "amount", "suspend"),
    [
        # paid every month: clean
        ({}, PERIOD, None, False),
        # 3 consecutive months unpaid (10..12/2022): -3 × 360,000, the detail says it should have been suspended
        ({}, _without("2022-10", "2022-11", "2022-12"), -3 * STD, True),
        # 2 consecutive months: owed, no suspension sentence
        ({}, _without("2022-10", "2022-11"), -2 * STD, False),
        # 2 separate months: owed, no suspension sentence
        ({}, _without("2022-03", "2022-10"), -2 * STD, False),
        # a suspended line (from 10/2022) is not unpaid after its suspension
        ({"status": "suspended", "end_month": "2022-10"}, month_range("2022-01", "2022-09"), None, False),
        # suspended without a date: from month(as_of); 02/2023 unpaid is not counted
        ({"status": "suspended"}, month_range("2022-01", "2023-01"), None, False),
        # started 06/2022: earlier months are not unpaid
        ({"start_month": "2022-06"}, month_range("2022-06", "2023-02"), None, False),
        # ended from 09/2022 (end_month = first month not paid): later months are not unpaid
        ({"status": "ended", "end_month": "2022-09"}, month_range("2022-01", "2022-08"), None, False),
        # nothing received at all: 14 months owed
        ({}, [], -14 * STD, True),
    ],
)
def test_unpaid_months(line: dict[str, Any], paid: list[str], amount: float | None, suspend: bool) -> None:
    rec = person(full_name="Cao Văn Chờ", category="K5c", birth_date="1932-01-01", **line)
    out = _unpaid(rec, paid)
    assert len(out) == (0 if amount is None else 1)
    if amount is not None:
        row = _one(out)
        assert row["amount_vnd"] == amount
        assert row["sources"] == ["beneficiaries:3"]
        assert ("phải được tạm dừng" in row["detail"]) == suspend


def test_unpaid_detail_both_languages() -> None:
    rec = person(full_name="Cao Văn Chờ", category="K5c", birth_date="1932-01-01")
    paid = _without("2022-03", "2022-10", "2022-11", "2022-12")
    vi = _one(_unpaid(rec, paid))
    assert vi["detail"] == (
        "Ông Cao Văn Chờ (diện K5c): không nhận trợ cấp 4 tháng (03/2022, 10/2022–12/2022), số tiền chưa chi trả "
        "-1.440.000 đ. Có 3 tháng liên tiếp không nhận (10/2022–12/2022): theo Thông tư 02/2021/TT-BLĐTBXH, "
        "trợ cấp phải được tạm dừng."
    )
    en = _one(_unpaid(rec, paid, lang="en"))
    assert en["detail"] == (
        "Mr Cao Văn Chờ (category K5c): nothing received for 4 month(s) (03/2022, 10/2022–12/2022), -1,440,000 VND "
        "unpaid. 3 consecutive months not collected (10/2022–12/2022): under Circular 02/2021/TT-BLĐTBXH the "
        "allowance should have been suspended."
    )


def test_unpaid_stops_at_death_and_age_limit() -> None:
    dead = person(full_name="Cao Văn Mất", category="K5c", birth_date="1932-01-01")
    deaths = [
        {"national_id": dead["national_id"], "full_name": dead["full_name"], "death_date": "2022-08-20"}
    ]
    # paid to 06/2022, died 08/2022: 07 and 08 owed, nothing after the death month
    row = _one(_unpaid(dead, month_range("2022-01", "2022-06"), deaths=deaths))
    assert row["amount_vnd"] == -2 * STD
    child = person(full_name="Cao Văn Lớn", category="K7", birth_date="2019-05-05", coefficient=1.5)
    # K7 ends at 3 (05/2022): paid to 03/2022, so 04 and 05/2022 owed, nothing later
    row = _one(_unpaid(child, month_range("2022-01", "2022-03")))
    assert row["amount_vnd"] == -2 * 540_000


def test_unpaid_judges_only_months_the_payment_list_covers() -> None:
    rec = person(full_name="Cao Văn Chờ", category="K5c", birth_date="1932-01-01")
    other = person(full_name="Người Khác", category="K5c", birth_date="1930-01-01")
    covered = month_range("2022-03", "2022-12")
    pays = payments_for(other, covered, STD) + payments_for(rec, month_range("2022-03", "2022-11"), STD)
    row = _one(_run(ent.find_unpaid_months, beneficiaries=[other, rec], payments=pays))
    assert row["amount_vnd"] == -STD  # only 12/2022; 01-02/2022 and 01-02/2023 are outside the list


def test_unpaid_counts_unreceived_payments_and_ineligible_months() -> None:
    rec = person(full_name="Cao Văn Chờ", category="K5c", birth_date="1932-01-01")
    pays = [dict(p, paid=(p["month"] != "2022-05")) for p in payments_for(rec, PERIOD, STD)]
    filler, fill_pays = _filler()
    row = _one(_run(ent.find_unpaid_months, beneficiaries=[filler, rec], payments=fill_pays + pays))
    assert row["amount_vnd"] == -STD and "05/2022" in row["detail"]
    # a K6 mild line is not owed anything
    mild = person(full_name="Hà Văn Nhẹ", **_MILD)
    assert _unpaid(mild, []).empty


def test_unpaid_ambiguous_payment_covers_the_persons_lines() -> None:
    k6 = person(
        full_name="Mai Thị Một",
        sex="F",
        category="K6",
        disability_level="severe",
        birth_date="1990-01-01",
        coefficient=1.5,
    )
    c1 = dict(k6, category="C1", disability_level=None, coefficient=1.5)
    filler, fill_pays = _filler()
    pays = [dict(p, category=None) for p in payments_for(k6, PERIOD, 1_080_000)]
    out = _run(ent.find_unpaid_months, beneficiaries=[filler, k6, c1], payments=fill_pays + pays)
    assert out.empty
    # with categories, the C1 line's months are visibly unpaid
    pays = payments_for(k6, PERIOD, 540_000)
    out = _run(ent.find_unpaid_months, beneficiaries=[filler, k6, c1], payments=fill_pays + pays)
    row = _one(out)
    assert row["discriminator"] == "C1" and row["amount_vnd"] == -14 * 540_000


_LINE_MONTH = st.tuples(st.sampled_from([0, 1, 2, 7, 30, 10**8]), st.integers(24_000, 24_012))


@settings(max_examples=150, deadline=None)
@given(st.lists(_LINE_MONTH, min_size=1, max_size=40), st.lists(_LINE_MONTH, max_size=40))
def test_drop_and_keep_pairs_are_the_set_operations(frame_rows: list, pair_rows: list) -> None:
    """drop_pairs / keep_pairs (a grid of line-months, a hash set when the grid is large) against
    plain Python sets; the frame's order is kept."""
    frame = pd.DataFrame(frame_rows, columns=["line_idx", "m"])
    pairs = pd.DataFrame(pair_rows, columns=["line_idx", "m"], dtype="int64")
    wanted = set(pair_rows)
    dropped = [tuple(r) for r in drop_pairs(frame, pairs).to_numpy().tolist()]
    kept = [tuple(r) for r in keep_pairs(frame, pairs).to_numpy().tolist()]
    assert dropped == [r for r in frame_rows if r not in wanted]
    assert kept == [r for r in frame_rows if r in wanted]
