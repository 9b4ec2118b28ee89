"""Batch runs: one GX pass per table for many wards gives each ward what a single-ward run gives.

``quality_batch.validate_wards`` stacks the wards' tables and validates each table once; these
tests compare every ward's :class:`QualityResult` with ``validate_tables`` on that ward alone
(the sample wards, and tiny inline wards built to hit the edge cases: ``mostly``, row
conditions, ``ignore_row_if``, a rule comparing rows, types that differ between wards, a ward
whose table lacks a column), and check that the stacked pass really is one call per table.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import audit_toolkit.quality.batch as quality_batch
from audit_toolkit import load_ward
from audit_toolkit.audit import run_audit, run_batch
from audit_toolkit.io.discover import discover_wards
from audit_toolkit.quality import QualityResult, validate_tables
from audit_toolkit.quality.batch import validate_wards

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data" / "sample"
AS_OF = "2023-02-28"


def assert_same(single: QualityResult, batch: QualityResult) -> None:
    """Everything a report reads from a QualityResult is equal (``seconds`` aside)."""
    pd.testing.assert_frame_equal(single.summary, batch.summary)
    pd.testing.assert_frame_equal(single.failures, batch.failures)
    pd.testing.assert_frame_equal(single.finding_rows, batch.finding_rows)
    assert single.skipped == batch.skipped
    assert single.suites_dir == batch.suites_dir
    assert single.lang == batch.lang
    for as_of in (AS_OF, None):
        pd.testing.assert_frame_equal(single.raw_findings(as_of=as_of), batch.raw_findings(as_of=as_of))


@pytest.fixture
def gx_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """(table, rows) of every GX call made by the stacked pass."""
    calls: list[tuple[str, int]] = []
    real = quality_batch.gx_outcomes

    def spy(suite: Any, rules: Any, subset: pd.DataFrame, keys: list[str]) -> Any:
        calls.append((suite.table, len(subset)))
        return real(suite, rules, subset, keys)

    monkeypatch.setattr(quality_batch, "gx_outcomes", spy)
    return calls


@pytest.fixture(scope="module")
def sample_tables() -> dict[str, dict[str, pd.DataFrame]]:
    # The wards as the batch finds them (batch.yml beside them names the batch, it is no ward).
    return {p.name: load_ward(p).tables for p in discover_wards(SAMPLE)}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_sample_wards_batch_equals_single(
    sample_tables: dict[str, dict[str, pd.DataFrame]], gx_calls: list[tuple[str, int]], lang: str
) -> None:
    batch = validate_wards(sample_tables, lang=lang)
    assert set(batch) == set(sample_tables)
    # One stacked call per table present in any ward: no ward fell back to its own calls.
    tables = {t for tables in sample_tables.values() for t in tables}
    assert sorted(t for t, _ in gx_calls) == sorted(tables)
    for table, rows in gx_calls:
        assert rows == sum(len(t[table]) for t in sample_tables.values() if table in t)
    failing = 0
    for key, tables_of_ward in sample_tables.items():
        single = validate_tables(tables_of_ward, lang=lang)
        assert_same(single, batch[key])
        failing += len(single.failures)
    assert failing > 0  # the sample wards do fail rules: the split is exercised


def _suite(folder: Path, table: str, rules: list[dict[str, Any]]) -> None:
    folder.mkdir(exist_ok=True)
    for rule in rules:
        rule.setdefault("meta", {}).update({"description_vi": "quy tắc", "description_en": "rule"})
    (folder / f"{table}.json").write_text(
        json.dumps({"name": table, "expectations": rules}), encoding="utf-8"
    )


def _deaths(rows: list[dict[str, Any]], *, file: str = "deaths.csv") -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame.insert(0, "_row", range(2, len(frame) + 2))
    frame["_file"] = file
    frame["_sheet"] = ""
    return frame


RULES: list[dict[str, Any]] = [
    # a column rule allowed to fail on up to half the non-null rows
    {
        "type": "expect_column_values_to_match_regex",
        "kwargs": {"column": "national_id", "regex": r"^\d{12}$", "mostly": 0.5},
    },
    # nulls are the point of this rule: GX counts every row of the domain
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "full_name"}},
    # a row condition: only rows with an age are judged
    {
        "type": "expect_column_values_to_be_between",
        "kwargs": {
            "column": "age",
            "min_value": 0,
            "max_value": 120,
            "row_condition": 'full_name != "X"',
            "condition_parser": "pandas",
        },
    },
    # a pair rule that skips rows missing either value
    {
        "type": "expect_column_pair_values_a_to_be_greater_than_b",
        "kwargs": {
            "column_A": "death_year",
            "column_B": "birth_year",
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
    },
    # a pair rule with GX's default (skip only when both are missing)
    {
        "type": "expect_column_pair_values_a_to_be_greater_than_b",
        "kwargs": {"column_A": "death_year", "column_B": "birth_year"},
    },
    # a rule comparing rows with each other: never stacked (an ID in two wards is no duplicate)
    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "national_id"}},
]

WARD_A = [
    # passes everything
    {
        "national_id": "001234567890",
        "full_name": "An",
        "age": 70.0,
        "death_year": 2022.0,
        "birth_year": 1950.0,
    },
    # bad ID, no name, age out of range, died before birth
    {"national_id": "12", "full_name": None, "age": 130.0, "death_year": 1940.0, "birth_year": 1950.0},
    # excluded by the row condition; the pair has a missing value
    {"national_id": "001234567891", "full_name": "X", "age": 500.0, "death_year": None, "birth_year": 1950.0},
]
WARD_B = [
    # the same ID as ward A's first row (unique within each ward)
    {"national_id": "001234567890", "full_name": "Bình", "age": None, "death_year": None, "birth_year": None},
    # two of three IDs bad in this ward: the mostly rule (half may fail) fails here only
    {"national_id": "999", "full_name": "Chi", "age": 5.0, "death_year": 2000.0, "birth_year": 2001.0},
    {"national_id": "0012", "full_name": "Dũng", "age": 8.0, "death_year": None, "birth_year": 2015.0},
]
FLOATS = dict.fromkeys(("age", "death_year", "birth_year"), "float64")
WARD_C: list[dict[str, Any]] = [
    # every row outside the row condition and missing the pair: the rules hold vacuously
    {"national_id": None, "full_name": "X", "age": None, "death_year": None, "birth_year": None},
]


def test_inline_wards_batch_equals_single(tmp_path: Path, gx_calls: list[tuple[str, int]]) -> None:
    folder = tmp_path / "suites"
    _suite(folder, "deaths", [dict(r) for r in RULES])
    wards = {
        "a": {"deaths": _deaths(WARD_A)},
        "b": {"deaths": _deaths(WARD_B)},
        # all-empty columns typed as the loader types them, so ward c stacks with a and b
        "c": {"deaths": _deaths(WARD_C).astype({"national_id": "str", "full_name": "str", **FLOATS})},
    }
    batch = validate_wards(wards, suites_dir=folder, lang="en")
    for key, tables in wards.items():
        assert_same(validate_tables(tables, suites_dir=folder, lang="en"), batch[key])
    # The uniqueness rule was validated per ward: the shared ID is no failure in either.
    unique = {k: r.summary.set_index("rule").loc[6, "unexpected"] for k, r in batch.items()}
    assert unique == {"a": 0, "b": 0, "c": 0}
    mostly = {k: bool(r.summary.set_index("rule").loc[1, "success"]) for k, r in batch.items()}
    assert mostly == {"a": True, "b": False, "c": True}
    assert ("deaths", 7) in gx_calls  # wards a, b and c stacked (row-wise rules)


def test_wards_with_other_types_or_columns_are_validated_alone(tmp_path: Path) -> None:
    folder = tmp_path / "suites"
    _suite(folder, "deaths", [dict(r) for r in RULES[:2]])
    wards = {
        "a": {"deaths": _deaths(WARD_A)},
        # IDs read as numbers: another type, so not stacked with ward a
        "numbers": {"deaths": _deaths([{"national_id": 12.0, "full_name": "Dũng"}])},
        # no full_name column: the rule cannot run on this ward
        "no_name": {"deaths": _deaths([{"national_id": "001234567890"}])},
    }
    batch = validate_wards(wards, suites_dir=folder, lang="vi")
    assert set(batch) == {"a", "numbers"}  # no_name is left out: alone it raises its error
    for key in ("a", "numbers"):
        assert_same(validate_tables(wards[key], suites_dir=folder, lang="vi"), batch[key])


def test_tables_above_max_rows_are_skipped_per_ward(tmp_path: Path) -> None:
    folder = tmp_path / "suites"
    _suite(folder, "deaths", [dict(r) for r in RULES[:2]])
    wards = {"big": {"deaths": _deaths(WARD_A)}, "small": {"deaths": _deaths(WARD_C)}}
    batch = validate_wards(wards, suites_dir=folder, lang="en", max_rows=2)
    for key, tables in wards.items():
        assert_same(validate_tables(tables, suites_dir=folder, lang="en", max_rows=2), batch[key])
    assert "deaths" in batch["big"].skipped and not batch["small"].skipped


def _findings(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("finding_id").reset_index(drop=True)


def test_run_batch_gives_each_ward_its_run_audit(tmp_path: Path) -> None:
    root = tmp_path / "city"
    root.mkdir()
    for name in ("phung-chi-kien", "song-cau.xlsx"):
        source = SAMPLE / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy(source, root / name)
    # a ward whose only workbook is not a workbook: reported, the others complete
    (root / "broken.xlsx").write_bytes(b"not a workbook")
    seen: list[tuple[int, int, str]] = []
    done: list[str] = []
    batch = run_batch(
        root,
        as_of=AS_OF,
        period_from="2022-01",
        lang="en",
        on_ward=lambda n, total, path: seen.append((n, total, path.name)),
        on_result=lambda result: done.append(result.ward.path.name),
    )
    assert [n for n, _, _ in seen] == [1, 2, 3] and {t for _, t, _ in seen} == {3}
    assert list(batch.errors) == ["broken.xlsx"]
    assert len(batch.results) == 2 == len(done)
    for result in batch.results:
        alone = run_audit(result.ward.path, as_of=AS_OF, period_from="2022-01", lang="en")
        pd.testing.assert_frame_equal(_findings(alone.findings), _findings(result.findings))
        assert_same(alone.quality, result.quality)
        assert [(s.check_id, s.status, s.reason, s.findings) for s in alone.checks] == [
            (s.check_id, s.status, s.reason, s.findings) for s in result.checks
        ]
