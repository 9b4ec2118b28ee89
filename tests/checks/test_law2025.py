"""The 2025 law: the social pension (HTXH), K5b/K5c ended (CATEGORY_ENDED), care lines that follow
the person cared for (CARED_FOR_GONE). Readings: docs/check-semantics.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from audit_toolkit.checks import run_checks
from audit_toolkit.checks.base import AuditContext
from audit_toolkit.checks.care import find_cared_for_gone
from audit_toolkit.checks.duplicates import find_duplicate_ids
from audit_toolkit.checks.entitlement import find_ineligible, find_unpaid_months, find_wrong_amounts
from audit_toolkit.checks.missed import find_missed_elderly
from audit_toolkit.checks.transition import find_category_ended
from audit_toolkit.contract import load_category_table, map_categories
from tests.factories import context, month_range, payments_for, person, ward


def _ctx(
    province: str = "06", as_of: str = "2025-12-31", period_from: str = "2025-01", **tables: Any
) -> AuditContext:
    w = ward(**tables)
    w.province_code = province
    return context(w, as_of=as_of, period_from=period_from)


def _resident(line: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "national_id": line["national_id"],
        "full_name": line["full_name"],
        "birth_date": line["birth_date"],
        "residence_status": "permanent",
        **extra,
    }


# ------------------------------------------------------------------------------------ CATEGORY_ENDED
@pytest.mark.parametrize(
    ("province", "level", "expected"),
    [
        ("06", 500_000.0, 0.0),  # national social-pension level = standard level: paid − HTXH = 0
        # Quảng Ninh's standard level is 700,000 (from 10/2024) and its social pension 700,000 from
        # 27/07/2025 (from 08/2025 under the first-day rule): the K5c line paid its due 700,000 is
        # 200,000 above the national social pension in July, and level with the province's after.
        ("22", 700_000.0, 200_000.0),
    ],
)
def test_k5c_paid_after_2025_07_is_category_ended(province: str, level: float, expected: float) -> None:
    line = person(category="K5c", birth_date="1935-01-01", coefficient=1.0)
    pays = payments_for(line, month_range("2025-01", "2025-09"), level)
    ctx = _ctx(province, as_of="2025-09-30", beneficiaries=[line], payments=pays)
    raw = find_category_ended(ctx)
    assert raw["amount_vnd"].tolist() == [expected]
    assert "HTXH" in raw["detail"].iloc[0] and "07/2025" in raw["detail"].iloc[0]
    # Months the category no longer exists are not "unpaid" or "wrong" for the old line.
    assert find_wrong_amounts(ctx).empty and find_unpaid_months(ctx).empty


def test_k5c_converted_to_htxh_in_2025_07_is_clean() -> None:
    old = person(
        category="K5c", birth_date="1935-01-01", coefficient=1.0, end_month="2025-07", status="ended"
    )
    new = {**old, "category": "HTXH", "start_month": "2025-07", "end_month": None, "status": "active"}
    pays = payments_for(old, month_range("2025-01", "2025-06"), 500000.0)
    pays += payments_for(new, month_range("2025-07", "2025-12"), 500000.0)
    res = [_resident(old)]
    ctx = _ctx(beneficiaries=[old, new], payments=pays, residents=res, pensions=[])
    raw, _ = run_checks(ctx)
    assert raw.empty, raw[["check_id", "detail"]].to_string()


def test_k5c_audit_before_2025_07_is_not_category_ended() -> None:
    line = person(category="K5c", birth_date="1935-01-01", coefficient=1.0)
    ctx = _ctx(
        as_of="2025-06-30",
        beneficiaries=[line],
        payments=payments_for(line, month_range("2025-01", "2025-06"), 500000.0),
    )
    assert find_category_ended(ctx).empty


def test_category_ended_without_payments_uses_the_roster() -> None:
    line = person(category="K5b", birth_date="1948-01-01", coefficient=1.0)
    raw = find_category_ended(_ctx(as_of="2025-09-30", beneficiaries=[line]))
    assert raw["amount_vnd"].tolist() == [0.0]
    assert raw["category"].tolist() == ["K5b"]


def test_old_label_on_a_line_after_2025_07_stays_k5c_and_is_reported() -> None:
    mapped = map_categories(
        pd.Series(["NCT 80+", "Người từ đủ 75 tuổi trở lên", "NCT 70–75 tuổi hộ nghèo"]),
        table=load_category_table(),
    )
    assert mapped["category"].tolist() == ["K5c", "HTXH", "HTXH"]
    line = person(category="K5c", birth_date="1940-01-01", start_month="2025-09", coefficient=1.0)
    raw = find_category_ended(
        _ctx(beneficiaries=[line], payments=payments_for(line, month_range("2025-09", "2025-12"), 500000.0))
    )
    assert len(raw) == 1 and raw["amount_vnd"].iloc[0] == 0.0


# ------------------------------------------------------------------------------------ INELIGIBLE (HTXH)
def _htxh(birth: str, **extra: Any) -> dict[str, Any]:
    return person(category="HTXH", birth_date=birth, start_month="2025-07", **extra)


@pytest.mark.parametrize(
    ("birth", "poverty", "pension", "flagged"),
    [
        ("1957-01-01", "poor", None, True),  # 68: under 70, whatever the household
        ("1953-01-01", "không", None, True),  # 72, household written as neither poor nor near-poor
        ("1953-01-01", "poor", None, False),  # 72 in a poor household
        ("1953-01-01", "near_poor", None, False),  # 72 in a near-poor household
        ("1953-01-01", None, None, False),  # 72, poverty status empty: unknown, no evidence
        ("1945-01-01", None, ("pension", 3_200_000.0), True),  # 80 with a pension above the level
        ("1945-01-01", None, ("pension", 300_000.0), False),  # a pension below the level does not disqualify
        ("1945-01-01", None, ("pension", None), False),  # a pension of unknown amount: no evidence
        ("1945-01-01", None, ("social_pension", 500_000.0), False),  # the social pension itself
    ],
)
def test_htxh_ineligible(birth: str, poverty: str | None, pension: tuple | None, flagged: bool) -> None:
    line = _htxh(birth)
    pens = []
    if pension is not None:
        pens = [
            {
                "national_id": line["national_id"],
                "full_name": line["full_name"],
                "benefit": pension[0],
                "start_month": "2010-01",
                "monthly_amount": pension[1],
            }
        ]
    ctx = _ctx(
        beneficiaries=[line],
        payments=payments_for(line, month_range("2025-07", "2025-12"), 500000.0),
        # The loader's reading: "không" maps to no value and keeps its text in poverty_status_raw.
        residents=[
            _resident(
                line,
                poverty_status=None if poverty == "không" else poverty,
                poverty_status_raw=poverty,
            )
        ],
        pensions=pens,
    )
    raw = find_ineligible(ctx)
    assert len(raw) == int(flagged)
    if flagged:
        assert raw["amount_vnd"].iloc[0] == 6 * 500000.0
        assert find_wrong_amounts(ctx).empty  # the months are INELIGIBLE's money


def test_htxh_with_a_k_line_is_a_duplicate() -> None:
    k6 = person(category="K6", disability_level="severe", coefficient=2.0, birth_date="1945-01-01")
    htxh = {**k6, "category": "HTXH", "coefficient": None, "disability_level": None, "start_month": "2025-07"}
    pays = payments_for(k6, month_range("2025-07", "2025-12"), 1_000_000.0) + payments_for(
        htxh, month_range("2025-07", "2025-12"), 500000.0
    )
    raw = find_duplicate_ids(_ctx(beneficiaries=[k6, htxh], payments=pays))
    assert raw["amount_vnd"].tolist() == [6 * 500000.0]  # the lower HTXH line's payments


@pytest.mark.parametrize(
    ("lines", "missed"),
    [
        ([], True),  # 81, no pension, no line: missed
        (["HTXH"], False),  # holds a social pension line
        (["K5c-ended", "HTXH"], False),  # converted from K5c to HTXH in 2025-07
    ],
)
def test_missed_elderly_counts_htxh_as_a_line(lines: list[str], missed: bool) -> None:
    base = person(
        category="K5c", birth_date="1944-03-01", coefficient=1.0, end_month="2025-07", status="ended"
    )
    roster = []
    if "K5c-ended" in lines:
        roster.append(base)
    if "HTXH" in lines:
        roster.append(
            {**base, "category": "HTXH", "start_month": "2025-07", "end_month": None, "status": "active"}
        )
    ctx = _ctx(beneficiaries=roster, residents=[_resident(base)], pensions=[])
    assert len(find_missed_elderly(ctx)) == int(missed)


def test_period_spanning_2024_07_2025_07_2026_01_correct_payments_give_no_wrong_amount() -> None:
    # Hà Nội (01): standard 360,000 → 500,000 (2024-07) → 650,000 (2026-01, NQ 63/2025/NQ-HĐND [M]).
    k6 = person(category="K6", disability_level="severe", coefficient=1.5, birth_date="1970-01-01")
    k5c = person(
        category="K5c", birth_date="1940-01-01", coefficient=1.0, end_month="2025-07", status="ended"
    )
    htxh = {**k5c, "category": "HTXH", "start_month": "2025-07", "end_month": None, "status": "active"}
    pays = []
    for m in month_range("2024-01", "2026-03"):
        std = 360000.0 if m < "2024-07" else 650000.0 if m >= "2026-01" else 500000.0
        pays += payments_for(k6, [m], std * 1.5)
        if m < "2025-07":
            pays += payments_for(k5c, [m], std)
        else:
            level = 500000.0  # the social-pension level (national; no Hà Nội top-up in the tables)
            pays += payments_for(htxh, [m], level)
    ctx = _ctx("01", as_of="2026-03-31", period_from="2024-01", beneficiaries=[k6, k5c, htxh], payments=pays)
    raw, _ = run_checks(
        ctx, only={"WRONG_AMOUNT", "UNPAID_MONTHS", "CATEGORY_ENDED", "DUPLICATE_ID", "PAID_AFTER_END"}
    )
    assert raw.empty, raw[["check_id", "detail"]].to_string()


# ------------------------------------------------------------------------------------ CARED_FOR_GONE
def _disabled(**extra: Any) -> dict[str, Any]:
    return person(
        category="K6",
        disability_level="especially_severe",
        coefficient=2.0,
        birth_date="1980-02-02",
        household_id="H1",
        **extra,
    )


def _carer(cared: dict[str, Any] | None, category: str = "C2", **extra: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "category": category,
        "full_name": "Trần Thị Bích",
        "sex": "F",
        "birth_date": "1975-05-05",
        "coefficient": 1.0,
        "household_id": "H1",
        "cared_for_id": None if cared is None else cared["national_id"],
    }
    return person(**(fields | extra))


def test_care_line_paid_after_the_cared_for_person_died() -> None:
    k6 = _disabled()
    c2 = _carer(k6)
    death = {
        "national_id": k6["national_id"],
        "full_name": k6["full_name"],
        "birth_date": k6["birth_date"],
        "death_date": "2025-03-15",
    }
    pays = payments_for(c2, month_range("2025-01", "2025-06"), 500000.0)
    raw = find_cared_for_gone(_ctx(as_of="2025-06-30", beneficiaries=[k6, c2], payments=pays, deaths=[death]))
    assert raw["amount_vnd"].tolist() == [3 * 500000.0]  # 04, 05, 06
    assert raw["category"].tolist() == ["C2"] and "03/2025" in raw["detail"].iloc[0]


def test_care_line_without_cared_for_id_follows_the_household_k6_holder_who_moved() -> None:
    k6 = _disabled()
    c2 = _carer(None)
    res = [_resident(k6, residence_status="moved_out", moved_out_date="2025-04-20", household_id="H1")]
    pays = payments_for(c2, month_range("2025-01", "2025-06"), 500000.0)
    raw = find_cared_for_gone(_ctx(as_of="2025-06-30", beneficiaries=[k6, c2], payments=pays, residents=res))
    assert raw["amount_vnd"].tolist() == [2 * 500000.0]  # 05, 06


def test_two_k6_holders_in_the_household_is_ambiguous_and_not_a_finding() -> None:
    a, b = _disabled(), _disabled(full_name="Lò Văn Dũng")
    c2 = _carer(None)
    death = {
        "national_id": a["national_id"],
        "full_name": a["full_name"],
        "birth_date": a["birth_date"],
        "death_date": "2025-03-15",
    }
    pays = payments_for(c2, month_range("2025-01", "2025-06"), 500000.0)
    assert find_cared_for_gone(
        _ctx(as_of="2025-06-30", beneficiaries=[a, b, c2], payments=pays, deaths=[death])
    ).empty


def test_care_line_whose_person_cannot_be_found_is_not_a_finding() -> None:
    c2 = _carer({"national_id": "006080999999"})
    pays = payments_for(c2, month_range("2025-01", "2025-06"), 500000.0)
    assert find_cared_for_gone(_ctx(as_of="2025-06-30", beneficiaries=[c2], payments=pays, deaths=[])).empty


@pytest.mark.parametrize(
    ("child_birth", "expected"),
    [
        ("2009-03-10", 3 * 750000.0),  # turned 16 in 03/2025: 04-06 after it
        ("2010-03-10", 0.0),  # 15: nothing (no finding)
    ],
)
def test_c4_for_a_child_stops_at_16(child_birth: str, expected: float) -> None:
    child = person(
        category="K1", birth_date=child_birth, coefficient=1.5, end_month="2025-04", status="ended"
    )
    c4 = _carer(child, category="C4", coefficient=1.5)
    pays = payments_for(c4, month_range("2025-01", "2025-06"), 750000.0)
    raw = find_cared_for_gone(_ctx(as_of="2025-06-30", beneficiaries=[child, c4], payments=pays))
    assert raw["amount_vnd"].tolist() == ([expected] if expected else [])


def test_c4_for_an_elder_has_no_age_limit() -> None:
    elder = person(category="K5d", birth_date="1940-03-10", coefficient=3.0)
    c4 = _carer(elder, category="C4", coefficient=1.5)
    pays = payments_for(c4, month_range("2025-01", "2025-06"), 750000.0)
    assert find_cared_for_gone(_ctx(as_of="2025-06-30", beneficiaries=[elder, c4], payments=pays)).empty


def test_c2_after_the_especially_severe_k6_line_ended_or_a_milder_certificate() -> None:
    k6 = _disabled(end_month="2025-05", status="ended")
    c2 = _carer(k6)
    pays = payments_for(c2, month_range("2025-01", "2025-06"), 500000.0)
    raw = find_cared_for_gone(_ctx(as_of="2025-06-30", beneficiaries=[k6, c2], payments=pays))
    assert raw["amount_vnd"].tolist() == [2 * 500000.0]  # 05 and 06: the K6 line's last month is 04

    k6b = _disabled()
    c2b = _carer(k6b)
    certs = [
        {
            "national_id": k6b["national_id"],
            "full_name": k6b["full_name"],
            "birth_date": k6b["birth_date"],
            "disability_level": "especially_severe",
            "issue_date": "2020-01-10",
        },
        {
            "national_id": k6b["national_id"],
            "full_name": k6b["full_name"],
            "birth_date": k6b["birth_date"],
            "disability_level": "severe",
            "issue_date": "2025-03-10",
        },
    ]
    raw = find_cared_for_gone(
        _ctx(
            as_of="2025-06-30",
            beneficiaries=[k6b, c2b],
            payments=payments_for(c2b, month_range("2025-01", "2025-06"), 500000.0),
            disability_certificates=certs,
        )
    )
    assert raw["amount_vnd"].tolist() == [3 * 500000.0]
    assert "disability_certificates:3" in raw["sources"].iloc[0]


def test_care_line_for_a_living_especially_severe_person_is_clean() -> None:
    k6 = _disabled()
    c2 = _carer(k6)
    pays = payments_for(c2, month_range("2025-01", "2025-06"), 500000.0)
    res = [_resident(k6, household_id="H1")]
    assert find_cared_for_gone(
        _ctx(as_of="2025-06-30", beneficiaries=[k6, c2], payments=pays, residents=res, deaths=[])
    ).empty


def test_care_line_whose_person_cannot_be_found_is_a_quality_note(tmp_path: Path) -> None:
    from audit_toolkit.audit import run_audit

    c2 = _carer({"national_id": "006080999999"})
    (tmp_path / "beneficiaries.csv").write_text(
        "national_id,full_name,birth_date,category,coefficient,start_month,cared_for_id\n"
        f"{c2['national_id']},{c2['full_name']},05/05/1975,C2,1,01/2024,006080999999\n",
        encoding="utf-8",
    )
    result = run_audit(tmp_path, as_of="2025-06-30", period_from="2025-01")
    assert "CARED_FOR_GONE" not in set(result.findings["check_id"])
    summary = result.quality.summary
    note = summary.loc[summary["expectation"] == "cared_for_person_found"]
    assert note[["unexpected", "evaluated"]].values.tolist() == [[1, 1]]
    assert not bool(note["success"].iloc[0])


@pytest.mark.parametrize(
    ("reported", "flagged"),
    [
        ([("HTXH", 2), ("K6", 1), ("TOTAL", 3)], set()),  # HTXH counted like any category: agrees
        ([("HTXH", 1), ("K6", 1), ("TOTAL", 3)], {"report:HTXH", "report:TOTAL"}),  # one HTXH person missing
    ],
)
def test_report_mismatch_counts_htxh_lines(reported: list[tuple[str, int]], flagged: set[str]) -> None:
    from audit_toolkit.checks.process import find_report_mismatches

    roster = [
        person(category="HTXH", birth_date="1945-01-01", start_month="2025-07"),
        person(
            category="HTXH", birth_date="1946-01-01", start_month="2025-07", full_name="Lê Thị Hoa", sex="F"
        ),
        person(category="K6", disability_level="severe", coefficient=1.5, birth_date="1970-01-01"),
    ]
    report = [{"category": c, "reported_count": n} for c, n in reported]
    out = find_report_mismatches(_ctx(beneficiaries=roster, report=report))
    assert set(out["person_key"]) == flagged


def test_care_line_on_the_dead_persons_own_record_is_left_to_deceased_active() -> None:
    # The household's C2 support listed on the disabled person's own row (same ID): after the death,
    # DECEASED_ACTIVE counts both lines; CARED_FOR_GONE would count the C2 money a second time.
    k6 = _disabled()
    c2 = {**k6, "category": "C2", "coefficient": 1.0, "disability_level": None, "cared_for_id": None}
    death = {
        "national_id": k6["national_id"],
        "full_name": k6["full_name"],
        "birth_date": k6["birth_date"],
        "death_date": "2025-03-15",
    }
    pays = payments_for(k6, month_range("2025-01", "2025-06"), 1_000_000.0)
    pays += payments_for(c2, month_range("2025-01", "2025-06"), 500000.0)
    ctx = _ctx(as_of="2025-06-30", beneficiaries=[k6, c2], payments=pays, deaths=[death])
    assert find_cared_for_gone(ctx).empty
    raw, _ = run_checks(ctx, only={"DECEASED_ACTIVE"})
    assert raw["amount_vnd"].tolist() == [3 * 1_500_000.0]


@pytest.mark.parametrize(
    ("own", "household", "flagged"),
    [
        (None, "nghèo", False),  # own cell empty, the household's head is written poor: poor household
        (None, "không", True),  # own cell empty, the household written neither poor nor near-poor
        (None, None, False),  # nothing written anywhere: unknown
        ("không", "cận nghèo", False),  # records disagree: a poor/near-poor record is never overruled
    ],
)
def test_htxh_poverty_is_the_households(own: str | None, household: str | None, flagged: bool) -> None:
    line = _htxh("1953-01-01", household_id="H9")
    head = {
        "national_id": "006060000999",
        "full_name": "Hoàng Văn Chủ",
        "birth_date": "1960-01-01",
        "household_id": "H9",
    }

    def rec(base: dict[str, Any], text: str | None) -> dict[str, Any]:
        code = {"nghèo": "poor", "cận nghèo": "near_poor"}.get(text or "")
        return {**base, "residence_status": "permanent", "poverty_status": code, "poverty_status_raw": text}

    residents = [rec(_resident(line, household_id="H9"), own), rec(head, household)]
    ctx = _ctx(
        beneficiaries=[line],
        payments=payments_for(line, month_range("2025-07", "2025-12"), 500000.0),
        residents=residents,
    )
    assert len(find_ineligible(ctx)) == int(flagged)


def test_htxh_paid_before_reaching_the_age_is_ineligible_for_those_months() -> None:
    # Turned 70 in 10/2025 in a poor household: 07-09/2025 were paid before the social-pension age.
    line = _htxh("1955-10-05")
    res = [_resident(line, poverty_status="poor", poverty_status_raw="nghèo")]
    raw = find_ineligible(
        _ctx(
            beneficiaries=[line],
            payments=payments_for(line, month_range("2025-07", "2025-12"), 500000.0),
            residents=res,
        )
    )
    assert raw["amount_vnd"].tolist() == [3 * 500000.0]
    assert "07/2025" in raw["detail"].iloc[0]
