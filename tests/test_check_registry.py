"""The catalogue: every check is run or reported as not run with its reason — never passed by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit_toolkit.checks import catalogue, run_checks
from audit_toolkit.checks.base import IMPLEMENTATIONS
from tests.factories import context, month_range, payments_for, person, ward

DOCS = Path(__file__).resolve().parents[1] / "docs"
SPEC = DOCS / "spec" / "checks.md"  # copy of ../shared/spec/checks.md
PROJECT = DOCS / "checks-project.md"  # checks the project adds (issue 11)


def test_catalogue_lists_every_check_of_the_spec_once() -> None:
    ids = [s.check_id for s in catalogue()]
    assert len(ids) == len(set(ids)) == 23  # the 22 of the spec v2 + POSSIBLE_DUPLICATE (issue 11)
    text = SPEC.read_text(encoding="utf-8") + PROJECT.read_text(encoding="utf-8")
    assert all(f"`{i}`" in text for i in ids)


def test_every_ward_check_is_implemented() -> None:
    ward_checks = {s.check_id for s in catalogue() if not s.batch}
    assert ward_checks <= set(IMPLEMENTATIONS)


def test_beneficiaries_only_runs_the_roster_checks_and_says_why_the_others_did_not() -> None:
    ctx = context(ward(beneficiaries=[person(category="K5c", birth_date="1935-03-01")]))
    _, statuses = run_checks(ctx)
    status = {s.check_id: (s.status, s.reason) for s in statuses}
    assert status["DECEASED_ACTIVE"] == ("not_run", "missing_table:deaths")
    assert status["PAID_AFTER_END"] == ("not_run", "missing_table:payments")
    assert status["MISSED_ELDERLY"] == ("not_run", "missing_table:residents")
    assert status["REPORT_MISMATCH"] == ("not_run", "missing_table:report")
    assert status["CROSS_WARD_DUPLICATE"] == ("not_run", "batch_only")
    assert status["WRONG_COEFFICIENT"] == ("not_run", "missing_column:beneficiaries.coefficient")
    assert status["LATE_DECISION"][0] == "not_run"
    assert status["DUPLICATE_ID"] == ("run", None)
    assert all(reason for state, reason in status.values() if state == "not_run")


@pytest.mark.parametrize(
    ("resident_extra", "expected"),
    [
        ({}, ("not_run", "missing_column:residents.residence_status")),  # cannot see moves: not run
        ({"residence_status": "permanent"}, ("run", None)),  # nobody moved: run, no finding
    ],
)
def test_moved_active_needs_residence_status(
    resident_extra: dict[str, str], expected: tuple[str, str | None]
) -> None:
    line = person(category="K5c", birth_date="1935-03-01")
    resident = {
        "national_id": line["national_id"],
        "full_name": line["full_name"],
        "birth_date": "1935-03-01",
    }
    ctx = context(
        ward(
            beneficiaries=[line],
            residents=[resident | resident_extra],
            payments=payments_for(line, month_range("2022-01", "2023-02"), 360000.0),
        )
    )
    _, statuses = run_checks(ctx)
    moved = next(s for s in statuses if s.check_id == "MOVED_ACTIVE")
    assert (moved.status, moved.reason) == expected
