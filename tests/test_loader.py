"""load_ward and discovery on tiny ward folders and workbooks built in each test."""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from audit_toolkit.errors import InputError
from audit_toolkit.io import SourceFile, WardData, discover_wards, is_batch, load_ward

BEN_HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Đối tượng", "Mức hưởng"]


def write_csv(path: Path, lines: list[str], *, encoding: str = "utf-8", bom: bool = False) -> Path:
    data = ("\n".join(lines) + "\n").encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_xlsx(
    path: Path, sheets: dict[str, list[list[object]]], merges: dict[str, list[str]] | None = None
) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
    wb.save(path)
    return path


def ben_rows() -> list[str]:
    return [
        ",".join(BEN_HEADER),
        "1,Nguyễn Văn An,15/03/1940,Nam,006040001234,K5c,500.000",
        "2,Trần Thị Bình,1938,Nữ,006138001235,NCT trên 80 tuổi,500000",
    ]


# ---------------------------------------------------------------------------------------------
# CSV folder wards


def test_csv_title_rows_number_row_blank_total_and_footer(tmp_path):
    write_csv(
        tmp_path / "danh_sach_doi_tuong.csv",
        [
            "UBND PHƯỜNG PHÙNG CHÍ KIÊN,,,,,,",  # row 1: title
            "DANH SÁCH ĐỐI TƯỢNG HƯỞNG TRỢ CẤP,,,,,,",  # row 2: title
            ",,,,,,",  # row 3: blank
            ",".join(BEN_HEADER),  # row 4: header
            "(1),(2),(3),(4),(5),(6),(7)",  # row 5: column numbers
            "1,Nguyễn Văn An,15/03/1940,Nam,006040001234,K5c,500.000",  # row 6
            ",,,,,,",  # row 7: blank
            "8,,,,,,",  # row 8: a numbered empty template line
            "2,Trần Thị Bình,1938,Nữ,006138001235,NCT trên 80 tuổi,500000",  # row 9
            "Tổng cộng,,,,,,1.000.000",  # row 10: total
            ",Người lập biểu,,,,,",  # row 11: signature under the total
        ],
    )
    ward = load_ward(tmp_path)
    ben = ward.tables["beneficiaries"]
    assert ben["_row"].tolist() == [6, 9]
    assert ben["full_name"].tolist() == ["Nguyễn Văn An", "Trần Thị Bình"]
    assert ben["category"].tolist() == ["K5c", "K5c"]
    assert ben["monthly_amount"].tolist() == [500000.0, 500000.0]
    assert ward.unreadable.empty
    src = ward.sources[0]
    assert (src.header_row, src.rows_total, src.rows_read, src.rows_unreadable) == (4, 2, 2, 0)
    assert src.column_map["Họ và tên"] == "full_name"
    assert len(src.sha256) == 64


def test_typed_columns_and_dtypes(tmp_path):
    write_csv(tmp_path / "beneficiaries.csv", ben_rows())
    ben = load_ward(tmp_path).tables["beneficiaries"]
    assert str(ben["birth_date"].dtype) == "datetime64[ns]"
    assert ben["birth_date_year_only"].tolist() == [False, True]
    assert ben["sex"].tolist() == ["M", "F"]
    assert ben["status"].tolist() == ["active", "active"]  # default when the column is absent
    assert str(ben["start_month"].dtype) == "Int64" and ben["start_month"].isna().all()
    assert str(ben["coefficient"].dtype) == "float64"
    assert str(ben["studying"].dtype) == "boolean"
    assert ben["_file"].tolist() == ["beneficiaries.csv"] * 2 and ben["_sheet"].tolist() == ["", ""]
    assert ben["_row"].dtype == "int64"
    assert ben["person_key"].tolist() == ["id:006040001234", "id:006138001235"]
    assert ben["category_raw"].tolist() == ["K5c", "NCT trên 80 tuổi"]


