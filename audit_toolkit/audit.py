"""Run an audit: load → checks → findings, for one ward or a batch of wards.

Example:
    >>> from audit_toolkit import load_ward, run_audit
    >>> result = run_audit(load_ward("data/sample/phung-chi-kien"), as_of="2023-02-28", period_from="2022-01")
    >>> result.findings[["check_id", "amount_vnd"]].groupby("check_id").sum()  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from audit_toolkit.checks import CheckStatus, NotRunReason, ReasonCode, catalogue, run_checks
from audit_toolkit.checks.base import AuditContext
from audit_toolkit.errors import AuditToolkitError, InputError
from audit_toolkit.findings import FINDING_COLUMNS, finalize
from audit_toolkit.io import WardData, discover_wards, is_batch, load_ward
from audit_toolkit.months import month_iso, month_num
from audit_toolkit.rules import RuleSet, find_rates_file, load_rules, read_rates, resolve_extra_files
from audit_toolkit.startup import fewer_collections

__all__ = [
    "AuditResult",
    "BatchResult",
    "Parameters",
    "check_parameters",
    "parse_as_of",
    "parse_period_from",
    "prepare_reports",
    "run_audit",
    "run_batch",
]


@dataclass
class AuditResult:
    """The outcome of auditing one ward: findings, what ran, and what the reports need."""

    ward: WardData
    as_of: pd.Timestamp
    period_start: int
    period_end: int
    lang: str
    findings: pd.DataFrame
    checks: list[CheckStatus]
    context: AuditContext
    quality: Any | None
    rules_version: str
    started_at: dt.datetime
    finished_at: dt.datetime
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def counts_by_check(self) -> dict[str, int]:
        """Number of findings per check id (0 for checks that ran and found nothing)."""
        counts = self.findings["check_id"].value_counts().to_dict() if len(self.findings) else {}
        return {s.check_id: int(counts.get(s.check_id, 0)) for s in self.checks if s.status == "run"}

    @property
    def ward_label(self) -> str:
        """The ward as written in findings: its code when known, else its name."""
        return self.ward.ward_code or self.ward.ward_name


@dataclass
class BatchResult:
    """The outcome of auditing every ward of a batch folder."""

    path: Path
    results: list[AuditResult]
    errors: dict[str, str]
    cross_ward: pd.DataFrame
    cross_ward_status: CheckStatus
    started_at: dt.datetime
    finished_at: dt.datetime
    parameters: dict[str, Any] = field(default_factory=dict)
    #: ``ward_id`` → output folder name, for wards whose reports were written where they ran.
    folders: dict[str, str] = field(default_factory=dict)


def parse_as_of(value: str | dt.date | pd.Timestamp) -> pd.Timestamp:
    """The audit date from ``YYYY-MM-DD`` (or a date); ``InputError`` with the fix otherwise."""
    try:
        ts = pd.Timestamp(dt.date.fromisoformat(value) if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise InputError(
            f"--as-of {value!r} is not a date", fix="Write the audit date as YYYY-MM-DD, e.g. 2023-02-28"
        ) from None
    return ts.normalize()


def parse_period_from(value: str | None, as_of: pd.Timestamp) -> int:
    """First month of the period from ``YYYY-MM``; default 12 months before ``as_of``'s month."""
    end = month_num(as_of.year, as_of.month)
    if value is None:
        return end - 12
    text = str(value).strip()
    try:
        year, month = (int(p) for p in text.split("-")[:2])
        if not 1 <= month <= 12:
            raise ValueError
    except ValueError:
        raise InputError(
            f"--from {value!r} is not a month",
            fix="Write the first month of the period as YYYY-MM, e.g. 2022-01",
        ) from None
    start = month_num(year, month)
    if start > end:
        raise InputError(
            f"--from {month_iso(start)} is after the month of --as-of ({month_iso(end)})",
            fix="Choose a first month on or before the audit date",
        )
    return start


def _with_care_note(quality_result: Any, ctx: AuditContext) -> Any:
    """The quality result plus an appendix row for care lines whose person cannot be found (a copy)."""
    from audit_toolkit.checks.facts import care_quality_note

    note = care_quality_note(ctx) if "beneficiaries" in ctx.ward.tables else None
    summary = getattr(quality_result, "summary", None)
    if note is None or not isinstance(summary, pd.DataFrame):
        return quality_result
    row = pd.DataFrame([{**note, "rule": len(summary) + 1}], columns=summary.columns).astype(
        summary.dtypes.to_dict()
    )
    return dataclasses.replace(quality_result, summary=pd.concat([summary, row], ignore_index=True))


