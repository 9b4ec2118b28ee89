"""Record-level data quality: the Great Expectations suites in ``expectations/*.json``.

Each supplied table is validated once against its suite (``expectations/<table>.json``, GX Core 1.x
suite JSON) in a single ``batch.validate(suite)`` call: GX fingerprints the whole frame on every
validate, so one call per table, never one per expectation. An auditor edits the JSON (adds an
allowed value, a rule) and reruns; no code change is needed. A batch of wards goes further:
:func:`audit_toolkit.quality_batch.validate_wards` validates each table once for many wards.

Every expectation's ``meta`` carries ``description_vi`` / ``description_en`` and, only when every
failing row is also a finding of a catalogue check under docs/check-semantics.md, that ``check_id``
(``ID_INVALID``, ``WRONG_COEFFICIENT``, ``INELIGIBLE``). Optional meta keys for such rules:
``finding_scope`` (``"all"`` or ``"active_at_as_of"``: the check judges only lines active at
``as_of``) and ``finding_discriminator`` (``"category"``: one finding per person and line category,
as the check does). Rules without a ``check_id`` only feed the report's data-quality appendix.

Where the suites are: the ``suites_dir`` argument, else the ``AUDIT_TOOLKIT_EXPECTATIONS``
environment variable, else ``expectations/`` of the source checkout the package runs from. An
installed wheel does not carry the suites: pass the folder (CLI ``--expectations DIR``) or set the
variable; without any, the tables are reported as not validated, with that reason.

GX is imported lazily, once per process (3–6 s), with its progress bars, logging and warnings
silenced. Tables larger than ``max_rows`` (a province's residents) are skipped with a recorded
reason: the pandas checks cover them.

Example:
    >>> result = validate_tables(ward.tables, lang="en")  # doctest: +SKIP
    >>> result.summary[["table", "expectation", "unexpected", "success"]]  # doctest: +SKIP
    >>> raw = result.raw_findings(as_of=pd.Timestamp("2023-02-28"))  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from audit_toolkit.errors import RuleError
from audit_toolkit.findings import empty_raw, new_raw
from audit_toolkit.messages import catalogue as messages
from audit_toolkit.messages import render, t

__all__ = [
    "ENV_VAR",
    "QualityResult",
    "Rule",
    "Suite",
    "TABLES",
    "find_suites_dir",
    "load_suites",
    "validate_tables",
]

#: Environment variable naming the suites folder (used when no folder is passed).
ENV_VAR = "AUDIT_TOOLKIT_EXPECTATIONS"

#: Tables that may have a suite; a suite file is named ``<table>.json``.
TABLES = (
    "beneficiaries",
    "payments",
    "residents",
    "deaths",
    "disability_certificates",
    "pensions",
    "report",
)

SUMMARY_COLUMNS = [
    "table",
    "rule",
    "expectation",
    "column",
    "description",
    "check_id",
    "evaluated",
    "unexpected",
    "success",
    "note",
]
FAILURE_COLUMNS = ["table", "_row", "rule", "expectation", "column", "value", "check_id", "_file", "_sheet"]

_SCOPES = ("all", "active_at_as_of")
_DISCRIMINATORS = ("", "category")
_COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PERSON_COLUMNS = ("person_key", "national_id", "full_name", "category")
_ACTIVITY_COLUMNS = ("start_month", "end_month", "status")
_MONTH_COLUMNS = frozenset({"start_month", "end_month", "month"})
_MONEY_COLUMNS = frozenset({"monthly_amount", "amount"})


# --------------------------------------------------------------------------------- suite files


@dataclass(frozen=True)
class Rule:
    """One expectation of a suite file, as the auditor wrote it."""

    table: str
    number: int  # 1-based position in the file's "expectations" list
    type: str
    kwargs: Mapping[str, Any]
    meta: Mapping[str, Any]

    @property
    def columns(self) -> tuple[str, ...]:
        """The table columns the expectation reads (not counting its ``row_condition``)."""
        cols: list[str] = []
        for key in _COLUMN_KWARGS:
            value = self.kwargs.get(key)
            if isinstance(value, str):
                cols.append(value)
            elif isinstance(value, list):
                cols.extend(str(v) for v in value)
        return tuple(cols)

    @property
    def column(self) -> str:
        """The columns as shown in reports (``"decision_date, application_date"`` for a pair)."""
        return ", ".join(self.columns)

    @property
    def check_id(self) -> str:
        """The catalogue check whose findings the failures are, or ``""`` (appendix only)."""
        return str(self.meta.get("check_id") or "")

    @property
    def scope(self) -> str:
        """``"all"`` or ``"active_at_as_of"`` (the findings count only for lines active at as_of)."""
        return str(self.meta.get("finding_scope") or "all")

    @property
    def discriminator(self) -> str:
        """``""`` (one finding per person) or ``"category"`` (one per person and line category)."""
        return str(self.meta.get("finding_discriminator") or "")

    def description(self, lang: str) -> str:
        """The rule in words, in ``lang`` (``vi`` or ``en``)."""
        return str(self.meta.get(f"description_{lang}") or self.meta.get("description_en") or "")

    def gx_config(self) -> dict[str, Any]:
        """The expectation as GX reads it; ``meta._rule`` maps a result back to this rule."""
        kwargs = dict(self.kwargs)
        for key in ("min_value", "max_value"):
            value = kwargs.get(key)
            # GX turns "1900-01-01" into a datetime.date, which pandas Timestamps refuse to compare
            # with; a datetime string compares fine, and auditors keep writing plain dates.
            if isinstance(value, str) and _PLAIN_DATE.match(value):
                kwargs[key] = value + "T00:00:00"
        return {"type": self.type, "kwargs": kwargs, "meta": {**self.meta, "_rule": self.number}}

    @property
    def where(self) -> str:
        """``beneficiaries.json, rule 7 (expect_…)``: how error messages name the rule."""
        return f"{self.table}.json, rule {self.number} ({self.type})"


@dataclass(frozen=True)
class Suite:
    """The rules of one table, read from ``<table>.json``."""

    table: str
    path: Path
    rules: tuple[Rule, ...]


def find_suites_dir(suites_dir: str | Path | None = None) -> Path | None:
    """The suites folder: ``suites_dir``, else ``$AUDIT_TOOLKIT_EXPECTATIONS``, else the checkout's.

    Returns ``None`` when no folder is given and the package does not run from a source checkout
    (an installed wheel: the caller must pass the folder).

    Raises:
        RuleError: a folder given explicitly or by the environment variable does not exist.
    """
    if suites_dir is None and os.environ.get(ENV_VAR):
        suites_dir = os.environ[ENV_VAR]
        source = f"environment variable {ENV_VAR}"
    else:
        source = "the expectations argument"
    if suites_dir is not None:
        path = Path(suites_dir)
        if not path.is_dir():
            raise RuleError(
                f"Expectations folder {path} (from {source}) does not exist"
                f"\nFix: point --expectations (or {ENV_VAR}) to the folder holding beneficiaries.json etc."
            )
        return path
    checkout = Path(__file__).resolve().parent.parent / "expectations"
    return checkout if checkout.is_dir() else None


def _known_check_ids() -> frozenset[str]:
    # Read the catalogue file directly: importing audit_toolkit.checks would import every family.
    text = resources.files("audit_toolkit").joinpath("checks", "catalogue.yml").read_text(encoding="utf-8")
    return frozenset(str(row["check_id"]) for row in yaml.safe_load(text))


def _fail(path: Path, problem: str, fix: str) -> RuleError:
    return RuleError(f"{path}: {problem}\nFix: {fix}")


def _read_rule(path: Path, table: str, number: int, entry: Any, check_ids: frozenset[str]) -> Rule:
    where = f"rule {number}"
    if not isinstance(entry, dict):
        raise _fail(
            path, f"{where} is not an object", 'Write each rule as {"type": …, "kwargs": {…}, "meta": {…}}'
        )
    kind, kwargs, meta = entry.get("type"), entry.get("kwargs"), entry.get("meta", {})
    if not isinstance(kind, str) or not kind.startswith("expect_"):
        raise _fail(
            path,
            f"{where} has no valid 'type' (got {kind!r})",
            'Give the GX expectation name, e.g. "type": "expect_column_values_to_be_in_set"',
        )
    where = f"rule {number} ({kind})"
    if not isinstance(kwargs, dict):
        raise _fail(path, f"{where} has no 'kwargs' object", 'Add "kwargs": {"column": …} to the rule')
    if not isinstance(meta, dict):
        raise _fail(path, f"{where}: 'meta' is not an object", 'Write "meta": {"description_vi": …, …}')
    for lang in ("vi", "en"):
        if not isinstance(meta.get(f"description_{lang}"), str) or not meta[f"description_{lang}"].strip():
            raise _fail(
                path,
                f"{where} has no meta.description_{lang}",
                f'Add "description_{lang}": a sentence saying what the rule requires (shown in the report)',
            )
    check_id = meta.get("check_id")
    if check_id is not None and check_id not in check_ids:
        raise _fail(
            path,
            f"{where}: meta.check_id {check_id!r} is not a catalogue check",
            "Use a check id of audit_toolkit/checks/catalogue.yml, or remove check_id "
            "(the rule then appears in the data-quality appendix only)",
        )
    if meta.get("finding_scope", "all") not in _SCOPES:
        raise _fail(
            path, f"{where}: meta.finding_scope must be one of {_SCOPES}", 'Use "all" or "active_at_as_of"'
        )
    if meta.get("finding_discriminator", "") not in _DISCRIMINATORS:
        raise _fail(
            path, f"{where}: meta.finding_discriminator must be '' or 'category'", "Use '' or 'category'"
        )
    if "row_condition" in kwargs and kwargs.get("condition_parser") != "pandas":
        raise _fail(
            path, f"{where} has a row_condition without a pandas parser", 'Add "condition_parser": "pandas"'
        )
    if "regex" in kwargs:
        try:
            re.compile(str(kwargs["regex"]))
        except re.error as exc:
            raise _fail(
                path, f"{where}: the regex does not compile ({exc})", "Correct the regular expression"
            ) from None
    rule = Rule(table=table, number=number, type=kind, kwargs=kwargs, meta=meta)
    if not rule.columns:
        raise _fail(path, f"{where} names no column", 'Add "column": "<canonical column name>" to kwargs')
    return rule


def load_suites(suites_dir: str | Path | None = None) -> dict[str, Suite]:
    """Read and check every ``<table>.json`` of the suites folder (no GX import).

    Args:
        suites_dir: the folder (default: see :func:`find_suites_dir`).

    Returns:
        ``{table: Suite}``; empty when no folder is found.

    Raises:
        RuleError: a file is not valid JSON, names an unknown table, or a rule is malformed; the
            message names the file, the rule and the fix.
    """
    folder = find_suites_dir(suites_dir)
    if folder is None:
        return {}
    check_ids = _known_check_ids()
    suites: dict[str, Suite] = {}
    for path in sorted(folder.glob("*.json")):
        table = path.stem
        if table not in TABLES:
            raise _fail(
                path,
                f"{path.name} does not name a table",
                f"Name suite files after a table: {', '.join(TABLES)}",
            )
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise _fail(
                path,
                f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                "Correct the JSON syntax there (a missing comma, quote or bracket), or restore the file from the repository",
            ) from None
        except UnicodeDecodeError:
            raise _fail(path, "not UTF-8 text", "Save the file as UTF-8") from None
        if not isinstance(document, dict) or not isinstance(document.get("expectations"), list):
            raise _fail(
                path,
                "has no 'expectations' list",
                'Write the suite as {"name": "<table>", "expectations": [ {rule}, … ]}',
            )
        rules = tuple(
            _read_rule(path, table, n, entry, check_ids)
            for n, entry in enumerate(document["expectations"], start=1)
        )
        suites[table] = Suite(table=table, path=path, rules=rules)
    return suites


# ------------------------------------------------------------------------------------------- GX


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
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
                raise _fail(
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


# -------------------------------------------------------------------------------------- results


@dataclass
class QualityResult:
    """The outcome of the suites on one ward's tables.

    Attributes:
        summary: one row per rule of every suite of a supplied table (``SUMMARY_COLUMNS``):
            ``evaluated`` rows (non-null, inside the ``row_condition``), ``unexpected`` count,
            ``success`` (``<NA>`` when the table was not validated; ``note`` says why).
        failures: one row per failing row and rule (``FAILURE_COLUMNS``), ``value`` as displayed;
            ``_file`` / ``_sheet`` tell rows apart when a table was read from several sheets.
        skipped: table → reason (in the report language) for supplied tables not validated.
        suites_dir: the folder the suites came from (``None``: none found).
        lang: the report language of descriptions and details.
        seconds: wall time of the validation (GX import included when it happened here).
    """

    summary: pd.DataFrame
    failures: pd.DataFrame
    skipped: dict[str, str]
    suites_dir: Path | None
    lang: str = "vi"
    seconds: float = 0.0
    finding_rows: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def ok(self) -> bool:
        """Whether every validated rule passed."""
        return bool(self.summary["success"].fillna(True).all()) if len(self.summary) else True

    def raw_findings(self, *, as_of: str | pd.Timestamp | None = None) -> pd.DataFrame:
        """Raw findings (``RAW_COLUMNS``) of the rules that carry a ``check_id``: one per failing row.

        Args:
            as_of: the audit date. Rules whose ``finding_scope`` is ``active_at_as_of``
                (``WRONG_COEFFICIENT``, ``INELIGIBLE``) yield findings only for lines active in
                ``month(as_of)`` (docs/check-semantics.md "Active line"); without ``as_of`` they
                yield none, so a GX failure never becomes a finding its check would not make.

        Returns:
            ``person_key``, ``national_id``, ``full_name`` from the table, ``sources``
            ``["table:row"]``, ``detail`` from the message catalogue, ``amount_vnd`` 0,
            ``discriminator`` (``""`` or the line's category), ``category``, and ``evidence``
            naming the rule.
        """
        rows = self.finding_rows
        if rows.empty:
            return empty_raw()
        keep = rows["scope"] == "all"
        if as_of is not None:
            ts = pd.Timestamp(as_of)
            m = ts.year * 12 + ts.month - 1
            start = rows["start_month"].astype("Float64")
            end = rows["end_month"].astype("Float64")
            undated_end = (rows["status"] == "ended").fillna(False) & end.isna()
            active = (start.isna() | (start <= m)) & (end.isna() | (m < end)) & ~undated_end
            keep = keep | ((rows["scope"] == "active_at_as_of") & active.fillna(False).astype(bool))
        rows = rows.loc[keep.to_numpy()]
        if rows.empty:
            return empty_raw()
        fields = pd.DataFrame(
            {
                "row": rows["_row"].astype("int64").astype(str),
                "table": rows["table"].map(lambda name: t(f"quality.table.{name}", self.lang)),
                "description": rows["description"],
                "column": rows["column"].map(lambda c: _column_label(c, self.lang)),
                "value": rows["value"],
            },
            index=rows.index,
        )
        category = rows["category"].fillna("").astype(str)
        source = rows["table"] + ":" + rows["_row"].astype("int64").astype(str)
        out = pd.DataFrame(
            {
                "check_id": rows["check_id"],
                "person_key": rows["person_key"].fillna("").astype(str),
                "national_id": rows["national_id"].fillna("").astype(str),
                "full_name": rows["full_name"].fillna("").astype(str),
                "sources": source.map(lambda s: [s]),
                "detail": render("quality.finding", self.lang, fields),
                "amount_vnd": 0.0,
                "discriminator": np.where(rows["discriminator"] == "category", category, ""),
                "category": category,
                "severity": "",
                "evidence": rows["rule_ref"].map(lambda ref: {"quality_rule": ref}),
            },
            index=rows.index,
        )
        return new_raw(out.reset_index(drop=True))


def _display(values: pd.Series, column: str, lang: str) -> pd.Series:
    """Cell values as a reader sees them (dates dd/mm/yyyy, months mm/yyyy, money with separators)."""
    empty = t("quality.empty", lang)
    missing = values.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(values):
        text = values.dt.strftime("%d/%m/%Y")
    elif column in _MONTH_COLUMNS and pd.api.types.is_numeric_dtype(values):
        m = values.astype("Float64").fillna(0).astype("int64")
        text = (m % 12 + 1).astype(str).str.zfill(2) + "/" + (m // 12).astype(str)
    elif pd.api.types.is_bool_dtype(values):
        text = values.astype(str)
    elif pd.api.types.is_numeric_dtype(values):
        number = values.astype("Float64").fillna(0).astype("float64")
        if column in _MONEY_COLUMNS:
            text = number.round().astype("int64").map(lambda v: f"{v:,}")
            text = text.str.replace(",", "." if lang == "vi" else ",", regex=False)
        else:
            text = number.map(lambda v: f"{v:g}")
            if lang == "vi":
                text = text.str.replace(".", ",", regex=False)
    else:
        text = values.astype(str)
        # Vocabulary codes (mild, ended, moved_out…) read better in the reader's words.
        labels = messages(lang)
        codes = {v: labels.get(f"quality.value.{column}.{v}", v) for v in text.loc[~missing].unique()}
        text = text.map(codes)
    return pd.Series(np.where(missing, empty, text.astype(str).to_numpy()), index=values.index, dtype="str")


def _column_label(column: str, lang: str) -> str:
    labels = messages(lang)
    return ", ".join(labels.get(f"quality.column.{c}", c) for c in column.split(", "))


def _fmt_count(n: int, lang: str) -> str:
    return f"{n:,}".replace(",", "." if lang == "vi" else ",")


def _index_columns(frame: pd.DataFrame) -> list[str]:
    # `_row` alone is ambiguous when a table was read from several sheets or files.
    return ["_row"] + [c for c in ("_file", "_sheet") if c in frame.columns]


@dataclass(frozen=True)
class _Outcome:
    """What GX said about one rule on one table: counts and the key columns of the failing rows."""

    element_count: int
    missing_count: int
    unexpected_count: int
    success: bool
    failing: pd.DataFrame  # one row per failing row: the key columns (``_row``, ``_file``, ``_sheet``)


def _prepare(suite: Suite, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The frame GX sees: only the columns the rules read, indexed by the row keys.

    Raises:
        RuleError: a rule reads a column the table does not have.
    """
    if "_row" not in frame.columns:
        raise ValueError(f"table {suite.table} has no _row column (the loader adds it)")
    for rule in suite.rules:
        absent = [c for c in rule.columns if c not in frame.columns]
        if absent:
            raise _fail(
                suite.path,
                f"rule {rule.number} ({rule.type}) reads column {', '.join(absent)}, which table {suite.table} does not have",
                f"Use a canonical column name of {suite.table} (docs/architecture.md), e.g. "
                + ", ".join(c for c in frame.columns if not c.startswith("_"))[:300],
            )
    keys = _index_columns(frame)
    needed = set(keys)
    for rule in suite.rules:
        needed.update(rule.columns)
        needed.update(
            i for i in _IDENTIFIER.findall(str(rule.kwargs.get("row_condition", ""))) if i in frame.columns
        )
    # Only the columns the rules read: GX hashes the whole frame it is given on every validate. The
    # row keys become the (named) index: GX then lists failing rows straight from the index, where
    # with key *columns* it looks every failing cell up one by one (seconds per thousand failures).
    return frame[[c for c in frame.columns if c in needed]].set_index(keys), keys


def _gx_outcomes(suite: Suite, rules: tuple[Rule, ...], subset: pd.DataFrame) -> dict[int, _Outcome]:
    """Validate ``subset`` (indexed by its row keys) against ``rules`` in one GX call.

    Raises:
        RuleError: a rule could not be evaluated (GX caught an exception, or gave no result).
    """
    keys = [str(name) for name in subset.index.names]
    runtime = _runtime()
    gx_suite = runtime.suite(suite, rules)
    batch = runtime.batch_definition(suite.table).get_batch(batch_parameters={"dataframe": subset})
    result = batch.validate(
        gx_suite,
        result_format={
            "result_format": "COMPLETE",
            "unexpected_index_column_names": keys,
            "exclude_unexpected_values": True,
            "return_unexpected_index_query": False,
        },
    )
    by_rule = {int(r.expectation_config.meta["_rule"]): r for r in result.results}
    outcomes: dict[int, _Outcome] = {}
    for rule in rules:
        res = by_rule.get(rule.number)
        error = _exception_message(res.exception_info) if res is not None else "no result"
        if res is None or error:
            raise _fail(
                suite.path,
                f"rule {rule.number} ({rule.type}) could not be evaluated on table {suite.table}: {error}",
                'Check its column names and row_condition (pandas syntax, e.g. category == "K6")',
            )
        info = res.result or {}
        # With exclude_unexpected_values GX gives one dict of lists: {"_row": [...], ...}.
        parts = [
            pd.DataFrame({k: list(index_lists[k]) for k in keys})
            for index_lists in info.get("unexpected_index_list") or []
        ]
        failing = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({k: [] for k in keys})
        outcomes[rule.number] = _Outcome(
            element_count=int(info.get("element_count", 0) or 0),
            missing_count=int(info.get("missing_count", 0) or 0),
            unexpected_count=int(info.get("unexpected_count", 0) or 0),
            success=bool(res.success),
            failing=failing,
        )
    return outcomes


def _validate_one(
    suite: Suite, frame: pd.DataFrame, lang: str, outcomes: Mapping[int, _Outcome] | None = None
) -> tuple[list[dict[str, Any]], pd.DataFrame, pd.DataFrame]:
    """Validate ``frame`` against ``suite`` in one GX call: summary rows, failures, finding rows.

    ``outcomes`` (rule number → outcome) are GX's answers computed beforehand (a batch validates
    the tables of many wards in one call, see :mod:`audit_toolkit.quality_batch`); without them
    GX is called here.
    """
    subset, keys = _prepare(suite, frame)
    if outcomes is None:
        outcomes = _gx_outcomes(suite, suite.rules, subset)

    summary: list[dict[str, Any]] = []
    failing: list[pd.DataFrame] = []
    for rule in suite.rules:
        outcome = outcomes[rule.number]
        summary.append(
            {
                "table": suite.table,
                "rule": rule.number,
                "expectation": rule.type,
                "column": rule.column,
                "description": rule.description(lang),
                "check_id": rule.check_id,
                "evaluated": outcome.element_count - outcome.missing_count,
                "unexpected": outcome.unexpected_count,
                "success": outcome.success,
                "note": "",
            }
        )
        if len(outcome.failing):
            failing.append(outcome.failing[keys].assign(rule=rule.number))

    if not failing:
        return summary, _empty_failures(), pd.DataFrame()
    fails = pd.concat(failing, ignore_index=True)
    fails["_row"] = fails["_row"].astype("int64")
    rules = {r.number: r for r in suite.rules}
    value_columns = sorted({c for n in fails["rule"].unique() for c in rules[int(n)].columns})
    extra = [
        c for c in (*_PERSON_COLUMNS, *_ACTIVITY_COLUMNS) if c in frame.columns and c not in value_columns
    ]
    lookup = frame[[*keys, *[c for c in value_columns if c not in keys], *extra]].drop_duplicates(keys)
    fails = fails.merge(lookup.astype({"_row": "int64"}), on=keys, how="left", validate="many_to_one")
    parts = []
    for _, group in fails.groupby("rule", sort=True):
        rule = rules[int(group["rule"].iloc[0])]
        shown = [_display(group[c], c, lang) for c in rule.columns]
        value = shown[0]
        for more in shown[1:]:
            value = value + ", " + more
        part = group.assign(
            expectation=rule.type,
            column=rule.column,
            value=value,
            check_id=rule.check_id,
            description=rule.description(lang),
            scope=rule.scope,
            discriminator=rule.discriminator,
            rule_ref=f"{suite.table}.json#{rule.number}",
        )
        parts.append(part)
    fails = pd.concat(parts, ignore_index=True)
    fails["table"] = suite.table
    for c in ("_file", "_sheet"):
        if c not in fails.columns:
            fails[c] = ""
    fails = fails.sort_values(["rule", *keys], kind="stable").reset_index(drop=True)
    failures = fails[FAILURE_COLUMNS]
    with_check = fails.loc[fails["check_id"] != ""]
    finding_rows = pd.DataFrame()
    if len(with_check):
        cols = [
            "table",
            "_row",
            "check_id",
            "description",
            "column",
            "value",
            "scope",
            "discriminator",
            "rule_ref",
        ]
        finding_rows = with_check[cols].copy()
        for c in (*_PERSON_COLUMNS, *_ACTIVITY_COLUMNS):
            finding_rows[c] = with_check[c] if c in with_check.columns else pd.NA
        finding_rows = finding_rows.reset_index(drop=True)
    return summary, failures, finding_rows


def _empty_failures() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="int64" if c in ("_row", "rule") else "str") for c in FAILURE_COLUMNS}
    )


