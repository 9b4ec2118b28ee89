"""report.html: one self-contained page per ward, meant to be shared (e-mail, USB stick, print to PDF).

Everything the page needs is inside the file: CSS, a few lines of vanilla JS (filter and sort the
findings tables; every table reads and prints in full with scripts off), and the charts as inline
SVG. No request leaves the file: no CDN, no web font, no image URL. Jinja2 autoescapes every value,
so data such as a name ``<script>…`` shows as text. National IDs are masked unless ``mask=False``,
in the ID column and wherever an ID appears inside a sentence.

Example:
    >>> write_html(result, Path("reports/01843/report.html"))  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from audit_toolkit.checks.status import NotRunReason
from audit_toolkit.messages import fmt_date, fmt_month, fmt_vnd, t
from audit_toolkit.report.charts import report_charts
from audit_toolkit.report.common import local_time, who_ran
from audit_toolkit.report.files import atomic_write_text, mask_id, mask_ids
from audit_toolkit.report.levels import levels_rows
from audit_toolkit.report.linkage import linkage_waterfalls
from audit_toolkit.roster import roster_summary

if TYPE_CHECKING:
    import jinja2

    from audit_toolkit.audit import AuditResult

__all__ = [
    "CATEGORY_ORDER",
    "active_by_category",
    "compact_source",
    "display_records",
    "finding_rows",
    "mask_text",
    "money_totals",
    "reason_text",
    "render_html",
    "write_html",
]

#: Category codes in the order of the data contract (§3); the report lists categories this way.
CATEGORY_ORDER = [
    "K1",
    "K2",
    "K3",
    "K4",
    "K5a",
    "K5b",
    "K5c",
    "K5d",
    "K6",
    "K7",
    "K8",
    "C1",
    "C2",
    "C3",
    "C4",
    "HTXH",
]

# Ages marked on the age chart come from the rule tables: RuleSet.chart_age_marks(as_of).

_ID_IN_TEXT = re.compile(r"(?<!\d)\d{9}(?:\d{3})?(?!\d)")


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report templates: autoescape on, undefined names are errors."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("audit_toolkit.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def translator(lang: str) -> Callable[..., str]:
    """``t`` bound to ``lang``, for templates: ``{{ t("report.heading") }}``."""

    def tr(key: str, **params: Any) -> str:
        return t(key, lang, **params)

    return tr


def mask_text(text: Any) -> str:
    """Mask every 9- or 12-digit number (a national ID) inside a sentence."""
    if not isinstance(text, str):
        return "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
    return _ID_IN_TEXT.sub(lambda m: mask_id(m.group(0)), text)


def reason_text(reason: NotRunReason | str | None, lang: str) -> str:
    """A not-run reason in words (the catalogue's sentence); ``""`` when there is none."""
    if not reason:
        return ""
    typed = reason if isinstance(reason, NotRunReason) else NotRunReason.parse(reason)
    return typed.text(lang)


def category_label(code: Any, lang: str) -> str:
    """The category's name in the report language (the code itself when unknown)."""
    if code is None or (isinstance(code, float) and np.isnan(code)) or code == "":
        return t("report.category.unknown", lang)
    key = f"report.category.{code}"
    text = t(key, lang)
    return str(code) if text == key else text


def _clean(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def compact_source(source: Any, *, keep: int = 5) -> str:
    """``beneficiaries:27;payments:234;…`` → ``beneficiaries: 27 · payments: 234, 248, … (+15)``.

    Rows are grouped by table and long lists shortened for reading; the full list stays in
    findings.csv / findings.xlsx (and in the cell's tooltip).
    """
    groups: dict[str, list[str]] = {}
    for ref in _clean(source).split(";"):
        if not ref:
            continue
        table, sep, row = ref.rpartition(":")
        groups.setdefault(table if sep else "", []).append(row if sep else ref)
    parts = []
    for table, rows in groups.items():
        shown = ", ".join(rows[:keep]) + (f", … (+{len(rows) - keep})" if len(rows) > keep else "")
        parts.append(f"{table}: {shown}" if table else shown)
    return " · ".join(parts)


def display_records(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Equal-length columns as one dict per row (what the templates iterate over), in column order.

    What ``DataFrame(columns).to_dict("records")`` gives, without building a frame: for the few
    rows of a ward, building it cost more than filling it.
    """
    keys = list(columns)
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _labels(values: list[str], label: Callable[[str], str]) -> list[str]:
    """``label`` of each value, computed once per distinct value."""
    known = {v: label(v) for v in dict.fromkeys(values)}
    return [known[v] for v in values]


def finding_rows(findings: pd.DataFrame, lang: str, *, mask: bool) -> list[dict[str, Any]]:
    """The findings as display rows (masked IDs when ``mask``), in the frame's order."""
    if findings.empty:
        return []
    nid = findings["national_id"]
    ids_shown = mask_ids(nid) if mask else nid.astype("object").where(nid.notna(), "").astype(str)
    clean = mask_text if mask else _clean
    amounts = pd.to_numeric(findings["amount_vnd"], errors="coerce").fillna(0).astype("int64").tolist()
    severity = findings["severity"].fillna("").astype(str).tolist()
    sources = findings["source"].tolist()
    return display_records(
        {
            "no": list(range(1, len(findings) + 1)),
            "finding_id": [_clean(v) for v in findings["finding_id"].tolist()],
            "severity": severity,
            "severity_label": _labels(severity, lambda s: t(f"report.severity.{s}", lang) if s else ""),
            "national_id": ids_shown.tolist(),
            "full_name": [_clean(v) for v in findings["full_name"].tolist()],
            "category": [_clean(v) for v in findings["category"].tolist()]
            if "category" in findings
            else [""] * len(findings),
            "detail": [clean(v) for v in findings["detail"].tolist()],
            "amount": amounts,
            "amount_text": [fmt_vnd(a, lang) if a else "" for a in amounts],
            "source": [compact_source(v) for v in sources],
            "source_full": [_clean(v).replace(";", "; ") for v in sources],
            "ward": [_clean(v) for v in findings["ward"].tolist()],
        }
    )


def active_by_category(result: AuditResult) -> pd.DataFrame:
    """People with a line active at ``as_of`` per category, beside the ward's reported counts.

    Returns a frame indexed by category code (contract order, then others), columns ``records``
    (distinct people) and ``reported`` (``NaN`` where the report gives none), plus a ``TOTAL`` row.
    """
    roster = roster_summary(result)
    records = roster.active_by_category
    total_records = roster.people_active
    reported = pd.Series(dtype="float64")
    total_reported: float = np.nan
    report = result.ward.tables.get("report")
    if report is not None and len(report):
        counts = pd.to_numeric(report["reported_count"], errors="coerce")
        cats = report["category"].astype(str)
        is_total = cats.str.upper() == "TOTAL"
        reported = counts.loc[~is_total].groupby(cats.loc[~is_total]).sum(min_count=1).astype("float64")
        if is_total.any():
            total_reported = float(counts.loc[is_total].sum(min_count=1))
    codes = [c for c in CATEGORY_ORDER if c in records.index or c in reported.index]
    codes += sorted(set(records.index).union(reported.index) - set(CATEGORY_ORDER), key=str)
    # Built whole, TOTAL row included: enlarging a frame row by row (``.loc["TOTAL"] = …``) costs
    # more than the rest of this function on a ward.
    people = records.reindex(codes).fillna(0).to_numpy(dtype="int64")
    given = reported.reindex(codes).to_numpy(dtype="float64")
    return pd.DataFrame(
        {
            "records": np.append(people, np.int64(total_records)),
            "reported": np.append(given, total_reported),
        },
        index=pd.Index([*codes, "TOTAL"], name="category", dtype="object"),
    )


def money_totals(findings: pd.DataFrame) -> tuple[int, int]:
    """VND overpaid (positive amounts) and underpaid (negative amounts, as a positive sum) in ``findings``."""
    amounts = pd.to_numeric(findings["amount_vnd"], errors="coerce").to_numpy(dtype="float64", na_value=0.0)
    # Whole đồng: float64 sums them exactly in any order, so numpy gives what pandas gave.
    return int(amounts.clip(min=0).sum()), int(-amounts.clip(max=0).sum())


def _legal_basis(result: AuditResult, check_id: str, from_findings: dict[str, str]) -> str:
    if from_findings.get(check_id):
        return from_findings[check_id]
    rules = getattr(result.context, "rules", None)
    if rules is None:
        return ""
    try:
        return str(rules.legal_basis(check_id, result.lang))
    except Exception:  # noqa: BLE001 — a citation missing from the rules must not stop the report
        return ""


def check_overview(result: AuditResult) -> list[dict[str, Any]]:
    """One row per catalogue check (catalogue order): title, status, reason, counts, money, legal basis."""
    from audit_toolkit.checks.base import catalogue

    lang = result.lang
    findings = result.findings
    severities = {s.check_id: s.severity for s in catalogue()}
    # Per check: findings, money over and under, first legal basis given; one factorize and a few
    # bincounts (the sums are of whole đồng, exact in float64 in any order).
    codes, ids = pd.factorize(findings["check_id"])
    known = codes >= 0
    amounts = pd.to_numeric(findings["amount_vnd"], errors="coerce").to_numpy(dtype="float64", na_value=0.0)
    n_ids = len(ids)
    count = np.bincount(codes[known], minlength=n_ids)
    over_sum = np.bincount(codes[known], weights=amounts[known].clip(min=0), minlength=n_ids)
    under_sum = np.bincount(codes[known], weights=-amounts[known].clip(max=0), minlength=n_ids)
    counts = dict(zip(ids, count.tolist(), strict=True))
    over = dict(zip(ids, over_sum.tolist(), strict=True))
    under = dict(zip(ids, under_sum.tolist(), strict=True))
    legal = findings["legal_basis"].fillna("")
    given = ((legal != "").to_numpy(dtype=bool)) & known
    _, first = np.unique(codes[given], return_index=True)
    rows_given = np.flatnonzero(given)[first]
    bases = {str(ids[codes[i]]): str(legal.iloc[i]) for i in rows_given.tolist()}
    rows = []
    for status in result.checks:
        cid = status.check_id
        rows.append(
            {
                "check_id": cid,
                "anchor": "check-" + cid.lower().replace("_", "-"),
                "title": t(f"report.check.{cid}.title", lang),
                "explain": t(f"report.check.{cid}.explain", lang),
                "severity": severities.get(cid, ""),
                "severity_label": t(f"report.severity.{severities[cid]}", lang) if cid in severities else "",
                "run": status.status == "run",
                "reason": reason_text(status.reason, lang) if status.status != "run" else "",
                "count": int(counts.get(cid, 0)),
                "overpaid": int(over.get(cid, 0)),
                "underpaid": int(under.get(cid, 0)),
                "legal_basis": _legal_basis(result, cid, bases),
            }
        )
    return rows


def _no_charts(result: AuditResult) -> dict[str, Any]:
    keys = ("findings_by_check", "money_by_check", "by_category", "age", "paid_by_month")
    return {**dict.fromkeys(keys), "has_payments": "payments" in result.ward.tables}


def _layout(src: Any, lang: str) -> str:
    """The layout the loader read (data contract §1a), in the report's language."""
    from audit_toolkit.io.layouts import layout_text

    notes = getattr(src, "layout_notes", None)
    return (
        layout_text([(str(k), dict(p)) for k, p in notes], lang)
        if notes
        else _clean(getattr(src, "layout", ""))
    )


def _inputs(result: AuditResult) -> list[dict[str, Any]]:
    rows = []
    for src in result.ward.sources:
        path = getattr(src, "path", "")
        rows.append(
            {
                "file": Path(str(path)).name if path else "",
                "sheet": _clean(getattr(src, "sheet", "")),
                "table": _clean(getattr(src, "table", "")),
                "rows": _clean(getattr(src, "rows_read", "")),
                "unreadable": _clean(getattr(src, "rows_unreadable", "")),
                "sha256": _clean(getattr(src, "sha256", "")),
                "layout": _layout(src, result.lang),
            }
        )
    return rows


def quality_tables(quality: Any, lang: str) -> dict[str, Any] | None:
    """The GX summary condensed for the appendix: per table counts, and the failing expectations."""
    summary = getattr(quality, "summary", None) if quality is not None else None
    if not isinstance(summary, pd.DataFrame):
        return None
    if summary.empty:
        return {"tables": [], "failing": []}
    # One summary row per expectation (tens, whatever the ward's size): plain Python over them costs
    # a fraction of a dozen pandas operations on a frame this small.
    success = summary["success"].fillna(False).astype(bool).to_numpy()
    counted: dict[str, list[int]] = {}
    for table, ok in zip(summary["table"].astype(str).tolist(), success.tolist(), strict=True):
        seen = counted.setdefault(table, [0, 0])
        seen[0] += 1
        seen[1] += ok
    tables = [
        {
            "table": table,
            "expectations": size,
            "passed": passed,
            "failed": size - passed,
            "label": t(f"report.table.{table}", lang),
        }
        for table, (size, passed) in counted.items()
    ]
    failing = summary.loc[~success]
    if failing.empty:
        return {"tables": tables, "failing": []}
    text = {
        col: [_clean(v) for v in failing[col]] if col in failing else [""] * len(failing)
        for col in ("column", "description")
    }
    counts = {
        col: [_clean(v) for v in pd.to_numeric(failing[col], errors="coerce").astype("Int64")]
        for col in ("unexpected", "evaluated")
    }
    rows = [
        {
            "label": t(f"report.table.{table}", lang),
            "column": text["column"][i],
            "description": text["description"][i],
            "unexpected": counts["unexpected"][i],
            "evaluated": counts["evaluated"][i],
        }
        for i, table in enumerate(failing["table"])
    ]
    return {"tables": tables, "failing": rows}


def sample_rows(sample: pd.DataFrame, lang: str, *, mask: bool) -> list[dict[str, Any]]:
    """The field-visit sample as display rows."""
    if sample.empty:
        return []
    ids = mask_ids(sample["national_id"]) if mask else sample["national_id"].map(_clean)
    born = [
        fmt_date(d, lang, year_only=bool(y) if isinstance(y, (bool, np.bool_)) else False)
        for d, y in zip(sample["birth_date"], sample["birth_date_year_only"], strict=True)
    ]
    return display_records(
        {
            "no": list(range(1, len(sample) + 1)),
            "national_id": ids.tolist(),
            "full_name": [_clean(v) for v in sample["full_name"].tolist()],
            "birth_date": born,
            "category": [_clean(v) for v in sample["category"].tolist()],
            "address": [_clean(v) for v in sample["address"].tolist()],
            "source": [compact_source(v) for v in sample["source"].tolist()],
            "reason": _labels(sample["reason"].tolist(), lambda r: t(f"report.sample.reason.{r}", lang)),
            "checks": [_clean(v) for v in sample["checks"].tolist()],
        }
    )


def _chunks(rows: list[dict[str, Any]], checks: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {c: [] for c in checks}
    for row in rows:
        out.setdefault(row["check_id"], []).append(row)
    return out


def render_html(
    result: AuditResult,
    *,
    mask: bool = True,
    sample: pd.DataFrame | None = None,
    sample_size: int = 10,
    seed: int = 0,
    charts: bool = True,
    overview: list[dict[str, Any]] | None = None,
) -> str:
    """The report page as text (see :func:`write_html`); ``charts=False`` leaves the charts out;
    ``overview``: :func:`check_overview` of ``result``, when already made."""
    from audit_toolkit import __version__
    from audit_toolkit.sampling import field_visit_sample

    lang = result.lang
    findings = result.findings
    if overview is None:
        overview = check_overview(result)
    rows = finding_rows(findings, lang, mask=mask)
    for row, cid in zip(rows, findings["check_id"], strict=True):
        row["check_id"] = cid
    by_check = _chunks(rows, (r["check_id"] for r in overview))
    by_category = active_by_category(result)
    if sample is None:
        sample = field_visit_sample(result, findings, n=sample_size, seed=seed)
    over, under = money_totals(findings)
    severity_counts = findings["severity"].value_counts()
    user, host = who_ran()
    ward = result.ward
    cat_rows = [
        {
            "code": code,
            "label": category_label(code, lang) if code != "TOTAL" else t("report.key.total", lang),
            "records": int(rec),
            "reported": None if pd.isna(rep) else int(rep),
            "difference": None if pd.isna(rep) else int(rec) - int(rep),
        }
        for code, rec, rep in zip(
            by_category.index, by_category["records"], by_category["reported"], strict=True
        )
    ]
    context = {
        "lang": lang,
        "t": translator(lang),
        "vnd": lambda amount: fmt_vnd(amount, lang),
        "ward_title": " ".join(
            p for p in (ward.ward_name, f"({ward.ward_code})" if ward.ward_code else "") if p
        ),
        "ward": ward,
        "period": t(
            "report.header.period_value",
            lang,
            start=fmt_month(result.period_start, lang),
            end=fmt_month(result.period_end, lang),
        ),
        "as_of": fmt_date(result.as_of, lang),
        "ran_by": f"{user}@{host}" if user else host,
        "ran_at": local_time(result.finished_at),
        "version": __version__,
        "rules_version": result.rules_version,
        "mask": mask,
        "inputs": _inputs(result),
        "warnings": list(ward.warnings),
        "beneficiaries": int(by_category.at["TOTAL", "records"]),  # type: ignore[arg-type]
        "has_report": "report" in ward.tables,
        "categories": cat_rows,
        "n_findings": len(findings),
        "severities": [
            {"key": s, "label": t(f"report.severity.{s}", lang), "count": int(severity_counts.get(s, 0))}
            for s in ("high", "medium", "low")
        ],
        "overpaid": over,
        "underpaid": under,
        "overview": overview,
        "run_checks": [r for r in overview if r["run"]],
        "not_run": [r for r in overview if not r["run"]],
        "findings_by_check": by_check,
        "waterfalls": linkage_waterfalls(findings, lang),
        "charts": report_charts(result, overview, by_category) if charts else _no_charts(result),
        "quality": quality_tables(result.quality, lang),
        "sample": sample_rows(sample, lang, mask=mask),
        "sample_random": int((sample["reason"] == "random").sum()) if len(sample) else 0,
        "sample_size": sample_size,
        "seed": seed,
        "levels": levels_rows(result),
        "name_matching": _name_matching(result),
    }
    return environment().get_template("report.html.j2").render(**context)


def _name_matching(result: AuditResult) -> Any:
    """Which checks ran on name matching (None when the ward has no beneficiary lines at all)."""
    from audit_toolkit.report.matching import name_matching

    m = name_matching(result)
    return m if m.lines else None


def write_html(
    result: AuditResult,
    path: str | Path,
    *,
    mask: bool = True,
    sample: pd.DataFrame | None = None,
    sample_size: int = 10,
    seed: int = 0,
    overview: list[dict[str, Any]] | None = None,
) -> Path:
    """Write the ward's self-contained ``report.html`` atomically.

    Args:
        result: what :func:`audit_toolkit.run_audit` returned.
        path: the file to write.
        mask: mask national IDs (``006*****1234``); ``False`` shows them in full (``--no-mask``).
        sample: a field-visit sample already drawn (:func:`audit_toolkit.sampling.field_visit_sample`);
            drawn here with ``sample_size`` and ``seed`` when not given.
        sample_size: people to draw at random for the field-visit sample.
        seed: seed of the field-visit draw.
        overview: :func:`check_overview` of ``result``, when already made.

    Returns:
        The path written.

    Example:
        >>> write_html(result, "reports/01843/report.html", mask=True)  # doctest: +SKIP
    """
    target = Path(path)
    html = render_html(
        result, mask=mask, sample=sample, sample_size=sample_size, seed=seed, overview=overview
    )
    atomic_write_text(target, html)
    return target