def _quality(ward: WardData, lang: str, expectations: Path | None) -> Any:
    from audit_toolkit.quality import validate_tables

    return validate_tables(ward.tables, lang=lang, suites_dir=expectations)


def prepare_reports() -> None:
    """Import the report writers and chart library, and compile the page template (a head start,
    same result)."""
    import matplotlib.backends.backend_svg  # noqa: F401 - the charts' SVG canvas
    import matplotlib.figure  # noqa: F401
    import matplotlib.ticker  # noqa: F401
    import openpyxl  # noqa: F401

    from audit_toolkit.report.html import environment
    from audit_toolkit.report.xlsx import write_xlsx  # noqa: F401 - imported for its import cost

    environment().get_template("report.html.j2")


@fewer_collections()
def run_audit(
    ward: WardData | str | Path,
    *,
    as_of: str | dt.date | pd.Timestamp,
    period_from: str | None = None,
    lang: str = "vi",
    rules: RuleSet | None = None,
    only: set[str] | None = None,
    quality: bool = True,
    expectations: str | Path | None = None,
    rules_extra: Sequence[str | Path] | None = None,
    quality_process: bool = True,
    quality_side: Any | None = None,
) -> AuditResult:
    """Audit one ward.

    Args:
        ward: a loaded ward, or the path of a ward folder or workbook.
        as_of: the audit date; roster state is judged at its month.
        period_from: first month of the period (``YYYY-MM``); default 12 months before ``as_of``.
        lang: report language, ``"vi"`` or ``"en"``.
        rules: a rule set (default: the packaged rules for the ward's province).
        only: run only these check ids (the others are reported as not run).
        quality: run the Great Expectations suites (their findings join the checks' findings).
        expectations: folder of the suites (default: ``expectations/`` of the checkout, or the
            ``AUDIT_TOOLKIT_EXPECTATIONS`` environment variable).
        rules_extra: extra rule files, or names of shipped optional rule sets (``"nd-335-2026"``),
            loaded on top of the packaged rules (default: the ``AUDIT_TOOLKIT_RULES_EXTRA``
            environment variable, paths or names separated by ``os.pathsep``). Ignored with ``rules``.
            The ward's ``rates.yml`` (data contract §1b) is always applied.
        quality_process: import GX and validate in a helper process, in parallel with loading
            and the checks (:mod:`audit_toolkit.quality.process`; same result). False: here.
        quality_side: that helper, started by the caller with
            ``QualitySide.start(gx_now=False, keep_open=True)``, who closes it (the CLI has it
            write the workbook afterwards); default: one started and stopped here.

    Returns:
        An :class:`AuditResult` with one finding per person per check.

    Example:
        >>> run_audit("data/sample/phung-chi-kien", as_of="2023-02-28", period_from="2022-01")  # doctest: +SKIP
    """
    started = dt.datetime.now(dt.UTC)
    ts = parse_as_of(as_of)
    start = parse_period_from(period_from, ts)
    if lang not in ("vi", "en"):
        raise InputError(f"--lang {lang!r} is not supported", fix="Use --lang vi or --lang en")
    side = None
    own_side = quality_side is None
    if quality and quality_process:
        from audit_toolkit.quality.process import QualitySide

        # Started before loading: GX's import overlaps loading and the checks. A ward read here
        # first lets the helper read its largest table, if large, before importing GX.
        side = (
            quality_side
            if quality_side is not None
            else QualitySide.start(
                gx_now=isinstance(ward, WardData), idle=prepare_reports, expectations=expectations
            )
        )
    try:
        if isinstance(ward, WardData):
            ward_data = ward
            if side is not None:
                side.offload(ward.path, [])  # nothing to read: a helper that waits imports GX now
        else:
            ward_data = load_ward(Path(ward), offload=side.offload if side is not None else None)
        if side is not None:
            side.submit(ward_data.tables, lang=lang, expectations=expectations)
        return audit_loaded(
            ward_data,
            started=started,
            ts=ts,
            start=start,
            lang=lang,
            rules=rules,
            only=only,
            quality=quality,
            expectations=expectations,
            quality_side=side,
            rules_extra=_rules_extra(rules_extra),
        )
    finally:
        if side is not None and own_side:
            side.close()


