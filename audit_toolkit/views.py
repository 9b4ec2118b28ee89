"""Tables for people to read in a notebook: key figures, findings by check, findings per check.

Plain pandas frames (a notebook displays them as tables); no Jupyter import here. National IDs are
masked unless ``mask=False``, because notebook exports are shared like the HTML report.

Example:
    >>> key_figures(result)  # doctest: +SKIP
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

from audit_toolkit.messages import fmt_vnd, t
from audit_toolkit.months import month_label

if TYPE_CHECKING:
    from audit_toolkit.audit import AuditResult, BatchResult
    from audit_toolkit.compare import Comparison

__all__ = [
    "Charts",
    "SVGChart",
    "batch_figures",
    "batch_overview",
    "cross_ward_table",
    "figures",
    "findings_by_check",
    "findings_table",
    "follow_up_table",
    "key_figures",
]


def key_figures(result: AuditResult) -> pd.DataFrame:
    """The audit's key figures as a two-column table (label, value) in the report language."""
    lang = result.lang
    lines = result.context.lines
    active = lines.loc[lines["active_asof"]]
    f = result.findings
    over = int(f.loc[f["amount_vnd"] > 0, "amount_vnd"].sum()) if len(f) else 0
    under = int(-f.loc[f["amount_vnd"] < 0, "amount_vnd"].sum()) if len(f) else 0
    rows = [
        ("views.ward", result.ward.ward_name),
        ("views.period", f"{month_label(result.period_start)} – {month_label(result.period_end)}"),
        ("views.as_of", result.as_of.strftime("%d/%m/%Y")),
        ("views.lines", f"{len(lines):,}"),
        ("views.people_active", f"{active['person_key'].nunique():,}"),
        ("views.findings", f"{len(f):,}"),
        ("views.findings_high", f"{int((f['severity'] == 'high').sum()):,}" if len(f) else "0"),
        ("views.overpaid", fmt_vnd(over, lang)),
        ("views.underpaid", fmt_vnd(under, lang)),
        ("views.checks_not_run", str(sum(1 for s in result.checks if s.status != "run"))),
    ]
    return pd.DataFrame(
        {t("views.label", lang): [t(k, lang) for k, _ in rows], t("views.value", lang): [v for _, v in rows]}
    )


def findings_by_check(result: AuditResult) -> pd.DataFrame:
    """One row per catalogue check: status, number of findings, money at stake."""
    lang = result.lang
    f = result.findings
    amounts = f.groupby("check_id")["amount_vnd"].sum() if len(f) else pd.Series(dtype="int64")
    rows = []
    for s in result.checks:
        status = t("views.run", lang) if s.status == "run" else t("views.not_run", lang) + f" ({s.reason})"
        rows.append(
            {
                t("views.check", lang): s.check_id,
                t("views.status", lang): status,
                t("views.findings", lang): s.findings if s.status == "run" else None,
                t("views.amount", lang): fmt_vnd(int(amounts.get(s.check_id, 0)), lang)
                if s.status == "run"
                else "",
            }
        )
    frame = pd.DataFrame(rows).set_index(t("views.check", lang))
    return frame.astype({t("views.findings", lang): "Int64"})


def findings_table(result: AuditResult, check_id: str | None = None, *, mask: bool = True) -> pd.DataFrame:
    """The findings (of one check, or all) with the columns a reader needs; IDs masked by default."""
    from audit_toolkit.report.files import mask_ids

    f = result.findings if check_id is None else result.findings.loc[result.findings["check_id"] == check_id]
    cols = [
        "finding_id",
        "check_id",
        "severity",
        "national_id",
        "full_name",
        "source",
        "detail",
        "amount_vnd",
        "legal_basis",
    ]
    out = f[cols].copy()
    if mask:
        from audit_toolkit.report.html import mask_text

        out["national_id"] = mask_ids(out["national_id"])
        out["detail"] = out["detail"].map(mask_text)  # IDs quoted inside sentences too
    return out.set_index("finding_id")


