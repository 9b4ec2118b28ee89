"""The contract data: tables, aliases, vocabularies and category labels."""

from __future__ import annotations

import pandas as pd
import pytest

from audit_toolkit.contract import (
    CATEGORY_CODES,
    TABLES,
    VOCABULARIES,
    load_category_table,
    map_categories,
    match_table_name,
)
from audit_toolkit.errors import InputError
from audit_toolkit.normalize import fold, fold_key


def test_tables_and_required_columns():
    assert list(TABLES) == [
        "beneficiaries",
        "payments",
        "residents",
        "deaths",
        "disability_certificates",
        "pensions",
        "report",
    ]
    assert [n for n, t in TABLES.items() if t.required] == ["beneficiaries"]
    b = TABLES["beneficiaries"].columns
    assert {c for c, s in b.items() if s.required} == {"full_name", "birth_date", "category"}
    assert {c for c, s in TABLES["payments"].columns.items() if s.required} == {"month", "amount"}
    # contract v2 §1a: a list with no ID column links by name
    assert TABLES["payments"].one_of == (("national_id", "record_id", "full_name"),)
    assert {c for c, s in TABLES["residents"].columns.items() if s.required} == {
        "national_id",
        "full_name",
        "birth_date",
    }
    assert TABLES["deaths"].columns["death_date"].required


@pytest.mark.parametrize(
    ("table", "header", "column"),
    [
        ("beneficiaries", "Họ và tên", "full_name"),
        ("beneficiaries", "HỌ TÊN ĐỐI TƯỢNG", "full_name"),  # case
        ("beneficiaries", "Ngày tháng năm sinh", "birth_date"),
        ("beneficiaries", "Ngày, tháng, năm sinh", "birth_date"),  # punctuation ignored
        ("beneficiaries", "Năm sinh", "birth_date"),
        ("beneficiaries", "Số CCCD/CMND", "national_id"),
        ("beneficiaries", "So dinh danh", "national_id"),  # no diacritics
        ("beneficiaries", "Số tiền (đồng/tháng)", "monthly_amount"),
        ("beneficiaries", "Lý do giảm", "end_reason"),
        ("payments", "Tháng chi trả", "month"),
        ("payments", "Thành tiền", "amount"),
        ("deaths", "Ngày qua đời", "death_date"),
        ("disability_certificates", "Ngày cấp giấy xác nhận", "issue_date"),
        ("pensions", "Loại trợ cấp", "benefit"),
        ("report", "Số đối tượng", "reported_count"),
    ],
)
def test_column_aliases(table, header, column):
    assert column in TABLES[table].header_keys()[fold_key(header)]


def test_ambiguous_alias_lists_both_columns():
    # The contract lists "Mã đối tượng" for record_id and for category: the loader decides by values.
    assert TABLES["beneficiaries"].header_keys()[fold_key("Mã đối tượng")] == ["record_id", "category"]


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("beneficiaries", "beneficiaries"),
        ("danh_sach_doi_tuong", "beneficiaries"),
        ("Danh sách đối tượng", "beneficiaries"),
        ("DANH-SACH-DOI-TUONG", "beneficiaries"),
        ("Danh sách chi trả", "payments"),
        ("Danh sách chi trả tháng 1-2023", "payments"),  # a period after the name
        ("dân cư", "residents"),
        ("khai tử", "deaths"),
        ("giấy xác nhận khuyết tật", "disability_certificates"),
        ("lương hưu", "pensions"),
        ("báo cáo", "report"),
        ("Sheet1", None),  # names nothing
        ("ghi chú", None),
    ],
)
def test_table_names(name, table):
    assert match_table_name(name) == table


@pytest.mark.parametrize(
    ("label", "code", "level"),
    [
        ("K1", "K1", None),
        ("k5a", "K5a", None),  # case
        ("K5 d", "K5d", None),
        ("HTXH", "HTXH", None),
        ("Điều 5 khoản 6", "K6", None),  # article reference
        ("Khoản 6 Điều 5", "K6", None),
        ("Khoản 5 điểm c", "K5c", None),
        ("Điều 5 khoản 5 điểm a", "K5a", None),
        ("NCT trên 80 tuổi", "K5c", None),
        ("Người cao tuổi từ đủ 80 tuổi", "K5c", None),
        ("Người già cô đơn", "K5a", None),
        ("Trẻ mồ côi", "K1", None),
        ("NKT hưởng kinh phí chăm sóc", "C2", None),  # care support, not K6
        ("Kinh phí chăm sóc", "C2", None),
        ("Người khuyết tật đặc biệt nặng", "K6", "especially_severe"),
        ("NGƯỜI KHUYẾT TẬT ĐẶC BIỆT NẶNG", "K6", "especially_severe"),
        ("Người khuyết tật nặng", "K6", "severe"),
        ("Người cao tuổi 75-80 tuổi hộ nghèo vùng ĐBKK", "K5b", None),
        ("Trẻ em nhiễm HIV", "K3", None),
        ("Người nhiễm HIV hộ nghèo", "K8", None),
        ("Người đơn thân nghèo nuôi con", "K4", None),
    ],
)
def test_category_labels(label, code, level):
    out = map_categories(pd.Series([label]))
    assert out["category"].iloc[0] == code
    assert (out["implied_level"].iloc[0] if pd.notna(out["implied_level"].iloc[0]) else None) == level
    assert not out["bad"].iloc[0]


