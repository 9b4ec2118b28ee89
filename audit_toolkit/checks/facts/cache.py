"""The per-audit cache every fact is kept in (one dict on ``AuditContext.extras``)."""

from __future__ import annotations

from typing import Any

from audit_toolkit.checks.base import AuditContext


def fact_cache(ctx: AuditContext) -> dict[str, Any]:
    """The dict on ``ctx`` where the facts of this audit are cached (computed once per audit)."""
    cache: dict[str, Any] = ctx.extras.setdefault("_facts", {})
    return cache