def test_person_key_without_valid_id(tmp_path):
    write_csv(
        tmp_path / "beneficiaries.csv",
        [
            "Họ tên,Năm sinh,CCCD,Diện hưởng",
            "Lê Văn Cường,1940,,K5c",  # no ID, year only
            "Đỗ Thị Dung,05/06/1941,12345,K5c",  # invalid ID: name + date
        ],
    )
    ben = load_ward(tmp_path).tables["beneficiaries"]
    assert ben["person_key"].tolist() == ["nb:le van cuong|1940", "nb:do thi dung|1941-06-05"]
    assert ben["name_key"].tolist() == ["le van cuong", "do thi dung"]


def test_an_id_in_other_digits_is_not_a_valid_id_for_the_person_key(tmp_path):
    # Full-width or Arabic-Indic digits are not the 12 ASCII digits of an ID: the person is keyed
    # by name and birth date, as the checks (usable_ids) also treat that ID as not usable.
    from audit_toolkit.checks.common import usable_ids

    write_csv(
        tmp_path / "beneficiaries.csv",
        [
            "Họ tên,Ngày sinh,CCCD,Diện hưởng",
            "Lê Văn Cường,01/02/1940,０１９１４０００００１２,K5c",
            "Đỗ Thị Dung,05/06/1941,١٢٣٤٥٦٧٨٩٠١٢,K5c",
            "Phạm Văn An,07/08/1942,019142000034,K5c",
        ],
    )
    ben = load_ward(tmp_path).tables["beneficiaries"]
    assert ben["person_key"].tolist() == [
        "nb:le van cuong|1940-02-01",
        "nb:do thi dung|1941-06-05",
        "id:019142000034",
    ]
    assert usable_ids(ben["national_id"]).tolist() == [False, False, True]


def test_bad_values_go_to_unreadable_with_reasons(tmp_path):
    write_csv(
        tmp_path / "beneficiaries.csv",
        [
            ",".join(BEN_HEADER),
            "1,Nguyễn Văn An,31/02/1940,Nam,006040001234,K5c,500.000",  # row 2: no 31 February
            "2,Trần Thị Bình,1938,Nữ,006138001235,Hỗ trợ đột xuất,năm trăm nghìn",  # row 3: label + amount
            "3,,1939,Nam,,K1,500000",  # row 4: empty required full_name
            "4,Phạm Văn Dũng,1936,Nam,,K5c,500000",  # row 5: good
            "5,Hoàng Thị E,1937,1,,K5c,500000",  # row 6: sex 1/0 not accepted
        ],
    )
    ward = load_ward(tmp_path)
    assert ward.tables["beneficiaries"]["_row"].tolist() == [5]
    bad = ward.unreadable.set_index("row")
    assert list(bad.index) == [2, 3, 4, 6]
    assert set(bad["table"]) == {"beneficiaries"} and set(bad["file"]) == {"beneficiaries.csv"}
    assert bad.loc[2, "column"] == "birth_date" and "31/02/1940" in bad.loc[2, "reason"]
    assert bad.loc[3, "column"] == "category, monthly_amount"
    assert "Hỗ trợ đột xuất" in bad.loc[3, "reason"] and "năm trăm nghìn" in bad.loc[3, "reason"]
    assert bad.loc[4, "column"] == "full_name" and "required" in bad.loc[4, "reason"]
    assert bad.loc[6, "column"] == "sex" and "'1'" in bad.loc[6, "reason"]
    assert ward.sources[0].rows_unreadable == 4
    assert list(ward.unreadable.columns) == ["table", "file", "sheet", "row", "column", "value", "reason"]


def test_strict_raises_on_first_unreadable_row(tmp_path):
    write_csv(tmp_path / "beneficiaries.csv", [*ben_rows(), "3,Lê C,xx,Nam,,K1,1"])
    with pytest.raises(InputError) as err:
        load_ward(tmp_path, strict=True)
    assert err.value.row == 4 and err.value.column == "birth_date" and "xx" in str(err.value)


