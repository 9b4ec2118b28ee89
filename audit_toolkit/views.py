"""Tables for people to read in a notebook: key figures, findings by check, findings per check.

Each view returns a :class:`Table`: a pandas frame whose headings and cells are already in the report
language (amounts formatted, severities and not-run reasons as sentences of the catalogue), which a
notebook displays without the frame's index and with empty cells left empty (never ``<NA>``,
``nan`` or ``None``). The frame itself is ``table.frame``. No Jupyter import here. National IDs are
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
from audit_toolkit.roster import roster_summary

if TYPE_CHECKING:
    from audit_toolkit.audit import AuditResult, BatchResult
    from audit_toolkit.compare import Comparison

__all__ = [
    "Charts",
    "SVGChart",
    "Table",
    "batch_figures",
    "batch_overview",
    "cross_ward_table",
    "figures",
    "findings_by_check",
    "findings_table",
    "follow_up_table",
    "follow_up_wards",
    "key_figures",
    "name_matching",
]


class Table:
    """A table for people: display headings and text cells, shown without index and without NA marks.

    Attributes:
        frame: the table as a pandas frame (headings in the report language, a plain RangeIndex).
        empty_text: what to show instead of a table without rows (a sentence of the catalogue).
        long: headings of the columns holding long text (sentences, row lists): they take the width
            and wrap, the other columns keep their words whole.
        caption: a sentence shown above the table (and alone when the table is empty).
    """

    def __init__(
        self, frame: pd.DataFrame, *, empty_text: str = "", long: tuple[str, ...] = (), caption: str = ""
    ) -> None:
        self.frame = frame.reset_index(drop=True)
        self.empty_text = empty_text
        self.long = long
        self.caption = caption

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        lead = f"{self.caption}\n" if self.caption else ""
        if self.frame.empty:
            return (lead + self.empty_text).strip()
        return lead + self.frame.to_string(index=False, na_rep="")

    def _repr_html_(self) -> str:
        lead = f"<p>{html.escape(self.caption)}</p>" if self.caption else ""
        if self.frame.empty:
            return lead + (f"<p>{html.escape(self.empty_text)}</p>" if self.empty_text else "")
        # Written out rather than DataFrame.to_html, which always prints the index heading row and
        # has no per-column class; a notebook shows at most a ward's findings, so this loop is small.
        kinds = ["long" if str(c) in self.long else "short" for c in self.frame.columns]
        head = "".join(
            f'<th class="{k}">{html.escape(str(c))}</th>'
            for c, k in zip(self.frame.columns, kinds, strict=True)
        )
        cells = self.frame.astype("object").where(self.frame.notna(), "")
        body = "".join(
            "<tr>"
            + "".join(f'<td class="{k}">{html.escape(str(v))}</td>' for v, k in zip(row, kinds, strict=True))
            + "</tr>"
            for row in cells.itertuples(index=False, name=None)
        )
        # Wide tables scroll inside their own frame instead of widening the exported page.
        return lead + (
            '<div class="table-scroll" style="overflow-x:auto;max-width:100%">'
            f'<table class="audit-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
        )


def _text(values: pd.Series) -> pd.Series:
    """Cells as text, missing values as empty strings (never ``<NA>``/``nan``/``None``)."""
    return values.astype("object").where(values.notna(), "").astype("str")


def _money(values: pd.Series, lang: str) -> list[str]:
    return [fmt_vnd(v, lang) if pd.notna(v) else "" for v in values.tolist()]


def _sources(values: pd.Series) -> list[str]:
    """Source rows grouped by table and shortened as in report.html (the full list is in findings.csv)."""
    from audit_toolkit.report.html import compact_source

    return [compact_source(v) for v in values.tolist()]


def _severity(values: pd.Series, lang: str) -> list[str]:
    return [t(f"report.severity.{v}", lang) if v else "" for v in _text(values).tolist()]


def key_figures(result: AuditResult) -> Table:
    """The audit's key figures as a two-column table (label, value) in the report language."""
    lang = result.lang
    roster = roster_summary(result)
    lines = roster.lines
    f = result.findings
    over = int(f.loc[f["amount_vnd"] > 0, "amount_vnd"].sum()) if len(f) else 0
    under = int(-f.loc[f["amount_vnd"] < 0, "amount_vnd"].sum()) if len(f) else 0
    without_id = roster.lines_without_id
    rows = [
        ("views.ward", result.ward.ward_name),
        ("views.period", f"{month_label(result.period_start)} – {month_label(result.period_end)}"),
        ("views.as_of", result.as_of.strftime("%d/%m/%Y")),
        ("views.lines", f"{len(lines):,}"),
        ("matching.lines_without_id", f"{without_id:,}"),
        ("views.people_active", f"{roster.people_active:,}"),
        ("views.findings", f"{len(f):,}"),
        ("views.findings_high", f"{int((f['severity'] == 'high').sum()):,}" if len(f) else "0"),
        ("views.overpaid", fmt_vnd(over, lang)),
        ("views.underpaid", fmt_vnd(under, lang)),
        ("views.checks_not_run", str(sum(1 for s in result.checks if s.status != "run"))),
    ]
    return Table(
        pd.DataFrame(
            {
                t("views.label", lang): [t(k, lang) for k, _ in rows],
                t("views.value", lang): [v for _, v in rows],
            }
        )
    )


