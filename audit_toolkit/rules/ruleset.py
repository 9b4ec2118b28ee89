"""``RuleSet``: vectorised answers from the dated rule tables (Series in, Series out).

Months are plain month numbers (:mod:`audit_toolkit.months`). A dated row applies to month *m* when
it is in force on the first day of *m* (``valid_from <= first day < valid_to``). Lookups loop over
the few rule rows, never over the data rows.

Example:
    >>> from audit_toolkit.rules import load_rules
    >>> from audit_toolkit.months import month_num
    >>> rules = load_rules()
    >>> rules.standard_level(pd.Series([month_num(2024, 6), month_num(2024, 7)])).tolist()
    [360000.0, 500000.0]
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast, overload

import numpy as np
import pandas as pd
import yaml

from audit_toolkit.errors import InputError, RuleError
from audit_toolkit.months import age_in_month as age_from_birth_months
from audit_toolkit.months import month_of
from audit_toolkit.rules.calendar import working_days_between
from audit_toolkit.rules.levels import check_rates_not_below_national, levels_applied
from audit_toolkit.rules.loader import COEFFICIENT_COLUMNS, RuleData, normalise_province_code
from audit_toolkit.rules.rates import Rates

__all__ = ["RuleSet", "age_in_month", "month_bounds"]

_LOW, _HIGH = -1e18, 1e18
_RESULT_CODES = {"duplicate": 0, "stack": 1, "by_cared_for": 2}

ArrayLike = pd.Series | np.ndarray | list[Any] | Any


# --------------------------------------------------------------------------------------- helpers


def _index_and_length(*values: ArrayLike) -> tuple[pd.Index, int]:
    for v in values:
        if isinstance(v, pd.Series):
            return v.index, len(v)
    for v in values:
        if isinstance(v, np.ndarray | list | tuple):
            return pd.RangeIndex(len(v)), len(v)
    return pd.RangeIndex(1), 1


def _objects(values: ArrayLike, n: int) -> np.ndarray:
    """Object array of strings with None for missing (scalars broadcast)."""
    if isinstance(values, pd.Series | np.ndarray | list | tuple):
        arr = pd.Series(values, dtype=object).to_numpy(dtype=object, copy=True)
        if len(arr) != n:
            raise InputError(
                f"Arguments of different lengths ({len(arr)} and {n})", fix="pass aligned Series"
            )
    else:
        arr = np.full(n, values, dtype=object)
    missing = pd.isna(arr)
    arr[missing] = None
    return arr


def _numeric(dtype: Any) -> bool:
    """Whether ``dtype`` is a (nullable) integer or float dtype — not bool, not text."""
    if isinstance(dtype, np.dtype):
        return dtype.kind in "iuf"
    return isinstance(dtype, pd.Int64Dtype | pd.Float64Dtype | pd.Int32Dtype | pd.Float32Dtype)


def _floats(values: ArrayLike, n: int) -> np.ndarray:
    """Float array with NaN for missing (scalars broadcast; nullable dtypes accepted)."""
    if isinstance(values, pd.Series | np.ndarray) and _numeric(values.dtype):
        # Numbers already (month numbers, amounts): no parsing, one copy.
        fast: np.ndarray = (
            values.to_numpy(dtype=float, na_value=np.nan, copy=True)
            if isinstance(values, pd.Series)
            else np.array(values, dtype=float)
        )
        if len(fast) != n:
            raise InputError(
                f"Arguments of different lengths ({len(fast)} and {n})", fix="pass aligned Series"
            )
        return fast
    if isinstance(values, pd.Series | np.ndarray | list | tuple):
        arr = (
            pd.to_numeric(pd.Series(values), errors="coerce")
            .astype("Float64")
            .to_numpy(dtype=float, na_value=np.nan)
        )
        if len(arr) != n:
            raise InputError(
                f"Arguments of different lengths ({len(arr)} and {n})", fix="pass aligned Series"
            )
        return arr
    if values is None or (isinstance(values, float) and np.isnan(values)) or values is pd.NA:
        return np.full(n, np.nan)
    return np.full(n, float(values))


def month_bounds(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """First month a row applies to, and first month it no longer applies to (first-day rule)."""

    def month(col: str) -> np.ndarray:
        stamps = frame[col]
        m = (stamps.dt.year * 12 + stamps.dt.month - 1).astype("Float64")
        m = m + (stamps.dt.day > 1).astype("Float64")  # a mid-month date governs from the next month
        out: np.ndarray = m.to_numpy(dtype=float, na_value=np.nan)
        return out

    start = np.nan_to_num(month("valid_from"), nan=_LOW)
    end = np.nan_to_num(month("valid_to"), nan=_HIGH)
    return start, end


def _date_bounds(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    lo = np.datetime64("1700-01-01", "ns")
    hi = np.datetime64("2200-12-31", "ns")
    start = frame["valid_from"].to_numpy(dtype="datetime64[ns]")
    end = frame["valid_to"].to_numpy(dtype="datetime64[ns]")
    return np.where(np.isnat(start), lo, start), np.where(np.isnat(end), hi, end)


def _iso(value: Any) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).date().isoformat()


def age_in_month(birth_dates: ArrayLike, months: ArrayLike) -> pd.Series:
    """Completed years on the last day of month ``m`` (``Int64``; NA where either is missing).

    Whoever has a birthday in ``m`` has already reached the new age in ``m``; a year-only birth date
    is stored as 1 January, so it counts from January. The rule itself is
    :func:`audit_toolkit.months.age_in_month` (birth months in); this takes birth *dates* and
    scalar or array months, as the rule tables' callers hold them.

    Example:
        >>> b = pd.Series(pd.to_datetime(["2019-03-31"]))
        >>> age_in_month(b, month_num(2023, 3)).tolist(), age_in_month(b, month_num(2023, 2)).tolist()
        ([4], [3])
    """
    index, n = _index_and_length(birth_dates, months)
    stamps = pd.to_datetime(pd.Series(birth_dates).to_numpy()).to_numpy(dtype="datetime64[ns]")
    if len(stamps) == 1 and n > 1:
        stamps = np.repeat(stamps, n)
    birth_months = cast(pd.Series, month_of(pd.Series(stamps, dtype="datetime64[ns]", index=index)))
    # NaN months become NA (pd.array turns NaN into NA for a nullable dtype).
    at = pd.Series(pd.array(_floats(months, n), dtype="Float64"), index=index).astype("Int64")
    return age_from_birth_months(birth_months, at)


# --------------------------------------------------------------------------------------- RuleSet


class RuleSet:
    """Dated rule tables with citations, answering vectorised questions for the checks.

    Build it with :func:`audit_toolkit.rules.load_rules`. It is read-only and cheap to share: the
    parsed tables are cached per set of rule files.
    """

    def __init__(
        self, data: RuleData, *, province_code: str | None = None, rates: Rates | None = None
    ) -> None:
        self._data = data
        self.province_code = None if province_code is None else normalise_province_code(province_code)
        #: The ward's (or batch's) ``rates.yml``, whose rows win over the tables for their months.
        self.rates = rates
        self._own_levels: dict[Any, Any] = {}
        self._rates_rows: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        if rates is not None:
            for table, frame in rates.frames.items():
                start, end = month_bounds(frame) if len(frame) else (np.empty(0), np.empty(0))
                self._rates_rows[table] = (start, end, frame["amount"].to_numpy(dtype=float))
            check_rates_not_below_national(self)
        t = data.tables
        self._coef = t["coefficients"].reset_index(drop=True)
        self._categories = tuple(t["categories"]["code"])
        self._cat_index = {c: i for i, c in enumerate(self._categories)}
        # Derived arrays are shared by every RuleSet of the same rule files (one per ward in a batch).
        if "derived" not in data.caches:
            days = t["calendar_days"]
            data.caches["derived"] = (
                month_bounds(self._coef),
                self._build_stacking(),
                days.loc[days["kind"] == "non_working", "date"].to_numpy(dtype="datetime64[D]"),
                days.loc[days["kind"] == "working", "date"].to_numpy(dtype="datetime64[D]"),
            )
        bounds, stacking, self._extra_off, self._extra_on = data.caches["derived"]
        self._coef_start, self._coef_end = bounds
        self._stack_matrix, self._stack_rule = stacking

    # ------------------------------------------------------------------ identity of the rule set

    @property
    def version(self) -> str:
        """SHA-256 over the rule files actually loaded (names and bytes, and ``rates.yml``), for the manifest."""
        if self.rates is None:
            return self._data.version
        return hashlib.sha256(f"{self._data.version}:rates:{self.rates.sha256}".encode()).hexdigest()

    @property
    def files(self) -> tuple[Path, ...]:
        """The rule files this set was built from (base set, then extra files, then ``rates.yml``)."""
        return self._data.files + ((self.rates.path,) if self.rates is not None else ())

    @property
    def extra_files(self) -> tuple[Path, ...]:
        """The extra rule files loaded on top of the base set (e.g. the optional NĐ 335/2026 files)."""
        return self._data.extra_files

    @property
    def tables(self) -> Mapping[str, pd.DataFrame]:
        """The typed rule tables (read-only view; copy before changing)."""
        return self._data.tables

    def __repr__(self) -> str:
        return f"RuleSet(version={self.version[:12]}, province_code={self.province_code!r}, files={len(self.files)})"

    # ------------------------------------------------------------------ levels

    def _province(self, province_code: str | None) -> str | None:
        code = province_code if province_code is not None else self.province_code
        return None if code is None else normalise_province_code(code)

    def _level(self, table: str, months: ArrayLike, province_code: str | None) -> pd.Series:
        index, n = _index_and_length(months)
        m = _floats(months, n)
        out = self._lookup_scope(table, "national", m)
        province = self._province(province_code)
        if province is not None:
            local = self._local_level(table, province, m)
            # NĐ 20/2021 Art 4.3: a local level may only be higher than the national one.
            out = np.where(np.isnan(local), out, np.fmax(local, out))
        if table in self._rates_rows:
            # rates.yml wins for the months it covers (checked at load: never below the national level).
            given = self._lookup_rows(self._rates_rows[table], m)
            out = np.where(np.isnan(given), out, given)
        return pd.Series(out, index=index, dtype=float)

    def province_scopes(self, province_code: str | None = None) -> tuple[str | None, str | None, float]:
        """``(pre-merger code, post-merger code, first month of the merger)`` of a ward's province code.

        A code that no province was merged from maps to itself (``new`` None). Months from the merger
        read the new province's rows first (provinces.yml ``merged_2025``).
        """
        province = self._province(province_code)
        if province is None:
            return None, None, _HIGH
        key = f"province_scopes:{province}"
        if key not in self._data.caches:
            self._data.caches[key] = self._province_scopes(province)
        scopes: tuple[str | None, str | None, float] = self._data.caches[key]
        return scopes

    def _province_scopes(self, province: str) -> tuple[str | None, str | None, float]:
        merger = self._data.tables["province_merger"]
        hit = merger[merger["old"] == province]
        if hit.empty:
            return province, None, _HIGH
        day = pd.Timestamp(hit["valid_from"].iloc[0])
        # First-day rule, as month_bounds: a mid-month date governs from the next month.
        return province, str(hit["new"].iloc[0]), float(day.year * 12 + day.month - 1 + (day.day > 1))

    def _local_level(self, table: str, province: str, m: np.ndarray) -> np.ndarray:
        old, new, merged_from = self.province_scopes(province)
        local = self._lookup_scope(table, province, m)
        if new is not None:
            after = self._lookup_scope(table, new, m)
            local = np.where((m >= merged_from) & ~np.isnan(after), after, local)
        return local

    @staticmethod
    def _lookup_rows(rows: tuple[np.ndarray, np.ndarray, np.ndarray], m: np.ndarray) -> np.ndarray:
        out = np.full(len(m), np.nan)
        for s, e, a in zip(*rows, strict=True):
            out[(m >= s) & (m < e)] = a
        return out

    def levels_applied(self, period_start: int, period_end: int) -> pd.DataFrame:
        """Every standard and social-pension level in force over the months, range by range.

        Columns: ``level`` (``standard_level`` / ``social_pension``), ``month_from``, ``month_to``
        (``YYYY-MM``, inclusive), ``amount``, ``legal_basis``, ``confidence``, ``source`` (``national``:
        the toolkit's table; ``province``: its provincial table; ``extra``: an extra rule file such as
        the optional NĐ 335/2026 files; ``rates``: ``rates.yml``), ``source_file``, ``scope``.

        Example:
            >>> rules.levels_applied(month_num(2024, 6), month_num(2024, 7))[["month_from", "amount"]].values.tolist()
            [['2024-06', 360000.0], ['2024-07', 500000.0]]
        """
        # The report and the manifest both ask, and every ward of a batch asks the same question:
        # the answer is shared by the rule sets of the same files, province and no rates.yml.
        cache: dict[Any, Any] = self._data.caches if self.rates is None else self._own_levels
        key = ("levels_applied", self.province_code, int(period_start), int(period_end))
        if key not in cache:
            cache[key] = levels_applied(self, period_start, period_end)
        frame: pd.DataFrame = cache[key]
        return frame.copy()

    def _level_frame(self, table: str) -> pd.DataFrame:
        return self._data.tables[table]

    def _scope_rows(self, table: str, scope: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(start, end, amount)`` arrays of the rows of ``table`` for ``scope``.

        Cached on the shared rule data: filtering the frame and converting its dates cost more
        than the lookup itself, and every check asks for levels several times per ward.
        """
        # The shared cache also holds tuple keys, which its ``dict[str, Any]`` declaration does not cover.
        cache: dict[Any, Any] = self._data.caches
        key = ("scope_rows", table, scope)
        if key not in cache:
            frame = self._data.tables[table]
            rows = frame[frame["scope"] == scope]
            if rows.empty:
                cache[key] = (np.empty(0), np.empty(0), np.empty(0))
            else:
                start, end = month_bounds(rows)
                cache[key] = (start, end, rows["amount"].to_numpy(dtype=float))
        found: tuple[np.ndarray, np.ndarray, np.ndarray] = cache[key]
        return found

    def _lookup_scope(self, table: str, scope: str, m: np.ndarray) -> np.ndarray:
        start, end, amount = self._scope_rows(table, scope)
        out = np.full(len(m), np.nan)
        for s, e, a in zip(start, end, amount, strict=True):
            out[(m >= s) & (m < e)] = a
        return out

    def standard_level(self, months: ArrayLike, province_code: str | None = None) -> pd.Series:
        """Standard level (mức chuẩn, VND/month) of each month; NaN where no rule covers the month.

        Args:
            months: month numbers (``Int64`` Series, array or one int).
            province_code: GSO province code; None uses the RuleSet's province (national if none).

        Example:
            >>> rules.standard_level(pd.Series([month_num(2024, 7)])).tolist()
            [500000.0]
        """
        return self._level("standard_level", months, province_code)

    def social_pension_level(self, months: ArrayLike, province_code: str | None = None) -> pd.Series:
        """Social-pension (HTXH) level of each month, VND; NaN before 2025-07."""
        return self._level("social_pension_level", months, province_code)

    def base_level(
        self, categories: ArrayLike, months: ArrayLike, province_code: str | None = None
    ) -> pd.Series:
        """The level a line's coefficient multiplies: social-pension level for HTXH, else the standard level.

        Example:
            >>> rules.base_level(pd.Series(["K6", "HTXH"]), month_num(2025, 8)).tolist()
            [500000.0, 500000.0]
        """
        index, n = _index_and_length(categories, months)
        cats = _objects(categories, n)
        m = pd.Series(_floats(months, n))
        use_pension = np.isin(cats, self._pension_categories())
        std = self.standard_level(m, province_code).to_numpy()
        pension = self.social_pension_level(m, province_code).to_numpy()
        return pd.Series(np.where(use_pension, pension, std), index=index, dtype=float)

    def _pension_categories(self) -> list[str]:
        """Categories whose coefficient multiplies the social-pension level (cached)."""
        cache = self._data.caches
        if "pension_categories" not in cache:
            cache["pension_categories"] = list(
                set(self._coef.loc[self._coef["base"] == "social_pension", "category"])
            )
        cats: list[str] = cache["pension_categories"]
        return cats

    # ------------------------------------------------------------------ coefficients

    def _match_coefficients(
        self, category: ArrayLike, disability_level: ArrayLike, age: ArrayLike, months: ArrayLike
    ) -> tuple[pd.Index, np.ndarray]:
        """Index of the coefficient rule row for each data row (-1 = none)."""
        index, n = _index_and_length(category, disability_level, age, months)
        cats = _objects(category, n)
        levels = _objects(disability_level, n)
        ages = _floats(age, n)
        m = _floats(months, n)
        rule = np.full(n, -1, dtype=np.int64)
        cache = self._data.caches
        if "coef_records" not in cache:
            cache["coef_records"] = self._coef.to_dict("records")
        for i, row in enumerate(cache["coef_records"]):
            mask = (cats == row["category"]) & (rule < 0)
            if not mask.any():
                continue
            mask &= (m >= self._coef_start[i]) & (m < self._coef_end[i])
            level = row["disability_level"]
            if not pd.isna(level):
                mask &= levels == level
            lo, hi = float(row["age_min"]), float(row["age_max"])
            if not (np.isnan(lo) and np.isnan(hi)):
                ok_age = ~np.isnan(ages)
                if not np.isnan(lo):
                    ok_age &= ages >= lo
                if not np.isnan(hi):
                    ok_age &= ages < hi
                mask &= ok_age
            rule[mask] = i
        return index, rule

    def _take(self, rule: np.ndarray, column: str, fill: Any) -> np.ndarray:
        values = self._coef[column].to_numpy(dtype=object)
        out = np.full(len(rule), fill, dtype=object)
        hit = rule >= 0
        out[hit] = values[rule[hit]]
        return out

    def expected_coefficient(
        self, category: ArrayLike, disability_level: ArrayLike, age: ArrayLike, months: ArrayLike
    ) -> pd.Series:
        """The one coefficient the rules give, or NaN where the data cannot tell it.

        NaN for: no rule (K6 ``mild``, an age outside every band, a month before 2021-07), C1 (an allowed
        set), K4 (per child). For C3/C4 pass the cared-for person's age (see :meth:`age_of`).

        Args:
            category: category codes.
            disability_level: ``especially_severe`` / ``severe`` / ``mild`` / missing.
            age: completed years at the end of the month (:func:`age_in_month`).
            months: month numbers.

        Example:
            >>> rules.expected_coefficient(pd.Series(["K1", "K1"]), None, pd.Series([3, 4]), month_num(2024, 1)).tolist()
            [2.5, 1.5]
        """
        index, rule = self._match_coefficients(category, disability_level, age, months)
        values = self._take(rule, "coefficient", np.nan).astype(float)
        return pd.Series(values, index=index, dtype=float)

    def allowed_coefficients(
        self, category: ArrayLike, disability_level: ArrayLike, age: ArrayLike, months: ArrayLike
    ) -> pd.DataFrame:
        """What the rules allow for each line.

        Returns:
            A frame indexed like the input: ``expected`` (float, NaN if not one value), ``allowed`` (tuple of
            lawful values, or None), ``per_child_unit`` (float: any positive whole multiple is lawful;
            NaN otherwise), ``legal_basis`` and ``confidence`` of the rule row (None without a rule).
        """
        index, rule = self._match_coefficients(category, disability_level, age, months)
        per_child = self._take(rule, "per_child", False).astype(bool)
        unit = self._take(rule, "unit", np.nan).astype(float)
        return pd.DataFrame(
            {
                "expected": self._take(rule, "coefficient", np.nan).astype(float),
                "allowed": self._take(rule, "allowed", None),
                "per_child_unit": np.where(per_child, unit, np.nan),
                "legal_basis": self._take(rule, "legal_basis", None),
                "confidence": self._take(rule, "confidence", None),
            },
            index=index,
        )

    def coefficient_ok(
        self,
        category: ArrayLike,
        disability_level: ArrayLike,
        age: ArrayLike,
        months: ArrayLike,
        recorded: ArrayLike,
    ) -> pd.Series:
        """Whether a recorded coefficient is lawful for the line (``bool``).

        True where the rules cannot judge: no rule row, a row without a value (K6 ``mild``: that is an
        eligibility question, INELIGIBLE), or a missing recorded coefficient. C1 accepts its allowed set;
        K4 accepts any positive whole multiple of 1.0.

        Example:
            >>> rules.coefficient_ok(pd.Series(["C1", "K4", "K4"]), None, 30, month_num(2024, 1),
            ...                      pd.Series([2.0, 3.0, 1.5])).tolist()
            [True, True, False]
        """
        index, rule = self._match_coefficients(category, disability_level, age, months)
        n = len(rule)
        rec = _floats(recorded, n)
        expected = self._take(rule, "coefficient", np.nan).astype(float)
        per_child = self._take(rule, "per_child", False).astype(bool)
        unit = self._take(rule, "unit", np.nan).astype(float)
        ok = np.ones(n, dtype=bool)
        has_value = ~np.isnan(rec)

        one = has_value & ~np.isnan(expected)
        ok[one] = np.isclose(rec[one], expected[one], rtol=0, atol=1e-6)

        multiple = has_value & per_child
        q = rec[multiple] / unit[multiple]
        ok[multiple] = (q >= 1 - 1e-6) & np.isclose(q, np.round(q), rtol=0, atol=1e-6)

        allowed = self._take(rule, "allowed", None)
        for i in np.flatnonzero(self._coef["allowed"].notna().to_numpy()):
            rows = has_value & (rule == i)
            if rows.any():
                lawful = np.asarray(allowed[np.flatnonzero(rows)[0]], dtype=float)
                ok[rows] = np.isclose(rec[rows, None], lawful[None, :], rtol=0, atol=1e-6).any(axis=1)
        return pd.Series(ok, index=index, dtype=bool)

    def age_of(self, categories: ArrayLike) -> pd.Series:
        """Whose age sets the coefficient: ``"cared_for"`` (C3, C4) or ``"self"``."""
        index, n = _index_and_length(categories)
        cats = _objects(categories, n)
        cache = self._data.caches
        if "age_of" not in cache:
            cache["age_of"] = self._coef.drop_duplicates("category").set_index("category")["age_of"].to_dict()
        mapping: dict[str, str] = cache["age_of"]
        values = pd.Series(cats, dtype=object).map(mapping).fillna("self")
        return pd.Series(values.to_numpy(dtype=object), index=index, dtype=str)

    # ------------------------------------------------------------------ ages

    @overload
    def age_limit(self, categories: str) -> int | None: ...
    @overload
    def age_limit(self, categories: pd.Series) -> pd.Series: ...
    def age_limit(self, categories: str | pd.Series) -> int | None | pd.Series:
        """Age at which a line of the category must end (K1/K3 16, K2 22, K7 3); NA where none.

        A str gives an int or None; a Series gives an ``Int64`` Series.

        Example:
            >>> rules.age_limit("K7"), rules.age_limit("K6")
            (3, None)
        """
        return self._age_lookup("age_limits", categories)

    @overload
    def min_age(self, categories: str) -> int | None: ...
    @overload
    def min_age(self, categories: pd.Series) -> pd.Series: ...
    def min_age(self, categories: str | pd.Series) -> int | None | pd.Series:
        """Age the category requires (K5a 60, K5b 75, K5c 80, K5d 60, K2 16); NA where none."""
        return self._age_lookup("min_ages", categories)

    def _age_lookup(self, table: str, categories: str | pd.Series) -> int | None | pd.Series:
        # The shared cache also holds tuple keys, which its ``dict[str, Any]`` declaration does not cover.
        cache: dict[Any, Any] = self._data.caches
        if ("ages", table) not in cache:
            cache[("ages", table)] = self._data.tables[table].set_index("category")["age"].to_dict()
        mapping: dict[str, Any] = cache[("ages", table)]
        if isinstance(categories, str):
            value = mapping.get(categories)
            return None if value is None or pd.isna(value) else int(value)
        cats = pd.Series(categories)
        return cats.map(mapping).astype("Int64")

    @property
    def age_limits(self) -> pd.DataFrame:
        """Table of age limits: category, age, continues_as, continues_when, legal_basis, confidence."""
        return self._data.tables["age_limits"].drop(columns="file")

    @property
    def category_min_age(self) -> dict[str, int]:
        """Category → minimum age, as a dict."""
        frame = self._data.tables["min_ages"]
        return {c: int(a) for c, a in zip(frame["category"], frame["age"], strict=True)}

    def category_end_month(self, categories: ArrayLike) -> pd.Series:
        """First month a line of each category is no longer payable (NaN: the category has not ended).

        From ``category_ends`` in social_pension.yml (K5b/K5c from 2025-07, NĐ 176/2025).

        Example:
            >>> rules.category_end_month(pd.Series(["K5c", "K6"])).tolist() == [month_num(2025, 7), None]  # doctest: +SKIP
        """
        index, n = _index_and_length(categories)
        cats = _objects(categories, n)
        frame = self._data.tables.get("category_ends")
        out = np.full(n, np.nan)
        if frame is not None and len(frame):
            stamps = frame["ends"]
            ends = (stamps.dt.year * 12 + stamps.dt.month - 1 + (stamps.dt.day > 1)).to_numpy(dtype=float)
            for cat, end in zip(frame["category"], ends, strict=True):
                out[cats == cat] = end
        return pd.Series(out, index=index, dtype=float)

    @property
    def category_ends(self) -> pd.DataFrame:
        """Ended categories: ``category, ends, replaced_by, legal_basis, confidence`` (may be empty)."""
        frame = self._data.tables.get("category_ends")
        cols = ["category", "ends", "replaced_by", "legal_basis", "confidence"]
        return pd.DataFrame(columns=cols) if frame is None else frame[cols]

    @staticmethod
    def age_in_month(birth_dates: ArrayLike, months: ArrayLike) -> pd.Series:
        """Completed years on the last day of each month; see :func:`age_in_month`."""
        return age_in_month(birth_dates, months)

    # ------------------------------------------------------------------ stacking

    def _build_stacking(self) -> tuple[np.ndarray, np.ndarray]:
        k = len(self._categories)
        default = _RESULT_CODES[self._data.stacking_default]
        matrix = np.full((k, k), -1, dtype=np.int8)
        rule_of = np.full((k, k), -1, dtype=np.int64)
        rules = self._data.tables["stacking"]
        for r, row in enumerate(rules.to_dict("records")):
            same = row["same_category"]
            only_same = not pd.isna(same) and bool(same)
            only_different = not pd.isna(same) and not bool(same)
            for a in row["a"]:
                for b in row["b"]:
                    if (only_same and a != b) or (only_different and a == b):
                        continue
                    for x, y in ((a, b), (b, a)):
                        i, j = self._cat_index[x], self._cat_index[y]
                        if matrix[i, j] < 0:  # first matching rule wins
                            matrix[i, j] = _RESULT_CODES[row["result"]]
                            rule_of[i, j] = r
        matrix[matrix < 0] = default
        return matrix, rule_of

    def stackable(
        self,
        cat_a: ArrayLike,
        cat_b: ArrayLike,
        cared_a: ArrayLike = None,
        cared_b: ArrayLike = None,
    ) -> pd.Series:
        """Whether two lines of one person may both be paid in the same month (``bool``).

        K* + C* stack; K4 stacks with K5a/K5b/K5c/K5d/K6/K8; any other pair of K* lines, or K* with HTXH,
        is a duplicate. The same C category twice stacks only for different cared-for persons (both
        ``cared_for_id`` missing counts as the same person); C1 twice never stacks. An unknown
        category gives False.

        Example:
            >>> rules.stackable(pd.Series(["K4", "K5c", "C2"]), pd.Series(["K6", "HTXH", "C2"]),
            ...                 pd.Series([None, None, "1"]), pd.Series([None, None, "2"])).tolist()
            [True, False, True]
        """
        index, n = _index_and_length(cat_a, cat_b, cared_a, cared_b)
        ia = pd.Series(_objects(cat_a, n)).map(self._cat_index).to_numpy(dtype=float, na_value=np.nan)
        ib = pd.Series(_objects(cat_b, n)).map(self._cat_index).to_numpy(dtype=float, na_value=np.nan)
        known = ~np.isnan(ia) & ~np.isnan(ib)
        result = np.zeros(n, dtype=np.int8)
        result[known] = self._stack_matrix[ia[known].astype(int), ib[known].astype(int)]
        ca, cb = _objects(cared_a, n), _objects(cared_b, n)
        both_missing = pd.isna(ca) & pd.isna(cb)
        same_person = both_missing | (~pd.isna(ca) & (ca == cb))
        ok = (result == 1) | ((result == 2) & ~same_person)
        return pd.Series(ok & known, index=index, dtype=bool)

    def is_stackable(
        self, cat_a: str, cat_b: str, cared_a: str | None = None, cared_b: str | None = None
    ) -> bool:
        """Scalar form of :meth:`stackable`."""
        return bool(self.stackable([cat_a], [cat_b], [cared_a], [cared_b]).iloc[0])

    @property
    def stackable_pairs(self) -> pd.DataFrame:
        """Every ordered category pair: ``cat_a, cat_b, result`` (stack/duplicate/by_cared_for), rule id, citation."""
        names = {v: k for k, v in _RESULT_CODES.items()}
        rules = self._data.tables["stacking"]
        rows = []
        for a, i in self._cat_index.items():
            for b, j in self._cat_index.items():
                r = self._stack_rule[i, j]
                rows.append(
                    {
                        "cat_a": a,
                        "cat_b": b,
                        "result": names[int(self._stack_matrix[i, j])],
                        "rule": None if r < 0 else rules.at[r, "id"],
                        "legal_basis": None if r < 0 else rules.at[r, "legal_basis"],
                    }
                )
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ process

    def decision_deadline_days(self, application_dates: ArrayLike) -> pd.Series:
        """Legal working days from a complete application to the decision (``Int64``; NA if no date).

        22 for applications before 2025-07-01 (NĐ 20/2021 Art 8), 10 from then (NĐ 147/2025 Art 5).
        """
        index, n = _index_and_length(application_dates)
        dates = pd.Series(pd.to_datetime(pd.Series(application_dates).to_numpy())).to_numpy(
            dtype="datetime64[ns]"
        )
        if len(dates) == 1 and n > 1:
            dates = np.repeat(dates, n)
        frame = self._data.tables["deadlines"]
        start, end = _date_bounds(frame)
        out = pd.array([pd.NA] * n, dtype="Int64")
        valid = ~np.isnat(dates)
        for s, e, days in zip(start, end, frame["working_days"], strict=True):
            out[valid & (dates >= s) & (dates < e)] = int(days)
        return pd.Series(out, index=index)

    def working_days_between(self, start_dates: pd.Series, end_dates: pd.Series) -> pd.Series:
        """Vietnamese working days in ``(start, end]`` (``Int64``; NA where a date is missing).

        Saturdays, Sundays and public holidays (``holidays`` package, incl. Tết and observed days) are
        off; extra days of ``deadlines.yml`` are applied.

        Example:
            >>> s = pd.Series(pd.to_datetime(["2023-04-28"])); e = pd.Series(pd.to_datetime(["2023-05-04"]))
            >>> rules.working_days_between(s, e).tolist()  # 29/4-3/5/2023 off
            [1]
        """
        return working_days_between(
            start_dates,
            end_dates,
            weekmask=self._data.weekmask,
            extra_non_working=self._extra_off,
            extra_working=self._extra_on,
        )

    def elderly_thresholds(self, as_of: pd.Timestamp | dt.date | str) -> dict[str, Any]:
        """The elderly-benefit age rule in force on ``as_of`` (for MISSED_ELDERLY).

        Returns:
            ``{"scheme": "K5c" | "HTXH", "min_age": int, "min_age_poor": int | None,
            "poor_statuses": ("poor", "near_poor"), "valid_from", "valid_to", "legal_basis", "confidence"}``.

        Example:
            >>> rules.elderly_thresholds("2025-07-01")["min_age"], rules.elderly_thresholds("2025-06-30")["min_age"]
            (75, 80)
        """
        day = pd.Timestamp(as_of).to_datetime64().astype("datetime64[ns]")
        frame = self._data.tables["social_pension_eligibility"]
        start, end = _date_bounds(frame)
        hit = np.flatnonzero((start <= day) & (day < end))
        if not len(hit):
            raise RuleError(
                f"No elderly eligibility rule covers {pd.Timestamp(as_of).date()}",
                file="social_pension.yml",
                section="eligibility",
                fix="add a row for that date",
            )
        row = frame.iloc[int(hit[0])]
        return {
            "scheme": row["scheme"],
            "min_age": int(row["min_age"]),
            "min_age_poor": None if pd.isna(row["min_age_poor"]) else int(row["min_age_poor"]),
            "poor_statuses": ("poor", "near_poor"),
            "valid_from": None if pd.isna(row["valid_from"]) else row["valid_from"],
            "valid_to": None if pd.isna(row["valid_to"]) else row["valid_to"],
            "legal_basis": row["legal_basis"],
            "confidence": row["confidence"],
        }

    # ------------------------------------------------------------------ named values (constants.yml)

    def constant(self, name: str) -> Any:
        """A named value of ``constants.yml`` (a number, or a tuple of category codes).

        Example:
            >>> rules.constant("suspend_after_unpaid_months")
            3
        """
        values = self._data.caches.get("constants")
        if values is None:
            # name → first value, built once per set of rule files (every check asks for some).
            frame = self._data.tables["constants"]
            values = {}
            for key, value in zip(frame["name"].tolist(), frame["value"].tolist(), strict=True):
                values.setdefault(key, value)
            self._data.caches["constants"] = values
        if name not in values:
            raise RuleError(
                f"No constant {name!r}", file="constants.yml", section="values", fix="add it under 'values:'"
            )
        return values[name]

    @property
    def suspend_after_unpaid_months(self) -> int:
        """Consecutive unpaid months after which a line is to be suspended (TT 02/2021 Art. 2(3)(a))."""
        return int(self.constant("suspend_after_unpaid_months"))

    @property
    def no_pension_categories(self) -> tuple[str, ...]:
        """Categories that require having no pension or monthly social-insurance benefit."""
        return tuple(self.constant("no_pension_categories"))

    @property
    def certificate_categories(self) -> tuple[str, ...]:
        """Categories paid from the month of the disability certificate."""
        return tuple(self.constant("certificate_categories"))

    @property
    def certificate_grace_days(self) -> int:
        """Days a severe disability certificate gives the ward before MISSED_DISABILITY reports it."""
        return int(self.constant("certificate_grace_days"))

    @property
    def adult_age(self) -> int:
        """Full years from which a person is an adult (courtesy titles in finding texts)."""
        return int(self.constant("adult_age"))

    def chart_age_marks(self, as_of: pd.Timestamp | dt.date | str) -> tuple[int, ...]:
        """Ages marked on the report's age chart: the K1 age limit, the K5a minimum age and the elderly
        benefit ages in force on ``as_of`` (80 before 2025-07; 75 and 70 for poor households from then).

        Example:
            >>> rules.chart_age_marks("2023-02-28"), rules.chart_age_marks("2026-01-31")
            ((16, 60, 80), (16, 60, 70, 75))
        """
        elderly = self.elderly_thresholds(as_of)
        marks = {self.age_limit("K1"), self.min_age("K5a"), elderly["min_age"], elderly["min_age_poor"]}
        return tuple(sorted(int(a) for a in marks if a is not None))

    # ------------------------------------------------------------------ identity numbers

    @property
    def province_codes(self) -> frozenset[str]:
        """Pre-merger 3-digit province codes of the personal ID number (``"006"`` = Bắc Kạn)."""
        cache = self._data.caches
        if "province_codes" not in cache:
            cache["province_codes"] = frozenset(self._data.tables["provinces"]["code"])
        codes: frozenset[str] = cache["province_codes"]
        return codes

    @property
    def province_names(self) -> dict[str, str]:
        """3-digit ID province code → province name."""
        frame = self._data.tables["provinces"]
        return dict(zip(frame["code"], frame["name"], strict=True))

    @property
    def id_digit4(self) -> pd.DataFrame:
        """Digit 4 of the personal ID number → ``sex`` (M/F) and ``century`` (1900, 2000, …)."""
        return self._data.tables["id_digit4"].drop(columns="file")

    @property
    def cmnd_valid_until(self) -> pd.Timestamp | None:
        """Last valid day of a 9-digit CMND (31/12/2024, Luật Căn cước 26/2023/QH15 Điều 46); None if no rule."""
        frame = self._data.tables["id_documents"]
        hit = frame.loc[frame["document"] == "cmnd_9_digit", "valid_until"]
        return None if hit.empty or pd.isna(hit.iloc[0]) else pd.Timestamp(hit.iloc[0])

    # ------------------------------------------------------------------ citations

    def legal_basis(self, check_id: str, lang: str = "vi") -> str:
        """Legal basis of a check, in Vietnamese (``vi``) or English (``en``).

        Example:
            >>> rules.legal_basis("DECEASED_ACTIVE")[:27]
            'NĐ 20/2021/NĐ-CP Điều 8 kho'
        """
        if lang not in ("vi", "en"):
            raise InputError(f"Unknown language {lang!r}", fix="use lang='vi' or lang='en'")
        # One dict per language, shared by every RuleSet of these rule files (the reports ask for
        # each check's basis several times per ward; a frame lookup costs ≈ 1 ms).
        bases: dict[str, dict[str, str]] = self._data.caches.setdefault("legal_basis", {})
        if lang not in bases:
            frame = self._data.tables["legal_basis"]
            # The last row of a check wins (an extra rule file's row comes after the base row).
            bases[lang] = {str(c): str(v) for c, v in zip(frame["check_id"], frame[lang], strict=True)}
        found = bases[lang].get(check_id)
        if found is None:
            raise RuleError(
                f"No legal basis for check {check_id!r}",
                file="legal_basis.yml",
                section="checks",
                fix="add it under 'checks:'",
            )
        return found

    def citations(self) -> pd.DataFrame:
        """Every rule row with its citation, for the report appendix.

        Columns: ``table, key, valid_from, valid_to, value, legal_basis, confidence, file``
        (dates as ISO text, empty when open).
        """
        t = self._data.tables
        parts: list[pd.DataFrame] = []

        def add(
            table: str, frame: pd.DataFrame, key: pd.Series, value: pd.Series, dated: bool = True
        ) -> None:
            parts.append(
                pd.DataFrame(
                    {
                        "table": table,
                        "key": key.astype(str).to_numpy(),
                        "valid_from": frame["valid_from"].map(_iso).to_numpy() if dated else "",
                        "valid_to": frame["valid_to"].map(_iso).to_numpy() if dated else "",
                        "value": value.astype(str).to_numpy(),
                        "legal_basis": frame["legal_basis"].to_numpy(),
                        "confidence": frame["confidence"].to_numpy(),
                        "file": frame["file"].to_numpy(),
                    }
                )
            )

        for name in ("standard_level", "social_pension_level"):
            f = t[name]
            add(name, f, f["scope"], f["amount"].map(lambda a: f"{a:,.0f} VND"))
        f = t["social_pension_eligibility"]
        add(
            "elderly_eligibility",
            f,
            f["scheme"],
            f["min_age"].astype(str) + " / poor " + f["min_age_poor"].astype(str),
        )
        f = t["coefficients"]
        key = (
            f["category"]
            + " "
            + f["disability_level"].fillna("")
            + " age "
            + [_band_text(a, b) for a, b in zip(f["age_min"], f["age_max"], strict=True)]
        )
        value = [
            _coef_text(c, a, p, u)
            for c, a, p, u in zip(f["coefficient"], f["allowed"], f["per_child"], f["unit"], strict=True)
        ]
        add("coefficients", f, key.str.replace("  ", " "), pd.Series(value))
        f = t["deadlines"]
        add("deadlines", f, pd.Series(["decision"] * len(f)), f["working_days"].astype(str) + " working days")
        f = t["age_limits"]
        add("age_limits", f, f["category"], "ends at " + f["age"].astype(str), dated=False)
        f = t["min_ages"]
        add("min_ages", f, f["category"], "from " + f["age"].astype(str), dated=False)
        f = t["stacking"]
        add("stacking", f, f["id"], f["result"], dated=False)
        f = t["categories"]
        add("categories", f, f["code"], f["kind"], dated=False)
        if "category_ends" in t and len(t["category_ends"]):
            f = t["category_ends"]
            ends = f.assign(valid_from=pd.Series(pd.NaT, index=f.index), valid_to=f["ends"])
            add("category_ends", ends, f["category"], "→ " + f["replaced_by"].fillna("").astype(str))
        f = t["id_documents"]
        add("id_documents", f, f["document"], "valid until " + f["valid_until"].map(_iso), dated=False)
        f = t["constants"]
        named = f["value"].map(lambda v: ", ".join(v) if isinstance(v, tuple) else f"{v:g}")
        add("constants", f, f["name"], named + " " + f["unit"].fillna(""), dated=False)
        f = t["legal_basis"]
        parts.append(
            pd.DataFrame(
                {
                    "table": "checks",
                    "key": f["check_id"],
                    "valid_from": "",
                    "valid_to": "",
                    "value": "",
                    "legal_basis": f["vi"],
                    "confidence": None,
                    "file": f["file"],
                }
            )
        )
        return pd.concat(parts, ignore_index=True)

    # ------------------------------------------------------------------ dump

    def dump(self, directory: Path) -> list[Path]:
        """Write the rule set as YAML files (one per table) that :func:`load_rules` reads back equal.

        Comments are not kept: the dump is a canonical form, for diffs and golden files.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for table, doc in _to_documents(self._data).items():
            path = directory / f"{table}.yml"
            path.write_text(
                yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=200, default_flow_style=False),
                encoding="utf-8",
            )
            written.append(path)
        return written


def _band_text(age_min: float, age_max: float) -> str:
    a = "0" if pd.isna(age_min) else f"{age_min:g}"
    b = "" if pd.isna(age_max) else f"{age_max:g}"
    return f"{a}-{b}"


def _coef_text(coefficient: float, allowed: tuple[float, ...] | None, per_child: bool, unit: float) -> str:
    if per_child:
        return f"{unit:g} per child"
    if allowed is not None:
        return " or ".join(f"{v:g}" for v in allowed)
    if pd.isna(coefficient):
        return "none (not eligible)"
    return f"{coefficient:g}"


# --------------------------------------------------------------------------------------- dump helpers


def _plain(value: Any) -> Any:
    """Python/YAML-friendly scalar (dates as date, NaN/NA as None, numpy as builtin)."""
    if value is None:
        return None
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    return [{c: _plain(row[c]) for c in columns} for _, row in frame.iterrows()]


def _levels_doc(table: str, frame: pd.DataFrame) -> dict[str, Any]:
    cols = ["valid_from", "valid_to", "amount", "legal_basis", "confidence", "note"]
    doc: dict[str, Any] = {"table": table, "national": _records(frame[frame["scope"] == "national"], cols)}
    doc["provinces"] = {
        scope: _records(frame[frame["scope"] == scope], cols)
        for scope in pd.unique(frame.loc[frame["scope"] != "national", "scope"])
    }
    return doc


def _to_documents(data: RuleData) -> dict[str, dict[str, Any]]:
    t = data.tables
    days = t["calendar_days"]
    weekend = [d for d in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun") if d not in data.weekmask.split()]
    docs = {
        "categories": {
            "table": "categories",
            "categories": _records(
                t["categories"], ["code", "kind", "label_vi", "legal_basis", "confidence"]
            ),
        },
        "standard_level": _levels_doc("standard_level", t["standard_level"]),
        "social_pension": {
            **_levels_doc("social_pension", t["social_pension_level"]),
            "eligibility": _records(
                t["social_pension_eligibility"],
                [
                    "valid_from",
                    "valid_to",
                    "scheme",
                    "min_age",
                    "min_age_poor",
                    "legal_basis",
                    "confidence",
                    "note",
                ],
            ),
            "category_ends": _records(
                t["category_ends"], ["category", "ends", "replaced_by", "legal_basis", "confidence"]
            ),
        },
        "coefficients": {
            "table": "coefficients",
            "rows": _records(
                t["coefficients"],
                [c for c in COEFFICIENT_COLUMNS if c != "file"],  # the loader's columns, less provenance
            ),
        },
        "age_limits": {
            "table": "age_limits",
            "limits": _records(
                t["age_limits"],
                ["category", "age", "continues_as", "continues_when", "legal_basis", "confidence"],
            ),
            "min_ages": _records(t["min_ages"], ["category", "age", "legal_basis", "confidence"]),
        },
        "stacking": {
            "table": "stacking",
            "default": data.stacking_default,
            "rules": _records(
                t["stacking"], ["id", "a", "b", "same_category", "result", "legal_basis", "confidence"]
            ),
        },
        "deadlines": {
            "table": "deadlines",
            "decision": _records(
                t["deadlines"],
                ["valid_from", "valid_to", "working_days", "legal_basis", "confidence", "note"],
            ),
            "calendar": {
                "weekend": weekend,
                "extra_non_working_days": _records(
                    days[days["kind"] == "non_working"], ["date", "name", "legal_basis"]
                ),
                "extra_working_days": _records(
                    days[days["kind"] == "working"], ["date", "name", "legal_basis"]
                ),
            },
        },
        "legal_basis": {
            "table": "legal_basis",
            "checks": {
                row.check_id: {"vi": row.vi, "en": row.en} for row in t["legal_basis"].itertuples(index=False)
            },
        },
        "provinces": {
            "table": "provinces",
            "provinces": _records(t["provinces"], ["code", "name", "legal_basis", "confidence"]),
            "id_digit4": _records(t["id_digit4"], ["digit", "sex", "century", "legal_basis", "confidence"]),
            "id_documents": _records(
                t["id_documents"], ["document", "valid_until", "legal_basis", "confidence"]
            ),
            "merged_2025": _records(
                t["province_merger"], ["old", "new", "name", "valid_from", "legal_basis", "confidence"]
            ),
        },
        "constants": {
            "table": "constants",
            "values": [
                {**row, "value": list(row["value"]) if isinstance(row["value"], tuple) else row["value"]}
                for row in _records(
                    t["constants"], ["name", "value", "unit", "legal_basis", "confidence", "note"]
                )
            ],
        },
    }
    return docs
