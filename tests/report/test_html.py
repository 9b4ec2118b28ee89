"""report.html: escaping, masking, self-containment, every check present, both languages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib import resources

import pandas as pd
import pytest
import yaml

from audit_toolkit.checks import catalogue
from audit_toolkit.report import write_reports
from audit_toolkit.report.html import active_by_category, compact_source, mask_text, reason_text, render_html
from tests.report.helpers import HOSTILE, HOSTILE_ID, finding, make_result


class _Collector(HTMLParser):
    """Every tag with its attributes, and the text of script elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def test_hostile_name_shows_as_text() -> None:
    html = render_html(make_result())
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    doc = parse(html)
    # Only the report's own inline script: no script element comes from the data.
    assert [tag for tag, _ in doc.tags].count("script") == 1
    assert "alert(1)" not in "".join(doc.scripts)


@pytest.mark.parametrize(
    ("mask", "shown", "hidden"),
    [
        (True, "006*****1234", HOSTILE_ID),  # default: masked in the ID column and inside the detail sentence
        (False, HOSTILE_ID, "006*****1234"),  # --no-mask: in full
    ],
)
def test_national_ids_masked_unless_asked(mask: bool, shown: str, hidden: str) -> None:
    html = render_html(make_result(), mask=mask, charts=False)
    assert shown in html
    assert hidden not in html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ID 006080001234 twice", "ID 006*****1234 twice"),  # 12-digit ID inside a sentence
        ("CMND 123456789.", "CMND 123**6789."),  # 9-digit legacy ID card
        ("4.860.000 đ, 14 tháng", "4.860.000 đ, 14 tháng"),  # amounts and counts untouched
        ("1234567890123", "1234567890123"),  # 13 digits is not an ID
    ],
)
def test_mask_text(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_reference_leaves_the_file(lang: str) -> None:
    html = render_html(make_result(lang=lang))
    assert "http://" not in html and "https://" not in html
    for tag, attrs in parse(html).tags:
        assert "src" not in attrs, tag  # no script, image or frame loaded from anywhere
        href = attrs.get("href")
        if href is not None:
            assert href.startswith("#"), href  # in-page anchors only
        assert tag not in ("link", "iframe", "img", "object", "embed"), tag


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_catalogue_check_appears_run_or_not(lang: str) -> None:
    result = make_result(lang=lang)
    html = render_html(result, charts=False)
    doc = parse(html)
    sections = {a.get("data-check") for tag, a in doc.tags if tag == "section"}
    not_run_rows = {a.get("data-check") for tag, a in doc.tags if tag == "tr" and a.get("id")}
    for status in result.checks:
        assert f'data-check="{status.check_id}"' in html
        where = sections if status.status == "run" else not_run_rows
        assert status.check_id in where, status.check_id
    # Reason codes are translated, never shown raw.
    assert "missing_table:" not in html and "missing_column:" not in html and "batch_only" not in html
    assert reason_text("missing_table:residents", lang) in html


def test_english_report_speaks_english() -> None:
    html = render_html(make_result(lang="en"), charts=False)
    assert "Audit of the social-assistance beneficiary list" in html
    assert "Deceased person still on the list or still paid" in html
    assert '<html lang="en">' in html


@pytest.mark.parametrize(
    ("reason", "lang", "expected"),
    [
        ("missing_table:payments", "vi", "Thiếu bảng dữ liệu “Danh sách chi trả”"),
        (
            "missing_column:beneficiaries.coefficient",
            "en",
            "The table “Beneficiaries” has no values in the column “coefficient”",
        ),
        ("not_implemented", "en", "Not implemented in this version"),
        ("batch_only", "vi", "Chỉ kiểm tra khi chạy nhiều phường cùng lúc (xem trang tổng hợp)"),
        ("not_selected", "en", "Not selected for this run"),
        # a code this version does not know: a sentence, never the raw code
        ("some_future_code", "en", "This check did not run in this version"),
    ],
)
def test_reason_text(reason: str, lang: str, expected: str) -> None:
    assert reason_text(reason, lang) == expected


def _keys(lang: str) -> set[str]:
    text = resources.files("audit_toolkit.messages").joinpath(lang, "report.yml").read_text(encoding="utf-8")
    return set(yaml.safe_load(text))


def test_both_languages_have_the_same_report_keys() -> None:
    assert _keys("vi") == _keys("en")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_check_and_table_has_its_words(lang: str) -> None:
    keys = _keys(lang)
    for spec in catalogue():
        assert f"report.check.{spec.check_id}.title" in keys
        assert f"report.check.{spec.check_id}.explain" in keys
        for table in spec.requires:
            assert f"report.table.{table}" in keys


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("beneficiaries:2", "beneficiaries: 2"),  # one row
        (
            "beneficiaries:2;deaths:3;payments:7",
            "beneficiaries: 2 · deaths: 3 · payments: 7",
        ),  # several tables
        (
            ";".join(f"payments:{i}" for i in range(10, 18)),
            "payments: 10, 11, 12, 13, 14, … (+3)",
        ),  # long lists shortened
        ("", ""),  # no source
    ],
)
def test_compact_source(source: str, expected: str) -> None:
    assert compact_source(source) == expected


