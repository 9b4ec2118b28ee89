"""Money by the month it is FOR (data contract §1a): catch-up lumps and recovered money.

Readings: docs/check-semantics.md "Money by the month it is for". Every payment check reads the
same month-allocated payments (checks/facts.py ``allocate_payments`` behind ``payments_linked``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_toolkit.checks import run_checks
from audit_toolkit.checks.entitlement import find_unpaid_months, find_wrong_amounts
from audit_toolkit.checks.stale import find_deceased_active, find_paid_after_end
from audit_toolkit.io import load_ward
from audit_toolkit.months import month_num
from audit_toolkit.payment_months import note_months, payment_months
from tests.factories import context, month_range, payments_for, person, ward

K6 = {"category": "K6", "disability_level": "severe", "coefficient": 1.5, "birth_date": "1970-03-03"}


def _ctx(lines: list[dict], pays: list[dict], **kw: object) -> object:
    as_of = str(kw.pop("as_of", "2025-12-31"))
    start = str(kw.pop("period_from", "2025-01"))
    return context(ward(beneficiaries=lines, payments=pays, **kw), as_of=as_of, period_from=start)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("truy lĩnh T7-T9/2025", (2025, 7, 2025, 9, None)),  # the contract's example
        ("Truy lĩnh T11/2025 - T1/2026", (2025, 11, 2026, 1, None)),  # across a year
        ("truy lĩnh tháng 7, 8, 9/2025", (2025, 7, 2025, 9, None)),  # a list of consecutive months
        ("truy lĩnh T8/2025", (2025, 8, 2025, 8, None)),  # one month
        ("Truy thu T3-T4/2026", (None, None, None, None, (2026, 3, 2026, 4))),  # recovered money
        ("truy lĩnh T9-T7/2025", (None, None, None, None, None)),  # an end before the start: nothing
        ("truy lĩnh T7, T9/2025", (None, None, None, None, None)),  # a gap: ambiguous, nothing
        ("chưa nhận", (None, None, None, None, None)),  # no keyword
    ],
)
def test_note_months(note: str, expected: tuple) -> None:
    got = note_months(pd.Series([note])).iloc[0]
    fy, fm, ty, tm, rec = expected
    arrears = None if fy is None else (month_num(fy, fm), month_num(ty, tm))
    assert (None if pd.isna(got["arrears_from"]) else (got["arrears_from"], got["arrears_to"])) == arrears
    recovered = None if rec is None else (month_num(rec[0], rec[1]), month_num(rec[2], rec[3]))
    assert (
        None if pd.isna(got["recovered_from"]) else (got["recovered_from"], got["recovered_to"])
    ) == recovered


def _typed(**cols: object) -> pd.DataFrame:
    base = {"month": pd.array([month_num(2025, 10)], dtype="Int64"), "amount": [1_500_000.0]}
    for key, value in cols.items():
        base[key] = (
            pd.array([value], dtype="Int64")
            if key in {"arrears_from", "arrears_to", "arrears_months"}
            else [value]
        )
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("cols", "own", "extra", "bad"),
    [
        ({}, (10, 10), None, False),  # an ordinary payment: its own month
        (
            {"arrears_from": month_num(2025, 8), "arrears_to": month_num(2025, 9)},
            (8, 9),
            None,
            False,
        ),  # the row is the lump
        ({"arrears_months": 3}, (8, 10), None, False),  # n months ending with the month paid
        (
            {"arrears_amount": 1_000_000.0, "arrears_months": 2},
            (10, 10),
            (8, 9),
            False,
        ),  # separate: n months before
        (
            {"arrears_amount": 1_000_000.0, "note": "truy lĩnh T7-T8/2025"},
            (10, 10),
            (7, 8),
            False,
        ),  # months in the note
        (
            {"arrears_amount": 1_000_000.0, "note": "đã nhận"},
            (10, 10),
            None,
            True,
        ),  # months nowhere: unreadable
        ({"arrears_from": month_num(2025, 8)}, (10, 10), None, True),  # only one end: unreadable
        (
            {"arrears_from": month_num(2025, 9), "arrears_to": month_num(2025, 8)},
            (9, 8),
            None,
            True,
        ),  # reversed
        ({"arrears_months": 0}, (11, 10), None, True),  # no month at all
    ],
)
def test_payment_months_readings(cols: dict, own: tuple, extra: tuple | None, bad: bool) -> None:
    ranges, unreadable = payment_months(_typed(**cols))
    assert bool(unreadable.iloc[0]) is bad
    if bad:
        return
    row = ranges.iloc[0]
    assert (row["for_from"], row["for_to"]) == (month_num(2025, own[0]), month_num(2025, own[1]))
    if extra is None:
        assert pd.isna(row["extra_from"])
    else:
        assert (row["extra_from"], row["extra_to"]) == (month_num(2025, extra[0]), month_num(2025, extra[1]))


def test_late_but_correct_lump_gives_no_finding() -> None:
    line = person(**K6)
    # 08 and 09 not paid in their month; the October list pays them as one catch-up row.
    pays = payments_for(
        line, [m for m in month_range("2025-01", "2025-12") if m not in ("2025-08", "2025-09")], 750000.0
    )
    pays += payments_for(line, ["2025-10"], 1_500_000.0, arrears_from="2025-08", arrears_to="2025-09")
    ctx = _ctx([line], pays)
    assert find_wrong_amounts(ctx).empty
    assert find_unpaid_months(ctx).empty
    linked = ctx.payments_linked
    lump = linked.loc[linked["lump"]]
    assert sorted(lump["m"].tolist()) == [month_num(2025, 8), month_num(2025, 9)]
    assert lump["amount"].tolist() == [750000.0, 750000.0]
    assert set(lump["paid_m"]) == {month_num(2025, 10)}


def test_lump_that_pays_a_month_twice_is_wrong_amount_for_that_month() -> None:
    line = person(**K6)
    pays = payments_for(line, [m for m in month_range("2025-01", "2025-12") if m != "2025-08"], 750000.0)
    pays += payments_for(line, ["2025-10"], 1_500_000.0, arrears_from="2025-08", arrears_to="2025-09")
    raw = find_wrong_amounts(_ctx([line], pays))
    assert len(raw) == 1
    assert raw["amount_vnd"].iloc[0] == 750000.0  # September paid twice
    # The lump's own row is evidence (payments:<row of the October catch-up row>).
    assert f"payments:{len(pays) + 1}" in raw["sources"].iloc[0]


def test_separate_arrears_column_with_months_in_the_note() -> None:
    line = person(**K6)
    pays = payments_for(
        line, [m for m in month_range("2025-01", "2025-12") if m not in ("2025-07", "2025-08")], 750000.0
    )
    # October's own 750,000 plus 1,500,000 arrears for July and August named in the note.
    pays[[p["month"] for p in pays].index("2025-10")].update(
        arrears_amount=1_500_000.0, note="truy lĩnh T7-T8/2025"
    )
    ctx = _ctx([line], pays)
    assert find_wrong_amounts(ctx).empty
    assert find_unpaid_months(ctx).empty


def test_lump_across_a_level_change_split_by_level_is_correct() -> None:
    # 06/2024 at 360,000 × 1.5 and 07-08/2024 at 500,000 × 1.5, paid late in one lump.
    line = person(**K6)
    months = [m for m in month_range("2024-01", "2024-12") if m not in ("2024-06", "2024-07", "2024-08")]
    pays = payments_for(line, [m for m in months if m < "2024-07"], 540000.0)
    pays += payments_for(line, [m for m in months if m >= "2024-07"], 750000.0)
    pays += payments_for(
        line, ["2024-09"], 540000.0 + 2 * 750000.0, arrears_from="2024-06", arrears_to="2024-08"
    )
    # The September row carries the lump only: September's own payment is another row.
    ctx = _ctx([line], pays, as_of="2024-12-31", period_from="2024-01")
    assert find_wrong_amounts(ctx).empty
    assert find_unpaid_months(ctx).empty


@pytest.mark.parametrize(
    ("double_paid", "expected"),
    [
        (True, []),  # May paid twice, then recovered: nothing left to report
        (False, [-750000.0]),  # money recovered for a month paid once: the person is owed it
    ],
)
def test_recovered_money_is_negative_money_for_its_months(double_paid: bool, expected: list[float]) -> None:
    line = person(**K6)
    pays = payments_for(line, month_range("2025-01", "2025-12"), 750000.0)
    if double_paid:
        pays += payments_for(line, ["2025-05"], 750000.0)
    pays += payments_for(line, ["2025-07"], 0.0, recovered_amount=750000.0, note="truy thu T5/2025")
    raw = find_wrong_amounts(_ctx([line], pays))
    assert raw["amount_vnd"].tolist() == expected


def test_lump_after_death_counts_only_its_months_after_death() -> None:
    line = person(**K6)
    death = {
        "national_id": line["national_id"],
        "full_name": line["full_name"],
        "birth_date": "1970-03-03",
        "death_date": "2025-08-15",
    }
    pays = payments_for(line, month_range("2025-01", "2025-07"), 750000.0)
    # A catch-up for 08-10 paid in 10 after the death in 08: 09 and 10 are after the death month.
    pays += payments_for(line, ["2025-10"], 2_250_000.0, arrears_from="2025-08", arrears_to="2025-10")
    raw = find_deceased_active(_ctx([line], pays, deaths=[death]))
    assert raw["amount_vnd"].tolist() == [1_500_000.0]


def test_lump_after_end_month_is_paid_after_end() -> None:
    line = person(**K6, end_month="2025-09", status="ended")
    pays = payments_for(line, month_range("2025-01", "2025-08"), 750000.0)
    pays += payments_for(line, ["2025-08"], 1_500_000.0, arrears_months=2, arrears_amount=None)
    raw = find_paid_after_end(_ctx([line], pays))
    assert raw.empty  # 07-08 are before the end month: a catch-up of payable months

    pays2 = payments_for(line, month_range("2025-01", "2025-08"), 750000.0)
    pays2 += payments_for(line, ["2025-11"], 1_500_000.0, arrears_from="2025-09", arrears_to="2025-10")
    raw2 = find_paid_after_end(_ctx([line], pays2))
    assert raw2["amount_vnd"].tolist() == [1_500_000.0]


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8-sig")


def test_loader_reads_catch_up_columns_and_a_lump_without_months_is_unreadable(tmp_path: Path) -> None:
    line = person(**K6)
    nid = line["national_id"]
    _write(
        tmp_path,
        "beneficiaries.csv",
        "national_id,full_name,birth_date,category,disability_level,coefficient,start_month\n"
        f'{nid},{line["full_name"]},03/03/1970,K6,nặng,"1,5",01/2020\n',
    )
    skip = ("2025-08", "2025-09", "2025-10", "2025-11")
    rows = [f"{nid},{m[5:]}/{m[:4]},750000,,,,," for m in month_range("2025-01", "2025-12") if m not in skip]
    rows.append(f"{nid},10/2025,750000,,,1500000,,truy lĩnh T8-T9/2025")  # October + arrears in the note
    rows.append(f"{nid},11/2025,750000,,,500000,,")  # an arrears amount with no months anywhere
    _write(
        tmp_path,
        "payments.csv",
        "national_id,Tháng,Số tiền,Truy lĩnh từ tháng,Truy lĩnh đến tháng,Số tiền truy lĩnh,Truy thu,Ghi chú\n"
        + "\n".join(rows)
        + "\n",
    )
    data = load_ward(tmp_path)
    assert {"arrears_amount", "note", "extra_from"} <= set(data.tables["payments"].columns)
    bad = data.unreadable
    assert bad["table"].tolist() == ["payments"]
    assert "catch-up" in bad["reason"].iloc[0]
    ctx = context(ward(beneficiaries=[line]), as_of="2025-12-31", period_from="2025-01")
    ctx.ward.tables["payments"] = data.tables["payments"]  # type: ignore[attr-defined]
    raw, _ = run_checks(ctx, only={"WRONG_AMOUNT", "UNPAID_MONTHS"})
    # November's row is unreadable (dropped from payments): only November is unpaid.
    assert raw["check_id"].tolist() == ["UNPAID_MONTHS"]
    assert "11/2025" in raw["detail"].iloc[0]


_ROW = st.tuples(
    st.integers(0, 11),  # month of the row (2025-01 + n)
    st.sampled_from([0.0, 500000.0, 750000.0, 1_234_567.0]),  # its own amount
    st.integers(1, 4),  # months the own amount covers (1 = its month only)
    st.sampled_from([None, 600000.0]),  # a separate arrears amount (for the 2 months before)
    st.sampled_from([None, 250000.0]),  # recovered money (for the month before)
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_ROW, min_size=1, max_size=8))
def test_allocation_keeps_every_dong_and_each_share_inside_its_months(rows: list[tuple]) -> None:
    # Property: however rows cover months, the allocated money adds up to the rows' money (arrears
    # added, recovered money subtracted), every share lands in a month the row covers, and every
    # allocated row names its source row.
    line = person(**K6)
    pays = []
    for mo, amount, span, extra, recovered in rows:
        month = month_range("2025-01", "2025-12")[mo]
        rec: dict = {}
        if span > 1:
            rec["arrears_months"] = span
        if extra is not None:
            rec.update(arrears_amount=extra, arrears_months=2)
        if recovered is not None:
            prev = pd.Period(month, "M") - 1
            rec.update(recovered_amount=recovered, note=f"truy thu T{prev.month}/{prev.year}")
        pays += payments_for(line, [month], amount, **rec)
    ctx = _ctx([line], pays, period_from="2024-01")
    linked = ctx.payments_linked
    expected = sum(a + (x or 0.0) - (r or 0.0) for _, a, _, x, r in rows)
    # Shares of a split amount are floats (500,000 over 3 months): equal to a millionth of a đồng.
    assert linked["amount"].sum() == pytest.approx(expected, abs=1e-6)
    src = linked["_row"].to_numpy() - 2
    for i, row in zip(src, linked.itertuples(), strict=True):
        mo, _, span, extra, recovered = rows[i]
        paid = month_num(2025, mo + 1)
        assert row.paid_m == paid
        assert (
            paid - max(span, 2 if extra is not None else 1, 1 if recovered is not None else 0)
            <= row.m
            <= paid
        )


def test_each_payment_is_given_its_lines_person_else_the_one_person_behind_its_id_or_record() -> None:
    linked = person(full_name="Lê Văn Bình", record_id="R1", **K6)
    # The same ID and category on two lines (a data error): no line is chosen, the person is known.
    twice = person(full_name="Trần Thị Cúc", record_id="R2", **K6)
    again = dict(twice, record_id="R3", start_month="2024-01")
    # One person's two lines under one record number (no ID on the payment): the person is known.
    by_record = person(full_name="Phạm Văn Dũng", record_id="R4", **K6)
    by_record_too = dict(by_record, start_month="2024-01")
    month = {"month": "2025-03", "amount": 1_500_000.0, "category": "K6"}
    pays = [
        {"national_id": linked["national_id"], "full_name": linked["full_name"], **month},
        {"national_id": twice["national_id"], "full_name": twice["full_name"], **month},
        {"national_id": None, "record_id": "R4", "full_name": by_record["full_name"], **month},
        {"national_id": "001099000001", "full_name": "Người Lạ", **month},  # nobody's
    ]
    ctx: Any = _ctx([linked, twice, again, by_record, by_record_too], pays)
    p = ctx.payments_linked.sort_values("pay_idx")
    keys = ctx.lines.set_index("national_id")["person_key"]
    assert p["line_idx"].isna().tolist() == [False, True, True, True]
    got = p["person_key"].tolist()
    assert got[0] == keys[linked["national_id"]] and got[1] == keys[twice["national_id"]].iloc[0]
    assert got[2] == keys[by_record["national_id"]].iloc[0]
    assert got[3] == ctx.table("payments")["person_key"].iloc[3]  # the payment's own key
