"""Reading ward datasets: discovery, raw reading, header detection and ``load_ward``.

Example:
    >>> from audit_toolkit.io import discover_wards, load_ward
    >>> wards = [load_ward(p) for p in discover_wards("data/sample")]  # doctest: +SKIP
"""

from __future__ import annotations

from audit_toolkit.io.discover import discover_wards, is_batch
from audit_toolkit.io.loader import UNREADABLE_COLUMNS, SourceFile, WardData, load_ward, load_wards

__all__ = [
    "UNREADABLE_COLUMNS",
    "SourceFile",
    "WardData",
    "discover_wards",
    "is_batch",
    "load_ward",
    "load_wards",
]
