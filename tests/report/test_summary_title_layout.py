"""The summary page's title (the batch's name) and a wards table that fits a page."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from audit_toolkit.errors import InputError
from audit_toolkit.report.summary import BATCH_FILE, batch_title, render_summary_html
from tests.report.helpers import make_batch
from tests.report.test_html import parse

ROOT = Path(__file__).resolve().parents[2]


def _batch_at(folder: Path, *, provinces: tuple[str | None, str | None] = ("Bắc Kạn", "Bắc Kạn")) -> object:
    batch, _ = make_batch()
    for result, province in zip(batch.results, provinces, strict=True):
        result.ward.province_name = province
    return dataclasses.replace(batch, path=folder)


@pytest.mark.parametrize(
    ("batch_yml", "provinces", "expected"),
    [
        (
            'name: "Thành phố Bắc Kạn (cũ)"\n',
            ("Bắc Kạn", "Bắc Kạn"),
            "Thành phố Bắc Kạn (cũ)",
        ),  # batch.yml wins
        ("name: '  Huyện Chợ Mới  '\n", ("Bắc Kạn", "Thái Nguyên"), "Huyện Chợ Mới"),  # trimmed
        (None, ("Bắc Kạn", "Bắc Kạn"), "Bắc Kạn"),  # no batch.yml: the province the wards share
        ("# only a comment\n", ("Bắc Kạn", "Bắc Kạn"), "Bắc Kạn"),  # empty batch.yml: same
        ('name: ""\n', ("Bắc Kạn", "Bắc Kạn"), "Bắc Kạn"),  # empty name: same
        (None, ("Bắc Kạn", "Thái Nguyên"), "dot-2023"),  # different provinces: the folder name
        (None, ("Bắc Kạn", None), "dot-2023"),  # a ward without province: the folder name
    ],
)
def test_batch_title(
    tmp_path: Path, batch_yml: str | None, provinces: tuple[str | None, str | None], expected: str
) -> None:
    folder = tmp_path / "dot-2023"
    folder.mkdir()
    if batch_yml is not None:
        (folder / BATCH_FILE).write_text(batch_yml, encoding="utf-8")
    assert batch_title(_batch_at(folder, provinces=provinces)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "batch_yml",
    [
        "name: [Bắc Kạn\n",  # not YAML
        "name: 2023\n",  # not text
    ],
)
def test_a_bad_batch_yml_is_an_input_error_naming_the_file(tmp_path: Path, batch_yml: str) -> None:
    (tmp_path / BATCH_FILE).write_text(batch_yml, encoding="utf-8")
    with pytest.raises(InputError) as err:
        batch_title(_batch_at(tmp_path))  # type: ignore[arg-type]
    assert BATCH_FILE in str(err.value) and err.value.fix


def test_the_sample_batch_has_its_name() -> None:
    assert batch_title(_batch_at(ROOT / "data" / "sample")) == "Thành phố Bắc Kạn (cũ)"  # type: ignore[arg-type]


def test_page_title_is_the_batch_name_not_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "sample"
    folder.mkdir()
    (folder / BATCH_FILE).write_text('name: "Thành phố Bắc Kạn (cũ)"\n', encoding="utf-8")
    batch = _batch_at(folder)
    html = render_summary_html(batch, {})  # type: ignore[arg-type]
    h1 = html.split("<h1>", 1)[1].split("</h1>", 1)[0]
    assert "Thành phố Bắc Kạn (cũ)" in h1 and "sample" not in h1


def test_wards_table_is_narrow_and_checks_have_their_own_table() -> None:
    batch, folders = make_batch()
    html = render_summary_html(batch, folders)
    wards = html.split('id="tbl-wards"', 1)[1].split("</table>", 1)[0]
    by_check = html.split('id="tbl-by-check"', 1)[1].split("</table>", 1)[0]
    # The wards table keeps the seven columns a page holds; one column per check lives below, with
    # vertical headings, one row per ward and the totals.
    assert len(re.findall(r"<th[ >]", wards.split("</tr>", 1)[0])) == 7
    assert by_check.count('class="num rot"') == len(
        {c for r in batch.results for c, n in r.counts_by_check.items() if n}
    )
    assert by_check.count("<tr data-ward=") == len(batch.results)
    # Both tables sit in a frame that scrolls on its own rather than widening the page.
    tags = parse(html).tags
    frames = [a for tag, a in tags if tag == "div" and "scroll" in (a.get("class") or "")]
    assert len(frames) >= 3
