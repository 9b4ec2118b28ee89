"""Typing a table: raw canonical columns → typed columns, plus the problems of each row.

A problem is a cell that is present but cannot be read, or an empty required value. The loader
moves rows with problems to ``WardData.unreadable``; nothing here drops a row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audit_toolkit.contract import VOCABULARIES, CategoryTable, ColumnSpec, TableSpec, map_categories
from audit_toolkit.errors import RuleError
from audit_toolkit.normalize import (
    Parsed,
    is_blank,
    name_key,
    normalize_coefficients,
    normalize_counts,
    normalize_dates,
    normalize_ids,
    normalize_money,
    normalize_months,
    normalize_text,
    normalize_vocab,
    to_text,
)
from audit_toolkit.payment_months import ARREARS_REASON, LUMP_COLUMNS, payment_months

__all__ = ["empty_column", "person_keys", "type_table"]

_NUMBER_PARSERS: dict[str, tuple[Callable[[pd.Series], Parsed], str]] = {
    "month": (normalize_months, "cannot read month"),
    "money": (normalize_money, "cannot read amount"),
    "coefficient": (normalize_coefficients, "cannot read coefficient"),
    "count": (normalize_counts, "cannot read count"),
}


#: Vocabulary columns whose written text is kept as ``<column>_raw``: ``end_reason`` (free text), and
#: ``poverty_status``, where a written "không" (no value) is evidence of a household neither poor nor
#: near-poor, unlike an empty cell (unknown): INELIGIBLE for HTXH lines aged 70-74.
_KEEP_RAW = ("end_reason", "poverty_status")


def empty_column(col: ColumnSpec, index: pd.Index) -> pd.Series:
    """An all-missing column with the dtype of ``col``'s kind."""
    if col.kind in ("date",):
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    if col.kind in ("month", "count"):
        return pd.Series(pd.NA, index=index, dtype="Int64")
    if col.kind in ("money", "coefficient"):
        return pd.Series(np.nan, index=index, dtype="float64")
    if col.kind == "vocab" and col.vocab and VOCABULARIES[col.vocab].dtype == "boolean":
        default = VOCABULARIES[col.vocab].default
        return pd.Series(pd.NA if default is None else default, index=index, dtype="boolean")
    if col.kind == "vocab" and col.vocab and VOCABULARIES[col.vocab].default is not None:
        return pd.Series(VOCABULARIES[col.vocab].default, index=index, dtype="str")
    return pd.Series(np.nan, index=index, dtype="str")


#: Below this many rows a column is typed directly: factorising would cost more than it saves.
_DISTINCT_MIN_ROWS = 20_000


