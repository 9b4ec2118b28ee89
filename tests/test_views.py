"""Notebook views: tables a person reads — no index column, no NA marks, no raw codes, one language."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd
import pytest

from audit_toolkit import views
from audit_toolkit.checks import CheckStatus
from audit_toolkit.checks.status import NotRunReason, ReasonCode
from audit_toolkit.compare import Comparison
from audit_toolkit.messages import catalogue as messages
from tests.report.helpers import HOSTILE, HOSTILE_ID, finding, make_batch, make_result

#: What a reader must never see in a rendered table.
_NA_MARKS = re.compile(r">\s*(?:<NA>|&lt;NA&gt;|nan|NaN|None|NaT)\s*<")
_RAW_REASONS = [c.value for c in ReasonCode] + ["missing_table:", "missing_column:"]


def _findings() -> list[dict[str, object]]:
    return [
        finding(
            "DECEASED_ACTIVE",
            "high",
            national_id=HOSTILE_ID,
            full_name=HOSTILE,
            detail=f"{HOSTILE_ID} mất ngày 14/08/2022.",
            amount_vnd=2160000,
            person_key="id:" + HOSTILE_ID,
            source="beneficiaries:2;deaths:6;payments:12",
        ),
        finding(
            "WRONG_AMOUNT", "medium", full_name="Trần Thị Bình", amount_vnd=-660000, person_key="nb:x|1938"
        ),
    ]


def _assert_readable(table: views.Table, lang: str) -> str:
    html = table._repr_html_()
    assert _NA_MARKS.search(html) is None, html
    assert "<th></th>" not in html  # no unnamed index column
    assert table.frame.index.equals(pd.RangeIndex(len(table.frame)))
    for code in _RAW_REASONS:
        assert code not in html, code
    # Every heading is a message of the reader's language.
    texts = set(messages(lang).values())
    assert all(str(c) in texts for c in table.frame.columns), list(table.frame.columns)
    return html


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_ward_views_are_readable(lang: str) -> None:
    result = make_result(lang=lang, findings=_findings())
    for table in (
        views.key_figures(result),
        views.findings_by_check(result),
        views.findings_table(result),
        views.name_matching(result),
    ):
        _assert_readable(table, lang)


def test_not_run_checks_say_why_in_words() -> None:
    table = views.findings_by_check(make_result(lang="en", findings=_findings())).frame
    status = dict(zip(table["Check code"], table["Status"], strict=True))
    assert status["CROSS_WARD_DUPLICATE"] == (
        "Not run: Run only when several wards are audited together (see the summary page)"
    )
    assert status["MISSED_ELDERLY"] == "Not run: The table “Residents” was not supplied"
    assert status["DECEASED_ACTIVE"] == "Run"
    # A check not run has no count and no amount: empty cells, not "<NA>" or "0".
    row = table.loc[table["Check code"] == "MISSED_ELDERLY"].iloc[0]
    assert (row["Findings"], row["Money at stake"]) == ("", "")


def test_findings_table_is_masked_translated_and_formatted() -> None:
    table = views.findings_table(make_result(lang="vi", findings=_findings()))
    html = _assert_readable(table, "vi")
    frame = table.frame
    assert HOSTILE_ID not in html  # masked in the ID column and inside sentences
    assert "&lt;script&gt;" in html and "<script>" not in html  # names are text
    assert frame["Mức độ"].tolist() == ["Cao", "Trung bình"]
    assert frame["Số tiền (đồng)"].tolist() == ["2.160.000 đ", "-660.000 đ"]
    assert frame["Dòng dữ liệu"].iloc[0] == "beneficiaries: 2 · deaths: 6 · payments: 12"
    assert (
        views.findings_table(make_result(lang="vi", findings=_findings()), mask=False)
        .frame["Số định danh"]
        .iloc[0]
        == HOSTILE_ID
    )


def test_name_matching_view_says_how_people_were_matched() -> None:
    # One (hand-made) finding keyed on name: the ward's sentence above, the check listed below it.
    table = views.name_matching(make_result(lang="en", findings=_findings()))
    html = table._repr_html_()
    assert (
        html.startswith("<p>Every line of the beneficiary list has a valid national ID") and "<table" in html
    )
    assert table.frame["Check code"].tolist() == ["WRONG_AMOUNT"]
    assert table.frame["Findings matched on name"].tolist() == ["1"]
    # No finding on names and every line with an ID: the sentence alone.
    alone = views.name_matching(make_result(lang="en", findings=_findings()[:1]))
    assert len(alone) == 0 and alone._repr_html_().startswith("<p>") and "<table" not in alone._repr_html_()


def test_an_empty_table_reads_as_a_sentence() -> None:
    table = views.findings_table(make_result(lang="en", findings=[]))
    assert len(table) == 0
    assert table._repr_html_() == "<p>No findings</p>"
    assert repr(table) == "No findings"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_batch_views_are_readable(lang: str) -> None:
    batch, _ = make_batch(lang=lang)
    overview = views.batch_overview(batch)
    _assert_readable(overview, lang)
    # The unusable ward is listed with its error; its numbers are empty, not NaN.
    assert overview.frame.iloc[-1].tolist()[-1].startswith("Thiếu cột")
    assert "" in overview.frame.iloc[-1].tolist()
    _assert_readable(views.cross_ward_table(batch), lang)


def test_cross_ward_table_says_none_or_why_not_run() -> None:
    batch, _ = make_batch(lang="en", cross=False)
    assert views.cross_ward_table(batch)._repr_html_() == "<p>Nobody was found on the lists of two wards.</p>"
    alone = dataclasses.replace(
        batch,
        cross_ward_status=CheckStatus(
            "CROSS_WARD_DUPLICATE", "not_run", NotRunReason(ReasonCode.FEWER_THAN_TWO_WARDS)
        ),
    )
    assert (
        views.cross_ward_table(alone)._repr_html_() == "<p>Not run: Needs at least two wards to compare</p>"
    )


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_follow_up_views_are_readable(lang: str) -> None:
    rows = pd.DataFrame(
        {
            "finding_id": ["F1", "F2"],
            "ward": ["01843", "01843"],
            "status": ["new", "resolved"],
            "check_id": ["DECEASED_ACTIVE", "WRONG_AMOUNT"],
            "national_id": [HOSTILE_ID, None],
            "full_name": ["Nguyễn Văn An", "Trần Thị Bình"],
            "amount_then": [0, 660000],
            "amount_now": [2160000, 0],
            "detail": ["…", None],
        }
    )
    by_ward = pd.DataFrame(
        {"ward": ["01843"], "status": ["new"], "findings": [1], "amount_then": [0], "amount_now": [2160000]}
    )
    comparison = Comparison(Path("a"), Path("b"), rows, by_ward)
    table = views.follow_up_table(comparison, lang=lang)
    html = _assert_readable(table, lang)
    assert HOSTILE_ID not in html
    assert "new" not in table.frame.iloc[:, 2].tolist()  # statuses in words
    _assert_readable(views.follow_up_wards(comparison, lang=lang), lang)
