"""Category sections: the category of a record read from the section rows above it (contract §1a).

Printed beneficiary lists have no category column: records sit under section rows such as
``I. NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG`` or ``2. Người cao tuổi từ đủ 80 tuổi trở lên``, which may
nest (``I. NGƯỜI KHUYẾT TẬT`` › ``1. Đặc biệt nặng``). A section row holds a numbering token
and/or a label, in one cell or merged across the row, and no person. The labels from the
outermost to the innermost section together give the category (and the disability level where
they say it), through the same category table as a category column.

Subtotal rows (``Cộng``, ``Cộng mục I``, ``Cộng: 12 người``, a row with only a number in an amount
column) are not records. A record above every section, or under a label that maps to no category,
keeps no category: the caller turns it into an ``UNREADABLE_ROW`` naming the label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from audit_toolkit.contract import CategoryTable, map_categories
from audit_toolkit.normalize import fold, normalize_text

__all__ = ["Sections", "find_sections"]

# Numbering tokens by depth kind. Bare digits are the STT of a record, so a digit must carry "." or ")".
_ROMAN = r"(?:X{0,3})(?:IX|IV|V?I{0,3})"
_TOKENS: list[tuple[str, re.Pattern[str]]] = [
    ("roman", re.compile(rf"^(?=[IVX])({_ROMAN})(?:[.)]|\s|$)")),
    ("upper", re.compile(r"^([A-H])(?:[.)]|\s+(?=\S)|$)")),
    ("dotted", re.compile(r"^(\d{1,2}\.\d{1,2})\.?(?=\s|$)")),
    ("digit", re.compile(r"^(\d{1,2})\.(?!\d)")),
    ("paren", re.compile(r"^(\d{1,2})\)")),
    ("lower", re.compile(r"^([a-h])[.)]")),
    ("bullet", re.compile(r"^([-+*•–])\s*(?=\S)")),
]
_NUMBER = re.compile(r"^[\d.,\s]+(?:đ|d|đồng)?$")
# "NGƯỜI KHUYẾT TẬT (12 người)", "Trẻ mồ côi: 3 đối tượng": the count is not part of the label.
_UNITS = r"(?:người|đối tượng|đt|hộ|trẻ|cháu)"
_COUNT = re.compile(
    rf"\s*(?:\(\s*\d+\s*{_UNITS}?\s*\)|[:\-–]\s*\d+\s*{_UNITS}?|\d+\s*{_UNITS})\s*$", re.IGNORECASE
)
_SUBTOTAL = re.compile(r"^(cong|tong cong|tong so|tong|total)( .*)?$")
_LETTERS = re.compile(r"[^\W\d_]{2,}")
#: The cleaned label of rows under no section (what ``normalize_text`` gives for a missing label).
_NO_LABEL = pd.Series([np.nan], dtype="str")


@dataclass
class Sections:
    """What the section rows of one sheet say about each data row."""

    section_rows: pd.Series  # bool: the row is a section row (not a record)
    subtotal_rows: pd.Series  # bool: a subtotal row (not a record)
    label: pd.Series  # per row: the label text the category is read from (NaN: no section above)
    path: pd.Series  # per row: the section labels outer → inner, joined with " › " (NaN: none)
    mapped: pd.Series  # bool per row: the label maps to a category
    count: int = 0  # number of section rows
    labels: list[str] = field(default_factory=list)  # distinct section paths, in order


def _token(text: str) -> tuple[str | None, str]:
    """``("roman", "NGƯỜI KHUYẾT TẬT")`` for ``"I. NGƯỜI KHUYẾT TẬT"``; ``(None, text)`` without a token."""
    for kind, pattern in _TOKENS:
        m = pattern.match(text)
        if m and m.group(1):
            return kind, text[m.end() :].lstrip(" .:-–)\t").rstrip()
    return None, text


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _is_label(text: str) -> bool:
    return bool(_LETTERS.search(text))


def find_sections(
    data: pd.DataFrame,
    present: pd.DataFrame,
    *,
    person_cols: list[int],
    name_cols: list[int] | None = None,
    money_cols: list[int],
    categories: CategoryTable,
    outer: str | None = None,
) -> Sections:
    """Section and subtotal rows of ``data`` and the section label of every row.

    Args:
        data: the grid below the header (index = Excel row numbers).
        present: cell-present mask of the columns in use (same index).
        person_cols: grid columns that hold a person (name, birth date, ID): a section row has none.
        money_cols: amount columns: a row with only numbers there is a subtotal.
        categories: the ward's category table.
        outer: a label above every section (the sheet's name in a one-sheet-per-category workbook).
    """
    index = data.index
    # The mask as one array (a few row-wise reductions on plain arrays, no frame per column subset).
    mask = present.to_numpy(dtype=bool)
    at: dict[int, int] = {int(c): i for i, c in enumerate(present.columns.tolist())}

    def any_of(cols: list[int]) -> np.ndarray:
        where = np.array([at[c] for c in cols if c in at], dtype=np.int64)
        return np.asarray(mask[:, where].any(axis=1), dtype=bool)

    filled = mask.sum(axis=1)
    # Only rows with no person can be section or subtotal rows; a section row holds a label, maybe its
    # numbering in its own cell, and maybe counts or amounts.
    person_free = ~any_of(person_cols)
    candidates = (filled <= 4) & person_free
    section = pd.Series(False, index=index)
    subtotal = pd.Series(False, index=index)
    tokens: dict[int, tuple[str | None, str, bool]] = {}
    # A tidy list has no candidate at all: no frame of them and no row tuples to build then.
    sub = data.loc[candidates] if candidates.any() else None
    rows = (
        zip(sub.index.tolist(), sub.itertuples(index=False, name=None), strict=True)
        if sub is not None
        else ()
    )
    for row, cells in rows:
        all_texts = [_cell_text(v) for v in cells]
        texts = [t for t in all_texts if t]
        if not texts:
            continue
        in_name_col = all_texts.index(texts[0]) in (name_cols or [])
        joined = " ".join(texts)
        # "Cộng mục I", "Cộng: 12 người", or only numbers (a count and an amount, no one named).
        if _SUBTOTAL.match(fold(joined)) or (len(texts) > 1 and all(_NUMBER.match(t) for t in texts)):
            subtotal[row] = True
            continue
        # A label with its count or subtotal beside it ("12 người", "8.640.000"): those say nothing.
        texts = [texts[0]] + [t for t in texts[1:] if not (_NUMBER.match(t) or _COUNT.fullmatch(t))]
        if len(texts) > 2:
            continue
        kind, rest = _token(texts[0])
        if kind is not None and not rest and len(texts) == 2:
            rest = texts[1]  # "I" in the STT column, the label in the next one
        elif kind is None and len(texts) == 2:
            # A bare number in the STT column followed by a label: a section only when the label maps.
            if re.fullmatch(r"\d{1,2}", texts[0]) and _is_label(texts[1]):
                kind, rest = "number", texts[1]
            else:
                continue
        elif kind is None:
            rest = texts[0]
        rest = _COUNT.sub("", rest).strip(" :.-–")
        if not _is_label(rest):
            continue
        tokens[row] = (kind, rest, in_name_col)
    # A row with only numbers in amount columns (and nothing else) is a subtotal.
    if money_cols:
        only_money = person_free & any_of(money_cols)
        others = [c for c in (int(x) for x in present.columns.tolist()) if c not in set(money_cols)]
        if others:
            only_money &= ~any_of(others)
        subtotal |= only_money

    # Decide which candidate rows are sections: a numbering token, capitals, or a label that maps.
    labels_seen = pd.Series([rest for _, rest, _ in tokens.values()], dtype="str")
    maps = map_categories(labels_seen, table=categories)["category"].notna().tolist() if tokens else []
    stack: list[tuple[str, str]] = [("outer", outer)] if outer else []
    per_row: dict[int, list[str]] = {}
    for (row, (kind, rest, in_name_col)), label_maps in zip(tokens.items(), maps, strict=True):
        numbered = kind is not None and kind != "number"
        # A name in capitals alone in the name column is a broken record, not a section.
        capitals = kind is None and rest.upper() == rest and len(rest.split()) >= 2 and not in_name_col
        if not (numbered or capitals or label_maps):
            continue
        section[row] = True
        # Nesting follows the order in which numbering kinds first appear (forms use I › 1 › a, or
        # A › I › 1): a kind already open closes itself and everything inside it.
        key = kind or "none"
        kinds = [k for k, _ in stack]
        if key in kinds:
            stack = stack[: kinds.index(key)]
        stack.append((key, rest))
        per_row[row] = [t for _, t in stack]

    path_values = np.full(len(index), outer, dtype=object)
    if per_row:
        path_values[index.get_indexer(pd.Index(list(per_row)))] = [
            " › ".join(labels) for labels in per_row.values()
        ]
    path = pd.Series(path_values, index=index, dtype="object").ffill()
    # Labels are resolved and cleaned once per distinct path (in order of first appearance), then spread.
    codes, uniques = pd.factorize(path, use_na_sentinel=True)
    distinct: list[str] = [str(p) for p in uniques]
    label_of: dict[str, str | None] = {p: _resolve(p, categories) for p in distinct}
    mapped_u = np.array([label_of[p] is not None for p in distinct] + [False], dtype=bool)
    label_u = pd.Series(
        [p if label_of[p] is None else label_of[p] for p in distinct] + [None], dtype="object"
    )
    # Without any section path every row's label is missing: no text to clean then.
    clean_u = normalize_text(label_u).values.astype("str") if distinct else _NO_LABEL.copy()
    pos = np.where(codes < 0, len(distinct), codes)
    label = clean_u.take(pos)
    label.index = index
    return Sections(
        section_rows=section,
        subtotal_rows=subtotal,
        label=label,
        path=path.astype("str"),
        mapped=pd.Series(mapped_u[pos], index=index, dtype=bool),
        count=int(section.sum()),
        labels=distinct,
    )


def _resolve(path: str, categories: CategoryTable) -> str | None:
    """The label text that maps a section path to a category, or ``None``.

    Joins of the labels ending with the innermost are tried from the outermost start (``NGƯỜI KHUYẾT
    TẬT`` + ``Đặc biệt nặng``) down to the innermost label alone. A join counts only if the innermost
    label changes what it maps to: an inner label that maps to nothing (``HỖ TRỢ ĐỘT XUẤT`` under
    ``NKT ĐBN``) never borrows its parent's category.
    """
    parts = path.split(" › ")
    with_inner = [" ".join(parts[i:]) for i in range(len(parts))]
    without_inner = [" ".join(parts[i:-1]) for i in range(len(parts))]
    mapped = map_categories(pd.Series(with_inner + without_inner, dtype="str"), table=categories)
    # Missing values as None: two NaN objects never compare equal.
    pairs = [
        (c if isinstance(c, str) else None, lv if isinstance(lv, str) else None)
        for c, lv in zip(mapped["category"].tolist(), mapped["implied_level"].tolist(), strict=True)
    ]
    n = len(with_inner)
    for i, text in enumerate(with_inner):
        code, level = pairs[i]
        if isinstance(code, str) and (code, level) != pairs[n + i]:
            return text
    return None
