"""Reading, validating and merging the YAML rule files into typed frames.

Every rule file carries ``table: <name>`` and one or more sections of rows. The packaged set
(``rules/data/*.yml``) must hold each table exactly once; extra files (``load_rules(extra_files=...)``)
may add rows to the dated tables: an extra row **supersedes** the packaged rows of the same key for
its own period (they are clipped around it), so a new decree is one small file, not an edit.

Validation raises :class:`~audit_toolkit.errors.RuleError` with the file, section, row and the fix:
overlapping periods for the same key, ``valid_to`` not after ``valid_from``, unknown category code,
missing ``legal_basis``, a catalogue check without a legal basis, and malformed values.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd
import yaml

from audit_toolkit.errors import InputError, RuleError

__all__ = [
    "CHECK_IDS",
    "DISABILITY_LEVELS",
    "LEVEL_COLUMNS",
    "PACKAGED_DIR",
    "TABLES",
    "RuleData",
    "RuleRow",
    "RuleYamlLoader",
    "load_rule_data",
    "normalise_province_code",
    "row_common",
    "row_date",
    "row_number",
    "row_period",
]

PACKAGED_DIR = Path(__file__).parent / "data"

#: Every table of a complete rule set, with the file name it is dumped to.
TABLES: tuple[str, ...] = (
    "categories",
    "standard_level",
    "social_pension",
    "coefficients",
    "age_limits",
    "stacking",
    "deadlines",
    "legal_basis",
    "provinces",
    "constants",
)
#: Tables an extra file may extend (dated rows supersede; legal bases replace per check).
EXTENDABLE = frozenset({"standard_level", "social_pension", "coefficients", "deadlines", "legal_basis"})

#: The check catalogue (v2) (shared spec ``checks.md``); each needs a legal basis in legal_basis.yml.
CHECK_IDS: tuple[str, ...] = (
    "UNREADABLE_ROW",
    "ID_INVALID",
    "ID_MISMATCH",
    "ID_CONFLICT",
    "DUPLICATE_ID",
    "DUPLICATE_PERSON",
    "CROSS_WARD_DUPLICATE",
    "POSSIBLE_DUPLICATE",
    "MISSED_ELDERLY",
    "MISSED_DISABILITY",
    "MISSED_CARE",
    "DECEASED_ACTIVE",
    "MOVED_ACTIVE",
    "AGE_OUT",
    "PAID_AFTER_END",
    "CARED_FOR_GONE",
    "CATEGORY_ENDED",
    "INELIGIBLE",
    "WRONG_COEFFICIENT",
    "WRONG_AMOUNT",
    "UNPAID_MONTHS",
    "LATE_DECISION",
    "REPORT_MISMATCH",
)
DISABILITY_LEVELS = frozenset({"especially_severe", "severe", "mild"})
_CONFIDENCE = frozenset({"H", "M", "L"})
_STACK_RESULTS = frozenset({"stack", "duplicate", "by_cared_for"})
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class RuleYamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loader that keeps dates as text, so a bad date is reported with its row (not a crash)."""


RuleYamlLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


# --------------------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class RuleRow:
    """Where a rule row came from (file, section, 1-based row), for errors and the citations appendix.

    Public because ``rates.py`` reads its rows with the same loader and reports them the same way.
    """

    file: str
    section: str
    row: int  # 1-based position inside the section

    def __str__(self) -> str:
        return f"file {self.file}, section {self.section!r}, row {self.row}"


def _fail(message: str, where: RuleRow | str, fix: str, *, section: str | None = None) -> RuleError:
    """A :class:`RuleError` at a row (``RuleRow``) or in a whole file (its name, optionally a section)."""
    if isinstance(where, RuleRow):
        return RuleError(message, file=where.file, section=where.section, row=where.row, fix=fix)
    return RuleError(message, file=where, section=section, fix=fix)


# --------------------------------------------------------------------------------------- values


def normalise_province_code(code: object) -> str:
    """Canonical GSO province code: 2 digits as a string (``1``, ``"01"``, ``"001"`` → ``"01"``).

    Example:
        >>> normalise_province_code("001")
        '01'
    """
    text = str(code).strip()
    if not text.isdigit():
        raise InputError(f"province code {code!r} is not a number", fix='use the GSO code, e.g. "01"')
    return f"{int(text):02d}"


def row_date(value: object, name: str, where: RuleRow, *, required: bool = False) -> Any:
    """A Timestamp, or NaT when empty (open period end)."""
    if value is None or value == "":
        if required:
            raise _fail(f"{name} is missing", where, f"give {name} as YYYY-MM-DD")
        return pd.NaT
    try:
        if isinstance(value, dt.date):
            return pd.Timestamp(value)
        return pd.Timestamp(dt.date.fromisoformat(str(value)))
    except ValueError:
        raise _fail(f"{name} {value!r} is not a date", where, f"write {name} as YYYY-MM-DD") from None


