"""The per-audit cache every fact is kept in (one dict on ``AuditContext.extras``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from audit_toolkit.checks.base import AuditContext


def fact_cache(ctx: AuditContext) -> dict[str, Any]:
    """The dict on ``ctx`` where the facts of this audit are cached (computed once per audit)."""
    cache: dict[str, Any] = ctx.extras.setdefault("_facts", {})
    return cache


_T = TypeVar("_T")


def cached_fact(ctx: AuditContext, key: str, compute: Callable[[AuditContext], _T]) -> _T:
    """``compute(ctx)`` once per audit, kept under ``key`` in :func:`fact_cache`."""
    cache = fact_cache(ctx)
    if key not in cache:
        cache[key] = compute(ctx)
    return cast(_T, cache[key])
