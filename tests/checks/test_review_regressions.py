"""Regressions found in the correctness review: each case failed before its fix."""

from __future__ import annotations

import pandas as pd

from audit_toolkit.checks import run_checks
from tests.factories import context, month_range, payments_for, person, ward

PERIOD = month_range("2022-01", "2023-02")


def _findings(ctx: object, only: set[str] | None = None) -> pd.DataFrame:
    raw, _ = run_checks(ctx, only=only)  # type: ignore[arg-type]
    return raw


def test_record_id_payments_shared_by_two_lines_reach_the_person() -> None:
    # The ward's record number is per person (K6 + C1 lines share it); payments carry only it.
    k6 = person(
        category="K6",
        disability_level="severe",
        birth_date="1980-03-01",
        full_name="Lò Thị Mai",
        sex="F",
        record_id="DT001",
        coefficient=1.5,
    )
    c1 = dict(k6, category="C1", disability_level=None, coefficient=1.5)
    paid = [
        {"record_id": "DT001", "full_name": "Lò Thị Mai", "month": m, "amount": 540000.0} for m in PERIOD
    ] * 2
    death = [
        {
            "national_id": k6["national_id"],
            "full_name": "Lò Thị Mai",
            "birth_date": "1980-03-01",
            "death_date": "2022-05-10",
        }
    ]
    raw = _findings(context(ward(beneficiaries=[k6, c1], payments=paid, deaths=death)), {"DECEASED_ACTIVE"})
    assert raw["amount_vnd"].sum() == 9 * 2 * 540000  # June 2022 .. February 2023, both lines
    # With the payment's category, each payment finds its own line: nothing is unpaid.
    by_cat = [
        {"record_id": "DT001", "month": m, "amount": 540000.0, "category": c}
        for m in PERIOD
        for c in ("K6", "C1")
    ]
    raw = _findings(context(ward(beneficiaries=[k6, c1], payments=by_cat)), {"UNPAID_MONTHS"})
    assert raw.empty


def test_suspended_line_with_a_later_end_month_is_not_payable_at_as_of() -> None:
    line = person(
        category="K5c", birth_date="1935-03-01", coefficient=1.0, status="suspended", end_month="2023-05"
    )
    paid = payments_for(line, PERIOD, 360000.0)
    raw = _findings(context(ward(beneficiaries=[line], payments=paid)), {"PAID_AFTER_END", "UNPAID_MONTHS"})
    assert list(raw["check_id"]) == ["PAID_AFTER_END"] and raw["amount_vnd"].sum() == 360000
    unpaid = payments_for(line, PERIOD[:-1], 360000.0)  # February 2023 not paid: nothing was due
    assert _findings(context(ward(beneficiaries=[line], payments=unpaid)), {"UNPAID_MONTHS"}).empty


def test_death_record_with_an_old_cmnd_matches_by_name_and_birth_date() -> None:
    line = person(category="K5c", birth_date="1935-03-01", full_name="Lê Thị Cúc", sex="F", coefficient=1.0)
    death = [
        {
            "national_id": "095123456",
            "full_name": "Lê Thị Cúc",
            "birth_date": "1935-03-01",
            "death_date": "2022-05-10",
        }
    ]
    raw = _findings(
        context(ward(beneficiaries=[line], payments=payments_for(line, PERIOD, 360000.0), deaths=death)),
        {"DECEASED_ACTIVE"},
    )
    assert raw["amount_vnd"].sum() == 9 * 360000
    assert raw["detail"].str.contains("xác minh").all()  # matched by name: verify before concluding


def test_ineligible_names_a_start_month_when_the_line_has_none() -> None:
    line = person(category="K5c", birth_date="1942-06-15", coefficient=1.0, start_month=None)
    raw = _findings(
        context(ward(beneficiaries=[line], payments=payments_for(line, PERIOD, 360000.0))), {"INELIGIBLE"}
    )
    assert len(raw) == 1
    assert "từ tháng 01/2022" in raw["detail"].iloc[0]
    assert "từ tháng ," not in raw["detail"].iloc[0]


def _elder_ward(
    resident_extra: dict[str, str], deaths: list[dict[str, str]] | None, lines: list[dict[str, object]]
) -> object:
    resident = {
        "national_id": "006035000901",
        "full_name": "Hoàng Văn Sáu",
        "birth_date": "1935-03-01",
        "sex": "M",
        "residence_status": "permanent",
    } | resident_extra
    return context(ward(beneficiaries=lines, residents=[resident], pensions=[], deaths=deaths))


def test_missed_elderly_counts_a_resident_who_died_or_moved_after_as_of() -> None:
    later_death = [
        {
            "national_id": "006035000901",
            "full_name": "Hoàng Văn Sáu",
            "birth_date": "1935-03-01",
            "death_date": "2023-06-01",
        }
    ]
    assert len(_findings(_elder_ward({}, later_death, []), {"MISSED_ELDERLY"})) == 1
    earlier_death = [dict(later_death[0], death_date="2023-01-15")]
    assert _findings(_elder_ward({}, earlier_death, []), {"MISSED_ELDERLY"}).empty
    moved_later = {"residence_status": "moved_out", "moved_out_date": "2023-05-01"}
    assert len(_findings(_elder_ward(moved_later, None, []), {"MISSED_ELDERLY"})) == 1
    moved_before = {"residence_status": "moved_out", "moved_out_date": "2022-05-01"}
    assert _findings(_elder_ward(moved_before, None, []), {"MISSED_ELDERLY"}).empty


def test_missed_elderly_is_not_silenced_by_a_care_line_held_as_a_carer() -> None:
    carer = person(
        national_id="006035000901",
        full_name="Hoàng Văn Sáu",
        birth_date="1935-03-01",
        category="C2",
        coefficient=1.0,
        cared_for_id="006180000002",
    )
    assert len(_findings(_elder_ward({}, None, [carer]), {"MISSED_ELDERLY"})) == 1
    allowance = dict(carer, category="K5c", cared_for_id=None)
    assert _findings(_elder_ward({}, None, [allowance]), {"MISSED_ELDERLY"}).empty
