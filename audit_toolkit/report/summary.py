"""summary/index.html: every ward of a batch side by side, self-contained like the ward report.

One row per ward (active beneficiaries, findings by check, money at stake, a relative link to the
ward's ``report.html``), the wards whose input was unusable with their error, the people found in
several wards (``CROSS_WARD_DUPLICATE``, IDs masked unless ``mask=False``), the lines of different
wards that may be one person under mistyped details (``POSSIBLE_DUPLICATE`` across wards, its own
section: a question to verify, not the same finding) and a chart.

Example:
    >>> write_summary_html(batch, Path("reports/summary/index.html"), {"01843": "01843-phuong-a"})  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pandas as pd

from audit_toolkit.messages import fmt_date, fmt_month, fmt_vnd, t
from audit_toolkit.report.common import local_time, who_ran
from audit_toolkit.report.files import atomic_write_text
from audit_toolkit.report.html import (
    environment,
    finding_rows,
    money_totals,
    reason_text,
    translator,
)
from audit_toolkit.roster import roster_summary

if TYPE_CHECKING:
    from audit_toolkit.audit import BatchResult

__all__ = [
    "BATCH_FILE",
    "batch_title",
    "prepare_summary",
    "render_summary_html",
    "ward_rows",
    "write_summary_html",
]

#: Optional file in a batch folder naming the batch (``name: "Thành phố Bắc Kạn"``).
BATCH_FILE = "batch.yml"


def batch_title(batch: BatchResult) -> str:
    """The batch's name for people: ``batch.yml``'s ``name``, else what its wards share, else the folder.

    The wards' shared metadata is their common province name (``province_name`` of every ward.yml);
    a batch whose wards name different provinces, or none, is named after its folder.

    Raises:
        InputError: ``batch.yml`` exists but is not YAML or its ``name`` is not text.

    Example:
        >>> batch_title(run_batch("data/sample", as_of="2023-02-28"))  # doctest: +SKIP
        'Thành phố Bắc Kạn (cũ)'
    """
    import yaml

    from audit_toolkit.errors import InputError

    folder = Path(batch.path)
    meta = folder / BATCH_FILE
    if folder.is_dir() and meta.is_file():
        try:
            data = yaml.safe_load(meta.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise InputError(
                f"Not valid YAML: {exc}", file=meta, fix='Write one line: name: "Thành phố …"'
            ) from exc
        name = data.get("name") if isinstance(data, dict) else None
        if name is not None and not isinstance(name, str):
            raise InputError(
                "The batch name must be text", file=meta, column="name", fix='Quote it: name: "Thành phố …"'
            )
        if name and name.strip():
            return name.strip()
    provinces = {(r.ward.province_name or "").strip() for r in batch.results}
    if len(provinces) == 1 and "" not in provinces:
        return provinces.pop()
    return folder.stem if folder.is_file() else folder.name


def ward_rows(batch: BatchResult, ward_folders: dict[str, str]) -> list[dict[str, Any]]:
    """One display row per audited ward: counts by check, money, and the link to its report.

    Args:
        batch: the batch result.
        ward_folders: ``ward_id`` → the ward's output folder name beside ``summary/``.
    """
    rows = []
    for result in batch.results:
        ward = result.ward
        overpaid, underpaid = money_totals(result.findings)
        folder = ward_folders.get(ward.ward_id)
        rows.append(
            {
                "ward_id": ward.ward_id,
                "name": ward.ward_name,
                "code": ward.ward_code or "",
                # The TOTAL row of active_by_category, read from the roster summary without
                # building the per-category frame (≈ 10 ms a ward, serial in the batch's process).
                "beneficiaries": roster_summary(result).people_active,
                "findings": int(len(result.findings)),
                "high": int((result.findings["severity"] == "high").sum()),
                "by_check": result.counts_by_check,
                "overpaid": overpaid,
                "underpaid": underpaid,
                "href": f"../{quote(folder)}/report.html" if folder else None,
            }
        )
    return rows


_NEAR = "POSSIBLE_DUPLICATE"


def _cross_rows(frame: pd.DataFrame, lang: str, mask: bool) -> list[dict[str, Any]]:
    """Display rows of cross-ward findings, with the wards involved named from their sources."""
    rows = finding_rows(frame, lang, mask=mask) if len(frame) else []
    for row, source in zip(rows, frame.get("source", pd.Series(dtype="str")), strict=False):
        if row["ward"] in ("", "*"):
            # Cross-ward sources read "<ward>/<table>:<row>": name the wards involved.
            wards = dict.fromkeys(s.split("/", 1)[0] for s in str(source).split(";") if "/" in s)
            row["ward"] = ", ".join(wards) or row["ward"]
    return rows


def _legal(frame: pd.DataFrame) -> str:
    """The legal basis of a section's findings (one check per section: the first non-empty one)."""
    return next((str(b) for b in frame.get("legal_basis", pd.Series(dtype="str")) if b), "")


