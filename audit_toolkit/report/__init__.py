"""Exports: findings.csv, findings.xlsx, report.html and manifest.json per ward; summary/ per batch.

Example:
    >>> folder = write_reports(result, out="reports/")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audit_toolkit.report.files import safe_name
from audit_toolkit.report.tables import batch_manifest, manifest, write_findings_csv, write_json

if TYPE_CHECKING:
    from audit_toolkit.audit import AuditResult, BatchResult

__all__ = ["ward_folder_name", "write_batch", "write_batch_summary", "write_reports"]

_LOG = logging.getLogger(__name__)


def ward_folder_name(result: AuditResult) -> str:
    """The ward's output folder: ward code and name made safe for a file name."""
    ward = result.ward
    parts = [p for p in (ward.ward_code, ward.ward_name) if p]
    return safe_name(" ".join(parts), default=safe_name(ward.ward_id))


def _written(future: Any) -> bool:
    """Whether the helper wrote the file (any failure: False, and the caller writes it itself)."""
    try:
        future.result()
    except Exception:  # noqa: BLE001 - written again here, which raises the proper error
        _LOG.debug("the helper could not write the workbook; written here", exc_info=True)
        return False
    return True


def write_reports(
    result: AuditResult,
    out: str | Path = "reports",
    *,
    mask: bool = True,
    sample_size: int = 10,
    seed: int = 0,
    helper: Any | None = None,
) -> Path:
    """Write every output of one ward audit into ``out/<ward>/`` and return that folder.

    Writes ``findings.csv``, ``findings.xlsx``, ``report.html`` and ``manifest.json``.

    Args:
        result: what :func:`audit_toolkit.run_audit` returned.
        out: the parent folder (created if missing).
        mask: mask national IDs in the shared HTML (``--no-mask`` turns it off); the CSV and
            workbook always carry IDs as in the input (they are the ward's working files).
        sample_size: people drawn at random for the field-visit sample (everyone with a
            high-severity finding is added on top when needed).
        seed: seed of the field-visit draw (the same seed gives the same sample).
        helper: a process that writes the workbook meanwhile (the CLI's GX helper, done with GX:
            :meth:`~audit_toolkit.quality.process.QualitySide.call`); if it fails, the workbook is
            written here, which raises the proper error. Default: everything is written here.
    """
    from audit_toolkit.report.html import check_overview, write_html
    from audit_toolkit.report.xlsx import for_workbook, write_xlsx, write_xlsx_elsewhere
    from audit_toolkit.sampling import field_visit_sample

    folder = Path(out) / ward_folder_name(result)
    folder.mkdir(parents=True, exist_ok=True)
    write_findings_csv(result.findings, folder / "findings.csv")
    sample = field_visit_sample(result, result.findings, n=sample_size, seed=seed)
    overview = check_overview(result)  # the workbook's summary sheet and the page's overview
    workbook = folder / "findings.xlsx"

    def workbook_here() -> None:
        write_xlsx(result, workbook, sample=sample, sample_size=sample_size, seed=seed, overview=overview)

    elsewhere = (
        helper.call(
            write_xlsx_elsewhere, for_workbook(result), str(workbook), sample, sample_size, seed, overview
        )
        if helper is not None
        else None
    )
    if elsewhere is None:
        workbook_here()
    write_html(
        result,
        folder / "report.html",
        mask=mask,
        sample=sample,
        sample_size=sample_size,
        seed=seed,
        overview=overview,
    )
    if elsewhere is not None and not _written(elsewhere):
        workbook_here()
    extra = {
        "parameters": {**result.parameters, "sample_size": sample_size, "sample_seed": seed},
        "outputs": {
            "files": ["findings.csv", "findings.xlsx", "report.html", "manifest.json"],
            "mask_ids_in_html": mask,
            "field_visit_sample": {
                "size": sample_size,
                "seed": seed,
                "people": int(len(sample)),
                "high_severity": int((sample["reason"] == "high_finding").sum()) if len(sample) else 0,
            },
        },
    }
    write_json(manifest(result, extra=extra), folder / "manifest.json")
    return folder


def write_batch_summary(
    batch: BatchResult, out: str | Path, ward_folders: dict[str, str], *, mask: bool = True
) -> Path:
    """Write ``out/summary/``: index.html (every ward side by side), cross-ward findings.csv and manifest.json.

    ``ward_folders`` maps each ward's ``ward_id`` to its folder name in ``out`` (for the links).
    """
    from audit_toolkit.report.summary import write_summary_html

    folder = Path(out) / "summary"
    folder.mkdir(parents=True, exist_ok=True)
    write_findings_csv(batch.cross_ward, folder / "findings.csv")
    write_summary_html(batch, folder / "index.html", ward_folders, mask=mask)
    write_json(batch_manifest(batch, ward_folders), folder / "manifest.json")
    return folder


def write_batch(
    batch: BatchResult,
    out: str | Path = "reports",
    *,
    mask: bool = True,
    sample_size: int = 10,
    seed: int = 0,
) -> Path:
    """Write every ward's outputs and the batch ``summary/`` (for a batch already audited in memory).

    The CLI writes each ward as soon as it is audited instead; both give the same files.
    """
    folders = {
        r.ward.ward_id: write_reports(r, out, mask=mask, sample_size=sample_size, seed=seed).name
        for r in batch.results
    }
    return write_batch_summary(batch, out, folders, mask=mask)