def test_nfd_text_headers_and_values(tmp_path):
    lines = [unicodedata.normalize("NFD", line) for line in ben_rows()]
    write_csv(tmp_path / unicodedata.normalize("NFD", "Danh sách đối tượng.csv"), lines)
    ben = load_ward(tmp_path).tables["beneficiaries"]
    assert ben["full_name"].iloc[0] == unicodedata.normalize("NFC", "Nguyễn Văn An")
    assert ben["category"].tolist() == ["K5c", "K5c"]


def test_bom_csv(tmp_path):
    write_csv(tmp_path / "beneficiaries.csv", ben_rows(), bom=True)
    ward = load_ward(tmp_path)
    assert len(ward.tables["beneficiaries"]) == 2 and not ward.warnings


def _cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: precomposed where the code page has it, else base + combining tone."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            try:
                out += unicodedata.normalize("NFC", base + "".join(marks[:-1])).encode("cp1258")
                out += marks[-1].encode("cp1258")
            except UnicodeEncodeError:
                out += base.encode("cp1258") + "".join(marks).encode("cp1258")
    return out


def test_cp1258_csv_falls_back_with_warning(tmp_path):
    # Windows-1258 writes some Vietnamese tones as combining marks: the text must come back NFC.
    rows = ["Họ và tên,Ngày sinh,Đối tượng", "Lê Văn Hùng,1940,K5c", "Trần Thị Lan,1941,Người già cô đơn"]
    (tmp_path / "beneficiaries.csv").write_bytes(_cp1258("\n".join(rows) + "\n"))
    ward = load_ward(tmp_path)
    ben = ward.tables["beneficiaries"]
    assert ben["full_name"].tolist() == ["Lê Văn Hùng", "Trần Thị Lan"]
    assert ben["category"].tolist() == ["K5c", "K5a"]
    assert any("cp1258" in w for w in ward.warnings)
    assert ben["_row"].tolist() == [2, 3]


def test_multiline_cell_keeps_line_numbers(tmp_path):
    write_csv(
        tmp_path / "beneficiaries.csv",
        ["Họ tên,Năm sinh,Đối tượng,Ghi chú", 'Lê A,1940,K5c,"dòng 1\ndòng 2"', "Lê B,1941,K5c,"],
    )
    ben = load_ward(tmp_path).tables["beneficiaries"]
    assert ben["_row"].tolist() == [2, 4]  # physical line of each record


def test_unknown_columns_kept(tmp_path):
    write_csv(
        tmp_path / "beneficiaries.csv", ["Họ tên,Năm sinh,Đối tượng,Số tài khoản", "Lê A,1940,K5c, 0123 "]
    )
    ward = load_ward(tmp_path)
    assert ward.extra_columns["beneficiaries"] == ["Số tài khoản"]
    assert ward.tables["beneficiaries"]["Số tài khoản"].tolist() == ["0123"]
    assert "STT" not in ward.tables["beneficiaries"]


def test_missing_required_column_error(tmp_path):
    write_csv(tmp_path / "beneficiaries.csv", ["Họ tên,Năm sinh,Doi tg", "Lê A,1940,K5c"])
    with pytest.raises(InputError) as err:
        load_ward(tmp_path)
    text = str(err.value)
    assert "category" in text and "beneficiaries.csv" in text
    assert "'Doi tg'" in text  # the headers found
    assert "Đối tượng" in text  # a known name
    assert "columns.yml" in text and '"Doi tg": category' in text  # how to map it
    assert err.value.column == "category"


def test_no_header_row_error(tmp_path):
    write_csv(tmp_path / "beneficiaries.csv", ["a,b,c", "1,2,3"])
    with pytest.raises(InputError, match="No header row found"):
        load_ward(tmp_path)


def test_columns_yml_maps_own_headers(tmp_path):
    write_csv(tmp_path / "beneficiaries.csv", ["Tên đối tượng,Sinh năm,Nhóm hưởng", "Lê A,1940,K5c"])
    (tmp_path / "columns.yml").write_text(
        'beneficiaries:\n  "Sinh năm": birth_date\n  "Nhóm hưởng": category\n', encoding="utf-8"
    )
    ward = load_ward(tmp_path)
    ben = ward.tables["beneficiaries"]
    assert ben["birth_date"].iloc[0] == pd.Timestamp("1940-01-01") and ben["category"].iloc[0] == "K5c"
    assert any("columns.yml" in w for w in ward.warnings)


