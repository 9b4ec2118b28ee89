"""rates.yml (data contract §1b): discovery, validation with file and line, levels that win over the
tables month by month, the "Levels applied" query, and audits across 2024-07, 2025-07 and 2026-01."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_toolkit import run_audit
from audit_toolkit.audit import run_batch
from audit_toolkit.cli import main
from audit_toolkit.errors import InputError
from audit_toolkit.io import load_ward
from audit_toolkit.months import month_num
from audit_toolkit.report import write_reports
from audit_toolkit.rules import find_rates_file, load_rules, optional_rule_files, read_rates

# Levels of a province that pays more than the national level in every month from 2024-01.
RATES = """\
standard_level:
  - {valid_from: 2024-01-01, valid_to: 2024-07-01, amount: 400000, legal_basis: "NQ tỉnh A", confidence: H}
  - {valid_from: 2024-07-01, valid_to: 2026-01-01, amount: 550000, legal_basis: "NQ tỉnh B"}
  - {valid_from: 2026-01-01, amount: 600000, legal_basis: "NQ tỉnh C", confidence: L, note: "số hiệu chưa rõ"}
social_pension:
  - {valid_from: 2025-07-01, valid_to: 2026-01-01, amount: 500000, legal_basis: "NĐ 176/2025/NĐ-CP", confidence: H}
  - {valid_from: 2026-01-01, amount: 650000, legal_basis: "NQ tỉnh C"}
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# ------------------------------------------------------------------ discovery


def test_find_rates_file_ward_folder_workbook_and_batch(tmp_path):
    batch = tmp_path / "batch"
    ward = batch / "ward-a"
    ward.mkdir(parents=True)
    # no file anywhere
    assert find_rates_file(ward, batch) is None
    # the batch's file applies to a ward that has none
    _write(batch / "rates.yml", RATES)
    assert find_rates_file(ward, batch) == batch / "rates.yml"
    # the ward's own file wins
    _write(ward / "rates.yml", RATES)
    assert find_rates_file(ward, batch) == ward / "rates.yml"
    # a workbook: <stem>.rates.yml first, then rates.yml in its folder
    book = tmp_path / "solo" / "ward-b.xlsx"
    book.parent.mkdir()
    book.write_bytes(b"")
    assert find_rates_file(book) is None
    _write(book.parent / "rates.yml", RATES)
    assert find_rates_file(book) == book.parent / "rates.yml"
    _write(book.parent / "ward-b.rates.yml", RATES)
    assert find_rates_file(book) == book.parent / "ward-b.rates.yml"


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        # unknown top-level key (a typo of standard_level), line 1
        (
            "standard_levle:\n  - {valid_from: 2026-01-01, amount: 650000, legal_basis: x}\n",
            ["'standard_levle'", "line 1"],
        ),
        # unknown key in a row, line 2
        (
            "standard_level:\n  - {valid_from: 2026-01-01, amount: 650000, legal_basis: x, amout: 1}\n",
            ["'amout'", "line 2"],
        ),
        # missing amount, line 3
        (
            "social_pension:\n  - {valid_from: 2025-07-01, amount: 500000, legal_basis: x, valid_to: 2026-01-01}\n"
            "  - {valid_from: 2026-01-01, legal_basis: x}\n",
            ["amount is missing", "line 3"],
        ),
        # bad date
        (
            "standard_level:\n  - {valid_from: 2026-13-01, amount: 650000, legal_basis: x}\n",
            ["not a date", "line 2"],
        ),
        # missing valid_from
        ("standard_level:\n  - {amount: 650000, legal_basis: x}\n", ["valid_from is missing", "line 2"]),
        # missing legal basis
        (
            "standard_level:\n  - {valid_from: 2026-01-01, amount: 650000}\n",
            ["legal_basis is missing", "line 2"],
        ),
        # overlapping periods: both lines named
        (
            "standard_level:\n  - {valid_from: 2025-01-01, amount: 600000, legal_basis: x}\n"
            "  - {valid_from: 2026-01-01, amount: 650000, legal_basis: y}\n",
            ["lines 2 and 3 overlap"],
        ),
        # below the national level (500,000 from 2024-07): the month and both amounts
        (
            "standard_level:\n  - {valid_from: 2024-01-01, amount: 450000, legal_basis: x}\n",
            ["450,000", "below the national level 500,000", "2024-07", "line 2"],
        ),
        # a social pension below the national one
        (
            "social_pension:\n  - {valid_from: 2025-07-01, amount: 400000, legal_basis: x}\n",
            ["below the national level", "2025-07"],
        ),
        # not a positive amount
        (
            "standard_level:\n  - {valid_from: 2026-01-01, amount: 0, legal_basis: x}\n",
            ["not positive", "line 2"],
        ),
        # a section that is not a list
        ("standard_level: 650000\n", ["not a list", "line 1"]),
        # broken YAML
        ("standard_level:\n  - {valid_from: 2026-01-01, amount: [\n", ["not valid UTF-8 YAML"]),
    ],
)
def test_bad_rates_files_are_input_errors_naming_file_and_line(tmp_path, text, needles):
    path = _write(tmp_path / "w" / "rates.yml", text)
    with pytest.raises(InputError) as err:
        load_rules(province_code="06", rates_file=path)
    message = str(err.value)
    assert str(path.name) in message and "Fix:" in message
    for needle in needles:
        assert needle in message


