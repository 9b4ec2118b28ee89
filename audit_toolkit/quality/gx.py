"""Great Expectations itself: one ephemeral GX context per process, one GX validator per frame.

Shared by :mod:`audit_toolkit.quality.results` (one ward) and :mod:`audit_toolkit.quality.batch`
(many wards stacked): :func:`prepare` gives the columns GX sees, :func:`gx_outcomes` validates them
(counts of every rule first, failing rows only of the rules that failed; the rules sharing a
``row_condition`` on its rows, selected once) and returns an :class:`Outcome` per rule,
:func:`quiet` silences GX. GX is imported lazily, on the first call, once per process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from audit_toolkit.errors import AuditToolkitError
from audit_toolkit.quality.suites import Rule, Suite, rule_error

__all__ = ["Outcome", "columns_read", "gx_outcomes", "index_columns", "prepare", "quiet"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# ------------------------------------------------------------------------------------------- GX


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence GX: its loggers and any warning raised inside it (pytest turns warnings into errors)."""
    logger = logging.getLogger("great_expectations")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


class _Runtime:
    """One ephemeral GX context per process, with one dataframe asset per table."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        self.gx = gx
        self.configuration = ExpectationConfiguration
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        )
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        self.source = self.context.data_sources.add_pandas("audit_toolkit")
        self.batch_definitions: dict[str, Any] = {}
        self.suites: dict[str, Any] = {}

    def batch_definition(self, table: str) -> Any:
        if table not in self.batch_definitions:
            asset = self.source.add_dataframe_asset(table)
            self.batch_definitions[table] = asset.add_batch_definition_whole_dataframe(table)
        return self.batch_definitions[table]

    def suite(self, suite: Suite, rules: tuple[Rule, ...]) -> Any:
        """The GX suite of ``rules``, built once per distinct set of rules (a batch reuses it).

        Each rule is built alone so a bad one is named (GX would log and drop it).
        """
        key = json.dumps([suite.table, [r.gx_config() for r in rules]], sort_keys=True, default=str)
        if key not in self.suites:
            self.suites[key] = self._build(suite, rules)
        return self.suites[key]

    def _build(self, suite: Suite, rules: tuple[Rule, ...]) -> Any:
        built = []
        for rule in rules:
            try:
                config = self.configuration(**rule.gx_config())
                built.append(config.to_domain_obj())
            except Exception as exc:  # GX raises many types (pydantic, registry, …) for a bad rule
                message = " ".join(str(exc).split())
                raise rule_error(
                    suite.path,
                    f"rule {rule.number} ({rule.type}) is not a valid GX expectation: {message}",
                    "Check the expectation name and its kwargs against the GX 1.x documentation "
                    "(https://greatexpectations.io/expectations)",
                ) from None
        return self.gx.ExpectationSuite(name=suite.table, expectations=built)


_RUNTIME: _Runtime | None = None


def _runtime() -> _Runtime:
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = _Runtime()
    return _RUNTIME


def _exception_message(info: Any) -> str | None:
    """The message of an exception GX caught while computing a result, if any."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "error")
    for value in info.values():
        found = _exception_message(value)
        if found:
            return found
    return None


def index_columns(frame: pd.DataFrame) -> list[str]:
    # `_row` alone is ambiguous when a table was read from several sheets or files.
    return ["_row"] + [c for c in ("_file", "_sheet") if c in frame.columns]


@dataclass(frozen=True)
class Outcome:
    """What GX said about one rule on one table: counts and the key columns of the failing rows."""

    element_count: int
    missing_count: int
    unexpected_count: int
    success: bool
    failing: pd.DataFrame  # one row per failing row: the key columns (``_row``, ``_file``, ``_sheet``)