@pytest.mark.parametrize(
    "label",
    [
        "Điều 5 khoản 5",  # clause 5 without its point: K5a..K5d, never a guess
        "Hỗ trợ đột xuất",  # not a monthly category
        "K9",  # no such code
        "???",
    ],
)
def test_unknown_labels_are_bad(label):
    out = map_categories(pd.Series([label]))
    assert pd.isna(out["category"].iloc[0]) and out["bad"].iloc[0]


def test_empty_label_is_missing_not_bad():
    out = map_categories(pd.Series([None, ""], dtype=object))
    assert out["category"].isna().all() and not out["bad"].any()


def test_total_only_when_allowed():
    assert map_categories(pd.Series(["Tổng số"]), allow_total=True)["category"].iloc[0] == "TOTAL"
    assert map_categories(pd.Series(["Tổng số"]))["bad"].iloc[0]


def test_codes():
    assert list(CATEGORY_CODES)[:4] == ["K1", "K2", "K3", "K4"]
    assert {"K5a", "K5d", "C4", "HTXH"} <= set(CATEGORY_CODES)
    assert len(CATEGORY_CODES) == 16


def test_ward_categories_extend_and_win(tmp_path):
    path = tmp_path / "categories.yml"
    path.write_text(
        "labels:\n  - {label: Hỗ trợ đột xuất, code: K1}\n  - {label: Trẻ mồ côi, code: K2}\n"
        "patterns:\n  - {pattern: '^dien \\d+$', code: K7}\n",
        encoding="utf-8",
    )
    table = load_category_table(path)
    out = map_categories(pd.Series(["Hỗ trợ đột xuất", "Trẻ mồ côi", "Diện 12", "K6"]), table=table)
    assert out["category"].tolist() == ["K1", "K2", "K7", "K6"]


def test_ward_categories_unknown_code(tmp_path):
    path = tmp_path / "categories.yml"
    path.write_text("labels:\n  - {label: X, code: K99}\n", encoding="utf-8")
    with pytest.raises(InputError, match="Unknown category code 'K99'"):
        load_category_table(path)


@pytest.mark.parametrize(
    ("vocab", "label", "code"),
    [
        ("sex", "Nữ", "F"),
        ("sex", "nam", "M"),
        ("status", "Đang hưởng", "active"),
        ("status", "Tạm dừng", "suspended"),
        ("status", "Thôi hưởng", "ended"),
        ("end_reason", "Chết", "death"),
        ("end_reason", "chuyển đi", "moved"),
        ("end_reason", "hết tuổi", "age_out"),
        ("end_reason", "không đủ điều kiện", "ineligible"),
        ("disability_level", "Đặc biệt nặng", "especially_severe"),
        ("disability_level", "nặng", "severe"),
        ("disability_level", "nhẹ", "mild"),
        ("residence_status", "Thường trú", "permanent"),
        ("residence_status", "tạm trú", "temporary"),
        ("residence_status", "Đã chuyển đi", "moved_out"),
        ("poverty_status", "Hộ nghèo", "poor"),
        ("poverty_status", "cận nghèo", "near_poor"),
        ("poverty_status", "không", None),
        ("benefit", "Lương hưu", "pension"),
        ("benefit", "Trợ cấp BHXH", "social_insurance"),
        ("benefit", "Hưu trí xã hội", "social_pension"),
        ("yes_no", "có", True),
        ("yes_no", "x", True),
        ("yes_no", "không", False),
        ("paid", "Đã nhận", True),
        ("paid", "Chưa nhận", False),
    ],
)
def test_vocabularies(vocab, label, code):
    mapping = VOCABULARIES[vocab].mapping
    assert fold(label) in mapping
    assert mapping[fold(label)] == code


def test_sex_rejects_digits():
    assert "1" not in VOCABULARIES["sex"].mapping and "0" not in VOCABULARIES["sex"].mapping


def test_header_keys_fold_every_alias_and_give_the_caller_its_own_copy() -> None:
    spec = TABLES["beneficiaries"]
    keys = spec.header_keys()
    for col in spec.columns.values():
        for text in (col.name, *col.aliases):
            assert col.name in keys[fold_key(text)]
    first = next(iter(keys))
    before = list(keys[first])
    keys[fold_key("Cột riêng")] = ["full_name"]  # what a user map adds
    keys[first].append("a column of the caller's own")
    again = spec.header_keys()
    assert fold_key("Cột riêng") not in again and again[first] == before
