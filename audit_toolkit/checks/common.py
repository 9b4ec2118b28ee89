"""Helpers shared by the check families (stale, missed, entitlement, identity, duplicates, process).

Naming people in sentences (:func:`person_label`), formatting dates (:func:`format_dates`,
:func:`born_text`), month numbers of dates, which IDs identify a person (:func:`usable_ids`),
lists per group (:func:`grouped_lists`, :func:`group_lists`),
gathering evidence rows per finding (:func:`sources_by`), text-key membership through Arrow
(:func:`isin_keys`) and person matching restricted to the rows that can match
(:func:`match_candidates`). Every helper works over whole frames; the same code serves a ward of
150 people and a province of a million residents.

Example:
    >>> isin_keys(pd.Series(["a", None, "b"]), pd.Series(["b"])).tolist()
    [False, False, True]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audit_toolkit.messages import fmt_vnd, render_rows, t
from audit_toolkit.months import month_label, month_of
from audit_toolkit.rules import load_rules

__all__ = [
    "active_in_month",
    "arrow_text",
    "born_text",
    "coef_text",
    "coefs_text",
    "format_dates",
    "frame_key_codes",
    "group_lists",
    "grouped_lists",
    "isin_keys",
    "key_codes",
    "key_positions",
    "lookup_numbers",
    "MATCH_COLUMNS",
    "take_rows",
    "match_candidates",
    "months_of",
    "months_text",
    "person_label",
    "render_rows",
    "sources_by",
    "text_isin",
    "usable_ids",
    "vnd_text",
    "vocab_text",
]

# Courtesy titles are for adults; children (AGE_OUT, young disabled people) are named without one.
# The adult age is a rule row (rules/data/constants.yml, Bộ luật Dân sự 2015 Art. 20).


def person_label(full_name: pd.Series, sex: pd.Series, age: pd.Series, lang: str) -> pd.Series:
    """``"Bà Nguyễn Thị X"`` / ``"Ms Nguyễn Thị X"``: the name with a courtesy title for adults.

    Args:
        full_name: names (missing names give an empty label part).
        sex: ``"M"`` / ``"F"`` / missing (no title when missing).
        age: completed years (no title under 18 or when unknown).
        lang: report language.

    Example:
        >>> person_label(pd.Series(["Lê Thị Cúc"]), pd.Series(["F"]), pd.Series([80]), "vi").tolist()
        ['Bà Lê Thị Cúc']
    """
    adult = (pd.to_numeric(age, errors="coerce") >= load_rules().adult_age).fillna(False).to_numpy(dtype=bool)
    sex_arr = sex.astype("object").to_numpy()
    male, female = t("stale.title.male", lang) + " ", t("stale.title.female", lang) + " "
    title = np.where(adult & (sex_arr == "M"), male, np.where(adult & (sex_arr == "F"), female, ""))
    names = full_name.astype("object").where(full_name.notna(), "").to_numpy()
    return pd.Series(title.astype(object) + names, index=full_name.index, dtype="object")


def format_dates(dates: pd.Series, year_only: pd.Series | None = None) -> pd.Series:
    """``dd/mm/yyyy`` (``yyyy`` where ``year_only``) for a datetime Series; ``""`` when missing.

    Formats each distinct date once (findings share few distinct dates).
    """
    dates = pd.Series(pd.to_datetime(dates.to_numpy()), index=dates.index)
    codes, uniques = pd.factorize(dates)
    full = pd.Series(uniques).dt.strftime("%d/%m/%Y").to_numpy(dtype=object)
    year = pd.Series(uniques).dt.strftime("%Y").to_numpy(dtype=object)
    yo = np.zeros(len(dates), dtype=bool)
    if year_only is not None:
        yo = year_only.fillna(False).to_numpy(dtype=bool)
    safe = np.where(codes < 0, 0, codes)
    if len(uniques):
        text = np.where(yo, year[safe], full[safe])
    else:
        text = np.full(len(dates), "", dtype=object)
    text = np.where(codes < 0, "", text)
    return pd.Series(text, index=dates.index, dtype="object")


def months_of(dates: pd.Series) -> pd.Series:
    """Month numbers of a datetime Series (``Int64``, NA kept)."""
    return cast(pd.Series, month_of(dates))


def sources_by(
    keys: pd.Series, tables: pd.Series | str, rows: pd.Series, refs: pd.Series | None = None
) -> dict[str, list[str]]:
    """``key → ["table:row", …]`` sorted by table then row, without duplicates (no per-group Python).

    Args:
        keys: the finding key of each evidence row.
        tables: the table name of each evidence row (or one name for all).
        rows: the 1-based spreadsheet row numbers.
        refs: optional, per evidence row, the sheet-qualified reference (``T3-2023!12``) of a table
            read from several sheets or files (:func:`audit_toolkit.checks.base.row_refs`); a
            non-null ref replaces the bare row number in the source (``payments:T3-2023!12``).
    """
    frame = pd.DataFrame(
        {
            "k": keys.astype("object").to_numpy(),
            "t": np.broadcast_to(np.asarray(tables, dtype=object), len(keys)),
            "r": rows.to_numpy(dtype="int64"),
            "x": "" if refs is None else refs.astype("object").fillna("").to_numpy(dtype=object),
        }
    )
    frame = frame.drop_duplicates().sort_values(["k", "t", "r", "x"], kind="stable")
    if frame.empty:
        return {}
    ref = frame["x"].to_numpy(dtype=object)
    where = np.where(ref != "", ref, frame["r"].astype(str).to_numpy(dtype=object))
    src = (frame["t"].to_numpy(dtype=object) + ":" + where).tolist()
    k = frame["k"].to_numpy(dtype=object)
    starts = np.r_[0, np.flatnonzero(k[1:] != k[:-1]) + 1]
    ends = np.r_[starts[1:], len(k)]
    # Slicing one Python list is far cheaper than one numpy view per group.
    return {k[s]: src[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)}


def isin_keys(values: pd.Series, keys: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """``values.isin(keys)`` for text keys (missing never matches), as one Arrow hash lookup.

    ``Series.isin`` on the pandas ``str`` dtype builds one Python object per key, which takes
    seconds for a million keys; ``pyarrow.compute.is_in`` does it in milliseconds.
    """
    if not len(values):
        return np.zeros(0, dtype=bool)
    vals = arrow_text(values if isinstance(values, pd.Series) else pd.Series(values))
    return text_isin(vals, arrow_text(keys if isinstance(keys, pd.Series) else pd.Series(keys)))


def text_isin(values: pa.Array, keys: pa.Array) -> np.ndarray:
    """:func:`isin_keys` on Arrow text arrays already made (missing never matches)."""
    if not len(values):
        return np.zeros(0, dtype=bool)
    keys = keys.drop_null()
    if not len(keys):
        return np.zeros(len(values), dtype=bool)
    if len(keys) > 2 * len(values):
        # Many keys, few values: the keys that are values at all are a short value set (same answer).
        keys = keys.filter(pc.is_in(keys, value_set=pc.unique(values), skip_nulls=True))
    hit = pc.is_in(values, value_set=pc.unique(keys), skip_nulls=True)
    return np.asarray(hit.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def lookup_numbers(values: pd.Series, mapping: pd.Series) -> np.ndarray:
    """``values.map(mapping).to_numpy(float64)`` for text keys (NaN where absent or missing).

    ``mapping`` is indexed by unique text keys (person keys, IDs). One Arrow hash pass instead of
    ``Series.map(Series)``, a Python loop per value on pandas 3 ``str`` columns.
    """
    out = np.full(len(values), np.nan)
    if not len(values) or not len(mapping):
        return out
    numbers = mapping.to_numpy(dtype="float64", na_value=np.nan)
    lc, rc = key_codes(values.astype("str"), pd.Series(mapping.index.to_numpy(dtype=object), dtype="str"))
    at = np.full(int(max(lc.max(initial=-1), rc.max(initial=-1))) + 1, -1, dtype=np.int64)
    known = np.flatnonzero(rc >= 0)
    at[rc[known]] = known
    hit = np.flatnonzero(lc >= 0)
    pos = at[lc[hit]]
    out[hit[pos >= 0]] = numbers[pos[pos >= 0]]
    return out


def key_positions(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """Position of each text value among ``keys`` (distinct), ``-1`` where absent or missing.

    One Arrow lookup into the keys: no encoding of the (possibly million) values as a whole.
    """
    at = pc.index_in(arrow_text(values), value_set=arrow_text(keys))
    return np.asarray(at.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def key_codes(left: pd.Series, right: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Shared integer codes of two key columns (equal values, equal codes; ``-1`` where missing).

    Text columns are encoded by Arrow in one hash pass (no Python object per value); other dtypes
    by ``pandas.factorize``.
    """
    n = len(left)
    if isinstance(left.dtype, pd.StringDtype) and isinstance(right.dtype, pd.StringDtype):
        # One contiguous array: encoding a chunked one builds a dictionary per chunk, then unifies them.
        both = pa.concat_arrays([arrow_text(left), arrow_text(right)])
        indices = both.dictionary_encode().indices
        codes = np.asarray(pc.fill_null(indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    else:
        same = left.dtype == right.dtype
        values = pd.concat(
            [left, right] if same else [left.astype("object"), right.astype("object")], ignore_index=True
        )
        codes = pd.factorize(values, use_na_sentinel=True)[0].astype(np.int64)
    return codes[:n], codes[n:]


def first_positions(keys: pd.Series, ids: pd.Series) -> np.ndarray:
    """Per value of ``ids``: the position of the first row of ``keys`` carrying it (-1 where none,
    and where the id is missing: a missing key matches nothing).

    For text, only the ids are hashed and every key is looked up in them (Arrow ``index_in``): a
    few care lines' ids against a million residents cost one pass over the residents, not a
    dictionary of all their IDs.
    """
    if isinstance(keys.dtype, pd.StringDtype) and isinstance(ids.dtype, pd.StringDtype):
        wanted = arrow_text(ids)
        found = pc.index_in(arrow_text(keys), value_set=wanted, skip_nulls=True)
        slot = np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
        # An id repeated in ``ids`` is one slot: the first position of its value.
        own = pc.index_in(wanted, value_set=wanted, skip_nulls=True)
        own_slot = np.asarray(pc.fill_null(own, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    else:
        slot, own_slot = key_codes(keys, ids)
    rows = np.flatnonzero(slot >= 0)
    first = np.full(int(max(slot.max(initial=-1), own_slot.max(initial=-1))) + 2, -1, dtype=np.int64)
    first[slot[rows[::-1]]] = rows[::-1]  # assigned last to first: the first row wins
    return np.where(own_slot >= 0, first[own_slot], -1)


def frame_key_codes(
    left: pd.DataFrame, right: pd.DataFrame, keys: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`key_codes` of several key columns combined (``-1`` where any part is missing)."""
    n = len(left)
    combined: np.ndarray | None = None
    for key in keys:
        lc, rc = key_codes(left[key], right[key])
        codes = np.concatenate([lc, rc])
        if combined is None:
            combined = codes
        else:
            width = int(codes.max(initial=-1)) + 2
            merged = np.where((combined < 0) | (codes < 0), -1, combined * width + codes)
            combined = np.where(merged < 0, -1, pd.factorize(merged)[0]).astype(np.int64)
    if combined is None:
        return np.zeros(n, dtype=np.int64), np.zeros(len(right), dtype=np.int64)
    return combined[:n], combined[n:]


def arrow_text(s: pd.Series) -> pa.Array:
    """The values of ``s`` as one contiguous Arrow ``large_string`` array (missing → null)."""
    stored = _arrow_storage(s)
    if stored is not None:
        # A pandas ``str`` column already holds Arrow strings: no conversion, no Python object.
        arr = stored.chunk(0) if stored.num_chunks == 1 else stored.combine_chunks()
    else:
        converted = pa.array(s.astype("str"), from_pandas=True)
        arr = converted.combine_chunks() if isinstance(converted, pa.ChunkedArray) else converted
    return arr if arr.type == pa.large_string() else arr.cast(pa.large_string())


def _arrow_storage(s: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow chunks behind a pyarrow-backed pandas ``str`` Series, else None."""
    dtype = s.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        chunks = getattr(s.array, "_pa_array", None)
        if isinstance(chunks, pa.ChunkedArray) and chunks.type in (pa.large_string(), pa.string()):
            return chunks
    return None


#: The columns person matching reads (``match_people``): the rest of a wide roster need not travel.
MATCH_COLUMNS = ("national_id", "name_key", "birth_date", "birth_date_year_only")


def take_rows(frame: pd.DataFrame, at: np.ndarray, columns: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """The rows at positions ``at`` of those ``columns`` that ``frame`` has, labelled by their
    positions (``frame`` labelled 0..n-1, like ``ctx.lines``, keeps its labels).

    ``frame.loc[mask]`` on the wide roster copies its forty columns; a check that reads three of
    them pays a tenth of that.
    """
    return pd.DataFrame(
        {c: frame[c].array.take(at) for c in dict.fromkeys(columns) if c in frame},
        index=np.asarray(at),
        copy=False,
    )


def match_candidates(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """:func:`match_people` on the rows that can match at all (same ID or same name key).

    ``match_people`` pairs records only on equal IDs or equal name keys, so dropping rows with
    neither in the other table changes nothing but the cost of its joins.
    """
    if left.empty or right.empty:
        return pd.DataFrame({"left_idx": pd.Series(dtype="int64"), "right_idx": pd.Series(dtype="int64")})

    # Imported here: base.py imports this module (usable_ids), so common.py must not import base first.
    from audit_toolkit.checks.base import match_people_candidates

    # Only the matching columns are read, as arrays: filtering wide 1M-row frames costs more than the match.
    return match_people_candidates(left, right)


def usable_ids(ids: pd.Series) -> np.ndarray:
    """Whether each ID identifies a person: a 12-digit personal ID or a 9-digit CMND (missing → False).

    One Arrow pass (ASCII digits). ``match_people``, DUPLICATE_* and ID_CONFLICT all read it.
    """
    if not len(ids):
        return np.zeros(0, dtype=bool)
    return usable_id_mask(arrow_text(ids))


#: A usable ID: a 12-digit personal ID or a 9-digit CMND, ASCII digits only.
USABLE_ID_PATTERN = r"^(?:\d{12}|\d{9})$"
# The digit counts of the pattern, read from it (one definition): checked without a regex engine.
_USABLE_ID_LENGTHS = tuple(int(n) for n in re.findall(r"\{(\d+)\}", USABLE_ID_PATTERN))


def usable_id_mask(ids: pa.Array) -> np.ndarray:
    """:func:`usable_ids` of an Arrow text array: :data:`USABLE_ID_PATTERN`, as a length test plus
    an ASCII-digit test (bytes are characters then), several times faster than the regex."""
    size = pc.binary_length(ids)
    length_ok = pc.is_in(size, value_set=pa.array(_USABLE_ID_LENGTHS, type=size.type))
    hit = pc.and_(length_ok, pc.ascii_is_decimal(ids))
    return np.asarray(hit.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def born_text(frame: pd.DataFrame, lang: str) -> pd.Series:
    """Birth dates as readers write them: ``dd/mm/yyyy``, ``yyyy`` when year-only, ``?`` when missing.

    :func:`format_dates` over ``birth_date`` / ``birth_date_year_only``, with ``?`` for a missing date.
    """
    if "birth_date" not in frame:
        return pd.Series("?", index=frame.index, dtype="str")
    text = format_dates(frame["birth_date"], frame.get("birth_date_year_only"))
    return text.where(text != "", "?").astype("str")


def grouped_lists(frame: pd.DataFrame, keys: list[str], column: str) -> pd.DataFrame:
    """``keys`` + ``column`` as a list per group, in row order, without a Python call per group."""
    if frame.empty:
        return pd.DataFrame(
            {**{k: pd.Series(dtype="object") for k in keys}, column: pd.Series(dtype="object")}
        )
    codes = frame.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    cuts = np.flatnonzero(np.diff(codes)) + 1
    values = frame[column].to_numpy(dtype=object)[order]
    heads = frame.iloc[order[np.r_[0, cuts]]][keys].reset_index(drop=True)
    heads[column] = [part.tolist() for part in np.split(values, cuts)]
    return heads


def group_lists(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``values`` gathered per key, in order, as Python lists, indexed by key (:func:`grouped_lists`)."""
    if not len(keys):
        return pd.Series([], dtype=object)
    heads = grouped_lists(
        pd.DataFrame({"k": keys.to_numpy(dtype=object), "v": values.to_numpy(dtype=object)}), ["k"], "v"
    )
    return pd.Series(
        heads["v"].to_numpy(dtype=object), index=pd.Index(heads["k"], dtype=object), dtype=object
    )


def active_in_month(
    start_m: pd.Series, end_m: pd.Series, m: int | pd.Series, undated_end: pd.Series | None = None
) -> pd.Series:
    """Whether each record is active in month ``m`` (checks.md "Active line"): the one rule.

    Active when it started (``start_m`` NA = since always) and has not ended (``end_m`` is the first
    month not active; NA = open); a record ended without an end month (``undated_end``) never is.
    Unknown comparisons are not active. Lines (``AuditContext.active_in``), pension records
    (MISSED_ELDERLY) and the quality module's roster rows read it.
    """
    active = (start_m.isna() | (start_m <= m)) & (end_m.isna() | (end_m > m))
    if undated_end is not None:
        active = active & ~undated_end
    out: pd.Series = active.fillna(False).astype(bool)
    return out


# ------------------------------------------------------------------------------ texts of values
def _per_value(values: pd.Series, fmt: Callable[[float], str]) -> pd.Series:
    """``fmt`` applied once per distinct value (findings share few months and amounts)."""
    numbers = pd.Series(values).astype("float64").to_numpy(dtype="float64", na_value=np.nan)
    codes, uniq = pd.factorize(numbers, use_na_sentinel=True)
    # One text per distinct value, then one array lookup (missing → "", the last slot).
    table = np.array([fmt(float(u)) for u in uniq] + [""], dtype=object)
    return pd.Series(table[codes], index=values.index, dtype="str")


def vnd_text(values: pd.Series, lang: str) -> pd.Series:
    """Amounts as VND text in ``lang`` (formatted once per distinct amount)."""
    return _per_value(values, lambda v: fmt_vnd(v, lang))


def months_text(values: pd.Series) -> pd.Series:
    """Month numbers as ``MM/YYYY`` (formatted once per distinct month)."""
    return _per_value(values, lambda v: month_label(int(v)))


def coef_text(value: float, lang: str) -> str:
    """A coefficient with one decimal (two when needed), decimal comma in Vietnamese."""
    text = f"{value:.1f}" if abs(value * 10 - round(value * 10)) < 1e-9 else f"{value:.2f}"
    return text.replace(".", ",") if lang == "vi" else text


def coefs_text(values: pd.Series, lang: str) -> pd.Series:
    """:func:`coef_text` of each value (formatted once per distinct value)."""
    return _per_value(values, lambda v: coef_text(v, lang))


def vocab_text(values: pd.Series, prefix: str, lang: str, *, default: str) -> pd.Series:
    """The message ``<prefix>.<value>`` of each vocabulary value (``default`` when missing)."""
    text = {v: t(f"{prefix}.{v}", lang) for v in values.dropna().unique()}
    return pd.Series(values.map(text).fillna(default).to_numpy(), index=values.index, dtype="str")
