"""The sample wards: the audit finds exactly the planted problems — nothing more, nothing less.

``data/expected/<ward_code>.csv`` lists each planted finding (written by the seeded generator,
an oracle independent of the checks); ``data/expected/summary.csv`` the cross-ward ones.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from audit_toolkit.audit import BatchResult, run_batch

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
EXPECTED = ROOT / "data" / "expected"
AS_OF = "2023-02-28"
PERIOD_FROM = "2022-01"


@pytest.fixture(scope="module")
def batch() -> BatchResult:
    return run_batch(SAMPLE, as_of=AS_OF, period_from=PERIOD_FROM, lang="vi")


def _key(frame: pd.DataFrame) -> pd.Series:
    name = frame["full_name"].fillna("").astype(str).map(lambda s: unicodedata.normalize("NFC", s).casefold())
    ident = frame["national_id"].fillna("").astype(str)
    return frame["check_id"].astype(str) + "|" + ident + "|" + name


def _read_expected(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame["amount_vnd"] = frame["amount_vnd"].replace("", "0").astype("int64")
    return frame


def _compare(actual: pd.DataFrame, expected: pd.DataFrame, label: str) -> list[str]:
    problems: list[str] = []
    act = actual.assign(_k=_key(actual))
    exp = expected.assign(_k=_key(expected))
    # REPORT_MISMATCH findings carry no person: they are matched by the report rows they name.
    for frame in (act, exp):
        nobody = (frame["national_id"].fillna("") == "") & (frame["full_name"].fillna("") == "")
        col = "source" if "source" in frame else "rows"
        frame.loc[nobody, "_k"] = frame.loc[nobody, "check_id"] + "|" + frame.loc[nobody, col].astype(str)
    missing = sorted(set(exp["_k"]) - set(act["_k"]))
    extra = sorted(set(act["_k"]) - set(exp["_k"]))
    problems += [f"{label}: missing {k}" for k in missing]
    for k in extra:
        row = act.loc[act["_k"] == k].iloc[0]
        problems.append(f"{label}: unexpected {k} [{row['source']}] {row['detail']}")
    both = exp.merge(act, on="_k", suffixes=("_exp", "_act"))
    for _, row in both.iterrows():
        if int(row["amount_vnd_exp"]) != int(row["amount_vnd_act"]):
            problems.append(
                f"{label}: {row['_k']} amount {row['amount_vnd_act']} != expected {row['amount_vnd_exp']}"
            )
        wanted = [r for r in str(row.get("rows", "")).split(";") if r]
        have = set(str(row["source"]).split(";"))
        lacking = [r for r in wanted if r not in have]
        if lacking:
            problems.append(f"{label}: {row['_k']} source {row['source']} lacks {lacking}")
    return problems


def test_every_sample_ward_is_audited(batch: BatchResult) -> None:
    assert batch.errors == {}
    codes = sorted(r.ward.ward_code or "" for r in batch.results)
    expected = sorted(p.stem for p in EXPECTED.glob("*.csv") if p.stem != "summary")
    assert codes == expected


def test_findings_equal_the_planted_problems(batch: BatchResult) -> None:
    problems: list[str] = []
    for result in batch.results:
        expected = _read_expected(EXPECTED / f"{result.ward.ward_code}.csv")
        problems += _compare(result.findings, expected, result.ward.ward_name)
    assert problems == []


def test_cross_ward_findings_equal_the_planted_ones(batch: BatchResult) -> None:
    expected = _read_expected(EXPECTED / "summary.csv")
    assert _compare(batch.cross_ward, expected, "summary") == []


def test_every_check_runs_on_every_sample_ward(batch: BatchResult) -> None:
    for result in batch.results:
        not_run = [
            (s.check_id, s.reason) for s in result.checks if s.status != "run" and s.reason != "batch_only"
        ]
        assert not_run == [], result.ward.ward_name
    assert batch.cross_ward_status.status == "run"


def test_phung_chi_kien_report_does_not_add_up(batch: BatchResult) -> None:
    result = next(r for r in batch.results if r.ward.ward_code == "01843")
    report = result.findings.loc[result.findings["check_id"] == "REPORT_MISMATCH"]
    assert len(report) >= 1
    assert report["detail"].str.contains("151").any() and report["detail"].str.contains("149").any()
    # …and the records explain it: two people are listed twice.
    assert (result.findings["check_id"] == "DUPLICATE_ID").sum() >= 2


def test_finding_ids_are_stable(batch: BatchResult) -> None:
    again = run_batch(SAMPLE, as_of=AS_OF, period_from=PERIOD_FROM, lang="en", quality=True)
    for first, second in zip(batch.results, again.results, strict=True):
        assert list(first.findings["finding_id"]) == list(second.findings["finding_id"])
