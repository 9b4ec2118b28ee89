"""RuleSet answers: levels, coefficients, ages, stacking, deadlines, calendar, citations."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit_toolkit.errors import InputError, RuleError
from audit_toolkit.months import month_num
from audit_toolkit.rules import CHECK_IDS, OPTIONAL_DIR, age_in_month, load_rules

CHECKS_MD = (
    Path(__file__).resolve().parents[1] / "docs" / "spec" / "checks.md"
)  # copy of ../shared/spec/checks.md
PROJECT_MD = CHECKS_MD.parents[1] / "checks-project.md"  # checks the project adds beyond the spec


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def _months(*pairs: tuple[int, int]) -> pd.Series:
    return pd.Series([month_num(y, m) for y, m in pairs], dtype="Int64")


def _dates(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)))


# ------------------------------------------------------------------------------------ levels


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2021, 6, 270_000),  # NĐ 136/2013, last month before NĐ 20
        (2021, 7, 360_000),  # NĐ 20/2021 Art 4.2 from 1/7/2021
        (2024, 6, 360_000),  # last month at 360k: the 2024-07 raise is not retroactive
        (2024, 7, 500_000),  # NĐ 76/2024 from 1/7/2024
        (2026, 7, 500_000),  # NĐ 335/2026 (540k) is NOT loaded by default: unverified [L]
    ],
)
def test_standard_level_national(rules, year, month, expected):
    assert rules.standard_level(_months((year, month))).tolist() == [expected]


def test_standard_level_missing_month_is_nan_and_index_kept(rules):
    months = pd.Series([month_num(2024, 7), pd.NA], index=[10, 20], dtype="Int64")
    out = rules.standard_level(months)
    assert list(out.index) == [10, 20]
    assert out.iloc[0] == 500_000 and np.isnan(out.iloc[1])


@pytest.mark.parametrize(
    ("code", "year", "month", "expected"),
    [
        ("01", 2025, 12, 500_000),  # Hà Nội before its local level
        ("01", 2026, 1, 650_000),  # Hà Nội local level from 1/1/2026 [M]
        ("001", 2026, 1, 650_000),  # 3-digit spelling of the same code
        ("06", 2026, 1, 500_000),  # Bắc Kạn: no local level, national applies
    ],
)
def test_standard_level_province_override(rules, code, year, month, expected):
    assert rules.standard_level(_months((year, month)), province_code=code).tolist() == [expected]


def test_ruleset_province_is_the_default_province():
    hanoi = load_rules(province_code="1")
    assert hanoi.province_code == "01"
    assert hanoi.standard_level(_months((2026, 1))).tolist() == [650_000]


def test_local_level_below_national_never_lowers_it(tmp_path):
    # A province level of 400k adopted in 2024-01 is above 360k, but below the national 500k from 2024-07.
    extra = tmp_path / "local.yml"
    extra.write_text(
        "table: standard_level\nprovinces:\n  '06':\n"
        "    - {valid_from: 2024-01-01, amount: 400000, legal_basis: 'NQ HĐND test'}\n",
        encoding="utf-8",
    )
    rules = load_rules(province_code="06", extra_files=[extra])
    assert rules.standard_level(_months((2023, 12), (2024, 1), (2024, 7))).tolist() == [
        360_000,
        400_000,
        500_000,
    ]


def test_invalid_province_code_is_an_input_error():
    with pytest.raises(InputError, match="not a number"):
        load_rules(province_code="Hà Nội")


@pytest.mark.parametrize(
    ("code", "year", "month", "expected"),
    [
        (None, 2025, 6, np.nan),  # no social pension before 1/7/2025
        (None, 2025, 7, 500_000),  # NĐ 176/2025
        ("22", 2025, 7, 500_000),  # Quảng Ninh top-up starts 27/7: July still national (first-day rule)
        ("22", 2025, 8, 700_000),  # Quảng Ninh 700k [M]
    ],
)
def test_social_pension_level(rules, code, year, month, expected):
    out = rules.social_pension_level(_months((year, month)), province_code=code).iloc[0]
    assert (np.isnan(out) and np.isnan(expected)) or out == expected


def test_base_level_uses_social_pension_for_htxh(rules):
    # Hà Nội 2026-02: standard level 650k (NQ 63/2025/NQ-HĐND), social pension national 500k.
    out = rules.base_level(pd.Series(["K6", "HTXH"]), month_num(2026, 2), province_code="01")
    assert out.tolist() == [650_000, 500_000]


def test_optional_nd_335_only_with_extra_file(rules):
    with_335 = load_rules(extra_files=[OPTIONAL_DIR / "nd-335-2026.yml"])
    assert with_335.standard_level(_months((2026, 6), (2026, 7))).tolist() == [500_000, 540_000]
    assert rules.standard_level(_months((2026, 7))).tolist() == [500_000]
    assert with_335.version != rules.version
    row = with_335.citations().query("table == 'standard_level' and value == '540,000 VND'")
    assert row["confidence"].tolist() == ["L"]


# ------------------------------------------------------------------------------------ ages


@pytest.mark.parametrize(
    ("birth", "year", "month", "expected"),
    [
        ("2019-03-31", 2023, 3, 4),  # birthday on the last day of the month: already 4 in that month
        ("2019-03-01", 2023, 2, 3),  # month before the birthday month
        ("1950-01-01", 2030, 1, 80),  # year-only birth date stored as 1 January: 80 in January
        ("1950-01-01", 2029, 12, 79),
        ("2008-02-29", 2023, 2, 15),  # 29 February: birthday month counts even in a non-leap year
        (None, 2023, 2, None),  # no birth date: NA
    ],
)
def test_age_in_month(birth, year, month, expected):
    out = age_in_month(_dates(birth), month_num(year, month)).iloc[0]
    assert (expected is None and pd.isna(out)) or out == expected


def test_age_in_month_vectorised_with_series_of_months(rules):
    births = pd.Series(pd.to_datetime(["2020-05-15", "2020-05-15"]), index=["a", "b"])
    out = rules.age_in_month(births, pd.Series([month_num(2024, 4), month_num(2024, 5)], index=["a", "b"]))
    assert out.dtype == "Int64" and out.to_dict() == {"a": 3, "b": 4}


# ------------------------------------------------------------------------------------ coefficients


@pytest.mark.parametrize(
    ("category", "level", "birth", "year", "month", "expected"),
    [
        ("K1", None, "2020-05-15", 2024, 4, 2.5),  # K1 aged 3 in the month before the 4th birthday
        ("K1", None, "2020-05-15", 2024, 5, 1.5),  # 4th birthday in May: 1.5 from May
        ("K3", None, "2020-05-15", 2024, 4, 2.5),  # HIV child under 4
        ("K3", None, "2020-05-15", 2024, 5, 2.0),  # HIV child 4 to under 16
        ("K6", "severe", "2008-09-10", 2024, 8, 2.0),  # severe, child aged 15
        ("K6", "severe", "2008-09-10", 2024, 9, 1.5),  # turns 16 in September: adult level
        ("K6", "severe", "1964-09-10", 2024, 8, 1.5),  # aged 59
        ("K6", "severe", "1964-09-10", 2024, 9, 2.0),  # turns 60: elderly level
        ("K6", "especially_severe", "2008-09-10", 2024, 8, 2.5),  # ĐBN child 15
        ("K6", "especially_severe", "2008-09-10", 2024, 9, 2.0),  # ĐBN adult 16
        ("K6", "especially_severe", "1964-09-10", 2024, 8, 2.0),  # ĐBN adult 59
        ("K6", "especially_severe", "1964-09-10", 2024, 9, 2.5),  # ĐBN elderly 60
        ("K5a", None, "1944-09-10", 2024, 8, 1.5),  # lonely poor elderly aged 79
        ("K5a", None, "1944-09-10", 2024, 9, 2.0),  # turns 80
        ("K6", "mild", "1980-01-01", 2024, 9, np.nan),  # mild disability: no monthly allowance
        ("K6", None, "1980-01-01", 2024, 9, np.nan),  # K6 without a level: cannot be derived
        ("K2", None, "2006-09-10", 2024, 9, 1.5),  # 18, studying
        ("K2", None, "2002-09-10", 2024, 9, np.nan),  # 22: beyond K2 (AGE_OUT's business)
        ("K7", None, "2022-01-10", 2024, 12, 1.5),  # under 3
        ("K8", None, "1990-01-10", 2024, 12, 1.5),
        ("K5c", None, "1940-01-10", 2024, 12, 1.0),
        ("K5d", None, "1950-01-10", 2024, 12, 3.0),
        ("C1", None, "1995-01-10", 2024, 12, np.nan),  # allowed set {1.5, 2.0}, not one value
        ("K4", None, "1990-01-10", 2024, 12, np.nan),  # 1.0 per child: the number of children is unknown
        ("C2", None, "1990-01-10", 2024, 12, 1.0),
        ("HTXH", None, "1945-01-10", 2025, 7, 1.0),  # social pension: 1.0 of its own level
        ("HTXH", None, "1945-01-10", 2025, 6, np.nan),  # no social pension before 7/2025
        ("K1", None, "2020-05-15", 2021, 6, np.nan),  # before NĐ 20 (different coefficients)
    ],
)
def test_expected_coefficient(rules, category, level, birth, year, month, expected):
    m = month_num(year, month)
    age = age_in_month(_dates(birth), m)
    out = rules.expected_coefficient(pd.Series([category]), pd.Series([level], dtype="str"), age, m).iloc[0]
    assert (np.isnan(out) and np.isnan(expected)) or out == expected


@pytest.mark.parametrize(
    ("category", "age", "expected"),
    [
        ("C3", 15, 2.5),  # taking in a ĐBN child: the cared-for person's age counts
        ("C3", 16, 1.5),  # taking in a ĐBN adult
        ("C4", 3, 2.5),  # taking in a K1 child under 4
        ("C4", 4, 1.5),  # K1 child 4 to under 16
        ("C4", 70, 1.5),  # K5d elderly person
        ("C4", 30, np.nan),  # neither a K1 child nor an elderly person
    ],
)
def test_expected_coefficient_care_lines_use_cared_for_age(rules, category, age, expected):
    out = rules.expected_coefficient(category, None, age, month_num(2024, 1)).iloc[0]
    assert (np.isnan(out) and np.isnan(expected)) or out == expected


def test_age_of(rules):
    out = rules.age_of(pd.Series(["C3", "C4", "C2", "K6", "XX"], index=[5, 6, 7, 8, 9]))
    assert out.to_dict() == {5: "cared_for", 6: "cared_for", 7: "self", 8: "self", 9: "self"}


@pytest.mark.parametrize(
    ("category", "level", "age", "recorded", "ok"),
    [
        ("C1", None, 30, 1.5, True),  # pregnant or one child under 36 months
        ("C1", None, 30, 2.0, True),  # pregnant and one child, or two children
        ("C1", None, 30, 2.5, False),  # not in the allowed set
        ("K4", None, 35, 1.0, True),  # one child
        ("K4", None, 35, 3.0, True),  # three children
        ("K4", None, 35, 1.5, False),  # not a whole number of children
        ("K4", None, 35, 0.0, False),  # zero children is no K4 line
        ("K1", None, 3, 2.5, True),
        ("K1", None, 4, 2.5, False),  # child turned 4: should be 1.5
        ("K6", "severe", 60, 2.0, True),
        ("K6", "severe", 60, 1.5, False),  # turned 60 but kept the adult level
        ("K6", "mild", 40, 2.0, True),  # no rule value: eligibility question (INELIGIBLE), not this one
        ("K1", None, 3, np.nan, True),  # nothing recorded: nothing to compare
    ],
)
def test_coefficient_ok(rules, category, level, age, recorded, ok):
    out = rules.coefficient_ok(
        pd.Series([category]), pd.Series([level], dtype="str"), age, month_num(2024, 1), recorded
    )
    assert out.dtype == bool and out.tolist() == [ok]


def test_allowed_coefficients_frame(rules):
    out = rules.allowed_coefficients(pd.Series(["C1", "K4", "K1", "K6"]), None, 2, month_num(2024, 1))
    assert out.at[0, "allowed"] == (1.5, 2.0) and np.isnan(out.at[0, "expected"])
    assert out.at[1, "per_child_unit"] == 1.0 and out.at[1, "allowed"] is None
    assert out.at[2, "expected"] == 2.5 and "Điều 6 khoản 1 điểm a" in out.at[2, "legal_basis"]
    assert pd.isna(out.at[3, "legal_basis"])  # K6 without a level matches no row


def test_coefficients_vectorised_over_many_rows(rules):
    n = 10_000
    cats = pd.Series(np.where(np.arange(n) % 2 == 0, "K1", "K5a"))
    ages = pd.Series(np.where(np.arange(n) % 2 == 0, 2, 85))
    out = rules.expected_coefficient(cats, None, ages, month_num(2024, 1))
    assert out.iloc[::2].eq(2.5).all() and out.iloc[1::2].eq(2.0).all()


# ------------------------------------------------------------------------------------ age limits


def test_age_limits(rules):
    assert (rules.age_limit("K1"), rules.age_limit("K2"), rules.age_limit("K3"), rules.age_limit("K7")) == (
        16,
        22,
        16,
        3,
    )
    assert rules.age_limit("K6") is None
    out = rules.age_limit(pd.Series(["K7", "K5a", "K2"], index=[3, 2, 1]))
    assert out.dtype == "Int64" and out.iloc[0] == 3 and pd.isna(out.iloc[1]) and list(out.index) == [3, 2, 1]
    k1 = rules.age_limits.set_index("category").loc["K1"]
    assert (k1["continues_as"], k1["continues_when"]) == ("K2", "studying")


def test_min_ages(rules):
    assert rules.category_min_age == {"K5a": 60, "K5b": 75, "K5c": 80, "K5d": 60, "K2": 16}
    assert rules.min_age("K5c") == 80 and rules.min_age("K1") is None
    assert rules.min_age(pd.Series(["K5b", "K6"])).tolist()[0] == 75


# ------------------------------------------------------------------------------------ stacking


@pytest.mark.parametrize(
    ("a", "b", "cared_a", "cared_b", "ok"),
    [
        ("K4", "K6", None, None, True),  # single poor parent who is disabled: both (Art 6.2)
        ("K4", "K5a", None, None, True),
        ("K6", "C2", None, "001080000001", True),  # monthly allowance + care support
        ("K5c", "K6", None, None, False),  # two monthly allowances: only the highest
        ("K5c", "HTXH", None, None, False),  # social allowance and social pension: the higher one
        ("K6", "K6", None, None, False),  # the same category twice
        ("K4", "K4", None, None, False),
        ("K4", "K1", None, None, False),  # K4 stacks only with K5*/K6/K8
        ("C2", "C2", "001080000001", "001080000001", False),  # same care support for the same person
        ("C2", "C2", "001080000001", "001080000002", True),  # care support for two different persons
        ("C2", "C2", None, None, False),  # neither line says whom: cannot be told apart
        ("C1", "C1", "x", "y", False),  # C1 is for the PWD herself: only one, the highest
        ("C1", "C2", None, None, True),  # different care supports
        ("HTXH", "C2", None, None, True),  # care support goes with the social pension [L]
        ("K6", "XX", None, None, False),  # unknown category
    ],
)
def test_stackable(rules, a, b, cared_a, cared_b, ok):
    assert rules.stackable(
        pd.Series([a]), pd.Series([b]), pd.Series([cared_a]), pd.Series([cared_b])
    ).tolist() == [ok]
    # symmetric
    assert rules.is_stackable(b, a, cared_b, cared_a) is ok


def test_stackable_pairs_table(rules):
    pairs = rules.stackable_pairs
    assert len(pairs) == 16 * 16
    row = pairs.query("cat_a == 'K4' and cat_b == 'K8'").iloc[0]
    assert (row["result"], row["rule"]) == ("stack", "k4_exception")
    assert pairs.query("cat_a == 'K1' and cat_b == 'K7'")["result"].tolist() == ["duplicate"]


# ------------------------------------------------------------------------------------ deadlines, calendar


@pytest.mark.parametrize(
    ("applied", "days"),
    [
        ("2021-01-04", 22),  # before NĐ 20: still the 22-day rule (checks.md)
        ("2025-06-30", 22),  # last day of the NĐ 20 procedure
        ("2025-07-01", 10),  # NĐ 147/2025 Art 5
        ("2026-03-02", 10),
        (None, None),
    ],
)
def test_decision_deadline_days(rules, applied, days):
    out = rules.decision_deadline_days(_dates(applied)).iloc[0]
    assert (days is None and pd.isna(out)) or out == days


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        ("2023-03-06", "2023-03-13", 5),  # an ordinary week, Monday to Monday
        ("2023-03-06", "2023-03-06", 0),  # same day: the start day is not counted
        ("2023-01-19", "2023-01-27", 1),  # Tết 2023: 20-26/1 off (29 Tết to mùng 5), only 27/1 works
        ("2023-01-19", "2023-01-30", 2),
        ("2023-04-28", "2023-05-04", 1),  # 29/4-3/5/2023: Giỗ Tổ, 30/4, 1/5 + 2 observed days
        ("2024-04-26", "2024-05-06", 4),  # 29/4/2024 off, swapped with Saturday 4/5/2024 (worked)
        ("2023-01-27", "2023-01-19", -1),  # end before start: negative
        ("2023-03-06", None, None),
    ],
)
def test_working_days_between(rules, start, end, days):
    out = rules.working_days_between(_dates(start), _dates(end)).iloc[0]
    assert (days is None and pd.isna(out)) or out == days


def test_extra_non_working_day_from_yaml(tmp_path, rules):
    extra = tmp_path / "days.yml"
    extra.write_text(
        "table: deadlines\ncalendar:\n  extra_non_working_days:\n"
        "    - {date: 2023-03-08, name: 'test day off', legal_basis: 'Thông báo test'}\n",
        encoding="utf-8",
    )
    start, end = _dates("2023-03-06"), _dates("2023-03-13")
    assert load_rules(extra_files=[extra]).working_days_between(start, end).tolist() == [4]
    assert rules.working_days_between(start, end).tolist() == [5]


@pytest.mark.parametrize(
    ("as_of", "scheme", "min_age", "min_age_poor"),
    [
        ("2020-12-31", "K5c", 80, None),  # NĐ 136/2013
        ("2025-06-30", "K5c", 80, None),  # NĐ 20/2021 Art 5.5.c
        ("2025-07-01", "HTXH", 75, 70),  # social pension, 70+ in poor/near-poor households
    ],
)
def test_elderly_thresholds(rules, as_of, scheme, min_age, min_age_poor):
    rule = rules.elderly_thresholds(pd.Timestamp(as_of))
    assert (rule["scheme"], rule["min_age"], rule["min_age_poor"]) == (scheme, min_age, min_age_poor)
    assert rule["poor_statuses"] == ("poor", "near_poor") and rule["legal_basis"]


# ------------------------------------------------------------------------------------ identity numbers


def test_province_codes(rules):
    codes = rules.province_codes
    assert isinstance(codes, frozenset) and len(codes) == 63
    assert "006" in codes and "019" in codes and "001" in codes
    assert "003" not in codes and "6" not in codes  # 003 was never assigned; codes are 3-digit strings
    assert all(re.fullmatch(r"\d{3}", c) for c in codes)
    assert rules.province_names["006"] == "Bắc Kạn"


def test_id_digit4_and_cmnd(rules):
    table = rules.id_digit4.set_index("digit")
    assert table.loc[0, ["sex", "century"]].tolist() == ["M", 1900]
    assert table.loc[3, ["sex", "century"]].tolist() == ["F", 2000]
    assert table.loc[5, ["sex", "century"]].tolist() == ["F", 2100]
    assert rules.cmnd_valid_until == pd.Timestamp("2024-12-31")


# ------------------------------------------------------------------------------------ citations


def _catalogue_check_ids() -> list[str]:
    text = CHECKS_MD.read_text(encoding="utf-8") + PROJECT_MD.read_text(encoding="utf-8")
    return sorted(set(re.findall(r"^\| `([A-Z_]+)` \|", text, flags=re.MULTILINE)))


def test_check_catalogue_matches_spec():
    assert CHECKS_MD.exists(), "docs/spec/checks.md (the catalogue snapshot) is missing"
    assert sorted(CHECK_IDS) == _catalogue_check_ids()


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_every_check_has_a_legal_basis(rules, check_id):
    vi, en = rules.legal_basis(check_id), rules.legal_basis(check_id, lang="en")
    assert re.search(r"(NĐ|TT|Luật) ", vi), vi
    assert re.search(r"(Decree|Circular|Law)", en), en


def test_legal_basis_content_and_errors(rules):
    # Death stops the benefit under NĐ 20 Art 8 khoản 2 (khoản 3/4 are moves), TT 02 Art 2.
    assert rules.legal_basis("DECEASED_ACTIVE").startswith("NĐ 20/2021/NĐ-CP Điều 8 khoản 2")
    assert "147/2025" in rules.legal_basis("LATE_DECISION")
    with pytest.raises(RuleError, match="NO_SUCH_CHECK"):
        rules.legal_basis("NO_SUCH_CHECK")
    with pytest.raises(InputError, match="language"):
        rules.legal_basis("AGE_OUT", lang="fr")


def test_citations_cover_every_table_with_a_citation(rules):
    cites = rules.citations()
    assert list(cites.columns) == [
        "table",
        "key",
        "valid_from",
        "valid_to",
        "value",
        "legal_basis",
        "confidence",
        "file",
    ]
    assert cites["legal_basis"].str.strip().str.len().gt(0).all()
    assert set(cites["table"]) >= {
        "standard_level",
        "social_pension_level",
        "elderly_eligibility",
        "coefficients",
        "deadlines",
        "age_limits",
        "min_ages",
        "stacking",
        "categories",
        "checks",
        "id_documents",
    }
    hanoi = cites.query("table == 'standard_level' and key == '01'").iloc[0]
    assert (hanoi["valid_from"], hanoi["value"], hanoi["confidence"]) == ("2026-01-01", "650,000 VND", "M")
    k4 = cites.query("table == 'coefficients' and key.str.startswith('K4')").iloc[0]
    assert k4["value"] == "1 per child"


def test_version_and_cache(rules):
    again = load_rules(province_code="06")
    assert re.fullmatch(r"[0-9a-f]{64}", rules.version)
    assert again.version == rules.version
    assert again.tables is rules.tables  # parsed once, shared by every ward of a batch
    assert [p.name for p in rules.files] == sorted(p.name for p in rules.files)
    assert not any(p.parent.name == "optional" for p in rules.files)