def _not_validated(suite: Suite, note: str, lang: str) -> list[dict[str, Any]]:
    return [
        {
            "table": suite.table,
            "rule": rule.number,
            "expectation": rule.type,
            "column": rule.column,
            "description": rule.description(lang),
            "check_id": rule.check_id,
            "evaluated": 0,
            "unexpected": 0,
            "success": pd.NA,
            "note": note,
        }
        for rule in suite.rules
    ]


#: Tables with more rows are not validated (GX costs ≈ 12 s per million rows; the checks cover them).
MAX_ROWS = 200_000


def validate_tables(
    tables: Mapping[str, pd.DataFrame],
    *,
    suites_dir: Path | None = None,
    lang: str = "vi",
    max_rows: int = MAX_ROWS,
) -> QualityResult:
    """Validate each supplied table once against its suite.

    Args:
        tables: normalised tables by name (``WardData.tables``), each with a ``_row`` column.
        suites_dir: the suites folder (default: ``$AUDIT_TOOLKIT_EXPECTATIONS``, else the
            checkout's ``expectations/``; an installed wheel needs one of the two).
        lang: language of descriptions, notes and finding details (``vi`` or ``en``).
        max_rows: tables with more rows are not validated (reason recorded): GX costs ≈ 12 s
            per million rows, and the pandas checks cover them.

    Returns:
        A :class:`QualityResult`.

    Raises:
        RuleError: a suite file is malformed, or a rule cannot be evaluated (unknown column, bad
            ``row_condition``); the message names the file, the rule and the fix.

    Example:
        >>> res = validate_tables({"beneficiaries": frame}, lang="en")  # doctest: +SKIP
        >>> res.failures.head()  # doctest: +SKIP
    """
    started = time.perf_counter()
    folder = find_suites_dir(suites_dir)
    suites = load_suites(folder) if folder is not None else {}
    return _assemble(tables, suites, folder, lang=lang, max_rows=max_rows, started=started)