def batch_overview(batch: BatchResult) -> pd.DataFrame:
    """Every ward of a batch side by side: people, findings by check, money at stake."""
    rows = []
    for r in batch.results:
        f = r.findings
        row: dict[str, object] = {
            "ward": r.ward.ward_name,
            "ward_code": r.ward.ward_code,
            "people_active": int(r.context.lines.loc[r.context.lines["active_asof"], "person_key"].nunique()),
            "findings": len(f),
            "overpaid_vnd": int(f.loc[f["amount_vnd"] > 0, "amount_vnd"].sum()) if len(f) else 0,
            "underpaid_vnd": int(-f.loc[f["amount_vnd"] < 0, "amount_vnd"].sum()) if len(f) else 0,
        }
        row.update(r.counts_by_check)
        rows.append(row)
    for name, error in batch.errors.items():
        rows.append({"ward": name, "error": error})
    return pd.DataFrame(rows)


class SVGChart:
    """A chart as inline SVG that notebooks display as an image (``_repr_svg_``), no IPython needed."""

    def __init__(self, svg: str, title: str = "") -> None:
        self.svg = svg
        self.title = title

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_html_(self) -> str:
        heading = f"<h4>{html.escape(self.title)}</h4>" if self.title else ""
        return f'<figure style="margin:1rem 0">{heading}{self.svg}</figure>'


class Charts(list[SVGChart]):
    """Several charts shown one after another in a notebook cell."""

    def _repr_html_(self) -> str:
        return "".join(c._repr_html_() for c in self)


def figures(result: AuditResult) -> Charts:
    """The report's charts (findings and money by check, categories vs report, ages, monthly payments)."""
    from audit_toolkit.report.html import _charts, active_by_category, check_overview

    charts = _charts(result, check_overview(result), active_by_category(result))
    keys = ("findings_by_check", "money_by_check", "by_category", "age", "paid_by_month")
    return Charts(SVGChart(charts[k], t(f"report.charts.{k}", result.lang)) for k in keys if charts.get(k))


def cross_ward_table(batch: BatchResult, *, mask: bool = True) -> pd.DataFrame:
    """People listed in several wards of a batch (IDs masked by default)."""
    from audit_toolkit.report.files import mask_ids

    f = batch.cross_ward[["national_id", "full_name", "source", "detail", "amount_vnd"]].copy()
    if mask:
        from audit_toolkit.report.html import mask_text

        f["national_id"] = mask_ids(f["national_id"])
        f["detail"] = f["detail"].map(mask_text)
    return f.reset_index(drop=True)


def batch_figures(batch: BatchResult) -> Charts:
    """Findings and money at stake per ward, as charts."""
    from audit_toolkit.report import charts as ch

    overview = batch_overview(batch)
    overview = overview.loc[overview.get("error", pd.Series(index=overview.index, dtype=object)).isna()]
    lang = batch.results[0].lang if batch.results else "vi"
    findings = pd.Series(overview["findings"].to_numpy(dtype="int64"), index=overview["ward"])
    over = pd.Series(overview["overpaid_vnd"].to_numpy(dtype="float64"), index=overview["ward"])
    under = pd.Series(overview["underpaid_vnd"].to_numpy(dtype="float64"), index=overview["ward"])
    out = Charts()
    svg = ch.bar_chart(findings, title=t("views.chart.findings_by_ward", lang))
    if svg:
        out.append(SVGChart(svg, t("views.chart.findings_by_ward", lang)))
    svg = ch.signed_bars(
        over,
        under,
        title=t("views.chart.money_by_ward", lang),
        over_label=t("report.charts.overpaid", lang),
        under_label=t("report.charts.underpaid", lang),
        unit_label=t("report.charts.million", lang),
    )
    if svg:
        out.append(SVGChart(svg, t("views.chart.money_by_ward", lang)))
    return out


def follow_up_table(comparison: Comparison, *, mask: bool = True) -> pd.DataFrame:
    """Findings of two audits with their status (new / open / resolved); IDs masked by default."""
    from audit_toolkit.report.files import mask_ids
    from audit_toolkit.report.html import mask_text

    cols = [
        "finding_id",
        "ward",
        "status",
        "check_id",
        "national_id",
        "full_name",
        "amount_then",
        "amount_now",
        "detail",
    ]
    out = comparison.findings[cols].copy()
    if mask:
        out["national_id"] = mask_ids(out["national_id"])
        out["detail"] = out["detail"].map(mask_text)
    return out.set_index("finding_id")
