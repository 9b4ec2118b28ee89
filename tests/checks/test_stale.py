"""Stale-status checks: DECEASED_ACTIVE, MOVED_ACTIVE, AGE_OUT, PAID_AFTER_END.

Default audit: as_of 2023-02-28, period 01/2022 .. 02/2023 (14 months), standard level 360,000.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from audit_toolkit.checks import common, stale
from audit_toolkit.checks.base import IMPLEMENTATIONS
from tests.factories import context, month_range, payments_for, person, ward

PERIOD = month_range("2022-01", "2023-02")


def _run(func: Any, *, as_of: str = "2023-02-28", lang: str = "vi", **tables: Any) -> pd.DataFrame:
    return func(context(ward(**tables), as_of=as_of, lang=lang))


def _one(raw: pd.DataFrame) -> pd.Series:
    assert len(raw) == 1, raw
    return raw.iloc[0]


def test_registered() -> None:
    for check_id, func in (
        ("DECEASED_ACTIVE", stale.find_deceased_active),
        ("MOVED_ACTIVE", stale.find_moved_active),
        ("AGE_OUT", stale.find_age_outs),
        ("PAID_AFTER_END", stale.find_paid_after_end),
    ):
        assert IMPLEMENTATIONS[check_id] is func


# ---------------------------------------------------------------------------------------------- DECEASED_ACTIVE
def _death(line: dict[str, Any], date: str, **extra: Any) -> dict[str, Any]:
    return {"national_id": line["national_id"], "full_name": line["full_name"], "death_date": date, **extra}


@pytest.mark.parametrize(
    ("death_date", "line_extra", "paid_months", "expected"),
    [
        # died mid-period, line still active, paid every month: 06/2022..02/2023 = 9 months overpaid
        ("2022-05-12", {}, PERIOD, 9 * 360_000),
        # died in the last month of the period and nothing paid later: the death month is payable
        ("2023-02-10", {}, PERIOD, None),
        # died before the period, still active at as_of: every payment of the period is overpaid
        ("2021-10-03", {}, PERIOD, 14 * 360_000),
        # died, line properly ended from the next month, paid up to the death month: clean
        ("2022-05-12", {"status": "ended", "end_month": "2022-06"}, month_range("2022-01", "2022-05"), None),
        # line ended but three payments after the death month slipped through
        (
            "2022-05-12",
            {"status": "ended", "end_month": "2022-06"},
            month_range("2022-01", "2022-08"),
            3 * 360_000,
        ),
        # death recorded after as_of: nothing to say at this audit
        ("2023-05-02", {}, PERIOD, None),
        # died before the period and ended before the period: outside the audited months
        ("2021-03-01", {"status": "ended", "end_month": "2021-06"}, [], None),
    ],
)
def test_deceased_amounts(
    death_date: str, line_extra: dict[str, Any], paid_months: list[str], expected: float | None
) -> None:
    line = person(full_name="Nguyễn Thị Xuân", sex="F", birth_date="1935-03-01", category="K5c", **line_extra)
    raw = _run(
        stale.find_deceased_active,
        beneficiaries=[line],
        deaths=[_death(line, death_date)],
        payments=payments_for(line, paid_months, 360_000.0),
    )
    if expected is None:
        assert raw.empty
    else:
        row = _one(raw)
        assert row["amount_vnd"] == expected
        assert row["person_key"] == "id:" + line["national_id"]
        assert row["check_id"] == "DECEASED_ACTIVE"


def test_deceased_example_sentence_sources_and_english() -> None:
    # K5a coefficient 2.0 = 720,000/month; ended from 01/2023 but paid 06/2022..02/2023 (9 months)
    line = person(
        full_name="Nguyễn Thị X",
        sex="F",
        birth_date="1938-04-04",
        category="K5a",
        coefficient=2.0,
        status="ended",
        end_month="2023-01",
    )
    tables: dict[str, Any] = {
        "beneficiaries": [line],
        "deaths": [_death(line, "2022-05-12")],
        "payments": payments_for(line, PERIOD, 720_000.0),
    }
    row = _one(_run(stale.find_deceased_active, **tables))
    assert (
        row["detail"] == "Bà Nguyễn Thị X mất ngày 12/05/2022, vẫn được chi trả 9 tháng sau đó: 6.480.000 đ"
    )
    assert row["amount_vnd"] == 6_480_000
    # line row 2, payments for 06/2022..02/2023 are payment rows 7..15, death record row 2
    assert row["sources"] == ["beneficiaries:2", "deaths:2"] + [f"payments:{r}" for r in range(7, 16)]
    en = _one(_run(stale.find_deceased_active, lang="en", **tables))
    assert (
        en["detail"]
        == "Ms Nguyễn Thị X died on 12/05/2022 and was still paid for 9 month(s) after that: 6,480,000 VND"
    )


def test_deceased_still_listed_clause() -> None:
    line = person(full_name="Trần Văn Bình", sex="M", birth_date="1940-01-01", category="K5c")
    row = _one(
        _run(
            stale.find_deceased_active,
            beneficiaries=[line],
            deaths=[_death(line, "2022-12-01")],
            payments=payments_for(line, PERIOD, 360_000.0),
        )
    )
    assert row["detail"] == (
        "Ông Trần Văn Bình mất ngày 01/12/2022, vẫn được chi trả 2 tháng sau đó: 720.000 đ; dòng hưởng K5c "
        "vẫn còn hiệu lực tháng 02/2023, cần ra quyết định thôi hưởng và thu hồi số tiền đã chi sai"
    )


def test_deceased_active_without_payments_table() -> None:
    # no payments supplied: the line being active after death is the finding, amount 0
    line = person(full_name="Lê Thị Cúc", sex="F", birth_date="1936-07-07", category="K5c")
    row = _one(_run(stale.find_deceased_active, beneficiaries=[line], deaths=[_death(line, "2022-09-20")]))
    assert row["amount_vnd"] == 0
    assert row["detail"] == (
        "Bà Lê Thị Cúc mất ngày 20/09/2022 nhưng dòng hưởng K5c vẫn còn hiệu lực đến tháng 02/2023: "
        "cần ra quyết định thôi hưởng"
    )
    assert row["sources"] == ["beneficiaries:2", "deaths:2"]
    en = _one(
        _run(stale.find_deceased_active, lang="en", beneficiaries=[line], deaths=[_death(line, "2022-09-20")])
    )
    assert en["detail"] == (
        "Ms Lê Thị Cúc died on 20/09/2022 but the K5c line is still active until 02/2023: a decision ending it is needed"
    )


def test_unreceived_payment_after_death_is_not_counted() -> None:
    line = person(birth_date="1935-03-01", status="ended", end_month="2022-06")
    pays = payments_for(line, month_range("2022-01", "2022-05"), 360_000.0)
    pays += payments_for(line, ["2022-06"], 360_000.0, paid=False)  # returned, never received
    raw = _run(
        stale.find_deceased_active, beneficiaries=[line], deaths=[_death(line, "2022-05-03")], payments=pays
    )
    assert raw.empty


@pytest.mark.parametrize(
    ("line_id", "death_birth", "expect"),
    [
        # no ID on the roster: name + same full birth date matches
        (None, "1935-03-01", True),
        # no ID: same name, different birth date -> another person
        (None, "1935-03-02", False),
        # both carry valid IDs that differ -> two people despite equal name and birth date
        ("006135999999", "1935-03-01", False),
    ],
)
def test_deceased_matching_by_name_and_birth(line_id: str | None, death_birth: str, expect: bool) -> None:
    line = person(full_name="Phạm Thị Đào", sex="F", birth_date="1935-03-01", national_id=line_id)
    death = {
        "national_id": "006135888888" if line_id else None,
        "full_name": "PHAM THI DAO",
        "birth_date": death_birth,
        "death_date": "2022-03-15",
    }
    raw = _run(stale.find_deceased_active, beneficiaries=[line], deaths=[death])
    assert (len(raw) == 1) is expect
    if expect:
        # no common ID: the officer is told to verify the identity first
        assert raw.iloc[0]["detail"] == (
            "Bà Phạm Thị Đào mất ngày 15/03/2022 nhưng dòng hưởng K5c vẫn còn hiệu lực đến tháng 02/2023: cần ra "
            "quyết định thôi hưởng (đối chiếu theo họ tên và ngày sinh, không trùng số định danh: cần xác minh trước "
            "khi kết luận)"
        )
        en = _run(stale.find_deceased_active, lang="en", beneficiaries=[line], deaths=[death])
        assert en.iloc[0]["detail"].endswith(
            " (matched on name and birth date, not on an ID number: verify before concluding)"
        )


def test_deceased_one_finding_per_person_with_person_level_payment() -> None:
    # two lines (K6 + C1) for one person; payments carry no category, so they cannot be tied to one
    # line, but they are the dead person's money all the same
    k6 = person(
        full_name="Hoàng Thị Em",
        sex="F",
        birth_date="1990-02-02",
        category="K6",
        disability_level="severe",
        national_id="006190000123",
    )
    c1 = dict(k6, category="C1")
    pays = [
        {"national_id": k6["national_id"], "full_name": k6["full_name"], "month": mo, "amount": 540_000.0}
        for mo in ("2022-10", "2022-11")
    ]
    raw = _run(
        stale.find_deceased_active,
        beneficiaries=[k6, c1],
        deaths=[_death(k6, "2022-10-05"), _death(k6, "2022-10-05")],
        payments=pays,
    )
    row = _one(raw)
    assert row["amount_vnd"] == 540_000  # 11/2022 only: 10/2022 is the death month
    assert row["sources"] == ["beneficiaries:2", "beneficiaries:3", "deaths:2", "deaths:3", "payments:3"]
    assert row["category"] == "C1, K6"


# ---------------------------------------------------------------------------------------------- MOVED_ACTIVE
def _resident(line: dict[str, Any], status: str, moved: str | None = None) -> dict[str, Any]:
    return {
        "national_id": line["national_id"],
        "full_name": line["full_name"],
        "birth_date": line["birth_date"],
        "residence_status": status,
        "moved_out_date": moved,
    }


@pytest.mark.parametrize(
    ("residents", "expected"),
    [
        # moved out 15/08/2022, paid to 02/2023: 09/2022..02/2023 = 6 months
        ([("moved_out", "2022-08-15")], 6 * 360_000),
        # moved out in the as-of month: that month is still payable
        ([("moved_out", "2023-02-01")], None),
        # "moved out" without a date cannot be dated: not reported
        ([("moved_out", None)], None),
        # living here
        ([("permanent", None)], None),
        # the register also holds a current record for the person: the move is not established
        ([("moved_out", "2022-08-15"), ("temporary", None)], None),
    ],
)
def test_moved_active(residents: list[tuple[str, str | None]], expected: float | None) -> None:
    line = person(full_name="Vũ Văn Giang", birth_date="1938-06-06")
    raw = _run(
        stale.find_moved_active,
        beneficiaries=[line],
        residents=[_resident(line, s, d) for s, d in residents],
        payments=payments_for(line, PERIOD, 360_000.0),
    )
    if expected is None:
        assert raw.empty
    else:
        row = _one(raw)
        assert row["amount_vnd"] == expected
        assert row["sources"] == ["beneficiaries:2"] + [f"payments:{r}" for r in range(10, 16)] + [
            "residents:2"
        ]


def test_moved_detail_both_languages() -> None:
    line = person(full_name="Vũ Văn Giang", birth_date="1938-06-06", status="ended", end_month="2022-12")
    tables: dict[str, Any] = {
        "beneficiaries": [line],
        "residents": [_resident(line, "moved_out", "2022-08-15")],
        "payments": payments_for(line, month_range("2022-01", "2022-11"), 360_000.0),
    }
    row = _one(_run(stale.find_moved_active, **tables))
    assert (
        row["detail"]
        == "Ông Vũ Văn Giang đã chuyển đi ngày 15/08/2022, vẫn được chi trả 3 tháng sau đó: 1.080.000 đ"
    )
    en = _one(_run(stale.find_moved_active, lang="en", **tables))
    assert en["detail"] == (
        "Mr Vũ Văn Giang moved away on 15/08/2022 and was still paid for 3 month(s) after that: 1,080,000 VND"
    )


# ---------------------------------------------------------------------------------------------- AGE_OUT
@pytest.mark.parametrize(
    ("category", "birth", "extra", "expected"),
    [
        # K1 turns 16 in 07/2022, not studying: 08/2022..02/2023 = 7 months overpaid
        ("K1", "2006-07-15", {}, 7 * 540_000),
        # same child studying: continues to 22 as K2, nothing to report
        ("K1", "2006-07-15", {"studying": True}, None),
        # K1 studying but already 22 in 05/2022: 06/2022..02/2023 = 9 months
        ("K1", "2000-05-20", {"studying": True}, 9 * 540_000),
        # K2 turns 22 in 05/2022
        ("K2", "2000-05-20", {"studying": True}, 9 * 540_000),
        # K3 with a year-only birth date: 16 in 01/2022, 02/2022..02/2023 = 13 months
        ("K3", "2006", {}, 13 * 540_000),
        # K7 whose 3rd birthday is in the as-of month: that month is still payable
        ("K7", "2020-02-10", {}, None),
        # K7 who turned 3 in 12/2022: 01/2023 and 02/2023
        ("K7", "2019-12-01", {}, 2 * 540_000),
        # K1 ended from the month after the 16th birthday: clean
        ("K1", "2006-07-15", {"status": "ended", "end_month": "2022-08"}, None),
        # K1 ended one month too late, and paid for it
        ("K1", "2006-07-15", {"status": "ended", "end_month": "2022-09"}, 540_000),
        # K6 has no age limit
        ("K6", "2000-01-01", {"disability_level": "severe"}, None),
    ],
)
def test_age_out(category: str, birth: str, extra: dict[str, Any], expected: float | None) -> None:
    line = person(full_name="Đỗ Minh Khang", birth_date=birth, category=category, coefficient=1.5, **extra)
    end = extra.get("end_month")
    months = PERIOD if end is None else [m for m in PERIOD if m < end]
    raw = _run(stale.find_age_outs, beneficiaries=[line], payments=payments_for(line, months, 540_000.0))
    if expected is None:
        assert raw.empty
    else:
        row = _one(raw)
        assert row["amount_vnd"] == expected
        assert row["discriminator"] == category


def test_age_out_detail_sources_and_hint() -> None:
    line = person(full_name="Đỗ Minh Khang", birth_date="2006-07-15", category="K1", coefficient=1.5)
    pays = payments_for(line, PERIOD, 540_000.0)
    row = _one(_run(stale.find_age_outs, beneficiaries=[line], payments=pays))
    assert row["detail"] == (
        "Đỗ Minh Khang (sinh 15/07/2006) đủ 16 tuổi vào tháng 07/2022, hết tuổi hưởng diện K1 nhưng vẫn được chi trả "
        "7 tháng sau đó: 3.780.000 đ (nếu đang đi học thì cần quyết định chuyển sang diện K2); dòng hưởng vẫn còn "
        "hiệu lực tháng 02/2023"
    )
    # 08/2022..02/2023 are payment rows 9..15
    assert row["sources"] == ["beneficiaries:2"] + [f"payments:{r}" for r in range(9, 16)]
    en = _one(_run(stale.find_age_outs, lang="en", beneficiaries=[line], payments=pays))
    assert en["detail"] == (
        "Đỗ Minh Khang (born 15/07/2006) reached 16 in 07/2022, the age limit of category K1, but was still paid for "
        "7 month(s) after that: 3,780,000 VND (if still studying, a decision moving the line to category K2 is "
        "needed); the line is still active in 02/2023"
    )


def test_age_out_active_only_year_only_birth() -> None:
    # no payments table: a K7 line (born "2019" = 01/2019, 3 in 01/2022) still on the roster
    line = person(full_name="Lò Thị Mai", sex="F", birth_date="2019", category="K7")
    row = _one(_run(stale.find_age_outs, beneficiaries=[line]))
    assert row["amount_vnd"] == 0
    assert row["detail"] == (
        "Lò Thị Mai (sinh 2019) đủ 3 tuổi vào tháng 01/2022, hết tuổi hưởng diện K7 nhưng dòng hưởng vẫn còn "
        "hiệu lực đến tháng 02/2023"
    )


def test_age_out_counts_only_payments_tied_to_the_line() -> None:
    # a K1 line and a C4 line for one person; payments without a category cannot be tied to one
    # line, so they do not count in this line-level check (the active line still does)
    k1 = person(full_name="Hà Văn Long", birth_date="2006-03-03", category="K1", national_id="006206000777")
    c4 = dict(k1, category="C4")
    pays = [{"national_id": k1["national_id"], "month": "2022-09", "amount": 540_000.0}]
    row = _one(_run(stale.find_age_outs, beneficiaries=[k1, c4], payments=pays))
    assert row["amount_vnd"] == 0
    assert row["sources"] == ["beneficiaries:2"]


def test_age_out_limits_come_from_the_rules() -> None:
    line = person(birth_date="2019-12-01", category="K7")
    ctx = context(ward(beneficiaries=[line]))
    assert len(stale.find_age_outs(ctx)) == 1
    limits = ctx.rules.age_limits

    class Rules:
        """The packaged rules with K7's limit raised to 4."""

        age_limits = limits.assign(age=limits["age"].where(limits["category"] != "K7", 4))

    ctx.rules = Rules()  # type: ignore[assignment]
    assert stale.find_age_outs(ctx).empty


