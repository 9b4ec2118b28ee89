"""Rule files: validation errors (file, row, fix), extra files superseding rows, golden round-trip."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from audit_toolkit.errors import RuleError
from audit_toolkit.months import month_num
from audit_toolkit.rules import PACKAGED_DIR, TABLES, load_rules


@pytest.fixture
def rule_dir(tmp_path: Path) -> Path:
    """A writable copy of the packaged rule set (without the optional files)."""
    target = tmp_path / "rules"
    target.mkdir()
    for path in PACKAGED_DIR.glob("*.yml"):
        shutil.copy(path, target / path.name)
    return target


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


STANDARD_OVERLAP = """\
table: standard_level
national:
  - {valid_from: 2021-07-01, valid_to: 2024-07-01, amount: 360000, legal_basis: "NĐ 20/2021/NĐ-CP Điều 4"}
  - {valid_from: 2024-06-01, valid_to: null, amount: 500000, legal_basis: "NĐ 76/2024/NĐ-CP"}
"""


def test_packaged_rules_load_and_hold_every_table():
    rules = load_rules()
    assert {p.stem for p in rules.files} == set(TABLES)


def test_overlapping_periods_are_rejected(rule_dir):
    _write(rule_dir / "standard_level.yml", STANDARD_OVERLAP)
    with pytest.raises(RuleError) as err:
        load_rules(rule_dir)
    message = str(err.value)
    assert "Overlapping periods in standard_level" in message
    assert "2021-07-01..2024-07-01" in message and "2024-06-01..open" in message
    assert "standard_level.yml" in message and "Fix:" in message


def test_adjacent_periods_are_accepted(rule_dir):
    # valid_to is exclusive: a row ending 2024-07-01 and one starting 2024-07-01 do not overlap.
    _write(rule_dir / "standard_level.yml", STANDARD_OVERLAP.replace("2024-06-01", "2024-07-01"))
    assert load_rules(rule_dir).standard_level(month_num(2024, 7)).tolist() == [500_000]


def test_overlap_inside_an_extra_file_is_rejected(tmp_path):
    extra = _write(tmp_path / "x.yml", STANDARD_OVERLAP)
    with pytest.raises(RuleError, match="Overlapping periods in standard_level of x.yml"):
        load_rules(extra_files=[extra])


def test_valid_to_before_valid_from(rule_dir):
    _write(
        rule_dir / "standard_level.yml",
        'table: standard_level\nnational:\n  - {valid_from: 2024-07-01, valid_to: 2024-01-01, amount: 1, legal_basis: "x"}\n',
    )
    with pytest.raises(
        RuleError,
        match=r"valid_to 2024-01-01 is not after valid_from 2024-07-01 \(file standard_level.yml, section 'national', row 1\)",
    ):
        load_rules(rule_dir)


def test_missing_citation_names_file_and_row(rule_dir):
    text = (rule_dir / "coefficients.yml").read_text(encoding="utf-8")
    # drop the citation of the second K3 row (row 5 of 'rows')
    text = text.replace(
        'coefficient: 2.0, valid_from: 2021-07-01, valid_to: null, legal_basis: "NĐ 20/2021/NĐ-CP Điều 6 khoản 1 điểm c", ',
        "coefficient: 2.0, valid_from: 2021-07-01, valid_to: null, ",
    )
    _write(rule_dir / "coefficients.yml", text)
    with pytest.raises(RuleError) as err:
        load_rules(rule_dir)
    assert "legal_basis is missing (file coefficients.yml, section 'rows', row 5)" in str(err.value)
    assert "Fix: add legal_basis" in str(err.value)


def test_missing_citation_in_extra_file(tmp_path):
    extra = _write(
        tmp_path / "local.yml",
        "table: standard_level\nnational:\n  - {valid_from: 2027-01-01, amount: 600000}\n",
    )
    with pytest.raises(
        RuleError, match=r"legal_basis is missing \(file local.yml, section 'national', row 1\)"
    ):
        load_rules(extra_files=[extra])


def test_check_without_legal_basis(rule_dir):
    doc = yaml.safe_load((rule_dir / "legal_basis.yml").read_text(encoding="utf-8"))
    del doc["checks"]["LATE_DECISION"]
    _write(rule_dir / "legal_basis.yml", yaml.safe_dump(doc, allow_unicode=True))
    with pytest.raises(RuleError, match="no legal basis for check\\(s\\) LATE_DECISION"):
        load_rules(rule_dir)


def test_unknown_category_code(rule_dir):
    text = (rule_dir / "coefficients.yml").read_text(encoding="utf-8")
    _write(rule_dir / "coefficients.yml", text.replace("{category: K7,", "{category: K9,"))
    with pytest.raises(RuleError, match="category 'K9' is not a known category code"):
        load_rules(rule_dir)


def test_unknown_category_in_stacking(rule_dir):
    text = (rule_dir / "stacking.yml").read_text(encoding="utf-8")
    _write(rule_dir / "stacking.yml", text.replace("a: [K4], b: [K5a,", "a: [K4x], b: [K5a,"))
    with pytest.raises(RuleError, match="'K4x' is not a known category code"):
        load_rules(rule_dir)


def test_overlapping_age_bands(rule_dir):
    text = (rule_dir / "coefficients.yml").read_text(encoding="utf-8")
    _write(
        rule_dir / "coefficients.yml",
        text.replace(
            "{category: K1, disability_level: null, age_min: 0, age_max: 4,",
            "{category: K1, disability_level: null, age_min: 0, age_max: 5,",
        ),
    )
    with pytest.raises(RuleError, match=r"Overlapping periods in coefficients: \[K1 age 0..5\]"):
        load_rules(rule_dir)


def test_missing_and_duplicate_tables(rule_dir):
    (rule_dir / "stacking.yml").rename(rule_dir / "stacking.bak")
    with pytest.raises(RuleError, match="lacks table\\(s\\) stacking"):
        load_rules(rule_dir)
    (rule_dir / "stacking.bak").rename(rule_dir / "stacking.yml")
    shutil.copy(rule_dir / "stacking.yml", rule_dir / "stacking-copy.yml")
    with pytest.raises(RuleError, match="defined twice"):
        load_rules(rule_dir)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("table: stacking\nrules: []\n", "cannot change"),  # stacking is not extendable
        ("table: nonsense\n", "unknown table 'nonsense'"),
        ("national: []\n", "no 'table:' key"),
        ("table: standard_level\nnational: [\n", "not valid UTF-8 YAML"),
        (
            "table: deadlines\ncalendar:\n  extra_working_days:\n    - {date: 2024-05-06, legal_basis: x}\n",
            "is a weekday",
        ),
        (
            "table: standard_level\nnational:\n  - {valid_from: 2027-01-01, amount: 'much', legal_basis: x}\n",
            "is not a number",
        ),
        (
            "table: standard_level\nnational:\n  - {valid_from: 2027-13-01, amount: 1, legal_basis: x}\n",
            "is not a date",
        ),
        (
            "table: standard_level\nnational:\n  - {valid_from: 2027-01-01, amount: 1, legal_basis: x, confidence: Q}\n",
            "not H, M or L",
        ),
    ],
)
def test_malformed_extra_files(tmp_path, text, match):
    extra = _write(tmp_path / "extra.yml", text)
    with pytest.raises(RuleError, match=match):
        load_rules(extra_files=[extra])


def test_extra_coefficient_row_supersedes_for_its_period_only(tmp_path):
    extra = _write(
        tmp_path / "k1.yml",
        "table: coefficients\nrows:\n"
        "  - {category: K1, age_min: 0, age_max: 4, coefficient: 3.0, valid_from: 2026-01-01, legal_basis: 'NĐ test'}\n",
    )
    rules = load_rules(extra_files=[extra])
    cats, ages = pd.Series(["K1", "K1", "K1"]), pd.Series([2, 2, 10])
    months = pd.Series([month_num(2025, 12), month_num(2026, 1), month_num(2026, 1)])
    assert rules.expected_coefficient(cats, None, ages, months).tolist() == [2.5, 3.0, 1.5]


def test_extra_legal_basis_replaces_one_check(tmp_path):
    extra = _write(
        tmp_path / "lb.yml", "table: legal_basis\nchecks:\n  AGE_OUT: {vi: 'NĐ 335/2026/NĐ-CP Điều 5'}\n"
    )
    rules = load_rules(extra_files=[extra])
    assert rules.legal_basis("AGE_OUT") == "NĐ 335/2026/NĐ-CP Điều 5"
    assert rules.legal_basis("AGE_OUT", lang="en") == "NĐ 335/2026/NĐ-CP Điều 5"  # no en given: vi reused
    assert rules.legal_basis("DECEASED_ACTIVE") == load_rules().legal_basis("DECEASED_ACTIVE")


def test_edited_file_is_reloaded_not_served_from_cache(rule_dir):
    first = load_rules(rule_dir)
    _write(
        rule_dir / "standard_level.yml",
        STANDARD_OVERLAP.replace("2024-06-01", "2024-07-01").replace("500000", "510000"),
    )
    second = load_rules(rule_dir)
    assert second.version != first.version
    assert second.standard_level(month_num(2024, 7)).tolist() == [510_000]


# ------------------------------------------------------------------------------------ golden round-trip


def _without_provenance(rules) -> dict[str, pd.DataFrame]:
    return {name: frame.drop(columns="file", errors="ignore") for name, frame in rules.tables.items()}


def test_round_trip_load_dump_load_is_equal(tmp_path):
    original = load_rules()
    written = original.dump(tmp_path / "dump")
    assert {p.stem for p in written} == set(TABLES)
    again = load_rules(tmp_path / "dump")
    a, b = _without_provenance(original), _without_provenance(again)
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
    pd.testing.assert_frame_equal(
        original.citations().drop(columns="file"), again.citations().drop(columns="file")
    )
    # the dump is canonical: dumping the reloaded set gives the same bytes
    again.dump(tmp_path / "dump2")
    for path in written:
        assert (tmp_path / "dump2" / path.name).read_bytes() == path.read_bytes()


def test_round_trip_keeps_superseded_rows(tmp_path):
    from audit_toolkit.rules import OPTIONAL_DIR

    original = load_rules(extra_files=[OPTIONAL_DIR / "nd-335-2026.yml"])
    original.dump(tmp_path / "dump")
    again = load_rules(tmp_path / "dump")
    months = pd.Series([month_num(2026, 6), month_num(2026, 7)])
    assert again.standard_level(months).tolist() == [500_000, 540_000]