def _rules_extra(items: Sequence[str | Path] | None) -> tuple[Path, ...]:
    """Extra rule files from the argument, else from ``AUDIT_TOOLKIT_RULES_EXTRA`` (notebooks get it so)."""
    if items is None:
        env = os.environ.get("AUDIT_TOOLKIT_RULES_EXTRA", "")
        items = [x for x in env.split(os.pathsep) if x.strip()]
    return tuple(resolve_extra_files(list(items)))


def audit_loaded(
    ward_data: WardData,
    *,
    started: dt.datetime,
    ts: pd.Timestamp,
    start: int,
    lang: str,
    rules: RuleSet | None,
    only: set[str] | None,
    quality: bool,
    expectations: str | Path | None,
    quality_result: Any | None = None,
    quality_side: Any | None = None,
    rules_extra: tuple[Path, ...] = (),
) -> AuditResult:
    """:func:`run_audit` on a loaded ward; ``quality_result`` is the ward's share of a batch GX pass,
    ``quality_side`` a helper process already validating the ward (joined after the checks)."""
    checked = check_loaded(
        ward_data,
        started=started,
        ts=ts,
        start=start,
        lang=lang,
        rules=rules,
        only=only,
        rules_extra=rules_extra,
    )
    return finish_loaded(
        checked,
        quality=quality,
        expectations=expectations,
        quality_result=quality_result,
        quality_side=quality_side,
    )


@dataclass
class CheckedWard:
    """A loaded ward whose checks have run: what :func:`finish_loaded` needs to end its audit."""

    ward: WardData
    context: AuditContext
    rules: RuleSet
    raw: pd.DataFrame
    statuses: list[CheckStatus]
    started: dt.datetime
    only: set[str] | None


def check_loaded(
    ward_data: WardData,
    *,
    started: dt.datetime,
    ts: pd.Timestamp,
    start: int,
    lang: str,
    rules: RuleSet | None,
    only: set[str] | None,
    rules_extra: tuple[Path, ...] = (),
) -> CheckedWard:
    """The first half of :func:`audit_loaded`: the rule set, the context and every check's findings.

    A batch runs this for each of its wards while Great Expectations validates them in a helper
    process, then :func:`finish_loaded` joins each ward's GX result (same result as ``audit_loaded``).
    """
    rule_set = rules or load_rules(
        province_code=ward_data.province_code,
        extra_files=rules_extra,
        rates_file=getattr(ward_data, "rates_file", None),
    )
    ctx = AuditContext(
        ward=ward_data,
        rules=rule_set,
        as_of=ts,
        period_start=start,
        period_end=month_num(ts.year, ts.month),
        lang=lang,
    )
    raw, statuses = run_checks(ctx, only=only)
    return CheckedWard(ward_data, ctx, rule_set, raw, list(statuses), started, only)


def finish_loaded(
    checked: CheckedWard,
    *,
    quality: bool,
    expectations: str | Path | None,
    quality_result: Any | None = None,
    quality_side: Any | None = None,
) -> AuditResult:
    """The second half of :func:`audit_loaded`: GX's findings joined (``quality_result``, else from
    ``quality_side``, else validated here), then the findings finalised into the ward's result."""
    ward_data, ctx, rule_set = checked.ward, checked.context, checked.rules
    raw, statuses, only = checked.raw, checked.statuses, checked.only
    ts, start, lang, started = ctx.as_of, ctx.period_start, ctx.lang, checked.started
    if not quality:
        quality_result = None
    else:
        if quality_result is None and quality_side is not None:
            # While GX finishes in its helper, this process imports what writing the reports needs.
            quality_result = quality_side.result(idle=prepare_reports)
        if quality_result is None:
            quality_result = _quality(ward_data, lang, Path(expectations) if expectations else None)
        quality_result = _with_care_note(quality_result, ctx)
        extra = quality_result.raw_findings(as_of=ts)
        if len(extra):
            ran = {s.check_id for s in statuses if s.status == "run"}
            extra = extra.loc[extra["check_id"].isin(ran)]
            raw = pd.concat([raw, extra], ignore_index=True) if len(raw) else extra
    specs = catalogue()
    findings = finalize(
        raw,
        ward=ward_data.ward_code or ward_data.ward_name,
        ward_id=ward_data.ward_id,
        severities={s.check_id: s.severity for s in specs},
        legal_bases={s.check_id: rule_set.legal_basis(s.check_id, lang) for s in specs},
        check_order=[s.check_id for s in specs],
        lang=lang,
    )
    counts = findings["check_id"].value_counts().to_dict() if len(findings) else {}
    statuses = [
        CheckStatus(s.check_id, s.status, s.reason, int(counts.get(s.check_id, 0)), s.seconds)
        for s in statuses
    ]
    return AuditResult(
        ward=ward_data,
        as_of=ts,
        period_start=start,
        period_end=ctx.period_end,
        lang=lang,
        findings=findings[FINDING_COLUMNS],
        checks=statuses,
        context=ctx,
        quality=quality_result,
        rules_version=rule_set.version,
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC),
        parameters={
            "as_of": ts.date().isoformat(),
            "period_from": month_iso(start),
            "period_to": month_iso(ctx.period_end),
            "lang": lang,
            "only": sorted(only) if only else None,
            "quality": quality,
            "python": platform.python_version(),
            "rules_extra": [str(p) for p in rule_set.extra_files],
            "rates_file": str(rule_set.rates.path) if rule_set.rates is not None else None,
        },
    )


