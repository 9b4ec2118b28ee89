"""The Great Expectations suites (expectations/*.json) and audit_toolkit.quality.

GX validation has a fixed cost per call, so the record cases share one validated frame per table
(module fixtures) and each case checks the failures of its own row.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from audit_toolkit.errors import AuditToolkitError, InputError, RuleError
from audit_toolkit.findings import RAW_COLUMNS
from audit_toolkit.messages import catalogue
from audit_toolkit.quality import ENV_VAR, QualityResult, find_suites_dir, load_suites, validate_tables
from audit_toolkit.rules import load_rules
from tests.factories import person, ward

REPO = Path(__file__).resolve().parent.parent
SUITES = REPO / "expectations"

# Rule names used below: the English descriptions of the shipped suites.
ID_MISSING = "Personal ID number is present"
ID_FORMAT = "Personal ID is 12 digits (or a 9-digit CMND)"
ID_PROVINCE = "The first three digits of a 12-digit ID are a real province code (codes listed in the pattern)"
K6_LEVEL = "A K6 line records the disability level"
K6_MILD = "A K6 line is not at level mild (mild disability gives no monthly allowance)"
AMOUNT = "Monthly amount is greater than 0"
DECISION = "Decision date is not before the application date"
END_AFTER_START = "End month is after the start month"
ENDED_HAS_END = "An ended line records its end month"
BIRTH = "Birth date is not before 01/01/1900"
CARED_ID = "The cared-for person's ID is 12 digits (or a 9-digit CMND)"


def coef_rule(prefix: str) -> str:
    """The description of the coefficient rule of a category family (starts with ``prefix``)."""
    matches = [
        r.description("en")
        for r in load_suites(SUITES)["beneficiaries"].rules
        if r.description("en").startswith(f"The coefficient of {prefix}")
    ]
    assert len(matches) == 1, matches
    return matches[0]


# (line overrides, rules the line must fail). The default person is a clean K5c line.
BENEFICIARY_CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    # a clean K5c line at the right coefficient and amount passes every rule
    ("clean", {"coefficient": 1.0, "monthly_amount": 500_000.0}, set()),
    # no ID at all
    ("id_missing", {"national_id": None}, {ID_MISSING}),
    # 5 digits: format fails; the province rule judges only 12-digit IDs
    ("id_short", {"national_id": "12345"}, {ID_FORMAT}),
    # a 9-digit CMND is a valid format (outdated CMNDs are ID_INVALID's pandas part)
    ("id_cmnd", {"national_id": "123456789"}, set()),
    # 12 digits with province code 999
    ("id_province", {"national_id": "999012345678"}, {ID_PROVINCE}),
    # 12 digits with a real code (001 Hà Nội) passes
    ("id_hanoi", {"national_id": "001050123456"}, set()),
    # K6 at level mild is not eligible; no coefficient rule applies to mild
    ("k6_mild", {"category": "K6", "disability_level": "mild", "coefficient": 1.5}, {K6_MILD}),
    # K6 without a level
    ("k6_no_level", {"category": "K6", "coefficient": 1.5}, {K6_LEVEL}),
    # K6 severe: 2.5 is only given at especially severe
    (
        "k6_severe_25",
        {"category": "K6", "disability_level": "severe", "coefficient": 2.5},
        {"coef:K6 (severe)"},
    ),
    # K6 especially severe at 2.5 passes
    ("k6_esp_25", {"category": "K6", "disability_level": "especially_severe", "coefficient": 2.5}, set()),
    # K1 at 2.5 (under 4) passes; at 2.0 it is no K1 coefficient
    ("k1_25", {"category": "K1", "birth_date": "2021-03-01", "coefficient": 2.5}, set()),
    ("k1_20", {"category": "K1", "birth_date": "2021-03-01", "coefficient": 2.0}, {"coef:K1"}),
    # C1 allowed set 1.5 / 2.0
    ("c1_20", {"category": "C1", "coefficient": 2.0}, set()),
    ("c1_10", {"category": "C1", "coefficient": 1.0}, {"coef:C1"}),
    # K4: whole multiples per child
    ("k4_3", {"category": "K4", "coefficient": 3.0}, set()),
    ("k4_15", {"category": "K4", "coefficient": 1.5}, {"coef:K4"}),
    # an amount of 0
    ("amount_zero", {"monthly_amount": 0.0}, {AMOUNT}),
    # decided before the application was made; on the same day is fine
    (
        "decision_before",
        {"application_date": "2022-03-10", "decision_date": "2022-03-01"},
        {DECISION},
    ),
    ("decision_same_day", {"application_date": "2022-03-10", "decision_date": "2022-03-10"}, set()),
    # end month equal to start month
    (
        "end_equals_start",
        {"start_month": "2022-05", "end_month": "2022-05", "status": "ended"},
        {END_AFTER_START},
    ),
    # ended without an end month; with one it passes
    ("ended_undated", {"status": "ended"}, {ENDED_HAS_END}),
    ("ended_dated", {"status": "ended", "end_month": "2023-01"}, set()),
    # suspended without an end month is fine (the suspension dates from as_of)
    ("suspended", {"status": "suspended"}, set()),
    # born before the 1900 sanity bound; 1900-01-01 itself passes
    ("born_1899", {"birth_date": "1899-12-31", "national_id": "006099000001"}, {BIRTH}),
    ("born_1900", {"birth_date": "1900-01-01"}, set()),
    # a care line whose cared-for ID is malformed
    ("cared_for_bad", {"category": "C2", "coefficient": 1.0, "cared_for_id": "123"}, {CARED_ID}),
]


def _expected_names(names: set[str]) -> set[str]:
    """Full rule descriptions; ``"coef:K1"`` names the coefficient rule of that category family."""
    return {coef_rule(n.removeprefix("coef:")) if n.startswith("coef:") else n for n in names}


@pytest.fixture(scope="module")
def beneficiaries_result() -> tuple[pd.DataFrame, QualityResult]:
    lines = [person(**overrides) for _, overrides, _ in BENEFICIARY_CASES]
    table = ward(beneficiaries=lines).tables["beneficiaries"]
    return table, validate_tables({"beneficiaries": table}, suites_dir=SUITES, lang="en")


def _failed_rules(result: QualityResult, table: str, row: int) -> set[str]:
    fails = result.failures.loc[(result.failures["table"] == table) & (result.failures["_row"] == row)]
    described = result.summary.set_index(["table", "rule"])["description"]
    return {str(described[(table, int(n))]) for n in fails["rule"]}


def test_shipped_suites_load() -> None:
    suites = load_suites(SUITES)
    assert sorted(suites) == sorted(
        ["beneficiaries", "payments", "deaths", "disability_certificates", "pensions", "residents", "report"]
    )
    for suite in suites.values():
        assert suite.rules
        for rule in suite.rules:
            assert rule.description("vi") and rule.description("en")
    check_ids = {r.check_id for s in suites.values() for r in s.rules} - {""}
    assert check_ids == {"ID_INVALID", "WRONG_COEFFICIENT", "INELIGIBLE"}
    # Catalogue checks only on the beneficiary list (docs/check-semantics.md: ID_INVALID is beneficiaries only).
    assert all(not r.check_id for t, s in suites.items() if t != "beneficiaries" for r in s.rules)


def test_province_pattern_lists_the_rule_table_codes() -> None:
    rule = next(r for r in load_suites(SUITES)["beneficiaries"].rules if r.description("en") == ID_PROVINCE)
    codes = set(re.findall(r"\d{3}", str(rule.kwargs["regex"]).split(")|")[0]))
    assert codes == set(load_rules().province_codes)


def test_coefficient_rules_with_a_check_id_agree_with_the_rule_tables() -> None:
    # A rule carries WRONG_COEFFICIENT only if its set is exactly what the rules allow for the family,
    # and the rules judge every age (else the check would not flag a failing line: no finding).
    rules = load_rules()
    month = 2023 * 12 + 0
    grid = [x / 2 for x in range(1, 11)]  # 0.5 .. 5.0
    ages = list(range(0, 101))
    checked = 0
    for rule in load_suites(SUITES)["beneficiaries"].rules:
        if rule.check_id != "WRONG_COEFFICIENT":
            continue
        condition = str(rule.kwargs["row_condition"])
        categories = re.findall(r'"(K\w+|C\d|HTXH)"', condition)
        level = re.search(r'disability_level == "(\w+)"', condition)
        for category in categories:
            n = len(grid) * len(ages)
            ok = rules.coefficient_ok(
                pd.Series([category] * n),
                pd.Series([level.group(1) if level else None] * n, dtype=object),
                pd.Series([a for _ in grid for a in ages], dtype="Float64"),
                month,
                pd.Series([c for c in grid for _ in ages]),
            ).to_numpy()
            per_value = ok.reshape(len(grid), len(ages))
            lawful = {c for c, row in zip(grid, per_value, strict=True) if row.any()}
            assert lawful == set(rule.kwargs["value_set"]), (category, lawful)
            unlawful = [row for c, row in zip(grid, per_value, strict=True) if c not in lawful]
            assert all(not row.any() for row in unlawful), f"{category}: some age is not judged"
            checked += 1
    assert checked == 5  # K6 severe, K6 especially severe, K8, C1, C2


@pytest.mark.parametrize(
    ("case", "overrides", "expected"), BENEFICIARY_CASES, ids=[c[0] for c in BENEFICIARY_CASES]
)
def test_beneficiary_rules(
    beneficiaries_result: tuple[pd.DataFrame, QualityResult],
    case: str,
    overrides: dict[str, Any],
    expected: set[str],
) -> None:
    table, result = beneficiaries_result
    index = [c[0] for c in BENEFICIARY_CASES].index(case)
    row = int(table["_row"].iloc[index])
    assert _failed_rules(result, "beneficiaries", row) == _expected_names(expected)


def test_summary_counts_match_failures(beneficiaries_result: tuple[pd.DataFrame, QualityResult]) -> None:
    table, result = beneficiaries_result
    summary = result.summary
    assert list(summary.columns[:9]) == [
        "table",
        "rule",
        "expectation",
        "column",
        "description",
        "check_id",
        "evaluated",
        "unexpected",
        "success",
    ]
    per_rule = result.failures.groupby("rule").size()
    for _, row in summary.iterrows():
        assert row["unexpected"] == per_rule.get(row["rule"], 0)
        assert bool(row["success"]) == (row["unexpected"] == 0)
    not_null_id = summary.loc[summary["description"] == ID_MISSING].iloc[0]
    assert not_null_id["evaluated"] == len(table)
    # The K6-mild rule evaluates only the K6 lines (its row_condition).
    mild = summary.loc[summary["description"] == K6_MILD].iloc[0]
    assert mild["evaluated"] == int(((table["category"] == "K6") & table["disability_level"].notna()).sum())
    assert not result.ok


def test_failure_values_are_displayed(beneficiaries_result: tuple[pd.DataFrame, QualityResult]) -> None:
    table, result = beneficiaries_result
    fails = result.failures.set_index("_row")
    row_of = dict(zip([c[0] for c in BENEFICIARY_CASES], table["_row"], strict=True))
    assert fails.loc[row_of["id_missing"], "value"] == "(empty)"
    assert fails.loc[row_of["decision_before"], "value"] == "01/03/2022, 10/03/2022"
    assert fails.loc[row_of["decision_before"], "column"] == "decision_date, application_date"
    assert fails.loc[row_of["end_equals_start"], "value"] == "05/2022, 05/2022"
    assert fails.loc[row_of["k6_mild"], "value"] == "mild"
    assert fails.loc[row_of["amount_zero"], "value"] == "0"


def test_rows_come_back_by_spreadsheet_row_number() -> None:
    # rows 7, 12 and 30 of the sheet (blank and title rows skipped), frame index shuffled
    table = ward(
        beneficiaries=[person(national_id="12"), person(), person(national_id=None, coefficient=1.0)]
    ).tables["beneficiaries"]
    table["_row"] = [7, 12, 30]
    table = table.set_axis([5, 0, 9]).iloc[[2, 0, 1]]
    result = validate_tables({"beneficiaries": table}, suites_dir=SUITES, lang="vi")
    fails = result.failures.sort_values("_row")
    assert list(fails["_row"]) == [7, 30]
    raw = result.raw_findings()
    assert sorted(s for sources in raw["sources"] for s in sources) == ["beneficiaries:30", "beneficiaries:7"]


def test_a_row_condition_may_name_a_row_key(tmp_path: Path) -> None:
    # GX validates a frame without the row keys; a key a row_condition names stays readable.
    folder = _copy_suites(tmp_path)
    path = folder / "beneficiaries.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["expectations"] = [
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {
                "column": "category",
                "value_set": ["K9"],
                "row_condition": "_row >= 12",
                "condition_parser": "pandas",
            },
            "meta": {"description_vi": "x", "description_en": "x"},
        }
    ]
    path.write_text(json.dumps(doc), encoding="utf-8")
    table = ward(beneficiaries=[person(), person(), person()]).tables["beneficiaries"]
    table["_row"] = [7, 12, 30]
    result = validate_tables({"beneficiaries": table}, suites_dir=folder, lang="en")
    assert list(result.summary["evaluated"]) == [2]
    assert sorted(result.failures["_row"]) == [12, 30]


def test_the_columns_sent_to_the_helper_give_the_same_result() -> None:
    from audit_toolkit.io import load_ward
    from audit_toolkit.quality.results import read_by_validation

    tables = load_ward(REPO / "data" / "sample" / "xuat-hoa").tables
    slim = read_by_validation(tables)
    assert sum(f.shape[1] for f in slim.values()) < sum(f.shape[1] for f in tables.values())
    got, want = validate_tables(slim, lang="en"), validate_tables(tables, lang="en")
    assert len(want.failures) and len(want.finding_rows)  # compared for real
    for attr in ("summary", "failures", "finding_rows"):
        pd.testing.assert_frame_equal(getattr(got, attr), getattr(want, attr))
    pd.testing.assert_frame_equal(got.raw_findings(as_of="2023-02-28"), want.raw_findings(as_of="2023-02-28"))
    assert got.skipped == want.skipped


@pytest.mark.parametrize(
    "drop_row",
    [
        False,  # a loaded table (with `_row`) validates
        True,  # a table that skipped the loader (no `_row`) is a bug, said as such (not a bare ValueError)
    ],
)
def test_a_table_without_row_numbers_is_a_bug(drop_row: bool) -> None:
    table = ward(beneficiaries=[person(national_id="12")]).tables["beneficiaries"]
    if not drop_row:
        assert len(validate_tables({"beneficiaries": table}, suites_dir=SUITES, lang="en").failures) > 0
        return
    with pytest.raises(AuditToolkitError, match=r"^Bug: table beneficiaries has no _row column") as caught:
        validate_tables({"beneficiaries": table.drop(columns="_row")}, suites_dir=SUITES, lang="en")
    assert not isinstance(caught.value, (InputError, RuleError))


def test_rows_of_several_sheets_stay_apart() -> None:
    # one payment table read from two monthly sheets: row 2 of "T1" and row 3 of "T2" fail
    sheet = ward(
        payments=[
            {"national_id": "006050000001", "month": "2023-01", "amount": 0.0},
            {"national_id": "006050000001", "month": "2023-02", "amount": 5.0},
        ]
    ).tables["payments"]
    second = sheet.assign(_sheet="T2", amount=[5.0, -1.0])
    table = pd.concat([sheet.assign(_sheet="T1"), second], ignore_index=True)
    result = validate_tables({"payments": table}, suites_dir=SUITES, lang="en")
    got = result.failures[["_sheet", "_row", "value"]].sort_values("_sheet").values.tolist()
    assert got == [["T1", 2, "0"], ["T2", 3, "-1"]]


def test_other_tables() -> None:
    tables = ward(
        beneficiaries=[person()],
        payments=[
            {"national_id": "006050000001", "month": "2023-01", "amount": 500_000.0},  # passes
            {"national_id": "006050000001", "month": "2023-02", "amount": 0.0},  # amount 0
        ],
        deaths=[
            {"national_id": "006050000002", "birth_date": "1940-01-01", "death_date": "2023-01-05"},  # passes
            {
                "national_id": "006050000003",
                "birth_date": "1940-01-01",
                "death_date": "1939-01-05",
            },  # dies before birth
        ],
        disability_certificates=[
            {
                "national_id": "006050000004",
                "disability_level": "severe",
                "issue_date": "2020-01-01",
            },  # passes
            {"national_id": "006050000005", "disability_level": None, "issue_date": "2020-01-01"},  # no level
        ],
        pensions=[
            {"national_id": "006050000006", "benefit": "pension", "start_month": "2010-01"},  # passes
            {
                "national_id": "006050000007",
                "benefit": "pension",
                "start_month": "2010-01",
                "end_month": "2009-01",
            },
        ],
        residents=[
            {"national_id": "006050000008", "full_name": "Lê Văn Ba", "birth_date": "1950-01-01"},  # passes
            # moved away without a move date
            {
                "national_id": "006050000009",
                "full_name": "Lê Thị Tư",
                "birth_date": "1950-01-01",
                "residence_status": "moved_out",
            },
        ],
        report=[{"category": "TOTAL", "reported_count": 3}, {"category": "K1", "reported_count": -1}],
    ).tables
    result = validate_tables(tables, suites_dir=SUITES, lang="en")
    failed = {
        (t, r): _failed_rules(result, t, r)
        for t, r in result.failures[["table", "_row"]].itertuples(index=False)
    }
    assert failed == {
        ("payments", 3): {"Payment amount is greater than 0"},
        ("deaths", 3): {"Death date is not before birth date"},
        ("disability_certificates", 3): {"Disability level is present"},
        ("pensions", 3): {"End month is after the start month"},
        ("residents", 3): {"A moved-out resident records the move date"},
        ("report", 3): {"Reported count is not negative"},
    }
    assert set(result.summary["table"]) == set(tables)
    # Register tables carry no catalogue check: their failures are for the appendix only.
    assert result.raw_findings(as_of="2023-02-28").empty


def test_raw_findings_only_for_catalogue_rules(
    beneficiaries_result: tuple[pd.DataFrame, QualityResult],
) -> None:
    table, result = beneficiaries_result
    raw = result.raw_findings(as_of="2023-02-28")
    assert list(raw.columns[: len(RAW_COLUMNS)]) == RAW_COLUMNS
    row_of = dict(zip([c[0] for c in BENEFICIARY_CASES], table["_row"], strict=True))
    by_source = {s[0]: r for s, r in zip(raw["sources"], raw.to_dict("records"), strict=True)}
    # ID_INVALID: one per failing row, no discriminator, person fields from the table
    for case in ("id_missing", "id_short", "id_province"):
        rec = by_source[f"beneficiaries:{row_of[case]}"]
        assert rec["check_id"] == "ID_INVALID"
        assert rec["discriminator"] == ""
        assert rec["amount_vnd"] == 0.0
    index = [c[0] for c in BENEFICIARY_CASES].index("id_province")
    rec = by_source[f"beneficiaries:{row_of['id_province']}"]
    assert rec["national_id"] == "999012345678"
    assert rec["person_key"] == table["person_key"].iloc[index]
    assert rec["full_name"] == "Nguyễn Văn An"
    assert rec["detail"] == (
        f"Row {row_of['id_province']} of the beneficiary list fails the rule “{ID_PROVINCE}” "
        "(personal ID: 999012345678). Check the record and correct the list."
    )
    # the scoped rules, per line category
    assert by_source[f"beneficiaries:{row_of['k6_mild']}"]["check_id"] == "INELIGIBLE"
    assert by_source[f"beneficiaries:{row_of['k6_mild']}"]["discriminator"] == "K6"
    assert by_source[f"beneficiaries:{row_of['c1_10']}"]["check_id"] == "WRONG_COEFFICIENT"
    assert by_source[f"beneficiaries:{row_of['c1_10']}"]["discriminator"] == "C1"
    assert by_source[f"beneficiaries:{row_of['k6_severe_25']}"]["discriminator"] == "K6"
    # age-banded families (K1), K4 and the appendix-only rules give no findings
    for case in ("k1_20", "k4_15", "amount_zero", "decision_before", "k6_no_level", "ended_undated"):
        assert f"beneficiaries:{row_of[case]}" not in by_source


# (line overrides, as_of, whether the C1 line's wrong coefficient becomes a WRONG_COEFFICIENT finding)
SCOPE_CASES: list[tuple[dict[str, Any], str | None, bool]] = [
    # open line: active at as_of
    ({}, "2023-02-28", True),
    # ended in 2023-02: not active in 2023-02 (end_month is the first month not active)
    ({"status": "ended", "end_month": "2023-02"}, "2023-02-28", False),
    # ends later: still active at as_of
    ({"status": "ended", "end_month": "2023-03"}, "2023-02-28", True),
    # starts after as_of
    ({"start_month": "2023-03"}, "2023-02-28", False),
    # ended without an end month: active in no month
    ({"status": "ended"}, "2023-02-28", False),
    # no as_of: scoped rules give no findings at all
    ({}, None, False),
]


@pytest.fixture(scope="module")
def scoped_result() -> tuple[pd.DataFrame, QualityResult]:
    base = {"category": "C1", "coefficient": 1.0, "start_month": "2022-01"}
    table = ward(beneficiaries=[person(**{**base, **line}) for line, _, _ in SCOPE_CASES]).tables[
        "beneficiaries"
    ]
    return table, validate_tables({"beneficiaries": table}, suites_dir=SUITES, lang="vi")


@pytest.mark.parametrize("index", range(len(SCOPE_CASES)))
def test_scoped_findings_need_an_active_line(
    scoped_result: tuple[pd.DataFrame, QualityResult], index: int
) -> None:
    table, result = scoped_result
    _, as_of, found = SCOPE_CASES[index]
    source = f"beneficiaries:{int(table['_row'].iloc[index])}"
    assert source.split(":")[1] in result.failures["_row"].astype(str).tolist()  # GX flags it either way
    raw = result.raw_findings(as_of=as_of)
    hits = raw.loc[(raw["check_id"] == "WRONG_COEFFICIENT") & raw["sources"].map(lambda s: source in s)]
    assert len(hits) == int(found)
    if found:
        assert hits["discriminator"].tolist() == ["C1"]


def test_vietnamese_detail(beneficiaries_result: tuple[pd.DataFrame, QualityResult]) -> None:
    table, _ = beneficiaries_result
    result = validate_tables({"beneficiaries": table.iloc[[6]]}, suites_dir=SUITES, lang="vi")  # k6_mild
    raw = result.raw_findings(as_of="2023-02-28")
    row = int(table["_row"].iloc[6])
    assert raw["detail"].tolist() == [
        f"Dòng {row} của danh sách đối tượng không đạt quy tắc “Đối tượng K6 không có mức khuyết tật nhẹ "
        "(khuyết tật nhẹ không thuộc diện hưởng trợ cấp hằng tháng)” (mức độ khuyết tật: nhẹ). "
        "Kiểm tra lại hồ sơ và sửa trong danh sách."
    ]


def _copy_suites(tmp_path: Path) -> Path:
    folder = tmp_path / "expectations"
    shutil.copytree(SUITES, folder)
    return folder


def test_auditor_adds_an_allowed_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = ward(beneficiaries=[person(category="K1", birth_date="2021-03-01", coefficient=2.0)]).tables[
        "beneficiaries"
    ]
    before = validate_tables({"beneficiaries": table}, suites_dir=SUITES, lang="en")
    assert coef_rule("K1") in _failed_rules(before, "beneficiaries", 2)

    folder = _copy_suites(tmp_path)
    path = folder / "beneficiaries.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    for exp in doc["expectations"]:
        if exp["kwargs"].get("row_condition") == 'category == "K1"':
            exp["kwargs"]["value_set"].append(2.0)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    # the edited folder, found through the environment variable
    monkeypatch.setenv(ENV_VAR, str(folder))
    assert find_suites_dir() == folder
    after = validate_tables({"beneficiaries": table}, lang="en")
    assert after.suites_dir == folder
    assert after.failures.empty
    assert after.ok


def _break(doc: dict[str, Any], how: str) -> str | dict[str, Any]:
    exp = doc["expectations"][0]
    if how == "syntax":
        return json.dumps(doc)[:-5]
    if how == "no_description":
        del exp["meta"]["description_vi"]
    elif how == "unknown_check":
        exp["meta"]["check_id"] = "NOT_A_CHECK"
    elif how == "no_parser":
        exp["kwargs"]["row_condition"] = 'category == "K6"'
    elif how == "bad_regex":
        exp["type"] = "expect_column_values_to_match_regex"
        exp["kwargs"]["regex"] = "^(\\d{12}$"
    elif how == "no_list":
        return {"name": "beneficiaries", "rules": []}
    elif how == "no_column":
        exp["kwargs"] = {}
    return doc


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("syntax", "not valid JSON"),  # a bracket lost in editing
        ("no_description", "meta.description_vi"),  # the report needs both languages
        ("unknown_check", "NOT_A_CHECK"),  # a check id not in the catalogue
        ("no_parser", "condition_parser"),  # GX needs the pandas parser for a row_condition
        ("bad_regex", "regex does not compile"),  # an unbalanced parenthesis
        ("no_list", "'expectations' list"),  # the wrong top-level key
        ("no_column", "names no column"),  # kwargs emptied
    ],
)
def test_malformed_suite_file(tmp_path: Path, how: str, message: str) -> None:
    folder = _copy_suites(tmp_path)
    path = folder / "beneficiaries.json"
    broken = _break(json.loads(path.read_text(encoding="utf-8")), how)
    path.write_text(broken if isinstance(broken, str) else json.dumps(broken), encoding="utf-8")
    with pytest.raises(RuleError) as err:
        load_suites(folder)
    assert str(path) in str(err.value)
    assert message in str(err.value)
    assert "\nFix: " in str(err.value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        # an expectation GX does not know
        ({"type": "expect_column_values_to_be_nice"}, "not a valid GX expectation"),
        # a kwarg GX rejects
        ({"kwargs": {"column": "category", "value_sets": ["K1"]}}, "not a valid GX expectation"),
        # a column the table does not have (typo)
        ({"kwargs": {"column": "catgory", "value_set": ["K1"]}}, "catgory"),
        # a row_condition naming an unknown column
        (
            {
                "kwargs": {
                    "column": "category",
                    "value_set": ["K1"],
                    "row_condition": "kategory == 1",
                    "condition_parser": "pandas",
                }
            },
            "could not be evaluated",
        ),
    ],
)
def test_rule_gx_cannot_use(tmp_path: Path, edit: dict[str, Any], message: str) -> None:
    folder = _copy_suites(tmp_path)
    path = folder / "beneficiaries.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["expectations"] = [
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "category", "value_set": ["K1"]},
            "meta": {"description_vi": "x", "description_en": "x"},
            **edit,
        }
    ]
    path.write_text(json.dumps(doc), encoding="utf-8")
    table = ward(beneficiaries=[person()]).tables["beneficiaries"]
    with pytest.raises(RuleError) as err:
        validate_tables({"beneficiaries": table}, suites_dir=folder)
    assert str(path) in str(err.value) and "rule 1" in str(err.value)
    assert message in str(err.value)


def test_unknown_suite_file_and_missing_folder(tmp_path: Path) -> None:
    folder = _copy_suites(tmp_path)
    (folder / "beneficiaries.backup.json").write_text("{}", encoding="utf-8")
    with pytest.raises(RuleError, match="does not name a table"):
        load_suites(folder)
    with pytest.raises(RuleError, match="does not exist"):
        find_suites_dir(tmp_path / "nowhere")


def test_table_without_a_suite_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "only_report"
    folder.mkdir()
    shutil.copy(SUITES / "report.json", folder / "report.json")
    tables = ward(beneficiaries=[person()], report=[{"category": "TOTAL", "reported_count": 1}]).tables
    result = validate_tables(tables, suites_dir=folder, lang="en")
    assert set(result.summary["table"]) == {"report"}
    assert "beneficiaries.json" in result.skipped["beneficiaries"]


def test_tables_above_max_rows_are_skipped() -> None:
    tables = ward(
        beneficiaries=[person(national_id="12")],
        residents=[
            {"national_id": "1", "full_name": "A", "birth_date": "1950-01-01"},
            {"national_id": "2", "full_name": "B", "birth_date": "1950-01-01"},
        ],
    ).tables
    result = validate_tables(tables, suites_dir=SUITES, lang="en", max_rows=1)
    assert set(result.skipped) == {"residents"}
    assert "2 rows, more than the 1-row limit" in result.skipped["residents"]
    residents = result.summary.loc[result.summary["table"] == "residents"]
    assert residents["success"].isna().all()
    assert (residents["note"] == result.skipped["residents"]).all()
    assert set(result.failures["table"]) == {"beneficiaries"}  # the small table is still validated


def test_no_output_and_deterministic(capfd: pytest.CaptureFixture[str]) -> None:
    tables = ward(
        beneficiaries=[person(national_id="12"), person(category="K6", disability_level="mild")]
    ).tables
    first = validate_tables(tables, suites_dir=SUITES)
    second = validate_tables(tables, suites_dir=SUITES)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    pd.testing.assert_frame_equal(first.summary, second.summary)
    pd.testing.assert_frame_equal(first.failures, second.failures)
    pd.testing.assert_frame_equal(
        first.raw_findings(as_of="2023-02-28"), second.raw_findings(as_of="2023-02-28")
    )


def test_importing_the_package_does_not_import_gx() -> None:
    code = (
        "import sys, audit_toolkit, audit_toolkit.quality; "
        "assert 'great_expectations' not in sys.modules, 'GX imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_message_keys_in_both_languages() -> None:
    vi = {k for k in catalogue("vi") if k.startswith("quality.")}
    en = {k for k in catalogue("en") if k.startswith("quality.")}
    assert vi == en
    assert {"quality.finding", "quality.empty", "quality.skipped.too_many_rows"} <= vi
