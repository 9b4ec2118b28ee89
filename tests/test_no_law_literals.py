"""No rate, age or day count is a literal in check code: the law lives in rules/data with citations.

The scan walks every ``audit_toolkit/checks/*.py`` with :mod:`ast` and flags numeric literals other than
plain arithmetic (0, 1, 2, 10, 12 months a year, 100), tiny float tolerances, string/array positions
(subscripts and slices) and bit-packing operands (``<<``, ``>>``, ``&``, ``|``). The few others are
listed below with the reason they are not law. A new literal that is law belongs in a rule table
(rules/data/constants.yml or a dated table) with its legal basis, read through ``ctx.rules``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import audit_toolkit.checks

CHECKS = Path(audit_toolkit.checks.__file__).parent
_ARITHMETIC = {0, 1, 2, 10, 12, 100, -1}
# (file, value) → why it is not a legal value.
ALLOWED = {
    ("duplicates.py", 4): "letters of a name's start/end used to block name comparisons (_PIECE)",
    ("entitlement.py", 8): "bit-packing of (category, level) codes into one int64 key",
    ("entitlement.py", 2048): "bit-packing of the age code into one int64 key",
    ("entitlement.py", 1000): "clip bound of an age code before packing, not an age rule",
    ("base.py", 20_000): "_BIRTH_FILTER_ROWS: rows from which matching also filters on birth dates",
    # POSSIBLE_DUPLICATE: its settings live in rules/data/linkage/possible_duplicate.yml; these are not.
    ("linkage.py", 0.9995): "_SHOWN_AS_CERTAIN: display rounding of a probability shown as 99.9+",
    ("linkage.py", 4): "_PROB_DIGITS: decimal places of a probability in the evidence JSON",
    ("linkage_model.py", 0.5): "EVEN_ODDS: more likely one person than two, a bound by definition",
    ("linkage_model.py", 9.0): "FAR: sentinel edit distance of a pair not scored, above every cut-off",
    ("linkage_estimate.py", 60.0): "_LOG2_CLAMP: log-odds clip against overflow in 2 ** x (numerical)",
    ("linkage_estimate.py", 0.999): "_MAX_EM_SHARE: keeps log2(λ / (1 − λ)) finite in EM (numerical)",
}


def law_literals(source: str, file: str) -> list[tuple[int, float]]:
    """``(line, value)`` of every numeric literal that may be a rate, age or day count."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
            continue
        if not isinstance(node.value, int | float):
            continue
        value = node.value
        parent = parents.get(node)
        if isinstance(parent, ast.UnaryOp):  # -1 and the like: judge the signed value
            value = -value if isinstance(parent.op, ast.USub) else value
            parent = parents.get(parent)
        if value in _ARITHMETIC or (isinstance(value, float) and abs(value) < 0.01):
            continue
        if isinstance(parent, ast.Slice) or (isinstance(parent, ast.Subscript) and parent.slice is node):
            continue  # a position in a string or array (ID digits), not a value
        if isinstance(parent, ast.BinOp) and isinstance(
            parent.op, ast.LShift | ast.RShift | ast.BitAnd | ast.BitOr
        ):
            continue
        if (file, value) in ALLOWED:
            continue
        found.append((node.lineno, value))
    return found


@pytest.mark.parametrize("path", sorted(CHECKS.glob("*.py")), ids=lambda p: p.name)
def test_no_rate_age_or_day_literal_in_check_code(path):
    found = law_literals(path.read_text(encoding="utf-8"), path.name)
    assert not found, (
        f"{path.name}: numeric literals {found} look like rates, ages or day counts: move them to a rule "
        "table (rules/data/constants.yml, with legal_basis and confidence) and read them through ctx.rules, "
        "or add them to ALLOWED with the reason they are not law"
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("AGE = 16\n", [(1, 16)]),  # an age limit written in code
        ("x = df['age'] >= 80\n", [(1, 80)]),  # a threshold in a comparison
        ("d = pd.Timedelta(days=30)\n", [(1, 30)]),  # a day count
        ("amount = 500000 * coef\n", [(1, 500000)]),  # a rate
        ("m = birth + 12 * age\n", []),  # months per year: arithmetic
        ("s = text[3]\nt = text[4:6]\n", []),  # ID digit positions
        ("k = (code << 20) + m\n", []),  # bit packing
        ("ok = abs(a - b) < 1e-9\n", []),  # a float tolerance
        ("y = -1\n", []),  # a sentinel
    ],
)
def test_the_scanner_flags_law_and_passes_arithmetic(source, expected):
    assert law_literals(source, "example.py") == expected
