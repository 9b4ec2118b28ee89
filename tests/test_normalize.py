"""Normalisers: every accepted format, and values that must be reported as unreadable."""

from __future__ import annotations

import datetime as dt
import unicodedata

import numpy as np
import pandas as pd
import pytest

from audit_toolkit.months import month_num
from audit_toolkit.normalize import (
    fold,
    name_key,
    normalize_coefficients,
    normalize_counts,
    normalize_dates,
    normalize_ids,
    normalize_money,
    normalize_months,
    normalize_text,
    normalize_vocab,
)


def _one(func, value, **kw):
    parsed = func(pd.Series([value], dtype=object), **kw)
    return parsed.values.iloc[0], bool(parsed.bad.iloc[0])


@pytest.mark.parametrize(
    ("raw", "expected", "year_only"),
    [
        ("15/03/1945", "1945-03-15", False),  # dd/mm/yyyy
        ("5/3/1945", "1945-03-05", False),  # d/m/yyyy, day first
        ("05-03-1945", "1945-03-05", False),  # dd-mm-yyyy
        ("05.03.1945", "1945-03-05", False),  # dd.mm.yyyy
        ("1945-03-05", "1945-03-05", False),  # ISO
        ("1945-03-05 00:00:00", "1945-03-05", False),  # Excel datetime exported to CSV
        ("1945", "1945-01-01", True),  # bare year: 1 January, remembered
        (" 1945 ", "1945-01-01", True),  # spaces around
        ("ngày 5 tháng 3 năm 1945", "1945-03-05", False),  # written out
        (dt.date(1945, 3, 5), "1945-03-05", False),  # workbook date cell
        (dt.datetime(1945, 3, 5, 8, 30), "1945-03-05", False),  # date cell with a time
        (16501.0, "1945-03-05", False),  # Excel serial number
        (1945.0, "1945-01-01", True),  # a year typed into a number cell
    ],
)
def test_dates_accepted(raw, expected, year_only):
    parsed = normalize_dates(pd.Series([raw], dtype=object))
    assert parsed.values.iloc[0] == pd.Timestamp(expected)
    assert not parsed.bad.iloc[0]
    assert parsed.year_only is not None and bool(parsed.year_only.iloc[0]) is year_only


@pytest.mark.parametrize(
    "raw",
    [
        "31/02/1950",  # no such day
        "15/13/1950",  # no month 13
        "abc",  # text
        "03/1950",  # a month is not a date
        "12/03/50",  # two-digit year: ambiguous century
        -5.0,  # negative serial
    ],
)
def test_dates_rejected(raw):
    value, bad = _one(normalize_dates, raw)
    assert pd.isna(value) and bad


@pytest.mark.parametrize("raw", [None, "", "   "])  # empty cells are missing, not bad
def test_dates_empty(raw):
    value, bad = _one(normalize_dates, raw)
    assert pd.isna(value) and not bad


def test_dates_on_str_column_from_csv():
    parsed = normalize_dates(pd.Series(["01/02/2020", np.nan, "x"], dtype="str"))
    assert parsed.values.iloc[0] == pd.Timestamp("2020-02-01")
    assert parsed.bad.tolist() == [False, False, True]
    assert str(parsed.values.dtype) == "datetime64[ns]"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("03/2023", (2023, 3)),  # mm/yyyy
        ("3/2023", (2023, 3)),  # m/yyyy
        ("03-2023", (2023, 3)),  # mm-yyyy
        ("2023-03", (2023, 3)),  # ISO month
        ("Tháng 3/2023", (2023, 3)),  # Vietnamese
        ("tháng 03 năm 2023", (2023, 3)),  # written out
        ("T3/2023", (2023, 3)),  # abbreviation
        ("15/03/2023", (2023, 3)),  # a full date gives its month
        (dt.date(2023, 3, 15), (2023, 3)),  # workbook date cell
        (44995.0, (2023, 3)),  # Excel serial of 2023-03-10
    ],
)
def test_months_accepted(raw, expected):
    value, bad = _one(normalize_months, raw)
    assert value == month_num(*expected) and not bad


@pytest.mark.parametrize(
    "raw",
    [
        "13/2023",  # no month 13
        "2023",  # a year is not a month
        "tháng ba",  # words
        3.2023,  # "03.2023" turned into a number by Excel: ambiguous
    ],
)
def test_months_rejected(raw):
    value, bad = _one(normalize_months, raw)
    assert pd.isna(value) and bad


def test_months_dtype_is_int64():
    assert str(normalize_months(pd.Series(["01/2023", None], dtype=object)).values.dtype) == "Int64"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("540000", 540000.0),  # plain
        ("540.000", 540000.0),  # dot thousands
        ("540,000", 540000.0),  # comma thousands
        ("540.000 đ", 540000.0),  # currency with space
        ("540.000đ", 540000.0),  # currency attached
        ("540 000", 540000.0),  # space thousands
        ("1.250.000 VNĐ", 1250000.0),  # several groups, VNĐ
        ("540000.0", 540000.0),  # float written by a program
        (540000.0, 540000.0),  # workbook number
        ("-540.000", -540000.0),  # a recovery
        ("0", 0.0),  # zero is a value
    ],
)
def test_money_accepted(raw, expected):
    value, bad = _one(normalize_money, raw)
    assert value == expected and not bad


