"""Tables for people to read in a notebook: key figures, findings by check, findings per check.

Plain pandas frames (a notebook displays them as tables); no Jupyter import here. National IDs are
masked unless ``mask=False``, because notebook exports are shared like the HTML report.

Example:
    >>> key_figures(result)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from audit_toolkit.messages import fmt_vnd, t
from audit_toolkit.months import month_label

if TYPE_CHECKING:
    from audit_toolkit.audit import AuditResult, BatchResult

__all__ = ["batch_overview", "findings_by_check", "findings_table", "key_figures"]


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
    return pd.DataFrame(rows)


def findings_table(result: AuditResult, check_id: str | None = None, *, mask: bool = True) -> pd.DataFrame:
    """The findings (of one check, or all) with the columns a reader needs; IDs masked by default."""
    from audit_toolkit.report.files import mask_ids

    f = result.findings if check_id is None else result.findings.loc[result.findings["check_id"] == check_id]
    out = f[
        ["check_id", "severity", "national_id", "full_name", "source", "detail", "amount_vnd", "legal_basis"]
    ].copy()
    if mask:
        out["national_id"] = mask_ids(out["national_id"])
    return out.reset_index(drop=True)


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
