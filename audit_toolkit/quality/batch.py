"""The Great Expectations suites over a batch of wards: one GX call per table for many wards.

GX's cost is per ``validate`` call and per expectation (building the metric graph, pydantic
models, one ``DataFrame.query`` per ``row_condition``), not per row: ≈ 0.25 s of CPU per table
whether it holds 150 rows or 15,000. A batch of 100 wards validated ward by ward pays that 700
times; here the wards' tables are stacked (a ``__ward__`` level in front of the row keys) and each
table is validated once, then GX's answer is split back per ward.

Only *row-wise* expectations can be split that way (a row's verdict does not depend on the other
rows): the types in ``ROW_WISE``. For each ward, the failing rows are GX's, and the counts GX
reports per call (rows in the ``row_condition`` domain, rows missing the column(s)) are
recounted per ward with the rules GX applies (``PandasExecutionEngine.get_domain_records``),
and checked against GX's totals. Everything else falls back to one GX call per ward, exactly as
:func:`audit_toolkit.quality.results.validate_tables` does: any other expectation type, a table whose
column types differ between wards (types decide how a rule reads a value), a rule that cannot be
evaluated, or counts that do not add up. Every ward's :class:`QualityResult` is therefore the one
``validate_tables`` gives for that ward alone (``seconds`` aside: here it is the ward's share).

Example:
    >>> results = validate_wards({w.ward_id: w.tables for w in wards}, lang="en")  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit_toolkit.errors import AuditToolkitError
from audit_toolkit.quality.gx import Outcome, gx_outcomes, prepare, quiet
from audit_toolkit.quality.results import MAX_ROWS, QualityResult, assemble, too_many_rows
from audit_toolkit.quality.suites import Rule, Suite, find_suites_dir, load_suites

__all__ = ["ROW_WISE", "validate_wards"]

#: Expectation types whose verdict on a row depends on that row only (GX map expectations that do
#: not compare rows with each other: not ``…_to_be_unique``, ``…_increasing``, z-scores…).
ROW_WISE = frozenset(
    {
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_be_null",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_match_regex_list",
        "expect_column_values_to_not_match_regex_list",
        "expect_column_values_to_match_like_pattern",
        "expect_column_values_to_not_match_like_pattern",
        "expect_column_values_to_match_like_pattern_list",
        "expect_column_values_to_not_match_like_pattern_list",
        "expect_column_values_to_match_strftime_format",
        "expect_column_values_to_be_dateutil_parseable",
        "expect_column_values_to_be_json_parseable",
        "expect_column_value_lengths_to_be_between",
        "expect_column_value_lengths_to_equal",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_equal",
        "expect_column_pair_values_to_be_in_set",
        "expect_multicolumn_sum_to_equal",
        "expect_select_column_values_to_be_unique_within_record",
    }
)

#: Most rows stacked into one GX call (memory stays bounded for a batch of large wards).
MAX_STACKED_ROWS = 1_000_000

_WARD = "__ward__"
_NULL_RULES = frozenset({"expect_column_values_to_be_null", "expect_column_values_to_not_be_null"})
_PAIR_DEFAULT = "both_values_are_missing"
_MULTI_DEFAULT = "all_values_are_missing"


class _Mismatch(Exception):
    """The per-ward recount does not add up to GX's totals: validate those wards one by one."""


def _signature(subset: pd.DataFrame, keys: list[str]) -> tuple[Any, ...]:
    return (tuple(keys), tuple((str(c), str(subset[c].dtype)) for c in subset.columns))


