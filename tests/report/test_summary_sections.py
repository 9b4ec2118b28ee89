"""Batch summary: POSSIBLE_DUPLICATE across wards in its own section (not under "paid in several
wards"), and neutral batch wording (a batch may be a province, not a city)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from audit_toolkit.findings import finalize
from audit_toolkit.messages import t
from audit_toolkit.report.summary import render_summary_html
from tests.report.helpers import make_batch

NEAR_NAME = "Trần Thị Mơ"


def _with_near(batch, lang: str):
    """``batch`` plus one cross-ward POSSIBLE_DUPLICATE finding (two wards' lines, one person?)."""
    raw = pd.DataFrame(
        [
            {
                "check_id": "POSSIBLE_DUPLICATE",
                "person_key": "name:tran thi mo|1941",
                "national_id": "",
                "full_name": NEAR_NAME,
                "sources": ["01843/beneficiaries:7", "01840/beneficiaries:9"],
                "detail": "Trần Thị Mơ (01843) và Trần Thị Mở (01840): có thể là một người.",
                "amount_vnd": 540000.0,
                "discriminator": "pair-1",
                "ward": "*",
            }
        ]
    )
    near = finalize(
        raw,
        ward="*",
        ward_id="batch",
        severities={"POSSIBLE_DUPLICATE": "medium"},
        legal_bases={"POSSIBLE_DUPLICATE": "NĐ 20/2021/NĐ-CP Điều 8 khoản 3 (near)"},
        check_order=["POSSIBLE_DUPLICATE"],
        lang=lang,
    )
    batch.cross_ward = pd.concat([batch.cross_ward, near], ignore_index=True)
    return batch


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section class="block" id="{section_id}">(.*?)</section>', html, re.S)
    assert match, section_id
    return match.group(1)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_cross_ward_possible_duplicates_have_their_own_section(lang: str) -> None:
    batch, folders = make_batch(lang=lang)
    html = render_summary_html(_with_near(batch, lang), folders, mask=False)
    cross, near = _section(html, "cross-ward"), _section(html, "cross-ward-near")
    # the near-duplicate is listed under its own title and explanation, with the wards it spans
    assert NEAR_NAME in near and NEAR_NAME not in cross
    assert t("report.check.POSSIBLE_DUPLICATE.title", lang) in near
    assert t("report.check.POSSIBLE_DUPLICATE.explain", lang) in near
    assert "01840, 01843" in near
    assert "(near)" in near and "(near)" not in cross  # each section cites its own check's basis
    # the same-person-paid-twice finding stays where it was
    assert t("report.check.CROSS_WARD_DUPLICATE.explain", lang) in cross
    assert "006" in cross and t("report.check.POSSIBLE_DUPLICATE.title", lang) not in cross


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("vi", "Không thấy dòng nào ở hai phường/xã"),  # ran, nothing near: said, not left blank
        ("en", "No lines of two wards look like one person"),
    ],
)
def test_no_cross_ward_possible_duplicate_says_so(lang: str, expected: str) -> None:
    batch, folders = make_batch(lang=lang)
    near = _section(render_summary_html(batch, folders), "cross-ward-near")
    assert expected in near and "<table" not in near


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_summary_wording_is_not_city_wide(lang: str) -> None:
    # A province batch is not a city: the CLI line and the page name the wards, not a city.
    said = t("cli.summary_written", lang, path="out/summary/index.html")
    assert "thành phố" not in said.lower() and "city" not in said.lower()
    assert ("phường/xã" if lang == "vi" else "wards") in said
    batch, folders = make_batch(lang=lang)
    batch.path = __import__("pathlib").Path("data/tinh-quang-ninh")  # a province-wide batch folder
    html = render_summary_html(batch, folders)
    assert "toàn thành phố" not in html.lower() and "city summary" not in html.lower()


def test_a_head_start_leaves_the_summary_page_unchanged() -> None:
    # The batch's main process calls prepare_summary while its workers audit: the figures it builds
    # are reused by the real charts, in this thread, and must give the same page as new ones.
    import threading

    from audit_toolkit.report.summary import prepare_summary

    batch, folders = make_batch(lang="vi")
    pages: dict[str, str] = {}

    def render(name: str, *, warm: bool) -> None:
        if warm:
            prepare_summary()
        pages[name] = render_summary_html(batch, folders, mask=True)

    for name, warm in (("cold", False), ("warm", True)):  # a new thread: no figure reused from before
        thread = threading.Thread(target=render, args=(name,), kwargs={"warm": warm})
        thread.start()
        thread.join()
    stamp = re.compile(r"\d\d:\d\d(:\d\d)?|\d{1,2}/\d{1,2}/\d{4}")  # the time the page was made
    assert "<svg" in pages["warm"]
    assert stamp.sub("", pages["warm"]) == stamp.sub("", pages["cold"])
