"""Name matching made visible: findings about people without ID say so, the report lists the checks.

A ward with no ID column in any of its own lists (the sample ward Đức Xuân with the ``national_id``
column removed from beneficiaries, payments, deaths and certificates; the residents and pensions
registers keep it, as data-contract v2 requires) is matched on name + birth date throughout; the same
ward with its IDs is the counter-example.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from audit_toolkit import views
from audit_toolkit.audit import AuditResult, run_audit
from audit_toolkit.findings import NAME_MATCH_PREFIX, finalize
from audit_toolkit.messages import t
from audit_toolkit.report.html import render_html
from audit_toolkit.report.matching import NOT_ABOUT_PEOPLE, name_matching

ROOT = Path(__file__).resolve().parents[1]
WARD = ROOT / "data" / "sample" / "duc-xuan"


#: The tables whose ID column the contract marks required (kept in the copy).
_ID_REQUIRED = {"residents.csv", "pensions.csv"}


def _without_ids(src: Path, dst: Path) -> Path:
    """A copy of the ward's CSV files without ``national_id`` columns (but where the contract needs one)."""
    dst.mkdir(parents=True)
    for path in src.iterdir():
        if path.suffix != ".csv" or path.name in _ID_REQUIRED:
            shutil.copy(path, dst / path.name)
            continue
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        keep = [i for i, h in enumerate(rows[0]) if h != "national_id"]
        with (dst / path.name).open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([[r[i] for i in keep if i < len(r)] for r in rows])
    return dst


@pytest.fixture(scope="module")
def no_ids(tmp_path_factory: pytest.TempPathFactory) -> AuditResult:
    folder = _without_ids(WARD, tmp_path_factory.mktemp("noid") / "duc-xuan")
    return run_audit(folder, as_of="2023-02-28", period_from="2022-01", lang="vi", quality=False)


@pytest.fixture(scope="module")
def with_ids() -> AuditResult:
    return run_audit(WARD, as_of="2023-02-28", period_from="2022-01", lang="en", quality=False)


def _on_name(result: AuditResult) -> pd.Series:
    return result.findings["person_key"].astype(str).str.startswith(NAME_MATCH_PREFIX)


def test_a_ward_without_ids_is_audited_on_names(no_ids: AuditResult) -> None:
    assert "national_id" not in no_ids.ward.tables["beneficiaries"].columns or (
        no_ids.ward.tables["beneficiaries"]["national_id"].isna().all()
    )
    assert len(no_ids.findings) > 10  # the planted problems are still found
    # Every finding about a person of the ward's lists is keyed on name + birth date; only people
    # found in the ID-carrying registers (residents missing from the list) keep their ID.
    f = no_ids.findings
    about_people = ~f["check_id"].isin(NOT_ABOUT_PEOPLE)
    without_id = f["national_id"].fillna("").astype(str) == ""
    assert _on_name(no_ids)[about_people & without_id].all()
    assert _on_name(no_ids).sum() > 10


def test_every_finding_matched_on_name_says_so_once(no_ids: AuditResult) -> None:
    note = t("matching.by_name", "vi")
    details = no_ids.findings.loc[_on_name(no_ids), "detail"]
    stale_note = t("stale.matched_by_name", "vi").strip()
    # Said once: by the central note, or by the check's own words when it already says it.
    said_by_check = details.str.contains(stale_note, regex=False)
    assert said_by_check.any() and (~said_by_check).any()
    assert details[~said_by_check].str.endswith(note).all()
    assert not details[said_by_check].str.contains(note, regex=False).any()
    assert (details.str.count(re.escape(note)) <= 1).all()
    # Rows and report figures are not people: no note on them.
    others = no_ids.findings.loc[~_on_name(no_ids), "detail"]
    assert not others.str.contains(note, regex=False).any()


def test_findings_matched_on_ids_carry_no_note(with_ids: AuditResult) -> None:
    note = t("matching.by_name", "en")
    on_id = with_ids.findings["person_key"].astype(str).str.startswith("id:")
    assert on_id.any()
    assert not with_ids.findings.loc[on_id, "detail"].str.contains(note, regex=False).any()
    # The few lines of the sample without a valid ID are matched on names, and say so in English.
    assert with_ids.findings.loc[_on_name(with_ids), "detail"].str.endswith(note).all()


def test_summary_lists_every_person_check_for_a_ward_without_ids(no_ids: AuditResult) -> None:
    m = name_matching(no_ids)
    assert m.no_ids and m.lines == m.lines_without_id > 0
    ran = {s.check_id for s in no_ids.checks if s.status == "run"} - NOT_ABOUT_PEOPLE
    assert {c.check_id for c in m.checks} == ran
    assert m.sentence("vi") == t("matching.no_ids", "vi")


