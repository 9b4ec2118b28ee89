"""The follow-up report: follow_up.html and follow_up.xlsx from a :class:`~audit_toolkit.compare.Comparison`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, SupportsInt, cast

from audit_toolkit.messages import fmt_vnd, t
from audit_toolkit.report.files import atomic_path, atomic_write_text, mask_ids, neutralise
from audit_toolkit.report.html import environment, mask_text, translator

if TYPE_CHECKING:
    from audit_toolkit.compare import Comparison

__all__ = ["render_follow_up", "write_follow_up"]


def render_follow_up(comparison: Comparison, *, lang: str = "vi", mask: bool = True) -> str:
    """The follow-up page as self-contained HTML (IDs masked unless ``mask=False``)."""
    from audit_toolkit import __version__

    f = comparison.findings
    ids = mask_ids(f["national_id"]) if mask else f["national_id"]
    details = f["detail"].map(mask_text) if mask else f["detail"]
    rows = [
        {
            "ward": w,
            "status_key": s,
            "status": t(f"followup.status.{s}", lang),
            "check_id": c,
            "national_id": i,
            "full_name": n,
            "detail": d,
            "amount_then": int(a),
            "amount_now": int(b),
        }
        for w, s, c, i, n, d, a, b in zip(
            f["ward"],
            f["status"],
            f["check_id"],
            ids,
            f["full_name"],
            details,
            f["amount_then"],
            f["amount_now"],
            strict=True,
        )
    ]
    statuses = []
    for s in ("open", "resolved", "new"):
        part = f.loc[f["status"] == s]
        amount = part["amount_now"].sum() if s != "resolved" else part["amount_then"].sum()
        statuses.append({"label": t(f"followup.status.{s}", lang), "count": len(part), "amount": int(amount)})
    # itertuples types every field as any scalar; these by-ward columns are numeric.
    by_ward = [
        {
            "ward": r.ward,
            "status": t(f"followup.status.{r.status}", lang),
            "findings": int(cast(SupportsInt, r.findings)),
            "amount_then": int(cast(SupportsInt, r.amount_then)),
            "amount_now": int(cast(SupportsInt, r.amount_now)),
        }
        for r in comparison.by_ward.itertuples()
    ]
    return (
        environment()
        .get_template("follow_up.html.j2")
        .render(
            lang=lang,
            t=translator(lang),
            vnd=lambda amount: fmt_vnd(amount, lang),
            version=__version__,
            old=str(comparison.old_path),
            new=str(comparison.new_path),
            ran_at=dt.datetime.now().astimezone().strftime("%d/%m/%Y %H:%M"),
            statuses=statuses,
            by_ward=by_ward,
            rows=rows,
        )
    )


def write_follow_up(
    comparison: Comparison, out_dir: str | Path, *, lang: str = "vi", mask: bool = True
) -> tuple[Path, Path]:
    """Write ``follow_up.html`` (shared: IDs masked) and ``follow_up.xlsx`` (working file) into ``out_dir``."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / "follow_up.html"
    atomic_write_text(html_path, render_follow_up(comparison, lang=lang, mask=mask))
    wb = Workbook()
    summary = wb.active
    summary.title = t("followup.sheet.summary", lang)[:31]
    head = [
        t("report.col.ward", lang),
        t("followup.status", lang),
        t("report.col.findings", lang),
        t("followup.amount_then", lang),
        t("followup.amount_now", lang),
    ]
    summary.append(head)
    for r in comparison.by_ward.itertuples():
        summary.append(
            [
                neutralise(r.ward),
                t(f"followup.status.{r.status}", lang),
                int(cast(SupportsInt, r.findings)),
                int(cast(SupportsInt, r.amount_then)),
                int(cast(SupportsInt, r.amount_now)),
            ]
        )
    sheet = wb.create_sheet(t("followup.sheet.findings", lang)[:31])
    cols = [
        "finding_id",
        "ward",
        "status",
        "check_id",
        "national_id",
        "full_name",
        "source",
        "detail",
        "amount_then",
        "amount_now",
    ]
    sheet.append(cols)
    f = comparison.findings
    for rec in f.reindex(columns=cols).fillna("").itertuples(index=False):
        values = list(rec)
        values[2] = t(f"followup.status.{values[2]}", lang)
        sheet.append([neutralise(v) if isinstance(v, str) else int(v) for v in values])
    for ws in (summary, sheet):
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
        for i in range(1, ws.max_column + 1):
            ws.column_dimensions[get_column_letter(i)].width = 18
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, int):
                    cell.number_format = "#,##0"
    xlsx_path = out / "follow_up.xlsx"
    with atomic_path(xlsx_path) as tmp:
        wb.save(tmp)
    return html_path, xlsx_path
