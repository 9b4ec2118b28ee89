"""summary/index.html: wards side by side, relative links, errors, masked cross-ward table, self-contained."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit_toolkit.report import write_batch_summary
from audit_toolkit.report.summary import render_summary_html, ward_rows
from tests.report.helpers import HOSTILE, HOSTILE_ID, make_batch
from tests.report.test_html import parse


def test_links_to_each_ward_report_by_relative_path(tmp_path: Path) -> None:
    batch, folders = make_batch()
    folder = write_batch_summary(batch, tmp_path, folders)
    html = (folder / "index.html").read_text(encoding="utf-8")
    links = [a["href"] for tag, a in parse(html).tags if tag == "a" and "ward-link" in (a.get("class") or "")]
    assert links == ["../01843-phuong-phung-chi-kien/report.html", "../01840-phuong-duc-xuan/report.html"]
    # The link resolves from summary/ to the ward folder beside it.
    for link in links:
        assert (folder / link).resolve() == (tmp_path / link.split("/")[1] / "report.html").resolve()
    assert sorted(p.name for p in folder.iterdir()) == ["findings.csv", "index.html", "manifest.json"]


def test_a_ward_without_a_folder_is_listed_without_a_link() -> None:
    batch, folders = make_batch()
    rows = ward_rows(batch, {"01843": folders["01843"]})
    assert [r["href"] for r in rows] == ["../01843-phuong-phung-chi-kien/report.html", None]


def test_wards_side_by_side() -> None:
    batch, folders = make_batch()
    rows = ward_rows(batch, folders)
    assert [(r["code"], r["beneficiaries"], r["findings"], r["overpaid"], r["underpaid"]) for r in rows] == [
        ("01843", 9, 3, 4860000, 7560000),
        ("01840", 9, 0, 0, 0),
    ]
    html = render_summary_html(batch, folders)
    assert "Phường Đức Xuân" in html and "DECEASED ACTIVE" in html  # a column per check with findings


@pytest.mark.parametrize(
    ("mask", "shown", "hidden"),
    [
        (True, "006*****1234", HOSTILE_ID),  # shared page: masked, also inside the detail sentence
        (False, HOSTILE_ID, "006*****1234"),  # --no-mask
    ],
)
def test_cross_ward_table_masks_ids(mask: bool, shown: str, hidden: str) -> None:
    batch, folders = make_batch()
    html = render_summary_html(batch, folders, mask=mask)
    assert shown in html and hidden not in html
    assert "01843;01840" in html


def test_errors_and_names_are_escaped_and_nothing_is_fetched() -> None:
    batch, folders = make_batch()
    html = render_summary_html(batch, folders)
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert "Thiếu cột bắt buộc &lt;full_name&gt; trong Danh sách đối tượng" in html
    assert "http://" not in html and "https://" not in html
    for tag, attrs in parse(html).tags:
        assert "src" not in attrs, tag
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("#", "../")), href


@pytest.mark.parametrize(
    ("cross", "lang", "expected"),
    [
        (False, "vi", "Không phát hiện người hưởng trùng giữa các phường/xã."),  # ran, found nobody
        (False, "en", "Nobody was found on the lists of two wards."),
        (True, "en", "People paid in several wards"),
    ],
)
def test_cross_ward_section(cross: bool, lang: str, expected: str) -> None:
    batch, folders = make_batch(cross=cross, lang=lang)
    assert expected in render_summary_html(batch, folders)


def test_cross_ward_rows_name_the_wards_from_their_sources() -> None:
    batch, folders = make_batch()
    batch.cross_ward["ward"] = "*"  # the batch check writes "*" and names wards in the sources
    html = render_summary_html(batch, folders)
    assert "<td>01840, 01843</td>" in html