def _too_many_rows(frame: pd.DataFrame, max_rows: int) -> bool:
    return len(frame) > max_rows


def _assemble(
    tables: Mapping[str, pd.DataFrame],
    suites: Mapping[str, Suite],
    folder: Path | None,
    *,
    lang: str,
    max_rows: int,
    started: float,
    outcomes: Mapping[str, Mapping[int, _Outcome]] | None = None,
    seconds: float | None = None,
) -> QualityResult:
    """The :class:`QualityResult` of one ward; ``outcomes`` (table → rule → outcome) come from a batch pass."""
    summary: list[dict[str, Any]] = []
    failures: list[pd.DataFrame] = []
    finding_rows: list[pd.DataFrame] = []
    skipped: dict[str, str] = {}
    for table in sorted(
        tables, key=lambda name: (TABLES.index(name) if name in TABLES else len(TABLES), name)
    ):
        frame = tables[table]
        suite = suites.get(table)
        if suite is None:
            if folder is None:
                skipped[table] = t("quality.skipped.no_folder", lang, variable=ENV_VAR)
            else:
                skipped[table] = t("quality.skipped.no_suite", lang, file=f"{table}.json", folder=str(folder))
            continue
        if _too_many_rows(frame, max_rows):
            reason = t(
                "quality.skipped.too_many_rows",
                lang,
                table=table,
                rows=_fmt_count(len(frame), lang),
                max_rows=_fmt_count(max_rows, lang),
            )
            skipped[table] = reason
            summary.extend(_not_validated(suite, reason, lang))
            continue
        with _quiet():
            rows, fails, found = _validate_one(suite, frame, lang, (outcomes or {}).get(table))
        summary.extend(rows)
        if len(fails):
            failures.append(fails)
        if len(found):
            finding_rows.append(found)
    summary_frame = pd.DataFrame(summary, columns=SUMMARY_COLUMNS)
    summary_frame = summary_frame.astype(
        {"rule": "int64", "evaluated": "int64", "unexpected": "int64", "success": "boolean"}
    )
    return QualityResult(
        summary=summary_frame,
        failures=pd.concat(failures, ignore_index=True) if failures else _empty_failures(),
        skipped=skipped,
        suites_dir=folder,
        lang=lang,
        seconds=time.perf_counter() - started if seconds is None else seconds,
        finding_rows=pd.concat(finding_rows, ignore_index=True) if finding_rows else pd.DataFrame(),
    )
