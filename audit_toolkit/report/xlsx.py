"""findings.xlsx: the ward's working file for following up the findings.

A summary sheet (ward, period, counts and money by check, checks not run), one sheet per check that
has findings, and the field-visit sample. Every sheet has a frozen header, an autofilter and column
widths that fit; amounts are numbers in a VND format, dates are dates, IDs are text (leading zeros
kept, never masked: the ward corrects its records from this file). Three empty columns take the
ward's response. A text cell that a spreadsheet would read as a formula is neutralised.

Example:
    >>> write_xlsx(result, Path("reports/01843/findings.xlsx"))  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from copy import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from audit_toolkit.errors import AuditToolkitError
from audit_toolkit.messages import fmt_month, t
from audit_toolkit.report.files import atomic_path, neutralise

if TYPE_CHECKING:
    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from audit_toolkit.audit import AuditResult

__all__ = ["DATE_FORMAT", "VND_FORMAT", "for_workbook", "sheet_title", "write_xlsx", "write_xlsx_elsewhere"]

#: Whole đồng with thousands separators; negatives (money owed to the person) in red.
VND_FORMAT = '#,##0" ₫";[Red]-#,##0" ₫"'
DATE_FORMAT = "dd/mm/yyyy"
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BAD_TITLE = re.compile(r"[\\/?*\[\]:']")
_HEADER_FILL = "FFE4E7EC"
_RESPONSE_FILL = "FFFFF8E1"


def sheet_title(text: str, taken: Sequence[str] = ()) -> str:
    """A valid, unique worksheet name: no ``\\ / ? * [ ] : '``, at most 31 characters."""
    base = _BAD_TITLE.sub("_", str(text)).strip() or "Sheet"
    base = base[:31]
    title, n = base, 1
    lowered = {x.lower() for x in taken}
    while title.lower() in lowered:
        n += 1
        suffix = f"~{n}"
        title = base[: 31 - len(suffix)] + suffix
    return title


