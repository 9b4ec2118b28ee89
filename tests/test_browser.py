"""The shared pages in a real headless browser: no console error, no request, tables that filter and sort.

Needs the Debian package ``chromium`` (``make test`` installs it when run as root). Screenshots go to
``tmp_path`` and, when ``AUDIT_SCREENSHOT_DIR`` is set, there too (for people to look at).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audit_toolkit.report import write_batch_summary, write_reports
from tests.report.helpers import make_batch

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("install Debian package chromium; make test does it when run as root")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two ward reports and the batch summary, written as the CLI writes them."""
    out = tmp_path_factory.mktemp("reports")
    batch, _ = make_batch()
    folders = {r.ward.ward_id: write_reports(r, out).name for r in batch.results}
    write_batch_summary(batch, out, folders)
    return out


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, requests


def _screenshot(page: Any, tmp_path: Path, name: str) -> None:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    target = os.environ.get("AUDIT_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / name)


def _visible_rows(page: Any, table_id: str) -> int:
    return int(page.locator(f"#{table_id} tbody tr:visible").count())


def test_ward_report_in_a_browser(browser: Any, site: Path, tmp_path: Path) -> None:
    report = site / "01843-phuong-phung-chi-kien" / "report.html"
    page, errors, requests = _open(browser, report)
    assert errors == []
    _reads_well(page)  # not-run reasons in words, no NA marks
    assert requests == [report.as_uri()]  # the file itself and nothing else
    # The hostile name is text on the page, not a script that ran.
    assert page.locator("td.name", has_text="<script>alert(1)</script>").count() >= 1
    # Findings tables render, and their filter boxes appear once the script ran.
    assert page.locator("table.findings").count() == 3
    assert page.locator("#check-deceased-active .tools").is_visible()
    assert page.locator("svg.chart-svg").count() == 5
    # Filtering the sample by a name without diacritics keeps only that person.
    assert _visible_rows(page, "tbl-sample") == 9
    page.fill('.tools[data-table="tbl-sample"] input', "nguyen van an")
    assert _visible_rows(page, "tbl-sample") == 1
    assert (
        page.locator('.tools[data-table="tbl-sample"] [data-counter]').inner_text()
        == "Đang hiển thị 1/9 dòng"
    )
    page.fill('.tools[data-table="tbl-sample"] input', "không có ai tên này")
    assert _visible_rows(page, "tbl-sample") == 0
    page.fill('.tools[data-table="tbl-sample"] input', "")
    assert _visible_rows(page, "tbl-sample") == 9
    # Sorting by name puts "<script>…" (starts with "<") first, then again descending.
    header = page.locator("#tbl-sample thead th").nth(2)
    header.click()
    assert (
        page.locator("#tbl-sample tbody tr").first.locator("td").nth(2).inner_text()
        == "<script>alert(1)</script>"
    )
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    page.fill('.tools[data-table="tbl-sample"] input', "")
    _screenshot(page, tmp_path, "report.png")
    page.close()


def test_report_reads_with_scripts_off(browser: Any, site: Path) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto((site / "01843-phuong-phung-chi-kien" / "report.html").as_uri())
    assert _visible_rows(page, "tbl-sample") == 9
    assert page.locator(".js-hint").first.is_visible()  # says that filtering needs JavaScript
    assert not page.locator(".tools").first.is_visible()  # no dead filter box
    context.close()


def test_summary_page_in_a_browser(browser: Any, site: Path, tmp_path: Path) -> None:
    summary = site / "summary" / "index.html"
    page, errors, requests = _open(browser, summary)
    assert errors == []
    assert requests == [summary.as_uri()]
    assert _visible_rows(page, "tbl-wards") == 2
    assert _visible_rows(page, "tbl-cross-ward") == 1
    _screenshot(page, tmp_path, "summary.png")
    page.fill('.tools[data-table="tbl-cross-ward"] input', "01843")
    assert _visible_rows(page, "tbl-cross-ward") == 1
    page.fill('.tools[data-table="tbl-cross-ward"] input', "khong co")
    assert _visible_rows(page, "tbl-cross-ward") == 0
    # The link to a ward opens its report.
    page.locator("a.ward-link").first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/01843-phuong-phung-chi-kien/report.html")
    page.close()


# -- What a person reads: the notebook exports and the summary of the sample batch ------------------

ROOT = Path(__file__).resolve().parents[1]
#: Printable width in CSS pixels: A4 landscape with the reports' 12 mm margins (report.css @page), and
#: A4 portrait with the browser's default margins (the notebook export sets no @page).
A4_LANDSCAPE = 1031
A4_PORTRAIT = 717
_RAW_CODES = [
    "batch_only",
    "missing_table",
    "missing_column",
    "not_implemented",
    "not_selected",
    "fewer_than_two",
]


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The ward notebook (Vietnamese), the city notebook (English) and the summary page it wrote."""
    from audit_toolkit.notebooks import run_notebook

    out = tmp_path_factory.mktemp("exports")
    common = {"as_of": "2023-02-28", "period_from": "2022-01", "mask": True}
    _, ward_html = run_notebook(
        "ward",
        {
            "ward_path": str(ROOT / "data" / "sample" / "phung-chi-kien"),
            "lang": "vi",
            "out_dir": str(out / "w"),
        }
        | common,
        out / "w",
    )
    _, city_html = run_notebook(
        "city",
        {"batch_path": str(ROOT / "data" / "sample"), "lang": "en", "out_dir": str(out / "c")} | common,
        out / "c",
    )
    return {"ward": ward_html, "city": city_html, "summary": out / "c" / "summary" / "index.html"}


def _overflow(page: Any) -> int:
    """How far the page is wider than the window (0: no horizontal scrolling of the page)."""
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def _reads_well(page: Any) -> None:
    text = page.locator("body").inner_text()
    assert "<NA>" not in text and "NaN" not in text and "None" not in text
    assert not [code for code in _RAW_CODES if code in text]
    assert "PosixPath" not in text and "rows ×" not in text


@pytest.mark.notebook
@pytest.mark.parametrize(
    ("name", "print_width"), [("ward", A4_PORTRAIT), ("city", A4_PORTRAIT), ("summary", A4_LANDSCAPE)]
)
def test_exports_read_well_in_a_browser(
    browser: Any, exports: dict[str, Path], tmp_path: Path, name: str, print_width: int
) -> None:
    path = exports[name]
    page, errors, requests = _open(browser, path)
    assert errors == []
    assert requests == [path.as_uri()]  # the file itself and nothing else
    _reads_well(page)
    assert _overflow(page) <= 0  # wide tables scroll inside their own frame
    # No table cell is squeezed to a letter per line (a name broken into syllables).
    narrow = page.evaluate(
        "[...document.querySelectorAll('td')].filter(td => td.innerText.trim().length > 3"
        " && td.getBoundingClientRect().width < 24).length"
    )
    assert narrow == 0
    _screenshot(page, tmp_path, f"export-{name}.png")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": print_width, "height": 1100})
    assert _overflow(page) <= 0  # fits the printed page
    # ...and nothing is cut off at its right edge (paper cannot scroll a frame).
    cut = page.evaluate(
        "[...document.querySelectorAll('td, th, h1, h2, p, svg')]"
        ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).length"
    )
    assert cut == 0
    _screenshot(page, tmp_path, f"export-{name}-print.png")
    page.close()


@pytest.mark.notebook
def test_notebook_export_speaks_one_language(browser: Any, exports: dict[str, Path]) -> None:
    page, _, _ = _open(browser, exports["city"])
    headings = page.locator("h1, h2").all_inner_texts()
    assert headings and not [
        h for h in headings if re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", h.lower())
    ]
    page.close()
    page, _, _ = _open(browser, exports["ward"])
    assert "Key figures" not in page.locator("body").inner_text()
    page.close()


@pytest.mark.notebook
def test_summary_names_the_batch(browser: Any, exports: dict[str, Path]) -> None:
    page, _, _ = _open(browser, exports["summary"])
    assert "Thành phố Bắc Kạn (cũ)" in page.locator("h1").inner_text()
    # The checks table has one narrow column per check and stays inside the page.
    box = page.locator("#tbl-by-check").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1280
    page.close()
