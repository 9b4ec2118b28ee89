"""An AuditResult built inline for the report tests: a small ward, hand-made findings, every check's status.

The findings are written by hand (not produced by the checks) so that the report tests depend only on
the findings contract (``FINDING_COLUMNS``), not on what each check finds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from audit_toolkit.audit import AuditResult
from audit_toolkit.checks import CheckStatus, NotRunReason, ReasonCode, catalogue
from audit_toolkit.findings import FINDING_COLUMNS
from tests.factories import context, month_range, payments_for, person, ward

HOSTILE = "<script>alert(1)</script>"
HOSTILE_ID = "006080001234"


def roster() -> list[dict[str, Any]]:
    """Ten people over four categories, one with a hostile name, one line ended before the period."""
    return [
        person(full_name="Nguyễn Văn An", birth_date="1935-03-01", category="K5c", national_id=HOSTILE_ID),
        person(full_name="Trần Thị Bình", birth_date="1938", sex="F", category="K5c"),
        person(full_name="Lê Văn Cường", birth_date="1940-07-09", category="K5c"),
        person(full_name=HOSTILE, birth_date="1941-02-02", category="K5c"),
        person(
            full_name="Phạm Thị Dung",
            birth_date="1975-01-01",
            sex="F",
            category="K6",
            disability_level="severe",
        ),
        person(
            full_name="Hoàng Văn Em",
            birth_date="1980-05-05",
            category="K6",
            disability_level="especially_severe",
        ),
        person(full_name="Đỗ Thị Giang", birth_date="2010-09-09", sex="F", category="K1"),
        person(full_name="Vũ Văn Hải", birth_date="2012-01-01", category="K1"),
        person(full_name="Bùi Thị Lan", birth_date="1960-02-02", sex="F", category="K4"),
        person(
            full_name="Ngô Văn Minh",
            birth_date="1930-01-01",
            category="K5c",
            status="ended",
            end_month="2021-06",
        ),
    ]


def finding(check_id: str, severity: str, **fields: Any) -> dict[str, Any]:
    """One finding row with the contract's columns."""
    row: dict[str, Any] = {
        "finding_id": f"F{abs(hash((check_id, fields.get('person_key', '')))) % 10**12:012d}",
        "check_id": check_id,
        "severity": severity,
        "ward": "01843",
        "national_id": "",
        "full_name": "",
        "source": "beneficiaries:2",
        "detail": "",
        "amount_vnd": 0,
        "legal_basis": "",
        "category": "",
        "person_key": "",
        "evidence": "",
    }
    row.update(fields)
    return row


