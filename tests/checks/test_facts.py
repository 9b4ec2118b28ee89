"""The shared facts themselves (checks/facts/): each computed once, read by every check that needs it.

Stop month and its cause (death, move), limit month with the continuation K1 → K2 while studying,
the birth month that sets a care line's coefficient (the cared-for person's), the cared-for person of a
care line with their stop, and the due amount of a line in a month — passing and failing records.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from audit_toolkit.checks.base import AuditContext
from audit_toolkit.checks.facts import (
    age_limits,
    care_facts,
    coefficient_birth_months,
    stop_months,
)
from audit_toolkit.checks.facts.money import due_amounts, due_coefficients, line_dues
from audit_toolkit.checks.lines import months_of_lines, price_months
from audit_toolkit.months import month_num
from tests.factories import context, new_id, person, ward


def _m(text: str) -> int:
    y, mo = text.split("-")[:2]
    return month_num(int(y), int(mo))


def _death(line: dict[str, Any], date: str) -> dict[str, Any]:
    return {"national_id": line["national_id"], "full_name": line["full_name"], "death_date": date}


def _resident(line: dict[str, Any], status: str, moved: str | None = None) -> dict[str, Any]:
    return {
        "national_id": line["national_id"],
        "full_name": line["full_name"],
        "birth_date": line["birth_date"],
        "residence_status": status,
        "moved_out_date": moved,
    }


# ---------------------------------------------------------------------------------------- stop month
@pytest.mark.parametrize(
    ("death", "moves", "expected"),
    [
        # died in 05/2022, never moved: stops in the death month, cause death
        ("2022-05-12", [], ("2022-05", "death")),
        # moved away in 09/2022 (no current record): stops in the move month, cause move
        (None, [("moved_out", "2022-09-03")], ("2022-09", "move")),
        # moved in 03/2022, died in 10/2022: the earlier event stops the line
        ("2022-10-01", [("moved_out", "2022-03-20")], ("2022-03", "move")),
        # died and moved in the same month: the death is the cause
        ("2022-06-30", [("moved_out", "2022-06-01")], ("2022-06", "death")),
        # moved out, but also has a current record: not a move, nothing stops the line
        (None, [("moved_out", "2022-09-03"), ("permanent", None)], None),
        # nothing in the registers: no stop month
        (None, [], None),
    ],
)
def test_stop_month_and_its_cause(
    death: str | None, moves: list[tuple[str, str | None]], expected: tuple[str, str] | None
) -> None:
    line = person(category="K5c", birth_date="1935-03-01")
    ctx = context(
        ward(
            beneficiaries=[line],
            deaths=[_death(line, death)] if death else [],
            residents=[_resident(line, s, d) for s, d in moves] or [_resident(line, "permanent")],
        )
    )
    stops = stop_months(ctx)
    key = ctx.lines["person_key"].iloc[0]
    if expected is None:
        assert key not in stops.index
        return
    assert stops.loc[key, "stop_m"] == _m(expected[0])
    assert stops.loc[key, "cause"] == expected[1]


def test_stop_month_is_computed_once_per_audit() -> None:
    line = person(category="K5c", birth_date="1935-03-01")
    ctx = context(ward(beneficiaries=[line], deaths=[_death(line, "2022-05-12")]))
    assert stop_months(ctx) is stop_months(ctx)


# ---------------------------------------------------------------------------------------- age limit
@pytest.mark.parametrize(
    ("category", "birth", "extra", "limit", "continues", "limit_month"),
    [
        # K1 not studying: the K1 limit (16), in the 16th birthday month
        ("K1", "2006-07-15", {}, 16, False, "2022-07"),
        # K1 studying: continues to the limit of K2 (22)
        ("K1", "2006-07-15", {"studying": True}, 22, True, "2028-07"),
        # K1 whose studying is not known (empty cell): unknown is not yes, the K1 limit holds
        ("K1", "2006-07-15", {"studying": None}, 16, False, "2022-07"),
        # K2 has its own limit and continues into nothing
        ("K2", "2003-02-01", {"studying": True}, 22, False, "2025-02"),
        # K7 (child under 3)
        ("K7", "2019-12-01", {}, 3, False, "2022-12"),
        # K6 has no age limit
        ("K6", "1960-01-01", {"disability_level": "severe"}, None, False, None),
    ],
)
def test_limit_month_with_continuation(
    category: str,
    birth: str,
    extra: dict[str, Any],
    limit: int | None,
    continues: bool,
    limit_month: str | None,
) -> None:
    ctx = context(ward(beneficiaries=[person(category=category, birth_date=birth, **extra)]))
    row = age_limits(ctx).iloc[0]
    assert bool(row["continues"]) is continues
    if limit is None:
        assert np.isnan(row["limit"]) and np.isnan(row["limit_m"])
    else:
        assert row["limit"] == limit
        assert row["limit_m"] == _m(str(limit_month))


def test_limit_month_needs_a_birth_date() -> None:
    ctx = context(ward(beneficiaries=[person(category="K1", birth_date="2006-07-15")]))
    ctx.lines.loc[0, "birth_m"] = pd.NA  # the roster gave no birth date: the limit month is unknown
    row = age_limits(ctx).iloc[0]
    assert row["limit"] == 16
    assert np.isnan(row["limit_m"])


# ------------------------------------------------------------------------ whose age sets the coefficient
def _care(cared_id: str, category: str = "C3", **extra: Any) -> dict[str, Any]:
    return person(
        full_name="Trần Văn Nuôi", birth_date="1975-01-01", category=category, cared_for_id=cared_id, **extra
    )


def test_own_birth_month_for_an_ordinary_line() -> None:
    ctx = context(
        ward(beneficiaries=[person(category="K6", birth_date="1960-04-02", disability_level="severe")])
    )
    assert coefficient_birth_months(ctx)[0] == _m("1960-04")


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        # the cared-for person is on the roster: their roster birth month
        ("roster", "2012-06"),
        # only in the resident register: found there (DUPLICATE_* used to look at the roster only)
        ("residents", "2012-06"),
        # only in the death register
        ("deaths", "2012-06"),
        # nowhere: unknown
        ("nowhere", None),
    ],
)
def test_cared_for_birth_month(where: str, expected: str | None) -> None:
    cared_id = new_id(birth_year=2012)
    cared = {"national_id": cared_id, "full_name": "Trần Thị Ba", "birth_date": "2012-06-01"}
    tables: dict[str, list[dict[str, Any]]] = {"beneficiaries": [_care(cared_id)]}
    if where == "roster":
        tables["beneficiaries"].append(person(category="K6", disability_level="especially_severe", **cared))
    elif where == "residents":
        tables["residents"] = [cared | {"residence_status": "permanent"}]
    elif where == "deaths":
        tables["deaths"] = [cared | {"death_date": "2024-01-01"}]
    ctx = context(ward(**tables))
    got = coefficient_birth_months(ctx)[0]
    assert np.isnan(got) if expected is None else got == _m(expected)


def test_roster_record_without_birth_date_falls_back_to_the_registers() -> None:
    cared_id = new_id(birth_year=2012)
    cared = {"national_id": cared_id, "full_name": "Trần Thị Ba"}
    ctx = context(
        ward(
            beneficiaries=[
                _care(cared_id),
                person(category="K6", disability_level="especially_severe", **cared) | {"birth_date": None},
            ],
            residents=[cared | {"birth_date": "2012-06-01", "residence_status": "permanent"}],
        )
    )
    assert coefficient_birth_months(ctx)[0] == _m("2012-06")


# ------------------------------------------------------------------------------- cared-for person
def test_care_line_for_a_child_stops_at_the_childs_age_limit_or_death() -> None:
    child = person(full_name="Lê Thị Bé", birth_date="2015-04-02", category="K1")
    c4 = _care(child["national_id"], category="C4")
    ctx = context(ward(beneficiaries=[child, c4], deaths=[_death(child, "2024-03-09")]), as_of="2025-12-31")
    facts = care_facts(ctx).iloc[0]
    assert facts["found"] and facts["via"] == "id"
    assert facts["birth_m"] == _m("2015-04")
    assert facts["age_stop_m"] == _m("2031-04")  # the K1 limit (16) of the child
    assert facts["death_m"] == _m("2024-03")
    assert facts["stop_m"] == _m("2024-03") and facts["cause"] == "death"


def test_care_line_whose_person_is_nowhere_has_no_stop() -> None:
    ctx = context(ward(beneficiaries=[_care(new_id(birth_year=2012))]))
    facts = care_facts(ctx).iloc[0]
    assert not facts["found"]
    assert np.isnan(facts["stop_m"]) and facts["cause"] == ""


# ------------------------------------------------------------------------------------ due amount
@pytest.mark.parametrize(
    ("category", "month", "expected"),
    [
        # K5c at coefficient 1.0 in 01/2023: the standard level 360,000 (NĐ 20/2021)
        ("K5c", "2023-01", 360_000.0),
        # the same line after the 07/2024 raise: 500,000 (NĐ 76/2024)
        ("K5c", "2024-08", 500_000.0),
        # HTXH multiplies the social-pension level, which does not exist before 07/2025: unknown
        ("HTXH", "2025-01", None),
        # HTXH from 07/2025: the social-pension level 500,000 (NĐ 176/2025)
        ("HTXH", "2025-08", 500_000.0),
    ],
)
def test_due_amount_per_line_and_month(category: str, month: str, expected: float | None) -> None:
    ctx = context(ward(beneficiaries=[person(category=category, birth_date="1935-03-01", coefficient=1.0)]))
    li, mm = np.array([0]), np.array([_m(month)])
    due = line_dues(ctx, li, mm, due_coefficients(ctx, li, mm))[0]
    assert np.isnan(due) if expected is None else due == expected
    # The context's due amount and the pricing rule are the same function.
    assert np.array_equal(
        due_amounts(ctx.rules, pd.Series([category]), pd.Series(mm), np.array([1.0]), None),
        np.array([due]),
        equal_nan=True,
    )


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [
        (2.0, 2.0),  # a recorded coefficient is the one the month is due at (right or wrong)
        (None, 2.5),  # none recorded: the rules' coefficient for an especially severe K6 adult
    ],
)
def test_due_coefficient(recorded: float | None, expected: float) -> None:
    line = person(
        category="K6", birth_date="1960-01-01", disability_level="especially_severe", coefficient=recorded
    )
    ctx = context(ward(beneficiaries=[line]))
    assert due_coefficients(ctx, np.array([0]), np.array([_m("2023-01")]))[0] == expected


def _care_ctx(**tables: Any) -> AuditContext:
    return context(ward(**tables), as_of="2023-02-28")


def test_duplicates_and_entitlement_price_a_care_line_alike() -> None:
    # A C3 line whose cared-for child is only in the resident register: DUPLICATE_* used to price it
    # at an unknown age (roster only) while WRONG_AMOUNT priced it at the child's age. One fact now.
    cared_id = new_id(birth_year=2019)
    cared = {"national_id": cared_id, "full_name": "Trần Thị Ba", "birth_date": "2019-06-01"}
    ctx = _care_ctx(
        beneficiaries=[_care(cared_id, coefficient=None)],
        residents=[cared | {"residence_status": "permanent"}],
    )
    lm = price_months(months_of_lines(ctx, np.array([0])), ctx.rules, ctx.ward.province_code)
    li = lm["line_idx"].to_numpy(dtype=np.int64)
    mm = lm["m"].to_numpy(dtype=np.int64)
    expected = np.nan_to_num(line_dues(ctx, li, mm, due_coefficients(ctx, li, mm)))
    assert len(lm) and np.allclose(lm["due_nominal"].to_numpy(dtype="float64"), expected)
    assert (expected > 0).all()


# ------------------------------------------------------------------------------ active line, kind
@pytest.mark.parametrize(
    ("start", "end", "undated", "expected"),
    [
        (_m("2022-01"), None, False, True),  # started, open: active
        (_m("2023-01"), None, False, False),  # starts after the month: not yet
        (None, _m("2022-07"), False, True),  # no start, ends the month after: active
        (_m("2021-01"), _m("2022-06"), False, False),  # end month is the first month not active
        (_m("2021-01"), None, True, False),  # ended without an end month: never active
    ],
)
def test_active_in_month(start: int | None, end: int | None, undated: bool, expected: bool) -> None:
    from audit_toolkit.checks.common import active_in_month

    got = active_in_month(
        pd.Series([start], dtype="Int64"),
        pd.Series([end], dtype="Int64"),
        _m("2022-06"),
        pd.Series([undated]),
    )
    assert got.tolist() == [expected]


def test_line_kind() -> None:
    from audit_toolkit.checks.base import line_kind

    cats = pd.Series(["K1", "C3", "HTXH", "K6", None], dtype=object)
    assert line_kind(cats).tolist() == ["K", "C", "HTXH", "K", "K"]
