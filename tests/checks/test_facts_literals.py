"""The "no rate, age or day literal in check code" rule also holds in the checks' sub-packages
(``checks/facts/``), which ``tests/test_no_law_literals.py`` (``checks/*.py``) does not walk."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_no_law_literals import CHECKS, law_literals

# (file, value) → why it is not a legal value (the same reasons as for entitlement.py before the move).
ALLOWED = {
    ("money.py", 8): "bit-packing of (category, level) codes into one int64 key",
    ("money.py", 2048): "bit-packing of the age code into one int64 key",
    ("money.py", 1000): "clip bound of an age code before packing, not an age rule",
}
SUB_MODULES = sorted(p for p in CHECKS.rglob("*.py") if p.parent != CHECKS)


def test_the_sub_packages_are_walked() -> None:
    assert CHECKS / "facts" / "limits.py" in SUB_MODULES


@pytest.mark.parametrize("path", SUB_MODULES, ids=lambda p: str(p.relative_to(CHECKS)))
def test_no_rate_age_or_day_literal_in_the_facts(path: Path) -> None:
    found = [
        (line, v)
        for line, v in law_literals(path.read_text(encoding="utf-8"), path.name)
        if (path.name, v) not in ALLOWED
    ]
    assert not found, (
        f"{path.relative_to(CHECKS)}: numeric literals {found} look like law: move them to a rule table"
    )


def test_a_literal_age_in_a_fact_is_caught() -> None:
    # The scan this file relies on flags an age written in code (so the test above can fail).
    assert law_literals("LIMIT = 16\n", "limits.py") == [(1, 16)]
