"""``load_ward``: a ward folder or workbook → typed tables, unreadable rows and provenance."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from audit_toolkit.contract import TABLES, CategoryTable, TableSpec, load_category_table, match_table_name
from audit_toolkit.errors import InputError
from audit_toolkit.io.convert import PERSON_KEY_INPUTS, person_keys, type_tables
from audit_toolkit.io.discover import (
    TableSource,
    WardMeta,
    category_sheet_labels,
    find_sources,
    read_columns_map,
    read_ward_meta,
    ward_config_file,
)
from audit_toolkit.io.headers import detect_header
from audit_toolkit.io.layouts import (
    Note,
    PartInfo,
    TypingAnswer,
    TypingRequest,
    describe,
    layout_text,
    read_part_steps,
    run_steps,
)
from audit_toolkit.io.readers import RawSheet, read_csv_grid, read_sheet_grid, sheet_names
from audit_toolkit.normalize import fold
from audit_toolkit.rules.rates import find_rates_file, read_rates

__all__ = [
    "Offload",
    "SourceFile",
    "UNREADABLE_COLUMNS",
    "WardData",
    "load_ward",
    "load_wards",
    "read_table_alone",
]

UNREADABLE_COLUMNS = ["table", "file", "sheet", "row", "column", "value", "reason"]
_SUMMARY_SHEETS = ("tong hop", "tong cong", "ca nam")


@dataclass
class SourceFile:
    """One input table as read from one file: where, its hash, row counts, columns and layout."""

    path: Path
    sha256: str
    table: str
    sheet: str  # the sheet read, or "first … last (n sheets)" when the table spans several sheets
    rows_total: int  # data rows (not title, header, blank, section, subtotal or total rows)
    rows_read: int
    rows_unreadable: int
    header_row: int  # 1-based row number of the (first) header row
    column_map: dict[str, str]  # header text → canonical column
    layout: str = ""  # what was recognised, in English: "sections → category; Nam/Nữ → sex", "tidy table"
    layout_notes: list[Note] = field(default_factory=list)  # the same as (message key, params)
    sheets: list[str] = field(default_factory=list)  # every sheet read for this table from this file


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
    #: Beneficiary rows whose only problem is the birth date (missing or unreadable), typed like
    #: ``tables["beneficiaries"]``. They are UNREADABLE_ROW findings like every row of ``unreadable``;
    #: only POSSIBLE_DUPLICATE reads them besides, to ask whether such a row is a listed person again.
    undated: pd.DataFrame | None = None


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


def _sheet_parts(
    source: TableSource,
    spec: TableSpec,
    user_map: dict[str, str],
    grids: dict[tuple[Path, str], RawSheet],
    warnings: list[str],
) -> list[TableSource]:
    """The sheets to read for a workbook file named after a table.

    One sheet normally: the sheet named like the table, else the first with a header. A payments
    workbook with several payment sheets is read sheet by sheet (one sheet per month); a
    beneficiaries workbook whose sheets are named by categories, one sheet per category.
    """
    names = sheet_names(source.path)
    if not names:
        raise InputError(
            "The workbook has no visible worksheet", file=source.path.name, fix="Unhide the data sheet."
        )
    if spec.name == "beneficiaries" and len(names) > 1:
        labels = category_sheet_labels(names)
        if len(labels) > 1:
            return [TableSource(spec.name, source.path, n, label=labels[n]) for n in names if n in labels]
    ordered = sorted(names, key=lambda n: match_table_name(n) != spec.name)
    with_header = []
    for name in ordered:
        raw = grids[source.path, name] = read_sheet_grid(source.path, name)  # read once, kept for reading
        if detect_header(raw.grid, spec, merges=raw.merges, user_map=user_map) is not None:
            with_header.append(name)
            if spec.name != "payments":
                break
    if spec.name == "payments" and len(with_header) > 1:
        # A yearly summary sheet beside the month sheets repeats their payments: not read, and said so.
        summary = [n for n in with_header if fold(n).startswith(_SUMMARY_SHEETS)]
        if summary and len(summary) < len(with_header):
            warnings += [
                f"{source.path.name} [{n}]: a summary sheet beside the month sheets; not read."
                for n in summary
            ]
        else:
            summary = []
        return [
            TableSource(spec.name, source.path, n) for n in names if n in with_header and n not in summary
        ]
    return [TableSource(spec.name, source.path, (with_header or ordered)[0])]


_TableRead = tuple[pd.DataFrame, pd.DataFrame, list[SourceFile], list[str], list[str], pd.DataFrame | None]

#: ``offload(ward, tables)`` of :func:`load_ward`: starts reading ``tables`` of the ward elsewhere (a
#: helper process) and gives, per table, a call that waits for its read (what
#: :func:`read_table_alone` returns), or None when that read failed: the table is then read here.
Offload = Callable[[Path, list[str]], dict[str, Callable[[], "_TableRead | None"]]]


def _read_sources(
    parts: list[TableSource],
    ward: Path,
    user_map: dict[str, str],
    categories: CategoryTable,
    columns_file: str,
    keys: bool = True,
) -> Generator[TypingRequest, TypingAnswer, _TableRead]:
    """Read every part (sheet or file) of one table and combine them (in steps: see
    :func:`audit_toolkit.io.layouts.read_part_steps`; :func:`run_steps` runs them alone).

    ``keys``: add the rows' ``name_key`` and ``person_key`` (False: the caller adds them, as
    :func:`load_wards` does for many wards at once with :func:`_add_person_keys`).

    Returns ``(rows, unreadable rows, sources, extra columns, warnings, undated rows)``; the last is
    ``None`` for a table that holds no persons (:func:`audit_toolkit.io.layouts.undated_rows`).
    """
    spec = TABLES[parts[0].table]
    grids: dict[tuple[Path, str], RawSheet] = {}
    warnings: list[str] = []
    expanded = [
        p2
        for p in parts
        for p2 in (
            _sheet_parts(p, spec, user_map, grids, warnings)
            if p.sheet is None and p.path.suffix.lower() != ".csv"
            else [p]
        )
    ]
    several = len(expanded) > 1
    per_file = Counter(p.path for p in expanded)
    goods, bads, extras, undated = [], [], [], []
    by_file: dict[Path, list[tuple[PartInfo, int, int]]] = {}
    for part in expanded:
        file_name = part.path.name if ward.is_file() else str(part.path.relative_to(ward))
        if part.path.suffix.lower() == ".csv":
            raw, sheet = read_csv_grid(part.path), ""
        else:
            sheet = part.sheet or ""
            cached = grids.pop((part.path, sheet), None)
            raw = cached if cached is not None else read_sheet_grid(part.path, sheet)
        good, problems, info = yield from read_part_steps(
            raw,
            spec,
            file=file_name,
            sheet=sheet,
            stem=part.path.stem if ward.is_dir() else None,
            user_map=user_map,
            categories=categories,
            columns_file=columns_file,
            outer_label=part.label,
            month_sheets=several and spec.name == "payments",
        )
        if several:
            # Several sheets share row numbers: name the sheet where the officer must look.
            # Several files: the file (and its sheet when it has several); else the sheet.
            where = (
                sheet
                if len(per_file) == 1
                else file_name + (f" [{sheet}]" if per_file[part.path] > 1 else "")
            )
            good["_ref"] = where + "!" + good["_row"].astype("str")
            if info.undated is not None:
                info.undated["_ref"] = where + "!" + info.undated["_row"].astype("str")
        goods.append(good)
        if info.undated is not None:
            undated.append(info.undated)
            info.undated = None  # kept once, here
        bads.append(
            pd.DataFrame(
                {
                    "table": spec.name,
                    "file": file_name,
                    "sheet": sheet,
                    "row": problems["row"].to_numpy(dtype="int64"),
                    "column": problems["column"].to_numpy(),
                    "value": problems["value"].to_numpy(),
                    "reason": problems["reason"].to_numpy(),
                }
            )
        )
        by_file.setdefault(part.path, []).append((info, len(good), len(problems)))
        extras += [e for e in info.extras if e not in extras]
        warnings += info.warnings
    good = pd.concat(goods, ignore_index=True) if several else goods[0].reset_index(drop=True)
    if spec.person and keys:
        good["name_key"], good["person_key"] = person_keys(good)
    kept = pd.concat(undated, ignore_index=True) if spec.person and undated else None
    if kept is not None and keys:
        kept["name_key"], kept["person_key"] = person_keys(kept)
    sources = []
    described = {path: describe([i for i, _, _ in items]) for path, items in by_file.items()}
    for path, items in by_file.items():
        infos = [i for i, _, _ in items]
        sheets = [i.sheet for i in infos]
        column_map: dict[str, str] = {}
        for i in infos:
            column_map.update(i.column_map)
        sources.append(
            SourceFile(
                path=path,
                sha256=_hash(path),
                table=spec.name,
                sheet=sheets[0] if len(sheets) == 1 else f"{sheets[0]} … {sheets[-1]} ({len(sheets)} sheets)",
                rows_total=sum(i.rows_total for i in infos),
                rows_read=sum(n for _, n, _ in items),
                rows_unreadable=sum(n for _, _, n in items),
                header_row=infos[0].header_row,
                column_map=column_map,
                layout=layout_text(described[path]),
                layout_notes=described[path],
                sheets=sheets,
            )
        )
    return good, pd.concat(bads, ignore_index=True), sources, extras, warnings, kept


def load_ward(path: str | Path, *, strict: bool = False, offload: Offload | None = None) -> WardData:
    """Read one ward (a folder of files or a workbook) into typed tables.

    Args:
        path: a ward folder or a ward workbook.
        strict: raise :class:`InputError` on the first unreadable row instead of collecting it.
        offload: for a large ward (a province), where its largest table may be read meanwhile (a
            helper process with a core of its own; see :data:`Offload`). Called once, after the
            ward's files are found (with no table for a small ward); the ward is the same as read
            here alone, and so are the errors.

    Raises:
        InputError: the ward cannot be used (no beneficiaries table, a required column is
            missing, a workbook cannot be opened, two files claim one table, …).

    Example:
        >>> ward = load_ward("data/sample/phung-chi-kien")  # doctest: +SKIP
        >>> ward.tables["beneficiaries"][["full_name", "category"]].head()  # doctest: +SKIP
    """
    prep = _prepare(Path(path), strict)
    elsewhere = offload(prep.ward, _offloaded(prep) if prep.large else []) if offload is not None else {}
    if prep.large:
        return _finish(prep, _read_apart(prep, elsewhere))  # table by table (memory)
    return _finish(prep, _run_together([[prep.steps(name) for name in prep.names]])[0])


def read_table_alone(ward: str | Path, table: str) -> _TableRead:
    """One table of a ward, read as :func:`load_ward` reads it (what an :data:`Offload` returns)."""
    return run_steps(_prepare(Path(ward), False).steps(table))


def _offloaded(prep: _Prepared) -> list[str]:
    """The table worth reading elsewhere while this process reads the others: the largest.

    Its size is that of its files, a file shared by several tables (a workbook) counted in equal
    shares; a tie (one workbook) goes to the table that is long in a province (residents, then
    payments). None when the ward has a single table.
    """
    if len(prep.names) < 2:
        return []
    preference = {"residents": 2, "payments": 1}
    return [max(prep.names, key=lambda name: (prep.sizes.get(name, 0.0), preference.get(name, 0)))]


def _read_apart(prep: _Prepared, elsewhere: dict[str, Callable[[], _TableRead | None]]) -> list[_TableRead]:
    """Each table read alone: here, in order, except those read ``elsewhere``, joined afterwards.

    The error raised is the one reading the tables in order raises first (a strict load's first
    unreadable row included): a read here stops at its error, and the tables before it that were
    read elsewhere are joined (or, if their read failed there, read here again, raising their own
    error) before it is raised.
    """
    here: dict[str, _TableRead] = {}
    error: tuple[str, Exception] | None = None
    for name in prep.names:
        if name in elsewhere:
            continue
        try:
            here[name] = run_steps(prep.steps(name))
            _stop_if_strict(prep, here[name][1])
        except Exception as exc:  # noqa: BLE001 - raised below, in the tables' order
            error = (name, exc)
            break
    reads: list[_TableRead] = []
    for name in prep.names:
        if error is not None and name == error[0]:
            raise error[1]
        if name in elsewhere:
            read = elsewhere[name]()
            reads.append(read if read is not None else run_steps(prep.steps(name)))
            _stop_if_strict(prep, reads[-1][1])
        else:
            reads.append(here.pop(name))
    return reads


def load_wards(paths: Sequence[str | Path]) -> list[WardData | Exception]:
    """:func:`load_ward` of each path (not strict), the tables of all the wards typed together.

    Each file is still read, and each decision (header, layout, sections, months) still taken, on
    its own; only the typing of cell values, which reads every cell on its own, is shared, so every
    ward gets exactly what :func:`load_ward` gives it, in far fewer normaliser calls (a batch of
    small wards costs mostly per-call overhead). A ward that cannot be read gets the exception
    :func:`load_ward` raises for it, in its place; the other wards are unaffected.

    Example:
        >>> wards = load_wards(["data/sample/duc-xuan", "data/sample/xuat-hoa"])  # doctest: +SKIP
    """
    preps: list[_Prepared | Exception] = []
    for path in paths:
        try:
            preps.append(_prepare(Path(path), False))
        except Exception as exc:  # noqa: BLE001 - the ward's own error, handed back in its place
            preps.append(exc)
    groups = [
        [p.steps(name, False) for name in p.names] if isinstance(p, _Prepared) and not p.large else []
        for p in preps
    ]
    reads = _run_together(groups)
    _add_person_keys(
        [
            (name, read)
            for prep, rows in zip(preps, reads, strict=True)
            if isinstance(prep, _Prepared) and rows is not None
            for name, read in zip(prep.names, rows, strict=True)
        ]
    )
    out: list[WardData | Exception] = []
    for prep, read in zip(preps, reads, strict=True):
        if isinstance(prep, Exception):
            out.append(prep)
            continue
        try:
            out.append(_finish(prep, None if prep.large else read))
        except Exception as exc:  # noqa: BLE001 - as above
            out.append(exc)
    return out


def _add_person_keys(reads: Sequence[tuple[str, _TableRead]]) -> None:
    """Add ``name_key`` and ``person_key`` to the rows (and undated rows) of the person tables read
    (``(table name, read)``), as :func:`_read_sources` adds them table by table.

    The keys are made row by row, so the frames that have the same key columns (a table of many
    wards) are keyed in one call on their rows stacked: the same keys, for the cost of one call.
    """
    frames: dict[tuple[tuple[str, str], ...], list[pd.DataFrame]] = {}
    for name, read in reads:
        if not TABLES[name].person:
            continue
        for frame in (read[0], read[5]):
            if frame is None:
                continue
            present = tuple((c, str(frame[c].dtype)) for c in PERSON_KEY_INPUTS if c in frame.columns)
            frames.setdefault(present, []).append(frame)
    for present, group in frames.items():
        columns = [c for c, _ in present]
        rows = [len(f) for f in group]
        # Column by column (a frame's column list would copy each frame's columns first).
        stacked = (
            pd.DataFrame({c: pd.concat([f[c] for f in group], ignore_index=True) for c in columns})
            if columns
            else None
        )
        if stacked is None or not len(stacked):
            for frame in group:
                frame["name_key"], frame["person_key"] = person_keys(frame)
            continue
        name_keys, person_key_values = person_keys(stacked)
        # Each frame's share of the keys: slices of the same arrays (no conversion per frame).
        nk, pk = name_keys.array, person_key_values.array
        at = 0
        for frame, n in zip(group, rows, strict=True):
            frame["name_key"] = pd.Series(nk[at : at + n], index=frame.index, copy=False)
            frame["person_key"] = pd.Series(pk[at : at + n], index=frame.index, copy=False)
            at += n


def _run_together(
    groups: list[list[Generator[TypingRequest, TypingAnswer, _TableRead]]],
) -> list[list[_TableRead] | None]:
    """Run the reading steps of every table of every ward, typing the tables of a round together.

    Returns each group's (ward's) tables as read, or ``None`` for a group where a step failed: an
    error is raised again by reading that ward table by table (:func:`_finish`), so it is the error
    that reading alone raises first.
    """
    results: list[list[_TableRead | None]] = [[None] * len(g) for g in groups]
    failed: set[int] = set()
    pending: dict[tuple[int, int], TypingRequest] = {}

    def advance(key: tuple[int, int], answer: TypingAnswer | None) -> None:
        steps = groups[key[0]][key[1]]
        try:
            pending[key] = steps.send(answer) if answer is not None else next(steps)
        except StopIteration as stop:
            results[key[0]][key[1]] = stop.value
        except Exception:  # noqa: BLE001 - raised again when the ward is read alone
            failed.add(key[0])

    for g, group in enumerate(groups):
        for t in range(len(group)):
            if g not in failed:
                advance((g, t), None)
    while pending:
        keys = [k for k in pending if k[0] not in failed]
        requests = [pending[k] for k in keys]
        pending = {}
        try:
            answers = type_tables(requests)
        except Exception:  # noqa: BLE001 - as above, for every ward of this round
            failed.update(k[0] for k in keys)
            break
        for key, answer in zip(keys, answers, strict=True):
            if key[0] not in failed:
                advance(key, answer)
    for group in groups:
        for steps in group:
            steps.close()
    return [None if g in failed else [r for r in rows if r is not None] for g, rows in enumerate(results)]


#: A ward whose input files are larger is read table by table: typing its tables together would keep
#: every table's raw cells in memory at once, and its long columns are typed on their own anyway.
_TOGETHER_MAX_BYTES = 16 * 1024 * 1024


@dataclass
class _Prepared:
    """A ward about to be read: what was found before its tables, and the steps reading each table."""

    ward: Path
    warnings: list[str]
    meta: WardMeta
    meta_file: str | None
    rates_file: Path | None
    strict: bool
    names: list[str]  # the tables found, in contract order
    large: bool  # input files above _TOGETHER_MAX_BYTES: read table by table (memory), not together
    sizes: dict[str, float]  # bytes of each table's files (a file shared by k tables: 1/k each)
    steps: Callable[
        ..., Generator[TypingRequest, TypingAnswer, _TableRead]
    ]  # fresh steps: (table, keys=True)


def _prepare(ward: Path, strict: bool) -> _Prepared:
    """Everything :func:`load_ward` does before reading the tables (and raises the same errors)."""
    if not ward.exists():
        raise InputError("Ward path not found", file=ward, fix="Give a ward folder or a ward workbook.")
    sources, warnings = find_sources(ward)
    missing = [name for name, spec in TABLES.items() if spec.required and name not in sources]
    if missing:
        raise InputError(
            f"Required table '{missing[0]}' not found (files or sheets found: "
            + (
                ", ".join(
                    sorted(
                        {
                            s.path.name + (f" [{s.sheet}]" if s.sheet else "")
                            for p in sources.values()
                            for s in p
                        }
                    )
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

    def steps(name: str, keys: bool = True) -> Generator[TypingRequest, TypingAnswer, _TableRead]:
        return _read_sources(
            sources[name], ward, columns_map.get(name, {}), categories, columns_file or "columns.yml", keys
        )

    names = [name for name in TABLES if name in sources]
    files = {name: {s.path for s in sources[name]} for name in names}
    bytes_of = {path: path.stat().st_size for paths in files.values() for path in paths}
    sharing = Counter(path for paths in files.values() for path in paths)
    sizes = {name: sum(bytes_of[path] / sharing[path] for path in paths) for name, paths in files.items()}
    large = sum(bytes_of.values()) > _TOGETHER_MAX_BYTES
    return _Prepared(ward, warnings, meta, meta_file, rates_file, strict, names, large, sizes, steps)


def _stop_if_strict(prep: _Prepared, bad: pd.DataFrame) -> None:
    """A strict load stops at a table's first unreadable row."""
    if prep.strict and len(bad):
        first = bad.iloc[0]
        raise InputError(
            f"Unreadable row: {first['reason']}",
            file=first["file"],
            sheet=first["sheet"] or None,
            row=int(first["row"]),
            column=first["column"],
            fix="Correct the cell, or run without strict to list every unreadable row.",
        )


def _finish(prep: _Prepared, reads: Sequence[_TableRead] | None) -> WardData:
    """The ward from its tables as read (``None``: read each table now, alone, in order, so that the
    error raised is the one reading them one by one raises first)."""
    ward, warnings, meta, meta_file = prep.ward, prep.warnings, prep.meta, prep.meta_file
    tables: dict[str, pd.DataFrame] = {}
    unreadable_parts: list[pd.DataFrame] = []
    source_files: list[SourceFile] = []
    extra_columns: dict[str, list[str]] = {}
    beneficiaries_undated: pd.DataFrame | None = None
    for i, name in enumerate(prep.names):
        read = reads[i] if reads is not None else run_steps(prep.steps(name))
        good, bad, srcs, extras, more, undated = read
        _stop_if_strict(prep, bad)
        tables[name] = good
        if name == "beneficiaries":
            beneficiaries_undated = undated
        unreadable_parts.append(bad)
        source_files += srcs
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
        rates_file=prep.rates_file,
        undated=beneficiaries_undated,
    )
