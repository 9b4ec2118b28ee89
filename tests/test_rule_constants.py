"""Named values that used to be literals in check code are rule rows (rules/data/constants.yml) with
citations, read through RuleSet accessors; changing a row changes what the checks do."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from audit_toolkit.checks import missed
from audit_toolkit.checks.base import AuditContext
from audit_toolkit.errors import RuleError
from audit_toolkit.months import month_num
from audit_toolkit.rules import PACKAGED_DIR, load_rules
from tests.factories import new_id, ward


@pytest.fixture
def rule_dir(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    target.mkdir()
    for path in PACKAGED_DIR.glob("*.yml"):
        shutil.copy(path, target / path.name)
    return target


def _set_constant(rule_dir: Path, name: str, value: object) -> None:
    path = rule_dir / "constants.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for row in doc["values"]:
        if row["name"] == name:
            row["value"] = value
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")


def test_packaged_constants_and_their_citations():
    rules = load_rules()
    assert rules.suspend_after_unpaid_months == 3
    assert rules.no_pension_categories == ("K5c",)
    assert rules.certificate_categories == ("K6",)
    assert rules.certificate_grace_days == 30
    assert rules.adult_age == 18
    cites = rules.citations()
    rows = cites.loc[cites["table"] == "constants"].set_index("key")
    assert rows.loc["suspend_after_unpaid_months", "legal_basis"].startswith("TT 02/2021/TT-BLĐTBXH")
    assert rows["legal_basis"].str.len().min() > 0 and set(rows["confidence"]) <= {"H", "M", "L"}


@pytest.mark.parametrize(
    ("as_of", "marks"),
    [
        ("2023-02-28", (16, 60, 80)),  # NĐ 20/2021: K1 to 16, K5a from 60, K5c from 80
        ("2025-06-30", (16, 60, 80)),  # the last month before the social pension
        ("2025-07-01", (16, 60, 70, 75)),  # social pension: 75, or 70 in a poor/near-poor household
    ],
)
def test_chart_age_marks_follow_the_law_in_force(as_of, marks):
    assert load_rules().chart_age_marks(as_of) == marks


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("no_pension_categories", ["K99"], "K99"),  # unknown category code
        ("no_pension_categories", "K5c", "not a list"),  # a list is required
        ("certificate_grace_days", "thirty", "not a number"),  # a number is required
    ],
)
def test_bad_constants_fail_at_load(rule_dir, name, value, message):
    _set_constant(rule_dir, name, value)
    with pytest.raises(RuleError, match=message):
        load_rules(rule_dir)


def test_a_missing_constant_is_a_rule_error(rule_dir):
    path = rule_dir / "constants.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["values"] = [r for r in doc["values"] if r["name"] != "adult_age"]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RuleError, match="No constant 'adult_age'"):
        load_rules(rule_dir).constant("adult_age")


def _missed_disability(rules_dir: Path | None, issued: str) -> pd.DataFrame:
    res = {
        "national_id": new_id(sex="M", birth_year=1980),
        "full_name": "Mai Văn Sơn",
        "birth_date": "1980-04-04",
        "sex": "M",
        "residence_status": "permanent",
    }
    cert = {
        **{k: res[k] for k in ("national_id", "full_name", "birth_date")},
        "disability_level": "severe",
        "issue_date": issued,
    }
    w = ward(residents=[res], disability_certificates=[cert])
    ts = pd.Timestamp("2023-02-28")
    ctx = AuditContext(
        ward=w,  # type: ignore[arg-type]
        rules=load_rules(rules_dir, province_code=w.province_code),
        as_of=ts,
        period_start=month_num(2022, 1),
        period_end=month_num(2023, 2),
        lang="vi",
    )
    return missed.find_missed_disability(ctx)


@pytest.mark.parametrize(
    ("grace", "issued", "found"),
    [
        (None, "2023-02-13", False),  # packaged 30 days: a certificate 15 days old is not yet missed
        (10, "2023-02-13", True),  # a rule set with 10 days: the same certificate is missed
        (10, "2023-02-20", False),  # 8 days old: within 10 days
    ],
)
def test_missed_disability_reads_the_grace_days_from_the_rules(rule_dir, grace, issued, found):
    if grace is not None:
        _set_constant(rule_dir, "certificate_grace_days", grace)
    assert (len(_missed_disability(rule_dir, issued)) == 1) is found