def test_columns_yml_unknown_column(tmp_path):
    write_csv(tmp_path / "beneficiaries.csv", ben_rows())
    (tmp_path / "columns.yml").write_text('beneficiaries:\n  "X": nonsense\n', encoding="utf-8")
    with pytest.raises(InputError, match="unknown column 'nonsense'"):
        load_ward(tmp_path)


def test_ward_categories_yml(tmp_path):
    write_csv(tmp_path / "beneficiaries.csv", ["Họ tên,Năm sinh,Đối tượng", "Lê A,1940,Diện X"])
    (tmp_path / "categories.yml").write_text("labels:\n  - {label: Diện X, code: K5c}\n", encoding="utf-8")
    assert load_ward(tmp_path).tables["beneficiaries"]["category"].tolist() == ["K5c"]


def test_ward_yml_keeps_leading_zeros(tmp_path):
    write_csv(tmp_path / "beneficiaries.csv", ben_rows())
    (tmp_path / "ward.yml").write_text(
        "ward_code: 01234\nward_name: Phường Đức Xuân\nprovince_code: 06\nprovince_name: Bắc Kạn\n",
        encoding="utf-8",
    )
    ward = load_ward(tmp_path)
    assert (ward.ward_id, ward.ward_code, ward.ward_name, ward.province_code) == (
        "01234",
        "01234",
        "Phường Đức Xuân",
        "06",
    )


def test_without_ward_yml_the_folder_names_the_ward(tmp_path):
    folder = tmp_path / "Phường Sông Cầu"
    folder.mkdir()
    write_csv(folder / "beneficiaries.csv", ben_rows())
    ward = load_ward(folder)
    assert (
        ward.ward_name == "Phường Sông Cầu" and ward.ward_id == "phuong-song-cau" and ward.ward_code is None
    )


def test_optional_tables_and_unmatched_files(tmp_path):
    write_csv(tmp_path / "beneficiaries.csv", ben_rows())
    write_csv(tmp_path / "Danh sách chi trả.csv", ["Số CCCD,Tháng,Số tiền", "006040001234,01/2023,500.000"])
    write_csv(tmp_path / "ghi chú.csv", ["x,y", "1,2"])
    ward = load_ward(tmp_path)
    assert set(ward.tables) == {"beneficiaries", "payments"}
    pay = ward.tables["payments"]
    assert pay["paid"].tolist() == [True]  # default: received
    assert pay["month"].tolist() == [24276]
    assert any("ghi chú.csv" in w and "ignored" in w for w in ward.warnings)


def test_payments_without_id_column_load_by_name(tmp_path):
    # contract v2 §1a: older lists have no ID column at all; the name links them
    write_csv(tmp_path / "beneficiaries.csv", ben_rows())
    write_csv(tmp_path / "payments.csv", ["Họ tên,Tháng,Số tiền", "Lê A,01/2023,500.000"])
    pay = load_ward(tmp_path).tables["payments"]
    assert pay["full_name"].tolist() == ["Lê A"] and pay["national_id"].isna().all()


def test_payments_need_an_id_or_name_column(tmp_path):
    write_csv(tmp_path / "beneficiaries.csv", ben_rows())
    write_csv(tmp_path / "payments.csv", ["Ghi chú,Tháng,Số tiền", "x,01/2023,500.000"])
    with pytest.raises(InputError, match="national_id"):
        load_ward(tmp_path)


def test_payments_row_without_any_id_is_unreadable(tmp_path):
    write_csv(tmp_path / "beneficiaries.csv", ben_rows())
    write_csv(
        tmp_path / "payments.csv",
        [
            "Số CCCD,Mã hồ sơ,Tháng,Số tiền",
            "006040001234,,01/2023,500.000",
            ",,01/2023,500.000",
            ",HS1,01/2023,1",
        ],
    )
    ward = load_ward(tmp_path)
    assert ward.tables["payments"]["_row"].tolist() == [2, 4]
    assert ward.unreadable["row"].tolist() == [3]