def _domain_counts(
    rule: Rule, stacked: pd.DataFrame, wards: int, domains: dict[str, pd.DataFrame]
) -> tuple[np.ndarray, np.ndarray]:
    """Per ward: rows in the rule's domain (``element_count``) and rows missing its column(s).

    ``domains``: the rows of each ``row_condition`` met so far (rules share conditions).
    """
    condition = rule.kwargs.get("row_condition")
    if condition:
        if str(condition) not in domains:
            domains[str(condition)] = stacked.query(str(condition), parser="pandas")
        domain = domains[str(condition)]
    else:
        domain = stacked
    codes = domain[_WARD].to_numpy()
    element = np.bincount(codes, minlength=wards)
    cols = list(rule.columns)
    nulls = domain[cols].isna().to_numpy()
    missing_rows: np.ndarray[Any, Any]
    if rule.type in _NULL_RULES:
        # GX counts every row of the domain for these (no missing_count), nulls being the point.
        missing_rows = np.zeros(len(domain), dtype=bool)
    elif "column" in rule.kwargs:
        missing_rows = nulls[:, 0]
    elif "column_A" in rule.kwargs:
        how = rule.kwargs.get("ignore_row_if", _PAIR_DEFAULT)
        if how == "both_values_are_missing":
            missing_rows = np.asarray(nulls.all(axis=1))
        elif how == "either_value_is_missing":
            missing_rows = np.asarray(nulls.any(axis=1))
        elif how == "neither":
            missing_rows = np.zeros(len(domain), dtype=bool)
        else:
            raise _Mismatch(how)
    else:
        how = rule.kwargs.get("ignore_row_if", _MULTI_DEFAULT)
        if how == "all_values_are_missing":
            missing_rows = np.asarray(nulls.all(axis=1))
        elif how == "any_value_is_missing":
            missing_rows = np.asarray(nulls.any(axis=1))
        elif how == "never":
            missing_rows = np.zeros(len(domain), dtype=bool)
        else:
            raise _Mismatch(how)
    missing = np.bincount(codes[missing_rows], minlength=wards)
    return element, missing


def _mostly_success(considered: int, unexpected: int, mostly: float) -> bool:
    # GX's rule (expectation._mostly_success), vacuously true when no row is considered.
    if considered == 0:
        return True
    return (float(considered) - float(unexpected)) / float(considered) >= mostly


def _split(
    suite: Suite, rules: tuple[Rule, ...], subsets: list[pd.DataFrame], keys: list[str]
) -> list[dict[int, Outcome]]:
    """One GX call over the stacked ``subsets``; GX's outcome of each rule split back per subset."""
    stacked = pd.concat(subsets, ignore_index=True)
    # The ward of each row, a row key in front of the others (GX lists failing rows by it too).
    ward = np.repeat(np.arange(len(subsets), dtype="int64"), [len(s) for s in subsets])
    stacked.insert(0, _WARD, ward)
    totals = gx_outcomes(suite, rules, stacked, [_WARD, *keys])
    split: list[dict[int, Outcome]] = [{} for _ in subsets]
    domains: dict[str, pd.DataFrame] = {}
    # The failing rows of a ward where a rule passed: one empty frame, a shallow copy per ward
    # (building a DataFrame per ward and rule was a quarter of a small batch's GX time).
    no_rows = pd.DataFrame({k: [] for k in keys})
    for rule in rules:
        total = totals[rule.number]
        element, missing = _domain_counts(rule, stacked, len(subsets), domains)
        failing = total.failing
        ward_of = failing[_WARD].to_numpy(dtype="int64") if len(failing) else np.zeros(0, dtype="int64")
        unexpected = np.bincount(ward_of, minlength=len(subsets))
        if (
            int(element.sum()) != total.element_count
            or int(missing.sum()) != total.missing_count
            or int(unexpected.sum()) != total.unexpected_count
        ):
            raise _Mismatch(rule.where)
        mostly = float(rule.kwargs.get("mostly", 1.0))
        by_ward = (
            {int(str(w)): part for w, part in failing.groupby(_WARD, sort=False)} if len(failing) else {}
        )
        for w in range(len(subsets)):
            part = by_ward.get(w)
            rows = part[keys].reset_index(drop=True) if part is not None else no_rows.copy(deep=False)
            considered = int(element[w] - missing[w])
            split[w][rule.number] = Outcome(
                element_count=int(element[w]),
                missing_count=int(missing[w]),
                unexpected_count=int(unexpected[w]),
                success=_mostly_success(considered, int(unexpected[w]), mostly),
                failing=rows,
            )
    return split