def render_summary_html(batch: BatchResult, ward_folders: dict[str, str], *, mask: bool = True) -> str:
    """The summary page as text (see :func:`write_summary_html`)."""
    from audit_toolkit import __version__
    from audit_toolkit.checks.base import catalogue
    from audit_toolkit.report import charts

    lang = str(batch.parameters.get("lang") or (batch.results[0].lang if batch.results else "vi"))
    tr = translator(lang)
    rows = ward_rows(batch, ward_folders)
    order = [s.check_id for s in catalogue()]
    with_findings = {cid for r in rows for cid, n in r["by_check"].items() if n}
    check_cols = [
        {"check_id": cid, "title": t(f"report.check.{cid}.title", lang)}
        for cid in order
        if cid in with_findings
    ]
    totals = {
        "beneficiaries": sum(r["beneficiaries"] for r in rows),
        "findings": sum(r["findings"] for r in rows),
        "high": sum(r["high"] for r in rows),
        "overpaid": sum(r["overpaid"] for r in rows),
        "underpaid": sum(r["underpaid"] for r in rows),
        "by_check": {
            c["check_id"]: sum(r["by_check"].get(c["check_id"], 0) for r in rows) for c in check_cols
        },
    }
    labels = [r["code"] or r["name"] for r in rows]
    chart_findings = charts.bar_chart(
        pd.Series([r["findings"] for r in rows], index=labels, dtype="int64"),
        title=tr("report.charts.findings_by_check"),
    )
    chart_money = charts.signed_bars(
        pd.Series([r["overpaid"] for r in rows], index=labels, dtype="float64"),
        pd.Series([r["underpaid"] for r in rows], index=labels, dtype="float64"),
        title=tr("report.summary.chart"),
        over_label=tr("report.charts.overpaid"),
        under_label=tr("report.charts.underpaid"),
        unit_label=tr("report.charts.million"),
    )
    status = batch.cross_ward_status
    # The batch's cross-ward findings hold two checks: the same person paid in two wards, and two
    # lines of different wards that may be one person (POSSIBLE_DUPLICATE): each its own section.
    ids = batch.cross_ward.get("check_id", pd.Series(dtype="str"))
    is_near = (ids == _NEAR).to_numpy(dtype=bool)
    cross = batch.cross_ward.loc[~is_near]
    near = batch.cross_ward.loc[is_near]
    cross_rows = _cross_rows(cross, lang, mask)
    near_rows = _cross_rows(near, lang, mask)
    first = batch.results[0] if batch.results else None
    period = ""
    if first is not None:
        period = t(
            "report.header.period_value",
            lang,
            start=fmt_month(first.period_start, lang),
            end=fmt_month(first.period_end, lang),
        )
    user, host = who_ran()
    context = {
        "lang": lang,
        "t": tr,
        "vnd": lambda amount: fmt_vnd(amount, lang),
        "version": __version__,
        "batch_name": batch_title(batch),
        "period": period,
        "as_of": fmt_date(pd.Timestamp(batch.parameters["as_of"]), lang)
        if batch.parameters.get("as_of")
        else "",
        "ran_by": f"{user}@{host}" if user else host,
        "ran_at": local_time(batch.finished_at),
        "mask": mask,
        "wards": rows,
        "check_cols": check_cols,
        "totals": totals,
        "errors": [{"ward": k, "error": v} for k, v in sorted(batch.errors.items())],
        "cross_run": status.status == "run",
        "cross_reason": reason_text(status.reason, lang),
        "cross_rows": cross_rows,
        "cross_title": t("report.check.CROSS_WARD_DUPLICATE.title", lang),
        "cross_explain": t("report.check.CROSS_WARD_DUPLICATE.explain", lang),
        "cross_legal": _legal(cross),
        "near_rows": near_rows,
        "near_title": t(f"report.check.{_NEAR}.title", lang),
        "near_explain": t(f"report.check.{_NEAR}.explain", lang),
        "near_legal": _legal(near),
        "chart_findings": chart_findings,
        "chart_money": chart_money,
    }
    return environment().get_template("summary.html.j2").render(**context)


def prepare_summary() -> None:
    """A head start for :func:`render_summary_html` in the process that will write it (same page).

    Imports matplotlib and the page template, and draws the summary's two chart kinds once on
    placeholder data: each kind's figure is built then and reused by the real chart in this thread
    (a reused figure gives the same SVG as a new one). About 0.6 s a batch's main process would
    otherwise spend after its wards, while its cores wait (it runs while the pool audits them).
    """
    from audit_toolkit.report import charts

    environment().get_template("summary.html.j2")
    one = pd.Series([1.0], index=["-"], dtype="float64")
    charts.bar_chart(one.astype("int64"), title="-")
    charts.signed_bars(one, one, title="-", over_label="-", under_label="-", unit_label="-")


def write_summary_html(
    batch: BatchResult, path: str | Path, ward_folders: dict[str, str], *, mask: bool = True
) -> Path:
    """Write the batch's ``summary/index.html`` atomically.

    Args:
        batch: what :func:`audit_toolkit.audit.run_batch` returned.
        path: the file to write (``<out>/summary/index.html``: ward folders are its siblings' children).
        ward_folders: ``ward_id`` → the ward's output folder name in ``<out>/`` (for the links).
        mask: mask national IDs in the cross-ward table (``--no-mask`` turns it off).

    Returns:
        The path written.

    Example:
        >>> write_summary_html(batch, "reports/summary/index.html", folders)  # doctest: +SKIP
    """
    target = Path(path)
    atomic_write_text(target, render_summary_html(batch, ward_folders, mask=mask))
    return target