def prepare(suite: Suite, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The columns of ``frame`` the rules read (their ``row_condition`` included) and the row keys.

    Returns:
        That frame (row-key columns included) and the names of the row-key columns.

    Raises:
        RuleError: a rule reads a column the table does not have.
        AuditToolkitError: the frame has no ``_row`` column (a bug: the loader always adds it).
    """
    if "_row" not in frame.columns:
        # Every loaded table has `_row` (the loader adds it): without it the caller skipped the loader.
        raise AuditToolkitError(
            f"Bug: table {suite.table} has no _row column (audit_toolkit.io adds it when loading); please report it"
        )
    for rule in suite.rules:
        absent = [c for c in rule.columns if c not in frame.columns]
        if absent:
            raise rule_error(
                suite.path,
                f"rule {rule.number} ({rule.type}) reads column {', '.join(absent)}, which table {suite.table} does not have",
                f"Use a canonical column name of {suite.table} (docs/architecture.md), e.g. "
                + ", ".join(c for c in frame.columns if not c.startswith("_"))[:300],
            )
    keys = index_columns(frame)
    # Only the columns the rules read: GX hashes the whole frame it is given on every validate.
    return frame[columns_read(suite, frame)], keys


def columns_read(suite: Suite, frame: pd.DataFrame) -> list[str]:
    """The row keys and the columns the rules of ``suite`` read (their ``row_condition`` included),
    in the order of ``frame``; a column the frame lacks is left out (:func:`prepare` names it)."""
    needed = set(index_columns(frame))
    for rule in suite.rules:
        needed.update(rule.columns)
        needed.update(_IDENTIFIER.findall(str(rule.kwargs.get("row_condition", ""))))
    return [c for c in frame.columns if c in needed]


#: GX's answer on every rule: the counts only (``partial_unexpected_count`` 0: no value lists).
_COUNTS = {"result_format": "BASIC", "partial_unexpected_count": 0, "return_unexpected_index_query": False}
#: GX's answer on a rule some row failed: every failing row, by its position (the frame has a
#: RangeIndex), without the values (read from the table afterwards).
_ROWS = {
    "result_format": "COMPLETE",
    "exclude_unexpected_values": True,
    "return_unexpected_index_query": False,
}


def _gx_frame(
    rules: tuple[Rule, ...], subset: pd.DataFrame, keys: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The frame GX validates (positions as its index) and the row keys of each position.

    GX then lists a failing row as one integer, and no ``row_condition`` query resolves index
    levels. The row keys are not columns GX sees, except those a ``row_condition`` names.
    """
    conditions = " ".join(str(r.kwargs.get("row_condition", "")) for r in rules)
    named = set(_IDENTIFIER.findall(conditions))
    frame = subset.drop(columns=[k for k in keys if k not in named]).reset_index(drop=True)
    return frame, subset[keys].reset_index(drop=True)


class _Validator:
    """GX's validator of one frame: GX fingerprints the frame once, for every pass over it.

    (``batch.validate`` fingerprints it twice per call: once for the batch, once for the validator
    it builds; ``Batch.validate`` and ``ValidationDefinition.run`` both use this GX validator.)
    """

    def __init__(self, runtime: _Runtime, suite: Suite, frame: pd.DataFrame) -> None:
        from great_expectations.validator.v1_validator import Validator

        self.runtime = runtime
        self.suite = suite
        self.validator = Validator(
            batch_definition=runtime.batch_definition(suite.table),
            batch_parameters={"dataframe": frame},
            result_format=dict(_COUNTS),
        )

    def validate(self, rules: tuple[Rule, ...], fmt: dict[str, Any]) -> dict[int, Any]:
        """GX's result of each rule (by rule number) in result format ``fmt``."""
        self.validator.result_format = dict(fmt)
        result: Any = self.validator.validate_expectation_suite(self.runtime.suite(self.suite, rules))
        return {int(r.expectation_config.meta["_rule"]): r for r in result.results}


def gx_outcomes(
    suite: Suite, rules: tuple[Rule, ...], subset: pd.DataFrame, keys: list[str]
) -> dict[int, Outcome]:
    """Validate ``subset`` against ``rules``: GX's counts, and failing rows by their ``keys`` columns.

    One GX call per domain (:func:`_domains`) gives every rule's counts (``BASIC``, no value
    lists); a second, on the same rows, lists the failing rows (``COMPLETE``) of the rules that
    had any, and its answer replaces the first for them. Listing rows costs GX two more metrics
    per rule, so rules that pass skip it. The outcomes are those of one ``COMPLETE`` call on
    every rule.

    Raises:
        RuleError: a rule could not be evaluated (GX caught an exception, or gave no result).
    """
    runtime = _runtime()
    frame, key_values = _gx_frame(rules, subset, keys)
    by_rule: dict[int, Any] = {}
    listed: set[int] = set()
    for members, rows in _domains(rules, frame):
        validator = _Validator(runtime, suite, rows)
        answers = validator.validate(members, _COUNTS)
        again = tuple(r for r in members if _needs_rows(answers.get(r.number)))
        if again:
            answers.update(validator.validate(again, _ROWS))
            listed.update(r.number for r in again)
        by_rule.update(answers)
    outcomes: dict[int, Outcome] = {}
    for rule in rules:
        res = by_rule.get(rule.number)
        error = _exception_message(res.exception_info) if res is not None else "no result"
        if res is None or error:
            raise rule_error(
                suite.path,
                f"rule {rule.number} ({rule.type}) could not be evaluated on table {suite.table}: {error}",
                'Check its column names and row_condition (pandas syntax, e.g. category == "K6")',
            )
        info = res.result or {}
        # Positions in `frame` (GX lists a filtered domain's rows by their labels there).
        positions = (info.get("unexpected_index_list") or []) if rule.number in listed else []
        failing = key_values.take(np.asarray(positions, dtype="int64")).reset_index(drop=True)
        outcomes[rule.number] = Outcome(
            element_count=int(info.get("element_count", 0) or 0),
            missing_count=int(info.get("missing_count", 0) or 0),
            unexpected_count=int(info.get("unexpected_count", 0) or 0),
            success=bool(res.success),
            failing=failing,
        )
    return outcomes


_CONDITION_KWARGS = ("row_condition", "condition_parser")


def _domains(rules: tuple[Rule, ...], frame: pd.DataFrame) -> list[tuple[tuple[Rule, ...], pd.DataFrame]]:
    """The rules grouped by the rows they apply to, with those rows.

    A pandas ``row_condition`` selects its rows once, by the very call GX makes for it
    (``frame.query(row_condition)``, GX's ``PassThroughCondition``), and the rules sharing it
    are validated on those rows without it: GX otherwise runs that query again for each metric
    of each such rule (4–6 per rule, most of a conditional rule's cost). The rows keep their
    labels (positions in ``frame``), so GX's counts and failing rows are the same. A condition
    the query rejects is left to GX, which reports the error as usual.
    """
    plain: list[Rule] = []
    by_condition: dict[str, list[Rule]] = {}
    for rule in rules:
        condition = rule.kwargs.get("row_condition")
        if isinstance(condition, str) and rule.kwargs.get("condition_parser") == "pandas":
            by_condition.setdefault(condition, []).append(rule)
        else:
            plain.append(rule)
    domains: list[tuple[tuple[Rule, ...], pd.DataFrame]] = []
    for condition, members in by_condition.items():
        try:
            rows = frame.query(condition)
        except Exception:  # noqa: BLE001 - GX runs the same query and reports its error per rule
            plain.extend(members)
            continue
        unconditioned = tuple(
            dataclasses.replace(r, kwargs={k: v for k, v in r.kwargs.items() if k not in _CONDITION_KWARGS})
            for r in members
        )
        domains.append((unconditioned, rows))
    if plain:
        domains.insert(0, (tuple(sorted(plain, key=lambda r: r.number)), frame))
    return domains


def _needs_rows(res: Any) -> bool:
    """Whether a rule's counts-only answer leaves failing rows (or an error) to be listed."""
    if res is None or _exception_message(res.exception_info):
        return True
    info = res.result or {}
    return "unexpected_count" not in info or bool(info["unexpected_count"]) or not res.success