# ---------------------------------------------------------------------------------------------- PAID_AFTER_END
@pytest.mark.parametrize(
    ("extra", "paid", "expected"),
    [
        # ended from 10/2022, paid to 12/2022: 10, 11, 12 = 3 payments
        ({"status": "ended", "end_month": "2022-10"}, month_range("2022-01", "2022-12"), 3 * 360_000),
        # ended from 10/2022, paid to 09/2022: clean
        ({"status": "ended", "end_month": "2022-10"}, month_range("2022-01", "2022-09"), None),
        # suspended from 11/2022 and still paid 11/2022..02/2023
        ({"status": "suspended", "end_month": "2022-11"}, PERIOD, 4 * 360_000),
        # suspended without a month: the suspension counts from the as-of month (02/2023 only)
        ({"status": "suspended"}, PERIOD, 360_000),
        # suspended without a month, nothing paid for 02/2023: clean
        ({"status": "suspended"}, month_range("2022-01", "2023-01"), None),
        # ended without an end month: cannot be dated, left to the data-quality suite
        ({"status": "ended"}, PERIOD, None),
        # active line: nothing after an end
        ({}, PERIOD, None),
    ],
)
def test_paid_after_end(extra: dict[str, Any], paid: list[str], expected: float | None) -> None:
    line = person(birth_date="1936-01-01", **extra)
    raw = _run(stale.find_paid_after_end, beneficiaries=[line], payments=payments_for(line, paid, 360_000.0))
    if expected is None:
        assert raw.empty
    else:
        row = _one(raw)
        assert row["amount_vnd"] == expected
        assert row["discriminator"] == "K5c"


