"""Payments kept one sheet per month or one column per month (data contract §1a).

Ward offices print one payment list per month (``T1-2023``, ``Tháng 1-2023``, or a title row
``DANH SÁCH CHI TRẢ … THÁNG 01 NĂM 2023``) or one yearly sheet with an amount column per month
(``T1`` … ``T12``, ``Tháng 1``, ``01/2023``). Both become ordinary payment rows, one per line and
month. A month that cannot be found is an :class:`InputError` naming the sheet or column: the
loader never guesses a month.
"""

from __future__ import annotations

import re

import pandas as pd

from audit_toolkit.months import month_num
from audit_toolkit.normalize import fold, to_text

__all__ = ["bare_month", "month_columns", "month_in_text", "title_texts", "year_in_text"]

_YEAR = r"((?:19|20)\d{2})"
_MONTH = r"(0?[1-9]|1[0-2])"
# On folded text ("Tháng 01 năm 2023" → "thang 01 nam 2023", "T01.2023" → "t01 2023").
_MONTH_YEAR = [
    re.compile(rf"(?:^|\b)(?:thang|t) ?{_MONTH} (?:nam )?{_YEAR}\b"),
    re.compile(rf"(?:^|\b)(?:thang|t){_MONTH}(?:nam)?{_YEAR}\b"),  # "T012023" typed without a separator
    re.compile(rf"^(?:.* )?{_MONTH} (?:nam )?{_YEAR}$"),  # "01-2023", "Chi trả 01.2023"
]
_YEAR_MONTH = re.compile(rf"^(?:.* )?{_YEAR} (0[1-9]|1[0-2])$")  # "2023-01" (ISO: the year first)
# A month column header alone: "T1", "Tháng 1", "T1/2023", "Tháng 01/2023", "01/2023".
_MONTH_HEADER = [
    re.compile(rf"^(?:thang|t) ?{_MONTH}(?: (?:nam )?{_YEAR})?$"),
    re.compile(rf"^{_MONTH} {_YEAR}$"),
]
_BARE_MONTH = re.compile(rf"^(?:thang|t) ?{_MONTH}$")
_YEAR_ONLY = re.compile(rf"(?:^|\b)(?:nam )?{_YEAR}\b")


def month_in_text(text: str) -> int | None:
    """The month named in a sheet name, file stem or title row (month number), or ``None``.

    Example:
        >>> from audit_toolkit.months import month_iso
        >>> [month_iso(month_in_text(t)) for t in ["T01.2023", "Thang 01 nam 2023", "01-2023"]]
        ['2023-01', '2023-01', '2023-01']
    """
    folded = fold(text)
    for pattern in _MONTH_YEAR:
        m = pattern.search(folded)
        if m:
            return month_num(int(m.group(2)), int(m.group(1)))
    iso = _YEAR_MONTH.match(folded)
    return month_num(int(iso.group(1)), int(iso.group(2))) if iso else None


def bare_month(text: str) -> int | None:
    """The month (1-12) of a sheet named by a month without a year (``T1``, ``Tháng 01``), or ``None``."""
    m = _BARE_MONTH.match(fold(text))
    return int(m.group(1)) if m else None


def year_in_text(text: str) -> int | None:
    """A year named in a sheet name or title row (``NĂM 2023``, ``2023``), or ``None``."""
    years = {int(y) for y in _YEAR_ONLY.findall(fold(text))}
    return years.pop() if len(years) == 1 else None


def title_texts(grid: pd.DataFrame, before_row: int) -> list[str]:
    """The non-empty text of each row above ``before_row`` (the header), top to bottom."""
    top = grid.loc[grid.index < before_row]
    out = []
    for pos in range(len(top)):
        cells = to_text(top.iloc[pos].astype(object)).dropna()
        text = " ".join(str(c) for c in cells.tolist() if str(c).strip())
        if text:
            out.append(text)
    return out


def month_columns(names: dict[int, str]) -> dict[int, tuple[int, int | None]]:
    """Grid columns whose header names a month: ``{column: (month 1-12, year or None)}``."""
    out: dict[int, tuple[int, int | None]] = {}
    for col, header in names.items():
        # A group header over the months is joined as "Số tiền các tháng - T1": the month is the last part.
        for text in dict.fromkeys([header, header.rsplit(" - ", 1)[-1]]):
            m = next((p.match(fold(text)) for p in _MONTH_HEADER if p.match(fold(text))), None)
            if m:
                year = m.group(2)
                out[col] = (int(m.group(1)), int(year) if year else None)
                break
    return out
