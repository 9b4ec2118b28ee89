"""Raw reading: a sheet or a CSV file as a grid of cells, exactly as written.

A grid is a DataFrame with integer column labels ``0..n-1`` and an index holding the 1-based row
number the user sees in Excel (for CSV: the physical line number). Workbook cells stay what
calamine returns (``str``, ``float``, ``bool``, ``datetime``/``date``; ``None`` for empty); CSV
cells are strings. Normalisation happens later, in :mod:`audit_toolkit.normalize`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from audit_toolkit.errors import InputError

__all__ = ["RawSheet", "WORKBOOK_SUFFIXES", "decode_csv", "read_csv_grid", "read_sheet_grid", "sheet_names"]

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
_PREAMBLE_LINES = 60


@dataclass
class RawSheet:
    """Cells of one sheet or CSV file, before any interpretation."""

    grid: pd.DataFrame
    merges: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _open_workbook(path: Path) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise InputError(
            f"Cannot open the workbook: {exc}",
            file=path.name,
            fix="Open it in Excel and save it again as .xlsx (not password-protected), or export each sheet as CSV (UTF-8).",
        ) from exc


def sheet_names(path: Path) -> list[str]:
    """Visible worksheet names of a workbook, in workbook order."""
    wb = _open_workbook(path)
    try:
        return [
            m.name
            for m in wb.sheets_metadata
            if m.visible == SheetVisibleEnum.Visible and m.typ == SheetTypeEnum.WorkSheet
        ]
    finally:
        wb.close()


def read_sheet_grid(path: Path, sheet: str) -> RawSheet:
    """All cells of one worksheet (row index = Excel row number)."""
    wb = _open_workbook(path)
    try:
        ws = wb.get_sheet_by_name(sheet)
        rows = ws.to_python(skip_empty_area=False)
        merges = list(ws.merged_cell_ranges or [])
    except CalamineError as exc:
        raise InputError(
            f"Cannot read the sheet: {exc}",
            file=path.name,
            sheet=sheet,
            fix="Save the workbook again from Excel.",
        ) from exc
    finally:
        wb.close()
    grid = pd.DataFrame(rows, dtype=object) if rows else pd.DataFrame(dtype=object)
    # calamine writes empty cells as "": make them missing so every reader agrees.
    grid = grid.mask(grid == "", None) if len(grid) else grid
    grid.index = pd.RangeIndex(1, len(grid) + 1)
    grid.columns = pd.RangeIndex(grid.shape[1])
    return RawSheet(grid, merges)


def decode_csv(data: bytes, name: str) -> tuple[str, list[str]]:
    """Text of a CSV file: UTF-8 (BOM or not), else Windows-1258, else cp1252, with a warning."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    for encoding in ("cp1258", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, [
            f"{name}: not UTF-8; read as {encoding}. Check names for wrong letters and save the file as CSV UTF-8."
        ]
    raise InputError(
        "Cannot decode the CSV file (not UTF-8, Windows-1258 or cp1252)",
        file=name,
        fix="Save the file from Excel as 'CSV UTF-8 (Comma delimited)'.",
    )


def _python_rows(text: str, first_line: int) -> tuple[list[list[str]], list[int]]:
    """Rows and their physical line numbers with the csv module (exact with multi-line cells)."""
    reader = csv.reader(io.StringIO(text))
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    for row in reader:
        rows.append(row)
        lines.append(first_line + start - 1)
        start = reader.line_num + 1
    return rows, lines


def _frame(rows: list[list[str]], index: list[int], width: int) -> pd.DataFrame:
    padded = [r + [""] * (width - len(r)) for r in rows]
    frame = (
        pd.DataFrame(padded, columns=range(width), dtype="str")
        if padded
        else pd.DataFrame(columns=range(width))
    )
    frame.index = pd.Index(index, dtype="int64")
    return frame


