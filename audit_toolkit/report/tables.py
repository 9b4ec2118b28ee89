"""findings.csv and manifest.json: the machine-readable outputs of an audit (data-contract §5)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import pandas as pd

from audit_toolkit.findings import FINDING_COLUMNS
from audit_toolkit.report.files import atomic_write_text, neutralise
from audit_toolkit.report.levels import levels_manifest

if TYPE_CHECKING:
    from pathlib import Path

    from audit_toolkit.audit import AuditResult, BatchResult

__all__ = ["batch_manifest", "findings_csv_text", "manifest", "write_findings_csv", "write_json"]

_TEXT_COLUMNS = (
    "ward",
    "national_id",
    "full_name",
    "source",
    "detail",
    "legal_basis",
    "category",
    "evidence",
)


def findings_csv_text(findings: pd.DataFrame) -> str:
    """findings.csv content: the contract's columns in order, cells that would be formulas neutralised."""
    out = findings.reindex(columns=FINDING_COLUMNS).copy()
    for col in _TEXT_COLUMNS:
        out[col] = out[col].astype("object").where(out[col].notna(), "").map(neutralise)
    out["amount_vnd"] = pd.to_numeric(out["amount_vnd"]).fillna(0).astype("int64")
    return str(out.to_csv(index=False, lineterminator="\r\n"))


def write_findings_csv(findings: pd.DataFrame, path: Path) -> None:
    """Write findings.csv atomically, UTF-8 with BOM so Excel keeps Vietnamese intact."""
    atomic_write_text(path, findings_csv_text(findings), encoding="utf-8-sig")


def _iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat(timespec="seconds")


def manifest(result: AuditResult, *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The manifest of one ward audit: versions, parameters, inputs with SHA-256, counts by check."""
    from audit_toolkit import __version__

    ward = result.ward
    inputs = []
    for src in ward.sources:
        item = {k: v for k, v in vars(src).items() if not k.startswith("_")}
        item = {
            k: (str(v) if not isinstance(v, (int, float, str, bool, type(None), list, dict)) else v)
            for k, v in item.items()
        }
        inputs.append(item)
    unreadable = int(len(ward.unreadable))
    data: dict[str, Any] = {
        "toolkit": {"name": "audit_toolkit", "version": __version__},
        "rules_version": result.rules_version,
        "ward": {
            "ward_id": ward.ward_id,
            "ward_code": ward.ward_code,
            "ward_name": ward.ward_name,
            "province_code": ward.province_code,
            "province_name": ward.province_name,
            "path": str(ward.path),
        },
        "parameters": result.parameters,
        "started_at": _iso(result.started_at),
        "finished_at": _iso(result.finished_at),
        "inputs": inputs,
        "tables": {name: int(len(frame)) for name, frame in ward.tables.items()},
        "unreadable_rows": unreadable,
        "warnings": list(ward.warnings),
        "checks": [
            {
                "check_id": s.check_id,
                "status": s.status,
                "reason": str(s.reason) if s.reason else None,  # the stable machine code
                "findings": s.findings if s.status == "run" else None,
                "seconds": round(s.seconds, 3),
            }
            for s in result.checks
        ],
        "counts_by_check": result.counts_by_check,
        "levels_applied": levels_manifest(result),
        "findings": int(len(result.findings)),
        "amount_vnd": {
            "overpaid": int(result.findings.loc[result.findings["amount_vnd"] > 0, "amount_vnd"].sum()),
            "underpaid": int(-result.findings.loc[result.findings["amount_vnd"] < 0, "amount_vnd"].sum()),
        },
    }
    if extra:
        data.update(extra)
    return data


def batch_manifest(batch: BatchResult, ward_folders: dict[str, str]) -> dict[str, Any]:
    """The batch summary's manifest: every ward's folder, counts and errors."""
    from audit_toolkit import __version__

    return {
        "toolkit": {"name": "audit_toolkit", "version": __version__},
        "path": str(batch.path),
        "parameters": batch.parameters,
        "started_at": _iso(batch.started_at),
        "finished_at": _iso(batch.finished_at),
        "wards": [
            {
                "ward_id": r.ward.ward_id,
                "ward_code": r.ward.ward_code,
                "ward_name": r.ward.ward_name,
                "folder": ward_folders.get(r.ward.ward_id),
                "findings": int(len(r.findings)),
                "counts_by_check": r.counts_by_check,
            }
            for r in batch.results
        ],
        "errors": batch.errors,
        "cross_ward": {
            "check_id": batch.cross_ward_status.check_id,
            "status": batch.cross_ward_status.status,
            "reason": str(batch.cross_ward_status.reason) if batch.cross_ward_status.reason else None,
            "findings": int(len(batch.cross_ward)),
        },
    }


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write ``data`` as indented UTF-8 JSON, atomically."""
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