def findings_by_check(result: AuditResult) -> Table:
    """One row per catalogue check: status (or why not run, in words), findings, money, matching."""
    from audit_toolkit.report.matching import NOT_ABOUT_PEOPLE, name_matching

    lang = result.lang
    f = result.findings
    amounts = f.groupby("check_id")["amount_vnd"].sum() if len(f) else pd.Series(dtype="int64")
    matching = name_matching(result)
    on_name = matching.by_check()
    rows = []
    for s in result.checks:
        run = s.status == "run"
        if not run or s.check_id in NOT_ABOUT_PEOPLE:
            status = t("views.not_run", lang) + (f": {s.reason.text(lang)}" if s.reason else "")
            matched = ""
        elif s.check_id not in on_name:
            matched = t("matching.on_id", lang)
        elif matching.no_ids:
            matched = t("matching.on_name", lang)
        else:
            matched = t("matching.on_name_some", lang, count=on_name[s.check_id])
        rows.append(
            {
                t("display.check_code", lang): s.check_id,
                t("report.col.check", lang): t(f"report.check.{s.check_id}.title", lang),
                t("views.status", lang): t("views.run", lang) if run else status,
                t("views.findings", lang): f"{s.findings:,}" if run else "",
                t("views.amount", lang): fmt_vnd(int(amounts.get(s.check_id, 0)), lang) if run else "",
                t("matching.col.matching", lang): matched,
            }
        )
    long = (t("report.col.check", lang), t("views.status", lang))
    return Table(pd.DataFrame(rows), long=long)


def name_matching(result: AuditResult) -> Table:
    """Which checks ran on name matching (people without a valid ID), under the sentence that says so."""
    from audit_toolkit.report.matching import name_matching as summarise

    lang = result.lang
    m = summarise(result)
    frame = pd.DataFrame(
        {
            t("display.check_code", lang): [c.check_id for c in m.checks],
            t("report.col.check", lang): [c.title for c in m.checks],
            t("views.findings", lang): [f"{c.findings:,}" for c in m.checks],
            t("matching.col.by_name", lang): [f"{c.by_name:,}" for c in m.checks],
        }
    )
    return Table(frame, caption=m.sentence(lang))


def findings_table(result: AuditResult, check_id: str | None = None, *, mask: bool = True) -> Table:
    """The findings (of one check, or all) with the columns a reader needs; IDs masked by default."""
    from audit_toolkit.report.files import mask_ids

    lang = result.lang
    f = result.findings if check_id is None else result.findings.loc[result.findings["check_id"] == check_id]
    ids = _text(f["national_id"])
    detail = _text(f["detail"])
    if mask and len(f):
        from audit_toolkit.report.html import mask_text

        ids = mask_ids(ids)
        detail = detail.map(mask_text)  # IDs quoted inside sentences too
    out = pd.DataFrame(
        {
            t("report.col.finding_id", lang): _text(f["finding_id"]).to_numpy(),
            t("display.check_code", lang): _text(f["check_id"]).to_numpy(),
            t("report.col.severity", lang): _severity(f["severity"], lang),
            t("report.col.national_id", lang): _text(ids).to_numpy(),
            t("report.col.full_name", lang): _text(f["full_name"]).to_numpy(),
            t("report.col.source", lang): _sources(f["source"]),
            t("report.col.detail", lang): detail.to_numpy(),
            t("report.col.amount_vnd", lang): _money(f["amount_vnd"], lang),
            t("report.col.legal_basis", lang): _text(f["legal_basis"]).to_numpy(),
        }
    )
    long = tuple(t(f"report.col.{c}", lang) for c in ("source", "detail", "legal_basis"))
    return Table(out, empty_text=t("report.status.clean", lang), long=long)


def batch_overview(batch: BatchResult) -> Table:
    """Every ward of a batch side by side: people, findings, money at stake; unreadable wards last."""
    lang = _batch_lang(batch)
    rows: list[dict[str, object]] = []
    for r in batch.results:
        f = r.findings
        rows.append(
            {
                t("report.col.ward", lang): r.ward.ward_name,
                t("display.ward_code", lang): r.ward.ward_code or "",
                t("report.col.beneficiaries", lang): f"{roster_summary(r).people_active:,}",
                t("report.col.findings", lang): f"{len(f):,}",
                t("report.severity.high", lang): f"{int((f['severity'] == 'high').sum()):,}"
                if len(f)
                else "0",
                t("report.col.overpaid", lang): fmt_vnd(
                    int(f.loc[f["amount_vnd"] > 0, "amount_vnd"].sum()) if len(f) else 0, lang
                ),
                t("report.col.underpaid", lang): fmt_vnd(
                    int(-f.loc[f["amount_vnd"] < 0, "amount_vnd"].sum()) if len(f) else 0, lang
                ),
                t("report.col.error", lang): "",
            }
        )
    for name, error in sorted(batch.errors.items()):
        rows.append({t("report.col.ward", lang): name, t("report.col.error", lang): error})
    frame = pd.DataFrame(rows)
    if not batch.errors:
        frame = frame.drop(columns=[t("report.col.error", lang)], errors="ignore")
    return Table(frame.fillna(""))


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
    from audit_toolkit.report.charts import report_charts
    from audit_toolkit.report.html import active_by_category, check_overview

    charts = report_charts(result, check_overview(result), active_by_category(result))
    keys = ("findings_by_check", "money_by_check", "by_category", "age", "paid_by_month")
    return Charts(SVGChart(charts[k], t(f"report.charts.{k}", result.lang)) for k in keys if charts.get(k))


