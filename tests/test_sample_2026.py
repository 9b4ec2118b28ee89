"""The 2025–2026 sample batch: the audit finds exactly the planted problems — nothing more, nothing less.

``data/sample-2026/`` (two wards of tỉnh Thái Nguyên after the 2025 merger, a batch ``rates.yml`` with
provincial levels from 01/2026) is audited over 01/2025–06/2026 as of 30/06/2026.
``data/expected-2026/<ward_code>.csv`` lists each planted finding, written by the seeded generator
``data/generate_samples_2026.py`` from its own arithmetic over the payments it wrote (an oracle
independent of the checks). The comparison is the one of ``tests/test_sample_wards.py``: same person
and check, exact amount, and the finding's ``source`` naming every expected row.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import openpyxl
import pytest

from audit_toolkit.audit import BatchResult, run_batch
from tests.test_sample_wards import _compare, _read_expected

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SAMPLE = DATA / "sample-2026"
EXPECTED = DATA / "expected-2026"
AS_OF = "2026-06-30"
PERIOD_FROM = "2025-01"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_samples_2026", DATA / "generate_samples_2026.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate_samples_2026", module)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


@pytest.fixture(scope="module")
def batch() -> BatchResult:
    return run_batch(SAMPLE, as_of=AS_OF, period_from=PERIOD_FROM, lang="vi")


def test_every_ward_of_the_batch_is_audited(batch: BatchResult) -> None:
    assert batch.errors == {}
    codes = sorted(r.ward.ward_code or "" for r in batch.results)
    assert codes == sorted(p.stem for p in EXPECTED.glob("*.csv") if p.stem != "summary")


def test_findings_equal_the_planted_problems(batch: BatchResult) -> None:
    problems: list[str] = []
    for result in batch.results:
        expected = _read_expected(EXPECTED / f"{result.ward.ward_code}.csv")
        problems += _compare(result.findings, expected, result.ward.ward_name)
    assert problems == []


def test_cross_ward_findings_equal_the_planted_ones(batch: BatchResult) -> None:
    assert batch.cross_ward_status.status == "run"
    assert _compare(batch.cross_ward, _read_expected(EXPECTED / "summary.csv"), "summary") == []


def test_every_check_runs_on_every_ward(batch: BatchResult) -> None:
    # rates.yml gives the levels of every month, every table is present: nothing may be "not run".
    for result in batch.results:
        not_run = [
            (s.check_id, s.reason) for s in result.checks if s.status != "run" and s.reason != "batch_only"
        ]
        assert not_run == [], result.ward.ward_name


def _tree_values(root: Path) -> dict[str, object]:
    """Every file under root: xlsx as cell values (sheet -> rows), anything else as text."""
    out: dict[str, object] = {}
    for p in sorted(root.rglob("*")):
        if not p.is_file():
            continue
        rel = p.relative_to(root).as_posix()
        if p.suffix == ".xlsx":
            wb = openpyxl.load_workbook(p, read_only=True)
            out[rel] = {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
            wb.close()
        else:
            out[rel] = p.read_text(encoding="utf-8")
    return out


def test_generator_is_deterministic_and_the_committed_files_are_its_output(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    GEN.main(["--out", str(first)])
    GEN.main(["--out", str(second)])
    for name in ("sample-2026", "expected-2026"):
        files = sorted(p.relative_to(first) for p in (first / name).rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(second) for p in (second / name).rglob("*") if p.is_file())
        for rel in files:  # byte for byte: workbook properties and zip timestamps are fixed
            assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
        assert _tree_values(first / name) == _tree_values(DATA / name), (
            f"data/{name} is stale: run make samples"
        )


def test_expected_rows_are_real_rows_naming_the_person() -> None:
    # Every expected `rows` ref is a data row of the written tables, and the person is named on it.
    problems = []
    wards = {w.code: w for w in GEN.build_all()}
    tables = {code: GEN.table_records(w) for code, w in wards.items()}
    for path in sorted(EXPECTED.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert rows and all(list(r) == GEN.EXPECTED_COLUMNS for r in rows)
        for r in rows:
            int(r["amount_vnd"])
            for ref in r["rows"].split(";"):
                code, ref = ref.split("/") if path.stem == "summary" else (path.stem, ref)
                first = GEN.TITLE_ROWS[wards[code].shape] + 2
                table, num = ref.split(":")
                records = tables[code][table]
                i = int(num) - first
                if not 0 <= i < len(records):
                    problems.append(f"{path.name} {ref}: not a data row")
                elif (
                    records[i]["full_name"] != r["full_name"] or records[i]["national_id"] != r["national_id"]
                ):
                    problems.append(f"{path.name} {ref}: {records[i]['full_name']} is not {r['full_name']}")
    assert problems == []


def test_the_batch_exercises_the_2025_2026_law() -> None:
    # What the batch is for (issue 7, "Done when"): conversions, HTXH, rates.yml, catch-up and care lines.
    checks = set()
    for path in EXPECTED.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            checks |= {r["check_id"] for r in csv.DictReader(fh)}
    assert {"CATEGORY_ENDED", "CARED_FOR_GONE", "INELIGIBLE", "DUPLICATE_ID", "MISSED_ELDERLY",
            "WRONG_AMOUNT", "AGE_OUT", "DECEASED_ACTIVE", "MOVED_ACTIVE", "UNPAID_MONTHS"} <= checks  # fmt: skip
    assert (SAMPLE / "rates.yml").is_file()
    wards = GEN.build_all()
    lines = [ln for w in wards for ln in w.lines]
    assert any(ln.cat == "HTXH" for ln in lines)
    assert any(p.cover for ln in lines for p in ln.pays) and any(p.recovered for ln in lines for p in ln.pays)
    converted = {ln.person.nid for ln in lines if ln.cat == "K5c" and ln.end_m == GEN.HTXH_FROM}
    assert converted & {ln.person.nid for ln in lines if ln.cat == "HTXH" and ln.start_m == GEN.HTXH_FROM}