def _table_outcomes(suite: Suite, frames: Mapping[str, pd.DataFrame]) -> dict[str, dict[int, Outcome]]:
    """Outcomes of every rule of ``suite`` for each ward that could be validated in a stacked call.

    Wards left out (a rule reads a column their table lacks, types that differ from the others,
    an error) are validated alone later, which raises or answers exactly as for a single ward.
    """
    row_wise = tuple(r for r in suite.rules if r.type in ROW_WISE)
    others = tuple(r for r in suite.rules if r.type not in ROW_WISE)
    prepared: dict[str, tuple[pd.DataFrame, list[str]]] = {}
    for key, frame in frames.items():
        try:
            prepared[key] = prepare(suite, frame)
        except (AuditToolkitError, ValueError):
            continue  # the ward's own validation raises the error where it belongs
    groups: dict[tuple[Any, ...], list[list[str]]] = {}
    for key, (subset, keys) in prepared.items():
        chunks = groups.setdefault(_signature(subset, keys), [[]])
        if sum(len(prepared[k][0]) for k in chunks[-1]) + len(subset) > MAX_STACKED_ROWS and chunks[-1]:
            chunks.append([])
        chunks[-1].append(key)
    out: dict[str, dict[int, Outcome]] = {}
    for chunks in groups.values():
        for chunk in chunks:
            if not row_wise:
                break
            try:
                split = _split(suite, row_wise, [prepared[k][0] for k in chunk], prepared[chunk[0]][1])
            except (_Mismatch, AuditToolkitError):
                continue
            for key, outcome in zip(chunk, split, strict=True):
                out[key] = outcome
    for key, (subset, keys) in prepared.items():
        if key not in out and row_wise:
            continue
        try:
            extra = gx_outcomes(suite, others, subset, keys) if others else {}
        except AuditToolkitError:
            out.pop(key, None)
            continue
        out[key] = {**out.get(key, {}), **extra}
    return out


def validate_wards(
    wards: Mapping[str, Mapping[str, pd.DataFrame]],
    *,
    suites_dir: Path | None = None,
    lang: str = "vi",
    max_rows: int = MAX_ROWS,
) -> dict[str, QualityResult]:
    """Validate the tables of many wards with one GX call per table (row-wise rules).

    Args:
        wards: ward key → that ward's tables (``WardData.tables``).
        suites_dir: the suites folder (as for :func:`~audit_toolkit.quality.results.validate_tables`).
        lang: language of descriptions, notes and finding details.
        max_rows: a ward's table with more rows is not validated (the same limit, per ward).

    Returns:
        Ward key → the :class:`~audit_toolkit.quality.QualityResult` that ``validate_tables``
        gives for that ward alone. A ward whose validation raises (a rule reads a column its table
        does not have, a rule GX cannot evaluate on its data) is left out: validate it alone to
        get the error.

    Raises:
        RuleError: a suite file is malformed (as ``validate_tables`` raises for every ward).

    Example:
        >>> res = validate_wards({"a": ward_a.tables, "b": ward_b.tables}, lang="en")  # doctest: +SKIP
        >>> res["a"].summary.equals(validate_tables(ward_a.tables, lang="en").summary)  # doctest: +SKIP
        True
    """
    started = time.perf_counter()
    folder = find_suites_dir(suites_dir)
    suites = load_suites(folder) if folder is not None else {}
    outcomes: dict[str, dict[str, dict[int, Outcome]]] = {key: {} for key in wards}
    with quiet():
        for table, suite in suites.items():
            frames = {
                key: tables[table]
                for key, tables in wards.items()
                if table in tables and not too_many_rows(tables[table], max_rows)
            }
            for key, by_rule in _table_outcomes(suite, frames).items():
                outcomes[key][table] = by_rule
    share = (time.perf_counter() - started) / max(len(wards), 1)
    results: dict[str, QualityResult] = {}
    for key, tables in wards.items():
        began = time.perf_counter()
        try:
            results[key] = assemble(
                tables,
                suites,
                folder,
                lang=lang,
                max_rows=max_rows,
                started=began,
                outcomes=outcomes[key],
                seconds=None,
            )
        except AuditToolkitError:
            continue
        results[key].seconds += share
    return results
