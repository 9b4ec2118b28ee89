"""Tiny typed ward data for check tests, built inline without files.

Records are written the way a person reads them (``birth_date="1950"`` is year-only,
``start_month="2022-01"``, ``category="K6"``); the factory produces the normalised frames that the
loader would (docs/architecture.md), with ``_row`` numbers starting at 2 (row 1 = header).

Example:
    >>> ctx = context(ward(beneficiaries=[person(full_name="Nguyễn Văn An", category="K5c")]))
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from audit_toolkit.checks.base import AuditContext
from audit_toolkit.months import month_num
from audit_toolkit.normalize import name_key
from audit_toolkit.payment_months import payment_months

COLUMNS: dict[str, dict[str, str]] = {
    "beneficiaries": {
        "record_id": "id",
        "full_name": "text",
        "birth_date": "date",
        "sex": "text",
        "national_id": "id",
        "address": "text",
        "household_id": "id",
        "category": "text",
        "disability_level": "text",
        "coefficient": "float",
        "monthly_amount": "float",
        "decision_no": "text",
        "decision_date": "date",
        "application_date": "date",
        "start_month": "month",
        "status": "text",
        "end_month": "month",
        "end_reason": "text",
        "studying": "bool",
        "cared_for_id": "id",
        "note": "text",
    },
    "payments": {
        "national_id": "id",
        "record_id": "id",
        "full_name": "text",
        "month": "month",
        "category": "text",
        "amount": "float",
        "paid_date": "date",
        "paid": "bool",
        # Catch-up and recovered money (data contract §1a).
        "arrears_from": "month",
        "arrears_to": "month",
        "arrears_months": "int",
        "arrears_amount": "float",
        "recovered_amount": "float",
        "note": "text",
    },
    "residents": {
        "national_id": "id",
        "full_name": "text",
        "birth_date": "date",
        "sex": "text",
        "address": "text",
        "household_id": "id",
        "residence_status": "text",
        "moved_out_date": "date",
        "poverty_status": "text",
        "poverty_status_raw": "text",  # the written text (the loader keeps it: "không" = neither poor nor near-poor)
    },
    "deaths": {
        "national_id": "id",
        "full_name": "text",
        "birth_date": "date",
        "death_date": "date",
        "registration_date": "date",
    },
    "disability_certificates": {
        "national_id": "id",
        "full_name": "text",
        "birth_date": "date",
        "disability_level": "text",
        "issue_date": "date",
        "disability_type": "text",
    },
    "pensions": {
        "national_id": "id",
        "full_name": "text",
        "benefit": "text",
        "start_month": "month",
        "end_month": "month",
        "monthly_amount": "float",
    },
    "report": {"category": "text", "reported_count": "int", "as_of": "date"},
}

_ids = itertools.count(1)


def new_id(*, sex: str = "M", birth_year: int = 1950, province: str = "006") -> str:
    """A valid 12-digit ID consistent with sex and birth year (unique per call)."""
    century = (birth_year // 100) - 19
    digit = century * 2 + (1 if sex == "F" else 0)
    return f"{province}{digit}{birth_year % 100:02d}{next(_ids):06d}"


def person(**fields: Any) -> dict[str, Any]:
    """A beneficiary line with sensible clean defaults (override any field)."""
    sex = fields.get("sex", "M")
    birth = str(fields.get("birth_date", "1950-05-10"))
    year = int(birth[:4])
    rec: dict[str, Any] = {
        "full_name": "Nguyễn Văn An",
        "birth_date": birth,
        "sex": sex,
        "category": "K5c",
        "status": "active",
        "start_month": "2020-01",
    }
    rec.update(fields)
    if "national_id" not in fields:
        rec["national_id"] = new_id(sex=sex, birth_year=year)
    return rec


def _month(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return pd.NA
    if isinstance(value, int):
        return value
    y, m = str(value).split("-")[:2]
    return month_num(int(y), int(m))


def _frame(table: str, records: list[dict[str, Any]]) -> pd.DataFrame:
    cols = COLUMNS[table]
    df = pd.DataFrame(records)
    out = pd.DataFrame(index=range(len(records)))
    out["_row"] = pd.Series(range(2, len(records) + 2), dtype="int64")
    out["_file"] = f"{table}.csv"
    out["_sheet"] = ""
    for col, kind in cols.items():
        raw = df[col] if col in df else pd.Series([None] * len(records), dtype="object")
        if kind == "date":
            text = raw.astype("object").where(raw.notna(), None)
            yo = text.map(lambda v: bool(v is not None and re.fullmatch(r"\d{4}", str(v))))
            full = text.map(lambda v: f"{v}-01-01" if v is not None and re.fullmatch(r"\d{4}", str(v)) else v)
            out[col] = pd.to_datetime(full, format="%Y-%m-%d")
            out[f"{col}_year_only"] = yo.astype(bool)
        elif kind == "month":
            out[col] = pd.Series([_month(v) for v in raw], dtype="Int64")
        elif kind == "float":
            out[col] = pd.to_numeric(raw, errors="raise").astype("float64")
        elif kind == "int":
            out[col] = pd.to_numeric(raw, errors="raise").astype("Int64")
        elif kind == "bool":
            out[col] = raw.astype("boolean")
        else:
            out[col] = raw.astype("str").where(raw.notna(), pd.NA) if len(raw) else raw.astype("str")
            out[col] = out[col].astype("str")
    if table == "payments":
        out["paid"] = out["paid"].fillna(True)
        # The months each amount is for, as the loader adds them (audit_toolkit.payment_months).
        ranges, _ = payment_months(out)
        out = pd.concat([out, ranges], axis=1)
    if table == "beneficiaries":
        out["status"] = out["status"].fillna("active")
        out["category_raw"] = out["category"]
    if "full_name" in out:
        out["name_key"] = name_key(out["full_name"])
        valid = out["national_id"].str.fullmatch(r"\d{12}").fillna(False).astype(bool)
        if "birth_date" in out:
            yo = out["birth_date_year_only"]
            born = out["birth_date"].dt.strftime("%Y-%m-%d").where(~yo, out["birth_date"].dt.strftime("%Y"))
            fallback = "nb:" + out["name_key"].fillna("") + "|" + born.fillna("")
        else:
            fallback = "nb:" + out["name_key"].fillna("")
        out["person_key"] = ("id:" + out["national_id"]).where(valid, fallback)
    return out


@dataclass
class FakeWard:
    """Duck-typed stand-in for ``audit_toolkit.io.WardData`` with the same fields."""

    tables: dict[str, pd.DataFrame]
    ward_id: str = "01843"
    ward_code: str | None = "01843"
    ward_name: str = "Phường Phùng Chí Kiên"
    province_code: str | None = "06"
    province_name: str | None = "Bắc Kạn"
    path: Path = Path("inline")
    unreadable: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["table", "file", "sheet", "row", "column", "value", "reason"]
        )
    )
    sources: list[Any] = field(default_factory=list)
    extra_columns: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    rates_file: Path | None = None
    undated: pd.DataFrame | None = None


def ward(**tables: list[dict[str, Any]] | None) -> FakeWard:
    """A ward from lists of records per table (``None`` = table not supplied)."""
    frames = {name: _frame(name, recs) for name, recs in tables.items() if recs is not None}
    if "beneficiaries" not in frames:
        frames["beneficiaries"] = _frame("beneficiaries", [])
    return FakeWard(tables=frames)


def context(
    w: FakeWard, *, as_of: str = "2023-02-28", period_from: str = "2022-01", lang: str = "vi"
) -> AuditContext:
    """An audit context over ``w`` with the packaged rules."""
    from audit_toolkit.rules import load_rules

    ts = pd.Timestamp(as_of)
    y, m = period_from.split("-")
    return AuditContext(
        ward=w,  # type: ignore[arg-type]
        rules=load_rules(province_code=w.province_code),
        as_of=ts,
        period_start=month_num(int(y), int(m)),
        period_end=month_num(ts.year, ts.month),
        lang=lang,
    )


def payments_for(
    line: dict[str, Any], months: list[str], amount: float, **extra: Any
) -> list[dict[str, Any]]:
    """One received payment per month for ``line``'s person."""
    return [
        {
            "national_id": line.get("national_id"),
            "full_name": line.get("full_name"),
            "month": mo,
            "amount": amount,
            "category": line.get("category"),
            **extra,
        }
        for mo in months
    ]


def month_range(start: str, end: str) -> list[str]:
    """``['2022-01', …, end]`` inclusive."""
    s = pd.Period(start, "M")
    e = pd.Period(end, "M")
    return [str(p) for p in pd.period_range(s, e, freq="M")]
