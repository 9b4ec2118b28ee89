"""Vectorised normalisers: raw cells in, typed values out.

Every normaliser takes a ``pandas.Series`` of raw cells (strings from a CSV; strings, floats,
booleans and ``datetime``/``date`` objects from a workbook) and returns a :class:`Parsed`:
the typed values plus a boolean ``bad`` mask of cells that were present but could not be read,
so the loader can record *why* a row is unreadable instead of dropping it.

The work is done once per distinct value (``pd.factorize``) with pandas string methods and
regex extraction, then spread back with ``take``: a million residents share far fewer distinct
birth dates, addresses or labels than they have rows.

Example:
    >>> p = normalize_dates(pd.Series(["15/03/1945", "1945", "31/02/1950"]))
    >>> p.values.dt.strftime("%Y-%m-%d").tolist()[:2], p.year_only.tolist(), p.bad.tolist()
    (['1945-03-15', '1945-01-01'], [False, True, False], [False, False, True])
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "Parsed",
    "cell_to_str",
    "fold",
    "fold_key",
    "fold_series",
    "is_blank",
    "name_key",
    "normalize_coefficients",
    "normalize_counts",
    "normalize_dates",
    "normalize_ids",
    "normalize_money",
    "normalize_months",
    "normalize_text",
    "normalize_vocab",
    "to_text",
]

# Excel's day zero for serial numbers (the 1900 leap-year bug is absorbed by starting on the 30th).
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_COMBINING = re.compile("[\u0300-\u036f]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


class Parsed(NamedTuple):
    """Result of a normaliser.

    Attributes:
        values: the typed values (NaN/NaT/NA where the cell was empty or unreadable).
        bad: ``True`` where a cell was present but could not be read.
        year_only: for dates, ``True`` where only a year was given (``None`` otherwise).
    """

    values: pd.Series
    bad: pd.Series
    year_only: pd.Series | None = None


# --------------------------------------------------------------------------------------------
# helpers


def cell_to_str(value: Any) -> Any:
    """One workbook cell as text, ``None`` when empty (what :func:`to_text` does to each cell of an object column)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def to_text(raw: pd.Series) -> pd.Series:
    """Raw cells as a ``str`` Series (NaN for missing); workbook numbers lose a trailing ``.0``."""
    if raw.dtype == object:
        raw = raw.map(cell_to_str)
    return raw.astype("str")


