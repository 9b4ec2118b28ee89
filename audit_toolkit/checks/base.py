"""What a check is, and the derived frames that checks share.

A check is data (``CheckSpec``: id, severity, family, required tables, legal basis) plus one
function ``(AuditContext) -> raw findings``. Checks never raise for a finding. The context computes
the frames that several checks need once, lazily: ``lines`` (the roster with month numbers and
flags), ``line_months`` (one row per line and active month of the period), ``payments_linked``
(payments with the line and person they pay), and person matching against register tables.

Example:
    >>> @check("AGE_OUT")
    ... def find_age_outs(ctx: AuditContext) -> pd.DataFrame: ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from audit_toolkit.checks.common import (
    active_in_month,
    arrow_text,
    frame_key_codes,
    key_codes,
    key_positions,
    text_isin,
    usable_id_mask,
)
from audit_toolkit.months import age_in_month, month_of

if TYPE_CHECKING:
    from audit_toolkit.io import WardData
    from audit_toolkit.rules import RuleSet

__all__ = [
    "AuditContext",
    "CheckFunc",
    "CheckSpec",
    "IMPLEMENTATIONS",
    "catalogue",
    "check",
    "inner_join",
    "match_people",
    "sources_of",
]

CheckFunc = Callable[["AuditContext"], pd.DataFrame]

#: check_id → function, filled by the ``@check`` decorator in the family modules.
IMPLEMENTATIONS: dict[str, CheckFunc] = {}

# libyaml's loader when PyYAML was built with it (same results, several times faster).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Categories that are care-support lines (stack with a monthly allowance line).
CARE_CATEGORIES = frozenset({"C1", "C2", "C3", "C4"})


def line_kind(categories: pd.Series) -> np.ndarray:
    """A line's kind from its category: ``C`` (care, C1–C4), ``HTXH`` (social pension), else ``K``.

    The one definition of a line's kind (``ctx.lines["kind"]``; sampling reads it too).
    """
    kind: np.ndarray = np.where(
        categories.isin(CARE_CATEGORIES), "C", np.where(categories == "HTXH", "HTXH", "K")
    )
    return kind


@dataclass(frozen=True)
class CheckSpec:
    """One entry of the check catalogue."""

    check_id: str
    severity: str
    family: str
    requires: tuple[str, ...]
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    batch: bool = False

    @property
    def func(self) -> CheckFunc | None:
        """The implementation, or ``None`` when the check is not implemented."""
        return IMPLEMENTATIONS.get(self.check_id)


def check(check_id: str) -> Callable[[CheckFunc], CheckFunc]:
    """Register ``func`` as the implementation of ``check_id`` (an id of the catalogue)."""

    def register(func: CheckFunc) -> CheckFunc:
        if check_id in IMPLEMENTATIONS:
            raise ValueError(f"Check {check_id} is implemented twice")
        IMPLEMENTATIONS[check_id] = func
        return func

    return register


def catalogue() -> list[CheckSpec]:
    """The catalogue in report order, from ``checks/catalogue.yml`` (parsed once per process)."""
    return list(_catalogue())


@cache
def _catalogue() -> tuple[CheckSpec, ...]:
    text = resources.files("audit_toolkit.checks").joinpath("catalogue.yml").read_text(encoding="utf-8")
    specs = []
    for row in yaml.load(text, Loader=_YAML_LOADER):
        specs.append(
            CheckSpec(
                check_id=row["check_id"],
                severity=row["severity"],
                family=row["family"],
                requires=tuple(row.get("requires", ())),
                columns={k: tuple(v) for k, v in (row.get("columns") or {}).items()},
                batch=bool(row.get("batch", False)),
            )
        )
    return tuple(specs)


def sources_of(table: str, rows: pd.Series) -> pd.Series:
    """``"table:row"`` strings for a Series of 1-based row numbers."""
    # Arrow formats the numbers (``astype(str)`` makes one Python string per row first).
    digits = pc.cast(pa.array(rows.to_numpy(dtype=np.int64)), pa.string())
    return pd.Series(pc.binary_join_element_wise(table + ":", digits, ""), index=rows.index, dtype="str")


def row_refs(frame: pd.DataFrame) -> pd.Series:
    """Per row, where the officer finds it when the table was read from several sheets or files
    (``T3-2023!12``, the loader's ``_ref`` column), else None: the row number alone names it.

    Every source built from ``_row`` passes this along (``sources_by(..., refs=...)``), so that a
    payment read from a month sheet names its sheet (data contract: the officer must open the row).
    """
    if "_ref" not in frame:
        return pd.Series(None, index=frame.index, dtype="object")
    return frame["_ref"].astype("object").where(frame["_ref"].notna(), None)


def _frame_sources(table: str, frame: pd.DataFrame) -> pd.Series:
    """``sources_of`` for a loaded table; a table read from several sheets names the sheet too
    (``payments:T3-2023!12``, from the loader's ``_ref`` column)."""
    plain = sources_of(table, frame["_row"])
    if "_ref" not in frame:
        return plain
    return (table + ":" + frame["_ref"].astype("str")).where(frame["_ref"].notna(), plain)


@dataclass
class AuditContext:
    """Everything a check may read. Build it with :func:`audit_toolkit.audit.run_audit`."""

    ward: WardData
    rules: RuleSet
    as_of: pd.Timestamp
    period_start: int
    period_end: int
    lang: str = "vi"
    #: Filled by the runner after the GX suites ran: failing rows per table (for checks that reuse them).
    extras: dict[str, Any] = field(default_factory=dict)
    #: Derived frames of this very context (:meth:`memo`); a copy made with ``dataclasses.replace``
    #: (another roster, e.g. with the undated rows) starts empty, unlike ``extras``, which it shares.
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def memo(self, key: str, compute: Callable[[AuditContext], Any]) -> Any:
        """``compute(self)`` once per context, kept under ``key`` (for frames several checks read).

        The caller gets the one shared object: it derives new frames from it, never changes it.
        """
        if key not in self._memo:
            self._memo[key] = compute(self)
        return self._memo[key]

    # -- tables -------------------------------------------------------------------------------
    def has(self, table: str) -> bool:
        """Whether the ward supplied ``table``."""
        return table in self.ward.tables

    def table(self, name: str) -> pd.DataFrame:
        """A supplied table (``KeyError`` if absent: a check declares what it requires)."""
        return self.ward.tables[name]

    def has_values(self, table: str, column: str) -> bool:
        """Whether ``table`` is supplied and ``column`` holds at least one value."""
        return (
            self.has(table) and column in self.table(table) and bool(self.table(table)[column].notna().any())
        )

    @property
    def asof_month(self) -> int:
        """``month(as_of)``, the month at which roster state is judged."""
        return self.period_end

    @property
    def months(self) -> np.ndarray:
        """The period's month numbers."""
        return np.arange(self.period_start, self.period_end + 1, dtype=np.int64)

    # -- derived frames -----------------------------------------------------------------------
    @cached_property
    def lines(self) -> pd.DataFrame:
        """The beneficiaries table with derived columns (index = ``line_idx``).

        Adds ``line_idx``, ``start_m`` / ``end_m`` (``Int64``; NA = open), ``undated_end`` (status
        ended without an end month: never active), ``susp_m`` (first month not payable because of a
        suspension, NA when not suspended), ``birth_m``, ``age_asof``, ``active_asof``, ``kind``
        (``K`` / ``C`` / ``HTXH``), and ``source`` (``beneficiaries:row``).
        """
        # No .copy(): pandas copies on write, so the loaded table never sees the columns added here.
        b = self.table("beneficiaries").reset_index(drop=True)
        b["line_idx"] = np.arange(len(b), dtype=np.int64)
        b["start_m"] = b["start_month"].astype("Int64")
        b["end_m"] = b["end_month"].astype("Int64")
        b["undated_end"] = (b["status"] == "ended") & b["end_m"].isna()
        suspended = b["status"] == "suspended"
        b["susp_m"] = pd.Series(pd.NA, index=b.index, dtype="Int64")
        # Suspended at the list date: not payable from month(as_of) at the latest (earlier when the
        # end month says so), even if the end month lies after as_of.
        b.loc[suspended, "susp_m"] = (
            b.loc[suspended, "end_m"].fillna(self.asof_month).clip(upper=self.asof_month)
        )
        b["birth_m"] = month_of(b["birth_date"])
        b["age_asof"] = age_in_month(b["birth_m"], self.asof_month)
        b["active_asof"] = self.active_in(b, self.asof_month)
        b["kind"] = line_kind(b["category"])
        b["source"] = _frame_sources("beneficiaries", b)
        return b

    @staticmethod
    def active_in(lines: pd.DataFrame, m: int | pd.Series) -> pd.Series:
        """Whether each line is active in month ``m`` (checks.md "Active line")."""
        return active_in_month(lines["start_m"], lines["end_m"], m, lines["undated_end"])

    @cached_property
    def line_months(self) -> pd.DataFrame:
        """One row per (line, month of the period) in which the line is active.

        Columns: ``line_idx``, ``m``, ``payable`` (active and not suspended), ``age`` (age in ``m``).
        Built with ``np.repeat`` over the period: proportional to lines × months, no Python loop.
        """
        lines = self.lines
        months = self.months
        n, k = len(lines), len(months)
        idx = np.repeat(lines["line_idx"].to_numpy(), k)
        mm = np.tile(months, n)
        frame = pd.DataFrame({"line_idx": idx, "m": mm})
        start = np.repeat(lines["start_m"].fillna(-1).to_numpy(dtype=np.int64), k)
        end = np.repeat(lines["end_m"].fillna(np.iinfo(np.int64).max).to_numpy(dtype=np.int64), k)
        undated = np.repeat(lines["undated_end"].to_numpy(dtype=bool), k)
        active: np.ndarray = (start <= mm) & (mm < end) & ~undated
        susp = np.repeat(lines["susp_m"].fillna(np.iinfo(np.int64).max).to_numpy(dtype=np.int64), k)
        frame["payable"] = mm < susp
        frame = frame.loc[active].reset_index(drop=True)
        birth = lines["birth_m"].to_numpy(dtype="float64", na_value=np.nan)[frame["line_idx"].to_numpy()]
        frame["age"] = pd.Series(np.floor((frame["m"].to_numpy() - birth) / 12), dtype="Float64").astype(
            "Int64"
        )
        return frame

    @cached_property
    def payments_linked(self) -> pd.DataFrame:
        """Payments with the line and the person they pay, one row per month paid for (see docs/check-semantics.md).

        Rows are linked as given, then spread over the months they are for by
        :func:`audit_toolkit.checks.facts.allocate_payments` (a catch-up lump becomes one row per month).
        Adds ``pay_idx``, ``m`` (month paid for), ``received`` (``paid`` is not False),
        ``line_idx`` (``Int64``; NA when the line is ambiguous or unknown), ``person_key`` (the
        beneficiary's key when the payment can be tied to a person, else the payment's own key) and
        ``source`` (``payments:row``).
        """
        p = self.table("payments").reset_index(drop=True)  # copy on write: the table stays as loaded
        p["pay_idx"] = np.arange(len(p), dtype=np.int64)
        p["m"] = p["month"].astype("Int64")
        p["received"] = p["paid"].fillna(True).astype(bool)
        p["source"] = _frame_sources("payments", p)
        p["line_idx"] = pd.Series(pd.NA, index=p.index, dtype="Int64")
        lines = self.lines

        def link(left_mask: pd.Series, keys: list[str], right: pd.DataFrame) -> None:
            # An inner join on keys that name one line each (the callers' masks leave no key missing).
            # Only the key columns travel (the roster is wide: filtering it copies every column).
            left = p.loc[left_mask & p["line_idx"].isna(), ["pay_idx", *keys]]
            if left.empty:  # every such payment is linked already (the usual case after the first key)
                return
            unique = right[keys + ["line_idx"]].drop_duplicates(keys, keep=False)
            li, ri = inner_join(*frame_key_codes(left, unique, keys))
            p.loc[left["pay_idx"].to_numpy()[li], "line_idx"] = unique["line_idx"].to_numpy()[ri]

        has_rid = p["record_id"].notna()
        has_cat = p["category"].notna() if "category" in p else pd.Series(False, index=p.index)
        # What link() and one_person() read (the roster is wide: a filter copies every column).
        keyed = lines[["record_id", "national_id", "category", "line_idx", "person_key"]]
        with_rid = keyed.loc[keyed["record_id"].notna()]
        if has_rid.any() and len(with_rid):
            link(has_rid, ["record_id"], with_rid)
            # A record number shared by a person's lines (K6 + C1): the payment's category decides.
            link(has_rid & has_cat, ["record_id", "category"], with_rid)
        has_id = p["national_id"].notna()
        with_id = keyed.loc[keyed["national_id"].notna()]
        if has_cat.any():
            link(has_id & has_cat, ["national_id", "category"], with_id)
        link(has_id, ["national_id"], with_id)
        _link_by_name(p, lines, link, has_cat)
        # Person: the linked line's person, else the one person behind the payment's ID or record number.
        by_line = p["line_idx"].map(lines["person_key"])

        def one_person(key: str, frame: pd.DataFrame) -> pd.Series:
            persons = frame[[key, "person_key"]].drop_duplicates([key, "person_key"])
            persons = persons.drop_duplicates(key, keep=False)  # a key shared by two people decides nothing
            # p[key].map(persons' key → person_key), as one hash join (keys unique, none missing).
            if isinstance(p[key].dtype, pd.StringDtype) and isinstance(persons[key].dtype, pd.StringDtype):
                at = key_positions(p[key], persons[key])  # text: one Arrow lookup into the few keys
            else:
                li, ri = inner_join(*key_codes(p[key], persons[key]))
                at = np.full(len(p), -1, dtype=np.int64)
                at[li] = ri
            found = persons["person_key"].reset_index(drop=True).reindex(at)
            found.index = p.index
            return found

        # Each fallback only where the ones before left a payment without a person (usually none).
        person = by_line
        if person.isna().any():
            person = person.fillna(one_person("national_id", with_id))
        if person.isna().any():
            by_rid = one_person("record_id", with_rid) if len(with_rid) else pd.Series(pd.NA, index=p.index)
            person = person.fillna(by_rid)
        p["person_key"] = person.fillna(p.get("person_key"))
        # Money by the month it is FOR: catch-up lumps split over their months (checks/facts.py).
        from audit_toolkit.checks.facts import allocate_payments

        return allocate_payments(self, p)

    # -- helpers ------------------------------------------------------------------------------
    def due_amount(self, line_idx: pd.Series, m: pd.Series, coefficient: pd.Series) -> pd.Series:
        """Due VND: ``coefficient`` × the level of ``m`` it multiplies (:func:`~audit_toolkit.checks.facts.money.due_amounts`)."""
        # One pricing rule for every check (checks/facts/money.py); imported here, not at the top,
        # because the facts package imports this module.
        from audit_toolkit.checks.facts.money import due_amounts

        cats = self.lines["category"].to_numpy(dtype=object)[line_idx.to_numpy(dtype=np.int64)]
        due = due_amounts(
            self.rules,
            pd.Series(cats, dtype=object),
            m,
            coefficient.to_numpy(dtype="float64"),
            self.ward.province_code,
        )
        return pd.Series(due, index=m.index)


def _link_by_name(
    p: pd.DataFrame,
    lines: pd.DataFrame,
    link: Callable[[pd.Series, list[str], pd.DataFrame], None],
    has_cat: pd.Series,
) -> None:
    """Payments with neither ID nor record number (lists with no ID column, data contract §1a):
    linked by normalised name + birth date, else + birth year, else the name alone when the payment
    list has no birth date; with the category first where the payment names one. Only a key that
    names one line links (``link`` drops keys shared by several lines). Sets ``name_linked``."""
    before = p["line_idx"].notna().to_numpy()
    no_key = p["national_id"].isna() & p["record_id"].isna() & p["name_key"].notna()
    if not no_key.any() or not len(lines):
        p["name_linked"] = False
        return
    p["_by"] = p["birth_date"].dt.year.astype("Int64")
    right = lines[["name_key", "birth_date", "category", "line_idx"]]  # what link() reads
    right = right.assign(_by=right["birth_date"].dt.year.astype("Int64"))
    right = right.loc[right["name_key"].notna()]
    has_birth = p["birth_date"].notna()
    for mask, keys in (
        (has_birth, ["name_key", "birth_date"]),
        (has_birth, ["name_key", "_by"]),
        (~has_birth, ["name_key"]),
    ):
        if has_cat.any():
            link(no_key & mask & has_cat, [*keys, "category"], right)
        link(no_key & mask, keys, right)
    p.drop(columns="_by", inplace=True)
    p["name_linked"] = p["line_idx"].notna().to_numpy() & ~before


def inner_join(left_codes: np.ndarray, right_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(i, j)`` with ``left_codes[i] == right_codes[j]`` (codes ``>= 0``; ``-1`` never joins).

    Ordered like ``DataFrame.merge(how="inner")``: left rows in order, each left row's matches in
    right order. Pure numpy (a stable sort and ``np.repeat``): a pandas merge costs milliseconds
    of fixed overhead per call, and a ward's checks match people a dozen times.
    """
    empty = np.zeros(0, dtype=np.int64)
    if not len(left_codes) or not len(right_codes):
        return empty, empty
    size = int(max(left_codes.max(), right_codes.max())) + 1
    rpos = np.flatnonzero(right_codes >= 0)
    order = rpos[np.argsort(right_codes[rpos], kind="stable")]
    counts = np.bincount(right_codes[rpos], minlength=size)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    lpos = np.flatnonzero(left_codes >= 0)
    n = counts[left_codes[lpos]]
    if not n.sum():
        return empty, empty
    li = np.repeat(lpos, n)
    offsets = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    ri = order[np.repeat(starts[left_codes[lpos]], n) + offsets]
    return li.astype(np.int64), ri.astype(np.int64)


def _codes(*columns: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Shared integer codes of the left and right key columns (``-1`` where any part is missing)."""
    left_codes: np.ndarray | None = None
    right_codes: np.ndarray | None = None
    for lvals, rvals in columns:
        codes, uniques = pd.factorize(np.concatenate([lvals, rvals]), use_na_sentinel=True)
        codes = codes.astype(np.int64)
        if left_codes is None or right_codes is None:
            combined = codes
        else:
            prev = np.concatenate([left_codes, right_codes])
            combined = np.where((prev < 0) | (codes < 0), -1, prev * (len(uniques) + 1) + codes)
            combined = np.where(combined < 0, -1, pd.factorize(combined)[0])
        left_codes, right_codes = combined[: len(lvals)], combined[len(lvals) :]
    assert left_codes is not None and right_codes is not None
    return left_codes, right_codes


@dataclass(frozen=True)
class _People:
    """The columns :func:`match_people` reads, as plain arrays (``names``/``date``/``yo`` may be None)."""

    index: np.ndarray
    ids: pa.Array
    names: pa.Array | None
    date: np.ndarray | None
    yo: np.ndarray | None

    @classmethod
    def of(cls, df: pd.DataFrame) -> _People:
        date = df["birth_date"].to_numpy(dtype="datetime64[ns]") if "birth_date" in df else None
        if "birth_date_year_only" in df:
            yo = df["birth_date_year_only"].to_numpy(dtype=bool, na_value=False)
        else:
            yo = np.zeros(len(df), dtype=bool)
        names = arrow_text(df["name_key"]) if "name_key" in df else None
        return cls(df.index.to_numpy(), arrow_text(df["national_id"]), names, date, yo)

    def take(self, mask: np.ndarray) -> _People:
        keep = pa.array(mask)
        return _People(
            self.index[mask],
            self.ids.filter(keep),
            None if self.names is None else self.names.filter(keep),
            None if self.date is None else self.date[mask],
            None if self.yo is None else self.yo[mask],
        )


def _could_match(a: _People, b: _People) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``a`` and rows of ``b`` that can pair at all: an ID the other side carries, or a
    name the name rule can join (a superset of the rows that pair)."""
    hit_a, hit_b = text_isin(a.ids, b.ids), text_isin(b.ids, a.ids)
    if a.names is not None and b.names is not None:
        large = max(len(a.index), len(b.index)) > _BIRTH_FILTER_ROWS
        if large and a.date is not None and b.date is not None:
            name_a, name_b = _name_birth_hits(a, b)
        else:
            name_a, name_b = text_isin(a.names, b.names), text_isin(b.names, a.names)
        hit_a, hit_b = hit_a | name_a, hit_b | name_b
    return hit_a, hit_b


#: From this many rows on a side, the name filter also compares birth dates (:func:`_name_birth_hits`):
#: a register that large shares most names with any list. Below it the name alone is the cheaper
#: filter (a ward of a few thousand people); both keep every row that can pair.
_BIRTH_FILTER_ROWS = 20_000


def _candidates(a: _People, b: _People) -> tuple[_People, _People]:
    """Both sides restricted to the rows that can pair (:func:`_could_match`)."""
    hit_a, hit_b = _could_match(a, b)
    return a.take(hit_a), b.take(hit_b)


def _name_birth_hits(a: _People, b: _People) -> tuple[np.ndarray, np.ndarray]:
    """Rows of each side that the name rule of :func:`_match` can pair with a row of the other.

    That rule pairs equal name keys with equal birth dates, or equal birth years when either date
    is year-only. Common names make a name key alone match most of a million-row register; with
    the birth date, the rows left are few. Integer keys of (name, year) and (name, day), made once
    per side: the name's position among the smaller side's names (a name the other side lacks can
    pair with nothing anyway) and the date's, converted once per distinct date.
    """
    assert a.names is not None and b.names is not None and a.yo is not None and b.yo is not None
    names = pc.unique((a.names if len(a.names) < len(b.names) else b.names).drop_null())
    parts_a, parts_b = _birth_parts(a, names), _birth_parts(b, names)
    year_a, year_b = _packed(parts_a, parts_b, 1)
    day_a, day_b = _packed(parts_a, parts_b, 2)

    def hits(
        year: np.ndarray,
        day: np.ndarray,
        yo: np.ndarray,
        o_year: np.ndarray,
        o_day: np.ndarray,
        o_yo: np.ndarray,
    ) -> np.ndarray:
        # Equal days imply equal years: only rows with a name and year on the other side need more.
        near = np.flatnonzero(_int_isin(year, o_year))
        out = np.zeros(len(year), dtype=bool)
        out[near] = yo[near] | _int_isin(year[near], o_year[o_yo]) | _int_isin(day[near], o_day)
        return out

    return hits(year_a, day_a, a.yo, year_b, day_b, b.yo), hits(year_b, day_b, b.yo, year_a, day_a, a.yo)


def _birth_parts(people: _People, names: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the name's position in ``names`` (``-1`` when absent), the birth year and day
    (since 1970) and whether name and date are both known."""
    assert people.names is not None and people.date is not None
    at = pc.index_in(people.names, value_set=names)
    pos = np.asarray(at.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    # Each distinct date converted once (a calendar conversion per row costs more than a hash).
    at_date, dates = pd.factorize(people.date, use_na_sentinel=True)
    distinct = np.asarray(dates, dtype="datetime64[ns]")
    years = np.append(distinct.astype("datetime64[Y]").astype(np.int64), 0)[at_date]
    days = np.append(distinct.astype("datetime64[D]").astype(np.int64), 0)[at_date]
    return pos, years, days, (pos >= 0) & (at_date >= 0)


def _packed(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...], part: int) -> tuple[np.ndarray, np.ndarray]:
    """(name, year) or (name, day) keys of both sides (``part`` 1 or 2 of :func:`_birth_parts`):
    one int64 per row, ``-1`` without a known name or date; the width spans both sides' values."""
    known = np.concatenate([a[part][a[3]], b[part][b[3]]])
    low = int(known.min(initial=0))
    width = int(known.max(initial=low)) - low + 1

    def pack(side: tuple[np.ndarray, ...]) -> np.ndarray:
        return np.where(side[3], side[0] * width + (side[part] - low), -1)

    return pack(a), pack(b)


def _int_isin(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``values`` found among the non-negative ``keys`` (one Arrow hash lookup)."""
    keys = keys[keys >= 0]
    if not len(keys) or not len(values):
        return np.zeros(len(values), dtype=bool)
    found = pa.array(values)
    if len(keys) > 2 * len(values):
        # Many keys, few values: the keys that are values at all are a short value set (same answer).
        keys = keys[np.asarray(pc.is_in(pa.array(keys), value_set=pc.unique(found)), dtype=bool)]
    hit = pc.is_in(found, value_set=pc.unique(pa.array(keys)))
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


def _text_codes(left: pa.Array, right: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Shared integer codes of two Arrow text arrays (equal values, equal codes; ``-1`` where missing)."""
    both = pa.concat_arrays([left, right])
    indices = both.dictionary_encode().indices
    codes = np.asarray(pc.fill_null(indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    return codes[: len(left)], codes[len(left) :]


def _usable(ids: pa.Array) -> np.ndarray:
    """:func:`usable_ids` on an Arrow text array."""
    return usable_id_mask(ids)


def _lengths(ids: pa.Array) -> np.ndarray:
    """Characters of each ID (0 when missing): a 12-digit ID and a 9-digit CMND are different kinds."""
    size = pc.utf8_length(ids)
    return np.asarray(size.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)


def match_people(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Pairs ``(left_idx, right_idx)`` of records that are the same person.

    By valid ``national_id`` (12 digits, or a 9-digit CMND) when both carry one; otherwise by
    ``name_key`` + full birth date, where a year-only birth date on either side matches on the year.
    Both frames need ``national_id``, ``name_key``, ``birth_date`` and ``birth_date_year_only``
    (``right`` may lack the birth columns: then only IDs are used).

    Pairs by ID come first (left order, then right order), then the pairs by name and birth date;
    no pair twice.
    """
    # Plain arrays throughout: a ward matches people a dozen times, and each pandas call on these
    # small frames costs more than the join itself.
    return _match(_People.of(left), _People.of(right), {"name_key", "birth_date"}.issubset(right.columns))


def match_people_candidates(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """:func:`match_people` on the rows of each side whose ID or name key the other side carries.

    ``match_people`` pairs records only on equal IDs or equal name keys, so the pairs are the same;
    only the cost of the joins changes (:func:`audit_toolkit.checks.common.match_candidates`).
    """
    lp, rp = _People.of(left), _People.of(right)
    lp, rp = _candidates(lp, rp)
    return _match(lp, rp, {"name_key", "birth_date"}.issubset(right.columns))


def _match(lp: _People, rp: _People, by_name: bool) -> pd.DataFrame:
    """:func:`match_people` on the arrays of both sides (``by_name``: the right side has names and births)."""
    if max(len(lp.index), len(rp.index)) > 2 * min(len(lp.index), len(rp.index)):
        # A much larger side (a million residents): keep first the rows with an ID or a name key
        # that the other side carries at all. Rows without either never pair: the pairs are the same.
        lp, rp = _candidates(lp, rp)
    lidx, ridx = lp.index, rp.index
    valid_l, valid_r = _usable(lp.ids), _usable(rp.ids)
    # Equal IDs, equal codes (Arrow hashing: no Python object per value of a million-row register).
    lcode_id, rcode_id = _text_codes(lp.ids, rp.ids)
    id_li, id_ri = inner_join(np.where(valid_l, lcode_id, -1), np.where(valid_r, rcode_id, -1))
    if not by_name:
        return pd.DataFrame({"left_idx": lidx[id_li], "right_idx": ridx[id_ri]})
    assert lp.names is not None and rp.names is not None and lp.date is not None and rp.date is not None
    assert lp.yo is not None and rp.yo is not None

    # Name matching only where one side lacks a usable ID (two valid, different IDs are two people).
    # Key: name key + birth year, both present, as one code per distinct pair.
    lname, rname = _text_codes(lp.names, rp.names)
    dates = np.concatenate([lp.date, rp.date])
    years, year_codes = np.unique(dates.astype("datetime64[Y]").astype(np.int64), return_inverse=True)
    names = np.concatenate([lname, rname])
    usable = (names >= 0) & ~np.isnat(dates)
    pair = names * (len(years) + 1) + year_codes.reshape(-1)
    codes = np.where(usable, pd.factorize(np.where(usable, pair, -1))[0], -1)
    li, ri = inner_join(codes[: len(lidx)], codes[len(lidx) :])
    keep = (lp.date[li] == rp.date[ri]) | lp.yo[li] | rp.yo[ri]
    li, ri = li[keep], ri[keep]
    # Two valid IDs of the same kind that differ are two people; a 12-digit number and an old
    # 9-digit CMND are different documents of possibly one person, so the name rule decides.
    both_valid = valid_l[li] & valid_r[ri]
    same_kind = _lengths(lp.ids)[li] == _lengths(rp.ids)[ri]
    keep = ~(both_valid & same_kind) | (lcode_id[li] == rcode_id[ri])
    li, ri = np.concatenate([id_li, li[keep]]), np.concatenate([id_ri, ri[keep]])
    # No pair twice (first occurrence kept), compared on the index labels as a frame would.
    lcode = pd.factorize(lidx)[0].astype(np.int64)
    rcode = pd.factorize(ridx)[0].astype(np.int64)
    pair_code = lcode[li] * (int(rcode.max(initial=0)) + 1) + rcode[ri]
    _, first = np.unique(pair_code, return_index=True)
    first.sort()
    return pd.DataFrame({"left_idx": lidx[li[first]], "right_idx": ridx[ri[first]]})