def test_beneficiaries_by_category_against_the_report() -> None:
    frame = active_by_category(make_result())
    # Ten people, one ended before the period: nine active.
    assert frame.loc["TOTAL", "records"] == 9
    assert frame.loc["TOTAL", "reported"] == 10
    assert frame.loc["K5c", "records"] == 4 and frame.loc["K5c", "reported"] == 5
    assert frame.loc["K4", "records"] == 1 and pd.isna(frame.loc["K4", "reported"])
    assert list(frame.index) == ["K1", "K4", "K5c", "K6", "TOTAL"]


def test_charts_are_inline_svg_and_missing_payments_is_said() -> None:
    with_payments = render_html(make_result())
    assert with_payments.count("<svg") == 5
    without = render_html(make_result(with_payments=False))
    assert without.count("<svg") == 4
    assert "Phường không cung cấp danh sách chi trả." in without


def test_no_findings_still_renders_every_check() -> None:
    result = make_result(findings=[])
    html = render_html(result, charts=False)
    assert html.count("Không có phát hiện: dữ liệu") == sum(s.status == "run" for s in result.checks)


@dataclass
class _Quality:
    summary: pd.DataFrame


@pytest.mark.parametrize(
    ("quality", "present", "absent"),
    [
        (None, "Không chạy kiểm tra chất lượng dữ liệu", "Quy tắc không đạt"),  # GX not run
        (
            _Quality(
                pd.DataFrame(
                    {
                        "table": ["beneficiaries", "beneficiaries", "payments"],
                        "expectation": ["a", "b", "c"],
                        "column": ["national_id", "birth_date", "amount"],
                        "description": [
                            "Số định danh có 12 chữ số",
                            "Ngày sinh không ở tương lai",
                            "Số tiền dương",
                        ],
                        "check_id": ["ID_INVALID", "", ""],
                        "evaluated": [10, 10, 50],
                        "unexpected": [2, 0, 0],
                        "success": [False, True, True],
                    }
                )
            ),
            "Số định danh có 12 chữ số",
            "Ngày sinh không ở tương lai",
        ),  # one failing expectation listed, passing ones only counted
    ],
)
def test_quality_appendix(quality: object, present: str, absent: str) -> None:
    html = render_html(make_result(quality=quality), charts=False)
    assert present in html
    assert absent not in html


def test_write_reports_writes_every_file_and_records_the_sample(tmp_path) -> None:  # type: ignore[no-untyped-def]
    high = finding("AGE_OUT", "high", full_name="Vũ Văn Hải", national_id="006212000099")
    result = make_result()
    keys = result.context.lines.set_index("full_name")["person_key"]
    result.findings = pd.concat(
        [result.findings, pd.DataFrame([{**high, "person_key": keys["Vũ Văn Hải"]}])], ignore_index=True
    )
    folder = write_reports(result, tmp_path, sample_size=3, seed=7)
    assert sorted(p.name for p in folder.iterdir()) == [
        "findings.csv",
        "findings.xlsx",
        "manifest.json",
        "report.html",
    ]
    data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert data["parameters"]["sample_size"] == 3 and data["parameters"]["sample_seed"] == 7
    # Two people with a high-severity finding, plus three drawn at random among the others.
    assert data["outputs"]["field_visit_sample"] == {"size": 3, "seed": 7, "people": 5, "high_severity": 2}
    assert data["outputs"]["mask_ids_in_html"] is True
