"""findings.xlsx written by a helper process (the CLI's GX helper) is the workbook written here.

``write_reports(helper=...)`` sends a small copy of the result (:func:`for_workbook`) to the
helper and draws the page meanwhile; any failure there leaves the workbook to this process.
"""

from __future__ import annotations

import pickle
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from audit_toolkit.audit import AuditResult, run_audit
from audit_toolkit.report import write_reports
from audit_toolkit.report.html import check_overview
from audit_toolkit.report.xlsx import for_workbook, write_xlsx, write_xlsx_elsewhere
from audit_toolkit.sampling import field_visit_sample

ROOT = Path(__file__).resolve().parents[2]
WARD = ROOT / "data" / "sample" / "xuat-hoa"


@pytest.fixture(scope="module")
def result() -> AuditResult:
    return run_audit(WARD, as_of="2023-02-28", period_from="2022-01", quality=False)


class InlineHelper:
    """Runs a call here, on a pickled copy of its arguments, as the helper process would."""

    def __init__(self, *, fail: bool = False, gone: bool = False) -> None:
        self.fail, self.gone = fail, gone
        self.calls: list[tuple[Any, int]] = []

    def call(self, fn: Any, /, *args: Any) -> Future[Any] | None:
        if self.gone:
            return None
        sent = pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)
        self.calls.append((fn, len(sent)))
        future: Future[Any] = Future()
        if self.fail:
            future.set_exception(OSError("the helper could not write"))
        else:
            future.set_result(fn(*pickle.loads(sent)))
        return future


def cells(path: Path) -> dict[str, list[list[tuple[Any, str]]]]:
    """Every sheet's cell values and number formats."""
    wb = openpyxl.load_workbook(path)
    return {
        ws.title: [[(c.value, c.number_format) for c in row] for row in ws.iter_rows()]
        for ws in wb.worksheets
    }


def test_the_helpers_workbook_is_the_one_written_here(result: AuditResult, tmp_path: Path) -> None:
    helper = InlineHelper()
    there = write_reports(result, tmp_path / "there", helper=helper)
    here = write_reports(result, tmp_path / "here")
    assert [fn for fn, _ in helper.calls] == [write_xlsx_elsewhere]
    assert helper.calls[0][1] < 1_000_000  # the ward's tables are not sent
    assert cells(there / "findings.xlsx") == cells(here / "findings.xlsx")
    assert len(cells(here / "findings.xlsx")) >= 3  # summary, check sheets, sample: compared for real


@pytest.mark.parametrize("helper", [InlineHelper(fail=True), InlineHelper(gone=True)], ids=["failed", "gone"])
def test_without_a_working_helper_the_workbook_is_written_here(
    result: AuditResult, tmp_path: Path, helper: InlineHelper
) -> None:
    folder = write_reports(result, tmp_path / "out", helper=helper)
    assert cells(folder / "findings.xlsx") == cells(
        write_reports(result, tmp_path / "here") / "findings.xlsx"
    )


def test_the_copy_for_the_workbook_leaves_the_tables_out_and_gives_the_same_workbook(
    result: AuditResult, tmp_path: Path
) -> None:
    slim = for_workbook(result)
    assert slim.ward.tables == {} and slim.context is None and slim.quality is None
    # What is sent is about the findings: the ward's tables (a province: hundreds of MB) stay here.
    assert len(pickle.dumps(slim)) < len(pickle.dumps(result.findings)) + 20_000
    assert result.ward.tables  # the audit's own result is untouched
    sample = field_visit_sample(result, result.findings)
    overview = check_overview(result)
    write_xlsx(result, tmp_path / "a.xlsx", sample=sample, overview=overview)
    write_xlsx_elsewhere(slim, str(tmp_path / "b.xlsx"), sample, 10, 0, overview)
    assert cells(tmp_path / "a.xlsx") == cells(tmp_path / "b.xlsx")
