"""``rates.yml``: the levels in force where the ward is (data contract §1b).

A province's People's Council (HĐND) may set a standard level (mức chuẩn trợ giúp xã hội) and a
social-pension level above the national ones; the toolkit's tables cannot know them all. A
``rates.yml`` states them::

    standard_level:
      - {valid_from: 2026-01-01, amount: 650000, legal_basis: "Nghị quyết 63/2025/NQ-HĐND"}
    social_pension:
      - {valid_from: 2025-07-01, valid_to: 2026-01-01, amount: 500000, legal_basis: "NĐ 176/2025/NĐ-CP"}

Its rows win over the toolkit's national and provincial rows for the months they cover. It is
found in the ward folder (or beside a ward workbook: ``<stem>.rates.yml``, then ``rates.yml`` in the
same folder), else in the batch folder; the ward's own file wins over the batch's.

Errors are :class:`~audit_toolkit.errors.InputError` (CLI exit 2) naming the file, the line and the
fix: unknown key, missing amount, bad date, overlapping periods, a level below the national one.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from audit_toolkit.errors import InputError, RuleError
from audit_toolkit.rules.loader import LEVEL_COLUMNS, RuleRow, RuleYamlLoader

__all__ = ["RATES_FILE", "RATES_SCOPE", "Rates", "find_rates_file", "read_rates"]

RATES_FILE = "rates.yml"
#: The scope of rates.yml rows in the level tables (the national rows are "national", a province's its code).
RATES_SCOPE = "rates"
#: rates.yml section → the rule table it feeds.
_SECTIONS = {"standard_level": "standard_level", "social_pension": "social_pension_level"}
_ROW_KEYS = frozenset({"valid_from", "valid_to", "amount", "legal_basis", "confidence", "note"})


@dataclass(frozen=True)
class Rates:
    """A parsed ``rates.yml``: rows per level table (scope ``"rates"``), the file and its hash."""

    path: Path
    frames: dict[str, pd.DataFrame]
    sha256: str
    lines: dict[tuple[str, int], int]  # (table, position in its frame) → line in the file


def find_rates_file(ward: Path, batch: Path | None = None) -> Path | None:
    """The ``rates.yml`` that applies to a ward: its own, else the batch folder's, else ``None``.

    Args:
        ward: the ward folder or ward workbook.
        batch: the batch folder the ward was found in (None for a single ward).
    """
    ward = Path(ward)
    own = (
        [ward / RATES_FILE]
        if ward.is_dir()
        else [ward.with_name(f"{ward.stem}.{RATES_FILE}"), ward.with_name(RATES_FILE)]
    )
    candidates = own + ([Path(batch) / RATES_FILE] if batch is not None else [])
    return next((c for c in candidates if c.is_file()), None)


@dataclass(frozen=True)
class _LineWhere(RuleRow):
    """A row position that also knows its line in the file (rates.yml errors name lines)."""

    line: int = 0

    def __str__(self) -> str:
        return f"line {self.line}, section {self.section!r}, row {self.row}"


def _error(path: Path, line: int | None, message: str, fix: str) -> InputError:
    where = f" (line {line})" if line else ""
    return InputError(f"rates.yml: {message}{where}", file=path, fix=fix)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _parse(path: Path, raw: bytes) -> Rates:
    from audit_toolkit.rules import loader

    try:
        text = raw.decode("utf-8-sig")
        root = yaml.compose(text, Loader=RuleYamlLoader)
        doc = yaml.load(text, Loader=RuleYamlLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise _error(
            path,
            None if mark is None else mark.line + 1,
            f"not valid UTF-8 YAML: {exc}",
            "correct the syntax",
        ) from None
    if doc is None:
        doc, root = {}, None
    if not isinstance(doc, dict) or (root is not None and not isinstance(root, yaml.MappingNode)):
        raise _error(
            path, 1, "the file is not a mapping", "write 'standard_level:' and/or 'social_pension:' lists"
        )
    nodes = {str(k.value): (k, v) for k, v in (root.value if root is not None else [])}
    frames: dict[str, pd.DataFrame] = {}
    lines: dict[tuple[str, int], int] = {}
    for key in doc:
        if str(key) not in _SECTIONS:
            raise _error(
                path,
                _line(nodes[str(key)][0]) if str(key) in nodes else None,
                f"unknown key {key!r}",
                f"use {', '.join(_SECTIONS)} (each a list of rows)",
            )
    for section, table in _SECTIONS.items():
        rows = doc.get(section)
        if rows is None:
            frames[table] = pd.DataFrame(columns=list(LEVEL_COLUMNS))
            continue
        key_node, value_node = nodes[section]
        if not isinstance(rows, list) or not isinstance(value_node, yaml.SequenceNode):
            raise _error(
                path,
                _line(key_node),
                f"{section!r} is not a list of rows",
                f"write '{section}:' as a list ('- {{...}}')",
            )
        records: list[dict[str, Any]] = []
        for i, (row, node) in enumerate(zip(rows, value_node.value, strict=True), start=1):
            line = _line(node)
            if not isinstance(row, dict):
                raise _error(
                    path,
                    line,
                    f"row {i} of {section!r} is not a mapping",
                    "write valid_from, amount, legal_basis",
                )
            unknown = sorted(str(k) for k in row if str(k) not in _ROW_KEYS)
            if unknown:
                raise _error(
                    path,
                    line,
                    f"unknown key {unknown[0]!r} in row {i} of {section!r}",
                    f"use {', '.join(sorted(_ROW_KEYS))}",
                )
            where = _LineWhere(str(path), section, i, line)
            try:
                start = loader.row_date(row.get("valid_from"), "valid_from", where, required=True)
                period = loader.row_period(row, where)
                amount = loader.row_number(row.get("amount"), "amount", where)
                common = loader.row_common(row, where, {"confidence": "M"})
            except RuleError as exc:
                # rates.yml names lines, not files: the row's place as _LineWhere writes it.
                raise _error(path, line, f"{exc.message} ({where})", exc.fix or "correct the row") from None
            if amount <= 0:
                raise _error(
                    path, line, f"amount {amount:g} is not positive", "give the monthly amount in VND"
                )
            lines[(table, len(records))] = line
            records.append(
                {
                    "scope": RATES_SCOPE,
                    **period,
                    "valid_from": start,
                    "amount": amount,
                    "note": row.get("note"),
                    **common,
                    "file": str(path),
                }
            )
        frame = pd.DataFrame.from_records(records, columns=list(LEVEL_COLUMNS))
        for col in ("valid_from", "valid_to"):
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
        _no_overlap(path, section, frame, [lines[(table, i)] for i in range(len(frame))])
        frames[table] = frame
    return Rates(path=path, frames=frames, sha256=hashlib.sha256(raw).hexdigest(), lines=lines)


def _no_overlap(path: Path, section: str, frame: pd.DataFrame, lines: list[int]) -> None:
    """Two rows of one section covering the same day: an error naming both lines."""
    lo, hi = pd.Timestamp.min, pd.Timestamp.max
    spans = [
        (lo if pd.isna(a) else a, hi if pd.isna(b) else b)
        for a, b in zip(frame["valid_from"], frame["valid_to"], strict=True)
    ]
    for i, (a0, a1) in enumerate(spans):
        for j in range(i + 1, len(spans)):
            b0, b1 = spans[j]
            if a0 < b1 and b0 < a1:
                raise _error(
                    path,
                    lines[j],
                    f"rows of {section!r} at lines {lines[i]} and {lines[j]} overlap",
                    "end the earlier row (valid_to is exclusive) on or before the later row's valid_from",
                )


@functools.lru_cache(maxsize=64)
def _cached(path: str, size: int, mtime: int) -> Rates:
    p = Path(path)
    return _parse(p, p.read_bytes())


def read_rates(path: str | Path) -> Rates:
    """Parse and check one ``rates.yml`` (cached per unchanged file, so a batch reads it once).

    Raises:
        InputError: the file cannot be read or is malformed (file, line and fix in the message).
    """
    p = Path(path).resolve()
    try:
        st = p.stat()
    except OSError as exc:
        raise InputError(f"Cannot read rates.yml: {exc}", file=p, fix="check the path") from None
    return _cached(str(p), st.st_size, st.st_mtime_ns)
