"""Header detection and column mapping.

The header is the first row (of the first 30) whose cells name at least two known columns of the
table. Title rows and blank rows above it are skipped. A second header row is combined with the
first when cells are merged across or down, or when combining names more known columns (a group
header "Ngày sinh" over "Nam" / "Nữ" sub-columns is understood as birth date plus sex). A row of
column numbers right below (``(1) (2) (3)`` or ``1 2 3``) is skipped.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from audit_toolkit.contract import IGNORED_HEADERS, TableSpec
from audit_toolkit.errors import InputError
from audit_toolkit.normalize import cell_to_str, fold, fold_key

__all__ = ["HeaderLayout", "detect_header", "missing_columns_error"]

_SCAN_ROWS = 30
_NUMBER_CELL = re.compile(r"^\(?\s*(\d{1,3}|[a-zA-Z])\s*\)?$")
_IGNORED = frozenset(fold_key(h) for h in IGNORED_HEADERS)
# Sub-headers that split a column by sex ("Ngày sinh" over "Nam" | "Nữ").
_SEX_SUBS = {"nam": "M", "nu": "F"}


@dataclass
class HeaderLayout:
    """Where the header is and what each grid column means."""

    header_rows: list[int]  # 1-based row numbers of the header row(s)
    skip_rows: list[int]  # header rows plus a column-number row: not data
    names: dict[int, str]  # grid column → header text as combined
    mapping: dict[int, str] = field(default_factory=dict)  # grid column → canonical column
    extra: dict[int, str] = field(default_factory=dict)  # grid column → unknown header (kept)
    sex_split: dict[str, dict[str, int]] = field(default_factory=dict)  # canonical → {"M": col, "F": col}
    ambiguous: dict[int, list[str]] = field(default_factory=dict)  # grid column → candidates left to values
    duplicates: list[str] = field(default_factory=list)  # headers naming a column already taken


def _keys(spec: TableSpec, user_map: dict[str, str]) -> dict[str, list[str]]:
    keys = spec.header_keys()
    for header, canonical in user_map.items():
        keys[fold_key(header)] = [canonical]
    return keys


def _score(cells: list[str], keys: dict[str, list[str]]) -> int:
    found: set[str] = set()
    for cell in cells:
        found.update(keys.get(fold_key(cell), []))
    return len(found)


def _cell_text(value: object) -> str:
    """One cell as header text: as :func:`audit_toolkit.normalize.to_text` writes it, trimmed; ``""`` when empty."""
    text = cell_to_str(value)
    return "" if text is None else str(text).strip()


def _head_texts(grid: pd.DataFrame, n: int) -> list[list[str]]:
    """The texts of the first ``n`` rows of ``grid``, read once as plain Python values.

    Text cells (all of a CSV's) are only trimmed, as :func:`_cell_text` does to them, without a
    call per cell: a table's header search reads ≈ 800 cells.
    """
    rows: list[list[Any]] = grid.iloc[:n].to_numpy(dtype=object).tolist()
    return [[v.strip() if isinstance(v, str) else _cell_text(v) for v in row] for row in rows]


def _merge_fill(
    top: list[str], row0: int, merges: list[tuple[tuple[int, int], tuple[int, int]]]
) -> list[str]:
    """Spread a horizontally merged header cell over the columns it covers."""
    out = list(top)
    for (r0, c0), (r1, c1) in merges:
        if r0 <= row0 <= r1 and c1 > c0:
            for c in range(c0 + 1, min(c1 + 1, len(out))):
                if not out[c]:
                    out[c] = out[c0]
    return out


def _is_number_row(cells: list[str]) -> bool:
    filled = [c for c in cells if c]
    return len(filled) >= 2 and all(_NUMBER_CELL.match(c) for c in filled)


def _name(top: str, sub: str, keys: dict[str, list[str]]) -> str:
    if not sub:
        return top
    if not top or top == sub:
        return sub
    for candidate in (sub, f"{top} {sub}", top):
        if fold_key(candidate) in keys:
            return candidate
    return f"{top} - {sub}"


def detect_header(
    grid: pd.DataFrame,
    spec: TableSpec,
    *,
    merges: list[tuple[tuple[int, int], tuple[int, int]]] | None = None,
    user_map: dict[str, str] | None = None,
) -> HeaderLayout | None:
    """Find the header row(s) of a grid and map its columns to canonical names.

    Returns ``None`` when no row of the first 30 names two known columns.
    """
    merges = merges or []
    user_map = user_map or {}
    keys = _keys(spec, user_map)
    n = min(_SCAN_ROWS, len(grid))
    rows = _head_texts(grid, min(n + 2, len(grid)))
    pos = next((i for i in range(n) if _score(rows[i], keys) >= 2), None)
    if pos is None:
        return None
    excel_row0 = int(grid.index[pos]) - 1  # merges are 0-based sheet coordinates
    top = _merge_fill(rows[pos], excel_row0, merges)
    header_rows = [int(grid.index[pos])]
    names = dict(enumerate(top))
    subs: list[str] = []
    if pos + 1 < len(rows) and not _is_number_row(rows[pos + 1]):
        sub = rows[pos + 1]
        merged_here = any(r0 == excel_row0 and (c1 > c0 or r1 > r0) for (r0, c0), (r1, c1) in merges)
        if not merges:
            # CSV or unmerged sheet: a group header is written once, spread it right over empty cells.
            filled = list(top)
            for c in range(1, len(filled)):
                if not filled[c] and sub[c] and filled[c - 1]:
                    filled[c] = filled[c - 1]
            top_try = filled
        else:
            top_try = top
        combined = [_name(t, s, keys) for t, s in zip(top_try, sub, strict=False)]
        gains = _score(combined, keys) > _score(top, keys)
        sex_cols = [c for c, s in enumerate(sub) if fold(s) in _SEX_SUBS and top_try[c]]
        if merged_here or gains or len(sex_cols) == 2:
            subs = sub
            top = top_try
            names = dict(enumerate(combined))
            header_rows.append(int(grid.index[pos + 1]))
    skip = list(header_rows)
    nxt = pos + len(header_rows)
    if nxt < len(rows) and _is_number_row(rows[nxt]):
        skip.append(int(grid.index[nxt]))
    layout = HeaderLayout(header_rows=header_rows, skip_rows=skip, names=names)
    _assign(layout, top, subs, keys)
    return layout


def _assign(layout: HeaderLayout, top: list[str], subs: list[str], keys: dict[str, list[str]]) -> None:
    taken: set[str] = set()
    pending: list[tuple[int, list[str]]] = []
    for col, text in layout.names.items():
        if subs and col < len(subs) and fold(subs[col]) in _SEX_SUBS and top[col]:
            group = keys.get(fold_key(top[col]), [])
            target = next((g for g in group if g in ("birth_date", "sex")), None)
            if target:
                layout.sex_split.setdefault(target, {})[_SEX_SUBS[fold(subs[col])]] = col
                continue
        key = fold_key(text)
        if not key or key in _IGNORED and key not in keys:
            continue
        candidates = keys.get(key, [])
        if len(candidates) == 1:
            if candidates[0] in taken:
                layout.duplicates.append(text)
                layout.extra[col] = text
            else:
                layout.mapping[col] = candidates[0]
                taken.add(candidates[0])
        elif candidates:
            pending.append((col, candidates))
        else:
            layout.extra[col] = text
    for target in list(layout.sex_split):
        if len(layout.sex_split[target]) != 2 or target in taken:
            # Only one of Nam/Nữ (or the column exists anyway): keep them as plain columns.
            for col in layout.sex_split.pop(target).values():
                layout.extra[col] = layout.names[col]
        else:
            taken.add(target)
    for col, candidates in pending:
        free = [c for c in candidates if c not in taken]
        if not free:
            layout.duplicates.append(layout.names[col])
            layout.extra[col] = layout.names[col]
        elif len(free) == 1:
            layout.mapping[col] = free[0]
            taken.add(free[0])
        else:
            layout.ambiguous[col] = free
            taken.update(free[:1])


def missing_columns_error(
    spec: TableSpec,
    missing: list[str],
    headers: list[str],
    *,
    file: str,
    sheet: str | None,
    columns_file: str = "columns.yml",
    mapped: set[str] | None = None,
    lang: str = "en",
) -> InputError:
    """The error for required columns that were not found: what was found, the closest known names, the fix.

    A header that is a row number (``STT``) or already read as another column is never suggested
    as the one to map. When ``category`` is missing, the fix also says that section rows or one
    sheet per category work without a category column.
    """
    from audit_toolkit.messages import t

    alias_text = {fold_key(a): a for c in spec.columns.values() for a in (c.name, *c.aliases)}
    taken = {fold_key(h) for h in (mapped or set())}
    # Headers that could be the missing column: not a row number, not already understood.
    free = [h for h in headers if h and fold_key(h) not in _IGNORED and fold_key(h) not in taken]
    lines = []
    for canonical in missing:
        col = spec.columns[canonical]
        own = {fold_key(a): a for a in (col.name, *col.aliases)}
        close: list[str] = []
        for header in free:
            if difflib.get_close_matches(fold_key(header), list(own), n=1, cutoff=0.6):
                close.append(header)
        known = ", ".join(col.aliases[:6]) or canonical
        hint = f" (closest headers in the file: {', '.join(repr(h) for h in close)})" if close else ""
        lines.append(f"'{canonical}' — known names: {known}{hint}")
    closest_known = sorted(
        {
            alias_text[m]
            for h in free
            for m in difflib.get_close_matches(fold_key(h), list(alias_text), n=2, cutoff=0.6)
        }
    )
    found = ", ".join(repr(h) for h in headers if h) or "(none)"
    example_header = next((h for h in free if fold_key(h) not in alias_text), "Your header")
    message = (
        f"Required column(s) missing in table '{spec.name}': "
        + "; ".join(lines)
        + f". Headers found: {found}."
        + (f" Closest known names: {', '.join(closest_known)}." if closest_known else "")
    )
    fix = (
        f"Rename a header to one of the known names, or map your header in {columns_file} in the ward folder, e.g.\n"
        f'  {spec.name}:\n    "{example_header}": {missing[0]}'
    )
    if "category" in missing:
        fix += "\n" + t("io.category_missing_hint", lang)
    return InputError(message, file=file, sheet=sheet or None, column=missing[0], fix=fix)