def test_report_keeps_total_row(tmp_path):
    write_csv(tmp_path / "beneficiaries.csv", ben_rows())
    write_csv(tmp_path / "báo cáo.csv", ["Đối tượng,Số đối tượng", "K5c,2", "Tổng số,2"])
    rep = load_ward(tmp_path).tables["report"]
    assert rep["category"].tolist() == ["K5c", "TOTAL"] and rep["reported_count"].tolist() == [2, 2]


def test_two_files_claim_one_table(tmp_path):
    write_csv(tmp_path / "beneficiaries.csv", ben_rows())
    write_csv(tmp_path / "danh_sach_doi_tuong.csv", ben_rows())
    with pytest.raises(InputError, match="Two inputs claim table 'beneficiaries'"):
        load_ward(tmp_path)


def test_missing_beneficiaries_table(tmp_path):
    write_csv(tmp_path / "dân cư.csv", ["Số CCCD,Họ tên,Ngày sinh", "006040001234,Lê A,1940"])
    with pytest.raises(InputError, match="Required table 'beneficiaries' not found"):
        load_ward(tmp_path)


def test_ambiguous_ma_doi_tuong_is_decided_by_values(tmp_path):
    # "Mã đối tượng" holding codes is the category; holding record numbers beside "Đối tượng" it is the record id.
    a = tmp_path / "a"
    a.mkdir()
    write_csv(a / "beneficiaries.csv", ["Họ tên,Năm sinh,Mã đối tượng", "Lê A,1940,K5c", "Lê B,1941,K6"])
    assert load_ward(a).tables["beneficiaries"]["category"].tolist() == ["K5c", "K6"]
    b = tmp_path / "b"
    b.mkdir()
    write_csv(b / "beneficiaries.csv", ["Mã đối tượng,Họ tên,Năm sinh,Đối tượng", "DT-01,Lê A,1940,K5c"])
    ben = load_ward(b).tables["beneficiaries"]
    assert ben["record_id"].tolist() == ["DT01"] and ben["category"].tolist() == ["K5c"]