def _pyarrow_body(data: bytes, offset: int, width: int) -> pd.DataFrame | None:
    """The body (``data`` from ``offset``) read by pyarrow's CSV reader as text, or ``None`` when line
    numbers could drift or it fails.

    The options are those pandas' pyarrow engine passes for ``header=None, dtype="str",
    keep_default_na=False, skip_blank_lines=False``; the file is read as one block, so every column
    comes in one chunk (no copy to join chunks later) and no thread pool is paid for on a small file.
    """
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(memoryview(data)[offset:])),  # no copy of the file
            read_options=pacsv.ReadOptions(
                autogenerate_column_names=True,
                encoding="utf-8",
                block_size=max(1 << 20, min(len(data) - offset + 1, 1 << 30)),
            ),
            parse_options=pacsv.ParseOptions(delimiter=",", quote_char='"', ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                null_values=[], strings_can_be_null=False, default_column_type=pa.large_string()
            ),
        )
    except (pa.ArrowInvalid, ValueError, OSError, UnicodeDecodeError):
        return None
    if table.num_columns != width:
        return None
    expected = data.count(b"\n", offset) + (0 if data.endswith(b"\n") else 1)
    # A quoted cell spanning lines would shift every later row number: read those files exactly.
    if table.num_rows != expected:
        return None
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    return pd.DataFrame(
        {
            i: pd.Series(cast(Any, text).__from_arrow__(table.column(i)), dtype=text, copy=False)
            for i in range(width)
        }
    )


def _one_chunk(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of Arrow text in one chunk each (the reader gives one per MB): later takes, filters
    and regex passes over a large table run faster on one contiguous array."""
    for col in frame.columns:
        if getattr(frame[col].dtype, "storage", None) != "pyarrow":
            continue
        arr = pa.array(frame[col].array)  # the column's own Arrow data, no copy
        if isinstance(arr, pa.ChunkedArray) and arr.num_chunks > 1:
            frame[col] = pd.Series(arr.combine_chunks(), dtype=frame[col].dtype, index=frame.index)
    return frame


def read_csv_grid(path: Path) -> RawSheet:
    """All cells of a CSV file as strings (row index = physical line number).

    Lines before the widest early line (title rows typed with fewer fields) are read with the csv
    module; the body is read by pandas' pyarrow engine, falling back to the csv module when field
    counts vary, a cell spans several lines or the file is not UTF-8, so line numbers stay exact.
    """
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    end = -1  # the end of the first _PREAMBLE_LINES lines (the whole file when shorter)
    for _ in range(_PREAMBLE_LINES):
        end = data.find(b"\n", end + 1)
        if end < 0:
            break
    head_bytes = (data if end < 0 else data[:end]).split(b"\n")
    try:
        head_text = b"\n".join(head_bytes).decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    body: pd.DataFrame | None = None
    warnings: list[str] = []
    if utf8:
        head_rows, _ = _python_rows(head_text, 1)
        width = max((len(r) for r in head_rows), default=1)
        start = next((i for i, r in enumerate(head_rows) if len(r) == width), 0)
        offset = sum(len(line) + 1 for line in head_bytes[:start])
        body = _pyarrow_body(data, offset, width)
    if body is not None:
        pre_rows, pre_lines = _python_rows(head_text, 1) if start else ([], [])
        pre_rows, pre_lines = pre_rows[:start], pre_lines[:start]
        body.index = pd.RangeIndex(start + 1, start + 1 + len(body))
        body = _one_chunk(body.astype("str"))
    else:
        text, warnings = decode_csv(data, path.name)
        if not text.strip():
            return RawSheet(pd.DataFrame(columns=range(0)), warnings=warnings)
        rows, lines = _python_rows(text, 1)
        width = max(len(r) for r in rows)
        pre_rows = []
        body = _frame(rows, lines, width)
    grid = pd.concat([_frame(pre_rows, pre_lines, width), body]) if pre_rows else body
    grid.columns = pd.RangeIndex(grid.shape[1])
    return RawSheet(grid, warnings=warnings)
