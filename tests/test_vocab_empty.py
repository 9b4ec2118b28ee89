"""Empty means unknown (issue 7): no vocabulary maps an empty cell to a value unless the contract
gives a default, tick marks still read as yes, and CSV and xlsx of the same ward give the same findings."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit_toolkit import run_audit
from audit_toolkit.contract import VOCABULARIES, _load_vocabularies
from audit_toolkit.errors import RuleError
from audit_toolkit.io import load_ward
from audit_toolkit.normalize import fold, normalize_vocab

# The only contract defaults for an empty cell (data contract §2): status → active, paid → received.
DEFAULTS = {"status": "active", "paid": True}


def _map(name: str, cells: list[object]) -> tuple[list[object], list[bool]]:
    v = VOCABULARIES[name]
    parsed = normalize_vocab(
        pd.Series(cells, dtype=object),
        v.mapping,
        patterns=list(v.patterns),
        fallback=v.fallback,
        symbols=v.symbols,
    )
    return parsed.values.tolist(), parsed.bad.tolist()


def test_contract_defaults_are_exactly_the_documented_ones():
    assert {n: v.default for n, v in VOCABULARIES.items() if v.default is not None} == DEFAULTS


@pytest.mark.parametrize("name", sorted(VOCABULARIES))
def test_no_vocabulary_has_an_empty_key(name):
    assert "" not in VOCABULARIES[name].mapping


blank_cells = st.one_of(
    st.none(),
    st.text(alphabet=" \t\u00a0\n", max_size=4),
)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(VOCABULARIES)), cell=blank_cells)
def test_empty_cell_is_unknown_never_a_value(name, cell):
    values, bad = _map(name, [cell])
    # Unknown (NA) and not unreadable; the default is the caller's (convert.py), never the mapping's.
    assert values[0] is None or values[0] != values[0]
    assert bad == [False]


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_every_label_maps_to_its_code_whatever_its_spacing_or_case(data):
    name = data.draw(st.sampled_from(sorted(VOCABULARIES)))
    v = VOCABULARIES[name]
    key = data.draw(st.sampled_from(sorted(v.mapping)))
    pad = data.draw(st.sampled_from(["", " ", "  ", "\t"]))
    cell = pad + data.draw(st.sampled_from([key, key.upper()])) + pad
    values, bad = _map(name, [cell])
    assert bad == [False]
    assert values[0] == v.mapping[key] or (values[0] is None and v.mapping[key] is None)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_symbol_maps_to_its_code_with_any_padding(data):
    name = data.draw(st.sampled_from(sorted(n for n, v in VOCABULARIES.items() if v.symbols)))
    v = VOCABULARIES[name]
    mark = data.draw(st.sampled_from(sorted(v.symbols)))
    pad = data.draw(st.sampled_from(["", " ", "\u00a0", "\t"]))
    values, bad = _map(name, [pad + mark + pad])
    assert values == [v.symbols[mark]] and bad == [False]


@pytest.mark.parametrize(
    ("name", "cell", "expected"),
    [
        ("yes_no", "✓", True),  # tick mark
        ("yes_no", " ✔ ", True),  # heavy tick, padded
        ("yes_no", "x", True),  # cross as tick
        ("yes_no", "X", True),
        ("yes_no", "√", True),  # square-root sign used as a tick in offices
        ("paid", "✓", True),
        ("paid", "x", True),
        ("yes_no", "không", False),
        ("paid", "chưa nhận", False),
    ],
)
def test_tick_marks_read_as_yes_where_the_contract_says(name, cell, expected):
    values, bad = _map(name, [cell])
    assert values == [expected] and bad == [False]


@pytest.mark.parametrize(
    "name", ["sex", "status", "residence_status", "poverty_status", "benefit", "disability_level"]
)
def test_a_tick_mark_is_not_a_label_of_other_vocabularies(name):
    # "✓" in a sex or status column means nothing: unreadable (or the fallback), never silently a value.
    values, bad = _map(name, ["✓"])
    assert bad == [True] and (values[0] is None or values[0] != values[0])


@pytest.mark.parametrize(
    ("yaml_text", "needle"),
    [
        # a tick mark written as a label folds to "" and would match every empty CSV cell
        ('yes_no:\n  dtype: boolean\n  values:\n    "true": [có, "✓"]\n', "'✓'"),
        # a dash the same
        ('paid:\n  values:\n    "false": ["-"]\n', "'-'"),
        # a blank symbol
        ('yes_no:\n  values:\n    "true": [có]\n  symbols: {" ": "true"}\n', "blank symbol"),
        # an unknown key (typo of symbols)
        ('yes_no:\n  values:\n    "true": [có]\n  symbol: {"✓": "true"}\n', "'symbol'"),
    ],
)
def test_bad_vocabulary_files_fail_at_load_naming_vocabulary_and_label(tmp_path, yaml_text, needle):
    path = tmp_path / "vocabularies.yml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(RuleError) as err:
        _load_vocabularies(path)
    text = str(err.value)
    assert "vocabularies.yml" in text and needle in text and "Fix:" in text


def test_the_packaged_vocabularies_load_and_every_label_is_non_empty():
    vocabs = _load_vocabularies()
    assert all(fold(k) for v in vocabs.values() for k in v.mapping)


# ------------------------------------------------------------------------- CSV vs xlsx, one ward

BEN_HEADER = [
    "record_id",
    "full_name",
    "birth_date",
    "sex",
    "national_id",
    "category",
    "coefficient",
    "monthly_amount",
    "start_month",
    "status",
    "studying",
]
# Two K1 children past 16 in 2022 with a BLANK studying cell (AGE_OUT expected), one studying by a
# tick mark (continues as K2: no AGE_OUT), one with a blank status (active by contract default).
BEN_ROWS = [
    [
        "A1",
        "Nguyễn Văn An",
        "2005-03-10",
        "Nam",
        "006205000011",
        "K1",
        "2.5",
        "900000",
        "2020-01",
        "đang hưởng",
        "",
    ],
    ["A2", "Trần Thị Bình", "2005-06-01", "Nữ", "006305000022", "K1", "2.5", "900000", "2020-01", "", ""],
    [
        "A3",
        "Lê Văn Cường",
        "2005-01-20",
        "Nam",
        "006205000033",
        "K1",
        "2.5",
        "900000",
        "2020-01",
        "đang hưởng",
        "✓",
    ],
    [
        "A4",
        "Phạm Văn Dũng",
        "2006-08-15",
        "Nam",
        "006206000044",
        "K1",
        "2.5",
        "900000",
        "2020-01",
        "đang hưởng",
        "x",
    ],
]
PAY_HEADER = ["record_id", "full_name", "national_id", "month", "amount", "paid"]


def _pay_rows() -> list[list[str]]:
    rows = []
    for rec in BEN_ROWS:
        for m in range(1, 13):
            # blank paid cells (received by contract default) alternate with tick marks
            rows.append([rec[0], rec[1], rec[4], f"2022-{m:02d}", "900000", "" if m % 2 else "✓"])
    return rows


def _write_csv(folder: Path) -> None:
    folder.mkdir()
    for name, header, rows in (
        ("beneficiaries", BEN_HEADER, BEN_ROWS),
        ("payments", PAY_HEADER, _pay_rows()),
    ):
        lines = [",".join(header)] + [",".join(r) for r in rows]
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_xlsx(path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, header, rows in (
        ("beneficiaries", BEN_HEADER, BEN_ROWS),
        ("payments", PAY_HEADER, _pay_rows()),
    ):
        ws = wb.create_sheet(name)
        ws.append(header)
        for r in rows:
            ws.append([None if c == "" else c for c in r])  # an empty xlsx cell is no cell
    wb.save(path)


def _summary(result) -> list[tuple[str, str, float]]:
    f = result.findings
    # source names the file (beneficiaries.csv vs ward.xlsx [beneficiaries]): compare the rest.
    return sorted(
        zip(f["check_id"], f["national_id"].astype(str), f["detail"], f["amount_vnd"].fillna(-1), strict=True)
    )


def test_csv_and_xlsx_of_the_same_ward_give_identical_findings(tmp_path):
    _write_csv(tmp_path / "ward-csv")
    _write_xlsx(tmp_path / "ward.xlsx")
    csv_ward, xlsx_ward = load_ward(tmp_path / "ward-csv"), load_ward(tmp_path / "ward.xlsx")
    for table in ("beneficiaries", "payments"):
        a, b = csv_ward.tables[table], xlsx_ward.tables[table]
        for col in ("studying", "status", "paid"):
            if col in a:
                assert a[col].tolist() == b[col].tolist(), (table, col)
    ben = csv_ward.tables["beneficiaries"]
    assert ben["studying"].isna().tolist() == [True, True, False, False]
    assert ben["status"].tolist() == ["active"] * 4
    assert csv_ward.tables["payments"]["paid"].all()
    kw = {"as_of": "2022-12-31", "period_from": "2022-01", "quality": False}
    got_csv, got_xlsx = run_audit(csv_ward, **kw), run_audit(xlsx_ward, **kw)
    assert _summary(got_csv) == _summary(got_xlsx)
    age_out = set(got_csv.findings.loc[got_csv.findings["check_id"] == "AGE_OUT", "full_name"])
    # The two blank-studying children past 16 are found; the two ticked ones continue as K2.
    assert age_out == {"Nguyễn Văn An", "Trần Thị Bình"}