class _Distinct:
    """A large text column seen through its distinct values.

    Every normaliser reads each cell on its own (the same text always gives the same result, and an
    empty cell the same result as any other), so a normaliser run once over the distinct values plus
    one missing value, then spread back by the factorisation codes, gives exactly what it gives on
    the whole column, in one pass per distinct value instead of one per row.
    """

    def __init__(self, cells: pd.Series, codes: np.ndarray, uniques: pd.Series) -> None:
        self.index = cells.index
        self.values = pd.concat([uniques, pd.Series([np.nan], dtype="str")], ignore_index=True)
        self.pos = np.where(codes < 0, len(uniques), codes)

    @classmethod
    def of(cls, cells: pd.Series) -> _Distinct | None:
        """The column's distinct values, or ``None`` when typing it directly is as cheap."""
        n = len(cells)
        if n < _DISTINCT_MIN_ROWS or not isinstance(cells.dtype, pd.StringDtype) or cells.dtype.storage != "pyarrow":
            return None
        # Mostly distinct (IDs): nothing to share. Spread rows and one block both look so, as a
        # sorted column (one record's months in a row) looks distinct when only spread rows are read.
        spread_rows, block = cells.iloc[:: max(1, n // 20_000)], cells.iloc[:20_000]
        if spread_rows.nunique() > 0.5 * len(spread_rows) and block.nunique() > 0.5 * len(block):
            return None
        arr = pa.array(cells.array)  # the column's own Arrow data, no copy
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        encoded = pc.dictionary_encode(arr)  # codes in order of first appearance, null for missing
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        uniques = pd.Series(cells.dtype.__from_arrow__(encoded.dictionary), dtype=cells.dtype)
        return cls(cells, codes, uniques)

    def spread(self, values: pd.Series) -> pd.Series:
        """Per-distinct ``values`` (aligned with :attr:`values`) as a column of the original rows."""
        out = values.iloc[self.pos]
        out.index = self.index
        return out

    def unchanged(self, values: pd.Series) -> bool:
        """Whether per-distinct ``values`` equal the distinct values themselves, none missing."""
        values, own = values.iloc[:-1], self.values.iloc[:-1]
        return bool(values.notna().all() and values.eq(own).all())

    def parsed(self, parsed: Parsed) -> Parsed:
        """A normaliser's result on :attr:`values`, spread back to the rows."""
        year_only = None if parsed.year_only is None else self.spread(parsed.year_only)
        return Parsed(self.spread(parsed.values), self.spread(parsed.bad), year_only)


class _Problems:
    """Collects (row, column, value, reason) for the rows that cannot be read."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(
        self, mask: pd.Series, column: str, raw: pd.Series | None, reason: str, *, quote: bool = True
    ) -> None:
        if not mask.any():
            return
        idx = mask[mask].index
        values = (
            to_text(raw.loc[idx]).fillna("") if raw is not None else pd.Series("", index=idx, dtype="str")
        )
        text = (reason + " '" + values + "'") if quote else pd.Series(reason, index=idx, dtype="str")
        self.parts.append(
            pd.DataFrame(
                {"idx": idx, "column": column, "value": values.to_numpy(), "reason": column + ": " + text}
            )
        )

    def frame(self) -> pd.DataFrame:
        """One line per row: bad columns, their values and reasons joined."""
        if not self.parts:
            return pd.DataFrame(columns=["column", "value", "reason"], index=pd.Index([], name="idx"))
        long = pd.concat(self.parts, ignore_index=True)
        return long.groupby("idx", sort=True).agg(
            column=("column", ", ".join), value=("value", " | ".join), reason=("reason", "; ".join)
        )


def type_table(
    raw: pd.DataFrame, spec: TableSpec, *, categories: CategoryTable
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed canonical columns of ``raw`` and the problems per row (index = ``raw`` index).

    ``raw`` holds raw cells under canonical names for the columns found; absent optional
    columns are added all-missing. Unknown columns are not touched here.
    """
    out: dict[str, pd.Series] = {}
    problems = _Problems()
    empty: dict[str, pd.Series] = {}
    for col in spec.columns.values():
        if col.name not in raw.columns:
            out[col.name] = empty_column(col, raw.index)
            if col.kind == "date":
                out[f"{col.name}_year_only"] = pd.Series(False, index=raw.index)
            if col.kind in ("id", "id12"):
                out[f"{col.name}_raw"] = pd.Series(np.nan, index=raw.index, dtype="str")
            if col.kind == "category":
                out["category_raw"] = pd.Series(np.nan, index=raw.index, dtype="str")
            if col.kind == "vocab" and col.name in _KEEP_RAW:
                out[f"{col.name}_raw"] = pd.Series(np.nan, index=raw.index, dtype="str")
            empty[col.name] = pd.Series(True, index=raw.index)
            continue
        cells = raw[col.name]
        distinct = _Distinct.of(cells)
        # A normaliser runs on ``src`` (the cells, or their distinct values) and ``spread`` maps its
        # result back to the rows.
        src = cells if distinct is None else distinct.values

        def spread(values: pd.Series, distinct: _Distinct | None = distinct) -> pd.Series:
            return values if distinct is None else distinct.spread(values)

        def typed_by(func: Callable[[pd.Series], Parsed], distinct: _Distinct | None = distinct) -> Parsed:
            return func(cells) if distinct is None else distinct.parsed(func(distinct.values))

        # Only text, IDs (their _raw) and labels need the cleaned text; the rest only need emptiness.
        needs_text = col.kind in ("text", "id", "id12", "category") or col.name in _KEEP_RAW
        text_src = normalize_text(src).values if needs_text else None
        empty_src = text_src.isna() if text_src is not None else is_blank(src)
        empty[col.name] = spread(empty_src)
        # ``text`` is read below only for the columns that need it.
        text = spread(text_src) if text_src is not None else cells
        if distinct is not None and text_src is not None and distinct.unchanged(text_src):
            text = cells  # clean already (the usual column): no need to spread
        if col.kind == "text":
            out[col.name] = text
        elif col.kind in ("id", "id12"):
            width = 12 if col.kind == "id12" else None
            parsed = typed_by(lambda c, width=width: normalize_ids(c, width=width))
            out[col.name] = parsed.values
            out[f"{col.name}_raw"] = text
            problems.add(parsed.bad, col.name, cells, "ID in scientific notation, digits lost")
        elif col.kind == "date":
            parsed = typed_by(normalize_dates)
            out[col.name] = parsed.values
            # normalize_dates always fills year_only (None is for the other parsers).
            out[f"{col.name}_year_only"] = cast(pd.Series, parsed.year_only)
            problems.add(parsed.bad, col.name, cells, "cannot read date")
        elif col.kind in _NUMBER_PARSERS:
            func, reason = _NUMBER_PARSERS[col.kind]
            parsed = typed_by(func)
            out[col.name] = parsed.values
            problems.add(parsed.bad, col.name, cells, reason)
        elif col.kind == "category":
            mapped = map_categories(cells, table=categories, allow_total=spec.keeps_totals)
            out[col.name] = mapped["category"]
            out["category_raw"] = text
            out["_implied_level"] = mapped["implied_level"]
            problems.add(mapped["bad"], col.name, cells, "unknown category label")
        elif col.kind == "vocab":
            if col.vocab is None:
                raise RuleError(
                    f"column {col.name!r} of kind vocab names no vocabulary",
                    file="tables.yml",
                    section=spec.name,
                    fix="add vocab: <name in vocabularies.yml> to the column",
                )
            vocab = VOCABULARIES[col.vocab]
            parsed = normalize_vocab(
                src, vocab.mapping, patterns=list(vocab.patterns), fallback=vocab.fallback, symbols=vocab.symbols
            )
            values = parsed.values
            if vocab.default is not None:
                values = values.where(~empty_src, vocab.default)
            values = values.astype("boolean") if vocab.dtype == "boolean" else values.astype("str")
            out[col.name] = spread(values)
            parsed = Parsed(values, spread(parsed.bad))
            if col.name in _KEEP_RAW:
                out[f"{col.name}_raw"] = text
            problems.add(parsed.bad, col.name, cells, f"unknown {col.name} value")
    typed = pd.DataFrame(out, index=raw.index)
    implied = typed.pop("_implied_level") if "_implied_level" in typed else None
    if implied is not None and "disability_level" in typed:
        # "Người khuyết tật đặc biệt nặng" as a category says the level when the column is empty.
        typed["disability_level"] = (
            typed["disability_level"].where(typed["disability_level"].notna(), implied).astype("str")
        )
    _required(spec, raw, empty, problems)
    if spec.name == "payments" and any(c in raw.columns for c in LUMP_COLUMNS):
        # Catch-up and recovered money: the months each amount is for (data contract §1a). A list
        # without those columns pays each row's own month (checks/facts.py reads it so).
        ranges, no_months = payment_months(typed)
        typed = pd.concat([typed, ranges], axis=1)
        problems.add(no_months, "arrears", None, ARREARS_REASON, quote=False)
    return typed, problems.frame()


def _required(spec: TableSpec, raw: pd.DataFrame, empty: dict[str, pd.Series], problems: _Problems) -> None:
    for col in spec.columns.values():
        if col.required:
            problems.add(empty[col.name], col.name, None, "required value missing", quote=False)
    for group in spec.one_of:
        none = pd.concat([empty[c] for c in group], axis=1).all(axis=1)
        problems.add(none, "/".join(group), None, "one of them is required", quote=False)
    for col_name, other in spec.required_unless.items():
        problems.add(
            empty[col_name] & empty[other], col_name, None, f"required when {other} is empty", quote=False
        )


def person_keys(table: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """``name_key`` and ``person_key`` of each row (see docs/architecture.md)."""
    index = table.index
    missing: pd.Series = pd.Series(np.nan, index=index, dtype="str")
    names: pd.Series = table["full_name"] if "full_name" in table else missing
    nk = name_key(names)
    ids: pd.Series = table["national_id"] if "national_id" in table else missing
    valid = ids.str.fullmatch(r"\d{12}").fillna(False).astype(bool)
    key: pd.Series = pd.Series(np.nan, index=index, dtype="str")
    need = ~valid & nk.notna()
    if "birth_date" in table and need.any():
        # Only rows without a valid ID need the name + birth date key.
        birth = table["birth_date"][need]
        nk_need = nk[need]
        year_only = table.get("birth_date_year_only", pd.Series(False, index=index))[need].astype(bool)
        # Format each distinct birth date once: a million residents share a few tens of thousands.
        codes, uniques = pd.factorize(birth)
        iso = pd.Series(pd.DatetimeIndex(uniques).strftime("%Y-%m-%d").tolist() + [None], dtype="str")
        when = pd.Series(
            iso.to_numpy()[np.where(codes < 0, len(uniques), codes)], index=birth.index, dtype="str"
        )
        when = when.where(~year_only, when.str.slice(0, 4))
        by_name: pd.Series = ("nb:" + nk_need + "|" + when).where(birth.notna())
        key[by_name.index] = by_name
    key = key.where(~valid, "id:" + ids)
    return nk.astype("str"), key.astype("str")
