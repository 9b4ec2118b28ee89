"""The sample wards and their expected findings (data/generate_samples.py).

The generator must be deterministic, plant every ward-level check in every ward, reproduce the
Phùng Chí Kiên report (94/26/2/3/26, total 149), and every expected ``rows`` entry must point to a
real data row of the sample files.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SAMPLE = DATA / "sample"
EXPECTED = DATA / "expected"
WARDS = {"01843": "phung-chi-kien", "01837": "song-cau.xlsx", "01840": "duc-xuan", "01855": "xuat-hoa",
         "01834": "nguyen-thi-minh-khai"}  # fmt: skip
PREFIX = {"01843": "PCK", "01837": "SC", "01840": "DX", "01855": "XH", "01834": "MK"}
WARD_CHECKS = [
    "UNREADABLE_ROW", "ID_INVALID", "ID_MISMATCH", "ID_CONFLICT", "DUPLICATE_ID", "DUPLICATE_PERSON",
    "MISSED_ELDERLY", "MISSED_DISABILITY", "MISSED_CARE", "DECEASED_ACTIVE", "MOVED_ACTIVE", "AGE_OUT",
    "PAID_AFTER_END", "INELIGIBLE", "WRONG_COEFFICIENT", "WRONG_AMOUNT", "UNPAID_MONTHS", "LATE_DECISION",
    "REPORT_MISMATCH",
]  # fmt: skip


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_samples", DATA / "generate_samples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate_samples", module)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


def _read_expected(name: str) -> list[dict[str, str]]:
    with (EXPECTED / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _nfc(v: Any) -> str:
    return unicodedata.normalize("NFC", "" if v is None else str(v))


@functools.cache
def _table_rows(code: str, table: str) -> tuple[list[str], dict[int, list[Any]]]:
    """Headers and data rows (1-based row number -> values) of one table of one sample ward."""
    prefix = PREFIX[code]
    header_row = GEN.TITLE_ROWS[prefix] + 1
    if prefix == "DX":
        with (SAMPLE / WARDS[code] / f"{table}.csv").open(encoding="utf-8-sig", newline="") as fh:
            lines = list(csv.reader(fh))
    else:
        if prefix == "SC":
            wb = openpyxl.load_workbook(SAMPLE / WARDS[code], read_only=True)
            ws = wb[GEN.SHEET_NAMES[table]]
        else:
            wb = openpyxl.load_workbook(
                SAMPLE / WARDS[code] / f"{GEN.FILE_NAMES[prefix][table]}.xlsx", read_only=True
            )
            ws = wb.active
        lines = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
    headers = [_nfc(h) for h in lines[header_row - 1]]
    rows = {}
    for i, values in enumerate(lines[header_row:], start=header_row + 1):
        if any(v not in (None, "") for v in values) and "Tổng cộng" not in [_nfc(v) for v in values]:
            rows[i] = values
    return headers, rows


def _xlsx_values(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    values = {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    wb.close()
    return values


def test_generator_is_deterministic(tmp_path: Path) -> None:
    GEN.main(["--out", str(tmp_path)])
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(DATA) for d in (SAMPLE, EXPECTED) for p in d.rglob("*") if p.is_file()
    )  # fmt: skip
    assert fresh == committed
    for rel in fresh:
        new, old = tmp_path / rel, DATA / rel
        if rel.suffix == ".xlsx":
            assert _xlsx_values(new) == _xlsx_values(old), rel
        else:
            assert new.read_text(encoding="utf-8") == old.read_text(encoding="utf-8"), rel


@pytest.mark.parametrize("code", sorted(WARDS))
def test_every_ward_check_is_planted_in_every_ward(code: str) -> None:
    found = {row["check_id"] for row in _read_expected(f"{code}.csv")}
    assert set(WARD_CHECKS) - found == set()
    assert found <= set(WARD_CHECKS)  # CROSS_WARD_DUPLICATE lives in summary.csv only


def test_expected_files_are_well_formed() -> None:
    for path in sorted(EXPECTED.glob("*.csv")):
        rows = _read_expected(path.name)
        assert rows, path
        for row in rows:
            assert list(row) == GEN.EXPECTED_COLUMNS
            int(row["amount_vnd"])  # an integer
            assert row["note"].strip()
            nid = row["national_id"]
            assert nid == "" or nid.isdigit(), row
            if row["check_id"] == "REPORT_MISMATCH":
                assert nid == "" and row["full_name"] == "" and row["rows"].startswith("report:")
            if row["check_id"] == "UNREADABLE_ROW":  # matched by its single row, not by a person
                assert nid == "" and row["full_name"] == "" and row["rows"].count(":") == 1


def test_summary_has_cross_ward_duplicates_by_id_and_by_name() -> None:
    rows = _read_expected("summary.csv")
    assert {r["check_id"] for r in rows} == {"CROSS_WARD_DUPLICATE"}
    wards_per_finding = [{ref.split("/")[0] for ref in r["rows"].split(";")} for r in rows]
    assert all(len(w) == 2 for w in wards_per_finding)
    ids = []
    for r in rows:
        found = set()
        for ref in r["rows"].split(";"):
            code, table, num = _split_ref(ref)
            headers, data = _table_rows(code, table)
            values = data[num]
            found.add(str(values[headers.index(_nid_header(code))]))
        ids.append(found)
    assert sorted(len(f) for f in ids) == [1, 2]  # one by the same ID, one under two different IDs


def _split_ref(ref: str) -> tuple[str, str, int]:
    """``01843/beneficiaries:27`` -> ("01843", "beneficiaries", 27)."""
    code, rest = ref.split("/")
    table, num = rest.split(":")
    return code, table, int(num)


def _nid_header(code: str) -> str:
    return GEN.HEADERS[PREFIX[code]]["beneficiaries"]["national_id"]


def test_phung_chi_kien_report_reproduces_the_ward_figures() -> None:
    headers, data = _table_rows("01843", "report")
    cat, count = headers.index("Đối tượng"), headers.index("Số đối tượng")
    figures = {_nfc(v[cat]): int(v[count]) for v in data.values()}
    assert figures == {"Tổng số": 149, "K6": 94, "C2": 26, "K5a": 2, "K1": 3, "K5c": 26}
    assert sum(v for k, v in figures.items() if k != "Tổng số") == 151


def _expected_refs() -> list[tuple[str, dict[str, str], str, str, int]]:
    refs = []
    for code in sorted(WARDS):
        for row in _read_expected(f"{code}.csv"):
            for ref in row["rows"].split(";"):
                table, num = ref.split(":")
                refs.append((code, row, ref, table, int(num)))
    for row in _read_expected("summary.csv"):
        for ref in row["rows"].split(";"):
            code, table, num = _split_ref(ref)
            refs.append((code, row, ref, table, num))
    return refs


def test_every_expected_row_is_a_real_data_row() -> None:
    cache: dict[tuple[str, str], tuple[list[str], dict[int, list[Any]]]] = {}
    problems = []
    for code, _row, ref, table, num in _expected_refs():
        if (code, table) not in cache:
            cache[code, table] = _table_rows(code, table)
        headers, data = cache[code, table]
        if num not in data:
            problems.append(f"{code} {ref}: not a data row")
    assert problems == []


def test_expected_person_appears_on_its_rows() -> None:
    # The finding's name (and ID, when it has one) is written on one of the rows it names.
    problems = []
    by_ward: dict[str, list[dict[str, str]]] = {c: _read_expected(f"{c}.csv") for c in WARDS}
    by_ward["summary"] = _read_expected("summary.csv")
    for ward, rows in by_ward.items():
        for row in rows:
            if not row["full_name"]:
                continue
            seen = []
            for ref in row["rows"].split(";"):
                code, table, num = _split_ref(ref if ward == "summary" else f"{ward}/{ref}")
                if table not in ("beneficiaries", "residents"):
                    continue
                headers, data = _table_rows(code, table)
                seen.append(
                    _nfc(data[int(num)][headers.index(GEN.HEADERS[PREFIX[code]][table]["full_name"])])
                )
            if row["full_name"] not in seen:
                problems.append(f"{ward} {row['check_id']} {row['full_name']} not on {row['rows']}")
    assert problems == []


def _findings(path: Path) -> Counter[tuple[str, str, str, int]]:
    from audit_toolkit.audit import run_audit

    f = run_audit(path, as_of="2023-02-28", period_from="2022-01", quality=False).findings
    return Counter(
        zip(
            f["check_id"],
            f["national_id"].fillna(""),
            f["full_name"].fillna(""),
            f["amount_vnd"],
            strict=True,
        )
    )


def test_office_layout_ward_gives_the_findings_of_the_same_records_in_tidy_layout(tmp_path: Path) -> None:
    # The printed-form ward (sections, Nam/Nữ, one payment sheet per month) written again as tidy tables
    # (category and sex columns, one payment table with a month column): the same findings.
    mk = next(w for w in GEN.build_all() if w.prefix == "MK")
    GEN.write_ward(mk, GEN.assign_rows(mk), tmp_path, office=False)
    tidy, office = _findings(tmp_path / mk.slug), _findings(SAMPLE / WARDS["01834"])
    assert sum(tidy.values()) > 30
    assert office == tidy


def test_a_tidy_ward_rewritten_in_the_printed_forms_gives_the_same_findings(tmp_path: Path) -> None:
    # Xuất Hóa (IDs stored as numbers, NFD text, Excel date cells, article-reference labels) written in
    # the printed forms: sections instead of its category column, Nam/Nữ, one payment sheet per month.
    xh = next(w for w in GEN.build_all() if w.prefix == "XH")
    GEN.write_office_ward(xh, GEN.assign_rows(xh), tmp_path / xh.slug)
    office, tidy = _findings(tmp_path / xh.slug), _findings(SAMPLE / WARDS["01855"])
    assert sum(tidy.values()) > 30
    assert office == tidy