def make_result(
    *,
    lang: str = "vi",
    findings: list[dict[str, Any]] | None = None,
    with_payments: bool = True,
    with_report: bool = True,
    quality: Any = None,
) -> AuditResult:
    """An AuditResult over :func:`roster` with hand-made findings (default: a hostile one and an ID in text)."""
    people = roster()
    tables: dict[str, Any] = {"beneficiaries": people}
    if with_payments:
        pays: list[dict[str, Any]] = []
        for p in people[:6]:
            pays += payments_for(p, month_range("2022-01", "2023-02"), 540000.0)
        tables["payments"] = pays
    if with_report:
        tables["report"] = [
            {"category": "K5c", "reported_count": 5},
            {"category": "K6", "reported_count": 2},
            {"category": "K1", "reported_count": 2},
            {"category": "TOTAL", "reported_count": 10},
        ]
    w = ward(**tables)
    ctx = context(w, as_of="2023-02-28", period_from="2022-01", lang=lang)
    keys = ctx.lines.set_index("full_name")["person_key"]
    if findings is None:
        findings = [
            finding(
                "DECEASED_ACTIVE",
                "high",
                national_id=HOSTILE_ID,
                full_name="Nguyễn Văn An",
                person_key=keys["Nguyễn Văn An"],
                detail=f"Người có số định danh {HOSTILE_ID} đã chết tháng 05/2022 nhưng vẫn được chi trả.",
                amount_vnd=4860000,
                legal_basis="NĐ 20/2021/NĐ-CP Điều 8 khoản 2",
                category="K5c",
                source="beneficiaries:2;deaths:3;payments:7",
            ),
            finding(
                "ID_INVALID",
                "medium",
                national_id='=HYPERLINK("x")',
                full_name=HOSTILE,
                person_key=keys[HOSTILE],
                detail="Số định danh không hợp lệ.",
                category="K5c",
                source="beneficiaries:5",
            ),
            finding(
                "UNPAID_MONTHS",
                "medium",
                national_id="001234567890",
                full_name="Bùi Thị Lan",
                person_key=keys["Bùi Thị Lan"],
                detail="Chưa chi trả 14 tháng.",
                amount_vnd=-7560000,
                category="K4",
                source="beneficiaries:10",
            ),
        ]
    frame = (
        pd.DataFrame(findings, columns=FINDING_COLUMNS) if findings else pd.DataFrame(columns=FINDING_COLUMNS)
    )
    frame["amount_vnd"] = pd.to_numeric(frame["amount_vnd"]).astype("int64")
    counts = frame["check_id"].value_counts().to_dict()
    statuses = []
    for spec in catalogue():
        if spec.batch:
            statuses.append(CheckStatus(spec.check_id, "not_run", NotRunReason(ReasonCode.BATCH_ONLY)))
        elif spec.check_id == "MISSED_ELDERLY":
            statuses.append(CheckStatus(spec.check_id, "not_run", NotRunReason.missing_table("residents")))
        elif spec.check_id == "WRONG_COEFFICIENT":
            statuses.append(
                CheckStatus(
                    spec.check_id, "not_run", NotRunReason.missing_column("beneficiaries", "coefficient")
                )
            )
        else:
            statuses.append(CheckStatus(spec.check_id, "run", None, int(counts.get(spec.check_id, 0))))
    now = dt.datetime(2023, 3, 1, 8, 30, tzinfo=dt.UTC)
    return AuditResult(
        ward=w,  # type: ignore[arg-type]
        as_of=ctx.as_of,
        period_start=ctx.period_start,
        period_end=ctx.period_end,
        lang=lang,
        findings=frame,
        checks=statuses,
        context=ctx,
        quality=quality,
        rules_version=ctx.rules.version,
        started_at=now,
        finished_at=now,
        parameters={"as_of": "2023-02-28", "lang": lang},
    )


def make_batch(*, lang: str = "vi", cross: bool = True) -> tuple[Any, dict[str, str]]:
    """A batch of two wards (one with no findings), one unusable ward, and one cross-ward finding.

    Returns the BatchResult and the ``ward_id → folder`` map the CLI would pass.
    """
    from audit_toolkit.audit import BatchResult
    from audit_toolkit.findings import finalize

    first = make_result(lang=lang)
    second = make_result(lang=lang, findings=[])
    second.ward.ward_id = second.ward.ward_code = "01840"
    second.ward.ward_name = "Phường Đức Xuân"
    raw = pd.DataFrame(
        [
            {
                "check_id": "CROSS_WARD_DUPLICATE",
                "person_key": "id:" + HOSTILE_ID,
                "national_id": HOSTILE_ID,
                "full_name": HOSTILE,
                "sources": ["01843/beneficiaries:2", "01840/beneficiaries:5"],
                "detail": f"{HOSTILE_ID} được chi trả ở 01843 và 01840.",
                "amount_vnd": 1080000.0,
                "discriminator": "",
                "ward": "01843;01840",
            }
        ]
    )
    findings = finalize(
        raw if cross else raw.iloc[:0],
        ward="*",
        ward_id="batch",
        severities={"CROSS_WARD_DUPLICATE": "high"},
        legal_bases={"CROSS_WARD_DUPLICATE": "NĐ 20/2021/NĐ-CP Điều 6 khoản 2"},
        check_order=["CROSS_WARD_DUPLICATE"],
    )
    now = dt.datetime(2023, 3, 1, 9, 0, tzinfo=dt.UTC)
    batch = BatchResult(
        path=__import__("pathlib").Path("data/sample"),
        results=[first, second],
        errors={"song-cau.xlsx": "Thiếu cột bắt buộc <full_name> trong Danh sách đối tượng"},
        cross_ward=findings,
        cross_ward_status=CheckStatus("CROSS_WARD_DUPLICATE", "run", None, len(findings)),
        started_at=now,
        finished_at=now,
        parameters={"as_of": "2023-02-28", "period_from": "2022-01", "lang": lang, "wards": 3},
    )
    return batch, {"01843": "01843-phuong-phung-chi-kien", "01840": "01840-phuong-duc-xuan"}