def _on_uniques(text: pd.Series, func: Callable[[pd.Series], pd.DataFrame]) -> pd.DataFrame:
    """Apply ``func`` to the distinct values of ``text`` and spread the result back.

    ``func`` gets a Series of strings (default RangeIndex) and returns a frame aligned with it;
    rows of missing input get NaN/NA in every column. A column that is mostly distinct (IDs,
    row numbers) is processed directly: factorising it would cost more than it saves.
    """
    n = len(text)
    if n > 50_000:
        sample = text.iloc[:: max(1, n // 20_000)]
        if sample.nunique() > 0.9 * len(sample):
            direct = func(text.reset_index(drop=True).fillna(""))
            direct.index = text.index
            return direct.where(pd.DataFrame({c: text.notna() for c in direct.columns}))
    if isinstance(text.dtype, pd.StringDtype) and text.dtype.storage == "pyarrow":
        # pyarrow's dictionary encoding: the same codes and distinct values as pd.factorize, faster.
        arr = pa.array(text.array)  # the column's own Arrow data, no copy
        encoded = pc.dictionary_encode(arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr)
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        result = func(pd.Series(cast(Any, text.dtype).__from_arrow__(encoded.dictionary), dtype="str"))
    else:
        codes, uniques = pd.factorize(text, use_na_sentinel=True)
        result = func(pd.Series(np.asarray(uniques, dtype=object), dtype="str"))
    # Append one all-missing row for the NA sentinel (-1 → last row).
    missing = result.iloc[:0].reindex([len(result)])
    full = pd.concat([result, missing]) if len(result) else missing
    idx = np.where(codes < 0, len(result), codes)
    out = full.iloc[idx]
    out.index = text.index
    return out


# Explicit whitespace class: pandas hands ``\s`` to Python's re (slow); this one runs in pyarrow.
_WS = "[ \t\n\r\f\v\u00a0\u2000-\u200b\u3000]+"


# NFC changes only strings with combining marks: normalise those alone (str.normalize is per cell).
_COMBINING_ANY = "[\u0300-\u036f\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"


def _nfc(s: pd.Series) -> pd.Series:
    marks = s.str.contains(_COMBINING_ANY, regex=True).fillna(False).astype(bool)
    if not marks.any():
        return s
    return s.where(~marks, s[marks].str.normalize("NFC"))


def _clean_spaces(s: pd.Series) -> pd.Series:
    return _nfc(s).str.replace(_WS, " ", regex=True).str.strip()


# Every character Python or pyarrow may count as whitespace (a superset: a false alarm only costs time).
_ANY_WS = "\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
_ANY_WS_BUT_SPACE = _ANY_WS.replace(" ", "")
# A value that _clean_spaces would change: one pyarrow pass over a whole column.
_NEEDS_CLEANING = f"^[{_ANY_WS}]|[{_ANY_WS}]$|[{_ANY_WS_BUT_SPACE}]|  |{_COMBINING_ANY}"


def _needs_cleaning(text: pd.Series) -> np.ndarray:
    """``True`` where :func:`_clean_spaces` could change a value (``False`` for NaN and ``""``)."""
    return np.asarray(text.str.contains(_NEEDS_CLEANING, regex=True).fillna(False).to_numpy(dtype=bool))


def fold(text: str) -> str:
    """Matching form of one string: NFC, casefold, diacritics removed (``đ``→``d``), non-alphanumerics → one space.

    Example:
        >>> fold("  Điều 5, khoản 6 ")
        'dieu 5 khoan 6'
    """
    t = unicodedata.normalize("NFD", str(text).casefold()).replace("đ", "d")
    t = _COMBINING.sub("", t)
    return _NON_ALNUM.sub(" ", t).strip()


def fold_key(text: str) -> str:
    """:func:`fold` without spaces: the key used to match headers, sheet and file names."""
    return fold(text).replace(" ", "")


def _fold_uniques(u: pd.Series) -> pd.Series:
    t = u.str.lower().str.normalize("NFD").str.replace("đ", "d", regex=False)
    t = t.str.replace(_COMBINING.pattern, "", regex=True)
    return t.str.replace(_NON_ALNUM.pattern, " ", regex=True).str.strip()


def fold_series(s: pd.Series) -> pd.Series:
    """Vectorised :func:`fold` (NaN stays NaN; an empty result becomes NaN)."""
    text = to_text(s)
    out = _on_uniques(text, lambda u: _fold_uniques(u).replace("", np.nan).to_frame("v"))["v"]
    return out.astype("str")


# --------------------------------------------------------------------------------------------
# text and names


def normalize_text(raw: pd.Series) -> Parsed:
    """NFC, trimmed, inner whitespace collapsed; empty → NaN. Text never fails to parse."""
    text = to_text(raw)
    # Most cells are clean already: only those that are not go through the cleaning.
    needs = _needs_cleaning(text)
    out = text.copy()
    empty = (text == "").fillna(False).to_numpy(dtype=bool)
    if empty.any():
        out[empty] = np.nan
    if needs.any():
        sub = text[needs]
        cleaned = _on_uniques(sub, lambda u: _clean_spaces(u).replace("", np.nan).to_frame("v"))["v"]
        out[needs] = cleaned.astype("str").to_numpy(dtype=object, na_value=np.nan)
    out = out.astype("str")
    return Parsed(out, pd.Series(False, index=raw.index))


def is_blank(raw: pd.Series) -> pd.Series:
    """``True`` where a cell is missing, empty or whitespace only (cheap: no per-cell Python for CSV)."""
    text = to_text(raw)
    return (text.isna() | text.str.fullmatch("[ \t\n\r\f\v\u00a0]*")).fillna(True).astype(bool)


def name_key(names: pd.Series) -> pd.Series:
    """Matching key of person names: casefold, no diacritics, ``đ``→``d``, letters/digits/single spaces.

    Example:
        >>> name_key(pd.Series(["Nguyễn  Thị Đào", "NGUYEN THI DAO"])).tolist()
        ['nguyen thi dao', 'nguyen thi dao']
    """
    return fold_series(names)


# --------------------------------------------------------------------------------------------
# IDs

_SCI = "^[0-9.]+[eE][+]?[0-9]+$"


def normalize_ids(raw: pd.Series, *, width: int | None = None) -> Parsed:
    """IDs as strings: spaces, dots and dashes stripped, leading zeros kept.

    A number that Excel stored as a float (``6080001234.0``, or a workbook numeric cell) is
    restored when the reading is unambiguous: with ``width=12`` (personal IDs) a 10- or 11-digit
    number is padded to 12 (a 12-digit ID starts with a province code ``001``–``096``, so it has at
    most two leading zeros), and an 8-digit number is padded to a 9-digit CMND. A 9-digit number is
    kept as a 9-digit CMND: padding it to 12 would give the non-existent province code ``000``.
    Scientific notation (``6.08E+09``) has lost digits and is reported as unreadable.

    Example:
        >>> normalize_ids(pd.Series(["006 080 001 234", 6080001234.0, "6080001234.0"]), width=12).values.tolist()
        ['006080001234', '006080001234', '006080001234']
    """
    was_number = pd.Series(False, index=raw.index)
    if raw.dtype == object:
        was_number = raw.map(lambda v: isinstance(v, float | int) and not isinstance(v, bool)).astype(bool)
    text = to_text(raw)

    def parse(u: pd.Series) -> pd.DataFrame:
        # Letters and digits only, not scientific notation: nothing to clean (the usual column).
        out = pd.DataFrame({"v": u, "sci": False, "flt": False})
        plain = u.str.fullmatch("[0-9]+").fillna(False).to_numpy(dtype=bool)
        if plain.all():  # digits only: one pass
            return out
        plain = (
            u.str.fullmatch("[0-9A-Za-z]+").fillna(False).astype(bool)
            & ~u.str.fullmatch("[0-9]+[eE][0-9]+").fillna(False).astype(bool)
        ).to_numpy()
        if plain.all():
            return out
        s = _clean_spaces(u[~plain])
        sci = s.str.match(_SCI).fillna(False).astype(bool)
        float_text = s.str.fullmatch("[0-9]+[.]0+").fillna(False).astype(bool)
        s = s.where(~float_text, s.str.replace("[.]0+$", "", regex=True))
        s = s.str.replace("[ .\u00a0\\-–_]+", "", regex=True)
        out.loc[~plain, "v"] = s.where(~sci & s.ne(""))
        out.loc[~plain, "sci"] = sci
        out.loc[~plain, "flt"] = float_text
        return out

    parsed = _on_uniques(text, parse)
    values = parsed["v"].astype("str")
    bad = parsed["sci"].fillna(False).astype(bool)
    if width == 12:
        floaty = was_number | parsed["flt"].fillna(False).astype(bool)
        if floaty.any():
            floaty = floaty & values.str.fullmatch("[0-9]+").fillna(False).astype(bool)
            n = values.str.len()
            values = values.where(~(floaty & n.isin([10, 11])), values.str.zfill(12))
            values = values.where(~(floaty & (n == 8)), values.str.zfill(9))
    return Parsed(values.astype("str"), bad)


# --------------------------------------------------------------------------------------------
# dates

# Day-first patterns; each gives (day, month, year) groups.
_DMY = re.compile(r"^(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})\s*[/.\-]\s*(?P<y>\d{4})$")
_YMD = re.compile(r"^(?P<y>\d{4})[/.\-](?P<m>\d{1,2})[/.\-](?P<d>\d{1,2})(?:[ T]0?0:00(?::00(?:\.0+)?)?)?$")
_VN_DATE = re.compile(r"^ngay (?P<d>\d{1,2}) thang (?P<m>\d{1,2}) nam (?P<y>\d{4})$")
_YEAR = re.compile(r"^(?P<y>\d{4})$")


def _assemble(parts: pd.DataFrame) -> pd.Series:
    nums = parts.apply(pd.to_numeric, errors="coerce")
    ok = nums.notna().all(axis=1) & nums["y"].between(1800, 2200)
    out = pd.Series(pd.NaT, index=parts.index, dtype="datetime64[ns]")
    if ok.any():
        sub = nums[ok].astype("int64").rename(columns={"y": "year", "m": "month", "d": "day"})
        out[ok] = pd.to_datetime(sub[["year", "month", "day"]], errors="coerce")
    return out


def _excel_cells(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Workbook datetime cells and numeric cells of an object column (both NaN elsewhere)."""
    is_date = raw.map(lambda v: isinstance(v, dt.date)).astype(bool)
    is_num = raw.map(lambda v: isinstance(v, float | int) and not isinstance(v, bool)).astype(bool)
    dates = pd.to_datetime(raw.where(is_date), errors="coerce") if is_date.any() else None
    nums = pd.to_numeric(raw.where(is_num), errors="coerce") if is_num.any() else None
    empty = pd.Series(np.nan, index=raw.index)
    return (
        dates if dates is not None else empty.astype("datetime64[ns]"),
        nums if nums is not None else empty,
    )


# The usual cells, digits and separators only: what _DMY or _YMD alone reads (see _plain_dates).
_PLAIN_DMY = "^(?P<d>[0-9]{1,2})[/.-](?P<m>[0-9]{1,2})[/.-](?P<y>[0-9]{4})$"
_PLAIN_YMD = "^(?P<y>[0-9]{4})[/.-](?P<m>[0-9]{1,2})[/.-](?P<d>[0-9]{1,2})$"


def _plain_dates(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Dates written ``d/m/yyyy`` or ``yyyy-m-d`` with digits and separators only, in one pyarrow pass each.

    Returns ``(values, decided)``: for such a cell, its date (NaT when no such day exists or the year
    is outside 1800-2200) and ``decided``; the general path would read it the same way (only _DMY
    or only _YMD matches it, and no later pattern matches a cell that failed them).
    """
    values = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[ns]")
    decided = np.zeros(len(s), dtype=bool)
    if not (isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow") or not len(s):
        return values, decided
    arr = pa.array(s.array)
    for pattern in (_PLAIN_DMY, _PLAIN_YMD):
        parts = pc.extract_regex(arr, pattern)
        hit = np.asarray(parts.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        if not hit.any():
            continue
        y, m, d = (
            np.asarray(
                pc.cast(pc.struct_field(parts, k).fill_null("0"), pa.int64()).to_numpy(zero_copy_only=False)
            )
            for k in ("y", "m", "d")
        )
        ok = hit & (y >= 1800) & (y <= 2200) & (m >= 1) & (m <= 12) & (d >= 1)
        month = np.where(ok, (y - 1970) * 12 + (m - 1), 0).astype("datetime64[M]")
        first = month.astype("datetime64[D]")
        days = ((month + 1).astype("datetime64[D]") - first).astype("int64")
        ok &= d <= days
        values[ok] = (first[ok] + (d[ok] - 1)).astype("datetime64[ns]")
        decided |= hit
    return values, decided


def _parse_date_strings(u: pd.Series) -> pd.DataFrame:
    s = _clean_spaces(u)
    plain, decided = _plain_dates(s)
    out = pd.Series(plain, index=s.index, dtype="datetime64[ns]")
    year_only = pd.Series(False, index=s.index)
    present = s.ne("") & s.notna()
    undecided = pd.Series(~decided, index=s.index)
    for pattern in (_DMY, _YMD, _VN_DATE):
        todo = out.isna() & present & undecided
        if not todo.any():
            break  # every value read (the usual column): skip the other formats
        # Folding (for "ngày … tháng … năm …") is only paid for the values still unread.
        source = _fold_uniques(s[todo]) if pattern is _VN_DATE else s[todo]
        parts = source.str.extract(pattern)
        hit = parts.notna().all(axis=1)
        if hit.any():
            out.loc[parts.index[hit]] = _assemble(parts[hit])
    todo = out.isna() & present & undecided
    years = s[todo].str.extract(_YEAR)["y"] if todo.any() else pd.Series(dtype="str")
    hit = years.notna()
    if hit.any():
        idx = years.index[hit]
        parsed = _assemble(pd.DataFrame({"y": years[hit], "m": "1", "d": "1"}))
        out.loc[idx] = parsed
        year_only.loc[idx] = parsed.notna()
    return pd.DataFrame({"v": out, "yo": year_only, "bad": present & out.isna()})


def normalize_dates(raw: pd.Series) -> Parsed:
    """Dates, day first: workbook date cells, Excel serial numbers, ``dd/mm/yyyy``, ``d/m/yyyy``,
    ``dd-mm-yyyy``, ``dd.mm.yyyy``, ``yyyy-mm-dd``, ``ngày 5 tháng 3 năm 1950``, and a bare year
    (read as 1 January, flagged in ``year_only``).

    Example:
        >>> normalize_dates(pd.Series(["5/3/1950"])).values.iloc[0]
        Timestamp('1950-03-05 00:00:00')
    """
    values = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    year_only = pd.Series(False, index=raw.index)
    bad = pd.Series(False, index=raw.index)
    rest = raw
    if raw.dtype == object:
        dates, nums = _excel_cells(raw)
        values = values.where(dates.isna(), dates.astype("datetime64[ns]"))
        # An integral number in 1800..2200 is a year typed into a number cell, not a serial.
        is_year = nums.notna() & (nums % 1 == 0) & nums.between(1800, 2200)
        serial_ok = nums.notna() & ~is_year & nums.between(1, 2958465)
        if is_year.any():
            values[is_year] = pd.to_datetime(
                pd.DataFrame({"year": nums[is_year].astype("int64"), "month": 1, "day": 1})
            )
            year_only = year_only | is_year
        if serial_ok.any():
            days = np.floor(nums[serial_ok].to_numpy(dtype="float64")).astype("int64")
            values[serial_ok] = _EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
        bad = bad | (nums.notna() & ~is_year & ~serial_ok)
        handled = dates.notna() | nums.notna()
        rest = raw.where(~handled)
    text = to_text(rest)
    parsed = _on_uniques(text, _parse_date_strings)
    str_vals = parsed["v"].astype("datetime64[ns]")
    values = values.where(str_vals.isna(), str_vals)
    year_only = year_only | parsed["yo"].fillna(False).astype(bool)
    bad = bad | parsed["bad"].fillna(False).astype(bool)
    # Dates are days: a time of day typed into a date cell is dropped.
    return Parsed(values.astype("datetime64[ns]").dt.normalize(), bad.astype(bool), year_only.astype(bool))


# --------------------------------------------------------------------------------------------
# months

_MONTH_PATTERNS = (
    # folded text: "thang 3/2023" → "thang 3 2023", "t3/2023" → "t3 2023", "03/2023" → "03 2023"
    re.compile(r"^(?:thang|t|th)?\s*(?P<m>\d{1,2}) (?:nam )?(?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4}) (?P<m>\d{1,2})$"),
)


def _parse_month_strings(u: pd.Series) -> pd.DataFrame:
    s = _clean_spaces(u)
    folded = _fold_uniques(s)
    out = pd.Series(np.nan, index=s.index)
    for pattern in _MONTH_PATTERNS:
        todo = out.isna()
        parts = folded[todo].str.extract(pattern)
        hit = parts.notna().all(axis=1)
        if hit.any():
            y = pd.to_numeric(parts.loc[hit, "y"])
            m = pd.to_numeric(parts.loc[hit, "m"])
            ok = m.between(1, 12) & y.between(1900, 2200)
            out.loc[ok[ok].index] = (y * 12 + m - 1)[ok]
    todo = out.isna()
    if todo.any():
        dates = _parse_date_strings(s[todo])
        full = dates["v"].notna() & ~dates["yo"]
        d = dates.loc[full, "v"]
        out.loc[d.index] = d.dt.year * 12 + d.dt.month - 1
    present = s.ne("") & s.notna()
    return pd.DataFrame({"v": out, "bad": present & out.isna()})


def normalize_months(raw: pd.Series) -> Parsed:
    """Months as ``Int64`` month numbers (``year*12 + month - 1``, see :mod:`audit_toolkit.months`).

    Accepts ``mm/yyyy``, ``m/yyyy``, ``mm-yyyy``, ``yyyy-mm``, ``Tháng 3/2023``, ``T3/2023``, a full
    date (its month) and workbook date cells. A bare year is not a month and is unreadable.

    Example:
        >>> normalize_months(pd.Series(["Tháng 2/2023", "2023-02", "15/02/2023"])).values.tolist()
        [24277, 24277, 24277]
    """
    values = pd.Series(np.nan, index=raw.index)
    bad = pd.Series(False, index=raw.index)
    rest = raw
    if raw.dtype == object:
        dates, nums = _excel_cells(raw)
        values = values.where(dates.isna(), dates.dt.year * 12 + dates.dt.month - 1)
        serial_ok = nums.notna() & nums.between(20000, 2958465)
        if serial_ok.any():
            days = np.floor(nums[serial_ok].to_numpy(dtype="float64")).astype("int64")
            d = pd.Series(_EXCEL_EPOCH + pd.to_timedelta(days, unit="D"), index=nums[serial_ok].index)
            values[serial_ok] = (d.dt.year * 12 + d.dt.month - 1).astype("float64")
        # Other numbers (e.g. 3.2023 typed as "03.2023" and turned into a number) are ambiguous.
        bad = bad | (nums.notna() & ~serial_ok)
        rest = raw.where(~(dates.notna() | nums.notna()))
    parsed = _on_uniques(to_text(rest), _parse_month_strings)
    values = values.where(parsed["v"].isna(), parsed["v"])
    bad = bad | parsed["bad"].fillna(False).astype(bool)
    return Parsed(values.round().astype("Int64"), bad.astype(bool))


# --------------------------------------------------------------------------------------------
# numbers

_CURRENCY = re.compile(r"(?i)(vnđ|vnd|đồng|dong|đ|d)\.?$")


def _parse_number_strings(u: pd.Series, *, money: bool) -> pd.DataFrame:
    s = _clean_spaces(u).str.replace("\u00a0", "", regex=False)
    if money:
        s = s.str.replace(_CURRENCY.pattern, "", regex=True)
    s = s.str.replace(r"\s+", "", regex=True)
    out = pd.Series(np.nan, index=s.index)
    sign = pd.Series(1.0, index=s.index).where(~s.str.startswith("-"), -1.0)
    body = s.str.lstrip("-+")
    plain = body.str.fullmatch(r"\d+")
    out = out.where(~plain, pd.to_numeric(body.where(plain), errors="coerce"))
    if money:
        # 540.000 / 540,000 / 1.250.000: thousands groups (VND has no decimals).
        grouped = body.str.fullmatch(r"\d{1,3}(?:\.\d{3})+|\d{1,3}(?:,\d{3})+")
        out = out.where(~grouped, pd.to_numeric(body.where(grouped).str.replace(r"[.,]", "", regex=True)))
        # 540000.0 or 540000,5: a decimal part of one or two digits.
        dec = out.isna() & body.str.fullmatch(r"\d+[.,]\d{1,2}")
    else:
        dec = out.isna() & body.str.fullmatch(r"\d*[.,]\d+")
    out = out.where(~dec, pd.to_numeric(body.where(dec).str.replace(",", ".", regex=False), errors="coerce"))
    present = s.ne("") & s.notna()
    return pd.DataFrame({"v": out * sign, "bad": present & out.isna()})


def _normalize_number(raw: pd.Series, *, money: bool) -> Parsed:
    values = pd.Series(np.nan, index=raw.index)
    bad = pd.Series(False, index=raw.index)
    rest = raw
    if raw.dtype == object:
        is_num = raw.map(lambda v: isinstance(v, float | int) and not isinstance(v, bool)).astype(bool)
        if is_num.any():
            values = values.where(~is_num, pd.to_numeric(raw.where(is_num), errors="coerce"))
            rest = raw.where(~is_num)
    parsed = _on_uniques(to_text(rest), lambda u: _parse_number_strings(u, money=money))
    values = values.where(parsed["v"].isna(), parsed["v"])
    bad = bad | parsed["bad"].fillna(False).astype(bool)
    return Parsed(values.astype("float64"), bad.astype(bool))


def normalize_money(raw: pd.Series) -> Parsed:
    """VND amounts as ``float64``: ``540000``, ``540.000``, ``540,000``, ``540 000``, ``540.000 đ``, ``540.000đ``.

    Example:
        >>> normalize_money(pd.Series(["540.000 đ", "1,250,000", 750000.0])).values.tolist()
        [540000.0, 1250000.0, 750000.0]
    """
    return _normalize_number(raw, money=True)


def normalize_coefficients(raw: pd.Series) -> Parsed:
    """Coefficients (hệ số) as ``float64``: ``1.5``, ``1,5``, ``2``.

    Example:
        >>> normalize_coefficients(pd.Series(["1,5", "2"])).values.tolist()
        [1.5, 2.0]
    """
    return _normalize_number(raw, money=False)


def normalize_counts(raw: pd.Series) -> Parsed:
    """Whole counts as ``Int64`` (``25``, ``1.250``); a fraction is unreadable."""
    parsed = _normalize_number(raw, money=True)
    frac = parsed.values.notna() & (parsed.values % 1 != 0)
    values = parsed.values.where(~frac)
    return Parsed(values.round().astype("Int64"), parsed.bad | frac)


# --------------------------------------------------------------------------------------------
# vocabularies


def normalize_vocab(
    raw: pd.Series,
    mapping: Mapping[str, Any],
    *,
    patterns: list[tuple[re.Pattern[str], Any]] | None = None,
    fallback: Any = None,
    symbols: Mapping[str, Any] | None = None,
) -> Parsed:
    """Map labels to codes through a table keyed by :func:`fold` form.

    An empty or whitespace-only cell is never mapped (NA): only the caller's contract default may
    give it a value. ``symbols`` (tick marks that fold to nothing) match the trimmed raw cell.

    Args:
        raw: raw cells.
        mapping: folded label → code (a code of ``None`` means "recognised, no value").
        patterns: ``(regex on folded text, code)`` tried in order when no exact label matches.
        fallback: code for a present label that matches nothing; ``None`` makes it unreadable.
        symbols: trimmed NFC cell text → code, tried before folding (``"✓"`` → ``True``).

    Example:
        >>> normalize_vocab(pd.Series(["Nữ", "nam", "?"]), {"nu": "F", "nam": "M"}).values.tolist()
        ['F', 'M', nan]
    """
    text = to_text(raw)
    present = (text.notna() & text.str.strip().ne("")).astype(bool)

    def lookup(raw_u: pd.Series) -> pd.DataFrame:
        # One pass over distinct raw labels: fold, then exact labels, then patterns.
        u = _fold_uniques(raw_u)
        # The empty key never matches: an empty cell is unknown, whatever the mapping holds.
        known = (u.isin(list(mapping)) & u.ne("")).astype(bool)
        out = u.map(lambda k: mapping.get(k)).where(known).astype(object)
        if symbols:
            marks = _clean_spaces(raw_u)
            hit = ~known & marks.isin(list(symbols)).astype(bool)
            out[hit] = marks[hit].map(lambda k: symbols[k])
            known = known | hit
        for pattern, code in patterns or []:
            hit = ~known & u.map(lambda k, p=pattern: p.search(k) is not None).astype(bool)
            out[hit] = code
            known = known | hit
        return pd.DataFrame({"v": out, "known": known})

    parsed = _on_uniques(text, lookup)
    # A present label that folds to nothing ("?", "-") is not recognised either.
    known = parsed["known"].fillna(False).astype(bool)
    values = parsed["v"].astype(object).where(present, None)
    known = (known & present).astype(bool)
    bad = (~known & present).astype(bool)
    if fallback is not None:
        # Labels that fold to nothing ("?", "-") are still present text: they take the fallback too.
        values[bad] = fallback
        bad = pd.Series(False, index=raw.index)
    # The caller casts: codes are strings for most vocabularies, booleans for yes/no.
    return Parsed(values, bad)
