"""The months a payment row is FOR: catch-up (truy lĩnh) and recovered (truy thu) money.

Data contract §1a: money counts for the months it is for, whatever month it was paid in. This is the
normalising step for the payments table (the loader calls :func:`payment_months` after typing the
columns); the checks split the money over the months in ``checks/facts.py``.

Readings (docs/check-semantics.md, "Money by the month it is for"):

- ``arrears_from`` and ``arrears_to`` given: with a separate ``arrears_amount`` / ``recovered_amount``
  they are the months of that amount and ``amount`` is the row's own month; without one, ``amount``
  itself covers ``arrears_from .. arrears_to``.
- ``arrears_months`` = n with the row's month M: a separate amount covers the n months before M
  (``M-n .. M-1``: the row's own amount is M's); without one, ``amount`` covers the n months ending
  with M (``M-n+1 .. M``: arrears are paid with the month they are paid in).
- A separate amount without those columns: the months named in the row's note after ``truy lĩnh``
  (arrears) or ``truy thu`` (recovered): ``T7-T9/2025``, ``T11/2025-T1/2026``, ``tháng 7, 8/2025``.
- A lump whose months cannot be found (only one end given, an end before the start, n < 1, a
  separate amount with no months anywhere) makes the row unreadable: never a guess.

Notes are parsed once per distinct text.

Example:
    >>> note_months(pd.Series(["truy lĩnh T7-T9/2025"]))["arrears_from"].tolist() == [month_num(2025, 7)]  # doctest: +SKIP
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from audit_toolkit.normalize import fold

__all__ = ["ARREARS_REASON", "LUMP_COLUMNS", "NOTE_COLUMNS", "RANGE_COLUMNS", "note_months", "payment_months"]

#: The loader's reason for a lump whose months cannot be found (translated by identity.reason.arrears_months).
ARREARS_REASON = "cannot find the months of the catch-up or recovered amount"

#: Columns :func:`payment_months` adds: the months of ``amount`` (``for_*``), of ``arrears_amount``
#: (``extra_*``) and of ``recovered_amount`` (``recov_*``), as month numbers (``Int64``).
RANGE_COLUMNS = ("for_from", "for_to", "extra_from", "extra_to", "recov_from", "recov_to")
#: Payments columns that make a row cover other months than its own.
LUMP_COLUMNS = ("arrears_from", "arrears_to", "arrears_months", "arrears_amount", "recovered_amount")
#: Columns :func:`note_months` returns.
NOTE_COLUMNS = ("arrears_from", "arrears_to", "recovered_from", "recovered_to")

_KEYWORDS = {"truy linh": "arrears", "truy lanh": "arrears", "truy thu": "recovered"}
_KEYWORD = re.compile(r"truy (?:linh|lanh|thu)")
_MONTH_TOKEN = re.compile(r"^(?:t|thang)?(\d{1,2})$")
_YEAR_TOKEN = re.compile(r"^(\d{4})$")
_LIST_MARK = "xlistx"
_FILLER = frozenset({"thang", "tu", "den", "toi", "va", "het", "nam", "t"})


def _range_after(tokens: list[str]) -> tuple[float, float]:
    """``(from, to)`` month numbers of ``T7-T9/2025`` / ``T7/2025-T9/2025`` / ``7, 8, 9/2025``; NaN if none.

    Two months joined by a dash are a range; months separated by commas are a list, which must be
    consecutive to be read (``T7, T9`` names two months, not three).
    """
    items: list[tuple[str, int]] = []
    listed = False
    for tok in tokens:
        if tok == _LIST_MARK:
            listed = True
            continue
        if tok in _FILLER:
            continue
        year = _YEAR_TOKEN.match(tok)
        month = _MONTH_TOKEN.match(tok)
        if year:
            items.append(("y", int(year.group(1))))
        elif month and 1 <= int(month.group(1)) <= 12:
            items.append(("m", int(month.group(1))))
        else:
            break
    # Each month takes the next year written after it (T7-T9/2025: both 2025).
    months: list[int] = []
    pending: list[int] = []
    for kind, value in items:
        if kind == "m":
            pending.append(value)
        else:
            months += [value * 12 + m - 1 for m in pending]
            pending = []
    if pending or not months:
        return np.nan, np.nan
    if sorted(months) != months or (listed or len(months) > 2) and months[-1] - months[0] != len(months) - 1:
        return np.nan, np.nan  # not an ordered run of months: ambiguous
    return float(months[0]), float(months[-1])


def _parse_note(text: str) -> tuple[float, float, float, float]:
    # Keep list commas as a token: folding turns every punctuation mark into a space.
    folded = fold(re.sub(r"[,;]", f" {_LIST_MARK} ", text))
    out = {"arrears": (np.nan, np.nan), "recovered": (np.nan, np.nan)}
    hits = list(_KEYWORD.finditer(folded))
    for i, hit in enumerate(hits):
        end = hits[i + 1].start() if i + 1 < len(hits) else len(folded)
        which = _KEYWORDS[hit.group(0)]
        if np.isnan(out[which][0]):
            out[which] = _range_after(folded[hit.end() : end].split())
    return (*out["arrears"], *out["recovered"])


def note_months(notes: pd.Series) -> pd.DataFrame:
    """Months named in payment notes: ``arrears_from/to`` after "truy lĩnh", ``recovered_from/to`` after "truy thu".

    Each distinct note is parsed once. NA where the note names no such months.
    """
    text = notes.astype("object")
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    parsed = np.array([_parse_note(str(u)) for u in uniques] + [(np.nan,) * 4], dtype="float64").reshape(
        -1, 4
    )
    rows = parsed[np.where(codes < 0, len(uniques), codes)]
    return pd.DataFrame({c: _int64(rows[:, i], notes.index) for i, c in enumerate(NOTE_COLUMNS)})


def _int64(values: np.ndarray, index: pd.Index) -> pd.Series:
    """Whole month numbers as ``Int64`` (NaN → NA) without a per-value conversion."""
    missing = np.isnan(values)
    data = np.where(missing, 0, np.round(values)).astype(np.int64)
    return pd.Series(pd.arrays.IntegerArray(data, missing), index=index)


def _col(typed: pd.DataFrame, name: str, dtype: str) -> pd.Series:
    if name in typed:
        return typed[name]
    return pd.Series(np.nan if dtype == "float64" else pd.NA, index=typed.index, dtype=dtype)


def payment_months(typed: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The months each payment row's amounts are for, and the rows whose lump months cannot be found.

    Args:
        typed: the typed payments table (``month``, ``amount`` and the optional catch-up columns
            ``arrears_from``, ``arrears_to``, ``arrears_months``, ``arrears_amount``,
            ``recovered_amount``, ``note``).

    Returns:
        ``(ranges, bad)``: :data:`RANGE_COLUMNS` as ``Int64`` month numbers (the ``extra``/``recov``
        pair NA where the row has no such amount) and a boolean Series, True where a lump's months
        cannot be found (the row is unreadable).
    """
    idx = typed.index
    m = _col(typed, "month", "Int64").to_numpy(dtype="float64", na_value=np.nan)
    a_from = _col(typed, "arrears_from", "Int64").to_numpy(dtype="float64", na_value=np.nan)
    a_to = _col(typed, "arrears_to", "Int64").to_numpy(dtype="float64", na_value=np.nan)
    n = _col(typed, "arrears_months", "Int64").to_numpy(dtype="float64", na_value=np.nan)
    extra = _col(typed, "arrears_amount", "float64").to_numpy(dtype="float64", na_value=np.nan)
    recov = _col(typed, "recovered_amount", "float64").to_numpy(dtype="float64", na_value=np.nan)
    has_extra = ~np.isnan(extra) & (extra != 0)
    has_recov = ~np.isnan(recov) & (recov != 0)
    separate = has_extra | has_recov
    both_ends = ~np.isnan(a_from) & ~np.isnan(a_to)
    one_end = np.isnan(a_from) != np.isnan(a_to)
    has_n = ~np.isnan(n)
    bad = (one_end & ~has_n) | (both_ends & (a_to < a_from)) | (has_n & ~both_ends & (n < 1))

    # The separate amounts' months: the columns, else the count, else the note.
    col_from = np.where(both_ends, a_from, np.where(has_n, m - n, np.nan))
    col_to = np.where(both_ends, a_to, np.where(has_n, m - 1, np.nan))
    nf = {c: np.full(len(typed), np.nan) for c in NOTE_COLUMNS}
    ask = separate & np.isnan(col_from)  # only these rows need their note read
    if "note" in typed and ask.any():
        at = np.flatnonzero(ask)
        notes = note_months(typed["note"].iloc[at])
        for c in NOTE_COLUMNS:
            nf[c][at] = notes[c].to_numpy(dtype="float64", na_value=np.nan)
    extra_from = np.where(has_extra, np.where(np.isnan(col_from), nf["arrears_from"], col_from), np.nan)
    extra_to = np.where(has_extra, np.where(np.isnan(col_to), nf["arrears_to"], col_to), np.nan)
    recov_from = np.where(has_recov, np.where(np.isnan(col_from), nf["recovered_from"], col_from), np.nan)
    recov_to = np.where(has_recov, np.where(np.isnan(col_to), nf["recovered_to"], col_to), np.nan)
    bad |= has_extra & np.isnan(extra_from)
    bad |= has_recov & np.isnan(recov_from)

    # The row's own amount: its month, or the covered months when there is no separate amount.
    own_lump = ~separate & (both_ends | has_n)
    for_from = np.where(own_lump, np.where(both_ends, a_from, m - n + 1), m)
    for_to = np.where(own_lump, np.where(both_ends, a_to, m), m)
    values = {
        "for_from": for_from,
        "for_to": for_to,
        "extra_from": extra_from,
        "extra_to": extra_to,
        "recov_from": recov_from,
        "recov_to": recov_to,
    }
    ranges = pd.DataFrame({k: _int64(v, idx) for k, v in values.items()})
    return ranges, pd.Series(bad, index=idx, dtype=bool)
