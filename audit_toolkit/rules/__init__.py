"""The law as data: dated rule tables with legal citations, validated on load.

The YAML files in ``rules/data/`` hold the standard level, social pension, coefficients, age limits,
stacking rules, decision deadlines and working-day calendar, legal bases of the checks and the ID
province codes. :func:`load_rules` reads them (cached), validates them and returns a :class:`RuleSet`
whose methods answer vectorised questions for the checks.

Example:
    >>> from audit_toolkit.rules import load_rules
    >>> rules = load_rules(province_code="01")
    >>> rules.legal_basis("AGE_OUT", lang="en")[:25]
    'Decree 20/2021/NĐ-CP Art.'
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from audit_toolkit.errors import InputError
from audit_toolkit.rules.loader import (
    CHECK_IDS,
    PACKAGED_DIR,
    TABLES,
    load_rule_data,
    normalise_province_code,
)
from audit_toolkit.rules.rates import RATES_FILE, Rates, find_rates_file, read_rates
from audit_toolkit.rules.ruleset import RuleSet, age_in_month

__all__ = [
    "CHECK_IDS",
    "OPTIONAL_DIR",
    "PACKAGED_DIR",
    "RATES_FILE",
    "TABLES",
    "Rates",
    "RuleSet",
    "age_in_month",
    "find_rates_file",
    "load_rules",
    "optional_rule_files",
    "read_rates",
    "resolve_extra_files",
]

#: Rule files shipped but NOT loaded by default (unverified rules, e.g. ``nd-335-2026.yml``).
OPTIONAL_DIR = PACKAGED_DIR / "optional"


def optional_rule_files(name: str) -> list[Path]:
    """The shipped optional rule files of one name: ``optional/<name>.yml`` and ``optional/<name>.*.yml``.

    Example:
        >>> [p.name for p in optional_rule_files("nd-335-2026")]
        ['nd-335-2026.social_pension.yml', 'nd-335-2026.yml']
    """
    found = sorted(
        p for p in OPTIONAL_DIR.glob("*.yml") if p.name == f"{name}.yml" or p.name.startswith(f"{name}.")
    )
    if not found:
        names = sorted({p.name.split(".")[0] for p in OPTIONAL_DIR.glob("*.yml")})
        raise InputError(
            f"No optional rule set named {name!r}",
            fix=f"give a rule file path or one of: {', '.join(names)}",
        )
    return found


def resolve_extra_files(items: Sequence[str | Path]) -> list[Path]:
    """``--rules-extra`` values → files: an existing path as is, else the name of a shipped optional set.

    Raises:
        InputError: neither a file nor a known optional set.
    """
    out: list[Path] = []
    for item in items:
        path = Path(item)
        out.extend([path] if path.is_file() else optional_rule_files(str(item)))
    return out


def load_rules(
    path: Path | None = None,
    *,
    province_code: str | None = None,
    extra_files: Sequence[Path] = (),
    rates_file: Path | None = None,
) -> RuleSet:
    """Load and validate the rule tables.

    Parsing is cached per set of unchanged files, so a batch auditing 100 wards pays it once.

    Args:
        path: a directory with one YAML file per table to use instead of the packaged rules
            (e.g. a dump from :meth:`RuleSet.dump`); None for the packaged rules.
        province_code: GSO province code of the ward (``"01"``, also ``"1"``/``"001"``); its local levels
            apply where the rules have them. None: national levels only.
        extra_files: YAML files extending the dated tables; their rows supersede the base rows of the
            same key for their period (e.g. ``optional_rule_files("nd-335-2026")``).
        rates_file: a ``rates.yml`` (data contract §1b) whose levels win over the tables for the
            months it covers (see :func:`find_rates_file`).

    Returns:
        The :class:`RuleSet`.

    Raises:
        RuleError: a rule file is malformed or inconsistent (message: file, row, fix).
        InputError: ``province_code`` is not a number, or ``rates_file`` is malformed or states a
            level below the national one (file, line and fix in the message).

    Example:
        >>> rules = load_rules(extra_files=[OPTIONAL_DIR / "nd-335-2026.yml"])
        >>> int(rules.standard_level(month_num(2026, 7)).iloc[0])
        540000
    """
    if province_code is not None:
        try:
            province_code = normalise_province_code(province_code)
        except InputError:
            raise InputError(
                f"Province code {province_code!r} is not a number",
                fix='give the GSO province code, e.g. "06" (Bắc Kạn) or "19" (Thái Nguyên)',
            ) from None
    data = load_rule_data(path, tuple(Path(p) for p in extra_files))
    rates = read_rates(rates_file) if rates_file is not None else None
    return RuleSet(data, province_code=province_code, rates=rates)
