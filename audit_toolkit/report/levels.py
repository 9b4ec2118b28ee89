"""The "Levels applied" section (Mức chuẩn đã áp dụng) of report.html and its manifest entry.

Every standard and social-pension level the audit judged amounts against, month range by month
range, with its legal basis, where it came from and its confidence (:meth:`RuleSet.levels_applied`).
A level below confidence H is marked so a committee sees at once what it should confirm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audit_toolkit.messages import fmt_vnd, t

if TYPE_CHECKING:
    from audit_toolkit.audit import AuditResult

__all__ = ["levels_manifest", "levels_rows"]


def levels_manifest(result: AuditResult) -> list[dict[str, Any]]:
    """The levels applied as plain records for ``manifest.json`` (same rows as the report section)."""
    frame = result.context.rules.levels_applied(result.period_start, result.period_end)
    records: list[dict[str, Any]] = []
    for row in frame.to_dict("records"):
        records.append(
            {
                **{
                    k: row[k]
                    for k in ("level", "month_from", "month_to", "legal_basis", "confidence", "source")
                },
                "amount_vnd": int(round(float(row["amount"]))),
                "source_file": row["source_file"],
                "province_scope": None if row["scope"] in ("national", "rates") else row["scope"],
                "needs_confirmation": row["confidence"] != "H",
            }
        )
    return records


def levels_rows(result: AuditResult) -> list[dict[str, Any]]:
    """Rows for the report template: texts in the report language, a flag for confidence below H."""
    lang = result.lang
    rows = []
    for rec in levels_manifest(result):
        source = t(
            f"levels.source.{rec['source']}", lang, file=rec["source_file"], scope=rec["province_scope"] or ""
        )
        rows.append(
            {
                "level": t(f"levels.level.{rec['level']}", lang),
                "months": t(
                    "levels.months",
                    lang,
                    start=_month(rec["month_from"]),
                    end=_month(rec["month_to"]),
                ),
                "amount": fmt_vnd(rec["amount_vnd"], lang),
                "legal_basis": rec["legal_basis"],
                "source": source,
                "confidence": rec["confidence"],
                "confidence_text": t(f"levels.confidence.{rec['confidence']}", lang),
                "confirm": rec["needs_confirmation"],
            }
        )
    return rows


def _month(iso: str) -> str:
    year, month = iso.split("-")
    return f"{month}/{year}"
