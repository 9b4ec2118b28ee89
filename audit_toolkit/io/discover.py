"""Finding wards, their tables and their metadata on disk.

A ward is a folder of ``.xlsx``/``.csv`` files (one per table, the stem names the table) or one
workbook (one sheet per table). A batch is a folder whose children are wards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from audit_toolkit.contract import TABLES, map_categories, match_table_name
from audit_toolkit.errors import InputError
from audit_toolkit.io.month_sheets import bare_month, month_in_text
from audit_toolkit.io.readers import WORKBOOK_SUFFIXES, read_sheet_grid, sheet_names
from audit_toolkit.normalize import fold, fold_key, to_text

__all__ = [
    "TableSource",
    "category_sheet_labels",
    "WardMeta",
    "discover_wards",
    "find_sources",
    "is_batch",
    "is_ward_folder",
    "read_columns_map",
    "read_ward_meta",
    "ward_config_file",
]

DATA_SUFFIXES = WORKBOOK_SUFFIXES | {".csv"}
_META_KEYS = {
    "ward_code": ["ward_code", "ma xa", "ma phuong", "ma don vi", "ma xa phuong", "ma dvhc"],
    "ward_name": ["ward_name", "ten xa", "ten phuong", "ten don vi", "xa phuong", "phuong", "xa"],
    "province_code": ["province_code", "ma tinh"],
    "province_name": ["province_name", "ten tinh", "tinh", "tinh thanh pho"],
}
_META_LOOKUP = {fold_key(alias): key for key, aliases in _META_KEYS.items() for alias in aliases}
_META_WIDTH = {"ward_code": 5, "province_code": 2}
_META_SHEETS = ("ward", "thong tin", "thong tin xa", "thong tin phuong")


@dataclass(frozen=True)
class TableSource:
    """Where one table of a ward is (or one part of it): a CSV file, or a sheet of a workbook
    (``sheet=None``: find it). ``label``: the category a sheet is named by (one sheet per category)."""

    table: str
    path: Path
    sheet: str | None
    label: str | None = None


@dataclass
class WardMeta:
    """Ward metadata from ``ward.yml`` or a ``ward`` sheet."""

    ward_code: str | None = None
    ward_name: str | None = None
    province_code: str | None = None
    province_name: str | None = None


def _visible(path: Path) -> bool:
    return not path.name.startswith((".", "~$"))


def _data_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.is_file() and _visible(p) and p.suffix.lower() in DATA_SUFFIXES
    )


def is_ward_folder(path: Path) -> bool:
    """A folder with at least one file whose stem names a table."""
    return path.is_dir() and any(match_table_name(p.stem) for p in _data_files(path))


def is_batch(path: str | Path) -> bool:
    """Whether ``path`` is a batch: a folder that is not a ward but holds ward folders or workbooks.

    Example:
        >>> is_batch("data/sample")  # doctest: +SKIP
        True
    """
    path = Path(path)
    if not path.is_dir() or is_ward_folder(path):
        return False
    return any(_is_child_ward(p) for p in path.iterdir() if _visible(p))


def _is_child_ward(path: Path) -> bool:
    if path.is_dir():
        return is_ward_folder(path)
    return path.is_file() and path.suffix.lower() in WORKBOOK_SUFFIXES


def discover_wards(path: str | Path) -> list[Path]:
    """The wards under ``path``: itself (a ward folder or workbook), or each child of a batch.

    Raises:
        InputError: ``path`` does not exist or holds no ward.

    Example:
        >>> discover_wards("data/sample/phung-chi-kien")  # doctest: +SKIP
        [PosixPath('data/sample/phung-chi-kien')]
    """
    path = Path(path)
    if not path.exists():
        raise InputError(
            "Path not found", file=path, fix="Give a ward folder, a ward workbook or a batch folder."
        )
    if path.is_file():
        if path.suffix.lower() not in WORKBOOK_SUFFIXES:
            raise InputError(
                "A single file must be a workbook with one sheet per table",
                file=path,
                fix="Give the folder that holds this file, or an .xlsx workbook.",
            )
        return [path]
    if is_ward_folder(path):
        return [path]
    wards = sorted(p for p in path.iterdir() if _visible(p) and _is_child_ward(p))
    if not wards:
        names = ", ".join(sorted(t for t in TABLES))
        raise InputError(
            "No ward found: no file or sheet is named after a table, and no child folder is a ward",
            file=path,
            fix=f"Name files after the tables ({names}) or their Vietnamese names, e.g. danh_sach_doi_tuong.xlsx.",
        )
    return wards


def ward_config_file(ward: Path, name: str) -> Path | None:
    """A ward's ``columns.yml`` / ``categories.yml``: in the folder, or beside a workbook
    (``<stem>.<name>`` first, then ``<name>`` in the same folder)."""
    candidates = (
        [ward / name] if ward.is_dir() else [ward.with_name(f"{ward.stem}.{name}"), ward.with_name(name)]
    )
    return next((c for c in candidates if c.is_file()), None)


def _claim(found: dict[str, list[TableSource]], source: TableSource, ward: Path) -> None:
    # Payments may come in parts, each named by its month (one sheet or file per month); any other
    # table, or payments claimed twice without months, comes from one input.
    parts = found.get(source.table, [])
    if parts and not (source.table == "payments" and all(_names_month(s) for s in [*parts, source])):
        other = parts[0]
        where = [f"{s.path.name}" + (f" [{s.sheet}]" if s.sheet else "") for s in (other, source)]
        raise InputError(
            f"Two inputs claim table '{source.table}': {where[0]} and {where[1]}",
            file=ward,
            fix="Keep one of them, or rename the other so it names no table.",
        )
    found.setdefault(source.table, []).append(source)


def _names_month(source: TableSource) -> bool:
    name = source.sheet if source.sheet is not None else source.path.stem
    return month_in_text(name) is not None or bare_month(name) is not None


def category_sheet_labels(names: list[str]) -> dict[str, str]:
    """The sheets named by a category (``NKT ĐBN``, ``NCT trên 80``) and not by a table: ``{sheet: name}``."""
    candidates = [n for n in names if match_table_name(n) is None and fold(n) not in _META_SHEETS]
    if not candidates:
        return {}
    mapped = map_categories(pd.Series(candidates, dtype="str"))["category"]
    return {n: n for n, code in zip(candidates, mapped.tolist(), strict=True) if isinstance(code, str)}


def find_sources(ward: Path) -> tuple[dict[str, list[TableSource]], list[str]]:
    """The tables of one ward (each one or more parts) and warnings about inputs that name no table.

    Besides inputs named after a table, a sheet or file named by a month (``T1-2023``) is a part of
    the payments, and in a ward workbook without a beneficiaries sheet, sheets named by a category
    (``NKT ĐBN``) are the beneficiaries, one sheet per category (data contract §1a).

    Raises:
        InputError: two files or sheets claim the same table (other than payments).
    """
    found: dict[str, list[TableSource]] = {}
    warnings: list[str] = []
    if ward.is_file():
        names = sheet_names(ward)
        categories = category_sheet_labels(names)
        named_beneficiaries = any(match_table_name(n) == "beneficiaries" for n in names)
        for sheet in names:
            table = match_table_name(sheet)
            if table:
                _claim(found, TableSource(table, ward, sheet), ward)
            elif month_in_text(sheet) is not None or bare_month(sheet) is not None:
                _claim(found, TableSource("payments", ward, sheet), ward)
            elif sheet in categories and not named_beneficiaries:
                found.setdefault("beneficiaries", []).append(
                    TableSource("beneficiaries", ward, sheet, label=categories[sheet])
                )
            elif fold(sheet) not in _META_SHEETS:
                warnings.append(f"{ward.name} [{sheet}]: sheet name matches no table; ignored.")
        return found, warnings
    for path in _data_files(ward):
        table = match_table_name(path.stem)
        if table:
            _claim(found, TableSource(table, path, None), ward)
        elif month_in_text(path.stem) is not None:
            _claim(found, TableSource("payments", path, None), ward)
        else:
            warnings.append(f"{path.name}: file name matches no table; ignored.")
    return found, warnings


def _clean_meta(values: dict[str, Any]) -> WardMeta:
    meta = WardMeta()
    for key, value in values.items():
        if value is None or str(value).strip() == "":
            continue
        text = str(value).strip()
        if re.fullmatch(r"\d+\.0+", text):  # a code typed as a number in a workbook
            text = text.split(".")[0]
        if key in _META_WIDTH and text.isdigit():
            text = text.zfill(_META_WIDTH[key])
        setattr(meta, key, text)
    return meta


def read_ward_meta(ward: Path) -> tuple[WardMeta, str | None]:
    """Metadata from ``ward.yml`` (folder) or a ``ward`` sheet (workbook); codes stay strings.

    Returns the metadata and the file it came from (``None`` when there is none).
    """
    if ward.is_dir():
        path = next((ward / n for n in ("ward.yml", "ward.yaml") if (ward / n).is_file()), None)
        if path is None:
            return WardMeta(), None
        try:
            # BaseLoader keeps every scalar a string: "01843" stays "01843", not 1843 or octal.
            data = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=yaml.BaseLoader) or {}
        except yaml.YAMLError as exc:
            raise InputError(
                f"Cannot read ward.yml: {exc}", file=path, fix="Write `key: value` lines."
            ) from exc
        if not isinstance(data, dict):
            raise InputError("ward.yml must hold `key: value` lines", file=path)
        values = {_META_LOOKUP[fold_key(k)]: v for k, v in data.items() if fold_key(k) in _META_LOOKUP}
        return _clean_meta(values), path.name
    for sheet in sheet_names(ward):
        if fold(sheet) in _META_SHEETS:
            grid = read_sheet_grid(ward, sheet).grid
            if grid.shape[1] < 2:
                return WardMeta(), None
            keys = to_text(grid[0].astype(object)).fillna("")
            vals = grid[1].astype(object)
            values = {
                _META_LOOKUP[fold_key(k)]: v
                for k, v in zip(keys.tolist(), vals.tolist(), strict=True)
                if fold_key(k) in _META_LOOKUP
            }
            texts = {k: to_text(pd.Series([v], dtype=object)).iloc[0] for k, v in values.items()}
            return _clean_meta(texts), f"{ward.name} [{sheet}]"
    return WardMeta(), None


def read_columns_map(ward: Path) -> tuple[dict[str, dict[str, str]], str | None]:
    """A ward's ``columns.yml``: ``{table: {"Header text": canonical}}``, validated.

    Raises:
        InputError: unknown table or canonical column name.
    """
    path = ward_config_file(ward, "columns.yml")
    if path is None:
        return {}, None
    try:
        data = (
            yaml.load(
                path.read_text(encoding="utf-8-sig"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            )
            or {}
        )
    except yaml.YAMLError as exc:
        raise InputError(f"Cannot read columns.yml: {exc}", file=path) from exc
    if not isinstance(data, dict):
        raise InputError("columns.yml must map tables to {header: column}", file=path)
    out: dict[str, dict[str, str]] = {}
    for table_name, mapping in data.items():
        table = table_name if table_name in TABLES else match_table_name(str(table_name))
        if table is None:
            raise InputError(
                f"Unknown table {table_name!r} in columns.yml", file=path, fix="Use: " + ", ".join(TABLES)
            )
        if not isinstance(mapping, dict):
            raise InputError(f"columns.yml: {table_name} must map headers to column names", file=path)
        for header, canonical in mapping.items():
            if str(canonical) not in TABLES[table].columns:
                raise InputError(
                    f"columns.yml maps {header!r} to unknown column {canonical!r} of table {table}",
                    file=path,
                    fix="Use one of: " + ", ".join(TABLES[table].columns),
                )
            out.setdefault(table, {})[str(header)] = str(canonical)
    return out, path.name