def test_paid_after_end_ignores_unreceived_and_out_of_period() -> None:
    line = person(birth_date="1936-01-01", status="ended", end_month="2021-10")
    pays = payments_for(line, ["2021-11", "2021-12"], 360_000.0)  # before the audit period
    pays += payments_for(line, ["2022-01"], 360_000.0, paid=False)  # not received
    assert _run(stale.find_paid_after_end, beneficiaries=[line], payments=pays).empty


def test_paid_after_end_detail_sources_per_category() -> None:
    k6 = person(
        full_name="Bùi Thị Hạnh",
        sex="F",
        birth_date="1980-01-01",
        category="K6",
        disability_level="severe",
        status="ended",
        end_month="2022-10",
    )
    c1 = dict(k6, category="C1", status="suspended", end_month="2022-12")
    pays = payments_for(k6, month_range("2022-09", "2022-11"), 540_000.0)  # rows 2-4: 10, 11 after end
    pays += payments_for(c1, month_range("2022-11", "2023-01"), 540_000.0)  # rows 5-7: 12, 01 suspended
    raw = _run(stale.find_paid_after_end, beneficiaries=[k6, c1], payments=pays)
    assert len(raw) == 2
    by_cat = raw.set_index("discriminator")
    assert by_cat.loc["K6", "sources"] == ["beneficiaries:2", "payments:3", "payments:4"]
    assert by_cat.loc["C1", "sources"] == ["beneficiaries:3", "payments:6", "payments:7"]
    assert by_cat.loc["K6", "detail"] == (
        "Dòng hưởng K6 của Bà Bùi Thị Hạnh đã thôi hưởng từ tháng 10/2022 nhưng vẫn được chi trả 2 tháng "
        "(từ 10/2022 đến 11/2022): 1.080.000 đ"
    )
    assert by_cat.loc["C1", "detail"] == (
        "Dòng hưởng C1 của Bà Bùi Thị Hạnh bị tạm dừng từ tháng 12/2022 nhưng vẫn được chi trả 2 tháng "
        "(từ 12/2022 đến 01/2023): 1.080.000 đ"
    )
    en = _run(stale.find_paid_after_end, lang="en", beneficiaries=[k6, c1], payments=pays).set_index(
        "discriminator"
    )
    assert en.loc["C1", "detail"] == (
        "The C1 line of Ms Bùi Thị Hạnh was suspended from 12/2022 but was still paid for 2 month(s) "
        "(12/2022 to 01/2023): 1,080,000 VND"
    )


