"""A large ward's largest table read elsewhere (load_ward's ``offload``): the same ward, the same errors.

A province is read table by table; its largest table can be read meanwhile by the GX helper
process (:meth:`audit_toolkit.quality.process.QualitySide.offload`). These tests force the
table-by-table path on small wards (the size limit set to 0) and check that the ward, its
unreadable rows and the error raised do not depend on where a table was read.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from audit_toolkit.errors import InputError
from audit_toolkit.io import WardData, load_ward, loader
from audit_toolkit.io.loader import read_table_alone

ROOT = Path(__file__).resolve().parents[1]
WARD = ROOT / "data" / "sample" / "xuat-hoa"  # one workbook per table
WORKBOOK = ROOT / "data" / "sample" / "song-cau.xlsx"  # every table in one workbook


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ward counts as large: read table by table, the largest offered to ``offload``."""
    monkeypatch.setattr(loader, "_TOGETHER_MAX_BYTES", 0)


class Recorder:
    """An offload that reads here (as the helper would) or fails, and records what it was asked."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.asked: list[list[str]] = []
        self.joined: list[str] = []

    def __call__(self, ward: Path, tables: list[str]) -> dict[str, Callable[[], Any]]:
        self.asked.append(list(tables))

        def join(table: str) -> Any:
            self.joined.append(table)
            return None if self.fail else read_table_alone(ward, table)

        return {table: (lambda table=table: join(table)) for table in tables}


def assert_same_ward(got: WardData, want: WardData) -> None:
    assert list(got.tables) == list(want.tables)
    for name in want.tables:
        pd.testing.assert_frame_equal(got.tables[name], want.tables[name])
    pd.testing.assert_frame_equal(got.unreadable, want.unreadable)
    assert got.sources == want.sources
    assert got.warnings == want.warnings
    assert got.extra_columns == want.extra_columns
    if want.undated is None:
        assert got.undated is None
    else:
        pd.testing.assert_frame_equal(got.undated, want.undated)


@pytest.mark.parametrize("fail", [False, True], ids=["read-elsewhere", "elsewhere-failed"])
@pytest.mark.parametrize("ward", [WARD, WORKBOOK], ids=["files", "workbook"])
def test_the_ward_is_the_same_wherever_its_largest_table_is_read(large: None, ward: Path, fail: bool) -> None:
    offload = Recorder(fail=fail)
    got = load_ward(ward, offload=offload)
    assert offload.asked and len(offload.asked) == 1 and len(offload.asked[0]) == 1
    assert offload.joined == offload.asked[0]
    assert_same_ward(got, load_ward(ward))


def test_a_small_ward_offloads_nothing_but_is_still_announced() -> None:
    # The helper learns that no table comes (it then imports GX at once).
    offload = Recorder()
    load_ward(WARD, offload=offload)
    assert offload.asked == [[]]


def test_the_largest_table_is_offered(large: None) -> None:
    prep = loader._prepare(WARD, False)
    sizes = {
        name: (WARD / f).stat().st_size
        for name, f in [("residents", "dan_cu.xlsx"), ("payments", "danh_sach_chi_tra.xlsx")]
    }
    assert loader._offloaded(prep) == [max(prep.sizes, key=prep.sizes.__getitem__)]
    assert prep.sizes["residents"] == sizes["residents"] and prep.sizes["payments"] == sizes["payments"]


def test_one_workbook_offers_the_residents(large: None) -> None:
    # Every table shares the file: the tie goes to the table a province has most rows of.
    prep = loader._prepare(WORKBOOK, False)
    assert len(set(prep.sizes.values())) == 1
    assert loader._offloaded(prep) == ["residents"]


def _csv_ward(folder: Path) -> Path:
    folder.mkdir()
    (folder / "beneficiaries.csv").write_text(
        "Họ và tên,Ngày sinh,Giới tính,Số CCCD,Đối tượng,Mức hưởng\n"
        "Nguyễn Văn An,15/03/1940,Nam,006040001234,K5c,500000\n",
        encoding="utf-8",
    )
    (folder / "residents.csv").write_text(
        "Họ và tên,Ngày sinh,Giới tính,Số CCCD\n" + "Nguyễn Văn An,15/03/1940,Nam,006040001234\n" * 50,
        encoding="utf-8",
    )
    (folder / "deaths.csv").write_text(
        "Họ và tên,Số CCCD,Ngày mất\nNguyễn Văn An,006040001234,01/01/2023\n", encoding="utf-8"
    )
    return folder


def test_an_error_in_an_earlier_table_read_elsewhere_comes_first(large: None, tmp_path: Path) -> None:
    # residents (offered, the largest) and deaths (read here, later in order) both lack a column:
    # the residents' error is raised, as reading the tables one by one raises it.
    ward = _csv_ward(tmp_path / "w")
    (ward / "residents.csv").write_text("Họ và tên,Giới tính\n" + "Lê A,Nam\n" * 50, encoding="utf-8")
    (ward / "deaths.csv").write_text("Họ và tên\nLê A\n", encoding="utf-8")
    with pytest.raises(InputError) as alone:
        load_ward(ward)
    for fail in (False, True):
        offload = Recorder(fail=fail)
        with pytest.raises(InputError) as err:
            load_ward(ward, offload=offload)
        assert offload.asked == [["residents"]]
        assert str(err.value) == str(alone.value) and "residents.csv" in str(err.value)


def test_an_error_before_the_offloaded_table_is_raised_without_waiting_for_it(
    large: None, tmp_path: Path
) -> None:
    ward = _csv_ward(tmp_path / "w")
    (ward / "beneficiaries.csv").write_text("Họ tên,Năm sinh,Doi tg\nLê A,1940,K5c\n", encoding="utf-8")
    offload = Recorder()
    with pytest.raises(InputError) as err:
        load_ward(ward, offload=offload)
    assert "beneficiaries.csv" in str(err.value)
    assert offload.asked == [["residents"]] and offload.joined == []


def test_strict_stops_at_the_offloaded_tables_unreadable_row_in_order(large: None, tmp_path: Path) -> None:
    ward = _csv_ward(tmp_path / "w")
    lines = (ward / "residents.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = "Nguyễn Văn An,31/02/1940,Nam,006040001234"  # row 4: no 31 February
    (ward / "residents.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (ward / "deaths.csv").write_text("Họ và tên,Số CCCD,Ngày mất\nLê A,006040001234,xx\n", encoding="utf-8")
    with pytest.raises(InputError) as alone:
        load_ward(ward, strict=True)
    with pytest.raises(InputError) as err:
        load_ward(ward, strict=True, offload=Recorder())
    assert (err.value.file, err.value.row, err.value.column) == (
        alone.value.file,
        alone.value.row,
        alone.value.column,
    )
    assert "residents.csv" in str(err.value) and err.value.row == 4


def test_without_strict_the_unreadable_rows_of_the_offloaded_table_are_kept(
    large: None, tmp_path: Path
) -> None:
    ward = _csv_ward(tmp_path / "w")
    lines = (ward / "residents.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = "Nguyễn Văn An,31/02/1940,Nam,006040001234"
    (ward / "residents.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = load_ward(ward, offload=Recorder())
    assert got.unreadable[["table", "row"]].values.tolist() == [["residents", 4]]
    assert_same_ward(got, load_ward(ward))


def test_inputs_are_left_as_they_were(large: None, tmp_path: Path) -> None:
    ward = tmp_path / "w"
    shutil.copytree(WARD, ward)
    before = {p.name: p.read_bytes() for p in ward.iterdir()}
    load_ward(ward, offload=Recorder())
    assert {p.name: p.read_bytes() for p in ward.iterdir()} == before
