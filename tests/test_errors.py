"""One exception tree: RuleError carries file / section / row / fix like InputError, and library
code raises the toolkit's errors (never a bare ValueError) for what a user can fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit_toolkit.errors import AuditToolkitError, ExportError, InputError, RuleError
from audit_toolkit.messages import catalogue
from audit_toolkit.rules import load_rules
from audit_toolkit.rules.loader import normalise_province_code


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        # every part: message, then where (file, section, row), then the fix on its own line
        (
            {"file": "levels.yml", "section": "national", "row": 2, "fix": "add it"},
            "bad (file levels.yml, section 'national', row 2)\nFix: add it",
        ),
        # a whole-file problem: no section, no row
        ({"file": "x.yml", "fix": "check the path"}, "bad (file x.yml)\nFix: check the path"),
        # a rule-set problem with no single file: the fix only
        ({"fix": "add the missing rule files"}, "bad\nFix: add the missing rule files"),
        # no parts at all: the message alone (older callers)
        ({}, "bad"),
    ],
)
def test_rule_error_formats_its_parts_like_input_error(kwargs, text):
    err = RuleError("bad", **kwargs)
    assert str(err) == text
    assert err.message == "bad"
    assert (err.file, err.section, err.row, err.fix) == tuple(
        kwargs.get(k) for k in ("file", "section", "row", "fix")
    )


def test_every_toolkit_error_shares_one_base():
    for cls in (InputError, RuleError, ExportError):
        assert issubclass(cls, AuditToolkitError)
    # none of them is a ValueError: a caller catching ValueError must not swallow them by accident
    assert not issubclass(RuleError, ValueError) and not issubclass(InputError, ValueError)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bad_rule_row_names_file_section_row_and_fix_as_fields(tmp_path):
    # the second row of 'national' has no legal basis
    extra = _write(
        tmp_path / "local.yml",
        "table: standard_level\nnational:\n"
        "  - {valid_from: 2030-01-01, valid_to: 2031-01-01, amount: 1, legal_basis: x}\n"
        "  - {valid_from: 2031-01-01, amount: 2}\n",
    )
    with pytest.raises(RuleError) as err:
        load_rules(extra_files=[extra])
    assert (err.value.file, err.value.section, err.value.row) == ("local.yml", "national", 2)
    assert err.value.message == "legal_basis is missing"
    assert err.value.fix is not None and "legal_basis" in err.value.fix


def test_an_unreadable_rule_file_names_the_file_as_a_field(tmp_path):
    extra = _write(tmp_path / "broken.yml", "table: [unclosed\n")
    with pytest.raises(RuleError) as err:
        load_rules(extra_files=[extra])
    assert err.value.file == str(extra) and err.value.fix == "correct the syntax at the line shown"


def test_a_missing_constant_points_at_constants_yml():
    with pytest.raises(RuleError) as err:
        load_rules().constant("no_such_constant")
    assert (err.value.file, err.value.section) == ("constants.yml", "values")


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("001", "01"),  # leading zeros are dropped to the 2-digit GSO form
        (6, "06"),  # a number read from YAML
        ("Hà Nội", None),  # a name is not a code: InputError, not ValueError
    ],
)
def test_province_codes_are_checked_with_input_error(code, ok):
    if ok is not None:
        assert normalise_province_code(code) == ok
        return
    with pytest.raises(InputError) as err:
        normalise_province_code(code)
    assert err.value.fix is not None and '"01"' in err.value.fix


def test_an_unknown_report_language_is_an_input_error_with_a_fix():
    with pytest.raises(InputError) as err:
        catalogue("fr")
    assert err.value.fix == "use one of vi, en"