def test_summary_lists_only_checks_with_name_matched_findings(with_ids: AuditResult) -> None:
    m = name_matching(with_ids)
    assert not m.no_ids and 0 < m.lines_without_id < m.lines
    expected = set(with_ids.findings.loc[_on_name(with_ids), "check_id"]) - NOT_ABOUT_PEOPLE
    assert {c.check_id for c in m.checks} == expected
    assert all(c.by_name >= 1 for c in m.checks)
    assert str(m.lines_without_id) in m.sentence("en")


def test_report_lists_the_checks_run_on_name_matching(no_ids: AuditResult) -> None:
    html = render_html(no_ids, charts=False)
    assert 'id="name-matching"' in html and t("matching.no_ids", "vi") in html
    section = html.split('id="name-matching"', 1)[1].split("</section>", 1)[0]
    for c in name_matching(no_ids).checks:
        assert f'data-check="{c.check_id}"' in section


def test_notebook_views_show_the_matching(no_ids: AuditResult) -> None:
    by_check = views.findings_by_check(no_ids).frame
    matched = dict(
        zip(by_check[t("display.check_code", "vi")], by_check[t("matching.col.matching", "vi")], strict=True)
    )
    assert matched["DECEASED_ACTIVE"] == t("matching.on_name", "vi")
    assert matched["UNREADABLE_ROW"] == ""  # not about people
    figures = views.key_figures(no_ids).frame
    row = figures.loc[figures[t("views.label", "vi")] == t("matching.lines_without_id", "vi")]
    assert row[t("views.value", "vi")].tolist() == [f"{len(no_ids.context.lines):,}"]
    table = views.name_matching(no_ids)
    assert len(table) == len(name_matching(no_ids).checks)


@pytest.mark.parametrize(
    ("person_key", "detail", "noted"),
    [
        ("nb:nguyen van an|1950-05-10", "Có phát hiện.", True),  # no valid ID: noted
        ("nb:nguyen van an|1950", "", True),  # year-only birth date, empty detail: the note alone
        ("id:006050000001", "Có phát hiện.", False),  # matched on ID
        ("row:beneficiaries:7", "Dòng không đọc được.", False),  # a row, not a person
        # the check already said it matched a register on names: not said twice
        ("nb:nguyen van an|1950", "Mất ngày 14/08/2022" + t("stale.matched_by_name", "vi"), False),
    ],
)
def test_finalize_notes_name_matching(person_key: str, detail: str, noted: bool) -> None:
    raw = pd.DataFrame(
        [
            {
                "check_id": "DECEASED_ACTIVE",
                "person_key": person_key,
                "national_id": "",
                "full_name": "Nguyễn Văn An",
                "sources": ["beneficiaries:2"],
                "detail": detail,
                "amount_vnd": 0.0,
                "discriminator": "",
            }
        ]
    )
    common = {"ward": "01840", "ward_id": "01840", "severities": {}, "legal_bases": {}, "check_order": []}
    out = finalize(raw, lang="vi", **common)  # type: ignore[arg-type]
    note = t("matching.by_name", "vi")
    expected = (f"{detail} {note}" if detail else note) if noted else detail
    assert out.at[0, "detail"] == expected
    # Without a language (older callers), details are left as the check wrote them.
    assert finalize(raw, **common).at[0, "detail"] == detail  # type: ignore[arg-type]


@pytest.mark.parametrize("check_id", ["ID_INVALID", "ID_MISMATCH", "ID_CONFLICT", "DUPLICATE_ID"])
def test_id_checks_are_not_run_on_a_list_without_an_id_column(no_ids: AuditResult, check_id: str) -> None:
    # A list with no ID column is an older form (data contract §1a "No national ID"), not one missing
    # ID per line: the ID checks say why they did not run instead of flagging every line.
    status = next(s for s in no_ids.checks if s.check_id == check_id)
    assert status.status == "not_run"
    assert str(status.reason) == "missing_column:beneficiaries.national_id"
    assert not (no_ids.findings["check_id"] == check_id).any()


def test_id_checks_run_when_the_list_has_ids(with_ids: AuditResult) -> None:
    statuses = {s.check_id: s.status for s in with_ids.checks}
    assert {statuses[c] for c in ("ID_INVALID", "ID_MISMATCH", "ID_CONFLICT", "DUPLICATE_ID")} == {"run"}
    assert (with_ids.findings["check_id"] == "ID_INVALID").any()