def row_number(value: object, name: str, where: RuleRow, *, required: bool = True) -> float:
    """A plain number (not a bool), NaN when empty and not required."""
    if value is None:
        if required:
            raise _fail(f"{name} is missing", where, f"give {name} as a number")
        return float("nan")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(f"{name} {value!r} is not a number", where, f"write {name} as a plain number, e.g. 1.5")
    return float(value)


def _text(value: object, name: str, where: RuleRow, *, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _fail(f"{name} is missing", where, f"give {name}")
        return None
    return str(value).strip()


def row_common(row: Mapping[str, Any], where: RuleRow, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """legal_basis (required) and confidence (optional H/M/L) of any row, with section defaults."""
    basis = row.get("legal_basis", defaults.get("legal_basis"))
    if basis is None or not str(basis).strip():
        raise _fail(
            "legal_basis is missing",
            where,
            'add legal_basis: "<văn bản> Điều … khoản …" to the row (every rule row needs its citation)',
        )
    confidence = row.get("confidence", defaults.get("confidence"))
    if confidence is not None and confidence not in _CONFIDENCE:
        raise _fail(
            f"confidence {confidence!r} is not H, M or L", where, "use H, M or L (see the domain file)"
        )
    return {"legal_basis": str(basis).strip(), "confidence": confidence, "file": where.file}


def row_period(row: Mapping[str, Any], where: RuleRow) -> dict[str, Any]:
    """``valid_from`` / ``valid_to`` of a row (``valid_to`` exclusive, after ``valid_from``)."""
    start = row_date(row.get("valid_from"), "valid_from", where)
    end = row_date(row.get("valid_to"), "valid_to", where)
    if not pd.isna(start) and not pd.isna(end) and end <= start:
        raise _fail(
            f"valid_to {end.date()} is not after valid_from {start.date()}",
            where,
            "valid_to is exclusive (the first day the rule no longer applies) and must be after valid_from",
        )
    return {"valid_from": start, "valid_to": end}


def _rows(
    doc: Mapping[str, Any], section: str, file: str, *, required: bool = True
) -> list[tuple[RuleRow, dict[str, Any]]]:
    rows = doc.get(section)
    if rows is None:
        if required:
            raise _fail(f"section {section!r} is missing", file, f"add a '{section}:' list to {file}")
        return []
    if not isinstance(rows, list):
        raise _fail(
            f"section {section!r} is not a list of rows", file, f"write '{section}:' as a YAML list ('- ...')"
        )
    out = []
    for i, row in enumerate(rows, start=1):
        where = RuleRow(file, section, i)
        if not isinstance(row, dict):
            raise _fail("row is not a mapping", where, "write each row as 'key: value' pairs")
        out.append((where, row))
    return out


def _frame(records: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=list(columns))
    for col in ("valid_from", "valid_to"):
        if col in frame:
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    return frame


# --------------------------------------------------------------------------------------- parsers

LEVEL_COLUMNS = ("scope", "valid_from", "valid_to", "amount", "legal_basis", "confidence", "note", "file")


def _parse_levels(doc: Mapping[str, Any], file: str, *, required: bool) -> pd.DataFrame:
    """``national`` list + ``provinces`` mapping of code → list, into one frame keyed by scope."""
    records = []
    sections: list[tuple[str, str, list[tuple[RuleRow, dict[str, Any]]]]] = [
        ("national", "national", _rows(doc, "national", file, required=required))
    ]
    provinces = doc.get("provinces") or {}
    if not isinstance(provinces, dict):
        raise _fail("section 'provinces' is not a mapping", file, 'write provinces as  "01": [rows]')
    for code, rows in provinces.items():
        try:
            scope = normalise_province_code(code)
        except InputError:
            raise _fail(
                f"province key {code!r} is not a province code",
                file,
                'use the GSO code as a string, e.g. "01"',
            ) from None
        sections.append((scope, f"provinces.{code}", _rows({"r": rows}, "r", file)))
    for scope, section, rows in sections:
        for where, row in rows:
            where = RuleRow(file, section, where.row)
            amount = row_number(row.get("amount"), "amount", where)
            if amount <= 0:
                raise _fail(f"amount {amount} is not positive", where, "give the monthly amount in VND")
            records.append(
                {
                    "scope": scope,
                    **row_period(row, where),
                    "amount": amount,
                    "note": row.get("note"),
                    **row_common(row, where, {}),
                }
            )
    return _frame(records, LEVEL_COLUMNS)


_ELIG_COLS = (
    "valid_from",
    "valid_to",
    "scheme",
    "min_age",
    "min_age_poor",
    "legal_basis",
    "confidence",
    "note",
    "file",
)


def _parse_eligibility(doc: Mapping[str, Any], file: str, *, required: bool) -> pd.DataFrame:
    records = []
    for where, row in _rows(doc, "eligibility", file, required=required):
        min_age = row_number(row.get("min_age"), "min_age", where)
        poor = row_number(row.get("min_age_poor"), "min_age_poor", where, required=False)
        records.append(
            {
                **row_period(row, where),
                "scheme": _text(row.get("scheme"), "scheme", where),
                "min_age": int(min_age),
                "min_age_poor": pd.NA if pd.isna(poor) else int(poor),
                "note": row.get("note"),
                **row_common(row, where, {}),
            }
        )
    frame = _frame(records, _ELIG_COLS)
    frame["min_age"] = frame["min_age"].astype("Int64")
    frame["min_age_poor"] = frame["min_age_poor"].astype("Int64")
    return frame


def _parse_category_ends(doc: Mapping[str, Any], file: str, categories: frozenset[str]) -> pd.DataFrame:
    """``category_ends`` (optional section of social_pension.yml): categories a later law ended.

    Columns ``category, ends, replaced_by, legal_basis, confidence, file``; ``ends`` is the first day
    no longer payable (a mid-month day governs from the next month, like ``valid_from``).
    """
    records = []
    for where, row in _rows(doc, "category_ends", file, required=False):
        replaced = row.get("replaced_by")
        records.append(
            {
                "category": _category(row.get("category"), where, categories),
                "ends": row_date(row.get("ends"), "ends", where, required=True),
                "replaced_by": None if replaced is None else _category(replaced, where, categories),
                **row_common(row, where, {}),
            }
        )
    frame = _frame(records, ("category", "ends", "replaced_by", "legal_basis", "confidence", "file"))
    frame["ends"] = pd.to_datetime(frame["ends"]).astype("datetime64[ns]")
    dup = frame["category"][frame["category"].duplicated()]
    if len(dup):
        raise _fail(
            f"category {dup.iloc[0]!r} ends twice", file, "keep one row per category", section="category_ends"
        )
    return frame


COEFFICIENT_COLUMNS = (
    "category",
    "disability_level",
    "age_min",
    "age_max",
    "age_of",
    "coefficient",
    "allowed",
    "per_child",
    "unit",
    "base",
    "valid_from",
    "valid_to",
    "legal_basis",
    "confidence",
    "note",
    "file",
)


def _parse_coefficients(doc: Mapping[str, Any], file: str, categories: frozenset[str]) -> pd.DataFrame:
    records = []
    for where, row in _rows(doc, "rows", file):
        category = _category(row.get("category"), where, categories)
        level = row.get("disability_level")
        if level is not None and level not in DISABILITY_LEVELS:
            raise _fail(
                f"disability_level {level!r} is unknown",
                where,
                f"use one of {sorted(DISABILITY_LEVELS)} or null (= any)",
            )
        age_min = row_number(row.get("age_min"), "age_min", where, required=False)
        age_max = row_number(row.get("age_max"), "age_max", where, required=False)
        if not pd.isna(age_min) and not pd.isna(age_max) and age_max <= age_min:
            raise _fail(
                f"age band {age_min:g}..{age_max:g} is empty",
                where,
                "age_min is inclusive, age_max exclusive",
            )
        age_of = row.get("age_of", "self")
        if age_of not in ("self", "cared_for"):
            raise _fail(f"age_of {age_of!r} is unknown", where, "use self or cared_for")
        base = row.get("base", "standard")
        if base not in ("standard", "social_pension"):
            raise _fail(f"base {base!r} is unknown", where, "use standard or social_pension")
        coefficient = row_number(row.get("coefficient"), "coefficient", where, required=False)
        allowed_raw = row.get("allowed")
        allowed: tuple[float, ...] | None = None
        if allowed_raw is not None:
            if not isinstance(allowed_raw, list) or not allowed_raw:
                raise _fail("allowed is not a non-empty list", where, "write allowed: [1.5, 2.0]")
            allowed = tuple(sorted(row_number(v, "allowed", where) for v in allowed_raw))
        per_child = bool(row.get("per_child", False))
        unit = row_number(row.get("unit"), "unit", where, required=per_child)
        if per_child and unit <= 0:
            raise _fail(
                "unit of a per_child row is not positive", where, "give unit: 1.0 (coefficient per child)"
            )
        kinds = (not pd.isna(coefficient)) + (allowed is not None) + per_child
        if kinds > 1:
            raise _fail(
                "a row gives more than one of coefficient / allowed / per_child",
                where,
                "give one expected coefficient, OR an allowed set, OR per_child with a unit",
            )
        records.append(
            {
                "category": category,
                "disability_level": level,
                "age_min": age_min,
                "age_max": age_max,
                "age_of": age_of,
                "coefficient": coefficient,
                "allowed": allowed,
                "per_child": per_child,
                "unit": unit,
                "base": base,
                **row_period(row, where),
                "note": row.get("note"),
                **row_common(row, where, {}),
            }
        )
    return _frame(records, COEFFICIENT_COLUMNS)


def _category(value: object, where: RuleRow, categories: frozenset[str]) -> str:
    if value not in categories:
        raise _fail(
            f"category {value!r} is not a known category code",
            where,
            f"use one of {', '.join(sorted(categories))} (or add the code to categories.yml)",
        )
    return str(value)


def _parse_categories(doc: Mapping[str, Any], file: str) -> pd.DataFrame:
    records = []
    for where, row in _rows(doc, "categories", file):
        kind = row.get("kind")
        if kind not in ("monthly", "care", "social_pension"):
            raise _fail(f"kind {kind!r} is unknown", where, "use monthly, care or social_pension")
        records.append(
            {
                "code": _text(row.get("code"), "code", where),
                "kind": kind,
                "label_vi": _text(row.get("label_vi"), "label_vi", where, required=False),
                **row_common(row, where, {}),
            }
        )
    frame = _frame(records, ("code", "kind", "label_vi", "legal_basis", "confidence", "file"))
    dup = frame["code"][frame["code"].duplicated()]
    if len(dup):
        raise _fail(f"category {dup.iloc[0]!r} is listed twice", file, "keep one row per code")
    return frame


def _parse_age_limits(
    doc: Mapping[str, Any], file: str, categories: frozenset[str]
) -> dict[str, pd.DataFrame]:
    out = {}
    for section, extra in (("limits", ("continues_as", "continues_when")), ("min_ages", ())):
        records = []
        for where, row in _rows(doc, section, file):
            record: dict[str, Any] = {"category": _category(row.get("category"), where, categories)}
            age = row_number(row.get("age"), "age", where)
            record["age"] = int(age)
            for col in extra:
                record[col] = row.get(col)
            if record.get("continues_as") is not None:
                _category(record["continues_as"], where, categories)
            out_row = {**record, **row_common(row, where, {})}
            records.append(out_row)
        frame = _frame(records, ("category", "age", *extra, "legal_basis", "confidence", "file"))
        frame["age"] = frame["age"].astype("Int64")
        dup = frame["category"][frame["category"].duplicated()]
        if len(dup):
            raise _fail(
                f"category {dup.iloc[0]!r} has two rows",
                f"file {file}, section {section!r}",
                "keep one row per category",
            )
        out["age_limits" if section == "limits" else "min_ages"] = frame
    return out


def _parse_stacking(
    doc: Mapping[str, Any], file: str, categories: frozenset[str]
) -> tuple[pd.DataFrame, str]:
    default = doc.get("default", "duplicate")
    if default not in ("stack", "duplicate"):
        raise _fail(f"default {default!r} is unknown", file, "use default: duplicate (or stack)")
    records = []
    for where, row in _rows(doc, "rules", file):
        sides = []
        for side in ("a", "b"):
            values = row.get(side)
            if not isinstance(values, list) or not values:
                raise _fail(f"{side} is not a list of category codes", where, f"write {side}: [K4]")
            sides.append(tuple(_category(v, where, categories) for v in values))
        result = row.get("result")
        if result not in _STACK_RESULTS:
            raise _fail(f"result {result!r} is unknown", where, f"use one of {sorted(_STACK_RESULTS)}")
        same = row.get("same_category")
        if same not in (None, True, False):
            raise _fail(
                f"same_category {same!r} is not true/false",
                where,
                "write same_category: true, false, or leave it out",
            )
        records.append(
            {
                "id": _text(row.get("id"), "id", where),
                "a": sides[0],
                "b": sides[1],
                "same_category": same,
                "result": result,
                **row_common(row, where, {}),
            }
        )
    frame = _frame(records, ("id", "a", "b", "same_category", "result", "legal_basis", "confidence", "file"))
    return frame, str(default)


_DEADLINE_COLS = ("valid_from", "valid_to", "working_days", "legal_basis", "confidence", "note", "file")
_DAY_COLS = ("date", "kind", "name", "legal_basis", "file")


def _parse_deadlines(
    doc: Mapping[str, Any], file: str, *, required: bool
) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    records = []
    for where, row in _rows(doc, "decision", file, required=required):
        days = row_number(row.get("working_days"), "working_days", where)
        if days <= 0 or days != int(days):
            raise _fail(
                f"working_days {days:g} is not a positive whole number",
                where,
                "give the legal time in working days",
            )
        records.append(
            {
                **row_period(row, where),
                "working_days": int(days),
                "note": row.get("note"),
                **row_common(row, where, {}),
            }
        )
    deadlines = _frame(records, _DEADLINE_COLS)
    deadlines["working_days"] = deadlines["working_days"].astype("Int64")
    calendar = doc.get("calendar") or {}
    if not isinstance(calendar, dict):
        raise _fail("section 'calendar' is not a mapping", file, "see the packaged deadlines.yml")
    weekmask = None
    if "weekend" in calendar:
        weekend = calendar["weekend"]
        if not isinstance(weekend, list) or any(d not in _WEEKDAYS for d in weekend):
            raise _fail(
                f"calendar.weekend {weekend!r} is not a list of day names", file, "write weekend: [Sat, Sun]"
            )
        weekmask = " ".join(d for d in _WEEKDAYS if d not in weekend)
    day_rows: list[dict[str, Any]] = []
    for kind, section in (("non_working", "extra_non_working_days"), ("working", "extra_working_days")):
        for where, row in _rows(calendar, section, file, required=False):
            where = RuleRow(file, f"calendar.{section}", where.row)
            day = row_date(row.get("date"), "date", where, required=True)
            if kind == "working" and day.dayofweek < 5:
                raise _fail(
                    f"{day.date()} is a weekday, already a working day",
                    where,
                    "list only weekend days that were worked",
                )
            day_rows.append(
                {"date": day, "kind": kind, "name": row.get("name"), **row_common(row, where, {})}
            )
    frame = pd.DataFrame.from_records(day_rows, columns=list(_DAY_COLS))
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    return deadlines, frame[["date", "kind", "name", "legal_basis", "file"]], weekmask


def _parse_legal_basis(doc: Mapping[str, Any], file: str) -> pd.DataFrame:
    checks = doc.get("checks")
    if not isinstance(checks, dict):
        raise _fail(
            "section 'checks' is missing or not a mapping",
            file,
            "write checks: {CHECK_ID: {vi: ..., en: ...}}",
        )
    records = []
    for i, (check_id, texts) in enumerate(checks.items(), start=1):
        where = RuleRow(file, "checks", i)
        if not isinstance(texts, dict) or not str(texts.get("vi") or "").strip():
            raise _fail(
                f"check {check_id} has no Vietnamese legal basis",
                where,
                f"add {check_id}: {{vi: '…', en: '…'}}",
            )
        vi = str(texts["vi"]).strip()
        en = str(texts.get("en") or "").strip() or vi
        records.append({"check_id": str(check_id), "vi": vi, "en": en, "file": file})
    return pd.DataFrame.from_records(records, columns=["check_id", "vi", "en", "file"])


def _parse_provinces(doc: Mapping[str, Any], file: str) -> dict[str, pd.DataFrame]:
    defaults = doc.get("defaults") or {}
    records = []
    for where, row in _rows(doc, "provinces", file):
        code = _text(row.get("code"), "code", where)
        if code is None or len(code) != 3 or not code.isdigit():
            raise _fail(
                f"code {code!r} is not 3 digits", where, 'quote the code to keep leading zeros: code: "006"'
            )
        records.append(
            {"code": code, "name": _text(row.get("name"), "name", where), **row_common(row, where, defaults)}
        )
    provinces = pd.DataFrame.from_records(
        records, columns=["code", "name", "legal_basis", "confidence", "file"]
    )
    digits = []
    for where, row in _rows(doc, "id_digit4", file):
        digit = int(row_number(row.get("digit"), "digit", where))
        sex = row.get("sex")
        if sex not in ("M", "F"):
            raise _fail(f"sex {sex!r} is not M or F", where, "write sex: M or sex: F")
        century = int(row_number(row.get("century"), "century", where))
        digits.append({"digit": digit, "sex": sex, "century": century, **row_common(row, where, defaults)})
    id_digit4 = pd.DataFrame.from_records(
        digits, columns=["digit", "sex", "century", "legal_basis", "confidence", "file"]
    )
    documents = []
    for where, row in _rows(doc, "id_documents", file):
        documents.append(
            {
                "document": _text(row.get("document"), "document", where),
                "valid_until": row_date(row.get("valid_until"), "valid_until", where, required=True),
                **row_common(row, where, defaults),
            }
        )
    id_documents = pd.DataFrame.from_records(
        documents, columns=["document", "valid_until", "legal_basis", "confidence", "file"]
    )
    id_documents["valid_until"] = pd.to_datetime(id_documents["valid_until"]).astype("datetime64[ns]")
    merger = _parse_merger(doc, file, defaults)
    for frame, key in (
        (provinces, "code"),
        (id_digit4, "digit"),
        (id_documents, "document"),
        (merger, "old"),
    ):
        dup = frame[key][frame[key].duplicated()]
        if len(dup):
            raise _fail(f"{key} {dup.iloc[0]!r} is listed twice", file, "keep one row per code")
    return {
        "provinces": provinces,
        "id_digit4": id_digit4,
        "id_documents": id_documents,
        "province_merger": merger,
    }


CONSTANT_COLUMNS = ("name", "value", "unit", "legal_basis", "confidence", "note", "file")


def _parse_constants(doc: Mapping[str, Any], file: str, categories: frozenset[str]) -> pd.DataFrame:
    """Named values (a number, or a list of category codes when the name ends in ``_categories``)."""
    records = []
    for where, row in _rows(doc, "values", file):
        name = cast(str, _text(row.get("name"), "name", where))  # required: never None
        value: Any = row.get("value")
        if name.endswith("_categories"):
            if not isinstance(value, list) or not value:
                raise _fail(f"value of {name} is not a list of categories", where, "write value: [K5c]")
            value = tuple(_category(v, where, categories) for v in value)
        else:
            value = row_number(value, "value", where)
            value = int(value) if float(value).is_integer() else value
        records.append(
            {
                "name": name,
                "value": value,
                "unit": row.get("unit"),
                "note": row.get("note"),
                **row_common(row, where, {}),
            }
        )
    frame = pd.DataFrame.from_records(records, columns=list(CONSTANT_COLUMNS))
    dup = frame["name"][frame["name"].duplicated()]
    if len(dup):
        raise _fail(f"constant {dup.iloc[0]!r} is listed twice", file, "keep one row per name")
    return frame


MERGER_COLUMNS = ("old", "new", "name", "valid_from", "legal_basis", "confidence", "file")


def _parse_merger(doc: Mapping[str, Any], file: str, defaults: Mapping[str, Any]) -> pd.DataFrame:
    """``merged_2025``: pre-merger 2-digit province code → the province it belongs to from ``valid_from``."""
    records = []
    for where, row in _rows(doc, "merged_2025", file, required=False):
        codes = {}
        for col in ("old", "new"):
            try:
                codes[col] = normalise_province_code(row.get(col))
            except InputError:
                raise _fail(
                    f"{col} {row.get(col)!r} is not a province code", where, f'write {col}: "31"'
                ) from None
        records.append(
            {
                **codes,
                "name": _text(row.get("name"), "name", where, required=False),
                "valid_from": row_date(row.get("valid_from"), "valid_from", where, required=True),
                **row_common(row, where, defaults),
            }
        )
    return _frame(records, MERGER_COLUMNS)


# --------------------------------------------------------------------------------------- checks


_Row = dict[Any, Any]
_LO, _HI = pd.Timestamp.min, pd.Timestamp.max


def _span(row: _Row) -> tuple[Any, Any]:
    """[start, end) of a row with open ends replaced by the extreme timestamps."""
    start: Any = _LO if pd.isna(row["valid_from"]) else row["valid_from"]
    end: Any = _HI if pd.isna(row["valid_to"]) else row["valid_to"]
    return start, end


def _overlaps(frame: pd.DataFrame, key: Callable[[_Row, _Row], bool], what: str) -> None:
    """Raise when two rows with the same key have overlapping [valid_from, valid_to) periods."""
    rows: list[_Row] = frame.to_dict("records")
    for i, a in enumerate(rows):
        a0, a1 = _span(a)
        for b in rows[i + 1 :]:
            if not key(a, b):
                continue
            b0, b1 = _span(b)
            if a0 < b1 and b0 < a1:
                raise RuleError(
                    f"Overlapping periods in {what}: {_describe(a)} and {_describe(b)} "
                    f"(files {a['file']} / {b['file']})",
                    fix="end the earlier row (valid_to is exclusive) on or before the later row's valid_from, "
                    "or put a new rule in an extra file, which supersedes the packaged rows",
                )


def _describe(row: _Row) -> str:
    start: str = "open" if pd.isna(row["valid_from"]) else row["valid_from"].date().isoformat()
    end: str = "open" if pd.isna(row["valid_to"]) else row["valid_to"].date().isoformat()
    key = [str(row[c]) for c in ("scope", "category", "disability_level") if c in row and not pd.isna(row[c])]
    if "age_min" in row:
        key.append(f"age {_band(row['age_min'], row['age_max'])}")
    return f"[{' '.join(key)}] {start}..{end}".replace("[] ", "")


def _band(age_min: float, age_max: float) -> str:
    a = "0" if pd.isna(age_min) else f"{age_min:g}"
    b = "" if pd.isna(age_max) else f"{age_max:g}"
    return f"{a}..{b}"


def _same_scope(a: _Row, b: _Row) -> bool:
    return bool(a["scope"] == b["scope"])


def _always(a: _Row, b: _Row) -> bool:
    return True


def _same_coefficient_key(a: _Row, b: _Row) -> bool:
    """Same category, same (or wildcard) level, and overlapping age bands."""
    if a["category"] != b["category"]:
        return False
    la, lb = a["disability_level"], b["disability_level"]
    if not pd.isna(la) and not pd.isna(lb) and la != lb:
        return False
    a0: float = -1.0 if pd.isna(a["age_min"]) else a["age_min"]
    a1: float = 1e9 if pd.isna(a["age_max"]) else a["age_max"]
    b0: float = -1.0 if pd.isna(b["age_min"]) else b["age_min"]
    b1: float = 1e9 if pd.isna(b["age_max"]) else b["age_max"]
    return bool(a0 < b1 and b0 < a1)


_DATED: dict[str, tuple[Callable[[_Row, _Row], bool], str]] = {
    "standard_level": (_same_scope, "standard_level"),
    "social_pension_level": (_same_scope, "social_pension levels"),
    "social_pension_eligibility": (_always, "social_pension eligibility"),
    "coefficients": (_same_coefficient_key, "coefficients"),
    "deadlines": (_always, "deadlines"),
}


def _supersede(base: pd.DataFrame, extra: pd.DataFrame, key: Callable[[_Row, _Row], bool]) -> pd.DataFrame:
    """Clip every base row around the periods of the extra rows with the same key, then append them."""
    pieces: list[_Row] = base.to_dict("records")
    for x in extra.to_dict("records"):
        x0, x1 = _span(x)
        kept: list[_Row] = []
        for piece in pieces:
            p0, p1 = _span(piece)
            if not key(piece, x) or not (p0 < x1 and x0 < p1):
                kept.append(piece)
                continue
            if p0 < x0:  # the part before the extra row
                kept.append({**piece, "valid_to": x0})
            if x1 < p1:  # the part after it
                kept.append({**piece, "valid_from": x1})
        pieces = kept
    out = pd.concat(
        [pd.DataFrame.from_records(pieces, columns=list(base.columns)), extra.astype(object)],
        ignore_index=True,
    )
    for col in ("valid_from", "valid_to"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
    for col in base.columns:
        if col in ("valid_from", "valid_to"):
            continue
        out[col] = out[col].astype(base[col].dtype) if base[col].dtype != object else out[col]
    return out


# --------------------------------------------------------------------------------------- assembly


@dataclass(frozen=True)
class RuleData:
    """The parsed, validated rule set (shared, read-only; a RuleSet wraps it with a province)."""

    tables: Mapping[str, pd.DataFrame]
    stacking_default: str
    weekmask: str
    files: tuple[Path, ...]
    version: str
    caches: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    #: The extra files among ``files`` (their rows are reported as such in "levels applied").
    extra_files: tuple[Path, ...] = ()


@dataclass
class _Parsed:
    table: str
    frames: dict[str, pd.DataFrame]
    stacking_default: str | None = None
    weekmask: str | None = None


def _read_yaml(path: Path) -> tuple[dict[str, Any], bytes]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RuleError(f"Cannot read rule file: {exc}", file=path, fix="check the path") from None
    try:
        doc = yaml.load(raw.decode("utf-8"), Loader=RuleYamlLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RuleError(
            f"Rule file is not valid UTF-8 YAML: {exc}", file=path, fix="correct the syntax at the line shown"
        ) from None
    if not isinstance(doc, dict) or "table" not in doc:
        raise RuleError(
            "Rule file has no 'table:' key",
            file=path,
            fix=f"start the file with table: <one of {', '.join(TABLES)}>",
        )
    if doc["table"] not in TABLES:
        raise RuleError(
            f"unknown table {doc['table']!r}",
            file=path,
            section="table",
            fix=f"use one of {', '.join(TABLES)}",
        )
    return doc, raw


def _parse(doc: Mapping[str, Any], file: str, categories: frozenset[str], *, extra: bool) -> _Parsed:
    table = str(doc["table"])
    if table == "categories":
        return _Parsed(table, {"categories": _parse_categories(doc, file)})
    if table == "standard_level":
        return _Parsed(table, {"standard_level": _parse_levels(doc, file, required=not extra)})
    if table == "social_pension":
        return _Parsed(
            table,
            {
                "social_pension_level": _parse_levels(doc, file, required=not extra),
                "social_pension_eligibility": _parse_eligibility(doc, file, required=not extra),
                "category_ends": _parse_category_ends(doc, file, categories),
            },
        )
    if table == "coefficients":
        return _Parsed(table, {"coefficients": _parse_coefficients(doc, file, categories)})
    if table == "age_limits":
        return _Parsed(table, _parse_age_limits(doc, file, categories))
    if table == "stacking":
        rules, default = _parse_stacking(doc, file, categories)
        return _Parsed(table, {"stacking": rules}, stacking_default=default)
    if table == "deadlines":
        deadlines, days, weekmask = _parse_deadlines(doc, file, required=not extra)
        if extra and weekmask is not None:
            raise RuleError(
                "Extra rule file sets calendar.weekend",
                file=file,
                section="calendar",
                fix="the weekend can only be set in the base rule set",
            )
        return _Parsed(table, {"deadlines": deadlines, "calendar_days": days}, weekmask=weekmask)
    if table == "legal_basis":
        return _Parsed(table, {"legal_basis": _parse_legal_basis(doc, file)})
    if table == "constants":
        return _Parsed(table, {"constants": _parse_constants(doc, file, categories)})
    return _Parsed(table, _parse_provinces(doc, file))


def _validate(tables: Mapping[str, pd.DataFrame]) -> None:
    for name, (key, what) in _DATED.items():
        _overlaps(tables[name], key, what)
    coefficients = tables["coefficients"]
    age_of = coefficients.groupby("category")["age_of"].nunique()
    if (age_of > 1).any():
        raise RuleError(
            f"coefficients: category {age_of[age_of > 1].index[0]} mixes age_of values",
            fix="all rows of one category count the age of the same person (self or cared_for)",
        )
    basis = tables["legal_basis"]
    missing = [c for c in CHECK_IDS if c not in set(basis["check_id"])]
    if missing:
        raise RuleError(
            f"no legal basis for check(s) {', '.join(missing)}",
            file="legal_basis.yml",
            section="checks",
            fix="add each check_id under 'checks:' with its vi (and en) citation",
        )


def _assemble(base_dir: Path, extra_files: tuple[Path, ...]) -> RuleData:
    base_files = tuple(sorted(p for p in base_dir.glob("*.yml") if p.is_file()))
    docs = [(p, *_read_yaml(p)) for p in base_files]
    by_table: dict[str, tuple[Path, dict[str, Any]]] = {}
    for path, doc, _ in docs:
        table = str(doc["table"])
        if table in by_table:
            raise RuleError(
                f"Table {table!r} is defined twice in {base_dir}: {by_table[table][0].name} and {path.name}",
                file=path,
                fix="keep one file per table; put additions in an extra file",
            )
        by_table[table] = (path, doc)
    absent = [t for t in TABLES if t not in by_table]
    if absent:
        raise RuleError(
            f"Rule set {base_dir} lacks table(s) {', '.join(absent)}", fix="add the missing rule files"
        )
    cat_path, cat_doc = by_table["categories"]
    cat_frame = _parse_categories(cat_doc, cat_path.name)
    categories = frozenset(cat_frame["code"])
    tables: dict[str, pd.DataFrame] = {}
    stacking_default, weekmask = "duplicate", "Mon Tue Wed Thu Fri"
    for table in TABLES:
        path, doc = by_table[table]
        parsed = _parse(doc, path.name, categories, extra=False)
        tables.update(parsed.frames)
        stacking_default = parsed.stacking_default or stacking_default
        weekmask = parsed.weekmask or weekmask
    _validate(tables)

    hasher = hashlib.sha256()
    for path, _, raw in docs:
        hasher.update(path.name.encode() + b"\0" + raw + b"\0")
    for path in extra_files:
        doc, raw = _read_yaml(path)
        hasher.update(b"extra:" + path.name.encode() + b"\0" + raw + b"\0")
        table = str(doc["table"])
        if table not in EXTENDABLE:
            raise RuleError(
                f"Extra rule file extends table {table!r}, which extra files cannot change",
                file=path,
                section="table",
                fix=f"extra files may extend {', '.join(sorted(EXTENDABLE))}; edit the base rule set for the rest",
            )
        parsed = _parse(doc, path.name, categories, extra=True)
        for name, frame in parsed.frames.items():
            if name in _DATED:
                key, what = _DATED[name]
                _overlaps(frame, key, f"{what} of {path.name}")
                tables[name] = _supersede(tables[name], frame, key)
            elif name == "legal_basis":
                old = tables[name]
                tables[name] = pd.concat(
                    [old[~old["check_id"].isin(frame["check_id"])], frame], ignore_index=True
                )
            elif name == "calendar_days":
                tables[name] = (
                    pd.concat([tables[name], frame], ignore_index=True) if len(frame) else tables[name]
                )
    _validate(tables)
    return RuleData(
        tables=tables,
        stacking_default=stacking_default,
        weekmask=weekmask,
        files=base_files + extra_files,
        version=hasher.hexdigest(),
        extra_files=extra_files,
    )


def _signature(paths: Iterable[Path]) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime) of each file: the cache key, so an edited file is re-read."""
    out = []
    for p in paths:
        try:
            st = p.stat()
        except OSError:
            out.append((str(p), -1, -1))
            continue
        out.append((str(p), st.st_size, st.st_mtime_ns))
    return tuple(out)


@functools.lru_cache(maxsize=16)
def _cached(base_dir: str, extras: tuple[str, ...], signature: tuple[tuple[str, int, int], ...]) -> RuleData:
    return _assemble(Path(base_dir), tuple(Path(p) for p in extras))


def load_rule_data(path: Path | None = None, extra_files: Sequence[Path] = ()) -> RuleData:
    """Parse and validate a rule set (cached: loading the same unchanged files again is free).

    Args:
        path: directory holding one YAML file per table; the packaged rules when None.
        extra_files: YAML files extending the dated tables (applied in order).

    Returns:
        The validated :class:`RuleData`.

    Raises:
        RuleError: a rule file is malformed or inconsistent (the message names file, row and fix).
    """
    base = Path(path).resolve() if path is not None else PACKAGED_DIR
    if not base.is_dir():
        raise RuleError(
            f"Rule directory {base} does not exist", fix="pass a directory of rule YAML files, or None"
        )
    extras = tuple(str(Path(p).resolve()) for p in extra_files)
    signature = _signature([*sorted(base.glob("*.yml")), *map(Path, extras)])
    return _cached(str(base), extras, signature)
