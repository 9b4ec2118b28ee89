"""Property tests: the loader never loses a row, and row order does not change what is read."""

from __future__ import annotations

import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit_toolkit.io import load_ward

HEADER = ["STT", "Họ và tên", "Ngày sinh", "Số CCCD", "Đối tượng", "Mức hưởng"]

# Each kind of row: cells after the name, and whether it should be read.
GOOD = {
    "plain": (["15/03/1940", "006040001234", "K5c", "500.000"], True),
    "year_only": (["1940", "", "NCT trên 80 tuổi", "500000"], True),
    "article": (["5/3/1950", "006 150 001 234", "Điều 5 khoản 6", "750.000 đ"], True),
    "no_amount": (["1950-03-05", "", "Người già cô đơn", ""], True),
}
BAD = {
    "bad_date": (["31/02/1940", "", "K5c", "500000"], False),
    "bad_label": (["1940", "", "Hỗ trợ đột xuất", "500000"], False),
    "bad_amount": (["1940", "", "K5c", "năm trăm"], False),
    "no_birth": (["", "", "K5c", "500000"], False),
    "no_category": (["1940", "", "", "500000"], False),
}
KINDS = {**GOOD, **BAD}

rows_strategy = st.lists(
    st.tuples(st.sampled_from(sorted(KINDS)), st.booleans()),  # kind, blank line after it
    min_size=1,
    max_size=25,
)


def _records(spec: list[tuple[str, bool]]) -> list[tuple[str, list[str], bool]]:
    """(unique name, row cells, blank line after) per record."""
    out = []
    for i, (kind, blank_after) in enumerate(spec):
        cells, _ = KINDS[kind]
        out.append((f"Người {kind} {i}", [str(i + 1), f"Người {kind} {i}", *cells], blank_after))
    return out


def _write(folder: Path, records: list[tuple[str, list[str], bool]], *, xlsx: bool) -> list[int]:
    """Write a ward with a title row; return the row numbers of the data rows."""
    lines: list[list[str]] = [["DANH SÁCH ĐỐI TƯỢNG"] + [""] * (len(HEADER) - 1), HEADER]
    data_rows = []
    for _, cells, blank_after in records:
        lines.append(cells)
        data_rows.append(len(lines))
        if blank_after:
            lines.append([""] * len(HEADER))
    if xlsx:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Danh sách đối tượng"
        for line in lines:
            ws.append([c if c != "" else None for c in line])
        wb.save(folder / "beneficiaries.xlsx")
    else:
        text = "\n".join(",".join(f'"{c}"' if "," in c else c for c in line) for line in lines) + "\n"
        (folder / "beneficiaries.csv").write_text(text, encoding="utf-8")
    return data_rows


def _read(
    records: list[tuple[str, list[str], bool]], *, xlsx: bool
) -> tuple[dict[str, tuple], list[int], list[int]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data_rows = _write(folder, records, xlsx=xlsx)
        ward = load_ward(folder)
    ben = ward.tables["beneficiaries"]
    by_row = {row: name for row, (name, _, _) in zip(data_rows, records, strict=True)}
    seen: dict[str, tuple] = {}
    for rec in ben[
        ["_row", "full_name", "birth_date", "category", "monthly_amount", "national_id"]
    ].itertuples():
        seen[rec.full_name] = (
            "read",
            str(rec.birth_date),
            rec.category,
            str(rec.monthly_amount),
            str(rec.national_id),
        )
        assert by_row[rec._1] == rec.full_name  # the row number points at the record
    for bad in ward.unreadable.itertuples():
        seen[by_row[bad.row]] = ("unreadable", bad.column, bad.reason)
    return seen, sorted(ben["_row"].tolist() + ward.unreadable["row"].tolist()), data_rows


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=rows_strategy, xlsx=st.booleans())
def test_loader_never_loses_a_row(spec, xlsx):
    records = _records(spec)
    seen, rows, data_rows = _read(records, xlsx=xlsx)
    # read rows + unreadable rows == data rows in the file, each exactly once
    assert rows == data_rows
    for (name, _, _), (kind, _) in zip(records, spec, strict=True):
        assert seen[name][0] == ("read" if KINDS[kind][1] else "unreadable")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=rows_strategy, seed=st.randoms(use_true_random=False))
def test_shuffling_rows_does_not_change_what_is_read(spec, seed):
    records = _records(spec)
    shuffled = list(records)
    seed.shuffle(shuffled)
    before, _, _ = _read(records, xlsx=False)
    after, _, _ = _read(shuffled, xlsx=False)
    assert before == after