@pytest.mark.parametrize(
    "raw", ["năm trăm nghìn", "540.00.0", "5e5", "?"]
)  # words, broken groups, notation, junk
def test_money_rejected(raw):
    value, bad = _one(normalize_money, raw)
    assert np.isnan(value) and bad


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.5", 1.5),
        ("1,5", 1.5),
        ("2", 2.0),
        (2.5, 2.5),
        ("1.50", 1.5),
    ],  # dot, comma, integer, number, trailing 0
)
def test_coefficients(raw, expected):
    value, bad = _one(normalize_coefficients, raw)
    assert value == expected and not bad


def test_coefficient_rejected():
    value, bad = _one(normalize_coefficients, "một rưỡi")
    assert np.isnan(value) and bad


def test_counts():
    parsed = normalize_counts(pd.Series(["25", 3.0, "1.5", "x", None], dtype=object))
    assert parsed.values.tolist()[:2] == [25, 3]
    assert parsed.bad.tolist() == [False, False, True, True, False]


@pytest.mark.parametrize(
    ("raw", "width", "expected"),
    [
        ("006080001234", 12, "006080001234"),  # already clean
        ("006 080 001 234", 12, "006080001234"),  # spaces
        ("006.080.001.234", 12, "006080001234"),  # dots
        ("006-080-001-234", 12, "006080001234"),  # dashes
        (6080001234.0, 12, "006080001234"),  # Excel float, 10 digits → 12
        (60800012345.0, 12, "060800012345"),  # 11 digits → 12
        ("6080001234.0", 12, "006080001234"),  # float text from a CSV export
        (95123456.0, 12, "095123456"),  # 8 digits: a 9-digit CMND lost its zero
        (123456789.0, 12, "123456789"),  # 9 digits: a complete CMND, not padded to province 000
        ("6080001234", 12, "6080001234"),  # text, not a float: kept as written (ID check reports it)
        ("HS-001", None, "HS001"),  # record numbers: dashes stripped too
        (1234.0, None, "1234"),  # household number typed as a number: no padding
    ],
)
def test_ids(raw, width, expected):
    value, bad = _one(normalize_ids, raw, width=width)
    assert value == expected and not bad


def test_ids_scientific_notation_is_unreadable():
    value, bad = _one(normalize_ids, "6.08E+09", width=12)
    assert pd.isna(value) and bad


def test_text_nfc_trim_collapse():
    nfd = unicodedata.normalize("NFD", "Nguyễn Văn Á")
    parsed = normalize_text(pd.Series(["  " + nfd.replace(" ", "   ") + " ", "", None, 5.0], dtype=object))
    assert parsed.values.tolist()[0] == unicodedata.normalize("NFC", "Nguyễn Văn Á")
    assert pd.isna(parsed.values.iloc[1]) and pd.isna(parsed.values.iloc[2])
    assert parsed.values.iloc[3] == "5"  # a number cell in a text column, without ".0"
    assert not parsed.bad.any()


def test_name_key_folds_case_diacritics_and_d():
    names = pd.Series(
        ["Nguyễn  Thị Đào", "NGUYEN THI DAO", unicodedata.normalize("NFD", "nguyễn thị đào"), "Lê Văn B"]
    )
    keys = name_key(names).tolist()
    assert keys[:3] == ["nguyen thi dao"] * 3
    assert keys[3] == "le van b"


def test_fold():
    assert fold(" Điều 5, khoản 6 ") == "dieu 5 khoan 6"


def test_vocab_exact_patterns_fallback():
    mapping = {"nam": "M", "nu": "F"}
    parsed = normalize_vocab(pd.Series(["Nữ", "NAM", "1", None, "?"], dtype=object), mapping)
    assert parsed.values.tolist()[:2] == ["F", "M"]
    assert parsed.bad.tolist() == [False, False, True, False, True]  # 1/0 is not a sex; "?" is not a label
    import re

    parsed = normalize_vocab(
        pd.Series(["Chết ngày 3/5/2023", "xyz"]),
        {},
        patterns=[(re.compile(r"\bchet\b"), "death")],
        fallback="other",
    )
    assert parsed.values.tolist() == ["death", "other"] and not parsed.bad.any()


def test_large_mostly_distinct_column_matches_small_path():
    # More than 50,000 mostly distinct IDs take the direct path; results must equal the per-value path.
    ids = pd.Series([f"{i:012d}" for i in range(60_000)] + ["006.080.001.234", "6.08E+09"], dtype="str")
    big = normalize_ids(ids, width=12)
    small = normalize_ids(ids.iloc[-2:].reset_index(drop=True), width=12)
    assert big.values.iloc[-2:].tolist()[0] == small.values.iloc[0] == "006080001234"
    assert big.bad.iloc[-1] and small.bad.iloc[1]
    assert big.values.iloc[5] == "000000000005"