def test_a_good_rates_file_loads_with_default_confidence_m(tmp_path):
    rates = read_rates(_write(tmp_path / "rates.yml", RATES))
    assert rates.frames["standard_level"]["confidence"].tolist() == ["H", "M", "L"]
    assert rates.lines[("social_pension_level", 1)] == 7


def test_cli_exits_2_on_a_bad_rates_file(tmp_path, capsys):
    ward = _ward(tmp_path / "w", payments=[])
    _write(
        ward / "rates.yml", "standard_level:\n  - {valid_from: 2026-01-01, amount: 100000, legal_basis: x}\n"
    )
    code = main(
        [
            "audit",
            str(ward),
            "--as-of",
            "2026-03-31",
            "--from",
            "2026-01",
            "--out",
            str(tmp_path / "out"),
            "--no-quality",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "rates.yml" in err and "below the national level" in err and "Traceback" not in err


# ------------------------------------------------------------------ RuleSet query


def test_rates_win_over_the_tables_month_by_month(tmp_path):
    path = _write(tmp_path / "rates.yml", RATES)
    plain, with_rates = load_rules(province_code="01"), load_rules(province_code="01", rates_file=path)
    months = [month_num(2024, 6), month_num(2024, 7), month_num(2025, 12), month_num(2026, 1)]
    assert plain.standard_level(months).tolist() == [360_000, 500_000, 500_000, 650_000]
    # rates.yml wins even over the packaged Hà Nội row (650k) for the months it covers
    assert with_rates.standard_level(months).tolist() == [400_000, 550_000, 550_000, 600_000]
    assert with_rates.social_pension_level(months).tolist()[2:] == [500_000, 650_000]
    assert with_rates.version != plain.version and path.resolve() in with_rates.files


def test_levels_applied_lists_each_range_with_source_and_confidence(tmp_path):
    path = _write(
        tmp_path / "rates.yml",
        "standard_level:\n  - {valid_from: 2026-01-01, amount: 700000, legal_basis: NQ X, confidence: L}\n",
    )
    rules = load_rules(province_code="06", rates_file=path)
    got = rules.levels_applied(month_num(2024, 1), month_num(2026, 3))
    rows = [
        tuple(r)
        for r in got[["level", "month_from", "month_to", "amount", "confidence", "source"]].itertuples(
            index=False
        )
    ]
    assert rows == [
        ("standard_level", "2024-01", "2024-06", 360_000, "H", "national"),
        ("standard_level", "2024-07", "2025-12", 500_000, "H", "national"),
        ("standard_level", "2026-01", "2026-03", 700_000, "L", "rates"),
        ("social_pension", "2025-07", "2026-03", 500_000, "M", "national"),
    ]
    assert got["source_file"].iloc[2] == str(path.resolve())


@pytest.mark.parametrize(
    ("code", "month", "expected_amount", "expected_source", "expected_scope"),
    [
        ("30", (2026, 2), 700_000, "province", "31"),  # old Hải Dương code → Hải Phòng from the merger
        ("31", (2026, 2), 700_000, "province", "31"),  # the new (and old) Hải Phòng code
        ("30", (2025, 6), 500_000, "national", "national"),  # before the merger and before the resolution
        ("22", (2024, 10), 700_000, "province", "22"),  # Quảng Ninh 700k from 2024-10 [M]
        ("01", (2025, 12), 500_000, "national", "national"),  # Hà Nội before NQ 63/2025
        ("1", (2026, 1), 650_000, "province", "01"),  # Hà Nội NQ 63/2025/NQ-HĐND, code written "1"
        ("79", (2026, 1), 500_000, "national", "national"),  # TP HCM: no verified provincial level
        ("74", (2026, 1), 500_000, "national", "national"),  # Bình Dương → TP HCM: national too
    ],
)
def test_provincial_levels_and_the_2025_merger(code, month, expected_amount, expected_source, expected_scope):
    rules = load_rules(province_code=code)
    m = month_num(*month)
    row = rules.levels_applied(m, m).iloc[0]
    assert (row["amount"], row["source"], row["scope"]) == (expected_amount, expected_source, expected_scope)
    assert rules.standard_level([m]).iloc[0] == expected_amount


def test_optional_nd_335_covers_both_levels_and_is_reported_as_extra():
    default = load_rules()
    assert default.standard_level([month_num(2026, 7)]).iloc[0] == 500_000
    rules = load_rules(extra_files=optional_rule_files("nd-335-2026"))
    m = month_num(2026, 7)
    assert rules.standard_level([m]).iloc[0] == 540_000
    assert rules.social_pension_level([m]).iloc[0] == 540_000
    got = rules.levels_applied(m, m)
    assert got["source"].tolist() == ["extra", "extra"] and set(got["confidence"]) == {"L"}
    with pytest.raises(InputError):
        optional_rule_files("nd-999-2030")


def test_deadline_of_nd_147_ends_on_2027_03_01():
    import pandas as pd

    days = load_rules().decision_deadline_days(pd.Series(pd.to_datetime(["2027-02-28", "2027-03-01"])))
    assert days.iloc[0] == 10 and pd.isna(days.iloc[1])


# ------------------------------------------------------------------ audits across 2024-07, 2025-07, 2026-01

BEN = [
    # a K1 child of 9-11 (coefficient 1.5) and an HTXH elder from 2025-07
    "record_id,full_name,birth_date,sex,national_id,category,coefficient,start_month,status",
    "R1,Nông Văn Khang,2015-05-01,Nam,006215001234,K1,1.5,2023-01,đang hưởng",
    "R2,Hoàng Thị Lụa,1944-03-01,Nữ,006144005678,HTXH,1,2025-07,đang hưởng",
]
STD = {(2024, m): 400_000 for m in range(1, 7)} | {
    (y, m): 550_000 for y in (2024, 2025) for m in range(1, 13) if (y, m) >= (2024, 7)
}
STD |= {(2026, m): 600_000 for m in range(1, 4)}
PEN = {(2025, m): 500_000 for m in range(7, 13)} | {(2026, m): 650_000 for m in range(1, 4)}


def _payments(wrong: dict[tuple[str, tuple[int, int]], int] | None = None) -> list[str]:
    rows = []
    for (y, m), level in sorted(STD.items()):
        amount = (wrong or {}).get(("R1", (y, m)), int(1.5 * level))
        rows.append(f"R1,Nông Văn Khang,006215001234,{y}-{m:02d},{amount},")
    for (y, m), level in sorted(PEN.items()):
        amount = (wrong or {}).get(("R2", (y, m)), level)
        rows.append(f"R2,Hoàng Thị Lụa,006144005678,{y}-{m:02d},{amount},")
    return rows


def _ward(folder: Path, *, payments: list[str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ward.yml").write_text(
        'ward_code: "01840"\nward_name: "Phường Thử"\nprovince_code: "06"\n', encoding="utf-8"
    )
    (folder / "beneficiaries.csv").write_text("\n".join(BEN) + "\n", encoding="utf-8")
    pay = [
        "record_id,full_name,national_id,month,amount,paid",
        *(_payments() if payments is None else payments),
    ]
    (folder / "payments.csv").write_text("\n".join(pay) + "\n", encoding="utf-8")
    return folder


_KW = {"as_of": "2026-03-31", "period_from": "2024-01", "quality": False}


def _wrong(result) -> list[tuple[str, float]]:
    f = result.findings
    f = f.loc[f["check_id"] == "WRONG_AMOUNT"]
    return sorted(zip(f["full_name"], f["amount_vnd"], strict=True))


def test_correct_payments_at_the_provincial_levels_give_no_wrong_amount(tmp_path):
    ward = _ward(tmp_path / "w")
    _write(ward / "rates.yml", RATES)
    result = run_audit(ward, **_KW)
    assert _wrong(result) == []
    # the same payments without rates.yml are overpaid against the national levels
    (ward / "rates.yml").unlink()
    assert {name for name, amount in _wrong(run_audit(ward, **_KW)) if amount > 0} == {
        "Nông Văn Khang",
        "Hoàng Thị Lụa",
    }


def test_a_payment_below_the_provincial_level_is_wrong_amount_for_that_month(tmp_path):
    # 2026-02: K1 paid at the 2025 level (1.5 × 550k) instead of 1.5 × 600k; HTXH 2026-01 paid 500k, not 650k.
    wrong = {("R1", (2026, 2)): 825_000, ("R2", (2026, 1)): 500_000}
    ward = _ward(tmp_path / "w", payments=_payments(wrong))
    _write(ward / "rates.yml", RATES)
    assert _wrong(run_audit(ward, **_KW)) == [("Hoàng Thị Lụa", -150_000.0), ("Nông Văn Khang", -75_000.0)]


def test_report_and_manifest_list_each_range(tmp_path):
    ward = _ward(tmp_path / "w")
    _write(ward / "rates.yml", RATES)
    result = run_audit(ward, **_KW)
    folder = write_reports(result, tmp_path / "out")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    ranges = [
        (r["level"], r["month_from"], r["month_to"], r["amount_vnd"], r["source"], r["needs_confirmation"])
        for r in manifest["levels_applied"]
    ]
    assert ranges == [
        ("standard_level", "2024-01", "2024-06", 400_000, "rates", False),
        ("standard_level", "2024-07", "2025-12", 550_000, "rates", True),
        ("standard_level", "2026-01", "2026-03", 600_000, "rates", True),
        ("social_pension", "2025-07", "2025-12", 500_000, "rates", False),
        ("social_pension", "2026-01", "2026-03", 650_000, "rates", True),
    ]
    assert manifest["parameters"]["rates_file"].endswith("rates.yml")
    html = (folder / "report.html").read_text(encoding="utf-8")
    section = html[html.index('id="levels"') : html.index('id="charts"')]
    assert "Mức chuẩn đã áp dụng" in section and "cần xác nhận" in section
    for text in ("01/2024 – 06/2024", "07/2024 – 12/2025", "01/2026 – 03/2026", "NQ tỉnh B", "rates.yml"):
        assert text in section
    assert section.count('class="needs-confirm"') == 3


def test_report_without_low_confidence_has_no_confirm_notice(tmp_path):
    ward = _ward(tmp_path / "w")
    result = run_audit(ward, as_of="2024-06-30", period_from="2024-01", quality=False)
    html = (write_reports(result, tmp_path / "out") / "report.html").read_text(encoding="utf-8")
    section = html[html.index('id="levels"') : html.index('id="charts"')]
    assert "06/2024" in section and "cần xác nhận" not in section and "needs-confirm" not in section


def test_batch_rates_apply_to_wards_without_their_own(tmp_path):
    batch = tmp_path / "batch"
    _ward(batch / "a")
    _ward(batch / "b")
    _write(batch / "rates.yml", RATES)
    # ward b states a lower (still legal) 2026 level of its own: its file wins over the batch's
    _write(batch / "b" / "rates.yml", RATES.replace("amount: 600000", "amount: 500000"))
    out = run_batch(batch, **_KW)
    by_ward = {r.ward.path.name: r for r in out.results}
    assert _wrong(by_ward["a"]) == []
    assert by_ward["a"].parameters["rates_file"] == str((batch / "rates.yml").resolve())
    # b's own 2026 level (500k) makes the K1 line overpaid 3 months × 1.5 × 100k; the HTXH line is unchanged.
    assert _wrong(by_ward["b"]) == [("Nông Văn Khang", 450_000.0)]
    assert load_ward(batch / "b").rates_file == batch / "b" / "rates.yml"


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_rules_extra_enables_nd_335_and_the_levels_say_so(tmp_path, monkeypatch, how):
    ward = _ward(tmp_path / "w", payments=[])
    kw = {"as_of": "2026-08-31", "period_from": "2026-06", "quality": False}
    if how == "argument":
        result = run_audit(ward, rules_extra=["nd-335-2026"], **kw)
    else:  # what `audit-toolkit notebook --rules-extra` hands the notebook kernel
        monkeypatch.setenv("AUDIT_TOOLKIT_RULES_EXTRA", "nd-335-2026")
        result = run_audit(ward, **kw)
    levels = result.context.rules.levels_applied(result.period_start, result.period_end)
    got = [(r.level, r.month_from, r.amount, r.source) for r in levels.itertuples()]
    assert got == [
        ("standard_level", "2026-06", 500_000, "national"),
        ("standard_level", "2026-07", 540_000, "extra"),
        ("social_pension", "2026-06", 500_000, "national"),
        ("social_pension", "2026-07", 540_000, "extra"),
    ]
    assert len(result.parameters["rules_extra"]) == 2


def test_without_rules_extra_2026_07_stays_at_500k(tmp_path, monkeypatch):
    monkeypatch.delenv("AUDIT_TOOLKIT_RULES_EXTRA", raising=False)
    ward = _ward(tmp_path / "w", payments=[])
    result = run_audit(ward, as_of="2026-08-31", period_from="2026-06", quality=False)
    levels = result.context.rules.levels_applied(result.period_start, result.period_end)
    assert set(levels["amount"]) == {500_000} and set(levels["source"]) == {"national"}


def test_cli_rules_extra_unknown_name_exits_2(tmp_path, capsys):
    ward = _ward(tmp_path / "w", payments=[])
    args = ["audit", str(ward), "--as-of", "2026-08-31", "--out", str(tmp_path / "o"), "--no-quality"]
    assert main([*args, "--rules-extra", "nd-999"]) == 2
    assert "nd-335-2026" in capsys.readouterr().err  # the fix lists the shipped optional sets


_RULESETS: dict[tuple[str | None, bool, bool], object] = {}


def _ruleset(code: str | None, extra: bool, with_rates: bool, rates_path: Path):
    key = (code, extra, with_rates)
    if key not in _RULESETS:
        _RULESETS[key] = load_rules(
            province_code=code,
            extra_files=optional_rule_files("nd-335-2026") if extra else (),
            rates_file=rates_path if with_rates else None,
        )
    return _RULESETS[key]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    code=st.sampled_from([None, "01", "06", "22", "30", "31", "74", "79"]),
    extra=st.booleans(),
    with_rates=st.booleans(),
    start=st.integers(month_num(2020, 1), month_num(2027, 12)),
    length=st.integers(0, 48),
)
def test_levels_applied_agrees_with_the_level_lookups_month_by_month(
    tmp_path_factory, code, extra, with_rates, start, length
):
    rates_path = tmp_path_factory.getbasetemp() / "rates-property.yml"
    if not rates_path.exists():
        rates_path.write_text(
            RATES.replace(
                "2024-01-01, valid_to: 2024-07-01, amount: 400000",
                "2021-07-01, valid_to: 2024-07-01, amount: 400000",
            ),
            encoding="utf-8",
        )
    rules = _ruleset(code, extra, with_rates, rates_path)
    end = start + length
    got = rules.levels_applied(start, end)
    months = list(range(start, end + 1))
    for level, lookup in (
        ("standard_level", rules.standard_level),
        ("social_pension", rules.social_pension_level),
    ):
        expected = dict(zip(months, lookup(months).tolist(), strict=True))
        covered: dict[int, float] = {}
        rows = got.loc[got["level"] == level]
        for row in rows.itertuples():
            a, b = (int(x[:4]) * 12 + int(x[5:]) - 1 for x in (row.month_from, row.month_to))
            for m in range(a, b + 1):
                assert m not in covered  # ranges never overlap
                covered[m] = row.amount
        # every month with a level is listed once, at the amount the checks use; no other month is
        assert covered == {m: v for m, v in expected.items() if v == v}
        # adjacent ranges differ in amount or origin (otherwise they would be one range)
        starts = [int(x[:4]) * 12 + int(x[5:]) - 1 for x in rows["month_from"]]
        ends = [int(x[:4]) * 12 + int(x[5:]) - 1 for x in rows["month_to"]]
        keys = list(
            zip(rows["amount"], rows["source"], rows["source_file"], rows["legal_basis"], strict=True)
        )
        for k in range(len(keys) - 1):
            if starts[k + 1] == ends[k] + 1:
                assert keys[k] != keys[k + 1]