def cross_ward_table(batch: BatchResult, *, mask: bool = True) -> Table:
    """People listed in several wards of a batch (IDs masked by default), or why that was not checked."""
    from audit_toolkit.report.files import mask_ids

    lang = _batch_lang(batch)
    f = batch.cross_ward
    ids = _text(f["national_id"]) if len(f) else pd.Series(dtype="str")
    detail = _text(f["detail"]) if len(f) else pd.Series(dtype="str")
    if mask and len(f):
        from audit_toolkit.report.html import mask_text

        ids = mask_ids(ids)
        detail = detail.map(mask_text)
    out = pd.DataFrame(
        {
            t("report.col.national_id", lang): _text(ids).to_numpy(),
            t("report.col.full_name", lang): _text(f["full_name"]).to_numpy() if len(f) else [],
            t("report.col.source", lang): _sources(f["source"]) if len(f) else [],
            t("report.col.detail", lang): detail.to_numpy(),
            t("report.col.amount_vnd", lang): _money(f["amount_vnd"], lang) if len(f) else [],
        }
    )
    status = batch.cross_ward_status
    if status.status != "run":
        empty = t(
            "report.summary.cross_not_run", lang, reason=status.reason.text(lang) if status.reason else ""
        )
    else:
        empty = t("report.summary.cross_none", lang)
    long = (t("report.col.source", lang), t("report.col.detail", lang))
    return Table(out, empty_text=empty, long=long)


def _batch_lang(batch: BatchResult) -> str:
    return batch.results[0].lang if batch.results else str(batch.parameters.get("lang") or "vi")


def batch_figures(batch: BatchResult) -> Charts:
    """Findings and money at stake per ward, as charts."""
    from audit_toolkit.report import charts as ch

    lang = _batch_lang(batch)
    names = [r.ward.ward_name for r in batch.results]
    amounts = [r.findings["amount_vnd"] for r in batch.results]
    findings = pd.Series([len(r.findings) for r in batch.results], index=names, dtype="int64")
    over = pd.Series([float(a[a > 0].sum()) for a in amounts], index=names, dtype="float64")
    under = pd.Series([float(-a[a < 0].sum()) for a in amounts], index=names, dtype="float64")
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


def follow_up_table(comparison: Comparison, *, mask: bool = True, lang: str = "vi") -> Table:
    """Findings of two audits with their status (new / open / resolved); IDs masked by default."""
    from audit_toolkit.report.files import mask_ids
    from audit_toolkit.report.html import mask_text

    f = comparison.findings
    ids = _text(f["national_id"])
    detail = _text(f["detail"])
    if mask and len(f):
        ids = mask_ids(ids)
        detail = detail.map(mask_text)
    out = pd.DataFrame(
        {
            t("report.col.finding_id", lang): _text(f["finding_id"]).to_numpy(),
            t("report.col.ward", lang): _text(f["ward"]).to_numpy(),
            t("followup.status", lang): [
                t(f"followup.status.{v}", lang) for v in _text(f["status"]).tolist()
            ],
            t("display.check_code", lang): _text(f["check_id"]).to_numpy(),
            t("report.col.national_id", lang): _text(ids).to_numpy(),
            t("report.col.full_name", lang): _text(f["full_name"]).to_numpy(),
            t("followup.amount_then", lang): _money(f["amount_then"], lang),
            t("followup.amount_now", lang): _money(f["amount_now"], lang),
            t("report.col.detail", lang): detail.to_numpy(),
        }
    )
    return Table(out, empty_text=t("report.status.clean", lang), long=(t("report.col.detail", lang),))


def follow_up_wards(comparison: Comparison, *, lang: str = "vi") -> Table:
    """Per ward and status (new / open / resolved): findings and money then and now."""
    w = comparison.by_ward
    out = pd.DataFrame(
        {
            t("report.col.ward", lang): _text(w["ward"]).to_numpy(),
            t("followup.status", lang): [
                t(f"followup.status.{v}", lang) for v in _text(w["status"]).tolist()
            ],
            t("report.col.findings", lang): [f"{int(v):,}" for v in w["findings"].tolist()],
            t("followup.amount_then", lang): _money(w["amount_then"], lang),
            t("followup.amount_now", lang): _money(w["amount_now"], lang),
        }
    )
    return Table(out, empty_text=t("report.status.clean", lang))