@fewer_collections()
def run_batch(
    path: str | Path,
    *,
    as_of: str | dt.date | pd.Timestamp,
    period_from: str | None = None,
    lang: str = "vi",
    quality: bool = True,
    expectations: str | Path | None = None,
    on_ward: Callable[[int, int, Path], None] | None = None,
    on_result: Callable[[AuditResult], None] | None = None,
    rules_extra: Sequence[str | Path] | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    security: Any = None,
    timeout: float = 10.0,
    out: str | Path | None = None,
    report_options: dict[str, Any] | None = None,
    on_failed: Callable[[Path, str], None] | None = None,
    on_progress: Callable[[int, int, Path], None] | None = None,
) -> BatchResult:
    """Audit every ward of a batch folder, then look for people listed in several wards.

    A ward whose input is unusable is recorded in ``errors`` and the others go on.
    ``on_ward(n, total, path)`` is called before each ward is loaded (progress); ``on_result(result)``
    after each ward that completed (e.g. to write its reports and free memory early);
    ``on_failed(path, error)`` after each ward that could not be audited;
    ``on_progress(done, total, path)`` as each ward is done, whichever worker did it (progress bars).

    With ``out`` (or ``workers > 1``, or a ``scheduler``) the wards run as tasks of
    :func:`audit_toolkit.batch.audit_wards`: in this process (``workers=1``), on a pool of
    ``workers`` processes, or on the Dask cluster at ``scheduler`` (``security``: a
    ``distributed.security.Security`` for TLS; ``timeout`` in seconds to reach it). Each ward's
    reports are then written into ``out`` where it ran (``report_options`` as for
    :func:`audit_toolkit.report.write_reports`), ``folders`` names them, and ``results`` hold slim
    results (findings, statuses, roster frames; not the input tables). Findings are the same on
    every engine.

    Wards are loaded in chunks of ``_BATCH_CHUNK``; the Great Expectations suites run once per
    table over a whole chunk (:func:`audit_toolkit.quality.batch.validate_wards`), then the checks
    run ward by ward. Each ward's :class:`AuditResult` is the one :func:`run_audit` gives for it.

    A ``rates.yml`` in the batch folder applies to every ward that has none of its own (a malformed
    one stops the batch with :class:`InputError`); ``rules_extra`` as in :func:`run_audit`.
    """
    started = dt.datetime.now(dt.UTC)
    root = Path(path)
    if not is_batch(root):
        raise InputError(
            f"{root} is not a batch folder",
            file=root,
            fix="Point to a folder whose sub-folders or workbooks are wards",
        )
    ts = parse_as_of(as_of)
    start = parse_period_from(period_from, ts)
    extra = _rules_extra(rules_extra)
    batch_rates = find_rates_file(root) if root.is_dir() else None
    if batch_rates is not None:
        read_rates(batch_rates)  # malformed: stop before any ward, naming file and line
    wards = discover_wards(root)
    results: list[AuditResult] = []
    failed: dict[Path, str] = {}
    if lang not in ("vi", "en"):
        # As run_audit does for each ward, before loading it.
        bad_lang = InputError(f"--lang {lang!r} is not supported", fix="Use --lang vi or --lang en")
        failed = dict.fromkeys(wards, str(bad_lang))
        wards_to_run: list[Path] = []
    else:
        wards_to_run = wards
    if out is not None or workers > 1 or scheduler is not None:
        from audit_toolkit.batch import run_batch_tasks

        return run_batch_tasks(
            root,
            wards,
            wards_to_run,
            failed,
            started=started,
            ts=ts,
            as_of=as_of,
            period_from=period_from,
            lang=lang,
            quality=quality,
            expectations=expectations,
            workers=workers,
            scheduler=scheduler,
            security=security,
            timeout=timeout,
            out=out,
            report_options=report_options or {},
            on_result=on_result,
            on_failed=on_failed,
            on_progress=on_progress,
            rules_extra=extra,
            batch_rates=batch_rates,
        )
    # Wards go in chunks: load a chunk, validate its tables with one GX call per table (GX costs
    # per call, not per row: quality.batch), then run the checks ward by ward. Chunks keep the
    # first reports coming early and memory bounded; every ward still gets what run_audit gives.
    for first in range(0, len(wards_to_run), _BATCH_CHUNK):
        loaded: list[tuple[Path, WardData, dt.datetime]] = []
        for n, ward_path in enumerate(wards_to_run[first : first + _BATCH_CHUNK], start=first + 1):
            if on_ward:
                on_ward(n, len(wards), ward_path)
            ward_started = dt.datetime.now(dt.UTC)
            try:
                loaded.append((ward_path, load_ward(ward_path), ward_started))
            except AuditToolkitError as exc:
                failed[ward_path] = str(exc)
                if on_failed:
                    on_failed(ward_path, str(exc))
                if on_progress:
                    on_progress(len(results) + len(failed), len(wards), ward_path)
        checked = batch_quality([w for _, w, _ in loaded], lang, expectations) if quality else {}
        for ward_path, ward_data, ward_started in loaded:
            if ward_data.rates_file is None and batch_rates is not None:
                ward_data.rates_file = batch_rates  # the ward's own rates.yml wins over the batch's
            try:
                result = audit_loaded(
                    ward_data,
                    started=ward_started,
                    ts=ts,
                    start=start,
                    lang=lang,
                    rules=None,
                    only=None,
                    quality=quality,
                    expectations=expectations,
                    quality_result=checked.get(id(ward_data)),
                    rules_extra=extra,
                )
            except AuditToolkitError as exc:
                failed[ward_path] = str(exc)
                if on_failed:
                    on_failed(ward_path, str(exc))
                if on_progress:
                    on_progress(len(results) + len(failed), len(wards), ward_path)
                continue
            results.append(result)
            if on_result:
                on_result(result)
            if on_progress:
                on_progress(len(results) + len(failed), len(wards), ward_path)
    return finish_batch(
        root,
        wards,
        results,
        failed,
        started=started,
        ts=ts,
        period_from=period_from,
        lang=lang,
        rules_extra=extra,
        batch_rates=batch_rates,
    )


