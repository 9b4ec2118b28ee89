"""The shared pages in a real headless browser: no console error, no request, tables that filter and sort.

Needs the Debian package ``chromium`` (``make test`` installs it when run as root). Screenshots go to
``tmp_path`` and, when ``AUDIT_SCREENSHOT_DIR`` is set, there too (for people to look at).
"""

from __future__ import annotations

import os
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
