"""The checks: a catalogue (``catalogue.yml``) and one module per family that implements it.

``run_checks(ctx)`` runs every implemented ward-level check whose tables are present and returns
the raw findings plus a status row for every catalogue check: ``run``, or ``not_run`` with the
reason (table or column not supplied, not implemented). A check never passes by default.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd

from audit_toolkit.checks.base import IMPLEMENTATIONS, AuditContext, CheckSpec, catalogue, check
from audit_toolkit.checks.status import NotRunReason, ReasonCode
from audit_toolkit.findings import empty_raw, new_raw

__all__ = [
    "AuditContext",
    "CheckSpec",
    "CheckStatus",
    "FAMILIES",
    "NotRunReason",
    "ReasonCode",
    "catalogue",
    "check",
    "run_checks",
]

# The family modules, imported explicitly for their ``@check`` registrations: a module that is
# missing or broken fails the import of the package loudly (a check not written yet is simply not
# registered, and reports "not implemented" — no module is optional).
# (``import a.b.c``, not ``from a.b import c``: the latter turns a missing module into a vaguer
# "cannot import name".)
import audit_toolkit.checks.amounts  # noqa: E402, F401
import audit_toolkit.checks.care  # noqa: E402, F401
import audit_toolkit.checks.coefficients  # noqa: E402, F401
import audit_toolkit.checks.duplicates  # noqa: E402, F401
import audit_toolkit.checks.eligibility  # noqa: E402, F401
import audit_toolkit.checks.identity  # noqa: E402, F401
import audit_toolkit.checks.linkage  # noqa: E402, F401
import audit_toolkit.checks.missed  # noqa: E402, F401
import audit_toolkit.checks.process  # noqa: E402, F401
import audit_toolkit.checks.stale  # noqa: E402, F401
import audit_toolkit.checks.transition  # noqa: E402, F401
import audit_toolkit.checks.unpaid  # noqa: E402, F401

#: Family modules whose ``@check`` functions make the registry (imported above).
FAMILIES = (
    "identity",
    "duplicates",
    "missed",
    "stale",
    "care",
    "transition",
    "eligibility",
    "coefficients",
    "amounts",
    "unpaid",
    "process",
    "linkage",
)


@dataclass(frozen=True)
class CheckStatus:
    """What happened to one catalogue check in one audit."""

    check_id: str
    status: str  # "run" or "not_run"
    reason: NotRunReason | None  # why not run (None when run); ``str()`` is the manifest's code
    findings: int = 0
    seconds: float = 0.0

    def __post_init__(self) -> None:
        # A reason given as its machine code (older callers, a manifest read back) becomes the typed
        # value, so every page renders it through the catalogue; "" means "run".
        reason: object = self.reason
        if isinstance(reason, str):
            object.__setattr__(self, "reason", NotRunReason.parse(reason) if reason else None)


def _missing(spec: CheckSpec, ctx: AuditContext, known: dict[tuple[str, str], bool]) -> NotRunReason | None:
    """Why ``spec`` cannot run on ``ctx`` (None when it can); ``known`` keeps the column answers of
    this run (several checks ask about the same column)."""
    for table in spec.requires:
        if not ctx.has(table):
            return NotRunReason.missing_table(table)
    for table, columns in spec.columns.items():
        for column in columns:
            if (table, column) not in known:
                known[table, column] = ctx.has_values(table, column)
            if not known[table, column]:
                return NotRunReason.missing_column(table, column)
    return None


def run_checks(ctx: AuditContext, *, only: set[str] | None = None) -> tuple[pd.DataFrame, list[CheckStatus]]:
    """Run every ward-level check of the catalogue on ``ctx``.

    Args:
        ctx: the audit context of one ward.
        only: restrict to these check ids (others are reported as not run: "not selected").

    Returns:
        ``(raw_findings, statuses)``: raw findings of all checks concatenated, and one
        :class:`CheckStatus` per catalogue check, in catalogue order.
    """
    frames: list[pd.DataFrame] = []
    statuses: list[CheckStatus] = []
    known: dict[tuple[str, str], bool] = {}
    for spec in catalogue():
        if spec.batch:
            statuses.append(CheckStatus(spec.check_id, "not_run", NotRunReason(ReasonCode.BATCH_ONLY)))
            continue
        if only is not None and spec.check_id not in only:
            statuses.append(CheckStatus(spec.check_id, "not_run", NotRunReason(ReasonCode.NOT_SELECTED)))
            continue
        func = IMPLEMENTATIONS.get(spec.check_id)
        if func is None:
            statuses.append(CheckStatus(spec.check_id, "not_run", NotRunReason(ReasonCode.NOT_IMPLEMENTED)))
            continue
        reason = _missing(spec, ctx, known)
        if reason is not None:
            statuses.append(CheckStatus(spec.check_id, "not_run", reason))
            continue
        started = time.perf_counter()
        raw = func(ctx)
        n = 0
        if len(raw):  # no findings: nothing to add (no empty frame made per check)
            raw = new_raw(raw)
            raw["check_id"] = spec.check_id
            frames.append(raw)
            n = int(raw["person_key"].astype(str).add("|").add(raw["discriminator"].astype(str)).nunique())
        statuses.append(CheckStatus(spec.check_id, "run", None, n, time.perf_counter() - started))
    raw_all = pd.concat(frames, ignore_index=True) if frames else empty_raw()
    return raw_all, statuses
