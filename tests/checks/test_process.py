"""LATE_DECISION and REPORT_MISMATCH on tiny inline wards (docs/check-semantics.md)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from audit_toolkit.checks import run_checks
from audit_toolkit.checks.process import find_late_decisions, find_report_mismatches
from audit_toolkit.findings import RAW_COLUMNS
from tests.factories import context, person, ward


def _late(app: str, dec: str, *, lang: str = "vi", **fields: Any) -> pd.DataFrame:
    line = person(
        full_name="Nguyễn Thị Hoa", sex="F", category="K5c", application_date=app, decision_date=dec, **fields
    )
    return find_late_decisions(context(ward(beneficiaries=[line]), as_of="2025-12-31", lang=lang))


# ---------------------------------------------------------------------------------- LATE_DECISION
@pytest.mark.parametrize(
    ("app", "dec", "late"),
    [
        # Friday 13/01/2023, a week before Tết (20-26/01/2023 off): 21/02 is the 22nd working day: on time.
        ("2023-01-13", "2023-02-21", False),
        # ... and 22/02 the 23rd: one day late (counting calendar weekdays naively would already flag 21/02).
        ("2023-01-13", "2023-02-22", True),
        # Applications from 01/07/2025: 10 working days. 15/07/2025 is the 10th working day: on time.
        ("2025-07-01", "2025-07-15", False),
        # 16/07/2025 is the 11th: late.
        ("2025-07-01", "2025-07-16", True),
        # Application on 30/06/2025 still has 22 working days: a decision on 16/07/2025 (12 days) is on time.
        ("2025-06-30", "2025-07-16", False),
        # Decision on the application day: 0 working days, not late.
        ("2024-03-04", "2024-03-04", False),
        # Decision dated before the application (data error): not "late".
        ("2024-03-04", "2024-02-01", False),
    ],
)
def test_late_decision_counts_vietnamese_working_days(app: str, dec: str, late: bool) -> None:
    out = _late(app, dec)
    assert len(out) == (1 if late else 0)
    if late:
        row = out.iloc[0]
        assert row["amount_vnd"] == 0.0
        assert row["sources"] == ["beneficiaries:2"]
        assert row["discriminator"] == "K5c"


def test_late_decision_detail_in_both_languages() -> None:
    vi = _late("2023-01-13", "2023-02-22").iloc[0]["detail"]
    assert vi == (
        "Bà Nguyễn Thị Hoa (diện K5c): hồ sơ nộp ngày 13/01/2023, quyết định ngày 22/02/2023, "
        "sau 23 ngày làm việc, quá thời hạn 22 ngày làm việc 1 ngày."
    )
    en = _late("2025-07-01", "2025-07-16", lang="en").iloc[0]["detail"]
    assert en == (
        "Ms Nguyễn Thị Hoa (category K5c): applied on 01/07/2025, decided on 16/07/2025, "
        "11 working days later: 1 working day(s) over the limit of 10."
    )


def test_late_decision_needs_both_dates_and_keeps_one_finding_per_person_and_category() -> None:
    a = person(
        full_name="Lê Văn Một",
        category="K6",
        disability_level="severe",
        application_date="2023-01-13",
        decision_date="2023-03-31",
    )
    b = dict(a, national_id=a["national_id"], decision_date="2023-04-28")  # same person, same category, twice
    c = person(
        full_name="Lê Văn Hai", category="K6", disability_level="severe", application_date="2023-01-13"
    )
    d = person(full_name="Lê Văn Ba", category="K6", disability_level="severe", decision_date="2023-06-30")
    out = find_late_decisions(context(ward(beneficiaries=[a, b, c, d])))
    assert len(out) == 1
    row = out.iloc[0]
    assert row["sources"] == ["beneficiaries:2", "beneficiaries:3"]
    assert "28/04/2023" in row["detail"]  # the later decision is the one quoted
    assert list(out.columns[: len(RAW_COLUMNS)]) == RAW_COLUMNS


def test_late_decision_not_run_without_the_dates() -> None:
    ctx = context(ward(beneficiaries=[person()]))
    _, statuses = run_checks(ctx, only={"LATE_DECISION"})
    status = next(s for s in statuses if s.check_id == "LATE_DECISION")
    assert status.status == "not_run" and status.reason.startswith("missing_column")


# ---------------------------------------------------------------------------------- REPORT_MISMATCH
def _roster() -> list[dict[str, Any]]:
    """Two K5c people, one K6 person who also holds a K4 line, one ended K5c line (not counted)."""
    k5c_a = person(full_name="Phạm Văn A", birth_date="1935-01-01", category="K5c")
    k5c_b = person(full_name="Phạm Văn B", birth_date="1936-01-01", category="K5c")
    k6 = person(
        full_name="Đỗ Thị C", sex="F", birth_date="1980-01-01", category="K6", disability_level="severe"
    )
    k4 = dict(k6, category="K4", disability_level=None, coefficient=1.0)
    ended = person(
        full_name="Phạm Văn D", birth_date="1930-01-01", category="K5c", status="ended", end_month="2022-06"
    )
    return [k5c_a, k5c_b, k6, k4, ended]


def _report(rows: list[tuple[str, int]], *, lang: str = "vi", **extra: Any) -> pd.DataFrame:
    report = [{"category": c, "reported_count": n, **extra} for c, n in rows]
    return find_report_mismatches(context(ward(beneficiaries=_roster(), report=report), lang=lang))


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # Adds up: 2 K5c, 1 K6, 1 K4 and 3 distinct people; the sum 4 != total 3 is the K4+K6 parent.
        ([("K5c", 2), ("K6", 1), ("K4", 1), ("TOTAL", 3)], {"report:TOTAL"}),
        # Without the stacked K4 row the report adds up and matches the roster: no finding.
        ([("K5c", 2), ("K6", 1), ("TOTAL", 3)], set()),
        # The ended line was counted: K5c 3 != 2 and the total 4 != 3 people; the rows add up (3+1 = 4).
        ([("K5c", 3), ("K6", 1), ("TOTAL", 4)], {"report:K5c", "report:TOTAL"}),
        # Category rows right, total wrong both ways: 2+1 = 3 != 5 and 5 != 3 people: one finding for the row.
        ([("K5c", 2), ("K6", 1), ("TOTAL", 5)], {"report:TOTAL"}),
        # A category the roster does not hold at all.
        ([("K8", 1)], {"report:K8"}),
        # No total row: only the category rows are compared.
        ([("K5c", 2), ("K6", 1)], set()),
    ],
)
def test_report_rows_against_the_roster(rows: list[tuple[str, int]], expected: set[str]) -> None:
    out = _report(rows)
    assert set(out["person_key"]) == expected
    assert out["person_key"].is_unique
    assert (out["amount_vnd"] == 0.0).all()


def test_report_that_does_not_add_up_names_both_figures() -> None:
    # The sample ward's shape: rows 94 + 26 + 2 + 3 + 26 = 151 against a total of 149.
    rows = [("K5c", 94), ("K6", 26), ("K1", 2), ("K5a", 3), ("C2", 26), ("TOTAL", 149)]
    out = _report(rows)
    total = out.loc[out["person_key"] == "report:TOTAL"].iloc[0]
    assert "94 + 26 + 2 + 3 + 26 = 151" in total["detail"] and "149" in total["detail"]
    assert total["sources"] == ["report:7"]
    k5c = out.loc[out["person_key"] == "report:K5c"].iloc[0]
    assert k5c["detail"] == (
        "Báo cáo ghi 94 đối tượng diện K5c, nhưng danh sách có 2 người đang hưởng diện K5c tại ngày 28/02/2023."
    )
    assert k5c["sources"] == ["report:2"]
    en = _report(rows, lang="en")
    en_total = en.loc[en["person_key"] == "report:TOTAL"].iloc[0]["detail"]
    assert "The report gives a total of 149 beneficiaries, but the list has 3 people" in en_total
    assert "The category rows add up to 94 + 26 + 2 + 3 + 26 = 151, not the total row's 149." in en_total


def test_report_overlap_hint_when_people_hold_two_categories() -> None:
    out = _report([("K5c", 2), ("K6", 1), ("K4", 1), ("TOTAL", 3)])
    detail = out.iloc[0]["detail"]
    assert (
        "2 + 1 + 1 = 4" in detail and "Chênh lệch 1 bằng số người đang hưởng đồng thời ở hai diện" in detail
    )


def test_report_rows_of_one_category_are_added_up() -> None:
    # K6 reported on two rows (especially severe / severe): 1 + 0 = 1 person, one source each.
    out = _report([("K6", 1), ("K6", 0), ("K5c", 2), ("TOTAL", 3)])
    assert out.empty
    out = _report([("K6", 1), ("K6", 1), ("K5c", 2), ("TOTAL", 3)])
    k6 = out.loc[out["person_key"] == "report:K6"].iloc[0]
    assert k6["sources"] == ["report:2", "report:3"] and "ghi 2 đối tượng diện K6" in k6["detail"]


def test_report_judged_at_its_own_date() -> None:
    # Reported as of 31/05/2022, when the ended K5c line (ends 06/2022) was still active: 3 K5c people.
    rows = [("K5c", 3), ("K6", 1), ("TOTAL", 4)]
    assert _report(rows, as_of="2022-05-31").empty
    out = _report(rows, as_of="2022-06-30")
    assert set(out["person_key"]) == {"report:K5c", "report:TOTAL"}
    assert "30/06/2022" in out.iloc[0]["detail"]
