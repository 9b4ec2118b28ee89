"""Exports: findings.csv, findings.xlsx, report.html and manifest.json per ward; summary/ per batch.

Example:
    >>> folder = write_reports(result, out="reports/")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from audit_toolkit.report.files import safe_name
from audit_toolkit.report.tables import batch_manifest, manifest, write_findings_csv, write_json

if TYPE_CHECKING:
    from audit_toolkit.audit import AuditResult, BatchResult

__all__ = ["ward_folder_name", "write_batch_summary", "write_reports"]


def ward_folder_name(result: AuditResult) -> str:
    """The ward's output folder: ward code and name made safe for a file name."""
    ward = result.ward
    parts = [p for p in (ward.ward_code, ward.ward_name) if p]
    return safe_name(" ".join(parts), default=safe_name(ward.ward_id))


def write_reports(result: AuditResult, out: str | Path = "reports", *, mask: bool = True) -> Path:
    """Write every output of one ward audit into ``out/<ward>/`` and return that folder.

    Args:
        result: what :func:`audit_toolkit.run_audit` returned.
        out: the parent folder (created if missing).
        mask: mask national IDs in the shared HTML (``--no-mask`` turns it off); the CSV and
            workbook always carry IDs as in the input (they are the ward's working files).
    """
    folder = Path(out) / ward_folder_name(result)
    folder.mkdir(parents=True, exist_ok=True)
    write_findings_csv(result.findings, folder / "findings.csv")
    write_json(manifest(result, extra={"outputs": {"mask_ids_in_html": mask}}), folder / "manifest.json")
    return folder


def write_batch_summary(
    batch: BatchResult, out: str | Path, ward_folders: dict[str, str], *, mask: bool = True
) -> Path:
    """Write ``out/summary/``: cross-ward findings.csv and manifest.json."""
    folder = Path(out) / "summary"
    folder.mkdir(parents=True, exist_ok=True)
    write_findings_csv(batch.cross_ward, folder / "findings.csv")
    write_json(batch_manifest(batch, ward_folders), folder / "manifest.json")
    return folder
