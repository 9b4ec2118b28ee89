"""``load_ward``: a ward folder or workbook → typed tables, unreadable rows and provenance."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from audit_toolkit.contract import (
    TABLES,
    CategoryTable,
    TableSpec,
    load_category_table,
    map_categories,
    match_table_name,
)
from audit_toolkit.errors import InputError
from audit_toolkit.io.convert import person_keys, type_table
from audit_toolkit.io.discover import (
    TableSource,
    find_sources,
    read_columns_map,
    read_ward_meta,
    ward_config_file,
)
from audit_toolkit.io.headers import HeaderLayout, detect_header, missing_columns_error
from audit_toolkit.io.readers import RawSheet, read_csv_grid, read_sheet_grid, sheet_names
from audit_toolkit.normalize import fold, fold_series, normalize_text
from audit_toolkit.rules.rates import find_rates_file, read_rates

__all__ = ["SourceFile", "UNREADABLE_COLUMNS", "WardData", "load_ward"]

UNREADABLE_COLUMNS = ["table", "file", "sheet", "row", "column", "value", "reason"]
_TOTAL = re.compile(r"^(tong cong|tong so|tong|cong|total)( .*)?$")
# Cheap first pass (runs in pyarrow): "Tổng…", "Cộng…", "Total", in NFC or decomposed form.
_TOTAL_PREFILTER = "^[ ]*(?:[Tt][ỔổÔôOo]|[Cc][ỘộÔôOo]|TOTAL|Total|total)"


@dataclass
class SourceFile:
    """One input table as read: where, its hash, row counts and how its columns were understood."""

    path: Path
    sha256: str
    table: str
    sheet: str
    rows_total: int  # data rows (not title, header, blank or total rows)
    rows_read: int
    rows_unreadable: int
    header_row: int  # 1-based row number of the (first) header row
    column_map: dict[str, str]  # header text → canonical column


@dataclass
class WardData:
    """Everything read from one ward (see docs/architecture.md, 'WardData')."""

    ward_id: str
    ward_code: str | None
    ward_name: str
    province_code: str | None
    province_name: str | None
    path: Path
    tables: dict[str, pd.DataFrame]
    unreadable: pd.DataFrame
    sources: list[SourceFile] = field(default_factory=list)
    extra_columns: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: The ``rates.yml`` that applies (the ward's own; a batch run fills in the batch folder's).
    rates_file: Path | None = None


@cache
def _sha256(path: Path, mtime: float, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _hash(path: Path) -> str:
    stat = path.stat()
    return _sha256(path.resolve(), stat.st_mtime, stat.st_size)


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", fold(text)).strip("-") or "ward"


def _nonempty(grid: pd.DataFrame, cols: list[int]) -> pd.DataFrame:
    """Cell-present mask for ``cols`` (whitespace-only cells are empty)."""
    out = {}
    for c in cols:
        s = grid[c]
        if s.dtype == object:
            out[c] = s.map(lambda v: v is not None and not (isinstance(v, str) and not v.strip())).astype(
                bool
            )
        else:
            out[c] = (s.notna() & s.str.strip().ne("")).astype(bool)
    return pd.DataFrame(out, index=grid.index)


def _total_rows(grid: pd.DataFrame, cols: list[int]) -> pd.Series:
    total = pd.Series(False, index=grid.index)
    for c in cols:
        col = grid[c]
        if col.dtype == object:
            col = col.where(col.map(lambda v: isinstance(v, str)), None)
        text = col.astype("str")
        candidates = text.str.contains(_TOTAL_PREFILTER, regex=True).fillna(False).astype(bool)
        if candidates.any():
            folded = fold_series(text[candidates])
            total[folded.index] |= folded.str.match(_TOTAL.pattern).fillna(False).astype(bool)
    return total


def _pick_sheet(
    path: Path, spec: TableSpec, user_map: dict[str, str]
) -> tuple[str, RawSheet, HeaderLayout | None]:
    """For a workbook file named after a table: the sheet named like it, else the first with a header."""
    names = sheet_names(path)
    if not names:
        raise InputError(
            "The workbook has no visible worksheet", file=path.name, fix="Unhide the data sheet."
        )
    ordered = sorted(names, key=lambda n: match_table_name(n) != spec.name)
    first: tuple[str, RawSheet, HeaderLayout | None] | None = None
    for name in ordered:
        raw = read_sheet_grid(path, name)
        layout = detect_header(raw.grid, spec, merges=raw.merges, user_map=user_map)
        if layout is not None:
            return name, raw, layout
        first = first or (name, raw, None)
    assert first is not None
    return first


def _resolve_ambiguous(layout: HeaderLayout, data: pd.DataFrame, categories: CategoryTable) -> None:
    """A header such as 'Mã đối tượng' may be the record number or the category: look at the values."""
    for col, candidates in layout.ambiguous.items():
        choice = candidates[0]
        if "category" in candidates:
            values = data[col].dropna()
            mapped = map_categories(values, table=categories)["category"]
            if len(values) and mapped.notna().mean() >= 0.8:
                choice = "category"
            else:
                choice = next(c for c in candidates if c != "category")
        layout.mapping[col] = choice
    layout.ambiguous = {}


def _read_source(
    source: TableSource,
    ward: Path,
    user_map: dict[str, str],
    categories: CategoryTable,
    columns_file: str,
) -> tuple[pd.DataFrame, pd.DataFrame, SourceFile, list[str], list[str]]:
    spec = TABLES[source.table]
    file_name = source.path.name if ward.is_file() else str(source.path.relative_to(ward))
    layout: HeaderLayout | None
    if source.path.suffix.lower() == ".csv":
        sheet = ""
        raw = read_csv_grid(source.path)
        layout = detect_header(raw.grid, spec, user_map=user_map)
    elif source.sheet is None:
        sheet, raw, layout = _pick_sheet(source.path, spec, user_map)
    else:
        sheet = source.sheet
        raw = read_sheet_grid(source.path, sheet)
        layout = detect_header(raw.grid, spec, merges=raw.merges, user_map=user_map)
    grid = raw.grid
    if layout is None:
        first = [str(v) for v in grid.iloc[0].tolist() if v not in (None, "")] if len(grid) else []
        err = missing_columns_error(
            spec,
            [c.name for c in spec.columns.values() if c.required] or [next(iter(spec.columns))],
            first,
            file=file_name,
            sheet=sheet,
            columns_file=columns_file,
        )
        err.message = (
            "No header row found in the first 30 rows (no row names two known columns). " + err.message
        )
        raise InputError(err.message, file=file_name, sheet=sheet or None, fix=err.fix)
    last_header = max(layout.skip_rows)
    data = grid.loc[grid.index > last_header]
    _resolve_ambiguous(layout, data, categories)
    _check_columns(spec, layout, file_name, sheet, columns_file)

    used = sorted(
        {*layout.mapping, *layout.extra, *(c for d in layout.sex_split.values() for c in d.values())}
    )
    present = _nonempty(data, used)
    blank = ~present.any(axis=1)
    total = pd.Series(False, index=data.index)
    if not spec.keeps_totals:
        name_cols = [c for c, n in layout.mapping.items() if n == "full_name"]
        total = _total_rows(data, sorted({*range(min(3, data.shape[1])), *name_cols}))
        if total.any():
            # Signature lines under a total row ("Người lập biểu", "Chủ tịch") are not records.
            after = data.index > data.index[total.to_numpy()].max()
            total = total | (pd.Series(after, index=data.index) & (present.sum(axis=1) <= 2))
    records = data.loc[~blank & ~total]

    frame, extras = _raw_frame(records, layout)
    typed, problems = type_table(frame, spec, categories=categories)
    for name in extras:
        typed[name] = normalize_text(frame[name]).values
    if layout.sex_split:
        _sex_split_problems(records, layout, problems)
    bad_idx = problems.index
    good = typed.drop(index=bad_idx)
    good.insert(0, "_sheet", sheet)
    good.insert(0, "_file", file_name)
    good.insert(0, "_row", good.index.to_numpy(dtype="int64"))
    if spec.person:
        good["name_key"], good["person_key"] = person_keys(good)
    good = good.reset_index(drop=True)
    unreadable = pd.DataFrame(
        {
            "table": spec.name,
            "file": file_name,
            "sheet": sheet,
            "row": problems.index.to_numpy(dtype="int64"),
            "column": problems["column"].to_numpy(),
            "value": problems["value"].to_numpy(),
            "reason": problems["reason"].to_numpy(),
        }
    )
    column_map = {layout.names[c]: n for c, n in layout.mapping.items()}
    for canonical, cols in layout.sex_split.items():
        for sex, c in cols.items():
            column_map[layout.names[c]] = f"{canonical} ({'Nam' if sex == 'M' else 'Nữ'})"
    src = SourceFile(
        path=source.path,
        sha256=_hash(source.path),
        table=spec.name,
        sheet=sheet,
        rows_total=len(records),
        rows_read=len(good),
        rows_unreadable=len(unreadable),
        header_row=layout.header_rows[0],
        column_map=column_map,
    )
    warnings = list(raw.warnings)
    warnings += [
        f"{file_name}{f' [{sheet}]' if sheet else ''}: header '{h}' names a column already read; kept as an extra column."
        for h in layout.duplicates
    ]
    return good, unreadable, src, extras, warnings


def _check_columns(spec: TableSpec, layout: HeaderLayout, file: str, sheet: str, columns_file: str) -> None:
    found = set(layout.mapping.values()) | set(layout.sex_split)
    missing = [c.name for c in spec.columns.values() if c.required and c.name not in found]
    missing += [g[0] for g in spec.one_of if not found & set(g)]
    missing += [c for c, other in spec.required_unless.items() if c not in found and other not in found]
    if missing:
        headers = [layout.names[c] for c in sorted(layout.names) if layout.names[c]]
        raise missing_columns_error(
            spec, list(dict.fromkeys(missing)), headers, file=file, sheet=sheet, columns_file=columns_file
        )


def _raw_frame(records: pd.DataFrame, layout: HeaderLayout) -> tuple[pd.DataFrame, list[str]]:
    cols: dict[str, pd.Series] = {name: records[c] for c, name in layout.mapping.items()}
    for canonical, split in layout.sex_split.items():
        m, f = records[split["M"]].astype(object), records[split["F"]].astype(object)
        m_set = m.map(lambda v: v is not None and str(v).strip() != "").astype(bool)
        if canonical == "birth_date":
            cols["birth_date"] = m.where(m_set, f)
        if "sex" not in cols:
            f_set = f.map(lambda v: v is not None and str(v).strip() != "").astype(bool)
            sex = pd.Series(None, index=records.index, dtype=object)
            sex[f_set] = "Nữ"
            sex[m_set] = "Nam"
            cols["sex"] = sex
    extras: list[str] = []
    for c, header in layout.extra.items():
        name = header
        n = 2
        while name in cols or name in extras:
            name = f"{header} ({n})"
            n += 1
        cols[name] = records[c]
        extras.append(name)
    return pd.DataFrame(cols, index=records.index), extras


def _sex_split_problems(records: pd.DataFrame, layout: HeaderLayout, problems: pd.DataFrame) -> None:
    for canonical, split in layout.sex_split.items():
        both = pd.concat(
            [
                records[split[s]].astype(object).map(lambda v: v is not None and str(v).strip() != "")
                for s in "MF"
            ],
            axis=1,
        ).all(axis=1)
        for idx in both[both].index:
            line = f"{canonical}: filled under both Nam and Nữ"
            if idx in problems.index:
                problems.loc[idx, "reason"] += "; " + line
            else:
                problems.loc[idx, ["column", "value", "reason"]] = [canonical, "", line]
    problems.sort_index(inplace=True)


def load_ward(path: str | Path, *, strict: bool = False) -> WardData:
    """Read one ward (a folder of files or a workbook) into typed tables.

    Args:
        path: a ward folder or a ward workbook.
        strict: raise :class:`InputError` on the first unreadable row instead of collecting it.

    Raises:
        InputError: the ward cannot be used (no beneficiaries table, a required column is
            missing, a workbook cannot be opened, two files claim one table, …).

    Example:
        >>> ward = load_ward("data/sample/phung-chi-kien")  # doctest: +SKIP
        >>> ward.tables["beneficiaries"][["full_name", "category"]].head()  # doctest: +SKIP
    """
    ward = Path(path)
    if not ward.exists():
        raise InputError("Ward path not found", file=ward, fix="Give a ward folder or a ward workbook.")
    sources, warnings = find_sources(ward)
    missing = [name for name, spec in TABLES.items() if spec.required and name not in sources]
    if missing:
        raise InputError(
            f"Required table '{missing[0]}' not found (files or sheets found: "
            + (
                ", ".join(
                    sorted({s.path.name + (f" [{s.sheet}]" if s.sheet else "") for s in sources.values()})
                )
                or "none"
            )
            + ")",
            file=ward,
            fix="Name the file or sheet 'beneficiaries' or 'danh_sach_doi_tuong' (Danh sách đối tượng).",
        )
    meta, meta_file = read_ward_meta(ward)
    rates_file = find_rates_file(ward)
    if rates_file is not None:
        read_rates(rates_file)  # a malformed rates.yml stops here, naming file and line
    columns_map, columns_file = read_columns_map(ward)
    categories = load_category_table(ward_config_file(ward, "categories.yml"))
    if columns_file:
        warnings.append(f"{columns_file}: column names mapped for {', '.join(sorted(columns_map))}.")
    tables: dict[str, pd.DataFrame] = {}
    unreadable_parts: list[pd.DataFrame] = []
    source_files: list[SourceFile] = []
    extra_columns: dict[str, list[str]] = {}
    for name in TABLES:
        if name not in sources:
            continue
        good, bad, src, extras, more = _read_source(
            sources[name], ward, columns_map.get(name, {}), categories, columns_file or "columns.yml"
        )
        if strict and len(bad):
            first = bad.iloc[0]
            raise InputError(
                f"Unreadable row: {first['reason']}",
                file=first["file"],
                sheet=first["sheet"] or None,
                row=int(first["row"]),
                column=first["column"],
                fix="Correct the cell, or run without strict to list every unreadable row.",
            )
        tables[name] = good
        unreadable_parts.append(bad)
        source_files.append(src)
        extra_columns[name] = extras
        warnings += more
    unreadable = (
        pd.concat(unreadable_parts, ignore_index=True)
        if unreadable_parts
        else pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "str") for c in UNREADABLE_COLUMNS})
    )
    unreadable = unreadable.astype({c: "str" for c in UNREADABLE_COLUMNS if c != "row"} | {"row": "int64"})
    ward_name = meta.ward_name or (ward.stem if ward.is_file() else ward.name)
    return WardData(
        ward_id=meta.ward_code or _slug(ward_name),
        ward_code=meta.ward_code,
        ward_name=ward_name,
        province_code=meta.province_code,
        province_name=meta.province_name,
        path=ward,
        tables=tables,
        unreadable=unreadable,
        sources=source_files,
        extra_columns=extra_columns,
        warnings=warnings + ([f"ward metadata read from {meta_file}."] if meta_file else []),
        rates_file=rates_file,
    )
