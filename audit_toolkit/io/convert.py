"""Typing a table: raw canonical columns → typed columns, plus the problems of each row.

A problem is a cell that is present but cannot be read, or an empty required value. The loader
moves rows with problems to ``WardData.unreadable``; nothing here drops a row.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audit_toolkit.contract import (
    VOCABULARIES,
    CategoryTable,
    ColumnSpec,
    TableSpec,
    Vocabulary,
    map_categories,
)
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

__all__ = ["PERSON_KEY_INPUTS", "empty_column", "person_keys", "type_table", "type_tables"]

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


#: A column this long is checked for being mostly distinct (IDs) before it is factorised.
_DISTINCT_MIN_ROWS = 20_000

#: What a normaliser job returns: its outputs as columns of a frame aligned with the cells given.
_JobFunc = Callable[[pd.Series], pd.DataFrame]


def arrow_text(cells: pd.Series) -> bool:
    return isinstance(cells.dtype, pd.StringDtype) and cells.dtype.storage == "pyarrow"


def _mostly_distinct(cells: pd.Series) -> bool:
    """A long column whose values are mostly distinct (IDs): factorising it would share nothing.
    Spread rows and one block must both look so: a sorted column (one record's months in a row)
    looks distinct when only spread rows are read."""
    n = len(cells)
    if n < _DISTINCT_MIN_ROWS:
        return False
    spread_rows, block = cells.iloc[:: max(1, n // 20_000)], cells.iloc[:20_000]
    return bool(spread_rows.nunique() > 0.5 * len(spread_rows) and block.nunique() > 0.5 * len(block))


class _Work:
    """Normaliser jobs asked for by the columns of one or more tables, run once per kind of job.

    Every normaliser reads each cell on its own: the same text always gives the same result, and an
    empty cell the same result as any other. So the text columns that need the same normaliser
    (the three date columns of a table, the dates of every table of a ward, of several wards) are
    joined, the normaliser runs once over their distinct values plus one missing value, and each
    column takes its rows back by the factorisation codes: exactly what one call per column gives,
    for a fraction of the calls and one pass per distinct value instead of one per row. Cells read
    from a workbook (Python objects) are typed column by column, as they come.
    """

    def __init__(self) -> None:
        self.funcs: dict[Hashable, _JobFunc] = {}
        self.asked: dict[Hashable, list[tuple[int, pd.Series]]] = {}
        self.results: dict[int, pd.DataFrame] = {}
        self.count = 0

    def ask(self, key: Hashable, func: _JobFunc, cells: pd.Series) -> int:
        """Ask for ``func(cells)`` (``key`` names ``func`` with its parameters); returns a ticket."""
        ticket = self.count
        self.count += 1
        if arrow_text(cells):
            self.funcs.setdefault(key, func)
            self.asked.setdefault(key, []).append((ticket, cells))
        else:
            self.results[ticket] = func(cells)
        return ticket

    def run(self) -> None:
        """Run every job asked for: small columns of a kind joined, a long one on its own (joining
        would copy it, and a mostly distinct one would make the whole join look distinct)."""
        for key, items in self.asked.items():
            small = [item for item in items if len(item[1]) < _DISTINCT_MIN_ROWS]
            groups = [small] if small else []
            groups += [[item] for item in items if len(item[1]) >= _DISTINCT_MIN_ROWS]
            for group in groups:
                self._run(self.funcs[key], group)
        self.asked = {}

    def _run(self, func: _JobFunc, items: list[tuple[int, pd.Series]]) -> None:
        columns = [cells for _, cells in items]
        joined = (
            columns[0].reset_index(drop=True) if len(columns) == 1 else pd.concat(columns, ignore_index=True)
        )
        if _mostly_distinct(joined):
            result = func(joined)
            pos = np.arange(len(joined))
        else:
            arr = pa.array(joined.array)  # the column's own Arrow data, no copy
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks()
            encoded = pc.dictionary_encode(arr)  # null where a cell is missing
            uniques = pd.Series(
                cast(Any, joined.dtype).__from_arrow__(encoded.dictionary), dtype=joined.dtype
            )
            result = func(pd.concat([uniques, pd.Series([np.nan], dtype="str")], ignore_index=True))
            codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            pos = np.where(codes < 0, len(uniques), codes)
        start = 0
        for ticket, cells in items:
            part = result.iloc[pos[start : start + len(cells)]]
            part.index = cells.index
            self.results[ticket] = part
            start += len(cells)

    def get(self, ticket: int) -> pd.DataFrame:
        """The result of a job (run first)."""
        return self.results.pop(ticket)


def _parsed_frame(parsed: Parsed) -> pd.DataFrame:
    frame = {"v": parsed.values, "bad": parsed.bad}
    if parsed.year_only is not None:
        frame["yo"] = parsed.year_only
    return pd.DataFrame(frame)


def _text_job(cells: pd.Series) -> pd.DataFrame:
    return normalize_text(cells).values.to_frame("v")


def _blank_job(cells: pd.Series) -> pd.DataFrame:
    return is_blank(cells).to_frame("v")


def _id_job(width: int | None) -> _JobFunc:
    return lambda cells: _parsed_frame(normalize_ids(cells, width=width))


def _parser_job(func: Callable[[pd.Series], Parsed]) -> _JobFunc:
    return lambda cells: _parsed_frame(func(cells))


def _vocab_job(vocab: Vocabulary, keep_raw: bool) -> _JobFunc:
    """Codes of a vocabulary column as typed (default for an empty cell, cast) and the bad mask."""

    def job(cells: pd.Series) -> pd.DataFrame:
        parsed = normalize_vocab(
            cells,
            vocab.mapping,
            patterns=list(vocab.patterns),
            fallback=vocab.fallback,
            symbols=vocab.symbols,
        )
        values = parsed.values
        if vocab.default is not None:
            # Empty as the column's emptiness is read: no cleaned text for a kept raw column, else blank.
            empty = normalize_text(cells).values.isna() if keep_raw else is_blank(cells)
            values = values.where(~empty, vocab.default)
        values = values.astype("boolean") if vocab.dtype == "boolean" else values.astype("str")
        return pd.DataFrame({"v": values, "bad": parsed.bad})

    return job


def _category_job(categories: CategoryTable, allow_total: bool) -> _JobFunc:
    return lambda cells: map_categories(cells, table=categories, allow_total=allow_total)


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
    return type_tables([(raw, spec, categories)])[0]


def type_tables(
    requests: list[tuple[pd.DataFrame, TableSpec, CategoryTable]],
) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """:func:`type_table` of several tables at once: the same results, each normaliser called once
    for all their columns that need it (see :class:`_Work`)."""
    work = _Work()
    plans = [_TablePlan(raw, spec, categories, work) for raw, spec, categories in requests]
    work.run()
    return [plan.finish(work) for plan in plans]


class _TablePlan:
    """The normaliser jobs one table asks for, then its typed columns and problems from their results."""

    def __init__(self, raw: pd.DataFrame, spec: TableSpec, categories: CategoryTable, work: _Work) -> None:
        self.raw, self.spec = raw, spec
        self.tickets: dict[tuple[str, str], int] = {}
        for col in spec.columns.values():
            if col.name not in raw.columns:
                continue
            cells = raw[col.name]

            def ask(
                what: str, key: Hashable, func: _JobFunc, col: ColumnSpec = col, cells: pd.Series = cells
            ) -> None:
                self.tickets[col.name, what] = work.ask(key, func, cells)

            # Only text, IDs (their _raw) and labels need the cleaned text; the rest only need emptiness.
            if self._needs_text(col):
                ask("text", "text", _text_job)
            else:
                ask("blank", "blank", _blank_job)
            if col.kind in ("id", "id12"):
                width = 12 if col.kind == "id12" else None
                ask("parsed", ("id", width), _id_job(width))
            elif col.kind == "date":
                ask("parsed", "date", _parser_job(normalize_dates))
            elif col.kind in _NUMBER_PARSERS:
                ask("parsed", col.kind, _parser_job(_NUMBER_PARSERS[col.kind][0]))
            elif col.kind == "category":
                key = ("category", id(categories), spec.keeps_totals)
                ask("parsed", key, _category_job(categories, spec.keeps_totals))
            elif col.kind == "vocab":
                if col.vocab is None:
                    raise RuleError(
                        f"column {col.name!r} of kind vocab names no vocabulary",
                        file="tables.yml",
                        section=spec.name,
                        fix="add vocab: <name in vocabularies.yml> to the column",
                    )
                keep_raw = col.name in _KEEP_RAW
                ask("parsed", ("vocab", col.vocab, keep_raw), _vocab_job(VOCABULARIES[col.vocab], keep_raw))

    @staticmethod
    def _needs_text(col: ColumnSpec) -> bool:
        return col.kind in ("text", "id", "id12", "category") or col.name in _KEEP_RAW

    def finish(self, work: _Work) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Typed columns and problems, from the results of the jobs (run)."""
        raw, spec = self.raw, self.spec
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
            if self._needs_text(col):
                text = work.get(self.tickets[col.name, "text"])["v"]
                empty[col.name] = text.isna()
            else:
                empty[col.name] = work.get(self.tickets[col.name, "blank"])["v"]
            if col.kind == "text":
                out[col.name] = text
                continue
            parsed = work.get(self.tickets[col.name, "parsed"])
            if col.kind in ("id", "id12"):
                out[col.name] = parsed["v"]
                out[f"{col.name}_raw"] = text
                problems.add(parsed["bad"], col.name, cells, "ID in scientific notation, digits lost")
            elif col.kind == "date":
                out[col.name] = parsed["v"]
                out[f"{col.name}_year_only"] = parsed["yo"]
                problems.add(parsed["bad"], col.name, cells, "cannot read date")
            elif col.kind in _NUMBER_PARSERS:
                out[col.name] = parsed["v"]
                problems.add(parsed["bad"], col.name, cells, _NUMBER_PARSERS[col.kind][1])
            elif col.kind == "category":
                out[col.name] = parsed["category"]
                out["category_raw"] = text
                out["_implied_level"] = parsed["implied_level"]
                problems.add(parsed["bad"], col.name, cells, "unknown category label")
            elif col.kind == "vocab":
                out[col.name] = parsed["v"]
                if col.name in _KEEP_RAW:
                    out[f"{col.name}_raw"] = text
                problems.add(parsed["bad"], col.name, cells, f"unknown {col.name} value")
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


#: The columns :func:`person_keys` reads (a table may lack some: their keys are then missing).
PERSON_KEY_INPUTS = ("full_name", "national_id", "birth_date", "birth_date_year_only")


def person_keys(table: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """``name_key`` and ``person_key`` of each row (see docs/architecture.md), from
    :data:`PERSON_KEY_INPUTS` alone: each row's keys depend on that row only."""
    index = table.index
    missing: pd.Series = pd.Series(np.nan, index=index, dtype="str")
    if not len(table):  # no rows (a table's undated rows, usually): no keys to make
        return missing, missing.copy()
    # Without names every name key is missing (what name_key gives for missing names).
    nk = name_key(table["full_name"]) if "full_name" in table else missing
    ids: pd.Series = table["national_id"] if "national_id" in table else missing
    # ASCII digits, as usable_ids reads them (a regex \d also takes full-width and Arabic-Indic ones).
    valid = ids.str.fullmatch(r"[0-9]{12}").fillna(False).astype(bool)
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
