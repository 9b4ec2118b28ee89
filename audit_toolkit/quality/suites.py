"""Record-level data quality: the Great Expectations suites in ``expectations/*.json``.

Each supplied table is validated once against its suite (``expectations/<table>.json``, GX Core 1.x
suite JSON) by one GX validator over its frame (:mod:`audit_toolkit.quality.gx`): GX fingerprints
the whole frame for each validator, so one per table, never one per expectation. An auditor edits the JSON (adds an
allowed value, a rule) and reruns; no code change is needed. A batch of wards goes further:
:func:`audit_toolkit.quality.batch.validate_wards` validates each table once for many wards.

This module reads the suite files (:class:`Suite`, :class:`Rule`, :func:`load_suites`);
:mod:`audit_toolkit.quality.gx` runs them through GX and :mod:`audit_toolkit.quality.results`
shapes the answers into a :class:`~audit_toolkit.quality.results.QualityResult`.

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

import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from audit_toolkit.errors import RuleError

__all__ = [
    "ENV_VAR",
    "TABLES",
    "Rule",
    "Suite",
    "find_suites_dir",
    "load_suites",
    "rule_error",
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

_SCOPES = ("all", "active_at_as_of")
_DISCRIMINATORS = ("", "category")
_COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list")
_PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
        """The expectation as GX reads it; ``meta._rule`` maps a result back to this rule.

        The rule's own ``meta`` (descriptions, check id) stays here: GX never reads it, but copies
        an expectation's whole configuration dozens of times per validation.
        """
        kwargs = dict(self.kwargs)
        for key in ("min_value", "max_value"):
            value = kwargs.get(key)
            # GX turns "1900-01-01" into a datetime.date, which pandas Timestamps refuse to compare
            # with; a datetime string compares fine, and auditors keep writing plain dates.
            if isinstance(value, str) and _PLAIN_DATE.match(value):
                kwargs[key] = value + "T00:00:00"
        return {"type": self.type, "kwargs": kwargs, "meta": {"_rule": self.number}}

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
    checkout = Path(__file__).resolve().parents[2] / "expectations"  # audit_toolkit/quality/ → the checkout
    return checkout if checkout.is_dir() else None


@functools.cache
def _known_check_ids() -> frozenset[str]:
    # Once per process (a package file). Read the catalogue file directly: importing audit_toolkit.checks would import every family.
    text = resources.files("audit_toolkit").joinpath("checks", "catalogue.yml").read_text(encoding="utf-8")
    return frozenset(str(row["check_id"]) for row in yaml.safe_load(text))


def rule_error(path: Path, problem: str, fix: str) -> RuleError:
    return RuleError(f"{path}: {problem}\nFix: {fix}")


def _read_rule(path: Path, table: str, number: int, entry: Any, check_ids: frozenset[str]) -> Rule:
    where = f"rule {number}"
    if not isinstance(entry, dict):
        raise rule_error(
            path, f"{where} is not an object", 'Write each rule as {"type": …, "kwargs": {…}, "meta": {…}}'
        )
    kind, kwargs, meta = entry.get("type"), entry.get("kwargs"), entry.get("meta", {})
    if not isinstance(kind, str) or not kind.startswith("expect_"):
        raise rule_error(
            path,
            f"{where} has no valid 'type' (got {kind!r})",
            'Give the GX expectation name, e.g. "type": "expect_column_values_to_be_in_set"',
        )
    where = f"rule {number} ({kind})"
    if not isinstance(kwargs, dict):
        raise rule_error(path, f"{where} has no 'kwargs' object", 'Add "kwargs": {"column": …} to the rule')
    if not isinstance(meta, dict):
        raise rule_error(path, f"{where}: 'meta' is not an object", 'Write "meta": {"description_vi": …, …}')
    for lang in ("vi", "en"):
        if not isinstance(meta.get(f"description_{lang}"), str) or not meta[f"description_{lang}"].strip():
            raise rule_error(
                path,
                f"{where} has no meta.description_{lang}",
                f'Add "description_{lang}": a sentence saying what the rule requires (shown in the report)',
            )
    check_id = meta.get("check_id")
    if check_id is not None and check_id not in check_ids:
        raise rule_error(
            path,
            f"{where}: meta.check_id {check_id!r} is not a catalogue check",
            "Use a check id of audit_toolkit/checks/catalogue.yml, or remove check_id "
            "(the rule then appears in the data-quality appendix only)",
        )
    if meta.get("finding_scope", "all") not in _SCOPES:
        raise rule_error(
            path, f"{where}: meta.finding_scope must be one of {_SCOPES}", 'Use "all" or "active_at_as_of"'
        )
    if meta.get("finding_discriminator", "") not in _DISCRIMINATORS:
        raise rule_error(
            path, f"{where}: meta.finding_discriminator must be '' or 'category'", "Use '' or 'category'"
        )
    if "row_condition" in kwargs and kwargs.get("condition_parser") != "pandas":
        raise rule_error(
            path, f"{where} has a row_condition without a pandas parser", 'Add "condition_parser": "pandas"'
        )
    if "regex" in kwargs:
        try:
            re.compile(str(kwargs["regex"]))
        except re.error as exc:
            raise rule_error(
                path, f"{where}: the regex does not compile ({exc})", "Correct the regular expression"
            ) from None
    rule = Rule(table=table, number=number, type=kind, kwargs=kwargs, meta=meta)
    if not rule.columns:
        raise rule_error(
            path, f"{where} names no column", 'Add "column": "<canonical column name>" to kwargs'
        )
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
            raise rule_error(
                path,
                f"{path.name} does not name a table",
                f"Name suite files after a table: {', '.join(TABLES)}",
            )
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise rule_error(
                path,
                f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})",
                "Correct the JSON syntax there (a missing comma, quote or bracket), or restore the file from the repository",
            ) from None
        except UnicodeDecodeError:
            raise rule_error(path, "not UTF-8 text", "Save the file as UTF-8") from None
        if not isinstance(document, dict) or not isinstance(document.get("expectations"), list):
            raise rule_error(
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
