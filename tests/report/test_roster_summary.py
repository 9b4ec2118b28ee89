"""The roster summary (audit_toolkit/roster.py): what the report, views and sample read of the roster."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from audit_toolkit.roster import LINE_COLUMNS, RosterSummary, roster_summary
from tests.report.helpers import make_result


def test_one_row_per_roster_line_in_roster_order_with_the_documented_columns():
    result = make_result()
    summary = roster_summary(result)
    assert tuple(summary.lines.columns) == LINE_COLUMNS
    assert summary.lines["full_name"].tolist() == result.context.lines["full_name"].tolist()
    # the ward as findings write it, on every line
    assert set(summary.lines["ward"]) == {result.ward_label}
    assert summary.lines["active_asof"].dtype == bool


def test_active_people_and_categories():
    summary = roster_summary(make_result())
    # ten lines, one ended in 06/2021 (before the period): nine people active at 28/02/2023
    assert len(summary.lines) == 10 and summary.people_active == 9
    assert "Ngô Văn Minh" not in set(summary.active["full_name"])
    assert summary.active_by_category.to_dict() == {"K1": 2, "K4": 1, "K5c": 4, "K6": 2}


@pytest.mark.parametrize(
    ("keys", "without"),
    [
        # every line has a valid ID
        (["id:006080001234", "id:006080001235"], 0),
        # one matched on name + birth date, one with no key at all: both lack an ID
        (["id:006080001234", "nb:nguyen van an|1935-03-01", None], 2),
    ],
)
def test_lines_without_id_are_those_not_keyed_on_an_id(keys, without):
    lines = pd.DataFrame({"person_key": pd.Series(keys, dtype="str"), "active_asof": True})
    summary = RosterSummary(lines=lines, paid_by_month=None, period_start=0, period_end=0)
    assert summary.lines_without_id == without


def test_every_line_of_the_report_helper_has_an_id():
    # the helper's roster: all IDs valid, so name matching is not shown
    assert roster_summary(make_result()).lines_without_id == 0


@pytest.mark.parametrize(
    ("with_payments", "total"),
    [
        # six people paid 540,000 each for the 14 months 01/2022 – 02/2023
        (True, 6 * 14 * 540_000.0),
        # no payments table: None, not zeros (the report says "no payments table")
        (False, None),
    ],
)
def test_paid_by_month_covers_the_period(with_payments, total):
    summary = roster_summary(make_result(with_payments=with_payments))
    if total is None:
        assert summary.paid_by_month is None
        return
    assert summary.paid_by_month is not None
    assert len(summary.paid_by_month) == summary.period_end - summary.period_start + 1 == 14
    assert float(summary.paid_by_month.sum()) == total


def test_built_once_per_audit_and_frozen():
    result = make_result()
    first = roster_summary(result)
    assert roster_summary(result) is first
    assert roster_summary(make_result()) is not first  # another audit, another summary
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.paid_by_month = pd.Series(dtype="float64")  # type: ignore[misc]
    assert isinstance(first, RosterSummary)