def finish_batch(
    root: Path,
    wards: Sequence[Path],
    results: list[AuditResult],
    failed: dict[Path, str],
    *,
    started: dt.datetime,
    ts: pd.Timestamp,
    period_from: str | None,
    lang: str,
    rules_extra: Sequence[Path],
    batch_rates: Path | None,
    folders: dict[str, str] | None = None,
) -> BatchResult:
    """The batch's result once its wards are audited (by any engine): cross-ward checks, errors, parameters."""
    from audit_toolkit.checks.duplicates import find_cross_ward_duplicates

    cross, status = cross_ward(results, find_cross_ward_duplicates, lang)
    return BatchResult(
        path=root,
        results=results,
        errors={p.name: failed[p] for p in wards if p in failed},
        cross_ward=cross,
        cross_ward_status=status,
        started_at=started,
        finished_at=dt.datetime.now(dt.UTC),
        parameters={
            "as_of": ts.date().isoformat(),
            "period_from": period_from,
            "lang": lang,
            "wards": len(wards),
            "rules_extra": [str(p) for p in rules_extra],
            "rates_file": str(batch_rates) if batch_rates is not None else None,
        },
        folders=folders or {},
    )


#: Wards loaded and validated together in a batch run.
_BATCH_CHUNK = 25


def batch_quality(wards: Sequence[WardData], lang: str, expectations: str | Path | None) -> dict[int, Any]:
    """The quality results of ``wards`` from one GX pass, keyed by ``id(ward)``.

    A ward left out (its validation raises) is validated alone by :func:`audit_loaded`, which
    records the error against that ward; a malformed suite fails every ward there the same way.
    """
    from audit_toolkit.quality.batch import validate_wards

    if len(wards) < 2:
        return {}
    try:
        found = validate_wards(
            {str(id(w)): w.tables for w in wards},
            suites_dir=Path(expectations) if expectations else None,
            lang=lang,
        )
    except AuditToolkitError:
        return {}
    return {int(key): result for key, result in found.items()}


