"""Not-run reasons: a typed value whose machine code is stable and whose text is a catalogue sentence."""

from __future__ import annotations

import json

import pytest

from audit_toolkit.checks import CheckStatus, run_checks
from audit_toolkit.checks.status import NotRunReason, ReasonCode
from audit_toolkit.report.tables import manifest
from tests.factories import context, person, ward
from tests.report.helpers import make_result


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        (NotRunReason.missing_table("payments"), "missing_table:payments"),  # names the table
        (
            NotRunReason.missing_column("beneficiaries", "coefficient"),
            "missing_column:beneficiaries.coefficient",
        ),
        (NotRunReason(ReasonCode.BATCH_ONLY), "batch_only"),  # codes without argument
        (NotRunReason(ReasonCode.NOT_IMPLEMENTED), "not_implemented"),
        (NotRunReason(ReasonCode.NOT_SELECTED), "not_selected"),
        (NotRunReason(ReasonCode.FEWER_THAN_TWO_WARDS), "fewer_than_two_wards"),
    ],
)
def test_machine_code_round_trips(reason: NotRunReason, code: str) -> None:
    assert str(reason) == code
    assert NotRunReason.parse(code) == reason
    assert reason == code  # compares with the manifest's text too


@pytest.mark.parametrize("code", [c.value for c in ReasonCode])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_code_reads_as_a_sentence(code: str, lang: str) -> None:
    reason = NotRunReason(ReasonCode(code), "payments", "amount")
    text = reason.text(lang)
    assert text and code not in text and "report.reason" not in text
    assert "_" not in text  # no identifier leaks into the sentence


def test_missing_table_names_the_table_in_the_reader_language() -> None:
    assert NotRunReason.missing_table("deaths").text("vi") == "Thiếu bảng dữ liệu “Khai tử”"
    # A column the report has a heading for is named by it.
    text = NotRunReason.missing_column("beneficiaries", "birth_date").text("en")
    assert "“Beneficiaries”" in text and "birth_date" not in text


def test_unknown_code_keeps_its_code_and_reads_as_a_sentence() -> None:
    # A code written by a newer version: the manifest keeps it, the page says it in words.
    reason = NotRunReason.parse("needs_something_new:payments")
    assert str(reason) == "needs_something_new:payments"
    assert "needs_something_new" not in reason.text("vi") and reason.text("vi")


def test_check_status_takes_the_machine_code_as_text() -> None:
    # A caller that still writes the code as text gets the typed value; "" means "run".
    assert CheckStatus("X", "not_run", "missing_table:deaths").reason == NotRunReason.missing_table(  # type: ignore[arg-type]
        "deaths"
    )
    assert CheckStatus("X", "run", "").reason is None  # type: ignore[arg-type]


def test_run_checks_gives_typed_reasons() -> None:
    _, statuses = run_checks(context(ward(beneficiaries=[person(category="K5c", birth_date="1935-03-01")])))
    by_id = {s.check_id: s for s in statuses}
    deceased = by_id["DECEASED_ACTIVE"].reason
    assert isinstance(deceased, NotRunReason)
    assert (deceased.code, deceased.table) == (ReasonCode.MISSING_TABLE, "deaths")
    assert by_id["DUPLICATE_ID"].reason is None


def test_manifest_keeps_the_machine_codes() -> None:
    data = json.loads(json.dumps(manifest(make_result())))  # JSON-serialisable as it is
    reasons = {c["check_id"]: c["reason"] for c in data["checks"]}
    assert reasons["CROSS_WARD_DUPLICATE"] == "batch_only"
    assert reasons["MISSED_ELDERLY"] == "missing_table:residents"
    assert reasons["WRONG_COEFFICIENT"] == "missing_column:beneficiaries.coefficient"
    assert reasons["DECEASED_ACTIVE"] is None
