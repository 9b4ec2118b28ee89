"""The outcome of the suites on one ward: :class:`QualityResult` and :func:`validate_tables`.

GX's answers (:mod:`audit_toolkit.quality.gx`) become the summary (one row per rule), the failures
(one row per failing row and rule, values as a reader sees them) and the finding rows of the rules
that carry a ``check_id`` (:meth:`QualityResult.raw_findings`). :func:`assemble` is shared with
:mod:`audit_toolkit.quality.batch`, which hands it GX's answers computed for many wards at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit_toolkit.findings import empty_raw, new_raw
from audit_toolkit.messages import catalogue as messages
from audit_toolkit.messages import render, t
from audit_toolkit.quality.gx import Outcome, columns_read, gx_outcomes, index_columns, prepare, quiet
from audit_toolkit.quality.suites import ENV_VAR, TABLES, Rule, Suite, find_suites_dir, load_suites

__all__ = [
    "FAILURE_COLUMNS",
    "MAX_ROWS",
    "SUMMARY_COLUMNS",
    "QualityResult",
    "TablePart",
    "assemble",
    "combine",
    "read_by_validation",
    "table_part",
    "too_many_rows",
    "validate_tables",
]

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

_PERSON_COLUMNS = ("person_key", "national_id", "full_name", "category")
_ACTIVITY_COLUMNS = ("start_month", "end_month", "status")
_MONTH_COLUMNS = frozenset({"start_month", "end_month", "month"})
_MONEY_COLUMNS = frozenset({"monthly_amount", "amount"})


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
            # Imported here: importing audit_toolkit.checks registers every check family.
            from audit_toolkit.checks.common import active_in_month

            ts = pd.Timestamp(as_of)
            m = ts.year * 12 + ts.month - 1
            start = rows["start_month"].astype("Float64")
            end = rows["end_month"].astype("Float64")
            undated_end = (rows["status"] == "ended").fillna(False) & end.isna()
            active = active_in_month(start, end, m, undated_end)
            keep = keep | ((rows["scope"] == "active_at_as_of") & active)
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


def _validate_one(
    suite: Suite, frame: pd.DataFrame, lang: str, outcomes: Mapping[int, Outcome] | None = None
) -> tuple[list[dict[str, Any]], pd.DataFrame, pd.DataFrame]:
    """Validate ``frame`` against ``suite`` in one GX call: summary rows, failures, finding rows.

    ``outcomes`` (rule number → outcome) are GX's answers computed beforehand (a batch validates
    the tables of many wards in one call, see :mod:`audit_toolkit.quality.batch`); without them
    GX is called here.
    """
    if outcomes is None:
        subset, keys = prepare(suite, frame)
        outcomes = gx_outcomes(suite, suite.rules, subset, keys)
    else:
        # A batch pass prepared (and so checked) this frame already: only its row keys are needed.
        keys = index_columns(frame)

    summary: list[dict[str, Any]] = []
    failing: list[pd.DataFrame] = []
    for rule in suite.rules:
        outcome = outcomes[rule.number]
        summary.append(
            _summary_row(
                suite,
                rule,
                lang,
                evaluated=outcome.element_count - outcome.missing_count,
                unexpected=outcome.unexpected_count,
                success=outcome.success,
            )
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


_EMPTY_FAILURES: pd.DataFrame | None = None


def _empty_failures() -> pd.DataFrame:
    # Built once per process and copied (≈ 2 ms to build; asked for once per table and ward).
    global _EMPTY_FAILURES
    if _EMPTY_FAILURES is None:
        _EMPTY_FAILURES = pd.DataFrame(
            {c: pd.Series(dtype="int64" if c in ("_row", "rule") else "str") for c in FAILURE_COLUMNS}
        )
    return _EMPTY_FAILURES.copy()


def _summary_row(
    suite: Suite,
    rule: Rule,
    lang: str,
    *,
    evaluated: int = 0,
    unexpected: int = 0,
    success: bool | Any = pd.NA,
    note: str = "",
) -> dict[str, Any]:
    """One row of ``SUMMARY_COLUMNS`` (``success`` NA: not validated, ``note`` says why)."""
    return {
        "table": suite.table,
        "rule": rule.number,
        "expectation": rule.type,
        "column": rule.column,
        "description": rule.description(lang),
        "check_id": rule.check_id,
        "evaluated": evaluated,
        "unexpected": unexpected,
        "success": success,
        "note": note,
    }


def _not_validated(suite: Suite, note: str, lang: str) -> list[dict[str, Any]]:
    return [_summary_row(suite, rule, lang, note=note) for rule in suite.rules]


#: Tables with more rows are not validated (reason recorded; the checks still cover them). Set above
#: a province's residents (≈ 1M rows, ≈ 2 s of GX per million rows in its helper process, off the
#: audit's critical path), so every table of a province is validated by default; only a larger
#: table, or a caller's lower ``max_rows``, is skipped.
MAX_ROWS = 2_500_000


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
        max_rows: tables with more rows are not validated (reason recorded; the pandas checks
            still cover them). Default :data:`MAX_ROWS`.

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
    return assemble(tables, suites, folder, lang=lang, max_rows=max_rows, started=started)


def read_by_validation(
    tables: Mapping[str, pd.DataFrame], *, suites_dir: Path | None = None, max_rows: int = MAX_ROWS
) -> dict[str, pd.DataFrame]:
    """Each table cut to what :func:`validate_tables` reads of it, which gives the same result.

    That is the columns its rules read (:func:`~audit_toolkit.quality.gx.columns_read`) and those
    a failure or finding row shows (person, activity); a table without a suite, or over
    ``max_rows``, only by its length. Meant for sending the tables to another process
    (:mod:`audit_toolkit.quality.process`): a province's frames are tens of megabytes.

    Raises:
        RuleError: a suite file is malformed (as :func:`validate_tables` raises).
    """
    folder = find_suites_dir(suites_dir)
    suites = load_suites(folder) if folder is not None else {}
    out: dict[str, pd.DataFrame] = {}
    for table, frame in tables.items():
        suite = suites.get(table)
        if suite is None or too_many_rows(frame, max_rows):
            out[table] = pd.DataFrame(index=pd.RangeIndex(len(frame)))
            continue
        shown = set(columns_read(suite, frame)) | set(_PERSON_COLUMNS) | set(_ACTIVITY_COLUMNS)
        out[table] = frame[[c for c in frame.columns if c in shown]]
    return out


def too_many_rows(frame: pd.DataFrame, max_rows: int) -> bool:
    return len(frame) > max_rows


@dataclass
class TablePart:
    """What the suites say of one table: its summary rows, failures and finding rows, or why it was
    not validated (``skipped``). Parts of one ward's tables, made anywhere (this process, the GX
    helper, a batch pass), are joined by :func:`combine`."""

    table: str
    summary: list[dict[str, Any]] = field(default_factory=list)
    failures: pd.DataFrame | None = None
    finding_rows: pd.DataFrame | None = None
    skipped: str | None = None
    seconds: float = 0.0


def table_part(
    table: str,
    frame: pd.DataFrame,
    suites: Mapping[str, Suite],
    folder: Path | None,
    *,
    lang: str,
    max_rows: int = MAX_ROWS,
    outcomes: Mapping[int, Outcome] | None = None,
) -> TablePart:
    """Validate one table (or take GX's ``outcomes`` for it from a batch pass) into a :class:`TablePart`."""
    started = time.perf_counter()
    suite = suites.get(table)
    if suite is None:
        if folder is None:
            reason = t("quality.skipped.no_folder", lang, variable=ENV_VAR)
        else:
            reason = t("quality.skipped.no_suite", lang, file=f"{table}.json", folder=str(folder))
        return TablePart(table, skipped=reason)
    if too_many_rows(frame, max_rows):
        reason = t(
            "quality.skipped.too_many_rows",
            lang,
            table=table,
            rows=_fmt_count(len(frame), lang),
            max_rows=_fmt_count(max_rows, lang),
        )
        return TablePart(table, summary=_not_validated(suite, reason, lang), skipped=reason)
    with quiet():
        rows, fails, found = _validate_one(suite, frame, lang, outcomes)
    return TablePart(table, rows, fails, found, seconds=time.perf_counter() - started)


def combine(parts: Iterable[TablePart], folder: Path | None, *, lang: str, seconds: float) -> QualityResult:
    """One ward's :class:`QualityResult` from the parts of its tables, in the contract's table order."""
    summary: list[dict[str, Any]] = []
    failures: list[pd.DataFrame] = []
    finding_rows: list[pd.DataFrame] = []
    skipped: dict[str, str] = {}
    for part in sorted(
        parts, key=lambda p: (TABLES.index(p.table) if p.table in TABLES else len(TABLES), p.table)
    ):
        if part.skipped is not None:
            skipped[part.table] = part.skipped
        summary.extend(part.summary)
        if part.failures is not None and len(part.failures):
            failures.append(part.failures)
        if part.finding_rows is not None and len(part.finding_rows):
            finding_rows.append(part.finding_rows)
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
        seconds=seconds,
        finding_rows=pd.concat(finding_rows, ignore_index=True) if finding_rows else pd.DataFrame(),
    )


def assemble(
    tables: Mapping[str, pd.DataFrame],
    suites: Mapping[str, Suite],
    folder: Path | None,
    *,
    lang: str,
    max_rows: int,
    started: float,
    outcomes: Mapping[str, Mapping[int, Outcome]] | None = None,
    seconds: float | None = None,
) -> QualityResult:
    """The :class:`QualityResult` of one ward; ``outcomes`` (table → rule → outcome) come from a batch pass."""
    parts = [
        table_part(
            table, frame, suites, folder, lang=lang, max_rows=max_rows, outcomes=(outcomes or {}).get(table)
        )
        for table, frame in tables.items()
    ]
    return combine(
        parts, folder, lang=lang, seconds=time.perf_counter() - started if seconds is None else seconds
    )