def cross_ward(
    results: Sequence[AuditResult],
    finder: Callable[[Sequence[AuditContext]], pd.DataFrame],
    lang: str,
) -> tuple[pd.DataFrame, CheckStatus]:
    specs = {s.check_id: s for s in catalogue()}
    spec = specs["CROSS_WARD_DUPLICATE"]
    if len(results) < 2:
        empty = finalize(pd.DataFrame(), ward="", ward_id="", severities={}, legal_bases={}, check_order=[])
        return empty, CheckStatus(spec.check_id, "not_run", NotRunReason(ReasonCode.FEWER_THAN_TWO_WARDS))
    raw = finder([r.context for r in results])
    rules = results[0].context.rules
    findings = finalize(
        raw,
        ward="*",
        ward_id="batch",
        severities={spec.check_id: spec.severity},
        legal_bases={spec.check_id: rules.legal_basis(spec.check_id, lang)},
        check_order=[spec.check_id],
        lang=lang,
    )
    status = CheckStatus(spec.check_id, "run", None, len(findings))
    near = _cross_ward_near(results, lang)  # POSSIBLE_DUPLICATE across wards (issue 11), same summary file
    if len(near):
        findings = pd.concat([findings, near], ignore_index=True)
    return findings, status


def _cross_ward_near(results: Sequence[AuditResult], lang: str) -> pd.DataFrame:
    """POSSIBLE_DUPLICATE across the wards of a batch (checks/linkage.py), finalized for the summary."""
    from audit_toolkit.checks.linkage import find_cross_ward_possible_duplicates, possible_duplicate_frame

    check_id = "POSSIBLE_DUPLICATE"
    rules = results[0].context.rules
    from audit_toolkit.batch import NEAR_FRAME

    def frame(result: AuditResult) -> pd.DataFrame:
        made = result.context.extras.get(NEAR_FRAME)  # made by the worker that audited the ward
        return made if isinstance(made, pd.DataFrame) else possible_duplicate_frame(result.context)

    raw = find_cross_ward_possible_duplicates(
        [frame(r) for r in results],
        stackable=rules.stackable,
        lang=lang,
        ward_names={r.context.ward.ward_id: r.context.ward.ward_name for r in results},
    )
    severity = {s.check_id: s.severity for s in catalogue()}[check_id]
    return finalize(
        raw,
        ward="*",
        ward_id="batch",
        severities={check_id: severity},
        legal_bases={check_id: rules.legal_basis(check_id, lang)},
        check_order=[check_id],
        lang=lang,
    )


@dataclass(frozen=True)
class Parameters:
    """Validated audit parameters (what a notebook's ``parameters`` cell holds)."""

    path: Path
    as_of: pd.Timestamp
    period_from: str
    lang: str
    mask: bool
    out_dir: Path


def check_parameters(
    *,
    ward_path: str | Path,
    as_of: str,
    period_from: str | None = None,
    lang: str = "vi",
    mask: bool = True,
    out_dir: str | Path = "reports",
) -> Parameters:
    """Validate a notebook's parameters, raising :class:`InputError` with the fix for a wrong one.

    Example:
        >>> check_parameters(ward_path="data/sample/phung-chi-kien", as_of="2023-02-28").period_from
        '2022-02'
    """
    path = Path(ward_path)
    if not str(ward_path).strip():
        raise InputError(
            "ward_path is empty",
            fix='Set ward_path to a ward folder or workbook, e.g. "data/sample/phung-chi-kien"',
        )
    if not path.exists():
        raise InputError(
            f"ward_path {str(path)!r} does not exist",
            file=path,
            fix="Set ward_path to a ward folder, a ward workbook or a batch folder",
        )
    ts = parse_as_of(as_of)
    start = parse_period_from(period_from or None, ts)
    if lang not in ("vi", "en"):
        raise InputError(f"lang {lang!r} is not supported", fix='Set lang to "vi" or "en"')
    if not isinstance(mask, bool):
        raise InputError(
            f"mask {mask!r} is not True or False", fix="Set mask = True (shared outputs) or False"
        )
    return Parameters(
        path=path, as_of=ts, period_from=month_iso(start), lang=lang, mask=mask, out_dir=Path(out_dir)
    )