# ---------------------------------------------------------------------------------------------- shared helpers
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_render_rows_matches_render(lang: str) -> None:
    # the fast positional formatting gives exactly what the catalogue's render gives
    from audit_toolkit.messages import render

    fields = pd.DataFrame(
        {
            "who": ["Bà A", "Ông B"],
            "event_date": ["01/02/2022", "03/04/2022"],
            "n_months": ["1", "12"],
            "amount": ["1 đ", "2 đ"],
            "unused": ["x", "y"],
        }
    )
    assert (
        common.render_rows("stale.deceased.paid", lang, fields).tolist()
        == render("stale.deceased.paid", lang, fields).tolist()
    )
    with pytest.raises(KeyError):
        common.render_rows("stale.deceased.paid", lang, fields.drop(columns=["amount"]))


def test_isin_keys_and_sources_by() -> None:
    values = pd.Series(["a", None, "b", "c"], dtype="str")
    # missing never matches, even against a missing key
    assert common.isin_keys(values, pd.Series(["b", None, "a"], dtype="object")).tolist() == [
        True,
        False,
        True,
        False,
    ]
    assert common.isin_keys(values, pd.Series([], dtype="str")).tolist() == [False] * 4
    got = common.sources_by(
        pd.Series(["k", "k", "j", "k"]), pd.Series(["t", "s", "t", "t"]), pd.Series([10, 3, 1, 9])
    )
    # sorted by table, then numeric row; one list per key
    assert got == {"j": ["t:1"], "k": ["s:3", "t:9", "t:10"]}
