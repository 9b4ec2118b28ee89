"""One home for the facts several checks share, computed once per audit and cached on the context.

- :mod:`.payments` — :func:`allocate_payments`: every payment row spread over the months it is FOR
  (data contract §1a, checks.md "Payment month"). ``AuditContext.payments_linked`` is its output, so
  every payment check reads the same month-allocated money.
- :mod:`.people` — :func:`death_months` / :func:`move_months`: the month of the (latest) matched
  death or move per beneficiary ``person_key``, as the stale checks read the registers.
- :mod:`.care` — :func:`care_facts`: per care line (C2, C3, C4), the person cared for with their
  birth, death, move, disability level and K6 line, and the stop month of the line with its cause.
- :mod:`.care` — :func:`coefficient_birth_months`: per line, the birth month of the person whose
  age sets the coefficient (the cared-for person's on C3/C4).
- :mod:`.money` — :func:`due_amounts`: coefficient × the level it multiplies, per line and month.
- :mod:`.limits` — :func:`age_limits`: per line, its age limit (with the continuation K1 → K2
  while studying) and the month it is reached.
- :mod:`.people` — :func:`stop_months`: per beneficiary, the earlier of death and move, with its cause.

Example:
    >>> facts = care_facts(ctx)  # doctest: +SKIP
"""

from __future__ import annotations

from audit_toolkit.checks.facts.care import (
    CARE_FOR_DISABLED,
    CARE_FOR_TAKEN_IN,
    care_facts,
    care_quality_note,
    coefficient_birth_months,
)
from audit_toolkit.checks.facts.limits import age_limits
from audit_toolkit.checks.facts.money import due_amounts
from audit_toolkit.checks.facts.payments import allocate_payments
from audit_toolkit.checks.facts.people import death_months, move_months, moved_records, stop_months

__all__ = [
    "CARE_FOR_DISABLED",
    "CARE_FOR_TAKEN_IN",
    "age_limits",
    "allocate_payments",
    "care_facts",
    "care_quality_note",
    "coefficient_birth_months",
    "death_months",
    "due_amounts",
    "move_months",
    "moved_records",
    "stop_months",
]