def test_input_files_not_modified(tmp_path):
    path = write_csv(tmp_path / "beneficiaries.csv", [*ben_rows(), "3,X,bad,Nam,,K1,1"])
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    ward = load_ward(tmp_path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before == ward.sources[0].sha256


# ---------------------------------------------------------------------------------------------
# workbooks


def test_workbook_ward_with_vietnamese_sheet_names(tmp_path):
    book = write_xlsx(
        tmp_path / "phuong-xuat-hoa.xlsx",
        {
            "ward": [["ward_code", "01855"], ["ward_name", "Phường Xuất Hóa"], ["province_code", 6]],
            "Danh sách đối tượng": [
                ["UBND PHƯỜNG XUẤT HÓA"],
                [],
                ["STT", "Họ và tên", "Ngày tháng năm sinh", "Số định danh", "Diện hưởng"],
                [1, "Lê Văn A", dt.datetime(1940, 3, 5), 6040001234, "Điều 5 khoản 6"],
                [2, "Lê Thị B", 1941, "006141001234", "Người khuyết tật đặc biệt nặng"],
            ],
            "Dân cư": [["Số CCCD", "Họ tên", "Năm sinh"], ["006040001234", "Lê Văn A", "1940"]],
            "Ghi chú": [["free text"]],
        },
    )
    ward = load_ward(book)
    assert (ward.ward_code, ward.ward_name, ward.province_code) == ("01855", "Phường Xuất Hóa", "06")
    ben = ward.tables["beneficiaries"]
    assert ben["_row"].tolist() == [4, 5]
    assert ben["_file"].tolist() == ["phuong-xuat-hoa.xlsx"] * 2
    assert ben["_sheet"].tolist() == ["Danh sách đối tượng"] * 2
    assert ben["national_id"].tolist() == ["006040001234", "006141001234"]  # number cell restored
    assert ben["national_id_raw"].tolist() == ["6040001234", "006141001234"]
    assert ben["birth_date"].tolist() == [pd.Timestamp("1940-03-05"), pd.Timestamp("1941-01-01")]
    assert ben["birth_date_year_only"].tolist() == [False, True]
    assert ben["category"].tolist() == ["K6", "K6"]
    assert ben["disability_level"].tolist()[1] == "especially_severe"  # implied by the label
    assert "residents" in ward.tables
    assert any("Ghi chú" in w for w in ward.warnings)


def test_two_row_header_with_merged_group_and_vertical_cells(tmp_path):
    rows = [
        ["DANH SÁCH ĐỐI TƯỢNG"],
        ["STT", "Họ và tên", "Ngày sinh", None, "Đối tượng", "Trợ cấp", None],
        [None, None, "Nam", "Nữ", None, "Hệ số", "Mức hưởng"],
        ["1", "2", "3", "4", "5", "6", "7"],
        [1, "Lê Văn A", "1940", None, "K5c", 1, 500000],
        [2, "Lê Thị B", None, "05/06/1941", "K5c", "1,5", "750.000"],
        [3, "Lê Thị C", "1942", "1942", "K5c", 1, 500000],
    ]
    merges = ["A2:A3", "B2:B3", "C2:D2", "E2:E3", "F2:G2"]
    write_xlsx(tmp_path / "beneficiaries.xlsx", {"DS": rows}, {"DS": merges})
    ward = load_ward(tmp_path)
    ben = ward.tables["beneficiaries"]
    assert ben["_row"].tolist() == [5, 6]
    assert ben["sex"].tolist() == ["M", "F"]
    assert ben["birth_date"].tolist() == [pd.Timestamp("1940-01-01"), pd.Timestamp("1941-06-05")]
    assert ben["coefficient"].tolist() == [1.0, 1.5]
    assert ben["monthly_amount"].tolist() == [500000.0, 750000.0]
    assert ward.unreadable["row"].tolist() == [7]  # birth date under both Nam and Nữ
    assert "both Nam and Nữ" in ward.unreadable["reason"].iloc[0]
    assert ward.sources[0].header_row == 2


def test_two_row_header_without_merges_in_csv(tmp_path):
    write_csv(
        tmp_path / "beneficiaries.csv",
        ["Họ tên,Ngày sinh,,Đối tượng", ",Nam,Nữ,", "Lê A,1940,,K5c", "Lê B,,1941,K5c"],
    )
    ben = load_ward(tmp_path).tables["beneficiaries"]
    assert ben["sex"].tolist() == ["M", "F"] and ben["_row"].tolist() == [3, 4]


def test_folder_workbook_picks_the_data_sheet(tmp_path):
    write_xlsx(
        tmp_path / "danh_sach_doi_tuong.xlsx",
        {"Hướng dẫn": [["Ghi chú"]], "Sheet1": [["Họ tên", "Năm sinh", "Đối tượng"], ["Lê A", 1940, "K5c"]]},
    )
    ben = load_ward(tmp_path).tables["beneficiaries"]
    assert ben["_sheet"].tolist() == ["Sheet1"] and ben["_file"].tolist() == ["danh_sach_doi_tuong.xlsx"]


def test_unreadable_workbook(tmp_path):
    (tmp_path / "beneficiaries.xlsx").write_bytes(b"this is not a zip file")
    with pytest.raises(InputError) as err:
        load_ward(tmp_path)
    assert err.value.file == "beneficiaries.xlsx" and err.value.fix


# ---------------------------------------------------------------------------------------------
# discovery


def test_batch_discovery(tmp_path):
    for name in ("duc-xuan", "song-cau"):
        (tmp_path / name).mkdir()
        write_csv(tmp_path / name / "beneficiaries.csv", ben_rows())
    write_xlsx(
        tmp_path / "xuat-hoa.xlsx",
        {"beneficiaries": [["Họ tên", "Năm sinh", "Đối tượng"], ["A", 1940, "K1"]]},
    )
    (tmp_path / "notes").mkdir()  # a folder that is no ward
    (tmp_path / "README.txt").write_text("x")
    assert is_batch(tmp_path)
    wards = discover_wards(tmp_path)
    assert [w.name for w in wards] == ["duc-xuan", "song-cau", "xuat-hoa.xlsx"]
    assert not is_batch(wards[0]) and discover_wards(wards[0]) == [wards[0]]
    assert not is_batch(wards[2]) and discover_wards(wards[2]) == [wards[2]]
    loaded = [load_ward(w) for w in wards]
    assert all(isinstance(w, WardData) and len(w.tables["beneficiaries"]) for w in loaded)
    assert all(isinstance(s, SourceFile) for w in loaded for s in w.sources)


def test_discover_nothing(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(InputError, match="No ward found"):
        discover_wards(tmp_path)
    with pytest.raises(InputError, match="not found"):
        discover_wards(tmp_path / "missing")


def test_whitespace_only_cells_are_empty_and_spaced_totals_are_totals(tmp_path):
    # A cell of spaces, a tab or no-break spaces is empty (the row below is blank, not a person),
    # and a total row whose label starts with spaces is still a total.
    write_csv(
        tmp_path / "danh_sach_doi_tuong.csv",
        [
            ",".join(BEN_HEADER),  # row 1: header
            "1,Nguyễn Văn An,15/03/1940,Nam,006040001234,K5c,500.000",  # row 2
            " ,\u00a0\u00a0,\t, ,\u2003,,",  # row 3: whitespace only
            "2,Trần Thị Bình,1938,Nữ,006138001235,NCT trên 80 tuổi,500000",  # row 4
            "  Tổng cộng,,,,,,1.000.000",  # row 5: total
        ],
    )
    ward = load_ward(tmp_path)
    ben = ward.tables["beneficiaries"]
    assert ben["_row"].tolist() == [2, 4]
    assert ward.unreadable.empty
    assert ward.sources[0].rows_total == 2


def _same_ward(got: WardData, want: WardData) -> None:
    assert list(got.tables) == list(want.tables)
    for name, frame in want.tables.items():
        pd.testing.assert_frame_equal(got.tables[name], frame, obj=name)
    pd.testing.assert_frame_equal(got.unreadable, want.unreadable)
    if want.undated is None:
        assert got.undated is None
    else:
        assert got.undated is not None
        pd.testing.assert_frame_equal(got.undated, want.undated, obj="undated")
    assert got.sources == want.sources
    assert got.warnings == want.warnings
    assert got.extra_columns == want.extra_columns


def test_wards_read_together_are_the_wards_read_alone(tmp_path: Path) -> None:
    from audit_toolkit.io import load_wards

    root = Path(__file__).resolve().parents[1] / "data"
    paths = [p for d in ("sample", "sample-2026") for p in discover_wards(root / d)]
    # A ward whose person tables lack a key column (no birth dates in the deaths list), and a ward
    # that cannot be read, among them: keys are made per kind of table, errors stay in place.
    odd = tmp_path / "odd"
    odd.mkdir()
    write_csv(odd / "beneficiaries.csv", ben_rows())
    write_csv(
        odd / "deaths.csv", ["national_id,full_name,death_date", "001190000001,Nguyễn Văn An,01/02/2022"]
    )
    broken = tmp_path / "broken"
    broken.mkdir()
    write_csv(broken / "residents.csv", ["national_id,full_name", "001190000001,Nguyễn Văn An"])
    together = load_wards([*paths, odd, broken])
    assert isinstance(together[-1], InputError)
    undated = 0
    for path, got in zip([*paths, odd], together, strict=False):
        assert isinstance(got, WardData), (path, got)
        want = load_ward(path)
        _same_ward(got, want)
        undated += 0 if want.undated is None else len(want.undated)
        for name in ("beneficiaries", "residents", "deaths"):
            if name in want.tables:
                assert want.tables[name]["person_key"].notna().any()
    assert undated > 0  # undated rows were keyed too (compared above)