def _text(value: Any) -> Any:
    """A cell value: missing → None, text cleaned of XML-illegal characters and neutralised."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, str):
        return neutralise(_ILLEGAL.sub("", value))
    return value


def _sex(value: Any, lang: str) -> str | None:
    return t(f"report.sex.{value}", lang) if value in ("M", "F") else None


#: Named cell styles of the header rows: the checks' columns, and the ward's response columns.
_HEADER_STYLES = {"audit header": _HEADER_FILL, "audit response header": _RESPONSE_FILL}


def _header_style(wb: Any, name: str) -> str:
    """``name``, registered in ``wb`` on first use: bold, wrapped, top-aligned, on its fill colour.

    A named style is set on a cell in one assignment; setting font, alignment and fill one by one
    looks each up in the workbook's style tables (≈ 3 ms a ward for its header rows).
    """
    if name not in wb.named_styles:
        from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill

        fill = _HEADER_STYLES[name]
        wb.add_named_style(
            NamedStyle(
                name=name,
                font=Font(bold=True),
                alignment=Alignment(wrap_text=True, vertical="top"),
                fill=PatternFill("solid", start_color=fill, end_color=fill),
            )
        )
    return name


def _header(ws: Worksheet, names: Sequence[str], *, response_from: int | None = None) -> None:
    ws.append(list(names))
    wb = ws.parent
    for i, cell in enumerate(ws[1], start=1):
        response = response_from is not None and i >= response_from
        cell.style = _header_style(wb, "audit response header" if response else "audit header")


def _finish(ws: Worksheet, widths: Sequence[float], *, rows: int) -> None:
    from openpyxl.utils import get_column_letter

    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    last = get_column_letter(len(widths))
    ws.auto_filter.ref = f"A1:{last}{max(rows + 1, 1)}"


def _fit(values: pd.Series, header: str, *, lo: float = 6, hi: float = 60) -> float:
    """A column width that fits the header and most values (90th percentile of the text length)."""
    lengths = values.astype(str).str.len() if len(values) else pd.Series([0])
    typical = float(np.percentile(lengths.to_numpy(dtype=float), 90)) if len(lengths) else 0.0
    return float(min(hi, max(lo, len(header) * 0.9 + 2, typical + 2)))


def _check_sheet(wb: Workbook, title: str, findings: pd.DataFrame, lang: str) -> None:
    from openpyxl.styles import Alignment
    from openpyxl.worksheet.datavalidation import DataValidation

    ws = wb.create_sheet(title)
    names = [
        t("report.col.no", lang),
        t("report.col.finding_id", lang),
        t("report.col.severity", lang),
        t("report.col.national_id", lang),
        t("report.col.full_name", lang),
        t("report.col.category", lang),
        t("report.col.source", lang),
        t("report.col.detail", lang),
        t("report.col.amount_vnd", lang),
        t("report.col.legal_basis", lang),
        t("report.col.ward", lang),
        t("report.col.response_result", lang),
        t("report.col.response_action", lang),
        t("report.col.response_date", lang),
    ]
    _header(ws, names, response_from=12)
    severity = findings["severity"].fillna("").map(lambda s: t(f"report.severity.{s}", lang) if s else "")
    amounts = pd.to_numeric(findings["amount_vnd"], errors="coerce").fillna(0).astype("int64")
    columns = [
        findings["finding_id"],
        severity,
        findings["national_id"],
        findings["full_name"],
        findings["category"],
        findings["source"],
        findings["detail"],
    ]
    records = zip(
        *(c.tolist() for c in columns),
        amounts.tolist(),
        findings["legal_basis"].tolist(),
        findings["ward"].tolist(),
        strict=True,
    )
    for no, (fid, sev, nid, name, cat, src, detail, amount, legal, ward) in enumerate(records, start=1):
        ws.append(
            [
                no,
                _text(fid),
                _text(sev),
                _text(nid),
                _text(name),
                _text(cat),
                _text(src),
                _text(detail),
                int(amount),
                _text(legal),
                _text(ward),
                None,
                None,
                None,
            ]
        )
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    rows = ws.iter_rows(min_row=2, max_row=len(findings) + 1)
    first = next(rows, None)
    if first is not None:
        for cell in first:
            cell.alignment = top
        first[3].number_format = "@"  # IDs stay text: leading zeros kept, no scientific notation
        first[6].alignment = wrap
        first[7].alignment = wrap
        first[8].number_format = VND_FORMAT
        first[9].alignment = wrap
        first[13].number_format = DATE_FORMAT
        # Every other row is formatted like the first. Copying the cell's style record skips
        # openpyxl's lookup of each assigned style object in the workbook's style tables (a hash
        # of the whole object per assignment: most of the sheet's build time); same file.
        styles = [cell._style for cell in first]
        for row in rows:
            for cell, style in zip(row, styles, strict=True):
                cell._style = copy(style)
    if len(findings):
        valid = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True)
        valid.error = t("report.col.response_date", lang) + ": dd/mm/yyyy"
        ws.add_data_validation(valid)
        valid.add(f"N2:N{len(findings) + 1}")
    widths = [
        6,
        16,
        11,
        16,
        _fit(findings["full_name"], names[4], hi=30),
        8,
        _fit(findings["source"], names[6], hi=28),
        70,
        16,
        40,
        10,
        28,
        28,
        14,
    ]
    _finish(ws, widths, rows=len(findings))


def _summary_sheet(
    wb: Workbook, result: AuditResult, titles: dict[str, str], overview: list[dict[str, Any]]
) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.hyperlink import Hyperlink

    lang = result.lang
    ws = wb.active
    if ws is None:  # a new openpyxl Workbook always has one sheet
        raise AuditToolkitError("Bug: the new workbook has no active sheet; please report it")
    ws.title = sheet_title(t("report.xlsx.summary_sheet", lang))
    ward = result.ward
    bold = Font(bold=True)
    findings = result.findings
    amounts = pd.to_numeric(findings["amount_vnd"], errors="coerce").fillna(0)
    ws.append([t("report.heading", lang)])
    ws["A1"].font = Font(bold=True, size=14)
    facts: list[tuple[str, Any, str | None]] = [
        (t("report.header.ward", lang), ward.ward_name, None),
        (t("report.header.ward_code", lang), ward.ward_code or "", "@"),
        (
            t("report.header.province", lang),
            " ".join(p for p in (ward.province_name, ward.province_code) if p),
            None,
        ),
        (
            t("report.header.period", lang),
            t(
                "report.header.period_value",
                lang,
                start=fmt_month(result.period_start, lang),
                end=fmt_month(result.period_end, lang),
            ),
            None,
        ),
        (t("report.header.as_of", lang), result.as_of.to_pydatetime(), DATE_FORMAT),
        (
            t("report.xlsx.generated", lang),
            result.finished_at.astimezone().replace(tzinfo=None),
            "dd/mm/yyyy hh:mm",
        ),
        (t("report.key.findings", lang), int(len(findings)), "0"),
        (t("report.key.overpaid", lang), int(amounts.clip(lower=0).sum()), VND_FORMAT),
        (t("report.key.underpaid", lang), int(-amounts.clip(upper=0).sum()), VND_FORMAT),
    ]
    for label, value, fmt in facts:
        ws.append([_text(label), _text(value)])
        ws.cell(ws.max_row, 1).font = bold
        if fmt:
            ws.cell(ws.max_row, 2).number_format = fmt
            ws.cell(ws.max_row, 2).alignment = Alignment(horizontal="left")
    ws.append([])
    ws.append([t("report.xlsx.instructions", lang)])
    ws.append([])
    ws.append([t("report.xlsx.by_check_heading", lang)])
    ws.cell(ws.max_row, 1).font = Font(bold=True, size=12)
    head = [
        t("report.col.check", lang),
        "check_id",
        t("report.col.severity", lang),
        t("report.col.status", lang),
        t("report.col.count", lang),
        t("report.col.overpaid", lang),
        t("report.col.underpaid", lang),
    ]
    ws.append(head)
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = bold
    for row in overview:
        status = (
            t("report.status.run", lang)
            if row["run"]
            else t("report.status.not_run", lang) + ": " + row["reason"]
        )
        ws.append(
            [
                _text(row["title"]),
                row["check_id"],
                _text(row["severity_label"]),
                _text(status),
                row["count"] if row["run"] else None,
                row["overpaid"],
                row["underpaid"],
            ]
        )
        r = ws.max_row
        ws.cell(r, 6).number_format = VND_FORMAT
        ws.cell(r, 7).number_format = VND_FORMAT
        if row["check_id"] in titles:
            # An in-workbook link to the check's sheet (no external reference).
            cell = ws.cell(r, 1)
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{titles[row['check_id']]}'!A1")
            ws.cell(r, 1).style = "Hyperlink"
    not_run = [r for r in overview if not r["run"]]
    if not_run:
        ws.append([])
        ws.append([t("report.xlsx.not_run_heading", lang)])
        ws.cell(ws.max_row, 1).font = Font(bold=True, size=12)
        ws.append([t("report.col.check", lang), "check_id", t("report.col.reason", lang)])
        for cell in ws[ws.max_row]:
            cell.font = bold
        for row in not_run:
            ws.append([_text(row["title"]), row["check_id"], _text(row["reason"])])
    for letter, width in zip("ABCDEFG", (52, 24, 12, 40, 12, 18, 18), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A{header_row}:G{header_row + len(overview)}"


def _sample_sheet(wb: Workbook, sample: pd.DataFrame, lang: str, title: str) -> None:
    from openpyxl.styles import Alignment

    ws = wb.create_sheet(title)
    names = [
        t("report.col.no", lang),
        t("report.col.national_id", lang),
        t("report.col.full_name", lang),
        t("report.col.birth_date", lang),
        t("report.col.sex", lang),
        t("report.col.address", lang),
        t("report.col.household_id", lang),
        t("report.col.category", lang),
        t("report.col.reason", lang),
        t("report.col.checks", lang),
        t("report.col.source", lang),
        t("report.col.response_result", lang),
        t("report.col.response_date", lang),
    ]
    _header(ws, names, response_from=12)
    # The row styles, by whether the birth cell is a date (else a year or empty): the first row of
    # each kind is formatted through openpyxl's API, the others get a copy of its cells' style
    # records (as in _check_sheet: same file, without a style-table lookup per assignment).
    row_styles: dict[bool, list[StyleArray]] = {}
    for no, rec in enumerate(sample.to_dict("records"), start=1):
        born = rec.get("birth_date")
        if born is None or pd.isna(born):
            born_cell: Any = None
        elif bool(rec.get("birth_date_year_only")) is True:
            born_cell = int(pd.Timestamp(born).year)  # a year-only birth date stays a year, not 1 January
        else:
            born_cell = pd.Timestamp(born).to_pydatetime()
        ws.append(
            [
                no,
                _text(rec.get("national_id")),
                _text(rec.get("full_name")),
                born_cell,
                _text(_sex(rec.get("sex"), lang)),
                _text(rec.get("address")),
                _text(rec.get("household_id")),
                _text(rec.get("category")),
                _text(t(f"report.sample.reason.{rec.get('reason')}", lang)),
                _text(rec.get("checks")),
                _text(rec.get("source")),
                None,
                None,
            ]
        )
        r = no + 1  # the header is row 1 (ws.max_row would scan every cell: quadratic)
        is_date = isinstance(born_cell, dt.datetime)
        styles = row_styles.get(is_date)
        if styles is not None:
            for c, style in enumerate(styles, start=1):
                ws.cell(r, c)._style = copy(style)
            continue
        ws.cell(r, 2).number_format = "@"
        ws.cell(r, 7).number_format = "@"
        ws.cell(r, 4).number_format = DATE_FORMAT if is_date else "0"
        ws.cell(r, 13).number_format = DATE_FORMAT
        for c in (6, 10, 11):
            ws.cell(r, c).alignment = Alignment(wrap_text=True, vertical="top")
        row_styles[is_date] = [ws.cell(r, c)._style for c in range(1, len(names) + 1)]
    _finish(ws, [6, 16, 26, 12, 9, 30, 14, 9, 22, 24, 24, 28, 14], rows=len(sample))


def write_xlsx(
    result: AuditResult,
    path: str | Path,
    *,
    sample: pd.DataFrame | None = None,
    sample_size: int = 10,
    seed: int = 0,
    overview: list[dict[str, Any]] | None = None,
) -> Path:
    """Write ``findings.xlsx`` atomically.

    Args:
        result: what :func:`audit_toolkit.run_audit` returned.
        path: the file to write.
        sample: the field-visit sample (drawn with ``sample_size`` and ``seed`` when not given).
        sample_size: people drawn at random for the field-visit sample.
        seed: seed of the draw.
        overview: :func:`audit_toolkit.report.html.check_overview` of ``result``, when already made.

    Returns:
        The path written.

    Example:
        >>> write_xlsx(result, "reports/01843/findings.xlsx")  # doctest: +SKIP
    """
    from openpyxl import Workbook

    from audit_toolkit.report.html import check_overview
    from audit_toolkit.sampling import field_visit_sample

    lang = result.lang
    if sample is None:
        sample = field_visit_sample(result, result.findings, n=sample_size, seed=seed)
    if overview is None:
        overview = check_overview(result)
    wb = Workbook()
    taken = [t("report.xlsx.summary_sheet", lang), t("report.xlsx.sample_sheet", lang)]
    titles: dict[str, str] = {}
    groups = {str(cid): frame for cid, frame in result.findings.groupby("check_id", sort=False)}
    for row in overview:
        if row["check_id"] in groups:
            titles[row["check_id"]] = sheet_title(row["check_id"], taken + list(titles.values()))
    # Findings of a check id outside the catalogue (should not happen) still get a sheet.
    for cid in groups:
        if cid not in titles:
            titles[cid] = sheet_title(str(cid), taken + list(titles.values()))
    _summary_sheet(wb, result, titles, overview)
    for cid, title in titles.items():
        _check_sheet(wb, title, groups[cid], lang)
    _sample_sheet(wb, sample, lang, sheet_title(t("report.xlsx.sample_sheet", lang), list(titles.values())))
    target = Path(path)
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target


def for_workbook(result: AuditResult) -> AuditResult:
    """A copy of ``result`` with only what :func:`write_xlsx` reads when given the sample and the
    overview: the ward's name and codes, the findings, the period and the times. Small enough to
    send to another process (a province's tables and audit context are left out).
    """
    import dataclasses

    ward = dataclasses.replace(
        result.ward, tables={}, unreadable=result.ward.unreadable.iloc[:0], sources=[], undated=None
    )
    return dataclasses.replace(result, ward=ward, context=None, quality=None)  # type: ignore[arg-type]


def write_xlsx_elsewhere(
    result: AuditResult,
    path: str,
    sample: pd.DataFrame,
    sample_size: int,
    seed: int,
    overview: list[dict[str, Any]],
) -> str:
    """:func:`write_xlsx` in a helper process, of a :func:`for_workbook` copy; returns the path."""
    return str(write_xlsx(result, path, sample=sample, sample_size=sample_size, seed=seed, overview=overview))
